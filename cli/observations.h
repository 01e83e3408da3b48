/*
 * observations.h - `parkstat observations`: lists stored observations from a
 * local database (current values, values as of a time, or every vintage) as
 * an aligned table, CSV or JSON.
 */
#ifndef PARKSTAT_OBSERVATIONS_H
#define PARKSTAT_OBSERVATIONS_H

/* Runs the command; argv[0] is "observations". Returns the exit status:
 * 0, 1 when the database cannot be read, 2 on usage errors. */
int observations_command(int argc, char **argv);

#endif
