/* HTTP requests turned into the events API Gateway and function URLs send.
 *
 * Payload 1.0 (REST APIs, and HTTP API routes that ask for it):
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 * #api-gateway-simple-proxy-for-lambda-input-format. Payload 2.0 (HTTP APIs):
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html.
 * Function URLs: https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gateway_internal.h"
#include "lambdacheck/invoke_server.h"
#include "lambdacheck/json_util.h"

void lc__gw_clf_time(int64_t epoch_ms, char out[32])
{
    time_t t = (time_t)(epoch_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%d/%b/%Y:%H:%M:%S +0000", &tm);
}

/* A media type pattern ("image/png", "image/" "*", "*" "/" "*") against a content type (its
 * parameters ignored), case-insensitively. */
static bool media_matches(const char *pattern, const char *type)
{
    size_t tlen = strcspn(type, ";");
    while (tlen && isspace((unsigned char)type[tlen - 1]))
        tlen--;
    if (strcmp(pattern, "*/*") == 0)
        return true;
    size_t plen = strlen(pattern);
    if (plen >= 2 && strcmp(pattern + plen - 2, "/*") == 0)
        return tlen >= plen - 1 && strncasecmp(pattern, type, plen - 1) == 0;
    return plen == tlen && strncasecmp(pattern, type, tlen) == 0;
}

bool lc__gw_binary_type(const gw_api *api, const char *content_type)
{
    size_t i;
    json_t *t;
    if (content_type == NULL)
        return false;
    json_array_foreach(json_object_get(api->config, "binaryMediaTypes"), i, t)
    {
        if (json_is_string(t) && media_matches(json_string_value(t), content_type))
            return true;
    }
    return false;
}

/* Content types an HTTP API and a function URL pass as text: text/ (any), application/json,
 * application/xml and application/javascript; any other body, one without a type too, goes
 * base64-encoded (recorded against AWS: https://github.com/ministackorg/ministack/pull/766;
 * https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html, "isBase64Encoded"). */
static bool text_type(const char *type)
{
    static const char *const texts[] = {"text/*", "application/json", "application/javascript",
                                        "application/xml", NULL};
    if (type == NULL)
        return false;
    for (const char *const *t = texts; *t; t++)
        if (media_matches(*t, type))
            return true;
    return false;
}

/* Whether the request's body goes to the function base64-encoded. */
static bool body_in_base64(const gw_call *c, const lc__http_request *req)
{
    const char *type = lc__http_header(req, "Content-Type");
    if (c->api->kind == GW_REST)
        return lc__gw_binary_type(c->api, type);
    if (!lc_utf8_valid(req->body.data ? req->body.data : "", req->body.len))
        return true;
    return !text_type(type);
}

static json_t *body_value(const gw_call *c, const lc__http_request *req, bool *b64)
{
    *b64 = false;
    if (req->body.len == 0)
        return NULL;
    *b64 = body_in_base64(c, req);
    if (*b64) {
        lc_buf out;
        lc_buf_init(&out, 0);
        lc_buf_base64_encode(&out, req->body.data, req->body.len);
        json_t *v = json_string(out.data ? out.data : "");
        lc_buf_free(&out);
        return v;
    }
    /* REST passes a body it does not encode as it is; bytes that are not UTF-8 cannot be a JSON
       string, and are replaced as the service replaces them */
    json_t *v = json_stringn(req->body.data, req->body.len);
    if (v == NULL) {
        char *copy = strndup(req->body.data, req->body.len);
        v = json_string(copy ? lc_utf8_sanitize(copy) : "");
        free(copy);
    }
    return v;
}

/* --- query strings ---------------------------------------------------------------------------- */

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? tolower(c) - 'a' + 10 : -1;
}

/* n bytes of a query component, '+' a space and %XX decoded, as a JSON string (NULL: not
 * UTF-8 once decoded, kept as sent). */
static json_t *query_text(const char *s, size_t n)
{
    char *out = malloc(n + 1), *o = out;
    if (out == NULL)
        return json_string("");
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
                   hexval((unsigned char)s[i + 2]) >= 0) {
            *o++ = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    json_t *v = json_stringn(out, (size_t)(o - out));
    if (v == NULL)
        v = json_stringn(s, n) ?: json_string("");
    free(out);
    return v;
}

/* The query as API Gateway reads it: name -> list of values, in order. NULL when empty. */
static json_t *query_lists(const char *query)
{
    json_t *lists = json_object();
    for (const char *p = query; p && *p;) {
        size_t len = strcspn(p, "&");
        if (len) {
            const char *eq = memchr(p, '=', len);
            size_t nlen = eq ? (size_t)(eq - p) : len;
            json_t *name = query_text(p, nlen);
            json_t *value = eq ? query_text(eq + 1, len - nlen - 1) : json_string("");
            const char *key = json_string_value(name);
            json_t *list = json_object_get(lists, key);
            if (list == NULL)
                json_object_set_new(lists, key, list = json_array());
            json_array_append_new(list, value);
            json_decref(name);
        }
        p += len;
        if (*p == '&')
            p++;
    }
    if (json_object_size(lists) == 0) {
        json_decref(lists);
        return NULL;
    }
    return lists;
}

/* 1.0's single-value map: the last value of each (API Gateway's documented behaviour). */
static json_t *last_values(const json_t *lists)
{
    if (lists == NULL)
        return json_null();
    json_t *out = json_object();
    const char *k;
    json_t *l;
    json_object_foreach((json_t *)lists, k, l)
        json_object_set(out, k, json_array_get(l, json_array_size(l) - 1));
    return out;
}

/* 2.0's map: duplicates joined with commas. */
static json_t *joined_values(const json_t *lists)
{
    json_t *out = json_object();
    const char *k;
    json_t *l;
    json_object_foreach((json_t *)lists, k, l)
    {
        lc_buf b;
        lc_buf_init(&b, 0);
        size_t i;
        json_t *v;
        json_array_foreach(l, i, v) lc_buf_printf(&b, "%s%s", i ? "," : "", json_string_value(v));
        json_object_set_new(out, k, json_string(b.data ? b.data : ""));
        lc_buf_free(&b);
    }
    return out;
}

/* --- headers
 * --------------------------------------------------------------------------------------- */

static json_t *header_value(const char *v)
{
    json_t *s = json_string(v);
    if (s == NULL) { /* not UTF-8 */
        char *copy = strdup(v);
        s = json_string(copy ? lc_utf8_sanitize(copy) : "");
        free(copy);
    }
    return s;
}

/* The headers the service adds on its way to the function. */
static void forwarded(const gw_call *c, const lc__http_request *req, json_t *lists, bool lower)
{
    char port[8];
    snprintf(port, sizeof port, "%u", (unsigned)c->api->port);
    struct {
        const char *name, *value;
    } add[] = {{"X-Forwarded-For", c->source_ip},
               {"X-Forwarded-Port", port},
               {"X-Forwarded-Proto", "http"},
               {"X-Amzn-Trace-Id", c->trace_id}};
    for (size_t i = 0; i < sizeof add / sizeof *add; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s", add[i].name);
        if (lower)
            for (char *p = name; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        if (lc__http_header(req, add[i].name) && i != 0)
            continue;
        json_t *list = json_object_get(lists, name);
        if (list == NULL)
            json_object_set_new(lists, name, list = json_array());
        if (i == 0 && json_array_size(list)) { /* the client's chain, then the client */
            json_t *last = json_array_get(list, json_array_size(list) - 1);
            char chain[512];
            snprintf(chain, sizeof chain, "%s, %s", json_string_value(last), add[i].value);
            json_array_set_new(list, json_array_size(list) - 1, json_string(chain));
        } else {
            json_array_append_new(list, json_string(add[i].value));
        }
    }
}

/* name -> list of values. 1.0 keeps names as sent (the first spelling of each); 2.0 lowercases
 * them and leaves the cookies to "cookies". */
static json_t *header_lists(const gw_call *c, const lc__http_request *req, bool v2)
{
    json_t *lists = json_object();
    for (size_t i = 0; i < req->n_headers; i++) {
        char name[256];
        if (strcasecmp(req->headers[i].name, LC_SANDBOX_HEADER) == 0)
            continue; /* lambdacheck's own, never the function's */
        snprintf(name, sizeof name, "%s", req->headers[i].name);
        if (v2) {
            for (char *p = name; *p; p++)
                *p = (char)tolower((unsigned char)*p);
            if (strcmp(name, "cookie") == 0)
                continue;
        }
        json_t *list = NULL;
        const char *k;
        json_t *l;
        json_object_foreach(lists, k, l)
        {
            if (strcasecmp(k, name) == 0)
                list = l;
        }
        if (list == NULL)
            json_object_set_new(lists, name, list = json_array());
        json_array_append_new(list, header_value(req->headers[i].value));
    }
    forwarded(c, req, lists, v2);
    return lists;
}

static json_t *cookies(const lc__http_request *req)
{
    json_t *out = json_array();
    for (size_t i = 0; i < req->n_headers; i++) {
        if (strcasecmp(req->headers[i].name, "Cookie") != 0)
            continue;
        for (const char *p = req->headers[i].value; *p;) {
            while (*p == ' ' || *p == ';')
                p++;
            size_t len = strcspn(p, ";");
            while (len && p[len - 1] == ' ')
                len--;
            if (len) {
                json_t *v = json_stringn(p, len);
                json_array_append_new(out, v ? v : json_string(""));
            }
            p += strcspn(p, ";");
        }
    }
    return out;
}

/* --- events
 * ---------------------------------------------------------------------------------------- */

static void domain_of(const gw_call *c, char *out, size_t size)
{
    if (c->api->kind == GW_URL)
        snprintf(out, size, "%s.lambda-url.%s.on.aws", c->api->url_id, c->api->gw->region);
    else
        snprintf(out, size, "%s.execute-api.%s.amazonaws.com", c->api->id, c->api->gw->region);
}

static json_t *stage_variables(const gw_call *c)
{
    const json_t *vars = json_object_get(c->api->config, "stageVariables");
    return json_object_size(vars) ? json_deep_copy(vars) : json_null();
}

static json_t *identity(const gw_call *c, const lc__http_request *req)
{
    const char *agent = lc__http_header(req, "User-Agent");
    return json_pack("{s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:n, s:s, s:n, s:o, s:n, s:n}",
                     "accessKey", "accountId", "caller", "cognitoAuthenticationProvider",
                     "cognitoAuthenticationType", "cognitoIdentityId", "cognitoIdentityPoolId",
                     "principalOrgId", "sourceIp", c->source_ip, "user", "userAgent",
                     agent ? header_value(agent) : json_null(), "userArn", "clientCert");
}

static json_t *rest_context(const gw_call *c, const lc__http_request *req)
{
    char time_text[32], path[2048], domain[160];
    lc__gw_clf_time(c->epoch_ms, time_text);
    domain_of(c, domain, sizeof domain);
    bool rest = c->api->kind == GW_REST;
    if (rest)
        snprintf(path, sizeof path, "/%s%s", c->api->stage, c->path);
    else
        snprintf(path, sizeof path, "%s", req->path);
    json_t *ctx = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s}",
        "accountId", c->api->gw->account, "apiId", c->api->id, "domainName", domain, "domainPrefix",
        c->api->id, "extendedRequestId", c->extended_id, "identity", identity(c, req), "httpMethod",
        req->method, "path", path, "protocol", "HTTP/1.1", "requestId", c->request_id,
        "requestTimeEpoch", (json_int_t)c->epoch_ms, "requestTime", time_text, "resourceId",
        "lcres1", "resourcePath",
        strcmp(c->route->path, "$default") == 0 ? "$default" : c->route->path, "stage",
        c->api->stage, "deploymentId", "lcdep1");
    if (!rest) {
        json_object_del(ctx, "resourceId");
        json_object_set_new(ctx, "routeKey", json_string(c->route->route_key));
    }
    if (c->authorizer)
        json_object_set(ctx, "authorizer", c->authorizer);
    return ctx;
}

static json_t *event_v1(const gw_call *c, const lc__http_request *req)
{
    json_t *hl = header_lists(c, req, false);
    json_t *ql = query_lists(req->query);
    bool b64;
    json_t *body = body_value(c, req, &b64);
    json_t *e = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:O, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "version", "1.0",
        "resource", strcmp(c->route->path, "$default") == 0 ? "$default" : c->route->path, "path",
        c->path, "httpMethod", req->method, "headers", last_values(hl), "multiValueHeaders", hl,
        "queryStringParameters", last_values(ql), "multiValueQueryStringParameters",
        ql ? json_incref(ql) : json_null(), "pathParameters",
        c->path_params ? json_deep_copy(c->path_params) : json_null(), "stageVariables",
        stage_variables(c), "requestContext", rest_context(c, req), "body",
        body ? body : json_null(), "isBase64Encoded", b64);
    if (c->api->kind == GW_REST) /* REST's events have no version field */
        json_object_del(e, "version");
    json_decref(hl);
    json_decref(ql);
    return e;
}

static json_t *http_context(const gw_call *c, const lc__http_request *req)
{
    char time_text[32], domain[160];
    lc__gw_clf_time(c->epoch_ms, time_text);
    domain_of(c, domain, sizeof domain);
    const char *agent = lc__http_header(req, "User-Agent");
    bool url = c->api->kind == GW_URL;
    json_t *ctx = json_pack(
        "{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:o}, s:s, s:s, s:s, s:s, s:I}", "accountId",
        url ? "anonymous" : c->api->gw->account, "apiId", url ? c->api->url_id : c->api->id,
        "domainName", domain, "domainPrefix", url ? c->api->url_id : c->api->id, "http", "method",
        req->method, "path", req->path, "protocol", "HTTP/1.1", "sourceIp", c->source_ip,
        "userAgent", agent ? header_value(agent) : json_string(""), "requestId", c->request_id,
        "routeKey", c->route->route_key, "stage", c->api->stage, "time", time_text, "timeEpoch",
        (json_int_t)c->epoch_ms);
    if (c->authorizer)
        json_object_set(ctx, "authorizer", c->authorizer);
    return ctx;
}

static json_t *event_v2(const gw_call *c, const lc__http_request *req)
{
    json_t *hl = header_lists(c, req, true);
    json_t *ql = query_lists(req->query);
    json_t *jar = cookies(req);
    bool b64;
    json_t *body = body_value(c, req, &b64);
    json_t *e = json_pack("{s:s, s:s, s:s, s:s}", "version", "2.0", "routeKey", c->route->route_key,
                          "rawPath", req->path, "rawQueryString", req->query);
    if (json_array_size(jar))
        json_object_set(e, "cookies", jar);
    json_object_set_new(e, "headers", joined_values(hl));
    if (ql)
        json_object_set_new(e, "queryStringParameters", joined_values(ql));
    if (c->path_params)
        json_object_set_new(e, "pathParameters", json_deep_copy(c->path_params));
    if (json_object_size(json_object_get(c->api->config, "stageVariables")))
        json_object_set_new(e, "stageVariables", stage_variables(c));
    json_object_set_new(e, "requestContext", http_context(c, req));
    if (body)
        json_object_set_new(e, "body", body);
    json_object_set_new(e, "isBase64Encoded", json_boolean(b64));
    json_decref(hl);
    json_decref(ql);
    json_decref(jar);
    return e;
}

json_t *lc__gw_event(const gw_call *c, const lc__http_request *req)
{
    return c->route->v2 ? event_v2(c, req) : event_v1(c, req);
}
