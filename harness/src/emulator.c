#include "lambdacheck/emulator.h"
#include "fast_start.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

typedef struct {
    lc_environment *env; /* NULL while it is being started */
    int busy;            /* invocations running in it: at most 1, or on Managed Instances the
                            function's maximum concurrency per environment */
    /* The tenant it is reserved for ("" for a function without tenancy): Lambda never lets two
     * tenants share an environment, and a tenant reuses its own warm one
     * (https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation.html). */
    char tenant[LC_TENANT_ID_MAX + 1];
} slot;

typedef struct pool pool;

/* A function's environments. The shared pool of a function serves every caller; a sandbox pool
 * serves only the invocations that name its key, and closing it stops its environments. */
struct pool {
    lc_function *fn;      /* owned by a shared pool, and by a sandbox with variables of its own */
    bool owns_fn;
    slot **slots;
    size_t n_slots;
    lc_async_config async;
    char sandbox[LC_SANDBOX_KEY_SIZE]; /* "" for the shared pool */
    pool *shared;         /* a sandbox's function's shared pool; NULL for a shared pool */
    bool closed;          /* a closed sandbox: environments are stopped as they come back */
};

/* Async workers per emulator: events of all functions share them; each holds at most one
 * environment at a time, and a function's concurrency still bounds its environments. */
#define ASYNC_WORKERS 4
/* How long an event waits before trying again when its function has no free environment. */
#define ENV_WAIT_NS (2 * 1000000LL)

/* An accepted asynchronous event, until its destination record is written. */
typedef struct {
    pool *p;
    char request_id[129];
    char *payload;
    size_t payload_len;
    char content_type[128];
    json_t *context;     /* overrides, or NULL */
    int64_t accepted_ms; /* wall clock, for the event's age */
    int64_t due_ns;      /* monotonic: not before */
    bool waiting_for_env; /* due_ns is a short wait for an environment, not a retry delay */
    int attempts;
    lc_result last;      /* the last attempt's result */
} queued;

struct lc_emulator {
    pthread_mutex_t mu;
    pool **pools; /* stable pointers: queued events refer to their function's pool */
    size_t n_pools;
    pool **sandboxes; /* open sandboxes, then closed ones (kept: a queued event may name one) */
    size_t n_sandboxes;
    pthread_cond_t journal_cv; /* a result was journalled */
    lc_result *journal; /* a ring of journal_capacity results */
    size_t journal_capacity, journal_next, journal_count;
    size_t journal_bytes, journal_max_bytes; /* what the results hold, and the cap on it */

    /* asynchronous invocations, under q_mu */
    pthread_mutex_t q_mu;
    pthread_cond_t q_cv;    /* an event was queued, or the workers must stop */
    pthread_cond_t idle_cv; /* an event finished */
    queued **queue;
    size_t n_queue, cap_queue, running;
    bool stopping, skip_delays;
    pthread_t workers[ASYNC_WORKERS];
    size_t n_workers;
    json_t *records;        /* the newest destination records, at most records_window */
    size_t records_window;
    lc_async_counts counts; /* every record, by condition */
    FILE *destination;
};

lc_status lc_emulator_new(const lc_emulator_options *opt, lc_emulator **out, lc_error *err)
{
    lc_emulator *em = calloc(1, sizeof *em);
    size_t cap = opt && opt->journal_capacity ? opt->journal_capacity : 1024;
    if (em)
        em->journal = calloc(cap, sizeof *em->journal);
    if (em == NULL || em->journal == NULL) {
        free(em);
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    }
    em->journal_capacity = cap;
    em->journal_max_bytes = opt && opt->journal_max_bytes ? opt->journal_max_bytes
                                                          : LC_JOURNAL_MAX_BYTES;
    em->records_window = opt && opt->records_window ? opt->records_window : 1024;
    pthread_mutex_init(&em->mu, NULL);
    pthread_mutex_init(&em->q_mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&em->q_cv, &attr);
    pthread_cond_init(&em->idle_cv, &attr);
    pthread_cond_init(&em->journal_cv, &attr);
    pthread_condattr_destroy(&attr);
    em->records = json_array();
    lc__fast_start_hold(); /* the templates live as long as some emulator */
    *out = em;
    return LC_OK;
}

static void stop_workers(lc_emulator *em);

static void free_pool(pool *p)
{
    for (size_t j = 0; j < p->n_slots; j++)
        lc_environment_stop(p->slots[j]->env);
    for (size_t j = 0; j < p->n_slots; j++) {
        lc_environment_free(p->slots[j]->env);
        free(p->slots[j]);
    }
    free(p->slots);
    if (p->owns_fn)
        lc_function_free(p->fn);
    free(p);
}

void lc_emulator_free(lc_emulator *em)
{
    if (em == NULL)
        return;
    stop_workers(em);
    /* every environment is signalled before any is waited for: they end together */
    for (size_t i = 0; i < em->n_sandboxes + em->n_pools; i++) {
        pool *p = i < em->n_sandboxes ? em->sandboxes[i] : em->pools[i - em->n_sandboxes];
        for (size_t j = 0; j < p->n_slots; j++)
            lc_environment_stop(p->slots[j]->env);
    }
    for (size_t i = 0; i < em->n_sandboxes; i++)
        free_pool(em->sandboxes[i]);
    for (size_t i = 0; i < em->n_pools; i++)
        free_pool(em->pools[i]);
    free(em->sandboxes);
    free(em->pools);
    for (size_t i = 0; i < em->journal_capacity; i++)
        lc_result_clear(&em->journal[i]);
    free(em->journal);
    json_decref(em->records);
    if (em->destination)
        fclose(em->destination);
    lc__fast_start_release();
    pthread_cond_destroy(&em->q_cv);
    pthread_cond_destroy(&em->idle_cv);
    pthread_cond_destroy(&em->journal_cv);
    pthread_mutex_destroy(&em->q_mu);
    pthread_mutex_destroy(&em->mu);
    free(em);
}

static pool *find_pool(const lc_emulator *em, const char *name)
{
    for (size_t i = 0; i < em->n_pools; i++)
        if (strcmp(lc_function_name(em->pools[i]->fn), name) == 0)
            return em->pools[i];
    return NULL;
}

static pool *find_sandbox_locked(const lc_emulator *em, const char *key)
{
    for (size_t i = 0; i < em->n_sandboxes; i++)
        if (!em->sandboxes[i]->closed && strcmp(em->sandboxes[i]->sandbox, key) == 0)
            return em->sandboxes[i];
    return NULL;
}

lc_status lc_emulator_add_function(lc_emulator *em, lc_function *fn, lc_error *err)
{
    pthread_mutex_lock(&em->mu);
    lc_status st = LC_OK;
    if (find_pool(em, lc_function_name(fn))) {
        st = lc_error_set(err, LC_EINVAL, NULL, 0, 0, "a function named %s exists already",
                          lc_function_name(fn));
    } else {
        pool **pools = realloc(em->pools, (em->n_pools + 1) * sizeof *pools);
        pool *p = calloc(1, sizeof *p);
        if (pools)
            em->pools = pools;
        if (pools == NULL || p == NULL) {
            free(p);
            st = lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
        } else {
            p->fn = fn;
            p->owns_fn = true;
            p->async = lc_async_defaults();
            em->pools[em->n_pools++] = p;
            fn = NULL;
        }
    }
    pthread_mutex_unlock(&em->mu);
    lc_function_free(fn);
    return st;
}

const lc_function *lc_emulator_function(const lc_emulator *em, const char *name)
{
    pool *p = find_pool(em, name);
    return p ? p->fn : NULL;
}

size_t lc_emulator_function_count(const lc_emulator *em)
{
    return em->n_pools;
}

const lc_function *lc_emulator_function_at(const lc_emulator *em, size_t i)
{
    return i < em->n_pools ? em->pools[i]->fn : NULL;
}

const lc_function *lc_emulator_only_function(const lc_emulator *em)
{
    return em->n_pools == 1 ? em->pools[0]->fn : NULL;
}

/* --- the pool -------------------------------------------------------------------------------- */

/* The tenant an invocation names in its context overrides, or "". */
static const char *tenant_of(const json_t *context)
{
    const char *t = json_string_value(json_object_get(context, "tenantId"));
    return t ? t : "";
}

/* An idle slot of another tenant, to give over when the function's concurrency is used up (Lambda
 * reclaims idle environments; a tenant's new one is always cold). */
static slot *idle_of_other_tenant_locked(pool *p, const char *tenant)
{
    for (size_t i = 0; i < p->n_slots; i++)
        if (p->slots[i]->busy == 0 && p->slots[i]->env &&
            strcmp(p->slots[i]->tenant, tenant) != 0)
            return p->slots[i];
    return NULL;
}

/* Takes an idle live environment of this tenant, or reserves a new slot (env NULL) for it while
 * concurrency allows; at the limit, an idle environment of another tenant is taken from it and
 * handed back in *evicted, for the caller to stop outside the lock. */
static slot *acquire_locked(pool *p, const char *tenant, lc_environment **evicted)
{
    *evicted = NULL;
    int per_env = lc_function_max_concurrency(p->fn) > 0 ? lc_function_max_concurrency(p->fn) : 1;
    for (size_t i = 0; i < p->n_slots; i++) {
        slot *s = p->slots[i];
        if (s->busy < per_env && s->env && lc_environment_alive(s->env) &&
            strcmp(s->tenant, tenant) == 0) {
            s->busy++;
            return s;
        }
    }
    if (p->n_slots >= (size_t)lc_function_concurrency(p->fn)) {
        slot *s = idle_of_other_tenant_locked(p, tenant);
        if (s) {
            *evicted = s->env;
            s->env = NULL;
            s->busy = 1;
            snprintf(s->tenant, sizeof s->tenant, "%s", tenant);
        }
        return s;
    }
    slot **slots = realloc(p->slots, (p->n_slots + 1) * sizeof *slots);
    slot *s = calloc(1, sizeof *s);
    if (slots == NULL || s == NULL) {
        free(s);
        if (slots)
            p->slots = slots;
        return NULL;
    }
    p->slots = slots;
    s->busy = 1;
    snprintf(s->tenant, sizeof s->tenant, "%s", tenant);
    p->slots[p->n_slots++] = s;
    return s;
}

static void remove_slot_locked(pool *p, slot *s)
{
    for (size_t i = 0; i < p->n_slots; i++)
        if (p->slots[i] == s) {
            p->slots[i] = p->slots[--p->n_slots];
            break;
        }
}

/* A new Managed Instances environment is started at once (starting is a spawn, not its init),
 * so that the invocations that come while it initialises join it rather than start others, as
 * on Lambda, where environments are ready before invocations arrive. A slot it cannot start is
 * removed and freed. */
static lc_status start_shared_locked(pool *p, slot **s, lc_error *err)
{
    if (*s == NULL || (*s)->env || lc_function_max_concurrency(p->fn) == 0)
        return LC_OK;
    lc_status st = lc_environment_start(p->fn, &(*s)->env, err);
    if (st != LC_OK) {
        remove_slot_locked(p, *s);
        free(*s);
        *s = NULL;
    }
    return st;
}

/* Gives the slot back; a discarded environment is freed (outside the lock). */
static void release(lc_emulator *em, pool *p, slot *s)
{
    lc_environment *dead = NULL;
    pthread_mutex_lock(&em->mu);
    if (--s->busy > 0) { /* others still run in it (Managed Instances): the last one decides */
        s = NULL;
    } else if (s->env && lc_environment_alive(s->env) && !p->closed) {
        s = NULL;
    } else {
        dead = s->env;
        remove_slot_locked(p, s);
    }
    pthread_mutex_unlock(&em->mu);
    lc_environment_free(dead);
    free(s);
}

/* The bytes a result holds in the journal. */
static size_t result_bytes(const lc_result *r)
{
    size_t n = sizeof *r + r->payload_len + r->stream_len + r->log_len +
               r->n_posts * sizeof *r->posts;
    for (size_t i = 0; i < r->n_posts; i++)
        n += r->posts[i].body_len;
    return n;
}

/* The i-th newest result of the journal (i < journal_count). */
static lc_result *journal_newest(lc_emulator *em, size_t i)
{
    return &em->journal[(em->journal_next + em->journal_capacity - 1 - i) % em->journal_capacity];
}

/* Drops the oldest result (mu held). */
static void journal_drop_oldest(lc_emulator *em)
{
    lc_result *oldest = journal_newest(em, em->journal_count - 1);
    em->journal_bytes -= result_bytes(oldest);
    lc_result_clear(oldest);
    em->journal_count--;
}

/* Keeps a copy of r: the newest results are kept, as many as the capacity and the byte cap
 * allow (the newest one always). */
static void journal_add(lc_emulator *em, const lc_result *r)
{
    lc_result copy;
    lc_result_copy(&copy, r);
    size_t bytes = result_bytes(&copy);
    pthread_mutex_lock(&em->mu);
    while (em->journal_count > 0 && (em->journal_count == em->journal_capacity ||
                                     em->journal_bytes + bytes > em->journal_max_bytes))
        journal_drop_oldest(em);
    em->journal[em->journal_next] = copy;
    em->journal_next = (em->journal_next + 1) % em->journal_capacity;
    em->journal_count++;
    em->journal_bytes += bytes;
    pthread_cond_broadcast(&em->journal_cv);
    pthread_mutex_unlock(&em->mu);
}

/* --- invoke ---------------------------------------------------------------------------------- */

static lc_status run_in_slot(pool *p, slot *s, lc_context *ctx, const lc_invoke_options *opt,
                             lc_result *out, lc_error *err)
{
    if (s->env == NULL) {
        lc_status st = lc_environment_start(p->fn, &s->env, err);
        if (st != LC_OK)
            return st;
    }
    const char *payload = opt && opt->payload ? opt->payload : "{}";
    size_t len = opt && opt->payload ? opt->payload_len : 2;
    return lc_environment_invoke(s->env, ctx, payload, len, opt ? opt->content_type : NULL,
                                 opt ? opt->stream : NULL, out, err);
}

/* Refuses a tenant id that is not one Invoke accepts (an empty one too), a missing one for a
 * function with tenancy and one given to a function without, as the Invoke API does. */
static lc_status tenant_check(const lc_function *fn, const json_t *context, lc_error *err)
{
    const json_t *given = json_object_get(context, "tenantId");
    char why[512];
    const char *problem = given && !json_is_string(given) ? "tenantId must be a string"
                          : given ? lc_tenant_id_problem(json_string_value(given), why, sizeof why)
                                  : NULL;
    if (problem == NULL)
        problem = lc_function_tenant_problem(fn, tenant_of(context), why, sizeof why);
    return problem ? lc_error_set(err, LC_EINVAL, NULL, 0, 0, "%s", problem) : LC_OK;
}

/* The pool an invocation runs in: the sandbox it names, or the function's shared pool. */
static lc_status pool_for_locked(lc_emulator *em, const char *function_name,
                                 const lc_invoke_options *opt, pool **out, lc_error *err)
{
    const char *key = opt && opt->sandbox && opt->sandbox[0] ? opt->sandbox : NULL;
    *out = key ? find_sandbox_locked(em, key) : find_pool(em, function_name);
    if (*out == NULL && key)
        return lc_error_set(err, LC_ENOTFOUND, NULL, 0, 0, "no open sandbox %s", key);
    if (*out == NULL)
        return lc_error_set(err, LC_ENOTFOUND, NULL, 0, 0, "Function not found: %s",
                            function_name);
    if (key && strcmp(lc_function_name((*out)->fn), function_name) != 0)
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "sandbox %s belongs to function %s, not %s",
                            key, lc_function_name((*out)->fn), function_name);
    return tenant_check((*out)->fn, opt ? opt->context : NULL, err);
}

lc_status lc_emulator_invoke(lc_emulator *em, const char *function_name,
                             const lc_invoke_options *opt, lc_result *out, lc_error *err)
{
    memset(out, 0, sizeof *out);
    pool *p = NULL;
    pthread_mutex_lock(&em->mu);
    lc_environment *evicted = NULL;
    lc_status found = pool_for_locked(em, function_name, opt, &p, err);
    const char *tenant = tenant_of(opt ? opt->context : NULL);
    slot *s = found == LC_OK ? acquire_locked(p, tenant, &evicted) : NULL;
    if (found == LC_OK)
        found = start_shared_locked(p, &s, err);
    pthread_mutex_unlock(&em->mu);
    lc_environment_free(evicted);
    if (found != LC_OK)
        return found;
    if (s == NULL)
        return lc_error_set(err, LC_EBUSY, NULL, 0, 0,
                            "all %d environments of %s are busy (its concurrency limit)",
                            lc_function_concurrency(p->fn), function_name);
    lc_context *ctx = lc_function_new_context(p->fn);
    lc_status st = ctx ? LC_OK : lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    if (st == LC_OK && opt && opt->context)
        st = lc_context_apply_json(ctx, opt->context, NULL, err);
    if (st == LC_OK)
        st = run_in_slot(p, s, ctx, opt, out, err);
    lc_context_free(ctx);
    release(em, p, s);
    if (st == LC_OK)
        journal_add(em, out);
    return st;
}

/* The newest result of a request (an Event's retries share its id), copied; mu held. */
static lc_status journal_find_locked(lc_emulator *em, const char *request_id, lc_result *out)
{
    for (size_t i = 0; i < em->journal_count; i++) {
        lc_result *r = journal_newest(em, i);
        if (strcmp(r->request_id, request_id) == 0)
            return lc_result_copy(out, r);
    }
    return LC_ENOTFOUND;
}

size_t lc_emulator_journal_size(lc_emulator *em)
{
    pthread_mutex_lock(&em->mu);
    size_t n = em->journal_count;
    pthread_mutex_unlock(&em->mu);
    return n;
}

lc_status lc_emulator_journal_find(lc_emulator *em, const char *request_id, lc_result *out)
{
    pthread_mutex_lock(&em->mu);
    lc_status st = journal_find_locked(em, request_id, out);
    pthread_mutex_unlock(&em->mu);
    return st;
}

lc_status lc_emulator_journal_wait(lc_emulator *em, const char *request_id, long timeout_ms,
                                   lc_result *out)
{
    int64_t deadline = lc_monotonic_ns() + timeout_ms * 1000000LL;
    struct timespec ts = {.tv_sec = deadline / 1000000000, .tv_nsec = deadline % 1000000000};
    lc_status st = LC_ENOTFOUND;
    pthread_mutex_lock(&em->mu);
    for (int rc = 0; st != LC_OK && rc == 0;) {
        st = journal_find_locked(em, request_id, out);
        if (st != LC_OK)
            rc = pthread_cond_timedwait(&em->journal_cv, &em->mu, &ts);
    }
    pthread_mutex_unlock(&em->mu);
    return st == LC_OK ? LC_OK : LC_ETIMEDOUT;
}

size_t lc_emulator_environment_count(lc_emulator *em, const char *function_name)
{
    pthread_mutex_lock(&em->mu);
    pool *p = find_pool(em, function_name);
    size_t n = p ? p->n_slots : 0;
    pthread_mutex_unlock(&em->mu);
    return n;
}

/* --- asynchronous invocations ---------------------------------------------------------------- */

lc_async_config lc_async_defaults(void)
{
    return (lc_async_config){.max_retry_attempts = 2,
                             .max_event_age_ms = 21600L * 1000,
                             .retry_delay_ms = {60000, 120000}};
}

lc_status lc_emulator_set_async(lc_emulator *em, const char *function_name,
                                const lc_async_config *c, lc_error *err)
{
    if (c->max_retry_attempts < 0 || c->max_retry_attempts > 2)
        return lc_error_set(err, LC_ERANGE, NULL, 0, 0,
                            "maximum retry attempts %d is outside 0-2", c->max_retry_attempts);
    if (c->max_event_age_ms <= 0 || c->retry_delay_ms[0] < 0 || c->retry_delay_ms[1] < 0)
        return lc_error_set(err, LC_ERANGE, NULL, 0, 0,
                            "the event age must be positive and retry delays not negative");
    pthread_mutex_lock(&em->mu);
    pool *p = find_pool(em, function_name);
    if (p)
        p->async = *c;
    pthread_mutex_unlock(&em->mu);
    return p ? LC_OK
             : lc_error_set(err, LC_ENOTFOUND, NULL, 0, 0, "Function not found: %s",
                            function_name);
}

lc_status lc_emulator_set_destination_file(lc_emulator *em, const char *path, lc_error *err)
{
    FILE *f = path ? fopen(path, "a") : NULL;
    if (path && f == NULL)
        return lc_error_set(err, LC_EIO, path, 0, 0, "cannot open the destination file: %s",
                            strerror(errno));
    pthread_mutex_lock(&em->q_mu);
    FILE *old = em->destination;
    em->destination = f;
    pthread_mutex_unlock(&em->q_mu);
    if (old)
        fclose(old);
    return LC_OK;
}

static void free_queued(queued *ev)
{
    if (ev == NULL)
        return;
    free(ev->payload);
    json_decref(ev->context);
    lc_result_clear(&ev->last);
    free(ev);
}

/* --- the queue (q_mu held) ------------------------------------------------------------------- */

static bool push_locked(lc_emulator *em, queued *ev)
{
    if (em->n_queue == em->cap_queue) {
        size_t cap = em->cap_queue ? em->cap_queue * 2 : 64;
        queued **q = realloc(em->queue, cap * sizeof *q);
        if (q == NULL)
            return false;
        em->queue = q;
        em->cap_queue = cap;
    }
    em->queue[em->n_queue++] = ev;
    pthread_cond_signal(&em->q_cv);
    return true;
}

static int64_t effective_due(const lc_emulator *em, const queued *ev)
{
    return em->skip_delays && !ev->waiting_for_env ? 0 : ev->due_ns;
}

/* The index of the event due first, or -1 for an empty queue. */
static ssize_t earliest_locked(const lc_emulator *em)
{
    ssize_t best = -1;
    for (size_t i = 0; i < em->n_queue; i++)
        if (best < 0 || effective_due(em, em->queue[i]) < effective_due(em, em->queue[best]))
            best = (ssize_t)i;
    return best;
}

static queued *take_locked(lc_emulator *em, size_t i)
{
    queued *ev = em->queue[i];
    em->queue[i] = em->queue[--em->n_queue];
    return ev;
}

static void wait_until_locked(lc_emulator *em, int64_t due_ns)
{
    struct timespec ts = {.tv_sec = due_ns / 1000000000, .tv_nsec = due_ns % 1000000000};
    pthread_cond_timedwait(&em->q_cv, &em->q_mu, &ts);
}

/* --- destination records ------------------------------------------------------------------- */

/* A JSON value from bytes, or the bytes as a string when they are not JSON, or null. */
static json_t *json_or_text(const char *bytes, size_t n)
{
    json_t *v = bytes ? json_loadb(bytes, n, JSON_DECODE_ANY, NULL) : NULL;
    if (v == NULL && bytes)
        v = json_stringn(bytes, n);
    return v ? v : json_null();
}

static json_t *make_record(const queued *ev, const char *condition)
{
    char stamp[32], arn[700];
    lc_iso_timestamp(lc_now_ms(), stamp);
    snprintf(arn, sizeof arn, "%s:$LATEST", lc_function_arn(ev->p->fn));
    json_t *record = json_pack(
        "{s:s, s:s, s:{s:s, s:s, s:s, s:i}, s:o}", "version", "1.0", "timestamp", stamp,
        "requestContext", "requestId", ev->request_id, "functionArn", arn, "condition", condition,
        "approximateInvokeCount", ev->attempts, "requestPayload",
        json_or_text(ev->payload, ev->payload_len));
    if (ev->attempts == 0)
        return record;
    json_t *response = json_pack("{s:i, s:s}", "statusCode", ev->last.status_code,
                                 "executedVersion", ev->last.executed_version);
    if (ev->last.function_error[0])
        json_object_set_new(response, "functionError", json_string(ev->last.function_error));
    json_object_set_new(record, "responseContext", response);
    json_object_set_new(record, "responsePayload",
                        json_or_text(ev->last.payload, ev->last.payload_len));
    return record;
}

static void count_record(lc_async_counts *c, const char *condition)
{
    if (strcmp(condition, "Success") == 0)
        c->success++;
    else if (strcmp(condition, "RetriesExhausted") == 0)
        c->retries_exhausted++;
    else
        c->event_age_exceeded++;
}

/* Writes the event's one destination record and frees the event. */
static void finish(lc_emulator *em, queued *ev, const char *condition)
{
    json_t *record = make_record(ev, condition);
    char *line = json_dumps(record, JSON_COMPACT | JSON_PRESERVE_ORDER);
    pthread_mutex_lock(&em->q_mu);
    json_array_append_new(em->records, record);
    if (json_array_size(em->records) > em->records_window)
        json_array_remove(em->records, 0);
    count_record(&em->counts, condition);
    if (em->destination && line) {
        fprintf(em->destination, "%s\n", line);
        fflush(em->destination);
    }
    pthread_mutex_unlock(&em->q_mu);
    free(line);
    free_queued(ev);
}

static void requeue(lc_emulator *em, queued *ev, int64_t delay_ns, bool for_env)
{
    ev->due_ns = lc_monotonic_ns() + delay_ns;
    ev->waiting_for_env = for_env;
    pthread_mutex_lock(&em->q_mu);
    bool queued_again = push_locked(em, ev);
    pthread_mutex_unlock(&em->q_mu);
    if (!queued_again) /* out of memory: the event still gets its record */
        finish(em, ev, "RetriesExhausted");
}

/* --- running an event ------------------------------------------------------------------------ */

/* A harness failure (no process could start...) counts as a failed attempt with this body. */
static void failed_attempt(lc_result *r, const queued *ev, const lc_error *err)
{
    lc_result_clear(r);
    snprintf(r->request_id, sizeof r->request_id, "%s", ev->request_id);
    snprintf(r->executed_version, sizeof r->executed_version, "$LATEST");
    snprintf(r->function_error, sizeof r->function_error, "Unhandled");
    snprintf(r->error_type, sizeof r->error_type, "ServiceException");
    r->status_code = 200;
    json_t *body = json_pack("{s:s, s:s}", "errorType", "ServiceException", "errorMessage",
                             err->message[0] ? err->message : lc_strerror(err->status));
    r->payload = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    r->payload_len = r->payload ? strlen(r->payload) : 0;
    json_decref(body);
}

static lc_context *event_context(const queued *ev, lc_error *err)
{
    lc_context *ctx = lc_function_new_context(ev->p->fn);
    if (ctx == NULL)
        return NULL;
    if ((ev->context && lc_context_apply_json(ctx, ev->context, NULL, err) != LC_OK) ||
        lc_context_set_request_id(ctx, ev->request_id, err) != LC_OK) {
        lc_context_free(ctx);
        return NULL;
    }
    return ctx;
}

static void attempt(lc_emulator *em, queued *ev, slot *s, lc_result *r)
{
    lc_error err = {0};
    lc_context *ctx = event_context(ev, &err);
    lc_invoke_options opt = {.payload = ev->payload, .payload_len = ev->payload_len,
                             .content_type = ev->content_type[0] ? ev->content_type : NULL};
    lc_status st = ctx ? run_in_slot(ev->p, s, ctx, &opt, r, &err) : LC_EINVAL;
    lc_context_free(ctx);
    release(em, ev->p, s);
    if (st != LC_OK)
        failed_attempt(r, ev, &err);
    journal_add(em, r);
}

static void run_event(lc_emulator *em, queued *ev)
{
    const lc_async_config *c = ev->p->shared ? &ev->p->shared->async : &ev->p->async;
    if (lc_now_ms() - ev->accepted_ms > c->max_event_age_ms) {
        finish(em, ev, "EventAgeExceeded");
        return;
    }
    lc_environment *evicted = NULL;
    pthread_mutex_lock(&em->mu);
    slot *s = acquire_locked(ev->p, tenant_of(ev->context), &evicted); /* retries keep it too */
    if (s && s->env == NULL && lc_function_max_concurrency(ev->p->fn) > 0)
        (void)lc_environment_start(ev->p->fn, &s->env, NULL); /* else the attempt says why */
    pthread_mutex_unlock(&em->mu);
    lc_environment_free(evicted);
    if (s == NULL) { /* the function's concurrency is used up: wait, as Lambda's queue does */
        requeue(em, ev, ENV_WAIT_NS, true);
        return;
    }
    lc_result r = {0}; /* stays empty when the environment cannot start */
    attempt(em, ev, s, &r);
    lc_result_clear(&ev->last);
    ev->last = r;
    ev->attempts++;
    if (r.function_error[0] == '\0')
        finish(em, ev, "Success");
    else if (ev->attempts <= c->max_retry_attempts) {
        if (ev->p->shared) /* a sandbox serves one attempt: retries run like any other event */
            ev->p = ev->p->shared;
        requeue(em, ev, c->retry_delay_ms[ev->attempts - 1] * 1000000LL, false);
    }
    else
        finish(em, ev, "RetriesExhausted");
}

static void *worker_main(void *arg)
{
    lc_emulator *em = arg;
    pthread_mutex_lock(&em->q_mu);
    while (!em->stopping) {
        ssize_t i = earliest_locked(em);
        if (i < 0) {
            pthread_cond_wait(&em->q_cv, &em->q_mu);
            continue;
        }
        int64_t due = effective_due(em, em->queue[i]);
        if (due > lc_monotonic_ns()) {
            wait_until_locked(em, due);
            continue;
        }
        queued *ev = take_locked(em, (size_t)i);
        em->running++;
        pthread_mutex_unlock(&em->q_mu);
        run_event(em, ev);
        pthread_mutex_lock(&em->q_mu);
        em->running--;
        pthread_cond_broadcast(&em->idle_cv);
    }
    pthread_mutex_unlock(&em->q_mu);
    return NULL;
}

static void start_workers_locked(lc_emulator *em)
{
    while (em->n_workers < ASYNC_WORKERS &&
           pthread_create(&em->workers[em->n_workers], NULL, worker_main, em) == 0)
        em->n_workers++;
}

static void stop_workers(lc_emulator *em)
{
    pthread_mutex_lock(&em->q_mu);
    em->stopping = true;
    pthread_cond_broadcast(&em->q_cv);
    pthread_mutex_unlock(&em->q_mu);
    for (size_t i = 0; i < em->n_workers; i++)
        pthread_join(em->workers[i], NULL);
    for (size_t i = 0; i < em->n_queue; i++)
        free_queued(em->queue[i]);
    free(em->queue);
}

static queued *new_event(pool *p, const lc_invoke_options *opt)
{
    queued *ev = calloc(1, sizeof *ev);
    const char *payload = opt && opt->payload ? opt->payload : "{}";
    size_t len = opt && opt->payload ? opt->payload_len : 2;
    if (ev == NULL || (ev->payload = malloc(len + 1)) == NULL) {
        free(ev);
        return NULL;
    }
    memcpy(ev->payload, payload, len);
    ev->payload[len] = '\0';
    ev->payload_len = len;
    ev->p = p;
    ev->context = opt && opt->context ? json_deep_copy(opt->context) : NULL;
    snprintf(ev->content_type, sizeof ev->content_type, "%s",
             opt && opt->content_type ? opt->content_type : "");
    lc_uuid4(ev->request_id);
    ev->accepted_ms = lc_now_ms();
    ev->due_ns = lc_monotonic_ns();
    return ev;
}

lc_status lc_emulator_enqueue(lc_emulator *em, const char *function_name,
                              const lc_invoke_options *opt, char request_id[129], lc_error *err)
{
    pool *p = NULL;
    pthread_mutex_lock(&em->mu);
    lc_status found = pool_for_locked(em, function_name, opt, &p, err);
    pthread_mutex_unlock(&em->mu);
    if (found != LC_OK)
        return found;
    queued *ev = new_event(p, opt);
    if (ev == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    if (opt && opt->context && json_is_string(json_object_get(opt->context, "requestId")))
        snprintf(ev->request_id, sizeof ev->request_id, "%s",
                 json_string_value(json_object_get(opt->context, "requestId")));
    snprintf(request_id, 129, "%s", ev->request_id);
    pthread_mutex_lock(&em->q_mu);
    start_workers_locked(em);
    bool ok = em->n_workers > 0 && push_locked(em, ev);
    pthread_mutex_unlock(&em->q_mu);
    if (!ok) {
        free_queued(ev);
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "cannot queue the event");
    }
    return LC_OK;
}

lc_status lc_emulator_drain(lc_emulator *em, long timeout_ms, bool skip_delays, lc_error *err)
{
    int64_t deadline = lc_monotonic_ns() + timeout_ms * 1000000LL;
    struct timespec ts = {.tv_sec = deadline / 1000000000, .tv_nsec = deadline % 1000000000};
    pthread_mutex_lock(&em->q_mu);
    em->skip_delays = skip_delays;
    pthread_cond_broadcast(&em->q_cv);
    int rc = 0;
    while ((em->n_queue > 0 || em->running > 0) && rc == 0)
        rc = pthread_cond_timedwait(&em->idle_cv, &em->q_mu, &ts);
    size_t left = em->n_queue + em->running;
    em->skip_delays = false;
    pthread_mutex_unlock(&em->q_mu);
    if (left)
        return lc_error_set(err, LC_ETIMEDOUT, NULL, 0, 0,
                            "%zu asynchronous events still pending after %ld ms", left,
                            timeout_ms);
    return LC_OK;
}

size_t lc_emulator_pending(lc_emulator *em)
{
    pthread_mutex_lock(&em->q_mu);
    size_t n = em->n_queue + em->running;
    pthread_mutex_unlock(&em->q_mu);
    return n;
}

json_t *lc_emulator_async_records(lc_emulator *em)
{
    pthread_mutex_lock(&em->q_mu);
    json_t *copy = json_deep_copy(em->records);
    pthread_mutex_unlock(&em->q_mu);
    return copy;
}

/* --- sandboxes ------------------------------------------------------------------------------ */

static lc_status new_sandbox(pool *shared, const json_t *variables, bool unrestored, pool **out,
                             lc_error *err)
{
    pool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    p->shared = shared;
    p->fn = shared->fn;
    unrestored = unrestored && lc_function_snapstart(shared->fn);
    if ((variables && json_object_size(variables) > 0) || unrestored) {
        lc_status st = lc_function_copy_with(shared->fn, variables, &p->fn, err);
        if (st != LC_OK) {
            free(p);
            return st;
        }
        p->owns_fn = true;
        if (unrestored)
            lc_function_set_from_snapshot(p->fn, false);
    }
    lc_uuid4(p->sandbox);
    *out = p;
    return LC_OK;
}

static lc_status open_sandbox(lc_emulator *em, const char *function_name,
                              const json_t *variables, bool unrestored,
                              char key[LC_SANDBOX_KEY_SIZE], lc_error *err)
{
    key[0] = '\0';
    pthread_mutex_lock(&em->mu);
    pool *shared = find_pool(em, function_name), *p = NULL;
    lc_status st = shared ? new_sandbox(shared, variables, unrestored, &p, err)
                          : lc_error_set(err, LC_ENOTFOUND, NULL, 0, 0, "Function not found: %s",
                                         function_name);
    pool **list = st == LC_OK ? realloc(em->sandboxes, (em->n_sandboxes + 1) * sizeof *list) : NULL;
    if (st == LC_OK && list == NULL)
        st = lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    if (st == LC_OK) {
        em->sandboxes = list;
        em->sandboxes[em->n_sandboxes++] = p;
        snprintf(key, LC_SANDBOX_KEY_SIZE, "%s", p->sandbox);
    } else if (p) {
        free_pool(p);
    }
    pthread_mutex_unlock(&em->mu);
    return st;
}

lc_status lc_emulator_sandbox_open(lc_emulator *em, const char *function_name,
                                   const json_t *variables, char key[LC_SANDBOX_KEY_SIZE],
                                   lc_error *err)
{
    return open_sandbox(em, function_name, variables, false, key, err);
}

lc_status lc_emulator_sandbox_open_unrestored(lc_emulator *em, const char *function_name,
                                              const json_t *variables,
                                              char key[LC_SANDBOX_KEY_SIZE], lc_error *err)
{
    return open_sandbox(em, function_name, variables, true, key, err);
}

void lc_emulator_sandbox_close(lc_emulator *em, const char *key)
{
    lc_environment **idle = NULL;
    size_t n_idle = 0;
    pthread_mutex_lock(&em->mu);
    pool *p = find_sandbox_locked(em, key);
    if (p) {
        p->closed = true;
        idle = calloc(p->n_slots ? p->n_slots : 1, sizeof *idle);
        for (size_t i = 0; idle && i < p->n_slots;) {
            slot *s = p->slots[i];
            if (s->busy) { /* stopped by release() when its invocation ends */
                i++;
                continue;
            }
            idle[n_idle++] = s->env;
            free(s);
            p->slots[i] = p->slots[--p->n_slots];
        }
    }
    pthread_mutex_unlock(&em->mu);
    lc_environment_free_all(idle, n_idle);
    free(idle);
}

lc_async_counts lc_emulator_async_counts(lc_emulator *em)
{
    pthread_mutex_lock(&em->q_mu);
    lc_async_counts c = em->counts;
    pthread_mutex_unlock(&em->q_mu);
    return c;
}
