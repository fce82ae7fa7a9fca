/* The response contracts of event sources (spec section 5): part of the contracts module. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/contracts.h"

/* A rule's failure: "<what the service would do>: <why>". */
typedef struct {
    char reason[900];
    bool failed;
} finding;

static bool fail(finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool fail(finding *f, const char *fmt, ...)
{
    if (f->failed)
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->reason, sizeof f->reason, fmt, ap);
    va_end(ap);
    f->failed = true;
    return false;
}

static const char *kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static const char *brief(const json_t *v, char *out, size_t size)
{
    char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    snprintf(out, size, "%.80s", text ? text : "?");
    free(text);
    return out;
}

static bool in(const char *s, const char *const *set)
{
    for (; s && *set; set++)
        if (strcmp(s, *set) == 0)
            return true;
    return false;
}

/* --- HTTP proxies ---------------------------------------------------------------------------- */

static bool string_map(const json_t *obj, const char *name, const char *who, finding *f)
{
    if (obj == NULL)
        return true;
    if (!json_is_object(obj))
        return fail(f, "%s: %s must be an object of strings, got %s", who, name, kind(obj));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        if (!json_is_string(v))
            return fail(f, "%s: %s.%s must be a string, got %s", who, name, key, kind(v));
    }
    return true;
}

static bool list_map(const json_t *obj, const char *name, const char *who, finding *f)
{
    if (obj == NULL)
        return true;
    if (!json_is_object(obj))
        return fail(f, "%s: %s must be an object of lists of strings", who, name);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        size_t i;
        json_t *item;
        if (!json_is_array(v))
            return fail(f, "%s: %s.%s must be a list of strings, got %s", who, name, key,
                        kind(v));
        json_array_foreach(v, i, item)
        {
            if (!json_is_string(item))
                return fail(f, "%s: %s.%s[%zu] must be a string", who, name, key, i);
        }
    }
    return true;
}

/* The fields all proxy integrations share. allowed: the keys this integration accepts. */
static bool proxy_shape(const json_t *r, const char *who, const char *const *allowed, finding *f)
{
    char b[100];
    if (!json_is_object(r))
        return fail(f, "%s: the response must be a JSON object with statusCode, got %s", who,
                    kind(r));
    json_t *code = json_object_get(r, "statusCode");
    if (!json_is_integer(code))
        return fail(f, "%s: statusCode must be an integer, got %s", who,
                    code ? brief(code, b, sizeof b) : "nothing");
    json_t *body = json_object_get(r, "body");
    if (body && !json_is_string(body) && !json_is_null(body))
        return fail(f, "%s: body must be a string (JSON-encode it), got %s", who, kind(body));
    json_t *b64 = json_object_get(r, "isBase64Encoded");
    if (b64 && !json_is_boolean(b64))
        return fail(f, "%s: isBase64Encoded must be a boolean, got %s", who, kind(b64));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)r, key, v)
    {
        if (!in(key, allowed))
            return fail(f, "%s: unexpected key \"%s\" in the response", who, key);
    }
    return string_map(json_object_get(r, "headers"), "headers", who, f) &&
           list_map(json_object_get(r, "multiValueHeaders"), "multiValueHeaders", who, f);
}

static bool rest_response(const json_t *e, const json_t *r, finding *f)
{
    static const char *const keys[] = {"statusCode", "headers", "multiValueHeaders", "body",
                                       "isBase64Encoded", NULL};
    (void)e;
    return proxy_shape(r, "API Gateway would answer 502 (Malformed Lambda proxy response)", keys,
                       f);
}

static bool http_api_response(const json_t *e, const json_t *r, finding *f, const char *service)
{
    static const char *const keys[] = {"statusCode", "headers", "body", "isBase64Encoded",
                                       "cookies", NULL};
    char who[120];
    (void)e;
    snprintf(who, sizeof who, "%s would answer 500", service);
    if (!json_is_object(r) || json_object_get(r, "statusCode") == NULL)
        return true; /* any JSON value without statusCode is sent as 200 application/json */
    if (!proxy_shape(r, who, keys, f))
        return false;
    json_t *cookies = json_object_get(r, "cookies");
    size_t i;
    json_t *c;
    if (cookies && !json_is_array(cookies))
        return fail(f, "%s: cookies must be a list of strings", who);
    json_array_foreach(cookies, i, c)
    {
        if (!json_is_string(c))
            return fail(f, "%s: cookies[%zu] must be a string", who, i);
    }
    return true;
}

static bool alb_response(const json_t *e, const json_t *r, finding *f)
{
    static const char *const keys[] = {"statusCode", "statusDescription", "headers",
                                       "multiValueHeaders", "body", "isBase64Encoded", NULL};
    const char *who = "the load balancer would answer 502";
    if (!proxy_shape(r, who, keys, f))
        return false;
    json_t *desc = json_object_get(r, "statusDescription");
    if (desc && !json_is_string(desc))
        return fail(f, "%s: statusDescription must be a string like \"200 OK\"", who);
    bool multi = json_object_get(e, "multiValueHeaders") != NULL;
    if (multi && json_object_get(r, "headers") && !json_object_get(r, "multiValueHeaders"))
        return fail(f, "the load balancer would drop the headers: this target group sends "
                       "multi-value headers, so the response must use multiValueHeaders");
    if (!multi && json_object_get(r, "multiValueHeaders") && !json_object_get(r, "headers"))
        return fail(f, "the load balancer would drop the headers: this target group does not "
                       "use multi-value headers, so the response must use headers");
    return true;
}

/* --- authorizers --------------------------------------------------------------------------------- */

static bool policy_statement(const json_t *st, size_t i, const char *who, finding *f)
{
    static const char *const effects[] = {"Allow", "Deny", NULL};
    if (!json_is_object(st))
        return fail(f, "%s: policyDocument.Statement[%zu] must be an object", who, i);
    const char *effect = json_string_value(json_object_get(st, "Effect"));
    if (!in(effect, effects))
        return fail(f, "%s: policyDocument.Statement[%zu].Effect must be Allow or Deny", who, i);
    json_t *action = json_object_get(st, "Action"), *res = json_object_get(st, "Resource");
    if (!(json_is_string(action) || json_is_array(action)))
        return fail(f, "%s: policyDocument.Statement[%zu].Action is required", who, i);
    if (!(json_is_string(res) || json_is_array(res)))
        return fail(f, "%s: policyDocument.Statement[%zu].Resource is required", who, i);
    return true;
}

static bool policy_response(const json_t *r, const char *who, finding *f)
{
    if (!json_is_object(r))
        return fail(f, "%s: the response must be an object, got %s", who, kind(r));
    if (!json_is_string(json_object_get(r, "principalId")))
        return fail(f, "%s: principalId (a string) is required", who);
    json_t *doc = json_object_get(r, "policyDocument");
    if (!json_is_object(doc))
        return fail(f, "%s: policyDocument (an object) is required", who);
    const char *version = json_string_value(json_object_get(doc, "Version"));
    if (version == NULL || strcmp(version, "2012-10-17") != 0)
        return fail(f, "%s: policyDocument.Version must be \"2012-10-17\"", who);
    json_t *statements = json_object_get(doc, "Statement");
    if (!json_is_array(statements) || json_array_size(statements) == 0)
        return fail(f, "%s: policyDocument.Statement must be a non-empty list", who);
    size_t i;
    json_t *st;
    json_array_foreach(statements, i, st)
    {
        if (!policy_statement(st, i, who, f))
            return false;
    }
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(r, "context"), key, v)
    {
        if (!(json_is_string(v) || json_is_number(v) || json_is_boolean(v)))
            return fail(f, "%s: context.%s must be a string, number or boolean, got %s", who,
                        key, kind(v));
    }
    return true;
}

static bool rest_authorizer_response(const json_t *e, const json_t *r, finding *f)
{
    (void)e;
    return policy_response(r, "API Gateway would answer 500 (authorizer configuration error)",
                           f);
}

static bool http_authorizer_response(const json_t *e, const json_t *r, finding *f)
{
    const char *who = "API Gateway would answer 500 (authorizer error)";
    (void)e;
    if (json_is_object(r) && json_object_get(r, "isAuthorized")) {
        if (!json_is_boolean(json_object_get(r, "isAuthorized")))
            return fail(f, "%s: isAuthorized must be a boolean", who);
        json_t *ctx = json_object_get(r, "context");
        if (ctx && !json_is_object(ctx))
            return fail(f, "%s: context must be an object", who);
        return true;
    }
    return policy_response(r, who, f);
}

/* --- batches ------------------------------------------------------------------------------------- */

/* The ids a batch response may name: each record's value at the path. */
static bool id_in_batch(const json_t *e, const char *id, const char *path)
{
    size_t i;
    json_t *rec;
    json_array_foreach(json_object_get(e, "Records"), i, rec)
    {
        const json_t *v = rec;
        char part[64];
        for (const char *p = path; v && *p;) {
            size_t n = strcspn(p, ".");
            snprintf(part, sizeof part, "%.*s", (int)n, p);
            v = json_object_get(v, part);
            p += n + (p[n] == '.');
        }
        if (json_is_string(v) && strcmp(json_string_value(v), id) == 0)
            return true;
    }
    return false;
}

static bool batch_response(const json_t *e, const json_t *r, finding *f, const char *service,
                           const char *id_path, const char *id_name)
{
    char who[120];
    snprintf(who, sizeof who, "%s would retry the whole batch", service);
    if (r == NULL || json_is_null(r))
        return true;
    if (!json_is_object(r))
        return fail(f, "%s: the response must be null or an object with batchItemFailures, got %s",
                    who, kind(r));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)r, key, v)
    {
        if (strcmp(key, "batchItemFailures") != 0)
            return fail(f, "%s: unexpected key \"%s\" (the key is batchItemFailures)", who, key);
    }
    json_t *failures = json_object_get(r, "batchItemFailures");
    if (failures && !json_is_array(failures) && !json_is_null(failures))
        return fail(f, "%s: batchItemFailures must be a list", who);
    size_t i;
    json_t *item;
    json_array_foreach(failures, i, item)
    {
        const char *id = json_string_value(json_object_get(item, "itemIdentifier"));
        if (id == NULL || id[0] == '\0')
            return fail(f, "%s: batchItemFailures[%zu].itemIdentifier is missing or empty", who,
                        i);
        if (!id_in_batch(e, id, id_path))
            return fail(f, "%s: itemIdentifier \"%s\" is not a %s of this batch", who, id,
                        id_name);
    }
    return true;
}

static bool firehose_record(const json_t *e, const json_t *rec, size_t i, unsigned char *seen,
                            size_t n, finding *f)
{
    static const char *const results[] = {"Ok", "Dropped", "ProcessingFailed", NULL};
    const char *who = "Firehose would fail the whole batch";
    const char *id = json_string_value(json_object_get(rec, "recordId"));
    size_t found = n;
    for (size_t j = 0; id && j < n && found == n; j++) {
        const char *in_id = json_string_value(
            json_object_get(json_array_get(json_object_get(e, "records"), j), "recordId"));
        if (in_id && strcmp(id, in_id) == 0)
            found = j;
    }
    if (found == n)
        return fail(f, "%s: records[%zu].recordId \"%s\" is not a record of this batch", who, i,
                    id ? id : "");
    if (seen[found]++)
        return fail(f, "%s: recordId \"%s\" is answered twice", who, id);
    const char *result = json_string_value(json_object_get(rec, "result"));
    if (!in(result, results))
        return fail(f, "%s: records[%zu].result must be Ok, Dropped or ProcessingFailed", who, i);
    json_t *data = json_object_get(rec, "data");
    lc_buf decoded;
    lc_buf_init(&decoded, 0);
    bool ok = json_is_string(data) &&
              lc_buf_base64_decode(&decoded, json_string_value(data),
                                   json_string_length(data)) == LC_OK;
    lc_buf_free(&decoded);
    if (strcmp(result, "Ok") == 0 && !ok)
        return fail(f, "%s: records[%zu].data must be base64", who, i);
    return true;
}

static bool firehose_response(const json_t *e, const json_t *r, finding *f)
{
    const char *who = "Firehose would fail the whole batch";
    json_t *records = json_object_get(r, "records");
    if (!json_is_array(records))
        return fail(f, "%s: the response must be an object with a records list", who);
    size_t n = json_array_size(json_object_get(e, "records"));
    unsigned char *seen = calloc(n ? n : 1, 1);
    bool ok = seen != NULL || fail(f, "out of memory");
    size_t i;
    json_t *rec;
    json_array_foreach(records, i, rec)
    {
        if (ok && !firehose_record(e, rec, i, seen, n, f))
            ok = false;
    }
    for (size_t k = 0; ok && k < n; k++)
        if (!seen[k]) {
            const char *id = json_string_value(json_object_get(
                json_array_get(json_object_get(e, "records"), k), "recordId"));
            ok = fail(f, "%s: record \"%s\" has no result", who, id ? id : "?");
        }
    free(seen);
    return ok;
}

/* --- the rest ------------------------------------------------------------------------------------ */

/* Custom sender triggers (CustomEmailSender_*, CustomSMSSender_*) send the message themselves;
 * Cognito does not read what they return. */
static bool cognito_ignores_response(const json_t *e)
{
    const char *trigger = json_string_value(json_object_get(e, "triggerSource"));
    return trigger && (strncmp(trigger, "CustomEmailSender_", 18) == 0 ||
                       strncmp(trigger, "CustomSMSSender_", 16) == 0);
}

static bool cognito_response(const json_t *e, const json_t *r, finding *f)
{
    const char *who = "Cognito would fail the request (InvalidLambdaResponseException)";
    if (cognito_ignores_response(e))
        return true;
    if (!json_is_object(r))
        return fail(f, "%s: return the event with response filled, not %s", who, kind(r));
    static const char *const same[] = {"triggerSource", "userPoolId", "userName", NULL};
    for (const char *const *k = same; *k; k++) {
        json_t *a = json_object_get(e, *k), *b = json_object_get(r, *k);
        if (a && !(b && json_equal(a, b)))
            return fail(f, "%s: return the event itself; its %s is missing or changed", who, *k);
    }
    /* Cognito always sends a response object; a trimmed fixture may not, and a handler that
     * returns such an event unchanged would have returned Cognito's (empty) one. */
    if (json_object_get(e, "response") == NULL && json_object_get(r, "response") == NULL)
        return true;
    if (!json_is_object(json_object_get(r, "response")))
        return fail(f, "%s: response must be an object", who);
    return true;
}

static bool ses_response(const json_t *e, const json_t *r, finding *f)
{
    static const char *const dispositions[] = {"STOP_RULE", "STOP_RULE_SET", "CONTINUE", NULL};
    (void)e;
    if (r == NULL || json_is_null(r))
        return true;
    const char *d = json_string_value(json_object_get(r, "disposition"));
    if (!json_is_object(r) || (json_object_get(r, "disposition") && !in(d, dispositions)))
        return fail(f, "SES would ignore the response: disposition must be STOP_RULE, "
                       "STOP_RULE_SET or CONTINUE");
    return true;
}

static bool s3_batch_response(const json_t *e, const json_t *r, finding *f)
{
    static const char *const codes[] = {"Succeeded", "TemporaryFailure", "PermanentFailure",
                                        NULL};
    const char *who = "S3 Batch Operations would fail the task";
    if (!json_is_object(r) || !json_is_string(json_object_get(r, "invocationSchemaVersion")))
        return fail(f, "%s: invocationSchemaVersion is required", who);
    if (!json_equal(json_object_get(r, "invocationId"), json_object_get(e, "invocationId")))
        return fail(f, "%s: invocationId must be the event's", who);
    json_t *miss = json_object_get(r, "treatMissingKeysAs");
    if (miss && !in(json_string_value(miss), codes))
        return fail(f, "%s: treatMissingKeysAs must be Succeeded, TemporaryFailure or "
                       "PermanentFailure",
                    who);
    json_t *results = json_object_get(r, "results");
    if (!json_is_array(results) || json_array_size(results) == 0)
        return fail(f, "%s: results must be a non-empty list", who);
    size_t i;
    json_t *res;
    json_array_foreach(results, i, res)
    {
        if (!in(json_string_value(json_object_get(res, "resultCode")), codes))
            return fail(f, "%s: results[%zu].resultCode must be Succeeded, TemporaryFailure or "
                           "PermanentFailure",
                        who, i);
        size_t j;
        json_t *task;
        bool known = false;
        json_array_foreach(json_object_get(e, "tasks"), j, task)
        {
            known = known || json_equal(json_object_get(task, "taskId"),
                                        json_object_get(res, "taskId"));
        }
        if (!known)
            return fail(f, "%s: results[%zu].taskId is not a task of this job", who, i);
    }
    return true;
}

static bool edge_response(const json_t *e, const json_t *r, finding *f)
{
    const char *who = "CloudFront would answer 502 (invalid Lambda@Edge response)";
    (void)e;
    if (!json_is_object(r))
        return fail(f, "%s: return the request or a response object, not %s", who, kind(r));
    if (json_object_get(r, "uri") || !json_object_get(r, "status"))
        return true; /* the request, passed on */
    const char *status = json_string_value(json_object_get(r, "status"));
    if (status == NULL || strlen(status) != 3 || !isdigit((unsigned char)status[0]))
        return fail(f, "%s: status must be a string like \"200\"", who);
    const char *name;
    json_t *list;
    json_object_foreach(json_object_get(r, "headers"), name, list)
    {
        for (const char *c = name; *c; c++)
            if (isupper((unsigned char)*c))
                return fail(f, "%s: header name \"%s\" must be lowercase", who, name);
        if (!json_is_array(list) || !json_is_string(json_object_get(json_array_get(list, 0),
                                                                    "value")))
            return fail(f, "%s: headers.%s must be a list of {key, value}", who, name);
    }
    return true;
}

/* --- responses that are not JSON ------------------------------------------------------------------ */

/* What each service does with a response that is empty (len 0) or not JSON at all. */
static bool non_json_response(lc_event_source s, const json_t *e, size_t len, finding *f)
{
    const char *what = len ? "the response is not JSON" : "the response is empty";
    switch (s) {
    case LC_SOURCE_APIGATEWAY_REST:
        return fail(f, "API Gateway would answer 502 (Malformed Lambda proxy response): %s", what);
    case LC_SOURCE_ALB: return fail(f, "the load balancer would answer 502: %s", what);
    case LC_SOURCE_APIGATEWAY_AUTHORIZER:
    case LC_SOURCE_APIGATEWAY_HTTP_AUTHORIZER:
        return fail(f, "API Gateway would answer 500 (authorizer error): %s", what);
    case LC_SOURCE_SQS:
    case LC_SOURCE_KINESIS:
    case LC_SOURCE_DYNAMODB:
        return len == 0 || fail(f, "%s would retry the whole batch: %s",
                                s == LC_SOURCE_SQS       ? "SQS"
                                : s == LC_SOURCE_KINESIS ? "Kinesis"
                                                         : "DynamoDB Streams",
                                what);
    case LC_SOURCE_FIREHOSE: return fail(f, "Firehose would fail the whole batch: %s", what);
    case LC_SOURCE_COGNITO:
        return cognito_ignores_response(e) ||
               fail(f, "Cognito would fail the request (InvalidLambdaResponseException): %s",
                    what);
    case LC_SOURCE_SES:
        return len == 0 || fail(f, "SES would ignore the response: %s", what);
    case LC_SOURCE_S3_BATCH: return fail(f, "S3 Batch Operations would fail the task: %s", what);
    case LC_SOURCE_LAMBDA_EDGE:
        return fail(f, "CloudFront would answer 502 (invalid Lambda@Edge response): %s", what);
    default: /* HTTP APIs and function URLs send it as a 200 body; the rest ignore responses */
        return true;
    }
}

/* What held, for a passing verdict. */
static void passed_reason(lc_event_source s, const json_t *e, size_t len, bool json, finding *f)
{
    if (s == LC_SOURCE_APIGATEWAY_HTTP || s == LC_SOURCE_FUNCTION_URL)
        snprintf(f->reason, sizeof f->reason, "%s", json ? "the response honours the 2.0 response format"
                                                       : "a response that is not a proxy response is sent as a 200 body");
    else if (s == LC_SOURCE_COGNITO && cognito_ignores_response(e))
        snprintf(f->reason, sizeof f->reason,
                 "Cognito does not read a custom sender trigger's response");
    else if (!json && len == 0)
        snprintf(f->reason, sizeof f->reason, "an empty response is accepted");
    else
        snprintf(f->reason, sizeof f->reason, "the response honours the %s response contract",
                 lc_event_source_name(s));
}

/* --- dispatch ------------------------------------------------------------------------------------ */

static bool check_source(lc_event_source s, const json_t *e, const json_t *r, finding *f)
{
    switch (s) {
    case LC_SOURCE_APIGATEWAY_REST: return rest_response(e, r, f);
    case LC_SOURCE_APIGATEWAY_HTTP: return http_api_response(e, r, f, "API Gateway");
    case LC_SOURCE_FUNCTION_URL: return http_api_response(e, r, f, "the function URL");
    case LC_SOURCE_ALB: return alb_response(e, r, f);
    case LC_SOURCE_APIGATEWAY_AUTHORIZER: return rest_authorizer_response(e, r, f);
    case LC_SOURCE_APIGATEWAY_HTTP_AUTHORIZER: return http_authorizer_response(e, r, f);
    case LC_SOURCE_SQS: return batch_response(e, r, f, "SQS", "messageId", "messageId");
    case LC_SOURCE_KINESIS:
        return batch_response(e, r, f, "Kinesis", "kinesis.sequenceNumber", "sequenceNumber");
    case LC_SOURCE_DYNAMODB:
        return batch_response(e, r, f, "DynamoDB Streams", "dynamodb.SequenceNumber",
                              "SequenceNumber");
    case LC_SOURCE_FIREHOSE: return firehose_response(e, r, f);
    case LC_SOURCE_COGNITO: return cognito_response(e, r, f);
    case LC_SOURCE_SES: return ses_response(e, r, f);
    case LC_SOURCE_S3_BATCH: return s3_batch_response(e, r, f);
    case LC_SOURCE_LAMBDA_EDGE: return edge_response(e, r, f);
    default: return true; /* no response contract */
    }
}

lc_event_source lc_source_contract_check(const json_t *event, const char *payload, size_t len,
                                         lc_verdicts *out)
{
    lc_event_source s = lc_event_detect(event);
    finding f = {0};
    json_t *response = len ? json_loadb(payload, len, JSON_DECODE_ANY, NULL) : NULL;
    if (response == NULL)
        non_json_response(s, event, len, &f);
    else
        check_source(s, event, response, &f);
    if (!f.failed)
        passed_reason(s, event, len, response != NULL, &f);
    json_decref(response);
    char name[64];
    snprintf(name, sizeof name, "%s-response", lc_event_source_name(s));
    if (s == LC_SOURCE_UNKNOWN)
        return s; /* no service, no contract: nothing to report */
    lc_verdicts_add(out, name, !f.failed, "%s", f.reason);
    return s;
}
