/* serve's mapping requests (mapping_serve.h) through the Invoke API server: a queue or stream a
 * client posts drains into a real function with the settings of the function's own mapping; the
 * outcome says where each message went; what is not a mapping request of the right shape is
 * refused with a status and a message naming what was wrong, and the server goes on serving. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "../common/http_test.h"
#include "lambdacheck/lambdacheck.h"
#include "suites.h"

#define QUEUES LC_FIXTURES_DIR "/functions/queues"
#define STREAMS LC_FIXTURES_DIR "/functions/streams"

static lc_emulator *em;
static lc_invoke_server *server;
static FILE *server_log;

static void add(const char *name, const char *dir, const char *handler, const char *sources,
                int concurrency, long timeout_ms)
{
    json_t *event_sources = sources ? json_loads(sources, 0, NULL) : NULL;
    lc_function_config c = {.name = name,
                            .handler = handler,
                            .code_dir = dir,
                            .event_sources = event_sources,
                            .concurrency = concurrency,
                            .timeout_ms = timeout_ms};
    lc_function *fn;
    lc_error err = {0};
    ck_assert_msg(lc_function_new(&c, &fn, &err) == LC_OK, "%s", err.message);
    json_decref(event_sources);
    ck_assert_int_eq(lc_emulator_add_function(em, fn, NULL), LC_OK);
}

/* The template's mapping: ReportBatchItemFailures, a queue with a 60 s visibility timeout and a
 * redrive policy of 3 receives. */
static const char queue_mapping[] =
    "{\"sqs\": {\"functionResponseTypes\": [\"ReportBatchItemFailures\"],"
    " \"queue\": {\"visibilityTimeout\": 60, \"maxReceiveCount\": 3}}}";
static const char stream_mapping[] =
    "{\"kinesis\": {\"functionResponseTypes\": [\"ReportBatchItemFailures\"],"
    " \"maximumRetryAttempts\": 2}}";

static void setup(void)
{
    ck_assert_int_eq(lc_emulator_new(NULL, &em, NULL), LC_OK);
    add("honest", QUEUES, "consumer.honest", queue_mapping, 0, 0);
    add("throws", QUEUES, "consumer.throws", queue_mapping, 0, 0);
    add("bare", QUEUES, "consumer.honest", NULL, 0, 0);
    add("stalls", QUEUES, "consumer.stalls", NULL, 1, 3000);
    add("stream-honest", STREAMS, "consumer.honest", stream_mapping, 0, 0);
    add("stream-throws", STREAMS, "consumer.throws",
        "{\"kinesis\": {\"bisectBatchOnFunctionError\": true, \"maximumRetryAttempts\": 1}}", 0, 0);
    server_log = tmpfile();
    ck_assert_ptr_nonnull(server_log);
    lc_invoke_server_options opt = {.log = server_log};
    ck_assert_int_eq(lc_invoke_server_start(em, &opt, &server, NULL), LC_OK);
}

static void teardown(void)
{
    lc_invoke_server_free(server);
    lc_emulator_free(em);
    fclose(server_log);
}

static http_reply request(const char *method, const char *path, const char *body)
{
    return http_call(lc_invoke_server_port(server), method, path, body, body ? strlen(body) : 0,
                     NULL, 0);
}

/* POSTs body to the function's mapping for source and returns the outcome (a new reference),
 * asserting a 200. */
static json_t *drain(const char *function, const char *source, const char *body)
{
    char path[256];
    snprintf(path, sizeof path, "/lambdacheck/mappings/%s/%s", function, source);
    http_reply r = request("POST", path, body);
    ck_assert_msg(r.status == 200, "%ld: %s", r.status, r.body);
    json_t *outcome = json_loads(r.body, 0, NULL);
    http_reply_free(&r);
    ck_assert_ptr_nonnull(outcome);
    return outcome;
}

/* The ids of a list of the outcome (entries may be {"id": ...}), comma-separated. */
static char *ids(const json_t *outcome, const char *list)
{
    static char out[4][512];
    static int turn;
    char *s = out[turn++ % 4];
    size_t at = 0, i;
    json_t *v;
    s[0] = '\0';
    json_array_foreach(json_object_get(outcome, list), i, v)
    {
        const char *id =
            json_is_object(v) ? json_string_value(json_object_get(v, "id")) : json_string_value(v);
        at += (size_t)snprintf(s + at, 512 - at, "%s%s", at ? "," : "", id);
    }
    return s;
}

static const char poisoned_queue[] =
    "{\"messages\": [{\"id\": \"m1\", \"body\": \"one\"}, {\"id\": \"m2\", \"body\": \"poison\"},"
    " {\"id\": \"m3\", \"body\": \"three\"}]}";

/* An honest consumer under its template's mapping: the poison message comes back alone, every
 * 60 s of queue time, and goes to the dead-letter queue after its third receive. */
START_TEST(a_posted_queue_drains_through_the_functions_own_mapping)
{
    json_t *o = drain("honest", "sqs", poisoned_queue);
    ck_assert_str_eq(json_string_value(json_object_get(o, "function")), "honest");
    ck_assert_str_eq(ids(o, "deleted"), "m1,m3");
    ck_assert_str_eq(ids(o, "deadLetter"), "m2");
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_array_get(json_object_get(o, "deadLetter"), 0), "receiveCount")),
                     3);
    ck_assert_str_eq(ids(o, "remaining"), "");
    ck_assert_uint_eq(json_array_size(json_object_get(o, "invocations")), 3);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(o, "invocations"), 0), "result")),
                     "partial");
    ck_assert(json_real_value(json_object_get(o, "skippedSeconds")) >= 120.0);
    const json_t *settings = json_object_get(o, "settings");
    ck_assert_int_eq(json_integer_value(json_object_get(settings, "visibilityTimeout")), 60);
    ck_assert_int_eq(json_integer_value(json_object_get(settings, "maxReceiveCount")), 3);
    ck_assert(json_is_true(json_object_get(settings, "reportBatchItemFailures")));
    json_decref(o);
}
END_TEST

/* The other way: a consumer that throws on the poison message takes its batchmates down with it,
 * and they are redelivered and dead-lettered with it; and without ReportBatchItemFailures (a
 * function with no mapping) the honest answer is ignored: the poison message is deleted. */
START_TEST(a_consumer_that_throws_or_a_mapping_without_partial_responses_shows_what_lambda_does)
{
    json_t *o = drain("throws", "sqs", poisoned_queue);
    ck_assert_str_eq(ids(o, "deleted"), "");
    ck_assert_str_eq(ids(o, "deadLetter"), "m1,m2,m3");
    ck_assert_str_eq(ids(o, "redelivered"), "m1,m2,m3");
    json_decref(o);
    o = drain("bare", "sqs", poisoned_queue);
    ck_assert_str_eq(ids(o, "deleted"), "m1,m2,m3");
    ck_assert_str_eq(ids(o, "deadLetter"), "");
    ck_assert(
        json_is_false(json_object_get(json_object_get(o, "settings"), "reportBatchItemFailures")));
    json_decref(o);
}
END_TEST

/* The body's own settings are laid over the function's mapping: a batch size of 1 makes one
 * invocation per receive, and the template's redrive policy still holds. */
START_TEST(the_bodys_settings_are_laid_over_the_functions_mapping)
{
    json_t *o = drain("honest", "sqs",
                      "{\"batchSize\": 1, \"messages\": [{\"id\": \"a\", \"body\": \"x\"},"
                      " {\"id\": \"b\", \"body\": \"poison\"}]}");
    ck_assert_uint_eq(json_array_size(json_object_get(o, "invocations")), 4); /* a, then b x3 */
    ck_assert_str_eq(ids(o, "deadLetter"), "b");
    const json_t *settings = json_object_get(o, "settings");
    ck_assert_int_eq(json_integer_value(json_object_get(settings, "batchSize")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(settings, "maxReceiveCount")), 3);
    json_decref(o);
}
END_TEST

/* A function served without a mapping (serve --handler) takes the mapping's own settings from
 * the body's eventSource, as a case gives them; the function's error type says why a batch
 * failed. */
START_TEST(the_bodys_event_source_gives_a_function_without_a_mapping_its_settings)
{
    json_t *o =
        drain("bare", "sqs",
              "{\"eventSource\": {\"functionResponseTypes\": [\"ReportBatchItemFailures\"]},"
              " \"maxReceiveCount\": 2, \"messages\": [{\"id\": \"m1\", \"body\": \"one\"},"
              " {\"id\": \"m2\", \"body\": \"poison\"}]}");
    ck_assert_str_eq(ids(o, "deleted"), "m1");
    ck_assert_str_eq(ids(o, "deadLetter"), "m2");
    ck_assert(
        json_is_true(json_object_get(json_object_get(o, "settings"), "reportBatchItemFailures")));
    json_decref(o);
    o = drain("throws", "sqs", poisoned_queue);
    const json_t *first = json_array_get(json_object_get(o, "invocations"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(first, "why")), "ValueError");
    json_decref(o);
}
END_TEST

/* A Kinesis stream: the honest consumer's poison record is retried until MaximumRetryAttempts
 * and then described to the on-failure destination; one that throws, with bisection, is split
 * down to the poison record alone, and its neighbours are processed. */
START_TEST(a_posted_stream_is_read_with_retries_bisection_and_on_failure_records)
{
    const char *records = "{\"records\": [{\"id\": \"r1\", \"data\": \"one\"},"
                          " {\"id\": \"r2\", \"data\": \"poison\"}, {\"id\": \"r3\", \"data\": "
                          "\"three\"}, {\"id\": \"r4\", \"data\": \"four\"}]}";
    json_t *o = drain("stream-honest", "kinesis", records);
    ck_assert_str_eq(ids(o, "processed"), "r1");
    ck_assert_str_eq(ids(o, "discarded"), "r2,r3,r4");
    ck_assert_uint_eq(json_array_size(json_object_get(o, "onFailure")), 1);
    const json_t *failure = json_array_get(json_object_get(o, "onFailure"), 0);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(failure, "requestContext"), "condition")),
        "RetryAttemptsExhausted");
    json_decref(o);
    o = drain("stream-throws", "kinesis", records);
    ck_assert_str_eq(ids(o, "processed"), "r1,r3,r4");
    ck_assert_str_eq(ids(o, "discarded"), "r2");
    ck_assert_int_gt(json_integer_value(json_object_get(o, "bisections")), 0);
    json_decref(o);
}
END_TEST

/* GET names the function's mappings as its template or manifest gives them; {} when none. */
START_TEST(a_functions_mappings_can_be_read)
{
    http_reply r = request("GET", "/lambdacheck/mappings/honest", NULL);
    ck_assert_int_eq(r.status, 200);
    json_t *body = json_loads(r.body, 0, NULL);
    http_reply_free(&r);
    ck_assert_int_eq(
        json_integer_value(json_object_get(
            json_object_get(json_object_get(json_object_get(body, "eventSources"), "sqs"), "queue"),
            "maxReceiveCount")),
        3);
    json_decref(body);
    r = request("GET", "/lambdacheck/mappings/bare", NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"function\":\"bare\",\"eventSources\":{}}");
    http_reply_free(&r);
}
END_TEST

/* Each batch is logged as an invocation of its source, and the request as a whole with where its
 * messages went. */
START_TEST(each_batch_and_the_request_are_logged)
{
    json_decref(drain("honest", "sqs", poisoned_queue));
    fflush(server_log);
    rewind(server_log);
    char line[512];
    int batches = 0, summaries = 0;
    while (fgets(line, sizeof line, server_log)) {
        batches += strstr(line, " sqs honest ") != NULL && strstr(line, " 200 ") != NULL;
        summaries += strstr(line, " mapping honest sqs 200 3 invocations deleted 2 deadLetter 1 "
                                  "filteredOut 0 remaining 0") != NULL;
    }
    ck_assert_int_eq(batches, 3);
    ck_assert_int_eq(summaries, 1);
}
END_TEST

typedef struct {
    const char *body;
    json_t *outcome;
} parallel;

static void *drain_in_background(void *arg)
{
    parallel *p = arg;
    char path[] = "/lambdacheck/mappings/honest/sqs";
    http_reply r = request("POST", path, p->body);
    p->outcome = r.status == 200 ? json_loads(r.body, 0, NULL) : NULL;
    http_reply_free(&r);
    return NULL;
}

/* Two requests at once are two queues: neither sees the other's messages. */
START_TEST(requests_at_once_are_queues_of_their_own)
{
    parallel a = {.body = "{\"messages\": [{\"id\": \"a1\", \"body\": \"x\"}, {\"id\": \"a2\", "
                          "\"body\": \"poison\"}]}"},
             b = {.body = "{\"messages\": [{\"id\": \"b1\", \"body\": \"y\"}]}"};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, drain_in_background, &a);
    pthread_create(&tb, NULL, drain_in_background, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ck_assert_ptr_nonnull(a.outcome);
    ck_assert_ptr_nonnull(b.outcome);
    ck_assert_str_eq(ids(a.outcome, "deleted"), "a1");
    ck_assert_str_eq(ids(a.outcome, "deadLetter"), "a2");
    ck_assert_str_eq(ids(b.outcome, "deleted"), "b1");
    ck_assert_str_eq(ids(b.outcome, "deadLetter"), "");
    json_decref(a.outcome);
    json_decref(b.outcome);
}
END_TEST

static void *invoke_stalls(void *arg)
{
    (void)arg;
    const char *event = "{\"Records\": [{\"messageId\": \"p\", \"body\": \"poison\"}]}";
    http_reply r = request("POST", "/2015-03-31/functions/stalls/invocations", event);
    http_reply_free(&r);
    return NULL;
}

/* A batch the function's concurrency has no room for fails as a throttled one does: it comes back
 * after the visibility timeout, and is then processed. */
START_TEST(a_throttled_batch_returns_to_the_queue)
{
    pthread_t t;
    pthread_create(&t, NULL, invoke_stalls, NULL); /* holds the only environment for 3 s */
    usleep(500 * 1000);
    json_t *o = drain("stalls", "sqs", "{\"messages\": [{\"id\": \"m\", \"body\": \"fine\"}]}");
    pthread_join(t, NULL);
    const json_t *first = json_array_get(json_object_get(o, "invocations"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(first, "result")), "failed");
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(first, "why")), "TooManyRequestsException"));
    ck_assert_str_eq(ids(o, "deleted"), "m");
    ck_assert_str_eq(ids(o, "redelivered"), "m");
    json_decref(o);
}
END_TEST

/* Each bad request: its method, path and body, the status and error type it gets, and a piece of
 * the message that names what was wrong. */
typedef struct {
    const char *method, *path, *body;
    long status;
    const char *type, *says;
} bad_request;

START_TEST(bad_requests_are_refused_naming_what_was_wrong_and_serving_goes_on)
{
    static const char sqs[] = "/lambdacheck/mappings/honest/sqs";
    static const bad_request table[] = {
        {"POST", sqs, "", 400, "InvalidRequestContentException", "empty"},
        {"POST", sqs, "{\"messages\": [", 400, "InvalidRequestContentException", "request body:1:"},
        {"POST", sqs, "[]", 400, "InvalidRequestContentException", "sqs: must be an object"},
        {"POST", sqs, "{}", 400, "InvalidRequestContentException", "sqs.messages: required"},
        {"POST", sqs, "{\"messages\": [], \"colour\": 1}", 400, "InvalidRequestContentException",
         "sqs.colour: unknown field"},
        {"POST", sqs, "{\"messages\": [], \"batchSize\": 0}", 400, "InvalidRequestContentException",
         "sqs.batchSize: 0 is out of bounds"},
        {"POST", sqs, "{\"messages\": [], \"fifo\": true, \"batchSize\": 11}", 400,
         "InvalidRequestContentException", "batchSize"},
        {"POST", sqs, "{\"messages\": [{\"body\": 5}]}", 400, "InvalidRequestContentException",
         "messages[0].body"},
        {"POST", sqs,
         "{\"messages\": [{\"id\": \"x\", \"body\": \"a\"}, {\"id\": \"x\", \"body\": \"b\"}]}",
         400, "InvalidRequestContentException", "messages[1].id"},
        {"POST", "/lambdacheck/mappings/stream-honest/kinesis",
         "{\"records\": [{\"data\": \"a\"}], \"parallelizationFactor\": 11}", 400,
         "InvalidRequestContentException", "parallelizationFactor"},
        {"POST", sqs, "{\"messages\": [], \"eventSource\": {\"functionResponseTypes\": [\"X\"]}}",
         400, "InvalidRequestContentException", "request body: eventSource must be"},
        {"POST", "/lambdacheck/mappings/honest/sns", "{}", 400, "InvalidParameterValueException",
         "unknown event source 'sns'"},
        {"POST", "/lambdacheck/mappings/nobody/sqs", "{}", 404, "ResourceNotFoundException",
         "Function not found: nobody"},
        {"GET", "/lambdacheck/mappings/nobody", NULL, 404, "ResourceNotFoundException", "nobody"},
        {"GET", sqs, NULL, 404, "UnknownOperationException", "GET /lambdacheck/mappings/{"},
        {"PUT", "/lambdacheck/mappings/honest", "{}", 404, "UnknownOperationException",
         "Unknown operation PUT"},
        {"POST", "/lambdacheck/mappings//sqs", "{}", 404, "UnknownOperationException",
         "Unknown operation"},
        {"POST", "/lambdacheck/mappings/honest/sqs/more", "{}", 404, "UnknownOperationException",
         "Unknown operation"},
        {"POST", "/lambdacheck/mappings/honest", "{}", 404, "UnknownOperationException",
         "Unknown operation"},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
        const bad_request *t = &table[i];
        http_reply r = request(t->method, t->path, t->body);
        char type[128];
        ck_assert_msg(r.status == t->status, "%s %s %s: %ld %s", t->method, t->path,
                      t->body ? t->body : "", r.status, r.body);
        ck_assert_str_eq(http_header(&r, "x-amzn-ErrorType", type, sizeof type), t->type);
        ck_assert_msg(strstr(r.body, t->says) != NULL, "%s %s: %s", t->method, t->path, r.body);
        http_reply_free(&r);
    }
    /* a name far past Lambda's 64 characters, and a message past SQS's 1 MiB */
    char path[600] = "/lambdacheck/mappings/";
    memset(path + strlen(path), 'n', 300);
    strcat(path, "/sqs");
    http_reply r = request("POST", path, "{}");
    ck_assert_int_eq(r.status, 404);
    http_reply_free(&r);
    size_t big = LC_SQS_MESSAGE_MAX + 10;
    char *huge = malloc(big + 64);
    int at = sprintf(huge, "{\"messages\": [{\"body\": \"");
    memset(huge + at, 'x', big);
    strcpy(huge + at + big, "\"}]}");
    r = request("POST", sqs, huge);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body, "messages[0]"));
    http_reply_free(&r);
    free(huge);
    /* and the server still drains a good queue */
    json_t *o = drain("honest", "sqs", poisoned_queue);
    ck_assert_str_eq(ids(o, "deleted"), "m1,m3");
    json_decref(o);
}
END_TEST

/* A body past the Invoke API's 6 MB is 413, before anything is parsed. */
START_TEST(a_body_too_large_is_413)
{
    size_t big = LC_SYNC_REQUEST_MAX + 1;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    huge[big] = '\0';
    http_reply r = request("POST", "/lambdacheck/mappings/honest/sqs", huge);
    ck_assert_int_eq(r.status, 413);
    char type[128];
    ck_assert_str_eq(http_header(&r, "x-amzn-ErrorType", type, sizeof type),
                     "RequestTooLargeException");
    http_reply_free(&r);
    free(huge);
}
END_TEST

/* With signatures required, a mapping request is an API call like any other: unsigned, 403. */
START_TEST(an_unsigned_mapping_request_to_a_signing_server_is_refused)
{
    lc_invoke_server *signing = NULL;
    lc_invoke_server_options opt = {.sigv4_access_key_id = "AKIDEXAMPLE",
                                    .sigv4_secret_access_key = "secret"};
    ck_assert_int_eq(lc_invoke_server_start(em, &opt, &signing, NULL), LC_OK);
    http_reply r =
        http_call(lc_invoke_server_port(signing), "POST", "/lambdacheck/mappings/honest/sqs",
                  poisoned_queue, strlen(poisoned_queue), NULL, 0);
    ck_assert_int_eq(r.status, 403);
    http_reply_free(&r);
    lc_invoke_server_free(signing);
}
END_TEST

Suite *mapping_serve_suite(void)
{
    Suite *s = suite_create("mapping_serve");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_set_timeout(core, 60);
    tcase_add_test(core, a_posted_queue_drains_through_the_functions_own_mapping);
    tcase_add_test(
        core, a_consumer_that_throws_or_a_mapping_without_partial_responses_shows_what_lambda_does);
    tcase_add_test(core, the_bodys_settings_are_laid_over_the_functions_mapping);
    tcase_add_test(core, the_bodys_event_source_gives_a_function_without_a_mapping_its_settings);
    tcase_add_test(core, a_posted_stream_is_read_with_retries_bisection_and_on_failure_records);
    tcase_add_test(core, a_functions_mappings_can_be_read);
    tcase_add_test(core, each_batch_and_the_request_are_logged);
    tcase_add_test(core, requests_at_once_are_queues_of_their_own);
    tcase_add_test(core, a_throttled_batch_returns_to_the_queue);
    suite_add_tcase(s, core);
    TCase *errors = tcase_create("errors");
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_set_timeout(errors, 60);
    tcase_add_test(errors, bad_requests_are_refused_naming_what_was_wrong_and_serving_goes_on);
    tcase_add_test(errors, a_body_too_large_is_413);
    tcase_add_test(errors, an_unsigned_mapping_request_to_a_signing_server_is_refused);
    suite_add_tcase(s, errors);
    return s;
}
