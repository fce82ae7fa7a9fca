/* lambdacheck: handler libraries, their cases, and running them against a target.
 *
 * A handler library is described by a manifest (lambdacheck.json):
 *     {"name": "shop", "functions": {"greeting": {"handler": "greeting.lambda_handler",
 *                                   "code": "src", "runtime": "python3.12", "timeout": 3,
 *                                   "memory": 128, "environment": {...}}},
 *      "cases": ["cases"]}
 * Paths are relative to the manifest. Under each folder of "cases", every folder holding a
 * case.json is one case (folders are searched at any depth). A case says which function to call,
 * with which event, how, and what to expect:
 *     {"description": "...", "function": "greeting",
 *      "event": "event.json" | "sample:SOURCE[/NAME]", "eventJson": ..., "eventPatch": {...},
 *      "eventSet": ["a.b=1"], "invocationType": "Event", "clientContext": {...},
 *      "environment": {"VAR": "value"}, "expect": {"payload": {...}, ...}}
 * or holds a sequence of invocations run in order in one execution environment:
 *     {"function": "counter", "invocations": [{"eventJson": 1, "expect": {"coldStart": true}},
 *                                             {"eventJson": 2, "expect": {"coldStart": false}}]}
 * Each case runs in fresh execution environments of its own (a sandbox of the emulator), so its
 * verdict depends on the case alone, whatever ran before it and whatever --jobs. Every case gets
 * its own expectations (expect.h) and the built-in contracts (contracts.h).
 *
 * A library is loaded and checked whole before anything runs: every manifest and case-file
 * problem is collected (a typo'd field, a function the manifest does not declare, an event file
 * that is missing, a folder with case.jsn but no case.json), so a run never starts on a broken
 * suite. Each library is its own namespace: its cases' ids are "library/case", and two libraries
 * may both declare a function of the same name.
 */
#ifndef LAMBDACHECK_RUNNER_H
#define LAMBDACHECK_RUNNER_H

#include <stdbool.h>

#include "lambdacheck/credentials.h"
#include "lambdacheck/emulator.h"
#include "lambdacheck/expect.h"
#include "lambdacheck/target.h"

/* --- libraries ---------------------------------------------------------------------------------- */

typedef struct lc_library lc_library;

typedef struct {
    const char *data_dir;        /* the bundled fixtures, for "sample:" events; NULL: samples
                                    cannot be named */
    bool local;                  /* build the functions (code folders, interpreters), for the
                                    embedded emulator; false for a remote target */
    const char *python;          /* interpreter for Python functions; NULL: each runtime's */
    const char *runtime_command; /* run every function under this command instead of its own
                                    (e.g. "{python} -m awslambdaric"); NULL: theirs */
    const char *python_runtime_command; /* run the Python functions that have no runtime command
                                           of their own under this one (coverage); NULL: none */
    long python_shutdown_grace_ms;      /* with python_runtime_command: SIGTERM, then this long,
                                           when their environments end (coverage saves data) */
    const char *node_coverage_dir; /* Node.js functions with the bundled client write V8's
                                      coverage here (NODE_V8_COVERAGE), ended by SIGTERM with
                                      python_shutdown_grace_ms (or 5 s) to do so; NULL: none */
    bool host_packages;          /* every Python function may import the host's packages, whatever
                                    its manifest says (see lc_function_config.host_packages) */
    const lc_credentials *credentials; /* every function gets these keys, whatever its manifest
                                    says; NULL: each its own (dummy unless "credentials": "host") */
    const char *region;          /* functions' region unless their manifest entry names one, and
                                    a template's AWS::Region; NULL: us-east-1 */
    const char *account;         /* likewise the account; NULL: 123456789012 */
    const json_t *parameters;    /* template parameter values (object of strings), over the
                                    manifest's "parameters" and the template's Defaults */
    const json_t *env_vars;      /* a sam local --env-vars file (lc_env_vars_load), applied to
                                    every function after the manifest's "envVars" file */
    bool functions_only;         /* the caller needs the functions, not the cases (serve): a
                                    missing or empty "cases" list is no error */
} lc_library_options;

/* Loads the library at path (a manifest, or a folder holding lambdacheck.json). A manifest that
 * cannot be used (missing, not JSON, an unknown field, a function that cannot be built) is an
 * error naming the file and the field. Problems in case files do not stop the load: they are
 * collected, one message each (lc_library_problem). Caller frees with lc_library_free(). */
lc_status lc_library_load(const char *path, const lc_library_options *opt, lc_library **out,
                          lc_error *err);

void lc_library_free(lc_library *lib);

/* The library's name: the manifest's "name", else its folder's name. Borrowed until free. */
const char *lc_library_name(const lc_library *lib);

/* Renames the library (to tell two libraries of the same name apart); its case ids follow. */
void lc_library_set_name(lc_library *lib, const char *name);

/* The manifest's path, and the folders its cases were looked for in (", "-separated), for
 * messages. Borrowed until free. */
const char *lc_library_manifest(const lc_library *lib);
const char *lc_library_case_folders(const lc_library *lib);

/* Problems found in case files: "path: message", each. Borrowed until free. */
size_t lc_library_problem_count(const lc_library *lib);
const char *lc_library_problem(const lc_library *lib, size_t i);

/* Notes that stop nothing (a template function that cannot run here and no case names; a
 * variable an --env-vars file sets that the function does not declare). Borrowed until free. */
size_t lc_library_note_count(const lc_library *lib);
const char *lc_library_note(const lc_library *lib, size_t i);

/* The cases, in id order: "library/case", where case is the case folder's path below its cases
 * folder. Borrowed until free. */
size_t lc_library_case_count(const lc_library *lib);
const char *lc_library_case_id(const lc_library *lib, size_t i);
/* The case's case.json, as found below the manifest's folder. Borrowed until free. */
const char *lc_library_case_path(const lc_library *lib, size_t i);

/* Chooses which cases run (all do after loading). */
void lc_library_select(lc_library *lib, size_t i, bool selected);
bool lc_library_selected(const lc_library *lib, size_t i);
size_t lc_library_selected_count(const lc_library *lib);

/* The functions the manifest declares: name, runtime (LC_RUNTIME_UNKNOWN when a remote library
 * does not say), and code folder (resolved; NULL unless loaded for local runs). Borrowed until
 * free. */
size_t lc_library_function_count(const lc_library *lib);
const char *lc_library_function_name(const lc_library *lib, size_t i);
lc_runtime lc_library_function_runtime(const lc_library *lib, size_t i);
const char *lc_library_function_code_dir(const lc_library *lib, size_t i);
/* The i-th function as built for the embedded emulator, or NULL when it was not built (a remote
 * target, a function that cannot run here). Borrowed until lc_library_free. */
const lc_function *lc_library_function(const lc_library *lib, size_t i);

/* The library's HTTP front as a gateway model (gateway.h): its template's APIs and function
 * URLs, then the manifest's "http". Borrowed until lc_library_free. */
const json_t *lc_library_http(const lc_library *lib);

/* Adds copies of the library's functions to em (needs a library loaded with local). LC_EINVAL
 * when em has a function of the same name already, naming it. */
lc_status lc_library_add_functions(const lc_library *lib, lc_emulator *em, lc_error *err);

/* --- runs ------------------------------------------------------------------------------------- */

/* The result of one case. */
typedef struct {
    char id[640];          /* "library/case" */
    char library[128];
    char name[512];        /* the case folder's path below its cases folder */
    char path[1024];       /* the case.json */
    char description[512];
    bool passed;           /* it ran, and no check failed */
    double duration_ms;
    char request_id[129];  /* the last invocation's */
    char error[1024];      /* why the case could not run ("" when it ran) */
    lc_verdicts verdicts;  /* every check: passed, failed or not checked */
    char *log;             /* owned: the function's log of the case's invocations; "" if none */
    bool skipped;          /* it did not run on this target (error says why); neither passed
                              nor failed */
    char *aws_calls;       /* owned: the AWS calls the case's invocations made, a JSON list as
                              lc_aws_endpoint_calls gives it; NULL when they cannot be seen */
} lc_case_result;

typedef struct lc_run lc_run;

typedef struct {
    lc_target *remote;           /* a remote target (borrowed); NULL: run locally, each library in
                                    an embedded emulator of its own, stopped when it is done */
    const char *function_prefix; /* remote: prepended to case function names (deployed stacks) */
    const char *aws_endpoint;    /* local: the functions' AWS calls go to this URL (LocalStack, a
                                    moto server) instead of lambdacheck's stubs; NULL: the
                                    manifest's "awsEndpoint", else lambdacheck's own endpoint */
    int jobs;                    /* cases at once; 0: 1 */
    /* called once per case, in case order whatever jobs, one at a time */
    void (*on_case)(const lc_case_result *result, void *ctx);
    void *ctx;
} lc_runner_options;

/* Runs the library's selected cases and appends their results to run. A case that cannot run
 * (its function does not answer, a per-case environment on a remote target) is a failed case
 * with its error. Errors are about the run itself (the emulator cannot start). */
lc_status lc_runner_run(const lc_library *lib, const lc_runner_options *opt, lc_run *run,
                        lc_error *err);

/* A run collects the results of any number of libraries. Caller frees with lc_run_free(). */
lc_run *lc_run_new(void);
void lc_run_free(lc_run *run);
size_t lc_run_count(const lc_run *run);
const lc_case_result *lc_run_case(const lc_run *run, size_t i);
size_t lc_run_failed(const lc_run *run);
size_t lc_run_skipped(const lc_run *run);
double lc_run_duration_ms(const lc_run *run);

/* Appends a copy of r (its verdicts and log copied) and adds ms to the run's duration; for
 * merging reports. */
lc_status lc_run_append(lc_run *run, const lc_case_result *r);
void lc_run_add_duration(lc_run *run, double ms);

#endif
