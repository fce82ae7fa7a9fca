/* lambdacheck: the mock context object and the invocation facts behind it (spec 2.5, 3.1, 3.4).
 *
 * A context holds what Lambda knows about one invocation of one function: request id, function
 * name and version, invoked ARN (derived from region, account, name and qualifier unless set),
 * memory, timeout, deadline, log group and stream, trace id, client context, Cognito identity,
 * tenant id. Defaults look like real Lambda. Every setter validates and refuses bad values with a
 * clear error, leaving the context unchanged.
 */
#ifndef LAMBDACHECK_CONTEXT_H
#define LAMBDACHECK_CONTEXT_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "lambdacheck/error.h"

typedef struct lc_context lc_context;

#define LC_MEMORY_MIN_MB 128
#define LC_MEMORY_MAX_MB 10240
#define LC_TIMEOUT_MAX_MS 900000

/* A context with defaults: a fresh UUID v4 request id, function "my-function", version
 * "$LATEST", region "us-east-1", account "123456789012", 128 MB, 3 s, log group
 * "/aws/lambda/my-function", a log stream "YYYY/MM/DD/[$LATEST]<32 hex>" of today, a fresh X-Ray
 * trace id, and no client context, identity or tenant. Caller frees with lc_context_free(); NULL
 * when out of memory. */
lc_context *lc_context_new(void);

/* A deep copy. Caller frees with lc_context_free(). */
lc_context *lc_context_copy(const lc_context *ctx);

/* Frees ctx; NULL is a no-op. */
void lc_context_free(lc_context *ctx);

/* Gives the context a fresh request id and trace id, as for the next invocation. */
void lc_context_renew(lc_context *ctx);

/* Setters. Strings are copied. Each returns LC_EINVAL or LC_ERANGE for a bad value. */
lc_status lc_context_set_request_id(lc_context *ctx, const char *id, lc_error *err);
/* 1-64 characters of letters, digits, '-' and '_'. Also renames the default log group. */
lc_status lc_context_set_function_name(lc_context *ctx, const char *name, lc_error *err);
/* "$LATEST" or a version number. */
lc_status lc_context_set_version(lc_context *ctx, const char *version, lc_error *err);
/* Alias or version the function was invoked with (appears in the invoked ARN); NULL clears. */
lc_status lc_context_set_qualifier(lc_context *ctx, const char *qualifier, lc_error *err);
lc_status lc_context_set_region(lc_context *ctx, const char *region, lc_error *err);
/* Twelve digits. */
lc_status lc_context_set_account(lc_context *ctx, const char *account, lc_error *err);
/* Overrides the derived ARN; NULL goes back to deriving it. */
lc_status lc_context_set_invoked_arn(lc_context *ctx, const char *arn, lc_error *err);
/* 128-10240 MB. */
lc_status lc_context_set_memory_mb(lc_context *ctx, long mb, lc_error *err);
/* 1-900 seconds. */
lc_status lc_context_set_timeout(lc_context *ctx, long seconds, lc_error *err);
/* 1 ms to 900 s; for fast tests. */
lc_status lc_context_set_timeout_ms(lc_context *ctx, long ms, lc_error *err);
/* Absolute deadline in epoch milliseconds (must be positive). */
lc_status lc_context_set_deadline_ms(lc_context *ctx, int64_t deadline_ms, lc_error *err);
lc_status lc_context_set_log_group(lc_context *ctx, const char *group, lc_error *err);
lc_status lc_context_set_log_stream(lc_context *ctx, const char *stream, lc_error *err);
/* "Root=1-<8 hex>-<24 hex>[;Parent=...][;Sampled=...]". */
lc_status lc_context_set_trace_id(lc_context *ctx, const char *trace_id, lc_error *err);
/* JSON text of an object with optional "client", "custom" and "env" objects; NULL clears. */
lc_status lc_context_set_client_context(lc_context *ctx, const char *json, lc_error *err);
/* JSON text of an object with string "cognitoIdentityId" / "cognitoIdentityPoolId"; NULL clears. */
lc_status lc_context_set_cognito_identity(lc_context *ctx, const char *json, lc_error *err);
/* The tenant of a function with tenant isolation (spec 10), as Invoke's TenantId allows it
 * (lc_tenant_id_problem); NULL clears. */
lc_status lc_context_set_tenant_id(lc_context *ctx, const char *tenant_id, lc_error *err);

/* Longest tenant id Invoke accepts. */
#define LC_TENANT_ID_MAX 256

/* Why id is not a tenant id Invoke accepts (empty, over LC_TENANT_ID_MAX, or a character outside
 * [a-zA-Z0-9._:/=+-@ ]), written to why in Lambda's words and returned; NULL when it is one. */
const char *lc_tenant_id_problem(const char *id, char *why, size_t size);

/* Applies overrides from a JSON object (as in a case file). Keys: requestId, functionName,
 * functionVersion, qualifier, region, account, invokedFunctionArn, memoryMB, timeout (seconds),
 * timeoutMs, deadlineMs, logGroupName, logStreamName, traceId, clientContext (object),
 * identity (object), tenantId. An unknown key or a bad value is an error naming the key;
 * source names the file for messages (may be NULL). */
lc_status lc_context_apply_json(lc_context *ctx, const json_t *overrides, const char *source,
                                lc_error *err);

/* Gives the context a fresh log stream name of today (each execution environment has its own). */
void lc_context_renew_log_stream(lc_context *ctx);

/* Sets the deadline to now_ms + timeout. */
void lc_context_arm(lc_context *ctx, int64_t now_ms);

/* Getters: the strings are borrowed until the context changes or is freed. Optional values are
 * NULL when unset. */
const char *lc_context_request_id(const lc_context *ctx);
const char *lc_context_function_name(const lc_context *ctx);
const char *lc_context_version(const lc_context *ctx);
const char *lc_context_qualifier(const lc_context *ctx);
const char *lc_context_region(const lc_context *ctx);
const char *lc_context_account(const lc_context *ctx);
const char *lc_context_invoked_arn(const lc_context *ctx);
/* The unqualified ARN of the function ("arn:aws:lambda:<region>:<account>:function:<name>"). */
const char *lc_context_function_arn(const lc_context *ctx);
long lc_context_memory_mb(const lc_context *ctx);
long lc_context_timeout_ms(const lc_context *ctx);
int64_t lc_context_deadline_ms(const lc_context *ctx);
const char *lc_context_log_group(const lc_context *ctx);
const char *lc_context_log_stream(const lc_context *ctx);
const char *lc_context_trace_id(const lc_context *ctx);
const char *lc_context_client_context(const lc_context *ctx);
const char *lc_context_cognito_identity(const lc_context *ctx);
const char *lc_context_tenant_id(const lc_context *ctx);

/* The Lambda-Runtime-* headers of a /next response (spec 3.1) as a new JSON object of strings,
 * headers with empty values left out. Content-Type is the invocation's, not the context's, and is
 * added by the Runtime API. Caller decrefs. */
json_t *lc_context_runtime_headers(const lc_context *ctx);

/* The context's part of a runtime process environment (spec 3.4): AWS_REGION,
 * AWS_DEFAULT_REGION, AWS_LAMBDA_FUNCTION_NAME/_VERSION/_MEMORY_SIZE, AWS_LAMBDA_LOG_GROUP_NAME,
 * AWS_LAMBDA_LOG_STREAM_NAME, AWS_LAMBDA_INITIALIZATION_TYPE, TZ and LANG, as a new JSON object of
 * strings. Caller decrefs. */
json_t *lc_context_environment(const lc_context *ctx);

/* The context object as a Python handler sees it (spec 2.5): aws_request_id,
 * invoked_function_arn, function_name, function_version, memory_limit_in_mb (a string),
 * log_group_name, log_stream_name, identity, client_context, tenant_id. Caller decrefs. */
json_t *lc_context_to_json(const lc_context *ctx);

/* Writes a fresh random UUID v4 (36 characters and a NUL) into out. */
void lc_uuid4(char out[37]);

/* Fills out with n random bytes for identifiers (request ids, trace ids, generated events): a
 * per-thread generator seeded from the system once (getrandom). Not for secrets. */
void lc_random_bytes(void *out, size_t n);

/* Monotonic clock in nanoseconds. */
int64_t lc_monotonic_ns(void);

/* Milliseconds since the epoch, from the real-time clock. */
int64_t lc_now_ms(void);

/* Writes epoch milliseconds as "2026-11-27T11:00:00.335Z" (UTC) into out. */
void lc_iso_timestamp(int64_t epoch_ms, char out[32]);

#endif
