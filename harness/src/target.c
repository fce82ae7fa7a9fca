#include "lambdacheck/target.h"

#include <pthread.h>
#include <stdlib.h>

#include "lambdacheck/invoke_server.h"

struct lc_target {
    lc_emulator *em;          /* local only */
    lc_invoke_server *server; /* local only */
    lc_client *client;
    pthread_mutex_t mu; /* one client connection */
};

static lc_target *new_target(void)
{
    lc_target *t = calloc(1, sizeof *t);
    if (t)
        pthread_mutex_init(&t->mu, NULL);
    return t;
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
        lc_client_options o = {.endpoint_url = lc_invoke_server_url(t->server),
                               .region = "us-east-1"};
        st = lc_client_new(&o, &t->client, err);
    }
    if (st != LC_OK) {
        lc_target_free(t);
        return st;
    }
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
    *out = t;
    return LC_OK;
}

void lc_target_free(lc_target *t)
{
    if (t == NULL)
        return;
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

lc_status lc_target_invoke(lc_target *t, const lc_invoke_request *req, lc_invoke_response *resp,
                           lc_error *err)
{
    pthread_mutex_lock(&t->mu);
    lc_status st = lc_client_invoke(t->client, req, resp, err);
    pthread_mutex_unlock(&t->mu);
    return st;
}
