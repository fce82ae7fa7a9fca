/* lambdacheck: the built-in check concurrency-safe (issue 21), for Lambda Managed Instances.
 *
 * On Managed Instances one execution environment runs several invocations at once
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances.html): Python runs them
 * in processes that share /tmp, Node.js in worker threads that each run several at once, so a
 * handler that keeps a request's state in a module global or writes a fixed file name in /tmp is
 * correct on ordinary Lambda and wrong there. AWS says such functions "need to consider thread
 * safety, state management, and context isolation"
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-runtimes.html) and that
 * "the /tmp directory is shared across all concurrent requests in the execution environment"
 * (lambda-managed-instances-python-runtime.html).
 *
 * The check, in a fresh Managed Instances environment of the function's own (a sandbox):
 *   1. each event runs alone, twice there and once in another fresh environment: the parts of
 *      an answer that differ between those runs (a time, a pid, a request id) are left out of
 *      the comparison, said so; an event whose answers differ in every part is not compared;
 *   2. the events run at_once at a time (copies in turn when there are fewer), in two rounds;
 *   3. every answer (status, function error, and the payload; for an error its errorType and
 *      errorMessage with the request id taken out, since its requestId and trace differ by
 *      nature) must be the one the event got alone. A difference fails the check, naming the invocations that ran together and
 *      what each answered alone and at once.
 * Node.js functions run with one worker thread (AWS_LAMBDA_NODEJS_WORKER_COUNT=1, unless the
 * function sets it): all invocations then share one worker's globals, as they do on Lambda
 * whenever the concurrency passes the worker count (64 per vCPU against 8 workers per vCPU by
 * default).
 */
#ifndef LAMBDACHECK_CONCURRENCY_H
#define LAMBDACHECK_CONCURRENCY_H

#include <stddef.h>
#include <jansson.h>

#include "lambdacheck/emulator.h"
#include "lambdacheck/error.h"
#include "lambdacheck/expect.h"

#define LC_CONCURRENCY_CHECK "concurrency-safe"
/* Invocations run at once when the caller does not say: the function's maximum, up to this. */
#define LC_CONCURRENCY_DEFAULT_AT_ONCE 8

/* What to run. Everything borrowed for the call. */
typedef struct {
    const char *function;          /* a Managed Instances function of the emulator */
    const json_t *variables;       /* merged over the function's in the fresh environment (the
                                      case's own), or NULL */
    const char *const *events;     /* n_events event payloads (JSON text) */
    const json_t *const *contexts; /* per event, context overrides as in lc_invoke_options (its
                                      tenant, client context), or NULL for all */
    size_t n_events;
    int at_once;                   /* 0: the function's maximum concurrency, at most
                                      LC_CONCURRENCY_DEFAULT_AT_ONCE; more than the maximum is
                                      capped to it */
} lc_concurrency_probe;

/* Runs the check and adds one verdict named LC_CONCURRENCY_CHECK to out: passed, failed, or
 * not checked (no event can be compared; a function not on Managed Instances). Errors of the
 * harness (an unknown function, an environment that cannot start) are statuses. */
lc_status lc_concurrency_check(lc_emulator *em, const lc_concurrency_probe *probe,
                               lc_verdicts *out, lc_error *err);

#endif
