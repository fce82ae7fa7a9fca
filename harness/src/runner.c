/* Running handler libraries' cases against a target (the runner module; loading is library.c). */
#include "library.h"
#include "settings.h"
#include "mapping_case.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambdacheck/aws_endpoint.h"
#include "lambdacheck/buf.h"
#include "lambdacheck/concurrency.h"
#include "lambdacheck/contracts.h"
#include "lambdacheck/event.h"
#include "lambdacheck/event_filter.h"
#include "lambdacheck/gateway.h"
#include "lambdacheck/invoke_server.h"
#include "lambdacheck/json_util.h"
#include "lambdacheck/runtime_api.h"

/* How long an Event case waits for the emulator to have run its event (local targets). */
#define ASYNC_WAIT_MS 60000

/* --- runs ---------------------------------------------------------------------------------------- */

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

static void clear_result(lc_case_result *r)
{
    lc_verdicts_clear(&r->verdicts);
    free(r->log);
    r->log = NULL;
    free(r->aws_calls);
    r->aws_calls = NULL;
}

void lc_run_free(lc_run *run)
{
    if (run == NULL)
        return;
    for (size_t i = 0; i < run->count; i++)
        clear_result(&run->cases[i]);
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
        n += !run->cases[i].passed && !run->cases[i].skipped;
    return n;
}

size_t lc_run_skipped(const lc_run *run)
{
    size_t n = 0;
    for (size_t i = 0; i < run->count; i++)
        n += run->cases[i].skipped;
    return n;
}

void lc_run_add_duration(lc_run *run, double ms)
{
    pthread_mutex_lock(&run->mu);
    run->duration_ms += ms;
    pthread_mutex_unlock(&run->mu);
}

/* Takes r's contents (verdicts and log) into the run. */
static lc_status take_result(lc_run *run, lc_case_result *r)
{
    pthread_mutex_lock(&run->mu);
    lc_status st = LC_OK;
    if (run->count == run->cap) {
        size_t cap = run->cap ? run->cap * 2 : 32;
        lc_case_result *cases = realloc(run->cases, cap * sizeof *cases);
        if (cases) {
            run->cases = cases;
            run->cap = cap;
        } else {
            st = LC_ENOMEM;
        }
    }
    if (st == LC_OK)
        run->cases[run->count++] = *r;
    else
        clear_result(r);
    pthread_mutex_unlock(&run->mu);
    return st;
}

lc_status lc_run_append(lc_run *run, const lc_case_result *r)
{
    lc_case_result copy = *r;
    copy.log = strdup(r->log ? r->log : "");
    copy.aws_calls = r->aws_calls ? strdup(r->aws_calls) : NULL;
    copy.verdicts.items = r->verdicts.count ? malloc(r->verdicts.count * sizeof *r->verdicts.items)
                                            : NULL;
    if (copy.log == NULL || (r->verdicts.count && copy.verdicts.items == NULL)) {
        clear_result(&copy);
        return LC_ENOMEM;
    }
    if (r->verdicts.count)
        memcpy(copy.verdicts.items, r->verdicts.items, r->verdicts.count * sizeof *r->verdicts.items);
    return take_result(run, &copy);
}

/* --- one invocation ------------------------------------------------------------------------------ */

/* What a case's run needs to know besides the case. */
typedef struct {
    const lc_library *lib;
    const lc_runner_options *opt;
    lc_target *target;   /* the library's local target, or the remote one */
    lc_aws_endpoint *aws; /* local runs: where the functions' AWS calls go; NULL when they go to
                             aws_url */
    const char *aws_url; /* the user's endpoint (--aws-endpoint, "awsEndpoint"), or NULL */
    lc_gateway *gateway; /* local runs with HTTP cases: the library's APIs, or NULL */
    json_t *endpoints;   /* their base URLs (lc_gateway_endpoints), or NULL */
    char http_key[32], http_secret[48]; /* the key pair AWS_IAM function URLs take, made per run */
} context;

/* Where one case's AWS calls go, and what it can see of them. */
typedef struct {
    char scope[LC_AWS_SCOPE_SIZE]; /* its scope of the endpoint, "" when it has none */
    char unseen[700];              /* why its calls cannot be seen ("" when they can) */
    size_t from;                   /* calls of the scope before the current invocation */
    json_t *vars;                  /* owned: the variables of the case's environments (the
                                      endpoint's under the case's own), NULL when none */
} aws_view;

static void append_log(lc_case_result *r, const char *log, size_t len)
{
    size_t have = r->log ? strlen(r->log) : 0;
    char *grown = realloc(r->log, have + len + 1);
    if (grown == NULL)
        return;
    memcpy(grown + have, log, len);
    grown[have + len] = '\0';
    r->log = grown;
}

/* The emulator's run of this request (local targets): journalled before a synchronous answer
 * was sent; an Event runs later, so it is waited for. */
static bool find_journal(const context *ctx, const char *type, const lc_invoke_response *resp,
                         lc_result *journal)
{
    lc_emulator *em = lc_target_emulator(ctx->target);
    if (em == NULL || strcmp(type, "DryRun") == 0 || resp->request_id[0] == '\0')
        return false;
    long wait = strcmp(type, "Event") == 0 ? ASYNC_WAIT_MS : 0;
    return lc_emulator_journal_wait(em, resp->request_id, wait, journal) == LC_OK;
}

/* When the event comes from a known service, the response must honour its contract, as the
 * function's event source is configured. */
static void source_contract(const context *ctx, const lc__case *c, const lc__step *step,
                            const lc_invoke_response *resp, lc_verdicts *out)
{
    /* a stream's bytes are not a service's response object (a function URL reads the prelude) */
    if (strcmp(step->type, "RequestResponse") != 0 || resp->function_error[0] ||
        resp->status != 200 || resp->streamed)
        return;
    json_t *event = json_loads(step->event, JSON_DECODE_ANY, NULL);
    lc_source_settings settings = lc__settings_for_event(
        event, c->event_source, lc__library_function(ctx->lib, c->function)->event_sources);
    lc_source_contract_check(event, resp->payload, resp->payload_len, &settings, out);
    json_decref(event);
}

/* The records of a queue or stream event that the function's mapping would never deliver: its
 * FilterCriteria drop them (SQS deletes them, streams skip them:
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html). A case that
 * sends them tests what Lambda does not do: a warning naming each record and why. */
static void event_filters(const context *ctx, const lc__case *c, const lc__step *step,
                          lc_case_result *r)
{
    json_t *event = json_loads(step->event, JSON_DECODE_ANY, NULL);
    const json_t *patterns = lc__settings_filters(
        event, c->event_source, lc__library_function(ctx->lib, c->function)->event_sources);
    const json_t *records = json_object_get(event, "Records");
    if (json_array_size(patterns) == 0 || !json_is_array(records)) {
        json_decref(event);
        return;
    }
    lc_event_filter *filters[LC_FILTER_MAX] = {0};
    size_t n = 0, i, dropped = 0;
    const json_t *p;
    json_array_foreach(patterns, i, p)
        if (n < LC_FILTER_MAX && lc_event_filter_parse(json_string_value(p), "filter", &filters[n],
                                                       NULL) == LC_OK)
            n++;
    lc_buf list;
    lc_buf_init(&list, 800);
    const json_t *record;
    bool sqs = false;
    json_array_foreach(records, i, record) {
        json_t *view = lc_event_filter_view(record, NULL);
        const char *source = json_string_value(json_object_get(record, "eventSource"));
        sqs = sqs || (source && strcmp(source, "aws:sqs") == 0);
        bool passes = false;
        for (size_t k = 0; k < n && !passes; k++)
            passes = lc_event_filter_match(filters[k], view, NULL);
        if (!passes) {
            lc_buf why;
            lc_buf_init(&why, 300);
            if (n)
                lc_event_filter_match(filters[0], view, &why);
            lc_buf_printf(&list, "%srecord %zu (filter 1: %s)", dropped ? "; " : "", i,
                          why.data ? why.data : "");
            lc_buf_free(&why);
            dropped++;
        }
        json_decref(view);
    }
    if (dropped)
        lc_verdicts_warn(&r->verdicts, "event-filters",
                         "%zu of %zu records would not reach the function: its mapping's "
                         "FilterCriteria drop them (Lambda %s them): %s",
                         dropped, json_array_size(records), sqs ? "deletes" : "skips", list.data);
    else
        lc_verdicts_add(&r->verdicts, "event-filters", true,
                        "each of the %zu records passes the mapping's FilterCriteria",
                        json_array_size(records));
    lc_buf_free(&list);
    for (size_t k = 0; k < n; k++)
        lc_event_filter_free(filters[k]);
    json_decref(event);
}

static void evaluate(const context *ctx, const lc__case *c, const lc__step *step,
                     const lc_invoke_response *resp, aws_view *aws, lc_case_result *r)
{
    lc_result journal = {0};
    bool have = find_journal(ctx, step->type, resp, &journal);
    json_t *calls = aws->scope[0] ? lc_aws_endpoint_calls(ctx->aws, aws->scope, aws->from) : NULL;
    bool local = lc_target_emulator(ctx->target) != NULL;
    lc_observation o = {.invocation_type = step->type,
                        .status = resp->status,
                        .function_error = resp->function_error,
                        .request_id = resp->request_id,
                        .payload = resp->payload,
                        .payload_len = resp->payload_len,
                        .runtime = lc__library_function(ctx->lib, c->function)->runtime,
                        .local = local,
                        .journal = have ? &journal : NULL,
                        .streamed = resp->streamed,
                        .aws_calls = calls,
                        .aws_unseen = aws->unseen};
    if (resp->streamed) { /* a stream's error is judged as a buffered caller would see it */
        o.stream = resp->payload;
        o.stream_len = resp->payload_len;
        if (resp->function_error[0] && resp->error_details) {
            o.payload = resp->error_details;
            o.payload_len = strlen(resp->error_details);
        }
    }
    if (have) {
        o.log = journal.log;
        o.log_len = journal.log_len;
        o.log_truncated = journal.log_dropped > 0;
    } else if (resp->log_result) {
        o.log = resp->log_result;
        o.log_len = resp->log_result_len;
        o.log_is_tail = true;
    }
    if (step->expect)
        lc_expect_check(step->expect, &o, &r->verdicts);
    lc_contracts_check(&o, step->expect, &r->verdicts);
    source_contract(ctx, c, step, resp, &r->verdicts);
    event_filters(ctx, c, step, r);
    if (o.log)
        append_log(r, o.log, o.log_len);
    lc_result_clear(&journal);
    json_decref(calls);
}

/* --- one HTTP request -------------------------------------------------------------------------- */

/* The base URL of the API an HTTP step names (its "api", or the only one). */
static const char *step_base(const context *ctx, const lc__step *step)
{
    const char *api = step->http_api;
    return json_string_value(json_object_get(json_object_get(ctx->endpoints, "apis"), api))
               ?: json_string_value(
                      json_object_get(json_object_get(ctx->endpoints, "functionUrls"), api));
}

/* The journal's result of an invocation the gateway named in a header of its own (it names them
 * for lambdacheck's requests only): the route's function, or its authorizer. */
static bool http_journal(const context *ctx, const lc_http_answer *a, const char *header,
                         lc_result *out)
{
    const char *id = json_string_value(json_array_get(json_object_get(a->headers, header), 0));
    memset(out, 0, sizeof *out);
    return id && lc_emulator_journal_find(lc_target_emulator(ctx->target), id, out) == LC_OK;
}

/* What an HTTP step's expectations besides expect.http look at: the routed function's log,
 * cold start and duration, and the AWS calls of the step. */
static void http_observed(const context *ctx, const lc__case *c, const lc__step *step,
                          const lc_result *fn, bool have, aws_view *aws, lc_case_result *r)
{
    json_t *rest = json_deep_copy(step->expect);
    json_object_del(rest, "http");
    if (json_object_size(rest) == 0) {
        json_decref(rest);
        return;
    }
    json_t *calls = aws->scope[0] ? lc_aws_endpoint_calls(ctx->aws, aws->scope, aws->from) : NULL;
    lc_observation o = {.invocation_type = "RequestResponse",
                        .status = 200,
                        .runtime = lc__library_function(ctx->lib, c->function)->runtime,
                        .local = true,
                        .journal = have ? fn : NULL,
                        .log = have ? fn->log : NULL,
                        .log_len = have ? fn->log_len : 0,
                        .aws_calls = calls,
                        .aws_unseen = aws->unseen};
    lc_expect_check(rest, &o, &r->verdicts);
    json_decref(calls);
    json_decref(rest);
}

/* Whether an HTTP step goes to a function URL with AuthType AWS_IAM (its requests are signed
 * with the gateway's key pair unless the step says "signed": false). */
static bool iam_target(const context *ctx, const lc__step *step)
{
    const json_t *urls = json_object_get(ctx->lib->http, "functionUrls");
    for (size_t i = 0; i < json_array_size(urls); i++) {
        const json_t *u = json_array_get(urls, i);
        const char *auth = json_string_value(json_object_get(u, "authType"));
        if (strcmp(json_string_value(json_object_get(u, "function")), step->http_api) == 0)
            return auth && strcmp(auth, "AWS_IAM") == 0 &&
                   !json_is_false(json_object_get(step->http, "signed"));
    }
    return false;
}

static void judge_http(const context *ctx, const lc__case *c, const lc__step *step,
                       const lc_http_answer *a, aws_view *aws, lc_case_result *r)
{
    if (step->expect && json_object_get(step->expect, "http"))
        lc_expect_http_check(json_object_get(step->expect, "http"), a, &r->verdicts);
    else
        lc_verdicts_add(&r->verdicts, "http.status", a->status < 500,
                        "status %ld (a case without expect.http passes unless the answer is a "
                        "5xx)",
                        a->status);
    lc_result fn, auth;
    bool have = http_journal(ctx, a, "x-lambdacheck-request-id", &fn);
    if (http_journal(ctx, a, "x-lambdacheck-authorizer-request-id", &auth) && auth.log)
        append_log(r, auth.log, auth.log_len);
    if (have && strcmp(fn.function_name, c->function) != 0)
        lc_verdicts_add(&r->verdicts, "http.function", false,
                        "the request reached function %s, not the case's function %s",
                        fn.function_name, c->function);
    http_observed(ctx, c, step, &fn, have, aws, r);
    if (have && fn.log)
        append_log(r, fn.log, fn.log_len);
    lc_result_clear(&fn);
    lc_result_clear(&auth);
}

static lc_status http_step(const context *ctx, const lc__case *c, const lc__step *step,
                           const char *sandbox, aws_view *aws, lc_case_result *r, lc_error *err)
{
    const char *base = step_base(ctx, step);
    if (base == NULL)
        return lc_error_set(err, LC_ENOTFOUND, c->path, 0, 0, "no such API is served");
    if (aws->scope[0])
        aws->from = lc_aws_endpoint_call_count(ctx->aws, aws->scope);
    char url[4096], sandbox_value[200];
    snprintf(url, sizeof url, "%s%s", base, json_string_value(json_object_get(step->http, "path")));
    json_t *headers = json_deep_copy(json_object_get(step->http, "headers"));
    if (headers == NULL)
        headers = json_object();
    snprintf(sandbox_value, sizeof sandbox_value, "%s=%s", c->function, sandbox);
    if (sandbox[0])
        json_object_set_new(headers, LC_SANDBOX_HEADER, json_string(sandbox_value));
    bool sign = iam_target(ctx, step);
    lc_http_request req = {.method = json_string_value(json_object_get(step->http, "method")),
                           .url = url,
                           .headers = headers,
                           .body = step->http_body,
                           .body_len = step->http_body_len,
                           .sigv4_access_key_id = sign ? ctx->http_key : NULL,
                           .sigv4_secret_access_key = sign ? ctx->http_secret : NULL};
    lc_http_answer a;
    lc_status st = lc_http_call(&req, &a, err);
    json_decref(headers);
    if (st != LC_OK)
        return st;
    judge_http(ctx, c, step, &a, aws, r);
    lc_http_answer_clear(&a);
    return LC_OK;
}

/* --- a mapping run into the function: a queue drained, a stream read ---------------------- */

/* What the mapping's invocations share: the case, its sandbox, the last answer (kept until the
 * next call, as lc_sqs_invoke asks). */
typedef struct {
    const context *ctx;
    const lc__case *c;
    const char *sandbox;
    lc_case_result *r;
    lc_invoke_response resp;
    bool have_resp;
    size_t batch;
    lc_buf log;         /* the invocations' logs, at most LC_LOG_MAX_BYTES of them */
    size_t log_dropped; /* bytes past that, counted */
} mapping_run;

/* Whether a verdict of check saying message was already given for an earlier batch. */
static bool said_before(const lc_verdicts *v, const char *check, const char *message)
{
    for (size_t i = 0; i < v->count; i++) {
        const char *name = v->items[i].check;
        const char *bare = strncmp(name, "batches[", 8) == 0 ? strstr(name, "].") : NULL;
        if (bare && strcmp(bare + 2, check) == 0 && strcmp(v->items[i].message, message) == 0)
            return true;
    }
    return false;
}

/* The partial-batch contract, judged on each batch with the mapping's own settings: every
 * verdict of the first batch, and what did not pass in the others ("batches[N]."), each finding
 * once. */
static void judge_batch(mapping_run *run, const json_t *event)
{
    const lc__mapping_case *mc = run->c->steps[0].mapping;
    lc_source_settings settings = {.report_batch_item_failures =
                                       strcmp(mc->source, "sqs") == 0
                                           ? mc->sqs.report_batch_item_failures
                                           : mc->stream.report_batch_item_failures};
    lc_verdicts mine = {0};
    lc_source_contract_check(event, run->resp.payload, run->resp.payload_len, &settings, &mine);
    char prefix[40];
    snprintf(prefix, sizeof prefix, "batches[%zu].", run->batch);
    for (size_t i = 0; i < mine.count; i++) {
        const lc_verdict *v = &mine.items[i];
        if (run->batch > 0 &&
            (v->state == LC_CHECK_PASSED || said_before(&run->r->verdicts, v->check, v->message)))
            continue;
        size_t at = run->r->verdicts.count;
        if (v->state == LC_CHECK_WARNED)
            lc_verdicts_warn(&run->r->verdicts, v->check, "%s", v->message);
        else
            lc_verdicts_add(&run->r->verdicts, v->check, v->state == LC_CHECK_PASSED, "%s",
                            v->message);
        lc_verdicts_prefix(&run->r->verdicts, at, prefix);
    }
    lc_verdicts_clear(&mine);
}

static lc_status invoke_batch(void *data, const json_t *event, lc_sqs_answer *answer, lc_error *err)
{
    mapping_run *run = data;
    if (run->have_resp)
        lc_invoke_response_clear(&run->resp);
    run->have_resp = false;
    char function[300];
    snprintf(function, sizeof function, "%s%s",
             run->ctx->opt->function_prefix ? run->ctx->opt->function_prefix : "",
             run->c->function);
    char *payload = json_dumps(event, JSON_COMPACT);
    if (payload == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    lc_invoke_request req = {.function_name = function,
                             .invocation_type = "RequestResponse",
                             .payload = payload,
                             .payload_len = strlen(payload),
                             .sandbox = run->sandbox[0] ? run->sandbox : NULL};
    lc_status st = lc_target_invoke(run->ctx->target, &req, &run->resp, err);
    free(payload);
    if (st != LC_OK)
        return st;
    run->have_resp = true;
    if (run->resp.status >= 400 && run->resp.error_type[0]) /* refused: nothing ran */
        return lc_error_set(err, LC_EPROTO, NULL, 0, 0, "the Invoke API answered %ld %s: %s",
                            run->resp.status, run->resp.error_type, run->resp.error_message);
    lc_result journal = {0};
    if (find_journal(run->ctx, "RequestResponse", &run->resp, &journal)) {
        if (run->log.len + journal.log_len <= LC_LOG_MAX_BYTES)
            lc_buf_append(&run->log, journal.log, journal.log_len);
        else
            run->log_dropped += journal.log_len;
        lc_result_clear(&journal);
    }
    memset(answer, 0, sizeof *answer);
    answer->failed = run->resp.function_error[0] != '\0';
    answer->error_type = answer->failed ? run->resp.function_error : NULL;
    if (!answer->failed) {
        answer->payload = run->resp.payload;
        answer->payload_len = run->resp.payload_len;
        judge_batch(run, event);
    }
    run->batch++;
    return LC_OK;
}

/* Runs the case's mapping into its function and judges what happened. */
static lc_status mapping_step(const context *ctx, const lc__case *c, const lc__step *step,
                              const char *sandbox, lc_case_result *r, lc_error *err)
{
    mapping_run run = {.ctx = ctx, .c = c, .sandbox = sandbox, .r = r};
    lc_buf_init(&run.log, LC_LOG_MAX_BYTES + 200); /* and the note of what was left out */
    json_t *outcome = NULL;
    lc_status st = lc__mapping_case_run(step->mapping, invoke_batch, &run, &outcome, err);
    if (run.have_resp) {
        snprintf(r->request_id, sizeof r->request_id, "%s", run.resp.request_id);
        lc_invoke_response_clear(&run.resp);
    }
    if (run.log_dropped)
        lc_buf_printf(&run.log, "lambdacheck: %zu more bytes of the invocations' logs left out\n",
                      run.log_dropped);
    if (run.log.len)
        append_log(r, run.log.data, run.log.len);
    lc_buf_free(&run.log);
    if (st == LC_OK)
        lc__mapping_case_judge(step->mapping->source, json_object_get(step->expect, "mapping"),
                               outcome, &r->verdicts);
    json_decref(outcome);
    return st;
}

static lc_status invoke_step(const context *ctx, const lc__case *c, const lc__step *step,
                             const char *sandbox, aws_view *aws, lc_case_result *r, lc_error *err)
{
    if (step->http)
        return http_step(ctx, c, step, sandbox, aws, r, err);
    if (step->mapping)
        return mapping_step(ctx, c, step, sandbox, r, err);
    if (aws->scope[0])
        aws->from = lc_aws_endpoint_call_count(ctx->aws, aws->scope);
    char function[300];
    snprintf(function, sizeof function, "%s%s",
             ctx->opt->function_prefix ? ctx->opt->function_prefix : "", c->function);
    lc_invoke_request req = {.function_name = function,
                             .invocation_type = step->type,
                             .log_tail = strcmp(step->type, "RequestResponse") == 0,
                             .client_context = step->client_context,
                             .tenant_id = step->tenant_id,
                             .payload = step->event,
                             .payload_len = strlen(step->event),
                             .sandbox = sandbox[0] ? sandbox : NULL,
                             .stream = step->stream};
    lc_invoke_response resp;
    lc_status st = lc_target_invoke(ctx->target, &req, &resp, err);
    if (st != LC_OK)
        return st;
    snprintf(r->request_id, sizeof r->request_id, "%s", resp.request_id);
    /* A SnapStart restore that failed is the function's doing (its after-restore hooks): a case
       that expects the status judges it; for any other case it is the error it names. */
    bool restore_failed = resp.status >= 400 && strncmp(resp.error_type, "SnapStart", 9) == 0 &&
                          json_object_get(step->expect, "status") != NULL;
    if (resp.status >= 400 && resp.error_type[0] && !restore_failed) /* refused: nothing ran */
        st = lc_error_set(err, LC_EPROTO, NULL, 0, 0, "the Invoke API answered %ld %s: %s",
                          resp.status, resp.error_type, resp.error_message);
    else
        evaluate(ctx, c, step, &resp, aws, r);
    lc_invoke_response_clear(&resp);
    return st;
}

/* --- one case ------------------------------------------------------------------------------------ */

static void begin_result(const lc_library *lib, const lc__case *c, lc_case_result *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", c->id);
    snprintf(r->library, sizeof r->library, "%s", lib->name);
    snprintf(r->name, sizeof r->name, "%s", c->name);
    lc_utf8_sanitize(strcpy(r->path, c->path)); /* file names are bytes; reports are UTF-8 */
    snprintf(r->description, sizeof r->description, "%s", c->description);
}

/* --- AWS calls ------------------------------------------------------------------------------------ */

/* The AWS_ENDPOINT_URL the function or the case sets itself, or NULL. */
static const char *own_endpoint(const context *ctx, const lc__case *c)
{
    const char *mine = json_string_value(json_object_get(c->environment, "AWS_ENDPOINT_URL"));
    const lc__function *f = lc__library_function(ctx->lib, c->function);
    return mine ? mine
                : json_string_value(json_object_get(lc_function_variables(f->fn),
                                                    "AWS_ENDPOINT_URL"));
}

/* The variables of the case's environments: the endpoint's (those the function does not set
 * itself), under the case's own. NULL and aws->scope "" when its calls go elsewhere. */
static json_t *aws_variables(const context *ctx, const lc__case *c, aws_view *aws, lc_error *err)
{
    const lc__function *f = lc__library_function(ctx->lib, c->function);
    const char *own = own_endpoint(ctx, c);
    if (f->host_credentials) {
        snprintf(aws->unseen, sizeof aws->unseen,
                 "the function runs with the host's AWS keys (credentials host): its calls go "
                 "to AWS, where lambdacheck cannot see them");
        return NULL;
    }
    if (own || ctx->aws == NULL) {
        snprintf(aws->unseen, sizeof aws->unseen, "its AWS calls go to %.300s (%s), not to "
                 "lambdacheck's stubs", own ? own : ctx->aws_url,
                 own ? "its own AWS_ENDPOINT_URL" : "--aws-endpoint");
        return own ? NULL : json_pack("{s:s}", "AWS_ENDPOINT_URL", ctx->aws_url);
    }
    if (lc_aws_endpoint_open(ctx->aws, c->aws_stubs, c->id, aws->scope, err) != LC_OK)
        return NULL;
    /* botocore's rewritten endpoint rules cost files per case: only for a botocore that
       needs them */
    char data[PATH_MAX + 100];
    bool old_botocore = lc_function_old_botocore_data(f->fn, data, sizeof data);
    return lc_aws_endpoint_variables(ctx->aws, aws->scope, old_botocore ? data : NULL,
                                     lc_function_variables(f->fn));
}

/* What a case's calls say besides its expectations: calls no stub answered, connections to AWS
 * an SDK opened without the endpoint, and requests that were not AWS calls (warnings: the
 * handler saw an error, and AWS documents no outcome for lambdacheck's stubs). */
static void warn_calls(const json_t *calls, lc_case_result *r)
{
    size_t i, unstubbed = 0, refused = 0, refusals = 0;
    const json_t *call;
    lc_buf list;
    lc_buf_init(&list, 700);
    json_array_foreach(calls, i, call) {
        const char *problem = json_string_value(json_object_get(call, "problem"));
        const char *host = json_string_value(json_object_get(call, "host"));
        bool bare = json_is_true(json_object_get(call, "unstubbed"));
        if (!bare && !problem && !host)
            continue;
        unstubbed += bare;
        refused += host != NULL;
        refusals += problem != NULL;
        char *params = lc_json_brief(json_object_get(call, "params"), 100);
        lc_buf_printf(&list, "%s%s %s", list.len ? "; " : "",
                      json_string_value(json_object_get(call, "call")),
                      host ? host : problem ? problem : params ? params : "");
        free(params);
    }
    if (list.len == 0) {
        lc_buf_free(&list);
        return;
    }
    char what[400] = "";
    size_t n = 0;
    if (unstubbed)
        n += (size_t)snprintf(what + n, sizeof what - n, "%zu AWS call%s had no stub (the handler "
                              "got a LambdacheckNoStub error)", unstubbed, unstubbed == 1 ? "" : "s");
    if (refused && n < sizeof what)
        n += (size_t)snprintf(what + n, sizeof what - n, "%s%zu connection%s to AWS %s refused (an "
                              "SDK that ignores AWS_ENDPOINT_URL)", n ? "; " : "", refused,
                              refused == 1 ? "" : "s", refused == 1 ? "was" : "were");
    if (refusals && n < sizeof what)
        snprintf(what + n, sizeof what - n, "%s%zu request%s could not be answered as asked",
                 n ? "; " : "", refusals, refusals == 1 ? "" : "s");
    lc_verdicts_warn(&r->verdicts, "aws-calls-answered", "%s: %s", what, list.data);
    lc_buf_free(&list);
}

/* Ends the case's view of its calls: they go into the result, and its scope closes. */
static void close_aws(const context *ctx, aws_view *aws, lc_case_result *r)
{
    json_decref(aws->vars);
    aws->vars = NULL;
    if (aws->scope[0] == '\0')
        return;
    json_t *calls = lc_aws_endpoint_calls(ctx->aws, aws->scope, 0);
    warn_calls(calls, r);
    r->aws_calls = json_dumps(calls, JSON_COMPACT);
    json_decref(calls);
    lc_aws_endpoint_close(ctx->aws, aws->scope);
    aws->scope[0] = '\0';
}

/* A local case runs in a sandbox of its own: fresh environments with its variables. */
static lc_status open_sandbox(const context *ctx, const lc__case *c, char key[LC_SANDBOX_KEY_SIZE],
                              aws_view *aws, lc_error *err)
{
    key[0] = '\0';
    lc_emulator *em = lc_target_emulator(ctx->target);
    if (em) {
        json_t *vars = aws_variables(ctx, c, aws, err);
        if (err->status != LC_OK) {
            json_decref(vars);
            return err->status;
        }
        if (vars)
            json_object_update(vars, (json_t *)c->environment);
        aws->vars = vars; /* the tenant check's fresh environments get them too */
        return lc_emulator_sandbox_open(em, c->function, vars ? vars : c->environment, key, err);
    }
    if (c->environment)
        return lc_error_set(err, LC_EINVAL, c->path, 0, 0,
                            "environment: a per-case environment needs the embedded emulator; "
                            "deployed functions keep their configuration");
    return LC_OK;
}

static void run_steps(const context *ctx, const lc__case *c, const char *sandbox,
                      aws_view *aws, lc_case_result *r, lc_error *err)
{
    for (size_t i = 0; i < c->n_steps; i++) {
        size_t first = r->verdicts.count;
        if (invoke_step(ctx, c, &c->steps[i], sandbox, aws, r, err) != LC_OK)
            return;
        if (c->n_steps > 1) {
            char prefix[40];
            snprintf(prefix, sizeof prefix, "invocations[%zu].", i);
            lc_verdicts_prefix(&r->verdicts, first, prefix);
        }
    }
}

/* --- tenant-isolated ----------------------------------------------------------------------------- */

/* The built-in check tenant-isolated (issue 21): Lambda never lets two tenants share an execution
 * environment (https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation.html), so nothing a
 * tenant's invocations leave in globals or /tmp may reach another tenant. After a case whose last
 * invocation names a tenant, that event runs for a new tenant B in the case's own sandbox (where
 * the case's tenants ran), then for B again in a sandbox of its own (a fresh environment); the two
 * answers must be the same. With environments reserved per tenant they always are; a target that
 * let B into another tenant's warm environment answers with that tenant's state. A handler that
 * answers differently in two fresh environments (a pid, a time) cannot be compared: not checked. */

#define TENANT_CHECK "tenant-isolated"

/* What one invocation answered, as compared: status, function error and payload. */
typedef struct {
    long status;
    char function_error[32];
    char *payload; /* owned */
} tenant_answer;

static lc_status answer_as(const context *ctx, const lc__case *c, const lc__step *step,
                           const char *tenant, const char *sandbox, tenant_answer *out,
                           lc_error *err)
{
    char function[300];
    snprintf(function, sizeof function, "%s%s",
             ctx->opt->function_prefix ? ctx->opt->function_prefix : "", c->function);
    lc_invoke_request req = {.function_name = function, .invocation_type = "RequestResponse",
                             .client_context = step->client_context, .tenant_id = tenant,
                             .payload = step->event, .payload_len = strlen(step->event),
                             .sandbox = sandbox};
    lc_invoke_response resp;
    lc_status st = lc_target_invoke(ctx->target, &req, &resp, err);
    if (st != LC_OK)
        return st;
    out->status = resp.status;
    snprintf(out->function_error, sizeof out->function_error, "%s", resp.function_error);
    out->payload = resp.payload;
    resp.payload = NULL;
    lc_invoke_response_clear(&resp);
    return LC_OK;
}

static bool same_answer(const tenant_answer *a, const tenant_answer *b)
{
    return a->status == b->status && strcmp(a->function_error, b->function_error) == 0 &&
           strcmp(a->payload ? a->payload : "", b->payload ? b->payload : "") == 0;
}

/* B's event in a sandbox opened for it alone: a fresh environment. */
static lc_status fresh_answer(const context *ctx, const lc__case *c, const lc__step *step,
                              const char *tenant, const aws_view *aws, tenant_answer *out,
                              lc_error *err)
{
    lc_emulator *em = lc_target_emulator(ctx->target);
    char key[LC_SANDBOX_KEY_SIZE] = "";
    lc_status st = lc_emulator_sandbox_open(em, c->function, aws->vars ? aws->vars : c->environment,
                                            key, err);
    if (st == LC_OK)
        st = answer_as(ctx, c, step, tenant, key, out, err);
    if (key[0])
        lc_emulator_sandbox_close(em, key);
    return st;
}

static void judge_tenant(const context *ctx, const lc__case *c, const lc__step *step,
                         const char *tenant, const aws_view *aws, const tenant_answer *after,
                         const tenant_answer *fresh, lc_case_result *r)
{
    if (same_answer(after, fresh)) {
        lc_verdicts_add(&r->verdicts, TENANT_CHECK, true,
                        "a new tenant answered after tenant %s as in a fresh environment",
                        step->tenant_id);
        return;
    }
    tenant_answer again = {0};
    lc_error ignored = {0};
    if (fresh_answer(ctx, c, step, tenant, aws, &again, &ignored) == LC_OK &&
        !same_answer(fresh, &again))
        lc_verdicts_not_checked(&r->verdicts, TENANT_CHECK,
                                "the handler answers differently in two fresh environments "
                                "(%.120s, then %.120s): nothing to compare with",
                                fresh->payload ? fresh->payload : "",
                                again.payload ? again.payload : "");
    else
        lc_verdicts_add(&r->verdicts, TENANT_CHECK, false,
                        "state of tenant %s reached another tenant: a new tenant answered %ld%s%s "
                        "%.200s after %s's invocations, but %ld%s%s %.200s in a fresh environment",
                        step->tenant_id, after->status, after->function_error[0] ? " " : "",
                        after->function_error, after->payload ? after->payload : "",
                        step->tenant_id, fresh->status, fresh->function_error[0] ? " " : "",
                        fresh->function_error, fresh->payload ? fresh->payload : "");
    free(again.payload);
}

/* Runs tenant-isolated for a case whose last invocation is a synchronous one naming a tenant. */
static void check_tenant_isolation(const context *ctx, const lc__case *c, const char *sandbox,
                                   const aws_view *aws, lc_case_result *r, lc_error *err)
{
    const lc__step *step = &c->steps[c->n_steps - 1];
    if (step->tenant_id == NULL || strcmp(step->type, "RequestResponse") != 0 || step->stream)
        return;
    if (lc_target_emulator(ctx->target) == NULL) {
        lc_verdicts_not_checked(&r->verdicts, TENANT_CHECK,
                                "a fresh environment for one tenant needs the embedded emulator");
        return;
    }
    char tenant[64] = "lambdacheck-";
    lc_uuid4(tenant + strlen(tenant)); /* never seen before: Lambda gives it a new environment */
    tenant_answer after = {0}, fresh = {0};
    if (answer_as(ctx, c, step, tenant, sandbox, &after, err) == LC_OK &&
        fresh_answer(ctx, c, step, tenant, aws, &fresh, err) == LC_OK)
        judge_tenant(ctx, c, step, tenant, aws, &after, &fresh, r);
    free(after.payload);
    free(fresh.payload);
}

/* --- snapstart-unique ---------------------------------------------------------------------------
 *
 * The built-in check snapstart-unique (issue 22): every environment of a SnapStart function is
 * restored from one snapshot, so what its init made is the same in all of them; a value that
 * must be unique (a random token, a UUID, a seeded generator) has to be made after the restore
 * (https://docs.aws.amazon.com/lambda/latest/dg/snapstart-uniqueness.html). The case's first
 * synchronous event runs in two environments restored from the snapshot and in two fresh ones
 * that initialise themselves; a value of the answer that differs between the fresh two but
 * repeats between the restored two is that bug, named by its path. AWS warns of it and runs such
 * a function all the same, so the verdict is a warning (the README says how to make it fail). */

#define SNAPSTART_CHECK "snapstart-unique"

/* The paths (into *bugs, "a, b", at most a few) where f1 and f2 differ and r1 and r2 do not;
 * *varying counts where f1 and f2 differ. */
static void repeated_paths(const json_t *f1, const json_t *f2, const json_t *r1, const json_t *r2,
                           const char *path, lc_buf *bugs, size_t *n_bugs, size_t *varying)
{
    if (lc_json_equal(f1, f2))
        return;
    char sub[512];
    if (json_is_object(f1) && json_is_object(f2)) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)f1, key, v)
        {
            snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", key);
            repeated_paths(v, json_object_get(f2, key), json_object_get(r1, key),
                           json_object_get(r2, key), sub, bugs, n_bugs, varying);
        }
        return;
    }
    if (json_is_array(f1) && json_is_array(f2) && json_array_size(f1) == json_array_size(f2)) {
        for (size_t i = 0; i < json_array_size(f1); i++) {
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            repeated_paths(json_array_get(f1, i), json_array_get(f2, i), json_array_get(r1, i),
                           json_array_get(r2, i), sub, bugs, n_bugs, varying);
        }
        return;
    }
    (*varying)++;
    if (r1 == NULL || r2 == NULL || !lc_json_equal(r1, r2))
        return;
    if ((*n_bugs)++ < 4) {
        char *a = json_dumps(f1, JSON_ENCODE_ANY | JSON_COMPACT);
        char *b = json_dumps(f2, JSON_ENCODE_ANY | JSON_COMPACT);
        char *r = json_dumps(r1, JSON_ENCODE_ANY | JSON_COMPACT);
        lc_buf_printf(bugs, "%s%s: fresh environments answered %.80s and %.80s, both restored "
                      "ones %.80s",
                      bugs->len ? "; " : "", path[0] ? path : "the payload", a ? a : "?",
                      b ? b : "?", r ? r : "?");
        free(a);
        free(b);
        free(r);
    }
}

/* The step's event in a sandbox of its own: restored from the snapshot, or initialised. */
static lc_status answer_alone(const context *ctx, const lc__case *c, const lc__step *step,
                              const aws_view *aws, bool restored, tenant_answer *out,
                              lc_error *err)
{
    lc_emulator *em = lc_target_emulator(ctx->target);
    const json_t *vars = aws->vars ? aws->vars : c->environment;
    char key[LC_SANDBOX_KEY_SIZE] = "";
    lc_status st = restored ? lc_emulator_sandbox_open(em, c->function, vars, key, err)
                            : lc_emulator_sandbox_open_unrestored(em, c->function, vars, key, err);
    if (st == LC_OK)
        st = answer_as(ctx, c, step, step->tenant_id, key, out, err);
    if (key[0])
        lc_emulator_sandbox_close(em, key);
    return st;
}

static json_t *answer_json(const tenant_answer *a)
{
    json_t *v = json_loads(a->payload ? a->payload : "", JSON_DECODE_ANY, NULL);
    return v ? v : json_string(a->payload ? a->payload : "");
}

static void judge_snapstart(const tenant_answer *a, lc_case_result *r)
{
    const tenant_answer *r1 = &a[0], *r2 = &a[1], *f1 = &a[2], *f2 = &a[3];
    for (size_t i = 0; i < 4; i++)
        if (a[i].status != 200) {
            lc_verdicts_not_checked(&r->verdicts, SNAPSTART_CHECK,
                                    "the event answered %ld in a%s environment: nothing to "
                                    "compare",
                                    a[i].status, i < 2 ? " restored" : " fresh");
            return;
        }
    json_t *v[4] = {answer_json(r1), answer_json(r2), answer_json(f1), answer_json(f2)};
    lc_buf bugs;
    lc_buf_init(&bugs, 0);
    size_t n_bugs = 0, varying = 0;
    repeated_paths(v[2], v[3], v[0], v[1], "", &bugs, &n_bugs, &varying);
    if (n_bugs) /* AWS warns of it and runs the function: a warning, not a failure */
        lc_verdicts_warn(&r->verdicts, SNAPSTART_CHECK,
                        "%zu value%s made during init repeat%s in every environment restored "
                        "from the snapshot (make %s after the restore, in an after-restore hook "
                        "or per invocation): %s",
                        n_bugs, n_bugs == 1 ? "" : "s", n_bugs == 1 ? "s" : "",
                        n_bugs == 1 ? "it" : "them", bugs.data ? bugs.data : "");
    else if (varying)
        lc_verdicts_add(&r->verdicts, SNAPSTART_CHECK, true,
                        "the %zu value%s that differ%s between fresh environments differ%s "
                        "between restored ones too",
                        varying, varying == 1 ? "" : "s", varying == 1 ? "s" : "",
                        varying == 1 ? "s" : "");
    else
        lc_verdicts_add(&r->verdicts, SNAPSTART_CHECK, true,
                        "the answer is the same in fresh environments: nothing in it must be "
                        "unique to an environment");
    lc_buf_free(&bugs);
    for (size_t i = 0; i < 4; i++)
        json_decref(v[i]);
}

/* Runs snapstart-unique for a case whose function has SnapStart, locally. */
static void check_snapstart(const context *ctx, const lc__case *c, const aws_view *aws,
                            lc_case_result *r, lc_error *err)
{
    lc_emulator *em = lc_target_emulator(ctx->target);
    const lc_function *fn = em ? lc_emulator_function(em, c->function) : NULL;
    if (fn == NULL || !lc_function_snapstart(fn) || json_object_get(c->contracts, SNAPSTART_CHECK))
        return; /* turned off: its four environments are not started at all */
    const lc__step *step = NULL;
    for (size_t i = 0; step == NULL && i < c->n_steps; i++)
        if (!c->steps[i].http && !c->steps[i].stream &&
            strcmp(c->steps[i].type, "RequestResponse") == 0)
            step = &c->steps[i];
    const json_t *status = step ? json_object_get(step->expect, "status") : NULL;
    if (step == NULL || (status && json_integer_value(status) != 200))
        return; /* a case about a failed call: no answer to compare */
    if (!lc_environment_fast_start() || lc_function_interpreter(fn) == NULL) {
        lc_verdicts_not_checked(&r->verdicts, SNAPSTART_CHECK,
                                "environments restored from one snapshot need fast starts of "
                                "the bundled Python client (off: --plain-start, or another "
                                "runtime): each environment here initialised itself");
        return;
    }
    tenant_answer a[4] = {{0}};
    lc_status st = LC_OK;
    size_t n = 0; /* the first answer that is not 200 ends it: judge_snapstart says so */
    while (st == LC_OK && n < 4 && (n == 0 || a[n - 1].status == 200)) {
        st = answer_alone(ctx, c, step, aws, n < 2, &a[n], err);
        n++;
    }
    if (st == LC_OK)
        judge_snapstart(a, r);
    for (size_t i = 0; i < 4; i++)
        free(a[i].payload);
}

/* --- concurrency-safe ------------------------------------------------------------------------- */

/* The context overrides of a step, as the emulator takes them (its tenant, its client context),
 * or NULL when it has none. Caller decrefs. */
static json_t *step_context(const lc__step *step)
{
    if (step->tenant_id == NULL && step->client_context == NULL)
        return NULL;
    json_t *o = json_object();
    if (step->tenant_id)
        json_object_set_new(o, "tenantId", json_string(step->tenant_id));
    if (step->client_context)
        json_object_set_new(o, "clientContext", json_loads(step->client_context, 0, NULL));
    return o;
}

/* Runs concurrency-safe (concurrency.h) for a case whose function is on Managed Instances,
 * locally, over its synchronous invocations. */
static void check_concurrency(const context *ctx, const lc__case *c, const aws_view *aws,
                              lc_case_result *r, lc_error *err)
{
    lc_emulator *em = lc_target_emulator(ctx->target);
    const lc_function *fn = em ? lc_emulator_function(em, c->function) : NULL;
    if (fn == NULL || lc_function_max_concurrency(fn) == 0)
        return;
    const char **events = calloc(c->n_steps, sizeof *events);
    json_t **contexts = calloc(c->n_steps, sizeof *contexts);
    size_t n = 0;
    for (size_t i = 0; events && contexts && i < c->n_steps; i++) {
        const lc__step *step = &c->steps[i];
        if (step->http || step->stream || strcmp(step->type, "RequestResponse") != 0)
            continue;
        contexts[n] = step_context(step);
        events[n++] = step->event;
    }
    lc_concurrency_probe probe = {.function = c->function,
                                  .variables = aws->vars ? aws->vars : c->environment,
                                  .events = events, .contexts = (const json_t *const *)contexts,
                                  .n_events = n};
    if (events && contexts)
        lc_concurrency_check(em, &probe, &r->verdicts, err);
    for (size_t i = 0; contexts && i < n; i++)
        json_decref(contexts[i]);
    free(events);
    free(contexts);
}

/* The contracts the case or its function turned off: reported with their reasons. */
static void turn_off_contracts(const lc__case *c, lc_case_result *r)
{
    const char *name;
    json_t *reason;
    json_object_foreach(c->contracts, name, reason)
        lc_verdicts_turn_off(&r->verdicts, 0, name, json_string_value(reason));
}

static bool has_http(const lc__case *c)
{
    for (size_t i = 0; i < c->n_steps; i++)
        if (c->steps[i].http)
            return true;
    return false;
}

static bool asserts_aws(const lc__case *c)
{
    for (size_t i = 0; i < c->n_steps; i++)
        if (json_object_get(c->steps[i].expect, "awsCalls") ||
            json_object_get(c->steps[i].expect, "noAwsCalls"))
            return true;
    return false;
}

/* A case that stubs or asserts AWS calls does not run against a deployed function: its calls go
 * to AWS, where nothing can stub or see them. Skipped, never passed. */
static void skip_case(const lc__case *c, lc_case_result *r, int64_t start)
{
    if (has_http(c))
        snprintf(r->error, sizeof r->error,
                 "skipped: its HTTP requests go to the APIs lambdacheck serves in front of local "
                 "functions; a deployed function's API has a URL of its own");
    else
        snprintf(r->error, sizeof r->error,
                 "skipped: it %s AWS calls, and a deployed function's calls go to AWS, where "
                 "lambdacheck can neither stub nor see them",
                 asserts_aws(c) ? "asserts" : "has stubs for its");
    r->skipped = true;
    r->passed = false;
    r->log = strdup("");
    r->duration_ms = (double)(lc_monotonic_ns() - start) / 1e6;
}

static void run_case(const context *ctx, const lc__case *c, lc_case_result *r)
{
    int64_t start = lc_monotonic_ns();
    begin_result(ctx->lib, c, r);
    lc_error err = {0};
    char sandbox[LC_SANDBOX_KEY_SIZE];
    aws_view aws = {.scope = "", .vars = NULL};
    if (lc_target_emulator(ctx->target) == NULL && (c->uses_aws || has_http(c))) {
        skip_case(c, r, start);
        return;
    }
    if (open_sandbox(ctx, c, sandbox, &aws, &err) == LC_OK) {
        run_steps(ctx, c, sandbox, &aws, r, &err);
        bool drains = c->steps[0].mapping != NULL; /* no event of its own to run again */
        if (err.status == LC_OK && !drains)
            check_tenant_isolation(ctx, c, sandbox, &aws, r, &err);
        if (err.status == LC_OK && !drains)
            check_concurrency(ctx, c, &aws, r, &err);
        if (err.status == LC_OK && !drains)
            check_snapstart(ctx, c, &aws, r, &err);
        turn_off_contracts(c, r);
        if (sandbox[0])
            lc_emulator_sandbox_close(lc_target_emulator(ctx->target), sandbox);
    }
    close_aws(ctx, &aws, r);
    if (err.status != LC_OK) /* it may quote a function's bytes: reports are UTF-8 */
        lc_utf8_sanitize(lc_error_format(&err, r->error, sizeof r->error));
    if (r->log == NULL)
        r->log = strdup("");
    r->passed = r->error[0] == '\0' && lc_verdicts_failed(&r->verdicts) == 0;
    r->duration_ms = (double)(lc_monotonic_ns() - start) / 1e6;
}

/* --- workers ------------------------------------------------------------------------------------- */

typedef struct {
    const context *ctx;
    const lc__case **cases; /* the selected cases, in order */
    lc_case_result *results;
    bool *done;
    size_t count, next, reported;
    pthread_mutex_t mu;
} work;

/* Reports finished cases in case order: each as soon as all before it are reported. */
static void report_in_order(work *w)
{
    while (w->reported < w->count && w->done[w->reported]) {
        if (w->ctx->opt->on_case)
            w->ctx->opt->on_case(&w->results[w->reported], w->ctx->opt->ctx);
        w->reported++;
    }
}

static void *worker(void *arg)
{
    work *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        size_t i = w->next++;
        pthread_mutex_unlock(&w->mu);
        if (i >= w->count)
            return NULL;
        run_case(w->ctx, w->cases[i], &w->results[i]);
        pthread_mutex_lock(&w->mu);
        w->done[i] = true;
        report_in_order(w);
        pthread_mutex_unlock(&w->mu);
    }
}

static void run_all(work *w, int jobs)
{
    pthread_t threads[64];
    int started = 0;
    for (; started < jobs && started < 64 && (size_t)started < w->count; started++)
        if (pthread_create(&threads[started], NULL, worker, w) != 0)
            break;
    if (started == 0)
        worker(w);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
}

static lc_status local_target(const lc_library *lib, lc_target **out, lc_error *err)
{
    lc_status st = lc_target_new_local(out, err);
    if (st == LC_OK && (st = lc_library_add_functions(lib, lc_target_emulator(*out), err)) != LC_OK) {
        lc_target_free(*out);
        *out = NULL;
    }
    return st;
}

/* The library's APIs, served in front of the local target when a case makes HTTP requests. */
static lc_status start_gateway(const work *w, context *ctx, lc_error *err)
{
    bool needed = false;
    for (size_t i = 0; i < w->count && !needed; i++)
        needed = has_http(w->cases[i]);
    if (!needed)
        return LC_OK;
    char uuid[37];
    lc_uuid4(uuid);
    snprintf(ctx->http_key, sizeof ctx->http_key, "AKIDLAMBDACHECK");
    snprintf(ctx->http_secret, sizeof ctx->http_secret, "%s", uuid);
    lc_gateway_options opt = {.sigv4_access_key_id = ctx->http_key,
                              .sigv4_secret_access_key = ctx->http_secret};
    lc_status st = lc_gateway_start(lc_target_emulator(ctx->target), ctx->lib->http, &opt,
                                    &ctx->gateway, err);
    if (st == LC_OK)
        ctx->endpoints = lc_gateway_endpoints(ctx->gateway);
    return st;
}

static lc_status collect(const lc_library *lib, work *w)
{
    w->cases = calloc(lib->n_cases ? lib->n_cases : 1, sizeof *w->cases);
    if (w->cases == NULL)
        return LC_ENOMEM;
    for (size_t i = 0; i < lib->n_cases; i++)
        if (lib->cases[i].selected)
            w->cases[w->count++] = &lib->cases[i];
    w->results = calloc(w->count ? w->count : 1, sizeof *w->results);
    w->done = calloc(w->count ? w->count : 1, sizeof *w->done);
    return w->results && w->done ? LC_OK : LC_ENOMEM;
}

lc_status lc_runner_run(const lc_library *lib, const lc_runner_options *opt, lc_run *run,
                        lc_error *err)
{
    int64_t start = lc_monotonic_ns();
    work w = {0};
    pthread_mutex_init(&w.mu, NULL);
    context ctx = {.lib = lib, .opt = opt, .target = opt->remote};
    w.ctx = &ctx;
    lc_status st = collect(lib, &w) == LC_OK ? LC_OK
                                            : lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    if (st == LC_OK && w.count && opt->remote == NULL)
        st = local_target(lib, &ctx.target, err);
    ctx.aws_url = opt->aws_endpoint ? opt->aws_endpoint
                  : lib->aws_endpoint[0] ? lib->aws_endpoint : NULL;
    if (st == LC_OK && w.count && opt->remote == NULL && ctx.aws_url == NULL)
        st = lc_aws_endpoint_start(NULL, &ctx.aws, err);
    if (st == LC_OK && w.count && opt->remote == NULL)
        st = start_gateway(&w, &ctx, err);
    if (st == LC_OK && w.count)
        run_all(&w, opt->jobs > 0 ? opt->jobs : 1);
    lc_gateway_free(ctx.gateway);
    json_decref(ctx.endpoints);
    if (opt->remote == NULL)
        lc_target_free(ctx.target); /* stops every environment: coverage data is saved here */
    lc_aws_endpoint_free(ctx.aws);
    for (size_t i = 0; i < w.count; i++) {
        if (st == LC_OK && w.done[i])
            take_result(run, &w.results[i]);
        else
            clear_result(&w.results[i]);
    }
    lc_run_add_duration(run, (double)(lc_monotonic_ns() - start) / 1e6);
    free(w.cases);
    free(w.results);
    free(w.done);
    pthread_mutex_destroy(&w.mu);
    return st;
}
