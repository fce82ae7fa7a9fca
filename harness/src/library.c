/* Loading handler libraries (part of the runner module): the manifest, its functions, and every
 * case file, checked before anything runs. */
#include "library.h"
#include "settings.h"
#include "mapping_case.h"

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lambdacheck/aws_endpoint.h"
#include "lambdacheck/buf.h"
#include "lambdacheck/context.h"
#include "lambdacheck/event.h"
#include "lambdacheck/gateway.h"
#include "lambdacheck/json_util.h"
#include "lambdacheck/template.h"

/* How deep case folders are searched below a cases folder. */
#define MAX_DEPTH 16
/* Largest case.json or manifest read. */
#define MAX_SPEC_BYTES (16u * 1024 * 1024)

/* snprintf for paths and names: long ones are cut (PATH_MAX bounds them anyway); true if whole. */
static bool fit(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static bool fit(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, size, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < size;
}

static void join(const char *dir, const char *rel, char *out, size_t size)
{
    if (strcmp(rel, ".") == 0)
        fit(out, size, "%s", dir);
    else if (rel[0] == '/')
        fit(out, size, "%s", rel);
    else
        fit(out, size, "%s/%s", dir, rel);
}

/* --- problems ---------------------------------------------------------------------------------- */

static void add_problem(lc_library *lib, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_problem(lc_library *lib, const char *fmt, ...)
{
    char text[1500];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    char **list = realloc(lib->problems, (lib->n_problems + 1) * sizeof *list);
    if (list == NULL)
        return;
    lib->problems = list;
    lib->problems[lib->n_problems] = strdup(text);
    if (lib->problems[lib->n_problems])
        lib->n_problems++;
}

static void add_note(lc_library *lib, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_note(lc_library *lib, const char *fmt, ...)
{
    char text[1500];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    char **list = realloc(lib->notes, (lib->n_notes + 1) * sizeof *list);
    if (list == NULL)
        return;
    lib->notes = list;
    if ((lib->notes[lib->n_notes] = strdup(text)) != NULL)
        lib->n_notes++;
}

static void add_error_problem(lc_library *lib, const lc_error *err)
{
    char text[1200];
    add_problem(lib, "%s", lc_error_format(err, text, sizeof text));
}

/* --- JSON files --------------------------------------------------------------------------------- */

/* Reads a JSON object from a regular file; errors name the file, line and column. */
static lc_status load_object(const char *path, json_t **out, lc_error *err)
{
    lc_buf text;
    lc_buf_init(&text, MAX_SPEC_BYTES);
    *out = NULL;
    lc_status st = lc_buf_read_file(&text, path, err);
    json_error_t jerr;
    if (st == LC_OK && (*out = json_loadb(text.data, text.len, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
        st = lc_error_set(err, LC_EJSON, path, jerr.line, jerr.column, "%s", jerr.text);
    lc_buf_free(&text);
    if (st == LC_OK && !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        st = lc_error_set(err, LC_EJSON, path, 0, 0, "must be a JSON object");
    }
    return st;
}

/* Checks that every key of obj is one of allowed (NULL-terminated). */
static lc_status known_keys(const json_t *obj, const char *const *allowed, const char *where,
                            const char *source, lc_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok) {
            char list[400] = "";
            size_t n = 0;
            for (const char *const *a = allowed; *a && n < sizeof list; a++)
                n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", *a);
            return lc_error_set(err, LC_EINVAL, source, 0, 0, "%s%s: unknown field (known: %s)",
                                where, key, list);
        }
    }
    return LC_OK;
}

/* A field's type, checked: "functions.x.timeout must be an integer". */
static lc_status typed(const json_t *obj, const char *key, json_type type, const char *wanted,
                       const char *where, const char *source, lc_error *err)
{
    json_t *v = json_object_get(obj, key);
    bool ok = v == NULL || json_typeof(v) == type ||
              (type == JSON_TRUE && json_is_boolean(v));
    if (ok)
        return LC_OK;
    return lc_error_set(err, LC_EINVAL, source, 0, 0, "%s%s must be %s", where, key, wanted);
}

/* --- functions ---------------------------------------------------------------------------------- */

static const char *const function_keys[] = {
    "handler",  "code",        "runtime",     "timeout",      "timeoutMs",   "memory",
    "environment", "runtimeCommand", "python", "concurrency", "hostPackages", "credentials",
    "logging",  "layers",      "region",      "account",      "eventSources", "contracts",
    "alias",    "tenancy",     "maxConcurrency", "snapStart", NULL};
static const char *const logging_keys[] = {"format", "applicationLogLevel", "systemLogLevel",
                                           NULL};

static lc_status check_function_fields(const json_t *f, const char *where, const char *source,
                                        lc_error *err)
{
    if (!json_is_object(f))
        return lc_error_set(err, LC_EINVAL, source, 0, 0, "%s must be an object", where);
    lc_status st = known_keys(f, function_keys, where, source, err);
    static const struct {
        const char *key;
        json_type type;
        const char *wanted;
    } types[] = {
        {"handler", JSON_STRING, "a string (MODULE.FUNCTION)"},
        {"code", JSON_STRING, "a string (a folder, relative to the manifest)"},
        {"runtime", JSON_STRING, "a string (a Lambda runtime such as python3.12)"},
        {"timeout", JSON_INTEGER, "an integer (seconds)"},
        {"timeoutMs", JSON_INTEGER, "an integer (milliseconds)"},
        {"memory", JSON_INTEGER, "an integer (MB)"},
        {"environment", JSON_OBJECT, "an object of string variables"},
        {"runtimeCommand", JSON_STRING, "a string"},
        {"python", JSON_STRING, "a string (an interpreter)"},
        {"concurrency", JSON_INTEGER, "an integer"},
        {"hostPackages", JSON_TRUE, "true or false"},
        {"credentials", JSON_STRING, "a string (\"dummy\" or \"host\")"},
        {"logging", JSON_OBJECT, "an object (format, applicationLogLevel, systemLogLevel)"},
        {"layers", JSON_ARRAY, "a list of layer folders (relative to the manifest)"},
        {"region", JSON_STRING, "a string (us-east-1)"},
        {"account", JSON_STRING, "a string (twelve digits)"},
        {"alias", JSON_STRING, "a string (the alias it also answers to, as AutoPublishAlias)"},
        {"tenancy", JSON_STRING, "a string (PER_TENANT, TenancyConfig's TenantIsolationMode)"},
        {"maxConcurrency", JSON_INTEGER,
         "an integer (1-1600: Lambda Managed Instances' PerExecutionEnvironmentMaxConcurrency)"},
        {"snapStart", JSON_TRUE, "true or false (SnapStart: ApplyOn PublishedVersions)"},
    };
    for (size_t i = 0; st == LC_OK && i < sizeof types / sizeof *types; i++)
        st = typed(f, types[i].key, types[i].type, types[i].wanted, where, source, err);
    const json_t *mc = json_object_get(f, "maxConcurrency");
    if (st == LC_OK && mc && (json_integer_value(mc) < 1 ||
                              json_integer_value(mc) > LC_MAX_CONCURRENCY))
        st = lc_error_set(err, LC_EINVAL, source, 0, 0,
                          "%smaxConcurrency must be 1-%d (PerExecutionEnvironmentMaxConcurrency), "
                          "not %lld",
                          where, LC_MAX_CONCURRENCY, (long long)json_integer_value(mc));
    const json_t *logging = json_object_get(f, "logging");
    char logging_where[160];
    fit(logging_where, sizeof logging_where, "%slogging.", where);
    if (st == LC_OK && json_is_object(logging))
        st = known_keys(logging, logging_keys, logging_where, source, err);
    for (const char *const *k = logging_keys; st == LC_OK && json_is_object(logging) && *k; k++)
        st = typed(logging, *k, JSON_STRING, "a string", logging_where, source, err);
    const char *creds = json_string_value(json_object_get(f, "credentials"));
    if (st == LC_OK && creds && strcmp(creds, "dummy") != 0 && strcmp(creds, "host") != 0)
        st = lc_error_set(err, LC_EINVAL, source, 0, 0,
                          "%scredentials must be \"dummy\" or \"host\", not \"%s\"", where, creds);
    size_t i;
    json_t *layer;
    json_array_foreach(json_object_get(f, "layers"), i, layer)
        if (st == LC_OK && !json_is_string(layer))
            st = lc_error_set(err, LC_EINVAL, source, 0, 0, "%slayers must list folders", where);
    if (st == LC_OK)
        st = lc__settings_check_event_sources(json_object_get(f, "eventSources"), where, source,
                                              err);
    if (st == LC_OK)
        st = lc__settings_check_contracts(json_object_get(f, "contracts"), where, source, err);
    if (st == LC_OK && json_object_get(f, "handler") == NULL)
        st = lc_error_set(err, LC_EINVAL, source, 0, 0, "%shandler is required", where);
    if (st == LC_OK && json_object_get(f, "code") == NULL)
        st = lc_error_set(err, LC_EINVAL, source, 0, 0, "%scode is required", where);
    return st;
}

/* The manifest's layer folders, relative to it; NULL-terminated (caller frees each and all). */
static char **layer_paths(const lc_library *lib, const json_t *list)
{
    char **out = calloc(json_array_size(list) + 1, sizeof *out);
    for (size_t i = 0; out && i < json_array_size(list); i++) {
        char path[PATH_MAX];
        join(lib->dir, json_string_value(json_array_get(list, i)), path, sizeof path);
        out[i] = strdup(path);
    }
    return out;
}

/* A function's variables with the --env-vars files applied: the manifest's, then the command's
 * (each as sam local applies one). What a file sets that the function does not declare is a
 * note. A new object. */
static json_t *function_environment(lc_library *lib, const char *name, const json_t *declared,
                                    const lc_library_options *opt)
{
    const json_t *files[] = {lib->env_vars, opt->env_vars};
    json_t *env = declared ? json_deep_copy(declared) : json_object();
    lc_buf ignored;
    lc_buf_init(&ignored, 0);
    for (size_t i = 0; i < 2; i++) {
        json_t *next = lc_env_vars_apply(files[i], name, env, &ignored);
        json_decref(env);
        env = next;
    }
    if (ignored.len)
        add_note(lib, "%s: function %s does not declare %s: the --env-vars value is ignored, as "
                      "sam local ignores it",
                 lib->manifest, name, ignored.data);
    lc_buf_free(&ignored);
    return env;
}

static lc_status build_function(const char *name, const json_t *f, lc_library *lib,
                                const lc_library_options *opt, lc_function **out, lc_error *err)
{
    char code[PATH_MAX];
    join(lib->dir, json_string_value(json_object_get(f, "code")), code, sizeof code);
    const char *own_command = json_string_value(json_object_get(f, "runtimeCommand"));
    lc_function_config c = {
        .name = name,
        .handler = json_string_value(json_object_get(f, "handler")),
        .runtime = json_string_value(json_object_get(f, "runtime")),
        .code_dir = code,
        .runtime_command = opt->runtime_command ? opt->runtime_command : own_command,
        .python = json_object_get(f, "python") ? json_string_value(json_object_get(f, "python"))
                                               : opt->python,
        .timeout_ms = (long)json_integer_value(json_object_get(f, "timeout")) * 1000,
        .memory_mb = (long)json_integer_value(json_object_get(f, "memory")),
        .environment = json_object_get(f, "environment"),
        .concurrency = (int)json_integer_value(json_object_get(f, "concurrency")),
        .alias = json_string_value(json_object_get(f, "alias")),
        .tenancy = json_string_value(json_object_get(f, "tenancy")),
        .max_concurrency = (int)json_integer_value(json_object_get(f, "maxConcurrency")),
        .snapstart = json_is_true(json_object_get(f, "snapStart")),
        .event_sources = json_object_get(f, "eventSources"),
    };
    if (json_object_get(f, "timeoutMs"))
        c.timeout_ms = (long)json_integer_value(json_object_get(f, "timeoutMs"));
    c.region = json_object_get(f, "region") ? json_string_value(json_object_get(f, "region"))
                                            : opt->region;
    c.account = json_object_get(f, "account") ? json_string_value(json_object_get(f, "account"))
                                              : opt->account;
    char **layers = layer_paths(lib, json_object_get(f, "layers"));
    c.layers = (const char *const *)layers;
    json_t *environment = function_environment(lib, name, c.environment, opt);
    c.environment = environment;
    c.host_packages = opt->host_packages || json_is_true(json_object_get(f, "hostPackages"));
    const json_t *logging = json_object_get(f, "logging");
    c.log_format = json_string_value(json_object_get(logging, "format"));
    c.application_log_level = json_string_value(json_object_get(logging, "applicationLogLevel"));
    c.system_log_level = json_string_value(json_object_get(logging, "systemLogLevel"));
    lc_credentials host;
    const lc_credentials *creds = opt->credentials;
    const char *wanted = json_string_value(json_object_get(f, "credentials"));
    lc_error mine = {0};
    lc_status st = LC_OK;
    if (creds == NULL && wanted && strcmp(wanted, "host") == 0 && opt->local) {
        st = lc_credentials_load(NULL, &host, &mine);
        if (st != LC_OK)
            lc_error_set(err, LC_ENOTFOUND, lib->manifest, 0, 0,
                         "functions.%s: credentials \"host\": %s", name, mine.message);
        creds = &host;
    }
    if (creds && st == LC_OK) {
        c.access_key_id = creds->access_key_id;
        c.secret_access_key = creds->secret_access_key;
        c.session_token = creds->session_token;
    }
    lc_runtime declared = lc_runtime_from_name(c.runtime);
    bool python = declared == LC_RUNTIME_UNKNOWN ||
                  lc_runtime_family_of(declared) == LC_FAMILY_PYTHON;
    if (c.runtime_command == NULL && python && opt->python_runtime_command) {
        c.runtime_command = opt->python_runtime_command;
        c.shutdown_grace_ms = opt->python_shutdown_grace_ms;
    }
    bool node = lc_runtime_family_of(declared) == LC_FAMILY_NODE;
    if (c.runtime_command == NULL && node && opt->node_coverage_dir) {
        json_object_set_new(environment, "NODE_V8_COVERAGE", json_string(opt->node_coverage_dir));
        c.shutdown_grace_ms = opt->python_shutdown_grace_ms > 0 ? opt->python_shutdown_grace_ms
                                                                : 5000;
    }
    json_t *seconds = json_object_get(f, "timeout");
    if (st == LC_OK && seconds && !json_object_get(f, "timeoutMs") &&
        (json_integer_value(seconds) < 1 || json_integer_value(seconds) > 900))
        st = lc_error_set(err, LC_EINVAL, lib->manifest, 0, 0,
                          "functions.%s: timeout %" JSON_INTEGER_FORMAT
                          " s is outside 1-900 s (Lambda's limits)",
                          name, json_integer_value(seconds));
    if (st == LC_OK) {
        st = lc_function_new(&c, out, &mine);
        if (st != LC_OK)
            lc_error_set(err, st, lib->template_path ? lib->template_path : lib->manifest, 0, 0,
                         "%s%s: %s", lib->template_path ? "" : "functions.", name, mine.message);
    }
    json_decref(environment);
    for (char **l = layers; l && *l; l++)
        free(*l);
    free(layers);
    return st;
}

/* Room for one more function (zeroed); NULL when out of memory. */
static lc__function *next_slot(lc_library *lib)
{
    if (lib->n_functions == lib->cap_functions) {
        size_t cap = lib->cap_functions ? lib->cap_functions * 2 : 8;
        lc__function *grown = realloc(lib->functions, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        lib->functions = grown;
        lib->cap_functions = cap;
    }
    lc__function *slot = &lib->functions[lib->n_functions];
    memset(slot, 0, sizeof *slot);
    return slot;
}

/* Adds a function: checks its manifest entry and, for local runs, builds it. */
static lc_status add_function(lc_library *lib, const char *name, const json_t *f,
                              const lc_library_options *opt, lc_error *err)
{
    char where[120];
    fit(where, sizeof where, "functions.%s.", name);
    lc_status st = check_function_fields(f, where, lib->manifest, err);
    lc__function *out = next_slot(lib);
    if (out == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    if (st == LC_OK && !fit(out->name, sizeof out->name, "%s", name))
        st = lc_error_set(err, LC_EINVAL, lib->manifest, 0, 0,
                          "functions.%s: a function name has at most 64 characters", name);
    if (st == LC_OK && opt->local)
        st = build_function(name, f, lib, opt, &out->fn, err);
    if (st != LC_OK)
        return st;
    out->runtime = out->fn ? lc_function_runtime(out->fn)
                           : lc_runtime_from_name(json_string_value(json_object_get(f, "runtime")));
    out->event_sources = json_incref(json_object_get(f, "eventSources"));
    out->contracts = json_incref(json_object_get(f, "contracts"));
    const char *creds = json_string_value(json_object_get(f, "credentials"));
    out->host_credentials = opt->credentials != NULL || (creds && strcmp(creds, "host") == 0);
    lib->n_functions++;
    return LC_OK;
}

/* A template's function in the manifest's shape (code, layers and environment included),
 * with the manifest's entry of the same name laid over it. */
static json_t *template_entry(const lc_template_function *t, const json_t *own)
{
    json_t *f = json_pack("{s:I, s:I, s:O}", "timeoutMs", (json_int_t)t->timeout_ms, "memory",
                          (json_int_t)t->memory_mb, "environment", t->environment);
    const char *names[] = {"handler", "runtime", "code", "alias", "tenancy"};
    const char *given[] = {t->handler, t->runtime, t->code_dir, t->alias, t->tenancy};
    for (size_t i = 0; i < 5; i++)
        if (given[i])
            json_object_set_new(f, names[i], json_string(given[i]));
    if (t->max_concurrency)
        json_object_set_new(f, "maxConcurrency", json_integer(t->max_concurrency));
    if (t->snapstart)
        json_object_set_new(f, "snapStart", json_true());
    json_t *layers = json_array();
    for (const char *const *l = t->layers; l && *l; l++)
        json_array_append_new(layers, json_string(*l));
    json_object_set_new(f, "layers", layers);
    json_t *logging = json_object();
    const char *keys[] = {"format", "applicationLogLevel", "systemLogLevel"};
    const char *values[] = {t->log_format, t->application_log_level, t->system_log_level};
    for (size_t i = 0; i < 3; i++)
        if (values[i])
            json_object_set_new(logging, keys[i], json_string(values[i]));
    if (json_object_size(logging))
        json_object_set(f, "logging", logging);
    json_decref(logging);
    json_t *env = json_deep_copy(json_object_get(f, "environment"));
    json_object_update(env, json_object_get(own, "environment"));
    json_t *sources = json_deep_copy(t->event_sources ? t->event_sources : json_object());
    if (json_is_object(json_object_get(own, "eventSources"))) /* else refused when checked */
        json_object_update(sources, json_object_get(own, "eventSources"));
    json_object_update(f, (json_t *)own);
    json_object_set_new(f, "environment", env);
    if (sources && json_object_size(sources))
        json_object_set(f, "eventSources", sources);
    json_decref(sources);
    if (json_object_get(own, "timeout")) /* the manifest's seconds over the template's */
        json_object_del(f, "timeoutMs");
    return f;
}

/* The template's parameter values: the manifest's "parameters" under the command's. */
static json_t *template_parameters(const json_t *manifest, const lc_library_options *opt)
{
    json_t *values = json_deep_copy(json_object_get(manifest, "parameters"));
    if (values == NULL)
        values = json_object();
    json_object_update(values, (json_t *)opt->parameters);
    return values;
}

/* Lambda's name for this machine's architecture. */
static const char *host_architecture(void)
{
    static struct utsname u;
    if (u.machine[0] == '\0')
        uname(&u);
    return strcmp(u.machine, "aarch64") == 0 ? "arm64" : u.machine;
}

/* The template's APIs and function URLs, for serve and HTTP cases. */
static void add_template_http(lc_library *lib, const lc_template *t)
{
    lc_buf notes;
    lc_buf_init(&notes, 0);
    json_t *model = NULL;
    if (lc_gateway_model_from_template(t, &model, &notes, NULL) == LC_OK) {
        json_array_extend(json_object_get(lib->http, "apis"), json_object_get(model, "apis"));
        json_array_extend(json_object_get(lib->http, "functionUrls"),
                          json_object_get(model, "functionUrls"));
    }
    for (char *line = notes.data; line && *line;) {
        size_t len = strcspn(line, "\n");
        add_note(lib, "%s: %.*s", lc_template_path(t), (int)len, line);
        line += len + (line[len] == '\n');
    }
    json_decref(model);
    lc_buf_free(&notes);
}

/* The manifest's "http": the routes of functions without a template (gateway.h's model). */
static lc_status load_manifest_http(lc_library *lib, const json_t *manifest, lc_error *err)
{
    const json_t *http = json_object_get(manifest, "http");
    if (http == NULL)
        return LC_OK;
    lc_status st = lc_gateway_model_check(http, lib->manifest, err);
    if (st != LC_OK)
        return st;
    json_array_extend(json_object_get(lib->http, "apis"), json_object_get(http, "apis"));
    json_array_extend(json_object_get(lib->http, "functionUrls"),
                      json_object_get(http, "functionUrls"));
    return LC_OK;
}

/* The functions of the manifest's "template": each unless the manifest's own entry of that name
 * overrides fields; one that cannot run here is kept with its problem. */
static lc_status load_template(lc_library *lib, const json_t *manifest,
                               const lc_library_options *opt, lc_error *err)
{
    char path[PATH_MAX];
    join(lib->dir, json_string_value(json_object_get(manifest, "template")), path, sizeof path);
    json_t *parameters = template_parameters(manifest, opt);
    lc_template_options topt = {.region = opt->region, .account = opt->account,
                                .parameters = parameters};
    lc_template *t = NULL;
    lc_status st = lc_template_load(path, &topt, &t, err);
    json_decref(parameters);
    const json_t *functions = json_object_get(manifest, "functions");
    for (size_t i = 0; st == LC_OK && i < lc_template_function_count(t); i++) {
        const lc_template_function *tf = lc_template_function_at(t, i);
        const json_t *own = json_object_get(functions, tf->name);
        bool cured = tf->problem_part && json_object_get(own, tf->problem_part);
        if (tf->problem && !cured) {
            lc__function *out = next_slot(lib);
            if (out == NULL)
                break;
            lib->n_functions++;
            fit(out->name, sizeof out->name, "%s", tf->name);
            out->problem = strdup(tf->problem);
            out->runtime = lc_runtime_from_name(tf->runtime);
            continue;
        }
        json_t *f = template_entry(tf, own);
        lib->template_path = own ? NULL : lc_template_path(t); /* where its faults come from */
        st = add_function(lib, tf->name, f, opt, err);
        lib->template_path = NULL;
        if (st == LC_OK && strcmp(tf->architecture, host_architecture()) != 0)
            fit(lib->functions[lib->n_functions - 1].foreign_arch,
                sizeof lib->functions[0].foreign_arch, "%s", tf->architecture);
        json_decref(f);
    }
    if (st == LC_OK)
        add_template_http(lib, t);
    lc_template_free(t);
    return st;
}

/* A note (not a failure: Lambda still invokes such functions) for each function whose runtime
 * AWS lists as deprecated (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html). */
static void note_deprecated(lc_library *lib)
{
    for (size_t i = 0; i < lib->n_functions; i++) {
        const char *since = lc_runtime_deprecated(lib->functions[i].runtime);
        if (since)
            add_note(lib, "%s: function %s: runtime %s is deprecated since %s: AWS no longer "
                     "patches it and will block creating and updating such functions",
                     lib->manifest, lib->functions[i].name,
                     lc_runtime_name(lib->functions[i].runtime), since);
    }
}

static lc_status load_functions(lc_library *lib, const json_t *manifest,
                                const lc_library_options *opt, lc_error *err)
{
    const json_t *functions = json_object_get(manifest, "functions");
    bool template = json_object_get(manifest, "template") != NULL;
    if (!template && (!json_is_object(functions) || json_object_size(functions) == 0))
        return lc_error_set(err, LC_EINVAL, lib->manifest, 0, 0,
                            "functions: an object naming at least one function is required (or "
                            "a \"template\" to take them from)");
    lc_status st = template ? load_template(lib, manifest, opt, err) : LC_OK;
    const char *name;
    json_t *f;
    json_object_foreach((json_t *)functions, name, f)
    {
        if (st == LC_OK && lc__library_function(lib, name) == NULL)
            st = add_function(lib, name, f, opt, err);
    }
    for (size_t i = 0; i < lib->n_functions; i++)
        if (lib->functions[i].problem)
            add_note(lib, "%s: template function %s cannot run here: %s", lib->manifest,
                     lib->functions[i].name, lib->functions[i].problem);
        else if (lib->functions[i].foreign_arch[0])
            add_note(lib, "%s: function %s runs on %s on Lambda and on this machine's %s here: "
                          "native code built for %s will not load",
                     lib->manifest, lib->functions[i].name, lib->functions[i].foreign_arch,
                     host_architecture(), lib->functions[i].foreign_arch);
    note_deprecated(lib);
    return st;
}

const json_t *lc_library_http(const lc_library *lib) { return lib->http; }

const lc__function *lc__library_function(const lc_library *lib, const char *name)
{
    for (size_t i = 0; i < lib->n_functions; i++)
        if (strcmp(lib->functions[i].name, name) == 0)
            return &lib->functions[i];
    return NULL;
}

/* --- events ------------------------------------------------------------------------------------- */

static int is_json_file(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

/* "sample:SOURCE/NAME" is events/SOURCE/NAME.json of the bundled fixtures; "sample:SOURCE" the
 * first sample of that source. */
static lc_status sample_path(const char *name, const lc_library_options *opt, char *out,
                             size_t size, const char *source, lc_error *err)
{
    if (opt->data_dir == NULL)
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "event: \"sample:%s\" needs the bundled fixtures "
                            "(LAMBDACHECK_DATA_DIR)", name);
    const char *slash = strchr(name, '/');
    bool safe = name[0] && !strstr(name, "..") && (!slash || !strchr(slash + 1, '/'));
    if (safe && slash) {
        fit(out, size, "%s/events/%s.json", opt->data_dir, name);
        if (access(out, R_OK) == 0)
            return LC_OK;
    } else if (safe) {
        char dir[PATH_MAX];
        fit(dir, sizeof dir, "%s/events/%s", opt->data_dir, name);
        struct dirent **files;
        int n = scandir(dir, &files, is_json_file, alphasort);
        if (n > 0)
            fit(out, size, "%s/%s", dir, files[0]->d_name);
        for (int i = 0; i < n; i++)
            free(files[i]);
        if (n >= 0)
            free(files);
        if (n > 0)
            return LC_OK;
    }
    return lc_error_set(err, LC_ENOTFOUND, source, 0, 0,
                        "event: there is no bundled sample \"%s\" (see 'lambdacheck events list')",
                        name);
}

static lc_status load_event(const json_t *spec, const char *case_dir, const char *source,
                            const lc_library_options *opt, json_t **out, lc_error *err)
{
    const json_t *given = json_object_get(spec, "event");
    const char *file = json_string_value(given);
    json_t *inline_event = json_object_get(spec, "eventJson");
    *out = NULL;
    if (given && inline_event)
        return lc_error_set(err, LC_EINVAL, source, 0, 0, "give event or eventJson, not both");
    if (given && file == NULL) /* an event written in place, as eventJson */
        inline_event = (json_t *)given;
    if (inline_event) {
        *out = json_deep_copy(inline_event);
        return LC_OK;
    }
    if (file == NULL) {
        *out = json_object();
        return LC_OK;
    }
    char path[PATH_MAX];
    lc_status st = LC_OK;
    if (strncmp(file, "sample:", 7) == 0)
        st = sample_path(file + 7, opt, path, sizeof path, source, err);
    else
        join(case_dir, file, path, sizeof path);
    lc_error mine = {0};
    if (st == LC_OK && (st = lc_event_load_file(path, out, &mine)) != LC_OK) {
        char text[900];
        lc_error_set(err, st, source, 0, 0, "event: %s", lc_error_format(&mine, text, sizeof text));
    }
    return st;
}

static lc_status apply_overrides(const json_t *spec, const char *source, json_t **event,
                                 lc_error *err)
{
    json_t *patch = json_object_get(spec, "eventPatch");
    lc_status st = patch ? lc_event_patch(event, patch, err) : LC_OK;
    json_t *sets = json_object_get(spec, "eventSet");
    if (st == LC_OK && sets && !json_is_array(sets))
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "eventSet must be a list of \"path=value\" strings");
    size_t i;
    json_t *set;
    json_array_foreach(sets, i, set)
    {
        lc_error mine = {0};
        if (st == LC_OK && !json_is_string(set))
            st = lc_error_set(err, LC_EINVAL, source, 0, 0, "eventSet[%zu] must be a string", i);
        else if (st == LC_OK && lc_event_assign(event, json_string_value(set), &mine) != LC_OK)
            st = lc_error_set(err, LC_EINVAL, source, 0, 0, "eventSet[%zu]: %s", i, mine.message);
    }
    return st;
}

/* --- cases --------------------------------------------------------------------------------------- */

static const char *const case_keys[] = {"description", "function", "event", "eventJson",
                                        "eventPatch", "eventSet", "invocationType", "stream",
                                        "clientContext", "environment", "expect", "invocations",
                                        "eventSource", "contracts", "tenantId", "aws",
                                        "awsStubsFile", "http", "sqs", "kinesis", "dynamodb",
                                        NULL};
static const char *const step_keys[] = {"description", "event", "eventJson", "eventPatch",
                                        "eventSet", "invocationType", "stream", "clientContext",
                                        "expect", "tenantId", "http", NULL};

/* The API an HTTP step names: its "api", or the only API or function URL of the library. */
static const char *http_api(const lc_library *lib, const json_t *http)
{
    const char *api = json_string_value(json_object_get(http, "api"));
    const json_t *apis = json_object_get(lib->http, "apis");
    const json_t *urls = json_object_get(lib->http, "functionUrls");
    if (api == NULL && json_array_size(apis) + json_array_size(urls) == 1)
        return json_array_size(apis) ? json_string_value(json_object_get(json_array_get(apis, 0),
                                                                         "name"))
                                     : json_string_value(json_object_get(json_array_get(urls, 0),
                                                                         "function"));
    for (size_t i = 0; api && i < json_array_size(apis); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(apis, i), "name")), api) == 0)
            return api;
    for (size_t i = 0; api && i < json_array_size(urls); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(urls, i), "function")), api) ==
            0)
            return api;
    return NULL;
}

static void api_names(const lc_library *lib, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (int k = 0; k < 2; k++) {
        const json_t *list = json_object_get(lib->http, k ? "functionUrls" : "apis");
        for (size_t i = 0; i < json_array_size(list) && n < size; i++)
            n += (size_t)snprintf(out + n, size - n, "%s%s", n ? ", " : "",
                                  json_string_value(json_object_get(json_array_get(list, i),
                                                                    k ? "function" : "name")));
    }
    if (n == 0)
        snprintf(out, size, "none: the library's template has no Api or HttpApi events, APIs or "
                            "function URLs, and its manifest no \"http\"");
}

/* An HTTP step: {"api": NAME, "method": "GET", "path": "/hello?x=1", "headers": {...},
 * "body": text or any JSON (sent as its text), "bodyBase64": bytes}. */
static lc_status step_http(const lc_library *lib, const json_t *spec, const char *where,
                           const char *source, lc__step *step, lc_error *err)
{
    static const char *const keys[] = {"api",  "method",     "path",   "headers",
                                       "body", "bodyBase64", "signed", NULL};
    const json_t *http = json_object_get(spec, "http");
    char at[64];
    fit(at, sizeof at, "%shttp.", where);
    lc_status st = json_is_object(http)
                       ? known_keys(http, keys, at, source, err)
                       : lc_error_set(err, LC_EINVAL, source, 0, 0,
                                      "%shttp must be an object: {\"method\", \"path\", "
                                      "\"headers\", \"body\"}",
                                      where);
    const char *path = json_string_value(json_object_get(http, "path"));
    if (st == LC_OK && (path == NULL || path[0] != '/'))
        st = lc_error_set(err, LC_EINVAL, source, 0, 0,
                          "%shttp.path is required: the path after the API's base URL, from "
                          "'/' (\"/hello?name=x\")",
                          where);
    const json_t *method = json_object_get(http, "method");
    if (st == LC_OK && method && (!json_is_string(method) || json_string_length(method) == 0 ||
                                  strpbrk(json_string_value(method), " \r\n")))
        st = lc_error_set(err, LC_EINVAL, source, 0, 0, "%shttp.method must be a method (\"GET\")",
                          where);
    const char *name;
    json_t *v;
    json_object_foreach(json_object_get(http, "headers"), name, v)
    {
        if (st == LC_OK && (!json_is_string(v) || strpbrk(json_string_value(v), "\r\n") ||
                            strpbrk(name, " :\r\n")))
            st = lc_error_set(err, LC_EINVAL, source, 0, 0,
                              strpbrk(name, " :\r\n")
                                  ? "%shttp.headers: \"%s\" is not a header name (no spaces, "
                                    "colons or line breaks)"
                                  : "%shttp.headers.%s must be a header's value, a string on one "
                                    "line",
                              where, name);
    }
    if (st == LC_OK && json_object_get(http, "headers") &&
        !json_is_object(json_object_get(http, "headers")))
        st = lc_error_set(err, LC_EINVAL, source, 0, 0, "%shttp.headers must be an object",
                          where);
    const char *api = st == LC_OK ? http_api(lib, http) : NULL;
    if (api)
        fit(step->http_api, sizeof step->http_api, "%s", api);
    if (st == LC_OK && api == NULL) {
        char names[800];
        api_names(lib, names, sizeof names);
        st = lc_error_set(err, LC_EINVAL, source, 0, 0, "%shttp.api: %s (the library's APIs and "
                                                        "function URLs: %s)",
                          where,
                          json_object_get(http, "api") ? "not one of the library's"
                                                       : "name one of the library's",
                          names);
    }
    if (st == LC_OK && json_object_get(http, "signed") && !json_is_boolean(json_object_get(http, "signed")))
        st = lc_error_set(err, LC_EINVAL, source, 0, 0,
                          "%shttp.signed must be true or false (whether a request to an AWS_IAM "
                          "function URL is signed; default true)",
                          where);
    const json_t *body = json_object_get(http, "body"), *b64 = json_object_get(http, "bodyBase64");
    if (st == LC_OK && body && b64)
        st = lc_error_set(err, LC_EINVAL, source, 0, 0, "%shttp: give body or bodyBase64", where);
    if (st == LC_OK && b64) {
        lc_buf bytes;
        lc_buf_init(&bytes, 0);
        if (!json_is_string(b64) ||
            lc_buf_base64_decode(&bytes, json_string_value(b64), json_string_length(b64)) != LC_OK)
            st = lc_error_set(err, LC_EINVAL, source, 0, 0, "%shttp.bodyBase64 is not base64",
                              where);
        step->http_body_len = bytes.len;
        step->http_body = lc_buf_take(&bytes);
    } else if (st == LC_OK && body) {
        step->http_body = json_is_string(body) ? strdup(json_string_value(body))
                                               : json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
        step->http_body_len = step->http_body ? strlen(step->http_body) : 0;
    }
    step->http = http;
    return st;
}

/* The tenant an invocation names: its own "tenantId", else its case's (fallback); checked as
 * Invoke checks TenantId. Whether the function has tenancy is the target's to judge, as Lambda
 * judges it. */
static lc_status step_tenant(const json_t *spec, const json_t *fallback, const char *where,
                             const char *source, lc__step *step, lc_error *err)
{
    const json_t *t = json_object_get(spec, "tenantId");
    if (t == NULL && fallback != spec)
        t = json_object_get(fallback, "tenantId");
    if (t == NULL)
        return LC_OK;
    char why[512];
    const char *problem = !json_is_string(t) ? "must be a string"
                          : lc_tenant_id_problem(json_string_value(t), why, sizeof why);
    if (problem)
        return lc_error_set(err, LC_EINVAL, source, 0, 0, "%stenantId: %s", where, problem);
    step->tenant_id = strdup(json_string_value(t));
    return step->tenant_id ? LC_OK : lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
}

static lc_status step_client_context(const json_t *spec, const char *where, const char *source,
                                     lc__step *step, lc_error *err)
{
    json_t *cc = json_object_get(spec, "clientContext");
    if (cc == NULL)
        return LC_OK;
    step->client_context = json_dumps(cc, JSON_COMPACT);
    lc_context *probe = lc_context_new();
    lc_error mine = {0};
    lc_status st = probe ? lc_context_set_client_context(probe, step->client_context, &mine)
                         : LC_ENOMEM;
    lc_context_free(probe);
    if (st != LC_OK)
        return lc_error_set(err, st, source, 0, 0, "%sclientContext: %s", where, mine.message);
    return LC_OK;
}

static lc_status step_type(const json_t *spec, const char *where, const char *source,
                           lc__step *step, lc_error *err)
{
    json_t *type = json_object_get(spec, "invocationType");
    const char *t = type ? json_string_value(type) : "RequestResponse";
    if (t == NULL || (strcmp(t, "RequestResponse") && strcmp(t, "Event") && strcmp(t, "DryRun")))
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%sinvocationType must be RequestResponse, Event or DryRun", where);
    snprintf(step->type, sizeof step->type, "%s", t);
    json_t *stream = json_object_get(spec, "stream");
    if (stream && !json_is_boolean(stream))
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%sstream must be true or false (true: InvokeWithResponseStream)",
                            where);
    step->stream = json_is_true(stream);
    if (step->stream && strcmp(t, "Event") == 0)
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%sstream answers a caller: it does not go with invocationType Event",
                            where);
    return LC_OK;
}

/* Reads one invocation: its event (after patches), type, client context, tenant (its own or
 * case_spec's) and expectations. */
/* An HTTP step: its request, and expectations on the answer only. */
static lc_status load_http_step(const lc_library *lib, const json_t *spec, const char *where,
                                const char *source, lc__step *step, lc_error *err)
{
    static const char *const invocation_only[] = {"event", "eventJson", "eventPatch", "eventSet",
                                                  "invocationType", "stream", "clientContext",
                                                  "tenantId", NULL};
    for (const char *const *k = invocation_only; *k; k++)
        if (json_object_get(spec, *k))
            return lc_error_set(err, LC_EINVAL, source, 0, 0,
                                "%s%s: an HTTP request (http) builds its own event; give one or "
                                "the other",
                                where, *k);
    lc_status st = step_http(lib, spec, where, source, step, err);
    const json_t *expect = json_object_get(spec, "expect");
    char expect_where[64];
    fit(expect_where, sizeof expect_where, "%sexpect.", where);
    if (st == LC_OK)
        st = lc_expect_validate(expect, source, expect_where, err);
    /* besides its answer, what the routed function's journal and the case's AWS calls show */
    static const char *const allowed[] = {"http", "logContains", "logNotContains", "logMatches",
                                          "coldStart", "maxDurationMs", "awsCalls",
                                          "awsCallsAnyOrder", "awsCallsOnly", "noAwsCalls", NULL};
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)expect, key, v)
    {
        bool ok = false;
        for (const char *const *k = allowed; *k; k++)
            ok = ok || strcmp(*k, key) == 0;
        if (st == LC_OK && !ok)
            st = lc_error_set(err, LC_EINVAL, source, 0, 0,
                              "%sexpect.%s: an HTTP request is judged by its answer (expect.http: "
                              "status, headers, body, bodyBase64, bodyContains, json, "
                              "jsonContains) and by the routed function's log, cold start, "
                              "duration and AWS calls",
                              where, key);
    }
    snprintf(step->type, sizeof step->type, "RequestResponse");
    step->event = strdup("{}");
    step->expect = expect;
    return st;
}

static lc_status load_step(const lc_library *lib, const json_t *spec, const json_t *case_spec,
                           const char *where, const char *case_dir, const char *source,
                           const lc_library_options *opt, lc__step *step, lc_error *err)
{
    if (json_object_get(spec, "http"))
        return load_http_step(lib, spec, where, source, step, err);
    if (json_object_get(json_object_get(spec, "expect"), "http"))
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%sexpect.http is about an HTTP request's answer: give the request "
                            "as http",
                            where);
    json_t *event = NULL;
    lc_status st = load_event(spec, case_dir, source, opt, &event, err);
    if (st == LC_OK)
        st = apply_overrides(spec, source, &event, err);
    if (st == LC_OK)
        st = step_type(spec, where, source, step, err);
    if (st == LC_OK)
        st = step_client_context(spec, where, source, step, err);
    if (st == LC_OK)
        st = step_tenant(spec, case_spec, where, source, step, err);
    char expect_where[64];
    fit(expect_where, sizeof expect_where, "%sexpect.", where);
    if (st == LC_OK)
        st = lc_expect_validate(json_object_get(spec, "expect"), source, expect_where, err);
    if (st == LC_OK && json_is_true(json_object_get(json_object_get(spec, "expect"), "discarded")) &&
        strcmp(step->type, "Event") != 0)
        st = lc_error_set(err, LC_EINVAL, source, 0, 0,
                          "%sexpect.discarded is about Event invocations: set invocationType "
                          "to Event",
                          where);
    if (st == LC_OK && (step->event = json_dumps(event, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
        st = lc_error_set(err, LC_ENOMEM, source, 0, 0, "out of memory");
    step->expect = json_object_get(spec, "expect");
    json_decref(event);
    return st;
}

/* A case that runs a mapping (sqs, kinesis, dynamodb): one step, no event of its own, judged by
 * the outcome. */
static lc_status load_mapping_step(const lc_library *lib, lc__case *c, const char *source,
                                   lc_error *err)
{
    static const char *const instead[] = {"event", "eventJson", "eventPatch", "eventSet",
                                          "invocationType", "stream", "clientContext",
                                          "invocations", "http", "tenantId", NULL};
    for (const char *const *k = instead; *k; k++)
        if (json_object_get(c->spec, *k))
            return lc_error_set(err, LC_EINVAL, c->path, 0, 0,
                                "%s: a case that runs a mapping (%s) makes its own invocations, "
                                "one per batch",
                                *k, source);
    c->steps = calloc(1, sizeof *c->steps);
    lc__mapping_case *mc = calloc(1, sizeof *mc);
    if (c->steps == NULL || mc == NULL) {
        free(mc);
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    }
    c->n_steps = 1;
    lc_status st = lc__mapping_case_read(c->spec, source, c->event_source,
                                         lc__library_function(lib, c->function)->event_sources,
                                         c->path, mc, err);
    if (st != LC_OK) {
        free(mc);
        return st;
    }
    c->steps->mapping = mc;
    const json_t *expect = json_object_get(c->spec, "expect");
    st = lc__mapping_case_check_expect(source, expect, c->path, err);
    if (st != LC_OK)
        return st;
    snprintf(c->steps->type, sizeof c->steps->type, "RequestResponse");
    c->steps->event = strdup("{}");
    c->steps->expect = expect;
    return c->steps->event ? LC_OK : lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
}

static lc_status load_steps(const lc_library *lib, lc__case *c, const char *case_dir,
                            const lc_library_options *opt, lc_error *err)
{
    const char *source = NULL;
    lc_status found = lc__mapping_case_source(c->spec, c->path, &source, err);
    if (found != LC_OK || source)
        return found != LC_OK ? found : load_mapping_step(lib, c, source, err);
    json_t *list = json_object_get(c->spec, "invocations");
    if (list == NULL) {
        c->steps = calloc(1, sizeof *c->steps);
        c->n_steps = c->steps ? 1 : 0;
        return c->steps ? load_step(lib, c->spec, c->spec, "", case_dir, c->path, opt, c->steps,
                                    err)
                        : LC_ENOMEM;
    }
    static const char *const single[] = {"event", "eventJson", "eventPatch", "eventSet",
                                         "invocationType", "stream", "clientContext", "expect",
                                         "http", NULL};
    for (const char *const *k = single; *k; k++)
        if (json_object_get(c->spec, *k))
            return lc_error_set(err, LC_EINVAL, c->path, 0, 0,
                                "%s: with invocations, give it in each invocation instead", *k);
    if (!json_is_array(list) || json_array_size(list) == 0)
        return lc_error_set(err, LC_EINVAL, c->path, 0, 0,
                            "invocations must be a non-empty list of invocations");
    c->steps = calloc(json_array_size(list), sizeof *c->steps);
    lc_status st = c->steps ? LC_OK : LC_ENOMEM;
    for (size_t i = 0; st == LC_OK && i < json_array_size(list); i++) {
        json_t *item = json_array_get(list, i);
        char where[40];
        fit(where, sizeof where, "invocations[%zu].", i);
        if (!json_is_object(item))
            st = lc_error_set(err, LC_EINVAL, c->path, 0, 0, "%s must be an object", where);
        if (st == LC_OK)
            st = known_keys(item, step_keys, where, c->path, err);
        if (st == LC_OK)
            st = load_step(lib, item, c->spec, where, case_dir, c->path, opt, &c->steps[i], err);
        c->n_steps = i + 1;
    }
    return st;
}

static lc_status function_declared(const lc_library *lib, const lc__case *c, lc_error *err)
{
    const lc__function *f = lc__library_function(lib, c->function);
    if (f && f->problem)
        return lc_error_set(err, LC_EINVAL, c->path, 0, 0, "function %s cannot run here: %s",
                            c->function, f->problem);
    if (f)
        return LC_OK;
    char names[600] = "";
    size_t n = 0;
    for (size_t i = 0; i < lib->n_functions && n < sizeof names; i++)
        n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", i ? ", " : "",
                              lib->functions[i].name);
    return lc_error_set(err, LC_ENOTFOUND, c->path, 0, 0,
                        "function \"%s\" is not declared by %s (it declares: %s)", c->function,
                        lib->manifest, names);
}

/* --- stubs for AWS calls ------------------------------------------------------------------------ */

/* Appends the stubs of a file named by a "awsStubsFile" (relative to dir) to list. */
static lc_status append_stubs_file(json_t *list, const json_t *file, const char *dir,
                                   const char *source, lc_error *err)
{
    if (file == NULL)
        return LC_OK;
    if (!json_is_string(file) || json_string_length(file) == 0)
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "awsStubsFile must be a path (to a JSON list of stubs)");
    char path[PATH_MAX * 2];
    const char *name = json_string_value(file);
    if (!fit(path, sizeof path, "%s%s%s", name[0] == '/' ? "" : dir, name[0] == '/' ? "" : "/",
             name))
        return lc_error_set(err, LC_EINVAL, source, 0, 0, "awsStubsFile: the path is too long");
    json_t *stubs = NULL;
    lc_error mine = {0};
    if (lc_aws_stubs_load(path, &stubs, &mine) != LC_OK) {
        char text[1200];
        lc_error_format(&mine, text, sizeof text);
        return lc_error_set(err, mine.status, source, 0, 0, "awsStubsFile: %s", text);
    }
    json_array_extend(list, stubs);
    json_decref(stubs);
    return LC_OK;
}

/* The manifest's "aws" stubs, then its "awsStubsFile", and its "awsEndpoint". */
static lc_status load_manifest_aws(lc_library *lib, const json_t *manifest, lc_error *err)
{
    lib->aws_stubs = json_array();
    const json_t *own = json_object_get(manifest, "aws");
    lc_status st = own ? lc_aws_stubs_validate(own, lib->manifest, "aws", err) : LC_OK;
    if (st == LC_OK && own)
        json_array_extend(lib->aws_stubs, (json_t *)own);
    if (st == LC_OK)
        st = append_stubs_file(lib->aws_stubs, json_object_get(manifest, "awsStubsFile"),
                               lib->dir, lib->manifest, err);
    const json_t *endpoint = json_object_get(manifest, "awsEndpoint");
    if (st == LC_OK && endpoint &&
        (!json_is_string(endpoint) ||
         (strncmp(json_string_value(endpoint), "http://", 7) != 0 &&
          strncmp(json_string_value(endpoint), "https://", 8) != 0) ||
         !fit(lib->aws_endpoint, sizeof lib->aws_endpoint, "%s", json_string_value(endpoint))))
        st = lc_error_set(err, LC_EINVAL, lib->manifest, 0, 0,
                          "awsEndpoint must be the URL of an AWS endpoint the functions' calls go "
                          "to instead of lambdacheck's stubs (\"http://127.0.0.1:4566\")");
    return st;
}

/* Whether an expectation looks at the AWS calls. */
static bool expects_aws(const json_t *expect)
{
    return expect && (json_object_get(expect, "awsCalls") || json_object_get(expect, "noAwsCalls"));
}

/* The case's stubs: its "aws", its "awsStubsFile", then the manifest's. */
static lc_status load_case_aws(const lc_library *lib, lc__case *c, const char *case_dir,
                               lc_error *err)
{
    c->aws_stubs = json_array();
    if (c->aws_stubs == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    const json_t *own = json_object_get(c->spec, "aws");
    lc_status st = own ? lc_aws_stubs_validate(own, c->path, "aws", err) : LC_OK;
    if (st == LC_OK && own)
        json_array_extend(c->aws_stubs, (json_t *)own);
    if (st == LC_OK)
        st = append_stubs_file(c->aws_stubs, json_object_get(c->spec, "awsStubsFile"), case_dir,
                               c->path, err);
    if (st == LC_OK)
        json_array_extend(c->aws_stubs, lib->aws_stubs);
    c->uses_aws = json_array_size(c->aws_stubs) > 0;
    for (size_t i = 0; i < c->n_steps; i++)
        c->uses_aws |= expects_aws(c->steps[i].expect);
    return st;
}

static lc_status check_case(const lc_library *lib, lc__case *c, lc_error *err)
{
    lc_status st = known_keys(c->spec, case_keys, "", c->path, err);
    if (st == LC_OK)
        st = typed(c->spec, "description", JSON_STRING, "a string", "", c->path, err);
    json_t *function = json_object_get(c->spec, "function");
    if (st == LC_OK && !json_is_string(function))
        st = lc_error_set(err, LC_EINVAL, c->path, 0, 0,
                          "function is required: a string naming one of the manifest's functions");
    if (st == LC_OK && !fit(c->function, sizeof c->function, "%s", json_string_value(function)))
        st = lc_error_set(err, LC_EINVAL, c->path, 0, 0, "function: at most 64 characters");
    if (st == LC_OK)
        st = function_declared(lib, c, err);
    c->environment = json_object_get(c->spec, "environment");
    lc_error mine = {0};
    if (st == LC_OK && c->environment &&
        lc_function_check_variables(c->environment, &mine) != LC_OK)
        st = lc_error_set(err, LC_EINVAL, c->path, 0, 0, "environment: %s", mine.message);
    c->event_source = json_object_get(c->spec, "eventSource");
    if (st == LC_OK)
        st = lc__settings_check_mapping(c->event_source, "eventSource", c->path, err);
    const json_t *own = json_object_get(c->spec, "contracts");
    if (st == LC_OK)
        st = lc__settings_check_contracts(own, "", c->path, err);
    if (st == LC_OK) {
        c->contracts = lc__settings_merge_contracts(lc__library_function(lib, c->function)
                                                        ->contracts,
                                                    own);
        st = c->contracts ? LC_OK : lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    }
    return st;
}

static void free_case(lc__case *c)
{
    for (size_t i = 0; i < c->n_steps; i++) {
        free(c->steps[i].event);
        free(c->steps[i].client_context);
        free(c->steps[i].tenant_id);
        free(c->steps[i].http_body);
        if (c->steps[i].mapping)
            lc__mapping_case_clear(c->steps[i].mapping);
        free(c->steps[i].mapping);
    }
    free(c->steps);
    json_decref(c->aws_stubs);
    json_decref(c->contracts);
    json_decref(c->spec);
}

/* Reads one case folder; a problem is recorded and the case dropped when it is wrong. */
static void add_case(lc_library *lib, const char *case_dir, const char *name,
                     const lc_library_options *opt)
{
    lc__case c = {.selected = true};
    fit(c.name, sizeof c.name, "%s", name);
    fit(c.path, sizeof c.path, "%s/case.json", case_dir);
    lc_error err = {0};
    lc_status st = load_object(c.path, &c.spec, &err);
    if (st == LC_OK)
        st = check_case(lib, &c, &err);
    if (st == LC_OK)
        st = load_steps(lib, &c, case_dir, opt, &err);
    if (st == LC_OK)
        st = load_case_aws(lib, &c, case_dir, &err);
    if (st == LC_OK) {
        fit(c.description, sizeof c.description, "%s",
            json_string_value(json_object_get(c.spec, "description"))
                ? json_string_value(json_object_get(c.spec, "description"))
                : "");
        lc__case *list = realloc(lib->cases, (lib->n_cases + 1) * sizeof *list);
        if (list) {
            lib->cases = list;
            lib->cases[lib->n_cases++] = c;
            return;
        }
    }
    add_error_problem(lib, &err);
    free_case(&c);
}

/* --- finding case folders -------------------------------------------------------------------------- */

static int visible_dir(const struct dirent *d)
{
    return d->d_name[0] != '.' && strcmp(d->d_name, "__pycache__") != 0 &&
           strcmp(d->d_name, "node_modules") != 0;
}


/* A file that looks like a mistyped case.json ("case.jsn", "Case.json"): a case that would
 * otherwise vanish without a word. Source files (case.js, case.py) are not. */
static bool looks_like_case_file(const char *name)
{
    static const char *const code[] = {".js", ".mjs", ".cjs", ".ts", ".py", NULL};
    for (const char *const *ext = code; *ext; ext++) {
        size_t n = strlen(name), e = strlen(*ext);
        if (n > e && strcmp(name + n - e, *ext) == 0)
            return false;
    }
    return strcmp(name, "case.json") != 0 && lc_name_distance(name, "case.json") <= 2 &&
           tolower((unsigned char)name[0]) == 'c';
}

static void look_for_typos(lc_library *lib, const char *dir, struct dirent **entries, int n)
{
    for (int i = 0; i < n; i++)
        if (looks_like_case_file(entries[i]->d_name))
            add_problem(lib, "%s/%s: looks like a case file, but a case is read from case.json "
                             "(rename it, or it does not run)",
                        dir, entries[i]->d_name);
}

typedef struct {
    dev_t dev;
    ino_t ino;
} folder_id;

/* One walk of a cases folder: each real folder is visited once (by device and inode), and a
 * link that leads out of the folder is named and not followed. */
typedef struct {
    lc_library *lib;
    const lc_library_options *opt;
    char root[PATH_MAX]; /* the cases folder, resolved */
    folder_id *seen;     /* an open-addressing set of the folders walked; {0, 0}: empty */
    size_t n_seen, cap_seen;
} walk;

static size_t slot_of(dev_t dev, ino_t ino, size_t cap)
{
    uint64_t h = ((uint64_t)dev * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)ino * 0xC2B2AE3D27D4EB4Full);
    return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

/* True the first time a folder is seen (and records it); false when seen before, or when the
 * set cannot grow (out of memory: nothing more is walked). */
static bool first_visit(walk *w, const struct stat *st)
{
    if (2 * (w->n_seen + 1) > w->cap_seen) {
        size_t cap = w->cap_seen ? 2 * w->cap_seen : 64;
        folder_id *grown = calloc(cap, sizeof *grown);
        if (grown == NULL)
            return false;
        for (size_t i = 0; i < w->cap_seen; i++)
            if (w->seen[i].dev || w->seen[i].ino) {
                size_t k = slot_of(w->seen[i].dev, w->seen[i].ino, cap);
                while (grown[k].dev || grown[k].ino)
                    k = (k + 1) & (cap - 1);
                grown[k] = w->seen[i];
            }
        free(w->seen);
        w->seen = grown;
        w->cap_seen = cap;
    }
    size_t k = slot_of(st->st_dev, st->st_ino, w->cap_seen);
    for (; w->seen[k].dev || w->seen[k].ino; k = (k + 1) & (w->cap_seen - 1))
        if (w->seen[k].dev == st->st_dev && w->seen[k].ino == st->st_ino)
            return false;
    w->seen[k].dev = st->st_dev;
    w->seen[k].ino = st->st_ino;
    w->n_seen++;
    return true;
}

/* A link inside the cases folder may lead to a folder inside it; one that leads out of it (to
 * "..", to "/") is named and not followed. */
static bool link_stays_inside(walk *w, const char *path)
{
    char real[PATH_MAX];
    size_t n = strlen(w->root);
    if (realpath(path, real) && strncmp(real, w->root, n) == 0 &&
        (real[n] == '/' || real[n] == '\0'))
        return true;
    add_note(w->lib, "%s: a link that leads out of the cases folder %s: not followed", path,
             w->root);
    return false;
}

static void find_cases(walk *w, const char *dir, const char *rel, int depth);

static void find_below(walk *w, const char *dir, const char *rel, int depth)
{
    struct dirent **entries;
    int n = scandir(dir, &entries, visible_dir, alphasort);
    if (n < 0) {
        if (depth == 0)
            add_problem(w->lib, "%s: cannot read the cases folder", dir);
        return;
    }
    look_for_typos(w->lib, dir, entries, n);
    for (int i = 0; i < n; i++) {
        char sub[PATH_MAX], sub_rel[512];
        struct stat st, link;
        if (fit(sub, sizeof sub, "%s/%s", dir, entries[i]->d_name) &&
            stat(sub, &st) == 0 && S_ISDIR(st.st_mode) && depth < MAX_DEPTH &&
            lstat(sub, &link) == 0 && (!S_ISLNK(link.st_mode) || link_stays_inside(w, sub)) &&
            fit(sub_rel, sizeof sub_rel, "%s%s%s", rel, rel[0] ? "/" : "", entries[i]->d_name))
            find_cases(w, sub, sub_rel, depth + 1);
        free(entries[i]);
    }
    free(entries);
}

/* A folder holding case.json is a case; any other folder is searched below. A folder reached
 * a second time (through a link) is not walked again. */
static void find_cases(walk *w, const char *dir, const char *rel, int depth)
{
    char probe[PATH_MAX];
    struct stat st;
    if (stat(dir, &st) == 0 && !first_visit(w, &st))
        return;
    fit(probe, sizeof probe, "%s/case.json", dir);
    if (stat(probe, &st) != 0)
        find_below(w, dir, rel, depth);
    else if (!S_ISREG(st.st_mode))
        add_problem(w->lib, "%s: is %s; a case is read from a case.json file", probe,
                    S_ISDIR(st.st_mode) ? "a folder" : "not a regular file");
    else
        add_case(w->lib, dir, rel[0] ? rel : ".", w->opt);
}

/* Walks one cases folder. */
static void walk_cases(lc_library *lib, const char *folder, const lc_library_options *opt)
{
    walk w = {.lib = lib, .opt = opt};
    if (realpath(folder, w.root) == NULL)
        fit(w.root, sizeof w.root, "%s", folder);
    find_cases(&w, folder, "", 0);
    free(w.seen);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const lc__case *)a)->name, ((const lc__case *)b)->name);
}

static void set_ids(lc_library *lib)
{
    for (size_t i = 0; i < lib->n_cases; i++)
        fit(lib->cases[i].id, sizeof lib->cases[i].id, "%s/%s", lib->name, lib->cases[i].name);
}

static lc_status load_cases(lc_library *lib, const json_t *folders, const lc_library_options *opt,
                            lc_error *err)
{
    bool none = folders == NULL || (json_is_array(folders) && json_array_size(folders) == 0);
    if (none && opt->functions_only)
        return LC_OK;
    if (!json_is_array(folders) || json_array_size(folders) == 0)
        return lc_error_set(err, LC_EINVAL, lib->manifest, 0, 0,
                            "cases: a list of folders (relative to the manifest) is required");
    size_t i, n = 0;
    json_t *folder;
    json_array_foreach(folders, i, folder)
    {
        if (!json_is_string(folder))
            return lc_error_set(err, LC_EINVAL, lib->manifest, 0, 0, "cases[%zu] must be a string",
                                i);
        char full[PATH_MAX];
        join(lib->dir, json_string_value(folder), full, sizeof full);
        n += (size_t)snprintf(lib->folders + n, n < sizeof lib->folders ? sizeof lib->folders - n : 0,
                              "%s%s", i ? ", " : "", full);
        walk_cases(lib, full, opt);
    }
    if (lib->n_cases > 1)
        qsort(lib->cases, lib->n_cases, sizeof *lib->cases, by_name);
    for (size_t k = 1; k < lib->n_cases; k++)
        if (strcmp(lib->cases[k].name, lib->cases[k - 1].name) == 0)
            add_problem(lib, "%s: a case named %s was found twice (in two cases folders)",
                        lib->cases[k].path, lib->cases[k].name);
    set_ids(lib);
    return LC_OK;
}

/* --- the library ---------------------------------------------------------------------------------- */

static lc_status manifest_path(const char *given, char *out, size_t size, lc_error *err)
{
    struct stat st;
    if (stat(given, &st) != 0)
        return lc_error_set(err, LC_ENOTFOUND, given, 0, 0, "no such file or folder");
    if (S_ISDIR(st.st_mode))
        fit(out, size, "%s/lambdacheck.json", given);
    else
        fit(out, size, "%s", given);
    return LC_OK;
}

static void default_name(lc_library *lib, const json_t *manifest)
{
    const char *name = json_string_value(json_object_get(manifest, "name"));
    char real[PATH_MAX];
    if (name == NULL) {
        name = realpath(lib->dir, real) ? real : lib->dir;
        const char *slash = strrchr(name, '/');
        name = slash && slash[1] ? slash + 1 : name;
    }
    fit(lib->name, sizeof lib->name, "%s", name);
}

static lc_status check_template_fields(const json_t *manifest, const char *source, lc_error *err)
{
    lc_status st = typed(manifest, "template", JSON_STRING, "a string (a SAM or CloudFormation "
                                                            "template, relative to the manifest)",
                         "", source, err);
    if (st == LC_OK)
        st = typed(manifest, "envVars", JSON_STRING,
                   "a string (a sam local --env-vars file, relative to the manifest)", "", source,
                   err);
    if (st == LC_OK)
        st = typed(manifest, "parameters", JSON_OBJECT, "an object of template parameter values",
                   "", source, err);
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(manifest, "parameters"), key, v)
        if (st == LC_OK && !json_is_string(v) && !json_is_number(v))
            st = lc_error_set(err, LC_EINVAL, source, 0, 0,
                              "parameters.%s must be a string", key);
    return st;
}

static lc_status load_env_vars(lc_library *lib, const json_t *manifest, lc_error *err)
{
    const char *file = json_string_value(json_object_get(manifest, "envVars"));
    if (file == NULL)
        return LC_OK;
    char path[PATH_MAX];
    join(lib->dir, file, path, sizeof path);
    return lc_env_vars_load(path, &lib->env_vars, err);
}

/* A folder without a manifest: what to write, rather than "cannot open file". */
static lc_status no_manifest_here(const char *manifest, lc_error *err)
{
    struct stat st;
    if (stat(manifest, &st) == 0)
        return LC_OK;
    char dir[PATH_MAX], template[PATH_MAX + 32];
    fit(dir, sizeof dir, "%s", manifest);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    fit(template, sizeof template, "%s/template.yaml", slash ? dir : ".");
    bool sam = stat(template, &st) == 0;
    return lc_error_set(err, LC_ENOTFOUND, manifest, 0, 0,
                        "no such file: a handler library is a lambdacheck.json naming its "
                        "functions and case folders%s",
                        sam ? "; for this SAM project write {\"template\": \"template.yaml\", "
                              "\"cases\": [\"cases\"]} (see the README)"
                            : "");
}

static lc_status load_manifest(lc_library *lib, const char *given, const lc_library_options *opt,
                               lc_error *err)
{
    static const char *const manifest_keys[] = {
        "name",       "description", "functions", "cases", "template", "parameters", "envVars",
        "aws",        "awsStubsFile", "awsEndpoint", "http", NULL};
    json_t *manifest = NULL;
    lc_status st = manifest_path(given, lib->manifest, sizeof lib->manifest, err);
    if (st == LC_OK)
        st = no_manifest_here(lib->manifest, err);
    if (st == LC_OK)
        st = load_object(lib->manifest, &manifest, err);
    if (st == LC_OK)
        st = known_keys(manifest, manifest_keys, "", lib->manifest, err);
    if (st == LC_OK)
        st = typed(manifest, "name", JSON_STRING, "a string", "", lib->manifest, err);
    if (st == LC_OK)
        st = check_template_fields(manifest, lib->manifest, err);
    const char *slash = strrchr(lib->manifest, '/');
    fit(lib->dir, sizeof lib->dir, "%.*s", slash ? (int)(slash - lib->manifest) : 1,
        slash ? lib->manifest : ".");
    if (st == LC_OK)
        st = load_env_vars(lib, manifest, err);
    if (st == LC_OK)
        st = load_manifest_aws(lib, manifest, err);
    if (st == LC_OK) {
        default_name(lib, manifest);
        st = load_functions(lib, manifest, opt, err);
    }
    if (st == LC_OK)
        st = load_manifest_http(lib, manifest, err);
    if (st == LC_OK)
        st = load_cases(lib, json_object_get(manifest, "cases"), opt, err);
    json_decref(manifest);
    return st;
}

lc_status lc_library_load(const char *path, const lc_library_options *opt, lc_library **out,
                          lc_error *err)
{
    *out = NULL;
    lc_library *lib = calloc(1, sizeof *lib);
    if (lib == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    lib->http = json_pack("{s:[], s:[]}", "apis", "functionUrls");
    const lc_library_options none = {0};
    lc_status st = load_manifest(lib, path, opt ? opt : &none, err);
    if (st != LC_OK) {
        lc_library_free(lib);
        return st;
    }
    *out = lib;
    return LC_OK;
}

void lc_library_free(lc_library *lib)
{
    if (lib == NULL)
        return;
    for (size_t i = 0; i < lib->n_functions; i++) {
        lc_function_free(lib->functions[i].fn);
        free(lib->functions[i].problem);
        json_decref(lib->functions[i].event_sources);
        json_decref(lib->functions[i].contracts);
    }
    free(lib->functions);
    for (size_t i = 0; i < lib->n_notes; i++)
        free(lib->notes[i]);
    free(lib->notes);
    json_decref(lib->env_vars);
    json_decref(lib->aws_stubs);
    json_decref(lib->http);
    for (size_t i = 0; i < lib->n_cases; i++)
        free_case(&lib->cases[i]);
    free(lib->cases);
    for (size_t i = 0; i < lib->n_problems; i++)
        free(lib->problems[i]);
    free(lib->problems);
    free(lib);
}

const char *lc_library_name(const lc_library *lib) { return lib->name; }
const char *lc_library_manifest(const lc_library *lib) { return lib->manifest; }
const char *lc_library_case_folders(const lc_library *lib) { return lib->folders; }
size_t lc_library_problem_count(const lc_library *lib) { return lib->n_problems; }
const char *lc_library_problem(const lc_library *lib, size_t i) { return lib->problems[i]; }
size_t lc_library_note_count(const lc_library *lib) { return lib->n_notes; }
const char *lc_library_note(const lc_library *lib, size_t i) { return lib->notes[i]; }
size_t lc_library_case_count(const lc_library *lib) { return lib->n_cases; }
const char *lc_library_case_id(const lc_library *lib, size_t i) { return lib->cases[i].id; }
const char *lc_library_case_path(const lc_library *lib, size_t i) { return lib->cases[i].path; }
size_t lc_library_function_count(const lc_library *lib) { return lib->n_functions; }

const char *lc_library_function_name(const lc_library *lib, size_t i)
{
    return lib->functions[i].name;
}

lc_runtime lc_library_function_runtime(const lc_library *lib, size_t i)
{
    return lib->functions[i].runtime;
}

const char *lc_library_function_code_dir(const lc_library *lib, size_t i)
{
    return lib->functions[i].fn ? lc_function_code_dir(lib->functions[i].fn) : NULL;
}

const lc_function *lc_library_function(const lc_library *lib, size_t i)
{
    return lib->functions[i].fn;
}

void lc_library_set_name(lc_library *lib, const char *name)
{
    fit(lib->name, sizeof lib->name, "%s", name);
    set_ids(lib);
}

void lc_library_select(lc_library *lib, size_t i, bool selected)
{
    lib->cases[i].selected = selected;
}

bool lc_library_selected(const lc_library *lib, size_t i)
{
    return lib->cases[i].selected;
}

size_t lc_library_selected_count(const lc_library *lib)
{
    size_t n = 0;
    for (size_t i = 0; i < lib->n_cases; i++)
        n += lib->cases[i].selected;
    return n;
}

lc_status lc_library_add_functions(const lc_library *lib, lc_emulator *em, lc_error *err)
{
    for (size_t i = 0; i < lib->n_functions; i++) {
        if (lib->functions[i].problem)
            continue; /* no case names it */
        if (lib->functions[i].fn == NULL)
            return lc_error_set(err, LC_ESTATE, lib->manifest, 0, 0,
                                "the library was not loaded for local runs");
        if (lc_emulator_function(em, lib->functions[i].name))
            return lc_error_set(err, LC_EINVAL, lib->manifest, 0, 0,
                                "function %s is declared by another library too",
                                lib->functions[i].name);
        lc_function *copy;
        lc_status st = lc_function_copy_with(lib->functions[i].fn, NULL, &copy, err);
        if (st == LC_OK)
            st = lc_emulator_add_function(em, copy, err);
        if (st != LC_OK)
            return st;
    }
    return LC_OK;
}
