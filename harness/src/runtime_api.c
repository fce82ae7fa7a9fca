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

struct lc_runtime_api {
    lc__http_server *http;
    uint16_t port;
    char address[32];
    int notify_r, notify_w;

    pthread_mutex_t mu; /* everything below */
    bool stopping;
    bool initialized;
    int64_t initialized_ns;
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

/* Answers a waiting /next with the queued invocation. */
static void deliver_next(lc_runtime_api *api, lc__http_request *req)
{
    char deadline[32], *headers[16];
    size_t n = 0;
    const char *name;
    json_t *value;
    json_object_foreach(api->headers, name, value)
    {
        if (n < 12 && !(api->timeout_ms > 0 && strcmp(name, "Lambda-Runtime-Deadline-Ms") == 0) &&
            asprintf(&headers[n], "%s: %s", name, json_string_value(value)) > 0)
            n++;
    }
    if (api->timeout_ms > 0) {
        api->deadline_ms = lc_now_ms() + api->timeout_ms;
        snprintf(deadline, sizeof deadline, "%lld", (long long)api->deadline_ms);
        if (asprintf(&headers[n], "Lambda-Runtime-Deadline-Ms: %s", deadline) > 0)
            n++;
    }
    if (asprintf(&headers[n], "Content-Type: %s",
                 api->content_type[0] ? api->content_type : "application/json") > 0)
        n++;
    headers[n] = NULL;
    api->state = INV_RUNNING;
    api->delivered_ns = lc_monotonic_ns();
    atomic_fetch_add(&api->payload->refs, 1); /* the answer's, until it is sent */
    lc__http_respond(api->http, req, 200, (const char *const *)headers, api->payload->data,
                     api->payload->len, release_data);
    for (size_t i = 0; i < n; i++)
        free(headers[i]);
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
    bool allowed = !api->initialized && !api->has_outcome;
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
        if (is_get)
            handle_next(api, req);
        else
            reply_error(api, req, 405, "MethodNotAllowed", "Use GET for /next");
    } else if (rest && strcmp(rest, "init/error") == 0) {
        if (is_post)
            handle_init_error(api, req);
        else
            reply_error(api, req, 405, "MethodNotAllowed", "Use POST for /init/error");
    } else if (rest && invocation_path(rest, id, sizeof id, &what)) {
        if (is_post)
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
    if (strcmp(rest, "init/error") == 0)
        return LC_RUNTIME_MAX_RESPONSE;
    if (!invocation_path(rest, id, sizeof id, &what))
        return 0;
    pthread_mutex_lock(&api->mu);
    bool current = api->state == INV_RUNNING && strcmp(id, api->request_id) == 0;
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
    bool current = api->state == INV_RUNNING && strcmp(id, api->request_id) == 0;
    pthread_mutex_unlock(&api->mu);
    return current;
}

/* A piece of a streamed response: to the invocation's sink, up to the stream limit. */
static void on_body(void *ctx, lc__http_request *req, const char *data, size_t len)
{
    lc_runtime_api *api = ctx;
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
    *out = NULL;
    lc_runtime_api *api = calloc(1, sizeof *api);
    int fds[2];
    if (api == NULL || pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
        free(api);
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "cannot create the Runtime API");
    }
    api->notify_r = fds[0];
    api->notify_w = fds[1];
    pthread_mutex_init(&api->mu, NULL);
    pthread_mutex_init(&api->sink_mu, NULL);
    lc__http_config c = {.max_connections = 64, .max_head = MAX_HEAD,
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

lc_status lc_runtime_api_submit(lc_runtime_api *api, const lc_runtime_invocation *inv,
                                lc_error *err)
{
    shared_bytes *payload = shared_new(inv->payload, inv->payload_len);
    if (payload == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory for the event");
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
    bool waiting = (api->parked != NULL && api->state != INV_QUEUED) ||
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
