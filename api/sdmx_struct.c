/*
 * sdmx_struct.c - SDMX 2.1 REST structure queries: GET
 * /sdmx/2.1/{dataflow,datastructure,codelist,conceptscheme}/{agency}/{id}/{version}
 * (and /{itemID} for item schemes) answered as SDMX-ML 2.1 structure
 * messages, written with libxml2's xmlTextWriter.
 *
 * The structures (docs/API.md, "SDMX structure"): agency PARKSTAT, version
 * 1.0; the dataflow OBS (DSD_OBS: UNIT, INDICATOR, FREQ, TIME_PERIOD;
 * OBS_VALUE; OBS_STATUS, UNIT_MEASURE, DECIMALS) and one dataflow IDX_<ID>
 * per index (DSD_IDX_<ID>: UNIT, NODE, TIME_PERIOD; OBS_VALUE the score;
 * RANK, RANK_CHANGE, FLAGS); the codelists CL_UNIT (the units, their names
 * in Chinese and their hierarchy), CL_INDICATOR (names, unit of measure,
 * decimals and frequency as annotations), CL_FREQ, CL_OBS_STATUS and
 * CL_NODE_<ID> (an index's nodes with their hierarchy); one concept scheme
 * CS_PARKSTAT holding every concept the DSDs use.
 *
 * A query selects maintainable artefacts by type, agency, id and version
 * ("all", "latest", or lists joined by '+'); references= adds the artefacts
 * they refer to (children, descendants), those referring to them (parents,
 * parentsandsiblings), both (all) or those of one type; detail=allstubs
 * writes every artefact as a stub, referencestubs the added ones. Nothing
 * matching is a 404 ("no results", as the REST API says); a detail this
 * service does not offer is a 501.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libxml/xmlwriter.h>

#include "api/api_priv.h"
#include "api/sdmx_model.h"
#include "common/timefmt.h"
#include "config/config.h"
#include "store/observations.h"
#include "store/results.h"

#define NS_MES "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
#define NS_STR "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure"
#define NS_COM "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"

/* The content type of an SDMX-ML 2.1 structure message. */
static const char structure_type[] = "application/vnd.sdmx.structure+xml; version=2.1";

/* Maintainable artefact types, in the order the schema's Structures holds
 * them (Dataflows, Codelists, Concepts, DataStructures). */
enum kind { K_DATAFLOW, K_CODELIST, K_CONCEPTS, K_DSD, K_NKINDS };

static const char *const kind_path[K_NKINDS] = {"dataflow", "codelist", "conceptscheme",
                                                "datastructure"};

/* What a codelist holds. */
enum cl { CL_NONE, CL_UNIT, CL_INDICATOR, CL_FREQ, CL_OBS_STATUS, CL_NODE };

/* The concept scheme every structure's concepts come from. */
#define CONCEPT_SCHEME "CS_PARKSTAT"

/* One maintainable artefact. flow: the flow (into the catalogue's) of a
 * dataflow, its DSD or its node codelist, else -1. */
struct art {
    enum kind kind;
    enum cl cl;
    long flow;
    const char *id; /* into the flow, or static */
    unsigned char selected, referenced;
};

/* Everything a message is built from. */
struct catalogue {
    struct sdmx_flow *flows;
    size_t nflows;
    struct art *arts;
    size_t narts;
    const struct config *cfg; /* NULL: index names and node trees unknown */
};

static void catalogue_free(struct catalogue *c)
{
    free(c->flows);
    free(c->arts);
    memset(c, 0, sizeof(*c));
}

static int add_art(struct catalogue *c, enum kind kind, enum cl cl, long flow, const char *id)
{
    struct art *a = realloc(c->arts, (c->narts + 1) * sizeof(*a));
    if (!a)
        return -ENOMEM;
    c->arts = a;
    a += c->narts++;
    memset(a, 0, sizeof(*a));
    a->kind = kind;
    a->cl = cl;
    a->flow = flow;
    a->id = id;
    return 0;
}

static int take_flow(const struct sdmx_flow *f, void *ctx)
{
    struct catalogue *c = ctx;
    struct sdmx_flow *flows = realloc(c->flows, (c->nflows + 1) * sizeof(*flows));
    if (!flows)
        return -ENOMEM;
    c->flows = flows;
    flows[c->nflows++] = *f;
    return 0;
}

/* The artefacts of this service: the model's flows (sdmx_model.h), their
 * structures and codelists, and the concept scheme. */
static int catalogue_build(struct catalogue *c, const struct config *cfg, struct store *st)
{
    static const struct {
        enum cl cl;
        const char *id;
    } fixed[] = {{CL_UNIT, "CL_UNIT"},
                 {CL_INDICATOR, "CL_INDICATOR"},
                 {CL_FREQ, "CL_FREQ"},
                 {CL_OBS_STATUS, "CL_OBS_STATUS"}};
    int rc;

    memset(c, 0, sizeof(*c));
    c->cfg = cfg;
    if ((rc = sdmx_flows(st, take_flow, c)) != 0)
        return rc < 0 ? rc : -EIO;
    for (size_t i = 0; rc == 0 && i < c->nflows; i++)
        rc = add_art(c, K_DATAFLOW, CL_NONE, (long)i, c->flows[i].id);
    for (size_t i = 0; rc == 0 && i < c->nflows; i++)
        rc = add_art(c, K_DSD, CL_NONE, (long)i, c->flows[i].dsd);
    for (size_t i = 0; rc == 0 && i < sizeof(fixed) / sizeof(fixed[0]); i++)
        rc = add_art(c, K_CODELIST, fixed[i].cl, -1, fixed[i].id);
    for (size_t i = 0; rc == 0 && i < c->nflows; i++)
        if (c->flows[i].kind == SDMX_FLOW_INDEX)
            rc = add_art(c, K_CODELIST, CL_NODE, (long)i, c->flows[i].node_codelist);
    if (rc == 0)
        rc = add_art(c, K_CONCEPTS, CL_NONE, -1, CONCEPT_SCHEME);
    return rc;
}

/* The configured index of id, or NULL (no configuration, or an index with
 * results the configuration no longer has). */
static const struct config_index *config_index_of(const struct config *cfg, const char *id)
{
    size_t n = 0;
    const struct config_index *ci = cfg ? config_indices(cfg, &n) : NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(ci[i].id, id) == 0)
            return &ci[i];
    return NULL;
}

/* Does flow f's structure use codelist id? */
static int uses_codelist(const struct sdmx_flow *f, const char *id)
{
    for (size_t i = 0; i < f->ndims; i++)
        if (strcmp(sdmx_dim_codelist(f, &f->dims[i]), id) == 0)
            return 1;
    for (size_t i = 0; i < f->nattrs; i++)
        if (f->attrs[i].repr == SDMX_REPR_CODED && strcmp(f->attrs[i].codelist, id) == 0)
            return 1;
    return 0;
}

/* Does artefact a refer to b directly (a dataflow to its DSD, a DSD to its
 * codelists and the concept scheme)? */
static int refers(const struct catalogue *c, const struct art *a, const struct art *b)
{
    if (a->kind == K_DATAFLOW)
        return b->kind == K_DSD && b->flow == a->flow;
    if (a->kind != K_DSD)
        return 0;
    if (b->kind == K_CONCEPTS)
        return 1;
    return b->kind == K_CODELIST && uses_codelist(&c->flows[a->flow], b->id);
}

/* Marks in mark[] what the marked artefacts refer to (down) or are referred
 * to by (up), once (deep 0) or transitively. */
static int spread(const struct catalogue *c, unsigned char *mark, int up, int deep)
{
    unsigned char *seen = malloc(c->narts);
    int changed = 1;

    if (!seen)
        return -ENOMEM;
    memcpy(seen, mark, c->narts);
    while (changed) {
        changed = 0;
        for (size_t i = 0; i < c->narts; i++) {
            if (!seen[i])
                continue;
            for (size_t j = 0; j < c->narts; j++)
                if (!mark[j] && (up ? refers(c, &c->arts[j], &c->arts[i])
                                    : refers(c, &c->arts[i], &c->arts[j]))) {
                    mark[j] = 1;
                    changed = deep;
                }
        }
        if (changed)
            memcpy(seen, mark, c->narts);
    }
    free(seen);
    return 0;
}

/* references= values. */
enum refs { R_NONE, R_PARENTS, R_SIBLINGS, R_CHILDREN, R_DESCENDANTS, R_ALL, R_TYPE };

/*
 * Marks the references of the selected artefacts (a->referenced): parents
 * refer to them, children are referred to by them (descendants: and so on
 * down), parentsandsiblings adds the parents' children, all is that and the
 * descendants; a structure type takes the artefacts of that type among every
 * ancestor and descendant.
 */
static int add_references(struct catalogue *c, enum refs r, enum kind type)
{
    size_t n = c->narts;
    unsigned char *up = calloc(n ? n : 1, 1), *down = calloc(n ? n : 1, 1);
    int rc = 0;

    if (!up || !down)
        rc = -ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++)
        up[i] = down[i] = c->arts[i].selected;
    if (rc == 0 && (r == R_PARENTS || r == R_SIBLINGS || r == R_ALL || r == R_TYPE))
        rc = spread(c, up, 1, r == R_TYPE);
    if (rc == 0 && (r == R_SIBLINGS || r == R_ALL)) { /* the parents' children */
        unsigned char *sib = calloc(n ? n : 1, 1);
        for (size_t i = 0; sib && i < n; i++)
            sib[i] = up[i] && !c->arts[i].selected;
        rc = sib ? spread(c, sib, 0, 0) : -ENOMEM;
        for (size_t i = 0; rc == 0 && i < n; i++)
            up[i] |= sib[i];
        free(sib);
    }
    if (rc == 0 && (r == R_CHILDREN || r == R_DESCENDANTS || r == R_ALL || r == R_TYPE))
        rc = spread(c, down, 0, r != R_CHILDREN);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct art *a = &c->arts[i];
        if (!a->selected && (up[i] || down[i]))
            a->referenced = r != R_TYPE || a->kind == type;
    }
    free(up);
    free(down);
    return rc;
}

/* ---- the query ---- */

/* Does one of the '+'-joined values of list (or "all") equal s? */
static int list_has(const char *list, const char *s, const char *wild)
{
    size_t n = strlen(s);
    if (wild && strcmp(list, wild) == 0)
        return 1;
    for (const char *p = list;; p++) {
        size_t len = strcspn(p, "+");
        if (len == n && strncmp(p, s, n) == 0)
            return 1;
        p += len;
        if (!*p)
            return 0;
    }
}

/* The parsed path and parameters. */
struct query {
    enum kind kind;
    char agency[256], id[1024], version[256], items[1024];
    enum refs refs;
    enum kind ref_type;
    int stubs, ref_stubs; /* detail=allstubs, referencestubs */
};

/* Splits the path after the resource ("AGENCY/ID/VERSION/ITEM", each part
 * optional) into q. 1 with rp a 400 when it has too many parts. */
static int parse_path(const char *arg, struct query *q, struct api_reply *rp)
{
    char *parts[4] = {q->agency, q->id, q->version, q->items};
    static const size_t sizes[4] = {256, 1024, 256, 1024};
    static const char *const defaults[4] = {"all", "all", "latest", "all"};
    size_t np = q->kind == K_CODELIST || q->kind == K_CONCEPTS ? 4 : 3;
    const char *p = arg ? arg : "";

    for (size_t i = 0; i < 4; i++)
        snprintf(parts[i], sizes[i], "%s", defaults[i]);
    for (size_t i = 0; *p; i++) {
        size_t len = strcspn(p, "/");
        if (i >= np)
            return api_reply_bad(rp,
                                 "path: /sdmx/2.1/%s takes at most %zu parts after it, "
                                 "not \"%.200s\"",
                                 kind_path[q->kind], np, arg);
        if (len == 0 || len >= sizes[i])
            return api_reply_bad(rp, "path: part %zu of \"%.200s\" is %s", i + 1, arg,
                                 len ? "too long" : "empty");
        memcpy(parts[i], p, len);
        parts[i][len] = '\0';
        p += len + (p[len] == '/');
        if (p[-1] == '/' && !*p)
            return api_reply_bad(rp, "path: \"%.200s\" ends with '/'", arg);
    }
    return 0;
}

/* Reads references= and detail=. 1 with rp a 400 (or 501) naming them. */
static int parse_params(struct api_request *rq, struct query *q, struct api_reply *rp)
{
    static const struct {
        const char *name;
        enum refs r;
        enum kind type;
    } refs[] = {
        {"none", R_NONE, K_DATAFLOW},
        {"parents", R_PARENTS, K_DATAFLOW},
        {"parentsandsiblings", R_SIBLINGS, K_DATAFLOW},
        {"children", R_CHILDREN, K_DATAFLOW},
        {"descendants", R_DESCENDANTS, K_DATAFLOW},
        {"all", R_ALL, K_DATAFLOW},
        {"dataflow", R_TYPE, K_DATAFLOW},
        {"datastructure", R_TYPE, K_DSD},
        {"codelist", R_TYPE, K_CODELIST},
        {"conceptscheme", R_TYPE, K_CONCEPTS},
    };
    /* Structure types of the REST API this service has none of. */
    static const char *const other_types[] = {"metadatastructure",      "categoryscheme",
                                              "contentconstraint",      "actualconstraint",
                                              "allowedconstraint",      "attachmentconstraint",
                                              "structureset",           "agencyscheme",
                                              "dataproviderscheme",     "dataconsumerscheme",
                                              "organisationunitscheme", "hierarchicalcodelist",
                                              "categorisation",         "provisionagreement",
                                              "metadataflow",           "process",
                                              "reportingtaxonomy",      "transformationscheme",
                                              "rulesetscheme",          "userdefinedoperatorscheme",
                                              "customtypescheme",       "namepersonalisationscheme",
                                              "organisationscheme",     "conceptscheme"};
    const char *r = api_param(rq, "references"), *d = api_param(rq, "detail");

    q->refs = R_NONE;
    if (r) {
        size_t i;
        for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
            if (strcmp(r, refs[i].name) == 0)
                break;
        if (i == sizeof(refs) / sizeof(refs[0])) {
            for (size_t j = 0; j < sizeof(other_types) / sizeof(other_types[0]); j++)
                if (strcmp(r, other_types[j]) == 0) {
                    q->refs = R_TYPE;
                    q->ref_type = K_NKINDS; /* a type without artefacts here: none */
                    break;
                }
            if (q->refs != R_TYPE)
                return api_reply_bad(rp,
                                     "parameter 'references': \"%.64s\" is not none, parents, "
                                     "parentsandsiblings, children, descendants, all or a "
                                     "structure type (dataflow, datastructure, codelist, "
                                     "conceptscheme)",
                                     r);
        } else {
            q->refs = refs[i].r;
            q->ref_type = refs[i].type;
        }
    }
    if (!d || strcmp(d, "full") == 0)
        return 0;
    if (strcmp(d, "allstubs") == 0)
        q->stubs = 1;
    else if (strcmp(d, "referencestubs") == 0)
        q->ref_stubs = 1;
    else if (strcmp(d, "allcompletestubs") == 0 || strcmp(d, "referencecompletestubs") == 0 ||
             strcmp(d, "referencepartial") == 0)
        return api_reply_error(rp, 501,
                               "parameter 'detail': \"%s\" is not implemented (full, allstubs "
                               "and referencestubs are)",
                               d),
               1;
    else
        return api_reply_bad(rp,
                             "parameter 'detail': \"%.64s\" is not full, allstubs, "
                             "referencestubs, allcompletestubs, referencecompletestubs or "
                             "referencepartial",
                             d);
    return 0;
}

/* Does the client accept an SDMX-ML structure message? */
static int accepts_xml(struct api_request *rq)
{
    const char *h = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    if (!h || !*h)
        return 1;
    static const char *const ok[] = {"*/*",      "application/*",
                                     "text/xml", "application/xml",
                                     "text/*",   "application/vnd.sdmx.structure+xml"};
    for (const char *p = h; *p;) {
        p += strspn(p, " \t,");
        size_t len = strcspn(p, ";,");
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
            if (len == strlen(ok[i]) && strncasecmp(p, ok[i], len) == 0)
                return 1;
        p += strcspn(p, ",");
    }
    return 0;
}

/* ---- the writer ---- */

/* The state of one message being written. */
struct writer {
    xmlTextWriterPtr w;
    struct api_request *rq;
    struct store *st;
    const struct catalogue *c;
    const struct query *q;
    const char *base; /* "http://host" for stub URLs, or "" */
    int rc;           /* the first error */
};

static void chk(struct writer *wr, int xrc)
{
    if (xrc < 0 && wr->rc == 0)
        wr->rc = -EIO;
}

static void start(struct writer *wr, const char *prefix, const char *name)
{
    chk(wr, xmlTextWriterStartElementNS(wr->w, BAD_CAST prefix, BAD_CAST name, NULL));
}

static void end(struct writer *wr)
{
    chk(wr, xmlTextWriterEndElement(wr->w));
}

static void attr(struct writer *wr, const char *name, const char *value)
{
    chk(wr, xmlTextWriterWriteAttribute(wr->w, BAD_CAST name, BAD_CAST value));
}

/* <com:Name xml:lang="lang">text</com:Name> (or Description, AnnotationText). */
static void text_lang(struct writer *wr, const char *prefix, const char *el, const char *lang,
                      const char *text)
{
    start(wr, prefix, el);
    chk(wr,
        xmlTextWriterWriteAttributeNS(wr->w, BAD_CAST "xml", BAD_CAST "lang", NULL, BAD_CAST lang));
    chk(wr, xmlTextWriterWriteString(wr->w, BAD_CAST text));
    end(wr);
}

static void element_text(struct writer *wr, const char *prefix, const char *el, const char *text)
{
    chk(wr, xmlTextWriterWriteElementNS(wr->w, BAD_CAST prefix, BAD_CAST el, NULL, BAD_CAST text));
}

/* Names in English and Chinese (either may be NULL). */
static void names(struct writer *wr, const char *en, const char *zh)
{
    if (en)
        text_lang(wr, "com", "Name", "en", en);
    if (zh)
        text_lang(wr, "com", "Name", "zh", zh);
}

/* <Ref .../> with the attributes given as name, value pairs (NULL ends). */
static void ref(struct writer *wr, const char *const *kv)
{
    start(wr, NULL, "Ref");
    for (; kv[0]; kv += 2)
        if (kv[1])
            attr(wr, kv[0], kv[1]);
    end(wr);
}

static const char *const urn_class[K_NKINDS] = {"datastructure.Dataflow", "codelist.Codelist",
                                                "conceptscheme.ConceptScheme",
                                                "datastructure.DataStructure"};

/* The start of a maintainable artefact: its element, identity, URN, and as
 * a stub its structure URL. */
static void maintainable(struct writer *wr, const char *el, const struct art *a, int stub)
{
    char urn[256];

    snprintf(urn, sizeof(urn), "urn:sdmx:org.sdmx.infomodel.%s=%s:%s(%s)", urn_class[a->kind],
             SDMX_AGENCY, a->id, SDMX_VERSION);
    start(wr, "str", el);
    attr(wr, "id", a->id);
    attr(wr, "urn", urn);
    attr(wr, "agencyID", SDMX_AGENCY);
    attr(wr, "version", SDMX_VERSION);
    if (stub) {
        char url[1024];
        attr(wr, "isExternalReference", "true");
        if (wr->base[0]) {
            snprintf(url, sizeof(url), "%s/sdmx/2.1/%s/%s/%s/%s", wr->base, kind_path[a->kind],
                     SDMX_AGENCY, a->id, SDMX_VERSION);
            attr(wr, "structureURL", url);
        }
    }
    attr(wr, "isFinal", "false");
}

/* One annotation: its type and either a title (a code or number) or a text
 * in lang. */
static void annotation(struct writer *wr, const char *type, const char *title, const char *lang,
                       const char *text)
{
    start(wr, "com", "Annotation");
    if (title)
        element_text(wr, "com", "AnnotationTitle", title);
    element_text(wr, "com", "AnnotationType", type);
    if (text)
        text_lang(wr, "com", "AnnotationText", lang, text);
    end(wr);
}

/* ---- codelists ---- */

/* Is code one of the requested items ("all" or a '+' list)? */
static int item_wanted(const struct writer *wr, const char *code)
{
    return list_has(wr->q->items, code, "all");
}

static void code_start(struct writer *wr, const struct art *a, const char *id)
{
    char urn[512];
    snprintf(urn, sizeof(urn), "urn:sdmx:org.sdmx.infomodel.codelist.Code=%s:%s(%s).%s",
             SDMX_AGENCY, a->id, SDMX_VERSION, id);
    start(wr, "str", "Code");
    attr(wr, "id", id);
    attr(wr, "urn", urn);
}

static void code_parent(struct writer *wr, const char *parent)
{
    if (!parent)
        return;
    start(wr, "str", "Parent");
    ref(wr, (const char *const[]){"id", parent, NULL});
    end(wr);
}

struct code_walk {
    struct writer *wr;
    const struct art *a;
    long n; /* codes written */
};

static int unit_code(const struct store_unit_row *r, void *ctx)
{
    struct code_walk *cw = ctx;

    if (!item_wanted(cw->wr, r->code))
        return 0;
    code_start(cw->wr, cw->a, r->code);
    names(cw->wr, NULL, r->name && *r->name ? r->name : r->code);
    code_parent(cw->wr, r->parent);
    end(cw->wr);
    cw->n++;
    return cw->wr->rc;
}

static int indicator_code(const struct store_indicator_row *r, void *ctx)
{
    struct code_walk *cw = ctx;
    struct writer *wr = cw->wr;
    char dec[16], freq[2] = {0, 0};

    if (!item_wanted(wr, r->code))
        return 0;
    code_start(wr, cw->a, r->code);
    start(wr, "com", "Annotations");
    if (r->measure && *r->measure)
        annotation(wr, "UNIT_MEASURE", NULL, "zh", r->measure);
    snprintf(dec, sizeof(dec), "%d", r->decimals);
    annotation(wr, "DECIMALS", dec, NULL, NULL);
    if (r->frequency && strchr("YHQM", r->frequency[0]) && r->frequency[0])
        freq[0] = "ASQM"[strchr("YHQM", r->frequency[0]) - "YHQM"];
    if (freq[0])
        annotation(wr, "FREQ", freq, NULL, NULL);
    end(wr);
    names(wr, NULL, r->name && *r->name ? r->name : r->code);
    end(wr);
    cw->n++;
    return wr->rc;
}

/* One node of an index's tree and, below it, its inner nodes. */
static void node_codes(struct code_walk *cw, const struct config_index_node *nodes, size_t n,
                       const char *parent)
{
    for (size_t i = 0; i < n; i++) {
        const struct config_index_node *nd = &nodes[i];
        if (nd->indicator) /* a leaf: the indicator's contribution, no result row */
            continue;
        if (item_wanted(cw->wr, nd->id)) {
            code_start(cw->wr, cw->a, nd->id);
            names(cw->wr, NULL, nd->name && *nd->name ? nd->name : nd->id);
            code_parent(cw->wr, parent);
            end(cw->wr);
            cw->n++;
        }
        node_codes(cw, nd->children, nd->n_children, nd->id);
    }
}

/* The codes of a codelist. Returns 0 or a negative errno. */
static int codes(struct writer *wr, const struct art *a)
{
    struct code_walk cw = {wr, a, 0};
    int rc = 0;

    const struct sdmx_code *list;
    size_t n = 0;

    switch (a->cl) {
    case CL_UNIT:
        rc = store_units_list(wr->st, unit_code, &cw);
        break;
    case CL_INDICATOR:
        rc = store_indicators_list(wr->st, indicator_code, &cw);
        break;
    case CL_FREQ:
    case CL_OBS_STATUS:
        list = a->cl == CL_FREQ ? sdmx_freq_codes(&n) : sdmx_obs_status_codes(&n);
        for (size_t i = 0; i < n; i++)
            if (item_wanted(wr, list[i].id)) {
                code_start(wr, a, list[i].id);
                names(wr, list[i].name, NULL);
                end(wr);
            }
        break;
    case CL_NODE: {
        /* The total's code is the index id; below it the inner nodes. */
        const struct sdmx_flow *f = &wr->c->flows[a->flow];
        const struct config_index *ci = config_index_of(wr->c->cfg, f->index_id);
        if (item_wanted(wr, f->index_id)) {
            code_start(wr, a, f->index_id);
            names(wr, "Total", ci && ci->name ? ci->name : NULL);
            end(wr);
        }
        if (ci)
            node_codes(&cw, ci->tree, ci->n_tree, f->index_id);
        break;
    }
    case CL_NONE:
        break;
    }
    if (rc > 0)
        rc = wr->rc ? wr->rc : -EIO;
    return rc < 0 ? rc : wr->rc;
}

/* ---- concepts ---- */

/* Every concept the DSDs use. */
static const struct {
    const char *id, *en, *zh;
} concepts[] = {
    {"UNIT", "Reporting unit", "单位"},
    {"INDICATOR", "Indicator", "指标"},
    {"FREQ", "Frequency", "频率"},
    {"TIME_PERIOD", "Time period", "时期"},
    {"OBS_VALUE", "Observation value", "数值"},
    {"OBS_STATUS", "Observation status", "观测状态"},
    {"UNIT_MEASURE", "Unit of measure", "计量单位"},
    {"DECIMALS", "Decimals", "小数位数"},
    {"NODE", "Index node", "指数节点"},
    {"RANK", "Rank", "名次"},
    {"RANK_CHANGE", "Rank change", "名次变化"},
    {"FLAGS", "Result flags", "标记"},
};

static void concept_items(struct writer *wr)
{
    char urn[256];
    for (size_t i = 0; i < sizeof(concepts) / sizeof(concepts[0]); i++) {
        if (!item_wanted(wr, concepts[i].id))
            continue;
        snprintf(urn, sizeof(urn), "urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept=%s:%s(%s).%s",
                 SDMX_AGENCY, CONCEPT_SCHEME, SDMX_VERSION, concepts[i].id);
        start(wr, "str", "Concept");
        attr(wr, "id", concepts[i].id);
        attr(wr, "urn", urn);
        names(wr, concepts[i].en, concepts[i].zh);
        end(wr);
    }
}

/* ---- data structures ---- */

static void concept_identity(struct writer *wr, const char *id)
{
    start(wr, "str", "ConceptIdentity");
    ref(wr,
        (const char *const[]){"id", id, "maintainableParentID", CONCEPT_SCHEME,
                              "maintainableParentVersion", SDMX_VERSION, "agencyID", SDMX_AGENCY,
                              "class", "Concept", "package", "conceptscheme", NULL});
    end(wr);
}

static void enumeration(struct writer *wr, const char *codelist)
{
    start(wr, "str", "LocalRepresentation");
    start(wr, "str", "Enumeration");
    ref(wr, (const char *const[]){"id", codelist, "agencyID", SDMX_AGENCY, "version", SDMX_VERSION,
                                  "class", "Codelist", "package", "codelist", NULL});
    end(wr);
    end(wr);
}

static void text_format(struct writer *wr, const char *type)
{
    start(wr, "str", "LocalRepresentation");
    start(wr, "str", "TextFormat");
    attr(wr, "textType", type);
    end(wr);
    end(wr);
}

static void dimension(struct writer *wr, const char *id, int pos, const char *codelist)
{
    char p[16];
    snprintf(p, sizeof(p), "%d", pos);
    start(wr, "str", "Dimension");
    attr(wr, "id", id);
    attr(wr, "position", p);
    concept_identity(wr, id);
    enumeration(wr, codelist);
    end(wr);
}

static void time_dimension(struct writer *wr, int pos)
{
    char p[16];
    snprintf(p, sizeof(p), "%d", pos);
    start(wr, "str", "TimeDimension");
    attr(wr, "id", "TIME_PERIOD");
    attr(wr, "position", p);
    concept_identity(wr, "TIME_PERIOD");
    text_format(wr, "ObservationalTimePeriod");
    end(wr);
}

/* An attribute: of the observation (dims NULL) or of the series (attached
 * to the dimensions dims, NULL-terminated), coded (codelist) or a text of
 * type. */
static void attribute(struct writer *wr, const char *id, const char *codelist, const char *type,
                      const char *const *dims)
{
    start(wr, "str", "Attribute");
    attr(wr, "id", id);
    attr(wr, "assignmentStatus", "Conditional");
    concept_identity(wr, id);
    if (codelist)
        enumeration(wr, codelist);
    else
        text_format(wr, type);
    start(wr, "str", "AttributeRelationship");
    if (!dims) {
        start(wr, "str", "PrimaryMeasure");
        ref(wr, (const char *const[]){"id", "OBS_VALUE", NULL});
        end(wr);
    }
    for (; dims && *dims; dims++) {
        start(wr, "str", "Dimension");
        ref(wr, (const char *const[]){"id", *dims, NULL});
        end(wr);
    }
    end(wr);
    end(wr);
}

/* The dimensions, attributes and measure of flow f's structure, as the
 * model (sdmx_model.h) has them. */
static void dsd_components(struct writer *wr, const struct sdmx_flow *f)
{
    const char *series[16];
    size_t ns = 0;

    for (size_t i = 0; i < f->ndims && ns + 1 < sizeof(series) / sizeof(series[0]); i++)
        series[ns++] = f->dims[i].id;
    series[ns] = NULL;
    start(wr, "str", "DataStructureComponents");
    start(wr, "str", "DimensionList");
    attr(wr, "id", "DimensionDescriptor");
    for (size_t i = 0; i < f->ndims; i++)
        dimension(wr, f->dims[i].id, (int)i + 1, sdmx_dim_codelist(f, &f->dims[i]));
    time_dimension(wr, (int)f->ndims + 1);
    end(wr);
    if (f->nattrs) {
        start(wr, "str", "AttributeList");
        attr(wr, "id", "AttributeDescriptor");
        for (size_t i = 0; i < f->nattrs; i++) {
            const struct sdmx_component *at = &f->attrs[i];
            attribute(wr, at->id, at->repr == SDMX_REPR_CODED ? at->codelist : NULL,
                      at->repr == SDMX_REPR_INTEGER ? "Integer" : "String",
                      at->level == SDMX_LEVEL_SERIES ? series : NULL);
        }
        end(wr);
    }
    start(wr, "str", "MeasureList");
    attr(wr, "id", "MeasureDescriptor");
    start(wr, "str", "PrimaryMeasure");
    attr(wr, "id", SDMX_MEASURE);
    concept_identity(wr, SDMX_MEASURE);
    text_format(wr, "Double");
    end(wr);
    end(wr);
    end(wr);
}

/* ---- the message ---- */

/* The names of an artefact, English and Chinese. */
static void art_names(struct writer *wr, const struct art *a)
{
    const struct sdmx_flow *f = a->flow >= 0 ? &wr->c->flows[a->flow] : NULL;
    const struct config_index *ci = f ? config_index_of(wr->c->cfg, f->index_id) : NULL;
    const char *zh = ci && ci->name ? ci->name : NULL;
    char en[256];

    switch (a->kind) {
    case K_DATAFLOW:
    case K_DSD:
        if (!f || f->kind == SDMX_FLOW_OBS) {
            names(wr, "Observations of every unit and indicator", "观测值");
        } else {
            snprintf(en, sizeof(en), "Index %s: scores, ranks and rank changes", f->index_id);
            names(wr, en, zh);
        }
        break;
    case K_CONCEPTS:
        names(wr, "Concepts of parkstat", "概念");
        break;
    case K_CODELIST:
        switch (a->cl) {
        case CL_UNIT:
            names(wr, "Reporting units", "单位");
            break;
        case CL_INDICATOR:
            names(wr, "Indicators", "指标");
            break;
        case CL_FREQ:
            names(wr, "Frequency", "频率");
            break;
        case CL_OBS_STATUS:
            names(wr, "Observation status", "观测状态");
            break;
        default:
            snprintf(en, sizeof(en), "Nodes of index %s", f ? f->index_id : "");
            names(wr, en, zh);
            break;
        }
        break;
    case K_NKINDS:
        break;
    }
}

static int write_art(struct writer *wr, const struct art *a)
{
    static const char *const el[K_NKINDS] = {"Dataflow", "Codelist", "ConceptScheme",
                                             "DataStructure"};
    int stub = wr->q->stubs || (a->referenced && wr->q->ref_stubs);

    maintainable(wr, el[a->kind], a, stub);
    art_names(wr, a);
    if (!stub) {
        if (a->kind == K_DATAFLOW) {
            start(wr, "str", "Structure");
            ref(wr, (const char *const[]){"id", wr->c->flows[a->flow].dsd, "agencyID", SDMX_AGENCY,
                                          "version", SDMX_VERSION, "class", "DataStructure",
                                          "package", "datastructure", NULL});
            end(wr);
        } else if (a->kind == K_CODELIST) {
            int rc = codes(wr, a);
            if (rc < 0 && wr->rc == 0)
                wr->rc = rc;
        } else if (a->kind == K_CONCEPTS) {
            concept_items(wr);
        } else {
            dsd_components(wr, &wr->c->flows[a->flow]);
        }
    }
    end(wr);
    return wr->rc;
}

static void header(struct writer *wr)
{
    char id[64], prepared[40];
    int64_t now = time_now_us();

    snprintf(id, sizeof(id), "IREF%lld", (long long)now);
    time_format_iso(now - now % 1000000, prepared, sizeof(prepared));
    start(wr, "mes", "Header");
    element_text(wr, "mes", "ID", id);
    element_text(wr, "mes", "Test", "false");
    element_text(wr, "mes", "Prepared", prepared);
    start(wr, "mes", "Sender");
    attr(wr, "id", SDMX_AGENCY);
    end(wr);
    end(wr);
}

/* The message of the selected and referenced artefacts into buf. */
static int write_message(struct writer *wr, xmlBufferPtr buf)
{
    static const char *const group[K_NKINDS] = {"Dataflows", "Codelists", "Concepts",
                                                "DataStructures"};
    const struct catalogue *c = wr->c;

    if (!(wr->w = xmlNewTextWriterMemory(buf, 0)))
        return -ENOMEM;
    chk(wr, xmlTextWriterStartDocument(wr->w, NULL, "UTF-8", NULL));
    start(wr, "mes", "Structure");
    chk(wr, xmlTextWriterWriteAttribute(wr->w, BAD_CAST "xmlns:mes", BAD_CAST NS_MES));
    chk(wr, xmlTextWriterWriteAttribute(wr->w, BAD_CAST "xmlns:str", BAD_CAST NS_STR));
    chk(wr, xmlTextWriterWriteAttribute(wr->w, BAD_CAST "xmlns:com", BAD_CAST NS_COM));
    header(wr);
    start(wr, "mes", "Structures");
    for (int k = 0; k < K_NKINDS && wr->rc == 0; k++) {
        int open = 0;
        for (size_t i = 0; i < c->narts && wr->rc == 0; i++) {
            const struct art *a = &c->arts[i];
            if ((int)a->kind != k || !(a->selected || a->referenced))
                continue;
            if (!open++)
                start(wr, "str", group[k]);
            write_art(wr, a);
        }
        if (open)
            end(wr);
    }
    end(wr);
    end(wr);
    chk(wr, xmlTextWriterEndDocument(wr->w));
    xmlFreeTextWriter(wr->w);
    wr->w = NULL;
    return wr->rc;
}

/* "http://HOST" from the request's Host header, for stub URLs; "" without. */
static void base_url(struct api_request *rq, char *out, size_t size)
{
    const char *host = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    out[0] = '\0';
    if (host && *host && strlen(host) < 256 && !strpbrk(host, "/\\\"<>& \t"))
        snprintf(out, size, "http://%s", host);
}

/* Selects the artefacts of kind the query names; the number selected. */
static size_t select_arts(struct catalogue *c, const struct query *q)
{
    size_t n = 0;
    int agency = list_has(q->agency, SDMX_AGENCY, "all");
    int version = list_has(q->version, SDMX_VERSION, "all") || strcmp(q->version, "latest") == 0;

    for (size_t i = 0; i < c->narts; i++) {
        struct art *a = &c->arts[i];
        a->selected = agency && version && a->kind == q->kind && list_has(q->id, a->id, "all");
        n += a->selected;
    }
    return n;
}

/* The handler of every structure resource. */
static int structure(struct api_request *rq, enum kind kind, const char *arg, struct api_reply *rp)
{
    struct query q = {.kind = kind};
    struct catalogue c = {0};
    struct store *st;
    char base[300];
    int rc;

    if (parse_path(arg, &q, rp) || parse_params(rq, &q, rp))
        return 1;
    if (!accepts_xml(rq))
        return api_reply_error(rp, 406,
                               "no answer in the formats the Accept header names: structures "
                               "are SDMX-ML 2.1 (%s)",
                               structure_type),
               1;
    /* Not cached: the cache answers by URI alone, and the Accept header
     * decides between a message and a 406. */
    if ((rc = api_store_get(rq, &st)) < 0)
        return rc;
    base_url(rq, base, sizeof(base));
    pthread_mutex_lock(&rq->api->series_mu);
    rc = catalogue_build(&c, rq->api->cfg, st);
    size_t n = rc == 0 ? select_arts(&c, &q) : 0;
    if (rc == 0 && n)
        rc = add_references(&c, q.refs, q.ref_type);
    xmlBufferPtr buf = rc == 0 && n ? xmlBufferCreate() : NULL;
    if (rc == 0 && n && !buf)
        rc = -ENOMEM;
    if (buf) {
        struct writer wr = {.rq = rq, .st = st, .c = &c, .q = &q, .base = base};
        rc = write_message(&wr, buf);
    }
    pthread_mutex_unlock(&rq->api->series_mu);
    catalogue_free(&c);
    if (rc == 0 && !n) {
        xmlBufferFree(buf);
        return api_reply_error(rp, 404,
                               "no results: no %s matches agency \"%.64s\", id \"%.200s\", "
                               "version \"%.64s\" (agency %s, version %s)",
                               kind_path[kind], q.agency, q.id, q.version, SDMX_AGENCY,
                               SDMX_VERSION),
               1;
    }
    if (rc == 0) {
        size_t len = (size_t)xmlBufferLength(buf);
        size_t cap = rp->cap ? rp->cap : rq->api->max_reply;
        rc = len > cap ? -E2BIG
                       : api_reply_text(rp, MHD_HTTP_OK, structure_type,
                                        (const char *)xmlBufferContent(buf), len);
    }
    xmlBufferFree(buf);
    return rc;
}

/* GET /sdmx/2.1/dataflow[/AGENCY[/ID[/VERSION]]]. */
int api_route_sdmx_dataflow(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    return structure(rq, K_DATAFLOW, arg, rp);
}

/* GET /sdmx/2.1/datastructure[/AGENCY[/ID[/VERSION]]]. */
int api_route_sdmx_datastructure(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    return structure(rq, K_DSD, arg, rp);
}

/* GET /sdmx/2.1/codelist[/AGENCY[/ID[/VERSION[/ITEMS]]]]. */
int api_route_sdmx_codelist(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    return structure(rq, K_CODELIST, arg, rp);
}

/* GET /sdmx/2.1/conceptscheme[/AGENCY[/ID[/VERSION[/ITEMS]]]]. */
int api_route_sdmx_conceptscheme(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    return structure(rq, K_CONCEPTS, arg, rp);
}
