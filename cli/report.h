/*
 * report.h - `parkstat report ID --period P --format html|md|csv`: the
 * quarterly monitoring bulletin of one composite index, read from a running
 * parkstatd over its HTTP API (cli/client.h).
 */
#ifndef PARKSTAT_REPORT_H
#define PARKSTAT_REPORT_H

/* Runs the command (argv[0] is "report"). Returns the exit status: 0 written,
 * 1 the API answered with an error or could not be reached, 2 usage error. */
int report_command(int argc, char **argv);

#endif
