/* A function's result turned into the HTTP answer API Gateway or a function URL gives.
 *
 * What is malformed is decided by the response contracts that `check` applies
 * (lc_source_contract_check), so a response `check` fails is the response the gateway refuses:
 * REST APIs answer 502 (https://docs.aws.amazon.com/apigateway/latest/developerguide/
 * set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-output-format),
 * HTTP APIs 500 (https://docs.aws.amazon.com/apigateway/latest/developerguide/
 * http-api-troubleshooting-lambda.html). The mapping itself: payload 1.0's statusCode, headers,
 * multiValueHeaders, body and isBase64Encoded; payload 2.0's cookies and its inference of a
 * response without statusCode (http-api-develop-integrations-lambda.html#http-api-develop-
 * integrations-lambda.response); function URLs as 2.0 (https://docs.aws.amazon.com/lambda/
 * latest/dg/urls-invocation.html#urls-response-payload).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gateway_internal.h"
#include "lambdacheck/contracts.h"

void lc__gw_answer_init(gw_answer *a)
{
    memset(a, 0, sizeof *a);
    a->headers = json_array();
}

void lc__gw_answer_clear(gw_answer *a)
{
    json_decref(a->headers);
    free(a->body);
    memset(a, 0, sizeof *a);
}

/* A header name or value the HTTP framing can carry: no control characters (a line break would
 * let a function write headers of its own choosing into the answer). */
static bool safe_text(const char *s, bool name)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f || (name && (*p == ':' || *p == ' ')))
            return false;
    return s[0] != '\0' || !name;
}

void lc__gw_answer_header(gw_answer *a, const char *name, const char *fmt, ...)
{
    char value[8192], line[8448];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    if (!safe_text(name, true) || !safe_text(value, false))
        return;
    snprintf(line, sizeof line, "%s: %s", name, value);
    json_array_append_new(a->headers, json_string(line) ?: json_string(""));
}

bool lc__gw_answer_has(const gw_answer *a, const char *name)
{
    size_t i, n = strlen(name);
    json_t *h;
    json_array_foreach(a->headers, i, h)
    {
        const char *line = json_string_value(h);
        if (strncasecmp(line, name, n) == 0 && line[n] == ':')
            return true;
    }
    return false;
}

static void set_body(gw_answer *a, const char *data, size_t len)
{
    free(a->body);
    a->body = malloc(len + 1);
    if (a->body) {
        memcpy(a->body, data, len);
        a->body[len] = '\0';
    }
    a->body_len = a->body ? len : 0;
}

void lc__gw_service_answer(gw_answer *a, int status, const char *body, const char *content_type,
                           const char *error_type)
{
    a->status = status;
    json_array_clear(a->headers);
    lc__gw_answer_header(a, "Content-Type", "%s", content_type ? content_type : "application/json");
    if (error_type)
        lc__gw_answer_header(a, "x-amzn-ErrorType", "%s", error_type);
    set_body(a, body, strlen(body));
}

void lc__gw_service_headers(const gw_call *c, gw_answer *a)
{
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!lc__gw_answer_has(a, "Date"))
        lc__gw_answer_header(a, "Date", "%s", date);
    if (c->api->kind == GW_HTTP) {
        lc__gw_answer_header(a, "apigw-requestid", "%s", c->extended_id);
        return;
    }
    lc__gw_answer_header(a, "x-amzn-RequestId", "%s", c->request_id);
    if (c->api->kind == GW_REST)
        lc__gw_answer_header(a, "x-amz-apigw-id", "%s", c->extended_id);
    lc__gw_answer_header(a, "X-Amzn-Trace-Id", "%s", c->trace_id);
}

/* The status a function error or a malformed response gets, with the service's message. */
static void service_failure(const gw_call *c, gw_answer *a, const char *why)
{
    snprintf(a->problem, sizeof a->problem, "%s", why);
    lc__gw_integration_failed(c->api, 502, a);
}

/* REST: 502 {"message": "Internal server error"} (https://docs.aws.amazon.com/lambda/latest/dg/
 * services-apigateway-errors.html), 500 with the same body when Lambda refused the call; HTTP
 * APIs: 500 {"message":"Internal Server Error"}; function URLs: 502 "Internal Server Error". */
void lc__gw_integration_failed(const gw_api *api, int rest_status, gw_answer *a)
{
    switch (api->kind) {
    case GW_REST:
        lc__gw_service_answer(a, rest_status, "{\"message\": \"Internal server error\"}", NULL,
                              "InternalServerErrorException");
        break;
    case GW_HTTP:
        lc__gw_service_answer(a, 500, "{\"message\":\"Internal Server Error\"}", NULL, NULL);
        break;
    case GW_URL:
        lc__gw_service_answer(a, 502, "Internal Server Error", "text/plain", NULL);
        break;
    }
}

/* --- mapping a proxy response ----------------------------------------------------------------- */

/* A header value as the service sends it: strings as they are, numbers and booleans as their
 * JSON text; NULL for anything else (skipped). Caller frees. */
static char *header_text(const json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_number(v) || json_is_boolean(v))
        return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    return NULL;
}

/* Headers that belong to the connection: the service frames the answer itself, so a function's
 * own are renamed x-amzn-Remapped-<name> (API Gateway's documented remapping of reserved
 * headers: https://docs.aws.amazon.com/apigateway/latest/developerguide/
 * api-gateway-known-issues.html). */
static bool reserved_header(const char *name)
{
    static const char *const names[] = {
        "Content-Length", "Transfer-Encoding", "Connection", "Date", "Server", NULL};
    for (const char *const *n = names; *n; n++)
        if (strcasecmp(*n, name) == 0)
            return true;
    return false;
}

static void add_function_header(gw_answer *a, const char *name, const char *value)
{
    if (reserved_header(name)) {
        char remapped[300];
        snprintf(remapped, sizeof remapped, "x-amzn-Remapped-%s", name);
        lc__gw_answer_header(a, remapped, "%s", value);
        return;
    }
    lc__gw_answer_header(a, name, "%s", value);
}

/* The spelling of name in multiValueHeaders, or NULL. */
static const char *multi_name(const json_t *multi, const char *name)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)multi, k, v)
    {
        if (strcasecmp(k, name) == 0)
            return k;
    }
    return NULL;
}

/* 1.0: multiValueHeaders, then headers; a name in both is sent with both values, those of
 * multiValueHeaders first and in its spelling (as recorded against AWS in LocalStack's
 * validated snapshot of "invoke-api-multi-headers-overwrite"; the guide says only
 * multiValueHeaders' value appears for the same key-value pair). */
static void map_headers(const json_t *r, gw_answer *a, bool v1)
{
    const json_t *single = json_object_get(r, "headers");
    const json_t *multi = v1 ? json_object_get(r, "multiValueHeaders") : NULL;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)multi, k, v)
    {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            char *text = header_text(item);
            if (text)
                add_function_header(a, k, text);
            free(text);
        }
    }
    json_object_foreach((json_t *)single, k, v)
    {
        const char *spelled = multi_name(multi, k);
        char *text = header_text(v);
        if (text)
            add_function_header(a, spelled ? spelled : k, text);
        free(text);
    }
}

static void map_cookies(const json_t *r, gw_answer *a)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(r, "cookies"), i, c)
    {
        if (json_is_string(c))
            lc__gw_answer_header(a, "Set-Cookie", "%s", json_string_value(c));
    }
}

static int status_of(const json_t *code)
{
    if (json_is_integer(code))
        return (int)json_integer_value(code);
    const char *s = json_string_value(code);
    return s ? atoi(s) : 200;
}

/* Whether a REST API turns a base64 body into bytes: only when the first media type of the
 * request's Accept is one of the API's binary media types ("API Gateway honors only the first
 * Accept media type", https://docs.aws.amazon.com/apigateway/latest/developerguide/
 * api-gateway-payload-encodings.html); the response's Content-Type plays no part. */
static bool rest_decodes(const gw_call *c)
{
    return c->accept[0] && lc__gw_binary_type(c->api, c->accept);
}

/* The body; false when a base64 body that had to be decoded was not base64 (REST: a 500,
 * API_CONFIGURATION_ERROR "base64 decoding fails", supported-gateway-response-types.html). */
static bool map_body(const gw_call *c, const json_t *r, gw_answer *a)
{
    const char *body = json_string_value(json_object_get(r, "body"));
    bool b64 = json_is_true(json_object_get(r, "isBase64Encoded"));
    if (body == NULL)
        return true;
    if (b64 && (c->api->kind != GW_REST || rest_decodes(c))) {
        lc_buf bytes;
        lc_buf_init(&bytes, 0);
        bool ok = lc_buf_base64_decode(&bytes, body, strlen(body)) == LC_OK;
        if (ok)
            set_body(a, bytes.data ? bytes.data : "", bytes.len);
        lc_buf_free(&bytes);
        return ok;
    }
    set_body(a, body, strlen(body));
    return true;
}

/* The Content-Type a response without one gets: application/json from REST APIs and function
 * URLs (LocalStack's snapshots recorded against AWS), text/plain from an HTTP API's 2.0 response
 * (https://github.com/aws-powertools/powertools-lambda-python/issues/2464). */
static void default_type(const gw_call *c, gw_answer *a)
{
    if (lc__gw_answer_has(a, "Content-Type"))
        return;
    lc__gw_answer_header(a, "Content-Type", "%s",
                         c->api->kind == GW_HTTP && c->route->v2 ? "text/plain"
                                                                 : "application/json");
}

static void map_proxy(const gw_call *c, const json_t *r, gw_answer *a)
{
    a->status = status_of(json_object_get(r, "statusCode"));
    map_headers(r, a, !c->route->v2);
    if (c->route->v2)
        map_cookies(r, a);
    if (!map_body(c, r, a)) {
        snprintf(a->problem, sizeof a->problem, "isBase64Encoded, but the body is not base64");
        lc__gw_integration_failed(c->api, 500, a);
        return;
    }
    default_type(c, a);
}

/* 2.0 without statusCode: 200, application/json, the result as the body; a JSON string is
 * sent as its text (the guide's table: "Hello from Lambda!"). */
static void map_inferred(const lc_result *r, const json_t *response, gw_answer *a)
{
    a->status = 200;
    lc__gw_answer_header(a, "Content-Type", "application/json");
    if (json_is_string(response))
        set_body(a, json_string_value(response), json_string_length(response));
    else
        set_body(a, r->payload ? r->payload : "", r->payload_len);
}

/* The response contract's verdict: NULL when the response passes or is only warned about,
 * else why the service refuses it (borrowed from v). */
static const char *contract_failure(const json_t *event, const lc_result *r, lc_verdicts *v)
{
    lc_source_contract_check(event, r->payload ? r->payload : "", r->payload_len, NULL, v);
    for (size_t i = 0; i < v->count; i++)
        if (v->items[i].state == LC_CHECK_FAILED)
            return v->items[i].message;
    return NULL;
}

void lc__gw_map_result(const gw_call *c, const json_t *event, const lc_result *r, gw_answer *a)
{
    if (r->function_error[0]) {
        char why[300];
        snprintf(why, sizeof why, "the function failed (%s)",
                 r->error_type[0] ? r->error_type : "Unhandled");
        service_failure(c, a, why);
        return;
    }
    lc_verdicts v = {0};
    const char *failure = contract_failure(event, r, &v);
    if (failure) {
        service_failure(c, a, failure);
        lc_verdicts_clear(&v);
        return;
    }
    lc_verdicts_clear(&v);
    json_t *response =
        r->payload_len ? json_loadb(r->payload, r->payload_len, JSON_DECODE_ANY, NULL) : NULL;
    if (c->route->v2 && !(json_is_object(response) && json_object_get(response, "statusCode")))
        map_inferred(r, response, a);
    else if (json_is_object(response))
        map_proxy(c, response, a);
    else
        service_failure(c, a, "the response is not a proxy response");
    json_decref(response);
}
