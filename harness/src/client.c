#include "lambdacheck/client.h"
#include "lambdacheck/eventstream.h"

#include <ctype.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/credentials.h"
#include "curl_lazy.h"

/* An invocation may run 15 minutes; leave room for the answer. */
#define DEFAULT_TIMEOUT_MS (15L * 60 * 1000 + 30000)
/* Largest answer read: a 6 MB payload and some. */
#define MAX_RESPONSE (8u * 1024 * 1024)

struct lc_client {
    const lc__curl_api *curl_api;
    CURL *curl;
    char endpoint[1024];
    char region[64];
    bool sign;
    char userpwd[512];
    char token_header[4200]; /* "X-Amz-Security-Token: ..." or "" */
    char sigv4[128];
    long timeout_ms;
};

static lc_status set_credentials(lc_client *c, const lc_client_options *o, lc_credentials *cred,
                                 lc_error *err)
{
    if (o->access_key_id && o->secret_access_key) {
        snprintf(cred->access_key_id, sizeof cred->access_key_id, "%s", o->access_key_id);
        snprintf(cred->secret_access_key, sizeof cred->secret_access_key, "%s",
                 o->secret_access_key);
        snprintf(cred->session_token, sizeof cred->session_token, "%s",
                 o->session_token ? o->session_token : "");
    } else if (o->sign) {
        lc_status st = lc_credentials_load(o->profile, cred, err);
        if (st != LC_OK)
            return st;
    }
    snprintf(c->userpwd, sizeof c->userpwd, "%s:%s", cred->access_key_id,
             cred->secret_access_key);
    /* never an empty token header: curl 7.88 would sign a header it does not send */
    if (cred->session_token[0])
        snprintf(c->token_header, sizeof c->token_header, "X-Amz-Security-Token: %s",
                 cred->session_token);
    return LC_OK;
}

lc_status lc_client_new(const lc_client_options *o, lc_client **out, lc_error *err)
{
    *out = NULL;
    lc_error mine = {0};
    const lc__curl_api *curl = lc__curl(&mine);
    if (curl == NULL)
        return lc_error_set(err, mine.status, NULL, 0, 0, "%s", mine.message);
    lc_client *c = calloc(1, sizeof *c);
    if (c == NULL || (c->curl = curl->easy_init()) == NULL) {
        free(c);
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "cannot create a curl handle");
    }
    c->curl_api = curl;
    lc_credentials cred;
    lc_error ignore = {0};
    lc_credentials_load(o->profile, &cred, &ignore); /* for the region, keys or not */
    const char *region = o->region ? o->region : cred.region;
    snprintf(c->region, sizeof c->region, "%s", region[0] ? region : "");
    c->sign = o->sign;
    c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
    lc_status st = set_credentials(c, o, &cred, err);
    if (st == LC_OK && !o->endpoint_url && !c->region[0])
        st = lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                          "no region: set AWS_REGION, give one, or give an endpoint URL");
    if (st == LC_OK && c->sign && !c->region[0])
        st = lc_error_set(err, LC_EINVAL, NULL, 0, 0, "signing needs a region: set AWS_REGION");
    if (st != LC_OK) {
        lc_client_free(c);
        return st;
    }
    if (o->endpoint_url)
        snprintf(c->endpoint, sizeof c->endpoint, "%s", o->endpoint_url);
    else
        snprintf(c->endpoint, sizeof c->endpoint, "https://lambda.%s.amazonaws.com", c->region);
    size_t n = strlen(c->endpoint);
    if (n && c->endpoint[n - 1] == '/')
        c->endpoint[n - 1] = '\0';
    snprintf(c->sigv4, sizeof c->sigv4, "aws:amz:%s:lambda", c->region);
    *out = c;
    return LC_OK;
}

void lc_client_free(lc_client *c)
{
    if (c == NULL)
        return;
    c->curl_api->easy_cleanup(c->curl);
    free(c);
}

const char *lc_client_endpoint(const lc_client *c)
{
    return c->endpoint;
}

/* --- one request ----------------------------------------------------------------------------- */

/* Where an answer's body goes: kept as it is, or, for an event stream, read message by message. */
typedef struct {
    lc_buf *body;
    lc_invoke_response *resp;
    const lc_invoke_request *req;
    lc_eventstream_reader reader;
    lc_error err;    /* a malformed stream */
} body_sink;

static void stream_complete(lc_invoke_response *r, const lc_eventstream_message *m)
{
    json_t *done = json_loadb(m->payload, m->payload_len, 0, NULL);
    const char *code = json_string_value(json_object_get(done, "ErrorCode"));
    const char *details = json_string_value(json_object_get(done, "ErrorDetails"));
    const char *log = json_string_value(json_object_get(done, "LogResult"));
    r->stream_complete = true;
    if (code) {
        snprintf(r->error_code, sizeof r->error_code, "%s", code);
        snprintf(r->function_error, sizeof r->function_error, "Unhandled");
    }
    if (details)
        r->error_details = strdup(details);
    if (log) {
        lc_buf decoded;
        lc_buf_init(&decoded, 0);
        if (lc_buf_base64_decode(&decoded, log, strlen(log)) == LC_OK) {
            r->log_result_len = decoded.len;
            r->log_result = lc_buf_take(&decoded);
        }
        lc_buf_free(&decoded);
    }
    json_decref(done);
}

/* One message of an event stream: a chunk, the end, or an exception. */
static void stream_message(body_sink *b, const lc_eventstream_message *m)
{
    lc_invoke_response *r = b->resp;
    const char *event = lc_eventstream_header_value(m, ":event-type");
    const char *kind = lc_eventstream_header_value(m, ":message-type");
    if (kind && strcmp(kind, "exception") == 0) {
        const char *type = lc_eventstream_header_value(m, ":exception-type");
        snprintf(r->error_code, sizeof r->error_code, "%s", type ? type : "exception");
        free(r->error_details);
        r->error_details = strndup(m->payload, m->payload_len);
        snprintf(r->function_error, sizeof r->function_error, "Unhandled");
    } else if (event && strcmp(event, "PayloadChunk") == 0) {
        r->stream_size += m->payload_len;
        lc_buf_append(b->body, m->payload, m->payload_len); /* capped: the rest is counted */
        if (b->req->on_chunk)
            b->req->on_chunk(b->req->chunk_ctx, m->payload, m->payload_len);
    } else if (event && strcmp(event, "InvokeComplete") == 0) {
        stream_complete(r, m);
    }
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    body_sink *b = arg;
    bool events = b->req->stream &&
                  strncmp(b->resp->content_type, "application/vnd.amazon.eventstream", 34) == 0;
    if (!events) /* past the cap the transfer fails */
        return lc_buf_append(b->body, data, size * n) == LC_OK ? size * n : 0;
    b->resp->streamed = true;
    if (lc_eventstream_feed(&b->reader, data, size * n) != LC_OK)
        return 0;
    lc_eventstream_message m;
    lc_status st;
    while ((st = lc_eventstream_next(&b->reader, &m, &b->err)) == LC_OK)
        stream_message(b, &m);
    return st == LC_ENOTFOUND ? size * n : 0; /* a malformed stream ends the transfer */
}

static void header_value(const char *line, size_t len, const char *name, char *out, size_t size)
{
    size_t n = strlen(name);
    if (len <= n + 1 || strncasecmp(line, name, n) != 0 || line[n] != ':')
        return;
    const char *v = line + n + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    snprintf(out, size, "%.*s", (int)(end - v), v);
}

typedef struct {
    lc_invoke_response *resp;
    char log_b64[8192];
} header_sink;

static size_t on_header(char *line, size_t size, size_t n, void *arg)
{
    header_sink *h = arg;
    lc_invoke_response *r = h->resp;
    size_t len = size * n;
    header_value(line, len, "x-amzn-RequestId", r->request_id, sizeof r->request_id);
    header_value(line, len, "X-Amz-Function-Error", r->function_error, sizeof r->function_error);
    header_value(line, len, "X-Amz-Executed-Version", r->executed_version,
                 sizeof r->executed_version);
    header_value(line, len, "x-amzn-ErrorType", r->error_type, sizeof r->error_type);
    header_value(line, len, "Retry-After", r->retry_after, sizeof r->retry_after);
    header_value(line, len, "Content-Type", r->content_type, sizeof r->content_type);
    header_value(line, len, "X-Amz-Log-Result", h->log_b64, sizeof h->log_b64);
    return len;
}

static void build_url(lc_client *c, const lc_invoke_request *req, char *url, size_t size)
{
    char *name = c->curl_api->easy_escape(c->curl, req->function_name, 0);
    int n = snprintf(url, size,
                     req->stream ? "%s/2021-11-15/functions/%s/response-streaming-invocations"
                                 : "%s/2015-03-31/functions/%s/invocations",
                     c->endpoint, name ? name : "");
    c->curl_api->free(name);
    if (req->qualifier && n > 0 && (size_t)n < size) {
        char *q = c->curl_api->easy_escape(c->curl, req->qualifier, 0);
        snprintf(url + n, size - (size_t)n, "?Qualifier=%s", q ? q : "");
        c->curl_api->free(q);
    }
}

static struct curl_slist *request_headers(lc_client *c, const lc_invoke_request *req)
{
    char line[8192];
    struct curl_slist *h = c->curl_api->slist_append(NULL, "Content-Type: application/json");
    snprintf(line, sizeof line, "X-Amz-Invocation-Type: %s",
             req->invocation_type ? req->invocation_type : "RequestResponse");
    h = c->curl_api->slist_append(h, line);
    if (req->log_tail)
        h = c->curl_api->slist_append(h, "X-Amz-Log-Type: Tail");
    if (req->client_context) {
        lc_buf b64;
        lc_buf_init(&b64, 0);
        lc_buf_base64_encode(&b64, req->client_context, strlen(req->client_context));
        snprintf(line, sizeof line, "X-Amz-Client-Context: %s", b64.data ? b64.data : "");
        lc_buf_free(&b64);
        h = c->curl_api->slist_append(h, line);
    }
    /* https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation-invoke.html: the tenant goes
     * in X-Amz-Tenant-Id; curl signs it with the other headers it is given. An empty value is
     * sent as it is ("X-Amz-Tenant-Id;" is curl's way to send a header without a value), so the
     * service refuses it as Lambda does. */
    if (req->tenant_id) {
        snprintf(line, sizeof line, req->tenant_id[0] ? "X-Amz-Tenant-Id: %s" : "X-Amz-Tenant-Id;",
                 req->tenant_id);
        h = c->curl_api->slist_append(h, line);
    }
    if (req->sandbox) {
        snprintf(line, sizeof line, "X-Lambdacheck-Sandbox: %s", req->sandbox);
        h = c->curl_api->slist_append(h, line);
    }
    if (c->sign && c->token_header[0])
        h = c->curl_api->slist_append(h, c->token_header);
    /* An empty "Expect:" saves the 100-continue round trip on large bodies, but curl 7.88 signs
       the blanked header without sending it: only when not signing. */
    if (!c->sign)
        h = c->curl_api->slist_append(h, "Expect:");
    return h;
}

static void read_service_error(lc_invoke_response *r)
{
    if (r->status < 400)
        return;
    json_t *body = json_loadb(r->payload, r->payload_len, 0, NULL);
    const char *m = json_string_value(json_object_get(body, "message"));
    if (m == NULL)
        m = json_string_value(json_object_get(body, "Message"));
    snprintf(r->error_message, sizeof r->error_message, "%s", m ? m : "");
    json_decref(body);
    char *colon = strchr(r->error_type, ':'); /* "Type:http://internal..." from AWS */
    if (colon)
        *colon = '\0';
}

static void decode_log(lc_invoke_response *r, const char *b64)
{
    if (b64[0] == '\0')
        return;
    lc_buf log;
    lc_buf_init(&log, 0);
    if (lc_buf_base64_decode(&log, b64, strlen(b64)) == LC_OK) {
        r->log_result_len = log.len;
        r->log_result = lc_buf_take(&log);
    }
    lc_buf_free(&log);
}

static void configure(lc_client *c, const lc_invoke_request *req, const char *url,
                      struct curl_slist *headers, body_sink *body, header_sink *sink, char *errbuf)
{
    CURL *h = c->curl;
    c->curl_api->easy_reset(h);
    c->curl_api->easy_setopt(h, CURLOPT_URL, url);
    c->curl_api->easy_setopt(h, CURLOPT_POST, 1L);
    c->curl_api->easy_setopt(h, CURLOPT_POSTFIELDS, req->payload ? req->payload : "");
    c->curl_api->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)(req->payload ? req->payload_len : 0));
    c->curl_api->easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    c->curl_api->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    c->curl_api->easy_setopt(h, CURLOPT_WRITEDATA, body);
    c->curl_api->easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    c->curl_api->easy_setopt(h, CURLOPT_HEADERDATA, sink);
    c->curl_api->easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    c->curl_api->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    c->curl_api->easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    if (c->sign) {
        c->curl_api->easy_setopt(h, CURLOPT_AWS_SIGV4, c->sigv4);
        c->curl_api->easy_setopt(h, CURLOPT_USERPWD, c->userpwd);
    }
}

lc_status lc_client_invoke(lc_client *c, const lc_invoke_request *req, lc_invoke_response *resp,
                           lc_error *err)
{
    memset(resp, 0, sizeof *resp);
    char url[2048], errbuf[CURL_ERROR_SIZE] = "";
    build_url(c, req, url, sizeof url);
    struct curl_slist *headers = request_headers(c, req);
    lc_buf body;
    lc_buf_init(&body, MAX_RESPONSE);
    header_sink sink = {.resp = resp};
    body_sink bodies = {.body = &body, .resp = resp, .req = req};
    lc_eventstream_reader_init(&bodies.reader);
    configure(c, req, url, headers, &bodies, &sink, errbuf);
    CURLcode rc = c->curl_api->easy_perform(c->curl);
    c->curl_api->slist_free_all(headers);
    lc_eventstream_reader_free(&bodies.reader);
    if (rc != CURLE_OK) {
        lc_buf_free(&body);
        lc_invoke_response_clear(resp);
        if (bodies.err.status != LC_OK)
            return lc_error_set(err, LC_EPROTO, url, 0, 0, "%s answered an event stream that "
                                "is not well formed: %s", url, bodies.err.message);
        return lc_error_set(err, LC_ETRANSPORT, url, 0, 0, "no answer from %s: %s", url,
                            errbuf[0] ? errbuf : c->curl_api->easy_strerror(rc));
    }
    c->curl_api->easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &resp->status);
    resp->payload_len = body.len;
    resp->payload = lc_buf_take(&body);
    if (resp->payload == NULL)
        resp->payload = strdup("");
    if (!resp->streamed)
        decode_log(resp, sink.log_b64);
    read_service_error(resp);
    return LC_OK;
}

void lc_invoke_response_clear(lc_invoke_response *r)
{
    free(r->payload);
    free(r->error_details);
    free(r->log_result);
    memset(r, 0, sizeof *r);
}

/* --- plain HTTP requests (a case's requests to an API) ----------------------------------------- */

#define MAX_HTTP_ANSWER (16u * 1024 * 1024)

static size_t on_http_body(char *data, size_t size, size_t n, void *arg)
{
    return lc_buf_append(arg, data, size * n) == LC_OK ? size * n : 0;
}

/* Each header line of the final answer (a 100 Continue's are dropped when the next head starts). */
static size_t on_http_header(char *line, size_t size, size_t n, void *arg)
{
    json_t *headers = arg;
    size_t len = size * n;
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        json_object_clear(headers);
        return len;
    }
    const char *colon = memchr(line, ':', len);
    if (colon == NULL)
        return len;
    char name[256];
    size_t nlen = (size_t)(colon - line);
    if (nlen > sizeof name - 1)
        nlen = sizeof name - 1;
    for (size_t i = 0; i < nlen; i++)
        name[i] = (char)tolower((unsigned char)line[i]);
    name[nlen] = '\0';
    const char *v = colon + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    json_t *list = json_object_get(headers, name);
    if (list == NULL)
        json_object_set_new(headers, name, list = json_array());
    json_t *value = json_stringn(v, (size_t)(end - v));
    json_array_append_new(list, value ? value : json_string(""));
    return len;
}

/* The request's header lines; "Expect:" keeps curl from waiting for a 100 Continue, except on a
 * signed request (curl would sign the empty header it does not send). */
static struct curl_slist *http_headers(const lc__curl_api *api, const json_t *headers,
                                       bool signed_request)
{
    struct curl_slist *list = signed_request ? NULL : api->slist_append(NULL, "Expect:");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)headers, k, v)
    {
        char line[8448];
        if (json_is_string(v)) {
            snprintf(line, sizeof line, "%s: %s", k, json_string_value(v));
            list = api->slist_append(list, line);
        }
    }
    return list;
}

lc_status lc_http_call(const lc_http_request *req, lc_http_answer *out, lc_error *err)
{
    memset(out, 0, sizeof *out);
    const lc__curl_api *api = lc__curl(err);
    if (api == NULL)
        return err ? err->status : LC_ESPAWN;
    CURL *h = api->easy_init();
    if (h == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    lc_buf body;
    lc_buf_init(&body, MAX_HTTP_ANSWER);
    out->headers = json_object();
    struct curl_slist *headers =
        http_headers(api, req->headers, req->sigv4_access_key_id && req->sigv4_secret_access_key);
    char errbuf[CURL_ERROR_SIZE] = "";
    api->easy_setopt(h, CURLOPT_URL, req->url);
    api->easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method ? req->method : "GET");
    if (req->method && strcmp(req->method, "HEAD") == 0)
        api->easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (req->body_len) {
        api->easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
        api->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    api->easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    api->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_http_body);
    api->easy_setopt(h, CURLOPT_WRITEDATA, &body);
    api->easy_setopt(h, CURLOPT_HEADERFUNCTION, on_http_header);
    api->easy_setopt(h, CURLOPT_HEADERDATA, out->headers);
    api->easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 960000L);
    api->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    api->easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    char userpwd[400];
    if (req->sigv4_access_key_id && req->sigv4_secret_access_key) {
        snprintf(userpwd, sizeof userpwd, "%s:%s", req->sigv4_access_key_id,
                 req->sigv4_secret_access_key);
        api->easy_setopt(h, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:lambda");
        api->easy_setopt(h, CURLOPT_USERPWD, userpwd);
    }
    CURLcode rc = api->easy_perform(h);
    if (rc == CURLE_OK)
        api->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    api->slist_free_all(headers);
    api->easy_cleanup(h);
    if (rc != CURLE_OK) {
        lc_buf_free(&body);
        lc_http_answer_clear(out);
        return lc_error_set(err, LC_ETRANSPORT, req->url, 0, 0, "no answer from %s: %s",
                            req->url, errbuf[0] ? errbuf : api->easy_strerror(rc));
    }
    out->body_len = body.len;
    out->body = lc_buf_take(&body);
    if (out->body == NULL)
        out->body = strdup("");
    return LC_OK;
}

void lc_http_answer_clear(lc_http_answer *a)
{
    json_decref(a->headers);
    free(a->body);
    memset(a, 0, sizeof *a);
}
