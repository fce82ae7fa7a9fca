/* lambdacheck: an SQS queue drained into a function as Lambda's event source mapping drains it.
 *
 * A local queue (standard or FIFO) holds the messages a case gives; the mapping receives batches
 * of visible messages, invokes the function with the SQS event Lambda builds, and does with the
 * answer what Lambda does (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html,
 * services-sqs-errorhandling.html):
 *   - a successful invocation deletes its batch; with ReportBatchItemFailures on, the messages its
 *     batchItemFailures name stay in the queue and the others are deleted; an invalid response
 *     (an empty, null or badly named itemIdentifier, an id not in the batch, an answer that is not
 *     JSON) fails the whole batch;
 *   - a failed invocation (a function error, a timeout, a crash) leaves the whole batch in the
 *     queue;
 *   - a message left in the queue is received again when its visibility timeout ends; each
 *     receive counts (ApproximateReceiveCount), and with a redrive policy a message received
 *     maxReceiveCount times and still not deleted moves to the dead-letter queue instead of being
 *     received again (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/
 *     sqs-dead-letter-queues.html);
 *   - in a FIFO queue, messages of one message group come in order, and a group with messages in
 *     flight gives no more until they are deleted or visible again: a failing message holds up its
 *     group only (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/
 *     FIFO-queues-understanding-logic.html);
 *   - a message that none of the mapping's filters match is deleted without an invocation
 *     (invocation-eventfiltering.html).
 * Time is virtual: waiting for a visibility timeout moves the queue's clock at once, and the
 * outcome says how much time was skipped. One batch is in flight at a time: a schedule Lambda may
 * run (it polls with several pollers, in no promised order for a standard queue).
 *
 * No I/O: invocations go through the caller's callback. */
#ifndef LAMBDACHECK_SQS_MAPPING_H
#define LAMBDACHECK_SQS_MAPPING_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lambdacheck/error.h"
#include "lambdacheck/event_filter.h"

/* SQS's largest message body with its attributes, in bytes: 1 MiB (https://docs.aws.amazon.com/
 * AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html). */
#define LC_SQS_MESSAGE_MAX (1024 * 1024)

/* The mapping and its queue. Zero fields take AWS's defaults (lc_sqs_mapping_defaults). */
typedef struct {
    bool fifo;                       /* a FIFO queue (its name ends in .fifo) */
    int batch_size;                  /* BatchSize: 1-10 for FIFO, 1-10,000 standard; default 10 */
    long batching_window_s;          /* MaximumBatchingWindowInSeconds: 0-300; a batch size over 10
                                        needs at least 1 */
    bool report_batch_item_failures; /* FunctionResponseTypes: [ReportBatchItemFailures] */
    long visibility_timeout_s;       /* the queue's VisibilityTimeout: 0-43,200; default 30 */
    int max_receive_count;           /* the redrive policy's maxReceiveCount: 1-1,000; 0: no
                                        dead-letter queue */
    int max_concurrency;             /* ScalingConfig.MaximumConcurrency: 2-1,000, 0: none;
                                        checked only: one batch is in flight at a time, which
                                        every maximum allows */
    long max_invocations;            /* a bound on the run: it stops after this many (default
                                        10,000); what is left is "remaining" */
    const char *queue_arn;           /* default arn:aws:sqs:us-east-1:123456789012:queue[.fifo] */
    const lc_event_filter *const *filters; /* FilterCriteria, n_filters of them (borrowed) */
    size_t n_filters;
} lc_sqs_mapping;

/* What the function answered to one batch: its response (borrowed; NULL when it had none, or the
 * invocation failed), its length in bytes as sent (to tell an empty answer from null), and
 * whether the invocation failed (a function error, a timeout, the process ending). */
typedef struct {
    bool failed;
    const char *error_type; /* when failed: what the caller was told (X-Amz-Function-Error,
                               "Unhandled"), or NULL */
    const char *payload;    /* the response bytes, or NULL */
    size_t payload_len;
} lc_sqs_answer;

/* Invokes the function with event (borrowed) and fills *answer, whose strings stay valid until
 * the next call; data is the caller's. Any status but LC_OK stops the run with that error (the
 * target could not be reached: not the function's doing). */
typedef lc_status (*lc_sqs_invoke)(void *data, const json_t *event, lc_sqs_answer *answer,
                                   lc_error *err);

/* Fills the zero fields of m with AWS's defaults. */
void lc_sqs_mapping_defaults(lc_sqs_mapping *m);

/* Checks m against Lambda's and SQS's bounds (the batch size for the queue's kind, the batching
 * window a batch size over 10 needs, the visibility timeout, maxReceiveCount). LC_EINVAL naming
 * the field ("batchSize") as where says ("case.json: sqs"). */
lc_status lc_sqs_mapping_check(const lc_sqs_mapping *m, const char *where, lc_error *err);

/* Runs m over messages, a list of {"body": string, "id"?: string (its messageId; default a UUID
 * made from its position), "groupId"?: string (FIFO: its MessageGroupId, required),
 * "attributes"?: {name: {"stringValue": ..., "dataType": ...}}}, until the queue is empty or
 * m->max_invocations is reached. A message that is not of that shape, over
 * LC_SQS_MESSAGE_MAX bytes, or a repeated id is LC_EINVAL naming it ("messages[3].body").
 * *outcome (a new reference) is
 *   {"invocations": [{"records": [ids], "at": seconds, "result": "ok" | "partial" | "failed",
 *                     "failed": [ids], "why": text}],
 *    "deleted": [ids, in order], "filteredOut": [ids],
 *    "deadLetter": [{"id": id, "receiveCount": n}], "remaining": [ids],
 *    "receives": {id: n}, "redelivered": [ids received more than once],
 *    "skippedSeconds": n}
 * Every message ends in exactly one of deleted, filteredOut, deadLetter or remaining. */
lc_status lc_sqs_mapping_run(const lc_sqs_mapping *m, const json_t *messages, lc_sqs_invoke invoke,
                             void *data, json_t **outcome, lc_error *err);

#endif
