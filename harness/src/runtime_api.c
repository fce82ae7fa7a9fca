#include "lambdacheck/runtime_api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lambdacheck/buf.h"
#include "http_body.h"
#include "lambdacheck/context.h"

#define PREFIX "/2018-06-01/runtime/"

typedef enum { INV_NONE, INV_QUEUED, INV_RUNNING, INV_DONE } inv_state;

struct lc_runtime_api {
    struct MHD_Daemon *daemon;
    uint16_t port;
    char address[32];
    int notify_r, notify_w;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stopping;
    bool initialized;
    int64_t initialized_ns;
    int waiting; /* /next requests blocked for work */

    inv_state state;
    char request_id[129];
    char done_id[129]; /* the last request id that got its outcome: a second post is 403 */
    char *payload;
    size_t payload_len;
    char content_type[128];
    json_t *headers;
    int64_t delivered_ns;
    long timeout_ms;
    int64_t deadline_ms;

    bool has_outcome;
    lc_runtime_outcome outcome;

    lc_runtime_post *posts;
    size_t n_posts, cap_posts;
};

typedef lc__http_body request;

int64_t lc_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void notify(lc_runtime_api *api)
{
    char byte = 1;
    (void)!write(api->notify_w, &byte, 1); /* a full pipe already says "something happened" */
}

/* --- responses ----------------------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *body)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned status, const char *type,
                                   const char *message)
{
    json_t *body = json_pack("{s:s, s:s}", "errorType", type, "errorMessage", message);
    char *text = json_dumps(body, JSON_COMPACT);
    enum MHD_Result rc = reply(conn, status, text ? text : "{}");
    free(text);
    json_decref(body);
    return rc;
}

/* --- bookkeeping (called with the lock held) ----------------------------------------------- */

static const char *header(struct MHD_Connection *conn, const char *name)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
    return v ? v : "";
}

static void record_post(lc_runtime_api *api, struct MHD_Connection *conn, const char *method,
                        const char *url, int status, request *req)
{
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
    snprintf(p->method, sizeof p->method, "%s", method);
    snprintf(p->path, sizeof p->path, "%s", url);
    p->status = status;
    snprintf(p->content_type, sizeof p->content_type, "%s", header(conn, "Content-Type"));
    snprintf(p->error_type, sizeof p->error_type, "%s",
             header(conn, "Lambda-Runtime-Function-Error-Type"));
    p->body_len = req->body.len;
    p->body_size = req->size;
    p->body = lc_buf_take(&req->body);
}

static void set_outcome(lc_runtime_api *api, lc_runtime_outcome_kind kind,
                        struct MHD_Connection *conn, request *req)
{
    lc_runtime_outcome *o = &api->outcome;
    lc_runtime_outcome_clear(o);
    o->kind = kind;
    o->posted_size = req->size;
    snprintf(o->content_type, sizeof o->content_type, "%s", header(conn, "Content-Type"));
    snprintf(o->error_type, sizeof o->error_type, "%s",
             header(conn, "Lambda-Runtime-Function-Error-Type"));
    const char *cause = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                    "Lambda-Runtime-Function-XRay-Error-Cause");
    o->xray_cause = cause ? strdup(cause) : NULL;
    if (kind != LC_RUNTIME_TOO_LARGE && req->body.data) {
        o->body = malloc(req->body.len + 1);
        if (o->body) {
            memcpy(o->body, req->body.data, req->body.len + 1);
            o->body_len = req->body.len;
        }
    }
    api->has_outcome = true;
}

/* --- endpoints ----------------------------------------------------------------------------- */

static struct MHD_Response *next_response(lc_runtime_api *api)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        api->payload_len, api->payload ? api->payload : (void *)"", MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return NULL;
    const char *name;
    json_t *value;
    json_object_foreach(api->headers, name, value)
    {
        if (api->timeout_ms <= 0 || strcmp(name, "Lambda-Runtime-Deadline-Ms") != 0)
            MHD_add_response_header(resp, name, json_string_value(value));
    }
    if (api->timeout_ms > 0) {
        char deadline[32];
        api->deadline_ms = lc_now_ms() + api->timeout_ms;
        snprintf(deadline, sizeof deadline, "%lld", (long long)api->deadline_ms);
        MHD_add_response_header(resp, "Lambda-Runtime-Deadline-Ms", deadline);
    }
    MHD_add_response_header(resp, "Content-Type",
                            api->content_type[0] ? api->content_type : "application/json");
    return resp;
}

static enum MHD_Result handle_next(lc_runtime_api *api, struct MHD_Connection *conn)
{
    pthread_mutex_lock(&api->mu);
    if (api->state == INV_RUNNING) {
        pthread_mutex_unlock(&api->mu);
        return reply_error(conn, 403, "InvalidStateTransition",
                           "State transition from Running to Ready failed for runtime. Error: "
                           "the current invocation has no response or error yet");
    }
    if (!api->initialized) {
        api->initialized = true;
        api->initialized_ns = lc_monotonic_ns();
    }
    api->waiting++;
    notify(api); /* the previous invocation, if any, is over */
    while (api->state != INV_QUEUED && !api->stopping)
        pthread_cond_wait(&api->cv, &api->mu);
    api->waiting--;
    if (api->stopping) {
        pthread_mutex_unlock(&api->mu);
        return MHD_NO; /* closes the connection */
    }
    struct MHD_Response *resp = next_response(api);
    api->state = INV_RUNNING;
    api->delivered_ns = lc_monotonic_ns();
    pthread_mutex_unlock(&api->mu);
    if (resp == NULL)
        return MHD_NO;
    enum MHD_Result rc = MHD_queue_response(conn, 200, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* spec 3.2; the number is LC_RUNTIME_MAX_RESPONSE */
static const char too_large_message[] = "Exceeded maximum allowed payload size (6291556 bytes).";

static enum MHD_Result handle_post_for(lc_runtime_api *api, struct MHD_Connection *conn,
                                       const char *url, const char *id, bool is_error,
                                       request *req)
{
    int status;
    const char *type = NULL, *message = NULL;
    pthread_mutex_lock(&api->mu);
    if (api->state == INV_RUNNING && strcmp(id, api->request_id) == 0) {
        bool too_large = req->size > LC_RUNTIME_MAX_RESPONSE;
        set_outcome(api,
                    too_large  ? LC_RUNTIME_TOO_LARGE
                    : is_error ? LC_RUNTIME_ERROR
                               : LC_RUNTIME_RESPONSE,
                    conn, req);
        api->state = INV_DONE;
        snprintf(api->done_id, sizeof api->done_id, "%s", id);
        status = too_large ? 413 : 202;
        if (too_large) {
            type = "RequestEntityTooLarge";
            message = too_large_message;
        }
    } else if (api->done_id[0] && strcmp(id, api->done_id) == 0) {
        status = 403;
        type = "InvalidStateTransition";
        message = is_error ? "State transition from ResponseSent to InvocationErrorResponse "
                             "failed for runtime. Error: the invocation already has its outcome"
                           : "State transition from ResponseSent to InvocationResponse failed "
                             "for runtime. Error: the invocation already has its outcome";
    } else {
        status = 400;
        type = "InvalidRequestID";
        message = "Invalid request ID";
    }
    record_post(api, conn, "POST", url, status, req);
    pthread_mutex_unlock(&api->mu);
    /* no wake-up here: an invocation ends at the runtime's next /next, or its exit */
    return type ? reply_error(conn, (unsigned)status, type, message)
                : reply(conn, 202, "{\"status\":\"OK\"}");
}

static enum MHD_Result handle_init_error(lc_runtime_api *api, struct MHD_Connection *conn,
                                         const char *url, request *req)
{
    pthread_mutex_lock(&api->mu);
    bool allowed = !api->initialized && !api->has_outcome;
    if (allowed)
        set_outcome(api, LC_RUNTIME_INIT_ERROR, conn, req);
    record_post(api, conn, "POST", url, allowed ? 202 : 403, req);
    pthread_mutex_unlock(&api->mu);
    notify(api);
    if (!allowed)
        return reply_error(conn, 403, "InvalidStateTransition",
                           "State transition from Ready to InitError failed for runtime. Error: "
                           "init errors are only accepted before the first /next");
    return reply(conn, 202, "{\"status\":\"OK\"}");
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

static enum MHD_Result route(lc_runtime_api *api, struct MHD_Connection *conn, const char *url,
                             const char *method, request *req)
{
    const char *rest = strncmp(url, PREFIX, strlen(PREFIX)) == 0 ? url + strlen(PREFIX) : NULL;
    bool is_get = strcmp(method, "GET") == 0, is_post = strcmp(method, "POST") == 0;
    char id[129];
    const char *what;
    if (rest && strcmp(rest, "invocation/next") == 0)
        return is_get ? handle_next(api, conn)
                      : reply_error(conn, 405, "MethodNotAllowed", "Use GET for /next");
    if (rest && strcmp(rest, "init/error") == 0)
        return is_post ? handle_init_error(api, conn, url, req)
                       : reply_error(conn, 405, "MethodNotAllowed", "Use POST for /init/error");
    if (rest && invocation_path(rest, id, sizeof id, &what))
        return is_post ? handle_post_for(api, conn, url, id, strcmp(what, "error") == 0, req)
                       : reply_error(conn, 405, "MethodNotAllowed", "Use POST");
    pthread_mutex_lock(&api->mu);
    record_post(api, conn, method, url, 404, req);
    pthread_mutex_unlock(&api->mu);
    notify(api);
    return reply_error(conn, 404, "NotFound", "Unknown Runtime API path");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    request *req;
    enum MHD_Result result;
    if (lc__http_body_collect(con_cls, LC_RUNTIME_MAX_RESPONSE, upload_data, upload_data_size, &req,
                              &result))
        return result;
    return route(cls, conn, url, method, req);
}


/* --- lifecycle ----------------------------------------------------------------------------- */

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
    pthread_cond_init(&api->cv, NULL);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    api->daemon = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
        on_request, api, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)0, MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
        MHD_OPTION_NOTIFY_COMPLETED, lc__http_body_free, NULL, MHD_OPTION_END);
    if (api->daemon == NULL) {
        lc_runtime_api_free(api);
        return lc_error_set(err, LC_EIO, NULL, 0, 0,
                            "cannot start the Runtime API server on 127.0.0.1");
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(api->daemon, MHD_DAEMON_INFO_BIND_PORT);
    api->port = info ? info->port : 0;
    snprintf(api->address, sizeof api->address, "127.0.0.1:%u", api->port);
    *out = api;
    return LC_OK;
}

void lc_runtime_api_free(lc_runtime_api *api)
{
    if (api == NULL)
        return;
    pthread_mutex_lock(&api->mu);
    api->stopping = true;
    pthread_cond_broadcast(&api->cv);
    pthread_mutex_unlock(&api->mu);
    if (api->daemon)
        MHD_stop_daemon(api->daemon);
    lc_runtime_outcome_clear(&api->outcome);
    lc_runtime_posts_free(api->posts, api->n_posts);
    free(api->payload);
    json_decref(api->headers);
    close(api->notify_r);
    close(api->notify_w);
    pthread_cond_destroy(&api->cv);
    pthread_mutex_destroy(&api->mu);
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
    char *payload = malloc(inv->payload_len + 1);
    if (payload == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory for the event");
    memcpy(payload, inv->payload, inv->payload_len);
    payload[inv->payload_len] = '\0';
    pthread_mutex_lock(&api->mu);
    if (api->state == INV_QUEUED || api->state == INV_RUNNING) {
        pthread_mutex_unlock(&api->mu);
        free(payload);
        return lc_error_set(err, LC_ESTATE, NULL, 0, 0,
                            "the environment is already running an invocation");
    }
    free(api->payload);
    api->payload = payload;
    api->payload_len = inv->payload_len;
    json_decref(api->headers);
    api->headers = json_deep_copy(inv->headers);
    snprintf(api->request_id, sizeof api->request_id, "%s", inv->request_id);
    snprintf(api->content_type, sizeof api->content_type, "%s",
             inv->content_type ? inv->content_type : "application/json");
    api->delivered_ns = 0;
    api->deadline_ms = 0;
    api->timeout_ms = inv->timeout_ms;
    api->state = INV_QUEUED;
    pthread_cond_broadcast(&api->cv);
    pthread_mutex_unlock(&api->mu);
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
    bool waiting = api->waiting > 0 && api->state != INV_QUEUED;
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
    return has;
}

void lc_runtime_api_abandon(lc_runtime_api *api)
{
    pthread_mutex_lock(&api->mu);
    if (api->state == INV_QUEUED || api->state == INV_RUNNING)
        api->state = INV_NONE;
    api->request_id[0] = '\0';
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
    free(o->xray_cause);
    memset(o, 0, sizeof *o);
}

void lc_runtime_posts_free(lc_runtime_post *posts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(posts[i].body);
    free(posts);
}
