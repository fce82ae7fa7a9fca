#include "lambdacheck/function.h"

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "spawn.h"

#ifndef LAMBDACHECK_RUNTIME_DIR
#define LAMBDACHECK_RUNTIME_DIR "harness/runtime/python"
#endif
#define BOOTSTRAP "lambdacheck_bootstrap.py"

struct lc_function {
    lc_context *base; /* name, memory, timeout, region, account */
    char *handler;
    char *code_dir;
    char *runtime_dir;
    char *execution_env;
    char **argv;
    json_t *variables;
    int concurrency;
};

/* Variables Lambda sets itself; a function may not set them (credentials it may). */
static const char *const reserved_variables[] = {
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", NULL,
};

static const char *env_or(const char *value, const char *variable, const char *fallback)
{
    if (value && value[0])
        return value;
    const char *v = variable ? getenv(variable) : NULL;
    return v && v[0] ? v : fallback;
}

static lc_status check_variables(const json_t *vars, lc_error *err)
{
    if (vars == NULL)
        return LC_OK;
    if (!json_is_object(vars))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "environment must be an object of string variables");
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)vars, key, value)
    {
        if (!json_is_string(value))
            return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                                "environment variable %s must be a string", key);
        if (key[0] == '\0' || strchr(key, '='))
            return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                                "environment variable name '%s' is not valid", key);
        for (const char *const *r = reserved_variables; *r; r++)
            if (strcmp(key, *r) == 0)
                return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                                    "environment variable %s is reserved: Lambda sets it", key);
    }
    return LC_OK;
}

static lc_status check_handler(const char *handler, lc_error *err)
{
    if (handler == NULL || handler[0] == '\0')
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "a handler (MODULE.FUNCTION) is needed");
    for (const char *p = handler; *p; p++)
        if ((unsigned char)*p <= ' ')
            return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                                "handler '%s' contains blanks or control characters", handler);
    return LC_OK;
}

static lc_status resolve_dir(const char *dir, const char *what, char **out, lc_error *err)
{
    char real[PATH_MAX];
    struct stat st;
    if (dir == NULL || realpath(dir, real) == NULL || stat(real, &st) != 0 || !S_ISDIR(st.st_mode))
        return lc_error_set(err, LC_ENOTFOUND, dir ? dir : "", 0, 0, "%s '%s' is not a folder",
                            what, dir ? dir : "(none)");
    *out = strdup(real);
    return LC_OK;
}

/* The last interpreter resolved: asking costs a process start, and most callers use one. */
static pthread_mutex_t python_cache_mu = PTHREAD_MUTEX_INITIALIZER;
static char python_cache_name[PATH_MAX], python_cache_path[PATH_MAX];
static int python_cache_minor;

static bool cached_python(const char *python, char **path, int *minor)
{
    pthread_mutex_lock(&python_cache_mu);
    bool hit = python_cache_path[0] && strcmp(python_cache_name, python) == 0;
    if (hit) {
        *path = strdup(python_cache_path);
        *minor = python_cache_minor;
    }
    pthread_mutex_unlock(&python_cache_mu);
    return hit;
}

static void remember_python(const char *python, const char *path, int minor)
{
    pthread_mutex_lock(&python_cache_mu);
    snprintf(python_cache_name, sizeof python_cache_name, "%s", python);
    snprintf(python_cache_path, sizeof python_cache_path, "%s", path);
    python_cache_minor = minor;
    pthread_mutex_unlock(&python_cache_mu);
}

/* Asks the interpreter where it really is (a pyenv shim is a script that needs the caller's
 * environment) and which version it is. */
static lc_status resolve_python(const char *python, char **path, int *minor, lc_error *err)
{
    if (cached_python(python, path, minor))
        return LC_OK;
    char *argv[] = {(char *)python, "-c",
                    "import sys; print(sys.executable); print(sys.version_info[1])", NULL};
    lc_buf out;
    lc_buf_init(&out, 65536);
    int status = 0;
    lc_error mine = {0};
    lc_status st = lc__run_capture(argv, 30000, &out, &status, &mine);
    char exe[PATH_MAX] = "";
    if (st == LC_OK && !(WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
                         sscanf(out.data ? out.data : "", "%4095[^\n]\n%d", exe, minor) == 2))
        st = LC_ESPAWN;
    lc_buf_free(&out);
    if (st != LC_OK)
        return lc_error_set(err, LC_ESPAWN, python, 0, 0,
                            "Python interpreter '%s' does not run (%s); choose one with --python "
                            "or LAMBDACHECK_PYTHON",
                            python, mine.message[0] ? mine.message : "it failed to report itself");
    *path = strdup(exe);
    remember_python(python, exe, *minor);
    return LC_OK;
}

/* The bundled client is the runtime command with both placeholders. */
#define BUNDLED_COMMAND "{python} {bootstrap}"

/* Replaces "{python}" and "{bootstrap}" in fn->argv, and sets AWS_EXECUTION_ENV to the
 * interpreter's Python version. */
static lc_status fill_placeholders(lc_function *fn, const lc_function_config *c, lc_error *err)
{
    char *python = NULL;
    int minor = 0;
    lc_status st = resolve_python(env_or(c->python, "LAMBDACHECK_PYTHON", "python3"), &python,
                                  &minor, err);
    if (st != LC_OK)
        return st;
    char bootstrap[PATH_MAX + 64], env[64];
    snprintf(bootstrap, sizeof bootstrap, "%s/%s", fn->runtime_dir, BOOTSTRAP);
    for (char **a = fn->argv; *a; a++)
        if (strcmp(*a, "{python}") == 0 || strcmp(*a, "{bootstrap}") == 0) {
            char *word = strdup(strcmp(*a, "{python}") == 0 ? python : bootstrap);
            free(*a);
            *a = word;
        }
    free(python);
    snprintf(env, sizeof env, "AWS_Lambda_python3.%d", minor);
    fn->execution_env = strdup(env_or(c->execution_env, NULL, env));
    return LC_OK;
}

static lc_status make_argv(lc_function *fn, const lc_function_config *c, lc_error *err)
{
    const char *command = c->runtime_command ? c->runtime_command : BUNDLED_COMMAND;
    fn->argv = lc__argv_split(command, fn->handler);
    if (fn->argv == NULL)
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "the runtime command is empty");
    if (strstr(command, "{python}") || strstr(command, "{bootstrap}"))
        return fill_placeholders(fn, c, err);
    fn->execution_env = strdup(env_or(c->execution_env, NULL, "AWS_Lambda_provided.al2023"));
    return LC_OK;
}

static lc_status apply_context(lc_function *fn, const lc_function_config *c, lc_error *err)
{
    lc_context *ctx = fn->base;
    lc_status st = lc_context_set_function_name(ctx, c->name ? c->name : "my-function", err);
    if (st == LC_OK && c->timeout_ms)
        st = lc_context_set_timeout_ms(ctx, c->timeout_ms, err);
    if (st == LC_OK && c->memory_mb)
        st = lc_context_set_memory_mb(ctx, c->memory_mb, err);
    if (st == LC_OK && c->region)
        st = lc_context_set_region(ctx, c->region, err);
    if (st == LC_OK && c->account)
        st = lc_context_set_account(ctx, c->account, err);
    return st;
}

lc_status lc_function_new(const lc_function_config *c, lc_function **out, lc_error *err)
{
    *out = NULL;
    lc_function *fn = calloc(1, sizeof *fn);
    if (fn == NULL || (fn->base = lc_context_new()) == NULL) {
        free(fn);
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    }
    fn->concurrency = c->concurrency > 0 ? c->concurrency : 10;
    lc_status st = apply_context(fn, c, err);
    if (st == LC_OK)
        st = check_handler(c->handler, err);
    if (st == LC_OK)
        st = check_variables(c->environment, err);
    if (st == LC_OK)
        st = resolve_dir(c->code_dir, "code folder", &fn->code_dir, err);
    if (st == LC_OK)
        st = resolve_dir(env_or(c->runtime_dir, "LAMBDACHECK_RUNTIME_DIR", LAMBDACHECK_RUNTIME_DIR),
                         "runtime folder", &fn->runtime_dir, err);
    if (st == LC_OK) {
        fn->handler = strdup(c->handler);
        fn->variables = c->environment ? json_deep_copy(c->environment) : json_object();
        st = make_argv(fn, c, err);
    }
    if (st != LC_OK) {
        lc_function_free(fn);
        return st;
    }
    *out = fn;
    return LC_OK;
}

void lc_function_free(lc_function *fn)
{
    if (fn == NULL)
        return;
    lc_context_free(fn->base);
    free(fn->handler);
    free(fn->code_dir);
    free(fn->runtime_dir);
    free(fn->execution_env);
    lc__strv_free(fn->argv);
    json_decref(fn->variables);
    free(fn);
}

const char *lc_function_name(const lc_function *fn) { return lc_context_function_name(fn->base); }
const char *lc_function_handler(const lc_function *fn) { return fn->handler; }
const char *lc_function_arn(const lc_function *fn) { return lc_context_function_arn(fn->base); }
const char *lc_function_code_dir(const lc_function *fn) { return fn->code_dir; }
long lc_function_timeout_ms(const lc_function *fn) { return lc_context_timeout_ms(fn->base); }
long lc_function_memory_mb(const lc_function *fn) { return lc_context_memory_mb(fn->base); }
int lc_function_concurrency(const lc_function *fn) { return fn->concurrency; }
const char *lc_function_runtime_dir(const lc_function *fn) { return fn->runtime_dir; }
const char *lc_function_execution_env(const lc_function *fn) { return fn->execution_env; }
char *const *lc_function_argv(const lc_function *fn) { return fn->argv; }
const json_t *lc_function_variables(const lc_function *fn) { return fn->variables; }

lc_context *lc_function_new_context(const lc_function *fn)
{
    lc_context *ctx = lc_context_copy(fn->base);
    if (ctx)
        lc_context_renew(ctx);
    return ctx;
}
