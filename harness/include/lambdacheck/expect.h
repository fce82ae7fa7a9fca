/* lambdacheck: pure checks on an observed response.
 *
 * Two kinds, both reported by name: a case's own expectations ("payload", "errorType", ...) and
 * the built-in contracts every case gets without asking (contracts.h). A check never does I/O.
 */
#ifndef LAMBDACHECK_EXPECT_H
#define LAMBDACHECK_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "lambdacheck/environment.h"
#include "lambdacheck/error.h"

/* What was seen of one invocation. Borrowed for the checks. */
typedef struct {
    const char *invocation_type; /* RequestResponse, Event, DryRun */
    long status;
    const char *function_error;  /* "" when none */
    const char *request_id;      /* x-amzn-RequestId */
    const char *payload;
    size_t payload_len;
    const char *log;             /* Tail log, or the journal's; NULL when unknown */
    const lc_result *journal;    /* local targets: what the emulator saw (all zero when it has
                                    no run of this request); NULL for remote targets */
} lc_observation;

/* The verdicts of the checks run on one observation. */
typedef struct {
    char check[64];     /* "payload", "error-carries-request-id", ... */
    bool passed;
    char message[1024]; /* why it failed: names the path and both sides */
} lc_verdict;

typedef struct {
    lc_verdict *items; /* owned */
    size_t count;
} lc_verdicts;

/* Appends a verdict. */
void lc_verdicts_add(lc_verdicts *v, const char *check, bool passed, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The number of failed verdicts. */
size_t lc_verdicts_failed(const lc_verdicts *v);

void lc_verdicts_clear(lc_verdicts *v);

/* Checks the expectations of a case ("expect" object: status, payload, payloadContains,
 * functionError, errorType, errorMessage, logContains, coldStart, discarded). An unknown key
 * is an error naming it (source names the case file). */
lc_status lc_expect_check(const json_t *expect, const lc_observation *o, lc_verdicts *out,
                          const char *source, lc_error *err);

#endif
