#include "lambdacheck/event.h"

#include <stdlib.h>
#include <string.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/json_util.h"

static const char *const source_names[] = {
#define LC__SOURCE_NAME(name, text) text,
    LC_EVENT_SOURCE_MAP(LC__SOURCE_NAME)
#undef LC__SOURCE_NAME
};

const char *lc_event_source_name(lc_event_source source)
{
    if ((int)source < 0 || source >= LC__SOURCE_COUNT)
        return "unknown";
    return source_names[source];
}

lc_event_source lc_event_source_from_name(const char *name)
{
    for (int i = 0; i < LC__SOURCE_COUNT; i++)
        if (strcmp(source_names[i], name) == 0)
            return (lc_event_source)i;
    return LC_SOURCE_UNKNOWN;
}

/* --- loading ------------------------------------------------------------------------------- */

lc_status lc_event_load_string(const char *text, size_t len, const char *source, json_t **out,
                               lc_error *err)
{
    const char *name = source ? source : "<string>";
    *out = NULL;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    size_t blank = 0; /* text need not end in a NUL */
    while (blank < len && strchr(" \t\r\n", text[blank]) && text[blank] != '\0')
        blank++;
    if (blank >= len)
        return lc_error_set(err, LC_EJSON, name, 0, 0,
                            "no JSON value (the input is empty; an empty event is written null)");
    json_error_t jerr;
    json_t *event = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (event == NULL)
        return lc_error_set(err, LC_EJSON, name, jerr.line, jerr.column, "%s", jerr.text);
    *out = event;
    return LC_OK;
}

lc_status lc_event_load_stream(FILE *stream, const char *source, json_t **out, lc_error *err)
{
    lc_buf buf;
    lc_buf_init(&buf, LC_EVENT_MAX_BYTES);
    lc_status st = lc_buf_read_stream(&buf, stream);
    if (st == LC_ETOOLARGE)
        lc_error_set(err, st, source, 0, 0, "event is larger than %u bytes", LC_EVENT_MAX_BYTES);
    else if (st != LC_OK)
        lc_error_set(err, st, source, 0, 0, "cannot read event: %s", lc_strerror(st));
    else
        st = lc_event_load_string(buf.data, buf.len, source, out, err);
    lc_buf_free(&buf);
    return st;
}

lc_status lc_event_load_file(const char *path, json_t **out, lc_error *err)
{
    lc_buf buf;
    lc_buf_init(&buf, LC_EVENT_MAX_BYTES);
    *out = NULL;
    lc_status st = lc_buf_read_file(&buf, path, err);
    if (st == LC_OK)
        st = lc_event_load_string(buf.data, buf.len, path, out, err);
    lc_buf_free(&buf);
    return st;
}

/* --- overrides ----------------------------------------------------------------------------- */

/* --- setting fields ------------------------------------------------------------------------ */

/* Fields that Lambda's event sources fill with text, JSON or not: an SQS or API Gateway body, an
 * SNS Message. A value that is not a string (an object, a list, a number, a boolean) set into a
 * field that holds a string is stored as its JSON text, so that it stays a string. null is set
 * as null (it deletes in a merge patch), which is also how a string field is made to hold an
 * object: set it to null first. */
static json_t *as_text(json_t *value)
{
    if (value == NULL || json_is_string(value) || json_is_null(value))
        return value;
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    json_t *s = text ? json_string(text) : NULL;
    free(text);
    json_decref(value);
    return s;
}

static bool is_http_source(lc_event_source source)
{
    return source == LC_SOURCE_APIGATEWAY_REST || source == LC_SOURCE_APIGATEWAY_HTTP ||
           source == LC_SOURCE_FUNCTION_URL || source == LC_SOURCE_ALB;
}

/* True when the field at path holds text on Lambda: it holds a string now, or it is the top-level
 * body of an HTTP event (a GET sample's body is null; any body API Gateway sends is a string). */
static bool holds_text(const json_t *event, const char *path)
{
    if (json_is_string(lc_json_get_path(event, path)))
        return true;
    return strcmp(path, "body") == 0 && is_http_source(lc_event_detect(event));
}

/* A copy of patch in which a value that would land on a text field (holds_text) is its JSON
 * text. top: patch is the whole event's patch (for the HTTP body rule). Caller decrefs. */
static json_t *patch_keeping_text(const json_t *target, const json_t *patch, bool top)
{
    if (!json_is_object(patch))
        return json_deep_copy(patch);
    json_t *out = json_object();
    bool http = top && is_http_source(lc_event_detect(target));
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)patch, key, value)
    {
        const json_t *current = json_is_object(target) ? json_object_get(target, key) : NULL;
        json_t *copy = json_is_object(value) && json_is_object(current)
                           ? patch_keeping_text(current, value, false)
                       : json_is_string(current) || (http && strcmp(key, "body") == 0)
                           ? as_text(json_deep_copy(value))
                           : json_deep_copy(value);
        if (out && json_object_set_new(out, key, copy) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}

lc_status lc_event_patch(json_t **event, const json_t *patch, lc_error *err)
{
    json_t *kept = patch_keeping_text(*event, patch, true);
    if (kept == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory applying a merge patch");
    *event = lc_json_merge_patch(*event, kept); /* takes *event */
    json_decref(kept);
    if (*event == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory applying a merge patch");
    return LC_OK;
}

lc_status lc_event_assign(json_t **event, const char *assignment, lc_error *err)
{
    const char *eq = strchr(assignment, '=');
    if (eq == NULL || eq == assignment)
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "assignment '%s' is not of the form path.to.key=value", assignment);
    char path[1024];
    size_t n = (size_t)(eq - assignment);
    if (n >= sizeof path)
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "assignment path is longer than %zu bytes",
                            sizeof path - 1);
    memcpy(path, assignment, n);
    path[n] = '\0';
    json_t *value = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
    if (value == NULL)
        value = json_string(eq + 1);
    else if (holds_text(*event, path))
        value = as_text(value);
    if (value == NULL)
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "assignment '%s': the value is neither JSON nor valid UTF-8",
                            assignment);
    return lc_json_set_path(event, path, value, err);
}

/* --- detection ----------------------------------------------------------------------------- */

/* The value at a dotted path of object keys ("requestContext.http"), borrowed; NULL if absent. */
static const json_t *at(const json_t *node, const char *path)
{
    char key[64];
    while (node && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof key)
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        node = json_object_get(node, key);
        path += n + (path[n] == '.');
    }
    return node;
}

static const char *str_at(const json_t *node, const char *path)
{
    return json_string_value(at(node, path)); /* NULL unless a string */
}

static bool str_is(const json_t *node, const char *path, const char *value)
{
    const char *s = str_at(node, path);
    return s && strcmp(s, value) == 0;
}

static bool has(const json_t *node, const char *path)
{
    return at(node, path) != NULL;
}

static const struct {
    const char *name;
    lc_event_source source;
} event_source_values[] = {
    {"aws:sqs", LC_SOURCE_SQS},
    {"aws:sns", LC_SOURCE_SNS},
    {"aws:s3", LC_SOURCE_S3},
    {"aws:dynamodb", LC_SOURCE_DYNAMODB},
    {"aws:kinesis", LC_SOURCE_KINESIS},
    {"aws:ses", LC_SOURCE_SES},
    {"aws:amq", LC_SOURCE_MQ},
    {"aws:mq", LC_SOURCE_MQ},
    {"aws:rmq", LC_SOURCE_MQ},
    {"aws:kafka", LC_SOURCE_KAFKA},
    {"SelfManagedKafka", LC_SOURCE_KAFKA},
    {"aws:SelfManagedKafka", LC_SOURCE_KAFKA},
};

static lc_event_source by_event_source(const char *value)
{
    if (value == NULL)
        return LC_SOURCE_UNKNOWN;
    for (size_t i = 0; i < sizeof event_source_values / sizeof *event_source_values; i++)
        if (strcmp(event_source_values[i].name, value) == 0)
            return event_source_values[i].source;
    return LC_SOURCE_UNKNOWN;
}

static lc_event_source detect_records(const json_t *event)
{
    const json_t *first = json_array_get(json_object_get(event, "Records"), 0);
    if (!json_is_object(first))
        return LC_SOURCE_UNKNOWN;
    if (has(first, "cf.config.eventType"))
        return LC_SOURCE_LAMBDA_EDGE;
    const char *value = str_at(first, "eventSource");
    if (value == NULL)
        value = str_at(first, "EventSource"); /* SNS capitalises its keys */
    return by_event_source(value);
}

static bool is_authorizer_type(const json_t *event)
{
    return str_is(event, "type", "TOKEN") || str_is(event, "type", "REQUEST");
}

static lc_event_source detect_unique_keys(const json_t *event)
{
    if (has(event, "awslogs.data"))
        return LC_SOURCE_CLOUDWATCH_LOGS;
    if (has(event, "invocationId") && json_is_array(json_object_get(event, "records")) &&
        (has(event, "deliveryStreamArn") ||
         has(json_array_get(json_object_get(event, "records"), 0), "recordId")))
        return LC_SOURCE_FIREHOSE;
    if (has(event, "triggerSource") && has(event, "userPoolId"))
        return LC_SOURCE_COGNITO;
    if (has(event, "invocationSchemaVersion") && has(event, "tasks"))
        return LC_SOURCE_S3_BATCH;
    if (json_object_get(event, "CodePipeline.job") != NULL) /* one key with a dot */
        return LC_SOURCE_CODEPIPELINE;
    if (has(event, "configRuleName") && has(event, "invokingEvent"))
        return LC_SOURCE_CONFIG;
    if (has(event, "RequestType") && has(event, "ResponseURL") && has(event, "StackId"))
        return LC_SOURCE_CLOUDFORMATION;
    if (has(event, "SecretId") && has(event, "ClientRequestToken") && has(event, "Step"))
        return LC_SOURCE_SECRETS_MANAGER;
    if (has(event, "detail-type") && has(event, "source") && has(event, "detail"))
        return LC_SOURCE_EVENTBRIDGE;
    if (str_is(event, "version", "2.0") && str_is(event, "type", "REQUEST") &&
        has(event, "routeArn"))
        return LC_SOURCE_APIGATEWAY_HTTP_AUTHORIZER;
    if (is_authorizer_type(event) && has(event, "methodArn"))
        return LC_SOURCE_APIGATEWAY_AUTHORIZER;
    return LC_SOURCE_UNKNOWN;
}

/* The Host header of an HTTP event, whether its headers hold strings or lists of strings
 * (trimmed fixtures of some SDKs), under either capitalisation; NULL if absent. */
static const char *host_header(const json_t *event)
{
    json_t *headers = json_object_get(event, "headers");
    json_t *host = json_object_get(headers, "host");
    if (host == NULL)
        host = json_object_get(headers, "Host");
    if (json_is_array(host))
        host = json_array_get(host, 0);
    return json_string_value(host);
}

/* A 2.0 payload comes from a function URL when it was addressed to a *.lambda-url.* domain. */
static bool addressed_to_function_url(const json_t *event)
{
    const char *domain = str_at(event, "requestContext.domainName");
    if (domain == NULL)
        domain = host_header(event);
    return domain && strstr(domain, ".lambda-url.") != NULL;
}

/* REST (1.0) proxy events; fixtures are often trimmed, so any of the request context's REST
 * fields will do, not only the stage. */
static bool is_rest_proxy(const json_t *event)
{
    static const char *const rest_fields[] = {"requestContext.stage", "requestContext.resourcePath",
                                              "requestContext.resourceId",
                                              "requestContext.apiId", NULL};
    if (!has(event, "httpMethod") || !(has(event, "resource") || has(event, "path")))
        return false;
    for (const char *const *f = rest_fields; *f; f++)
        if (has(event, *f))
            return true;
    return has(event, "resource");
}

static lc_event_source detect_http(const json_t *event)
{
    if (has(event, "requestContext.elb.targetGroupArn"))
        return LC_SOURCE_ALB;
    if (str_is(event, "version", "2.0") && has(event, "rawPath") &&
        has(event, "requestContext.http"))
        return addressed_to_function_url(event) ? LC_SOURCE_FUNCTION_URL
                                                : LC_SOURCE_APIGATEWAY_HTTP;
    if (is_rest_proxy(event))
        return LC_SOURCE_APIGATEWAY_REST;
    return LC_SOURCE_UNKNOWN;
}

lc_event_source lc_event_detect(const json_t *event)
{
    if (!json_is_object(event))
        return LC_SOURCE_UNKNOWN;
    lc_event_source s = detect_records(event);
    if (s == LC_SOURCE_UNKNOWN)
        s = by_event_source(str_at(event, "eventSource"));
    if (s == LC_SOURCE_UNKNOWN)
        s = detect_unique_keys(event);
    if (s == LC_SOURCE_UNKNOWN)
        s = detect_http(event);
    return s;
}
