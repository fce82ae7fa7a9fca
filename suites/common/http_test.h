/* A small blocking HTTP client for tests (libcurl), to play a runtime or an Invoke API caller. */
#ifndef LC_HTTP_TEST_H
#define LC_HTTP_TEST_H

#include <stddef.h>

typedef struct {
    long status;       /* 0 when the request failed at the transport level */
    char *body;        /* NUL-terminated; free with http_reply_free() */
    size_t body_len;
    char *headers;     /* all response header lines, NUL-terminated */
} http_reply;

/* Sends method to http://127.0.0.1:<port><path> with body (NULL: none) and extra header lines
 * (NULL-terminated list of "Name: value", may be NULL). chunked sends the body chunked. */
http_reply http_call(unsigned port, const char *method, const char *path, const char *body,
                     size_t body_len, const char *const *headers, int chunked);

/* The value of a response header (case-insensitive name), copied into out; "" if absent. */
const char *http_header(const http_reply *r, const char *name, char *out, size_t size);

void http_reply_free(http_reply *r);

#endif
