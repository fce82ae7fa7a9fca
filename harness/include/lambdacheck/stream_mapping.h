/* lambdacheck: a Kinesis or DynamoDB stream read into a function as Lambda's event source
 * mapping reads it.
 *
 * A local stream holds the records a case gives, each in a shard (its own, or by its partition
 * key's MD5 over evenly split shards, as Kinesis places it) and with a sequence number that grows
 * within the shard. The mapping reads each shard in order from its checkpoint, one batch at a
 * time, invokes the function with the event Lambda builds, and does with the answer what Lambda
 * does (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html, with-ddb.html,
 * services-kinesis-batchfailurereporting.html, kinesis-on-failure-destination.html):
 *   - a successful invocation moves the checkpoint past its batch; with ReportBatchItemFailures,
 *     only up to the lowest sequence number its batchItemFailures name, and the batch is retried
 *     from there; an invalid answer (an empty or null itemIdentifier, one that is not a sequence
 *     number of the batch, a body that is not JSON) retries the whole batch;
 *   - a failed invocation retries the batch; with BisectBatchOnFunctionError the batch is split in
 *     two first (a split does not count as a retry), down to single records;
 *   - after MaximumRetryAttempts retries (-1: no limit), or when the batch's oldest record is
 *     older than MaximumRecordAgeInSeconds, the batch is discarded: its description goes to the
 *     on-failure destination (condition RetryAttemptsExhausted for retries) and the shard moves
 *     on. Until then, a failing batch holds up its shard, and only its shard;
 *   - a record that none of the mapping's filters match is skipped without an invocation.
 *   - with ParallelizationFactor N, each shard is read in N lines of batches at once, a partition
 *     key always in the same line (by its MD5), so that one key's records stay in order
 *     (with-kinesis.html: "Lambda still ensures in-order processing at the partition-key
 *     level"), and a failing batch holds up its own line only. AWS does not say what a failure
 *     does to the shard's other concurrent batches, so a run where one failed warns
 *     ("warnings" in the outcome).
 * Time is virtual and does not pass between retries: a record's age is what the case says it was
 * when the run began. The lines take turns, one batch each: a schedule concurrent batches allow.
 * Tumbling windows are checked but not run.
 *
 * No I/O: invocations go through the caller's callback (the one sqs_mapping.h defines). */
#ifndef LAMBDACHECK_STREAM_MAPPING_H
#define LAMBDACHECK_STREAM_MAPPING_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lambdacheck/error.h"
#include "lambdacheck/event_filter.h"
#include "lambdacheck/sqs_mapping.h"

typedef enum { LC_STREAM_KINESIS, LC_STREAM_DYNAMODB } lc_stream_kind;

/* The mapping and its stream. Zero fields take AWS's defaults (lc_stream_mapping_defaults). */
typedef struct {
    lc_stream_kind kind;
    int shards;             /* the stream's shards (default 1) */
    int batch_size;         /* BatchSize: 1-10,000; default 100 */
    long batching_window_s; /* MaximumBatchingWindowInSeconds: 0-300 */
    bool report_batch_item_failures;
    bool bisect;            /* BisectBatchOnFunctionError */
    long max_retries;       /* MaximumRetryAttempts: -1 (no limit, the default) or
                               0-10,000; LC_STREAM_UNSET takes the default */
    long max_record_age_s;  /* MaximumRecordAgeInSeconds: -1 (none, the default) or
                               60-604,800; LC_STREAM_UNSET takes the default */
    int parallelization;    /* ParallelizationFactor: 1-10 lines per shard (default 1) */
    long tumbling_window_s; /* TumblingWindowInSeconds: 0-900 (checked, not run) */
    long max_invocations;   /* a bound on the run (default 10,000) */
    const char *stream_arn; /* default a stream of account 123456789012 in us-east-1 */
    const lc_event_filter *const *filters; /* FilterCriteria (borrowed) */
    size_t n_filters;
} lc_stream_mapping;

#define LC_STREAM_UNSET LONG_MIN

void lc_stream_mapping_defaults(lc_stream_mapping *m);

/* Checks m against Lambda's bounds (CreateEventSourceMapping); LC_EINVAL naming the field. */
lc_status lc_stream_mapping_check(const lc_stream_mapping *m, const char *where, lc_error *err);

/* Runs m over records, a list of {"id"?: a name for the outcome (default "r<position>"),
 * "partitionKey"?: string (default the id), "shard"?: n (else by partition key), "age"?: seconds
 * since it arrived (default 0), and the record's content: Kinesis "data" (text, sent base64) or
 * "dataBase64"; DynamoDB "keys" and "newImage"/"oldImage" (attribute-value maps) and
 * "eventName" (INSERT, MODIFY or REMOVE; default by the images)}, until every shard is read or
 * m->max_invocations is reached. *outcome (a new reference) is
 *   {"invocations": [{"shard": id, "records": [ids], "result": "ok" | "partial" | "failed",
 *                     "why"?: text, "attempt": n}],
 *    "processed": [ids, in order], "filteredOut": [ids],
 *    "onFailure": [{the destination's record: requestContext, responseContext, version,
 *                   KinesisBatchInfo or DDBStreamBatchInfo, and "records": [ids]}],
 *    "discarded": [ids: those the on-failure records describe], "remaining": [ids],
 *    "deliveries": {id: n}, "redelivered": [ids], "bisections": n,
 *    "warnings"?: [what the run assumed where AWS is silent]}
 * Every record ends in exactly one of processed, filteredOut, discarded or remaining. */
lc_status lc_stream_mapping_run(const lc_stream_mapping *m, const json_t *records,
                                lc_sqs_invoke invoke, void *data, json_t **outcome, lc_error *err);

#endif
