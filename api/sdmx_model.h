/*
 * sdmx_model.h - parkstat as SDMX 2.1 sees it: the agency, the dataflows and
 * their data structure definitions, as data shared by the data answers
 * (sdmx_data.c, sdmx_write.c) and the structure messages (sdmx_struct*.c),
 * so both speak of the same model (docs/API.md, "SDMX").
 *
 * Agency PARKSTAT, every artefact version 1.0.
 *
 * Dataflow OBS, structure DSD_OBS: the observations.
 *   dimensions (key order) UNIT (CL_UNIT), INDICATOR (CL_INDICATOR),
 *   FREQ (CL_FREQ: A, S, Q, M); time dimension TIME_PERIOD; primary measure
 *   OBS_VALUE; attributes OBS_STATUS (observation level, CL_OBS_STATUS),
 *   UNIT_MEASURE (series level, free text: the indicator's measure) and
 *   DECIMALS (series level, integer: the indicator's decimals).
 *
 * Dataflow IDX_<ID> per index, structure DSD_IDX_<ID> (ID: the index id
 * upper-cased, every byte outside [A-Za-z0-9_] written '_'):
 *   dimensions UNIT (CL_UNIT), NODE (CL_NODE_<ID>: the index's node ids,
 *   the total's code being the index id itself); time dimension TIME_PERIOD;
 *   primary measure OBS_VALUE (the score); observation attributes RANK and
 *   RANK_CHANGE (integers) and FLAGS (integer, the COMPUTE_FLAG_* bits).
 *
 * Codes are the store's codes as they are (unit codes, indicator codes,
 * node ids); periods are written in SDMX: 2023, 2023-S1, 2023-Q3, 2023-07.
 */
#ifndef PARKSTAT_API_SDMX_MODEL_H
#define PARKSTAT_API_SDMX_MODEL_H

#include <stddef.h>

#include "common/period.h"

struct store;

#define SDMX_AGENCY   "PARKSTAT"
#define SDMX_VERSION  "1.0"
#define SDMX_OBS_FLOW "OBS"
#define SDMX_OBS_DSD  "DSD_OBS"
#define SDMX_TIME_DIM "TIME_PERIOD"
#define SDMX_MEASURE  "OBS_VALUE"
/* The longest flow, structure or codelist id (index ids are longer never). */
#define SDMX_ID_MAX 160

enum sdmx_flow_kind {
    SDMX_FLOW_OBS,   /* the observations */
    SDMX_FLOW_INDEX, /* one index's results */
};

/* Where an attribute is attached. */
enum sdmx_level {
    SDMX_LEVEL_SERIES,
    SDMX_LEVEL_OBS,
};

/* How a dimension's or attribute's values are represented. */
enum sdmx_repr {
    SDMX_REPR_CODED,   /* codelist */
    SDMX_REPR_TEXT,    /* free text (xs:string) */
    SDMX_REPR_INTEGER, /* xs:integer */
};

/* One dimension (time excluded) or attribute of a structure. */
struct sdmx_component {
    const char *id;
    const char *codelist; /* CODED: its id; NULL for NODE (struct sdmx_flow
                             names it) and for text and integers */
    enum sdmx_repr repr;
    enum sdmx_level level; /* attributes */
};

/* One dataflow with its structure. */
struct sdmx_flow {
    enum sdmx_flow_kind kind;
    char id[SDMX_ID_MAX];              /* "OBS", "IDX_MONITORING" */
    char dsd[SDMX_ID_MAX];             /* "DSD_OBS", "DSD_IDX_MONITORING" */
    char index_id[SDMX_ID_MAX];        /* the index id as stored; "" for OBS */
    char node_codelist[SDMX_ID_MAX];   /* "CL_NODE_MONITORING"; "" for OBS */
    const struct sdmx_component *dims; /* in key order, time excluded */
    size_t ndims;
    const struct sdmx_component *attrs; /* in the DSD's (and SDMX-CSV's) order */
    size_t nattrs;
};

/* The codelist of dimension d of flow f (NODE: f->node_codelist). */
const char *sdmx_dim_codelist(const struct sdmx_flow *f, const struct sdmx_component *d);

/* A code of CL_FREQ or CL_OBS_STATUS with its English name. */
struct sdmx_code {
    const char *id, *name;
};

/* CL_FREQ: A, S, Q, M; *n entries. */
const struct sdmx_code *sdmx_freq_codes(size_t *n);

/*
 * CL_OBS_STATUS: the SDMX cross-domain observation status codes (A normal,
 * B break, E estimated, F forecast, P provisional, ...); *n entries. A
 * status the store holds as a single letter in lower case ("p", the
 * Eurostat flag) is written upper case; any other status is written as
 * stored (sdmx_status_code()).
 */
const struct sdmx_code *sdmx_obs_status_codes(size_t *n);

/* The SDMX code of a stored status into buf (room for size): a listed code
 * in either case as the listed code, else the text as stored. */
const char *sdmx_status_code(const char *stored, char *buf, size_t size);

/*
 * The id of an index's flow part: upper case, every byte outside
 * [A-Za-z0-9_] as '_' ("monitoring" -> "MONITORING", "a-b.c" -> "A_B_C").
 * Returns the length, or -ENOSPC when it does not fit size.
 */
int sdmx_mangle(const char *index_id, char *out, size_t size);

/* The flow OBS. */
void sdmx_flow_obs(struct sdmx_flow *f);

/* The flow of index index_id (IDX_<ID>). Returns 0 or -ENOSPC (an id too
 * long for SDMX_ID_MAX). */
int sdmx_flow_index(const char *index_id, struct sdmx_flow *f);

/* Calls cb for every flow: OBS, then each index with results by id (the
 * store's indices). Returns 0, cb's non-zero return, or a negative errno. */
int sdmx_flows(struct store *st, int (*cb)(const struct sdmx_flow *f, void *ctx), void *ctx);

/* The flow whose id is id (exactly: "OBS", "IDX_MONITORING") into *f.
 * Returns 0, -ENOENT, or a negative errno. Two index ids that mangle alike:
 * the first by id wins. */
int sdmx_flow_find(struct store *st, const char *id, struct sdmx_flow *f);

/*
 * A flow reference of the REST API's data path: "OBS", "PARKSTAT,OBS" or
 * "PARKSTAT,OBS,1.0" (agency "all" or PARKSTAT; version "latest", "all"
 * or 1.0). Writes the flow id into id. Returns 0, -EINVAL for bad syntax,
 * -ENOENT for another agency or version.
 */
int sdmx_flow_ref(const char *ref, char *id, size_t size);

/* The SDMX frequency code ('A', 'S', 'Q', 'M') of a store frequency ('Y',
 * 'H', 'Q', 'M'), or 0; and back. */
char sdmx_freq_of_store(char store_freq);
char sdmx_freq_to_store(char sdmx_freq);

/* The store frequency ('Y', 'H', 'Q', 'M') of a store period text, or 0. */
char sdmx_period_freq(const char *period);

/* A store period in SDMX (2023, 2023-S1, 2023-Q3, 2023-07) into buf (room
 * for PERIOD_TEXT_SIZE). Returns buf; anything not a half-year as given. */
const char *sdmx_period(const char *period, char *buf, size_t size);

/*
 * An SDMX period bound (startPeriod, endPeriod): 2023, 2023-A1, 2023-S1,
 * 2023-Q3, 2023-07, 2023-M07, 2023-01-15 (the month of the day). Sets *p to
 * the period. Returns 0 or -EINVAL.
 */
int sdmx_period_parse(const char *text, struct period *p);

#endif
