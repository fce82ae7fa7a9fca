#include "lambdacheck/invoke_server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lambdacheck/buf.h"
#include "http_body.h"
#include "lambdacheck/context.h"
#include "lambdacheck/sigv4.h"

#define PREFIX "/2015-03-31/functions/"
#define SUFFIX "/invocations"

struct lc_invoke_server {
    struct MHD_Daemon *daemon;
    lc_emulator *em;
    size_t max_async;
    FILE *log;
    pthread_mutex_t log_mu;
    char sigv4_key[128];    /* "" when signatures are not checked */
    char sigv4_secret[256];
    char sigv4_region[64];
    uint16_t port;
    char url[96];
};

typedef lc__http_body request;

/* What one request asks for, once parsed. */
typedef struct {
    char name[129];      /* the function's name */
    char qualifier[129]; /* "" when none */
    char arn[512];       /* for "Function not found" messages */
    char type[32];       /* RequestResponse, Event, DryRun */
    bool tail;
    json_t *client_context; /* decoded, or NULL */
} call;

/* --- replies --------------------------------------------------------------------------------- */

static struct MHD_Response *response_with_id(const char *body, size_t len, const char *id)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (r)
        MHD_add_response_header(r, "x-amzn-RequestId", id);
    return r;
}

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status, struct MHD_Response *r)
{
    if (r == NULL)
        return MHD_NO;
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* A service error: status, x-amzn-ErrorType and {"Type": ..., "message": ...}. */
static enum MHD_Result service_error(struct MHD_Connection *conn, unsigned status,
                                     const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum MHD_Result service_error(struct MHD_Connection *conn, unsigned status,
                                     const char *type, const char *fmt, ...)
{
    char message[1024], id[37];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    json_t *body = json_pack("{s:s, s:s}", "Type", status >= 500 ? "Service" : "User", "message",
                             message);
    if (status == 429)
        json_object_set_new(body, "Reason",
                            json_string("ReservedFunctionConcurrentInvocationLimitExceeded"));
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    lc_uuid4(id);
    struct MHD_Response *r = response_with_id(text ? text : "{}", text ? strlen(text) : 2, id);
    free(text);
    if (r) {
        MHD_add_response_header(r, "x-amzn-ErrorType", type);
        MHD_add_response_header(r, "Content-Type", "application/json");
        if (status == 429)
            MHD_add_response_header(r, "Retry-After", "1");
    }
    return queue(conn, status, r);
}

/* --- signatures and the raw URL ----------------------------------------------------------------- */

/* MHD decodes URLs unless told otherwise; a signature covers the URL as sent, so keep it raw and
 * decode the parts here. */
static size_t keep_raw(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    return strlen(s);
}

static void percent_decode(char *s)
{
    char *out = s;
    for (const char *p = s; *p; p++) {
        unsigned v;
        if (p[0] == '%' && sscanf(p + 1, "%2x", &v) == 1 && isxdigit((unsigned char)p[1]) &&
            isxdigit((unsigned char)p[2])) {
            *out++ = (char)v;
            p += 2;
        } else {
            *out++ = *p;
        }
    }
    *out = '\0';
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    (void)kind;
    lc_buf *q = cls;
    lc_buf_printf(q, "%s%s=%s", q->len ? "&" : "", key, value ? value : "");
    return MHD_YES;
}

static const char *request_header(void *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* MHD_YES with *ok when the request carries a valid signature (or none is required). */
static enum MHD_Result check_signature(lc_invoke_server *s, struct MHD_Connection *conn,
                                       const char *url, const char *method, request *req,
                                       bool *ok)
{
    *ok = true;
    if (s->sigv4_key[0] == '\0')
        return MHD_YES;
    lc_buf query;
    lc_buf_init(&query, 0);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_arg, &query);
    lc_sigv4_request sr = {method, url, query.data ? query.data : "", request_header, conn,
                           req->body.data, req->body.len};
    lc_error err = {0};
    const char *type = NULL;
    lc_sigv4_key key = {.access_key_id = s->sigv4_key, .secret_access_key = s->sigv4_secret,
                        .region = s->sigv4_region};
    lc_status st = lc_sigv4_verify(&sr, &key, &type, &err);
    lc_buf_free(&query);
    if (st == LC_OK)
        return MHD_YES;
    *ok = false;
    return service_error(conn, 403, type, "%s", err.message);
}

/* --- parsing the request ----------------------------------------------------------------------- */

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
    if (n == 0 || n >= sizeof c->name || (colon && strlen(colon + 1) >= sizeof c->qualifier))
        return false;
    memcpy(c->name, name, n);
    c->name[n] = '\0';
    snprintf(c->qualifier, sizeof c->qualifier, "%s", colon ? colon + 1 : "");
    return true;
}

static const char *header(struct MHD_Connection *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* Decodes X-Amz-Client-Context into c->client_context; a message on failure. */
static const char *read_client_context(struct MHD_Connection *conn, call *c)
{
    const char *b64 = header(conn, "X-Amz-Client-Context");
    if (b64 == NULL || b64[0] == '\0')
        return NULL;
    if (strlen(b64) > LC_CLIENT_CONTEXT_MAX)
        return "Client context must be at most 3583 bytes of base64.";
    lc_buf json;
    lc_buf_init(&json, 0);
    json_t *cc = NULL;
    if (lc_buf_base64_decode(&json, b64, strlen(b64)) == LC_OK)
        cc = json_loadb(json.data, json.len, 0, NULL);
    lc_buf_free(&json);
    if (!json_is_object(cc)) {
        json_decref(cc);
        return "Client context must be a valid Base64-encoded JSON object.";
    }
    c->client_context = cc;
    return NULL;
}

/* --- invocation types ------------------------------------------------------------------------ */

static void log_line(lc_invoke_server *s, const call *c, const char *id, unsigned status,
                     const lc_result *r)
{
    if (s->log == NULL)
        return;
    char stamp[32];
    lc_iso_timestamp(lc_now_ms(), stamp);
    pthread_mutex_lock(&s->log_mu);
    fprintf(s->log, "%s %s %s %s %u", stamp, c->type, c->name, id, status);
    if (r)
        fprintf(s->log, " %.2f ms%s%s%s", r->duration_ms, r->cold_start ? " cold" : "",
                r->function_error[0] ? " " : "", r->function_error);
    fputc('\n', s->log);
    fflush(s->log);
    pthread_mutex_unlock(&s->log_mu);
}

static enum MHD_Result answer_result(lc_invoke_server *s, struct MHD_Connection *conn,
                                     const call *c, const lc_result *r)
{
    struct MHD_Response *resp = response_with_id(r->payload, r->payload_len, r->request_id);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type",
                            r->content_type[0] ? r->content_type : "application/json");
    MHD_add_response_header(resp, "X-Amz-Executed-Version", r->executed_version);
    if (r->function_error[0])
        MHD_add_response_header(resp, "X-Amz-Function-Error", r->function_error);
    if (c->tail) {
        size_t n = r->log_len > 4096 ? 4096 : r->log_len;
        lc_buf b64;
        lc_buf_init(&b64, 0);
        lc_buf_base64_encode(&b64, r->log + r->log_len - n, n);
        MHD_add_response_header(resp, "X-Amz-Log-Result", b64.data ? b64.data : "");
        lc_buf_free(&b64);
    }
    log_line(s, c, r->request_id, 200, r);
    return queue(conn, 200, resp);
}

static enum MHD_Result invoke_sync(lc_invoke_server *s, struct MHD_Connection *conn,
                                   const call *c, lc_invoke_options *opt)
{
    lc_result r;
    lc_error err = {0};
    lc_status st = lc_emulator_invoke(s->em, c->name, opt, &r, &err);
    if (st == LC_EBUSY)
        return service_error(conn, 429, "TooManyRequestsException", "Rate Exceeded.");
    if (st == LC_ENOTFOUND || st == LC_EINVAL) /* a sandbox that is not open, or not this one's */
        return service_error(conn, st == LC_ENOTFOUND ? 404 : 400,
                             st == LC_ENOTFOUND ? "ResourceNotFoundException"
                                                : "InvalidParameterValueException",
                             "%s", err.message);
    if (st != LC_OK)
        return service_error(conn, 500, "ServiceException", "%s", err.message);
    enum MHD_Result rc = answer_result(s, conn, c, &r);
    lc_result_clear(&r);
    return rc;
}

static enum MHD_Result invoke_async(lc_invoke_server *s, struct MHD_Connection *conn,
                                    const call *c, lc_invoke_options *opt)
{
    char id[129];
    lc_error err = {0};
    lc_status st = lc_emulator_enqueue(s->em, c->name, opt, id, &err);
    if (st == LC_ENOTFOUND || st == LC_EINVAL)
        return service_error(conn, st == LC_ENOTFOUND ? 404 : 400,
                             st == LC_ENOTFOUND ? "ResourceNotFoundException"
                                                : "InvalidParameterValueException",
                             "%s", err.message);
    if (st != LC_OK)
        return service_error(conn, 500, "ServiceException", "%s", err.message);
    log_line(s, c, id, 202, NULL);
    return queue(conn, 202, response_with_id("", 0, id));
}

static enum MHD_Result dry_run(lc_invoke_server *s, struct MHD_Connection *conn, const call *c)
{
    char id[37];
    lc_uuid4(id);
    log_line(s, c, id, 204, NULL);
    return queue(conn, 204, response_with_id("", 0, id));
}

/* --- checks, in the order Lambda applies them ------------------------------------------------- */

static const lc_function *resolve(lc_invoke_server *s, call *c)
{
    const lc_function *fn = lc_emulator_function(s->em, c->name);
    if (fn == NULL && strcmp(c->name, "function") == 0)
        fn = lc_emulator_only_function(s->em); /* the Runtime Interface Emulator's path */
    if (fn)
        snprintf(c->name, sizeof c->name, "%s", lc_function_name(fn));
    return fn;
}

static enum MHD_Result check_call(lc_invoke_server *s, struct MHD_Connection *conn, call *c,
                                  request *req, bool *ok)
{
    *ok = false;
    const char *log_type = header(conn, "X-Amz-Log-Type");
    if (log_type && strcmp(log_type, "None") != 0 && strcmp(log_type, "Tail") != 0)
        return service_error(conn, 400, "InvalidParameterValueException",
                             "Unsupported log type %s: use None or Tail.", log_type);
    c->tail = log_type && strcmp(log_type, "Tail") == 0;
    if (strcmp(c->type, "RequestResponse") != 0 && strcmp(c->type, "Event") != 0 &&
        strcmp(c->type, "DryRun") != 0)
        return service_error(conn, 400, "InvalidParameterValueException",
                             "1 validation error detected: Value '%s' at 'invocationType' failed "
                             "to satisfy constraint: Member must satisfy enum value set: "
                             "[Event, RequestResponse, DryRun]",
                             c->type);
    const lc_function *fn = resolve(s, c);
    if (fn == NULL || (c->qualifier[0] && strcmp(c->qualifier, "$LATEST") != 0)) {
        return service_error(conn, 404, "ResourceNotFoundException", "Function not found: %s%s%s",
                             fn ? lc_function_arn(fn) : c->arn, c->qualifier[0] ? ":" : "",
                             c->qualifier);
    }
    bool async = strcmp(c->type, "Event") == 0;
    size_t limit = async ? s->max_async : LC_SYNC_REQUEST_MAX;
    if (req->size > limit)
        return service_error(conn, 413, "RequestTooLargeException",
                             "Request must be smaller than %zu bytes for the InvokeFunction "
                             "operation",
                             limit);
    json_error_t jerr;
    json_t *event = req->size ? json_loadb(req->body.data, req->body.len, JSON_DECODE_ANY, &jerr)
                              : json_object();
    if (event == NULL)
        return service_error(conn, 400, "InvalidRequestContentException",
                             "Could not parse request body into json: %s (line %d, column %d)",
                             jerr.text, jerr.line, jerr.column);
    json_decref(event);
    const char *cc_problem = read_client_context(conn, c);
    if (cc_problem)
        return service_error(conn, 400, "InvalidRequestContentException", "%s", cc_problem);
    *ok = true;
    return MHD_YES;
}

static enum MHD_Result serve_call(lc_invoke_server *s, struct MHD_Connection *conn, call *c,
                                  request *req)
{
    bool ok;
    enum MHD_Result rc = check_call(s, conn, c, req, &ok);
    if (!ok)
        return rc;
    json_t *overrides = c->client_context ? json_pack("{s:O}", "clientContext", c->client_context)
                                          : NULL;
    lc_invoke_options opt = {.payload = req->size ? req->body.data : "{}",
                             .payload_len = req->size ? req->body.len : 2,
                             .context = overrides,
                             .sandbox = header(conn, LC_SANDBOX_HEADER)};
    if (strcmp(c->type, "DryRun") == 0)
        rc = dry_run(s, conn, c);
    else if (strcmp(c->type, "Event") == 0)
        rc = invoke_async(s, conn, c, &opt);
    else
        rc = invoke_sync(s, conn, c, &opt);
    json_decref(overrides);
    return rc;
}

static enum MHD_Result route_call(lc_invoke_server *s, struct MHD_Connection *conn,
                                  const char *url, const char *method, request *req);

static enum MHD_Result route(lc_invoke_server *s, struct MHD_Connection *conn, const char *url,
                             const char *method, request *req)
{
    bool signed_ok;
    enum MHD_Result rc = check_signature(s, conn, url, method, req, &signed_ok);
    if (!signed_ok)
        return rc;
    char decoded[2048];
    snprintf(decoded, sizeof decoded, "%s", url);
    percent_decode(decoded);
    return route_call(s, conn, decoded, method, req);
}

static enum MHD_Result route_call(lc_invoke_server *s, struct MHD_Connection *conn,
                                  const char *url, const char *method, request *req)
{
    size_t n = strlen(url);
    bool shaped = strncmp(url, PREFIX, strlen(PREFIX)) == 0 && n > strlen(PREFIX) + strlen(SUFFIX) &&
                  strcmp(url + n - strlen(SUFFIX), SUFFIX) == 0;
    if (!shaped || strcmp(method, "POST") != 0)
        return service_error(conn, 404, "UnknownOperationException", "Unknown operation %s %s",
                             method, url);
    call c = {0};
    char given[512];
    snprintf(given, sizeof given, "%.*s", (int)(n - strlen(PREFIX) - strlen(SUFFIX)),
             url + strlen(PREFIX));
    if (strchr(given, '/') || !split_function_name(given, &c))
        return service_error(conn, 400, "InvalidParameterValueException",
                             "Invalid function name or ARN: %s", given);
    const char *fn_part = strstr(given, ":function:");
    if (strncmp(given, "arn:", 4) == 0)
        snprintf(c.arn, sizeof c.arn, "%.*s%s", (int)(fn_part - given), given, ":function:");
    else
        snprintf(c.arn, sizeof c.arn, "arn:aws:lambda:us-east-1:%.12s:function:",
                 fn_part ? given : "123456789012");
    snprintf(c.arn + strlen(c.arn), sizeof c.arn - strlen(c.arn), "%s", c.name);
    char qbuf[sizeof c.qualifier] = "";
    const char *q = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "Qualifier");
    if (q) {
        snprintf(qbuf, sizeof qbuf, "%s", q);
        percent_decode(qbuf);
        q = qbuf;
    }
    if (q && c.qualifier[0] && strcmp(q, c.qualifier) != 0)
        return service_error(conn, 400, "InvalidParameterValueException",
                             "The derived qualifier from the function name does not match the "
                             "specified qualifier.");
    if (q)
        snprintf(c.qualifier, sizeof c.qualifier, "%s", q); /* decoded once, above */
    const char *type = header(conn, "X-Amz-Invocation-Type");
    snprintf(c.type, sizeof c.type, "%s", type && type[0] ? type : "RequestResponse");
    enum MHD_Result rc = serve_call(s, conn, &c, req);
    json_decref(c.client_context);
    return rc;
}

/* --- the server ------------------------------------------------------------------------------ */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    request *req;
    enum MHD_Result result;
    if (lc__http_body_collect(con_cls, LC_SYNC_REQUEST_MAX, upload_data, upload_data_size, &req,
                              &result))
        return result;
    return route(cls, conn, url, method, req);
}


lc_status lc_invoke_server_start(lc_emulator *em, const lc_invoke_server_options *opt,
                                 lc_invoke_server **out, lc_error *err)
{
    *out = NULL;
    const char *host = opt && opt->host ? opt->host : "127.0.0.1";
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)(opt ? opt->port : 0))};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "cannot listen on '%s': not an IPv4 address",
                            host);
    lc_invoke_server *s = calloc(1, sizeof *s);
    if (s == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    s->em = em;
    s->max_async = opt && opt->max_async_request ? opt->max_async_request : LC_ASYNC_REQUEST_MAX;
    s->log = opt ? opt->log : NULL;
    if (opt && opt->sigv4_access_key_id && opt->sigv4_secret_access_key) {
        snprintf(s->sigv4_key, sizeof s->sigv4_key, "%s", opt->sigv4_access_key_id);
        snprintf(s->sigv4_secret, sizeof s->sigv4_secret, "%s", opt->sigv4_secret_access_key);
        snprintf(s->sigv4_region, sizeof s->sigv4_region, "%s",
                 opt->region ? opt->region : "us-east-1");
    }
    pthread_mutex_init(&s->log_mu, NULL);
    s->daemon = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
        on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)0, MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
        MHD_OPTION_NOTIFY_COMPLETED, lc__http_body_free, NULL, MHD_OPTION_UNESCAPE_CALLBACK, keep_raw,
        NULL, MHD_OPTION_END);
    if (s->daemon == NULL) {
        lc_invoke_server_free(s);
        return lc_error_set(err, LC_EIO, NULL, 0, 0,
                            "cannot start the Invoke API server on %s:%u (in use?)", host,
                            opt ? opt->port : 0);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    snprintf(s->url, sizeof s->url, "http://%s:%u", host, s->port);
    *out = s;
    return LC_OK;
}

void lc_invoke_server_free(lc_invoke_server *s)
{
    if (s == NULL)
        return;
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
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
