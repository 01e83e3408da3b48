/*
 * url.h - source URL templates: {period} {sdmx_period} {year} {quarter} {half}
 * {month} {unit} {updated_after}.
 *
 *   https://stats.example/api/{year}/{month}.json  + 2024-03      -> .../2024/03.json
 *   file:///srv/feeds/{unit}-{period}.csv          + p01, 2024-Q1 -> .../p01-2024-Q1.csv
 *   .../data/OBS/..S?startPeriod={sdmx_period}     + 2024-H1      -> ...startPeriod=2024-S1
 *   ...?updatedAfter={updated_after}   + 2024-03-01 08:00 UTC -> ...=2024-03-01T08%3A00%3A00Z
 *
 * Values are percent-encoded (RFC 3986 unreserved characters pass through).
 */
#ifndef PARKSTAT_URL_H
#define PARKSTAT_URL_H

#include <stddef.h>
#include <stdint.h>

#include "common/period.h"

/*
 * Expands tmpl for period p and unit (NULL when the source covers all its
 * units in one payload). Returns the length written to buf, or -EINVAL for an
 * unknown or unclosed placeholder, a {unit} with no unit, or a {quarter},
 * {half} or {month} the period's frequency does not have; -ENOSPC when buf is
 * too small.
 */
int url_expand(const char *tmpl, struct period p, const char *unit, char *buf, size_t size);

/*
 * url_expand() with {updated_after} the time updated_after (us since the
 * epoch) as ISO 8601 UTC to the second, rounded down ("2024-03-01T08:00:00Z",
 * percent-encoded); 0 (url_expand()'s) is the epoch, 1970-01-01T00:00:00Z:
 * everything.
 */
int url_expand_since(const char *tmpl, struct period p, const char *unit, int64_t updated_after,
                     char *buf, size_t size);

/* 1 when tmpl contains {updated_after}: the pull asks for what changed since
 * its last answered pull of the period. */
int url_has_updated_after(const char *tmpl);

/* 1 when tmpl contains {unit}: one request per unit. */
int url_has_unit(const char *tmpl);

#endif
