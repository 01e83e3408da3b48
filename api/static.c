/*
 * static.c - the dashboard's files: GET / serves index.html and
 * GET /assets/{file} the bundle the web build emitted, both from the web root
 * directory (api_options.web_root), with a content type by extension, a weak
 * ETag from the file's size and modification time (If-None-Match gives 304)
 * and gzip through the common reply path.
 *
 * Only plain file names are served: a name with "..", a '/', a NUL, a dot
 * first, or whose real path is not inside the real web root is a 404, as is a
 * missing or non-regular file. Files are small (the bundle is < 2 MB), so one
 * is read whole into the reply body.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "api/api_priv.h"

/* Largest file served; the dashboard bundle is far below. */
#define STATIC_MAX_BYTES (16L * 1024 * 1024)

struct mime {
    const char *ext;
    const char *type;
};

static const struct mime mimes[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
};

static const char *mime_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof(mimes) / sizeof(mimes[0]); i++)
        if (strcasecmp(dot, mimes[i].ext) == 0)
            return mimes[i].type;
    return "application/octet-stream";
}

/* A plain file name: not empty, no dot first (no "..", no hidden files), no
 * '/' or '\\', no control bytes. */
static int name_ok(const char *name)
{
    if (!name || !name[0] || name[0] == '.' || strstr(name, ".."))
        return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p == '/' || *p == '\\' || *p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* Resolves root/sub/name into real (PATH_MAX) and checks it stays inside the
 * real root. Returns 0, or -ENOENT for anything not to be served. */
static int resolve(const char *root, const char *sub, const char *name, char *real)
{
    char realroot[PATH_MAX], path[PATH_MAX];
    size_t n;

    if (!realpath(root, realroot))
        return -ENOENT;
    if (snprintf(path, sizeof(path), "%s/%s%s", realroot, sub, name) >= (int)sizeof(path) ||
        !realpath(path, real))
        return -ENOENT;
    n = strlen(realroot);
    if (strncmp(real, realroot, n) != 0 || real[n] != '/')
        return -ENOENT;
    return 0;
}

/* Reads the file at path (regular, at most STATIC_MAX_BYTES) into rp's body.
 * Returns 0, -ENOENT, -ENOMEM or -EIO. */
static int read_body(const char *path, const struct stat *sb, struct api_reply *rp)
{
    int rc = -EIO;
    FILE *fp = fopen(path, "rb");
    size_t len = (size_t)sb->st_size;
    char *body = malloc(len + 1);

    if (!fp || !body) {
        rc = fp ? -ENOMEM : -ENOENT;
        goto out;
    }
    if (fread(body, 1, len, fp) != len)
        goto out;
    body[len] = '\0';
    free(rp->body);
    rp->body = body;
    rp->len = len;
    body = NULL;
    rc = 0;
out:
    free(body);
    if (fp)
        fclose(fp);
    return rc;
}

/* The weak ETag of a file version; 1 when If-None-Match lists it (or "*"). */
static int file_etag(struct api_request *rq, struct api_reply *rp, const struct stat *sb)
{
    snprintf(rp->etag, sizeof(rp->etag), "W/\"%llx-%llx\"", (unsigned long long)sb->st_size,
             (unsigned long long)sb->st_mtime);
    rp->cacheable = 1;
    const char *inm =
        MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (!inm)
        return 0;
    /* Weak comparison: the opaque part ("...") anywhere in the list. */
    return strstr(inm, rp->etag + 2) != NULL || strcmp(inm, "*") == 0;
}

static int not_found(struct api_reply *rp, const char *what)
{
    return api_reply_error(rp, MHD_HTTP_NOT_FOUND, "no such resource: %.200s", what);
}

/*
 * GET / and GET /assets/{file} (see api_priv.h): arg is NULL for / (which
 * serves index.html) or the file name under assets/. Returns 0 with rp
 * complete (200, 304, 404), or a negative errno for a 500.
 */
int api_route_static(struct api_request *rq, const char *arg, struct api_reply *rp)
{
    const char *root = rq->api->web_root;
    const char *name = arg ? arg : "index.html";
    char real[PATH_MAX];
    struct stat sb;
    int rc;

    if (!root)
        return api_reply_error(rp, MHD_HTTP_NOT_FOUND, "the dashboard is not installed");
    if (!name_ok(name) || resolve(root, arg ? "assets/" : "", name, real) < 0 ||
        stat(real, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > STATIC_MAX_BYTES)
        return not_found(rp, arg ? name : "/");
    if (file_etag(rq, rp, &sb)) {
        rp->status = MHD_HTTP_NOT_MODIFIED;
        return 0;
    }
    if ((rc = read_body(real, &sb, rp)) == -ENOENT)
        return not_found(rp, name);
    if (rc < 0)
        return rc;
    rp->status = MHD_HTTP_OK;
    rp->content_type = mime_type(name);
    return 0;
}
