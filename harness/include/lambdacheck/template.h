/* lambdacheck: SAM and CloudFormation templates (spec section 9), read into functions.
 *
 * A template (YAML or JSON; a built project's .aws-sam/build/template.yaml too) gives its
 * AWS::Serverless::Function and AWS::Lambda::Function resources as functions named by their
 * logical ids: handler, runtime, code folder (InlineCode and Code.ZipFile written as index.py
 * or index.js to a folder of the user's cache, lambdacheck/inline), timeout, memory, environment variables, layers (folders of the template's
 * LayerVersion resources) and logging configuration. Globals.Function is merged into each
 * AWS::Serverless::Function as SAM merges it: the function's own scalars win, maps are merged key
 * by key, lists are the Globals' entries followed by the function's, and an intrinsic function on
 * either side is taken whole from the function. Intrinsic functions are resolved as far as the
 * template allows (see harness/src/intrinsics.h for what stands in for what only a deployed
 * stack knows); a resource whose Condition is false is left out.
 *
 * What a template asks for that cannot run here (code in S3 or a zip, an image, a layer that is
 * not in the template) makes that function unusable, with a message naming it; the others load.
 *
 * SAM CLI's defaults apply (samcli/lib/samlib/local_uri_plugin.py, local/lambdafn/config.py): a
 * function without CodeUri or InlineCode runs the template's folder; Timeout 3 s and MemorySize
 * 128 MB when missing or 0; PackageType Zip.
 */
#ifndef LAMBDACHECK_TEMPLATE_H
#define LAMBDACHECK_TEMPLATE_H

#include <stddef.h>

#include <jansson.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/error.h"
#include "lambdacheck/function.h"

typedef struct lc_template lc_template;

/* Options for lc_template_load(). Borrowed for the call; NULL means the default. */
typedef struct {
    const char *region;         /* AWS::Region; NULL: us-east-1 */
    const char *account;        /* AWS::AccountId; NULL: 123456789012 */
    const json_t *parameters;   /* object of strings overriding the Parameters' values (as
                                   --parameter-overrides); NULL: their Defaults */
} lc_template_options;

/* One function of a template. Strings and arrays borrowed until lc_template_free(). */
typedef struct {
    const char *name;            /* the logical id */
    const char *problem;         /* why it cannot run here, or NULL */
    const char *problem_part;    /* what a replacement would cure it: "code" (the code is not a
                                    folder), "layers" (a layer is not the template's), "handler"
                                    or "runtime" (missing), or NULL */
    const char *handler;
    const char *runtime;
    const char *code_dir;        /* absolute */
    long timeout_ms;             /* Timeout (default 3 s) */
    long memory_mb;              /* MemorySize (default 128) */
    const json_t *environment;   /* Environment.Variables: an object of strings */
    const char *const *layers;   /* NULL-terminated layer folders, in the template's order */
    const char *log_format;      /* LoggingConfig, or NULL */
    const char *application_log_level;
    const char *system_log_level;
    const char *alias;           /* AutoPublishAlias: the alias it also answers to, or NULL */
    const char *tenancy;         /* TenancyConfig.TenantIsolationMode ("PER_TENANT"), or NULL */
    int max_concurrency;         /* Lambda Managed Instances (CapacityProviderConfig): its
                                    PerExecutionEnvironmentMaxConcurrency, else the runtime's
                                    default per vCPU times the vCPUs its memory buys; 0: none */
    bool snapstart;              /* SnapStart: {ApplyOn: PublishedVersions} */
    const char *architecture;    /* Architectures' one entry ("x86_64", "arm64"); SAM's default
                                    x86_64 when missing */
    const json_t *event_sources; /* the queues and streams that invoke it, from its Events
                                    (types SQS, Kinesis, DynamoDB) and the template's
                                    AWS::Lambda::EventSourceMapping resources naming it:
                                    {"sqs": {"functionResponseTypes": ["ReportBatchItemFailures"]},
                                    ...}, the manifest's "eventSources" shape; an empty object
                                    when none */
    const json_t *properties;    /* every property, intrinsics resolved as far as they can be
                                    (Globals merged): Events, FunctionUrlConfig, ... */
} lc_template_function;

/* Reads the template at path. Errors (not a template, YAML or JSON syntax, an unknown tag, a
 * Globals or Conditions problem) name the file, with line and column where the parser knows
 * them. Caller frees with lc_template_free(). */
lc_status lc_template_load(const char *path, const lc_template_options *opt, lc_template **out,
                           lc_error *err);

void lc_template_free(lc_template *t);

/* The template's path as given. Borrowed until free. */
const char *lc_template_path(const lc_template *t);

/* Its functions, in template order. */
size_t lc_template_function_count(const lc_template *t);
const lc_template_function *lc_template_function_at(const lc_template *t, size_t i);

/* The function of that logical id, or NULL. */
const lc_template_function *lc_template_find(const lc_template *t, const char *name);

/* The resources of a type ("AWS::Serverless::Api"), by logical id: {id: Properties}, with
 * intrinsics resolved as far as they can be and, for AWS::Serverless::Api and
 * AWS::Serverless::HttpApi, Globals.Api or Globals.HttpApi merged as SAM merges them; resources
 * whose Condition is false left out. A new object (caller decrefs). */
json_t *lc_template_resources(const lc_template *t, const char *type);

/* The template's Globals section for a kind ("Api", "HttpApi", "Function"), or NULL. Borrowed
 * until free. */
const json_t *lc_template_globals(const lc_template *t, const char *kind);

/* The logical ids of the functions, ", "-separated, for messages. Borrowed until free. */
const char *lc_template_function_names(const lc_template *t);

/* --- sam local's --env-vars files -------------------------------------------------------------- */

/* Reads an environment file in SAM's format: {"Parameters": {NAME: VALUE, ...}, "<LogicalId>":
 * {NAME: VALUE, ...}}. Errors name the file (with line and column) and what is wrong. Caller owns
 * the result. */
lc_status lc_env_vars_load(const char *path, json_t **out, lc_error *err);

/* A function's variables with a --env-vars file applied as sam local applies it: a value from
 * the function's own section, else from "Parameters", replaces a variable the function declares;
 * a variable the function does not declare is ignored (its name is appended to ignored,
 * ", "-separated, when ignored is not NULL). Numbers and booleans become their text. Returns a
 * new object (caller owns); file and variables may be NULL. */
json_t *lc_env_vars_apply(const json_t *file, const char *function, const json_t *variables,
                          lc_buf *ignored);

/* A function configuration from a template function: name, handler, runtime, code folder,
 * timeout, memory, environment, layers, logging. Other fields are left as they were. Strings
 * borrowed from f. */
void lc_template_function_config(const lc_template_function *f, lc_function_config *c);

#endif
