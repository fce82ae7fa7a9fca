/* Private to the runner module: the settings a manifest's function and a case may give about the
 * built-in contracts, shared by library.c (checking them when a library is loaded) and
 * runner.c (applying them to verdicts).
 *
 *  "contracts":    {"sqs-response": "the queue is drained by another consumer", ...}: built-in
 *                  contracts turned off, each with its reason (a non-empty string). A case's
 *                  entries are laid over its function's.
 *  "eventSources": (a function) {"sqs": {"functionResponseTypes": ["ReportBatchItemFailures"]},
 *                  "kinesis": {...}, "dynamodb": {...}}: how the queues and streams that invoke
 *                  it are mapped, as a template's Events or EventSourceMapping say; a mapping
 *                  may list its "filters" (FilterCriteria patterns, JSON text each).
 *                  Its numbers ("batchSize", "maximumBatchingWindowInSeconds", a stream's
 *                  "maximumRetryAttempts", "maximumRecordAgeInSeconds", "parallelizationFactor",
 *                  "tumblingWindowInSeconds"), "bisectBatchOnFunctionError", and for SQS
 *                  "queue": {"visibilityTimeout", "fifo", "maxReceiveCount"} (the attributes of
 *                  the queue a template declares) are used when a case runs the mapping
 *                  (mapping_case.h).
 *  "eventSource":  (a case) {"functionResponseTypes": [...]}: the mapping of the case's own
 *                  event's source, over the function's.
 */
#ifndef LC_SETTINGS_H
#define LC_SETTINGS_H

#include <jansson.h>

#include "lambdacheck/contracts.h"
#include "lambdacheck/error.h"

/* Checks a "contracts" object: each key a built-in contract (lc_contract_known), each value a
 * reason. where prefixes the field ("functions.f." or ""); errors name source. NULL is fine. */
lc_status lc__settings_check_contracts(const json_t *contracts, const char *where,
                                       const char *source, lc_error *err);

/* Checks a function's "eventSources" object: keys sqs, kinesis or dynamodb, values mapping
 * settings. NULL is fine. */
lc_status lc__settings_check_event_sources(const json_t *sources, const char *where,
                                           const char *source, lc_error *err);

/* Checks one mapping's settings ({"functionResponseTypes": ["ReportBatchItemFailures"]}), as a
 * case's "eventSource" or a value of "eventSources". NULL is fine. */
lc_status lc__settings_check_mapping(const json_t *mapping, const char *where,
                                     const char *source, lc_error *err);

/* The filters (a list of pattern strings) of the mapping an event comes through: the case's
 * mapping when it gives some, else the function's for the event's source; NULL when none. */
const json_t *lc__settings_filters(const json_t *event, const json_t *case_mapping,
                                   const json_t *function_sources);

/* The settings a contract sees for an event: the case's mapping when it gives one, else the
 * function's mapping for the event's source; both may be NULL. */
lc_source_settings lc__settings_for_event(const json_t *event, const json_t *case_mapping,
                                          const json_t *function_sources);

/* The function's turned-off contracts with the case's laid over them: a new object (caller
 * owns); either may be NULL. */
json_t *lc__settings_merge_contracts(const json_t *function, const json_t *own);

#endif
