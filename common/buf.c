/*
 * buf.c - the capped growable byte buffer and the array growth rule (buf.h).
 *
 * Arrays are reached through a void * that points at the caller's array
 * pointer; the pointer is read and written with memcpy, so any element type
 * works without casting through void ** (which C does not allow to alias a
 * struct foo **).
 */
#include "common/buf.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Grows an array to hold need elements (see buf.h). */
int buf_grow(void *pp, size_t *cap, size_t need, size_t elem, size_t max)
{
    void *p, *np;
    size_t c;

    assert(pp && cap && elem > 0);
    if (need <= *cap)
        return 0;
    if (max > SIZE_MAX / elem)
        max = SIZE_MAX / elem;
    if (need > max)
        return -E2BIG;
    c = *cap ? *cap : BUF_FIRST_BYTES / elem;
    if (c == 0)
        c = 1;
    while (c < need)
        c = c > max / 2 ? max : c * 2;
    if (c > max)
        c = max;
    memcpy(&p, pp, sizeof(p));
    if (!(np = realloc(p, c * elem)))
        return -ENOMEM;
    memcpy(pp, &np, sizeof(np));
    *cap = c;
    return 0;
}

/* Empties b with cap max (see buf.h). */
void buf_init(struct buf *b, size_t max)
{
    *b = (struct buf){.max = max < SIZE_MAX ? max : SIZE_MAX - 1};
}

/* Room for n more bytes and the NUL; records and returns the first failure. */
static int room(struct buf *b, size_t n)
{
    int rc;

    if (b->err)
        return b->err;
    if (b->len > b->max || n > b->max - b->len)
        return b->err = -E2BIG;
    /* len + n <= max <= SIZE_MAX - 1, so the NUL's byte cannot overflow. */
    if ((rc = buf_grow(&b->p, &b->cap, b->len + n + 1, 1, b->max + 1)) < 0)
        return b->err = rc;
    return 0;
}

/* Appends n bytes (see buf.h). */
int buf_add(struct buf *b, const void *p, size_t n)
{
    int rc = room(b, n);

    if (rc < 0)
        return rc;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

/* Appends a string (see buf.h). */
int buf_addstr(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

/* Appends formatted text (see buf.h). */
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n, rc;

    if (b->err)
        return b->err;
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return b->err = -EINVAL;
    if ((rc = room(b, (size_t)n)) < 0)
        return rc;
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

/* Appends formatted text (see buf.h). */
int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

/* Hands the content over (see buf.h). */
char *buf_take(struct buf *b, size_t *len)
{
    char *p = b->p;

    if (!p && !(p = calloc(1, 1)))
        return NULL;
    if (len)
        *len = b->len;
    buf_init(b, b->max);
    return p;
}

/* Empties b, keeping its memory (see buf.h). */
void buf_reset(struct buf *b)
{
    b->len = 0;
    b->err = 0;
    if (b->p)
        b->p[0] = '\0';
}

/* Frees the content (see buf.h). */
void buf_free(struct buf *b)
{
    if (!b)
        return;
    free(b->p);
    buf_init(b, b->max);
}
