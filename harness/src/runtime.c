#include "lambdacheck/runtime.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    lc_runtime_family family;
    const char *version;
    const char *error_keys;
    const char *deprecated;
    const char *interpreter;
} table[] = {
#define LC__RUNTIME_ROW(name, id, family, version, keys, deprecated, interpreter)                  \
    {id, family, version, keys, deprecated, interpreter},
    LC_RUNTIME_MAP(LC__RUNTIME_ROW)
#undef LC__RUNTIME_ROW
};

static bool known(lc_runtime r)
{
    return (int)r >= 0 && r < LC__RUNTIME_COUNT;
}

const char *lc_runtime_name(lc_runtime r)
{
    return known(r) ? table[r].name : "unknown";
}

lc_runtime lc_runtime_from_name(const char *name)
{
    for (int i = 0; name && i < LC__RUNTIME_COUNT; i++)
        if (strcmp(table[i].name, name) == 0)
            return (lc_runtime)i;
    return LC_RUNTIME_UNKNOWN;
}

lc_runtime_family lc_runtime_family_of(lc_runtime r)
{
    return known(r) ? table[r].family : LC_FAMILY_PROVIDED;
}

const char *lc_runtime_version(lc_runtime r)
{
    return known(r) ? table[r].version : NULL;
}

lc_runtime lc_runtime_python(int minor)
{
    char name[32];
    snprintf(name, sizeof name, "python3.%d", minor);
    return lc_runtime_from_name(name);
}

bool lc_runtime_execution_env(lc_runtime r, char *out, size_t size)
{
    if (size)
        out[0] = '\0';
    if (!known(r) || table[r].family == LC_FAMILY_PROVIDED)
        return false;
    snprintf(out, size, "AWS_Lambda_%s", table[r].name);
    return true;
}

const char *lc_runtime_error_keys(lc_runtime r)
{
    return known(r) ? table[r].error_keys : NULL;
}

int lc_runtime_managed_concurrency_per_vcpu(lc_runtime r)
{
    const char *name = lc_runtime_name(r);
    switch (lc_runtime_family_of(r)) {
    case LC_FAMILY_PYTHON: return 16;
    case LC_FAMILY_NODE: return 64;
    case LC_FAMILY_OTHER:
        return strncmp(name, "java", 4) == 0 || strncmp(name, "dotnet", 6) == 0 ? 32 : 0;
    default: return 0;
    }
}

bool lc_runtime_errors_carry_request_id(lc_runtime r)
{
    return lc_runtime_family_of(r) == LC_FAMILY_PYTHON;
}

void lc_runtime_marshal_error(lc_runtime r, const char **error_type, const char **error_message)
{
    *error_type = NULL;
    *error_message = NULL;
    if (lc_runtime_family_of(r) == LC_FAMILY_PYTHON && known(r))
        *error_type = "Runtime.MarshalError";
    else if (lc_runtime_family_of(r) == LC_FAMILY_NODE && known(r))
        *error_message = "Unable to stringify response body";
}

const char *lc_runtime_deprecated(lc_runtime r)
{
    return known(r) ? table[r].deprecated : NULL;
}

const char *lc_runtime_interpreter_package(lc_runtime r)
{
    return known(r) ? table[r].interpreter : NULL;
}

#define SDK(name) "@aws-sdk/" name "@" LC_NODE_SDK_VERSION

const char *const *lc_runtime_sdk_packages(lc_runtime r)
{
    static const char *const sdk[] = {
        SDK("client-lambda"),
        SDK("client-s3"),
        SDK("client-dynamodb"),
        SDK("lib-dynamodb"),
        SDK("client-sqs"),
        SDK("client-sns"),
        SDK("client-sts"),
        SDK("client-sfn"),
        SDK("client-eventbridge"),
        SDK("client-secrets-manager"),
        SDK("client-ssm"),
        SDK("client-kms"),
        "@aws-sdk/client-kinesis@3.1143.0", /* its newest release at or before the set's */
        SDK("client-firehose"),
        SDK("credential-providers"),
        NULL,
    };
    return lc_runtime_family_of(r) == LC_FAMILY_NODE && known(r) ? sdk : NULL;
}

static char all_names[512];

static void list_names(void)
{
    size_t n = 0;
    for (int i = 0; i < LC__RUNTIME_COUNT && n < sizeof all_names; i++)
        n += (size_t)snprintf(all_names + n, sizeof all_names - n, "%s%s", i ? ", " : "",
                              table[i].name);
}

const char *lc_runtime_all_names(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, list_names);
    return all_names;
}
