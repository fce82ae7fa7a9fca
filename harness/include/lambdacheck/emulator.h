/* lambdacheck: the embedded Lambda emulator.
 *
 * Holds functions and, per function, a pool of execution environments: an invocation takes an idle
 * warm environment, or starts a new one (a cold start) while the function's concurrency allows.
 * Synchronous invocations from several threads run in parallel environments. Every invocation's
 * full result (what the runtime posted, the log, durations, memory, cold or warm) goes to a
 * journal that tests read back by request id.
 *
 * Thread-safe: any thread may invoke; lc_emulator_free() must not race with invocations.
 */
#ifndef LAMBDACHECK_EMULATOR_H
#define LAMBDACHECK_EMULATOR_H

#include <stdbool.h>

#include <jansson.h>

#include "lambdacheck/environment.h"
#include "lambdacheck/error.h"
#include "lambdacheck/function.h"

typedef struct lc_emulator lc_emulator;

/* A sandbox key: a UUID and its NUL. */
#define LC_SANDBOX_KEY_SIZE 37

/* The journal's default cap on the bytes its results hold (payloads, logs, raw posts). */
#define LC_JOURNAL_MAX_BYTES (64u * 1024 * 1024)

typedef struct {
    size_t journal_capacity;  /* results kept, oldest dropped first; 0: 1024 */
    size_t journal_max_bytes; /* bytes the kept results may hold, oldest dropped first (the
                                 newest result is always kept); 0: LC_JOURNAL_MAX_BYTES */
    size_t records_window;    /* destination records kept in memory, newest; 0: 1024. Every
                                 record goes to the destination file, and is counted */
} lc_emulator_options;

/* opt may be NULL. Caller frees with lc_emulator_free(). */
lc_status lc_emulator_new(const lc_emulator_options *opt, lc_emulator **out, lc_error *err);

/* Stops the asynchronous workers (events still queued are dropped: drain first), every
 * environment (killing its process), and frees the functions. NULL is a no-op. */
void lc_emulator_free(lc_emulator *em);

/* Adds a function; takes fn (also on failure). LC_EINVAL when the name is taken. */
lc_status lc_emulator_add_function(lc_emulator *em, lc_function *fn, lc_error *err);

/* The function with that name, borrowed until the emulator is freed; NULL if none. */
const lc_function *lc_emulator_function(const lc_emulator *em, const char *name);

/* The number of functions, and the i-th (borrowed until the emulator is freed). */
size_t lc_emulator_function_count(const lc_emulator *em);
const lc_function *lc_emulator_function_at(const lc_emulator *em, size_t i);

/* The function when there is exactly one, else NULL. Borrowed until the emulator is freed. */
const lc_function *lc_emulator_only_function(const lc_emulator *em);

/* One synchronous invocation. */
typedef struct {
    const char *payload;        /* event bytes; NULL: "{}" */
    size_t payload_len;
    const char *content_type;   /* NULL: application/json */
    const json_t *context;      /* overrides as in lc_context_apply_json (clientContext, identity,
                                   requestId, ...); NULL: none. Its tenantId is the tenant: a
                                   function with tenancy needs one and runs it only in
                                   environments of that tenant; one without refuses it */
    const char *sandbox;        /* run in this sandbox's environments (lc_emulator_sandbox_open);
                                   NULL: the function's shared pool */
    const lc_stream_sink *stream; /* gets a streamed response's pieces as the runtime sends them
                                   (runtime_api.h; borrowed for the call); NULL: none */
} lc_invoke_options;

/* Invokes a function and waits for the result (caller clears with lc_result_clear()).
 * LC_ENOTFOUND for an unknown function, LC_EBUSY when every environment the function's
 * concurrency allows is busy, LC_EINVAL for a tenant the function refuses
 * (lc_function_tenant_problem's message). Function errors are results, not statuses. */
lc_status lc_emulator_invoke(lc_emulator *em, const char *function_name,
                             const lc_invoke_options *opt, lc_result *out, lc_error *err);

/* --- asynchronous invocation (spec 4.5) --------------------------------------------------- */

/* How a function's asynchronous invocations are retried and given up. */
typedef struct {
    int max_retry_attempts; /* 0-2 (Lambda's MaximumRetryAttempts) */
    long max_event_age_ms;  /* events older than this are given up: EventAgeExceeded */
    long retry_delay_ms[2]; /* before the first and the second retry */
} lc_async_config;

/* Lambda's defaults: 2 retries, 6 hours, about 1 and 2 minutes. */
lc_async_config lc_async_defaults(void);

/* Sets a function's asynchronous configuration. LC_ERANGE for retries outside 0-2 or a
 * non-positive age or delay; LC_ENOTFOUND for an unknown function. */
lc_status lc_emulator_set_async(lc_emulator *em, const char *function_name,
                                const lc_async_config *config, lc_error *err);

/* Appends every destination record, one JSON object per line, to the file at path (NULL:
 * none). The file is opened now; errors name it. */
lc_status lc_emulator_set_destination_file(lc_emulator *em, const char *path, lc_error *err);

/* Accepts an asynchronous invocation: the event is queued, run by the function's environments
 * (waiting while its concurrency is used up), retried on a function error or timeout, and ends
 * in exactly one destination record: Success, RetriesExhausted or EventAgeExceeded.
 * request_id gets the invocation's id. LC_ENOTFOUND for an unknown function. */
lc_status lc_emulator_enqueue(lc_emulator *em, const char *function_name,
                              const lc_invoke_options *opt, char request_id[129], lc_error *err);

/* Waits until no event is queued or running. skip_delays runs retries at once instead of after
 * their delays (for a shutdown that must finish every event). LC_ETIMEDOUT if events remain
 * after timeout_ms. */
lc_status lc_emulator_drain(lc_emulator *em, long timeout_ms, bool skip_delays, lc_error *err);

/* Events queued or running now. */
size_t lc_emulator_pending(lc_emulator *em);

/* The newest destination records (at most the records window), oldest first, as a new JSON
 * array (caller decrefs). */
json_t *lc_emulator_async_records(lc_emulator *em);

/* How many destination records were written, by condition, since the emulator started. */
typedef struct {
    size_t success, retries_exhausted, event_age_exceeded;
} lc_async_counts;
lc_async_counts lc_emulator_async_counts(lc_emulator *em);

/* Number of results in the journal. */
size_t lc_emulator_journal_size(lc_emulator *em);

/* Copies the journal's result for request_id into *out (caller clears). LC_ENOTFOUND if absent. */
lc_status lc_emulator_journal_find(lc_emulator *em, const char *request_id, lc_result *out);

/* Like lc_emulator_journal_find, waiting up to timeout_ms for the request to be journalled (an
 * asynchronous event runs later). LC_ETIMEDOUT when it is not. */
lc_status lc_emulator_journal_wait(lc_emulator *em, const char *request_id, long timeout_ms,
                                   lc_result *out);

/* --- sandboxes ------------------------------------------------------------------------------ */

/* Opens a sandbox of a function: environments of its own that no other invocation uses, so what
 * runs there depends on its own invocations alone (a case of `check` runs in one). Invocations
 * that name its key (lc_invoke_options.sandbox) run there, in order, in one warm environment
 * when they run one at a time. variables (an object of strings, may be NULL) are merged over
 * the function's for the sandbox's environments. An asynchronous event runs its first attempt in
 * the sandbox; retries run in the shared pool. key gets the sandbox's key. LC_ENOTFOUND for an
 * unknown function, LC_EINVAL for a reserved variable. */
lc_status lc_emulator_sandbox_open(lc_emulator *em, const char *function_name,
                                   const json_t *variables, char key[LC_SANDBOX_KEY_SIZE],
                                   lc_error *err);

/* The same, for a SnapStart function whose environments in this sandbox are not restored from
 * its snapshot: each initialises itself and restores in place, as a new process of the function
 * would (what the snapstart-unique check compares restored ones with). For other functions, as
 * lc_emulator_sandbox_open. */
lc_status lc_emulator_sandbox_open_unrestored(lc_emulator *em, const char *function_name,
                                              const json_t *variables,
                                              char key[LC_SANDBOX_KEY_SIZE], lc_error *err);

/* Closes a sandbox: its idle environments are stopped now, a busy one when its invocation ends.
 * Later invocations naming it are refused (LC_ENOTFOUND). An unknown key is a no-op. */
void lc_emulator_sandbox_close(lc_emulator *em, const char *key);

/* Environments of a function that exist now (busy or idle). */
size_t lc_emulator_environment_count(lc_emulator *em, const char *function_name);

#endif
