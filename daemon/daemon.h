/*
 * daemon.h - parkstatd: the service that pulls sources on their calendar,
 * stores what arrives, recomputes indices and answers queries.
 *
 * One libuv loop thread owns the timers, signals, curl transfers and the
 * single SQLite writer; the HTTP API answers on its own threads with
 * read-only connections (docs/ARCHITECTURE.md).
 */
#ifndef PARKSTAT_DAEMON_H
#define PARKSTAT_DAEMON_H

struct daemon_options {
    const char *config_path; /* required */
    const char *listen;      /* overrides server.listen, or NULL */
    const char *db_path;     /* overrides database, or NULL */
    int once;                /* pull what is due now, wait, summarise, exit */
    double grace_s;          /* on SIGTERM: how long in-flight pulls may finish (0: 10 s) */
};

/*
 * Runs the service until SIGTERM or SIGINT (or, with once, until every due
 * pull has finished). Returns the process exit status: 0 after a clean stop
 * (or, with once, when every source succeeded or was not yet published), 1
 * when a --once pull failed, else a sysexits.h code naming what stopped the
 * start (docs/SECURITY.md, "Exit codes"): EX_CONFIG, EX_UNAVAILABLE (listen
 * address), EX_OSFILE (token file missing), EX_NOINPUT (bad web root),
 * EX_NOPERM, EX_CANTCREAT and EX_IOERR (database; disk full), EX_TEMPFAIL (another parkstatd holds
 * the database's lock file). Problems are logged to stderr, one line each.
 */
int daemon_run(const struct daemon_options *opt);

/*
 * parkstatd --recompute-child full|incremental --stamp STAMP -c CONFIG
 * [--db PATH]: the daemon's recompute, run in a process of its own
 * (daemon/recompute.c). Loads CONFIG, which must still have STAMP, recomputes
 * and writes one line to stdout: "ok FULL INDICES PERIODS RESULTS SECONDS"
 * or "error TEXT". Returns the exit status: 0, 1 (failed), 3 (the file
 * changed: nothing done), EX_TEMPFAIL (database busy), 2 (bad mode).
 */
int daemon_recompute_child(const struct daemon_options *opt, const char *mode, const char *stamp);

#endif
