/* lambdacheck: the contract checks applied to every case of every handler library.
 *
 *  no-unexpected-error       the function did not fail, unless the case expects a function error
 *                            (functionError, errorType or errorMessage)
 *  result-serializable       a synchronous result is never the runtime's "cannot serialize"
 *                            error (Python: Runtime.MarshalError; Node.js: "Unable to stringify
 *                            response body"), unless the case expects that very error
 *  error-body-shape          an error posted by a managed runtime's client has that runtime's
 *                            keys (Python: errorMessage, errorType, requestId, stackTrace;
 *                            Node.js: errorType, errorMessage, trace; Java: errorMessage,
 *                            errorType, stackTrace)
 *  error-carries-request-id  (Python runtimes) the error's requestId is the invocation's ("" for
 *                            an init error: known from the journal locally, accepted remotely)
 *  async-accepted-empty      an Event invocation answers 202 with an empty body
 *  async-result-discarded    (local) the emulator ran the Event, and its outcome went nowhere but
 *                            the journal
 *  <source>-response         when the event comes from a known service, the response honours
 *                            that service's contract (lc_source_contract_check)
 *  tenant-isolated           (local, the runner's) a case whose last invocation names a tenant:
 *                            that event for a new tenant after the case's tenants answers as in
 *                            a fresh environment, so no tenant's state reached another
 *  concurrency-safe          (local, the runner's) a case whose function is on Lambda Managed
 *                            Instances: its events run several at once in one environment answer
 *                            as each alone (concurrency.h)
 *  snapstart-unique          (local, the runner's) a case whose function has SnapStart: its
 *                            first synchronous event answers no value made during init that
 *                            differs between fresh environments yet repeats between ones
 *                            restored from the snapshot
 * Which runtime a case's function has decides which contracts apply (runtime.h).
 */
#ifndef LAMBDACHECK_CONTRACTS_H
#define LAMBDACHECK_CONTRACTS_H

#include "lambdacheck/event.h"
#include "lambdacheck/expect.h"

/* How the function's event source is configured, where a contract depends on it. */
typedef struct {
    bool report_batch_item_failures; /* the event source mapping has FunctionResponseTypes:
                                        [ReportBatchItemFailures]. SQS, Kinesis and DynamoDB
                                        Streams read a partial batch response only then;
                                        without it they ignore the response */
} lc_source_settings;

/* The response contract of the service that sent event (spec section 5), checked against the
 * event that caused the response: one verdict named "<source>-response" whose message names the
 * field and what the service would do ("API Gateway would answer 502: statusCode must be an
 * integer, got true"). A rule fails only where AWS documents that the service fails, rejects
 * or retries (each cites its page); what AWS does not document is a warning (LC_CHECK_WARNED).
 * payload is the handler's result as bytes, which may be empty or not JSON at all: each
 * service's contract says what it does with that. Sources with no response contract (S3, SNS,
 * EventBridge, ...) pass. settings may be NULL (Lambda's defaults). Returns the detected
 * source. */
lc_event_source lc_source_contract_check(const json_t *event, const char *payload, size_t len,
                                         const lc_source_settings *settings, lc_verdicts *out);

/* The names of the built-in contracts a case may turn off ("no-unexpected-error", ...,
 * "<source>-response"): true when name is one. */
bool lc_contract_known(const char *name);

/* Runs every built-in contract that applies to o (by its invocation type, runtime and target).
 * expect (may be NULL) exempts a case that asks for the very error a contract forbids. */
void lc_contracts_check(const lc_observation *o, const json_t *expect, lc_verdicts *out);

#endif
