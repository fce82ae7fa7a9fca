/* lambdacheck: the contract checks applied to every case of every handler library.
 *
 *  result-serializable       a synchronous result is never Runtime.MarshalError
 *  error-carries-request-id  an error posted by the runtime has errorMessage, errorType,
 *                            requestId and stackTrace, and requestId is the invocation's ("" for
 *                            an init error: known from the journal locally, accepted remotely)
 *  async-accepted-empty      an Event invocation answers 202 with an empty body
 *  async-result-discarded    (local) the Event's handler ran, and its result went nowhere but
 *                            the journal
 */
#ifndef LAMBDACHECK_CONTRACTS_H
#define LAMBDACHECK_CONTRACTS_H

#include "lambdacheck/expect.h"

/* Runs every contract that applies to o. expect (may be NULL) exempts a case that asks for the
 * very error a contract forbids (e.g. "errorType": "Runtime.MarshalError"). */
void lc_contracts_check(const lc_observation *o, const json_t *expect, lc_verdicts *out);

#endif
