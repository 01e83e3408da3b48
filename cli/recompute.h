/*
 * recompute.h - `parkstat recompute`: recomputes index results in a local
 * database (full, or only what the recompute table marks), and
 * `parkstat ranking`: prints one index's results for a period.
 */
#ifndef PARKSTAT_RECOMPUTE_H
#define PARKSTAT_RECOMPUTE_H

/* Runs `parkstat recompute`; argv[0] is "recompute". Returns the exit status:
 * 0, 1 on failure, 2 on usage errors. */
int recompute_command(int argc, char **argv);

/* Runs `parkstat ranking`; argv[0] is "ranking". Same exit statuses. */
int ranking_command(int argc, char **argv);

#endif
