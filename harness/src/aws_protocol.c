/* The wire protocols of the local AWS endpoint: requests read into calls, stub answers rendered
 * as the service would send them. See aws_protocol.h. */
#include "aws_protocol.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/json_util.h"

#define SCOPE_PREFIX "/_lc/"
#define MAX_QUERY_PARAMS 1000
#define MAX_QUERY_INDEX 1000

static void problem(lc__aws_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(lc__aws_call *c, const char *fmt, ...)
{
    if (c->problem[0] != '\0')
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->problem, sizeof c->problem, fmt, ap);
    va_end(ap);
}

/* --- percent-decoding and forms ----------------------------------------------------------------
 */

static int hexval(int ch)
{
    return ch >= '0' && ch <= '9'   ? ch - '0'
           : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
           : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                    : -1;
}

/* Percent-decodes n bytes of s ('+' as a space when form) into a new string; NULL when the
 * result has a NUL byte or memory runs out. Caller frees. */
static char *pct_decode(const char *s, size_t n, bool form)
{
    char *out = malloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; out && i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
            (lo = hexval((unsigned char)s[i + 2])) >= 0) {
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else
            out[o++] = form && s[i] == '+' ? ' ' : s[i];
    }
    if (out == NULL || memchr(out, '\0', o)) {
        free(out);
        return NULL;
    }
    out[o] = '\0';
    return out;
}

/* The value of name in a query string or form (decoded; caller frees), NULL when absent. */
static char *form_value(const char *form, size_t len, const char *name)
{
    size_t nlen = strlen(name);
    for (size_t i = 0; i < len;) {
        const char *amp = memchr(form + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - form) : len;
        const char *eq = memchr(form + i, '=', end - i);
        size_t key_end = eq ? (size_t)(eq - form) : end;
        char *key = pct_decode(form + i, key_end - i, true);
        bool hit = key && strlen(key) == nlen && strcmp(key, name) == 0;
        free(key);
        if (hit)
            return eq ? pct_decode(eq + 1, end - key_end - 1, true) : strdup("");
        i = end + 1;
    }
    return NULL;
}

/* Sets a dotted query key ("MessageAttribute.1.Value.StringValue") in root: segments that are
 * numbers index lists from 1, as the query protocol numbers them. What does not fit (a key that is
 * both a value and a structure, an index past MAX_QUERY_INDEX) is kept flat under its whole name.
 */
static void set_dotted(json_t *root, const char *key, const char *value)
{
    char *copy = strdup(key), *save = NULL;
    json_t *at = root;
    bool ok = copy != NULL;
    char *seg = ok ? strtok_r(copy, ".", &save) : NULL;
    while (ok && seg) {
        char *next = strtok_r(NULL, ".", &save);
        char *endp;
        long idx = strtol(seg, &endp, 10);
        bool numeric = *seg && *endp == '\0' && idx >= 1 && idx <= MAX_QUERY_INDEX;
        json_t *child = NULL;
        if (numeric && json_is_array(at)) {
            while (json_array_size(at) < (size_t)idx)
                json_array_append_new(at, json_null());
            child = json_array_get(at, (size_t)idx - 1);
            if (next == NULL) {
                json_array_set_new(at, (size_t)idx - 1, json_string(value));
                break;
            }
            if (json_is_null(child)) {
                char *endn;
                long n = strtol(next, &endn, 10);
                child = *endn == '\0' && n >= 1 ? json_array() : json_object();
                if (json_array_set_new(at, (size_t)idx - 1, child) != 0)
                    child = NULL; /* freed */
            }
        } else if (!numeric && json_is_object(at)) {
            if (next == NULL) {
                ok = json_object_get(at, seg) == NULL &&
                     json_object_set_new(at, seg, json_string(value)) == 0;
                break;
            }
            child = json_object_get(at, seg);
            if (child == NULL) {
                char *endn;
                long n = strtol(next, &endn, 10);
                child =
                    *endn == '\0' && n >= 1 && n <= MAX_QUERY_INDEX ? json_array() : json_object();
                if (json_object_set_new(at, seg, child) != 0)
                    child = NULL; /* freed: a key that is not UTF-8 */
            }
        } else
            ok = false;
        if (!json_is_object(child) && !json_is_array(child))
            ok = false;
        at = child;
        seg = next;
    }
    if (!ok && copy && json_object_get(root, key) == NULL)
        json_object_set_new(root, key, json_string(value));
    free(copy);
}

/* The parameters of a query-protocol form, Action and Version aside. */
static void read_form(const char *form, size_t len, lc__aws_call *c)
{
    size_t count = 0;
    for (size_t i = 0; i < len && count < MAX_QUERY_PARAMS; count++) {
        const char *amp = memchr(form + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - form) : len;
        const char *eq = memchr(form + i, '=', end - i);
        size_t key_end = eq ? (size_t)(eq - form) : end;
        char *key = pct_decode(form + i, key_end - i, true);
        char *value = eq ? pct_decode(eq + 1, end - key_end - 1, true) : strdup("");
        if (key == NULL || value == NULL)
            problem(c, "the form has a parameter that does not decode (a %%00 or no memory)");
        else if (*key && strcmp(key, "Action") != 0 && strcmp(key, "Version") != 0)
            set_dotted(c->params, lc_utf8_sanitize(key), lc_utf8_sanitize(value));
        free(key);
        free(value);
        i = end + 1;
    }
}

/* The query protocol names lists and maps by their wire form (SNS: Tags.member.1,
 * MessageAttributes.entry.1.Name; SQS, flattened: MessageAttribute.1.Name,
 * SendMessageBatchRequestEntry.1.Id). The API's own shapes are what stubs and expectations name,
 * as the JSON protocols send them: lists, and maps of name to value. */
static json_t *api_shape(const json_t *v, bool sqs, int depth);

/* A list of {key|Name|Key, value|Value} objects as a map; NULL when it is not one. */
static json_t *as_map(const json_t *list, bool sqs, int depth)
{
    if (!json_is_array(list) || json_array_size(list) == 0)
        return NULL;
    json_t *map = json_object();
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *k = json_string_value(json_object_get(e, "key"));
        const json_t *val = json_object_get(e, "value");
        if (k == NULL) {
            k = json_string_value(json_object_get(e, "Name"));
            val = json_object_get(e, "Value");
        }
        if (k == NULL) {
            k = json_string_value(json_object_get(e, "Key"));
            val = json_object_get(e, "Value");
        }
        if (k == NULL || json_object_size(e) > 2) {
            json_decref(map);
            return NULL;
        }
        json_object_set_new(map, k, val ? api_shape(val, sqs, depth + 1) : json_null());
    }
    return map;
}

/* SQS's flattened member names, as the API names them. */
static const char *sqs_api_name(const char *wire, bool *map)
{
    static const struct {
        const char *wire, *api;
        bool map;
    } names[] = {
        {"MessageAttribute", "MessageAttributes", true},
        {"MessageSystemAttribute", "MessageSystemAttributes", true},
        {"Attribute", "Attributes", true},
        {"Tag", "Tags", true},
        {"AttributeName", "AttributeNames", false},
        {"MessageAttributeName", "MessageAttributeNames", false},
        {"MessageSystemAttributeName", "MessageSystemAttributeNames", false},
        {"TagKey", "TagKeys", false},
        {"SendMessageBatchRequestEntry", "Entries", false},
        {"DeleteMessageBatchRequestEntry", "Entries", false},
        {"ChangeMessageVisibilityBatchRequestEntry", "Entries", false},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].wire, wire) == 0)
            return *map = names[i].map, names[i].api;
    return *map = false, wire;
}

static json_t *api_shape(const json_t *v, bool sqs, int depth)
{
    if (depth > 32)
        return json_deep_copy(v);
    if (json_is_array(v)) {
        json_t *out = json_array();
        size_t i;
        const json_t *item;
        json_array_foreach(v, i, item) json_array_append_new(out, api_shape(item, sqs, depth + 1));
        return out;
    }
    if (!json_is_object(v))
        return json_deep_copy(v);
    const json_t *member = json_object_get(v, "member");
    const json_t *entry = json_object_get(v, "entry");
    if (json_object_size(v) == 1 && json_is_array(member))
        return api_shape(member, sqs, depth + 1);
    json_t *map = json_object_size(v) == 1 ? as_map(entry, sqs, depth) : NULL;
    if (map)
        return map;
    json_t *out = json_object();
    const char *k;
    const json_t *item;
    json_object_foreach((json_t *)v, k, item)
    {
        bool is_map = false;
        const char *name = sqs ? sqs_api_name(k, &is_map) : k;
        json_t *shaped = is_map ? as_map(item, sqs, depth) : NULL;
        json_object_set_new(out, name, shaped ? shaped : api_shape(item, sqs, depth + 1));
    }
    return out;
}

/* --- the credential scope -----------------------------------------------------------------------
 */

/* The service of a credential "AKID/date/region/service/aws4_request" (SigV4a has no region). */
static bool scope_service(const char *credential, size_t len, char *out, size_t size)
{
    const char *parts[6];
    size_t lens[6], n = 0;
    for (size_t i = 0, start = 0; i <= len && n < 6; i++)
        if (i == len || credential[i] == '/') {
            parts[n] = credential + start;
            lens[n++] = i - start;
            start = i + 1;
        }
    if (n < 4 || lens[n - 1] != 12 || strncmp(parts[n - 1], "aws4_request", 12) != 0 ||
        lens[n - 2] == 0 || lens[n - 2] >= size)
        return false;
    memcpy(out, parts[n - 2], lens[n - 2]);
    out[lens[n - 2]] = '\0';
    for (char *p = out; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
            return false;
    return true;
}

static void read_signature(const lc__http_request *req, lc__aws_call *c)
{
    const char *auth = lc__http_header(req, "Authorization");
    const char *cred = auth ? strstr(auth, "Credential=") : NULL;
    if (cred) {
        cred += strlen("Credential=");
        size_t len = strcspn(cred, ", ");
        if (!scope_service(cred, len, c->service_name, sizeof c->service_name))
            problem(c, "the Authorization header's Credential is not "
                       "KEY/DATE/REGION/SERVICE/aws4_request");
        return;
    }
    char *presigned = form_value(req->query, strlen(req->query), "X-Amz-Credential");
    if (presigned &&
        scope_service(presigned, strlen(presigned), c->service_name, sizeof c->service_name)) {
        free(presigned);
        return;
    }
    free(presigned);
    if (auth)
        problem(c, "the Authorization header is not SigV4 (no Credential=)");
    else
        problem(c, "the request is not signed (no Authorization header): an AWS SDK signs "
                   "every call, so this did not come from one");
}

/* --- JSON and query protocols --------------------------------------------------------------------
 */

static void set_call_name(lc__aws_call *c, const char *service, const char *op, size_t op_len)
{
    snprintf(c->operation, sizeof c->operation, "%.*s", (int)op_len, op);
    lc_utf8_sanitize(c->operation); /* a name from the wire: any bytes */
    snprintf(c->call, sizeof c->call, "%s:%s", service, c->operation);
    lc_utf8_sanitize(c->call);
}

static void read_json(const lc__http_request *req, const char *target, lc__aws_call *c)
{
    const char *dot = strrchr(target, '.');
    if (dot == NULL || dot == target || dot[1] == '\0') {
        problem(c, "X-Amz-Target \"%.200s\" is not PREFIX.Operation", target);
        return;
    }
    const lc__aws_service *by_target = lc__aws_service_by_target(target, (size_t)(dot - target));
    if (c->service == NULL)
        c->service = by_target;
    else if (by_target != c->service)
        problem(c, "X-Amz-Target \"%.200s\" is not an operation of %s", target, c->service->name);
    c->protocol = LC__AWS_JSON;
    const char *ct = lc__http_header(req, "Content-Type");
    snprintf(c->json_version, sizeof c->json_version, "%s",
             ct && strstr(ct, "1.1")                  ? "1.1"
             : ct && strstr(ct, "1.0")                ? "1.0"
             : c->service && c->service->json_version ? c->service->json_version
                                                      : "1.1");
    set_call_name(c, c->service ? c->service->name : c->service_name, dot + 1, strlen(dot + 1));
    if (req->body.len == 0)
        return;
    json_error_t jerr;
    json_t *params = json_loadb(req->body.data, req->body.len, JSON_DECODE_ANY, &jerr);
    if (!json_is_object(params)) {
        char why[300];
        snprintf(why, sizeof why, params ? "a JSON %s" : "%s",
                 params ? (json_is_array(params) ? "list" : "value") : jerr.text);
        problem(c, "the body is not a JSON object: %.300s", why);
        json_decref(params);
        return;
    }
    json_decref(c->params);
    c->params = params;
}

static void read_query(const lc__http_request *req, lc__aws_call *c)
{
    c->protocol = LC__AWS_QUERY;
    bool in_body = req->body.len > 0;
    const char *form = in_body ? req->body.data : req->query;
    size_t len = in_body ? req->body.len : strlen(req->query);
    char *action = form_value(form, len, "Action");
    if (action == NULL || action[0] == '\0') {
        problem(c, "the query request has no Action");
        free(action);
        return;
    }
    set_call_name(c, c->service ? c->service->name : c->service_name, action, strlen(action));
    free(action);
    read_form(form, len, c);
    json_t *shaped = api_shape(c->params, c->service && strcmp(c->service->name, "sqs") == 0, 0);
    json_decref(c->params);
    c->params = shaped;
}

/* --- S3 -----------------------------------------------------------------------------------------
 */

static const char *const s3_ops = "GetObject, PutObject, HeadObject, DeleteObject, CopyObject, "
                                  "ListObjectsV2, ListObjects, HeadBucket, ListBuckets";
static const char *const lambda_ops = "Invoke, GetFunction, GetFunctionConfiguration, "
                                      "ListFunctions";

const char *lc__aws_rest_operations(const lc__aws_service *s)
{
    return strcmp(s->name, "s3") == 0 ? s3_ops : strcmp(s->name, "lambda") == 0 ? lambda_ops : "";
}

bool lc__aws_operation_supported(const lc__aws_service *s, const char *operation)
{
    if (s->protocol != LC__AWS_REST_XML && s->protocol != LC__AWS_REST_JSON)
        return lc__aws_service_has(s, operation);
    const char *list = lc__aws_rest_operations(s);
    size_t n = strlen(operation);
    for (const char *p = strstr(list, operation); n && p; p = strstr(p + 1, operation))
        if ((p == list || p[-2] == ',') && (p[n] == ',' || p[n] == '\0'))
            return true;
    return false;
}

/* Decodes an aws-chunked body ("hex[;ext]\r\n<bytes>\r\n" ... "0\r\n<trailers>") in place. */
static bool aws_unchunk(char *body, size_t len, size_t *out_len)
{
    size_t in = 0, out = 0;
    for (;;) {
        const char *crlf = in < len ? memchr(body + in, '\r', len - in) : NULL;
        if (crlf == NULL || (size_t)(crlf - body) + 1 >= len || crlf[1] != '\n')
            return false;
        char *endp;
        unsigned long size = strtoul(body + in, &endp, 16);
        if (endp == body + in)
            return false;
        in = (size_t)(crlf - body) + 2;
        if (size == 0)
            break;
        if (size > len - in || len - in - size < 2 || body[in + size] != '\r')
            return false;
        memmove(body + out, body + in, size);
        out += size;
        in += size + 2;
    }
    *out_len = out;
    return true;
}

/* Metadata headers (x-amz-meta-*) as an object. */
static json_t *s3_metadata(const lc__http_request *req)
{
    json_t *meta = json_object();
    for (size_t i = 0; i < req->n_headers; i++)
        if (strncasecmp(req->headers[i].name, "x-amz-meta-", 11) == 0) {
            char key[256];
            snprintf(key, sizeof key, "%s", req->headers[i].name + 11);
            for (char *p = key; *p; p++)
                *p = (char)tolower((unsigned char)*p);
            json_object_set_new(meta, key, json_string(req->headers[i].value));
        }
    return meta;
}

static void s3_header_param(const lc__http_request *req, lc__aws_call *c, const char *header,
                            const char *param)
{
    const char *v = lc__http_header(req, header);
    if (v)
        json_object_set_new(c->params, param, json_string(v));
}

static void s3_query_param(const lc__http_request *req, lc__aws_call *c, const char *name,
                           const char *param)
{
    char *v = form_value(req->query, strlen(req->query), name);
    if (v) {
        char *endp;
        long n = strtol(v, &endp, 10);
        json_object_set_new(c->params, param,
                            strcmp(param, "MaxKeys") == 0 && *v && *endp == '\0' ? json_integer(n)
                                                                                 : json_string(v));
    }
    free(v);
}

/* UTF-8 with no control character but tabs and line breaks. */
static bool is_text(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7f)
            return false;
    }
    return n == 0 || lc_utf8_valid(s, n);
}

/* The body of a PutObject: text when it is UTF-8 text, else base64 (BodyBase64). */
static void s3_body(const lc__http_request *req, lc__aws_call *c)
{
    char *body = req->body.data;
    size_t len = req->body.len;
    const char *enc = lc__http_header(req, "Content-Encoding");
    const char *sha = lc__http_header(req, "x-amz-content-sha256");
    if ((enc && strstr(enc, "aws-chunked")) || (sha && strncmp(sha, "STREAMING-", 10) == 0)) {
        if (!aws_unchunk(body, len, &len))
            problem(c, "the aws-chunked body does not decode");
    }
    if (is_text(body, len))
        json_object_set_new(c->params, "Body", json_stringn(body ? body : "", len));
    else {
        lc_buf b64;
        lc_buf_init(&b64, 0);
        if (lc_buf_base64_encode(&b64, body, len) == LC_OK)
            json_object_set_new(c->params, "BodyBase64", json_string(b64.data ? b64.data : ""));
        lc_buf_free(&b64);
    }
}

static void s3_operation(const lc__http_request *req, lc__aws_call *c, bool has_key,
                         bool has_bucket)
{
    const char *m = req->method;
    char *list_type = form_value(req->query, strlen(req->query), "list-type");
    const char *op = NULL;
    if (!has_bucket)
        op = strcmp(m, "GET") == 0 ? "ListBuckets" : NULL;
    else if (!has_key)
        op = strcmp(m, "HEAD") == 0                                              ? "HeadBucket"
             : strcmp(m, "GET") == 0 && list_type && strcmp(list_type, "2") == 0 ? "ListObjectsV2"
                                                                                 : NULL;
    else
        op = strcmp(m, "GET") == 0      ? "GetObject"
             : strcmp(m, "HEAD") == 0   ? "HeadObject"
             : strcmp(m, "DELETE") == 0 ? "DeleteObject"
             : strcmp(m, "PUT") == 0
                 ? (lc__http_header(req, "x-amz-copy-source") ? "CopyObject" : "PutObject")
                 : NULL;
    /* a bucket GET with a query is ListObjects (v1) unless it is a bucket subresource */
    if (op == NULL && has_bucket && !has_key && strcmp(m, "GET") == 0 && list_type == NULL) {
        bool subresource = false;
        static const char *const subs[] = {"acl",      "policy",     "cors",         "lifecycle",
                                           "tagging",  "versioning", "location",     "uploads",
                                           "versions", "website",    "notification", "encryption"};
        for (size_t i = 0; i < sizeof subs / sizeof subs[0] && !subresource; i++) {
            char *v = form_value(req->query, strlen(req->query), subs[i]);
            subresource = v != NULL;
            free(v);
        }
        op = subresource ? NULL : "ListObjects";
    }
    /* the JavaScript SDK names the operation in x-id */
    char *x_id = form_value(req->query, strlen(req->query), "x-id");
    if (op && x_id && strcmp(x_id, op) != 0 && lc__aws_service_has(c->service, x_id))
        op = NULL;
    if (op == NULL)
        problem(c,
                "lambdacheck cannot tell which S3 operation %.20s %.300s is; it tells apart "
                "GetObject, PutObject, HeadObject, DeleteObject, CopyObject, ListObjectsV2, "
                "ListObjects, HeadBucket and ListBuckets",
                m, req->target);
    else
        set_call_name(c, "s3", op, strlen(op));
    if (op == NULL && x_id)
        set_call_name(c, "s3", x_id, strlen(x_id));
    free(x_id);
    free(list_type);
}

static void read_s3(const lc__http_request *req, const char *path, lc__aws_call *c)
{
    c->protocol = LC__AWS_REST_XML;
    while (*path == '/')
        path++;
    const char *slash = strchr(path, '/');
    size_t bucket_len = slash ? (size_t)(slash - path) : strlen(path);
    char *bucket = pct_decode(path, bucket_len, false);
    char *key = slash && slash[1] ? pct_decode(slash + 1, strlen(slash + 1), false) : NULL;
    if (bucket == NULL || (slash && slash[1] && key == NULL)) {
        problem(c, "the S3 path %.300s does not decode", req->path);
        free(bucket);
        free(key);
        return;
    }
    if (bucket[0])
        json_object_set_new(c->params, "Bucket", json_string(bucket));
    if (key)
        json_object_set_new(c->params, "Key", json_string(key));
    s3_operation(req, c, key != NULL, bucket[0] != '\0');
    free(bucket);
    free(key);
    if (strcmp(c->operation, "PutObject") == 0) {
        s3_body(req, c);
        s3_header_param(req, c, "Content-Type", "ContentType");
        s3_header_param(req, c, "Cache-Control", "CacheControl");
        s3_header_param(req, c, "x-amz-server-side-encryption", "ServerSideEncryption");
        s3_header_param(req, c, "x-amz-storage-class", "StorageClass");
        s3_header_param(req, c, "x-amz-tagging", "Tagging");
        s3_header_param(req, c, "x-amz-acl", "ACL");
        json_t *meta = s3_metadata(req);
        if (json_object_size(meta))
            json_object_set(c->params, "Metadata", meta);
        json_decref(meta);
    } else if (strcmp(c->operation, "CopyObject") == 0) {
        s3_header_param(req, c, "x-amz-copy-source", "CopySource");
    } else if (strcmp(c->operation, "GetObject") == 0 || strcmp(c->operation, "HeadObject") == 0) {
        s3_header_param(req, c, "Range", "Range");
        s3_header_param(req, c, "If-Match", "IfMatch");
        s3_header_param(req, c, "If-None-Match", "IfNoneMatch");
        s3_query_param(req, c, "versionId", "VersionId");
    } else if (strcmp(c->operation, "ListObjectsV2") == 0 ||
               strcmp(c->operation, "ListObjects") == 0) {
        s3_query_param(req, c, "prefix", "Prefix");
        s3_query_param(req, c, "delimiter", "Delimiter");
        s3_query_param(req, c, "max-keys", "MaxKeys");
        s3_query_param(req, c, "continuation-token", "ContinuationToken");
        s3_query_param(req, c, "start-after", "StartAfter");
        s3_query_param(req, c, "marker", "Marker");
    }
}

/* --- Lambda -------------------------------------------------------------------------------------
 */

static void read_lambda(const lc__http_request *req, const char *path, lc__aws_call *c)
{
    c->protocol = LC__AWS_REST_JSON;
    static const char prefix[] = "/2015-03-31/functions";
    const char *op = NULL;
    char *name = NULL;
    if (strncmp(path, prefix, sizeof prefix - 1) == 0) {
        const char *rest = path + sizeof prefix - 1;
        if ((strcmp(rest, "") == 0 || strcmp(rest, "/") == 0) && strcmp(req->method, "GET") == 0)
            op = "ListFunctions";
        else if (rest[0] == '/') {
            const char *end = strchr(rest + 1, '/');
            size_t n = end ? (size_t)(end - rest - 1) : strlen(rest + 1);
            name = pct_decode(rest + 1, n, false);
            const char *tail = end ? end : "";
            op = strcmp(req->method, "POST") == 0 && strcmp(tail, "/invocations") == 0 ? "Invoke"
                 : strcmp(req->method, "GET") == 0 && tail[0] == '\0' ? "GetFunction"
                 : strcmp(req->method, "GET") == 0 && strcmp(tail, "/configuration") == 0
                     ? "GetFunctionConfiguration"
                     : NULL;
        }
    }
    if (op == NULL) {
        problem(c,
                "lambdacheck cannot tell which Lambda operation %.20s %.300s is; it tells apart "
                "Invoke, GetFunction, GetFunctionConfiguration and ListFunctions",
                req->method, req->path);
        free(name);
        return;
    }
    set_call_name(c, "lambda", op, strlen(op));
    if (name)
        json_object_set_new(c->params, "FunctionName", json_string(name));
    free(name);
    char *qualifier = form_value(req->query, strlen(req->query), "Qualifier");
    if (qualifier)
        json_object_set_new(c->params, "Qualifier", json_string(qualifier));
    free(qualifier);
    if (strcmp(op, "Invoke") != 0)
        return;
    const char *type = lc__http_header(req, "X-Amz-Invocation-Type");
    json_object_set_new(c->params, "InvocationType", json_string(type ? type : "RequestResponse"));
    const char *log = lc__http_header(req, "X-Amz-Log-Type");
    if (log)
        json_object_set_new(c->params, "LogType", json_string(log));
    const char *cc = lc__http_header(req, "X-Amz-Client-Context");
    if (cc)
        json_object_set_new(c->params, "ClientContext", json_string(cc));
    json_t *payload =
        req->body.len ? json_loadb(req->body.data, req->body.len, JSON_DECODE_ANY, NULL) : NULL;
    if (payload == NULL && req->body.len)
        payload = json_stringn(req->body.data, req->body.len); /* NULL when not UTF-8 */
    if (payload)
        json_object_set_new(c->params, "Payload", payload);
}

/* --- reading a request -------------------------------------------------------------------------
 */

/* Strips "/_lc/<scope>" off the path into c->scope; returns the rest ("/" at least). */
static const char *take_scope(const char *path, lc__aws_call *c)
{
    if (strncmp(path, SCOPE_PREFIX, sizeof SCOPE_PREFIX - 1) != 0)
        return path;
    const char *s = path + sizeof SCOPE_PREFIX - 1;
    size_t n = strcspn(s, "/");
    if (n == 0 || n >= sizeof c->scope)
        return path;
    memcpy(c->scope, s, n);
    c->scope[n] = '\0';
    return s[n] ? s + n : "/";
}

void lc__aws_read(const lc__http_request *req, lc__aws_call *c)
{
    memset(c, 0, sizeof *c);
    c->params = json_object();
    const char *path = take_scope(req->path, c);
    read_signature(req, c);
    if (c->service_name[0]) {
        c->service = lc__aws_service_named(c->service_name);
        if (c->service == NULL) {
            char names[300] = "";
            for (size_t i = 0, n = 0; i < lc__aws_service_count() && n < sizeof names; i++)
                n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", i ? ", " : "",
                                      lc__aws_service_at(i)->name);
            problem(c,
                    "cannot stub calls to the AWS service \"%s\" (the signature's scope): it "
                    "stubs %s; pass --aws-endpoint to send the calls to an emulator that has it",
                    c->service_name, names);
        }
    }
    const char *target = lc__http_header(req, "X-Amz-Target");
    const char *ct = lc__http_header(req, "Content-Type");
    if (target)
        read_json(req, target, c);
    else if (c->service && c->service->protocol == LC__AWS_REST_XML)
        read_s3(req, path, c);
    else if (c->service && c->service->protocol == LC__AWS_REST_JSON)
        read_lambda(req, path, c);
    else if ((ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0) ||
             strstr(req->query, "Action="))
        read_query(req, c);
    else {
        c->protocol = ct && strstr(ct, "json") ? LC__AWS_JSON : LC__AWS_QUERY;
        problem(c,
                "the request names no operation: no X-Amz-Target, no Action, and not an S3 or "
                "Lambda path (%.300s)",
                req->path);
    }
    if (c->service && c->operation[0] && !lc__aws_service_has(c->service, c->operation))
        problem(c, "%s has no operation %s", c->service->name, c->operation);
}

void lc__aws_call_clear(lc__aws_call *c)
{
    json_decref(c->params);
    c->params = NULL;
}

/* --- a call, briefly -------------------------------------------------------------------------- */

static const char *const identifying[] = {"TableName",  "QueueUrl",        "Bucket",
                                          "Key",        "FunctionName",    "TopicArn",
                                          "TargetArn",  "PhoneNumber",     "SecretId",
                                          "Name",       "Names",           "Path",
                                          "StreamName", "StreamARN",       "DeliveryStreamName",
                                          "KeyId",      "stateMachineArn", "executionArn",
                                          "QueueName",  "RoleArn",         "Prefix",
                                          "Statement"};

void lc__aws_call_brief(const lc__aws_call *c, char *out, size_t size)
{
    lc_buf b;
    lc_buf_init(&b, size > 1 ? size - 1 : 1);
    for (size_t i = 0; c->params && i < sizeof identifying / sizeof identifying[0]; i++) {
        const json_t *v = json_object_get(c->params, identifying[i]);
        char *text =
            v ? (json_is_string(v) ? strdup(json_string_value(v)) : lc_json_brief(v, 80)) : NULL;
        if (text)
            lc_buf_printf(&b, "%s%s=%.120s", b.len ? ", " : "", identifying[i], text);
        free(text);
    }
    snprintf(out, size, "%s", b.data ? b.data : "");
    lc_buf_free(&b);
}

/* --- answers ------------------------------------------------------------------------------------
 */

void lc__aws_answer_clear(lc__aws_answer *a)
{
    for (size_t i = 0; i < sizeof a->headers / sizeof a->headers[0]; i++)
        free(a->headers[i]);
    free(a->body);
    memset(a, 0, sizeof *a);
}

static void add_header(lc__aws_answer *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_header(lc__aws_answer *a, const char *fmt, ...)
{
    size_t n = 0;
    while (n + 1 < sizeof a->headers / sizeof a->headers[0] && a->headers[n])
        n++;
    if (n + 1 >= sizeof a->headers / sizeof a->headers[0])
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    for (char *p = line; *p; p++) /* a header value cannot hold a line break */
        if (*p == '\r' || *p == '\n')
            *p = ' ';
    a->headers[n] = strdup(line);
}

static void take_buf(lc__aws_answer *a, lc_buf *b)
{
    a->body_len = b->len;
    a->body = b->data ? lc_buf_take(b) : strdup("");
}

/* XML text with &, <, > and quotes escaped; characters XML 1.0 cannot hold are dropped. */
static void xml_text(lc_buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '&')
            lc_buf_puts(b, "&amp;");
        else if (ch == '<')
            lc_buf_puts(b, "&lt;");
        else if (ch == '>')
            lc_buf_puts(b, "&gt;");
        else if (ch == '"')
            lc_buf_puts(b, "&quot;");
        else if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r')
            continue;
        else
            lc_buf_append(b, s, 1);
    }
}

/* A string, number or boolean as XML text; anything else writes nothing. */
static void xml_scalar(lc_buf *b, const json_t *v)
{
    if (json_is_string(v))
        xml_text(b, json_string_value(v));
    else if (json_is_true(v) || json_is_false(v))
        lc_buf_puts(b, json_is_true(v) ? "true" : "false");
    else if (json_is_integer(v))
        lc_buf_printf(b, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        lc_buf_printf(b, "%.17g", json_real_value(v));
}

static void s3_value(lc_buf *b, const json_t *v, int depth);

/* S3's XML: an element <name>value</name>; a list is flattened, one <name> element per item. */
static void s3_element(lc_buf *b, const char *name, const json_t *v, int depth)
{
    if (json_is_array(v)) {
        size_t i;
        const json_t *item;
        json_array_foreach(v, i, item) s3_element(b, name, item, depth + 1);
        return;
    }
    lc_buf_puts(b, "<");
    xml_text(b, name);
    lc_buf_puts(b, ">");
    s3_value(b, v, depth + 1);
    lc_buf_puts(b, "</");
    xml_text(b, name);
    lc_buf_puts(b, ">");
}

static void s3_value(lc_buf *b, const json_t *v, int depth)
{
    if (depth > 64)
        return;
    const char *k;
    const json_t *item;
    if (json_is_object(v))
        json_object_foreach((json_t *)v, k, item) s3_element(b, k, item, depth);
    else
        xml_scalar(b, v);
}

static void common_headers(lc__aws_answer *a, const char *request_id)
{
    add_header(a, "x-amzn-RequestId: %s", request_id);
    add_header(a, "x-amz-request-id: %s", request_id);
}

static void json_body(lc__aws_answer *a, const json_t *v)
{
    a->body = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (a->body == NULL)
        a->body = strdup("{}");
    a->body_len = a->body ? strlen(a->body) : 0;
}

/* --- the query protocol's XML ------------------------------------------------------------------
 * A structure is its members as elements; a list is <member> elements (SNS, STS), or, in SQS,
 * one element per item named after the item's shape (flattened: Message, not Messages); a map is
 * <entry><key/><value/></entry> elements (SNS), or SQS's flattened <Attribute><Name/><Value/>
 * elements. Which members are lists or maps, and their items' names, are those of the services'
 * API models for the operations below. */

typedef struct {
    bool sqs;
    const char *operation;
} query_style;

/* SQS: the element name of one item of list member `name`. */
static const char *sqs_item_name(const char *name, const query_style *st)
{
    if (strcmp(name, "Successful") == 0)
        return strcmp(st->operation, "DeleteMessageBatch") == 0 ? "DeleteMessageBatchResultEntry"
               : strcmp(st->operation, "ChangeMessageVisibilityBatch") == 0
                   ? "ChangeMessageVisibilityBatchResultEntry"
                   : "SendMessageBatchResultEntry";
    if (strcmp(name, "Failed") == 0)
        return "BatchResultErrorEntry";
    if (strcmp(name, "Messages") == 0)
        return "Message";
    if (strcmp(name, "QueueUrls") == 0)
        return "QueueUrl";
    if (strcmp(name, "queueUrls") == 0)
        return "QueueUrl";
    return name;
}

/* Whether member `name` is a map; item/key/value get its element names. */
static bool query_map(const char *name, const query_style *st, const char **item, const char **key,
                      const char **value)
{
    if (st->sqs) {
        *key = "Name";
        *value = "Value";
        if (strcmp(name, "Attributes") == 0)
            return *item = "Attribute", true;
        if (strcmp(name, "MessageAttributes") == 0)
            return *item = "MessageAttribute", true;
        if (strcmp(name, "Tags") == 0)
            return *item = "Tag", *key = "Key", true;
        return false;
    }
    *item = "entry";
    *key = "key";
    *value = "value";
    return strcmp(name, "Attributes") == 0 || strcmp(name, "attributes") == 0;
}

static void query_element(lc_buf *b, const char *name, const json_t *v, const query_style *st,
                          int depth);

static void query_members(lc_buf *b, const json_t *v, const query_style *st, int depth)
{
    if (depth > 64)
        return;
    if (json_is_object(v)) {
        const char *k;
        const json_t *item;
        json_object_foreach((json_t *)v, k, item) query_element(b, k, item, st, depth + 1);
    } else
        xml_scalar(b, v);
}

static void open_tag(lc_buf *b, const char *name)
{
    lc_buf_puts(b, "<");
    xml_text(b, name);
    lc_buf_puts(b, ">");
}

static void close_tag(lc_buf *b, const char *name)
{
    lc_buf_puts(b, "</");
    xml_text(b, name);
    lc_buf_puts(b, ">");
}

static void query_element(lc_buf *b, const char *name, const json_t *v, const query_style *st,
                          int depth)
{
    const char *item_name, *key_name, *value_name;
    if (json_is_object(v) && query_map(name, st, &item_name, &key_name, &value_name)) {
        if (!st->sqs)
            open_tag(b, name);
        const char *k;
        const json_t *item;
        json_object_foreach((json_t *)v, k, item)
        {
            open_tag(b, item_name);
            open_tag(b, key_name);
            xml_text(b, k);
            close_tag(b, key_name);
            open_tag(b, value_name);
            query_members(b, item, st, depth + 1);
            close_tag(b, value_name);
            close_tag(b, item_name);
        }
        if (!st->sqs)
            close_tag(b, name);
        return;
    }
    if (json_is_array(v)) {
        const char *each = st->sqs ? sqs_item_name(name, st) : "member";
        size_t i;
        const json_t *item;
        if (!st->sqs)
            open_tag(b, name);
        json_array_foreach(v, i, item)
        {
            open_tag(b, each);
            query_members(b, item, st, depth + 1);
            close_tag(b, each);
        }
        if (!st->sqs)
            close_tag(b, name);
        return;
    }
    open_tag(b, name);
    query_members(b, v, st, depth + 1);
    close_tag(b, name);
}

static void render_query(const lc__aws_call *c, const json_t *respond, const char *request_id,
                         lc__aws_answer *a)
{
    lc_buf b;
    lc_buf_init(&b, 0);
    const char *ns = c->service && c->service->xmlns ? c->service->xmlns : "";
    lc_buf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%sResponse xmlns=\"",
                  c->operation);
    xml_text(&b, ns);
    lc_buf_printf(&b, "\"><%sResult>", c->operation);
    query_style st = {.sqs = c->service && strcmp(c->service->name, "sqs") == 0,
                      .operation = c->operation};
    query_members(&b, respond, &st, 1);
    lc_buf_printf(&b, "</%sResult><ResponseMetadata><RequestId>", c->operation);
    xml_text(&b, request_id);
    lc_buf_printf(&b, "</RequestId></ResponseMetadata></%sResponse>", c->operation);
    a->status = 200;
    add_header(a, "Content-Type: %s", "text/xml");
    take_buf(a, &b);
}

/* S3: the object's bytes of a GetObject (Body as text, or BodyBase64), else "" */
static void s3_object_bytes(const json_t *respond, lc_buf *out)
{
    const char *text = json_string_value(json_object_get(respond, "Body"));
    const char *b64 = json_string_value(json_object_get(respond, "BodyBase64"));
    if (text)
        lc_buf_append(out, text, json_string_length(json_object_get(respond, "Body")));
    else if (b64)
        lc_buf_base64_decode(out, b64, strlen(b64));
}

static void s3_object_headers(const json_t *respond, lc__aws_answer *a)
{
    const char *ct = json_string_value(json_object_get(respond, "ContentType"));
    add_header(a, "Content-Type: %s", ct ? ct : "application/octet-stream");
    const char *etag = json_string_value(json_object_get(respond, "ETag"));
    add_header(a, "ETag: %s", etag ? etag : "\"d41d8cd98f00b204e9800998ecf8427e\"");
    const char *lm = json_string_value(json_object_get(respond, "LastModified"));
    add_header(a, "Last-Modified: %s", lm ? lm : "Wed, 02 Dec 2026 00:00:00 GMT");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)json_object_get(respond, "Metadata"), k, v)
    {
        char line[600];
        snprintf(line, sizeof line, "x-amz-meta-%.200s: %.300s", k,
                 json_is_string(v) ? json_string_value(v) : "");
        add_header(a, "%s", line);
    }
}

static void render_s3(const lc__aws_call *c, const json_t *respond, lc__aws_answer *a)
{
    const char *op = c->operation;
    lc_buf b;
    lc_buf_init(&b, 0);
    a->status = 200;
    if (strcmp(op, "GetObject") == 0 || strcmp(op, "HeadObject") == 0) {
        s3_object_bytes(respond, &b);
        s3_object_headers(respond, a); /* HEAD: the server sends the length, not the bytes */
    } else if (strcmp(op, "PutObject") == 0 || strcmp(op, "CopyObject") == 0) {
        const char *etag = json_string_value(json_object_get(respond, "ETag"));
        add_header(a, "ETag: %s", etag ? etag : "\"d41d8cd98f00b204e9800998ecf8427e\"");
        const char *version = json_string_value(json_object_get(respond, "VersionId"));
        if (version)
            add_header(a, "x-amz-version-id: %s", version);
        if (strcmp(op, "CopyObject") == 0) {
            lc_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyObjectResult><ETag>");
            xml_text(&b, etag ? etag : "\"d41d8cd98f00b204e9800998ecf8427e\"");
            lc_buf_puts(&b, "</ETag><LastModified>2026-12-02T00:00:00.000Z</LastModified>"
                            "</CopyObjectResult>");
            add_header(a, "Content-Type: %s", "application/xml");
        }
    } else if (strcmp(op, "DeleteObject") == 0 || strcmp(op, "HeadBucket") == 0) {
        a->status = strcmp(op, "DeleteObject") == 0 ? 204 : 200;
    } else { /* the listings: ListBucketResult / ListAllMyBucketsResult */
        const char *root =
            strcmp(op, "ListBuckets") == 0 ? "ListAllMyBucketsResult" : "ListBucketResult";
        lc_buf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%s xmlns=\"%s\">", root,
                      c->service->xmlns);
        json_t *body = json_is_object(respond) ? json_deep_copy(respond) : json_object();
        const char *bucket = json_string_value(json_object_get(c->params, "Bucket"));
        if (bucket && !json_object_get(body, "Name"))
            json_object_set_new(body, "Name", json_string(bucket));
        if (!json_object_get(body, "IsTruncated") && strcmp(op, "ListBuckets") != 0)
            json_object_set_new(body, "IsTruncated", json_false());
        if (strcmp(op, "ListObjectsV2") == 0 && !json_object_get(body, "KeyCount"))
            json_object_set_new(
                body, "KeyCount",
                json_integer((json_int_t)json_array_size(json_object_get(body, "Contents"))));
        if (strcmp(op, "ListBuckets") == 0 && json_is_array(json_object_get(body, "Buckets"))) {
            json_t *wrapped = json_object(); /* <Buckets><Bucket>..</Bucket></Buckets> */
            json_object_set(wrapped, "Bucket", json_object_get(body, "Buckets"));
            json_object_set_new(body, "Buckets", wrapped);
        }
        s3_value(&b, body, 1);
        json_decref(body);
        lc_buf_printf(&b, "</%s>", root);
        add_header(a, "Content-Type: %s", "application/xml");
    }
    take_buf(a, &b);
}

static void render_lambda(const lc__aws_call *c, const json_t *respond, lc__aws_answer *a)
{
    if (strcmp(c->operation, "Invoke") != 0) {
        a->status = 200;
        add_header(a, "Content-Type: %s", "application/json");
        json_body(a, respond);
        return;
    }
    const char *type = json_string_value(json_object_get(c->params, "InvocationType"));
    json_int_t status = json_integer_value(json_object_get(respond, "StatusCode"));
    a->status = status                                ? (int)status
                : type && strcmp(type, "Event") == 0  ? 202
                : type && strcmp(type, "DryRun") == 0 ? 204
                                                      : 200;
    add_header(a, "Content-Type: %s", "application/json");
    const char *fe = json_string_value(json_object_get(respond, "FunctionError"));
    if (fe)
        add_header(a, "X-Amz-Function-Error: %s", fe);
    const char *version = json_string_value(json_object_get(respond, "ExecutedVersion"));
    add_header(a, "X-Amz-Executed-Version: %s", version ? version : "$LATEST");
    const char *log = json_string_value(json_object_get(respond, "LogResult"));
    if (log)
        add_header(a, "X-Amz-Log-Result: %s", log);
    const json_t *payload = json_object_get(respond, "Payload");
    if (a->status == 200 && payload)
        json_body(a, payload);
    else if (a->status == 200)
        json_body(a, json_null());
    else
        a->body = strdup(""), a->body_len = 0;
}

void lc__aws_render_result(const lc__aws_call *c, const json_t *respond, const char *request_id,
                           lc__aws_answer *a)
{
    memset(a, 0, sizeof *a);
    json_t *empty = json_object();
    if (respond == NULL)
        respond = empty;
    common_headers(a, request_id);
    switch (c->protocol) {
    case LC__AWS_JSON:
        a->status = 200;
        add_header(a, "Content-Type: application/x-amz-json-%s",
                   c->json_version[0] ? c->json_version : "1.0");
        json_body(a, respond);
        break;
    case LC__AWS_QUERY:
        render_query(c, respond, request_id, a);
        break;
    case LC__AWS_REST_XML:
        render_s3(c, respond, a);
        break;
    case LC__AWS_REST_JSON:
        render_lambda(c, respond, a);
        break;
    }
    json_decref(empty);
}

/* The status a service answers an error code with, when the stub does not say. */
static int default_status(const lc__aws_call *c, const char *code)
{
    static const struct {
        const char *code;
        int status;
    } known[] = {{"NoSuchKey", 404},
                 {"NoSuchBucket", 404},
                 {"NotFound", 404},
                 {"AccessDenied", 403},
                 {"AccessDeniedException", 403},
                 {"InternalFailure", 500},
                 {"InternalServerError", 500},
                 {"ServiceUnavailable", 503},
                 {"ServiceException", 500},
                 {"TooManyRequestsException", 429},
                 {"ThrottlingException", 400},
                 {"SlowDown", 503}};
    if (c->protocol == LC__AWS_REST_JSON && strcmp(code, "ResourceNotFoundException") == 0)
        return 404;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(known[i].code, code) == 0)
            return known[i].status;
    return 400;
}

void lc__aws_render_error(const lc__aws_call *c, int status, const char *code, const char *message,
                          const char *request_id, lc__aws_answer *a)
{
    memset(a, 0, sizeof *a);
    a->status = status ? status : default_status(c, code);
    common_headers(a, request_id);
    lc_buf b;
    lc_buf_init(&b, 0);
    if (c->protocol == LC__AWS_JSON || c->protocol == LC__AWS_REST_JSON) {
        add_header(a, "x-amzn-ErrorType: %s", code);
        if (c->service && strcmp(c->service->name, "sqs") == 0)
            add_header(a, "x-amzn-query-error: %s;Sender", code);
        add_header(a,
                   c->protocol == LC__AWS_JSON ? "Content-Type: application/x-amz-json-%s"
                                               : "Content-Type: application/json%s",
                   c->protocol == LC__AWS_JSON ? (c->json_version[0] ? c->json_version : "1.0")
                                               : "");
        json_t *body = json_object(); /* code and message may be any bytes: sanitized copies */
        char *safe_code = lc_utf8_sanitize(strdup(code)),
             *safe_msg = lc_utf8_sanitize(strdup(message));
        json_object_set_new(
            body, c->protocol == LC__AWS_JSON ? "__type" : "Type",
            json_string(c->protocol == LC__AWS_JSON && safe_code ? safe_code : "User"));
        json_object_set_new(body, "message", json_string(safe_msg ? safe_msg : ""));
        if (c->protocol == LC__AWS_REST_JSON)
            json_object_set_new(body, "__type", json_string(safe_code ? safe_code : ""));
        free(safe_code);
        free(safe_msg);
        json_body(a, body);
        json_decref(body);
        return;
    }
    add_header(a, "Content-Type: %s",
               c->protocol == LC__AWS_QUERY ? "text/xml" : "application/xml");
    if (c->service == NULL && strcmp(c->service_name, "ec2") == 0) { /* EC2's query dialect */
        lc_buf_puts(&b,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>");
        xml_text(&b, code);
        lc_buf_puts(&b, "</Code><Message>");
        xml_text(&b, message);
        lc_buf_puts(&b, "</Message></Error></Errors><RequestID>");
        xml_text(&b, request_id);
        lc_buf_puts(&b, "</RequestID></Response>");
        take_buf(a, &b);
        return;
    }
    if (c->protocol == LC__AWS_QUERY) {
        lc_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"");
        xml_text(&b, c->service && c->service->xmlns ? c->service->xmlns : "");
        lc_buf_puts(&b, "\"><Error><Type>Sender</Type><Code>");
    } else
        lc_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>");
    xml_text(&b, code);
    lc_buf_puts(&b, "</Code><Message>");
    xml_text(&b, message);
    lc_buf_puts(&b, c->protocol == LC__AWS_QUERY ? "</Message></Error><RequestId>"
                                                 : "</Message><RequestId>");
    xml_text(&b, request_id);
    lc_buf_puts(&b, c->protocol == LC__AWS_QUERY ? "</RequestId></ErrorResponse>"
                                                 : "</RequestId></Error>");
    take_buf(a, &b);
}

/* --- results the SDKs check ------------------------------------------------------------------- */

static void md5_hex(const char *text, char out[33])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    out[0] = '\0';
    if (EVP_Digest(text, strlen(text), digest, &n, EVP_md5(), NULL) != 1)
        return;
    for (unsigned int i = 0; i < n && i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

/* Sets key to the MD5 of text in obj unless obj has it. */
static void fill_md5(json_t *obj, const char *key, const char *text)
{
    char hex[33];
    if (!json_is_object(obj) || json_object_get(obj, key) || text == NULL)
        return;
    md5_hex(text, hex);
    json_object_set_new(obj, key, json_string(hex));
}

/* The message body of a SendMessageBatch entry of that Id (JSON: Entries[]; query:
 * SendMessageBatchRequestEntry[]). */
static const char *batch_body(const json_t *params, const char *id)
{
    const json_t *entries = json_object_get(params, "Entries");
    if (entries == NULL)
        entries = json_object_get(params, "SendMessageBatchRequestEntry");
    size_t i;
    const json_t *e;
    json_array_foreach(entries, i, e)
    {
        const char *eid = json_string_value(json_object_get(e, "Id"));
        if (eid && id && strcmp(eid, id) == 0)
            return json_string_value(json_object_get(e, "MessageBody"));
    }
    return NULL;
}

json_t *lc__aws_complete_result(const lc__aws_call *c, const json_t *respond)
{
    json_t *out = json_is_object(respond) ? json_deep_copy(respond)
                  : respond               ? json_incref((json_t *)respond)
                                          : json_object();
    if (c->service == NULL || strcmp(c->service->name, "sqs") != 0 || !json_is_object(out))
        return out;
    if (strcmp(c->operation, "SendMessage") == 0)
        fill_md5(out, "MD5OfMessageBody",
                 json_string_value(json_object_get(c->params, "MessageBody")));
    size_t i;
    json_t *item;
    if (strcmp(c->operation, "SendMessageBatch") == 0)
        json_array_foreach(json_object_get(out, "Successful"), i, item)
            fill_md5(item, "MD5OfMessageBody",
                     batch_body(c->params, json_string_value(json_object_get(item, "Id"))));
    if (strcmp(c->operation, "ReceiveMessage") == 0)
        json_array_foreach(json_object_get(out, "Messages"), i, item)
            fill_md5(item, "MD5OfBody", json_string_value(json_object_get(item, "Body")));
    return out;
}

/* --- stub answers, checked ----------------------------------------------------------------------
 */

bool lc__aws_closest(const char *names, const char *given, size_t limit, char *out, size_t size)
{
    size_t best = limit;
    out[0] = '\0';
    for (const char *p = names; *p;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (n == 0)
            break;
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)n, p);
        size_t d = lc_name_distance(given, name);
        if (d < best) {
            best = d;
            snprintf(out, size, "%s", name);
        }
        p += n;
    }
    return out[0] != '\0';
}

/* --- DynamoDB's AttributeValues --------------------------------------------------------------- */

static bool attribute_value(const json_t *v, int depth);

/* An item: an object of AttributeValues. */
static bool item_of_values(const json_t *item, int depth)
{
    if (!json_is_object(item) || depth > 32)
        return false;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)item, k, v) if (!attribute_value(v, depth + 1)) return false;
    return true;
}

static bool attribute_value(const json_t *v, int depth)
{
    static const char *const types[] = {"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"};
    if (!json_is_object(v) || json_object_size(v) != 1 || depth > 32)
        return false;
    const char *type = json_object_iter_key(json_object_iter((json_t *)v));
    const json_t *inner = json_object_iter_value(json_object_iter((json_t *)v));
    bool known = false;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        known |= strcmp(type, types[i]) == 0;
    if (!known)
        return false;
    if (strcmp(type, "M") == 0)
        return item_of_values(inner, depth + 1);
    if (strcmp(type, "L") == 0) {
        size_t i;
        const json_t *e;
        if (!json_is_array(inner))
            return false;
        json_array_foreach(inner, i, e) if (!attribute_value(e, depth + 1)) return false;
        return true;
    }
    if (strcmp(type, "NULL") == 0 || strcmp(type, "BOOL") == 0)
        return json_is_boolean(inner);
    if (type[1] == 'S') /* SS, NS, BS */
        return json_is_array(inner);
    return json_is_string(inner);
}

#define ATTRIBUTE_VALUE_HELP                                                                       \
    ": DynamoDB's wire has type descriptors ({\"id\": {\"S\": \"42\"}, \"n\": {\"N\": \"1\"}}); "  \
    "@aws-sdk/lib-dynamodb and boto3's resource turn them into plain values for the handler"

/* DynamoDB results whose items must be written with type descriptors. */
static const char *dynamodb_items_problem(const char *operation, const json_t *respond)
{
    static const char *const single[] = {"Item", "Attributes", "LastEvaluatedKey"};
    for (size_t i = 0; i < 3; i++) {
        const json_t *item = json_object_get(respond, single[i]);
        if (item && !item_of_values(item, 0))
            return i == 0 ? "respond.Item is not an item of AttributeValues" ATTRIBUTE_VALUE_HELP
                   : i == 1
                       ? "respond.Attributes is not an item of AttributeValues" ATTRIBUTE_VALUE_HELP
                       : "respond.LastEvaluatedKey is not a key of "
                         "AttributeValues" ATTRIBUTE_VALUE_HELP;
    }
    const json_t *items = json_object_get(respond, "Items");
    size_t i;
    const json_t *e;
    if (items && !json_is_array(items))
        return "respond.Items must be a list of items";
    json_array_foreach(
        items, i, e) if (!item_of_values(e, 0)) return "respond.Items holds an item that is not of "
                                                       "AttributeValues" ATTRIBUTE_VALUE_HELP;
    const json_t *responses =
        strcmp(operation, "BatchGetItem") == 0 ? json_object_get(respond, "Responses") : NULL;
    const char *table;
    const json_t *list;
    json_object_foreach((json_t *)responses, table, list)
    {
        if (!json_is_array(list))
            return "respond.Responses maps each table to a list of items";
        json_array_foreach(
            list, i,
            e) if (!item_of_values(e, 0)) return "respond.Responses holds an item that is not of "
                                                 "AttributeValues" ATTRIBUTE_VALUE_HELP;
    }
    return NULL;
}

/* A respond member the result does not have but one it has is close to ("items" for Items); the
 * closest into near. */
static bool misspelt_member(const char *members, const char *key, char *near, size_t size)
{
    char padded[140];
    snprintf(padded, sizeof padded, " %s ", key);
    if (strstr(members, padded) || strcmp(key, "BodyBase64") == 0)
        return false;
    return lc__aws_closest(members, key, 3, near, size);
}

static _Thread_local char member_problem[600]; /* the message of the last misspelt member */

const char *lc__aws_respond_problem(const lc__aws_service *s, const char *operation,
                                    const json_t *respond)
{
    if (!json_is_object(respond))
        return "respond must be an object: the operation's result, written as JSON";
    const char *members = lc__aws_output_members(s->name, operation);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)respond, key, v)
    {
        char near[128];
        if (members && misspelt_member(members, key, near, sizeof near)) {
            snprintf(
                member_problem, sizeof member_problem,
                "respond.%.100s: %.60s's result has no member %.100s (did you mean %.100s?); the "
                "SDK would ignore it",
                key, operation, key, near);
            return member_problem;
        }
    }
    if (strcmp(s->name, "dynamodb") == 0) {
        const char *why = dynamodb_items_problem(operation, respond);
        if (why)
            return why;
    }
    if (strcmp(s->name, "s3") == 0 &&
        (strcmp(operation, "GetObject") == 0 || strcmp(operation, "HeadObject") == 0)) {
        const json_t *body = json_object_get(respond, "Body");
        const json_t *b64 = json_object_get(respond, "BodyBase64");
        if (body && b64)
            return "respond has both Body (text) and BodyBase64: give one";
        if (body && !json_is_string(body))
            return "respond.Body must be a string (the object's text; BodyBase64 for bytes)";
        if (b64) {
            lc_buf out;
            lc_buf_init(&out, 0);
            bool ok = json_is_string(b64) && lc_buf_base64_decode(&out, json_string_value(b64),
                                                                  json_string_length(b64)) == LC_OK;
            lc_buf_free(&out);
            if (!ok)
                return "respond.BodyBase64 is not base64";
        }
        const json_t *meta = json_object_get(respond, "Metadata");
        if (meta && !json_is_object(meta))
            return "respond.Metadata must be an object of strings";
    }
    if (strcmp(s->name, "lambda") == 0 && strcmp(operation, "Invoke") == 0) {
        const json_t *sc = json_object_get(respond, "StatusCode");
        if (sc &&
            (!json_is_integer(sc) || json_integer_value(sc) < 200 || json_integer_value(sc) > 299))
            return "respond.StatusCode must be 200, 202 or 204";
        const json_t *fe = json_object_get(respond, "FunctionError");
        if (fe && !json_is_string(fe))
            return "respond.FunctionError must be a string (\"Unhandled\")";
    }
    return NULL;
}
