/* Private to the runner module and serve's mapping requests (mapping_serve.h): a case that runs an event source mapping (sqs_mapping.h,
 * stream_mapping.h) into its function instead of sending one event, shared by library.c (checking
 * the case when the library is loaded) and runner.c (running it).
 *
 *  "sqs": {"messages": [{"id"?, "body", "groupId"?, "attributes"?}, ...],
 *          "fifo"?, "batchSize"?, "maximumBatchingWindowInSeconds"?, "visibilityTimeout"?,
 *          "maxReceiveCount"? (a redrive policy), "maxInvocations"?, "queueArn"?}
 *  "kinesis" | "dynamodb": {"records": [{"id"?, "partitionKey"?, "shard"?, "age"?, Kinesis
 *          "data" | "dataBase64", DynamoDB "keys", "newImage"?, "oldImage"?, "eventName"?}, ...],
 *          "shards"?, "batchSize"?, "maximumBatchingWindowInSeconds"?,
 *          "bisectBatchOnFunctionError"?, "maximumRetryAttempts"?, "maximumRecordAgeInSeconds"?,
 *          "parallelizationFactor"?, "tumblingWindowInSeconds"?, "maxInvocations"?, "streamArn"?}
 *  "expect": {"mapping": {id lists (the same ids in any order): SQS deleted, deadLetter (an entry
 *          may be {"id", "receiveCount"}), remaining, filteredOut, redelivered; streams processed,
 *          discarded, remaining, filteredOut, redelivered; and counts: invocations, streams'
 *          onFailure and bisections}}
 *
 * The mapping's settings are the case's own, over the case's "eventSource", over the function's
 * mapping for that source (its template's Events or EventSourceMapping, and for SQS the queue the
 * template declares; or the manifest's eventSources).
 */
#ifndef LC_MAPPING_CASE_H
#define LC_MAPPING_CASE_H

#include <jansson.h>

#include "lambdacheck/error.h"
#include "lambdacheck/event_filter.h"
#include "lambdacheck/expect.h"
#include "lambdacheck/sqs_mapping.h"
#include "lambdacheck/stream_mapping.h"

/* A case's mapping, read and checked; its filters owned. */
typedef struct lc__mapping_case {
    const char *source;  /* "sqs", "kinesis" or "dynamodb" */
    const json_t *items; /* its messages or records (borrowed from the case) */
    lc_sqs_mapping sqs;
    lc_stream_mapping stream;
    lc_event_filter *filters[LC_FILTER_MAX];
    const lc_event_filter *view[LC_FILTER_MAX];
    size_t n_filters;
} lc__mapping_case;

/* The source a case drains ("sqs", "kinesis", "dynamodb"), NULL when none. A case giving two
 * is LC_EINVAL (*source is then NULL). */
lc_status lc__mapping_case_source(const json_t *spec, const char *path, const char **source,
                                  lc_error *err);

/* Reads the case's mapping (spec: the case) into *out (free with lc__mapping_case_clear), checked;
 * errors name path and the field ("kinesis.batchSize"). */
lc_status lc__mapping_case_read(const json_t *spec, const char *source, const json_t *case_mapping,
                                const json_t *function_sources, const char *path,
                                lc__mapping_case *out, lc_error *err);

void lc__mapping_case_clear(lc__mapping_case *c);

/* The settings the mapping runs with, defaults filled in, named as a case names them (a new
 * reference): what a report shows so that a user can see which layer gave what. */
json_t *lc__mapping_case_settings(const lc__mapping_case *c);

/* Runs it, invoking through invoke; *outcome as the mapping's module gives it. */
lc_status lc__mapping_case_run(const lc__mapping_case *c, lc_sqs_invoke invoke, void *data,
                               json_t **outcome, lc_error *err);

/* Checks a mapping case's expect: only "mapping", of the shape above for its source. */
lc_status lc__mapping_case_check_expect(const char *source, const json_t *expect, const char *path,
                                        lc_error *err);

/* Verdicts "mapping.<field>" for each expectation against the outcome, and a note "mapping"
 * saying what the run did. */
void lc__mapping_case_judge(const char *source, const json_t *expect_mapping, const json_t *outcome,
                            lc_verdicts *out);

#endif
