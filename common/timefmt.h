/*
 * timefmt.h - timestamps as microseconds since the Unix epoch (UTC), and their
 * ISO 8601 text: "2024-03-01", "2024-03-01T08:30:00Z", "2024-03-01T08:30:00+08:00".
 */
#ifndef PARKSTAT_TIMEFMT_H
#define PARKSTAT_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Current wall-clock time in microseconds. */
int64_t time_now_us(void);

/*
 * Parses an ISO 8601 date or date-time. A date alone means its start (00:00 UTC);
 * a time without offset is UTC; fractional seconds up to microseconds. Returns 0
 * and sets *us, or -EINVAL.
 */
int time_parse_iso(const char *text, int64_t *us);

/* Formats us as "2024-03-01T08:30:00.123456Z" (fraction only when non-zero).
 * Returns the length, or -ENOSPC when size is too small (32 is always enough). */
int time_format_iso(int64_t us, char *buf, size_t size);

#endif
