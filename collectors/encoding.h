/*
 * encoding.h - text payloads in the encodings statistics offices publish
 * (GB18030/GBK, UTF-16 as Excel's "Unicode text", UTF-8 with or without a
 * BOM) turned into UTF-8 before any reader sees them, with iconv.
 *
 * A converter is fed the payload in pieces of any size (a whole HTTP body,
 * or the blocks an import streams), so a multi-byte sequence may be split
 * between two pieces. A byte order mark at the very start decides the
 * encoding whatever was declared (EF BB BF: UTF-8, FF FE: UTF-16LE, FE FF:
 * UTF-16BE) and is not passed on. Invalid input is refused with its place:
 * "line 3 column 7: invalid GB18030 byte 0x81" (the column counts
 * characters from the start of the line, both 1-based).
 */
#ifndef PARKSTAT_ENCODING_H
#define PARKSTAT_ENCODING_H

#include <stddef.h>

#include "common/buf.h"

enum encoding {
    ENCODING_NONE,    /* not declared: bytes passed on as they are (a BOM still decides) */
    ENCODING_UTF8,    /* "utf-8": checked, invalid bytes refused */
    ENCODING_GB18030, /* "gb18030" */
    ENCODING_GBK,     /* "gbk" (also "gb2312", which GBK contains) */
    ENCODING_UTF16LE, /* "utf-16le", "utf-16" (little endian without a BOM) */
    ENCODING_UTF16BE, /* "utf-16be" */
};

/* The names a configuration may give, NULL-terminated (for messages and
 * did-you-mean), in the order of enum encoding from ENCODING_UTF8. */
extern const char *const encoding_names[];

/*
 * Looks up a declared encoding by name, case-insensitively ("UTF-8", "utf8",
 * "GB18030", "gbk", "gb2312", "utf-16le", "utf-16", "utf-16be"). Returns 0
 * and *out, or -EINVAL.
 */
int encoding_from_name(const char *name, enum encoding *out);

/* The encoding's name for messages ("GB18030"); "bytes" for ENCODING_NONE. */
const char *encoding_label(enum encoding enc);

struct encoding_conv;

/* A converter for one payload declared in enc. Returns 0 or -ENOMEM. */
int encoding_conv_new(struct encoding_conv **out, enum encoding enc);

/* Frees a converter and sets *cp = NULL. NULL is a harmless no-op. */
void encoding_conv_free(struct encoding_conv **cp);

/*
 * Converts the next len bytes of the payload, appending UTF-8 to out; final
 * is 1 for the last piece (it may be empty). Bytes of a sequence that the
 * piece cuts short are kept for the next call. Returns 0; -EILSEQ with the
 * place in err ("line 2 column 5: invalid UTF-8 byte 0xB9"), also for
 * a sequence the end of the payload cuts short; or out's error (-E2BIG,
 * -ENOMEM). After an error the converter refuses further input.
 */
int encoding_conv_feed(struct encoding_conv *c, const char *in, size_t len, int final,
                       struct buf *out, char *err, size_t errsize);

/*
 * Converts a whole payload. When nothing needs converting (ENCODING_NONE
 * without a UTF-16 BOM) *text points into in (past a UTF-8 BOM) and *owned
 * is NULL; otherwise *text is *owned, a malloc'd NUL-terminated copy the
 * caller frees. Returns 0, or as encoding_conv_feed().
 */
int encoding_convert(enum encoding enc, const char *in, size_t len, const char **text,
                     size_t *textlen, char **owned, char *err, size_t errsize);

#endif
