/*
 * main.c - parkstatd's command line: check a configuration, run the service
 * in the foreground (systemd style), or pull what is due once and exit.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "daemon/daemon.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: parkstatd -c CONFIG [--listen ADDR:PORT] [--db PATH] [--grace SECONDS]\n"
            "                                     run the service in the foreground\n"
            "       parkstatd --once -c CONFIG    pull everything due now, print a summary, exit\n"
            "       parkstatd --check-config FILE check a configuration and exit\n"
            "       parkstatd --version | --help\n"
            "\n"
            "Signals: SIGHUP reloads the configuration (an invalid one is reported and the\n"
            "running one stays), SIGTERM/SIGINT stop after pulls in flight (or the grace\n"
            "period). Logs go to stderr with syslog priority prefixes.\n"
            "\n"
            "Exit status: 0 clean stop, 1 a --once pull failed, 2 bad usage, else sysexits.h:\n"
            "66 bad web root, 69 listen address in use, 72 token file missing, 73 database\n"
            "not creatable, 74 disk full or I/O error, 75 database locked by another\n"
            "parkstatd, 77 permission denied,\n"
            "78 invalid configuration (docs/SECURITY.md).\n");
}

/* Loads path, printing every problem to stderr. Returns 0, or 1 when invalid. */
static int check_config(const char *path)
{
    struct config *cfg = NULL;
    char *errors = NULL;
    size_t nu, ni, ns, nx;
    int rc = config_load(path, &cfg, &errors);

    if (rc < 0) {
        if (errors)
            fputs(errors, stderr);
        else
            fprintf(stderr, "%s: %s\n", path, strerror(-rc));
        free(errors);
        return 1;
    }
    config_units(cfg, &nu);
    config_indicators(cfg, &ni);
    config_sources(cfg, &ns);
    config_indices(cfg, &nx);
    printf("%s: ok (%zu units, %zu indicators, %zu sources, %zu indices)\n", path, nu, ni, ns, nx);
    config_free(&cfg);
    return 0;
}

int main(int argc, char **argv)
{
    enum {
        OPT_CHECK = 256,
        OPT_ONCE,
        OPT_LISTEN,
        OPT_DB,
        OPT_GRACE,
        OPT_VERSION,
        OPT_CHILD,
        OPT_STAMP
    };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", required_argument, NULL, OPT_CHECK},
        {"once", no_argument, NULL, OPT_ONCE},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"db", required_argument, NULL, OPT_DB},
        {"grace", required_argument, NULL, OPT_GRACE},
        {"version", no_argument, NULL, OPT_VERSION},
        {"recompute-child", required_argument, NULL, OPT_CHILD}, /* internal */
        {"stamp", required_argument, NULL, OPT_STAMP},           /* internal */
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct daemon_options opt = {0};
    const char *child = NULL, *stamp = "";
    char *end;
    int c;

    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            opt.config_path = optarg;
            break;
        case OPT_CHECK:
            return check_config(optarg);
        case OPT_ONCE:
            opt.once = 1;
            break;
        case OPT_LISTEN:
            opt.listen = optarg;
            break;
        case OPT_DB:
            opt.db_path = optarg;
            break;
        case OPT_GRACE:
            opt.grace_s = strtod(optarg, &end);
            if (*end || opt.grace_s <= 0) {
                fprintf(stderr, "parkstatd: --grace: expected seconds > 0, got \"%s\"\n", optarg);
                return 2;
            }
            break;
        case OPT_CHILD:
            child = optarg;
            break;
        case OPT_STAMP:
            stamp = optarg;
            break;
        case OPT_VERSION:
            printf("parkstatd %s\n", PARKSTAT_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!opt.config_path || optind < argc) {
        usage(stderr);
        return 2;
    }
    /* the daemon's own recompute, in a process of its own (daemon/recompute.c) */
    if (child)
        return daemon_recompute_child(&opt, child, stamp);
    return daemon_run(&opt);
}
