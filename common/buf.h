/*
 * buf.h - one growable byte buffer with a hard size cap (curl's dynbuf idea),
 * and one growth rule for arrays of any element type.
 *
 * Every growable buffer and array in parkstat grows through buf_grow(): its
 * capacity doubles from a first allocation of BUF_FIRST_BYTES, never past the
 * cap its owner names (FETCH_MAX_BYTES_DEFAULT, CLIENT_MAX_BODY, API_MAX_REPLY,
 * METRICS_MAX_TEXT, ...; BUF_UNCAPPED for arrays bounded only by memory). A
 * failure leaves what is held untouched.
 *
 *   struct buf b;
 *   buf_init(&b, API_MAX_REPLY);
 *   buf_add(&b, "a,b\r\n", 5);
 *   buf_printf(&b, "%d,%d\r\n", 1, 2);
 *   if (b.err) ... (-E2BIG past the cap, -ENOMEM)
 *   char *text = buf_take(&b, &len);
 */
#ifndef PARKSTAT_BUF_H
#define PARKSTAT_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* The first allocation of a buffer or array, in bytes (at least one element). */
#define BUF_FIRST_BYTES 1024
/* The cap of an array whose size only memory limits. */
#define BUF_UNCAPPED SIZE_MAX

struct buf {
    char *p;    /* NULL until something was added, then NUL-terminated */
    size_t len; /* bytes held, without the terminating NUL */
    size_t cap; /* bytes allocated, the NUL's included */
    size_t max; /* most bytes it may hold, without the NUL */
    int err;    /* the first failure (-E2BIG, -ENOMEM, -EINVAL); 0 when none */
};

/* Makes b empty, holding at most max bytes (SIZE_MAX - 1 at most: the NUL
 * needs one). Allocates nothing. */
void buf_init(struct buf *b, size_t max);

/*
 * Appends n bytes from p (NULL when n is 0). Returns 0; -E2BIG when the buffer
 * would hold more than its max; -ENOMEM. A failure is sticky: b->err keeps the
 * first one, and later adds fail with it (so a caller may add many pieces and
 * check b->err once); what the buffer held before stays, NUL-terminated.
 */
int buf_add(struct buf *b, const void *p, size_t n);

/* buf_add() of a NUL-terminated string. */
int buf_addstr(struct buf *b, const char *s);

/* Appends printf-formatted text. Returns as buf_add(), or -EINVAL when the
 * format fails. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/*
 * Hands over the content: a malloc'd, NUL-terminated string of *len bytes
 * (len may be NULL), "" when nothing was added; the caller frees it. b is left
 * empty with the same max and no error. NULL (and b unchanged) when out of
 * memory for an empty string.
 */
char *buf_take(struct buf *b, size_t *len);

/* Empties b but keeps its memory and max, and clears the error. */
void buf_reset(struct buf *b);

/* Frees the content and empties b (keeping max). NULL is a harmless no-op. */
void buf_free(struct buf *b);

/*
 * Makes room for need elements of elem bytes in the array *pp (a pointer to
 * the array pointer, any element type) whose capacity is *cap elements: when
 * need > *cap the capacity doubles from BUF_FIRST_BYTES / elem (at least one)
 * until it holds need, clamped to max elements. Returns 0; -E2BIG when need is
 * over max (or need * elem over SIZE_MAX); -ENOMEM. On failure *pp and *cap
 * are unchanged.
 */
int buf_grow(void *pp, size_t *cap, size_t need, size_t elem, size_t max);

/* buf_grow() with the element size taken from the array pointer's type. */
#define BUF_GROW(pp, capp, need, max) buf_grow((pp), (capp), (need), sizeof(**(pp)), (max))

#endif
