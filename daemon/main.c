/*
 * main.c - parkstatd: the collection and API daemon. For now it validates its
 * configuration (--check-config FILE, or -c FILE before starting); the
 * service loop is built by a later issue.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "config/config.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: parkstatd -c CONFIG          run the daemon\n"
                 "       parkstatd --check-config FILE check a configuration and exit\n"
                 "       parkstatd --version | --help\n");
}

/* Loads path, printing every problem to stderr. Returns 0, or 1 when invalid. */
static int load(const char *path, struct config **cfg)
{
    char *errors = NULL;
    int rc = config_load(path, cfg, &errors);

    if (rc < 0) {
        if (errors)
            fputs(errors, stderr);
        else
            fprintf(stderr, "%s: %s\n", path, strerror(-rc));
    }
    free(errors);
    return rc < 0 ? 1 : 0;
}

static int check_config(const char *path)
{
    struct config *cfg = NULL;
    size_t nu, ni, ns, nx;

    if (load(path, &cfg) != 0)
        return 1;
    config_units(cfg, &nu);
    config_indicators(cfg, &ni);
    config_sources(cfg, &ns);
    config_indices(cfg, &nx);
    printf("%s: ok (%zu units, %zu indicators, %zu sources, %zu indices)\n", path, nu, ni, ns, nx);
    config_free(&cfg);
    return 0;
}

static int run(const char *path)
{
    struct config *cfg = NULL;
    enum log_level level;

    if (load(path, &cfg) != 0)
        return 1;
    if (log_level_parse(config_log_level(cfg), &level) == 0)
        log_set_level(level);
    log_info("%s: config ok", config_path(cfg));
    log_notice("the service loop is not built yet; exiting");
    config_free(&cfg);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("parkstatd %s\n", PARKSTAT_VERSION);
        return 0;
    }
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--check-config") == 0)
        return check_config(argv[2]);
    if (argc == 3 && strcmp(argv[1], "-c") == 0)
        return run(argv[2]);
    usage(stderr);
    return 2;
}
