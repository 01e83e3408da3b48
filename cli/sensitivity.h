/*
 * sensitivity.h - the `parkstat sensitivity` command (cli/sensitivity.c).
 */
#ifndef PARKSTAT_CLI_SENSITIVITY_H
#define PARKSTAT_CLI_SENSITIVITY_H

/* Runs the command; argv[0] is "sensitivity". Returns the exit status. */
int sensitivity_command(int argc, char **argv);

#endif
