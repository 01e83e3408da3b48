/*
 * collect_ingest.c - from finished transfers to a stored run (see
 * collect_priv.h): payload reading, record validation and duplicate keys on
 * a thread-pool thread (collect_parse), then on the loop the outcome, one
 * ingest transaction, validators, pull state and source health.
 */
#include "collectors/collect_priv.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/check_batch.h"
#include "collectors/format.h"
#include "collectors/source.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/timefmt.h"
#include "config/config.h"
#include "store/bookkeeping.h"
#include "store/components.h"
#include "store/observations.h"
#include "store/results.h"
#include "store/store.h"

/* Validated records of one pull, and the rejects with their owned texts. */
struct batch {
    struct pull *pull;
    const struct source *src;
    const char *unit; /* the part's unit, or NULL */
    struct store_obs *obs;
    long *pos; /* payload position of each obs */
    size_t n, cap_obs, cap_pos;
    struct store_reject *rej;
    size_t nrej, caprej;
    long n_missing;
    /* the last unit code looked up and its unit (-1: none yet): a payload's
     * records mostly come unit by unit */
    char last_unit[64];
    long last_unit_id;
    struct store_obs_delete *del; /* withdrawn keys (SDMX "Delete") */
    long *del_pos;
    size_t ndel, cap_del, cap_del_pos;
    struct collapse *coll; /* notes of obs whose series collapsed, by obs index */
    size_t ncoll, cap_coll;
    size_t *unm; /* per obs: 1 + offset of its unmapped components in unm_text, or 0 */
    size_t cap_unm;
    char *unm_text; /* the texts, each NUL-ended; a series' text is kept once */
    size_t unm_len, unm_cap, unm_last;
    char **status; /* the status codes of obs, each text once (obs point into it) */
    size_t nstatus, cap_status;
    int oom;
};

/* An observation the reader says is told from another only by components
 * the mapping leaves out (format_record.collapsed). */
struct collapse {
    size_t obs; /* index in batch.obs */
    char *note;
};

static void reject(struct batch *b, long position, const char *raw, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void reject(struct batch *b, long position, const char *raw, const char *fmt, ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    /* clang-analyzer 14 misreads va_start here (valist.Uninitialized). */
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    if (BUF_GROW(&b->rej, &b->caprej, b->nrej + 1, BUF_UNCAPPED) < 0) {
        b->oom = 1;
        return;
    }
    b->rej[b->nrej].position = position;
    b->rej[b->nrej].raw = raw ? strdup(raw) : NULL;
    b->rej[b->nrej].reason = strdup(reason);
    b->nrej++;
}

/* Looked up among the first statuses of the batch before a new copy is made:
 * a payload uses a handful of codes, and a long search per record is not
 * worth what it saves. */
#define STATUS_SHARED 32

/* The batch's own copy of status s (borrowed from the reader), or NULL for
 * none or when out of memory (*oom set). */
static const char *keep_status(struct batch *b, const char *s)
{
    if (!s || !s[0])
        return NULL;
    for (size_t i = 0; i < b->nstatus && i < STATUS_SHARED; i++)
        if (strcmp(b->status[i], s) == 0)
            return b->status[i];
    if (BUF_GROW(&b->status, &b->cap_status, b->nstatus + 1, BUF_UNCAPPED) < 0 ||
        !(b->status[b->nstatus] = strdup(s))) {
        b->oom = 1;
        return NULL;
    }
    return b->status[b->nstatus++];
}

/* Adds the observation of r: its value (missing: stored as missing, never
 * 0) and status. */
static int add_obs(struct batch *b, long unit, long ind, const struct format_record *r,
                   double value)
{
    /* Ids mapped once per config (collect_new): no store access here. */
    struct store_obs o = {.unit_id = b->pull->c->unit_ids[unit],
                          .indicator_id = b->pull->c->indicator_ids[ind],
                          .period = r->period,
                          /* NAN, not 0, for whoever reads the batch (the checks) */
                          .value = r->missing ? NAN : value,
                          .missing = r->missing != 0};

    if (o.unit_id < 0 || o.indicator_id < 0)
        return -ENOENT;
    o.status = keep_status(b, r->status);
    if (b->oom)
        return -ENOMEM;
    if (BUF_GROW(&b->obs, &b->cap_obs, b->n + 1, BUF_UNCAPPED) < 0 ||
        BUF_GROW(&b->pos, &b->cap_pos, b->n + 1, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    b->obs[b->n] = o;
    b->pos[b->n] = r->position;
    b->n++;
    return 0;
}

static int add_delete(struct batch *b, long unit, long ind, const struct format_record *r)
{
    struct store_obs_delete d = {.unit_id = b->pull->c->unit_ids[unit],
                                 .indicator_id = b->pull->c->indicator_ids[ind],
                                 .all_periods = r->all_periods};

    if (!r->all_periods)
        d.period = r->period;
    if (d.unit_id < 0 || d.indicator_id < 0)
        return -ENOENT;
    if (BUF_GROW(&b->del, &b->cap_del, b->ndel + 1, BUF_UNCAPPED) < 0 ||
        BUF_GROW(&b->del_pos, &b->cap_del_pos, b->ndel + 1, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    b->del[b->ndel] = d;
    b->del_pos[b->ndel++] = r->position;
    return 0;
}

/* Remembers the collapse note of the observation just added. */
static int add_collapse(struct batch *b, const char *note)
{
    if (BUF_GROW(&b->coll, &b->cap_coll, b->ncoll + 1, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    if (!(b->coll[b->ncoll].note = strdup(note)))
        return -ENOMEM;
    b->coll[b->ncoll++].obs = b->n - 1;
    return 0;
}

/* Remembers the unmapped components of the observation just added: the
 * same text as the one before is kept once. */
static int add_unmapped(struct batch *b, const char *comps)
{
    size_t len = comps ? strlen(comps) : 0, had = b->cap_unm;

    if (BUF_GROW(&b->unm, &b->cap_unm, b->n, BUF_UNCAPPED) < 0)
        return -ENOMEM;
    if (had == 0) /* the first: the observations before it have none */
        memset(b->unm, 0, b->cap_unm * sizeof(*b->unm));
    if (len == 0) {
        b->unm[b->n - 1] = 0;
        return 0;
    }
    if (b->unm_last == 0 || strcmp(b->unm_text + b->unm_last - 1, comps) != 0) {
        if (BUF_GROW(&b->unm_text, &b->unm_cap, b->unm_len + len + 1, BUF_UNCAPPED) < 0)
            return -ENOMEM;
        memcpy(b->unm_text + b->unm_len, comps, len + 1);
        b->unm_last = b->unm_len + 1;
        b->unm_len += len + 1;
    }
    b->unm[b->n - 1] = b->unm_last;
    return 0;
}

/* The collapse note of obs i, or NULL (coll is in obs order). */
static const char *collapse_of(const struct batch *b, size_t i)
{
    size_t lo = 0, hi = b->ncoll;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->coll[mid].obs < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < b->ncoll && b->coll[lo].obs == i ? b->coll[lo].note : NULL;
}

/* Checks one record: known unit and indicator, a base (not derived)
 * indicator, a period of its frequency, a finite number or a missing value
 * (stored as missing, never 0). A withdrawn value (SDMX "Delete") is checked
 * the same way, without a value. */
static int on_record(const struct format_record *r, void *ctx)
{
    struct batch *b = ctx;
    size_t n;
    const struct config_indicator *inds = config_indicators(b->pull->c->cfg, &n);
    const char *ucode = r->unit && *r->unit ? r->unit : b->unit;
    long unit = -1, ind;
    char ptext[PERIOD_TEXT_SIZE];
    double v;

    if (ucode && b->last_unit_id >= 0 && strcmp(ucode, b->last_unit) == 0) {
        unit = b->last_unit_id;
    } else if (ucode) {
        size_t len = strlen(ucode);
        unit = source_map_unit(b->src, ucode);
        b->last_unit_id = -1;
        if (unit >= 0 && len < sizeof(b->last_unit)) {
            memcpy(b->last_unit, ucode, len + 1);
            b->last_unit_id = unit;
        }
    }
    if (r->problem)
        return reject(b, r->position, format_record_raw(r), "%s", r->problem), 0;
    if (unit < 0)
        return reject(b, r->position, format_record_raw(r), "unknown unit \"%s\"",
                      ucode ? ucode : ""),
               0;
    if ((ind = source_map_indicator(b->src, r->indicator)) < 0)
        return reject(b, r->position, format_record_raw(r), "unknown indicator \"%s\"",
                      r->indicator),
               0;
    if (inds[ind].formula)
        return reject(b, r->position, format_record_raw(r),
                      "indicator \"%s\" is derived, not collected", inds[ind].code),
               0;
    if (r->action == FORMAT_ACTION_DELETE && r->all_periods) {
        if (add_delete(b, unit, ind, r) < 0)
            b->oom = 1;
        return 0;
    }
    if (!r->period_ok)
        return reject(b, r->position, format_record_raw(r), "bad period \"%s\"", r->period_raw), 0;
    if (r->period.freq != inds[ind].freq) {
        period_format(r->period, ptext, sizeof(ptext));
        return reject(b, r->position, format_record_raw(r), "period %s is not of %s's frequency %c",
                      ptext, inds[ind].code, period_freq_char(inds[ind].freq)),
               0;
    }
    if (r->action == FORMAT_ACTION_DELETE) {
        if (add_delete(b, unit, ind, r) < 0)
            b->oom = 1;
        return 0;
    }
    if (r->missing) {
        b->n_missing++;
        v = 0;
    } else {
        v = r->value * source_scale(b->src, ind);
        if (!r->value_ok || !isfinite(v))
            return reject(b, r->position, format_record_raw(r), "value is not a finite number"), 0;
    }
    if (add_obs(b, unit, ind, r, v) < 0 || (r->collapsed && add_collapse(b, r->collapsed) < 0) ||
        ((r->unmapped || b->unm) && add_unmapped(b, r->unmapped) < 0))
        b->oom = 1;
    return 0;
}

/*
 * Later occurrences of a key in the payload become rejects. When the reader
 * said the two differ in components the mapping leaves out (a collapsed
 * dimension), neither is kept: the value under that key would be one of
 * several the source has, picked by order.
 */
/* Is every key greater than the one before (unit, indicator, period, in
 * store_find_duplicates()'s order)? Then no key is there twice: a payload
 * written in key order, the usual, needs no sort. */
static int keys_ascending(const struct batch *b)
{
    for (size_t i = 1; i < b->n; i++) {
        const struct store_obs *x = &b->obs[i - 1], *y = &b->obs[i];
        if (x->unit_id != y->unit_id) {
            if (x->unit_id > y->unit_id)
                return 0;
        } else if (x->indicator_id != y->indicator_id) {
            if (x->indicator_id > y->indicator_id)
                return 0;
        } else if (period_cmp(x->period, y->period) >= 0) {
            return 0;
        }
    }
    return 1;
}

static int drop_duplicates(struct batch *b)
{
    long *first_of, dups;
    char *drop;
    size_t kept = 0;

    if (b->n < 2 || keys_ascending(b))
        return 0;
    if (!(first_of = malloc(b->n * sizeof(*first_of))) || !(drop = calloc(b->n, 1))) {
        free(first_of);
        return -ENOMEM;
    }
    if ((dups = store_find_duplicates(b->obs, b->n, first_of)) < 0) {
        free(first_of);
        free(drop);
        return (int)dups;
    }
    for (size_t i = 0; i < b->n; i++) {
        if (first_of[i] < 0)
            continue;
        size_t j = (size_t)first_of[i];
        const char *note = collapse_of(b, i);
        drop[i] = 1;
        if (!note && !(note = collapse_of(b, j))) {
            reject(b, b->pos[i], NULL, "duplicate of record %ld", b->pos[j]);
            continue;
        }
        reject(b, b->pos[i], NULL,
               "same unit, indicator and period as record %ld, told apart only by %s, which "
               "the mapping leaves out (put it in the indicator, or filter it)",
               b->pos[j], note);
        if (!drop[j])
            reject(b, b->pos[j], NULL,
                   "same unit, indicator and period as record %ld, told apart only by %s, "
                   "which the mapping leaves out (put it in the indicator, or filter it)",
                   b->pos[i], note);
        drop[j] = 1;
    }
    for (size_t i = 0; i < b->n; i++) {
        if (drop[i])
            continue;
        b->obs[kept] = b->obs[i];
        b->pos[kept] = b->pos[i];
        if (b->unm)
            b->unm[kept] = b->unm[i];
        kept++;
    }
    b->n = kept;
    free(first_of);
    free(drop);
    return 0;
}

static void batch_free(struct batch *b)
{
    for (size_t i = 0; i < b->nrej; i++) {
        free((char *)b->rej[i].raw);
        free((char *)b->rej[i].reason);
    }
    free(b->rej);
    free(b->obs);
    free(b->pos);
    free(b->del);
    free(b->del_pos);
    for (size_t i = 0; i < b->ncoll; i++)
        free(b->coll[i].note);
    free(b->coll);
    free(b->unm);
    free(b->unm_text);
    for (size_t i = 0; i < b->nstatus; i++)
        free(b->status[i]);
    free(b->status);
}

/* Reads every OK part into b with a reader of its own (readers keep state,
 * and pulls of one source may be read at once). Returns 0, or -EBADMSG /
 * -ENOMEM with errbuf set. */
static int read_parts(struct pull *p, struct batch *b, char *errbuf, size_t errsize)
{
    const struct config_source *cs = source_config(b->src);
    struct format *fmt = NULL;
    char ferr[384]; /* leaves room for "unit: " in errbuf */
    int rc = 0;

    if (format_new(&fmt, cs->format, &cs->mapping, ferr, sizeof(ferr)) < 0) {
        snprintf(errbuf, errsize, "format: %s", ferr);
        return -EBADMSG;
    }

    for (size_t i = 0; i < p->n_parts; i++) {
        struct pull_part *part = &p->parts[i];
        const char *who = part->unit ? part->unit : "payload";

        if (part->outcome != FETCH_OK)
            continue;
        if (part->len == 0 || !part->body) {
            snprintf(errbuf, errsize, "%s: empty payload", who);
            rc = -EBADMSG;
            break;
        }
        b->unit = part->unit;
        rc = format_read(fmt, part->body, part->len, on_record, b, ferr, sizeof(ferr));
        if (rc < 0 || b->oom) {
            snprintf(errbuf, errsize, "%s: %s", who, b->oom ? "out of memory" : ferr);
            rc = -EBADMSG;
            break;
        }
    }
    format_free(&fmt);
    if (rc == 0 && drop_duplicates(b) < 0) {
        snprintf(errbuf, errsize, "out of memory");
        rc = -ENOMEM;
    }
    return rc;
}

int collect_needs_parse(const struct pull *p)
{
    size_t ok = 0;
    for (size_t i = 0; i < p->n_parts; i++) {
        if (p->parts[i].outcome == FETCH_FAILED || p->parts[i].outcome == FETCH_CANCELLED)
            return 0;
        ok += p->parts[i].outcome == FETCH_OK;
    }
    return ok > 0;
}

void collect_parse(struct pull *p)
{
    struct batch *b = calloc(1, sizeof(*b));
    if (!b) {
        p->parse_rc = -ENOMEM;
        snprintf(p->parse_err, sizeof(p->parse_err), "out of memory");
        return;
    }
    b->pull = p;
    b->src = p->c->sources[p->index];
    b->last_unit_id = -1;
    p->batch = b;
    p->parse_rc = read_parts(p, b, p->parse_err, sizeof(p->parse_err));
}

void collect_batch_free(struct pull *p)
{
    if (p->batch) {
        batch_free(p->batch);
        free(p->batch);
        p->batch = NULL;
    }
}

/* Marks every index whose frequency contains period. */
static void mark_period(struct pull *p, struct period period)
{
    size_t n;
    const struct config_index *idx = config_indices(p->c->cfg, &n);

    for (size_t k = 0; k < n; k++) {
        struct period q;
        char text[PERIOD_TEXT_SIZE];
        if (period_container(period, idx[k].freq, &q) < 0)
            continue;
        period_format(q, text, sizeof(text));
        store_mark_recompute(p->c->st, idx[k].id, text);
    }
}

/* Marks every index whose frequency contains the ingested periods. */
static void mark_recompute(struct pull *p, const struct batch *b)
{
    struct period seen = {0};

    for (size_t i = 0; i < b->n; i++) {
        if (i > 0 && period_cmp(b->obs[i].period, seen) == 0)
            continue;
        seen = b->obs[i].period;
        mark_period(p, seen);
    }
}

/* store_deleted_cb: a withdrawn value's period needs its indices again. */
static void on_deleted(const char *period, void *ctx)
{
    struct period q;

    if (period_parse_str(&q, period) == 0)
        mark_period(ctx, q);
}

struct tally {
    size_t ok, not_modified, not_published, failed, cancelled;
    const struct pull_part *first_failed;
};

static struct tally tally_parts(const struct pull *p, struct collect_result *res)
{
    struct tally t = {0};
    for (size_t i = 0; i < p->n_parts; i++) {
        const struct pull_part *part = &p->parts[i];
        res->bytes += part->len;
        res->http_status = part->http_status;
        switch (part->outcome) {
        case FETCH_OK:
            t.ok++;
            break;
        case FETCH_NOT_MODIFIED:
            t.not_modified++;
            break;
        case FETCH_NOT_PUBLISHED:
            t.not_published++;
            break;
        case FETCH_CANCELLED:
            t.cancelled++;
            break;
        case FETCH_FAILED:
            if (!t.first_failed)
                t.first_failed = part;
            t.failed++;
            break;
        }
    }
    if (t.first_failed)
        res->http_status = t.first_failed->http_status;
    return t;
}

/* Ingests the batch after its consistency checks (check_batch.h): the
 * records a "reject" check refuses become rejects, the others are stored,
 * then the violations found. */
static int ingest_checked(struct pull *p, struct batch *b, struct collect_result *res, int64_t now)
{
    struct store *st = p->c->st;
    struct check_batch cb;
    struct store_obs *keep = b->obs;
    size_t nkeep = b->n;
    int rc = check_batch_run(st, p->c->cfg, b->obs, b->n, &cb);

    if (rc < 0)
        return rc;
    if (cb.n_refused && !(keep = malloc((b->n ? b->n : 1) * sizeof(*keep))))
        rc = -ENOMEM;
    for (size_t i = 0; cb.n_refused && rc == 0 && i < b->n; i++) {
        if (i == 0)
            nkeep = 0;
        if (cb.refused[i])
            reject(b, b->pos[i], cb.raw[i], "%s", cb.refused[i]);
        else
            keep[nkeep++] = b->obs[i];
    }
    if (rc == 0 && b->oom)
        rc = -ENOMEM;
    if (rc == 0)
        rc = store_ingest(st, res->run_id, now, keep, nkeep, b->rej, b->nrej, &res->counts);
    if (rc == 0 && check_batch_store(st, &cb, res->run_id, now) < 0)
        log_warning("%s: consistency check violations not stored: %s", res->source,
                    store_errmsg(st)); /* the recompute finds the flags again */
    if (keep != b->obs)
        free(keep);
    check_batch_free(&cb);
    return rc;
}

/*
 * Across pulls: a series whose components the mapping leaves out differ from
 * those an earlier pull stored for its (unit, indicator) is not a revision
 * of it (SEX=F after SEX=M): its observations become rejects naming the
 * component (store_components_check()). Returns 0 or -EIO.
 */
static int check_components(struct pull *p, struct batch *b)
{
    const char *source = source_config(b->src)->id;
    int64_t unit = -1, ind = -1;
    size_t last = 0, kept = 0;
    char note[256] = "";
    int verdict = 0;

    if (!b->unm)
        return 0;
    for (size_t i = 0; i < b->n; i++) {
        const struct store_obs *o = &b->obs[i];
        if (b->unm[i] == 0) {
            b->obs[kept] = b->obs[i];
            b->pos[kept] = b->pos[i];
            b->unm[kept++] = b->unm[i];
            continue;
        }
        if (o->unit_id != unit || o->indicator_id != ind || b->unm[i] != last) {
            unit = o->unit_id;
            ind = o->indicator_id;
            last = b->unm[i];
            verdict = store_components_check(p->c->st, source, unit, ind, b->unm_text + last - 1,
                                             note, sizeof(note));
            if (verdict < 0)
                return verdict;
        }
        if (verdict == 1) {
            reject(b, b->pos[i], NULL,
                   "same unit and indicator as stored from an earlier pull of source \"%s\", "
                   "told apart only by %s, which the mapping leaves out (put it in the "
                   "indicator, or filter it)",
                   source, note);
            continue;
        }
        b->obs[kept] = b->obs[i];
        b->pos[kept] = b->pos[i];
        b->unm[kept++] = b->unm[i];
    }
    b->n = kept;
    return b->oom ? -ENOMEM : 0;
}

/* Stores the validated batch: one transaction, then the pull's bookkeeping. */
static int store_batch(struct pull *p, struct batch *b, struct collect_result *res)
{
    struct store *st = p->c->st;
    int64_t now = time_now_us();
    int rc;

    /* Withdrawn values first: a payload that withdraws and sends a key
     * again leaves the value it sends. */
    rc = store_delete_obs(st, now, b->del, b->ndel, on_deleted, p, &res->n_deleted);
    if (rc < 0 || (rc = check_components(p, b)) < 0)
        return rc;
    rc = ingest_checked(p, b, res, now);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < p->n_parts; i++) {
        const struct pull_part *part = &p->parts[i];
        if (part->outcome == FETCH_OK && !p->no_validators)
            store_validators_put(st, res->source, p->period_text, part->unit ? part->unit : "",
                                 part->etag, part->last_modified);
    }
    res->n_missing = b->n_missing;
    res->n_absent = store_count_absent(st, res->run_id, res->source, p->period_text, b->obs, b->n);
    if (res->n_absent < 0)
        res->n_absent = 0;
    mark_recompute(p, b);
    return 0;
}

static void finish_run(struct pull *p, struct collect_result *res, int success, int not_published)
{
    struct store *st = p->c->st;
    struct store_health h = {0};
    int64_t now = time_now_us();

    store_run_end(st, res->run_id, now, res->outcome, &res->counts, res->error);
    store_run_transfer(st, res->run_id, res->http_status, (long)res->bytes);
    store_pull_record(st, res->source, p->period_text, p->started_us, success, not_published);
    h.source = res->source;
    h.last_attempt = p->started_us;
    h.last_success = success ? now : 0;
    h.failed = collect_outcome_failed(res->outcome);
    h.last_outcome = res->outcome;
    h.last_status = res->http_status;
    h.last_error = res->error;
    h.last_duration_s = (double)(uv_hrtime() - p->started_ns) / 1e9;
    h.last_bytes = (long)res->bytes;
    h.last_counts = res->counts;
    store_health_record(st, &h);
}

/* Stores what collect_parse() read (reading it now if the thread pool did not). */
static void fail(struct collect_result *res, const char *why)
{
    res->outcome = "failed";
    res->error = why;
    memset(&res->counts, 0, sizeof(res->counts));
}

static void store_parsed(struct pull *p, struct collect_result *res, char *errbuf, size_t errsize)
{
    if (!p->batch && p->parse_rc == 0)
        collect_parse(p);
    if (p->parse_rc < 0 || !p->batch) {
        snprintf(errbuf, errsize, "%s", p->parse_rc < 0 ? p->parse_err : "out of memory");
        fail(res, errbuf);
        return;
    }
    /* The crash test (tests/integration/test_crash.sh) waits for this line. */
    log_debug("source %s %s: storing %zu records", res->source, p->period_text, p->batch->n);
    if (store_batch(p, p->batch, res) < 0) {
        snprintf(errbuf, errsize, "store: %s", store_errmsg(p->c->st));
        fail(res, errbuf);
        return;
    }
    res->outcome = collect_outcome(&res->counts);
    if (!strcmp(res->outcome, "rejected")) {
        snprintf(errbuf, errsize, "all %ld records rejected", res->counts.n_rejected);
        res->error = errbuf;
    }
}

const char *collect_outcome(const struct store_counts *c)
{
    if (c->n_rejected == 0)
        return "ok";
    return c->n_new + c->n_revised + c->n_unchanged > 0 ? "partial" : "rejected";
}

int collect_outcome_failed(const char *outcome)
{
    return !strcmp(outcome, "failed") || !strcmp(outcome, "rejected");
}

int collect_outcome_success(const char *outcome)
{
    return !strcmp(outcome, "ok") || !strcmp(outcome, "partial") || !strcmp(outcome, "unchanged");
}

void collect_ingest(struct pull *p, struct collect_result *res, char *errbuf, size_t errsize)
{
    struct tally t = tally_parts(p, res);

    if (t.cancelled || p->c->closing) {
        res->outcome = "cancelled";
        return;
    }
    /* The whole pull is one transaction: its run, its records and rejects,
     * its validators, pull state and health; a crash keeps all or none. */
    if (store_begin(p->c->st) < 0 ||
        store_run_begin(p->c->st, res->source, p->period_text, p->started_us, &res->run_id) < 0) {
        snprintf(errbuf, errsize, "store: %s", store_errmsg(p->c->st));
        res->outcome = "failed";
        res->error = errbuf;
        store_rollback(p->c->st);
        return;
    }
    if (t.failed) {
        snprintf(errbuf, errsize, "%s%s%s", t.first_failed->unit ? t.first_failed->unit : "",
                 t.first_failed->unit ? ": " : "",
                 t.first_failed->error ? t.first_failed->error : "failed");
        res->outcome = "failed";
        res->error = errbuf;
    } else if (t.not_published == p->n_parts) {
        res->outcome = "not_published";
    } else if (t.ok == 0) {
        res->outcome = "unchanged";
    } else {
        store_parsed(p, res, errbuf, errsize);
    }
    /* A source-period with some units not yet published is polled again. */
    finish_run(p, res, t.not_published == 0 && collect_outcome_success(res->outcome),
               t.not_published > 0);
    if (store_commit(p->c->st) < 0) {
        log_err("source %s %s: commit failed: %s", res->source, p->period_text,
                store_errmsg(p->c->st));
        snprintf(errbuf, errsize, "store: %s", store_errmsg(p->c->st));
        res->outcome = "failed";
        res->error = errbuf;
        memset(&res->counts, 0, sizeof(res->counts));
    } else {
        res->recorded = 1; /* unless its group's commit fails (collect.c) */
    }
    collect_batch_free(p);
}

int collect_import(struct collect *c, size_t index, const char *run_source, const char *unit,
                   const char *buf, size_t len, struct collect_result *res, char *errbuf,
                   size_t errsize)
{
    struct pull_part part = {.outcome = FETCH_OK, .body = (char *)buf, .len = len};
    struct pull p = {.c = c, .index = index, .parts = &part, .n_parts = 1, .no_validators = 1};
    struct store *st = c->st;
    int rc, begun = 0;

    memset(res, 0, sizeof(*res));
    res->source = run_source;
    res->outcome = "failed";
    res->bytes = len;
    if (index >= c->n_sources)
        return -EINVAL;
    part.pull = &p;
    part.unit = (char *)unit; /* only read */
    p.started_us = time_now_us();
    /* the run first, committed at once: a crash leaves it open (interrupted) */
    if ((rc = store_run_begin(st, run_source, NULL, p.started_us, &res->run_id)) < 0) {
        snprintf(errbuf, errsize, "store: %s", store_errmsg(st));
        res->error = errbuf;
        return rc;
    }
    collect_parse(&p); /* the pull's own reading and checks, on this thread */
    if (p.parse_rc < 0 || !p.batch) {
        snprintf(errbuf, errsize, "%s", p.parse_rc < 0 ? p.parse_err : "out of memory");
        rc = p.parse_rc < 0 ? p.parse_rc : -ENOMEM;
    } else if ((rc = store_begin(st)) < 0 || (begun = 1, rc = store_batch(&p, p.batch, res)) < 0) {
        snprintf(errbuf, errsize, "store: %s", store_errmsg(st));
    } else {
        res->outcome = collect_outcome(&res->counts);
        if (!strcmp(res->outcome, "rejected")) {
            snprintf(errbuf, errsize, "all %ld records rejected", res->counts.n_rejected);
            res->error = errbuf;
        }
        if ((rc = store_run_end(st, res->run_id, time_now_us(), res->outcome, &res->counts,
                                res->error)) == 0) {
            begun = 0; /* committed, or rolled back by a failed commit */
            rc = store_commit(st);
        }
        if (rc < 0)
            snprintf(errbuf, errsize, "store: %s", store_errmsg(st));
    }
    if (begun)
        store_rollback(st);
    collect_batch_free(&p);
    if (rc < 0) {
        res->outcome = "failed";
        res->error = errbuf;
        memset(&res->counts, 0, sizeof(res->counts));
        store_run_end(st, res->run_id, time_now_us(), "failed", &res->counts, errbuf);
    }
    return rc;
}
