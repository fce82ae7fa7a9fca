/* lambdacheck: one execution environment (spec 3.3, 4.3, 4.4).
 *
 * An environment is one runtime process, started without a shell in the function's code folder
 * with exactly the environment of spec 3.4, and the Runtime API it talks to. The first invocation
 * is a cold start (the process is spawned, imports the handler, calls /next); later ones reuse the
 * process (warm). A timeout, a crash, an init error, an exit or running out of memory discards it.
 * Each invocation's log is the process's output framed by START / END / REPORT lines.
 *
 * An environment runs one invocation at a time; it is not thread-safe.
 */
#ifndef LAMBDACHECK_ENVIRONMENT_H
#define LAMBDACHECK_ENVIRONMENT_H

#include <stdbool.h>
#include <stddef.h>

#include "lambdacheck/context.h"
#include "lambdacheck/error.h"
#include "lambdacheck/function.h"
#include "lambdacheck/runtime_api.h"

/* How long a runtime may take to initialise before its first /next (Lambda's 10 s); a function
 * may set another (lc_function_config.init_timeout_ms). */
#define LC_INIT_TIMEOUT_MS 10000
/* Bytes of log kept per invocation; the rest is counted and dropped. */
#define LC_LOG_MAX_BYTES (1024u * 1024)

/* How an invocation ended. */
typedef enum {
    LC_END_RESPONSE,   /* the runtime posted a result */
    LC_END_ERROR,      /* the runtime posted an error */
    LC_END_INIT_ERROR, /* the runtime posted an init error */
    LC_END_TOO_LARGE,  /* the result was over 6 MB: Function.ResponseSizeTooLarge */
    LC_END_TIMEOUT,    /* Sandbox.Timedout */
    LC_END_EXIT,       /* the process exited or was killed: Runtime.ExitError */
    LC_END_OUT_OF_MEMORY, /* over the memory size: Runtime.OutOfMemory */
    LC_END_RESTORE_ERROR, /* SnapStart: the restore failed (an after-restore hook raised, the
                             process ended) or passed its 10 s: an error of the Invoke call,
                             SnapStartException 400 / SnapStartTimeoutException 408 */
} lc_end;

/* Everything known about one invocation: what the caller gets, and what only the platform sees.
 * All pointers are owned; free with lc_result_clear(). */
typedef struct {
    char request_id[129];
    char function_name[65];
    char executed_version[32];
    lc_end end;
    int status_code;          /* what the Invoke API answers for a synchronous call: 200, or
                                 an error's status (LC_END_RESTORE_ERROR: payload is the
                                 service error's body, error_type its x-amzn-ErrorType) */
    char function_error[16];  /* "" or "Unhandled" */
    char error_type[128];     /* errorType of a function error, "" otherwise */
    char *payload;            /* the result bytes or the error JSON, NUL-terminated */
    size_t payload_len;
    char content_type[128];
    char *log;                /* the framed log, NUL-terminated */
    size_t log_len;
    size_t log_dropped;       /* bytes of output past LC_LOG_MAX_BYTES, counted and not kept */
    bool cold_start;
    double init_duration_ms;  /* cold starts only (not restored ones) */
    bool restored;            /* SnapStart: a cold start restored from the snapshot */
    double restore_duration_ms; /* restored only: REPORT's Restore Duration */
    long billed_restore_duration_ms;
    double duration_ms;
    long billed_duration_ms;
    long memory_size_mb;
    long max_memory_used_mb;
    int exit_status;          /* for LC_END_EXIT: the wait status */
    lc_runtime_post *posts;   /* what the runtime sent to the Runtime API, raw */
    size_t n_posts;
    bool streamed;            /* the runtime streamed its response (spec 8): payload holds the
                                 streamed bytes (at most LC_RUNTIME_MAX_RESPONSE), or, when the
                                 stream ended in an error, the error body and stream them */
    char *stream;             /* NUL-terminated, or NULL: see streamed */
    size_t stream_len;
} lc_result;

/* Frees the members of r and zeroes it. */
void lc_result_clear(lc_result *r);

/* A deep copy of src into *dst. */
lc_status lc_result_copy(lc_result *dst, const lc_result *src);

typedef struct lc_environment lc_environment;

/* Starts an environment for fn (borrowed; must outlive the environment): the Runtime API and the
 * runtime process. Does not wait for init; the first invocation does. Caller frees with
 * lc_environment_free(). */
lc_status lc_environment_start(const lc_function *fn, lc_environment **out, lc_error *err);

/* Runs one invocation. ctx (borrowed) gives the request id and the Lambda-Runtime-* headers; its
 * deadline is set when the runtime takes the event. payload is the event bytes; content_type NULL
 * means application/json. sink (may be NULL) gets a streamed response as it arrives. Function
 * errors are results (LC_OK with r->function_error set); errors of the harness itself are
 * statuses. */
lc_status lc_environment_invoke(lc_environment *env, lc_context *ctx, const char *payload,
                                size_t payload_len, const char *content_type,
                                const lc_stream_sink *sink, lc_result *r, lc_error *err);

/* False once the environment was discarded (timeout, crash, exit, init error, out of memory). */
bool lc_environment_alive(const lc_environment *env);

/* The runtime process's pid (0 once it is gone). */
int lc_environment_pid(const lc_environment *env);

/* Begins the shutdown without waiting: SIGKILL to the runtime's process group, as Lambda ends a
 * function without extensions, or SIGTERM when the function has a shutdown grace
 * (lc_function_config.shutdown_grace_ms). NULL is a no-op. */
void lc_environment_stop(lc_environment *env);

/* Shuts the environment down (see lc_environment_stop; with a grace, waits that long for the
 * process before SIGKILL), reaps the process, stops the Runtime API. NULL is a no-op. */
void lc_environment_free(lc_environment *env);

/* True when env's process is a copy of a template process (a fast start; see
 * lc_environment_set_fast_start), false when it was started as a new process. */
bool lc_environment_is_copy(const lc_environment *env);

/* Fast fresh environments: a fresh environment of the bundled Python client is a copy of a
 * template process made for its function, prepared once, instead of a new interpreter (README,
 * "Fast fresh environments", says what still tells the two apart). On unless this process's
 * environment has LAMBDACHECK_PLAIN_START set (to anything but "" or "0") or this turns it off.
 * Affects environments started afterwards; thread-safe. */
void lc_environment_set_fast_start(bool on);
bool lc_environment_fast_start(void);

/* Stops the template processes now (an emulator's last lc_emulator_free does too); later fast
 * starts start them again. */
void lc_environment_stop_templates(void);

/* Frees n environments, stopping all of them first, so that they end together: about as long
 * as one. NULL entries are skipped. */
void lc_environment_free_all(lc_environment **envs, size_t n);

#endif
