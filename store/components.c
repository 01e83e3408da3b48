/*
 * components.c - the components a source's mapping leaves out, per (source,
 * unit, indicator), and the check of a later pull's against them (see
 * components.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/components.h"
#include "store/store_priv.h"

static const char get_sql[] = "SELECT components FROM series_components"
                              " WHERE source = ?1 AND unit_id = ?2 AND indicator_id = ?3";
static const char put_sql[] =
    "INSERT INTO series_components(source, unit_id, indicator_id, components)"
    " VALUES(?1, ?2, ?3, ?4) ON CONFLICT(source, unit_id, indicator_id)"
    " DO UPDATE SET components = excluded.components";

/* The code of id (idlen bytes) in a components text, its length in *len;
 * NULL when the text has no such id. */
static const char *code_of(const char *comps, const char *id, size_t idlen, size_t *len)
{
    for (const char *p = comps; p && *p;) {
        const char *end = strchr(p, '\x1f');
        size_t plen = end ? (size_t)(end - p) : strlen(p);
        if (plen > idlen && memcmp(p, id, idlen) == 0 && p[idlen] == '=') {
            *len = plen - idlen - 1;
            return p + idlen + 1;
        }
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

/* Compares comps with the stored text old. Returns 1 with the note when a
 * component both have differs, else 0 and in *added the number of bytes of
 * comps whose ids old lacks. */
static int differs(const char *old, const char *comps, char *note, size_t size, size_t *added)
{
    *added = 0;
    for (const char *p = comps; p && *p;) {
        const char *end = strchr(p, '\x1f'), *eq = strchr(p, '=');
        size_t plen = end ? (size_t)(end - p) : strlen(p), olen = 0;
        if (!eq || (size_t)(eq - p) >= plen) {
            p = end ? end + 1 : NULL;
            continue;
        }
        size_t idlen = (size_t)(eq - p), clen = plen - idlen - 1;
        const char *oc = code_of(old, p, idlen, &olen);
        if (!oc) {
            *added += plen + 1;
        } else if (olen != clen || memcmp(oc, eq + 1, clen) != 0) {
            snprintf(note, size, "%.*s (\"%.*s\" before, \"%.*s\" here)",
                     (int)(idlen > 64 ? 64 : idlen), p, (int)(olen > 40 ? 40 : olen), oc,
                     (int)(clen > 40 ? 40 : clen), eq + 1);
            return 1;
        }
        p = end ? end + 1 : NULL;
    }
    return 0;
}

/* Appends to old the components of comps it lacks; a new text or NULL. */
static char *merged(const char *old, const char *comps, size_t added)
{
    size_t n = strlen(old), o;
    char *out = malloc(n + added + 2);

    if (!out)
        return NULL;
    memcpy(out, old, n);
    o = n;
    if (o > 0 && out[o - 1] != '\x1f')
        out[o++] = '\x1f';
    for (const char *p = comps; p && *p;) {
        const char *end = strchr(p, '\x1f'), *eq = strchr(p, '=');
        size_t plen = end ? (size_t)(end - p) : strlen(p), olen;
        if (eq && (size_t)(eq - p) < plen && !code_of(old, p, (size_t)(eq - p), &olen)) {
            memcpy(out + o, p, plen);
            o += plen;
            out[o++] = '\x1f';
        }
        p = end ? end + 1 : NULL;
    }
    out[o] = '\0';
    return out;
}

/* Writes text as the key's components. 0 or -EIO. */
static int put(struct store *st, const char *source, int64_t unit_id, int64_t indicator_id,
               const char *text)
{
    sqlite3_stmt *s = store_stmt_cached(st, put_sql);
    int rc;

    if (!s)
        return -EIO;
    sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, unit_id);
    sqlite3_bind_int64(s, 3, indicator_id);
    sqlite3_bind_text(s, 4, text, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc == SQLITE_DONE ? 0 : store_fail(st, "store series components");
}

int store_components_check(struct store *st, const char *source, int64_t unit_id,
                           int64_t indicator_id, const char *comps, char *note, size_t size)
{
    sqlite3_stmt *s = store_stmt_cached(st, get_sql);
    char *old = NULL, *text;
    size_t added = 0;
    int rc;

    if (!s)
        return -EIO;
    sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, unit_id);
    sqlite3_bind_int64(s, 3, indicator_id);
    rc = sqlite3_step(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        rc = store_fail(st, "read series components");
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        return rc;
    }
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(s, 0);
        old = strdup(t ? t : "");
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc == SQLITE_ROW && !old) {
        snprintf(st->err, sizeof(st->err), "out of memory");
        return -EIO;
    }
    if (!old)
        return put(st, source, unit_id, indicator_id, comps);
    if ((rc = differs(old, comps, note, size, &added)) == 0 && added > 0) {
        if (!(text = merged(old, comps, added))) {
            snprintf(st->err, sizeof(st->err), "out of memory");
            rc = -EIO;
        } else {
            rc = put(st, source, unit_id, indicator_id, text);
            free(text);
        }
    }
    free(old);
    return rc;
}
