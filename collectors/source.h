/*
 * source.h - a configured collector source, ready to pull: its URL template,
 * request options (timeouts, auth, headers), payload reader, code maps and
 * scale factors, read from the typed record the config loader parsed and
 * checked (struct config_source, docs/CONFIG.md).
 *
 * Secrets (bearer tokens, passwords) are read from files named in the config
 * and are never logged or put in error messages.
 */
#ifndef PARKSTAT_SOURCE_H
#define PARKSTAT_SOURCE_H

#include <stddef.h>

#include "collectors/fetch.h"
#include "collectors/schedule.h"
#include "common/period.h"

struct source;
struct config;
struct config_source;
struct format;

/*
 * Builds source number index of cfg. Returns 0 and a new source in *out, or
 * -EINVAL with a message "sources[2].auth.bearer_token_file: cannot read
 * /etc/x: No such file" in err.
 */
int source_new(struct source **out, const struct config *cfg, size_t index, char *err,
               size_t errsize);

/* Frees a source and sets *sp = NULL. NULL is a harmless no-op. */
void source_free(struct source **sp);

/* The config's record of this source (borrowed from the config). */
const struct config_source *source_config(const struct source *s);

/* The schedule parameters of the source. */
const struct schedule_spec *source_schedule(const struct source *s);

/*
 * Units to request one by one when the URL has {unit} (ids, borrowed), else
 * NULL with *n = 0: one request covers every unit.
 */
const char *const *source_request_units(const struct source *s, size_t *n);

/*
 * Fills req for period p (and unit, or NULL): the URL is expanded into url
 * (urlsize bytes; {updated_after} is updated_after, us, 0: the epoch) and
 * req's pointers borrow from s and url. Conditional GET fields are left NULL
 * for the caller. Returns 0 or -EINVAL/-ENOSPC.
 */
int source_request(const struct source *s, struct period p, const char *unit, int64_t updated_after,
                   char *url, size_t urlsize, struct fetch_request *req);

/* The config index of the unit / indicator a payload code stands for, after
 * the source's code maps ("unit_codes", "codes"); -1 when unknown. */
long source_map_unit(const struct source *s, const char *code);
long source_map_indicator(const struct source *s, const char *code);

/* The factor values of indicator (config index) are multiplied by ("scale"). */
double source_scale(const struct source *s, long indicator);

#endif
