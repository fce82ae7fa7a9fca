/* The response contracts of event sources (spec section 5): part of the contracts module. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/contracts.h"

/* What the rules found: the first failure ("<what the service would do>: <why>"), else the
 * first warning (what the response does that AWS does not document). */
typedef struct {
    char reason[900];
    bool failed;
    char warning[900];
    bool warned;
    bool ignored; /* the service does not read the response: reason says why */
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

/* Records a warning and lets the checks go on (returns true). */
static bool warn(finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool warn(finding *f, const char *fmt, ...)
{
    if (f->warned)
        return true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->warning, sizeof f->warning, fmt, ap);
    va_end(ap);
    f->warned = true;
    return true;
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

/* --- how a rule ends ---------------------------------------------------------------------------- */

/* A breach of a service's response format: a failure ("<who>: <detail>") where AWS documents
 * that the service fails on it, else a warning saying that AWS documents only the format. */
static bool breach(finding *f, bool documented, const char *who, const char *service,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static bool breach(finding *f, bool documented, const char *who, const char *service,
                   const char *fmt, ...)
{
    char detail[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    if (documented)
        return fail(f, "%s: %s", who, detail);
    return warn(f, "%s (AWS documents the format, not what %s does otherwise)", detail, service);
}

/* --- HTTP proxies ---------------------------------------------------------------------------- */

/* What an integration reads, and which breaches of the shared proxy format AWS documents as the
 * service's failure for it. */
typedef struct {
    const char *who;            /* "API Gateway would answer 502 (...)" */
    const char *service;        /* "API Gateway", for warnings */
    const char *const *allowed; /* the keys it reads */
    bool shape_fails;           /* a response that is not an object, or whose statusCode is
                                   missing or not a number, fails */
    bool body_fails;            /* a body that is not a string fails */
} proxy_rules;

static bool string_map(const json_t *obj, const char *name, const proxy_rules *p, finding *f)
{
    if (obj == NULL)
        return true;
    if (!json_is_object(obj))
        return breach(f, false, p->who, p->service, "%s must be an object of strings, got %s",
                      name, kind(obj));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        if (!json_is_string(v))
            return breach(f, false, p->who, p->service, "%s.%s must be a string, got %s", name,
                          key, kind(v));
    }
    return true;
}

static bool list_map(const json_t *obj, const char *name, const proxy_rules *p, finding *f)
{
    if (obj == NULL)
        return true;
    if (!json_is_object(obj))
        return breach(f, false, p->who, p->service, "%s must be an object of lists of strings",
                      name);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        size_t i;
        json_t *item;
        if (!json_is_array(v))
            return breach(f, false, p->who, p->service, "%s.%s must be a list of strings, got %s",
                          name, key, kind(v));
        json_array_foreach(v, i, item)
        {
            if (!json_is_string(item))
                return breach(f, false, p->who, p->service, "%s.%s[%zu] must be a string", name,
                              key, i);
        }
    }
    return true;
}

/* A status code as API Gateway reads it: an integer, or a string of digits (AWS's own API
 * Gateway blueprint for Lambda returns statusCode '200' and '400' as strings). */
static bool numeric_status(const json_t *code)
{
    const char *s = json_string_value(code);
    if (json_is_integer(code))
        return true;
    if (s == NULL || s[0] == '\0' || strlen(s) > 3)
        return false;
    for (const char *c = s; *c; c++)
        if (!isdigit((unsigned char)*c))
            return false;
    return true;
}

/* The fields all proxy integrations share. */
static bool proxy_shape(const json_t *r, const proxy_rules *p, finding *f)
{
    char b[100];
    if (!json_is_object(r))
        return breach(f, p->shape_fails, p->who, p->service,
                      "the response must be a JSON object with statusCode, got %s", kind(r));
    json_t *code = json_object_get(r, "statusCode");
    if (!numeric_status(code) &&
        !breach(f, p->shape_fails, p->who, p->service, "statusCode must be an integer, got %s",
                code ? brief(code, b, sizeof b) : "nothing"))
        return false;
    json_t *body = json_object_get(r, "body");
    if (body && !json_is_string(body) && !json_is_null(body) &&
        !breach(f, p->body_fails, p->who, p->service,
                "body must be a string (JSON-encode it), got %s", kind(body)))
        return false;
    json_t *b64 = json_object_get(r, "isBase64Encoded");
    if (b64 && !json_is_boolean(b64))
        breach(f, false, p->who, p->service, "isBase64Encoded must be a boolean, got %s",
               kind(b64));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)r, key, v)
    {
        if (!in(key, p->allowed)) {
            breach(f, false, p->who, p->service, "unexpected key \"%s\" in the response", key);
            break;
        }
    }
    return string_map(json_object_get(r, "headers"), "headers", p, f) &&
           list_map(json_object_get(r, "multiValueHeaders"), "multiValueHeaders", p, f);
}

/* REST APIs: "If the function output is of a different format, API Gateway returns a 502 Bad
 * Gateway error response" (https://docs.aws.amazon.com/apigateway/latest/developerguide/
 * set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-output-format; also
 * the Lambda guide, https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html).
 * The format is an object with a statusCode and a string body; what else breaks it is not
 * documented: warnings. */
#define REST_WHO "API Gateway would answer 502 (Malformed Lambda proxy response)"

static bool rest_response(const json_t *e, const json_t *r, finding *f)
{
    static const char *const keys[] = {"statusCode", "headers", "multiValueHeaders", "body",
                                       "isBase64Encoded", NULL};
    proxy_rules p = {REST_WHO, "API Gateway", keys, true, true};
    (void)e;
    return proxy_shape(r, &p, f);
}

/* HTTP APIs (payload 2.0) and function URLs infer a response from valid JSON without a
 * statusCode: 200, application/json, the JSON as the body
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 * #http-api-develop-integrations-lambda.v2; https://docs.aws.amazon.com/lambda/latest/dg/
 * urls-invocation.html#urls-response-payload). With a statusCode, an HTTP API answers 500 when
 * the response is not in the required format (http-api-troubleshooting-lambda.html); for the
 * rest of the format, and for function URLs, AWS documents no outcome: warnings. */
static bool http_api_response(const json_t *e, const json_t *r, finding *f, bool url)
{
    static const char *const keys[] = {"statusCode", "headers", "body", "isBase64Encoded",
                                       "cookies", NULL};
    (void)e;
    if (!json_is_object(r) || json_object_get(r, "statusCode") == NULL)
        return true; /* any JSON value without statusCode is sent as 200 application/json */
    proxy_rules p = {url ? "the function URL would not answer as asked"
                         : "API Gateway would answer 500 (Internal Server Error)",
                     url ? "the function URL" : "API Gateway", keys, !url, false};
    if (!proxy_shape(r, &p, f))
        return false;
    json_t *cookies = json_object_get(r, "cookies");
    size_t i;
    json_t *c;
    if (cookies && !json_is_array(cookies))
        return breach(f, false, p.who, p.service, "cookies must be a list of strings");
    json_array_foreach(cookies, i, c)
    {
        if (!json_is_string(c))
            return breach(f, false, p.who, p.service, "cookies[%zu] must be a string", i);
    }
    return true;
}

/* ALB: the response "must include the Base64 encoding status, status code, status description,
 * and headers", and multiValueHeaders when the target group sends them
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
 * #respond-to-load-balancer); what the load balancer does otherwise is not documented. */
static bool alb_response(const json_t *e, const json_t *r, finding *f)
{
    static const char *const keys[] = {"statusCode", "statusDescription", "headers",
                                       "multiValueHeaders", "body", "isBase64Encoded", NULL};
    proxy_rules p = {"the load balancer would answer 502", "the load balancer", keys, false,
                     false};
    if (!proxy_shape(r, &p, f))
        return false;
    json_t *desc = json_object_get(r, "statusDescription");
    if (desc && !json_is_string(desc))
        breach(f, false, p.who, p.service, "statusDescription must be a string like \"200 OK\"");
    bool multi = json_object_get(e, "multiValueHeaders") != NULL;
    if (multi && json_object_get(r, "headers") && !json_object_get(r, "multiValueHeaders"))
        breach(f, false, p.who, p.service,
               "this target group sends multi-value headers, so the response must use "
               "multiValueHeaders");
    if (!multi && json_object_get(r, "multiValueHeaders") && !json_object_get(r, "headers"))
        breach(f, false, p.who, p.service,
               "this target group does not use multi-value headers, so the response must use "
               "headers");
    return true;
}

/* --- authorizers --------------------------------------------------------------------------------- */

/* The IAM policy output of an authorizer: "must include the principal identifier (principalId)
 * and a policy document" (REST: https://docs.aws.amazon.com/apigateway/latest/developerguide/
 * api-gateway-lambda-authorizer-output.html). For REST APIs no outcome is documented (documented
 * is false: warnings); for HTTP APIs "returns a response in an invalid format, clients receive a
 * 500 Internal Server Error" (http-api-lambda-authorizer.html#http-api-lambda-authorizer
 * .troubleshooting). */
typedef struct {
    const char *who;
    bool documented;
} authorizer_rules;

static bool policy_statement(const json_t *st, size_t i, const authorizer_rules *a, finding *f)
{
    static const char *const effects[] = {"Allow", "Deny", NULL};
    if (!json_is_object(st))
        return breach(f, a->documented, a->who, "API Gateway",
                      "policyDocument.Statement[%zu] must be an object", i);
    const char *effect = json_string_value(json_object_get(st, "Effect"));
    if (!in(effect, effects))
        return breach(f, a->documented, a->who, "API Gateway",
                      "policyDocument.Statement[%zu].Effect must be Allow or Deny", i);
    json_t *action = json_object_get(st, "Action"), *res = json_object_get(st, "Resource");
    if (!(json_is_string(action) || json_is_array(action)))
        return breach(f, a->documented, a->who, "API Gateway",
                      "policyDocument.Statement[%zu].Action is required", i);
    if (!(json_is_string(res) || json_is_array(res)))
        return breach(f, a->documented, a->who, "API Gateway",
                      "policyDocument.Statement[%zu].Resource is required", i);
    return true;
}

static bool policy_document(const json_t *doc, const authorizer_rules *a, finding *f)
{
    if (!json_is_object(doc))
        return breach(f, a->documented, a->who, "API Gateway",
                      "policyDocument (an object) is required");
    const char *version = json_string_value(json_object_get(doc, "Version"));
    if ((version == NULL || strcmp(version, "2012-10-17") != 0) &&
        !breach(f, false, a->who, "API Gateway", "policyDocument.Version should be \"2012-10-17\""))
        return false;
    json_t *statements = json_object_get(doc, "Statement");
    if (!json_is_array(statements) || json_array_size(statements) == 0)
        return breach(f, a->documented, a->who, "API Gateway",
                      "policyDocument.Statement must be a non-empty list");
    size_t i;
    json_t *st;
    json_array_foreach(statements, i, st)
    {
        if (!policy_statement(st, i, a, f))
            return false;
    }
    return true;
}

static bool policy_response(const json_t *r, const authorizer_rules *a, finding *f)
{
    if (!json_is_object(r))
        return breach(f, a->documented, a->who, "API Gateway",
                      "the response must be an object, got %s", kind(r));
    if (!json_is_string(json_object_get(r, "principalId")))
        return breach(f, a->documented, a->who, "API Gateway",
                      "principalId (a string) is required");
    if (!policy_document(json_object_get(r, "policyDocument"), a, f))
        return false;
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(r, "context"), key, v)
    {
        /* "you cannot set a JSON object or array as a valid value of any key in the context
           map"; what follows if you do is not documented */
        if (!(json_is_string(v) || json_is_number(v) || json_is_boolean(v)))
            return breach(f, false, a->who, "API Gateway",
                          "context.%s must be a string, number or boolean, got %s", key, kind(v));
    }
    return true;
}

static bool rest_authorizer_response(const json_t *e, const json_t *r, finding *f)
{
    authorizer_rules a = {"API Gateway would answer 500 (authorizer configuration error)", false};
    (void)e;
    return policy_response(r, &a, f);
}

static bool http_authorizer_response(const json_t *e, const json_t *r, finding *f)
{
    authorizer_rules a = {"API Gateway would answer 500 (authorizer error)", true};
    (void)e;
    if (json_is_object(r) && json_object_get(r, "isAuthorized")) {
        if (!json_is_boolean(json_object_get(r, "isAuthorized")))
            return fail(f, "%s: isAuthorized must be a boolean", a.who);
        json_t *ctx = json_object_get(r, "context");
        if (ctx && !json_is_object(ctx))
            return fail(f, "%s: context must be an object", a.who);
        return true;
    }
    return policy_response(r, &a, f);
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

/* Keys of an object besides the one Lambda reads, for a warning: ", "-separated. */
static void other_keys(const json_t *obj, const char *known, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        if (strcmp(key, known) != 0 && n < size)
            n += (size_t)snprintf(out + n, size - n, "%s\"%s\"", n ? ", " : "", key);
    }
}

/* A queue or stream whose mapping reports batch item failures. */
typedef struct {
    const char *service;  /* "SQS" */
    const char *id_path;  /* where a record's id is: "messageId", "kinesis.sequenceNumber" */
    const char *id_name;  /* "messageId" */
    bool unknown_id_fails; /* AWS lists an id not in the batch as a complete failure (SQS) */
} batch_rules;

/* One entry of batchItemFailures. */
static bool batch_item(const json_t *e, const json_t *item, size_t i, const batch_rules *b,
                       const char *who, finding *f)
{
    char keys[300];
    if (!json_is_object(item))
        return warn(f, "batchItemFailures[%zu] should be an object with itemIdentifier, got %s "
                       "(AWS documents no outcome for it)",
                    i, kind(item));
    const char *id = json_string_value(json_object_get(item, "itemIdentifier"));
    other_keys(item, "itemIdentifier", keys, sizeof keys);
    if (id == NULL && keys[0])
        return fail(f, "%s: batchItemFailures[%zu] has %s but no itemIdentifier (a bad key name)",
                    who, i, keys);
    if (id == NULL || id[0] == '\0')
        return fail(f, "%s: batchItemFailures[%zu].itemIdentifier is missing or empty", who, i);
    if (!id_in_batch(e, id, b->id_path)) {
        if (b->unknown_id_fails)
            return fail(f, "%s: itemIdentifier \"%s\" is not a %s of this batch", who, id,
                        b->id_name);
        warn(f, "itemIdentifier \"%s\" is not a %s of this batch (AWS documents no outcome for it)",
             id, b->id_name);
    }
    if (keys[0])
        warn(f, "Lambda reads only itemIdentifier, and batchItemFailures[%zu] also has %s", i,
             keys);
    return true;
}

/* A partial batch response, as AWS documents it ("Implementing partial batch responses",
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 * #services-sqs-batchfailurereporting; for streams services-kinesis-batchfailurereporting.html
 * and services-ddb-batchfailurereporting.html). A complete success: an empty or null
 * batchItemFailures, an empty or null response. A complete failure (the whole batch is retried):
 * an empty or null itemIdentifier, an itemIdentifier with a bad key name, and for SQS an invalid
 * JSON response and an id that is not in the batch. What else a response may be is not
 * documented either way: a warning. */
static bool batch_response(const json_t *e, const json_t *r, finding *f, const batch_rules *b)
{
    char who[120], keys[300];
    snprintf(who, sizeof who, "%s would retry the whole batch", b->service);
    if (r == NULL || json_is_null(r))
        return true;
    if (!json_is_object(r))
        return warn(f, "the response should be null or an object with batchItemFailures, got %s "
                       "(AWS documents no outcome for it)",
                    kind(r));
    other_keys(r, "batchItemFailures", keys, sizeof keys);
    json_t *failures = json_object_get(r, "batchItemFailures");
    if (keys[0])
        warn(f, "Lambda reads only batchItemFailures, and the response also has %s%s", keys,
             failures ? "" : ": without batchItemFailures the whole batch counts as processed");
    if (failures && !json_is_array(failures) && !json_is_null(failures))
        return warn(f, "batchItemFailures should be a list, got %s (AWS documents no outcome for "
                       "it)",
                    kind(failures));
    size_t i;
    json_t *item;
    json_array_foreach(failures, i, item)
    {
        if (!batch_item(e, item, i, b, who, f))
            return false;
    }
    return true;
}

/* "All transformed records from Lambda must contain the following parameters, or Kinesis Data
 * Firehose rejects them and treats that as a data transformation failure ... Any mismatch between
 * the ID ... is treated as a data transformation failure"
 * (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html
 * #data-transformation-status-model; Lambda.DuplicatedRecordId, Lambda.MissingRecordId). */
static bool firehose_record(const json_t *e, const json_t *rec, size_t i, unsigned char *seen,
                            size_t n, finding *f)
{
    static const char *const results[] = {"Ok", "Dropped", "ProcessingFailed", NULL};
    const char *who = "Firehose would count a data transformation failure";
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
    const char *who = "Firehose would count a data transformation failure";
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
 * Cognito does not read what they return ("Amazon Cognito doesn't expect any additional return
 * information in the custom email sender response", user-pool-lambda-custom-email-sender.html). */
static bool cognito_ignores_response(const json_t *e)
{
    const char *trigger = json_string_value(json_object_get(e, "triggerSource"));
    return trigger && (strncmp(trigger, "CustomEmailSender_", 18) == 0 ||
                       strncmp(trigger, "CustomSMSSender_", 16) == 0);
}

/* "Your Lambda function must return the entire event to Amazon Cognito, and add any return
 * parameters to the response" (https://docs.aws.amazon.com/cognito/latest/developerguide/
 * cognito-user-identity-pools-working-with-aws-lambda-triggers.html); what Cognito does
 * otherwise is documented only for particular triggers: warnings. */
static bool cognito_response(const json_t *e, const json_t *r, finding *f)
{
    const char *who = "Cognito would fail the request (InvalidLambdaResponseException)";
    if (cognito_ignores_response(e))
        return true;
    if (!json_is_object(r))
        return breach(f, false, who, "Cognito", "return the event with response filled, not %s",
                      kind(r));
    static const char *const same[] = {"triggerSource", "userPoolId", "userName", NULL};
    for (const char *const *k = same; *k; k++) {
        json_t *a = json_object_get(e, *k), *b = json_object_get(r, *k);
        if (a && !(b && json_equal(a, b)))
            return breach(f, false, who, "Cognito",
                          "return the event itself; its %s is missing or changed", *k);
    }
    /* Cognito always sends a response object; a trimmed fixture may not, and a handler that
     * returns such an event unchanged would have returned Cognito's (empty) one. */
    if (json_object_get(e, "response") == NULL && json_object_get(r, "response") == NULL)
        return true;
    if (!json_is_object(json_object_get(r, "response")))
        return breach(f, false, who, "Cognito", "response must be an object");
    return true;
}

/* "If the second argument is null or does not have a valid disposition property, the mail flow
 * continues ... same as with CONTINUE" (https://docs.aws.amazon.com/ses/latest/dg/
 * receiving-email-action-lambda.html): never a failure. */
static bool ses_response(const json_t *e, const json_t *r, finding *f)
{
    static const char *const dispositions[] = {"STOP_RULE", "STOP_RULE_SET", "CONTINUE", NULL};
    (void)e;
    if (r == NULL || json_is_null(r))
        return true;
    const char *d = json_string_value(json_object_get(r, "disposition"));
    if (!json_is_object(r) || (json_object_get(r, "disposition") && !in(d, dispositions)))
        return warn(f, "SES treats it as CONTINUE: disposition must be STOP_RULE, STOP_RULE_SET "
                       "or CONTINUE to stop the rule set");
    return true;
}

/* The response S3 Batch Operations reads (https://docs.aws.amazon.com/AmazonS3/latest/userguide/
 * batch-ops-invoke-lambda.html); what it does with another shape is not documented: warnings.
 * One that is not JSON fails the job ("Invalid JSON returned in Lambda payload"). */
static bool s3_batch_response(const json_t *e, const json_t *r, finding *f)
{
    static const char *const codes[] = {"Succeeded", "TemporaryFailure", "PermanentFailure",
                                        NULL};
    const char *who = "S3 Batch Operations would fail the task", *service = "S3 Batch Operations";
    if (!json_is_object(r) || !json_is_string(json_object_get(r, "invocationSchemaVersion")))
        return breach(f, false, who, service, "invocationSchemaVersion is required");
    if (!json_equal(json_object_get(r, "invocationId"), json_object_get(e, "invocationId")))
        return breach(f, false, who, service, "invocationId must be the event's");
    json_t *miss = json_object_get(r, "treatMissingKeysAs");
    if (miss && !in(json_string_value(miss), codes))
        return breach(f, false, who, service,
                      "treatMissingKeysAs must be Succeeded, TemporaryFailure or PermanentFailure");
    json_t *results = json_object_get(r, "results");
    if (!json_is_array(results) || json_array_size(results) == 0)
        return breach(f, false, who, service, "results must be a non-empty list");
    size_t i;
    json_t *res;
    json_array_foreach(results, i, res)
    {
        if (!in(json_string_value(json_object_get(res, "resultCode")), codes))
            return breach(f, false, who, service,
                          "results[%zu].resultCode must be Succeeded, TemporaryFailure or "
                          "PermanentFailure",
                          i);
        size_t j;
        json_t *task;
        bool known = false;
        json_array_foreach(json_object_get(e, "tasks"), j, task)
        {
            known = known || json_equal(json_object_get(task, "taskId"),
                                        json_object_get(res, "taskId"));
        }
        if (!known)
            return breach(f, false, who, service, "results[%zu].taskId is not a task of this job",
                          i);
    }
    return true;
}

/* Lambda@Edge: "unparsable JSON, missing required fields, and an invalid object in the response"
 * are validation errors, answered 502 (https://docs.aws.amazon.com/AmazonCloudFront/latest/
 * DeveloperGuide/http-502-lambda-validation-error.html); "If the status value isn't between 200
 * and 599, CloudFront returns an error" (lambda-generating-http-responses-in-requests.html).
 * Header names are shown lowercase and status as a string, with no outcome stated: warnings. */
static bool edge_response(const json_t *e, const json_t *r, finding *f)
{
    const char *who = "CloudFront would answer 502 (invalid Lambda@Edge response)";
    (void)e;
    if (!json_is_object(r))
        return fail(f, "%s: return the request or a response object, not %s", who, kind(r));
    if (json_object_get(r, "uri") || !json_object_get(r, "status"))
        return true; /* the request, passed on */
    json_t *status = json_object_get(r, "status");
    const char *text = json_string_value(status);
    char *end = NULL;
    long code = text ? strtol(text, &end, 10) : json_is_integer(status) ? (long)json_integer_value(status) : 0;
    if ((text && (end == text || *end)) || code < 200 || code > 599)
        return fail(f, "%s: status must be a string like \"200\", between 200 and 599", who);
    if (text == NULL)
        warn(f, "status should be a string like \"200\", not a number (AWS documents the format, "
                "not what CloudFront does otherwise)");
    const char *name;
    json_t *list;
    json_object_foreach(json_object_get(r, "headers"), name, list)
    {
        if (!json_is_array(list) || !json_is_string(json_object_get(json_array_get(list, 0),
                                                                    "value")))
            return fail(f, "%s: headers.%s must be a list of {key, value}", who, name);
        for (const char *c = name; *c; c++)
            if (isupper((unsigned char)*c)) {
                breach(f, false, who, "CloudFront", "header name \"%s\" must be lowercase", name);
                break;
            }
    }
    return true;
}

/* --- responses that are not JSON ------------------------------------------------------------------ */

/* What each service does with a response that is empty (len 0) or not JSON at all. */
static bool non_json_response(lc_event_source s, const json_t *e, size_t len, finding *f)
{
    const char *what = len ? "the response is not JSON" : "the response is empty";
    switch (s) {
    case LC_SOURCE_APIGATEWAY_REST: return fail(f, "%s: %s", REST_WHO, what);
    case LC_SOURCE_ALB:
        return warn(f, "%s (AWS does not document what the load balancer does with it)", what);
    case LC_SOURCE_APIGATEWAY_AUTHORIZER:
        return warn(f, "%s (AWS does not document what API Gateway does with it)", what);
    case LC_SOURCE_APIGATEWAY_HTTP_AUTHORIZER:
        return fail(f, "API Gateway would answer 500 (authorizer error): %s", what);
    case LC_SOURCE_SQS: /* "An invalid JSON response" is a complete failure; empty is success */
        return len == 0 || fail(f, "SQS would retry the whole batch: %s", what);
    case LC_SOURCE_KINESIS:
    case LC_SOURCE_DYNAMODB:
        return len == 0 || warn(f, "%s (AWS does not document what %s does with it)", what,
                                s == LC_SOURCE_KINESIS ? "Kinesis" : "DynamoDB Streams");
    case LC_SOURCE_FIREHOSE: /* Lambda.JsonProcessingException */
        return fail(f, "Firehose would count a data transformation failure: %s", what);
    case LC_SOURCE_COGNITO:
        return cognito_ignores_response(e) ||
               warn(f, "%s (AWS does not document what Cognito does with it)", what);
    case LC_SOURCE_SES:
        return len == 0 || warn(f, "SES treats it as CONTINUE: %s", what);
    case LC_SOURCE_S3_BATCH:
        return fail(f, "S3 Batch Operations would fail the job (Invalid JSON returned in Lambda "
                       "payload): %s",
                    what);
    case LC_SOURCE_LAMBDA_EDGE:
        return fail(f, "CloudFront would answer 502 (invalid Lambda@Edge response): %s", what);
    case LC_SOURCE_APIGATEWAY_HTTP:
    case LC_SOURCE_FUNCTION_URL:
        return warn(f, "%s: AWS documents how valid JSON without a statusCode is answered (200, "
                       "the JSON as the body), not what happens to this",
                    what);
    default: /* the other services ignore responses */
        return true;
    }
}

/* What held, for a passing verdict. */
static void passed_reason(lc_event_source s, const json_t *e, size_t len, bool json, finding *f)
{
    if (s == LC_SOURCE_APIGATEWAY_HTTP || s == LC_SOURCE_FUNCTION_URL)
        snprintf(f->reason, sizeof f->reason, "the response honours the 2.0 response format");
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
    static const batch_rules sqs = {"SQS", "messageId", "messageId", true};
    static const batch_rules kinesis = {"Kinesis", "kinesis.sequenceNumber", "sequenceNumber",
                                        false};
    static const batch_rules dynamodb = {"DynamoDB Streams", "dynamodb.SequenceNumber",
                                         "SequenceNumber", false};
    switch (s) {
    case LC_SOURCE_APIGATEWAY_REST: return rest_response(e, r, f);
    case LC_SOURCE_APIGATEWAY_HTTP: return http_api_response(e, r, f, false);
    case LC_SOURCE_FUNCTION_URL: return http_api_response(e, r, f, true);
    case LC_SOURCE_ALB: return alb_response(e, r, f);
    case LC_SOURCE_APIGATEWAY_AUTHORIZER: return rest_authorizer_response(e, r, f);
    case LC_SOURCE_APIGATEWAY_HTTP_AUTHORIZER: return http_authorizer_response(e, r, f);
    case LC_SOURCE_SQS: return batch_response(e, r, f, &sqs);
    case LC_SOURCE_KINESIS: return batch_response(e, r, f, &kinesis);
    case LC_SOURCE_DYNAMODB: return batch_response(e, r, f, &dynamodb);
    case LC_SOURCE_FIREHOSE: return firehose_response(e, r, f);
    case LC_SOURCE_COGNITO: return cognito_response(e, r, f);
    case LC_SOURCE_SES: return ses_response(e, r, f);
    case LC_SOURCE_S3_BATCH: return s3_batch_response(e, r, f);
    case LC_SOURCE_LAMBDA_EDGE: return edge_response(e, r, f);
    default: return true; /* no response contract */
    }
}

static bool batch_source(lc_event_source s)
{
    return s == LC_SOURCE_SQS || s == LC_SOURCE_KINESIS || s == LC_SOURCE_DYNAMODB;
}

/* Without ReportBatchItemFailures, Lambda ignores what a queue or stream consumer returns: the
 * batch succeeded unless the function failed (AWS: "Handling errors for an SQS event source",
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html, "To turn on
 * partial batch responses ... include ReportBatchItemFailures"). */
static void ignored_response(lc_event_source s, finding *f)
{
    f->ignored = true;
    snprintf(f->reason, sizeof f->reason,
             "the response is ignored: ReportBatchItemFailures is off for this function's %s "
             "event source, so Lambda counts the batch as processed unless the function fails",
             lc_event_source_name(s));
}

lc_event_source lc_source_contract_check(const json_t *event, const char *payload, size_t len,
                                         const lc_source_settings *settings, lc_verdicts *out)
{
    lc_event_source s = lc_event_detect(event);
    if (s == LC_SOURCE_UNKNOWN)
        return s; /* no service, no contract: nothing to report */
    finding f = {0};
    json_t *response = len ? json_loadb(payload, len, JSON_DECODE_ANY, NULL) : NULL;
    if (batch_source(s) && !(settings && settings->report_batch_item_failures))
        ignored_response(s, &f);
    else if (response == NULL)
        non_json_response(s, event, len, &f);
    else
        check_source(s, event, response, &f);
    if (!f.failed && f.reason[0] == '\0')
        passed_reason(s, event, len, response != NULL, &f);
    json_decref(response);
    char name[64];
    snprintf(name, sizeof name, "%s-response", lc_event_source_name(s));
    if (f.failed)
        lc_verdicts_add(out, name, false, "%s", f.reason);
    else if (f.warned)
        lc_verdicts_warn(out, name, "%s", f.warning);
    else if (f.ignored)
        lc_verdicts_note(out, name, "%s", f.reason);
    else
        lc_verdicts_add(out, name, true, "%s", f.reason);
    return s;
}

bool lc_contract_known(const char *name)
{
    static const char *const contracts[] = {"no-unexpected-error", "result-serializable",
                                            "error-body-shape", "error-carries-request-id",
                                            "async-accepted-empty", "async-result-discarded",
                                            "tenant-isolated", "concurrency-safe",
                                            "snapstart-unique", NULL};
    if (in(name, contracts))
        return true;
    size_t n = name ? strlen(name) : 0, suffix = strlen("-response");
    if (n <= suffix || strcmp(name + n - suffix, "-response") != 0)
        return false;
    char source[64];
    snprintf(source, sizeof source, "%.*s", (int)(n - suffix), name);
    return lc_event_source_from_name(source) != LC_SOURCE_UNKNOWN;
}
