#include "lambdacheck/runtime_api.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "http_server.h"
#include "lambdacheck/buf.h"
#include "lambdacheck/context.h"

#define PREFIX "/2018-06-01/runtime/"
/* Bytes of a request head: the X-Ray cause header of an error post may be close to 1 MB. */
#define MAX_HEAD (2u * 1024 * 1024)
/* Bytes of each post's body kept in the raw record (the outcome's body is kept whole). */
#define POST_KEEP 4096
/* Posts kept in the raw record between two takes; later ones are counted and dropped. */
#define MAX_POSTS 64

typedef enum { INV_NONE, INV_QUEUED, INV_RUNNING, INV_DONE } inv_state;

/* An event's bytes, shared by the invocation and the /next answer that may outlive it. */
typedef struct {
    atomic_int refs;
    size_t len;
    char data[];
} shared_bytes;

static shared_bytes *shared_new(const char *data, size_t len)
{
    shared_bytes *b = malloc(sizeof *b + len + 1);
    if (b == NULL)
        return NULL;
    atomic_init(&b->refs, 1);
    b->len = len;
    memcpy(b->data, data, len);
    b->data[len] = '\0';
    return b;
}

static void shared_release(shared_bytes *b)
{
    if (b && atomic_fetch_sub(&b->refs, 1) == 1)
        free(b);
}

/* The release function of an answer whose body is a shared_bytes' data. */
static void release_data(void *data)
{
    shared_release((shared_bytes *)((char *)data - offsetof(shared_bytes, data)));
}

/* One invocation of a concurrent (Managed Instances) Runtime API; state INV_NONE: a free entry.
 * Everything but the sink is under mu; the sink and stream fields are under sink_mu. */
typedef struct {
    inv_state state;
    uint64_t seq;          /* submission order: /next hands out the oldest queued first */
    char request_id[129];
    shared_bytes *payload;
    char content_type[128];
    json_t *headers;
    long timeout_ms;
    int64_t delivered_ns;
    int64_t deadline_ms;
    bool has_outcome;
    lc_runtime_outcome outcome;
    char sink_id[129];     /* sink_mu: the request id the sink belongs to ("" when none) */
    lc_stream_sink sink;
    bool stream_begun;
    size_t streamed;
} concurrent_inv;

/* Request ids that got their outcome, remembered so that a second post for one is a 403. */
#define DONE_IDS 64

struct lc_runtime_api {
    lc__http_server *http;
    uint16_t port;
    char address[32];
    int notify_r, notify_w;

    pthread_mutex_t mu; /* everything below */
    bool stopping;
    bool initialized;
    int64_t initialized_ns;
    bool init_error_taken; /* an /init/error was accepted: later ones are 403 */
    bool restore;          /* SnapStart: the restore endpoints answer (lc_runtime_api_allow_restore) */
    int64_t restore_ns;    /* when the runtime called /restore/next; 0: not yet */
    lc__http_request *parked; /* a /next waiting for work */

    inv_state state;
    char request_id[129];
    char done_id[129];    /* the last request id that got its outcome: a second post is 403 */
    shared_bytes *payload;
    char content_type[128];
    json_t *headers;
    int64_t delivered_ns;
    long timeout_ms;
    int64_t deadline_ms;

    bool has_outcome;
    bool ends_at_outcome;     /* the outcome ends this invocation, without waiting for the
                                 runtime's next /next: it asked for that /next while the
                                 invocation ran (refused), or its stream passed the limit */
    lc_runtime_outcome outcome;

    pthread_mutex_t sink_mu; /* held while the sink is called, and to change it */
    lc_stream_sink sink;  /* of the invocation in flight (sink_mu); begin == NULL: none */
    bool stream_begun;    /* sink.begin was called for the invocation in flight */
    size_t streamed;      /* bytes of the invocation's stream so far */

    lc_runtime_post *posts;
    size_t n_posts, cap_posts;

    /* Managed Instances: up to max_concurrency invocations at once (0: one at a time, with
     * the fields above). Under mu. */
    size_t max_concurrency;
    concurrent_inv *invs;        /* max_concurrency entries */
    uint64_t next_seq;
    lc__http_request **waiting;  /* parked /next requests, oldest first */
    size_t n_waiting, cap_waiting;
    char done_ids[DONE_IDS][129];
    size_t done_next;
    char abandoned_ids[DONE_IDS][129]; /* timed out: a late post is 410 */
    size_t abandoned_next;
};

static void notify(lc_runtime_api *api)
{
    char byte = 1;
    (void)!write(api->notify_w, &byte, 1); /* a full pipe already says "something happened" */
}

/* --- answers ------------------------------------------------------------------------------- */

static void reply(lc_runtime_api *api, lc__http_request *req, int status, const char *body)
{
    const char *headers[] = {"Content-Type: application/json", NULL};
    lc__http_respond(api->http, req, status, headers, body, strlen(body), NULL);
}

static void reply_error(lc_runtime_api *api, lc__http_request *req, int status, const char *type,
                        const char *message)
{
    json_t *body = json_pack("{s:s, s:s}", "errorType", type, "errorMessage", message);
    char *text = json_dumps(body, JSON_COMPACT);
    reply(api, req, status, text ? text : "{}");
    free(text);
    json_decref(body);
}

/* The body of an answer the HTTP server makes itself (a malformed or slow request). */
static void error_body(void *ctx, int status, const char *message, lc_buf *body,
                       const char **content_type)
{
    (void)ctx;
    json_t *b = json_pack("{s:s, s:s}", "errorType",
                          status == 413 ? "RequestEntityTooLarge" : "InvalidRequest",
                          "errorMessage", message);
    char *text = json_dumps(b, JSON_COMPACT);
    lc_buf_puts(body, text ? text : "{}");
    free(text);
    json_decref(b);
    *content_type = "application/json";
}

/* --- the raw record ------------------------------------------------------------------------- */

static const char *header_or_empty(const lc__http_request *req, const char *name)
{
    const char *v = lc__http_header(req, name);
    return v ? v : "";
}

static void record_post(lc_runtime_api *api, lc__http_request *req, int status, bool keep_body)
{
    if (api->n_posts == MAX_POSTS)
        return;
    if (api->n_posts == api->cap_posts) {
        size_t cap = api->cap_posts ? api->cap_posts * 2 : 4;
        lc_runtime_post *posts = realloc(api->posts, cap * sizeof *posts);
        if (posts == NULL)
            return;
        api->posts = posts;
        api->cap_posts = cap;
    }
    lc_runtime_post *p = &api->posts[api->n_posts++];
    memset(p, 0, sizeof *p);
    snprintf(p->method, sizeof p->method, "%s", req->method);
    snprintf(p->path, sizeof p->path, "%s", req->target);
    p->status = status;
    snprintf(p->content_type, sizeof p->content_type, "%s", header_or_empty(req, "Content-Type"));
    snprintf(p->error_type, sizeof p->error_type, "%s",
             header_or_empty(req, "Lambda-Runtime-Function-Error-Type"));
    p->body_size = req->body_size;
    size_t keep = keep_body && !req->over_cap ? req->body.len : 0;
    p->body_len = keep < POST_KEEP ? keep : POST_KEEP;
    p->body = malloc(p->body_len + 1);
    if (p->body) {
        memcpy(p->body, req->body.data ? req->body.data : "", p->body_len);
        p->body[p->body_len] = '\0';
    }
}

static void set_outcome(lc_runtime_api *api, lc_runtime_outcome_kind kind, lc__http_request *req)
{
    lc_runtime_outcome *o = &api->outcome;
    lc_runtime_outcome_clear(o);
    o->kind = kind;
    o->posted_size = req->body_size;
    o->streamed = req->streamed;
    snprintf(o->content_type, sizeof o->content_type, "%s", header_or_empty(req, "Content-Type"));
    snprintf(o->error_type, sizeof o->error_type, "%s",
             header_or_empty(req, "Lambda-Runtime-Function-Error-Type"));
    const char *cause = lc__http_header(req, "Lambda-Runtime-Function-XRay-Error-Cause");
    o->xray_cause = cause ? strdup(cause) : NULL;
    if (kind != LC_RUNTIME_TOO_LARGE)
        o->body = lc__http_take_body(req, &o->body_len); /* moved, not copied */
    api->has_outcome = true;
}

/* A stream that ended with an error in its trailers: the error (type, and the body decoded from
 * base64) is the outcome, the bytes streamed before it are kept beside it. */
static void set_stream_error(lc_runtime_api *api, lc__http_request *req, const char *type)
{
    set_outcome(api, LC_RUNTIME_ERROR, req);
    lc_runtime_outcome *o = &api->outcome;
    o->stream = o->body;
    o->stream_len = o->body_len;
    snprintf(o->error_type, sizeof o->error_type, "%s", type);
    const char *encoded = lc__http_trailer(req, "Lambda-Runtime-Function-Error-Body");
    lc_buf body;
    lc_buf_init(&body, 0);
    if (encoded == NULL || lc_buf_base64_decode(&body, encoded, strlen(encoded)) != LC_OK ||
        body.len == 0) {
        lc_buf_free(&body);
        json_t *made = json_pack("{s:s, s:s}", "errorType", type, "errorMessage",
                                 "the stream ended with an error and no readable error body");
        char *text = json_dumps(made, JSON_COMPACT);
        json_decref(made);
        lc_buf_puts(&body, text ? text : "{}");
        free(text);
    }
    o->body_len = body.len;
    o->body = lc_buf_take(&body);
}

/* --- endpoints (the loop's thread; mu held) --------------------------------------------------- */

/* Answers a /next with an invocation: its Lambda-Runtime-* headers, the deadline (from now, when
 * it has a timeout; *deadline_ms gets it) and the event's bytes, shared with the answer. */
static void answer_next(lc_runtime_api *api, lc__http_request *req, const json_t *inv_headers,
                        long timeout_ms, const char *content_type, shared_bytes *payload,
                        int64_t *deadline_ms)
{
    char *headers[16];
    size_t n = 0;
    const char *name;
    json_t *value;
    json_object_foreach((json_t *)inv_headers, name, value)
    {
        if (n < 12 && !(timeout_ms > 0 && strcmp(name, "Lambda-Runtime-Deadline-Ms") == 0) &&
            asprintf(&headers[n], "%s: %s", name, json_string_value(value)) > 0)
            n++;
    }
    if (timeout_ms > 0) {
        *deadline_ms = lc_now_ms() + timeout_ms;
        if (asprintf(&headers[n], "Lambda-Runtime-Deadline-Ms: %lld", (long long)*deadline_ms) > 0)
            n++;
    }
    if (asprintf(&headers[n], "Content-Type: %s",
                 content_type[0] ? content_type : "application/json") > 0)
        n++;
    headers[n] = NULL;
    atomic_fetch_add(&payload->refs, 1); /* the answer's, until it is sent */
    lc__http_respond(api->http, req, 200, (const char *const *)headers, payload->data,
                     payload->len, release_data);
    for (size_t i = 0; i < n; i++)
        free(headers[i]);
}

/* Answers a waiting /next with the queued invocation. */
static void deliver_next(lc_runtime_api *api, lc__http_request *req)
{
    api->state = INV_RUNNING;
    api->delivered_ns = lc_monotonic_ns();
    answer_next(api, req, api->headers, api->timeout_ms, api->content_type, api->payload,
                &api->deadline_ms);
}

static void handle_next(lc_runtime_api *api, lc__http_request *req)
{
    if (api->state == INV_RUNNING) {
        api->ends_at_outcome = true;
        reply_error(api, req, 403, "InvalidStateTransition",
                    "State transition from Running to Ready failed for runtime. Error: the "
                    "current invocation has no response or error yet");
        return;
    }
    if (!api->initialized) {
        api->initialized = true;
        api->initialized_ns = lc_monotonic_ns();
    }
    if (api->parked) /* one runtime, one /next: a second one replaces the first */
        lc__http_drop(api->http, api->parked);
    api->parked = NULL;
    if (api->state == INV_QUEUED) {
        deliver_next(api, req);
        return;
    }
    api->parked = req;
    notify(api); /* the previous invocation, if any, is over */
}

/* spec 3.2; the number is LC_RUNTIME_MAX_RESPONSE */
static const char too_large_message[] = "Exceeded maximum allowed payload size (6291556 bytes).";
/* the same for a stream; the number is LC_RUNTIME_MAX_STREAM */
static const char too_large_stream_message[] =
    "Exceeded maximum allowed payload size (209715200 bytes).";

static void handle_post_for(lc_runtime_api *api, lc__http_request *req, const char *id,
                            bool is_error)
{
    if (api->state == INV_RUNNING && strcmp(id, api->request_id) == 0) {
        /* a stream is kept in part: it is too large only past the stream limit, or, when no
           one reads it as a stream (a buffered Invoke), past a buffered response's */
        pthread_mutex_lock(&api->sink_mu);
        bool read_as_stream = api->sink.begin != NULL;
        pthread_mutex_unlock(&api->sink_mu);
        bool too_large = req->streamed && read_as_stream ? req->body_size > LC_RUNTIME_MAX_STREAM
                                                         : req->over_cap;
        const char *stream_error = req->streamed
                                       ? lc__http_trailer(req, "Lambda-Runtime-Function-Error-Type")
                                       : NULL;
        record_post(api, req, too_large ? 413 : 202, true);
        if (stream_error && stream_error[0] && !too_large)
            set_stream_error(api, req, stream_error);
        else
            set_outcome(api, too_large ? LC_RUNTIME_TOO_LARGE
                             : is_error ? LC_RUNTIME_ERROR
                                        : LC_RUNTIME_RESPONSE,
                        req);
        api->state = INV_DONE;
        snprintf(api->done_id, sizeof api->done_id, "%s", id);
        /* an invocation ends at the runtime's next /next, or its exit; a runtime that asked
           for the next event before this post has already said it is done, and a stream past
           the limit is cut off by the platform */
        if (too_large && req->streamed && read_as_stream)
            api->ends_at_outcome = true;
        if (api->ends_at_outcome)
            notify(api);
        if (too_large && req->streamed && read_as_stream)
            reply_error(api, req, 413, "RequestEntityTooLarge", too_large_stream_message);
        else if (too_large)
            reply_error(api, req, 413, "RequestEntityTooLarge", too_large_message);
        else
            reply(api, req, 202, "{\"status\":\"OK\"}");
    } else if (api->done_id[0] && strcmp(id, api->done_id) == 0) {
        record_post(api, req, 403, false);
        reply_error(api, req, 403, "InvalidStateTransition",
                    is_error ? "State transition from ResponseSent to InvocationErrorResponse "
                               "failed for runtime. Error: the invocation already has its outcome"
                             : "State transition from ResponseSent to InvocationResponse failed "
                               "for runtime. Error: the invocation already has its outcome");
    } else {
        record_post(api, req, 400, false);
        reply_error(api, req, 400, "InvalidRequestID", "Invalid request ID");
    }
}

static void handle_init_error(lc_runtime_api *api, lc__http_request *req)
{
    /* the first init error is taken, later ones (every worker of a Managed Instances
       environment reports its own) are refused, as by the Runtime Interface Emulator */
    bool allowed = !api->initialized && !api->has_outcome && !api->init_error_taken;
    api->init_error_taken = api->init_error_taken || allowed;
    record_post(api, req, allowed ? 202 : 403, allowed);
    if (allowed)
        set_outcome(api, LC_RUNTIME_INIT_ERROR, req);
    notify(api);
    if (!allowed)
        reply_error(api, req, 403, "InvalidStateTransition",
                    "State transition from Ready to InitError failed for runtime. Error: init "
                    "errors are only accepted before the first /next");
    else
        reply(api, req, 202, "{\"status\":\"OK\"}");
}

/* --- SnapStart's restore (mu held) --------------------------------------------------------------
 *
 * A SnapStart runtime, its init done (and its before-snapshot hooks run), calls GET /restore/next:
 * Lambda takes the snapshot while it waits there and answers it in each environment restored
 * from that snapshot; the runtime runs its after-restore hooks, reports their failure with POST
 * /restore/error (Lambda-Runtime-Function-Error-Type), and otherwise goes on to /invocation/next
 * (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html, "Restore" and "Restore
 * error"; snapstart-runtime-hooks-custom.html). Here every environment is already the restored
 * one: /restore/next is answered at once. */

static void handle_restore_next(lc_runtime_api *api, lc__http_request *req)
{
    bool allowed = !api->initialized && !api->has_outcome && api->restore_ns == 0;
    record_post(api, req, allowed ? 200 : 403, false);
    if (!allowed) {
        reply_error(api, req, 403, "InvalidStateTransition",
                    "State transition to Restoring failed for runtime. Error: /restore/next is "
                    "called once, after init and before the first /invocation/next");
        return;
    }
    api->restore_ns = lc_monotonic_ns();
    notify(api);
    lc__http_respond(api->http, req, 200, NULL, "", 0, NULL);
}

static void handle_restore_error(lc_runtime_api *api, lc__http_request *req)
{
    bool allowed = api->restore_ns != 0 && !api->initialized && !api->has_outcome;
    record_post(api, req, allowed ? 202 : 403, allowed);
    if (allowed)
        set_outcome(api, LC_RUNTIME_RESTORE_ERROR, req);
    notify(api);
    if (!allowed)
        reply_error(api, req, 403, "InvalidStateTransition",
                    "State transition to RestoreError failed for runtime. Error: restore errors "
                    "are only accepted after /restore/next and before the first /next");
    else
        reply(api, req, 202, "{\"status\":\"OK\"}");
}

/* --- Managed Instances: several invocations at once (mu held) ------------------------------- */

/* On Lambda Managed Instances one environment runs up to AWS_LAMBDA_MAX_CONCURRENCY invocations
 * at once: the runtime keeps several /next requests open (a process or a worker thread each),
 * and each /next gets the oldest invocation not yet handed out; an invocation ends when its
 * outcome is posted (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html,
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-runtimes.html). */

static concurrent_inv *inv_by_id(lc_runtime_api *api, const char *id, inv_state state)
{
    for (size_t i = 0; i < api->max_concurrency; i++)
        if (api->invs[i].state == state && strcmp(api->invs[i].request_id, id) == 0)
            return &api->invs[i];
    return NULL;
}

static concurrent_inv *oldest_queued(lc_runtime_api *api)
{
    concurrent_inv *oldest = NULL;
    for (size_t i = 0; i < api->max_concurrency; i++)
        if (api->invs[i].state == INV_QUEUED && (!oldest || api->invs[i].seq < oldest->seq))
            oldest = &api->invs[i];
    return oldest;
}

static bool in_ring(char ring[DONE_IDS][129], const char *id)
{
    for (size_t i = 0; i < DONE_IDS; i++)
        if (ring[i][0] && strcmp(ring[i], id) == 0)
            return true;
    return false;
}

static void remember(char ring[DONE_IDS][129], size_t *next, const char *id)
{
    snprintf(ring[*next], sizeof ring[0], "%s", id);
    *next = (*next + 1) % DONE_IDS;
}

static void free_inv(lc_runtime_api *api, concurrent_inv *inv)
{
    shared_release(inv->payload);
    json_decref(inv->headers);
    lc_runtime_outcome_clear(&inv->outcome);
    pthread_mutex_lock(&api->sink_mu);
    inv->sink = (lc_stream_sink){0};
    inv->sink_id[0] = '\0';
    pthread_mutex_unlock(&api->sink_mu);
    inv->payload = NULL;
    inv->headers = NULL;
    inv->state = INV_NONE;
    inv->has_outcome = false;
    inv->request_id[0] = '\0';
}

static void deliver_inv(lc_runtime_api *api, concurrent_inv *inv, lc__http_request *req)
{
    inv->state = INV_RUNNING;
    inv->delivered_ns = lc_monotonic_ns();
    answer_next(api, req, inv->headers, inv->timeout_ms, inv->content_type, inv->payload,
                &inv->deadline_ms);
}

static void park(lc_runtime_api *api, lc__http_request *req)
{
    if (api->n_waiting == api->cap_waiting) {
        size_t cap = api->cap_waiting ? api->cap_waiting * 2 : 8;
        lc__http_request **w = realloc(api->waiting, cap * sizeof *w);
        if (w == NULL) {
            lc__http_drop(api->http, req);
            return;
        }
        api->waiting = w;
        api->cap_waiting = cap;
    }
    api->waiting[api->n_waiting++] = req;
}

/* Pairs waiting /next requests with queued invocations, oldest with oldest. */
static void deliver_waiting(lc_runtime_api *api)
{
    concurrent_inv *inv;
    while (api->n_waiting > 0 && (inv = oldest_queued(api)) != NULL) {
        lc__http_request *req = api->waiting[0];
        memmove(api->waiting, api->waiting + 1, --api->n_waiting * sizeof *api->waiting);
        deliver_inv(api, inv, req);
    }
}

static void concurrent_next(lc_runtime_api *api, lc__http_request *req)
{
    if (!api->initialized) {
        api->initialized = true;
        api->initialized_ns = lc_monotonic_ns();
    }
    park(api, req);
    deliver_waiting(api);
    notify(api); /* a worker is ready: init is over */
}

static void concurrent_post(lc_runtime_api *api, lc__http_request *req, const char *id,
                            bool is_error)
{
    concurrent_inv *inv = inv_by_id(api, id, INV_RUNNING);
    if (inv == NULL && in_ring(api->abandoned_ids, id)) {
        /* the Runtime Interface Emulator's answer for an invocation past its timeout */
        record_post(api, req, 410, false);
        reply_error(api, req, 410, "InvokeTimeout", "Invoke timeout");
        return;
    }
    if (inv == NULL) {
        bool done = in_ring(api->done_ids, id);
        record_post(api, req, done ? 403 : 400, false);
        if (done)
            reply_error(api, req, 403, "InvalidStateTransition",
                        "State transition from ResponseSent to InvocationResponse failed for "
                        "runtime. Error: the invocation already has its outcome");
        else
            reply_error(api, req, 400, "InvalidRequestID", "Invalid request ID");
        return;
    }
    pthread_mutex_lock(&api->sink_mu);
    bool read_as_stream = inv->sink.begin != NULL;
    pthread_mutex_unlock(&api->sink_mu);
    bool too_large = req->streamed && read_as_stream ? req->body_size > LC_RUNTIME_MAX_STREAM
                                                     : req->over_cap;
    const char *stream_error =
        req->streamed ? lc__http_trailer(req, "Lambda-Runtime-Function-Error-Type") : NULL;
    record_post(api, req, too_large ? 413 : 202, true);
    /* the outcome setters fill api->outcome: borrowed for the moment, then moved to inv */
    lc_runtime_outcome single = api->outcome;
    bool single_has = api->has_outcome;
    memset(&api->outcome, 0, sizeof api->outcome);
    if (stream_error && stream_error[0] && !too_large)
        set_stream_error(api, req, stream_error);
    else
        set_outcome(api, too_large ? LC_RUNTIME_TOO_LARGE
                         : is_error ? LC_RUNTIME_ERROR
                                    : LC_RUNTIME_RESPONSE,
                    req);
    inv->outcome = api->outcome;
    api->outcome = single;
    api->has_outcome = single_has;
    inv->has_outcome = true;
    inv->state = INV_DONE;
    remember(api->done_ids, &api->done_next, id);
    notify(api);
    if (too_large)
        reply_error(api, req, 413, "RequestEntityTooLarge",
                    req->streamed && read_as_stream ? too_large_stream_message
                                                    : too_large_message);
    else
        reply(api, req, 202, "{\"status\":\"OK\"}");
}

/* Splits "invocation/<id>/<what>" into id and what; false if the shape differs. */
static bool invocation_path(const char *rest, char *id, size_t id_size, const char **what)
{
    if (strncmp(rest, "invocation/", 11) != 0)
        return false;
    rest += 11;
    const char *slash = strchr(rest, '/');
    if (slash == NULL || slash == rest || (size_t)(slash - rest) >= id_size)
        return false;
    memcpy(id, rest, (size_t)(slash - rest));
    id[slash - rest] = '\0';
    *what = slash + 1;
    return strcmp(*what, "response") == 0 || strcmp(*what, "error") == 0;
}

static void route(lc_runtime_api *api, lc__http_request *req)
{
    const char *url = req->target;
    const char *rest = strncmp(url, PREFIX, strlen(PREFIX)) == 0 ? url + strlen(PREFIX) : NULL;
    bool is_get = strcmp(req->method, "GET") == 0, is_post = strcmp(req->method, "POST") == 0;
    char id[129];
    const char *what;
    if (rest && strcmp(rest, "invocation/next") == 0) {
        if (is_get && api->max_concurrency)
            concurrent_next(api, req);
        else if (is_get)
            handle_next(api, req);
        else
            reply_error(api, req, 405, "MethodNotAllowed", "Use GET for /next");
    } else if (rest && strcmp(rest, "init/error") == 0) {
        if (is_post)
            handle_init_error(api, req);
        else
            reply_error(api, req, 405, "MethodNotAllowed", "Use POST for /init/error");
    } else if (rest && api->restore && strcmp(rest, "restore/next") == 0) {
        if (is_get)
            handle_restore_next(api, req);
        else
            reply_error(api, req, 405, "MethodNotAllowed", "Use GET for /restore/next");
    } else if (rest && api->restore && strcmp(rest, "restore/error") == 0) {
        if (is_post)
            handle_restore_error(api, req);
        else
            reply_error(api, req, 405, "MethodNotAllowed", "Use POST for /restore/error");
    } else if (rest && invocation_path(rest, id, sizeof id, &what)) {
        if (is_post && api->max_concurrency)
            concurrent_post(api, req, id, strcmp(what, "error") == 0);
        else if (is_post)
            handle_post_for(api, req, id, strcmp(what, "error") == 0);
        else
            reply_error(api, req, 405, "MethodNotAllowed", "Use POST");
    } else {
        record_post(api, req, 404, false);
        notify(api);
        reply_error(api, req, 404, "NotFound", "Unknown Runtime API path");
    }
}

static void on_request(void *ctx, lc__http_request *req)
{
    lc_runtime_api *api = ctx;
    pthread_mutex_lock(&api->mu);
    if (api->stopping)
        lc__http_drop(api->http, req);
    else
        route(api, req);
    pthread_mutex_unlock(&api->mu);
}

/* The body a request may send: a result or an error for the invocation in flight, or an init
 * error; anything else (a wrong id, an unknown path) is answered without keeping its bytes. */
static size_t body_cap(void *ctx, const lc__http_request *req)
{
    lc_runtime_api *api = ctx;
    const char *rest = strncmp(req->target, PREFIX, strlen(PREFIX)) == 0
                           ? req->target + strlen(PREFIX)
                           : "";
    char id[129];
    const char *what;
    if (strcmp(rest, "init/error") == 0 || strcmp(rest, "restore/error") == 0)
        return LC_RUNTIME_MAX_RESPONSE;
    if (!invocation_path(rest, id, sizeof id, &what))
        return 0;
    pthread_mutex_lock(&api->mu);
    bool current = api->max_concurrency ? inv_by_id(api, id, INV_RUNNING) != NULL
                                        : api->state == INV_RUNNING &&
                                              strcmp(id, api->request_id) == 0;
    pthread_mutex_unlock(&api->mu);
    return current ? LC_RUNTIME_MAX_RESPONSE : 0;
}

/* A streamed response: a POST of the invocation in flight's /response that says so. */
static bool streams(void *ctx, const lc__http_request *req)
{
    lc_runtime_api *api = ctx;
    const char *mode = lc__http_header(req, "Lambda-Runtime-Function-Response-Mode");
    const char *rest = strncmp(req->target, PREFIX, strlen(PREFIX)) == 0
                           ? req->target + strlen(PREFIX)
                           : "";
    char id[129];
    const char *what;
    if (mode == NULL || strcasecmp(mode, "streaming") != 0 ||
        !invocation_path(rest, id, sizeof id, &what) || strcmp(what, "response") != 0)
        return false;
    pthread_mutex_lock(&api->mu);
    bool current = api->max_concurrency ? inv_by_id(api, id, INV_RUNNING) != NULL
                                        : api->state == INV_RUNNING &&
                                              strcmp(id, api->request_id) == 0;
    pthread_mutex_unlock(&api->mu);
    return current;
}

/* A piece of a streamed response of a concurrent invocation: to its sink. */
static void concurrent_body(lc_runtime_api *api, lc__http_request *req, const char *data,
                            size_t len)
{
    const char *rest = req->target + strlen(PREFIX), *what;
    char id[129];
    if (!invocation_path(rest, id, sizeof id, &what))
        return;
    pthread_mutex_lock(&api->mu);
    concurrent_inv *inv = inv_by_id(api, id, INV_RUNNING);
    pthread_mutex_unlock(&api->mu);
    if (inv == NULL)
        return;
    pthread_mutex_lock(&api->sink_mu); /* the invoker cannot take the sink away meanwhile */
    if (strcmp(inv->sink_id, id) == 0 && inv->sink.begin && inv->streamed < LC_RUNTIME_MAX_STREAM) {
        if (!inv->stream_begun)
            inv->sink.begin(inv->sink.ctx, header_or_empty(req, "Content-Type"));
        inv->stream_begun = true;
        size_t room = LC_RUNTIME_MAX_STREAM - inv->streamed;
        inv->sink.data(inv->sink.ctx, data, len < room ? len : room);
    }
    inv->streamed += len;
    pthread_mutex_unlock(&api->sink_mu);
}

/* A piece of a streamed response: to the invocation's sink, up to the stream limit. */
static void on_body(void *ctx, lc__http_request *req, const char *data, size_t len)
{
    lc_runtime_api *api = ctx;
    if (api->max_concurrency) {
        concurrent_body(api, req, data, len);
        return;
    }
    pthread_mutex_lock(&api->sink_mu); /* the invoker cannot take the sink away meanwhile */
    lc_stream_sink sink = api->sink;
    bool begin = sink.begin && !api->stream_begun;
    api->stream_begun = true;
    size_t before = api->streamed;
    api->streamed += len;
    if (sink.begin && before < LC_RUNTIME_MAX_STREAM) {
        if (begin)
            sink.begin(sink.ctx, header_or_empty(req, "Content-Type"));
        size_t room = LC_RUNTIME_MAX_STREAM - before;
        sink.data(sink.ctx, data, len < room ? len : room);
    }
    pthread_mutex_unlock(&api->sink_mu);
}

/* The invocation's stream goes nowhere from now on (its invoker is done with it). */
static void drop_sink(lc_runtime_api *api)
{
    pthread_mutex_lock(&api->sink_mu);
    api->sink = (lc_stream_sink){0};
    pthread_mutex_unlock(&api->sink_mu);
}

/* After a submit: a parked /next gets the invocation. When stopping, it is let go. */
static void on_wake(void *ctx)
{
    lc_runtime_api *api = ctx;
    pthread_mutex_lock(&api->mu);
    if (api->max_concurrency) {
        if (api->stopping)
            for (; api->n_waiting > 0; api->n_waiting--)
                lc__http_drop(api->http, api->waiting[api->n_waiting - 1]);
        else
            deliver_waiting(api);
        pthread_mutex_unlock(&api->mu);
        return;
    }
    lc__http_request *req = api->parked;
    if (req && api->stopping) {
        api->parked = NULL;
        lc__http_drop(api->http, req);
    } else if (req && api->state == INV_QUEUED) {
        api->parked = NULL;
        deliver_next(api, req);
    }
    pthread_mutex_unlock(&api->mu);
}

/* --- lifecycle ------------------------------------------------------------------------------- */

lc_status lc_runtime_api_start(lc_runtime_api **out, lc_error *err)
{
    return lc_runtime_api_start_concurrent(0, out, err);
}

lc_status lc_runtime_api_start_concurrent(size_t max_concurrency, lc_runtime_api **out,
                                          lc_error *err)
{
    *out = NULL;
    if (max_concurrency > LC_MAX_CONCURRENCY)
        return lc_error_set(err, LC_ERANGE, NULL, 0, 0,
                            "a concurrency of %zu is over Lambda's %d per environment",
                            max_concurrency, LC_MAX_CONCURRENCY);
    lc_runtime_api *api = calloc(1, sizeof *api);
    int fds[2];
    if (api && max_concurrency)
        api->invs = calloc(max_concurrency, sizeof *api->invs);
    if (api == NULL || (max_concurrency && api->invs == NULL) ||
        pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
        if (api)
            free(api->invs);
        free(api);
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "cannot create the Runtime API");
    }
    api->max_concurrency = max_concurrency;
    api->notify_r = fds[0];
    api->notify_w = fds[1];
    pthread_mutex_init(&api->mu, NULL);
    pthread_mutex_init(&api->sink_mu, NULL);
    /* each concurrent invocation holds a /next and a post; a few more for the runtime's own */
    lc__http_config c = {.max_connections = 64 + 2 * max_concurrency, .max_head = MAX_HEAD,
                         .max_body = LC_RUNTIME_MAX_RESPONSE, .body_cap = body_cap,
                         /* a stream may go past what is kept, up to its own limit */
                         .max_discard = LC_RUNTIME_MAX_STREAM, .streams = streams,
                         .on_body = on_body, .on_request = on_request, .on_wake = on_wake, .error_body = error_body,
                         .ctx = api};
    lc_status st = lc__http_server_start(&c, &api->http, err);
    if (st != LC_OK) {
        lc_runtime_api_free(api);
        return st;
    }
    api->port = lc__http_server_port(api->http);
    snprintf(api->address, sizeof api->address, "127.0.0.1:%u", api->port);
    *out = api;
    return LC_OK;
}

void lc_runtime_api_stop(lc_runtime_api *api)
{
    if (api == NULL)
        return;
    pthread_mutex_lock(&api->mu);
    api->stopping = true;
    pthread_mutex_unlock(&api->mu);
    lc__http_server_stop(api->http); /* lets a waiting /next go, then the loop ends */
}

void lc_runtime_api_free(lc_runtime_api *api)
{
    if (api == NULL)
        return;
    lc_runtime_api_stop(api);
    lc__http_server_free(api->http);
    lc_runtime_outcome_clear(&api->outcome);
    lc_runtime_posts_free(api->posts, api->n_posts);
    shared_release(api->payload);
    json_decref(api->headers);
    for (size_t i = 0; i < api->max_concurrency; i++)
        free_inv(api, &api->invs[i]);
    free(api->invs);
    free(api->waiting);
    close(api->notify_r);
    close(api->notify_w);
    pthread_mutex_destroy(&api->mu);
    pthread_mutex_destroy(&api->sink_mu);
    free(api);
}

uint16_t lc_runtime_api_port(const lc_runtime_api *api)
{
    return api->port;
}

const char *lc_runtime_api_address(const lc_runtime_api *api)
{
    return api->address;
}

int lc_runtime_api_notify_fd(const lc_runtime_api *api)
{
    return api->notify_r;
}

void lc_runtime_api_drain_notify(lc_runtime_api *api)
{
    char sink[64];
    while (read(api->notify_r, sink, sizeof sink) > 0)
        ;
}

/* --- the environment's side ---------------------------------------------------------------- */

/* A concurrent API's submit: a free entry, queued; a waiting /next gets it in the loop. */
static lc_status submit_concurrent(lc_runtime_api *api, const lc_runtime_invocation *inv,
                                   shared_bytes *payload, lc_error *err)
{
    pthread_mutex_lock(&api->mu);
    concurrent_inv *e = NULL;
    for (size_t i = 0; i < api->max_concurrency && e == NULL; i++)
        if (api->invs[i].state == INV_NONE)
            e = &api->invs[i];
    if (e == NULL || inv_by_id(api, inv->request_id, INV_QUEUED) ||
        inv_by_id(api, inv->request_id, INV_RUNNING)) {
        pthread_mutex_unlock(&api->mu);
        shared_release(payload);
        return e ? lc_error_set(err, LC_ESTATE, NULL, 0, 0, "request %s is already in flight",
                                inv->request_id)
                 : lc_error_set(err, LC_EBUSY, NULL, 0, 0,
                                "the environment already runs %zu invocations (its maximum "
                                "concurrency)",
                                api->max_concurrency);
    }
    e->payload = payload;
    e->headers = json_deep_copy(inv->headers);
    snprintf(e->request_id, sizeof e->request_id, "%s", inv->request_id);
    snprintf(e->content_type, sizeof e->content_type, "%s",
             inv->content_type ? inv->content_type : "application/json");
    e->timeout_ms = inv->timeout_ms;
    e->delivered_ns = e->deadline_ms = 0;
    e->seq = api->next_seq++;
    e->state = INV_QUEUED;
    pthread_mutex_lock(&api->sink_mu);
    e->sink = inv->sink ? *inv->sink : (lc_stream_sink){0};
    snprintf(e->sink_id, sizeof e->sink_id, "%s", inv->request_id);
    e->stream_begun = false;
    e->streamed = 0;
    pthread_mutex_unlock(&api->sink_mu);
    bool waiting = api->n_waiting > 0;
    pthread_mutex_unlock(&api->mu);
    if (waiting)
        lc__http_server_wake(api->http);
    return LC_OK;
}

lc_status lc_runtime_api_submit(lc_runtime_api *api, const lc_runtime_invocation *inv,
                                lc_error *err)
{
    shared_bytes *payload = shared_new(inv->payload, inv->payload_len);
    if (payload == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory for the event");
    if (api->max_concurrency)
        return submit_concurrent(api, inv, payload, err);
    pthread_mutex_lock(&api->mu);
    if (api->state == INV_QUEUED || api->state == INV_RUNNING) {
        pthread_mutex_unlock(&api->mu);
        shared_release(payload);
        return lc_error_set(err, LC_ESTATE, NULL, 0, 0,
                            "the environment is already running an invocation");
    }
    shared_release(api->payload);
    api->payload = payload;
    json_decref(api->headers);
    api->headers = json_deep_copy(inv->headers);
    snprintf(api->request_id, sizeof api->request_id, "%s", inv->request_id);
    snprintf(api->content_type, sizeof api->content_type, "%s",
             inv->content_type ? inv->content_type : "application/json");
    api->delivered_ns = 0;
    api->deadline_ms = 0;
    api->timeout_ms = inv->timeout_ms;
    api->state = INV_QUEUED;
    api->ends_at_outcome = false;
    api->stream_begun = false;
    api->streamed = 0;
    pthread_mutex_lock(&api->sink_mu);
    api->sink = inv->sink ? *inv->sink : (lc_stream_sink){0};
    pthread_mutex_unlock(&api->sink_mu);
    bool waiting = api->parked != NULL;
    pthread_mutex_unlock(&api->mu);
    if (waiting)
        lc__http_server_wake(api->http);
    return LC_OK;
}

void lc_runtime_api_allow_restore(lc_runtime_api *api)
{
    pthread_mutex_lock(&api->mu);
    api->restore = true;
    pthread_mutex_unlock(&api->mu);
}

int64_t lc_runtime_api_restore_ns(lc_runtime_api *api)
{
    pthread_mutex_lock(&api->mu);
    int64_t at = api->restore_ns;
    pthread_mutex_unlock(&api->mu);
    return at;
}

bool lc_runtime_api_initialized(lc_runtime_api *api, int64_t *at_ns)
{
    pthread_mutex_lock(&api->mu);
    bool done = api->initialized;
    if (at_ns)
        *at_ns = api->initialized_ns;
    pthread_mutex_unlock(&api->mu);
    return done;
}

bool lc_runtime_api_runtime_waiting(lc_runtime_api *api)
{
    pthread_mutex_lock(&api->mu);
    bool waiting = api->max_concurrency
                       ? api->n_waiting > 0
                       : (api->parked != NULL && api->state != INV_QUEUED) ||
                             (api->ends_at_outcome && api->state == INV_DONE);
    pthread_mutex_unlock(&api->mu);
    return waiting;
}

int64_t lc_runtime_api_delivered_ns(lc_runtime_api *api)
{
    pthread_mutex_lock(&api->mu);
    int64_t t = api->delivered_ns;
    pthread_mutex_unlock(&api->mu);
    return t;
}

int64_t lc_runtime_api_deadline_ms(lc_runtime_api *api)
{
    pthread_mutex_lock(&api->mu);
    int64_t t = api->deadline_ms;
    pthread_mutex_unlock(&api->mu);
    return t;
}

bool lc_runtime_api_take_outcome(lc_runtime_api *api, lc_runtime_outcome *out)
{
    pthread_mutex_lock(&api->mu);
    bool has = api->has_outcome;
    if (has) {
        *out = api->outcome;
        memset(&api->outcome, 0, sizeof api->outcome);
        api->has_outcome = false;
    }
    pthread_mutex_unlock(&api->mu);
    if (has)
        drop_sink(api);
    return has;
}

void lc_runtime_api_abandon(lc_runtime_api *api)
{
    pthread_mutex_lock(&api->mu);
    if (api->state == INV_QUEUED || api->state == INV_RUNNING)
        api->state = INV_NONE;
    api->request_id[0] = '\0';
    pthread_mutex_unlock(&api->mu);
    drop_sink(api);
}

bool lc_runtime_api_take_outcome_of(lc_runtime_api *api, const char *request_id,
                                    lc_runtime_outcome *out)
{
    pthread_mutex_lock(&api->mu);
    concurrent_inv *inv = api->max_concurrency ? inv_by_id(api, request_id, INV_DONE) : NULL;
    bool has = inv && inv->has_outcome;
    if (has) {
        *out = inv->outcome;
        memset(&inv->outcome, 0, sizeof inv->outcome);
        free_inv(api, inv);
    }
    pthread_mutex_unlock(&api->mu);
    return has;
}

void lc_runtime_api_abandon_of(lc_runtime_api *api, const char *request_id)
{
    pthread_mutex_lock(&api->mu);
    for (inv_state st = INV_QUEUED; api->max_concurrency && st <= INV_DONE; st++) {
        concurrent_inv *inv = inv_by_id(api, request_id, st);
        if (inv)
            free_inv(api, inv);
    }
    if (api->max_concurrency)
        remember(api->abandoned_ids, &api->abandoned_next, request_id);
    pthread_mutex_unlock(&api->mu);
}

void lc_runtime_api_times_of(lc_runtime_api *api, const char *request_id, int64_t *delivered_ns,
                             int64_t *deadline_ms)
{
    *delivered_ns = *deadline_ms = 0;
    pthread_mutex_lock(&api->mu);
    for (inv_state st = INV_RUNNING; api->max_concurrency && st <= INV_DONE; st++) {
        concurrent_inv *inv = inv_by_id(api, request_id, st);
        if (inv) {
            *delivered_ns = inv->delivered_ns;
            *deadline_ms = inv->deadline_ms;
        }
    }
    pthread_mutex_unlock(&api->mu);
}

size_t lc_runtime_api_take_posts(lc_runtime_api *api, lc_runtime_post **posts)
{
    pthread_mutex_lock(&api->mu);
    size_t n = api->n_posts;
    *posts = api->posts;
    api->posts = NULL;
    api->n_posts = api->cap_posts = 0;
    pthread_mutex_unlock(&api->mu);
    return n;
}

void lc_runtime_outcome_clear(lc_runtime_outcome *o)
{
    free(o->body);
    free(o->stream);
    free(o->xray_cause);
    memset(o, 0, sizeof *o);
}

void lc_runtime_posts_free(lc_runtime_post *posts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(posts[i].body);
    free(posts);
}
