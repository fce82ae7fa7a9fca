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

#include <jansson.h>

#include "lambdacheck/environment.h"
#include "lambdacheck/error.h"
#include "lambdacheck/function.h"

typedef struct lc_emulator lc_emulator;

typedef struct {
    size_t journal_capacity; /* results kept, oldest dropped first; 0: 1024 */
} lc_emulator_options;

/* opt may be NULL. Caller frees with lc_emulator_free(). */
lc_status lc_emulator_new(const lc_emulator_options *opt, lc_emulator **out, lc_error *err);

/* Stops every environment (killing its process) and frees the functions. NULL is a no-op. */
void lc_emulator_free(lc_emulator *em);

/* Adds a function; takes fn (also on failure). LC_EINVAL when the name is taken. */
lc_status lc_emulator_add_function(lc_emulator *em, lc_function *fn, lc_error *err);

/* The function with that name, borrowed until the emulator is freed; NULL if none. */
const lc_function *lc_emulator_function(const lc_emulator *em, const char *name);

/* One synchronous invocation. */
typedef struct {
    const char *payload;        /* event bytes; NULL: "{}" */
    size_t payload_len;
    const char *content_type;   /* NULL: application/json */
    const json_t *context;      /* overrides as in lc_context_apply_json (clientContext, identity,
                                   requestId, ...); NULL: none */
} lc_invoke_options;

/* Invokes a function and waits for the result (caller clears with lc_result_clear()).
 * LC_ENOTFOUND for an unknown function, LC_EBUSY when every environment the function's
 * concurrency allows is busy. Function errors are results, not statuses. */
lc_status lc_emulator_invoke(lc_emulator *em, const char *function_name,
                             const lc_invoke_options *opt, lc_result *out, lc_error *err);

/* Number of results in the journal. */
size_t lc_emulator_journal_size(lc_emulator *em);

/* Copies the journal's result for request_id into *out (caller clears). LC_ENOTFOUND if absent. */
lc_status lc_emulator_journal_find(lc_emulator *em, const char *request_id, lc_result *out);

/* Environments of a function that exist now (busy or idle). */
size_t lc_emulator_environment_count(lc_emulator *em, const char *function_name);

#endif
