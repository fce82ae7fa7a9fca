/* lambdacheck: the Lambda Runtime API for one execution environment (spec section 3).
 *
 * A server on 127.0.0.1 and an ephemeral port that a runtime process talks to: it long-polls
 * GET /2018-06-01/runtime/invocation/next, then posts /response or /error for that request id,
 * or /init/error before its first /next. Every post is kept, raw, for the journal. Misuse gets the
 * error statuses of spec 3.2 (400 wrong request id, 403 invalid state transition, 413 payload too
 * large, 404 unknown path, 405 wrong method).
 *
 * Threads: the server runs its own threads. The environment that owns it submits one invocation
 * at a time and waits on notify_fd() for changes; all functions are thread-safe.
 *
 * A concurrent API (Lambda Managed Instances, lc_runtime_api_start_concurrent) takes up to its
 * maximum concurrency of invocations at once: every /next waits for the oldest invocation not yet
 * handed out, several /next may wait at once, and an invocation is over when its outcome is
 * posted (taken with lc_runtime_api_take_outcome_of). A post for an unknown id is 400, a second
 * post for one that has its outcome 403; an init error is accepted before the first /next only.
 *
 * A SnapStart environment's API (lc_runtime_api_allow_restore) also has the restore endpoints.
 */
#ifndef LAMBDACHECK_RUNTIME_API_H
#define LAMBDACHECK_RUNTIME_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "lambdacheck/context.h"
#include "lambdacheck/error.h"
#include "lambdacheck/function.h"

/* Largest body a runtime may post: 6 MiB + 100 bytes (spec 3.2). */
#define LC_RUNTIME_MAX_RESPONSE 6291556u
/* Largest response a runtime may stream (spec 8; Lambda's default since July 2025): 200 MiB.
 * Of a stream, LC_RUNTIME_MAX_RESPONSE bytes are kept; the rest goes to the stream's sink. */
#define LC_RUNTIME_MAX_STREAM (200u * 1024 * 1024)

typedef struct lc_runtime_api lc_runtime_api;

/* One request the runtime made, as received. */
typedef struct {
    char method[8];
    char path[256];        /* e.g. "/2018-06-01/runtime/invocation/<id>/response" */
    int status;            /* the status the server answered */
    char content_type[128];
    char error_type[128];  /* Lambda-Runtime-Function-Error-Type, "" if absent */
    char *body;            /* owned; NUL-terminated; at most LC_RUNTIME_MAX_RESPONSE bytes kept */
    size_t body_len;       /* bytes kept */
    size_t body_size;      /* bytes received (more than body_len when over the limit) */
} lc_runtime_post;

typedef enum {
    LC_RUNTIME_PENDING,    /* nothing yet */
    LC_RUNTIME_RESPONSE,   /* /response accepted */
    LC_RUNTIME_ERROR,      /* /error accepted */
    LC_RUNTIME_INIT_ERROR, /* /init/error accepted */
    LC_RUNTIME_TOO_LARGE,  /* /response or /error over the limit (answered 413) */
    LC_RUNTIME_RESTORE_ERROR, /* SnapStart: /restore/error accepted (an after-restore hook failed) */
} lc_runtime_outcome_kind;

/* What the runtime answered to an invocation. */
typedef struct {
    lc_runtime_outcome_kind kind;
    char *body;             /* owned: the result or error body */
    size_t body_len;
    char content_type[128]; /* of the posted body */
    char error_type[128];   /* Lambda-Runtime-Function-Error-Type of an error post */
    char *xray_cause;       /* owned: Lambda-Runtime-Function-XRay-Error-Cause, or NULL */
    size_t posted_size;     /* for TOO_LARGE: the size of the refused body */
    bool streamed;          /* the runtime streamed its response (Response-Mode: streaming) */
    char *stream;           /* owned, for a stream that ended in an error (its trailers): the
                               bytes streamed before it (NULL otherwise: body has them) */
    size_t stream_len;
} lc_runtime_outcome;

/* Where a streamed response goes as it arrives: begin once the runtime has started it (with its
 * Content-Type), data for each piece, in order. Called in the Runtime API's thread; they may
 * block (that slows the runtime, as a slow reader does on Lambda). */
typedef struct {
    void (*begin)(void *ctx, const char *content_type);
    void (*data)(void *ctx, const char *bytes, size_t len);
    void *ctx;
} lc_stream_sink;

/* An invocation to hand to the runtime. Borrowed by lc_runtime_api_submit() for the call only. */
typedef struct {
    const char *request_id;
    json_t *headers;         /* Lambda-Runtime-* headers (lc_context_runtime_headers) */
    const char *payload;     /* the event bytes */
    size_t payload_len;
    const char *content_type; /* NULL: application/json */
    long timeout_ms;          /* > 0: Lambda-Runtime-Deadline-Ms is set when the runtime takes
                                 the event, to that moment plus this */
    const lc_stream_sink *sink; /* a streamed response's pieces as they arrive (copied); NULL:
                                   none (the response is only kept) */
} lc_runtime_invocation;

/* Starts a server on 127.0.0.1:0. Caller frees with lc_runtime_api_free(). */
lc_status lc_runtime_api_start(lc_runtime_api **out, lc_error *err);

/* The same for an environment that runs up to max_concurrency invocations at once (1 to
 * LC_MAX_CONCURRENCY; 0 is lc_runtime_api_start). */
lc_status lc_runtime_api_start_concurrent(size_t max_concurrency, lc_runtime_api **out,
                                          lc_error *err);

/* Stops the server (a /next still waiting is closed) and frees it. NULL is a no-op. */
void lc_runtime_api_free(lc_runtime_api *api);

/* Begins stopping the server (a /next still waiting is closed) without waiting for it; free it
 * with lc_runtime_api_free(). NULL is a no-op. */
void lc_runtime_api_stop(lc_runtime_api *api);

/* The port the server listens on. */
uint16_t lc_runtime_api_port(const lc_runtime_api *api);

/* "127.0.0.1:<port>", the value of AWS_LAMBDA_RUNTIME_API. Borrowed until free. */
const char *lc_runtime_api_address(const lc_runtime_api *api);

/* A descriptor that becomes readable when the runtime starts waiting in /next (its previous
 * invocation is over), after an /init/error, and after a request to an unknown path. Posts of
 * results do not wake it: an invocation ends only at the next /next or the process's exit.
 * Drain it with lc_runtime_api_drain_notify(). Borrowed until free. */
int lc_runtime_api_notify_fd(const lc_runtime_api *api);
void lc_runtime_api_drain_notify(lc_runtime_api *api);

/* Makes an invocation available to /next (copies everything). LC_ESTATE when one is in flight;
 * a concurrent API: LC_EBUSY when its maximum is in flight, LC_ESTATE for an id in flight. */
lc_status lc_runtime_api_submit(lc_runtime_api *api, const lc_runtime_invocation *inv,
                                lc_error *err);

/* True once the runtime has called /next (its init is over); *at_ns gets the monotonic time of
 * that first call when not NULL. */
bool lc_runtime_api_initialized(lc_runtime_api *api, int64_t *at_ns);

/* SnapStart: from now on the API answers GET /2018-06-01/runtime/restore/next (once, after init,
 * before the first /invocation/next; at once, with 200) and POST /runtime/restore/error (after
 * it, before the first /invocation/next: the outcome LC_RUNTIME_RESTORE_ERROR). Without this both
 * are unknown paths (404), as for a function without SnapStart. */
void lc_runtime_api_allow_restore(lc_runtime_api *api);

/* The monotonic time of the runtime's /restore/next, 0 when it has not called it. */
int64_t lc_runtime_api_restore_ns(lc_runtime_api *api);

/* A concurrent API: moves the outcome of request_id, once posted, into *out (caller frees with
 * lc_runtime_outcome_clear()) and forgets the invocation; false while pending (and always for
 * an API of one invocation at a time). */
bool lc_runtime_api_take_outcome_of(lc_runtime_api *api, const char *request_id,
                                    lc_runtime_outcome *out);

/* A concurrent API: forgets request_id without an outcome (after a timeout); a later post for it
 * gets 410 InvokeTimeout, as from the Runtime Interface Emulator. */
void lc_runtime_api_abandon_of(lc_runtime_api *api, const char *request_id);

/* A concurrent API: when request_id was handed to the runtime (monotonic ns) and the deadline it
 * was sent with (0, 0 while it waits for a /next). */
void lc_runtime_api_times_of(lc_runtime_api *api, const char *request_id, int64_t *delivered_ns,
                             int64_t *deadline_ms);

/* True while the runtime waits in /next for work (its previous invocation is over), and once a
 * runtime that asked for the next event during its invocation (refused, 403) has posted that
 * invocation's outcome (it has said it is done), or once a stream has passed
 * LC_RUNTIME_MAX_STREAM (the platform cuts it off). A concurrent API: while any /next waits. */
bool lc_runtime_api_runtime_waiting(lc_runtime_api *api);

/* The monotonic time at which the current invocation was handed to the runtime, 0 if not yet. */
int64_t lc_runtime_api_delivered_ns(lc_runtime_api *api);

/* The Lambda-Runtime-Deadline-Ms sent with the current invocation, 0 if not delivered yet. */
int64_t lc_runtime_api_deadline_ms(lc_runtime_api *api);

/* Moves the outcome, if any, into *out (caller frees with lc_runtime_outcome_clear()) and returns
 * true; false while pending. An init error can arrive with no invocation submitted. */
bool lc_runtime_api_take_outcome(lc_runtime_api *api, lc_runtime_outcome *out);

/* Ends the current invocation without an outcome (after a timeout or a crash): later posts for
 * its request id get 400. */
void lc_runtime_api_abandon(lc_runtime_api *api);

/* Moves the posts received since the last call into *posts (caller frees with
 * lc_runtime_posts_free()); returns their number. */
size_t lc_runtime_api_take_posts(lc_runtime_api *api, lc_runtime_post **posts);

void lc_runtime_outcome_clear(lc_runtime_outcome *outcome);
void lc_runtime_posts_free(lc_runtime_post *posts, size_t n);


#endif
