/*
 * xml_errors.h - the first libxml2 error while one XML reader reads, with
 * its line. The parser reports through the reader; the encoder (bytes the
 * declared encoding cannot convert) reports through the thread's handler,
 * and would otherwise print to stderr and leave the reader's caller with a
 * later, misleading error. Both are taken from xml_errors_begin() to
 * xml_errors_end(), on the thread that reads; those two calls pair up, one
 * reader at a time per thread.
 */
#ifndef PARKSTAT_XML_ERRORS_H
#define PARKSTAT_XML_ERRORS_H

#include <libxml/xmlreader.h>

struct xml_errors {
    char msg[256]; /* "line N: text", "line N or after: text", or "" */
    xmlTextReaderPtr r;
    xmlStructuredErrorFunc old_serror;
    xmlGenericErrorFunc old_generic;
    void *old_sctx, *old_gctx;
};

/* Clears e->msg and takes r's and this thread's errors into it. */
void xml_errors_begin(struct xml_errors *e, xmlTextReaderPtr r);

/* Gives this thread's handlers back; e->msg stays. */
void xml_errors_end(struct xml_errors *e);

#endif
