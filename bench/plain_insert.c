/*
 * plain_insert.c - the plain limit of bench/scale.sh: how fast SQLite alone
 * stores the rows of a long CSV on this machine.
 *
 *   bench_plain_insert DB CSV
 *
 * Creates DB with one table obs(unit, indicator, period, value) and the
 * composite primary key (unit, indicator, period) (WITHOUT ROWID; WAL,
 * synchronous=NORMAL, as the store opens its databases), reads CSV
 * (`unit,indicator,period,value`, header first) with fgets and a naive split,
 * and inserts every row with ONE prepared INSERT in ONE transaction: no
 * validation, no vintages, no foreign keys. Prints one line:
 *   PLAIN rows=N seconds=S rows_per_s=R
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs sql on db; 0, or -1 after printing SQLite's message. */
static int exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK)
        return 0;
    fprintf(stderr, "bench_plain_insert: %s: %s\n", sql, err ? err : "?");
    sqlite3_free(err);
    return -1;
}

/* Splits line into its four comma-separated fields in place; 0 or -1. */
static int split(char *line, char *f[4])
{
    line[strcspn(line, "\r\n")] = '\0';
    for (int i = 0; i < 4; i++) {
        f[i] = line;
        char *comma = strchr(line, ',');
        if (i < 3 && !comma)
            return -1;
        if (comma) {
            *comma = '\0';
            line = comma + 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL;
    FILE *in = NULL;
    char line[512], *f[4];
    long n = 0, lineno = 1;
    int status = 1;

    if (argc != 3) {
        fputs("usage: bench_plain_insert DB CSV\n", stderr);
        return 2;
    }
    if (!(in = fopen(argv[2], "r")) || !fgets(line, sizeof(line), in)) {
        fprintf(stderr, "bench_plain_insert: %s: cannot read\n", argv[2]);
        goto out;
    }
    double t0 = now_s();
    if (sqlite3_open(argv[1], &db) != SQLITE_OK ||
        exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                 "CREATE TABLE obs(unit TEXT NOT NULL, indicator TEXT NOT NULL,"
                 " period TEXT NOT NULL, value REAL,"
                 " PRIMARY KEY(unit, indicator, period)) WITHOUT ROWID;"
                 "BEGIN") < 0 ||
        sqlite3_prepare_v2(db, "INSERT INTO obs VALUES(?1, ?2, ?3, ?4)", -1, &ins, NULL) !=
            SQLITE_OK) {
        fprintf(stderr, "bench_plain_insert: %s: %s\n", argv[1], sqlite3_errmsg(db));
        goto out;
    }
    while (fgets(line, sizeof(line), in)) {
        lineno++;
        if (split(line, f) < 0) {
            fprintf(stderr, "bench_plain_insert: %s:%ld: not 4 fields\n", argv[2], lineno);
            goto out;
        }
        sqlite3_bind_text(ins, 1, f[0], -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, f[1], -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, f[2], -1, SQLITE_STATIC);
        sqlite3_bind_double(ins, 4, strtod(f[3], NULL));
        if (sqlite3_step(ins) != SQLITE_DONE) {
            fprintf(stderr, "bench_plain_insert: %s:%ld: %s\n", argv[2], lineno,
                    sqlite3_errmsg(db));
            goto out;
        }
        sqlite3_reset(ins);
        n++;
    }
    if (exec(db, "COMMIT") < 0)
        goto out;
    double secs = now_s() - t0;
    printf("PLAIN rows=%ld seconds=%.3f rows_per_s=%.0f\n", n, secs, secs > 0 ? n / secs : 0.0);
    status = 0;
out:
    sqlite3_finalize(ins);
    sqlite3_close(db);
    if (in)
        fclose(in);
    return status;
}
