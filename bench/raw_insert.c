/*
 * raw_insert.c - the reference loop of the ingest benchmark (bench/ingest.sh).
 *
 *   bench_raw_insert DB CSV
 *
 * Creates DB with store_open() (so the schema, indexes and pragmas are the
 * store's own), then reads CSV (`unit,indicator,period,value`, header first)
 * with a naive fgets/strtok split, maps codes to ids with a hash table, and
 * inserts every row with ONE prepared INSERT in ONE transaction. This is the
 * fastest plain way to put the same rows into the same table; the importer is
 * measured against it. Prints the parse time, the load time (transaction
 * only) and the total, and a machine-readable line:
 *   RAW rows=N parse_s=P load_s=L total_s=T
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/log.h"
#include "store/store.h"

/* One parsed row, codes already mapped to ids. */
struct row {
    int64_t unit_id;
    int64_t indicator_id;
    char period[8]; /* "2023-07" and shorter, NUL-terminated */
    double value;
};

/* A code -> id hash table (open addressing, linear probing). Ids are 1, 2, ...
 * in order of first appearance; codes[id - 1] is the code of an id. */
struct codes {
    char **codes;   /* by id - 1 */
    int64_t *slots; /* 0 empty, else id */
    size_t n, cap;  /* cap: number of slots, a power of two */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void codes_free(struct codes *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->codes[i]);
    free(c->codes);
    free(c->slots);
    memset(c, 0, sizeof(*c));
}

/* Doubles the table (or makes the first one) and re-inserts every id. */
static int codes_grow(struct codes *c)
{
    size_t cap = c->cap ? c->cap * 2 : 1024;
    int64_t *slots = calloc(cap, sizeof(*slots));
    char **codes = realloc(c->codes, cap / 2 * sizeof(*codes));
    if (!slots || !codes) {
        free(slots);
        if (codes)
            c->codes = codes;
        return -ENOMEM;
    }
    c->codes = codes;
    for (size_t id = 1; id <= c->n; id++) {
        size_t i = fnv1a(codes[id - 1]) & (cap - 1);
        while (slots[i])
            i = (i + 1) & (cap - 1);
        slots[i] = (int64_t)id;
    }
    free(c->slots);
    c->slots = slots;
    c->cap = cap;
    return 0;
}

/* The id of code, adding it when new. Returns the id (> 0) or -ENOMEM. */
static int64_t codes_id(struct codes *c, const char *code)
{
    if (c->n + 1 > c->cap / 2 && codes_grow(c) < 0)
        return -ENOMEM;
    size_t i = fnv1a(code) & (c->cap - 1);
    for (; c->slots[i]; i = (i + 1) & (c->cap - 1))
        if (strcmp(c->codes[c->slots[i] - 1], code) == 0)
            return c->slots[i];
    char *dup = strdup(code);
    if (!dup)
        return -ENOMEM;
    c->codes[c->n++] = dup;
    c->slots[i] = (int64_t)c->n;
    return (int64_t)c->n;
}

/* Splits one line into its four fields and appends the row. Returns 0, 1 for
 * a malformed line (skipped), or -ENOMEM. */
static int parse_line(char *line, struct codes *units, struct codes *inds, struct row *r)
{
    char *save = NULL;
    char *unit = strtok_r(line, ",\r\n", &save);
    char *ind = strtok_r(NULL, ",\r\n", &save);
    char *period = strtok_r(NULL, ",\r\n", &save);
    char *value = strtok_r(NULL, ",\r\n", &save);
    char *end = NULL;

    if (!value || strlen(period) >= sizeof(r->period))
        return 1;
    r->value = strtod(value, &end);
    if (end == value)
        return 1;
    if ((r->unit_id = codes_id(units, unit)) < 0 || (r->indicator_id = codes_id(inds, ind)) < 0)
        return -ENOMEM;
    memcpy(r->period, period, strlen(period) + 1);
    return 0;
}

/* Reads the whole CSV into *rows (malloc'd, *n of them). */
static int read_csv(const char *path, struct codes *units, struct codes *inds, struct row **rows,
                    size_t *n)
{
    char line[1024];
    size_t cap = 0;
    int rc = -errno;
    FILE *f = fopen(path, "r");
    if (!f)
        return rc;
    rc = 0;
    if (!fgets(line, sizeof(line), f)) /* the header */
        goto out;
    while (fgets(line, sizeof(line), f)) {
        if (BUF_GROW(rows, &cap, *n + 1, BUF_UNCAPPED) < 0) {
            rc = -ENOMEM;
            goto out;
        }
        int r = parse_line(line, units, inds, &(*rows)[*n]);
        if (r < 0) {
            rc = r;
            goto out;
        }
        *n += (r == 0);
    }
out:
    fclose(f);
    return rc;
}

/* Inserts code rows (name = code) into unit or indicator, ids as numbered. */
static int put_codes(sqlite3 *db, const char *sql, const struct codes *c)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < c->n; i++) {
        sqlite3_bind_int64(s, 1, (int64_t)i + 1);
        sqlite3_bind_text(s, 2, c->codes[i], -1, SQLITE_STATIC);
        rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_OK ? 0 : -EIO;
}

/* The timed part: one transaction, one prepared INSERT per observation. */
static int load(sqlite3 *db, const struct codes *units, const struct codes *inds,
                const struct row *rows, size_t n)
{
    sqlite3_stmt *s = NULL;
    int64_t run_id, now = (int64_t)time(NULL) * 1000000;
    int rc = -EIO;

    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
        put_codes(db, "INSERT INTO unit(id, code, name) VALUES(?1, ?2, ?2)", units) < 0 ||
        put_codes(db,
                  "INSERT INTO indicator(id, code, name, frequency, kind)"
                  " VALUES(?1, ?2, ?2, 'M', 'flow')",
                  inds) < 0 ||
        sqlite3_exec(db, "INSERT INTO run(source, started_at) VALUES('bench:raw', 0)", NULL, NULL,
                     NULL) != SQLITE_OK)
        goto out;
    run_id = sqlite3_last_insert_rowid(db);
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO observation(unit_id, indicator_id, period, value,"
                           " valid_from, valid_to, run_id) VALUES(?1, ?2, ?3, ?4, ?5, NULL, ?6)",
                           -1, &s, NULL) != SQLITE_OK)
        goto out;
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(s, 1, rows[i].unit_id);
        sqlite3_bind_int64(s, 2, rows[i].indicator_id);
        sqlite3_bind_text(s, 3, rows[i].period, -1, SQLITE_STATIC);
        sqlite3_bind_double(s, 4, rows[i].value);
        sqlite3_bind_int64(s, 5, now);
        sqlite3_bind_int64(s, 6, run_id);
        if (sqlite3_step(s) != SQLITE_DONE)
            goto out;
        sqlite3_reset(s);
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        rc = 0;
out:
    if (rc < 0)
        fprintf(stderr, "bench_raw_insert: %s\n", sqlite3_errmsg(db));
    sqlite3_finalize(s);
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Creates the database with the store's schema; then a plain connection with
 * the store's pragmas (WAL is a property of the file and persists). */
static int open_db(const char *path, sqlite3 **db)
{
    char err[256] = "";
    struct store *st = NULL;

    if (store_open(&st, path, 0, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench_raw_insert: %s: %s\n", path, err);
        return -EIO;
    }
    store_close(&st);
    if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_exec(*db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL", NULL, NULL, NULL) !=
            SQLITE_OK) {
        fprintf(stderr, "bench_raw_insert: %s: %s\n", path, sqlite3_errmsg(*db));
        return -EIO;
    }
    return 0;
}

/*
 * bench_raw_insert DB CSV: exit status 0 when every parsed row was stored,
 * 1 on any error (with a message on stderr), 2 on a usage error.
 */
int main(int argc, char **argv)
{
    struct codes units = {0}, inds = {0};
    struct row *rows = NULL;
    sqlite3 *db = NULL;
    size_t n = 0;
    int rc = 1;

    if (argc != 3) {
        fprintf(stderr, "usage: bench_raw_insert DB CSV\n");
        return 2;
    }
    log_set_level(LOG_LEVEL_WARNING); /* no "schema migrated" note in the output */
    if (open_db(argv[1], &db) < 0)
        goto out;
    double t0 = now_s();
    int r = read_csv(argv[2], &units, &inds, &rows, &n);
    if (r < 0) {
        fprintf(stderr, "bench_raw_insert: %s: %s\n", argv[2], strerror(-r));
        goto out;
    }
    double t1 = now_s();
    if (load(db, &units, &inds, rows, n) < 0)
        goto out;
    double t2 = now_s();
    printf("raw: %zu rows (%zu units, %zu indicators): parse %.3f s, load %.3f s "
           "(%.0f obs/s), total %.3f s (%.0f obs/s)\n",
           n, units.n, inds.n, t1 - t0, t2 - t1, (double)n / (t2 - t1), t2 - t0,
           (double)n / (t2 - t0));
    printf("SQLite %s\n", sqlite3_libversion());
    printf("RAW rows=%zu parse_s=%.6f load_s=%.6f total_s=%.6f\n", n, t1 - t0, t2 - t1, t2 - t0);
    rc = 0;
out:
    sqlite3_close(db);
    free(rows);
    codes_free(&units);
    codes_free(&inds);
    return rc;
}
