/*
 * import.c - checks long-format CSV rows against the config and ingests the
 * good ones, one transaction per file (see import.h).
 *
 * A file streams: csvread hands over one record at a time, good rows gather
 * in a chunk of IMPORT_CHUNK_ROWS that store_ingest() stores as a savepoint
 * of the file's unit of work, and the chunk is reused. What grows with the
 * file is only the set of its keys (import_keys.c: compressed bitmaps, a few
 * MB for 24 M rows) and the duplicates found. A duplicate's reason names the
 * line of the key's first occurrence, which is not kept for every row: after
 * the file, it is found by reading the file (or the earlier file that has
 * the key) once more, only when there are duplicates. Row checks:
 * import_rows.c.
 */
#include "cli/import.h"
#include "cli/import_enc.h"
#include "cli/import_xlsx.h"
#include "collectors/encoding.h"

#include <errno.h>
#include <math.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "cli/import_priv.h"
#include "collectors/check_batch.h"
#include "collectors/collect.h"
#include "common/buf.h"
#include "common/exec.h"
#include "common/timefmt.h"
#include "compute/compute.h"
#include "config/config.h"
#include "store/bookkeeping.h"
#include "store/observations.h"
#include "store/results.h"
#include "store/store.h"

static const char *const column_names[N_ALL_COLUMNS] = {"unit", "indicator", "period", "value",
                                                        "status"};

/* Monotonic microseconds, for the progress line. */
static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Wipes the progress line so that a message starts on a clean line. */
static void progress_clear(struct import *im)
{
    if (im->progress && im->progress_shown) {
        fputs("\r\033[K", im->progress);
        fflush(im->progress);
        im->progress_shown = 0;
    }
}

/* "1.2 GB": n bytes in the unit that keeps 1 to 3 digits before the point. */
static void human_bytes(char *out, size_t size, double n)
{
    static const char *const unit[] = {"B", "kB", "MB", "GB", "TB"};
    int u = 0;

    while (n >= 1000 && u < 4) {
        n /= 1000;
        u++;
    }
    snprintf(out, size, u ? "%.1f %s" : "%.0f %s", n, unit[u]);
}

/* Draws "NAME: 42% 1.1 GB of 2.6 GB, 812 345 rows/s, 1:02 left" over the
 * previous line. */
static void progress_draw(struct file_import *f)
{
    struct import *im = f->im;
    int64_t now = mono_us();
    double secs = (double)(now - im->progress_start_us) / 1e6;
    off_t pos = f->in ? ftello(f->in) : -1;
    double done = pos > 0 ? (double)pos : 0;
    char a[32], b[32], left[32] = "";
    double rate = secs > 0 ? (double)f->n_read / secs : 0;

    im->progress_last_us = now;
    human_bytes(a, sizeof(a), done);
    if (im->progress_total > 0) {
        double total = (double)im->progress_total;
        human_bytes(b, sizeof(b), total);
        if (done > 0 && secs > 0) {
            long rest = (long)((total - done) / (done / secs) + 0.5);
            snprintf(left, sizeof(left), ", %ld:%02ld left", rest / 60, rest % 60);
        }
        fprintf(im->progress, "\r%s: %3.0f%% %s of %s, %.0f rows/s%s\033[K", f->name,
                100.0 * done / total, a, b, rate, left);
    } else {
        fprintf(im->progress, "\r%s: %s, %.0f rows/s\033[K", f->name, a, rate);
    }
    fflush(im->progress);
    im->progress_shown = 1;
}

/* Redraws the progress line at most 5 times a second. */
static void progress_tick(struct file_import *f)
{
    if (f->im->progress && (f->n_read & 4095) == 0 && mono_us() - f->im->progress_last_us >= 200000)
        progress_draw(f);
}

static void msg(struct file_import *f, long line, const char *text)
{
    if (!f->im->msgs || f->quiet)
        return;
    progress_clear(f->im);
    if (line > 0)
        fprintf(f->im->msgs, "%s:%ld: %s\n", f->name, line, text);
    else
        fprintf(f->im->msgs, "%s: %s\n", f->name, text);
}

/* Maps the header's columns; a missing or repeated required column is fatal. */
static int read_header(struct file_import *f, const struct csvread_record *rec)
{
    char q[200], line[300];
    int found[N_ALL_COLUMNS] = {0};

    f->have_header = 1;
    f->n_cols = rec->n_fields;
    if (rec->error) {
        snprintf(line, sizeof(line), "header: %s", rec->error);
        msg(f, rec->line, line);
        return f->rc = -EINVAL;
    }
    for (size_t i = 0; i < rec->n_fields && i < CSVREAD_FIELD_MAX; i++) {
        int k = 0;
        while (k < N_ALL_COLUMNS && (strlen(column_names[k]) != rec->len[i] ||
                                     strncasecmp(column_names[k], rec->field[i], rec->len[i]) != 0))
            k++;
        import_quote(q, sizeof(q), rec->field[i], rec->len[i]);
        if (k == N_ALL_COLUMNS) {
            snprintf(line, sizeof(line), "warning: column %s ignored", q);
            msg(f, rec->line, line);
        } else if (found[k]++) {
            snprintf(line, sizeof(line), "column %s given twice", q);
            msg(f, rec->line, line);
            f->rc = -EINVAL;
        }
        if (k < N_ALL_COLUMNS)
            f->col[k] = i;
    }
    if (rec->n_fields > CSVREAD_FIELD_MAX) {
        snprintf(line, sizeof(line), "warning: the %zu columns after the %dth are ignored",
                 rec->n_fields - CSVREAD_FIELD_MAX, CSVREAD_FIELD_MAX);
        msg(f, rec->line, line);
    }
    f->has_status = found[COL_STATUS] > 0;
    for (int k = 0; k < N_COLUMNS; k++) {
        if (!found[k]) {
            snprintf(line, sizeof(line), "missing column \"%s\"", column_names[k]);
            msg(f, rec->line, line);
            f->rc = -EINVAL;
        }
    }
    return f->rc;
}

/* Adds a reject to the chunk (raw cut to RAW_MAX bytes) and shows it while
 * fewer than max_rejects were shown. 0 or -ENOMEM. */
static int add_reject(struct file_import *f, long line, const char *raw, size_t raw_len,
                      const char *reason)
{
    struct reject *r;

    if (BUF_GROW(&f->rej, &f->cap_rej, f->n_rej + 1, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    r = &f->rej[f->n_rej];
    r->line = line;
    if (raw_len > RAW_MAX)
        raw_len = RAW_MAX;
    if (import_text_add(&f->text, raw, raw_len, &r->raw) < 0 ||
        import_text_add(&f->text, reason, strlen(reason), &r->reason) < 0)
        return -ENOMEM;
    f->n_rej++;
    f->n_rejected++;
    if (f->n_shown < f->im->max_rejects) {
        f->n_shown++;
        msg(f, line, reason);
    }
    return 0;
}

/*
 * Marks for an incremental recompute every (index, period) that contains a
 * period of the chunk's rows (store_mark_recompute(), as a pull does), once
 * the chunk stored a new or revised value: a superset of the changed ones.
 * 0 or -EIO.
 */
static int mark_periods(struct file_import *f)
{
    struct period seen[64];
    size_t nseen = 0, nix;
    const struct config_index *ix = config_indices(f->im->cfg, &nix);

    for (size_t i = 0; i < f->n; i++) {
        size_t j = 0;
        struct period p = f->obs[i].period;
        /* equality of the fields: period_cmp() orders, costing a call per pair */
        while (j < nseen &&
               (seen[j].year != p.year || seen[j].freq != p.freq || seen[j].index != p.index))
            j++;
        if (j < nseen)
            continue;
        if (nseen == sizeof(seen) / sizeof(seen[0]))
            nseen = 0; /* many periods: a period seen again is marked again */
        seen[nseen++] = f->obs[i].period;
        for (size_t k = 0; k < nix; k++) {
            struct period q;
            char text[PERIOD_TEXT_SIZE];
            if (period_container(f->obs[i].period, ix[k].freq, &q) < 0)
                continue;
            period_format(q, text, sizeof(text));
            if (store_mark_recompute(f->im->st, ix[k].id, text) < 0)
                return -EIO;
        }
    }
    return 0;
}

/* The chunk's consistency checks (collectors/check_batch.h): the rows a
 * "reject" check refuses become rejects and leave the chunk. 0 or -ENOMEM,
 * -EIO. */
static int check_chunk(struct file_import *f, struct check_batch *cb)
{
    size_t kept = 0;
    int rc = check_batch_run(f->im->st, f->im->cfg, f->obs, f->n, cb);

    for (size_t i = 0; rc == 0 && cb->n_refused && i < f->n; i++) {
        if (!cb->refused[i]) {
            f->line[kept] = f->line[i];
            f->obs[kept++] = f->obs[i];
        } else {
            rc = add_reject(f, f->line[i], cb->raw[i], strlen(cb->raw[i]), cb->refused[i]);
        }
    }
    if (rc == 0 && cb->n_refused)
        f->n = kept;
    return rc;
}

/* Stores the chunk's good rows and rejects in the file's unit of work (no
 * savepoint per chunk: an error rolls the whole file back), then the
 * violations its checks found, marks its periods when it changed a value,
 * and empties it. 0 or -EIO with
 * store_errmsg(). */
static int flush(struct file_import *f)
{
    struct store_reject *rj = NULL;
    long changed = f->counts.n_new + f->counts.n_revised;
    struct check_batch cb;
    int64_t now = time_now_us();
    int rc;

    if (f->n == 0 && f->n_rej == 0)
        return 0;
    if ((rc = check_chunk(f, &cb)) < 0) {
        check_batch_free(&cb);
        return rc;
    }
    if (f->n_rej && !(rj = malloc(f->n_rej * sizeof(*rj)))) {
        check_batch_free(&cb);
        return -ENOMEM;
    }
    for (size_t i = 0; i < f->n_rej; i++)
        rj[i] = (struct store_reject){f->rej[i].line, f->text.p + f->rej[i].raw,
                                      f->text.p + f->rej[i].reason};
    rc = store_ingest_part(f->im->st, f->run_id, now, f->obs, f->n, rj, f->n_rej, &f->counts);
    if (rc == 0)
        rc = check_batch_store(f->im->st, &cb, f->run_id, now);
    check_batch_free(&cb);
    free(rj);
    if (rc == 0 && f->counts.n_new + f->counts.n_revised > changed)
        rc = mark_periods(f);
    f->n_stored += (long)f->n;
    f->n = 0;
    f->n_rej = 0;
    f->text.len = 0;
    return rc;
}

/* The header was good: the run begins, committed at once (so a crash leaves
 * it open, to be closed as interrupted at the next start), then the file's
 * unit of work, which holds its rows, rejects and the run's end. */
static int begin_run(struct file_import *f)
{
    struct store *st = f->im->st;
    const char *base = strrchr(f->name, '/');
    char source[300];
    int rc;

    snprintf(source, sizeof(source), "import:%s", base ? base + 1 : f->name);
    if ((rc = store_run_begin(st, source, NULL, time_now_us(), &f->run_id)) < 0)
        return rc;
    if ((rc = store_begin(st)) < 0) {
        store_run_end(st, f->run_id, time_now_us(), "failed", &f->counts, store_errmsg(st));
        f->run_id = 0;
    }
    return rc;
}

/* Keeps a duplicate of key until the line of its first occurrence is known. */
static int add_dup(struct file_import *f, const struct csvread_record *rec, struct import_key key,
                   long file)
{
    char raw[RAW_MAX + 1];
    size_t n = csvread_join(rec, raw, sizeof(raw));
    struct dup *d;

    if (BUF_GROW(&f->dups, &f->cap_dups, f->n_dups + 1, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    d = &f->dups[f->n_dups];
    *d = (struct dup){.key = key, .line = rec->line, .file = file};
    if (import_text_add(&f->dup_text, raw, n < RAW_MAX ? n : RAW_MAX, &d->raw) < 0)
        return -ENOMEM;
    f->n_dups++;
    return 0;
}

/* The earlier file of this import that stored key, or -1. */
static long earlier_file(const struct import *im, struct import_key key)
{
    for (size_t i = 0; i < im->n_files; i++)
        if (keyset_has(im->files[i].keys, key))
            return (long)i;
    return -1;
}

static int on_record(const struct csvread_record *rec, void *ctx)
{
    struct file_import *f = ctx;
    char why[300], raw[RAW_MAX + 1];
    struct store_obs o = {0};
    struct import_key key;
    long file;
    int rc;

    if (!f->have_header)
        return read_header(f, rec) ? f->rc : begin_run(f);
    f->n_read++;
    progress_tick(f);
    if ((rc = import_check_row(f, rec, &o, &key, why, sizeof(why))) == 2) {
        /* "no value": stored as missing (NULL, never 0) and counted, as a pull does */
        f->n_missing++;
        o.missing = 1;
        o.value = NAN;
        rc = 0;
    }
    if (rc) {
        size_t n = csvread_join(rec, raw, sizeof(raw));
        if ((rc = add_reject(f, rec->line, raw, n < sizeof(raw) ? n : sizeof(raw) - 1, why)) < 0)
            return rc;
        return f->n_rej >= IMPORT_CHUNK_ROWS ? flush(f) : 0;
    }
    if ((file = earlier_file(f->im, key)) >= 0)
        return add_dup(f, rec, key, file);
    if ((rc = keyset_add(f->keys, key)) < 0)
        return rc;
    if (rc == 0) /* a key this file stored already */
        return add_dup(f, rec, key, -1);
    f->line[f->n] = rec->line;
    if (o.status) { /* the field lives until the callback returns: keep a copy */
        memcpy(f->status[f->n], o.status, f->row_status_len);
        f->status[f->n][f->row_status_len] = '\0';
        o.status = f->status[f->n];
    }
    f->obs[f->n++] = o;
    return f->n == IMPORT_CHUNK_ROWS ? flush(f) : 0;
}

static int dup_cmp(const void *pa, const void *pb)
{
    const struct dup *a = pa, *b = pb;

    if (a->file != b->file)
        return a->file < b->file ? -1 : 1;
    if (a->key.ord != b->key.ord)
        return a->key.ord < b->key.ord ? -1 : 1;
    if (a->key.pair != b->key.pair)
        return a->key.pair < b->key.pair ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

static int dup_line_cmp(const void *pa, const void *pb)
{
    const struct dup *a = pa, *b = pb;
    return a->line < b->line ? -1 : a->line > b->line;
}

/* A second reading of a file, for the lines of the duplicates' first
 * occurrences: d[0..n) are sorted by key, all of that file. */
struct resolve {
    struct file_import f; /* header and row checks only */
    struct dup *d;
    size_t n;
};

static int on_resolve(const struct csvread_record *rec, void *ctx)
{
    struct resolve *r = ctx;
    struct store_obs o;
    struct import_key key;
    char why[300];

    if (!r->f.have_header)
        return read_header(&r->f, rec);
    if (import_check_row(&r->f, rec, &o, &key, why, sizeof(why)) == 1)
        return 0; /* a reject: no key (a missing value has one) */
    /* the first dup of this key, by binary search */
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        struct dup probe = {.key = key, .file = r->d[mid].file};
        if (dup_cmp(&r->d[mid], &probe) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < r->n && r->d[lo].key.ord == key.ord && r->d[lo].key.pair == key.pair; lo++)
        if (!r->d[lo].first && (r->d[lo].file >= 0 || rec->line < r->d[lo].line))
            r->d[lo].first = rec->line;
    return 0;
}

/* Reads in again from start to fill the first lines of d[0..n). */
static int resolve_stream(struct file_import *f, FILE *in, struct dup *d, size_t n)
{
    struct resolve r = {.f = {.im = f->im, .name = f->name, .quiet = 1}, .d = d, .n = n};
    return csvread_stream(in, on_resolve, &r);
}

/* Finds the first occurrence of every duplicate: in this file by reading it
 * again from start (when in can seek), in an earlier file by opening it
 * again (when it was opened by name); then adds them as rejects in line
 * order. A first occurrence that cannot be read again is named without its
 * line. */
static int reject_dups(struct file_import *f, off_t start)
{
    struct import *im = f->im;
    char why[600];
    size_t i = 0;
    int rc = 0;

    if (f->n_dups == 0)
        return 0;
    qsort(f->dups, f->n_dups, sizeof(*f->dups), dup_cmp);
    while (i < f->n_dups && rc == 0) {
        size_t j = i;
        long file = f->dups[i].file;
        while (j < f->n_dups && f->dups[j].file == file)
            j++;
        if (file < 0 && start >= 0 && fseeko(f->in, start, SEEK_SET) == 0) {
            clearerr(f->in);
            rc = resolve_stream(f, f->in, f->dups + i, j - i);
        } else if (file >= 0 && im->files[file].reopen) {
            FILE *in = fopen(im->files[file].name, "rb");
            if (in) {
                rc = resolve_stream(f, in, f->dups + i, j - i);
                fclose(in);
            }
        }
        i = j;
    }
    qsort(f->dups, f->n_dups, sizeof(*f->dups), dup_line_cmp);
    for (i = 0; i < f->n_dups && rc == 0; i++) {
        const struct dup *d = &f->dups[i];
        const char *raw = f->dup_text.p + d->raw;
        if (d->file < 0 && d->first)
            snprintf(why, sizeof(why), "duplicate of line %ld", d->first);
        else if (d->file < 0)
            snprintf(why, sizeof(why), "duplicate of an earlier line");
        else if (d->first)
            snprintf(why, sizeof(why), "duplicate of %.500s:%ld", im->files[d->file].name,
                     d->first);
        else
            snprintf(why, sizeof(why), "duplicate of %.500s", im->files[d->file].name);
        rc = add_reject(f, d->line, raw, strlen(raw), why);
        if (rc == 0 && f->n_rej >= IMPORT_CHUNK_ROWS)
            rc = flush(f);
    }
    return rc;
}

/* The run's outcome: "failed" (not stored), "rejected" (every row
 * rejected), "partial" (some rejected), "ok" (new or revised values) or
 * "unchanged". */
static const char *run_outcome(int rc, const struct file_import *f)
{
    if (rc < 0)
        return "failed";
    if (f->n_rejected > 0)
        return f->n_stored > 0 ? "partial" : "rejected";
    return f->counts.n_new + f->counts.n_revised > 0 ? "ok" : "unchanged";
}

/* Stores what is left, the duplicates, closes the run and commits the
 * file's unit of work. */
static int finish_file(struct file_import *f, off_t start)
{
    struct store *st = f->im->st;
    int rc;

    if ((rc = flush(f)) < 0 || (rc = reject_dups(f, start)) < 0 || (rc = flush(f)) < 0)
        return rc;
    f->counts.n_rejected = f->n_rejected;
    if ((rc = store_run_end(st, f->run_id, time_now_us(), run_outcome(rc, f), &f->counts, NULL)) <
        0)
        return rc;
    return store_commit(st);
}

/* Adds the file and the keys it stored to those later files are checked
 * against (steals f->keys). */
static int remember(struct file_import *f)
{
    struct import *im = f->im;
    char *name = strdup(f->name);

    if (!name || BUF_GROW(&im->files, &im->cap_files, im->n_files + 1, BUF_UNCAPPED) < 0) {
        free(name);
        return -ENOMEM;
    }
    struct import_file *file = &im->files[im->n_files++];
    file->name = name;
    file->keys = f->keys;
    file->reopen = im->reopen;
    f->keys = NULL;
    return 0;
}

int import_stream(struct import *im, FILE *in, const char *name, struct import_summary *sum)
{
    struct file_import f = {.im = im, .name = name, .in = in};
    off_t start = ftello(in);
    int rc = -ENOMEM;

    if (sum)
        memset(sum, 0, sizeof(*sum));
    im->progress_start_us = im->progress_last_us = mono_us();
    if (!(f.obs = malloc(IMPORT_CHUNK_ROWS * sizeof(*f.obs))) ||
        !(f.line = malloc(IMPORT_CHUNK_ROWS * sizeof(*f.line))) ||
        !(f.status = malloc(IMPORT_CHUNK_ROWS * sizeof(*f.status))) || !(f.keys = keyset_new()))
        goto out;
    rc = csvread_stream(in, on_record, &f);
    if (rc == 0 && !f.have_header) {
        msg(&f, 0, "empty file: no header row");
        rc = -EINVAL;
    }
    if (f.rc && rc == 0)
        rc = f.rc;
    if (rc == 0) {
        if (im->progress)
            progress_draw(&f);
        rc = finish_file(&f, start);
        if (rc == -EIO || rc == -EBUSY) {
            char text[600];
            snprintf(text, sizeof(text), "store: %.500s", store_errmsg(im->st));
            msg(&f, 0, text);
        }
    }
    if (rc < 0 && f.run_id) {
        /* nothing of the file is kept; its run says why */
        char err[600];
        snprintf(err, sizeof(err), "%.500s", rc == -EIO ? store_errmsg(im->st) : strerror(-rc));
        store_rollback(im->st);
        memset(&f.counts, 0, sizeof(f.counts));
        store_run_end(im->st, f.run_id, time_now_us(), "failed", &f.counts, err);
    }
    if (rc == 0 && f.n_rejected > f.n_shown && im->msgs) {
        progress_clear(im);
        fprintf(im->msgs, "%s: ... and %ld more rejected rows\n", name, f.n_rejected - f.n_shown);
    }
    if (rc == 0)
        rc = remember(&f);
out:
    progress_clear(im);
    if (rc == -EIO && f.have_header && !f.run_id)
        msg(&f, 0, "read error");
    else if (rc == -ENOMEM)
        msg(&f, 0, "out of memory");
    if (sum) {
        sum->n_read = f.n_read;
        if (rc == 0) {
            sum->n_missing = f.n_missing;
            sum->n_stored = f.n_stored;
            sum->n_rejected = f.n_rejected;
            sum->counts = f.counts;
        }
    }
    keyset_free(&f.keys);
    free(f.obs);
    free(f.status);
    free(f.line);
    free(f.rej);
    free(f.text.p);
    free(f.dups);
    free(f.dup_text.p);
    return rc;
}

int import_file(struct import *im, const char *path, struct import_summary *sum)
{
    char why[512] = "";
    int xlsx = import_xlsx_is(path); /* a sheet, as CSV in a temporary file */
    int conv = xlsx || im->encoding; /* read from a temporary file, not path */
    FILE *in = xlsx           ? import_xlsx_csv(path, im->sheet, why, sizeof(why))
               : im->encoding ? import_enc_csv(path, im->encoding, why, sizeof(why))
                              : fopen(path, "rb");
    struct stat sb;
    int rc;

    if (!in) {
        rc = conv ? -EINVAL : -errno;
        if (sum)
            memset(sum, 0, sizeof(*sum));
        if (im->msgs)
            fprintf(im->msgs, "%s: %s\n", path, conv ? why : strerror(-rc));
        return rc;
    }
    im->progress_total = fstat(fileno(in), &sb) == 0 && S_ISREG(sb.st_mode) ? sb.st_size : 0;
    im->reopen = !conv; /* only the file itself is read again as CSV */
    rc = import_stream(im, in, path, sum);
    im->reopen = 0;
    im->progress_total = 0;
    fclose(in);
    return rc;
}

/* Fills the config-index -> store-id maps; every entity must be synced. */
static int map_ids(struct import *im)
{
    const struct config_unit *units = config_units(im->cfg, &im->n_units);
    const struct config_indicator *inds = config_indicators(im->cfg, &im->n_indicators);

    im->unit_ids = calloc(im->n_units + 1, sizeof(*im->unit_ids));
    im->indicator_ids = calloc(im->n_indicators + 1, sizeof(*im->indicator_ids));
    if (!im->unit_ids || !im->indicator_ids)
        return -ENOMEM;
    for (size_t i = 0; i < im->n_units; i++)
        if ((im->unit_ids[i] = store_unit_id(im->st, units[i].id, strlen(units[i].id))) < 0)
            return -ENOENT;
    for (size_t i = 0; i < im->n_indicators; i++) {
        const char *code = inds[i].code;
        if ((im->indicator_ids[i] = store_indicator_id(im->st, code, strlen(code))) < 0)
            return -ENOENT;
    }
    return 0;
}

int import_new(struct import **out, struct store *st, const struct config *cfg)
{
    struct import *im = calloc(1, sizeof(*im));
    int rc = -ENOMEM;

    *out = NULL;
    if (!im)
        return rc;
    im->st = st;
    im->cfg = cfg;
    im->msgs = stderr;
    im->max_rejects = IMPORT_MAX_REJECT_LINES;
    im->values = (struct config_value_opts){.decimal = '.', .thousands = ','};
    if ((rc = compute_sync_config(st, cfg)) < 0 || (rc = map_ids(im)) < 0) {
        import_free(&im);
        return rc;
    }
    *out = im;
    return 0;
}

void import_free(struct import **imp)
{
    struct import *im = imp ? *imp : NULL;

    if (!im)
        return;
    for (size_t i = 0; i < im->n_files; i++) {
        free(im->files[i].name);
        keyset_free(&im->files[i].keys);
    }
    free(im->files);
    free(im->unit_ids);
    free(im->indicator_ids);
    free(im);
    *imp = NULL;
}

void import_set_messages(struct import *im, FILE *msgs, long max_rejects)
{
    im->msgs = msgs;
    im->max_rejects = max_rejects;
}

void import_set_progress(struct import *im, FILE *out)
{
    im->progress = out;
}

/* Reads the whole file at path into a malloc'd buffer. 0 or a negative errno. */
static int slurp(const char *path, char **buf, size_t *len)
{
    FILE *in = fopen(path, "rb");
    char *data = NULL;
    size_t cap = 0, n = 0;
    int rc = 0;

    *buf = NULL;
    if (!in)
        return -errno;
    for (;;) {
        if ((rc = BUF_GROW(&data, &cap, n + 65536, BUF_UNCAPPED)) < 0)
            break;
        size_t got = fread(data + n, 1, cap - n, in);
        n += got;
        if (got == 0)
            break;
    }
    if (rc == 0 && ferror(in))
        rc = -EIO;
    fclose(in);
    if (rc < 0) {
        free(data);
        return rc;
    }
    *buf = data;
    *len = n;
    return 0;
}

struct shown {
    const char *name;
    long n, max;
};

static int show_reject(const struct store_reject_row *row, void *ctx)
{
    struct shown *s = ctx;
    if (s->n++ < s->max)
        fprintf(stderr, "%s:%ld: %s\n", s->name, row->position, row->reason);
    return 0;
}

/* `import --source ID`: each file read whole by the source's reader and
 * checked as its pulls are (collect_import()). Returns the exit status. */
static int import_source(const struct config *cfg, struct store *st, const char *source,
                         const char *unit, char **files, int n)
{
    uv_loop_t loop;
    struct collect *c = NULL;
    char err[512];
    int status = 0, rc;
    long idx;

    if ((rc = compute_sync_config(st, cfg)) < 0) {
        fprintf(stderr, "parkstat import: cannot store the config's units and indicators: %s\n",
                rc == -EIO ? store_errmsg(st) : strerror(-rc));
        return 1;
    }
    if (uv_loop_init(&loop) != 0)
        return 1;
    if (collect_new(&c, &loop, cfg, st, NULL, err, sizeof(err)) < 0) {
        fprintf(stderr, "parkstat import: %s\n", err);
        status = 1;
    } else if ((idx = collect_source_find(c, source)) < 0) {
        fprintf(stderr, "parkstat import: unknown source \"%s\"\n", source);
        status = 2;
    } else {
        for (int i = 0; i < n; i++) {
            const char *base = strrchr(files[i], '/');
            char run_source[300], *buf = NULL;
            struct collect_result res;
            size_t len = 0;

            if ((rc = slurp(files[i], &buf, &len)) < 0) {
                fprintf(stderr, "%s: %s\n", files[i], strerror(-rc));
                status = 1;
                continue;
            }
            snprintf(run_source, sizeof(run_source), "import:%s", base ? base + 1 : files[i]);
            rc = collect_import(c, (size_t)idx, run_source, unit, buf, len, &res, err, sizeof(err));
            free(buf);
            if (rc < 0) {
                fprintf(stderr, "%s: %s\n", files[i], res.error ? res.error : strerror(-rc));
                status = 1;
                continue;
            }
            struct shown shown = {files[i], 0, IMPORT_MAX_REJECT_LINES};
            store_rejects(st, res.run_id, NULL, show_reject, &shown);
            if (shown.n > shown.max)
                fprintf(stderr, "%s: ... and %ld more rejected records\n", files[i],
                        shown.n - shown.max);
            /* Missing values are stored: counted in new, revised or unchanged. */
            printf("%s: %s, %ld records: %ld new, %ld revised, %ld unchanged, %ld rejected, "
                   "%ld missing\n",
                   files[i], res.outcome,
                   res.counts.n_new + res.counts.n_revised + res.counts.n_unchanged +
                       res.counts.n_rejected,
                   res.counts.n_new, res.counts.n_revised, res.counts.n_unchanged,
                   res.counts.n_rejected, res.n_missing);
            fflush(stdout);
        }
    }
    collect_close(&c);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return status;
}

static void usage(FILE *out)
{
    fputs("usage: parkstat import [--db FILE] --config FILE [--progress|--quiet] DATA.csv...\n"
          "       parkstat import [--db FILE] --config FILE [--sheet NAME|N] BOOK.xlsx...\n"
          "       parkstat import [--db FILE] --config FILE --source ID [--unit ID] FILE...\n"
          "Loads long-format CSV (a header naming unit,indicator,period,value and,\n"
          "optionally, status: the observation's status code, such as p or e) into the\n"
          "database. Each file is one transaction in its own run, read as a stream;\n"
          "bad rows are reported as FILE:LINE: reason and kept as rejects, and never\n"
          "stop the good rows. A FILE ending in .xlsx is read from its first sheet the\n"
          "same way (LINE is the sheet row).\n"
          "  -S, --sheet NAME|N   the sheet of the .xlsx files: a sheet of that name, else\n"
          "                     the Nth (1 is the first); an unknown one names the sheets\n"
          "  -e, --encoding NAME  the CSV files are in gb18030, gbk, utf-16le, utf-16be\n"
          "                     or utf-8 (checked); converted to UTF-8 before reading\n"
          "  --decimal SEP      the decimal separator of values: \".\" (default) or \",\"\n"
          "  --thousands SEP    the thousands separator, only between groups of three\n"
          "                     digits: \",\" (default with decimal \".\"), \".\", \" \", \"'\"\n"
          "                     or \"\" for none (default with decimal \",\")\n"
          "  --missing TEXT     a value meaning \"no value\" (stored as missing, never 0,\n"
          "                     never a reject); give it once per marker: they\n"
          "                     replace the default set \"\", -, \u2014, \u2013, NaN, :, .., "
          "\u2026, x\n"
          "  -c, --config FILE  configuration: the units and indicators rows are checked\n"
          "                     against (required)\n"
          "  -d, --db FILE      database, created if needed (default: the config's\n"
          "                     \"database\")\n"
          "  -s, --source ID    read each FILE as the configured source ID reads a pull:\n"
          "                     its format, mapping, encoding, code maps, scale and\n"
          "                     checks (a file and a pull of the same bytes store the\n"
          "                     same rows); the file is read whole\n"
          "  -u, --unit ID      with --source: the unit a per-unit URL would name\n"
          "  -p, --progress     show the progress line even when stderr is not a terminal\n"
          "  -q, --quiet        no progress line (shown by default on a terminal)\n"
          "  -h, --help         this text\n"
          "Exit status: 0 when every file was read, 1 when a file, the config or the\n"
          "database could not be used or a header lacks a column, 2 on usage errors.\n",
          out);
}

/* --decimal, --thousands (a text each) or --missing (one marker, given
 * as often as needed) into values, the value options as a mapping has them.
 * 0 or -ENOMEM. */
static int value_option(json_t *values, int c, const char *arg)
{
    json_t *list = json_object_get(values, "missing");

    if (c != 'M')
        return json_object_set_new(values, c == 'D' ? "decimal" : "thousands", json_string(arg)) < 0
                   ? -ENOMEM
                   : 0;
    if (!list && json_object_set_new(values, "missing", list = json_array()) < 0)
        return -ENOMEM;
    return json_array_append_new(list, json_string(arg)) < 0 ? -ENOMEM : 0;
}

/* Checks the value options as the config checks a mapping's
 * (config_mapping_parse()), so a file and a source read numbers alike;
 * *out gets them (NULL when none were given). A bad one is reported as its
 * option ("--decimal: bad decimal ..."). 0, or -EINVAL. */
static int parse_values(json_t *values, struct config_mapping **out)
{
    json_t *src, *m;
    char *text, err[1024], *p;
    int rc;

    *out = NULL;
    if (json_object_size(values) == 0)
        return 0;
    m = json_pack("{s:s, s:s, s:s, s:s}", "unit", "unit", "indicator", "indicator", "period",
                  "period", "value", "value");
    src = json_pack("{s:o}", "mapping", m);
    if (!m || !src || json_object_update(m, values) < 0 || !(text = json_dumps(src, 0))) {
        json_decref(src);
        fprintf(stderr, "parkstat import: out of memory\n");
        return -EINVAL;
    }
    json_decref(src);
    rc = config_mapping_parse("csv", text, out, err, sizeof(err));
    free(text);
    if (rc == 0)
        return 0;
    /* "mapping.decimal: ..." is the option --decimal */
    for (char *line = err; line && *line; line = p) {
        p = strchr(line, '\n');
        if (p)
            *p++ = '\0';
        fprintf(stderr, "parkstat import: %s%s\n", strncmp(line, "mapping.", 8) ? "" : "--",
                strncmp(line, "mapping.", 8) ? line : line + 8);
    }
    return -EINVAL;
}

/* 1 when one of the n files is a workbook. */
static int any_xlsx(char **files, int n)
{
    for (int i = 0; i < n; i++)
        if (import_xlsx_is(files[i]))
            return 1;
    return 0;
}

/* Imports every file; returns the exit status (0, or 1 if any file failed). */
static int import_all(struct import *im, char **files, int n)
{
    struct import_summary s;
    int status = 0;

    for (int i = 0; i < n; i++) {
        if (import_file(im, files[i], &s) < 0) {
            status = 1;
            continue;
        }
        printf("%s: %ld rows read, %ld stored (%ld new, %ld revised, %ld unchanged), "
               "%ld rejected",
               files[i], s.n_read, s.n_stored, s.counts.n_new, s.counts.n_revised,
               s.counts.n_unchanged, s.n_rejected);
        if (s.n_missing > 0)
            printf(", %ld missing", s.n_missing);
        putchar('\n');
        fflush(stdout);
    }
    return status;
}

/* Rebuilds the column copy while the import's rows are fresh, when the
 * import touched so many units that the next recompute would walk every
 * observation to rebuild it (store_columns_build): that recompute reads the
 * columns instead. The copy is derived data, so a failure only leaves the
 * rebuild to the recompute; another writer holding the lock is no failure. */
static void build_columns(struct store *st)
{
    struct exec ex;

    exec_threads_init(&ex);
    int rc = store_columns_build(st, &(struct store_walk_opts){.ex = &ex});
    if (rc < 0 && rc != -EBUSY)
        fprintf(stderr, "parkstat import: column copy not rebuilt (the next recompute will): %s\n",
                rc == -EIO ? store_errmsg(st) : strerror(-rc));
}

int import_command(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"config", required_argument, NULL, 'c'},
                                         {"source", required_argument, NULL, 's'},
                                         {"unit", required_argument, NULL, 'u'},
                                         {"progress", no_argument, NULL, 'p'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"encoding", required_argument, NULL, 'e'},
                                         {"sheet", required_argument, NULL, 'S'},
                                         {"decimal", required_argument, NULL, 'D'},
                                         {"thousands", required_argument, NULL, 'T'},
                                         {"missing", required_argument, NULL, 'M'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = NULL, *cfg_path = NULL, *source = NULL, *unit = NULL, *encoding = NULL,
               *sheet = NULL;
    struct config *cfg = NULL;
    struct store *st = NULL;
    struct import *im = NULL;
    struct config_mapping *vmap = NULL;
    json_t *values = json_object();
    char *errors = NULL, errbuf[512] = "";
    int c, rc = 0, status = 1, progress = isatty(STDERR_FILENO);

    optind = 1;
    while ((c = getopt_long(argc, argv, "d:c:s:u:e:S:pqh", opts, NULL)) != -1) {
        if (c == 'd')
            db = optarg;
        else if (c == 'e')
            encoding = optarg;
        else if (c == 'S')
            sheet = optarg;
        else if (c == 'D' || c == 'T' || c == 'M')
            rc = value_option(values, c, optarg);
        else if (c == 's')
            source = optarg;
        else if (c == 'u')
            unit = optarg;
        else if (c == 'c')
            cfg_path = optarg;
        else if (c == 'p' || c == 'q')
            progress = c == 'p';
        else {
            json_decref(values);
            usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (encoding && (source || encoding_from_name(encoding, &(enum encoding){0}) < 0)) {
        fprintf(stderr, "parkstat import: %s\n",
                source ? "--encoding is for CSV files; a source's mapping.encoding says its own"
                       : "--encoding: expected utf-8, gb18030, gbk, utf-16le or utf-16be");
        goto bad_usage;
    }
    if (sheet && (source || sheet[0] == '\0' || !any_xlsx(argv + optind, argc - optind))) {
        fprintf(stderr, "parkstat import: --sheet: %s\n",
                source     ? "not with --source (an xlsx source's mapping.sheet says which)"
                : sheet[0] ? "no .xlsx file given"
                           : "expected a sheet name or its position (1 is the first)");
        goto bad_usage;
    }
    if (json_object_size(values) > 0 && source) {
        fprintf(stderr, "parkstat import: --decimal, --thousands and --missing are for CSV "
                        "files; a source's mapping says its own\n");
        goto bad_usage;
    }
    if (rc < 0 || !values || parse_values(values, &vmap) < 0)
        goto bad_usage;
    json_decref(values);
    values = NULL;
    if (unit && !source) {
        fprintf(stderr, "parkstat import: --unit needs --source\n");
        goto bad_usage;
    }
    if (!cfg_path || optind >= argc) {
        fprintf(stderr, "parkstat import: %s\n",
                !cfg_path ? "--config is required" : "no CSV file given");
        goto bad_usage;
    }
    if ((rc = config_load(cfg_path, &cfg, &errors)) < 0) {
        if (errors && *errors)
            fprintf(stderr, "%s%s", errors, errors[strlen(errors) - 1] == '\n' ? "" : "\n");
        else
            fprintf(stderr, "%s: %s\n", cfg_path, strerror(-rc));
        goto out;
    }
    if (!db)
        db = config_database(cfg);
    if (store_open(&st, db, 0, errbuf, sizeof(errbuf)) < 0) {
        fprintf(stderr, "parkstat import: %s: %s\n", db, errbuf);
        goto out;
    }
    long closed = 0; /* runs a killed import or daemon left open */
    if (store_runs_interrupt(st, time_now_us(), &closed) == 0 && closed > 0)
        fprintf(stderr, "parkstat import: %ld run(s) left open by a crash closed as interrupted\n",
                closed);
    if (source) {
        status = import_source(cfg, st, source, unit, argv + optind, argc - optind);
        build_columns(st);
        goto out;
    }
    if ((rc = import_new(&im, st, cfg)) < 0) {
        fprintf(stderr, "parkstat import: %s: cannot store the config's units and indicators: %s\n",
                db, rc == -EIO ? store_errmsg(st) : strerror(-rc));
        goto out;
    }
    if (progress)
        import_set_progress(im, stderr);
    im->encoding = encoding;
    im->sheet = sheet;
    if (vmap)
        im->values = vmap->values;
    status = import_all(im, argv + optind, argc - optind);
    build_columns(st);
out:
    import_free(&im);
    config_mapping_free(&vmap);
    store_close(&st);
    config_free(&cfg);
    free(errors);
    return status;
bad_usage:
    json_decref(values);
    config_mapping_free(&vmap);
    usage(stderr);
    return 2;
}
