/*
 * vacuum.h - `parkstat vacuum --db DB`: gives the database file's free pages
 * back to the filesystem.
 */
#ifndef PARKSTAT_VACUUM_H
#define PARKSTAT_VACUUM_H

/* Runs `parkstat vacuum`; argv[0] is "vacuum". Returns the exit status: 0, 1
 * on failure (the database in use, too little space, an SQLite error), 2 on
 * usage errors. */
int vacuum_command(int argc, char **argv);

#endif
