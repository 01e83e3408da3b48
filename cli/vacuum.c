/*
 * vacuum.c - `parkstat vacuum --db DB [--dry-run]`: says how much of the
 * database file is free pages (rows deleted, or the old table of a migration
 * that rebuilt one) and gives them back with SQLite's VACUUM.
 *
 * VACUUM writes the whole database twice: a copy in SQLite's temporary
 * directory, then every page back through the WAL beside the database. So
 * the command first checks both filesystems for the room, and refuses with
 * the numbers rather than fill a disk the daemon writes to. It takes the
 * daemon's lock file (DB.lock) for its whole run: with parkstatd on the same
 * database it refuses, naming the PID, and a parkstatd started meanwhile is
 * refused until it is done.
 */
#include "cli/vacuum.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

static void usage(FILE *out)
{
    fputs("usage: parkstat vacuum --db DB [--dry-run]\n"
          "  Gives the database file's free pages back to the filesystem (SQLite VACUUM):\n"
          "  after a schema migration that rebuilt a table, or many rows deleted.\n"
          "  Needs parkstatd stopped, and free space for about the database's size twice:\n"
          "  in SQLite's temporary directory (SQLITE_TMPDIR, TMPDIR, /var/tmp or /tmp) and\n"
          "  beside the database (its WAL).\n"
          "  -n, --dry-run  only say how large the file is and how much of it is free\n",
          out);
}

static int parse(int argc, char **argv, const char **db, int *dry)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"dry-run", no_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "d:nh", opts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            *db = optarg;
            break;
        case 'n':
            *dry = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!*db || optind != argc) {
        usage(stderr);
        return 2;
    }
    return -1;
}

/* Takes DB.lock as parkstatd does (daemon/daemon.c) and writes our PID into
 * it. Returns the descriptor, or -1 having said why. */
static int take_lock(const char *db)
{
    char path[4096], pid[32] = "";
    ssize_t n;
    int fd;

    if (snprintf(path, sizeof(path), "%s.lock", db) >= (int)sizeof(path)) {
        fprintf(stderr, "parkstat vacuum: %s: path too long\n", db);
        return -1;
    }
    if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
        fprintf(stderr, "parkstat vacuum: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        n = pread(fd, pid, sizeof(pid) - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        fprintf(stderr,
                "parkstat vacuum: %s: in use by parkstatd (PID %s, lock file %s); stop it "
                "first\n",
                db, pid[0] ? pid : "unknown", path);
        close(fd);
        return -1;
    }
    n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        fprintf(stderr, "parkstat vacuum: %s: %s\n", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* The directory SQLite's unix VFS puts temporary files in: the first of
 * these that is a writable directory. */
static const char *temp_dir(void)
{
    const char *dirs[] = {
        getenv("SQLITE_TMPDIR"), getenv("TMPDIR"), "/var/tmp", "/usr/tmp", "/tmp", "."};
    struct stat sb;
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        if (dirs[i] && stat(dirs[i], &sb) == 0 && S_ISDIR(sb.st_mode) &&
            access(dirs[i], W_OK | X_OK) == 0)
            return dirs[i];
    return ".";
}

/* Bytes free to an unprivileged writer on dir's filesystem and its device,
 * or -1 having said why. */
static double room(const char *dir, dev_t *dev)
{
    struct statvfs vs;
    struct stat sb;
    if (statvfs(dir, &vs) < 0 || stat(dir, &sb) < 0) {
        fprintf(stderr, "parkstat vacuum: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    *dev = sb.st_dev;
    return (double)vs.f_bavail * (double)vs.f_frsize;
}

/* Whether the two filesystems have room for VACUUM's copies of used bytes
 * (with a tenth more); says what is missing otherwise. */
static int enough_room(const char *db, double used)
{
    char *copy = strdup(db);
    const char *tmp = temp_dir();
    dev_t ddev = 0, tdev = 0;
    double need = used * 1.1, dfree, tfree;
    int ok = 0;

    if (!copy) {
        fprintf(stderr, "parkstat vacuum: out of memory\n");
        return 0;
    }
    dfree = room(dirname(copy), &ddev);
    tfree = room(tmp, &tdev);
    if (dfree < 0 || tfree < 0)
        goto out;
    if (ddev == tdev && dfree < 2 * need)
        fprintf(stderr,
                "parkstat vacuum: %s: needs about %.0f MB free for the copy in %s and the WAL "
                "beside the database (the same filesystem), has %.0f MB; free space or set "
                "SQLITE_TMPDIR to another filesystem\n",
                db, 2 * need / 1e6, tmp, dfree / 1e6);
    else if (ddev != tdev && tfree < need)
        fprintf(stderr,
                "parkstat vacuum: %s: needs about %.0f MB free in %s for the copy, has %.0f MB; "
                "set SQLITE_TMPDIR to a directory with room\n",
                db, need / 1e6, tmp, tfree / 1e6);
    else if (ddev != tdev && dfree < need)
        fprintf(stderr,
                "parkstat vacuum: %s: needs about %.0f MB free beside the database for the "
                "WAL, has %.0f MB\n",
                db, need / 1e6, dfree / 1e6);
    else
        ok = 1;
out:
    free(copy);
    return ok;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int vacuum_command(int argc, char **argv)
{
    const char *db = NULL;
    struct store *st = NULL;
    struct store_space before, after;
    struct stat sb;
    char errbuf[512];
    int dry = 0, lockfd = -1, rc;
    int status = parse(argc, argv, &db, &dry);
    double t0;

    if (status >= 0)
        return status;
    status = 1;
    /* store_open() would create a missing database: a mistyped path is an error */
    if (stat(db, &sb) < 0) {
        fprintf(stderr, "parkstat vacuum: %s: %s\n", db, strerror(errno));
        return 1;
    }
    if (!S_ISREG(sb.st_mode)) {
        fprintf(stderr, "parkstat vacuum: %s: not a database file\n", db);
        return 1;
    }
    if ((lockfd = take_lock(db)) < 0)
        return 1;
    if (store_open(&st, db, dry ? STORE_READONLY : 0, errbuf, sizeof(errbuf)) < 0) {
        fprintf(stderr, "parkstat vacuum: %s\n", errbuf);
        goto out;
    }
    if (store_space(st, &before) < 0) {
        fprintf(stderr, "parkstat vacuum: %s: %s\n", db, store_errmsg(st));
        goto out;
    }
    double size = (double)(before.pages * before.page_size);
    double free_b = (double)(before.free_pages * before.page_size);
    printf("%s: %.1f MB, of which %.1f MB (%.0f %%) free pages\n", db, size / 1e6, free_b / 1e6,
           size > 0 ? 100.0 * free_b / size : 0.0);
    if (dry || before.free_pages == 0) {
        if (!dry)
            printf("nothing to give back\n");
        status = 0;
        goto out;
    }
    if (!enough_room(db, size - free_b))
        goto out;
    t0 = now_s();
    if ((rc = store_vacuum(st)) < 0) {
        if (rc == -ENOSPC)
            fprintf(stderr,
                    "parkstat vacuum: %s: no space left while copying; the database is "
                    "unchanged: %s\n",
                    db, store_errmsg(st));
        else
            fprintf(stderr, "parkstat vacuum: %s: %s\n", db,
                    rc == -EIO || rc == -EBUSY ? store_errmsg(st) : strerror(-rc));
        goto out;
    }
    if (store_space(st, &after) < 0) {
        fprintf(stderr, "parkstat vacuum: %s: %s\n", db, store_errmsg(st));
        goto out;
    }
    printf("%s: %.1f MB -> %.1f MB in %.1f s\n", db, size / 1e6,
           (double)(after.pages * after.page_size) / 1e6, now_s() - t0);
    status = 0;
out:
    store_close(&st);
    if (lockfd >= 0)
        close(lockfd);
    return status;
}
