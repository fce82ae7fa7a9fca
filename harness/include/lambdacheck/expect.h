/* lambdacheck: pure checks on an observed response.
 *
 * Two kinds, both reported by name: a case's own expectations ("payload", "errorType", ...) and
 * the built-in contracts every case gets without asking (contracts.h). A check never does I/O.
 * Every verdict says what held when it passes and what did not when it fails; a check the target
 * cannot show (a remote endpoint has no journal) is reported as not checked, never as passed.
 */
#ifndef LAMBDACHECK_EXPECT_H
#define LAMBDACHECK_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "lambdacheck/client.h"
#include "lambdacheck/environment.h"
#include "lambdacheck/error.h"
#include "lambdacheck/runtime.h"

/* Bytes of a log a check sees: the journal keeps at most LC_LOG_MAX_BYTES of output per
 * invocation (environment.h); a remote endpoint's X-Amz-Log-Result holds its last 4 KB. */

/* What was seen of one invocation. Borrowed for the checks. */
typedef struct {
    const char *invocation_type; /* RequestResponse, Event, DryRun */
    long status;
    const char *function_error;  /* "" when none */
    const char *request_id;      /* x-amzn-RequestId */
    const char *payload;         /* not necessarily NUL-terminated */
    size_t payload_len;
    const char *log;             /* the invocation's log; NULL when none is known */
    size_t log_len;
    bool log_is_tail;            /* log is only the last 4 KB (a remote endpoint's Tail) */
    bool log_truncated;          /* the journal stopped keeping output at its cap */
    lc_runtime runtime;          /* the function's runtime: decides which contracts apply;
                                    LC_RUNTIME_UNKNOWN applies the Python runtime's */
    bool local;                  /* the target is the embedded emulator: the journal is known */
    const lc_result *journal;    /* local: the emulator's run of this request, NULL when it has
                                    none (the event never ran); always NULL remotely */
    bool streamed;               /* answered as an event stream (InvokeWithResponseStream) */
    const char *stream;          /* the streamed bytes (payload is the error body when the
                                    stream ended in an error); NULL unless streamed */
    size_t stream_len;
    const json_t *aws_calls;     /* the AWS calls the invocation made, as the local AWS endpoint
                                    recorded them (lc_aws_endpoint_calls); NULL when they cannot
                                    be seen */
    const char *aws_unseen;      /* with aws_calls NULL: why ("calls go to --aws-endpoint ...") */
} lc_observation;

typedef enum {
    LC_CHECK_PASSED,
    LC_CHECK_FAILED,
    LC_CHECK_NOT_CHECKED, /* the target cannot show it (e.g. the journal of a remote endpoint) */
    LC_CHECK_WARNED,      /* held as far as AWS documents what the service does, but the response
                             does something AWS does not document: the message says what; never
                             a failure */
    LC_CHECK_OFF,         /* turned off by the case or its function ("contracts"): the message
                             gives the reason, then what the check found */
} lc_check_state;

/* The verdict of one check. */
typedef struct {
    char check[64];     /* "payload", "error-carries-request-id", ... */
    lc_check_state state;
    char message[1024]; /* what held, why it failed (the path and both sides), or why it could
                           not be checked */
    bool note;          /* a pass worth showing with the case (reports print it as a note):
                           what held is not what the name suggests (a response Lambda ignores) */
} lc_verdict;

typedef struct {
    lc_verdict *items; /* owned */
    size_t count;
} lc_verdicts;

/* Appends a verdict: passed or failed, with the message for that outcome. */
void lc_verdicts_add(lc_verdicts *v, const char *check, bool passed, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Appends a passing verdict that reports show with the case, as a note. */
void lc_verdicts_note(lc_verdicts *v, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends a verdict that held with a warning: what the response does that AWS does not
 * document. */
void lc_verdicts_warn(lc_verdicts *v, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Turns every verdict from index `from` on whose check is `check` (after an
 * "invocations[N]." or a queue mapping's "batches[N]." prefix, if any) off, with the reason
 * before what it found; appends one that says so when none had that name. */
void lc_verdicts_turn_off(lc_verdicts *v, size_t from, const char *check, const char *reason);

/* Appends a verdict that could not be checked on this target, saying why. */
void lc_verdicts_not_checked(lc_verdicts *v, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Renames the verdicts from index `from` on with a prefix ("invocations[1]." + "payload"). */
void lc_verdicts_prefix(lc_verdicts *v, size_t from, const char *prefix);

/* The number of verdicts in a state. */
size_t lc_verdicts_count(const lc_verdicts *v, lc_check_state state);

/* The number of failed verdicts. */
size_t lc_verdicts_failed(const lc_verdicts *v);

void lc_verdicts_clear(lc_verdicts *v);

/* Checks the shape of an "expect" object before anything runs: known keys, value types, and
 * regular expressions that compile. Errors name source (the case file) and where ("expect." or
 * "invocations[1].expect.") and the key. Keys:
 *   status (integer), payload and payloadContains (JSON), payloadText (string), body and
 *   bodyContains (JSON: an HTTP integration response's body, parsed), functionError (string or
 *   null), errorType and errorMessage (strings), logContains, logNotContains and logMatches (a
 *   string or a list of strings; logMatches are POSIX extended regular expressions), coldStart
 *   (boolean), discarded (true), maxDurationMs (a positive number), streamText (a string: the
 *   streamed bytes after an HTTP prelude, if any) and streamPrelude (an object: the prelude
 *   awslambda.HttpResponseStream.from wrote, JSON before 8 NUL bytes), for streamed cases;
 *   awsCalls (a list of {"call": "service:Operation", "paramsContain": {...}} or "params": {...},
 *   the calls made in that order, others between them allowed), awsCallsAnyOrder (true: in any
 *   order), awsCallsOnly (true: no call besides them), noAwsCalls (true: no AWS call at all). */
lc_status lc_expect_validate(const json_t *expect, const char *source, const char *where,
                             lc_error *err);

/* True when the expectations ask for a function error (functionError other than null,
 * errorType or errorMessage): such a case is not failed for having one. */
bool lc_expect_wants_error(const json_t *expect);

/* Checks a validated "expect" object against o, one verdict per expectation (one per string of
 * the log expectations). */
void lc_expect_check(const json_t *expect, const lc_observation *o, lc_verdicts *out);

/* Checks a validated expect.http ({"status", "headers" (null: absent), "body", "bodyBase64" (the
 * bytes of a binary body), "bodyContains", "json", "jsonContains"}) against the answer to a
 * case's HTTP request: one verdict each,
 * named "http.status", "http.headers.<name>", "http.body", ... Header names match
 * case-insensitively; a header sent several times is compared as its values joined by ", ". */
void lc_expect_http_check(const json_t *want, const lc_http_answer *a, lc_verdicts *out);

/* The platform's report of an invocation is its log's last REPORT line, or with the JSON log
 * format its last platform.report record. True when the log has one. */
bool lc_log_has_report(const char *log, size_t len);

/* The Duration of the invocation's report in a log, in ms; false when there is none. */
bool lc_log_report_duration(const char *log, size_t len, double *ms);

/* True when the log's report has an Init Duration (a cold start). */
bool lc_log_report_cold(const char *log, size_t len);

#endif
