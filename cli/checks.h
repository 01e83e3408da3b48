/*
 * checks.h - `parkstat checks --db FILE`: the stored consistency check
 * violations of a database (store/checks.h), the local mode of `parkstat
 * checks`.
 */
#ifndef PARKSTAT_CLI_CHECKS_H
#define PARKSTAT_CLI_CHECKS_H

/* Runs the command; returns the exit status (0, 1 on failure, 2 on usage). */
int checks_command(int argc, char **argv);

#endif
