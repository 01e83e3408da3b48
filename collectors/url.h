/*
 * url.h - source URL templates: {period} {year} {quarter} {half} {month} {unit}.
 *
 *   https://stats.example/api/{year}/{month}.json  + 2024-03      -> .../2024/03.json
 *   file:///srv/feeds/{unit}-{period}.csv          + p01, 2024-Q1 -> .../p01-2024-Q1.csv
 *
 * Values are percent-encoded (RFC 3986 unreserved characters pass through).
 */
#ifndef PARKSTAT_URL_H
#define PARKSTAT_URL_H

#include <stddef.h>

#include "common/period.h"

/*
 * Expands tmpl for period p and unit (NULL when the source covers all its
 * units in one payload). Returns the length written to buf, or -EINVAL for an
 * unknown or unclosed placeholder, a {unit} with no unit, or a {quarter},
 * {half} or {month} the period's frequency does not have; -ENOSPC when buf is
 * too small.
 */
int url_expand(const char *tmpl, struct period p, const char *unit, char *buf, size_t size);

/* 1 when tmpl contains {unit}: one request per unit. */
int url_has_unit(const char *tmpl);

#endif
