/*
 * curl_dl.c - libcurl loaded on first use (curl_dl.h). The soname is the
 * one the build compiled against (CURL_SONAME from CMake, libcurl.so.4).
 */
#include "cli/curl_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#ifndef CURL_SONAME
#define CURL_SONAME "libcurl.so.4"
#endif

static struct curl_api api;
static const struct curl_api *loaded;
static char load_err[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* dlsym into *slot; 0 or -1 with load_err set. */
static int sym(void *h, const char *name, void *slot)
{
    void *p = dlsym(h, name);
    if (!p) {
        snprintf(load_err, sizeof(load_err), "%s: no symbol %s", CURL_SONAME, name);
        return -1;
    }
    *(void **)slot = p; /* POSIX: function pointers round-trip through void * */
    return 0;
}

static void load(void)
{
    void *h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(load_err, sizeof(load_err), "cannot load %s: %s", CURL_SONAME, e ? e : "?");
        return;
    }
    if (sym(h, "curl_global_init", &api.global_init) < 0 ||
        sym(h, "curl_global_cleanup", &api.global_cleanup) < 0 ||
        sym(h, "curl_easy_init", &api.easy_init) < 0 ||
        sym(h, "curl_easy_cleanup", &api.easy_cleanup) < 0 ||
        sym(h, "curl_easy_reset", &api.easy_reset) < 0 ||
        sym(h, "curl_easy_setopt", &api.easy_setopt) < 0 ||
        sym(h, "curl_easy_perform", &api.easy_perform) < 0 ||
        sym(h, "curl_easy_getinfo", &api.easy_getinfo) < 0 ||
        sym(h, "curl_easy_strerror", &api.easy_strerror) < 0 ||
        sym(h, "curl_easy_escape", &api.easy_escape) < 0 || sym(h, "curl_free", &api.free) < 0 ||
        sym(h, "curl_slist_append", &api.slist_append) < 0 ||
        sym(h, "curl_slist_free_all", &api.slist_free_all) < 0) {
        dlclose(h);
        return;
    }
    loaded = &api;
}

const struct curl_api *curl_dl(char *err, size_t size)
{
    pthread_once(&once, load);
    if (!loaded && err && size)
        snprintf(err, size, "%s", load_err);
    return loaded;
}
