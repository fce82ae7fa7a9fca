/* The differential suite: every scenario of scenarios.json runs under AWS's runtime interface
 * client and under the bundled one, both driven by the embedded emulator, and the two are
 * compared call by call: how the call ended, the function error, the payload, what the runtime
 * posted, and the log, normalised (times, request ids, durations, folders and the stack frames
 * of each client's own files).
 *
 * Python (awslambdaric, built outside this repository with build-awslambdaric):
 *   LAMBDACHECK_AWSLAMBDARIC=DIR [LAMBDACHECK_AWSLAMBDARIC_PYTHON=/usr/bin/python3] \
 *       differential_tests [SUITE_DIR] [--filter TEXT] [--ours-python PATH] [--verbose]
 * Node.js (aws-lambda-ric from npm, installed by .ci/install-deps --test; SUITE_DIR node/):
 *   [LAMBDACHECK_AWS_LAMBDA_RIC=DIR] differential_tests --node [--runtime nodejsNN.x]
 *       [--filter TEXT] [--verbose]
 * --runtime: the Lambda runtime both sides run as (default nodejs20.x, with aws-lambda-ric 3.x);
 * nodejs24.x runs aws-lambda-ric 4.x (AWS_LAMBDA_RIC4), as Lambda's nodejs24.x does, both sides
 * under Node 24 (the host's, or the one lambdacheck installs into its cache).
 *
 * Without AWS's client it says so, runs nothing and exits 77 (ctest: skipped).
 * Prints a line per scenario and "N scenarios: A agree, D differ"; exits 1 when any differs. */
#include <regex.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/emulator.h"
#include "lambdacheck/function.h"

#define SKIPPED 77

typedef struct {
    bool node;               /* the Node.js suite: aws-lambda-ric against the bundled client */
    const char *runtime;     /* the Node.js runtime both sides run as (--runtime) */
    const char *reference;   /* the folder build-awslambdaric filled, or aws-lambda-ric's */
    const char *python;      /* the interpreter it was built for */
    const char *ours_python; /* the bundled client's; default the same (--ours-python: another,
                                such as one without simplejson, to test the fallback encoder) */
    const char *suite_dir;
    const char *filter;
    bool verbose;
    char reference_command[1200]; /* runs reference_launcher.py */
} options;

/* --- normalising ---------------------------------------------------------------------------- */

typedef struct {
    regex_t re;
    const char *with;
} rule;

/* What differs between two runs of one handler for reasons that are not the client's. */
static const struct {
    const char *pattern, *with;
} rule_text[] = {
    {"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{3})?Z", "<time>"},
    {"\\[[0-9]{13}\\]", "[<epoch ms>]"},
    {"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>"},
    {"\\[\\$LATEST\\][0-9a-f]{32}", "[$LATEST]<stream>"},
    {"[0-9]+(\\.[0-9]+)? (ms|MB)", "<n> \\2"},
    {"\"(durationMs|billedDurationMs|maxMemoryUsedMB|initDurationMs)\":[0-9.]+", "\"\\1\":<n>"},
    {"0x[0-9a-f]+", "0x<address>"},
    {"/[^\" \t\r\n]*/lib/python3\\.[0-9]+", "<stdlib>"},
    {"[A-Za-z_.]*(LambdaRuntimeClientError)", "\\1"},
    {"\"deadline_ms\": [0-9]+", "\"deadline_ms\": <n>"},
    {"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=[01]", "<trace id>"},
    /* Node.js: the module a failed require() came from is each client's own file */
    {"- [^\" "
     "\t\r\n\\\\]*(aws-lambda-ric/dist/index|aws-lambda-ric/index|harness/runtime/node/"
     "lambdacheck_runtime)\\.mjs",
     "- <client>"},
    /* Node.js: the frame that called the handler is each client's own object */
    {"at (StreamingInvokeProcessor|BufferedInvokeProcessor|Runtime)\\.handler",
     "at <client>.handler"},
    /* how deep a RecursionError goes depends on how many frames the client itself uses */
    {"\\[Previous line repeated [0-9]+ more times\\]", "[Previous line repeated <n> more times]"},
    /* a frame in the client's own source (in the middle of a logging error's traceback, or alone
       when the handler is not callable): its file, line and text are the client's own; the
       function name stays */
    {"File (\\\\?)\"[^\"\\\\]*(awslambdaric/[a-z_]+|harness/runtime/python/lambdacheck_[a-z]+)\\.py"
     "(\\\\?)\", line [0-9]+, in ([A-Za-z_]+)(\\\\n|\r|\n)([^\\\\\r\n]|\\\\[^nr])*",
     "File \\1\"<client>\\3\", line <n>, in \\4\\5<client code>"},
};
#define N_RULES (sizeof rule_text / sizeof *rule_text)
static rule rules[N_RULES];

static void compile_rules(void)
{
    for (size_t i = 0; i < N_RULES; i++) {
        if (regcomp(&rules[i].re, rule_text[i].pattern, REG_EXTENDED) != 0) {
            fprintf(stderr, "differential: bad pattern %s\n", rule_text[i].pattern);
            exit(2);
        }
        rules[i].with = rule_text[i].with;
    }
}

/* text with every match of r replaced (\1, \2 in the replacement are groups). Caller frees. */
static char *apply_rule(const rule *r, const char *text)
{
    lc_buf out;
    lc_buf_init(&out, 0);
    regmatch_t m[8];
    const char *p = text;
    int flags = 0;
    while (*p && regexec(&r->re, p, 8, m, flags) == 0 && m[0].rm_eo > 0) {
        lc_buf_append(&out, p, (size_t)m[0].rm_so);
        for (const char *w = r->with; *w; w++) {
            if (w[0] == '\\' && w[1] >= '1' && w[1] <= '7' && m[w[1] - '0'].rm_so >= 0) {
                regmatch_t g = m[w[1] - '0'];
                lc_buf_append(&out, p + g.rm_so, (size_t)(g.rm_eo - g.rm_so));
                w++;
            } else {
                lc_buf_append(&out, w, 1);
            }
        }
        p += m[0].rm_eo;
        flags = REG_NOTBOL;
    }
    lc_buf_puts(&out, p);
    char *s = lc_buf_take(&out);
    return s ? s : strdup("");
}

static char *replace_all(const char *text, const char *what, const char *with)
{
    lc_buf out;
    lc_buf_init(&out, 0);
    size_t n = strlen(what);
    const char *p = text, *at;
    while (n && (at = strstr(p, what)) != NULL) {
        lc_buf_append(&out, p, (size_t)(at - p));
        lc_buf_puts(&out, with);
        p = at + n;
    }
    lc_buf_puts(&out, p);
    char *s = lc_buf_take(&out);
    return s ? s : strdup("");
}

/* Drops the frames of tracebacks the interpreter itself prints (the process dies of an exception
 * the client does not catch): they name the client's own files. The first and last lines stay. */
static char *drop_interpreter_frames(const char *text)
{
    lc_buf out;
    lc_buf_init(&out, 0);
    bool in_traceback = false;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
        bool frame = in_traceback && (strncmp(p, "  ", 2) == 0);
        if (strncmp(p, "Traceback (most recent call last):\n", 35) == 0)
            in_traceback = true;
        else if (!frame)
            in_traceback = false;
        if (!frame)
            lc_buf_append(&out, p, len);
        p += len;
    }
    char *s = lc_buf_take(&out);
    return s ? s : strdup("");
}

/* Where a Node.js stack frame ("    at f (file:line:col)") ends: at a quote, a line break or an
 * escaped line break. */
static size_t frame_length(const char *p)
{
    size_t n = 0;
    while (p[n] && p[n] != '"' && p[n] != '\r' && p[n] != '\n' &&
           !(p[n] == '\\' && (p[n + 1] == 'n' || p[n + 1] == 'r')))
        n++;
    return n;
}

/* Drops the Node.js stack frames outside the function's folder (those of each client's own file
 * and of Node's internals, which differ with the client's structure): a frame that is an element
 * of a JSON array goes with its comma and quotes, one inside a text with its line break. */
static char *drop_foreign_frames(const char *text)
{
    lc_buf out;
    lc_buf_init(&out, 0);
    const char *p = text, *at;
    while ((at = strstr(p, "    at ")) != NULL) {
        size_t len = frame_length(at);
        bool foreign = memmem(at, len, "<task>", 6) == NULL;
        const char *from = at, *to = at + len;
        if (foreign && at - p >= 2 && at[-1] == '"' && at[-2] == ',' && *to == '"') {
            from = at - 2, to++;
        } else if (foreign && at - p >= 2 && at[-2] == '\\' && (at[-1] == 'n' || at[-1] == 'r')) {
            from = at - 2;
        } else if (foreign && at > p && (at[-1] == '\r' || at[-1] == '\n')) {
            from = at - 1;
        } else {
            foreign = false;
        }
        lc_buf_append(&out, p, (size_t)((foreign ? from : to) - p));
        p = to;
    }
    lc_buf_puts(&out, p);
    char *s = lc_buf_take(&out);
    return s ? s : strdup("");
}

static char *normalise(const char *text, size_t len, const char *task_root)
{
    char *s = malloc(len + 1);
    memcpy(s, text ? text : "", len);
    s[len] = '\0';
    char *t = replace_all(s, task_root, "<task>");
    free(s);
    s = drop_interpreter_frames(t);
    free(t);
    t = drop_foreign_frames(s);
    free(s);
    s = t;
    for (size_t i = 0; i < N_RULES; i++) {
        t = apply_rule(&rules[i], s);
        free(s);
        s = t;
    }
    return s;
}

/* --- one side of a scenario ------------------------------------------------------------------ */

typedef struct {
    char *summary; /* end, function error, error type, posts: one line */
    char *payload;
    char *log;
} call_view;

static const char *end_name(lc_end e)
{
    static const char *names[] = {"response", "error", "init error",   "too large",
                                  "timeout",  "exit",  "out of memory"};
    return (unsigned)e < sizeof names / sizeof *names ? names[e] : "?";
}

/* True when the line at line is the platform's (text or JSON log format), not the process's. */
static bool platform_line(const char *line)
{
    static const char *const text[] = {"START RequestId:", "END RequestId:", "REPORT RequestId:",
                                       "INIT_REPORT"};
    for (size_t i = 0; i < sizeof text / sizeof *text; i++)
        if (strncmp(line, text[i], strlen(text[i])) == 0)
            return true;
    if (strncmp(line, "{\"time\":", 8) != 0)
        return false;
    const char *end = strchr(line, '\n');
    static const char type[] = "\"type\":\"platform.";
    return memmem(line, end ? (size_t)(end - line) : strlen(line), type, sizeof type - 1) != NULL;
}

/* After an init error the platform stops the process; what a client writes between its
 * /init/error and that stop races it. AWS's aws-lambda-ric 4.x then ends in Node's report of an
 * unhandled rejection, of which a run keeps none, some or all, before or after the platform's
 * START line: that report is cut from the log (up to the platform's next line of any kind, in
 * either log format) so that a race of this machine is not a verdict. */
static char *drop_post_init_error_crash(const char *log)
{
    static const char marker[] = "\nnode:internal/process/promises:";
    const char *at = strstr(log, marker);
    if (at == NULL)
        return strdup(log);
    const char *next = at + 1;
    while ((next = strchr(next, '\n')) != NULL && !platform_line(next + 1))
        next++;
    lc_buf out;
    lc_buf_init(&out, 0);
    lc_buf_append(&out, log, (size_t)(at - log));
    lc_buf_puts(&out, next ? next : "\n");
    char *s = lc_buf_take(&out);
    return s ? s : strdup("");
}

static void view_call(const lc_result *r, const char *task_root, call_view *v)
{
    lc_buf s;
    lc_buf_init(&s, 0);
    lc_buf_printf(&s, "%s, function error '%s', error type '%s', cold %s; posts:", end_name(r->end),
                  r->function_error, r->error_type, r->cold_start ? "yes" : "no");
    for (size_t i = 0; i < r->n_posts; i++) {
        const char *kind = strstr(r->posts[i].path, "/init/error") ? "init/error"
                           : strstr(r->posts[i].path, "/response") ? "response"
                           : strstr(r->posts[i].path, "/error")    ? "error"
                                                                   : r->posts[i].path;
        lc_buf_printf(&s, " [%s %d content-type '%s' error-type '%s']", kind, r->posts[i].status,
                      r->posts[i].content_type, r->posts[i].error_type);
    }
    char *summary = lc_buf_take(&s);
    v->summary = normalise(summary, strlen(summary), task_root);
    free(summary);
    char *payload = replace_all(r->payload ? r->payload : "", r->request_id, "<request id>");
    v->payload = normalise(payload, strlen(payload), task_root);
    free(payload);
    char *log = replace_all(r->log ? r->log : "", r->request_id, "<request id>");
    if (r->end == LC_END_INIT_ERROR) {
        char *cut = drop_post_init_error_crash(log);
        free(log);
        log = cut;
    }
    v->log = normalise(log, strlen(log), task_root);
    free(log);
}

static void free_views(call_view *v, int n)
{
    for (int i = 0; i < n; i++) {
        free(v[i].summary);
        free(v[i].payload);
        free(v[i].log);
    }
}

/* --- scenarios -------------------------------------------------------------------------------- */

typedef struct {
    const json_t *spec;
    char code_dir[1024];
} scenario;

static json_t *variables(const scenario *s, const options *o, bool reference)
{
    json_t *env = json_deep_copy(json_object_get(s->spec, "env"));
    if (env == NULL)
        env = json_object();
    if (reference)
        json_object_set_new(env, o->node ? "LAMBDACHECK_AWS_LAMBDA_RIC" : "PYTHONPATH",
                            json_string(o->reference));
    return env;
}

typedef struct {
    lc_emulator *em;
    const char *payload;
    const json_t *overrides;
    lc_result r;
    lc_status st;
    lc_error err;
} together_call;

static void *together_main(void *arg)
{
    together_call *c = arg;
    lc_invoke_options opt = {.payload = c->payload, .payload_len = strlen(c->payload),
                             .context = c->overrides};
    c->st = lc_emulator_invoke(c->em, "differential", &opt, &c->r, &c->err);
    return NULL;
}

/* A scenario's "together": its calls at once, as a Managed Instances environment takes them;
 * the views keep the calls' order of starting. */
static bool invoke_together(lc_emulator *em, const char *payload, const json_t *overrides,
                            call_view *views, int calls, const char *code_dir, lc_error *err)
{
    together_call c[8];
    pthread_t threads[8];
    for (int i = 0; i < calls; i++) {
        c[i] = (together_call){.em = em, .payload = payload, .overrides = overrides};
        pthread_create(&threads[i], NULL, together_main, &c[i]);
    }
    bool ok = true;
    for (int i = 0; i < calls; i++) {
        pthread_join(threads[i], NULL);
        if (c[i].st != LC_OK && ok) {
            *err = c[i].err;
            ok = false;
        }
        if (c[i].st == LC_OK) {
            view_call(&c[i].r, code_dir, &views[i]);
            lc_result_clear(&c[i].r);
        }
    }
    return ok;
}

/* Runs the scenario on one side; fills views (one per call). */
static bool run_side(const scenario *s, const options *o, bool reference, call_view *views,
                     int calls, char *why, size_t why_size)
{
    json_t *env = variables(s, o, reference);
    lc_function_config c = {
        .name = "differential",
        .handler = json_string_value(json_object_get(s->spec, "handler")),
        .code_dir = s->code_dir,
        .runtime = o->node ? o->runtime : NULL,
        .python = o->node                               ? NULL
                  : reference || o->ours_python == NULL ? o->python
                                                        : o->ours_python,
        .runtime_command = reference ? o->reference_command : NULL,
        .execution_env = json_string_value(json_object_get(s->spec, "executionEnv")),
        .environment = env,
        .timeout_ms = 20000,
        .memory_mb = json_object_get(s->spec, "maxConcurrency") ? 2048 : 1024,
        /* Lambda Managed Instances: both clients in their multi-concurrent mode */
        .max_concurrency = (int)json_integer_value(json_object_get(s->spec, "maxConcurrency")),
        /* AWS's client sees the host's packages (it needs simplejson from them); so does ours */
        .host_packages = true,
    };
    lc_emulator *em = NULL;
    lc_function *fn = NULL;
    lc_error err = {0};
    bool ok = lc_emulator_new(NULL, &em, &err) == LC_OK &&
              lc_function_new(&c, &fn, &err) == LC_OK &&
              lc_emulator_add_function(em, fn, &err) == LC_OK;
    if (!ok)
        lc_function_free(fn);
    json_t *event = json_object_get(s->spec, "event");
    const char *raw = json_string_value(json_object_get(s->spec, "payload"));
    char *payload = raw ? strdup(raw) : event ? json_dumps(event, JSON_ENCODE_ANY) : strdup("{}");
    json_t *overrides =
        json_object_get(s->spec, "clientContext")
            ? json_pack("{s:O}", "clientContext", json_object_get(s->spec, "clientContext"))
            : NULL;
    if (ok && json_is_true(json_object_get(s->spec, "together")))
        ok = invoke_together(em, payload, overrides, views, calls, s->code_dir, &err);
    for (int i = 0; ok && !json_is_true(json_object_get(s->spec, "together")) && i < calls; i++) {
        lc_invoke_options opt = {
            .payload = payload, .payload_len = strlen(payload), .context = overrides};
        lc_result r;
        ok = lc_emulator_invoke(em, "differential", &opt, &r, &err) == LC_OK;
        if (ok) {
            view_call(&r, s->code_dir, &views[i]);
            lc_result_clear(&r);
        }
    }
    if (!ok)
        snprintf(why, why_size, "%s: %s", reference ? "reference" : "bundled client", err.message);
    free(payload);
    json_decref(overrides);
    json_decref(env);
    lc_emulator_free(em);
    return ok;
}

static void show_difference(lc_buf *out, const char *what, const char *ours, const char *theirs,
                            bool verbose)
{
    size_t at = 0;
    while (ours[at] && ours[at] == theirs[at])
        at++;
    size_t from = at > 60 ? at - 60 : 0, width = verbose ? 100000 : 160;
    lc_buf_printf(out, "    %s differs at byte %zu:\n      AWS's:  %.*s\n      ours:   %.*s\n",
                  what, at, (int)width, theirs + from, (int)width, ours + from);
}

/* True when the two sides agree on every call; what differs goes to out. */
static bool compare(const call_view *ours, const call_view *theirs, int calls, bool verbose,
                    lc_buf *out)
{
    bool same = true;
    for (int i = 0; i < calls; i++) {
        const char *names[] = {"outcome", "payload", "log"};
        const char *a[] = {ours[i].summary, ours[i].payload, ours[i].log};
        const char *b[] = {theirs[i].summary, theirs[i].payload, theirs[i].log};
        for (int k = 0; k < 3; k++)
            if (strcmp(a[k], b[k]) != 0) {
                char what[64];
                snprintf(what, sizeof what, "call %d: %s", i + 1, names[k]);
                show_difference(out, what, a[k], b[k], verbose);
                same = false;
            }
    }
    return same;
}

/* Calls made at once, in a stable order: by outcome, then payload, then log. */
static int by_view(const void *a, const void *b)
{
    const call_view *x = a, *y = b;
    int c = strcmp(x->summary, y->summary);
    if (c == 0)
        c = strcmp(x->payload, y->payload);
    return c ? c : strcmp(x->log, y->log);
}

/* 1 agree, 0 differ, -1 could not run. */
/* Why the bundled client is known to differ from AWS's on this runtime (the scenario's
 * "known": {"nodejs24.x": "why"}), or NULL. A known difference that no longer differs is stale,
 * and fails the suite so that the list stays true. */
static const char *known_difference(const json_t *spec, const options *o)
{
    return o->node ? json_string_value(json_object_get(json_object_get(spec, "known"), o->runtime))
                   : NULL;
}

/* 1: agree; 0: differ (or a stale known difference); 2: a known difference; -1: did not run. */
static int run_scenario(const json_t *spec, const options *o)
{
    scenario s = {.spec = spec};
    const char *code = json_string_value(json_object_get(spec, "code"));
    snprintf(s.code_dir, sizeof s.code_dir, "%s/%s", o->suite_dir, code ? code : "handlers");
    char *real = realpath(s.code_dir, NULL);
    if (real) {
        snprintf(s.code_dir, sizeof s.code_dir, "%s", real);
        free(real);
    }
    int calls = json_object_get(spec, "calls")
                    ? (int)json_integer_value(json_object_get(spec, "calls"))
                    : 1;
    if (calls < 1 || calls > 8)
        calls = 1;
    call_view ours[8] = {0}, theirs[8] = {0};
    char why[1200] = "";
    const char *name = json_string_value(json_object_get(spec, "name"));
    if (!run_side(&s, o, false, ours, calls, why, sizeof why) ||
        !run_side(&s, o, true, theirs, calls, why, sizeof why)) {
        printf("ERROR  %s: %s\n", name, why);
        free_views(ours, calls);
        free_views(theirs, calls);
        return -1;
    }
    if (json_is_true(json_object_get(spec, "together"))) { /* which call was cold is a race */
        qsort(ours, (size_t)calls, sizeof *ours, by_view);
        qsort(theirs, (size_t)calls, sizeof *theirs, by_view);
    }
    lc_buf details;
    lc_buf_init(&details, 0);
    bool same = compare(ours, theirs, calls, o->verbose, &details);
    const char *known = known_difference(spec, o);
    if (known && same)
        printf("STALE  %s: agrees, but is listed as a known difference on %s\n", name, o->runtime);
    else if (known)
        printf("known  %s: %s\n", name, known);
    else
        printf("%s %s\n%s", same ? "agree " : "DIFFER", name, details.data ? details.data : "");
    lc_buf_free(&details);
    free_views(ours, calls);
    free_views(theirs, calls);
    return known ? (same ? 0 : 2) : same ? 1 : 0;
}

static int usage(void)
{
    fputs("usage: differential_tests [SUITE_DIR] [--node [--runtime nodejsNN.x]] [--filter TEXT] "
          "[--ours-python PATH] "
          "[--verbose]\n",
          stderr);
    return 2;
}

/* True when aws-lambda-ric's native transport was built (reference_launcher.mjs uses it then). */
static bool has_native_transport(const char *ric)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/dist/rapid-client.node", ric);
    if (access(path, R_OK) == 0)
        return true;
    snprintf(path, sizeof path, "%s/rapid-client.node", ric); /* 4.x keeps it at the top */
    return access(path, R_OK) == 0;
}

/* Where .ci/install-deps --test puts aws-lambda-ric, when LAMBDACHECK_AWS_LAMBDA_RIC is unset
 * (install-deps says the same). */
static const char *installed_aws_lambda_ric(const char *version, char *out, size_t size)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0])
        snprintf(out, size, "%s/lambdacheck/%s/node_modules/aws-lambda-ric", xdg, version);
    else if (home && home[0])
        snprintf(out, size, "%s/.cache/lambdacheck/%s/node_modules/aws-lambda-ric", home, version);
    else
        return NULL;
    return access(out, R_OK) == 0 ? out : NULL;
}

/* The Node.js suite: its folder and AWS's client. False when the client is not there. */
static bool node_options(options *o, char *found, size_t size)
{
    static char dir[1100];
    snprintf(dir, sizeof dir, "%s/node", LC_DIFFERENTIAL_DIR);
    if (strcmp(o->suite_dir, LC_DIFFERENTIAL_DIR) == 0)
        o->suite_dir = dir;
    if (o->reference == NULL || o->reference[0] == '\0')
        o->reference = installed_aws_lambda_ric(
            strcmp(o->runtime, "nodejs24.x") == 0 ? AWS_LAMBDA_RIC4 : AWS_LAMBDA_RIC, found, size);
    if (o->reference == NULL) {
        printf("differential: aws-lambda-ric is not installed, so nothing ran and nothing passed.\n"
               "Install it with .ci/install-deps --test, or point LAMBDACHECK_AWS_LAMBDA_RIC at "
               "its folder (see suites/differential/README.md).\n");
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    options o = {.reference = getenv("LAMBDACHECK_AWSLAMBDARIC"),
                 .python = getenv("LAMBDACHECK_AWSLAMBDARIC_PYTHON"),
                 .suite_dir = LC_DIFFERENTIAL_DIR,
                 .runtime = "nodejs20.x"};
    char ric[1200];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--node") == 0) {
            o.node = true;
            o.reference = getenv("LAMBDACHECK_AWS_LAMBDA_RIC");
        } else if (strcmp(argv[i], "--runtime") == 0 && i + 1 < argc)
            o.runtime = argv[++i];
        else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
            o.filter = argv[++i];
        else if (strcmp(argv[i], "--ours-python") == 0 && i + 1 < argc)
            o.ours_python = argv[++i];
        else if (strcmp(argv[i], "--verbose") == 0)
            o.verbose = true;
        else if (argv[i][0] != '-')
            o.suite_dir = argv[i];
        else
            return usage();
    }
    if (o.node && !node_options(&o, ric, sizeof ric))
        return SKIPPED;
    if (o.reference == NULL || o.reference[0] == '\0') {
        printf("differential: LAMBDACHECK_AWSLAMBDARIC is not set, so nothing ran and nothing "
               "passed.\nBuild AWS's client with suites/differential/build-awslambdaric and point "
               "the variable at it (see suites/differential/README.md).\n");
        return SKIPPED;
    }
    if (o.python == NULL || o.python[0] == '\0')
        o.python = "/usr/bin/python3";
    char path[1200];
    snprintf(path, sizeof path, "%s/scenarios.json", o.suite_dir);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    json_t *list = json_object_get(doc, "scenarios");
    if (!json_is_array(list)) {
        fprintf(stderr, "differential: %s:%d: %s\n", path, jerr.line, jerr.text);
        return 2;
    }
    if (o.node) /* the transport's stand-in is preloaded into every thread of the client */
        snprintf(o.reference_command, sizeof o.reference_command,
                 "{node} --import %s/reference_transport.mjs %s/reference_launcher.mjs",
                 o.suite_dir, o.suite_dir);
    else
        snprintf(o.reference_command, sizeof o.reference_command,
                 "{python} %s/reference_launcher.py", o.suite_dir);
    compile_rules();
    setvbuf(stdout, NULL, _IOLBF, 0);
    int agree = 0, differ = 0, broken = 0, known = 0, elsewhere = 0;
    size_t i;
    json_t *spec;
    json_array_foreach(list, i, spec)
    {
        const char *name = json_string_value(json_object_get(spec, "name"));
        if (o.filter && (name == NULL || strstr(name, o.filter) == NULL))
            continue;
        /* "runtimes": the runtimes whose client has what the scenario tries (Lambda Managed
           Instances run only aws-lambda-ric 4.x) */
        const json_t *runtimes = json_object_get(spec, "runtimes");
        bool here = runtimes == NULL;
        size_t k;
        json_t *r;
        json_array_foreach(runtimes, k, r)
            here |= o.node && strcmp(json_string_value(r) ? json_string_value(r) : "", o.runtime) == 0;
        if (!here) {
            elsewhere++;
            continue;
        }
        int v = run_scenario(spec, &o);
        agree += v == 1;
        differ += v == 0;
        known += v == 2;
        broken += v < 0;
    }
    if (o.node)
        printf("differential: %d Node.js scenarios: %d agree, %d differ, %d known to differ, %d "
               "could not run, %d for other runtimes only (%s; AWS's aws-lambda-ric from %s, %s)\n",
               agree + differ + known + broken, agree, differ, known, broken, elsewhere, o.runtime,
               o.reference,
               has_native_transport(o.reference) ? "with its native transport"
                                                 : "with a stand-in for its native transport");
    else
        printf("differential: %d scenarios: %d agree, %d differ, %d could not run (AWS's client "
               "from %s under %s; ours under %s)\n",
               agree + differ + broken, agree, differ, broken, o.reference, o.python,
               o.ours_python ? o.ours_python : o.python);
    for (size_t k = 0; k < N_RULES; k++)
        regfree(&rules[k].re);
    json_decref(doc);
    return differ || broken ? 1 : 0;
}
