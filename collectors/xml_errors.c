/*
 * xml_errors.c - the first libxml2 error while one XML reader reads; see
 * xml_errors.h.
 */
#include "collectors/xml_errors.h"

#include <stdio.h>
#include <string.h>

#include <libxml/xmlerror.h>

static void xml_errors_take(void *arg, xmlErrorPtr x)
{
    struct xml_errors *e = arg;
    const char *text;
    size_t n;

    if (e->msg[0] || !x || x->level < XML_ERR_ERROR)
        return;
    text = x->message ? x->message : "XML error";
    if (x->line > 0 || !e->r)
        snprintf(e->msg, sizeof(e->msg), "line %d: %s", x->line, text);
    else /* the encoder converts ahead of the parser: where the parser was */
        snprintf(e->msg, sizeof(e->msg), "line %d or after: %s",
                 xmlTextReaderGetParserLineNumber(e->r), text);
    n = strlen(e->msg);
    while (n > 0 && (e->msg[n - 1] == '\n' || e->msg[n - 1] == ' '))
        e->msg[--n] = '\0';
}

/* libxml2's unstructured messages repeat a structured one ("xmlParseChunk:
 * encoder error"); not printed. */
static void xml_errors_quiet(void *arg, const char *msg, ...)
{
    (void)arg;
    (void)msg;
}

void xml_errors_begin(struct xml_errors *e, xmlTextReaderPtr r)
{
    e->msg[0] = '\0';
    e->r = r;
    e->old_serror = xmlStructuredError;
    e->old_sctx = xmlStructuredErrorContext;
    e->old_generic = xmlGenericError;
    e->old_gctx = xmlGenericErrorContext;
    xmlSetStructuredErrorFunc(e, xml_errors_take);
    xmlSetGenericErrorFunc(NULL, xml_errors_quiet);
    xmlTextReaderSetStructuredErrorHandler(r, xml_errors_take, e);
}

void xml_errors_end(struct xml_errors *e)
{
    xmlSetStructuredErrorFunc(e->old_sctx, e->old_serror);
    xmlSetGenericErrorFunc(e->old_gctx, e->old_generic);
    e->r = NULL;
}
