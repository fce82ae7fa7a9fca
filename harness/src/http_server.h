/* Private to the library: a small HTTP/1.1 server for the emulator's two loopback servers (the
 * Runtime API of each environment, and the Invoke API).
 *
 * One thread runs an epoll loop that does all the I/O: it accepts, reads and parses requests, and
 * writes answers. Idle or slow clients cost a descriptor, not a thread, and cannot starve
 * others: a request must arrive whole within a time limit (else 408), an idle connection is
 * closed after another, and a full server makes room for a newcomer by closing the least
 * recently active connection with no request in progress (else the slowest request still
 * arriving); only when every connection has a request being handled or answered is a newcomer
 * answered 503 at once. At the process's descriptor limit the server neither spins nor goes
 * silent: it makes room the same way, else accepts the newcomer on a descriptor kept in reserve
 * and answers it 503. Every
 * request that can be answered is: a conflicting duplicate Content-Length, a Content-Length that
 * does not parse, both Content-Length and Transfer-Encoding (400), a Transfer-Encoding other than
 * chunked (501), a head over its cap (431), a body over its cap (413, after reading it up to a
 * hard limit; a streamed body past that limit goes to the handler at once, over_cap, and the
 * connection closes after its answer), a request cut off by the client (400) or too slow (408).
 *
 * A complete request goes to the handler in the loop's thread. The handler answers it, then or
 * later and from any thread, with lc__http_respond() exactly once (or lc__http_drop()); until then
 * the request is the server's and stays valid. Bodies of answers are handed over, not copied,
 * when the caller gives a release function.
 */
#ifndef LC_HTTP_SERVER_H
#define LC_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/error.h"

typedef struct lc__http_server lc__http_server;

typedef struct {
    const char *name;
    const char *value;
} lc__http_field;

/* A request as received. Strings point into the server's buffers: valid until answered. */
typedef struct lc__http_request {
    const char *method;
    const char *target;  /* as sent: "/path?query" */
    const char *path;    /* as sent, before '?' */
    const char *query;   /* as sent, after '?' ("" when none) */
    int minor_version;   /* HTTP/1.<minor> */
    const lc__http_field *headers;
    size_t n_headers;
    const lc__http_field *trailers; /* of a chunked body */
    size_t n_trailers;
    lc_buf body;         /* the body kept, up to the request's cap (owned by the server) */
    size_t body_size;    /* bytes received, kept or not: more than the cap means too large */
    bool over_cap;       /* body_size passed the cap: the body was not kept (a streamed one:
                            only its first cap bytes were) */
    bool streamed;       /* config.streams said so: each piece of the body went to on_body too */
    char body_sha256[65]; /* with config.hash_bodies: the SHA-256 (hex) of the whole body as
                            received, kept or not; "" otherwise */
    const char *peer;    /* the client's IP address ("127.0.0.1"; "" when unknown) */
    void *user;          /* for the handler */
} lc__http_request;

typedef struct {
    const char *host;           /* NULL: 127.0.0.1 */
    unsigned port;              /* 0: an ephemeral port */
    size_t max_connections;     /* 0: 1024 */
    size_t max_head;            /* bytes of request line and headers; 0: 64 KB */
    size_t max_body;            /* bytes of body kept; 0: 6 MB */
    size_t max_discard;         /* past max_body, bytes read and dropped before the connection is
                                   closed instead; 0: 64 MB */
    long request_timeout_ms;    /* from a request's first byte to its last (a streamed body:
                                   between two of its pieces); 0: 30 s */
    long idle_timeout_ms;       /* a connection with no request in progress; 0: never */
    bool hash_bodies;           /* hash every body as it arrives (req->body_sha256), so that a
                                   body too large to keep can still be authenticated */
    /* The cap of one request's body, asked once its head is in (NULL: max_body). */
    size_t (*body_cap)(void *ctx, const lc__http_request *req);
    /* Whether the body of this request is also handed to on_body piece by piece as it arrives
     * (asked once its head is in; NULL: never). */
    bool (*streams)(void *ctx, const lc__http_request *req);
    /* A piece of a streamed body, in order, as it arrives (the loop's thread); what is kept is
     * still capped by body_cap. */
    void (*on_body)(void *ctx, lc__http_request *req, const char *data, size_t len);
    /* A complete request (the loop's thread). */
    void (*on_request)(void *ctx, lc__http_request *req);
    /* Called in the loop's thread after lc__http_server_wake() (NULL: nothing). */
    void (*on_wake)(void *ctx);
    /* The body and content type of an answer the server makes itself (a 400 for a malformed
     * request, a 408, ...): NULL gives text/plain with the message. */
    void (*error_body)(void *ctx, int status, const char *message, lc_buf *body,
                       const char **content_type);
    void *ctx;
} lc__http_config;

/* Starts listening and the loop's thread. Caller frees with lc__http_server_free(). */
lc_status lc__http_server_start(const lc__http_config *config, lc__http_server **out,
                                lc_error *err);

/* Tells the loop to stop (as lc__http_server_free does) without waiting for it, so that several
 * servers can wind down together. NULL is a no-op. */
void lc__http_server_stop(lc__http_server *s);

/* Stops accepting, closes every connection with no request being handled, waits until every
 * request handed to the handler is answered or dropped, then stops the loop and frees. NULL is a
 * no-op. */
void lc__http_server_free(lc__http_server *s);

uint16_t lc__http_server_port(const lc__http_server *s);

/* Runs config.on_wake in the loop's thread soon (any thread may call it). */
void lc__http_server_wake(lc__http_server *s);

/* True when called from the loop's thread. */
bool lc__http_in_loop(const lc__http_server *s);

/* The first value of a header (case-insensitive name), NULL when absent. */
const char *lc__http_header(const lc__http_request *req, const char *name);
/* The same for a trailer of a chunked body. */
const char *lc__http_trailer(const lc__http_request *req, const char *name);

/* Takes the body out of the request (caller frees with free(); NUL-terminated; "" when empty). */
char *lc__http_take_body(lc__http_request *req, size_t *len);

/* An answer. headers: "Name: value" lines, NULL-terminated (may be NULL); Content-Length is
 * added. The body is handed over when release is not NULL (called once it is sent, or when it
 * cannot be), else copied. Answers req exactly once, from any thread; after this req is gone. */
void lc__http_respond(lc__http_server *s, lc__http_request *req, int status,
                      const char *const *headers, const void *body, size_t len,
                      void (*release)(void *body));

/* Takes the request's connection out of the server: returns a descriptor of its socket for the
 * caller to write an answer of its own on (and close), or -1. The server forgets the request as
 * if dropped. For answers the server cannot frame, such as a stream written as it is made. */
int lc__http_detach(lc__http_server *s, lc__http_request *req);

/* Closes the request's connection without an answer (a server shutting down). */
void lc__http_drop(lc__http_server *s, lc__http_request *req);

/* The reason phrase of a status ("Bad Request"). */
const char *lc__http_reason(int status);

#endif
