/* lambdacheck: the contract checks applied to every case of every handler library.
 *
 *  result-serializable       a synchronous result is never Runtime.MarshalError
 *  error-carries-request-id  an error posted by the runtime has errorMessage, errorType,
 *                            requestId and stackTrace, and requestId is the invocation's ("" for
 *                            an init error: known from the journal locally, accepted remotely)
 *  async-accepted-empty      an Event invocation answers 202 with an empty body
 *  async-result-discarded    (local) the Event's handler ran, and its result went nowhere but
 *                            the journal
 *  <source>-response         when the event comes from a known service, the response honours
 *                            that service's contract (lc_source_contract_check)
 */
#ifndef LAMBDACHECK_CONTRACTS_H
#define LAMBDACHECK_CONTRACTS_H

#include "lambdacheck/event.h"
#include "lambdacheck/expect.h"

/* The response contract of the service that sent event (spec section 5), checked against the
 * event that caused the response: one verdict named "<source>-response" whose message names the
 * field and what the service would do ("API Gateway would answer 502: statusCode must be an
 * integer, got \"200\""). response is the handler's result (NULL for no payload). Sources with no
 * response contract (S3, SNS, EventBridge, ...) pass. Returns the detected source. */
lc_event_source lc_source_contract_check(const json_t *event, const json_t *response,
                                         lc_verdicts *out);

/* Runs every contract that applies to o. expect (may be NULL) exempts a case that asks for the
 * very error a contract forbids (e.g. "errorType": "Runtime.MarshalError"). */
void lc_contracts_check(const lc_observation *o, const json_t *expect, lc_verdicts *out);

#endif
