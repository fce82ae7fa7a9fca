#include "lambdacheck/runner.h"

#include <dirent.h>
#include <stdarg.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lambdacheck/contracts.h"
#include "lambdacheck/event.h"
#include "lambdacheck/function.h"

/* How long an Event case waits for its handler to have run (local targets). */
#define ASYNC_WAIT_MS 60000

struct lc_run {
    lc_case_result *cases;
    size_t count, cap;
    double duration_ms;
    pthread_mutex_t mu;
};

lc_run *lc_run_new(void)
{
    lc_run *run = calloc(1, sizeof *run);
    if (run)
        pthread_mutex_init(&run->mu, NULL);
    return run;
}

void lc_run_free(lc_run *run)
{
    if (run == NULL)
        return;
    for (size_t i = 0; i < run->count; i++)
        lc_verdicts_clear(&run->cases[i].verdicts);
    free(run->cases);
    pthread_mutex_destroy(&run->mu);
    free(run);
}

size_t lc_run_count(const lc_run *run) { return run->count; }
const lc_case_result *lc_run_case(const lc_run *run, size_t i) { return &run->cases[i]; }
double lc_run_duration_ms(const lc_run *run) { return run->duration_ms; }

size_t lc_run_failed(const lc_run *run)
{
    size_t n = 0;
    for (size_t i = 0; i < run->count; i++)
        n += !run->cases[i].passed;
    return n;
}

/* --- the manifest ------------------------------------------------------------------------------ */

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

static void dir_of(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(out, size, "%.*s", (int)(slash - path), path);
    else
        snprintf(out, size, ".");
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

static lc_status load_json(const char *path, json_t **out, lc_error *err)
{
    json_error_t jerr;
    *out = json_load_file(path, 0, &jerr);
    if (*out == NULL)
        return lc_error_set(err, jerr.line > 0 ? LC_EJSON : LC_ENOTFOUND, path, jerr.line,
                            jerr.column, "%s", jerr.text);
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return lc_error_set(err, LC_EJSON, path, 0, 0, "must be a JSON object");
    }
    return LC_OK;
}

static lc_status manifest_path(const char *given, char *out, size_t size, lc_error *err)
{
    struct stat st;
    if (stat(given, &st) != 0)
        return lc_error_set(err, LC_ENOTFOUND, given, 0, 0, "no such file or folder");
    if (S_ISDIR(st.st_mode))
        snprintf(out, size, "%s/lambdacheck.json", given);
    else
        snprintf(out, size, "%s", given);
    return LC_OK;
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
        if (!ok)
            return lc_error_set(err, LC_EINVAL, source, 0, 0, "%s%s: unknown field", where, key);
    }
    return LC_OK;
}

static const char *const function_keys[] = {"handler", "code", "timeout", "timeoutMs", "memory",
                                            "environment", "runtimeCommand", "python",
                                            "concurrency", NULL};

static lc_status function_from_json(const char *name, const json_t *f, const char *dir,
                                    const lc_runner_options *opt, const char *source,
                                    lc_function **out, lc_error *err)
{
    char where[200], code[PATH_MAX];
    snprintf(where, sizeof where, "functions.%s.", name);
    lc_status st = known_keys(f, function_keys, where, source, err);
    const char *code_rel = json_string_value(json_object_get(f, "code"));
    if (st == LC_OK && (code_rel == NULL || !json_is_string(json_object_get(f, "handler"))))
        st = lc_error_set(err, LC_EINVAL, source, 0, 0, "%shandler and %scode are required",
                          where, where);
    if (st != LC_OK)
        return st;
    join(dir, code_rel, code, sizeof code);
    lc_function_config c = {
        .name = name,
        .handler = json_string_value(json_object_get(f, "handler")),
        .code_dir = code,
        .runtime_command = opt->runtime_command
                               ? opt->runtime_command
                               : json_string_value(json_object_get(f, "runtimeCommand")),
        .python = json_is_string(json_object_get(f, "python"))
                      ? json_string_value(json_object_get(f, "python"))
                      : opt->python,
        .timeout_ms = (long)json_integer_value(json_object_get(f, "timeout")) * 1000,
        .memory_mb = (long)json_integer_value(json_object_get(f, "memory")),
        .environment = json_object_get(f, "environment"),
        .concurrency = (int)json_integer_value(json_object_get(f, "concurrency")),
    };
    if (c.runtime_command == NULL)
        c.runtime_command = opt->python_runtime_command;
    if (json_object_get(f, "timeoutMs"))
        c.timeout_ms = (long)json_integer_value(json_object_get(f, "timeoutMs"));
    lc_error mine = {0};
    st = lc_function_new(&c, out, &mine);
    if (st != LC_OK)
        lc_error_set(err, st, source, 0, 0, "%s %s", where, mine.message);
    return st;
}

/* Adds the manifest's functions to em (NULL: a remote target, whose functions are deployed). */
static lc_status add_functions(const json_t *manifest, const char *dir, lc_emulator *em,
                               const lc_runner_options *opt, const char *source, lc_error *err)
{
    json_t *functions = json_object_get(manifest, "functions");
    if (!json_is_object(functions))
        return lc_error_set(err, LC_EINVAL, source, 0, 0, "functions: an object is required");
    if (em == NULL)
        return LC_OK; /* a remote target has its functions deployed already */
    const char *name;
    json_t *f;
    json_object_foreach(functions, name, f)
    {
        lc_function *fn;
        lc_status st = function_from_json(name, f, dir, opt, source, &fn, err);
        if (st == LC_OK)
            st = lc_emulator_add_function(em, fn, err);
        if (st != LC_OK)
            return st;
    }
    return LC_OK;
}

/* --- cases ------------------------------------------------------------------------------------ */

typedef struct {
    lc_case_result result;
    char dir[PATH_MAX];
    json_t *spec; /* the case.json, or NULL when it could not be read */
} pending;

typedef struct {
    pending *items;
    size_t count, cap;
} pending_list;

static int visible_dir(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

static void add_pending(pending_list *l, const char *suite, const char *case_dir,
                        const char *name)
{
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->items = realloc(l->items, l->cap * sizeof *l->items);
    }
    pending *p = &l->items[l->count++];
    memset(p, 0, sizeof *p);
    snprintf(p->dir, sizeof p->dir, "%s", case_dir);
    fit(p->result.suite, sizeof p->result.suite, "%s", suite);
    fit(p->result.name, sizeof p->result.name, "%s", name);
    fit(p->result.path, sizeof p->result.path, "%s/case.json", case_dir);
    lc_error err = {0};
    if (load_json(p->result.path, &p->spec, &err) != LC_OK)
        lc_error_format(&err, p->result.error, sizeof p->result.error);
}

static lc_status find_cases(const char *folder, pending_list *l, lc_error *err)
{
    struct dirent **entries;
    int n = scandir(folder, &entries, visible_dir, alphasort);
    if (n < 0)
        return lc_error_set(err, LC_ENOTFOUND, folder, 0, 0, "cannot read the cases folder");
    char real[PATH_MAX], suite[128];
    const char *base = realpath(folder, real) ? strrchr(real, '/') + 1 : folder;
    fit(suite, sizeof suite, "%s", base);
    for (int i = 0; i < n; i++) {
        char case_dir[PATH_MAX], probe[PATH_MAX + 16];
        fit(case_dir, sizeof case_dir, "%s/%s", folder, entries[i]->d_name);
        fit(probe, sizeof probe, "%s/case.json", case_dir);
        struct stat st;
        if (stat(probe, &st) == 0)
            add_pending(l, suite, case_dir, entries[i]->d_name);
        free(entries[i]);
    }
    free(entries);
    return LC_OK;
}

static const char *const case_keys[] = {"description", "function", "event", "eventJson",
                                        "eventPatch", "eventSet", "invocationType",
                                        "clientContext", "expect", NULL};

/* The event a case sends, as compact JSON text (caller frees). */
static char *case_event(const pending *p, lc_error *err)
{
    const json_t *spec = p->spec;
    json_t *event = NULL;
    const char *file = json_string_value(json_object_get(spec, "event"));
    if (file) {
        char path[PATH_MAX];
        join(p->dir, file, path, sizeof path);
        if (lc_event_load_file(path, &event, err) != LC_OK)
            return NULL;
    } else {
        json_t *inline_event = json_object_get(spec, "eventJson");
        event = inline_event ? json_deep_copy(inline_event) : json_object();
    }
    json_t *patch = json_object_get(spec, "eventPatch");
    if (patch && lc_event_patch(&event, patch, err) != LC_OK)
        return NULL;
    size_t i;
    json_t *set;
    json_array_foreach(json_object_get(spec, "eventSet"), i, set)
    {
        if (!json_is_string(set) || lc_event_assign(&event, json_string_value(set), err) != LC_OK) {
            lc_error_set(err, LC_EINVAL, p->result.path, 0, 0, "eventSet[%zu] is not path=value",
                         i);
            json_decref(event);
            return NULL;
        }
    }
    char *text = json_dumps(event, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(event);
    return text;
}

static lc_status check_case_shape(const pending *p, lc_error *err)
{
    lc_status st = known_keys(p->spec, case_keys, "", p->result.path, err);
    if (st == LC_OK && !json_is_string(json_object_get(p->spec, "function")))
        st = lc_error_set(err, LC_EINVAL, p->result.path, 0, 0, "function: a string is required");
    const char *type = json_string_value(json_object_get(p->spec, "invocationType"));
    if (st == LC_OK && type && strcmp(type, "RequestResponse") && strcmp(type, "Event") &&
        strcmp(type, "DryRun"))
        st = lc_error_set(err, LC_EINVAL, p->result.path, 0, 0,
                          "invocationType: RequestResponse, Event or DryRun, not %s", type);
    return st;
}

/* --- running one case ---------------------------------------------------------------------------- */

static void observe_journal(const lc_runner_options *opt, const char *type,
                            const lc_invoke_response *resp, lc_result *journal, bool *have)
{
    lc_emulator *em = lc_target_emulator(opt->target);
    *have = false;
    if (em == NULL || strcmp(type, "DryRun") == 0 || resp->request_id[0] == '\0')
        return;
    long wait = strcmp(type, "Event") == 0 ? ASYNC_WAIT_MS : 0;
    *have = lc_emulator_journal_wait(em, resp->request_id, wait, journal) == LC_OK;
}

/* When the event comes from a known service, the response must honour its contract. */
static void source_contract(const char *type, const lc_invoke_response *resp, const char *event,
                            lc_verdicts *out)
{
    if (strcmp(type, "RequestResponse") != 0 || resp->function_error[0] || resp->status != 200)
        return;
    json_t *e = json_loads(event, JSON_DECODE_ANY, NULL);
    if (lc_event_detect(e) != LC_SOURCE_UNKNOWN) {
        json_t *r = resp->payload_len
                        ? json_loadb(resp->payload, resp->payload_len, JSON_DECODE_ANY, NULL)
                        : NULL;
        lc_source_contract_check(e, r, out);
        json_decref(r);
    }
    json_decref(e);
}

static void evaluate(pending *p, const char *type, const lc_invoke_response *resp,
                     const lc_runner_options *opt, const char *event)
{
    lc_result journal = {0};
    bool have = false;
    observe_journal(opt, type, resp, &journal, &have);
    lc_observation o = {.invocation_type = type,
                        .status = resp->status,
                        .function_error = resp->function_error,
                        .request_id = resp->request_id,
                        .payload = resp->payload,
                        .payload_len = resp->payload_len,
                        .log = resp->log_result ? resp->log_result : (have ? journal.log : NULL),
                        /* local: an empty journal entry means the handler never ran */
                        .journal = lc_target_emulator(opt->target) ? &journal : NULL};
    json_t *expect = json_object_get(p->spec, "expect");
    lc_error err = {0};
    if (lc_expect_check(expect, &o, &p->result.verdicts, p->result.path, &err) != LC_OK)
        lc_error_format(&err, p->result.error, sizeof p->result.error);
    lc_contracts_check(&o, expect, &p->result.verdicts);
    source_contract(type, resp, event, &p->result.verdicts);
    lc_result_clear(&journal);
}

static void run_case(pending *p, const lc_runner_options *opt)
{
    lc_error err = {0};
    int64_t start = lc_monotonic_ns();
    char *event = NULL;
    if (p->spec && check_case_shape(p, &err) == LC_OK)
        event = case_event(p, &err);
    if (event == NULL) {
        if (p->result.error[0] == '\0')
            lc_error_format(&err, p->result.error, sizeof p->result.error);
        return;
    }
    char function[300], *cc = NULL;
    snprintf(function, sizeof function, "%s%s", opt->function_prefix ? opt->function_prefix : "",
             json_string_value(json_object_get(p->spec, "function")));
    const char *type = json_string_value(json_object_get(p->spec, "invocationType"));
    json_t *cc_json = json_object_get(p->spec, "clientContext");
    if (cc_json)
        cc = json_dumps(cc_json, JSON_COMPACT);
    lc_invoke_request req = {.function_name = function, .invocation_type = type,
                             .log_tail = type == NULL || strcmp(type, "RequestResponse") == 0,
                             .client_context = cc, .payload = event,
                             .payload_len = strlen(event)};
    lc_invoke_response resp;
    if (lc_target_invoke(opt->target, &req, &resp, &err) == LC_OK) {
        snprintf(p->result.request_id, sizeof p->result.request_id, "%s", resp.request_id);
        evaluate(p, type ? type : "RequestResponse", &resp, opt, event);
        lc_invoke_response_clear(&resp);
    } else {
        lc_error_format(&err, p->result.error, sizeof p->result.error);
    }
    free(cc);
    free(event);
    p->result.duration_ms = (double)(lc_monotonic_ns() - start) / 1e6;
}

/* --- workers ------------------------------------------------------------------------------------- */

typedef struct {
    pending_list *list;
    const lc_runner_options *opt;
    lc_run *run;
    size_t next;
    pthread_mutex_t mu;
} work;

static void finish_case(work *w, pending *p)
{
    lc_case_result *r = &p->result;
    r->passed = r->error[0] == '\0' && lc_verdicts_failed(&r->verdicts) == 0;
    pthread_mutex_lock(&w->mu);
    if (w->opt->on_case)
        w->opt->on_case(r, w->opt->ctx);
    pthread_mutex_unlock(&w->mu);
}

static void *worker(void *arg)
{
    work *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        size_t i = w->next++;
        pthread_mutex_unlock(&w->mu);
        if (i >= w->list->count)
            return NULL;
        run_case(&w->list->items[i], w->opt);
        finish_case(w, &w->list->items[i]);
    }
}

static void run_all(pending_list *list, const lc_runner_options *opt, lc_run *run)
{
    work w = {.list = list, .opt = opt, .run = run};
    pthread_mutex_init(&w.mu, NULL);
    int jobs = opt->jobs > 0 ? opt->jobs : 1;
    pthread_t threads[64];
    int started = 0;
    for (; started < jobs && started < 64; started++)
        if (pthread_create(&threads[started], NULL, worker, &w) != 0)
            break;
    if (started == 0)
        worker(&w);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    pthread_mutex_destroy(&w.mu);
}

static void collect(lc_run *run, pending_list *list)
{
    pthread_mutex_lock(&run->mu);
    if (run->count + list->count > run->cap) {
        run->cap = run->count + list->count;
        run->cases = realloc(run->cases, run->cap * sizeof *run->cases);
    }
    for (size_t i = 0; i < list->count; i++) {
        run->cases[run->count++] = list->items[i].result;
        json_decref(list->items[i].spec);
    }
    pthread_mutex_unlock(&run->mu);
    free(list->items);
}

lc_status lc_runner_run(const char *given, const lc_runner_options *opt, lc_run *run,
                        lc_error *err)
{
    char path[PATH_MAX], dir[PATH_MAX];
    json_t *manifest = NULL;
    lc_status st = manifest_path(given, path, sizeof path, err);
    if (st == LC_OK)
        st = load_json(path, &manifest, err);
    static const char *const manifest_keys[] = {"functions", "cases", "description", NULL};
    if (st == LC_OK)
        st = known_keys(manifest, manifest_keys, "", path, err);
    dir_of(path, dir, sizeof dir);
    if (st == LC_OK)
        st = add_functions(manifest, dir, lc_target_emulator(opt->target), opt, path, err);
    pending_list list = {0};
    size_t i;
    json_t *folder;
    json_array_foreach(json_object_get(manifest, "cases"), i, folder)
    {
        char full[PATH_MAX];
        if (st == LC_OK && json_is_string(folder)) {
            join(dir, json_string_value(folder), full, sizeof full);
            st = find_cases(full, &list, err);
        }
    }
    int64_t start = lc_monotonic_ns();
    if (st == LC_OK)
        run_all(&list, opt, run);
    run->duration_ms += (double)(lc_monotonic_ns() - start) / 1e6;
    collect(run, &list);
    json_decref(manifest);
    return st;
}

lc_status lc_manifest_add_functions(const char *given, lc_emulator *em, const char *python,
                                    const char *runtime_command, lc_error *err)
{
    char path[PATH_MAX], dir[PATH_MAX];
    json_t *manifest = NULL;
    lc_runner_options opt = {.python = python, .runtime_command = runtime_command};
    lc_status st = manifest_path(given, path, sizeof path, err);
    if (st == LC_OK)
        st = load_json(path, &manifest, err);
    dir_of(path, dir, sizeof dir);
    if (st == LC_OK)
        st = add_functions(manifest, dir, em, &opt, path, err);
    json_decref(manifest);
    return st;
}
