#include "lambdacheck/emulator.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    lc_environment *env; /* NULL while it is being started */
    bool busy;
} slot;

typedef struct {
    lc_function *fn;
    slot **slots;
    size_t n_slots;
} pool;

struct lc_emulator {
    pthread_mutex_t mu;
    pool *pools;
    size_t n_pools;
    lc_result *journal; /* a ring of journal_capacity results */
    size_t journal_capacity, journal_next, journal_count;
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
    pthread_mutex_init(&em->mu, NULL);
    *out = em;
    return LC_OK;
}

void lc_emulator_free(lc_emulator *em)
{
    if (em == NULL)
        return;
    for (size_t i = 0; i < em->n_pools; i++) {
        for (size_t j = 0; j < em->pools[i].n_slots; j++) {
            lc_environment_free(em->pools[i].slots[j]->env);
            free(em->pools[i].slots[j]);
        }
        free(em->pools[i].slots);
        lc_function_free(em->pools[i].fn);
    }
    free(em->pools);
    for (size_t i = 0; i < em->journal_capacity; i++)
        lc_result_clear(&em->journal[i]);
    free(em->journal);
    pthread_mutex_destroy(&em->mu);
    free(em);
}

static pool *find_pool(const lc_emulator *em, const char *name)
{
    for (size_t i = 0; i < em->n_pools; i++)
        if (strcmp(lc_function_name(em->pools[i].fn), name) == 0)
            return &em->pools[i];
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
        pool *pools = realloc(em->pools, (em->n_pools + 1) * sizeof *pools);
        if (pools == NULL) {
            st = lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
        } else {
            em->pools = pools;
            em->pools[em->n_pools++] = (pool){.fn = fn};
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

/* --- the pool -------------------------------------------------------------------------------- */

/* Takes an idle live environment, or reserves a new slot (env NULL) while concurrency allows. */
static slot *acquire_locked(pool *p)
{
    for (size_t i = 0; i < p->n_slots; i++) {
        slot *s = p->slots[i];
        if (!s->busy && s->env && lc_environment_alive(s->env)) {
            s->busy = true;
            return s;
        }
    }
    if (p->n_slots >= (size_t)lc_function_concurrency(p->fn))
        return NULL;
    slot **slots = realloc(p->slots, (p->n_slots + 1) * sizeof *slots);
    slot *s = calloc(1, sizeof *s);
    if (slots == NULL || s == NULL) {
        free(s);
        if (slots)
            p->slots = slots;
        return NULL;
    }
    p->slots = slots;
    s->busy = true;
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

/* Gives the slot back; a discarded environment is freed (outside the lock). */
static void release(lc_emulator *em, pool *p, slot *s)
{
    lc_environment *dead = NULL;
    pthread_mutex_lock(&em->mu);
    if (s->env && lc_environment_alive(s->env)) {
        s->busy = false;
        s = NULL;
    } else {
        dead = s->env;
        remove_slot_locked(p, s);
    }
    pthread_mutex_unlock(&em->mu);
    lc_environment_free(dead);
    free(s);
}

static void journal_add(lc_emulator *em, const lc_result *r)
{
    lc_result copy;
    lc_result_copy(&copy, r);
    pthread_mutex_lock(&em->mu);
    lc_result old = em->journal[em->journal_next];
    em->journal[em->journal_next] = copy;
    em->journal_next = (em->journal_next + 1) % em->journal_capacity;
    if (em->journal_count < em->journal_capacity)
        em->journal_count++;
    pthread_mutex_unlock(&em->mu);
    lc_result_clear(&old);
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
    return lc_environment_invoke(s->env, ctx, payload, len, opt ? opt->content_type : NULL, out,
                                 err);
}

lc_status lc_emulator_invoke(lc_emulator *em, const char *function_name,
                             const lc_invoke_options *opt, lc_result *out, lc_error *err)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&em->mu);
    pool *p = find_pool(em, function_name);
    slot *s = p ? acquire_locked(p) : NULL;
    pthread_mutex_unlock(&em->mu);
    if (p == NULL)
        return lc_error_set(err, LC_ENOTFOUND, NULL, 0, 0, "Function not found: %s",
                            function_name);
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

size_t lc_emulator_journal_size(lc_emulator *em)
{
    pthread_mutex_lock(&em->mu);
    size_t n = em->journal_count;
    pthread_mutex_unlock(&em->mu);
    return n;
}

lc_status lc_emulator_journal_find(lc_emulator *em, const char *request_id, lc_result *out)
{
    lc_status st = LC_ENOTFOUND;
    pthread_mutex_lock(&em->mu);
    for (size_t i = 0; i < em->journal_count && st != LC_OK; i++)
        if (strcmp(em->journal[i].request_id, request_id) == 0)
            st = lc_result_copy(out, &em->journal[i]);
    pthread_mutex_unlock(&em->mu);
    return st;
}

size_t lc_emulator_environment_count(lc_emulator *em, const char *function_name)
{
    pthread_mutex_lock(&em->mu);
    pool *p = find_pool(em, function_name);
    size_t n = p ? p->n_slots : 0;
    pthread_mutex_unlock(&em->mu);
    return n;
}
