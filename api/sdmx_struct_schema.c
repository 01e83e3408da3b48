/*
 * sdmx_struct_schema.c - GET /sdmx/2.1/schema/{context}/{agency}/{id}/{version}:
 * the XML schema of a data structure's StructureSpecific data, as the SDMX
 * 2.1 standard derives it (section 3B): DataSetType, SeriesType and ObsType
 * restricting the abstract types of SDMXDataStructureSpecificBase.xsd, every
 * dimension a required XML attribute, every attribute an optional one, coded
 * components typed by their codelist's codes, OBS_VALUE a double. With the
 * official schemas beside it (it imports SDMXCommon.xsd and
 * SDMXDataStructureSpecific.xsd by file name), a StructureSpecific data
 * message of parkstatd validates against SDMXMessage.xsd and this schema.
 *
 * context is datastructure (id: DSD_OBS, DSD_IDX_<ID>) or dataflow (OBS,
 * IDX_<ID>); dimensionAtObservation TIME_PERIOD (default) or AllDimensions
 * gives the target namespace the data message names
 * (urn:...DataStructure=PARKSTAT:DSD_OBS(1.0):ObsLevelDim:TIME_PERIOD).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "api/api_priv.h"
#include "api/sdmx_model.h"
#include "config/config.h"
#include "store/observations.h"

#define XS        "http://www.w3.org/2001/XMLSchema"
#define NS_COMMON "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
#define NS_SS     "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific"

struct xsd {
    xmlTextWriterPtr w;
    struct store *st;
    const struct config *cfg;
    const struct sdmx_flow *f;
    int all_dims; /* dimensionAtObservation=AllDimensions */
    int rc;
};

static void chk(struct xsd *x, int xrc)
{
    if (xrc < 0 && x->rc == 0)
        x->rc = -EIO;
}

static void start(struct xsd *x, const char *name)
{
    chk(x, xmlTextWriterStartElementNS(x->w, BAD_CAST "xs", BAD_CAST name, NULL));
}

static void end(struct xsd *x)
{
    chk(x, xmlTextWriterEndElement(x->w));
}

static void attr(struct xsd *x, const char *name, const char *value)
{
    chk(x, xmlTextWriterWriteAttribute(x->w, BAD_CAST name, BAD_CAST value));
}

/* <xs:enumeration value="code"/> */
static void enumeration(struct xsd *x, const char *code)
{
    start(x, "enumeration");
    attr(x, "value", code);
    end(x);
}

static int unit_code(const struct store_unit_row *r, void *ctx)
{
    enumeration(ctx, r->code);
    return ((struct xsd *)ctx)->rc;
}

static int indicator_code(const struct store_indicator_row *r, void *ctx)
{
    enumeration(ctx, r->code);
    return ((struct xsd *)ctx)->rc;
}

/* The inner nodes of an index tree (leaves are indicators: no results). */
static void node_codes(struct xsd *x, const struct config_index_node *nodes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!nodes[i].indicator) {
            enumeration(x, nodes[i].id);
            node_codes(x, nodes[i].children, nodes[i].n_children);
        }
}

/* A simple type <codelist>Type enumerating the codelist's codes (the
 * structure messages' codes, sdmx_struct.c). */
static int codelist_type(struct xsd *x, const char *codelist)
{
    char name[SDMX_ID_MAX + 8];
    const struct sdmx_code *list = NULL;
    size_t n = 0;
    int rc = 0;

    snprintf(name, sizeof(name), "%sType", codelist);
    start(x, "simpleType");
    attr(x, "name", name);
    start(x, "restriction");
    attr(x, "base", "xs:string");
    if (strcmp(codelist, "CL_UNIT") == 0) {
        rc = store_units_list(x->st, unit_code, x);
    } else if (strcmp(codelist, "CL_INDICATOR") == 0) {
        rc = store_indicators_list(x->st, indicator_code, x);
    } else if (strcmp(codelist, "CL_FREQ") == 0 || strcmp(codelist, "CL_OBS_STATUS") == 0) {
        list = codelist[3] == 'F' ? sdmx_freq_codes(&n) : sdmx_obs_status_codes(&n);
        for (size_t i = 0; i < n; i++)
            enumeration(x, list[i].id);
    } else if (strcmp(codelist, x->f->node_codelist) == 0) {
        size_t ni = 0;
        const struct config_index *ci = x->cfg ? config_indices(x->cfg, &ni) : NULL;
        enumeration(x, x->f->index_id); /* the total */
        for (size_t i = 0; i < ni; i++)
            if (strcmp(ci[i].id, x->f->index_id) == 0)
                node_codes(x, ci[i].tree, ci[i].n_tree);
    }
    end(x);
    end(x);
    if (rc > 0)
        rc = x->rc ? x->rc : -EIO;
    return rc < 0 ? rc : x->rc;
}

/* <xs:attribute name= type= use=/> */
static void xattr(struct xsd *x, const char *name, const char *type, const char *use)
{
    start(x, "attribute");
    attr(x, "name", name);
    if (type)
        attr(x, "type", type);
    attr(x, "use", use);
    end(x);
}

/* The XML type of a component: its codelist's type, or a built-in one. */
static const char *component_type(const struct sdmx_flow *f, const struct sdmx_component *c,
                                  int dim, char *buf, size_t size)
{
    const char *cl = dim ? sdmx_dim_codelist(f, c) : c->codelist;
    if (c->repr == SDMX_REPR_CODED && cl) {
        snprintf(buf, size, "%sType", cl);
        return buf;
    }
    return c->repr == SDMX_REPR_INTEGER ? "xs:integer" : "xs:string";
}

/* The dimensions (required) and attributes of one level as XML attributes:
 * series (the series-level attributes) or obs (observation level). */
static void component_attrs(struct xsd *x, int dims, int level)
{
    char type[SDMX_ID_MAX + 8];
    const struct sdmx_flow *f = x->f;

    for (size_t i = 0; dims && i < f->ndims; i++)
        xattr(x, f->dims[i].id, component_type(f, &f->dims[i], 1, type, sizeof(type)), "required");
    for (size_t i = 0; i < f->nattrs; i++)
        if ((int)f->attrs[i].level == level || x->all_dims)
            xattr(x, f->attrs[i].id, component_type(f, &f->attrs[i], 0, type, sizeof(type)),
                  "optional");
}

/* <xs:complexType name=NAME><xs:complexContent><xs:restriction base=BASE>
 * <xs:sequence><xs:element ref="common:Annotations" minOccurs="0"/> */
static void restriction_start(struct xsd *x, const char *name, const char *base)
{
    start(x, "complexType");
    attr(x, "name", name);
    start(x, "complexContent");
    start(x, "restriction");
    attr(x, "base", base);
    start(x, "sequence");
    start(x, "element");
    attr(x, "ref", "common:Annotations");
    attr(x, "minOccurs", "0");
    end(x);
}

static void restriction_end(struct xsd *x)
{
    end(x); /* restriction */
    end(x); /* complexContent */
    end(x); /* complexType */
}

/* One unqualified child element of a sequence. */
static void child(struct xsd *x, const char *name, const char *type, const char *min)
{
    start(x, "element");
    attr(x, "name", name);
    attr(x, "type", type);
    attr(x, "form", "unqualified");
    if (min)
        attr(x, "minOccurs", min);
    attr(x, "maxOccurs", "unbounded");
    end(x);
}

static void write_types(struct xsd *x)
{
    /* DataSetType: series, or flat observations. */
    restriction_start(x, "DataSetType", "dsd:DataSetType");
    start(x, "element");
    attr(x, "name", "DataProvider");
    attr(x, "type", "common:DataProviderReferenceType");
    attr(x, "form", "unqualified");
    attr(x, "minOccurs", "0");
    end(x);
    start(x, "choice");
    attr(x, "minOccurs", "0");
    child(x, x->all_dims ? "Obs" : "Series", x->all_dims ? "ObsType" : "SeriesType", NULL);
    end(x);
    end(x); /* sequence */
    restriction_end(x);
    if (!x->all_dims) {
        restriction_start(x, "SeriesType", "dsd:SeriesType");
        child(x, "Obs", "ObsType", "0");
        end(x); /* sequence */
        xattr(x, SDMX_TIME_DIM, NULL, "prohibited");
        xattr(x, "REPORTING_YEAR_START_DAY", NULL, "prohibited");
        component_attrs(x, 1, SDMX_LEVEL_SERIES);
        restriction_end(x);
    }
    restriction_start(x, "ObsType", "dsd:ObsType");
    end(x); /* sequence */
    xattr(x, "type", NULL, "prohibited");
    xattr(x, "REPORTING_YEAR_START_DAY", NULL, "prohibited");
    if (x->all_dims)
        component_attrs(x, 1, -1);
    xattr(x, SDMX_TIME_DIM, "common:ObservationalTimePeriodType", "required");
    xattr(x, SDMX_MEASURE, "xs:double", "optional");
    if (!x->all_dims)
        component_attrs(x, 0, SDMX_LEVEL_OBS);
    restriction_end(x);
}

/* The whole schema into buf. */
static int write_schema(struct xsd *x, xmlBufferPtr buf)
{
    char ns[SDMX_ID_MAX * 4 + 256];
    const char *done[16];
    size_t ndone = 0;
    const struct sdmx_flow *f = x->f;

    snprintf(ns, sizeof(ns),
             "urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=%s:%s(%s):ObsLevelDim:%s",
             SDMX_AGENCY, f->dsd, SDMX_VERSION, x->all_dims ? "AllDimensions" : SDMX_TIME_DIM);
    if (!(x->w = xmlNewTextWriterMemory(buf, 0)))
        return -ENOMEM;
    chk(x, xmlTextWriterStartDocument(x->w, NULL, "UTF-8", NULL));
    start(x, "schema");
    attr(x, "xmlns:xs", XS);
    attr(x, "xmlns", ns);
    attr(x, "xmlns:common", NS_COMMON);
    attr(x, "xmlns:dsd", NS_SS);
    attr(x, "targetNamespace", ns);
    attr(x, "elementFormDefault", "unqualified");
    attr(x, "attributeFormDefault", "unqualified");
    start(x, "import");
    attr(x, "namespace", NS_COMMON);
    attr(x, "schemaLocation", "SDMXCommon.xsd");
    end(x);
    start(x, "import");
    attr(x, "namespace", NS_SS);
    attr(x, "schemaLocation", "SDMXDataStructureSpecific.xsd");
    end(x);
    /* One simple type per codelist the structure uses. */
    for (size_t i = 0; i < f->ndims + f->nattrs && x->rc == 0; i++) {
        const struct sdmx_component *c = i < f->ndims ? &f->dims[i] : &f->attrs[i - f->ndims];
        const char *cl = i < f->ndims ? sdmx_dim_codelist(f, c) : c->codelist;
        size_t k;
        if (c->repr != SDMX_REPR_CODED || !cl)
            continue;
        for (k = 0; k < ndone && strcmp(done[k], cl) != 0; k++)
            ;
        if (k < ndone || ndone == sizeof(done) / sizeof(done[0]))
            continue;
        done[ndone++] = cl;
        int rc = codelist_type(x, cl);
        if (rc < 0 && x->rc == 0)
            x->rc = rc;
    }
    write_types(x);
    end(x);
    chk(x, xmlTextWriterEndDocument(x->w));
    xmlFreeTextWriter(x->w);
    x->w = NULL;
    return x->rc;
}

struct find {
    const char *id;
    int by_dsd;
    struct sdmx_flow *out;
    int found;
};

static int find_flow(const struct sdmx_flow *f, void *ctx)
{
    struct find *fd = ctx;
    if (strcmp(fd->by_dsd ? f->dsd : f->id, fd->id) != 0)
        return 0;
    *fd->out = *f;
    fd->found = 1;
    return 1;
}

/* GET /sdmx/2.1/schema/{datastructure|dataflow}/{agency}/{id}[/{version}]. */
int api_route_sdmx_schema(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    char context[32] = "", agency[64] = "", id[SDMX_ID_MAX] = "", version[32] = "latest";
    const char *dao = api_param(rq, "dimensionAtObservation");
    const char *em = api_param(rq, "explicitMeasure");
    struct sdmx_flow f;
    struct find fd = {.id = id, .out = &f};
    struct store *st;
    int rc, bad = !arg;
    size_t nparts = 0;

    /* context/agency/id[/version], each part non-empty */
    for (const char *p = arg ? arg : ""; !bad && *p;) {
        char *parts[4] = {context, agency, id, version};
        const size_t sizes[4] = {sizeof(context), sizeof(agency), sizeof(id), sizeof(version)};
        size_t len = strcspn(p, "/");
        if (nparts == 4 || len == 0 || len >= sizes[nparts]) {
            bad = 1;
            break;
        }
        memcpy(parts[nparts], p, len);
        parts[nparts++][len] = '\0';
        p += len;
        if (*p == '/' && !*++p)
            bad = 1;
    }
    if (bad || nparts < 3)
        return api_reply_bad(rp,
                             "path: want /sdmx/2.1/schema/{datastructure|dataflow}/"
                             "{agency}/{id}[/{version}], not \"%.200s\"",
                             arg ? arg : "");
    if (strcmp(context, "datastructure") != 0 && strcmp(context, "dataflow") != 0)
        return api_reply_error(rp,
                               strcmp(context, "metadatastructure") == 0 ||
                                       strcmp(context, "metadataflow") == 0 ||
                                       strcmp(context, "provisionagreement") == 0
                                   ? 501
                                   : 400,
                               "path: context \"%.32s\" is not datastructure or dataflow", context),
               1;
    if (dao && strcmp(dao, SDMX_TIME_DIM) != 0 && strcmp(dao, "AllDimensions") != 0)
        return api_reply_error(rp, 501,
                               "parameter 'dimensionAtObservation': \"%.64s\" is not "
                               "implemented (TIME_PERIOD and AllDimensions are)",
                               dao),
               1;
    if (em && strcmp(em, "false") != 0)
        return api_reply_error(rp, strcmp(em, "true") == 0 ? 501 : 400,
                               "parameter 'explicitMeasure': \"%.16s\" (the structures have "
                               "no measure dimension: false only)",
                               em),
               1;
    fd.by_dsd = context[0] == 'd' && context[4] == 's'; /* datastructure */
    if ((rc = api_store_get(rq, &st)) < 0)
        return rc;
    if ((strcmp(agency, SDMX_AGENCY) != 0 && strcmp(agency, "all") != 0) ||
        (strcmp(version, SDMX_VERSION) != 0 && strcmp(version, "latest") != 0))
        fd.found = 0;
    else if ((rc = sdmx_flows(st, find_flow, &fd)) < 0)
        return rc;
    if (!fd.found)
        return api_reply_error(rp, 404,
                               "no results: no %s %.64s,%.160s,%.32s (agency %s, version %s)",
                               context, agency, id, version, SDMX_AGENCY, SDMX_VERSION),
               1;
    xmlBufferPtr buf = xmlBufferCreate();
    if (!buf)
        return -ENOMEM;
    pthread_mutex_lock(&rq->api->series_mu);
    struct xsd x = {.st = st, .cfg = rq->api->cfg, .f = &f, .all_dims = dao && dao[0] == 'A'};
    rc = write_schema(&x, buf);
    pthread_mutex_unlock(&rq->api->series_mu);
    if (rc == 0) {
        size_t len = (size_t)xmlBufferLength(buf);
        rc = len > (rp->cap ? rp->cap : rq->api->max_reply)
                 ? -E2BIG
                 : api_reply_text(rp, MHD_HTTP_OK, "application/xml; charset=utf-8",
                                  (const char *)xmlBufferContent(buf), len);
    }
    xmlBufferFree(buf);
    return rc;
}
