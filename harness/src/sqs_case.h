/* Private to the runner module: a case that drains a queue into its function (sqs_mapping.h),
 * shared by library.c (checking the case when the library is loaded) and runner.c (running it).
 *
 *  "sqs": {"messages": [{"id"?, "body", "groupId"?, "attributes"?}, ...],
 *          "fifo"?: bool, "batchSize"?: n, "maximumBatchingWindowInSeconds"?: n,
 *          "visibilityTimeout"?: seconds, "maxReceiveCount"?: n (a redrive policy),
 *          "maxInvocations"?: n, "queueArn"?: ARN}
 *  "expect": {"mapping": {"deleted"?, "deadLetter"?, "remaining"?, "filteredOut"?,
 *                         "redelivered"?: [ids] (the same ids in any order; a deadLetter entry
 *                         may be {"id", "receiveCount"}), "invocations"?: n}}
 *
 * The mapping's FunctionResponseTypes and filters are the case's "eventSource", else the
 * function's sqs mapping (its template's Events or the manifest's eventSources).
 */
#ifndef LC_SQS_CASE_H
#define LC_SQS_CASE_H

#include <jansson.h>

#include "lambdacheck/error.h"
#include "lambdacheck/event_filter.h"
#include "lambdacheck/expect.h"
#include "lambdacheck/sqs_mapping.h"

/* A case's mapping, its filters owned. */
typedef struct {
    lc_sqs_mapping m;
    lc_event_filter *filters[LC_FILTER_MAX];
    const lc_event_filter *view[LC_FILTER_MAX];
} lc__sqs_case;

/* Reads sqs (the case's "sqs") and the mapping settings into *out (free with
 * lc__sqs_case_clear), checked; errors name source and the field ("sqs.batchSize"). */
lc_status lc__sqs_case_read(const json_t *sqs, const json_t *case_mapping,
                            const json_t *function_sources, const char *source, lc__sqs_case *out,
                            lc_error *err);

void lc__sqs_case_clear(lc__sqs_case *c);

/* Checks a case with "sqs": its expect has only "mapping", of the shape above. */
lc_status lc__sqs_case_check_expect(const json_t *expect, const char *source, lc_error *err);

/* Verdicts "mapping.<field>" for each expectation of expect_mapping against the outcome
 * (lc_sqs_mapping_run's), and "mapping" saying what the run did. */
void lc__sqs_case_judge(const json_t *expect_mapping, const json_t *outcome, lc_verdicts *out);

#endif
