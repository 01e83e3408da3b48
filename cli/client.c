/*
 * client.c - the API client (client.h): one curl easy handle reused for every
 * request (keep-alive), a capped growable body buffer, and the envelope
 * {"status":"ok","data":...} / {"status":"error","error":{code,message}} read
 * with jansson.
 */
#include "cli/client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/curl_dl.h"
#include "common/buf.h"

#define CLIENT_MAX_BODY  (512u << 20) /* one answer; lists come a page at a time */
#define CLIENT_MAX_PATH  8192         /* a request path with a cursor */
#define CLIENT_MAX_TOKEN 4096
#define CLIENT_MAX_URL   8192

struct client {
    const struct curl_api *api;
    CURL *curl;
    char *base;  /* without a trailing slash */
    char *token; /* NULL when none; wiped before it is freed */
    long timeout_ms;
    struct client_error err;
};

__attribute__((format(printf, 3, 4))) static void set_error(struct client *c, long code,
                                                            const char *fmt, ...)
{
    va_list ap;

    c->err.code = code;
    va_start(ap, fmt);
    vsnprintf(c->err.message, sizeof(c->err.message), fmt, ap);
    va_end(ap);
}

/* The body of one answer, into a buffer capped at CLIENT_MAX_BODY. */
static size_t on_write(char *data, size_t size, size_t n, void *ctx)
{
    struct buf *b = ctx;
    size_t add = size * n;

    return buf_add(b, data, add) < 0 ? 0 : add; /* 0: curl stops with CURLE_WRITE_ERROR */
}

/* Creates the client and its curl handle. */
int client_new(struct client **out, const char *base_url, double timeout_s)
{
    struct client *c = NULL;
    size_t n = base_url ? strlen(base_url) : 0;

    *out = NULL;
    while (n > 0 && base_url[n - 1] == '/')
        n--;
    if (n == 0 || timeout_s <= 0)
        return -EINVAL;
    const struct curl_api *api = curl_dl(NULL, 0);
    if (!api)
        return -ENOSYS;
    if (api->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -ENOMEM;
    if (!(c = calloc(1, sizeof(*c))) || !(c->base = strndup(base_url, n)) ||
        !(c->curl = api->easy_init())) {
        if (c)
            free(c->base);
        free(c);
        api->global_cleanup();
        return -ENOMEM;
    }
    c->api = api;
    c->timeout_ms = (long)(timeout_s * 1000);
    *out = c;
    return 0;
}

/* Wipes the token and frees everything. */
void client_free(struct client **cp)
{
    struct client *c = cp ? *cp : NULL;

    if (!c)
        return;
    if (c->token) {
        explicit_bzero(c->token, strlen(c->token));
        free(c->token);
    }
    c->api->easy_cleanup(c->curl);
    free(c->base);
    free(c);
    curl_dl(NULL, 0)->global_cleanup();
    *cp = NULL;
}

/* Reads the first line of the token file. */
int client_set_token_file(struct client *c, const char *path)
{
    char buf[CLIENT_MAX_TOKEN + 2];
    FILE *f = fopen(path, "r");
    int rc = 0;

    if (!f) {
        rc = -errno;
        set_error(c, 0, "token file %s: %s", path, strerror(errno));
        return rc;
    }
    if (!fgets(buf, sizeof(buf), f))
        buf[0] = '\0';
    fclose(f);
    size_t n = strcspn(buf, "\r\n");
    while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        n--;
    if (n == 0 || n > CLIENT_MAX_TOKEN) {
        set_error(c, 0, "token file %s: %s", path, n ? "token too long" : "empty");
        rc = -EINVAL;
    } else {
        if (c->token) {
            explicit_bzero(c->token, strlen(c->token));
            free(c->token);
        }
        if (!(c->token = strndup(buf, n)))
            rc = -ENOMEM;
    }
    explicit_bzero(buf, sizeof(buf));
    return rc;
}

const char *client_url(const struct client *c)
{
    return c->base;
}

const struct client_error *client_last_error(const struct client *c)
{
    return &c->err;
}

/* Adds the Authorization header for a POST; the header text is wiped by the
 * caller through *auth. */
static int auth_header(struct client *c, struct curl_slist **list, char **auth)
{
    static const char prefix[] = "Authorization: Bearer ";
    size_t n = sizeof(prefix) + strlen(c->token);

    if (!(*auth = malloc(n)))
        return -ENOMEM;
    snprintf(*auth, n, "%s%s", prefix, c->token);
    if (!(*list = c->api->slist_append(NULL, *auth)))
        return -ENOMEM;
    return 0;
}

static void wipe_auth(struct curl_slist *list, char *auth)
{
    /* curl_slist_append copies the string: wipe both copies */
    if (list && list->data)
        explicit_bzero(list->data, strlen(list->data));
    if (list)
        curl_dl(NULL, 0)->slist_free_all(list);
    if (auth) {
        explicit_bzero(auth, strlen(auth));
        free(auth);
    }
}

/* Sends one request and collects the body and status. Returns 0 when an
 * answer came (any status), else -EHOSTUNREACH or -ENOMEM with the error set. */
static int perform(struct client *c, int post, const char *path, struct buf *b, long *status)
{
    char url[CLIENT_MAX_URL], errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = NULL;
    char *auth = NULL;
    CURL *e = c->curl;
    CURLcode cc;
    int rc = 0;

    c->err = (struct client_error){0};
    if ((size_t)snprintf(url, sizeof(url), "%s%s", c->base, path) >= sizeof(url)) {
        set_error(c, 0, "request URL too long");
        return -ENAMETOOLONG;
    }
    if (post && c->token && auth_header(c, &headers, &auth) < 0) {
        wipe_auth(headers, auth);
        return -ENOMEM;
    }
    c->api->easy_reset(e);
    c->api->easy_setopt(e, CURLOPT_URL, url);
    c->api->easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    c->api->easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    c->api->easy_setopt(e, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    c->api->easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                        c->timeout_ms < 10000 ? c->timeout_ms : 10000L);
    c->api->easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip");
    c->api->easy_setopt(e, CURLOPT_USERAGENT, "parkstat/" PARKSTAT_VERSION);
    c->api->easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    c->api->easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    c->api->easy_setopt(e, CURLOPT_WRITEDATA, b);
    if (post) {
        c->api->easy_setopt(e, CURLOPT_POST, 1L);
        c->api->easy_setopt(e, CURLOPT_POSTFIELDS, "");
        c->api->easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
    }
    if (headers)
        c->api->easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    cc = c->api->easy_perform(e);
    c->api->easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
    c->api->easy_setopt(e, CURLOPT_ERRORBUFFER, NULL);
    wipe_auth(headers, auth);
    if (cc != CURLE_OK) {
        if (b->err == -E2BIG)
            set_error(c, 0, "%s: answer larger than %u MB", url, CLIENT_MAX_BODY >> 20);
        else
            set_error(c, 0, "cannot reach %s: %s", url,
                      errbuf[0] ? errbuf : c->api->easy_strerror(cc));
        rc = cc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EHOSTUNREACH;
    } else {
        c->api->easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
    }
    return rc;
}

/* Sets the error from an answer with status >= 400 (or an unreadable one):
 * the envelope's {code, message} when the body is one, else its first line. */
static void answer_error(struct client *c, long status, const char *body, size_t len)
{
    json_t *root = body ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *err = json_object_get(root, "error");
    const char *msg = json_string_value(json_object_get(err, "message"));
    json_int_t code = json_integer_value(json_object_get(err, "code"));

    if (msg)
        set_error(c, code ? (long)code : status, "%s", msg);
    else if (body && len > 0 && status >= 400)
        set_error(c, status, "%.*s", (int)strcspn(body, "\r\n"), body);
    else if (status >= 400)
        set_error(c, status, "HTTP status %ld", status);
    else
        set_error(c, status, "%s: the answer is not the API's JSON envelope", c->base);
    json_decref(root);
}

/* Reads the envelope of a 2xx answer into *data, and its page.next into
 * *next (malloc'd; NULL when none) when next is not NULL. */
static int envelope(struct client *c, long status, struct buf *b, json_t **data, char **next)
{
    json_t *root = NULL, *d;
    const char *st;

    if (status >= 200 && status < 300 && b->p) {
        root = json_loadb(b->p, b->len, 0, NULL);
        st = json_string_value(json_object_get(root, "status"));
        d = json_object_get(root, "data");
        if (st && strcmp(st, "ok") == 0 && d) {
            const char *n =
                json_string_value(json_object_get(json_object_get(root, "page"), "next"));
            *data = json_incref(d);
            if (next && n && !(*next = strdup(n))) {
                json_decref(root);
                json_decref(*data);
                *data = NULL;
                return -ENOMEM;
            }
            json_decref(root);
            return 0;
        }
        json_decref(root);
    }
    answer_error(c, status, b->p, b->len);
    return -EPROTO;
}

static int request_json(struct client *c, int post, const char *path, json_t **data, char **next)
{
    struct buf b;
    long status = 0;
    int rc;

    buf_init(&b, CLIENT_MAX_BODY);
    *data = NULL;
    if (next)
        *next = NULL;
    if ((rc = perform(c, post, path, &b, &status)) == 0)
        rc = envelope(c, status, &b, data, next);
    buf_free(&b);
    return rc;
}

/* GET with the envelope. */
int client_get_json(struct client *c, const char *path, json_t **data)
{
    return request_json(c, 0, path, data, NULL);
}

/* Appends a later page's rows to acc: the array's, or each array member's of
 * an object. */
static int join_page(json_t *acc, json_t *more)
{
    const char *key;
    json_t *v;

    if (json_is_array(acc))
        return json_array_extend(acc, more) == 0 ? 0 : -EPROTO;
    json_object_foreach(more, key, v)
    {
        json_t *a = json_object_get(acc, key);
        if (json_is_array(v) && json_is_array(a) && json_array_extend(a, v) != 0)
            return -ENOMEM;
    }
    return 0;
}

/* GET every page of a list (see client.h). */
int client_get_json_all(struct client *c, const char *path, json_t **data)
{
    char *next = NULL;
    int rc = request_json(c, 0, path, data, &next);

    while (rc == 0 && next) {
        char url[CLIENT_MAX_PATH];
        json_t *more = NULL;
        snprintf(url, sizeof(url), "%s", path);
        rc = client_path_add(url, sizeof(url), "cursor", next);
        free(next);
        next = NULL;
        if (rc == 0 && (rc = request_json(c, 0, url, &more, &next)) == 0)
            rc = join_page(*data, more);
        json_decref(more);
    }
    free(next);
    if (rc < 0) {
        json_decref(*data);
        *data = NULL;
    }
    return rc;
}

/* POST with the token. */
int client_post_json(struct client *c, const char *path, json_t **data)
{
    return request_json(c, 1, path, data, NULL);
}

/* GET a text body. */
int client_get_text(struct client *c, const char *path, char **body, size_t *len)
{
    struct buf b;
    long status = 0;
    int rc;

    buf_init(&b, CLIENT_MAX_BODY);
    *body = NULL;
    *len = 0;
    if ((rc = perform(c, 0, path, &b, &status)) < 0)
        goto out;
    if (status < 200 || status >= 300) {
        answer_error(c, status, b.p, b.len);
        rc = -EPROTO;
        goto out;
    }
    if (!(*body = buf_take(&b, len)))
        rc = -ENOMEM;
out:
    buf_free(&b);
    return rc;
}

/* Appends name=value, value percent-encoded. */
int client_path_add(char *buf, size_t size, const char *name, const char *value)
{
    size_t len = strlen(buf);
    char *enc;
    int n;

    if (!value)
        return 0;
    const struct curl_api *api = curl_dl(NULL, 0);
    if (!api)
        return -ENOSYS;
    if (!(enc = api->easy_escape(NULL, value, 0)))
        return -ENOMEM;
    n = snprintf(buf + len, size - len, "%c%s=%s", strchr(buf, '?') ? '&' : '?', name, enc);
    api->free(enc);
    if (n < 0 || (size_t)n >= size - len) {
        buf[len] = '\0';
        return -ENAMETOOLONG;
    }
    return 0;
}
