#include "lambdacheck/concurrency.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/json_util.h"

/* Rounds of invocations at once: a race that one round misses, the next may not. */
#define ROUNDS 2
/* Differences shown in a failure; the rest are counted. */
#define SHOWN 3

/* One answer, as compared. */
typedef struct {
    char status[300];  /* "200", or "Unhandled Runtime.ExitError: <message>" for an error */
    char *payload;     /* owned: the result bytes (NULL for an error) */
    json_t *json;      /* the payload parsed, or NULL when it is not JSON */
    bool failed;       /* the harness could not run it (err says why) */
    lc_error err;
} answer;

static void answer_clear(answer *a)
{
    free(a->payload);
    json_decref(a->json);
    memset(a, 0, sizeof *a);
}

/* The text with every occurrence of id replaced by <requestId>. */
static void without_id(const char *text, const char *id, char *out, size_t size)
{
    size_t n = strlen(id), used = 0;
    out[0] = '\0';
    for (const char *p = text; *p && used + 1 < size;) {
        if (n && strncmp(p, id, n) == 0) {
            used += (size_t)snprintf(out + used, size - used, "<requestId>");
            p += n;
        } else {
            out[used++] = *p++;
            out[used] = '\0';
        }
        if (used >= size)
            used = size - 1;
    }
}

/* errorType and errorMessage of an error body (its requestId and trace differ per invocation,
 * and so does a platform error's message, which names it). */
static void describe_error(const lc_result *r, char *out, size_t size)
{
    json_t *body = json_loadb(r->payload ? r->payload : "", r->payload_len, 0, NULL);
    const char *message = json_string_value(json_object_get(body, "errorMessage"));
    char text[200];
    without_id(message ? message : "", r->request_id, text, sizeof text);
    snprintf(out, size, "%s %s: %s", r->function_error, r->error_type[0] ? r->error_type : "?",
             text);
    json_decref(body);
}

static void take_answer(const lc_result *r, answer *a)
{
    if (r->function_error[0]) {
        describe_error(r, a->status, sizeof a->status);
        return;
    }
    snprintf(a->status, sizeof a->status, "%d", r->status_code);
    a->payload = strndup(r->payload ? r->payload : "", r->payload_len);
    a->json = json_loadb(r->payload ? r->payload : "", r->payload_len, JSON_DECODE_ANY, NULL);
}

static const char *shown(const answer *a)
{
    return a->payload ? a->payload : a->status;
}

/* --- what differs run to run ----------------------------------------------------------------- */

/* A result's parts that differ between two runs alone (a pid, a time, a request id) are
 * "volatile": left out of the comparison. A mask is the first answer's JSON with each volatile
 * part replaced by this marker. */
static const char VOLATILE[] = "\x01lambdacheck-volatile";

static bool is_volatile(const json_t *mask)
{
    return json_is_string(mask) && strcmp(json_string_value(mask), VOLATILE) == 0;
}

static bool same_keys(const json_t *a, const json_t *b)
{
    if (json_object_size(a) != json_object_size(b))
        return false;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)a, key, v)
        if (json_object_get(b, key) == NULL)
            return false;
    return true;
}

/* The mask of two runs' JSON; *paths gets the volatile parts' paths (a few). */
static json_t *mask_of(const json_t *a, const json_t *b, const char *path, lc_buf *paths)
{
    if (is_volatile(a)) /* known already */
        return json_string(VOLATILE);
    if (json_is_object(a) && json_is_object(b) && same_keys(a, b)) {
        json_t *out = json_object();
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)a, key, v)
        {
            char sub[256];
            snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", key);
            json_object_set_new(out, key, mask_of(v, json_object_get(b, key), sub, paths));
        }
        return out;
    }
    if (json_is_array(a) && json_is_array(b) && json_array_size(a) == json_array_size(b)) {
        json_t *out = json_array();
        for (size_t i = 0; i < json_array_size(a); i++) {
            char sub[256];
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            json_array_append_new(out, mask_of(json_array_get(a, i), json_array_get(b, i), sub,
                                               paths));
        }
        return out;
    }
    if (lc_json_equal(a, b))
        return json_deep_copy(a);
    if (paths->len < 200)
        lc_buf_printf(paths, "%s%s", paths->len ? ", " : "", path[0] ? path : "the whole result");
    return json_string(VOLATILE);
}

/* Whether value matches the mask: equal everywhere but in its volatile parts. */
static bool matches(const json_t *mask, const json_t *value)
{
    if (is_volatile(mask))
        return true;
    if (json_is_object(mask)) {
        if (!json_is_object(value) || !same_keys(mask, value))
            return false;
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)mask, key, v)
            if (!matches(v, json_object_get(value, key)))
                return false;
        return true;
    }
    if (json_is_array(mask)) {
        if (!json_is_array(value) || json_array_size(mask) != json_array_size(value))
            return false;
        for (size_t i = 0; i < json_array_size(mask); i++)
            if (!matches(json_array_get(mask, i), json_array_get(value, i)))
                return false;
        return true;
    }
    return lc_json_equal(mask, value);
}

/* What an event answered alone, as later answers are compared with it. */
typedef struct {
    answer first;
    json_t *mask;      /* of its JSON payload, or NULL (not JSON, or an error: compared whole) */
    bool comparable;   /* its two runs alone agree somewhere */
} baseline;

static bool same(const baseline *b, const answer *a)
{
    if (strcmp(b->first.status, a->status) != 0)
        return false;
    if (b->mask)
        return a->json && matches(b->mask, a->json);
    return strcmp(b->first.payload ? b->first.payload : "", a->payload ? a->payload : "") == 0;
}

typedef struct {
    lc_emulator *em;
    const lc_concurrency_probe *probe;
    const char *sandbox;
    size_t event;   /* which event */
    answer out;
} call;

static void run_call(call *c)
{
    const lc_concurrency_probe *p = c->probe;
    const char *event = p->events[c->event];
    lc_invoke_options opt = {.payload = event, .payload_len = strlen(event),
                             .context = p->contexts ? p->contexts[c->event] : NULL,
                             .sandbox = c->sandbox};
    lc_result r;
    if (lc_emulator_invoke(c->em, p->function, &opt, &r, &c->out.err) != LC_OK)
        c->out.failed = true;
    else
        take_answer(&r, &c->out);
    lc_result_clear(&r);
}

static void *call_main(void *arg)
{
    run_call(arg);
    return NULL;
}

/* Runs n calls at once, each in a thread of its own (a call whose thread cannot start runs in
 * this one, after the others have started). */
static void run_together(call *calls, size_t n)
{
    pthread_t *threads = calloc(n, sizeof *threads);
    bool *started = calloc(n, sizeof *started);
    for (size_t i = 0; threads && started && i < n; i++)
        started[i] = pthread_create(&threads[i], NULL, call_main, &calls[i]) == 0;
    for (size_t i = 0; i < n; i++) {
        if (threads && started && started[i])
            pthread_join(threads[i], NULL);
        else
            run_call(&calls[i]);
    }
    free(threads);
    free(started);
}

/* The Node.js client's workers: one, so that all invocations share its globals. */
static json_t *sandbox_variables(const lc_function *fn, const json_t *given)
{
    json_t *vars = given ? json_deep_copy(given) : json_object();
    bool node = lc_runtime_family_of(lc_function_runtime(fn)) == LC_FAMILY_NODE;
    if (node && !json_object_get(lc_function_variables(fn), "AWS_LAMBDA_NODEJS_WORKER_COUNT") &&
        !json_object_get(vars, "AWS_LAMBDA_NODEJS_WORKER_COUNT"))
        json_object_set_new(vars, "AWS_LAMBDA_NODEJS_WORKER_COUNT", json_string("1"));
    return vars;
}

/* How the other runs alone compare with the first: parts that differ become volatile, or the
 * event is not comparable at all. */
static void compare_alone(baseline *bl, const answer *other, size_t event, lc_buf *volatile_paths)
{
    if (!bl->comparable)
        return;
    bool same_status = strcmp(bl->first.status, other->status) == 0;
    if (same_status && bl->mask && other->json) {
        lc_buf paths;
        lc_buf_init(&paths, 0);
        json_t *mask = mask_of(bl->mask, other->json, "", &paths);
        json_decref(bl->mask);
        bl->mask = mask;
        if (paths.len && volatile_paths->len < 300)
            lc_buf_printf(volatile_paths, "%sevent %zu: %s", volatile_paths->len ? "; " : "",
                          event + 1, paths.data);
        lc_buf_free(&paths);
        bl->comparable = !is_volatile(bl->mask);
    } else {
        bl->comparable = same_status && !bl->mask && !other->json &&
                         strcmp(bl->first.payload ? bl->first.payload : "",
                                other->payload ? other->payload : "") == 0;
    }
}

/* Step 1: each event alone, twice in the environment of the check and once in another fresh
 * one (so that what differs by process, a pid, shows); what differs is left out later. */
static lc_status alone(lc_emulator *em, const lc_concurrency_probe *p, const char *sandbox,
                       const char *other_sandbox, baseline *base, lc_buf *volatile_paths,
                       lc_error *err)
{
    for (size_t i = 0; i < p->n_events; i++) {
        call runs[3] = {{.em = em, .probe = p, .sandbox = sandbox, .event = i},
                        {.em = em, .probe = p, .sandbox = sandbox, .event = i},
                        {.em = em, .probe = p, .sandbox = other_sandbox, .event = i}};
        lc_status st = LC_OK;
        for (size_t k = 0; k < 3 && st == LC_OK; k++) {
            run_call(&runs[k]);
            if (runs[k].out.failed) {
                *err = runs[k].out.err;
                st = err->status ? err->status : LC_EIO;
            }
        }
        baseline *bl = &base[i];
        bl->first = runs[0].out;
        bl->mask = st == LC_OK && runs[0].out.json ? json_deep_copy(runs[0].out.json) : NULL;
        bl->comparable = st == LC_OK;
        for (size_t k = 1; k < 3; k++) {
            if (st == LC_OK)
                compare_alone(bl, &runs[k].out, i, volatile_paths);
            answer_clear(&runs[k].out);
        }
        if (st != LC_OK)
            return st;
    }
    return LC_OK;
}

/* The failure's message: what ran together, and each difference. */
static void describe_differences(const lc_concurrency_probe *p, const call *calls, size_t n,
                                 const baseline *base, int round, lc_buf *msg)
{
    lc_buf_printf(msg, "%zu invocations at once in one Managed Instances environment (round %d) "
                       "answered differently from the same events alone: ",
                  n, round + 1);
    size_t differ = 0;
    for (size_t i = 0; i < n; i++) {
        const baseline *b = &base[calls[i].event];
        if (!b->comparable || same(b, &calls[i].out))
            continue;
        if (differ++ < SHOWN)
            lc_buf_printf(msg, "%sinvocation %zu (event %zu) answered %.200s at once, %.200s alone",
                          differ > 1 ? "; " : "", i + 1, calls[i].event + 1, shown(&calls[i].out),
                          shown(&b->first));
    }
    if (differ > SHOWN)
        lc_buf_printf(msg, "; and %zu more", differ - SHOWN);
    lc_buf_printf(msg, " (invocations 1-%zu ran together, over %zu event%s)", n, p->n_events,
                  p->n_events == 1 ? "" : "s");
}

/* Step 2 and 3: rounds of at_once invocations; true when every comparable answer matched. */
static bool together(lc_emulator *em, const lc_concurrency_probe *p, const char *sandbox,
                     size_t at_once, const baseline *base, lc_buf *msg, lc_error *err)
{
    call *calls = calloc(at_once, sizeof *calls);
    bool ok = calls != NULL;
    for (int round = 0; ok && round < ROUNDS; round++) {
        for (size_t i = 0; i < at_once; i++)
            calls[i] = (call){.em = em, .probe = p, .sandbox = sandbox,
                              .event = (i + (size_t)round) % p->n_events};
        run_together(calls, at_once);
        for (size_t i = 0; ok && i < at_once; i++)
            if (calls[i].out.failed) {
                *err = calls[i].out.err;
                ok = false;
            }
        bool differs = false;
        for (size_t i = 0; ok && i < at_once; i++)
            differs |= base[calls[i].event].comparable && !same(&base[calls[i].event], &calls[i].out);
        if (ok && differs) {
            describe_differences(p, calls, at_once, base, round, msg);
            ok = false;
        }
        for (size_t i = 0; i < at_once; i++)
            answer_clear(&calls[i].out);
    }
    free(calls);
    return ok;
}

static size_t invocations_at_once(const lc_function *fn, int asked)
{
    int max = lc_function_max_concurrency(fn);
    int n = asked > 0 ? asked
                      : (max < LC_CONCURRENCY_DEFAULT_AT_ONCE ? max
                                                              : LC_CONCURRENCY_DEFAULT_AT_ONCE);
    return (size_t)(n > max ? max : n);
}

static lc_status judge(lc_emulator *em, const lc_concurrency_probe *p, const char *sandbox,
                       const char *other_sandbox, size_t at_once, lc_verdicts *out, lc_error *err)
{
    baseline *base = calloc(p->n_events, sizeof *base);
    if (base == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    lc_buf volatile_paths, msg;
    lc_buf_init(&volatile_paths, 0);
    lc_buf_init(&msg, 4096);
    lc_status st = alone(em, p, sandbox, other_sandbox, base, &volatile_paths, err);
    size_t n_comparable = 0;
    for (size_t i = 0; i < p->n_events; i++)
        n_comparable += base[i].comparable;
    char left_out[400] = "";
    if (volatile_paths.len)
        snprintf(left_out, sizeof left_out, "; left out as they differ run to run alone: %s",
                 volatile_paths.data);
    if (st == LC_OK && n_comparable == 0)
        lc_verdicts_not_checked(out, LC_CONCURRENCY_CHECK,
                                "every event answered differently in two runs alone (%.120s): "
                                "nothing to compare with",
                                shown(&base[0].first));
    else if (st == LC_OK && together(em, p, sandbox, at_once, base, &msg, err))
        lc_verdicts_add(out, LC_CONCURRENCY_CHECK, true,
                        "%zu invocations at once in one Managed Instances environment answered "
                        "as each alone (%d rounds; %zu of %zu events compared%s)",
                        at_once, ROUNDS, n_comparable, p->n_events, left_out);
    else if (st == LC_OK && err->status == LC_OK)
        lc_verdicts_add(out, LC_CONCURRENCY_CHECK, false, "%s%s", msg.data ? msg.data : "",
                        left_out);
    else if (st == LC_OK)
        st = err->status;
    lc_buf_free(&volatile_paths);
    lc_buf_free(&msg);
    for (size_t i = 0; i < p->n_events; i++) {
        answer_clear(&base[i].first);
        json_decref(base[i].mask);
    }
    free(base);
    return st;
}

lc_status lc_concurrency_check(lc_emulator *em, const lc_concurrency_probe *p, lc_verdicts *out,
                               lc_error *err)
{
    const lc_function *fn = lc_emulator_function(em, p->function);
    if (fn == NULL)
        return lc_error_set(err, LC_ENOTFOUND, NULL, 0, 0, "Function not found: %s", p->function);
    if (lc_function_max_concurrency(fn) == 0) {
        lc_verdicts_not_checked(out, LC_CONCURRENCY_CHECK,
                                "%s is not on Lambda Managed Instances (no capacity provider, "
                                "no --max-concurrency): it runs one invocation per environment",
                                p->function);
        return LC_OK;
    }
    if (p->n_events == 0) {
        lc_verdicts_not_checked(out, LC_CONCURRENCY_CHECK, "no synchronous event to run");
        return LC_OK;
    }
    size_t at_once = invocations_at_once(fn, p->at_once);
    if (at_once < 2) {
        lc_verdicts_not_checked(out, LC_CONCURRENCY_CHECK,
                                "%s runs one invocation at a time (maximum concurrency 1)",
                                p->function);
        return LC_OK;
    }
    json_t *vars = sandbox_variables(fn, p->variables);
    char key[LC_SANDBOX_KEY_SIZE] = "", other[LC_SANDBOX_KEY_SIZE] = "";
    lc_status st = lc_emulator_sandbox_open(em, p->function, vars, key, err);
    if (st == LC_OK)
        st = lc_emulator_sandbox_open(em, p->function, vars, other, err);
    json_decref(vars);
    if (st == LC_OK)
        st = judge(em, p, key, other, at_once, out, err);
    if (key[0])
        lc_emulator_sandbox_close(em, key);
    if (other[0])
        lc_emulator_sandbox_close(em, other);
    return st;
}
