/* The options that describe a function, shared by the commands that run one (invoke, serve). */
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

long cli_parse_number(const char *command, const char *option, const char *text, long min,
                      long max)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || v < min || v > max) {
        cli_usage_error(command, "%s takes a whole number from %ld to %ld, not '%s'", option, min,
                        max, text);
        return -1;
    }
    return v;
}

static int add_env(cli_function_args *a, const char *command, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    if (eq == NULL || eq == assignment)
        return cli_usage_error(command, "--env takes KEY=VALUE, not '%s'", assignment);
    char key[256];
    snprintf(key, sizeof key, "%.*s", (int)(eq - assignment), assignment);
    json_object_set_new(a->env, key, json_string(eq + 1));
    return CLI_OK;
}

int cli_function_option(cli_function_args *a, const char *command, int opt, const char *arg)
{
    long v;
    switch (opt) {
    case OPT_HANDLER: a->fn.handler = arg; return CLI_OK;
    case OPT_CODE: a->fn.code_dir = arg; return CLI_OK;
    case OPT_FUNCTION_NAME: a->fn.name = arg; return CLI_OK;
    case OPT_PYTHON: a->fn.python = arg; return CLI_OK;
    case OPT_RUNTIME_COMMAND: a->fn.runtime_command = arg; return CLI_OK;
    case OPT_RUNTIME: a->fn.runtime = arg; return CLI_OK;
    case OPT_ENV: return add_env(a, command, arg);
    case OPT_TIMEOUT:
        if ((v = cli_parse_number(command, "--timeout", arg, 1, 900)) < 0)
            return CLI_USAGE;
        a->fn.timeout_ms = v * 1000;
        return CLI_OK;
    case OPT_TIMEOUT_MS:
        if ((v = cli_parse_number(command, "--timeout-ms", arg, 1, LC_TIMEOUT_MAX_MS)) < 0)
            return CLI_USAGE;
        a->fn.timeout_ms = v;
        return CLI_OK;
    case OPT_MEMORY:
        if ((v = cli_parse_number(command, "--memory", arg, LC_MEMORY_MIN_MB,
                                  LC_MEMORY_MAX_MB)) < 0)
            return CLI_USAGE;
        a->fn.memory_mb = v;
        return CLI_OK;
    case OPT_HOST_PACKAGES: a->fn.host_packages = true; return CLI_OK;
    case OPT_PLAIN_START: lc_environment_set_fast_start(false); return CLI_OK;
    case OPT_SNAPSTART: a->fn.snapstart = true; return CLI_OK;
    case OPT_CREDENTIALS:
        if (strcmp(arg, "host") != 0 && strcmp(arg, "dummy") != 0)
            return cli_usage_error(command, "--credentials takes host or dummy, not '%s'", arg);
        a->host_credentials = strcmp(arg, "host") == 0;
        return CLI_OK;
    case OPT_LOG_FORMAT: a->fn.log_format = arg; return CLI_OK;
    case OPT_TEMPLATE:
        if (a->template && strcmp(a->template, arg) != 0)
            return cli_usage_error(command, "--template given twice (%s, %s): one template a "
                                            "command; serve several projects with --manifest",
                                   a->template, arg);
        a->template = arg;
        return CLI_OK;
    case OPT_PARAMETERS: return cli_parameter_overrides(&a->parameters, command, arg);
    case OPT_ENV_VARS: a->env_vars = arg; return CLI_OK;
    case OPT_REGION: a->fn.region = arg; return CLI_OK;
    case OPT_ACCOUNT: a->fn.account = arg; return CLI_OK;
    case OPT_LAYER:
        if (a->n_layers == CLI_MAX_LAYERS)
            return cli_usage_error(command, "at most %d --layer folders", CLI_MAX_LAYERS);
        a->layers[a->n_layers++] = arg;
        a->fn.layers = a->layers;
        return CLI_OK;
    case OPT_APP_LOG_LEVEL: a->fn.application_log_level = arg; return CLI_OK;
    case OPT_SYSTEM_LOG_LEVEL: a->fn.system_log_level = arg; return CLI_OK;
    case OPT_CONCURRENCY:
        if ((v = cli_parse_number(command, "--concurrency", arg, 1, 1000)) < 0)
            return CLI_USAGE;
        a->fn.concurrency = (int)v;
        return CLI_OK;
    case OPT_AWS_STUBS: a->aws_stubs = arg; return CLI_OK;
    case OPT_MAX_CONCURRENCY:
        /* PerExecutionEnvironmentMaxConcurrency: 1-1600 (API_LambdaManagedInstancesCapacity
         * ProviderConfig.html) */
        if ((v = cli_parse_number(command, "--max-concurrency", arg, 1, LC_MAX_CONCURRENCY)) < 0)
            return CLI_USAGE;
        a->fn.max_concurrency = (int)v;
        return CLI_OK;
    case OPT_AWS_ENDPOINT: return cli_aws_endpoint_arg(command, arg, &a->aws_endpoint);
    case OPT_TENANCY:
        /* TenantIsolationMode has one value (https://docs.aws.amazon.com/lambda/latest/dg/
         * tenant-isolation.html); refused here so the mistake names the option */
        if (strcasecmp(arg, "PER_TENANT") != 0)
            return cli_usage_error(command, "--tenancy takes PER_TENANT, not '%s'", arg);
        a->fn.tenancy = arg;
        return CLI_OK;
    default:
        return CLI_NOT_MINE;
    }
}

int cli_aws_endpoint_arg(const char *command, const char *arg, const char **out)
{
    if (strncmp(arg, "http://", 7) != 0 && strncmp(arg, "https://", 8) != 0)
        return cli_usage_error(command, "--aws-endpoint takes an http:// or https:// URL, not '%s'",
                               arg);
    *out = arg;
    return CLI_OK;
}

void cli_function_args_clear(cli_function_args *a)
{
    lc_aws_endpoint_free(a->aws);
    a->aws = NULL;
    json_decref(a->env);
    json_decref(a->parameters);
    a->env = a->parameters = NULL;
}

/* One "Key=Value" or "ParameterKey=K,ParameterValue=V" of --parameter-overrides. */
static bool one_override(json_t *into, const char *word)
{
    static const char key_prefix[] = "ParameterKey=", value_prefix[] = ",ParameterValue=";
    if (strncmp(word, key_prefix, sizeof key_prefix - 1) == 0) {
        const char *key = word + sizeof key_prefix - 1, *value = strstr(key, value_prefix);
        if (value == NULL || value == key)
            return false;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(value - key), key);
        json_object_set_new(into, name, json_string(value + sizeof value_prefix - 1));
        return true;
    }
    const char *eq = strchr(word, '=');
    if (eq == NULL || eq == word)
        return false;
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)(eq - word), word);
    json_object_set_new(into, name, json_string(eq + 1));
    return true;
}

int cli_parameter_overrides(json_t **into, const char *command, const char *text)
{
    if (*into == NULL)
        *into = json_object();
    char *copy = strdup(text), *save = NULL;
    int rc = CLI_OK;
    for (char *word = strtok_r(copy, " \t\n", &save); word && rc == CLI_OK;
         word = strtok_r(NULL, " \t\n", &save))
        if (!one_override(*into, word))
            rc = cli_usage_error(command, "--parameter-overrides takes Key=Value (or "
                                          "ParameterKey=K,ParameterValue=V), not '%s'",
                                 word);
    free(copy);
    return rc;
}

int cli_load_env_vars(const char *path, json_t **out)
{
    *out = NULL;
    if (path == NULL)
        return CLI_OK;
    lc_error err = {0};
    if (lc_env_vars_load(path, out, &err) == LC_OK)
        return CLI_OK;
    cli_print_error(&err);
    return CLI_USAGE;
}

void cli_print_notes(const lc_library *lib)
{
    for (size_t i = 0; i < lc_library_note_count(lib); i++)
        fprintf(stderr, "lambdacheck: note: %s\n", lc_library_note(lib, i));
}

void cli_print_python_choice(const char *label, const lc_function *fn)
{
    char sdk[2 * PATH_MAX + 512];
    if (fn == NULL || !lc_function_python_sdk(fn, sdk, sizeof sdk))
        return;
    fprintf(stderr, "lambdacheck: %s (%s): %s (%s)\n", label,
            lc_runtime_name(lc_function_runtime(fn)), lc_function_interpreter(fn),
            lc_function_interpreter_origin(fn));
    fprintf(stderr, "lambdacheck: %s: %s\n", label, sdk);
}

int cli_load_host_credentials(lc_credentials *out)
{
    lc_error err = {0};
    if (lc_credentials_load(NULL, out, &err) == LC_OK)
        return CLI_OK;
    cli_print_error(&err);
    return CLI_FAILED;
}

/* The template's function the command runs: --function-name, else the only one. */
static const lc_template_function *chosen_function(const lc_template *t, const char *name)
{
    if (name) {
        const lc_template_function *f = lc_template_find(t, name);
        if (f == NULL)
            fprintf(stderr, "lambdacheck: %s has no function %s (it has: %s)\n",
                    lc_template_path(t), name, lc_template_function_names(t));
        return f;
    }
    if (lc_template_function_count(t) == 1)
        return lc_template_function_at(t, 0);
    fprintf(stderr, "lambdacheck: %s has %zu functions: choose one with --function-name (%s)\n",
            lc_template_path(t), lc_template_function_count(t), lc_template_function_names(t));
    return NULL;
}

/* The configuration of a template function with the command's own options laid over it. */
static void overlay(const lc_template_function *f, const cli_function_args *a,
                    lc_function_config *c, json_t *env)
{
    lc_function_config mine = a->fn;
    *c = mine;
    lc_template_function_config(f, c);
    /* what the command gives wins over the template */
#define LC__OVER(field)                                                                            \
    if (mine.field)                                                                                \
        c->field = mine.field;
    LC__OVER(handler)
    LC__OVER(code_dir)
    LC__OVER(runtime)
    LC__OVER(timeout_ms)
    LC__OVER(memory_mb)
    LC__OVER(layers)
    LC__OVER(log_format)
    LC__OVER(application_log_level)
    LC__OVER(system_log_level)
    LC__OVER(tenancy)
    LC__OVER(max_concurrency)
    LC__OVER(snapstart)
#undef LC__OVER
    json_object_update(env, (json_t *)f->environment);
    json_object_update(env, a->env);
    c->environment = env;
}

/* Applies --env-vars (as sam local does) to *c's environment, keeping the new object in *keep. */
static int apply_env_vars(const cli_function_args *a, const char *name, lc_function_config *c,
                          json_t **keep)
{
    json_t *file = NULL;
    if (cli_load_env_vars(a->env_vars, &file) != CLI_OK)
        return CLI_USAGE;
    lc_buf ignored;
    lc_buf_init(&ignored, 0);
    *keep = lc_env_vars_apply(file, name, c->environment, &ignored);
    c->environment = *keep;
    if (ignored.len)
        fprintf(stderr, "lambdacheck: note: %s: function %s does not declare %s: ignored, as sam "
                        "local ignores it\n",
                a->env_vars, name, ignored.data);
    lc_buf_free(&ignored);
    json_decref(file);
    return CLI_OK;
}

static int new_function(lc_function_config *c, lc_function **out)
{
    lc_error err = {0};
    if (lc_function_new(c, out, &err) == LC_OK)
        return CLI_OK;
    cli_print_error(&err);
    return err.status == LC_ESPAWN ? CLI_FAILED : CLI_USAGE;
}

static int load_template(cli_function_args *a, lc_template **t)
{
    lc_template_options opt = {.region = a->fn.region, .account = a->fn.account,
                               .parameters = a->parameters};
    lc_error err = {0};
    if (lc_template_load(a->template, &opt, t, &err) == LC_OK)
        return CLI_OK;
    cli_print_error(&err);
    return CLI_USAGE;
}

static int use_host_credentials(cli_function_args *a)
{
    if (!a->host_credentials)
        return CLI_OK;
    if (cli_load_host_credentials(&a->creds) != CLI_OK)
        return CLI_FAILED;
    a->fn.access_key_id = a->creds.access_key_id;
    a->fn.secret_access_key = a->creds.secret_access_key;
    a->fn.session_token = a->creds.session_token;
    return CLI_OK;
}

/* True when the command's own options give what the template function lacks. */
static bool cured(const lc_template_function *f, const cli_function_args *a)
{
    const char *part = f->problem_part;
    return part && ((strcmp(part, "code") == 0 && a->fn.code_dir) ||
                    (strcmp(part, "layers") == 0 && a->fn.layers) ||
                    (strcmp(part, "handler") == 0 && a->fn.handler) ||
                    (strcmp(part, "runtime") == 0 && a->fn.runtime));
}

/* --- AWS calls ------------------------------------------------------------------------------ */

/* Each call as it is answered, on stderr. */
static void print_call(void *ctx, const char *scope, const json_t *call)
{
    (void)ctx;
    (void)scope;
    char *params = lc_json_brief(json_object_get(call, "params"), 400);
    const char *host = json_string_value(json_object_get(call, "host"));
    const json_t *stub = json_object_get(call, "stub");
    const char *message = json_string_value(json_object_get(json_object_get(call, "error"),
                                                            "message"));
    const char *problem = json_string_value(json_object_get(call, "problem"));
    fprintf(stderr, "lambdacheck: aws: %s %s -> %lld", json_string_value(json_object_get(call, "call")),
            host ? host : params ? params : "",
            (long long)json_integer_value(json_object_get(call, "status")));
    if (json_is_integer(stub))
        fprintf(stderr, " (stub %lld)", (long long)json_integer_value(stub));
    if (json_object_get(call, "unstubbed") || problem || host)
        fprintf(stderr, ": %s", problem ? problem
                                : host ? json_string_value(json_object_get(call, "refused"))
                                       : message);
    fputc('\n', stderr);
    free(params);
}

/* Starts lambdacheck's AWS endpoint with the --aws-stubs, once. */
static int start_aws(cli_function_args *a)
{
    if (a->aws)
        return CLI_OK;
    json_t *stubs = NULL;
    lc_error err = {0};
    lc_aws_endpoint_options opt = {.on_call = print_call,
                                   .hint = "add one to the --aws-stubs file, or pass "
                                           "--aws-endpoint"};
    if (a->aws_stubs && lc_aws_stubs_load(a->aws_stubs, &stubs, &err) != LC_OK) {
        cli_print_error(&err);
        return CLI_USAGE;
    }
    lc_status st = lc_aws_endpoint_start(&opt, &a->aws, &err);
    if (st == LC_OK)
        st = lc_aws_endpoint_set_default(a->aws, stubs, &err);
    json_decref(stubs);
    if (st != LC_OK) {
        cli_print_error(&err);
        return CLI_FAILED;
    }
    return CLI_OK;
}

int cli_point_at_aws(cli_function_args *a, lc_function **fn)
{
    if (a->aws_stubs && a->aws_endpoint) {
        lc_function_free(*fn);
        *fn = NULL;
        return cli_usage_error("", "--aws-stubs answers the calls; --aws-endpoint sends them "
                                   "elsewhere: give one");
    }
    const json_t *theirs = lc_function_variables(*fn);
    if (a->host_credentials || json_object_get(theirs, "AWS_ENDPOINT_URL"))
        return CLI_OK;
    json_t *vars = NULL;
    if (a->aws_endpoint)
        vars = json_pack("{s:s}", "AWS_ENDPOINT_URL", a->aws_endpoint);
    else {
        int rc = start_aws(a);
        if (rc != CLI_OK) {
            lc_function_free(*fn);
            *fn = NULL;
            return rc;
        }
        char data[PATH_MAX + 100];
        bool old_botocore = lc_function_old_botocore_data(*fn, data, sizeof data);
        vars = lc_aws_endpoint_variables(a->aws, "", old_botocore ? data : NULL, theirs);
    }
    lc_function *copy = NULL;
    lc_error err = {0};
    lc_status st = lc_function_copy_with(*fn, vars, &copy, &err);
    json_decref(vars);
    lc_function_free(*fn);
    *fn = copy;
    if (st != LC_OK) {
        cli_print_error(&err);
        return CLI_FAILED;
    }
    return CLI_OK;
}

/* One function of a template, built. */
static int template_function(cli_function_args *a, const lc_template_function *f,
                             lc_function **out)
{
    if (f->problem && !cured(f, a)) {
        fprintf(stderr, "lambdacheck: function %s cannot run here: %s\n", f->name, f->problem);
        return CLI_FAILED;
    }
    lc_function_config c;
    json_t *env = json_object(), *with_file = NULL;
    overlay(f, a, &c, env);
    int rc = apply_env_vars(a, f->name, &c, &with_file);
    if (rc == CLI_OK)
        rc = new_function(&c, out);
    if (rc == CLI_OK)
        rc = cli_point_at_aws(a, out);
    json_decref(env);
    json_decref(with_file);
    return rc;
}

int cli_add_template_functions(cli_function_args *a, lc_emulator *em)
{
    lc_template *t = NULL;
    int rc = use_host_credentials(a);
    if (rc == CLI_OK)
        rc = load_template(a, &t);
    for (size_t i = 0; rc == CLI_OK && i < lc_template_function_count(t); i++) {
        const lc_template_function *f = lc_template_function_at(t, i);
        lc_function *fn = NULL;
        if (f->problem && !cured(f, a)) { /* served without it; a call gets a 404 */
            fprintf(stderr, "lambdacheck: note: not serving %s: %s\n", f->name, f->problem);
            continue;
        }
        rc = template_function(a, f, &fn);
        lc_error err = {0};
        if (rc == CLI_OK && lc_emulator_add_function(em, fn, &err) != LC_OK) {
            cli_print_error(&err);
            rc = CLI_FAILED;
        }
    }
    lc_template_free(t);
    return rc;
}

int cli_template_http(cli_function_args *a, json_t **model)
{
    lc_template *t = NULL;
    int rc = load_template(a, &t);
    lc_buf notes;
    lc_buf_init(&notes, 0);
    lc_error err = {0};
    if (rc == CLI_OK && lc_gateway_model_from_template(t, model, &notes, &err) != LC_OK) {
        cli_print_error(&err);
        rc = CLI_FAILED;
    }
    if (notes.len)
        for (char *line = strtok(notes.data, "\n"); line; line = strtok(NULL, "\n"))
            fprintf(stderr, "lambdacheck: note: %s\n", line);
    lc_buf_free(&notes);
    lc_template_free(t);
    return rc;
}

int cli_make_function(cli_function_args *a, lc_function **out)
{
    if (a->template) {
        lc_template *t = NULL;
        int rc = use_host_credentials(a);
        if (rc == CLI_OK)
            rc = load_template(a, &t);
        const lc_template_function *f = rc == CLI_OK ? chosen_function(t, a->fn.name) : NULL;
        if (rc == CLI_OK)
            rc = f ? template_function(a, f, out) : CLI_USAGE;
        lc_template_free(t);
        return rc;
    }
    lc_error err = {0};
    if (use_host_credentials(a) != CLI_OK)
        return CLI_FAILED;
    json_t *with_file = NULL;
    lc_function_config c = a->fn;
    if (a->env_vars && apply_env_vars(a, c.name ? c.name : "my-function", &c, &with_file) != CLI_OK)
        return CLI_USAGE;
    lc_status st = lc_function_new(&c, out, &err);
    json_decref(with_file);
    if (st == LC_OK)
        return cli_point_at_aws(a, out);
    cli_print_error(&err);
    /* a missing interpreter is a broken machine, not a bad command line */
    return err.status == LC_ESPAWN ? CLI_FAILED : CLI_USAGE;
}
