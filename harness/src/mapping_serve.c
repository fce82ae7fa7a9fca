/* serve's mapping requests: a queue or stream a client sends, drained into a served function
 * (mapping_serve.h). */
#include "mapping_serve.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lambdacheck/json_util.h"
#include "mapping_case.h"
#include "settings.h"

/* A batch the function's concurrency has no room for is tried again this often, this many times,
 * before it counts as throttled. Lambda backs off and retries a throttled batch until its
 * messages' visibility timeout runs out, and then they are visible in the queue again, as after a
 * failure (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html,
 * "Backoff strategy for failed invocations"): the virtual clock cannot wait for the function, so
 * the real wait is short and the batch then fails. */
#define BUSY_RETRY_MS 10
#define BUSY_RETRIES 200

bool lc__mapping_serve_source_known(const char *source)
{
    return strcmp(source, "sqs") == 0 || strcmp(source, "kinesis") == 0 ||
           strcmp(source, "dynamodb") == 0;
}

typedef struct {
    const lc__mapping_request *rq;
    lc_result r; /* the last batch's result, while have_result */
    bool have_result;
} run;

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* One synchronous invocation of the function, waiting a little while its concurrency is full. */
static lc_status invoke(run *x, const char *payload, lc_result *r, lc_error *err)
{
    lc_invoke_options opt = {
        .payload = payload, .payload_len = strlen(payload), .sandbox = x->rq->sandbox};
    lc_status st = LC_EBUSY;
    for (int tries = 0; st == LC_EBUSY && tries <= BUSY_RETRIES; tries++) {
        if (tries)
            sleep_ms(BUSY_RETRY_MS);
        st = lc_emulator_invoke(x->rq->em, lc_function_name(x->rq->fn), &opt, r, err);
    }
    return st;
}

static lc_status invoke_batch(void *data, const json_t *event, lc_sqs_answer *answer, lc_error *err)
{
    run *x = data;
    if (x->have_result)
        lc_result_clear(&x->r);
    x->have_result = false;
    memset(answer, 0, sizeof *answer);
    char *payload = json_dumps(event, JSON_COMPACT);
    if (payload == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    lc_status st = invoke(x, payload, &x->r, err);
    free(payload);
    if (st == LC_EBUSY) { /* still no room: the batch fails, as a throttled one does */
        answer->failed = true;
        answer->error_type = "TooManyRequestsException";
        return LC_OK;
    }
    if (st != LC_OK)
        return st;
    x->have_result = true;
    if (x->rq->on_batch)
        x->rq->on_batch(x->rq->data, x->rq->source, &x->r);
    /* a function error, a timeout, a crash, or a SnapStart restore that failed (its status) */
    answer->failed = x->r.function_error[0] != '\0' || x->r.status_code != 200;
    if (answer->failed) {
        /* its errorType says more than "Unhandled" (Runtime.UserCodeSyntaxError, ValueError) */
        answer->error_type = x->r.error_type[0] ? x->r.error_type : x->r.function_error;
    } else {
        answer->payload = x->r.payload;
        answer->payload_len = x->r.payload_len;
    }
    return LC_OK;
}

/* The body, parsed: an error names the line and column of what is not JSON. */
static lc_status parse_body(const char *body, size_t len, json_t **out, lc_error *err)
{
    *out = NULL;
    if (len == 0)
        return lc_error_set(err, LC_EINVAL, "request body", 0, 0,
                            "empty: give the queue's messages or the stream's records");
    lc_status st = lc_json_validate(body, len, "request body", err);
    if (st != LC_OK)
        return st;
    json_error_t jerr;
    *out = json_loadb(body, len, 0, &jerr); /* validated: only memory can fail it */
    if (*out == NULL)
        return lc_error_set(err, LC_EJSON, "request body", jerr.line, jerr.column, "%s", jerr.text);
    return LC_OK;
}

lc_status lc__mapping_serve(const lc__mapping_request *rq, const char *body, size_t len,
                            json_t **answer, lc_error *err)
{
    *answer = NULL;
    json_t *given = NULL;
    lc_status st = parse_body(body, len, &given, err);
    if (st != LC_OK)
        return st;
    /* its "eventSource" (the mapping's own settings, as a case gives them) apart; the rest is
       the body as a case's source: {source: body} */
    json_t *event_source = json_incref(json_object_get(given, "eventSource"));
    if (json_is_object(given))
        json_object_del(given, "eventSource");
    json_t *spec = json_object();
    json_object_set_new(spec, rq->source, given);
    lc__mapping_case mapping;
    st = lc__settings_check_mapping(event_source, "eventSource", "request body", err);
    if (st == LC_OK)
        st =
            lc__mapping_case_read(spec, rq->source, event_source, lc_function_event_sources(rq->fn),
                                  "request body", &mapping, err);
    if (st == LC_OK) {
        run x = {.rq = rq};
        json_t *outcome = NULL;
        st = lc__mapping_case_run(&mapping, invoke_batch, &x, &outcome, err);
        if (x.have_result)
            lc_result_clear(&x.r);
        if (st == LC_OK) {
            *answer = json_pack("{s:s, s:s, s:o}", "function", lc_function_name(rq->fn), "source",
                                rq->source, "settings", lc__mapping_case_settings(&mapping));
            json_object_update(*answer, outcome);
        }
        json_decref(outcome);
        lc__mapping_case_clear(&mapping);
    }
    json_decref(spec);
    json_decref(event_source);
    return st;
}
