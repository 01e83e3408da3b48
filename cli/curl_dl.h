/*
 * curl_dl.h - libcurl for the API client commands, loaded when one of them
 * runs (dlopen), not when parkstat starts: libcurl brings some 30 libraries
 * (TLS, Kerberos, LDAP ...) whose mapping and relocation cost every other
 * command — a 20 ms recompute of a city — about 8 ms.
 */
#ifndef PARKSTAT_CLI_CURL_DL_H
#define PARKSTAT_CLI_CURL_DL_H

#include <curl/curl.h>
#include <stddef.h>

/* The libcurl functions the client uses. */
struct curl_api {
    CURLcode (*global_init)(long flags);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *e);
    void (*easy_reset)(CURL *e);
    CURLcode (*easy_setopt)(CURL *e, CURLoption opt, ...);
    CURLcode (*easy_perform)(CURL *e);
    CURLcode (*easy_getinfo)(CURL *e, CURLINFO info, ...);
    const char *(*easy_strerror)(CURLcode cc);
    char *(*easy_escape)(CURL *e, const char *s, int len);
    void (*free)(void *p);
    struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
    void (*slist_free_all)(struct curl_slist *l);
};

/* libcurl's functions, loaded on the first call (thread-safe); NULL when
 * libcurl cannot be loaded, with the reason in err. Never unloaded. */
const struct curl_api *curl_dl(char *err, size_t size);

#endif
