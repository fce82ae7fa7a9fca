/* lambdacheck: fixture events: loading, overrides, and event-source detection (spec 1, 5).
 *
 * Any JSON value is a legal event (object, list, string, number, true/false, null). Files may
 * start with a UTF-8 byte order mark. Errors name the source, line and column.
 */
#ifndef LAMBDACHECK_EVENT_H
#define LAMBDACHECK_EVENT_H

#include <stdio.h>
#include <jansson.h>

#include "lambdacheck/error.h"

/* Largest event file read, in bytes. Larger than the 6 MB synchronous payload limit on purpose:
 * pretty-printed fixtures shrink when sent compactly. */
#define LC_EVENT_MAX_BYTES (16u * 1024 * 1024)

/* X(ENUM, "stable-name"). Append new sources at the end. */
#define LC_EVENT_SOURCE_MAP(X)                                                                     \
    X(UNKNOWN, "unknown")                                                                          \
    X(APIGATEWAY_REST, "apigateway-rest")                                                          \
    X(APIGATEWAY_HTTP, "apigateway-http")                                                          \
    X(FUNCTION_URL, "function-url")                                                                \
    X(ALB, "alb")                                                                                  \
    X(APIGATEWAY_AUTHORIZER, "apigateway-authorizer")                                              \
    X(APIGATEWAY_HTTP_AUTHORIZER, "apigateway-http-authorizer")                                    \
    X(SQS, "sqs")                                                                                  \
    X(SNS, "sns")                                                                                  \
    X(S3, "s3")                                                                                    \
    X(DYNAMODB, "dynamodb")                                                                        \
    X(KINESIS, "kinesis")                                                                          \
    X(FIREHOSE, "firehose")                                                                        \
    X(EVENTBRIDGE, "eventbridge")                                                                  \
    X(CLOUDWATCH_LOGS, "cloudwatch-logs")                                                          \
    X(COGNITO, "cognito")                                                                          \
    X(SES, "ses")                                                                                  \
    X(S3_BATCH, "s3-batch")                                                                        \
    X(LAMBDA_EDGE, "lambda-edge")                                                                  \
    X(CODEPIPELINE, "codepipeline")                                                                \
    X(CONFIG, "config")                                                                            \
    X(MQ, "mq")                                                                                    \
    X(KAFKA, "kafka")                                                                              \
    X(SECRETS_MANAGER, "secrets-manager")                                                          \
    X(CLOUDFORMATION, "cloudformation")

typedef enum {
#define LC__SOURCE_ENUM(name, text) LC_SOURCE_##name,
    LC_EVENT_SOURCE_MAP(LC__SOURCE_ENUM)
#undef LC__SOURCE_ENUM
        LC__SOURCE_COUNT
} lc_event_source;

/* The stable lowercase name of a source ("sqs"); "unknown" for values out of range. */
const char *lc_event_source_name(lc_event_source source);

/* The source with that name, or LC_SOURCE_UNKNOWN when there is none. */
lc_event_source lc_event_source_from_name(const char *name);

/* Which service sent this event: Records[0].eventSource (SNS: EventSource), then a top-level
 * eventSource, then keys unique to a source, HTTP shapes last. LC_SOURCE_UNKNOWN otherwise. */
lc_event_source lc_event_detect(const json_t *event);

/* Parses len bytes of text as an event; source names it in errors (NULL: "<string>").
 * On success *out is a new reference (caller decrefs). */
lc_status lc_event_load_string(const char *text, size_t len, const char *source, json_t **out,
                               lc_error *err);

/* Reads and parses a file. */
lc_status lc_event_load_file(const char *path, json_t **out, lc_error *err);

/* Reads and parses a whole stream (stdin: source "<stdin>"). */
lc_status lc_event_load_stream(FILE *stream, const char *source, json_t **out, lc_error *err);

/* Applies an RFC 7396 merge patch to *event (borrowed patch; *event may be replaced). */
lc_status lc_event_patch(json_t **event, const json_t *patch, lc_error *err);

/* Applies one "path.to.key=value" assignment to *event. The value is taken as JSON when it parses
 * as JSON (3, true, "x", {"a":1}) and as a plain string otherwise (hello). Paths as in
 * lc_json_set_path ("Records[0].body"). *event may be replaced. */
lc_status lc_event_assign(json_t **event, const char *assignment, lc_error *err);

/* What to put into a generated event; NULL/0 fields keep the sample's values. Which fields a
 * source takes is lc_event_params_of(source); lc_event_generate refuses the others. */
typedef struct {
    int count;          /* records in a batch (LC_PARAM_COUNT); 0: as in the sample */
    const char *body;   /* request or message body (LC_PARAM_BODY): an HTTP body, an SQS body,
                         * an SNS message, Kinesis/Firehose/Kafka/MQ data (base64-encoded here),
                         * a CloudWatch Logs message, an EventBridge detail (a JSON object) */
    const char *method; /* HTTP method (LC_PARAM_ROUTE) */
    const char *path;   /* HTTP path (LC_PARAM_ROUTE); REST events also get resource,
                         * requestContext.path and requestContext.resourcePath */
    const char *bucket; /* S3 bucket (LC_PARAM_OBJECT) */
    const char *key;    /* S3 object key (LC_PARAM_OBJECT), URL-encoded as S3 writes it */
} lc_event_params;

/* Kinds of lc_event_params fields, as a bit set. */
enum {
    LC_PARAM_COUNT = 1u << 0,  /* count */
    LC_PARAM_BODY = 1u << 1,   /* body */
    LC_PARAM_ROUTE = 1u << 2,  /* method, path */
    LC_PARAM_OBJECT = 1u << 3, /* bucket, key */
};

/* The LC_PARAM_* kinds source takes (0: only --set style assignments). */
unsigned lc_event_params_of(lc_event_source source);

/* A valid event of source built from a sample event of that source (borrowed): fresh ids; every
 * time moved so that the earliest is now and the others keep their distance, each in the form
 * the sample writes it; params applied. A param the source does not take is LC_EINVAL, naming
 * the ones it takes. *out is a new reference (caller decrefs). */
lc_status lc_event_generate(lc_event_source source, const json_t *sample,
                            const lc_event_params *params, json_t **out, lc_error *err);

/* lc_event_assign, then keeps REST and ALB events' multi-value maps in step: setting
 * headers.NAME (or queryStringParameters.NAME) to a string also sets multiValueHeaders.NAME
 * (multiValueQueryStringParameters.NAME) to a list of that string when the event has that map.
 * An event with only the multi-value map (an ALB target group with multi-value headers on) keeps
 * only that map. */
lc_status lc_event_assign_synced(json_t **event, const char *assignment, lc_error *err);

/* SQS's md5OfBody for a message body: its MD5 in lowercase hex, a new JSON string. */
json_t *lc_event_md5_of_body(const char *body);

#endif
