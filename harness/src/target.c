#include "lambdacheck/target.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "lambdacheck/invoke_server.h"

#define MAX_CLIENTS 32

struct lc_target {
    lc_emulator *em;          /* local only */
    lc_invoke_server *server; /* local only */
    lc_client_options options; /* to make more clients; endpoint points into endpoint[] */
    char endpoint[1024];
    lc_client *client;        /* the first one, always there */
    pthread_mutex_t mu;       /* guards the idle clients */
    lc_client *idle[MAX_CLIENTS];
    size_t n_idle;
};

static lc_target *new_target(void)
{
    lc_target *t = calloc(1, sizeof *t);
    if (t)
        pthread_mutex_init(&t->mu, NULL);
    return t;
}

/* The first client starts idle. */
static void keep_first_client(lc_target *t)
{
    t->idle[t->n_idle++] = t->client;
}

lc_status lc_target_new_local(lc_target **out, lc_error *err)
{
    *out = NULL;
    lc_target *t = new_target();
    if (t == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    lc_status st = lc_emulator_new(NULL, &t->em, err);
    if (st == LC_OK)
        st = lc_invoke_server_start(t->em, NULL, &t->server, err);
    if (st == LC_OK) {
        snprintf(t->endpoint, sizeof t->endpoint, "%s", lc_invoke_server_url(t->server));
        t->options = (lc_client_options){.endpoint_url = t->endpoint, .region = "us-east-1"};
        st = lc_client_new(&t->options, &t->client, err);
    }
    if (st != LC_OK) {
        lc_target_free(t);
        return st;
    }
    keep_first_client(t);
    *out = t;
    return LC_OK;
}

lc_status lc_target_new_remote(const lc_client_options *opt, lc_target **out, lc_error *err)
{
    *out = NULL;
    lc_target *t = new_target();
    if (t == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    lc_status st = lc_client_new(opt, &t->client, err);
    if (st != LC_OK) {
        lc_target_free(t);
        return st;
    }
    /* the first client resolved region and credentials; the others copy its endpoint */
    snprintf(t->endpoint, sizeof t->endpoint, "%s", lc_client_endpoint(t->client));
    t->options = *opt;
    t->options.endpoint_url = t->endpoint;
    keep_first_client(t);
    *out = t;
    return LC_OK;
}

void lc_target_free(lc_target *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n_idle; i++)
        if (t->idle[i] != t->client)
            lc_client_free(t->idle[i]);
    lc_client_free(t->client);
    lc_invoke_server_free(t->server);
    lc_emulator_free(t->em);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

bool lc_target_is_local(const lc_target *t)
{
    return t->em != NULL;
}

lc_emulator *lc_target_emulator(lc_target *t)
{
    return t->em;
}

const char *lc_target_endpoint(const lc_target *t)
{
    return lc_client_endpoint(t->client);
}

/* An idle client, or a new one: each call has its own connection, so calls run in parallel. */
static lc_client *take_client(lc_target *t, lc_error *err)
{
    pthread_mutex_lock(&t->mu);
    lc_client *c = t->n_idle ? t->idle[--t->n_idle] : NULL;
    pthread_mutex_unlock(&t->mu);
    if (c == NULL && lc_client_new(&t->options, &c, err) != LC_OK)
        return NULL;
    return c;
}

static void give_back(lc_target *t, lc_client *c)
{
    pthread_mutex_lock(&t->mu);
    bool kept = t->n_idle < MAX_CLIENTS;
    if (kept)
        t->idle[t->n_idle++] = c;
    pthread_mutex_unlock(&t->mu);
    if (!kept && c != t->client)
        lc_client_free(c);
}

lc_status lc_target_invoke(lc_target *t, const lc_invoke_request *req, lc_invoke_response *resp,
                           lc_error *err)
{
    lc_client *c = take_client(t, err);
    if (c == NULL)
        return err && err->status ? err->status : LC_ENOMEM;
    lc_status st = lc_client_invoke(c, req, resp, err);
    give_back(t, c);
    return st;
}
