/*
 * cache.c - the API's data epoch and its cache of finished answers.
 *
 * Epoch: the database's change counter (PRAGMA data_version on a connection
 * of the API's own) turned into a number that only grows; it changes when the
 * daemon commits anything (a pull, a recompute). ETags are the request URI
 * hashed with the epoch and a nonce drawn at start, so they never repeat
 * across restarts.
 *
 * Cache: the bytes of 200 answers to GET requests, keyed by URI, encoding
 * (gzip or not) and epoch, in a small direct-mapped table: a repeated query
 * between two commits costs a hash and a memcpy instead of SQL and JSON. An
 * answer from an older epoch is never served.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_priv.h"
#include "common/log.h"

#define CACHE_SLOTS    256
#define CACHE_MAX_BODY (1u << 20) /* larger answers are not kept */

/* Answer bytes shared by the cache and the responses sending them. */
struct api_blob {
    atomic_size_t refs;
    size_t len;
    char data[];
};

void api_blob_unref(void *cls)
{
    struct api_blob *b = cls;
    if (b && atomic_fetch_sub(&b->refs, 1) == 1)
        free(b);
}

struct cache_entry {
    uint64_t hash;
    char *uri;
    int gzip;    /* the key: the client accepts gzip */
    int gzipped; /* the bytes are gzip (small answers stay plain) */
    uint64_t epoch;
    struct api_blob *blob;
    const char *content_type; /* static string */
    const char *endpoint;     /* metrics label, static string */
    char etag[32];
    int paged; /* a page of a list: its total and next cursor for the headers */
    long page_total, page_limit;
    char *next; /* NULL: none */
};

struct api_cache {
    pthread_mutex_t mu; /* guards everything below */
    struct store *st;   /* the epoch connection */
    int64_t last_counter;
    uint64_t epoch;
    uint64_t nonce;
    struct cache_entry slots[CACHE_SLOTS];
};

uint64_t api_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

int api_cache_new(struct api_cache **out, const char *db_path, char *err, size_t errsize)
{
    struct api_cache *c = calloc(1, sizeof(*c));
    struct timespec ts;
    int rc;

    *out = NULL;
    if (!c)
        return -ENOMEM;
    if ((rc = store_open(&c->st, db_path, STORE_READONLY, err, errsize)) < 0) {
        free(c);
        return rc;
    }
    pthread_mutex_init(&c->mu, NULL);
    clock_gettime(CLOCK_REALTIME, &ts);
    c->nonce = api_fnv1a(0xcbf29ce484222325ULL, &ts, sizeof(ts));
    store_change_counter(c->st, &c->last_counter);
    *out = c;
    return 0;
}

static void entry_clear(struct cache_entry *e)
{
    free(e->next);
    free(e->uri);
    api_blob_unref(e->blob);
    memset(e, 0, sizeof(*e));
}

void api_cache_free(struct api_cache **cp)
{
    struct api_cache *c = cp ? *cp : NULL;
    if (!c)
        return;
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        entry_clear(&c->slots[i]);
    store_close(&c->st);
    pthread_mutex_destroy(&c->mu);
    free(c);
    *cp = NULL;
}

/* The current epoch (caller holds c->mu). */
static uint64_t epoch_locked(struct api_cache *c)
{
    int64_t counter;
    if (store_change_counter(c->st, &counter) < 0 || counter != c->last_counter) {
        c->last_counter = counter;
        c->epoch++; /* on an error too: better a miss than a stale answer */
    }
    return c->epoch;
}

void api_cache_etag(struct api_cache *c, const char *uri, size_t len, char *etag, size_t size,
                    uint64_t *epoch)
{
    pthread_mutex_lock(&c->mu);
    *epoch = epoch_locked(c);
    pthread_mutex_unlock(&c->mu);
    uint64_t h = api_fnv1a(c->nonce, uri, len);
    h = api_fnv1a(h, epoch, sizeof(*epoch));
    snprintf(etag, size, "W/\"%016llx\"", (unsigned long long)h);
}

static struct cache_entry *slot(struct api_cache *c, const char *uri, size_t len, int gzip,
                                uint64_t *hash)
{
    *hash = api_fnv1a(0xcbf29ce484222325ULL ^ (uint64_t)gzip, uri, len);
    return &c->slots[*hash % CACHE_SLOTS];
}

/* The entry for uri of this epoch, or NULL (caller holds c->mu). */
static struct cache_entry *find_locked(struct api_cache *c, const char *uri, size_t len, int gzip,
                                       uint64_t epoch)
{
    uint64_t hash;
    struct cache_entry *e = slot(c, uri, len, gzip, &hash);
    return e->blob && e->hash == hash && e->epoch == epoch && e->gzip == gzip &&
                   strcmp(e->uri, uri) == 0
               ? e
               : NULL;
}

/* rp answers from e: the bytes shared, not copied (the response holds a
 * reference until sent). */
static void fill(const struct cache_entry *e, struct api_reply *rp)
{
    atomic_fetch_add(&e->blob->refs, 1);
    rp->blob = e->blob;
    rp->body = e->blob->data;
    rp->len = e->blob->len;
    rp->content_type = e->content_type;
    rp->status = 200;
    rp->pre_gzipped = e->gzipped;
    rp->from_cache = 1;
    rp->paged = e->paged;
    rp->page_total = e->page_total;
    rp->page_limit = e->page_limit;
    snprintf(rp->next, sizeof(rp->next), "%s", e->next ? e->next : "");
}

int api_cache_get(struct api_cache *c, const char *uri, size_t len, int gzip, uint64_t epoch,
                  struct api_reply *rp)
{
    pthread_mutex_lock(&c->mu);
    struct cache_entry *e = find_locked(c, uri, len, gzip, epoch);
    if (e)
        fill(e, rp);
    pthread_mutex_unlock(&c->mu);
    return e != NULL;
}

int api_cache_lookup(struct api_cache *c, const char *uri, size_t len, int gzip,
                     struct api_reply *rp, const char **endpoint)
{
    pthread_mutex_lock(&c->mu);
    uint64_t epoch = epoch_locked(c);
    struct cache_entry *e = find_locked(c, uri, len, gzip, epoch);
    if (e) {
        fill(e, rp);
        memcpy(rp->etag, e->etag, sizeof(rp->etag));
        rp->epoch = epoch;
        rp->cacheable = 1;
        *endpoint = e->endpoint;
    }
    pthread_mutex_unlock(&c->mu);
    return e != NULL;
}

void api_cache_put(struct api_cache *c, const char *uri, size_t len, int gzip, int gzipped,
                   uint64_t epoch, const struct api_reply *rp, const char *endpoint)
{
    uint64_t hash;
    struct api_blob *blob;
    char *key;

    if (rp->len > CACHE_MAX_BODY)
        return;
    blob = malloc(sizeof(*blob) + (rp->len ? rp->len : 1));
    key = strdup(uri);
    char *next = rp->paged && rp->next[0] ? strdup(rp->next) : NULL;
    if (!blob || !key || (rp->paged && rp->next[0] && !next)) {
        free(blob);
        free(key);
        free(next);
        return;
    }
    atomic_init(&blob->refs, 1);
    blob->len = rp->len;
    memcpy(blob->data, rp->body, rp->len);
    pthread_mutex_lock(&c->mu);
    struct cache_entry *e = slot(c, uri, len, gzip, &hash);
    entry_clear(e);
    *e = (struct cache_entry){.hash = hash,
                              .uri = key,
                              .gzip = gzip,
                              .gzipped = gzipped,
                              .epoch = epoch,
                              .blob = blob,
                              .content_type = rp->content_type,
                              .endpoint = endpoint,
                              .paged = rp->paged,
                              .page_total = rp->page_total,
                              .page_limit = rp->page_limit,
                              .next = next};
    memcpy(e->etag, rp->etag, sizeof(e->etag));
    pthread_mutex_unlock(&c->mu);
}
