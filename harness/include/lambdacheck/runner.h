/* lambdacheck: run case folders against a target.
 *
 * A handler library is described by a manifest (lambdacheck.json):
 *     {"functions": {"greeting": {"handler": "greeting.lambda_handler", "code": "src",
 *                                 "timeout": 3, "memory": 128, "environment": {...}}},
 *      "cases": ["cases"]}
 * Paths are relative to the manifest. Each folder under "cases" holds one case per sub-folder,
 * described by its case.json:
 *     {"description": "...", "function": "greeting", "event": "event.json" | "eventJson": ...,
 *      "eventPatch": {...}, "eventSet": ["a.b=1"], "invocationType": "Event",
 *      "clientContext": {...}, "expect": {"payload": {...}, ...}}
 * Every case gets its own expectations and the built-in contracts (contracts.h).
 */
#ifndef LAMBDACHECK_RUNNER_H
#define LAMBDACHECK_RUNNER_H

#include <stdbool.h>

#include "lambdacheck/expect.h"
#include "lambdacheck/target.h"

typedef struct {
    char suite[128];       /* the cases folder's name */
    char name[256];        /* the case folder's name */
    char path[1024];       /* the case.json */
    char description[512];
    bool passed;
    double duration_ms;
    char request_id[129];
    char error[1024];      /* why the case could not run ("" when it ran) */
    lc_verdicts verdicts;  /* every check, passed or not */
} lc_case_result;

typedef struct lc_run lc_run;

typedef struct {
    lc_target *target;           /* borrowed; local targets get the manifest's functions */
    const char *function_prefix; /* prepended to case function names (deployed stacks); NULL */
    const char *python;          /* interpreter for Python functions; NULL: the default */
    const char *runtime_command; /* run every function under this runtime command instead of
                                    its own (e.g. "{python} -m awslambdaric"); NULL: theirs */
    const char *python_runtime_command; /* run the functions that have no runtime command of
                                           their own under this one (coverage); NULL: none */
    int jobs;                    /* cases at once; 0: 1 */
    /* called once per case as it finishes (from the worker that ran it, one at a time) */
    void (*on_case)(const lc_case_result *result, void *ctx);
    void *ctx;
} lc_runner_options;

/* Loads the manifest at path (a file, or a folder holding lambdacheck.json) and runs its cases.
 * Errors in the manifest or a case file stop nothing else: a bad case is a failed case with its
 * error; a bad manifest is an error naming the file and the field. Results are appended to run. */
lc_status lc_runner_run(const char *path, const lc_runner_options *opt, lc_run *run,
                        lc_error *err);

/* Adds the functions of the manifest at path (a file, or a folder holding lambdacheck.json) to
 * em, as a local target does before running cases (used by `serve --manifest`). python and
 * runtime_command as in lc_runner_options (may be NULL). */
lc_status lc_manifest_add_functions(const char *path, lc_emulator *em, const char *python,
                                    const char *runtime_command, lc_error *err);

/* A run collects the results of any number of manifests. Caller frees with lc_run_free(). */
lc_run *lc_run_new(void);
void lc_run_free(lc_run *run);
size_t lc_run_count(const lc_run *run);
const lc_case_result *lc_run_case(const lc_run *run, size_t i);
size_t lc_run_failed(const lc_run *run);
double lc_run_duration_ms(const lc_run *run);

#endif
