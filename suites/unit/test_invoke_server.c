/* The Invoke API on loopback: our server, reached by our libcurl client (spec 4.1-4.4). */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../common/http_test.h"
#include "lambdacheck/lambdacheck.h"
#include "suites.h"

#define PROBES LC_FIXTURES_DIR "/functions/probes"
#define NODE_PROBES LC_FIXTURES_DIR "/functions/node-probes"

static lc_emulator *em;
static lc_invoke_server *server;
static lc_client *client;

/* Adds the function c describes to the emulator. */
static void add_config(lc_function_config c)
{
    lc_function *fn;
    lc_error err = {0};
    ck_assert_msg(lc_function_new(&c, &fn, &err) == LC_OK, "%s", err.message);
    ck_assert_int_eq(lc_emulator_add_function(em, fn, NULL), LC_OK);
}

static void add(const char *name, const char *handler, long timeout_ms, int concurrency)
{
    add_config((lc_function_config){.name = name, .handler = handler, .code_dir = PROBES,
                                    .timeout_ms = timeout_ms, .concurrency = concurrency});
}

static void add_node(const char *name, const char *handler)
{
    add_config((lc_function_config){.name = name, .handler = handler, .code_dir = NODE_PROBES,
                                    .runtime = "nodejs20.x", .timeout_ms = 10000});
}

static void setup(void)
{
    ck_assert_int_eq(lc_emulator_new(NULL, &em, NULL), LC_OK);
    add("echo", "probes.echo", 0, 0);
    add("none", "probes.returns_none", 0, 0);
    add("boom", "probes.raises_value_error", 0, 0);
    add("ctx", "probes.context_dump", 0, 0);
    add("sleeper", "probes.sleeps", 200, 0);
    add("exits", "probes.exits", 0, 0);
    add("logs", "probes.logs", 0, 0);
    add("meet", "probes.rendezvous", 0, 1);
    add("init-error", "nomod.handler", 0, 0);
    add("big", "probes.big_response", 0, 0);
    add_config((lc_function_config){.name = "tenanted", .handler = "probes.tenant_memory",
                                    .code_dir = PROBES, .tenancy = "PER_TENANT"});
    add_node("stream", "streaming.text");
    add_node("stream-waits", "streaming.waitsForCaller");
    add_node("stream-fails", "streaming.failsMidway");
    add_node("stream-large", "streaming.large");
    ck_assert_int_eq(lc_invoke_server_start(em, NULL, &server, NULL), LC_OK);
    lc_client_options o = {.endpoint_url = lc_invoke_server_url(server), .region = "us-east-1"};
    ck_assert_int_eq(lc_client_new(&o, &client, NULL), LC_OK);
}

static void teardown(void)
{
    lc_client_free(client);
    lc_invoke_server_free(server);
    lc_emulator_free(em);
}

static lc_invoke_response call(const char *function, const char *type, const char *payload)
{
    lc_invoke_request req = {.function_name = function, .invocation_type = type,
                             .payload = payload, .payload_len = payload ? strlen(payload) : 0};
    lc_invoke_response resp;
    lc_error err = {0};
    ck_assert_msg(lc_client_invoke(client, &req, &resp, &err) == LC_OK, "%s", err.message);
    return resp;
}

/* A service error: status, x-amzn-ErrorType, and a message. */
static void expect_error(lc_invoke_response *r, long status, const char *type, const char *text)
{
    ck_assert_int_eq(r->status, status);
    ck_assert_str_eq(r->error_type, type);
    ck_assert_msg(strstr(r->error_message, text) != NULL, "message: %s", r->error_message);
    ck_assert_uint_eq(strlen(r->request_id), 36);
    lc_invoke_response_clear(r);
}

/* --- InvokeWithResponseStream (spec 8) --- */

typedef struct {
    int chunks;
    size_t bytes;
    const char *file; /* created when the first chunk arrives */
} chunk_log;

static void on_chunk(void *ctx, const char *bytes, size_t len)
{
    chunk_log *log = ctx;
    (void)bytes;
    if (log->chunks++ == 0 && log->file) {
        FILE *f = fopen(log->file, "w");
        if (f)
            fclose(f);
    }
    log->bytes += len;
}

static lc_invoke_response call_stream(const char *function, const char *payload, chunk_log *log)
{
    lc_invoke_request req = {.function_name = function, .payload = payload,
                             .payload_len = payload ? strlen(payload) : 0, .stream = true,
                             .log_tail = true, .on_chunk = on_chunk, .chunk_ctx = log};
    lc_invoke_response resp;
    lc_error err = {0};
    ck_assert_msg(lc_client_invoke(client, &req, &resp, &err) == LC_OK, "%s", err.message);
    return resp;
}

/* Each piece reaches the caller while the function still runs: the function writes its second
 * piece only once the caller has the first. */
START_TEST(streamed_pieces_reach_the_caller_as_they_are_written)
{
    char file[128], payload[256];
    snprintf(file, sizeof file, "/tmp/lambdacheck-stream-%d", (int)getpid());
    unlink(file);
    snprintf(payload, sizeof payload, "{\"file\": \"%s\"}", file);
    chunk_log log = {.file = file};
    lc_invoke_response r = call_stream("stream-waits", payload, &log);
    unlink(file);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.content_type, "application/vnd.amazon.eventstream");
    ck_assert(r.streamed);
    ck_assert(r.stream_complete);
    ck_assert_str_eq(r.payload, "first second");
    ck_assert_int_ge(log.chunks, 2);
    ck_assert_str_eq(r.function_error, "");
    ck_assert_msg(r.log_result && strstr(r.log_result, "REPORT RequestId: ") != NULL,
                  "InvokeComplete carries the log tail: %s", r.log_result);
    lc_invoke_response_clear(&r);
}
END_TEST

/* An error after streaming began: InvokeComplete's ErrorCode and ErrorDetails (the error body the
 * runtime put in its trailers); the bytes before it stay streamed. */
START_TEST(an_error_after_streaming_began_ends_the_stream_with_invoke_complete)
{
    chunk_log log = {0};
    lc_invoke_response r = call_stream("stream-fails", NULL, &log);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.payload, "partial ");
    ck_assert_str_eq(r.function_error, "Unhandled");
    ck_assert_str_eq(r.error_code, "TypeError");
    ck_assert_ptr_nonnull(r.error_details);
    json_t *details = json_loads(r.error_details, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(details, "errorMessage")),
                     "failed after streaming began");
    ck_assert(json_is_array(json_object_get(details, "trace")));
    json_decref(details);
    lc_invoke_response_clear(&r);
}
END_TEST

/* Past the 6 MiB a buffered response may have, a stream goes on: every byte reaches the caller. */
START_TEST(a_stream_may_be_larger_than_a_buffered_response)
{
    chunk_log log = {0};
    lc_invoke_response r = call_stream("stream-large", NULL, &log);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.function_error, "");
    ck_assert_uint_eq(log.bytes, 8u * 1024 * 1024);
    ck_assert_uint_eq(r.stream_size, 8u * 1024 * 1024);
    lc_invoke_response_clear(&r);
    /* called the buffered way, the same function is over a buffered response's limit */
    r = call("stream-large", NULL, NULL);
    ck_assert_str_eq(r.function_error, "Unhandled");
    ck_assert_msg(strstr(r.payload, "\"errorType\":\"Function.ResponseSizeTooLarge\"") &&
                      strstr(r.payload, "exceeded maximum allowed payload size (6291556 bytes)"),
                  "%s", r.payload);
    lc_invoke_response_clear(&r);
}
END_TEST

/* A function that does not stream answers a streaming caller in one piece; a streaming function
 * called the buffered way answers its writes as one payload. */
START_TEST(streaming_and_buffered_calls_cross_over)
{
    chunk_log log = {0};
    lc_invoke_response r = call_stream("echo", "{\"a\":1}", &log);
    ck_assert(r.streamed);
    ck_assert_str_eq(r.payload, "{\"a\": 1}");
    ck_assert_int_eq(log.chunks, 1);
    lc_invoke_response_clear(&r);
    r = call("stream", NULL, NULL);
    ck_assert(!r.streamed);
    ck_assert_str_eq(r.payload, "first second");
    lc_invoke_response_clear(&r);
}
END_TEST

/* Event is not a streaming invocation type; an unknown function is a 404 before any stream. */
START_TEST(a_streaming_call_is_refused_as_lambda_refuses_it)
{
    lc_invoke_request req = {.function_name = "stream", .invocation_type = "Event",
                             .stream = true};
    lc_invoke_response r;
    ck_assert_int_eq(lc_client_invoke(client, &req, &r, NULL), LC_OK);
    expect_error(&r, 400, "InvalidParameterValueException", "[RequestResponse, DryRun]");
    req = (lc_invoke_request){.function_name = "nothere", .stream = true};
    ck_assert_int_eq(lc_client_invoke(client, &req, &r, NULL), LC_OK);
    expect_error(&r, 404, "ResourceNotFoundException", "Function not found");
}
END_TEST

START_TEST(a_synchronous_call_returns_the_result_with_headers)
{
    lc_invoke_response r = call("echo", NULL, "{\"a\": [1, 2]}");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.payload, "{\"a\": [1, 2]}");
    ck_assert_str_eq(r.executed_version, "$LATEST");
    ck_assert_uint_eq(strlen(r.request_id), 36);
    ck_assert_str_eq(r.function_error, "");
    ck_assert_str_eq(r.content_type, "application/json");
    lc_invoke_response_clear(&r);
    r = call("none", "RequestResponse", "{}");
    ck_assert_str_eq(r.payload, "null");
    lc_invoke_response_clear(&r);
}
END_TEST

START_TEST(a_function_error_is_200_with_the_error_header_and_request_id)
{
    lc_invoke_response r = call("boom", NULL, "{}");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.function_error, "Unhandled");
    json_t *body = json_loads(r.payload, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(body, "errorType")), "ValueError");
    ck_assert_str_eq(json_string_value(json_object_get(body, "requestId")), r.request_id);
    json_decref(body);
    lc_invoke_response_clear(&r);
}
END_TEST

START_TEST(platform_errors_come_through_http)
{
    lc_invoke_response r = call("sleeper", NULL, "{\"seconds\": 5}");
    ck_assert_str_eq(r.function_error, "Unhandled");
    ck_assert_ptr_nonnull(strstr(r.payload, "\"errorType\":\"Sandbox.Timedout\""));
    ck_assert_ptr_nonnull(strstr(r.payload, r.request_id));
    lc_invoke_response_clear(&r);
    r = call("exits", NULL, "{\"code\": 42}");
    ck_assert_ptr_nonnull(strstr(r.payload, "Runtime exited with error: exit status 42"));
    lc_invoke_response_clear(&r);
    r = call("init-error", NULL, "{}");
    ck_assert_str_eq(r.function_error, "Unhandled");
    ck_assert_ptr_nonnull(strstr(r.payload, "\"errorType\": \"Runtime.ImportModuleError\""));
    lc_invoke_response_clear(&r);
    r = call("big", NULL, "{\"bytes\": 7000000}");
    ck_assert_str_eq(r.function_error, "Unhandled");
    ck_assert_ptr_nonnull(strstr(r.payload, "Function.ResponseSizeTooLarge"));
    lc_invoke_response_clear(&r);
}
END_TEST

/* A function whose code folder disappeared cannot start: the service itself fails, 500. */
START_TEST(a_failure_of_the_service_is_500_service_exception)
{
    char dir[] = "/tmp/lc_gone_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    lc_function_config c = {.name = "gone", .handler = "app.handler", .code_dir = dir};
    lc_function *fn;
    ck_assert_int_eq(lc_function_new(&c, &fn, NULL), LC_OK);
    ck_assert_int_eq(lc_emulator_add_function(em, fn, NULL), LC_OK);
    rmdir(dir);
    lc_invoke_response r = call("gone", NULL, "{}");
    expect_error(&r, 500, "ServiceException", "cannot run");
}
END_TEST

START_TEST(an_event_invocation_answers_202_empty_and_runs_later)
{
    lc_invoke_response r = call("echo", "Event", "{\"async\": true}");
    ck_assert_int_eq(r.status, 202);
    ck_assert_uint_eq(r.payload_len, 0);
    ck_assert_uint_eq(strlen(r.request_id), 36);
    ck_assert_int_eq(lc_emulator_drain(em, 30000, false, NULL), LC_OK);
    lc_result ran;
    ck_assert_int_eq(lc_emulator_journal_find(em, r.request_id, &ran), LC_OK);
    ck_assert_str_eq(ran.payload, "{\"async\": true}"); /* the handler ran; the result was discarded */
    lc_result_clear(&ran);
    json_t *records = lc_emulator_async_records(em);
    ck_assert_uint_eq(json_array_size(records), 1);
    json_decref(records);
    lc_invoke_response_clear(&r);
}
END_TEST

START_TEST(a_dry_run_answers_204_and_runs_nothing)
{
    lc_invoke_response r = call("echo", "DryRun", "{}");
    ck_assert_int_eq(r.status, 204);
    ck_assert_uint_eq(r.payload_len, 0);
    ck_assert_uint_eq(lc_emulator_journal_size(em), 0);
    lc_invoke_response_clear(&r);
}
END_TEST

START_TEST(tail_returns_the_last_4kb_of_the_log)
{
    lc_invoke_request req = {.function_name = "logs", .log_tail = true, .payload = "{}",
                             .payload_len = 2};
    lc_invoke_response r;
    ck_assert_int_eq(lc_client_invoke(client, &req, &r, NULL), LC_OK);
    ck_assert_ptr_nonnull(r.log_result);
    ck_assert_ptr_nonnull(strstr(r.log_result, "printed line"));
    char report[256];
    snprintf(report, sizeof report, "REPORT RequestId: %s", r.request_id);
    ck_assert_ptr_nonnull(strstr(r.log_result, report));
    ck_assert_uint_le(r.log_result_len, 4096);
    lc_invoke_response_clear(&r);
}
END_TEST

START_TEST(client_context_reaches_the_handler_decoded)
{
    lc_invoke_request req = {.function_name = "ctx", .payload = "{}", .payload_len = 2,
                             .client_context = "{\"custom\": {\"tier\": \"gold\"}, \"client\": "
                                               "{\"app_title\": \"Shop\"}}"};
    lc_invoke_response r;
    ck_assert_int_eq(lc_client_invoke(client, &req, &r, NULL), LC_OK);
    json_t *got = json_loads(r.payload, 0, NULL);
    json_t *cc = json_object_get(got, "client_context");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(cc, "custom"), "tier")),
                     "gold");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(cc, "client"),
                                                       "app_title")),
                     "Shop");
    json_decref(got);
    lc_invoke_response_clear(&r);
}
END_TEST

/* --- tenant isolation (spec 10) --- */

static lc_invoke_response call_tenant(const char *function, const char *type, const char *tenant,
                                      bool stream)
{
    lc_invoke_request req = {.function_name = function, .invocation_type = type, .payload = "{}",
                             .payload_len = 2, .tenant_id = tenant, .stream = stream};
    lc_invoke_response resp;
    lc_error err = {0};
    ck_assert_msg(lc_client_invoke(client, &req, &resp, &err) == LC_OK, "%s", err.message);
    return resp;
}

START_TEST(the_tenant_reaches_the_handler_through_invoke_and_the_stream)
{
    for (int stream = 0; stream < 2; stream++) {
        lc_invoke_response r = call_tenant("tenanted", NULL, "blue", stream);
        ck_assert_msg(r.status == 200, "%ld %s", r.status, r.error_message);
        json_t *got = json_loads(r.payload, 0, NULL);
        ck_assert_str_eq(json_string_value(json_object_get(got, "tenant")), "blue");
        json_decref(got);
        lc_invoke_response_clear(&r);
    }
    lc_invoke_response r = call_tenant("tenanted", "Event", "green", false);
    ck_assert_int_eq(r.status, 202);
    lc_invoke_response_clear(&r);
    r = call_tenant("tenanted", "DryRun", "green", false);
    ck_assert_int_eq(r.status, 204);
    lc_invoke_response_clear(&r);
}
END_TEST

/* The SAM CLI's peer test "tenant id for a function without tenancy" expects 400, and so does
 * Lambda (tenant-isolation-troubleshooting.html): both refusals, for every invocation type. */
START_TEST(a_missing_or_unexpected_tenant_is_refused_as_lambda_refuses_it)
{
    const char *types[] = {NULL, "Event", "DryRun"};
    for (int i = 0; i < 3; i++) {
        lc_invoke_response r = call_tenant("tenanted", types[i], NULL, false);
        expect_error(&r, 400, "InvalidParameterValueException",
                     "The invoked function is enabled with tenancy configuration. Add a valid "
                     "tenant ID in your request and try again.");
        r = call_tenant("echo", types[i], "blue", false);
        expect_error(&r, 400, "InvalidParameterValueException",
                     "The invoked function is not enabled with tenancy configuration. Remove the "
                     "tenant ID from your request and try again.");
    }
    lc_invoke_response r = call_tenant("tenanted", NULL, NULL, true);
    expect_error(&r, 400, "InvalidParameterValueException", "enabled with tenancy configuration");
}
END_TEST

START_TEST(tenant_ids_invoke_does_not_accept_are_refused)
{
    char too_long[LC_TENANT_ID_MAX + 2];
    memset(too_long, 't', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    char longest[LC_TENANT_ID_MAX + 1];
    memset(longest, 'a', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    lc_invoke_response r = call_tenant("tenanted", NULL, "", false);
    expect_error(&r, 400, "InvalidParameterValueException",
                 "Member must have length between 1 and 256");
    r = call_tenant("tenanted", NULL, too_long, false);
    expect_error(&r, 400, "InvalidParameterValueException",
                 "Member must have length between 1 and 256");
    const char *bad[] = {"a#b", "tenant\tone", "t\xc3\xa9", "a;b"};
    for (int i = 0; i < 4; i++) {
        r = call_tenant("tenanted", NULL, bad[i], false);
        expect_error(&r, 400, "InvalidParameterValueException",
                     "Member must satisfy regular expression pattern");
    }
    const char *good[] = {longest, "org:eu/team=a+b-c@x.y_z", "with space"};
    for (int i = 0; i < 3; i++) {
        r = call_tenant("tenanted", NULL, good[i], false);
        ck_assert_msg(r.status == 200, "%s: %ld %s", good[i], r.status, r.error_message);
        lc_invoke_response_clear(&r);
    }
}
END_TEST

START_TEST(functions_are_found_by_name_arn_and_qualifier)
{
    const char *names[] = {"echo", "echo:$LATEST",
                           "arn:aws:lambda:us-east-1:123456789012:function:echo",
                           "arn:aws:lambda:us-east-1:123456789012:function:echo:$LATEST",
                           "123456789012:function:echo"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        lc_invoke_response r = call(names[i], NULL, "1");
        ck_assert_msg(r.status == 200, "%s: %ld %s", names[i], r.status, r.payload);
        ck_assert_str_eq(r.payload, "1");
        lc_invoke_response_clear(&r);
    }
    lc_invoke_request req = {.function_name = "echo", .qualifier = "$LATEST", .payload = "2",
                             .payload_len = 1};
    lc_invoke_response r;
    ck_assert_int_eq(lc_client_invoke(client, &req, &r, NULL), LC_OK);
    ck_assert_int_eq(r.status, 200);
    lc_invoke_response_clear(&r);
    req.qualifier = "prod";
    ck_assert_int_eq(lc_client_invoke(client, &req, &r, NULL), LC_OK);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(r.error_message,
                     "Function not found: arn:aws:lambda:us-east-1:123456789012:function:echo:prod");
    lc_invoke_response_clear(&r);
    /* an ARN of another region or account names another function: it used to invoke this one */
    r = call("arn:aws:lambda:eu-west-1:123456789012:function:echo", NULL, "1");
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(r.error_type, "ResourceNotFoundException");
    ck_assert_str_eq(r.error_message,
                     "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')");
    lc_invoke_response_clear(&r);
    const char *others[] = {"arn:aws:lambda:us-east-1:999999999999:function:echo",
                            "999999999999:function:echo"};
    for (int i = 0; i < 2; i++) {
        r = call(others[i], NULL, "1");
        ck_assert_int_eq(r.status, 404);
        ck_assert_str_eq(r.error_message,
                         "Function not found: arn:aws:lambda:us-east-1:999999999999:function:echo");
        lc_invoke_response_clear(&r);
    }
}
END_TEST

START_TEST(the_runtime_interface_emulator_path_reaches_the_only_function)
{
    lc_emulator *single;
    ck_assert_int_eq(lc_emulator_new(NULL, &single, NULL), LC_OK);
    lc_function_config c = {.name = "only", .handler = "probes.echo", .code_dir = PROBES};
    lc_function *fn;
    ck_assert_int_eq(lc_function_new(&c, &fn, NULL), LC_OK);
    lc_emulator_add_function(single, fn, NULL);
    lc_invoke_server *s;
    ck_assert_int_eq(lc_invoke_server_start(single, NULL, &s, NULL), LC_OK);
    http_reply r = http_call(lc_invoke_server_port(s), "POST",
                             "/2015-03-31/functions/function/invocations", "{\"rie\": 1}", 10,
                             NULL, 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"rie\": 1}");
    http_reply_free(&r);
    lc_invoke_server_free(s);
    lc_emulator_free(single);
}
END_TEST

START_TEST(service_errors_have_status_type_header_and_message)
{
    lc_invoke_response r = call("ghost", NULL, "{}");
    expect_error(&r, 404, "ResourceNotFoundException",
                 "Function not found: arn:aws:lambda:us-east-1:123456789012:function:ghost");
    r = call("echo", NULL, "{not json");
    expect_error(&r, 400, "InvalidRequestContentException",
                 "Could not parse request body into json");
    r = call("echo", "Sometimes", "{}");
    expect_error(&r, 400, "InvalidParameterValueException", "invocationType");
    char *big = malloc(LC_SYNC_REQUEST_MAX + 16);
    memset(big, ' ', LC_SYNC_REQUEST_MAX + 15);
    big[0] = '1';
    big[LC_SYNC_REQUEST_MAX + 15] = '\0';
    r = call("echo", NULL, big);
    expect_error(&r, 413, "RequestTooLargeException",
                 "Request must be smaller than 6291456 bytes for the InvokeFunction operation");
    big[LC_ASYNC_REQUEST_MAX + 1] = '\0';
    r = call("echo", "Event", big);
    expect_error(&r, 413, "RequestTooLargeException", "smaller than 1048576 bytes");
    free(big);
    lc_invoke_request bad_cc = {.function_name = "echo", .payload = "{}", .payload_len = 2,
                                .client_context = "not json"};
    ck_assert_int_eq(lc_client_invoke(client, &bad_cc, &r, NULL), LC_OK);
    expect_error(&r, 400, "InvalidRequestContentException",
                 "Client context must be a valid Base64-encoded JSON object");
}
END_TEST

/* Names Lambda would refuse are a 400 saying why, before any lookup (not a 404 of a cut URL). */
START_TEST(names_lambda_refuses_are_a_validation_error)
{
    char long_name[300];
    memset(long_name, 'a', 200);
    long_name[200] = '\0';
    static const struct {
        const char *path;
        const char *message;
    } rows[] = {
        {"/2015-03-31/functions/%ff%fe/invocations", "the name is not valid UTF-8"},
        {"/2015-03-31/functions/echo:/invocations", "Member must satisfy regular expression"},
        {"/2015-03-31/functions/echo/invocations?Qualifier=", "Value '' at 'qualifier'"},
        {"/2015-03-31/functions/ech%20o/invocations", "Member must satisfy regular expression"},
        /* an encoded NUL used to cut the qualifier short, invoking $LATEST */
        {"/2015-03-31/functions/echo/invocations?Qualifier=%24LATEST%00junk",
         "Value '$LATEST' at 'qualifier'"},
        {"/2015-03-31/functions/echo%00junk/invocations", "an encoded NUL"},
        /* "$" only in $LATEST (Lambda's patterns); these used to be 404s */
        {"/2015-03-31/functions/echo:%24prod/invocations", "Member must satisfy regular expression"},
        {"/2015-03-31/functions/echo/invocations?Qualifier=a%2Fb", "at 'qualifier'"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        http_reply r = http_call(lc_invoke_server_port(server), "POST", rows[i].path, "{}", 2,
                                 NULL, 0);
        char type[128];
        ck_assert_msg(r.status == 400, "%s: %ld %s", rows[i].path, r.status, r.body);
        ck_assert_str_eq(http_header(&r, "x-amzn-ErrorType", type, sizeof type),
                         "ValidationException");
        ck_assert_msg(strstr(r.body, rows[i].message), "%s: %s", rows[i].path, r.body);
        json_t *body = json_loads(r.body, 0, NULL); /* valid JSON, whatever was sent */
        ck_assert_ptr_nonnull(json_object_get(body, "message"));
        json_decref(body);
        http_reply_free(&r);
    }
    char path[400];
    snprintf(path, sizeof path, "/2015-03-31/functions/%s/invocations", long_name);
    http_reply r = http_call(lc_invoke_server_port(server), "POST", path, "{}", 2, NULL, 0);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body, "Member must have length less than or equal to 170"));
    http_reply_free(&r);
}
END_TEST

/* A client context whose parts are not objects is refused, and an Event carrying one is not
 * accepted (it used to get 202, then attempts where the function never ran). */
START_TEST(a_client_context_with_parts_that_are_not_objects_is_refused)
{
    lc_invoke_request bad = {.function_name = "echo", .payload = "{}", .payload_len = 2,
                             .client_context = "{\"custom\": \"gold\"}"};
    lc_invoke_response r;
    ck_assert_int_eq(lc_client_invoke(client, &bad, &r, NULL), LC_OK);
    expect_error(&r, 400, "InvalidRequestContentException", "custom, env and client are objects");
    bad.invocation_type = "Event";
    bad.client_context = "{\"env\": []}";
    ck_assert_int_eq(lc_client_invoke(client, &bad, &r, NULL), LC_OK);
    expect_error(&r, 400, "InvalidRequestContentException", "custom, env and client are objects");
    ck_assert_uint_eq(lc_emulator_pending(em), 0);
    json_t *records = lc_emulator_async_records(em);
    ck_assert_uint_eq(json_array_size(records), 0);
    json_decref(records);
}
END_TEST

/* JSON Lambda accepts that a tree parser refuses: big integers, 1E400, lone surrogates. */
START_TEST(valid_json_is_passed_on_whatever_its_numbers)
{
    const char *event = "[123456789012345678901234567890, 1E400, \"\\ud800\"]";
    lc_invoke_response r = call("echo", NULL, event);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.function_error, "");
    ck_assert_ptr_nonnull(strstr(r.payload, "123456789012345678901234567890"));
    lc_invoke_response_clear(&r);
}
END_TEST

START_TEST(unknown_paths_are_unknown_operations)
{
    http_reply r = http_call(lc_invoke_server_port(server), "GET", "/2015-03-31/functions/echo",
                             NULL, 0, NULL, 0);
    ck_assert_int_eq(r.status, 404);
    char type[128];
    ck_assert_str_eq(http_header(&r, "x-amzn-ErrorType", type, sizeof type),
                     "UnknownOperationException");
    http_reply_free(&r);
}
END_TEST

typedef struct {
    lc_invoke_response resp;
    const char *event;
} background;

static void *call_in_background(void *arg)
{
    background *b = arg;
    lc_client *own;
    lc_client_options o = {.endpoint_url = lc_invoke_server_url(server), .region = "us-east-1"};
    lc_client_new(&o, &own, NULL);
    lc_invoke_request req = {.function_name = "meet", .payload = b->event,
                             .payload_len = strlen(b->event)};
    lc_client_invoke(own, &req, &b->resp, NULL);
    lc_client_free(own);
    return NULL;
}

/* Concurrency 1: while one call runs, another gets 429 with Retry-After and the Reason. */
START_TEST(over_the_concurrency_limit_a_call_gets_429)
{
    char folder[] = "/tmp/lc_429_XXXXXX", event[256], path[300];
    ck_assert_ptr_nonnull(mkdtemp(folder));
    snprintf(event, sizeof event, "{\"folder\": \"%s\", \"me\": \"a\", \"other\": \"go\"}", folder);
    background b = {.event = event};
    pthread_t t;
    pthread_create(&t, NULL, call_in_background, &b);
    snprintf(path, sizeof path, "%s/a", folder);
    while (access(path, F_OK) != 0)
        usleep(1000);
    lc_invoke_response r = call("meet", NULL, "{}");
    ck_assert_str_eq(r.retry_after, "1");
    ck_assert_ptr_nonnull(strstr(r.payload, "ReservedFunctionConcurrentInvocationLimitExceeded"));
    expect_error(&r, 429, "TooManyRequestsException", "Rate Exceeded.");
    snprintf(path, sizeof path, "%s/go", folder);
    fclose(fopen(path, "w"));
    pthread_join(t, NULL);
    ck_assert_int_eq(b.resp.status, 200);
    lc_invoke_response_clear(&b.resp);
    unlink(path);
    snprintf(path, sizeof path, "%s/a", folder);
    unlink(path);
    rmdir(folder);
}
END_TEST

START_TEST(a_transport_failure_is_not_an_http_status)
{
    lc_client *c;
    lc_client_options o = {.endpoint_url = "http://127.0.0.1:1", .region = "us-east-1"};
    ck_assert_int_eq(lc_client_new(&o, &c, NULL), LC_OK);
    lc_invoke_request req = {.function_name = "echo", .payload = "{}", .payload_len = 2};
    lc_invoke_response r;
    lc_error err = {0};
    ck_assert_int_eq(lc_client_invoke(c, &req, &r, &err), LC_ETRANSPORT);
    ck_assert_ptr_nonnull(strstr(err.message, "http://127.0.0.1:1/2015-03-31/functions/echo"));
    ck_assert_int_eq(r.status, 0);
    lc_client_free(c);
}
END_TEST

/* A server that requires signatures, and clients with the right keys, the wrong ones, or none. */
static lc_invoke_response signed_call_in(const char *region, const char *key, const char *secret,
                                         bool sign)
{
    lc_invoke_server *s;
    lc_invoke_server_options so = {.sigv4_access_key_id = "AKIDLOCAL",
                                   .sigv4_secret_access_key = "local-secret"};
    ck_assert_int_eq(lc_invoke_server_start(em, &so, &s, NULL), LC_OK);
    lc_client_options co = {.endpoint_url = lc_invoke_server_url(s), .region = region,
                            .sign = sign, .access_key_id = key, .secret_access_key = secret};
    lc_client *c;
    lc_error err = {0};
    ck_assert_msg(lc_client_new(&co, &c, &err) == LC_OK, "%s", err.message);
    lc_invoke_request req = {.function_name = "echo", .qualifier = "$LATEST",
                             .payload = "{\"signed\": true}", .payload_len = 16};
    lc_invoke_response r;
    ck_assert_int_eq(lc_client_invoke(c, &req, &r, &err), LC_OK);
    lc_client_free(c);
    lc_invoke_server_free(s);
    return r;
}

static lc_invoke_response signed_call(const char *key, const char *secret, bool sign)
{
    return signed_call_in("us-east-1", key, secret, sign);
}

START_TEST(a_correctly_signed_request_passes)
{
    lc_invoke_response r = signed_call("AKIDLOCAL", "local-secret", true);
    ck_assert_msg(r.status == 200, "%ld %s: %s", r.status, r.error_type, r.error_message);
    ck_assert_str_eq(r.payload, "{\"signed\": true}");
    lc_invoke_response_clear(&r);
}
END_TEST

START_TEST(unsigned_or_wrongly_signed_requests_get_403)
{
    lc_invoke_response r = signed_call(NULL, NULL, false);
    expect_error(&r, 403, "MissingAuthenticationTokenException", "Missing Authentication Token");
    r = signed_call("AKIDLOCAL", "wrong-secret", true);
    expect_error(&r, 403, "InvalidSignatureException",
                 "The request signature we calculated does not match");
    r = signed_call("AKIDSOMEONEELSE", "local-secret", true);
    expect_error(&r, 403, "UnrecognizedClientException", "security token");
    r = signed_call_in("eu-west-1", "AKIDLOCAL", "local-secret", true);
    expect_error(&r, 403, "InvalidSignatureException", "Credential should be scoped to a valid "
                                                       "region");
}
END_TEST

/* --- requests signed by hand, to tamper with ------------------------------------------------ */

typedef struct {
    const char *names[4];
    const char *values[4];
} header_table;

static const char *table_header(void *ctx, const char *name)
{
    header_table *t = ctx;
    for (int i = 0; i < 4 && t->names[i]; i++)
        if (strcasecmp(t->names[i], name) == 0)
            return t->values[i];
    return NULL;
}

/* POST to path on a server that requires AKIDLOCAL's signatures: signed over host, x-amz-date
 * and (when given) one more header, with `after` added once signed (NULL-terminated "Name:
 * value" lines; they may change the Authorization line, which comes last). */
static http_reply tampered_call(const char *path, const char *body, size_t len,
                                const char *signed_extra, const char *const *after,
                                const char *authorization_suffix)
{
    lc_invoke_server *s;
    lc_invoke_server_options so = {.sigv4_access_key_id = "AKIDLOCAL",
                                   .sigv4_secret_access_key = "local-secret"};
    ck_assert_int_eq(lc_invoke_server_start(em, &so, &s, NULL), LC_OK);
    unsigned port = lc_invoke_server_port(s);
    char host[64], date[17], extra_name[64] = "", extra_value[128] = "";
    snprintf(host, sizeof host, "127.0.0.1:%u", port);
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", gmtime(&now));
    if (signed_extra)
        sscanf(signed_extra, "%63[^:]: %127[^\n]", extra_name, extra_value);
    header_table t = {{"host", "x-amz-date", extra_name[0] ? extra_name : NULL},
                      {host, date, extra_value}};
    char signed_headers[128];
    snprintf(signed_headers, sizeof signed_headers, "host;x-amz-date%s%s",
             extra_name[0] ? ";" : "", extra_name);
    for (char *c = signed_headers; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    lc_sigv4_request req = {"POST", path, "", table_header, &t, body, len, NULL, NULL};
    lc_sigv4_scope scope = {"AKIDLOCAL", "local-secret", "us-east-1", "lambda", date};
    char sig[65];
    ck_assert_int_eq(lc_sigv4_signature(&req, signed_headers, &scope, 1, sig, NULL), LC_OK);
    char auth[512], date_line[64];
    snprintf(auth, sizeof auth,
             "Authorization: AWS4-HMAC-SHA256 Credential=AKIDLOCAL/%.8s/us-east-1/lambda/"
             "aws4_request, SignedHeaders=%s, Signature=%s%s",
             date, signed_headers, sig, authorization_suffix ? authorization_suffix : "");
    snprintf(date_line, sizeof date_line, "X-Amz-Date: %s", date);
    const char *headers[12] = {date_line, auth, "Content-Type: application/json"};
    int n = 3;
    if (signed_extra)
        headers[n++] = signed_extra;
    for (const char *const *a = after; a && *a && n < 11; a++)
        headers[n++] = *a;
    http_reply r = http_call(port, "POST", path, body, len, headers, 0);
    lc_invoke_server_free(s);
    return r;
}

#define INVOKE_PATH(name) "/2015-03-31/functions/" name "/invocations"

static void ck_reply(const http_reply *r, long status, const char *type, const char *message)
{
    char got[128];
    ck_assert_msg(r->status == status, "%ld, wanted %ld: %s", r->status, status, r->body);
    ck_assert_str_eq(http_header(r, "x-amzn-ErrorType", got, sizeof got), type);
    ck_assert_msg(strstr(r->body, message), "%s, wanted %s", r->body, message);
}

/* A body over the cap was answered before its signature was checked: an unsigned client could
 * tell a real function (413) from another (404). Now every request is authenticated first, a
 * large body by the hash the server makes as it arrives. */
START_TEST(a_body_too_large_is_authenticated_before_anything_is_said_about_it)
{
    size_t len = 7 * 1024 * 1024;
    char *big = malloc(len);
    memset(big, ' ', len);
    big[0] = '[';
    big[len - 1] = ']';
    lc_invoke_server *s;
    lc_invoke_server_options so = {.sigv4_access_key_id = "AKIDLOCAL",
                                   .sigv4_secret_access_key = "local-secret"};
    ck_assert_int_eq(lc_invoke_server_start(em, &so, &s, NULL), LC_OK);
    const char *names[] = {INVOKE_PATH("echo"), INVOKE_PATH("no-such-function")};
    for (int i = 0; i < 2; i++) {
        http_reply r = http_call(lc_invoke_server_port(s), "POST", names[i], big, len, NULL, 0);
        ck_reply(&r, 403, "MissingAuthenticationTokenException", "Missing Authentication Token");
        http_reply_free(&r);
    }
    lc_invoke_server_free(s);
    http_reply r = tampered_call(INVOKE_PATH("echo"), big, len, NULL, NULL, NULL);
    ck_reply(&r, 413, "RequestTooLargeException", "Request must be smaller than 6291456 bytes");
    http_reply_free(&r);
    free(big);
}
END_TEST

/* Headers added to a signed request: an unsigned X-Amz-Invocation-Type would turn a captured
 * RequestResponse into an Event. AWS requires every x-amz-* header to be signed. */
/* X-Amz-Tenant-Id is an x-amz-* header: the client signs it, and the signing server accepts it. */
START_TEST(a_signed_call_with_a_tenant_passes)
{
    lc_invoke_server *s;
    lc_invoke_server_options so = {.sigv4_access_key_id = "AKIDLOCAL",
                                   .sigv4_secret_access_key = "local-secret"};
    ck_assert_int_eq(lc_invoke_server_start(em, &so, &s, NULL), LC_OK);
    lc_client_options co = {.endpoint_url = lc_invoke_server_url(s), .region = "us-east-1",
                            .sign = true, .access_key_id = "AKIDLOCAL",
                            .secret_access_key = "local-secret"};
    lc_client *c;
    ck_assert_int_eq(lc_client_new(&co, &c, NULL), LC_OK);
    lc_invoke_request req = {.function_name = "tenanted", .payload = "{}", .payload_len = 2,
                             .tenant_id = "signed-tenant"};
    lc_invoke_response r;
    ck_assert_int_eq(lc_client_invoke(c, &req, &r, NULL), LC_OK);
    ck_assert_msg(r.status == 200, "%ld %s: %s", r.status, r.error_type, r.error_message);
    ck_assert_ptr_nonnull(strstr(r.payload, "\"signed-tenant\""));
    lc_invoke_response_clear(&r);
    lc_client_free(c);
    lc_invoke_server_free(s);
}
END_TEST

START_TEST(unsigned_x_amz_headers_on_a_signed_request_are_refused)
{
    http_reply r = tampered_call(INVOKE_PATH("echo"), "{}", 2, NULL, NULL, NULL);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    http_reply_free(&r);
    r = tampered_call(INVOKE_PATH("echo"), "{}", 2, "X-Amz-Invocation-Type: Event", NULL, NULL);
    ck_assert_msg(r.status == 202, "%ld %s", r.status, r.body);
    http_reply_free(&r);
    const char *const added[][2] = {{"X-Amz-Invocation-Type: Event", "X-Amz-Invocation-Type"},
                                    {"X-Amz-Client-Context: e30=", "X-Amz-Client-Context"},
                                    {"X-Amz-Log-Type: Tail", "X-Amz-Log-Type"},
                                    {"X-Amz-Tenant-Id: blue", "X-Amz-Tenant-Id"}};
    for (int i = 0; i < 4; i++) {
        r = tampered_call(INVOKE_PATH("echo"), "{}", 2, NULL, (const char *[]){added[i][0], NULL},
                          NULL);
        char want[128];
        snprintf(want, sizeof want, "'%s' must be a 'SignedHeader'", added[i][1]);
        ck_reply(&r, 403, "IncompleteSignatureException", want);
        http_reply_free(&r);
    }
}
END_TEST

/* Characters after the 64 hex digits of a signature, and a second X-Amz-Date (the first was
 * judged), used to pass. */
START_TEST(a_signature_with_trailing_characters_or_two_dates_is_refused)
{
    http_reply r = tampered_call(INVOKE_PATH("echo"), "{}", 2, NULL, NULL, "junk");
    ck_reply(&r, 403, "IncompleteSignatureException", "requires 'Credential', 'SignedHeaders'");
    http_reply_free(&r);
    r = tampered_call(INVOKE_PATH("echo"), "{}", 2, NULL,
                      (const char *[]){"X-Amz-Date: 20990101T000000Z", NULL}, NULL);
    ck_reply(&r, 403, "IncompleteSignatureException", "more than one X-Amz-Date header");
    http_reply_free(&r);
}
END_TEST

Suite *invoke_server_suite(void)
{
    Suite *s = suite_create("invoke_server");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_set_timeout(core, 60);
    tcase_add_test(core, a_synchronous_call_returns_the_result_with_headers);
    tcase_add_test(core, streamed_pieces_reach_the_caller_as_they_are_written);
    tcase_add_test(core, an_error_after_streaming_began_ends_the_stream_with_invoke_complete);
    tcase_add_test(core, a_stream_may_be_larger_than_a_buffered_response);
    tcase_add_test(core, streaming_and_buffered_calls_cross_over);
    tcase_add_test(core, a_streaming_call_is_refused_as_lambda_refuses_it);
    tcase_add_test(core, a_function_error_is_200_with_the_error_header_and_request_id);
    tcase_add_test(core, platform_errors_come_through_http);
    tcase_add_test(core, an_event_invocation_answers_202_empty_and_runs_later);
    tcase_add_test(core, a_dry_run_answers_204_and_runs_nothing);
    tcase_add_test(core, tail_returns_the_last_4kb_of_the_log);
    tcase_add_test(core, client_context_reaches_the_handler_decoded);
    tcase_add_test(core, the_tenant_reaches_the_handler_through_invoke_and_the_stream);
    tcase_add_test(core, functions_are_found_by_name_arn_and_qualifier);
    tcase_add_test(core, the_runtime_interface_emulator_path_reaches_the_only_function);
    suite_add_tcase(s, core);
    TCase *errors = tcase_create("errors");
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_set_timeout(errors, 60);
    tcase_add_test(errors, service_errors_have_status_type_header_and_message);
    tcase_add_test(errors, unknown_paths_are_unknown_operations);
    tcase_add_test(errors, names_lambda_refuses_are_a_validation_error);
    tcase_add_test(errors, a_missing_or_unexpected_tenant_is_refused_as_lambda_refuses_it);
    tcase_add_test(errors, tenant_ids_invoke_does_not_accept_are_refused);
    tcase_add_test(errors, a_client_context_with_parts_that_are_not_objects_is_refused);
    tcase_add_test(errors, valid_json_is_passed_on_whatever_its_numbers);
    tcase_add_test(errors, over_the_concurrency_limit_a_call_gets_429);
    tcase_add_test(errors, a_transport_failure_is_not_an_http_status);
    tcase_add_test(errors, a_failure_of_the_service_is_500_service_exception);
    tcase_add_test(errors, a_correctly_signed_request_passes);
    tcase_add_test(errors, unsigned_or_wrongly_signed_requests_get_403);
    tcase_add_test(errors, a_body_too_large_is_authenticated_before_anything_is_said_about_it);
    tcase_add_test(errors, unsigned_x_amz_headers_on_a_signed_request_are_refused);
    tcase_add_test(errors, a_signed_call_with_a_tenant_passes);
    tcase_add_test(errors, a_signature_with_trailing_characters_or_two_dates_is_refused);
    suite_add_tcase(s, errors);
    return s;
}
