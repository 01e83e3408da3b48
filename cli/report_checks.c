/*
 * report_checks.c - the bulletin's data notes: the consistency check
 * violations (GET /api/v1/checks, docs/CONFIG.md "checks") of periods within
 * the bulletin's period, one note each ("data note: p03 revenue 2023-08: ..."),
 * at most REPORT_MAX_CHECK_NOTES, then how many more there are.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/client.h"
#include "cli/report_priv.h"
#include "common/period.h"

#define REPORT_MAX_CHECK_NOTES 20

/* 1 when the period text lies within (or is) the bulletin's period rp. */
static int within(const char *text, struct period rp)
{
    struct period p, c;

    if (!text || period_parse_str(&p, text) < 0)
        return 0;
    if (period_container(p, rp.freq, &c) < 0)
        return 0;
    return period_cmp(c, rp) == 0;
}

static void num(const json_t *v, char *buf, size_t size)
{
    if (json_is_number(v))
        snprintf(buf, size, "%.15g", json_number_value(v));
    else
        snprintf(buf, size, "-");
}

static const char *str(const json_t *row, const char *key)
{
    const char *s = json_string_value(json_object_get(row, key));
    return s ? s : "";
}

/* Loads the notes (see report_priv.h). */
int report_checks_load(struct report *r, struct client *c)
{
    json_t *data = NULL, *row;
    struct period rp;
    size_t i, shown = 0, more = 0;
    int rc;

    if (period_parse_str(&rp, r->period) < 0)
        return 0;
    rc = client_get_json_all(c, "/api/v1/checks", &data);
    if (rc == -ENOMEM)
        return rc;
    if (rc < 0)
        return report_note(r, "data notes not available: %s", client_last_error(c)->message);
    rc = 0;
    json_array_foreach(data, i, row)
    {
        char value[32], expected[32];

        /* a refused record is not in the data the bulletin shows */
        if (!within(str(row, "period"), rp) || strcmp(str(row, "action"), "reject") == 0)
            continue;
        if (shown == REPORT_MAX_CHECK_NOTES) {
            more++;
            continue;
        }
        num(json_object_get(row, "value"), value, sizeof(value));
        num(json_object_get(row, "expected"), expected, sizeof(expected));
        rc = report_note(r, "data note: %s %s %s: %s (%s, expected %s; check %s, %s)",
                         str(row, "unit"), str(row, "indicator"), str(row, "period"),
                         str(row, "detail"), value, expected, str(row, "check"), str(row, "rule"));
        if (rc < 0)
            break;
        shown++;
    }
    if (rc == 0 && more)
        rc = report_note(r, "%zu more data notes: parkstat checks", more);
    json_decref(data);
    return rc;
}
