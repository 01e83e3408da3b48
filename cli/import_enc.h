/*
 * import_enc.h - `parkstat import --encoding NAME`: a CSV file in GB18030,
 * GBK or UTF-16 converted to UTF-8 before the import reads it.
 */
#ifndef PARKSTAT_IMPORT_ENC_H
#define PARKSTAT_IMPORT_ENC_H

#include <stddef.h>
#include <stdio.h>

/*
 * The file at path, converted from encoding (a name collectors/encoding.h
 * knows: "gb18030", "gbk", "utf-16le", ...; a BOM in the file decides) to
 * UTF-8 in a temporary file read from its start (fclose() removes it). The
 * file is converted in 64 KiB pieces, never held whole. Returns the file,
 * or NULL with the reason in err ("line 3 column 7: invalid GBK byte 0x81").
 */
FILE *import_enc_csv(const char *path, const char *encoding, char *err, size_t errsize);

#endif
