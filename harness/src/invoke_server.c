#include "lambdacheck/invoke_server.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "http_server.h"
#include "mapping_serve.h"
#include "lambdacheck/eventstream.h"
#include "lambdacheck/buf.h"
#include "lambdacheck/context.h"
#include "lambdacheck/json_util.h"
#include "lambdacheck/sigv4.h"

#define PREFIX "/2015-03-31/functions/"
#define SUFFIX "/invocations"
/* InvokeWithResponseStream (spec 8) */
#define STREAM_PREFIX "/2021-11-15/functions/"
#define STREAM_SUFFIX "/response-streaming-invocations"
/* lambdacheck's own: run a function's event source mapping over what the body gives
 * (mapping_serve.h) */
#define MAPPINGS_PREFIX "/lambdacheck/mappings/"
/* How long writing a streamed answer may wait on a client that does not read. */
#define STREAM_SEND_TIMEOUT_S 30
/* Lambda's limits on names (Invoke's FunctionName and Qualifier). */
#define FUNCTION_NAME_MAX 170
#define QUALIFIER_MAX 128
/* Threads running synchronous invocations at most; past it a call waits for one. */
#define MAX_WORKERS 512

/* A synchronous invocation waiting for, or running in, a worker. */
typedef struct job {
    struct job *next;
    lc__http_request *req;
    char name[65];
    char type[32];
    bool tail;
    json_t *overrides; /* owned: the client context and tenant, or NULL */
    char sandbox[64];
    bool stream;       /* InvokeWithResponseStream: answered as an event stream */
    char mapping[16];  /* a mapping request: its source ("sqs"...), "" for an invocation */
} job;

struct lc_invoke_server {
    lc__http_server *http;
    lc_emulator *em;
    size_t max_async;
    FILE *log;
    pthread_mutex_t log_mu;
    char sigv4_key[128];    /* "" when signatures are not checked */
    char sigv4_secret[256];
    char region[64];
    uint16_t port;
    char url[96];

    pthread_mutex_t mu;     /* the workers: */
    pthread_cond_t cv;      /* a job was queued, or stopping */
    pthread_cond_t gone_cv; /* a worker ended */
    job *queue, *queue_tail;
    size_t workers, idle;
    bool stopping;
};

/* What one request asks for, once parsed. */
typedef struct {
    char name[65];       /* the function's name */
    char qualifier[129]; /* "" when none */
    char arn[512];       /* for "Function not found" messages */
    char given[512];     /* FunctionName as the caller wrote it (decoded) */
    char type[32];       /* RequestResponse, Event, DryRun */
    bool tail;
    bool stream;            /* InvokeWithResponseStream */
    json_t *client_context; /* decoded, or NULL */
    char tenant[LC_TENANT_ID_MAX + 1]; /* X-Amz-Tenant-Id, "" when none */
} call;

/* --- answers -------------------------------------------------------------------------------------- */

static void respond(lc_invoke_server *s, lc__http_request *req, int status,
                    const char *const *headers, void *body, size_t len)
{
    lc__http_respond(s->http, req, status, headers, body, len, free);
}

/* A service error: status, x-amzn-ErrorType and {"Type": ..., "message": ...}. */
static void service_error(lc_invoke_server *s, lc__http_request *req, int status,
                          const char *type, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void service_error(lc_invoke_server *s, lc__http_request *req, int status,
                          const char *type, const char *fmt, ...)
{
    char message[1024], id[37], type_header[160], id_header[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    lc_utf8_sanitize(message); /* it may quote what the client sent */
    json_t *body = json_pack("{s:s, s:s}", "Type", status >= 500 ? "Service" : "User", "message",
                             message);
    if (status == 429)
        json_object_set_new(body, "Reason",
                            json_string("ReservedFunctionConcurrentInvocationLimitExceeded"));
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    lc_uuid4(id);
    snprintf(type_header, sizeof type_header, "x-amzn-ErrorType: %s", type);
    snprintf(id_header, sizeof id_header, "x-amzn-RequestId: %s", id);
    const char *headers[] = {type_header, id_header, "Content-Type: application/json",
                             status == 429 ? "Retry-After: 1" : NULL, NULL};
    size_t len = text ? strlen(text) : 0;
    respond(s, req, status, headers, text, len);
}

/* The body of an answer the HTTP server makes itself (a malformed or slow request). */
static void error_body(void *ctx, int status, const char *message, lc_buf *body,
                       const char **content_type)
{
    (void)ctx;
    json_t *b = json_pack("{s:s, s:s}", "Type", status >= 500 ? "Service" : "User", "message",
                          message);
    char *text = json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER);
    lc_buf_puts(body, text ? text : "{}");
    free(text);
    json_decref(b);
    *content_type = "application/json";
}

static void log_line(lc_invoke_server *s, const char *type, const char *name, const char *id,
                     int status, const lc_result *r)
{
    if (s->log == NULL)
        return;
    char stamp[32];
    lc_iso_timestamp(lc_now_ms(), stamp);
    pthread_mutex_lock(&s->log_mu);
    fprintf(s->log, "%s %s %s %s %d", stamp, type, name, id, status);
    if (r)
        fprintf(s->log, " %.2f ms%s%s%s", r->duration_ms, r->cold_start ? " cold" : "",
                r->function_error[0] ? " " : "", r->function_error);
    fputc('\n', s->log);
    fflush(s->log);
    pthread_mutex_unlock(&s->log_mu);
}

/* --- signatures and the raw URL -------------------------------------------------------------------- */

/* Decodes %XX in place; false when a byte decodes to NUL (it would cut the text short). */
static bool percent_decode(char *s)
{
    bool nul = false;
    char *out = s;
    for (const char *p = s; *p; p++) {
        unsigned v;
        if (p[0] == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]) &&
            sscanf(p + 1, "%2x", &v) == 1) {
            nul = nul || v == 0;
            *out++ = (char)v;
            p += 2;
        } else {
            *out++ = *p;
        }
    }
    *out = '\0';
    return !nul;
}

static const char *request_header(void *req, const char *name)
{
    return lc__http_header(req, name);
}

static const char *request_header_at(void *ctx, size_t i, const char **value)
{
    const lc__http_request *req = ctx;
    if (i >= req->n_headers)
        return NULL;
    *value = req->headers[i].value;
    return req->headers[i].name;
}

/* True when the request carries a valid signature (or none is required); else answered. Every
 * request is authenticated before anything else is said about it, a body too large to keep by
 * the hash the server made of it as it arrived (so an unsigned client cannot learn which
 * function names exist from a 413 against a 404). */
static bool signature_ok(lc_invoke_server *s, lc__http_request *req)
{
    if (s->sigv4_key[0] == '\0')
        return true;
    lc_sigv4_request sr = {req->method,    req->path, req->query,
                           request_header, req,       req->body.data,
                           req->body.len,  req->body_sha256[0] ? req->body_sha256 : NULL,
                           request_header_at};
    lc_sigv4_key key = {.access_key_id = s->sigv4_key, .secret_access_key = s->sigv4_secret,
                        .region = s->region};
    lc_error err = {0};
    const char *type = NULL;
    if (lc_sigv4_verify(&sr, &key, &type, &err) == LC_OK)
        return true;
    service_error(s, req, 403, type, "%s", err.message);
    return false;
}

/* --- names ----------------------------------------------------------------------------------------- */

static bool name_chars(const char *s, size_t n, const char *extra)
{
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr(extra, s[i]))
            return false;
    return n > 0;
}

/* Lambda's own check of FunctionName, before it looks the function up: a ValidationException
 * naming the constraint. */
static const char *name_problem(const char *given, char *why, size_t size)
{
    size_t n = strlen(given);
    if (n > FUNCTION_NAME_MAX)
        snprintf(why, size, "Member must have length less than or equal to %d",
                 FUNCTION_NAME_MAX);
    else if (!lc_utf8_valid(given, n))
        snprintf(why, size, "Member must satisfy regular expression pattern: the name is not "
                            "valid UTF-8");
    else
        return NULL;
    return why;
}

/* A qualifier in FunctionName, by Lambda's pattern (:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+)):
 * "$" only in $LATEST. */
static bool name_qualifier_ok(const char *q)
{
    if (strcmp(q, "$LATEST") == 0 || strcmp(q, "$LATEST.PUBLISHED") == 0)
        return true;
    return strlen(q) <= QUALIFIER_MAX && name_chars(q, strlen(q), "-_");
}

/* Splits FunctionName (name, name:qualifier, arn:aws:lambda:r:a:function:name[:q], or
 * a:function:name[:q]) into c->name and c->qualifier. */
static bool split_function_name(const char *given, call *c)
{
    const char *name = given;
    const char *fn = strstr(given, ":function:");
    if (fn)
        name = fn + strlen(":function:");
    else if (strncmp(given, "arn:", 4) == 0)
        return false;
    const char *colon = strchr(name, ':');
    size_t n = colon ? (size_t)(colon - name) : strlen(name);
    if (n == 0 || n >= sizeof c->name || !name_chars(name, n, "-_."))
        return false;
    if (colon && !name_qualifier_ok(colon + 1))
        return false; /* an empty qualifier ("name:") too */
    memcpy(c->name, name, n);
    c->name[n] = '\0';
    snprintf(c->qualifier, sizeof c->qualifier, "%s", colon ? colon + 1 : "");
    return true;
}

static void function_arn(lc_invoke_server *s, const char *given, call *c)
{
    const char *fn_part = strstr(given, ":function:");
    if (strncmp(given, "arn:", 4) == 0)
        snprintf(c->arn, sizeof c->arn, "%.*s:function:%s", (int)(fn_part - given), given,
                 c->name);
    else
        snprintf(c->arn, sizeof c->arn, "arn:aws:lambda:%s:%.12s:function:%s", s->region,
                 fn_part ? given : "123456789012", c->name);
}

/* The decoded X-Amz-Client-Context, an object whose custom, env and client are objects; a
 * message when it is not. */
static const char *read_client_context(lc__http_request *req, call *c)
{
    const char *b64 = lc__http_header(req, "X-Amz-Client-Context");
    if (b64 == NULL || b64[0] == '\0')
        return NULL;
    if (strlen(b64) > LC_CLIENT_CONTEXT_MAX)
        return "Client context must be at most 3583 bytes of base64.";
    lc_buf text;
    lc_buf_init(&text, 0);
    json_t *cc = NULL;
    if (lc_buf_base64_decode(&text, b64, strlen(b64)) == LC_OK)
        cc = json_loadb(text.data, text.len, 0, NULL);
    lc_context *probe = json_is_object(cc) ? lc_context_new() : NULL;
    bool ok = probe && lc_context_set_client_context(probe, text.data, NULL) == LC_OK;
    lc_context_free(probe);
    lc_buf_free(&text);
    if (!ok) {
        json_decref(cc);
        return "Client context must be a valid Base64-encoded JSON object whose custom, env and "
               "client are objects.";
    }
    c->client_context = cc;
    return NULL;
}

/* --- synchronous invocations, in workers --------------------------------------------------------- */

/* A result that is an error of the call itself (a SnapStart restore that failed): its status,
 * x-amzn-ErrorType and body as Lambda answers them. */
static void answer_call_error(lc_invoke_server *s, lc__http_request *req, const lc_result *r)
{
    json_t *body = json_loadb(r->payload ? r->payload : "", r->payload_len, 0, NULL);
    const char *message = json_string_value(json_object_get(body, "message"));
    service_error(s, req, r->status_code, r->error_type, "%s", message ? message : "");
    json_decref(body);
}

static void answer_result(lc_invoke_server *s, job *j, lc_result *r)
{
    if (r->status_code != 200) {
        log_line(s, j->type, j->name, r->request_id, r->status_code, r);
        answer_call_error(s, j->req, r);
        return;
    }
    char id[200], version[80], type[160], error[64], log[8192];
    snprintf(id, sizeof id, "x-amzn-RequestId: %s", r->request_id);
    snprintf(version, sizeof version, "X-Amz-Executed-Version: %s", r->executed_version);
    snprintf(type, sizeof type, "Content-Type: %s",
             r->content_type[0] ? r->content_type : "application/json");
    snprintf(error, sizeof error, "X-Amz-Function-Error: %s", r->function_error);
    const char *headers[6] = {id, version, type};
    int n = 3;
    if (r->function_error[0])
        headers[n++] = error;
    if (j->tail) {
        size_t len = r->log_len > 4096 ? 4096 : r->log_len;
        lc_buf b64;
        lc_buf_init(&b64, 0);
        lc_buf_base64_encode(&b64, r->log + r->log_len - len, len);
        snprintf(log, sizeof log, "X-Amz-Log-Result: %s", b64.data ? b64.data : "");
        lc_buf_free(&b64);
        headers[n++] = log;
    }
    headers[n] = NULL;
    log_line(s, j->type, j->name, r->request_id, 200, r);
    respond(s, j->req, 200, headers, r->payload, r->payload_len);
    r->payload = NULL; /* handed over with the answer */
    r->payload_len = 0;
}

static void run_job(lc_invoke_server *s, job *j)
{
    lc_result r;
    lc_error err = {0};
    lc_invoke_options opt = {.payload = j->req->body_size ? j->req->body.data : "{}",
                             .payload_len = j->req->body_size ? j->req->body.len : 2,
                             .context = j->overrides,
                             .sandbox = j->sandbox[0] ? j->sandbox : NULL};
    lc_status st = lc_emulator_invoke(s->em, j->name, &opt, &r, &err);
    if (st == LC_EBUSY)
        service_error(s, j->req, 429, "TooManyRequestsException", "Rate Exceeded.");
    else if (st == LC_ENOTFOUND || st == LC_EINVAL) /* a sandbox that is not open, or not its */
        service_error(s, j->req, st == LC_ENOTFOUND ? 404 : 400,
                      st == LC_ENOTFOUND ? "ResourceNotFoundException"
                                         : "InvalidParameterValueException",
                      "%s", err.message);
    else if (st != LC_OK)
        service_error(s, j->req, 500, "ServiceException", "%s", err.message);
    else
        answer_result(s, j, &r);
    if (st == LC_OK)
        lc_result_clear(&r);
    json_decref(j->overrides);
    free(j);
}

/* --- streamed invocations (InvokeWithResponseStream) ------------------------------------------------ */

/* An event-stream answer written on the request's own socket, taken from the HTTP server: each
 * message is one HTTP chunk, sent as the runtime streams. */
typedef struct {
    int fd;
    bool head_sent;
    bool broken; /* the client went away: the function still runs to its end, as on Lambda */
    char request_id[64];
} stream_writer;

static void send_all(stream_writer *w, const char *data, size_t len)
{
    while (!w->broken && len > 0) {
        ssize_t n = send(w->fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            w->broken = true;
            return;
        }
        data += n;
        len -= (size_t)n;
    }
}

static void send_head(stream_writer *w)
{
    if (w->head_sent)
        return;
    w->head_sent = true;
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 200 OK\r\nx-amzn-RequestId: %s\r\n"
                     "X-Amz-Executed-Version: $LATEST\r\n"
                     "Content-Type: application/vnd.amazon.eventstream\r\n"
                     "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                     w->request_id);
    send_all(w, head, (size_t)n);
}

/* One event-stream message as one HTTP chunk. */
static void send_message(stream_writer *w, const lc_buf *message)
{
    char size[32];
    int n = snprintf(size, sizeof size, "%zx\r\n", message->len);
    send_head(w);
    send_all(w, size, (size_t)n);
    send_all(w, message->data, message->len);
    send_all(w, "\r\n", 2);
}

static void stream_begin(void *ctx, const char *content_type)
{
    (void)content_type; /* the chunks carry bytes; the HTTP prelude says what they are */
    send_head(ctx);
}

static void stream_data(void *ctx, const char *bytes, size_t len)
{
    /* a message holds at most 16 MiB: a longer piece goes as several */
    const size_t most = 1024 * 1024;
    for (size_t at = 0; at < len; at += most) {
        lc_buf m;
        lc_buf_init(&m, 0);
        if (lc_eventstream_payload_chunk(&m, bytes + at, len - at < most ? len - at : most) == LC_OK)
            send_message(ctx, &m);
        lc_buf_free(&m);
    }
}

/* The end of a streamed answer: what was not streamed as it came (a buffered response, or the
 * whole of one from a function that does not stream), then InvokeComplete with the error and the
 * log's last 4 KB when asked. */
static void finish_stream(stream_writer *w, const job *j, const lc_result *r)
{
    if (!r->streamed && !r->function_error[0] && r->payload_len)
        stream_data(w, r->payload, r->payload_len);
    char *log = NULL;
    if (j->tail) {
        size_t len = r->log_len > 4096 ? 4096 : r->log_len;
        lc_buf b64;
        lc_buf_init(&b64, 0);
        lc_buf_base64_encode(&b64, r->log + r->log_len - len, len);
        log = lc_buf_take(&b64);
    }
    lc_buf m;
    lc_buf_init(&m, 0);
    bool failed = r->function_error[0] != '\0';
    lc_eventstream_invoke_complete(&m, failed ? (r->error_type[0] ? r->error_type : "Unhandled")
                                              : NULL,
                                   failed ? r->payload : NULL, log);
    send_message(w, &m);
    send_all(w, "0\r\n\r\n", 5);
    lc_buf_free(&m);
    free(log);
}

/* A service error before anything was streamed: an ordinary JSON answer on the socket. */
static void stream_service_error(stream_writer *w, int status, const char *type,
                                 const char *message)
{
    json_t *body = json_pack("{s:s, s:s}", "Type", "User", "message", message);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nx-amzn-RequestId: %s\r\nx-amzn-ErrorType: %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, lc__http_reason(status), w->request_id, type,
                     text ? strlen(text) : 0);
    w->head_sent = true;
    send_all(w, head, (size_t)n);
    send_all(w, text ? text : "", text ? strlen(text) : 0);
    free(text);
}

/* Runs a streamed invocation on the request's socket, which it takes from the HTTP server. */
static void run_stream_job(lc_invoke_server *s, job *j)
{
    size_t len = 0;
    char *payload = lc__http_take_body(j->req, &len);
    stream_writer w = {.fd = -1};
    lc_uuid4(w.request_id); /* the answer's head needs it before the invocation has it */
    json_t *overrides = j->overrides ? json_deep_copy(j->overrides) : json_object();
    json_object_set_new(overrides, "requestId", json_string(w.request_id));
    w.fd = lc__http_detach(s->http, j->req);
    struct timeval limit = {.tv_sec = STREAM_SEND_TIMEOUT_S};
    if (w.fd >= 0)
        setsockopt(w.fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    w.broken = w.fd < 0;
    lc_stream_sink sink = {.begin = stream_begin, .data = stream_data, .ctx = &w};
    lc_invoke_options opt = {.payload = len ? payload : "{}", .payload_len = len ? len : 2,
                             .context = overrides, .sandbox = j->sandbox[0] ? j->sandbox : NULL,
                             .stream = &sink};
    lc_result r;
    lc_error err = {0};
    lc_status st = lc_emulator_invoke(s->em, j->name, &opt, &r, &err);
    if (st == LC_OK && r.status_code != 200 && !w.head_sent) { /* a failed restore */
        json_t *body = json_loadb(r.payload ? r.payload : "", r.payload_len, 0, NULL);
        const char *message = json_string_value(json_object_get(body, "message"));
        stream_service_error(&w, r.status_code, r.error_type, message ? message : "");
        json_decref(body);
        log_line(s, "Stream", j->name, r.request_id, r.status_code, &r);
        lc_result_clear(&r);
    } else if (st == LC_OK) {
        finish_stream(&w, j, &r);
        log_line(s, "Stream", j->name, r.request_id, 200, &r);
        lc_result_clear(&r);
    } else if (!w.head_sent) {
        int status = st == LC_EBUSY ? 429 : st == LC_ENOTFOUND ? 404 : 500;
        stream_service_error(&w, status,
                             st == LC_EBUSY      ? "TooManyRequestsException"
                             : st == LC_ENOTFOUND ? "ResourceNotFoundException"
                                                  : "ServiceException",
                             st == LC_EBUSY ? "Rate Exceeded." : err.message);
    } else { /* the stream had begun: the failure ends it */
        lc_buf m;
        lc_buf_init(&m, 0);
        lc_eventstream_invoke_complete(&m, "ServiceException", err.message, NULL);
        send_message(&w, &m);
        send_all(&w, "0\r\n\r\n", 5);
        lc_buf_free(&m);
    }
    if (w.fd >= 0)
        close(w.fd);
    json_decref(overrides);
    free(payload);
}

/* --- mapping requests (lambdacheck's own; mapping_serve.h) ---------------------------------------- */

typedef struct {
    lc_invoke_server *s;
    const job *j;
} batch_log;

static void batch_done(void *data, const char *source, const lc_result *r)
{
    const batch_log *b = data;
    log_line(b->s, source, b->j->name, r->request_id, r->status_code, r);
}

/* One line for the whole request: where its messages or records ended. */
static void log_mapping(lc_invoke_server *s, const job *j, int status, const json_t *answer)
{
    if (s->log == NULL)
        return;
    static const char *const ends[] = {"deleted", "processed", "deadLetter", "discarded",
                                       "filteredOut", "remaining", NULL};
    char stamp[32], tally[256] = "";
    size_t at = 0;
    for (const char *const *e = ends; *e && at < sizeof tally; e++) {
        const json_t *list = json_object_get(answer, *e);
        if (list)
            at += (size_t)snprintf(tally + at, sizeof tally - at, " %s %zu", *e,
                                   json_array_size(list));
    }
    lc_iso_timestamp(lc_now_ms(), stamp);
    pthread_mutex_lock(&s->log_mu);
    fprintf(s->log, "%s mapping %s %s %d", stamp, j->name, j->mapping, status);
    if (answer)
        fprintf(s->log, " %zu invocations%s",
                json_array_size(json_object_get(answer, "invocations")), tally);
    fputc('\n', s->log);
    fflush(s->log);
    pthread_mutex_unlock(&s->log_mu);
}

static void run_mapping_job(lc_invoke_server *s, job *j)
{
    batch_log b = {.s = s, .j = j};
    lc__mapping_request rq = {.em = s->em, .fn = lc_emulator_function(s->em, j->name),
                              .source = j->mapping, .sandbox = j->sandbox[0] ? j->sandbox : NULL,
                              .on_batch = batch_done, .data = &b};
    json_t *answer = NULL;
    lc_error err = {0};
    size_t len = j->req->body_size ? j->req->body.len : 0;
    lc_status st = lc__mapping_serve(&rq, len ? j->req->body.data : "", len, &answer, &err);
    char *text = st == LC_OK ? json_dumps(answer, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (st == LC_OK && text == NULL)
        st = lc_error_set(&err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    if (st == LC_OK) {
        const char *headers[] = {"Content-Type: application/json", NULL};
        log_mapping(s, j, 200, answer);
        respond(s, j->req, 200, headers, text, strlen(text)); /* takes text */
    } else {
        char message[1024];
        bool bad = st == LC_EINVAL || st == LC_EJSON;
        int status = bad ? 400 : st == LC_ENOTFOUND ? 404 : 500;
        log_mapping(s, j, status, NULL);
        service_error(s, j->req, status,
                      bad                  ? "InvalidRequestContentException"
                      : st == LC_ENOTFOUND ? "ResourceNotFoundException"
                                           : "ServiceException",
                      "%s", lc_error_format(&err, message, sizeof message));
    }
    json_decref(answer);
}

static void *worker_main(void *arg)
{
    lc_invoke_server *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (s->queue == NULL && !s->stopping) {
            s->idle++;
            pthread_cond_wait(&s->cv, &s->mu);
            s->idle--;
        }
        if (s->queue == NULL)
            break;
        job *j = s->queue;
        s->queue = j->next;
        if (s->queue == NULL)
            s->queue_tail = NULL;
        pthread_mutex_unlock(&s->mu);
        if (j->stream) {
            run_stream_job(s, j);
            json_decref(j->overrides);
            free(j);
        } else if (j->mapping[0]) {
            run_mapping_job(s, j);
            free(j);
        } else {
            run_job(s, j);
        }
        pthread_mutex_lock(&s->mu);
    }
    s->workers--;
    pthread_cond_broadcast(&s->gone_cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Queues a job; a new worker starts when none is idle (up to MAX_WORKERS). */
static void submit(lc_invoke_server *s, job *j)
{
    pthread_mutex_lock(&s->mu);
    if (s->queue_tail)
        s->queue_tail->next = j;
    else
        s->queue = j;
    s->queue_tail = j;
    if (s->idle == 0 && s->workers < MAX_WORKERS) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, worker_main, s) == 0)
            s->workers++;
        pthread_attr_destroy(&attr);
    }
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void stop_workers(lc_invoke_server *s)
{
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->cv);
    while (s->workers > 0)
        pthread_cond_wait(&s->gone_cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

/* --- the other invocation types ------------------------------------------------------------------- */

static void invoke_async(lc_invoke_server *s, lc__http_request *req, const call *c,
                         const lc_invoke_options *opt)
{
    char id[129];
    lc_error err = {0};
    lc_status st = lc_emulator_enqueue(s->em, c->name, opt, id, &err);
    if (st == LC_ENOTFOUND || st == LC_EINVAL) {
        service_error(s, req, st == LC_ENOTFOUND ? 404 : 400,
                      st == LC_ENOTFOUND ? "ResourceNotFoundException"
                                         : "InvalidParameterValueException",
                      "%s", err.message);
        return;
    }
    if (st != LC_OK) {
        service_error(s, req, 500, "ServiceException", "%s", err.message);
        return;
    }
    log_line(s, c->type, c->name, id, 202, NULL);
    char header[200];
    snprintf(header, sizeof header, "x-amzn-RequestId: %s", id);
    const char *headers[] = {header, NULL};
    respond(s, req, 202, headers, NULL, 0);
}

static void dry_run(lc_invoke_server *s, lc__http_request *req, const call *c)
{
    char id[37], header[64];
    lc_uuid4(id);
    log_line(s, c->type, c->name, id, 204, NULL);
    snprintf(header, sizeof header, "x-amzn-RequestId: %s", id);
    const char *headers[] = {header, NULL};
    respond(s, req, 204, headers, NULL, 0);
}

/* --- checks, in the order Lambda applies them ------------------------------------------------------ */

static const lc_function *resolve(lc_invoke_server *s, call *c)
{
    const lc_function *fn = lc_emulator_function(s->em, c->name);
    if (fn == NULL && strcmp(c->name, "function") == 0)
        fn = lc_emulator_only_function(s->em); /* the Runtime Interface Emulator's path */
    if (fn)
        snprintf(c->name, sizeof c->name, "%s", lc_function_name(fn));
    return fn;
}

/* X-Amz-Tenant-Id on Invoke and InvokeWithResponseStream, sync and Event alike
 * (https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation-invoke.html), checked against
 * TenantId's constraints (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html); a
 * header given empty is a TenantId of length 0, refused. False when answered. */
static bool read_tenant(lc_invoke_server *s, lc__http_request *req, call *c)
{
    const char *tenant = lc__http_header(req, "X-Amz-Tenant-Id");
    char why[512];
    if (tenant && lc_tenant_id_problem(tenant, why, sizeof why))
        return service_error(s, req, 400, "InvalidParameterValueException", "%s", why), false;
    snprintf(c->tenant, sizeof c->tenant, "%s", tenant ? tenant : "");
    return true;
}

static bool check_headers(lc_invoke_server *s, lc__http_request *req, call *c)
{
    const char *log_type = lc__http_header(req, "X-Amz-Log-Type");
    if (log_type && strcmp(log_type, "None") != 0 && strcmp(log_type, "Tail") != 0)
        return service_error(s, req, 400, "InvalidParameterValueException",
                             "Unsupported log type %s: use None or Tail.", log_type),
               false;
    c->tail = log_type && strcmp(log_type, "Tail") == 0;
    if (!read_tenant(s, req, c))
        return false;
    if (c->stream && strcmp(c->type, "Event") == 0)
        return service_error(s, req, 400, "InvalidParameterValueException",
                             "1 validation error detected: Value 'Event' at 'invocationType' "
                             "failed to satisfy constraint: Member must satisfy enum value set: "
                             "[RequestResponse, DryRun]"),
               false;
    if (strcmp(c->type, "RequestResponse") != 0 && strcmp(c->type, "Event") != 0 &&
        strcmp(c->type, "DryRun") != 0)
        return service_error(s, req, 400, "InvalidParameterValueException",
                             "1 validation error detected: Value '%s' at 'invocationType' failed "
                             "to satisfy constraint: Member must satisfy enum value set: "
                             "[Event, RequestResponse, DryRun]",
                             c->type),
               false;
    return true;
}

static bool check_body(lc_invoke_server *s, lc__http_request *req, const call *c)
{
    bool async = strcmp(c->type, "Event") == 0;
    size_t limit = async ? s->max_async : LC_SYNC_REQUEST_MAX;
    if (req->over_cap || req->body_size > limit)
        return service_error(s, req, 413, "RequestTooLargeException",
                             "Request must be smaller than %zu bytes for the InvokeFunction "
                             "operation",
                             limit),
               false;
    lc_error err = {0};
    if (req->body_size && lc_json_validate(req->body.data, req->body.len, NULL, &err) != LC_OK)
        return service_error(s, req, 400, "InvalidRequestContentException",
                             "Could not parse request body into json: %s (line %d, column %d)",
                             err.message, err.line, err.column),
               false;
    return true;
}

/* Field k (0-based) of an ARN, split at ':', into out; "" when it has none. */
static void arn_field(const char *arn, int k, char *out, size_t size)
{
    const char *p = arn;
    for (int i = 0; i < k && p; i++)
        p = (p = strchr(p, ':')) ? p + 1 : NULL;
    snprintf(out, size, "%.*s", p ? (int)strcspn(p, ":") : 0, p ? p : "");
}

/* A function named by an ARN of another region or account is not this one: Lambda answers
 * "Functions from 'R' are not reachable in this region ('S')" for another region (its
 * ResourceNotFoundException), and "Function not found" for a function another account would
 * have. True when answered. */
static bool elsewhere(lc_invoke_server *s, lc__http_request *req, const call *c,
                      const lc_function *fn, const char *given)
{
    char region[64], account[32], own_region[64], own_account[32];
    bool full = strncmp(given, "arn:", 4) == 0;
    bool partial = !full && strstr(given, ":function:") != NULL;
    if (!full && !partial)
        return false;
    arn_field(lc_function_arn(fn), 3, own_region, sizeof own_region);
    arn_field(lc_function_arn(fn), 4, own_account, sizeof own_account);
    arn_field(given, full ? 3 : 99, region, sizeof region);
    arn_field(given, full ? 4 : 0, account, sizeof account);
    if (region[0] && strcmp(region, own_region) != 0)
        return service_error(s, req, 404, "ResourceNotFoundException",
                             "Functions from '%s' are not reachable in this region ('%s')",
                             region, own_region),
               true;
    if (account[0] && strcmp(account, own_account) != 0)
        return service_error(s, req, 404, "ResourceNotFoundException",
                             "Function not found: %s%s%s", c->arn, c->qualifier[0] ? ":" : "",
                             c->qualifier),
               true;
    return false;
}

static bool check_call(lc_invoke_server *s, lc__http_request *req, call *c)
{
    if (!check_headers(s, req, c))
        return false;
    const lc_function *fn = resolve(s, c);
    if (fn && elsewhere(s, req, c, fn, c->given))
        return false;
    bool known_qualifier = c->qualifier[0] == '\0' || strcmp(c->qualifier, "$LATEST") == 0 ||
                           (fn && lc_function_alias(fn) &&
                            strcmp(c->qualifier, lc_function_alias(fn)) == 0);
    if (fn == NULL || !known_qualifier) {
        service_error(s, req, 404, "ResourceNotFoundException", "Function not found: %s%s%s",
                      fn ? lc_function_arn(fn) : c->arn, c->qualifier[0] ? ":" : "",
                      c->qualifier);
        return false;
    }
    char why[512];
    const char *tenancy = lc_function_tenant_problem(fn, c->tenant, why, sizeof why);
    if (tenancy) /* InvalidParameterValueException, 400: tenant-isolation-troubleshooting.html */
        return service_error(s, req, 400, "InvalidParameterValueException", "%s", tenancy), false;
    if (!check_body(s, req, c))
        return false;
    const char *cc_problem = read_client_context(req, c);
    if (cc_problem)
        service_error(s, req, 400, "InvalidRequestContentException", "%s", cc_problem);
    return cc_problem == NULL;
}

/* The context the call gives its invocation: its client context and its tenant (which the
 * runtime gets as Lambda-Runtime-Aws-Tenant-Id); NULL when neither. Caller decrefs. */
static json_t *invocation_overrides(const call *c)
{
    if (c->client_context == NULL && c->tenant[0] == '\0')
        return NULL;
    json_t *o = json_object();
    if (c->client_context)
        json_object_set(o, "clientContext", c->client_context);
    if (c->tenant[0])
        json_object_set_new(o, "tenantId", json_string(c->tenant));
    return o;
}

static void serve_call(lc_invoke_server *s, lc__http_request *req, call *c)
{
    if (!check_call(s, req, c))
        return;
    json_t *overrides = invocation_overrides(c);
    const char *sandbox = lc__http_header(req, LC_SANDBOX_HEADER);
    if (strcmp(c->type, "DryRun") == 0) {
        dry_run(s, req, c);
    } else if (strcmp(c->type, "Event") == 0) {
        lc_invoke_options opt = {.payload = req->body_size ? req->body.data : "{}",
                                 .payload_len = req->body_size ? req->body.len : 2,
                                 .context = overrides, .sandbox = sandbox};
        invoke_async(s, req, c, &opt);
    } else {
        job *j = calloc(1, sizeof *j);
        if (j == NULL) {
            service_error(s, req, 500, "ServiceException", "out of memory");
        } else {
            *j = (job){.req = req, .tail = c->tail, .overrides = overrides, .stream = c->stream};
            snprintf(j->name, sizeof j->name, "%s", c->name);
            snprintf(j->type, sizeof j->type, "%s", c->type);
            snprintf(j->sandbox, sizeof j->sandbox, "%s", sandbox ? sandbox : "");
            submit(s, j);
            return; /* the job owns overrides */
        }
    }
    json_decref(overrides);
}

/* The qualifier, from the name and ?Qualifier= (decoded); false when answered. */
static bool take_qualifier(lc_invoke_server *s, lc__http_request *req, call *c)
{
    const char *q = strstr(req->query, "Qualifier=");
    if (q == NULL || (q != req->query && q[-1] != '&'))
        return true;
    char value[512];
    snprintf(value, sizeof value, "%.*s", (int)strcspn(q + 10, "&"), q + 10);
    bool whole = percent_decode(value);
    if (!whole || value[0] == '\0' || strlen(value) > QUALIFIER_MAX ||
        !name_chars(value, strlen(value), "$_-"))
        return service_error(s, req, 400, "ValidationException",
                             "1 validation error detected: Value '%s' at 'qualifier' failed to "
                             "satisfy constraint: Member must have length between 1 and %d and "
                             "satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)",
                             value, QUALIFIER_MAX),
               false;
    if (c->qualifier[0] && strcmp(value, c->qualifier) != 0)
        return service_error(s, req, 400, "InvalidParameterValueException",
                             "The derived qualifier from the function name does not match the "
                             "specified qualifier."),
               false;
    snprintf(c->qualifier, sizeof c->qualifier, "%.*s", QUALIFIER_MAX, value);
    return true;
}

/* True when url is prefix + something + suffix. */
static bool shaped_as(const char *url, const char *prefix, const char *suffix)
{
    size_t n = strlen(url), p = strlen(prefix), q = strlen(suffix);
    return strncmp(url, prefix, p) == 0 && n > p + q && strcmp(url + n - q, suffix) == 0;
}

static void route_call(lc_invoke_server *s, lc__http_request *req, const char *url)
{
    size_t n = strlen(url);
    call c = {.stream = shaped_as(url, STREAM_PREFIX, STREAM_SUFFIX)};
    bool shaped = c.stream || shaped_as(url, PREFIX, SUFFIX);
    if (!shaped || strcmp(req->method, "POST") != 0) {
        service_error(s, req, 404, "UnknownOperationException", "Unknown operation %s %s",
                      req->method, url);
        return;
    }
    const char *prefix = c.stream ? STREAM_PREFIX : PREFIX, *suffix = c.stream ? STREAM_SUFFIX : SUFFIX;
    char given[2048], why[160];
    snprintf(given, sizeof given, "%.*s", (int)(n - strlen(prefix) - strlen(suffix)),
             url + strlen(prefix));
    if (name_problem(given, why, sizeof why) || strchr(given, '/') ||
        !split_function_name(given, &c)) {
        service_error(s, req, 400, "ValidationException",
                      "1 validation error detected: Value '%.200s' at 'functionName' failed to "
                      "satisfy constraint: %s",
                      given,
                      name_problem(given, why, sizeof why)
                          ? why
                          : "Member must satisfy regular expression pattern: "
                            "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?"
                            "(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?");
        return;
    }
    function_arn(s, given, &c);
    snprintf(c.given, sizeof c.given, "%.*s", (int)sizeof c.given - 1, given);
    const char *type = lc__http_header(req, "X-Amz-Invocation-Type");
    snprintf(c.type, sizeof c.type, "%s", type && type[0] ? type : "RequestResponse");
    if (take_qualifier(s, req, &c))
        serve_call(s, req, &c);
    json_decref(c.client_context);
}

static const char mapping_routes[] =
    "lambdacheck's mapping requests are GET /lambdacheck/mappings/{FunctionName} and "
    "POST /lambdacheck/mappings/{FunctionName}/{sqs|kinesis|dynamodb}";

/* The mappings a function has, from its template or manifest. */
static void describe_mappings(lc_invoke_server *s, lc__http_request *req, const lc_function *fn)
{
    json_t *body = json_pack("{s:s, s:O}", "function", lc_function_name(fn), "eventSources",
                             lc_function_event_sources(fn));
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    const char *headers[] = {"Content-Type: application/json", NULL};
    respond(s, req, text ? 200 : 500, headers, text, text ? strlen(text) : 0);
}

/* GET /lambdacheck/mappings/{FunctionName}: its mappings; POST .../{source}: run that mapping
 * over the body, in a worker. */
static void route_mapping(lc_invoke_server *s, lc__http_request *req, const char *url)
{
    const char *rest = url + strlen(MAPPINGS_PREFIX);
    size_t n = strcspn(rest, "/");
    const char *source = rest[n] == '/' ? rest + n + 1 : NULL;
    bool get = strcmp(req->method, "GET") == 0 && source == NULL;
    bool post = strcmp(req->method, "POST") == 0 && source && source[0] && !strchr(source, '/');
    if (n == 0 || (!get && !post)) {
        service_error(s, req, 404, "UnknownOperationException", "Unknown operation %s %.300s: %s",
                      req->method, url, mapping_routes);
        return;
    }
    call c = {0};
    const lc_function *fn = NULL;
    if (n < sizeof c.name) {
        snprintf(c.name, sizeof c.name, "%.*s", (int)n, rest);
        fn = resolve(s, &c);
    }
    if (fn == NULL) {
        service_error(s, req, 404, "ResourceNotFoundException", "Function not found: %.*s",
                      (int)(n > 200 ? 200 : n), rest);
        return;
    }
    if (get) {
        describe_mappings(s, req, fn);
        return;
    }
    if (!lc__mapping_serve_source_known(source)) {
        service_error(s, req, 400, "InvalidParameterValueException",
                      "unknown event source '%.64s': a mapping drains sqs, kinesis or dynamodb",
                      source);
        return;
    }
    if (req->over_cap || req->body_size > LC_SYNC_REQUEST_MAX) {
        service_error(s, req, 413, "RequestTooLargeException",
                      "Request must be smaller than %u bytes: send the rest in another request",
                      LC_SYNC_REQUEST_MAX);
        return;
    }
    job *j = calloc(1, sizeof *j);
    if (j == NULL) {
        service_error(s, req, 500, "ServiceException", "out of memory");
        return;
    }
    const char *sandbox = lc__http_header(req, LC_SANDBOX_HEADER);
    *j = (job){.req = req};
    snprintf(j->name, sizeof j->name, "%s", c.name);
    snprintf(j->mapping, sizeof j->mapping, "%s", source);
    snprintf(j->sandbox, sizeof j->sandbox, "%s", sandbox ? sandbox : "");
    submit(s, j);
}

static void on_request(void *ctx, lc__http_request *req)
{
    lc_invoke_server *s = ctx;
    if (!signature_ok(s, req))
        return;
    char decoded[4096];
    snprintf(decoded, sizeof decoded, "%s", req->path);
    if (!percent_decode(decoded)) {
        service_error(s, req, 400, "ValidationException",
                      "1 validation error detected: the path holds an encoded NUL (%%00)");
        return;
    }
    if (strncmp(decoded, MAPPINGS_PREFIX, strlen(MAPPINGS_PREFIX)) == 0)
        route_mapping(s, req, decoded);
    else
        route_call(s, req, decoded);
}

/* An Event may carry at most max_async bytes; anything else the synchronous limit. */
static size_t body_cap(void *ctx, const lc__http_request *req)
{
    lc_invoke_server *s = ctx;
    const char *type = lc__http_header(req, "X-Amz-Invocation-Type");
    return type && strcmp(type, "Event") == 0 ? s->max_async : LC_SYNC_REQUEST_MAX;
}

/* --- the server ------------------------------------------------------------------------------------ */

static void keep_options(lc_invoke_server *s, const lc_invoke_server_options *opt)
{
    s->max_async = opt && opt->max_async_request ? opt->max_async_request : LC_ASYNC_REQUEST_MAX;
    s->log = opt ? opt->log : NULL;
    snprintf(s->region, sizeof s->region, "%s", opt && opt->region ? opt->region : "us-east-1");
    if (opt && opt->sigv4_access_key_id && opt->sigv4_secret_access_key) {
        snprintf(s->sigv4_key, sizeof s->sigv4_key, "%s", opt->sigv4_access_key_id);
        snprintf(s->sigv4_secret, sizeof s->sigv4_secret, "%s", opt->sigv4_secret_access_key);
    }
}

lc_status lc_invoke_server_start(lc_emulator *em, const lc_invoke_server_options *opt,
                                 lc_invoke_server **out, lc_error *err)
{
    *out = NULL;
    lc_invoke_server *s = calloc(1, sizeof *s);
    if (s == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    s->em = em;
    keep_options(s, opt);
    pthread_mutex_init(&s->log_mu, NULL);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_cond_init(&s->gone_cv, NULL);
    const char *host = opt && opt->host ? opt->host : "127.0.0.1";
    lc__http_config c = {
        .host = host,
        .port = opt ? opt->port : 0,
        .max_connections = opt && opt->max_connections ? opt->max_connections : 1024,
        .max_body = LC_SYNC_REQUEST_MAX,
        .request_timeout_ms = opt && opt->request_timeout_ms ? opt->request_timeout_ms : 30000,
        .idle_timeout_ms = opt && opt->idle_timeout_ms ? opt->idle_timeout_ms : 60000,
        .body_cap = body_cap,
        .hash_bodies = s->sigv4_key[0] != '\0',
        .on_request = on_request,
        .error_body = error_body,
        .ctx = s,
    };
    lc_status st = lc__http_server_start(&c, &s->http, err);
    if (st != LC_OK) {
        lc_invoke_server_free(s);
        return st;
    }
    s->port = lc__http_server_port(s->http);
    snprintf(s->url, sizeof s->url, "http://%s:%u", host, s->port);
    *out = s;
    return LC_OK;
}

void lc_invoke_server_free(lc_invoke_server *s)
{
    if (s == NULL)
        return;
    lc__http_server_free(s->http); /* invocations in progress are answered first */
    stop_workers(s);
    pthread_cond_destroy(&s->gone_cv);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->log_mu);
    free(s);
}

uint16_t lc_invoke_server_port(const lc_invoke_server *s)
{
    return s->port;
}

const char *lc_invoke_server_url(const lc_invoke_server *s)
{
    return s->url;
}
