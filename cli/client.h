/*
 * client.h - a small HTTP client for parkstatd's API (docs/API.md): libcurl
 * easy GET and POST with a timeout and gzip, the JSON envelope read with
 * jansson. A call returns the envelope's data, a text body, or an error: the
 * API's own {code, message}, or why the server could not be reached.
 *
 * The bearer token for the admin actions is read from a file and sent only
 * in the Authorization header; it is never printed or logged.
 */
#ifndef PARKSTAT_CLIENT_H
#define PARKSTAT_CLIENT_H

#include <jansson.h>
#include <stddef.h>

struct client;

/* An error from the last call. */
struct client_error {
    long code;         /* HTTP status from the API, 0 when it was not reached */
    char message[512]; /* the API's message, or the transport error naming the URL */
};

/*
 * Creates a client for base_url ("http://127.0.0.1:8080", a trailing slash is
 * dropped) with a per-request timeout (seconds, > 0). Returns 0 and *out
 * (free with client_free()), -EINVAL for an empty URL, or -ENOMEM.
 */
int client_new(struct client **out, const char *base_url, double timeout_s);

/* Frees the client (wiping any token) and sets *cp to NULL; NULL is a no-op. */
void client_free(struct client **cp);

/*
 * Reads the bearer token from the first line of path (blanks at its end
 * dropped). Returns 0, or a negative errno with the reason in the client's
 * error (which names the file, never its content).
 */
int client_set_token_file(struct client *c, const char *path);

/* The base URL as given (without a trailing slash); borrowed. */
const char *client_url(const struct client *c);

/* The error of the last failed call; borrowed, valid until the next call. */
const struct client_error *client_last_error(const struct client *c);

/*
 * GET base_url + path (path starts with '/' and may hold a query) and returns
 * the envelope's data in *data (a new reference). Returns 0; -EPROTO when the
 * API answered with an error (code and message in client_last_error()) or
 * with something that is not its envelope; -EHOSTUNREACH (or -ENOMEM) when
 * no answer came.
 */
int client_get_json(struct client *c, const char *path, json_t **data);

/*
 * client_get_json() of a paged list, to its last page: follows the
 * envelope's page.next (path + cursor=) and joins the pages' rows (the data
 * array, or each array member of a data object). Errors as
 * client_get_json(); on an error *data is NULL.
 */
int client_get_json_all(struct client *c, const char *path, json_t **data);

/*
 * GET a non-JSON resource (/healthz, ?format=csv): *body is the malloc'd,
 * NUL-terminated body of a 2xx answer and *len its length. Errors as
 * client_get_json(); an error body that is the API's envelope gives its
 * message, any other its first line.
 */
int client_get_text(struct client *c, const char *path, char **body, size_t *len);

/*
 * POST base_url + path with an empty body and, when a token is set, the
 * Authorization header; the envelope's data in *data. Errors as
 * client_get_json().
 */
int client_post_json(struct client *c, const char *path, json_t **data);

/*
 * Appends "name=value" to the query of the path in buf (size bytes, holding a
 * NUL-terminated path), with '?' or '&' and value percent-encoded. A NULL
 * value appends nothing. Returns 0, -ENAMETOOLONG, or -ENOMEM.
 */
int client_path_add(char *buf, size_t size, const char *name, const char *value);

#endif
