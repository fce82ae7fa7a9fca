/* The gateway's listeners: one HTTP server per API and per function URL, workers that run each
 * request through its route, a watchdog for integration timeouts, streamed function URLs, and
 * the log. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "gateway_internal.h"
#include "lambdacheck/context.h"
#include "lambdacheck/invoke_server.h"
#include "lambdacheck/sigv4.h"

#define MAX_WORKERS 256
#define STREAM_SEND_TIMEOUT_S 30
/* The content type of a stream that begins with an HTTP prelude (awslambda.HttpResponseStream):
 * JSON metadata, eight NUL bytes, then the body. */
#define PRELUDE_TYPE "application/vnd.awslambda.http-integration-response"
#define PRELUDE_MAX (64u * 1024)

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* A request waiting for, or running in, a worker. */
typedef struct job {
    struct job *next;                  /* the queue */
    struct job *live_prev, *live_next; /* requests being run, for the watchdog */
    gw_api *api;
    lc__http_request *req;
    int64_t deadline_ms; /* the integration's timeout, 0: none (set while invoking) */
    bool answered;       /* by the watchdog: the worker's answer is dropped */
    bool detached;       /* a stream took the socket: the watchdog leaves it alone */
} job;

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv, gone_cv, watch_cv;
    job *queue, *tail;
    job *live;
    size_t workers, idle;
    bool stopping;
    pthread_t watchdog;
    bool watchdog_started;
    pthread_mutex_t log_mu;
} pool;

static pool *pool_of(const struct lc_gateway *gw)
{
    return gw->workers;
}

/* --- answering ------------------------------------------------------------------------------ */

/* Answers req with a (its body handed over). */
static void respond(gw_api *api, lc__http_request *req, gw_answer *a)
{
    size_t n = json_array_size(a->headers);
    const char **lines = calloc(n + 1, sizeof *lines);
    for (size_t i = 0; lines && i < n; i++)
        lines[i] = json_string_value(json_array_get(a->headers, i));
    lc__http_respond(api->http, req, a->status, lines, a->body, a->body_len, free);
    a->body = NULL;
    a->body_len = 0;
    free(lines);
}

/* The worker's answer, unless the watchdog gave one already. */
static void send_answer(gw_api *api, job *j, gw_answer *a)
{
    pool *p = pool_of(api->gw);
    pthread_mutex_lock(&p->mu);
    bool late = j->answered;
    j->answered = true;
    pthread_mutex_unlock(&p->mu);
    if (!late)
        respond(api, j->req, a);
}

/* --- the log ---------------------------------------------------------------------------------- */

void lc__gw_log_function(const gw_call *c, const char *function, const lc_result *r)
{
    struct lc_gateway *gw = c->api->gw;
    if (gw->log == NULL || r->log_len == 0)
        return;
    pool *p = pool_of(gw);
    pthread_mutex_lock(&p->log_mu);
    (void)function;
    fwrite(r->log, 1, r->log_len, gw->log);
    if (r->log[r->log_len - 1] != '\n')
        fputc('\n', gw->log);
    fflush(gw->log);
    pthread_mutex_unlock(&p->log_mu);
}

/* One line per request, after the function's own: what was asked, where it went, what it got,
 * and the time the gateway added to the function's. */
typedef struct {
    char method[32], path[1024], query[1024];
} request_line;

static void log_request(const gw_call *c, const request_line *req, const gw_answer *a,
                        double total_ms, double function_ms)
{
    FILE *log = c->api->gw->log;
    if (log == NULL)
        return;
    pool *p = pool_of(c->api->gw);
    char where[512] = "";
    if (c->route)
        snprintf(where, sizeof where, " -> %s (%s)", c->route->function, c->route->route_key);
    pthread_mutex_lock(&p->log_mu);
    fprintf(log, "lambdacheck: %s: %s %s%s%s%s: %d in %.1f ms", c->api->name, req->method,
            req->path, req->query[0] ? "?" : "", req->query, where, a->status, total_ms);
    if (c->authorizer_ms >= 0 && function_ms >= 0)
        fprintf(log, " (authorizer %.1f ms, function %.1f ms, gateway %.1f ms)", c->authorizer_ms,
                function_ms, total_ms - function_ms - c->authorizer_ms);
    else if (c->authorizer_ms >= 0)
        fprintf(log, " (authorizer %.1f ms)", c->authorizer_ms);
    else if (c->authorizer_cached && function_ms >= 0)
        fprintf(log, " (authorizer cached, function %.1f ms, gateway %.1f ms)", function_ms,
                total_ms - function_ms);
    else if (c->authorizer_cached)
        fprintf(log, " (authorizer cached)");
    else if (function_ms >= 0)
        fprintf(log, " (function %.1f ms, gateway %.1f ms)", function_ms, total_ms - function_ms);
    if (a->problem[0])
        fprintf(log, ": %s", a->problem);
    fputc('\n', log);
    fflush(log);
    pthread_mutex_unlock(&p->log_mu);
}

/* --- ids -------------------------------------------------------------------------------------- */

/* An id in API Gateway's short form ("JKJaXmPLvHcESHA="): 15 letters and digits and '='. */
static void short_id(char out[20])
{
    static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    char uuid[37];
    lc_uuid4(uuid);
    unsigned h = 2166136261u;
    for (int i = 0; i < 15; i++) {
        h = (h ^ (unsigned char)uuid[i * 2 % 36]) * 16777619u ^
            (unsigned char)uuid[(i * 5 + 3) % 36];
        out[i] = chars[h % (sizeof chars - 1)];
    }
    out[15] = '=';
    out[16] = '\0';
}

static void trace_id(int64_t epoch_ms, char out[64])
{
    char uuid[37];
    lc_uuid4(uuid);
    char hex[25];
    int k = 0;
    for (int i = 0; uuid[i] && k < 24; i++)
        if (uuid[i] != '-')
            hex[k++] = uuid[i];
    hex[k] = '\0';
    snprintf(out, 64, "Root=1-%08llx-%s", (unsigned long long)(epoch_ms / 1000), hex);
}

static void start_call(gw_api *api, const lc__http_request *req, gw_call *c)
{
    memset(c, 0, sizeof *c);
    c->api = api;
    c->authorizer_ms = -1;
    c->epoch_ms = now_ms();
    short_id(c->extended_id);
    if (api->kind == GW_HTTP)
        snprintf(c->request_id, sizeof c->request_id, "%s", c->extended_id);
    else
        lc_uuid4(c->request_id);
    trace_id(c->epoch_ms, c->trace_id);
    const char *given = lc__http_header(req, "X-Amzn-Trace-Id");
    if (given && strncmp(given, "Root=", 5) == 0 && strlen(given) < sizeof c->trace_id)
        snprintf(c->trace_id, sizeof c->trace_id, "%s", given);
    snprintf(c->source_ip, sizeof c->source_ip, "%s",
             req->peer && req->peer[0] ? req->peer : "127.0.0.1");
}

/* --- before the function ---------------------------------------------------------------------- */

/* The path after the stage: REST APIs and named HTTP API stages are served under /STAGE. NULL
 * when the path is not under it. */
static const char *strip_stage(const gw_api *api, const char *path)
{
    if (api->kind == GW_URL || strcmp(api->stage, "$default") == 0)
        return path;
    size_t n = strlen(api->stage);
    if (path[0] != '/' || strncmp(path + 1, api->stage, n) != 0 ||
        (path[n + 1] != '/' && path[n + 1] != '\0'))
        return NULL;
    return path[n + 1] ? path + n + 1 : "/";
}

/* The service's answer to a request no route takes: REST's 403 "Missing Authentication Token",
 * HTTP APIs' 404 (https://repost.aws/knowledge-center/api-gateway-authentication-token-errors;
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting.html). */
static void no_route(const gw_api *api, gw_answer *a)
{
    if (api->kind == GW_REST) {
        lc__gw_service_answer(a, 403, "{\"message\":\"Missing Authentication Token\"}", NULL,
                              "MissingAuthenticationTokenException");
    } else {
        lc__gw_service_answer(a, 404, "{\"message\":\"Not Found\"}", NULL, NULL);
    }
    snprintf(a->problem, sizeof a->problem, "no route");
}

static const char *req_header(void *req, const char *name)
{
    return lc__http_header(req, name);
}

static const char *req_header_at(void *ctx, size_t i, const char **value)
{
    const lc__http_request *req = ctx;
    if (i >= req->n_headers)
        return NULL;
    *value = req->headers[i].value;
    return req->headers[i].name;
}

/* A function URL with AuthType AWS_IAM takes requests signed (SigV4, service lambda) with the
 * gateway's key pair, as serve --require-sigv4 checks the Invoke API; others get Lambda's 403
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html). */
static bool iam_url(const gw_api *api);

static bool url_signature_ok(const gw_api *api, lc__http_request *req, gw_answer *a)
{
    if (!iam_url(api))
        return true;
    struct lc_gateway *gw = api->gw;
    const char *type = NULL;
    lc_error err = {0};
    if (gw->sigv4_key[0]) {
        lc_sigv4_request sr = {req->method,    req->path,     req->query, req_header,   req,
                               req->body.data, req->body.len, NULL,       req_header_at};
        lc_sigv4_key key = {.access_key_id = gw->sigv4_key,
                            .secret_access_key = gw->sigv4_secret,
                            .region = gw->region,
                            .service = "lambda"};
        if (lc_sigv4_verify(&sr, &key, &type, &err) == LC_OK)
            return true;
    } else {
        snprintf(err.message, sizeof err.message,
                 "no key pair to check signatures with (give "
                 "serve --require-sigv4)");
    }
    /* unsigned: AccessDeniedException; signed wrongly: the signature's error */
    if (lc__http_header(req, "Authorization") == NULL || !gw->sigv4_key[0])
        lc__gw_service_answer(a, 403, "{\"Message\":\"Forbidden\"}", NULL, "AccessDeniedException");
    else
        lc__gw_service_answer(a, 403,
                              "{\"message\":\"The security token included in the request is "
                              "invalid.\"}",
                              NULL, type ? type : "InvalidSignatureException");
    snprintf(a->problem, sizeof a->problem, "AWS_IAM: %s", err.message);
    return false;
}

static bool iam_url(const gw_api *api)
{
    const char *auth = json_string_value(json_object_get(api->config, "authType"));
    return api->kind == GW_URL && auth && strcmp(auth, "AWS_IAM") == 0;
}

/* What a function URL with AWS_IAM tells the function of the signer: requestContext.authorizer.iam
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-request-payload). The
 * signer is serve's key pair; its user is lambdacheck's stand-in. */
static json_t *iam_context(const struct lc_gateway *gw)
{
    char arn[200];
    snprintf(arn, sizeof arn, "arn:aws:iam::%s:user/lambdacheck", gw->account);
    return json_pack("{s:{s:s, s:s, s:s, s:n, s:n, s:s, s:s}}", "iam", "accessKey", gw->sigv4_key,
                     "accountId", gw->account, "callerId", "AIDALAMBDACHECKUSER", "cognitoIdentity",
                     "principalOrgId", "userArn", arn, "userId", "AIDALAMBDACHECKUSER");
}

/* --- running the function --------------------------------------------------------------------- */

static void set_deadline(struct lc_gateway *gw, job *j, long timeout_ms)
{
    pool *p = pool_of(gw);
    pthread_mutex_lock(&p->mu);
    j->deadline_ms = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
    pthread_cond_signal(&p->watch_cv);
    pthread_mutex_unlock(&p->mu);
}

/* The sandbox lambdacheck's runner asks a function to run in: its own header, "Function=key",
 * several joined by ';' (Lambda has no such header; only the runner, on loopback, sends it). */
static bool sandbox_for(const lc__http_request *req, const char *function, char key[64])
{
    const char *v = lc__http_header(req, LC_SANDBOX_HEADER);
    size_t n = strlen(function);
    for (const char *p = v; p && *p;) {
        size_t len = strcspn(p, ";");
        if (len > n + 1 && strncmp(p, function, n) == 0 && p[n] == '=' && len - n - 1 < 64) {
            snprintf(key, 64, "%.*s", (int)(len - n - 1), p + n + 1);
            return true;
        }
        p += len + (p[len] == ';');
    }
    return false;
}

/* Runs the route's function with the event; *function_ms gets its time. */
static lc_status invoke(gw_call *c, job *j, const json_t *event, const lc_stream_sink *sink,
                        lc_result *r, double *function_ms, lc_error *err)
{
    char *text = json_dumps(event, JSON_COMPACT);
    json_t *ctx = c->api->kind == GW_URL ? json_pack("{s:s}", "requestId", c->request_id) : NULL;
    lc_invoke_options opt = {.payload = text ? text : "{}",
                             .payload_len = text ? strlen(text) : 2,
                             .context = ctx,
                             .sandbox = c->sandbox[0] ? c->sandbox : NULL,
                             .stream = sink};
    set_deadline(c->api->gw, j, c->route->timeout_ms);
    double t0 = mono_ms();
    lc_status st = lc_emulator_invoke(c->api->gw->em, c->route->function, &opt, r, err);
    *function_ms = mono_ms() - t0;
    set_deadline(c->api->gw, j, 0);
    json_decref(ctx);
    free(text);
    return st;
}

static void invoke_failed(const gw_call *c, lc_status st, const lc_error *err, gw_answer *a)
{
    if (st == LC_EBUSY && c->api->kind == GW_URL) /* Lambda throttles the URL itself */
        lc__gw_service_answer(a, 429, "{\"message\":\"Rate Exceeded.\"}", NULL,
                              "ThrottlingException");
    else /* API Gateway: Lambda refused the call */
        lc__gw_integration_failed(c->api, 500, a);
    snprintf(a->problem, sizeof a->problem, "%s", err->message);
}

/* --- streamed function URLs
 * ------------------------------------------------------------------------ */

typedef struct {
    int fd;
    bool head_sent, broken;
    bool prelude; /* the stream begins with an HTTP prelude, not yet all read */
    lc_buf pre;   /* the prelude so far */
    int nuls;     /* NUL bytes in a row at its end */
    const gw_call *c;
    int status;
} streamer;

static void send_all(streamer *s, const char *data, size_t len)
{
    while (!s->broken && len > 0) {
        ssize_t n = send(s->fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            s->broken = true;
            return;
        }
        data += n;
        len -= (size_t)n;
    }
}

static void send_chunk(streamer *s, const char *data, size_t len)
{
    if (len == 0)
        return;
    char size[32];
    int n = snprintf(size, sizeof size, "%zx\r\n", len);
    send_all(s, size, (size_t)n);
    send_all(s, data, len);
    send_all(s, "\r\n", 2);
}

/* The head of a streamed answer: the prelude's status, headers and cookies, or 200 with the
 * stream's content type. */
static void send_head(streamer *s, const json_t *prelude, const char *content_type)
{
    gw_answer a;
    lc__gw_answer_init(&a);
    a.status = 200;
    if (prelude) {
        json_t *code = json_object_get(prelude, "statusCode");
        if (json_is_integer(code))
            a.status = (int)json_integer_value(code);
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(prelude, "headers"), k, v)
        {
            if (json_is_string(v) && strcasecmp(k, "Content-Length") != 0 &&
                strcasecmp(k, "Transfer-Encoding") != 0 && strcasecmp(k, "Connection") != 0)
                lc__gw_answer_header(&a, k, "%s", json_string_value(v));
        }
        size_t i;
        json_array_foreach(json_object_get(prelude, "cookies"), i, v)
        {
            if (json_is_string(v))
                lc__gw_answer_header(&a, "Set-Cookie", "%s", json_string_value(v));
        }
    }
    if (!lc__gw_answer_has(&a, "Content-Type"))
        lc__gw_answer_header(&a, "Content-Type", "%s",
                             content_type && !prelude ? content_type : "application/octet-stream");
    lc__gw_service_headers(s->c, &a);
    lc__gw_cors_headers(s->c->api, s->c->origin, &a);
    lc_buf head;
    lc_buf_init(&head, 0);
    lc_buf_printf(&head, "HTTP/1.1 %d %s\r\n", a.status, lc__http_reason(a.status));
    size_t i;
    json_t *h;
    json_array_foreach(a.headers, i, h) lc_buf_printf(&head, "%s\r\n", json_string_value(h));
    lc_buf_printf(&head, "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    s->head_sent = true;
    s->status = a.status;
    send_all(s, head.data, head.len);
    lc_buf_free(&head);
    lc__gw_answer_clear(&a);
}

static void stream_begin(void *ctx, const char *content_type)
{
    streamer *s = ctx;
    if (content_type && strncasecmp(content_type, PRELUDE_TYPE, strlen(PRELUDE_TYPE)) == 0) {
        s->prelude = true;
        return;
    }
    send_head(s, NULL, content_type);
}

/* Bytes of a prelude: up to the eight NULs that end it, then the head; the rest is body. */
static size_t take_prelude(streamer *s, const char *bytes, size_t len)
{
    size_t i = 0;
    for (; i < len && s->prelude; i++) {
        s->nuls = bytes[i] == '\0' ? s->nuls + 1 : 0;
        if (s->nuls == 0 || s->nuls > 8)
            lc_buf_append(&s->pre, bytes + i, 1);
        if (s->nuls == 8 || s->pre.len >= PRELUDE_MAX) {
            json_t *prelude = json_loadb(s->pre.data ? s->pre.data : "", s->pre.len, 0, NULL);
            s->prelude = false;
            send_head(s, json_is_object(prelude) ? prelude : NULL, NULL);
            json_decref(prelude);
        }
    }
    return i;
}

static void stream_data(void *ctx, const char *bytes, size_t len)
{
    streamer *s = ctx;
    size_t used = s->prelude ? take_prelude(s, bytes, len) : 0;
    if (!s->head_sent)
        return;
    send_chunk(s, bytes + used, len - used);
}

/* A streaming function URL: the socket is taken from the server and the body written as the
 * function writes it (https://docs.aws.amazon.com/lambda/latest/dg/
 * configuration-response-streaming.html). A function that does not stream is answered as a
 * buffered URL answers; a failure after the head has gone ends the stream. */
static void run_streamed(gw_call *c, job *j, const json_t *event, double *function_ms, gw_answer *a)
{
    streamer s = {.fd = -1, .c = c};
    lc_buf_init(&s.pre, PRELUDE_MAX + 16);
    pool *p = pool_of(c->api->gw);
    pthread_mutex_lock(&p->mu);
    j->detached = true;
    pthread_mutex_unlock(&p->mu);
    lc_stream_sink sink = {.begin = stream_begin, .data = stream_data, .ctx = &s};
    lc_result r;
    lc_error err = {0};
    /* the socket is taken once the request is no longer needed: the event is already made */
    s.fd = lc__http_detach(c->api->http, j->req);
    j->answered = true;
    struct timeval limit = {.tv_sec = STREAM_SEND_TIMEOUT_S};
    if (s.fd >= 0)
        setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    s.broken = s.fd < 0;
    lc_status st = invoke(c, j, event, &sink, &r, function_ms, &err);
    if (st != LC_OK) {
        invoke_failed(c, st, &err, a);
    } else {
        if (!s.head_sent && r.function_error[0]) {
            lc__gw_map_result(c, event, &r, a);
        } else if (!s.head_sent) {
            /* a function that does not stream: its result is the body, not read as an HTTP
               response (recorded against AWS: LocalStack's test_lambda_url_echo_invoke
               [RESPONSE_STREAM]) */
            send_head(&s, NULL, r.content_type[0] ? r.content_type : "application/json");
            send_chunk(&s, r.payload ? r.payload : "", r.payload_len);
        }
        lc__gw_log_function(c, c->route->function, &r);
        lc_result_clear(&r);
    }
    if (s.head_sent) {
        send_all(&s, "0\r\n\r\n", 5);
        a->status = s.status;
    } else { /* nothing streamed: an ordinary answer on the socket */
        if (a->status == 0)
            lc__gw_integration_failed(c->api, 502, a);
        lc__gw_service_headers(c, a);
        lc__gw_cors_headers(c->api, c->origin, a);
        lc_buf head;
        lc_buf_init(&head, 0);
        lc_buf_printf(&head, "HTTP/1.1 %d %s\r\n", a->status, lc__http_reason(a->status));
        size_t i;
        json_t *h;
        json_array_foreach(a->headers, i, h) lc_buf_printf(&head, "%s\r\n", json_string_value(h));
        lc_buf_printf(&head, "Content-Length: %zu\r\nConnection: close\r\n\r\n", a->body_len);
        send_all(&s, head.data, head.len);
        send_all(&s, a->body ? a->body : "", a->body_len);
        lc_buf_free(&head);
    }
    if (s.fd >= 0)
        close(s.fd);
    lc_buf_free(&s.pre);
}

/* --- one request
 * ----------------------------------------------------------------------------------- */

/* Routes, authorizes and runs a request; *function_ms stays -1 when no function ran. Returns
 * false when a stream already answered it. */
static bool run_request(gw_call *c, job *j, gw_answer *a, double *function_ms)
{
    gw_api *api = j->api;
    lc__http_request *req = j->req;
    const char *path = strip_stage(api, req->path);
    if (path == NULL) {
        no_route(api, a);
        return true;
    }
    c->path = path;
    if (lc__gw_preflight(api, req, path, a) || !url_signature_ok(api, req, a))
        return true;
    json_t *params = NULL;
    c->route = lc__gw_select_route(api, req->method, path, &params);
    c->path_params = params;
    if (c->route == NULL) {
        no_route(api, a);
        return true;
    }
    if (!sandbox_for(req, c->route->function, c->sandbox)) /* kept: a stream takes req away */
        c->sandbox[0] = '\0';
    json_t *event = lc__gw_event(c, req);
    json_t *auth_ctx = NULL;
    bool streamed = false;
    if (lc__gw_authorize(api->gw, c, req, event, &auth_ctx, a)) {
        if (auth_ctx == NULL && iam_url(api))
            auth_ctx = iam_context(api->gw);
        if (auth_ctx)
            json_object_set(json_object_get(event, "requestContext"), "authorizer", auth_ctx);
        const char *mode = json_string_value(json_object_get(api->config, "invokeMode"));
        if (api->kind == GW_URL && mode && strcmp(mode, "RESPONSE_STREAM") == 0) {
            run_streamed(c, j, event, function_ms, a);
            streamed = true;
        } else {
            lc_result r;
            lc_error err = {0};
            /* from here the request may be gone: a watchdog answers an integration that timed
               out (what the answer needs of it is in c) */
            lc_status st = invoke(c, j, event, NULL, &r, function_ms, &err);
            if (st == LC_OK && c->from_runner)
                snprintf(c->lambda_request_id, sizeof c->lambda_request_id, "%s", r.request_id);
            if (st == LC_OK) {
                lc__gw_map_result(c, event, &r, a);
                lc__gw_log_function(c, c->route->function, &r);
                lc_result_clear(&r);
            } else {
                invoke_failed(c, st, &err, a);
            }
        }
    }
    json_decref(auth_ctx);
    json_decref(event);
    json_decref(params);
    c->path_params = NULL;
    return !streamed;
}

/* A body over API Gateway's 10 MB: 413 (https://docs.aws.amazon.com/apigateway/latest/
 * developerguide/limits.html). */
static void too_large(gw_answer *a)
{
    lc__gw_service_answer(a, 413, "{\"message\":\"Request Too Long\"}", NULL, NULL);
    snprintf(a->problem, sizeof a->problem, "the body is over 10 MB");
}

static void handle(job *j)
{
    gw_api *api = j->api;
    double t0 = mono_ms(), function_ms = -1;
    gw_call c;
    gw_answer a;
    start_call(api, j->req, &c);
    lc__gw_answer_init(&a);
    lc__http_request *req = j->req;
    /* what the log and the CORS headers need, kept: a stream takes the request away */
    request_line line;
    snprintf(line.method, sizeof line.method, "%s", req->method);
    snprintf(line.path, sizeof line.path, "%s", req->path);
    snprintf(line.query, sizeof line.query, "%s", req->query);
    const char *origin = lc__http_header(req, "Origin"), *accept = lc__http_header(req, "Accept");
    snprintf(c.origin, sizeof c.origin, "%s", origin ? origin : "");
    if (accept)
        snprintf(c.accept, sizeof c.accept, "%.*s", (int)strcspn(accept, ",;"), accept);
    c.from_runner = lc__http_header(req, LC_SANDBOX_HEADER) != NULL;
    bool answer = true;
    if (req->over_cap)
        too_large(&a);
    else
        answer = run_request(&c, j, &a, &function_ms);
    /* a request's line for the log is made before the request is answered (and gone) */
    if (answer) {
        lc__gw_service_headers(&c, &a);
        if (c.lambda_request_id[0]) /* for lambdacheck's runner only: where its log is */
            lc__gw_answer_header(&a, "X-Lambdacheck-Request-Id", "%s", c.lambda_request_id);
        if (c.authorizer_request_id[0])
            lc__gw_answer_header(&a, "X-Lambdacheck-Authorizer-Request-Id", "%s",
                                 c.authorizer_request_id);
        lc__gw_cors_headers(api, c.origin, &a);
        send_answer(api, j, &a);
    }
    log_request(&c, &line, &a, mono_ms() - t0, function_ms);
    lc__gw_answer_clear(&a);
}

/* --- workers and the watchdog ----------------------------------------------------------------- */

static void live_add(pool *p, job *j)
{
    j->live_next = p->live;
    if (p->live)
        p->live->live_prev = j;
    p->live = j;
}

static void live_remove(pool *p, job *j)
{
    if (j->live_prev)
        j->live_prev->live_next = j->live_next;
    else
        p->live = j->live_next;
    if (j->live_next)
        j->live_next->live_prev = j->live_prev;
}

static void *worker_main(void *arg)
{
    struct lc_gateway *gw = arg;
    pool *p = pool_of(gw);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->queue == NULL && !p->stopping) {
            p->idle++;
            pthread_cond_wait(&p->cv, &p->mu);
            p->idle--;
        }
        if (p->queue == NULL)
            break;
        job *j = p->queue;
        p->queue = j->next;
        if (p->queue == NULL)
            p->tail = NULL;
        live_add(p, j);
        pthread_mutex_unlock(&p->mu);
        handle(j);
        pthread_mutex_lock(&p->mu);
        live_remove(p, j);
        free(j);
    }
    p->workers--;
    pthread_cond_broadcast(&p->gone_cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* The integration timed out: the caller gets the service's 504 (REST) or 503 (HTTP APIs:
 * https://github.com/serverless/serverless/issues/11222 records it) now, and the function's answer,
 * when it comes, is dropped (as API Gateway drops it; the function runs on to its own timeout).
 * REST: {"message": "Endpoint request timed out"}
 * (https://repost.aws/knowledge-center/api-gateway-504-errors). */
static void time_out(job *j)
{
    gw_answer a;
    lc__gw_answer_init(&a);
    bool rest = j->api->kind == GW_REST;
    if (rest)
        lc__gw_service_answer(&a, 504, "{\"message\": \"Endpoint request timed out\"}", NULL,
                              "InternalServerErrorException");
    else
        lc__gw_service_answer(&a, 503, "{\"message\":\"Service Unavailable\"}", NULL, NULL);
    j->answered = true;
    respond(j->api, j->req, &a);
    int status = a.status;
    lc__gw_answer_clear(&a);
    if (j->api->gw->log) {
        fprintf(j->api->gw->log, "lambdacheck: %s: the integration timed out: answered %d\n",
                j->api->name, status);
        fflush(j->api->gw->log);
    }
}

static void *watchdog_main(void *arg)
{
    pool *p = pool_of(arg);
    pthread_mutex_lock(&p->mu);
    while (!p->stopping) {
        int64_t now = now_ms(), next = 0;
        for (job *j = p->live; j; j = j->live_next) {
            if (j->deadline_ms == 0 || j->answered || j->detached)
                continue;
            if (j->deadline_ms <= now)
                time_out(j);
            else if (next == 0 || j->deadline_ms < next)
                next = j->deadline_ms;
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        long wait_ms = next ? (long)(next - now) : 1000;
        until.tv_sec += wait_ms / 1000;
        until.tv_nsec += (wait_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p->watch_cv, &p->mu, &until);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void submit(struct lc_gateway *gw, job *j)
{
    pool *p = pool_of(gw);
    pthread_mutex_lock(&p->mu);
    if (p->tail)
        p->tail->next = j;
    else
        p->queue = j;
    p->tail = j;
    if (p->idle == 0 && p->workers < MAX_WORKERS) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, worker_main, gw) == 0)
            p->workers++;
        pthread_attr_destroy(&attr);
    }
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void on_request(void *ctx, lc__http_request *req)
{
    gw_api *api = ctx;
    job *j = calloc(1, sizeof *j);
    if (j == NULL) {
        lc__http_respond(api->http, req, 503, NULL, NULL, 0, NULL);
        return;
    }
    j->api = api;
    j->req = req;
    submit(api->gw, j);
}

/* The body of an answer the HTTP server makes itself: {"message": ...} as the service writes
 * its own errors. */
static void error_body(void *ctx, int status, const char *message, lc_buf *body,
                       const char **content_type)
{
    (void)ctx;
    (void)status;
    json_t *j = json_pack("{s:s}", "message", message ? message : "");
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    lc_buf_append(body, text ? text : "{}", text ? strlen(text) : 2);
    free(text);
    *content_type = "application/json";
}

static size_t body_cap(void *ctx, const lc__http_request *req)
{
    (void)ctx;
    (void)req;
    return LC_GATEWAY_MAX_PAYLOAD;
}

/* --- starting and stopping
 * ------------------------------------------------------------------------- */

static pool *pool_new(void)
{
    pool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_mutex_init(&p->log_mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    pthread_cond_init(&p->gone_cv, NULL);
    pthread_cond_init(&p->watch_cv, NULL);
    return p;
}

static void pool_stop(pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->cv);
    pthread_cond_broadcast(&p->watch_cv);
    while (p->workers > 0)
        pthread_cond_wait(&p->gone_cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    if (p->watchdog_started)
        pthread_join(p->watchdog, NULL);
    p->watchdog_started = false;
}

static void pool_free(pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->log_mu);
    pthread_cond_destroy(&p->cv);
    pthread_cond_destroy(&p->gone_cv);
    pthread_cond_destroy(&p->watch_cv);
    free(p);
}

/* An id of API Gateway's form (ten lowercase letters and digits), or a function URL's (32). */
static void api_ids(gw_api *api)
{
    static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    char uuid[37];
    lc_uuid4(uuid);
    unsigned h = 2166136261u;
    for (const char *p = api->name; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    for (int i = 0; i < 10; i++) {
        h = (h ^ (unsigned)i) * 16777619u;
        api->id[i] = chars[h % 36];
    }
    api->id[10] = '\0';
    for (int i = 0; i < 32; i++) {
        h = (h ^ (unsigned char)uuid[i]) * 16777619u;
        api->url_id[i] = chars[h % 36];
    }
    api->url_id[32] = '\0';
}

/* A route or authorizer whose function is not served (a template's function that cannot run
 * here) is said once, and its requests answered as a failing integration. */
static void check_functions(const gw_api *api, lc_emulator *em)
{
    FILE *log = api->gw->log;
    for (size_t i = 0; log && i < api->n_routes; i++)
        if (lc_emulator_function(em, api->routes[i].function) == NULL)
            fprintf(log,
                    "lambdacheck: note: %s: route %s: function %s is not served; its "
                    "requests are answered as a failed integration\n",
                    api->name, api->routes[i].route_key, api->routes[i].function);
    const char *name;
    json_t *a;
    json_object_foreach(json_object_get(api->config, "authorizers"), name, a)
    {
        const char *fn = json_string_value(json_object_get(a, "function"));
        if (log && (fn == NULL || lc_emulator_function(em, fn) == NULL))
            fprintf(log, "lambdacheck: note: %s: authorizer %s: function %s is not served\n",
                    api->name, name, fn ? fn : "?");
    }
}

static lc_status start_api(struct lc_gateway *gw, gw_api *api, unsigned port, lc_error *err)
{
    api_ids(api);
    lc__gw_auth_cache_new(api);
    lc_status st = lc__gw_compile_routes(api, err);
    if (st != LC_OK)
        return st;
    check_functions(api, gw->em);
    lc__http_config cfg = {.host = gw->host,
                           .port = port,
                           .max_body = LC_GATEWAY_MAX_PAYLOAD,
                           .max_discard = 2 * LC_GATEWAY_MAX_PAYLOAD,
                           .idle_timeout_ms = 60000,
                           .body_cap = body_cap,
                           .on_request = on_request,
                           .error_body = error_body,
                           .ctx = api};
    st = lc__http_server_start(&cfg, &api->http, err);
    if (st != LC_OK)
        return st;
    api->port = lc__http_server_port(api->http);
    bool prefix = api->kind == GW_REST || (api->kind == GW_HTTP && strcmp(api->stage, "$default"));
    snprintf(api->base, sizeof api->base, "http://%s:%u%s%s", gw->host, (unsigned)api->port,
             prefix ? "/" : "", prefix ? api->stage : "");
    return LC_OK;
}

static void init_api(struct lc_gateway *gw, gw_api *api, const json_t *spec, gw_kind kind)
{
    api->gw = gw;
    api->kind = kind;
    api->config = json_deep_copy(spec);
    const char *name =
        json_string_value(json_object_get(spec, kind == GW_URL ? "function" : "name"));
    api->name = strdup(name ? name : "?");
    const char *stage = json_string_value(json_object_get(spec, "stage"));
    api->stage = strdup(kind == GW_URL    ? "$default"
                        : stage           ? stage
                        : kind == GW_REST ? "Prod"
                                          : "$default");
}

lc_status lc_gateway_start(lc_emulator *em, const json_t *model, const lc_gateway_options *opt,
                           lc_gateway **out, lc_error *err)
{
    *out = NULL;
    lc_status st = lc_gateway_model_check(model, "the gateway model", err);
    if (st != LC_OK)
        return st;
    struct lc_gateway *gw = calloc(1, sizeof *gw);
    const json_t *apis = json_object_get(model, "apis"),
                 *urls = json_object_get(model, "functionUrls");
    size_t n = json_array_size(apis) + json_array_size(urls);
    if (gw)
        gw->apis = calloc(n ? n : 1, sizeof *gw->apis);
    if (gw)
        gw->workers = pool_new();
    if (gw == NULL || gw->apis == NULL || gw->workers == NULL) {
        lc_gateway_free(gw);
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    }
    gw->em = em;
    gw->log = opt ? opt->log : NULL;
    snprintf(gw->host, sizeof gw->host, "%s", opt && opt->host ? opt->host : "127.0.0.1");
    snprintf(gw->region, sizeof gw->region, "%s", opt && opt->region ? opt->region : "us-east-1");
    snprintf(gw->account, sizeof gw->account, "%s",
             opt && opt->account ? opt->account : "123456789012");
    if (opt && opt->sigv4_access_key_id && opt->sigv4_secret_access_key) {
        snprintf(gw->sigv4_key, sizeof gw->sigv4_key, "%s", opt->sigv4_access_key_id);
        snprintf(gw->sigv4_secret, sizeof gw->sigv4_secret, "%s", opt->sigv4_secret_access_key);
    }
    for (size_t i = 0; i < n; i++) {
        bool url = i >= json_array_size(apis);
        const json_t *spec =
            url ? json_array_get(urls, i - json_array_size(apis)) : json_array_get(apis, i);
        const char *type = json_string_value(json_object_get(spec, "type"));
        init_api(gw, &gw->apis[i], spec,
                 url                                 ? GW_URL
                 : type && strcmp(type, "REST") == 0 ? GW_REST
                                                     : GW_HTTP);
        gw->n_apis = i + 1;
    }
    pool *p = pool_of(gw);
    if (pthread_create(&p->watchdog, NULL, watchdog_main, gw) == 0)
        p->watchdog_started = true;
    unsigned port = opt ? opt->port : 0;
    if (port && port + n - 1 > 65535) {
        lc_gateway_free(gw);
        return lc_error_set(err, LC_ERANGE, NULL, 0, 0,
                            "%zu APIs and function URLs from port %u need ports up to %zu, past "
                            "65535: give a lower port, or 0 for ephemeral ones",
                            n, port, port + n - 1);
    }
    for (size_t i = 0; st == LC_OK && i < n; i++)
        st = start_api(gw, &gw->apis[i], port ? port + (unsigned)i : 0, err);
    if (st != LC_OK) {
        lc_gateway_free(gw);
        return st;
    }
    *out = gw;
    return LC_OK;
}

void lc_gateway_free(lc_gateway *gw)
{
    if (gw == NULL)
        return;
    for (size_t i = 0; i < gw->n_apis; i++)
        lc__http_server_stop(gw->apis[i].http);
    for (size_t i = 0; i < gw->n_apis; i++) {
        lc__http_server_free(gw->apis[i].http);
        gw->apis[i].http = NULL;
    }
    if (gw->workers) {
        pool_stop(gw->workers);
        pool_free(gw->workers);
    }
    for (size_t i = 0; i < gw->n_apis; i++) {
        lc__gw_free_routes(&gw->apis[i]);
        lc__gw_auth_cache_free(&gw->apis[i]);
        json_decref(gw->apis[i].config);
        free(gw->apis[i].name);
        free(gw->apis[i].stage);
    }
    free(gw->apis);
    memset(gw->sigv4_secret, 0, sizeof gw->sigv4_secret);
    free(gw);
}

json_t *lc_gateway_endpoints(const lc_gateway *gw)
{
    json_t *apis = json_object(), *urls = json_object();
    for (size_t i = 0; i < gw->n_apis; i++)
        json_object_set_new(gw->apis[i].kind == GW_URL ? urls : apis, gw->apis[i].name,
                            json_string(gw->apis[i].base));
    return json_pack("{s:o, s:o}", "apis", apis, "functionUrls", urls);
}
