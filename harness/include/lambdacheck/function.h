/* lambdacheck: a function's configuration (pure data, validated).
 *
 * What Lambda knows about a function before it runs: name, handler, code folder, how to start the
 * runtime (the bundled Python client under an interpreter, or any command that speaks the Runtime
 * API), timeout, memory, environment variables, concurrency, region and account.
 */
#ifndef LAMBDACHECK_FUNCTION_H
#define LAMBDACHECK_FUNCTION_H

#include <stdbool.h>

#include <jansson.h>

#include "lambdacheck/context.h"
#include "lambdacheck/error.h"
#include "lambdacheck/runtime.h"

typedef struct lc_function lc_function;

/* Options for lc_function_new(). Strings are borrowed for the call; zero/NULL means the default. */
typedef struct {
    const char *name;            /* function name; default "my-function" */
    const char *handler;         /* MODULE.FUNCTION (required), passed as the runtime's last arg */
    const char *runtime;         /* Lambda's identifier ("python3.12", "provided.al2023"); NULL:
                                    the Python version of the interpreter, or provided.al2023 for
                                    a runtime command that does not use {python} */
    const char *code_dir;        /* folder with the handler code (required; must exist) */
    const char *runtime_command; /* a command that speaks the Runtime API, split into words as
                                    a POSIX shell would (blanks; '...', "...", \ quoting; no
                                    expansions, no shell), the handler appended; a word "{python}" stands for the resolved
                                    interpreter, "{bootstrap}" for the bundled client's script
                                    (e.g. "{python} -m awslambdaric"); NULL: the bundled Python
                                    client under `python` */
    const char *python;          /* interpreter for the bundled client; it must be of the
                                    runtime's version. NULL: for a declared runtime, python3.X
                                    found on PATH or under pyenv; else $LAMBDACHECK_PYTHON, else
                                    "python3" */
    const char *runtime_dir;     /* folder of the bundled client; NULL: lc_bundled_dir()'s
                                    (install.h: $LAMBDACHECK_RUNTIME_DIR, else the installed or
                                    built one) */
    const char *execution_env;   /* AWS_EXECUTION_ENV; NULL: AWS_Lambda_<runtime>, and none for
                                    the provided family */
    long timeout_ms;             /* 1..900000; 0: 3000 */
    long init_timeout_ms;        /* how long the runtime may take to ask for its first
                                    invocation; 0: Lambda's 10 s */
    long memory_mb;              /* 128..10240; 0: 128 */
    const json_t *environment;   /* object of string variables for the function; NULL: none */
    int concurrency;             /* most environments at once; 0: 10 */
    const char *region;          /* NULL: us-east-1 */
    const char *account;         /* NULL: 123456789012 */
    const char *const *layers;   /* NULL-terminated folders, each as Lambda extracts a layer to
                                    /opt, in order (a later layer's files win): python/ and
                                    python/lib/python3.X/site-packages on sys.path after the
                                    code folder, lib/ on LD_LIBRARY_PATH, bin/ on PATH,
                                    nodejs/node_modules on NODE_PATH. NULL: none */
    bool host_packages;          /* the bundled Python client lets the function import every
                                    package the host's interpreter has; false (isolated, as on
                                    Lambda): the standard library, the code folder and what
                                    Lambda's Python runtime ships (boto3, botocore, ...) */
    const char *access_key_id;   /* the function's credentials, as Lambda gives it its role's;
                                    NULL: the dummy keys LC_DUMMY_ACCESS_KEY_ID,
                                    LC_DUMMY_SECRET_ACCESS_KEY, LC_DUMMY_SESSION_TOKEN */
    const char *secret_access_key;
    const char *session_token;   /* NULL or "": none (with keys of the caller's choosing) */
    const char *log_format;      /* Lambda's LoggingConfig.LogFormat: "Text" or "JSON" (any
                                    case). JSON: the runtime gets AWS_LAMBDA_LOG_FORMAT=JSON and
                                    the platform's own lines are JSON records. NULL: the
                                    function's AWS_LAMBDA_LOG_FORMAT variable, else Text */
    const char *application_log_level; /* JSON only: TRACE, DEBUG, INFO, WARN, ERROR or FATAL;
                                    the runtime gets it as AWS_LAMBDA_LOG_LEVEL, and JSON lines
                                    of a lower "level" are left out of the log. NULL: the
                                    function's AWS_LAMBDA_LOG_LEVEL variable, else none */
    const char *system_log_level; /* JSON only: DEBUG, INFO or WARN; at WARN the platform's
                                    start and report records are left out. NULL: INFO */
    long shutdown_grace_ms;      /* 0: an environment is shut down with SIGKILL, as Lambda does
                                    for functions without extensions; else SIGTERM first and this
                                    long to exit (coverage.py saves its data then) */
    const char *alias;           /* a qualifier the function also answers to, as SAM's
                                    AutoPublishAlias publishes one; NULL: $LATEST only */
    const char *tenancy;         /* TenancyConfig.TenantIsolationMode: "PER_TENANT" (the only
                                    mode, any case) gives the function tenant isolation: every
                                    invocation names a tenant and tenants never share an
                                    environment. NULL or "": none */
    int max_concurrency;         /* Lambda Managed Instances (a capacity provider): one
                                    environment runs up to this many invocations at once
                                    (PerExecutionEnvironmentMaxConcurrency, 1-1600); 0: none,
                                    one invocation per environment */
    bool snapstart;              /* SnapStart (SnapStart.ApplyOn: PublishedVersions): init runs
                                    once, into a snapshot, and every environment is restored
                                    from it (README, "SnapStart"); the runtime gets
                                    AWS_LAMBDA_INITIALIZATION_TYPE=snap-start */
    const json_t *event_sources; /* the event source mappings that invoke it, in a manifest's
                                    "eventSources" shape ({"sqs": {...}, "kinesis": {...}}; see
                                    mapping_case.h), copied; NULL: none. Only read by what runs
                                    mappings (serve's mapping requests) */
} lc_function_config;

/* Lambda's limit of invocations one Managed Instances environment runs at once
 * (PerExecutionEnvironmentMaxConcurrency, 1-1600). */
#define LC_MAX_CONCURRENCY 1600
/* The memory of a Managed Instances function that names none: their least, 2 GB (one vCPU at
 * the default 2 GB per vCPU; sam-resource-function.html, CapacityProviderConfig). */
#define LC_MANAGED_MEMORY_MB 2048

/* Credentials a function gets unless others are configured: well-formed and useless, so code that
 * calls AWS fails with an authentication error instead of reaching a real account. */
#define LC_DUMMY_ACCESS_KEY_ID "ASIALAMBDACHECKDUMMY"
#define LC_DUMMY_SECRET_ACCESS_KEY "lambdacheck/dummy/secret/access/key/0000"
#define LC_DUMMY_SESSION_TOKEN "lambdacheck-dummy-session-token"

/* Validates config and makes a function. Resolves the interpreter once (from its file name when
 * it is a real executable such as python3.12, else by asking it for sys.executable and its
 * version), so a missing interpreter is reported here, naming the runtime. Caller frees with
 * lc_function_free(). */
lc_status lc_function_new(const lc_function_config *config, lc_function **out, lc_error *err);

/* A copy of fn whose environment variables are fn's merged with extra (an object of strings;
 * extra wins). Reserved names are refused as in lc_function_new. Caller frees with
 * lc_function_free(). */
lc_status lc_function_copy_with(const lc_function *fn, const json_t *extra, lc_function **out,
                                lc_error *err);

void lc_function_free(lc_function *fn);

/* Checks an object of function variables: strings only, valid names, and none of the names
 * Lambda reserves for itself (AWS_REGION, _HANDLER, ...). */
lc_status lc_function_check_variables(const json_t *variables, lc_error *err);

/* Getters; strings borrowed until free. */
const char *lc_function_name(const lc_function *fn);
/* "arn:aws:lambda:<region>:<account>:function:<name>" */
const char *lc_function_arn(const lc_function *fn);
const char *lc_function_handler(const lc_function *fn);
const char *lc_function_code_dir(const lc_function *fn);
long lc_function_timeout_ms(const lc_function *fn);
long lc_function_init_timeout_ms(const lc_function *fn);
long lc_function_memory_mb(const lc_function *fn);
int lc_function_concurrency(const lc_function *fn);
const char *lc_function_runtime_dir(const lc_function *fn);
/* AWS_EXECUTION_ENV, or NULL when the runtime has none (the provided family). */
const char *lc_function_execution_env(const lc_function *fn);
lc_runtime lc_function_runtime(const lc_function *fn);

/* The interpreter the runtime runs under (resolved, absolute), or NULL when its command has none
 * ({python} not used). Borrowed until free. */
const char *lc_function_interpreter(const lc_function *fn);

/* Why a Python function got its interpreter, for --verbose ("the first python3.12 on PATH, a
 * pyenv shim (...)"); "" when no interpreter was chosen. Borrowed until free. */
const char *lc_function_interpreter_origin(const lc_function *fn);

/* For a Python function: which boto3 and botocore it imports here (the first found in its code
 * folder, its layers, the interpreter's site-packages, as the bundled client searches) and what
 * Lambda's runtime ships, as a sentence written to out. Asks each interpreter once for its
 * site-packages (a process start). False, out untouched, for other runtimes. */
bool lc_function_python_sdk(const lc_function *fn, char *out, size_t size);

/* For a Python function: true when the botocore it imports here (found as above) is older than
 * 1.31 and ignores AWS_ENDPOINT_URL, with its data folder (botocore/data) written to out; false
 * when it is newer, it has none, or fn is not Python. */
bool lc_function_old_botocore_data(const lc_function *fn, char *out, size_t size);

/* Log levels, lowest first, for the logging configuration. */
typedef enum {
    LC_LOG_TRACE,
    LC_LOG_DEBUG,
    LC_LOG_INFO,
    LC_LOG_WARN,
    LC_LOG_ERROR,
    LC_LOG_FATAL,
    LC_LOG_NONE, /* no level configured: nothing is left out */
} lc_log_level;

/* The level a name stands for (TRACE ... FATAL, any case; WARNING and CRITICAL as Python's
 * logging names them), or LC_LOG_NONE. */
lc_log_level lc_log_level_from_name(const char *name);

/* True when the function's logs are JSON (its LogFormat). */
bool lc_function_log_json(const lc_function *fn);
/* The application log level (LC_LOG_NONE: none) and the system log level (JSON only). */
lc_log_level lc_function_application_log_level(const lc_function *fn);
lc_log_level lc_function_system_log_level(const lc_function *fn);

/* The function's layer folders, NULL-terminated (empty when none). Borrowed until free. */
char *const *lc_function_layers(const lc_function *fn);

/* The node_modules folder of the AWS SDK the runtime ships (a Node.js runtime's, from the cache,
 * installed there on first use), or NULL when it has none or it could not be had (then a note
 * said why on stderr). Borrowed until free. */
const char *lc_function_sdk_dir(const lc_function *fn);

/* The alias the function answers to besides $LATEST, or NULL. Borrowed until free. */
const char *lc_function_alias(const lc_function *fn);

/* True for a function with tenant isolation (TenantIsolationMode PER_TENANT). */
bool lc_function_tenancy(const lc_function *fn);
/* Lambda Managed Instances: the invocations one environment runs at once; 0 for a function
 * without a capacity provider. */
int lc_function_max_concurrency(const lc_function *fn);

/* True for a function with SnapStart (lc_function_config.snapstart). */
bool lc_function_snapstart(const lc_function *fn);

/* Its event source mappings (lc_function_config.event_sources), an object; borrowed until free.
 * Empty when it has none. */
const json_t *lc_function_event_sources(const lc_function *fn);

/* A SnapStart function's environments are restored from its snapshot (true, the default), or
 * each initialises itself and restores in place, as one process, from none (false): what the
 * snapstart-unique check compares them with. Set before the function's first environment. */
void lc_function_set_from_snapshot(lc_function *fn, bool from_snapshot);
bool lc_function_from_snapshot(const lc_function *fn);

/* Why Lambda refuses to invoke fn with this tenant id (NULL or "": none): a function with
 * tenancy needs one, a function without refuses one, and an id must be one Invoke accepts
 * (lc_tenant_id_problem). NULL when it may be invoked; else a message, in Lambda's words, borrowed
 * from a static string or written to why. */
const char *lc_function_tenant_problem(const lc_function *fn, const char *tenant_id, char *why,
                                       size_t size);

/* SIGTERM grace at shutdown in ms; 0: SIGKILL at once. */
long lc_function_shutdown_grace_ms(const lc_function *fn);

/* The runtime's argv (program first, handler last), NULL-terminated. Borrowed until free. */
char *const *lc_function_argv(const lc_function *fn);

/* The variables the function gets besides those Lambda defines: its credentials
 * (AWS_ACCESS_KEY_ID, ...) and its own environment (object of strings). Borrowed until free. */
const json_t *lc_function_variables(const lc_function *fn);

/* A new context for one invocation of this function (fresh request id; name, memory, timeout,
 * region and account from the function). Caller frees with lc_context_free(). */
lc_context *lc_function_new_context(const lc_function *fn);

#endif
