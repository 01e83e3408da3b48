/*
 * sdmx_model.c - the SDMX model of parkstat as data (see sdmx_model.h): the
 * components of the two kinds of structure, the flows from the store's
 * indices, the id mangling and periods in SDMX notation.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/sdmx_model.h"
#include "store/results.h"

static const struct sdmx_component obs_dims[] = {
    {"UNIT", "CL_UNIT", SDMX_REPR_CODED, SDMX_LEVEL_SERIES},
    {"INDICATOR", "CL_INDICATOR", SDMX_REPR_CODED, SDMX_LEVEL_SERIES},
    {"FREQ", "CL_FREQ", SDMX_REPR_CODED, SDMX_LEVEL_SERIES},
};

static const struct sdmx_component obs_attrs[] = {
    {"OBS_STATUS", "CL_OBS_STATUS", SDMX_REPR_CODED, SDMX_LEVEL_OBS},
    {"UNIT_MEASURE", NULL, SDMX_REPR_TEXT, SDMX_LEVEL_SERIES},
    {"DECIMALS", NULL, SDMX_REPR_INTEGER, SDMX_LEVEL_SERIES},
};

static const struct sdmx_component idx_dims[] = {
    {"UNIT", "CL_UNIT", SDMX_REPR_CODED, SDMX_LEVEL_SERIES},
    {"NODE", NULL, SDMX_REPR_CODED, SDMX_LEVEL_SERIES},
};

static const struct sdmx_component idx_attrs[] = {
    {"RANK", NULL, SDMX_REPR_INTEGER, SDMX_LEVEL_OBS},
    {"RANK_CHANGE", NULL, SDMX_REPR_INTEGER, SDMX_LEVEL_OBS},
    {"FLAGS", NULL, SDMX_REPR_INTEGER, SDMX_LEVEL_OBS},
};

static const struct sdmx_code freq_codes[] = {
    {"A", "Annual"},
    {"S", "Half-yearly"},
    {"Q", "Quarterly"},
    {"M", "Monthly"},
};

/* SDMX cross-domain code list CL_OBS_STATUS (SDMX 2009 guidelines). */
static const struct sdmx_code status_codes[] = {
    {"A", "Normal value"},
    {"B", "Time series break"},
    {"D", "Definition differs"},
    {"E", "Estimated value"},
    {"F", "Forecast value"},
    {"G", "Experimental value"},
    {"I", "Imputed value (CCSA definition)"},
    {"K", "Data included in another category"},
    {"L", "Missing value; data exist but were not collected"},
    {"M", "Missing value; data cannot exist"},
    {"N", "Not significant"},
    {"O", "Missing value"},
    {"P", "Provisional value"},
    {"Q", "Missing value; suppressed"},
    {"S", "Strike and other special events"},
    {"U", "Low reliability"},
    {"V", "Unvalidated value"},
    {"W", "Includes data from another category"},
};

/* The codelist of a dimension (see sdmx_model.h). */
const char *sdmx_dim_codelist(const struct sdmx_flow *f, const struct sdmx_component *d)
{
    return d->codelist ? d->codelist : f->node_codelist;
}

const struct sdmx_code *sdmx_freq_codes(size_t *n)
{
    *n = sizeof(freq_codes) / sizeof(freq_codes[0]);
    return freq_codes;
}

const struct sdmx_code *sdmx_obs_status_codes(size_t *n)
{
    *n = sizeof(status_codes) / sizeof(status_codes[0]);
    return status_codes;
}

/* A stored status as its SDMX code (see sdmx_model.h). */
const char *sdmx_status_code(const char *stored, char *buf, size_t size)
{
    if (stored && stored[0] && !stored[1] && size >= 2) {
        char up = (char)toupper((unsigned char)stored[0]);
        for (size_t i = 0; i < sizeof(status_codes) / sizeof(status_codes[0]); i++)
            if (status_codes[i].id[0] == up) {
                buf[0] = up;
                buf[1] = '\0';
                return buf;
            }
    }
    return stored;
}

/* An index id as the part of a flow id (see sdmx_model.h). */
int sdmx_mangle(const char *index_id, char *out, size_t size)
{
    size_t n = strlen(index_id);

    if (n + 1 > size)
        return -ENOSPC;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)index_id[i];
        out[i] = c < 0x80 && isalnum(c) ? (char)toupper(c) : '_';
    }
    out[n] = '\0';
    return (int)n;
}

/* The flow OBS (see sdmx_model.h). */
void sdmx_flow_obs(struct sdmx_flow *f)
{
    memset(f, 0, sizeof(*f));
    f->kind = SDMX_FLOW_OBS;
    snprintf(f->id, sizeof(f->id), "%s", SDMX_OBS_FLOW);
    snprintf(f->dsd, sizeof(f->dsd), "%s", SDMX_OBS_DSD);
    f->dims = obs_dims;
    f->ndims = sizeof(obs_dims) / sizeof(obs_dims[0]);
    f->attrs = obs_attrs;
    f->nattrs = sizeof(obs_attrs) / sizeof(obs_attrs[0]);
}

/* The flow of an index (see sdmx_model.h). */
int sdmx_flow_index(const char *index_id, struct sdmx_flow *f)
{
    char m[SDMX_ID_MAX - 16]; /* room for "DSD_IDX_" and "CL_NODE_" */

    memset(f, 0, sizeof(*f));
    if (sdmx_mangle(index_id, m, sizeof(m)) < 0 || strlen(index_id) >= sizeof(f->index_id))
        return -ENOSPC;
    f->kind = SDMX_FLOW_INDEX;
    snprintf(f->id, sizeof(f->id), "IDX_%s", m);
    snprintf(f->dsd, sizeof(f->dsd), "DSD_IDX_%s", m);
    snprintf(f->node_codelist, sizeof(f->node_codelist), "CL_NODE_%s", m);
    snprintf(f->index_id, sizeof(f->index_id), "%s", index_id);
    f->dims = idx_dims;
    f->ndims = sizeof(idx_dims) / sizeof(idx_dims[0]);
    f->attrs = idx_attrs;
    f->nattrs = sizeof(idx_attrs) / sizeof(idx_attrs[0]);
    return 0;
}

struct flows_walk {
    int (*cb)(const struct sdmx_flow *f, void *ctx);
    void *ctx;
};

static int flows_index(const struct store_index_row *r, void *ctx)
{
    struct flows_walk *w = ctx;
    struct sdmx_flow f;

    if (sdmx_flow_index(r->index_id, &f) < 0)
        return 0; /* an id too long for SDMX: not published */
    return w->cb(&f, w->ctx);
}

/* Every flow (see sdmx_model.h). */
int sdmx_flows(struct store *st, int (*cb)(const struct sdmx_flow *f, void *ctx), void *ctx)
{
    struct sdmx_flow f;
    struct flows_walk w = {cb, ctx};
    int rc;

    sdmx_flow_obs(&f);
    if ((rc = cb(&f, ctx)) != 0)
        return rc;
    return store_indices_list(st, flows_index, &w);
}

struct find_walk {
    const char *id;
    struct sdmx_flow *out;
};

static int find_cb(const struct sdmx_flow *f, void *ctx)
{
    struct find_walk *w = ctx;
    if (strcmp(f->id, w->id) != 0)
        return 0;
    *w->out = *f;
    return 1;
}

/* A flow by id (see sdmx_model.h). */
int sdmx_flow_find(struct store *st, const char *id, struct sdmx_flow *f)
{
    struct find_walk w = {id, f};

    if (strcmp(id, SDMX_OBS_FLOW) == 0) {
        sdmx_flow_obs(f);
        return 0;
    }
    if (strncmp(id, "IDX_", 4) != 0)
        return -ENOENT;
    int rc = sdmx_flows(st, find_cb, &w);
    return rc == 1 ? 0 : rc < 0 ? rc : -ENOENT;
}

/* A data path's flow reference (see sdmx_model.h). */
int sdmx_flow_ref(const char *ref, char *id, size_t size)
{
    const char *part[3] = {NULL, NULL, NULL};
    size_t len[3] = {0, 0, 0};
    size_t n = 0;

    for (const char *p = ref;; n++) {
        if (n == 3)
            return -EINVAL;
        size_t l = strcspn(p, ",");
        part[n] = p;
        len[n] = l;
        if (l == 0)
            return -EINVAL;
        if (!p[l]) {
            n++;
            break;
        }
        p += l + 1;
    }
    const char *agency = n >= 2 ? part[0] : NULL;
    const char *fid = n >= 2 ? part[1] : part[0];
    size_t flen = n >= 2 ? len[1] : len[0];
    if (agency && !(len[0] == strlen(SDMX_AGENCY) && strncmp(agency, SDMX_AGENCY, len[0]) == 0) &&
        !(len[0] == 3 && strncmp(agency, "all", 3) == 0))
        return -ENOENT;
    if (n == 3 && !(len[2] == 3 && strncmp(part[2], SDMX_VERSION, 3) == 0) &&
        !(len[2] == 6 && strncmp(part[2], "latest", 6) == 0) &&
        !(len[2] == 3 && strncmp(part[2], "all", 3) == 0))
        return -ENOENT;
    if (flen + 1 > size)
        return -ENOENT;
    memcpy(id, fid, flen);
    id[flen] = '\0';
    return 0;
}

char sdmx_freq_of_store(char store_freq)
{
    switch (store_freq) {
    case 'Y':
        return 'A';
    case 'H':
        return 'S';
    case 'Q':
        return 'Q';
    case 'M':
        return 'M';
    default:
        return 0;
    }
}

char sdmx_freq_to_store(char sdmx_freq)
{
    switch (sdmx_freq) {
    case 'A':
        return 'Y';
    case 'S':
        return 'H';
    case 'Q':
        return 'Q';
    case 'M':
        return 'M';
    default:
        return 0;
    }
}

/* The frequency of a store period text (see sdmx_model.h). */
char sdmx_period_freq(const char *period)
{
    size_t n = period ? strlen(period) : 0;
    if (n == 4)
        return 'Y';
    if (n == 7 && period[5] == 'H')
        return 'H';
    if (n == 7 && period[5] == 'Q')
        return 'Q';
    if (n == 7)
        return 'M';
    return 0;
}

/* A store period in SDMX notation (see sdmx_model.h). */
const char *sdmx_period(const char *period, char *buf, size_t size)
{
    if (!period || sdmx_period_freq(period) != 'H' || size < 8)
        return period;
    memcpy(buf, period, 8);
    buf[5] = 'S';
    return buf;
}

/* An SDMX period bound (see sdmx_model.h). */
int sdmx_period_parse(const char *text, struct period *p)
{
    size_t n = strlen(text);
    struct period out;

    /* 2023-01-15: the day's month (period_parse_agency wants a period's
     * first or last day). */
    if (n == 10 && text[4] == '-' && text[7] == '-') {
        char month[8];
        memcpy(month, text, 7);
        month[7] = '\0';
        int day = atoi(text + 8);
        if (period_parse(&out, month, 7) < 0 || out.freq != PERIOD_MONTH || day < 1 || day > 31 ||
            !isdigit((unsigned char)text[8]) || !isdigit((unsigned char)text[9]))
            return -EINVAL;
        *p = out;
        return 0;
    }
    if (n < 4 || n > 8 || period_parse_agency(&out, text, n, 0) < 0)
        return -EINVAL;
    *p = out;
    return 0;
}
