/* Case expectations: each one proven both ways (an observation that meets it, one that does not,
 * named in the verdict), their validation before anything runs, and the log they see. */
#include <stdlib.h>
#include <string.h>

#include "lambdacheck/contracts.h"
#include "lambdacheck/expect.h"
#include "lambdacheck/json_util.h"
#include "suites.h"

/* What a target showed, kept small: a payload, a log and a journal entry of a local target. */
typedef struct {
    const char *type;     /* NULL: RequestResponse */
    long status;          /* 0: 200 */
    const char *error;    /* X-Amz-Function-Error */
    const char *payload;
    const char *log;
    bool remote;          /* no journal; the log is the last 4 KB */
    bool cold;
    double duration_ms;
    lc_end end;
} seen;

static lc_observation observe(const seen *s, lc_result *journal)
{
    memset(journal, 0, sizeof *journal);
    journal->cold_start = s->cold;
    journal->duration_ms = s->duration_ms;
    journal->end = s->end;
    snprintf(journal->function_error, sizeof journal->function_error, "%s",
             s->end == LC_END_ERROR ? "Unhandled" : "");
    snprintf(journal->error_type, sizeof journal->error_type, "%s",
             s->end == LC_END_ERROR ? "ValueError"
             : s->end == LC_END_INIT_ERROR ? "Runtime.ImportModuleError" : "");
    journal->payload = (char *)"{\"r\": 1}";
    journal->payload_len = 8;
    const char *log = s->log ? s->log : "";
    return (lc_observation){.invocation_type = s->type ? s->type : "RequestResponse",
                            .status = s->status ? s->status : 200,
                            .function_error = s->error ? s->error : "",
                            .request_id = "req-1",
                            .payload = s->payload ? s->payload : "",
                            .payload_len = s->payload ? strlen(s->payload) : 0,
                            .log = log,
                            .log_len = strlen(log),
                            .log_is_tail = s->remote,
                            .runtime = LC_RUNTIME_PYTHON3_11,
                            .local = !s->remote,
                            .journal = s->remote ? NULL : journal};
}

typedef struct {
    const char *expect;  /* one expectation, as JSON text */
    seen seen;
    lc_check_state state;
    const char *message; /* a part of the verdict's message */
} row;

#define LOG "START RequestId: req-1 Version: $LATEST\nhello from the handler\nEND RequestId: req-1\n" \
            "REPORT RequestId: req-1\tDuration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: " \
            "128 MB\tMax Memory Used: 40 MB\tInit Duration: 80.00 ms\t\n"
#define EVENT_OK {.type = "Event", .status = 202, .end = LC_END_RESPONSE}

static const row rows[] = {
    {"{\"status\": 200}", {0}, LC_CHECK_PASSED, "HTTP status is 200"},
    {"{\"status\": 202}", {0}, LC_CHECK_FAILED, "HTTP status: expected 202, got 200"},
    {"{\"payload\": {\"a\": 1}}", {.payload = "{\"a\": 1}"}, LC_CHECK_PASSED, "equals"},
    {"{\"payload\": {\"a\": 1}}", {.payload = "{\"a\": 2}"}, LC_CHECK_FAILED, "$.a: expected 1, got 2"},
    {"{\"payload\": null}", {.payload = "not json"}, LC_CHECK_FAILED, "the payload is not JSON: \"not json\""},
    {"{\"payloadContains\": {\"a\": 1}}", {.payload = "{\"a\": 1, \"b\": 2}"}, LC_CHECK_PASSED, "contains"},
    {"{\"payloadContains\": {\"c\": 1}}", {.payload = "{\"a\": 1}"}, LC_CHECK_FAILED, "$.c: expected 1, got nothing (key missing)"},
    {"{\"payloadText\": \"plain text\"}", {.payload = "plain text"}, LC_CHECK_PASSED, "the payload is the expected 10 bytes"},
    {"{\"payloadText\": \"plain text\"}", {.payload = "plain"}, LC_CHECK_FAILED, "the payload differs from byte 5 (expected 10 bytes, got 5): expected \"plain text\", got \"plain\""},
    {"{\"body\": {\"message\": \"hi\"}}", {.payload = "{\"statusCode\": 200, \"body\": \"{\\\"message\\\":\\\"hi\\\"}\"}"}, LC_CHECK_PASSED, "the body equals"},
    {"{\"body\": {\"message\": \"hi\"}}", {.payload = "{\"statusCode\": 200, \"body\": \"{\\\"message\\\": \\\"ho\\\"}\"}"}, LC_CHECK_FAILED, "$.message: expected \"hi\", got \"ho\""},
    {"{\"body\": {\"m\": 1}}", {.payload = "{\"statusCode\": 200, \"body\": \"eyJtIjogMX0=\", \"isBase64Encoded\": true}"}, LC_CHECK_PASSED, "the body equals"},
    {"{\"body\": {\"m\": 1}}", {.payload = "{\"statusCode\": 200}"}, LC_CHECK_FAILED, "the response has no body string"},
    {"{\"bodyContains\": {\"m\": 1}}", {.payload = "{\"body\": \"{\\\"m\\\": 1, \\\"n\\\": 2}\"}"}, LC_CHECK_PASSED, "the body contains"},
    {"{\"bodyContains\": {\"m\": 1}}", {.payload = "{\"body\": \"<html>\"}"}, LC_CHECK_FAILED, "the body is not JSON: <html>"},
    {"{\"functionError\": \"Unhandled\"}", {.error = "Unhandled"}, LC_CHECK_PASSED, "X-Amz-Function-Error is Unhandled"},
    {"{\"functionError\": null}", {.error = "Unhandled"}, LC_CHECK_FAILED, "expected none, got Unhandled"},
    {"{\"errorType\": \"ValueError\"}", {.error = "Unhandled", .payload = "{\"errorType\": \"ValueError\"}"}, LC_CHECK_PASSED, "$.errorType is \"ValueError\""},
    {"{\"errorType\": \"ValueError\"}", {.payload = "{\"ok\": true}"}, LC_CHECK_FAILED, "but the payload has no errorType (the function did not fail)"},
    {"{\"errorMessage\": \"boom\"}", {.error = "Unhandled", .payload = "{\"errorMessage\": \"bang\"}"}, LC_CHECK_FAILED, "expected \"boom\", got \"bang\""},
    {"{\"logContains\": \"hello from\"}", {.log = LOG}, LC_CHECK_PASSED, "the log contains \"hello from\""},
    {"{\"logContains\": [\"hello\", \"goodbye\"]}", {.log = LOG}, LC_CHECK_FAILED, "the log does not contain \"goodbye\""},
    {"{\"logContains\": \"goodbye\"}", {.log = LOG, .remote = true}, LC_CHECK_FAILED, "only the last 4 KB of the log"},
    {"{\"logNotContains\": \"Traceback\"}", {.log = LOG}, LC_CHECK_PASSED, "the log does not contain \"Traceback\""},
    {"{\"logNotContains\": \"hello\"}", {.log = LOG}, LC_CHECK_FAILED, "the log contains \"hello\": hello from the handler"},
    {"{\"logMatches\": \"^hello .* handler$\"}", {.log = LOG}, LC_CHECK_PASSED, "the log matches"},
    {"{\"logMatches\": [\"Duration: [0-9]+\\\\.[0-9]+ ms\", \"^bye\"]}", {.log = LOG}, LC_CHECK_FAILED, "no line of the log matches /^bye/"},
    {"{\"coldStart\": true}", {.cold = true}, LC_CHECK_PASSED, "expected a cold start, got a cold one"},
    {"{\"coldStart\": false}", {.cold = true}, LC_CHECK_FAILED, "expected a warm start, got a cold one"},
    {"{\"coldStart\": true}", {.log = LOG, .remote = true}, LC_CHECK_PASSED, "got a cold one"},
    {"{\"coldStart\": true}", {.remote = true}, LC_CHECK_NOT_CHECKED, "no REPORT line"},
    {"{\"maxDurationMs\": 50}", {.duration_ms = 12.5}, LC_CHECK_PASSED, "took 12.50 ms, within 50 ms"},
    {"{\"maxDurationMs\": 10}", {.duration_ms = 12.5}, LC_CHECK_FAILED, "took 12.50 ms, over 10 ms"},
    {"{\"maxDurationMs\": 10}", {.log = LOG, .remote = true}, LC_CHECK_FAILED, "took 12.50 ms, over 10 ms"},
    {"{\"discarded\": true}", EVENT_OK, LC_CHECK_PASSED, "the handler ran and returned 8 bytes, which reached no caller"},
    {"{\"discarded\": true}", {.type = "Event", .status = 202, .end = LC_END_INIT_ERROR}, LC_CHECK_FAILED, "the handler never ran: its runtime failed to initialise (Runtime.ImportModuleError)"},
    {"{\"discarded\": true}", {.type = "Event", .status = 202, .end = LC_END_ERROR}, LC_CHECK_FAILED, "the handler ran but did not return a result: it failed with ValueError"},
    {"{\"discarded\": true}", {.type = "Event", .status = 200, .payload = "null", .end = LC_END_RESPONSE}, LC_CHECK_FAILED, "the caller got 200 with 4 bytes"},
    {"{\"discarded\": true}", {.type = "Event", .status = 202, .remote = true}, LC_CHECK_NOT_CHECKED, "a remote endpoint does not show"},
};

START_TEST(each_expectation_both_ways)
{
    const row *r = &rows[_i];
    json_t *expect = json_loads(r->expect, 0, NULL);
    ck_assert_msg(expect != NULL, "row %d: bad JSON", _i);
    lc_error err = {0};
    ck_assert_msg(lc_expect_validate(expect, "case.json", "expect.", &err) == LC_OK, "row %d: %s",
                  _i, err.message);
    lc_result journal;
    lc_observation o = observe(&r->seen, &journal);
    lc_verdicts v = {0};
    lc_expect_check(expect, &o, &v);
    const lc_verdict *last = v.count ? &v.items[v.count - 1] : NULL;
    const lc_verdict *decisive = last;
    for (size_t i = 0; i < v.count; i++)
        if (v.items[i].state != LC_CHECK_PASSED)
            decisive = &v.items[i];
    ck_assert_msg(decisive && decisive->state == r->state && strstr(decisive->message, r->message),
                  "row %d (%s): wanted state %d with \"%s\", got %d: \"%s\"", _i, r->expect,
                  r->state, r->message, decisive ? (int)decisive->state : -1,
                  decisive ? decisive->message : "(no verdict)");
    const char *key = json_object_iter_key(json_object_iter(expect));
    ck_assert_str_eq(decisive->check, key);
    lc_verdicts_clear(&v);
    json_decref(expect);
}
END_TEST

/* A stream cut short after 600 of 1000 bytes: the verdict names byte 600 and shows both texts
 * from a little before it, not two identical starts. */
START_TEST(a_stream_cut_short_shows_where_it_differs)
{
    char want[1001], got[601];
    for (int i = 0; i < 1000; i++)
        want[i] = (char)('a' + i % 26);
    want[1000] = '\0';
    memcpy(got, want, 600);
    got[600] = '\0';
    json_t *expect = json_pack("{s:s}", "streamText", want);
    lc_result journal;
    lc_observation o = observe(&(seen){.payload = ""}, &journal);
    o.streamed = true;
    o.stream = got;
    o.stream_len = 600;
    lc_verdicts v = {0};
    lc_expect_check(expect, &o, &v);
    ck_assert_int_eq(v.count, 1);
    ck_assert_int_eq(v.items[0].state, LC_CHECK_FAILED);
    char tail[64];
    snprintf(tail, sizeof tail, "got \"...%.40s\"", got + 560);
    ck_assert_msg(strstr(v.items[0].message, "the stream differs from byte 600 (expected 1000 "
                                             "bytes, got 600): expected \"...") != NULL &&
                      strstr(v.items[0].message, tail) != NULL,
                  "%s", v.items[0].message);
    lc_verdicts_clear(&v);
    json_decref(expect);
}
END_TEST

/* The journal keeps a whole invocation's log: a line printed before a long traceback is found. */
START_TEST(the_whole_log_is_searched_not_its_tail)
{
    size_t n = 64 * 1024;
    char *log = malloc(n + 64);
    strcpy(log, "early line\n");
    memset(log + 11, 'x', n);
    strcpy(log + 11 + n, "\nlast line\n");
    lc_observation o = {.invocation_type = "RequestResponse", .status = 200, .function_error = "",
                        .request_id = "r", .log = log, .log_len = strlen(log), .local = true};
    json_t *expect = json_pack("{s:s}", "logContains", "early line");
    lc_verdicts v = {0};
    lc_expect_check(expect, &o, &v);
    ck_assert_int_eq(v.items[0].state, LC_CHECK_PASSED);
    lc_verdicts_clear(&v);
    /* a log cut at its cap says so when the text is missing */
    o.log_truncated = true;
    json_object_set_new(expect, "logContains", json_string("missing"));
    lc_expect_check(expect, &o, &v);
    ck_assert_ptr_nonnull(strstr(v.items[0].message, "the log reached its 1 MB cap"));
    lc_verdicts_clear(&v);
    json_decref(expect);
    free(log);
}
END_TEST

/* Bad expectations are errors before anything runs, naming the file, where, and the key. */
START_TEST(expectations_are_validated_with_names)
{
    static const struct {
        const char *expect;
        const char *message;
    } bad[] = {
        {"{\"paylaod\": 1}", "case.json: expect.paylaod: unknown expectation (known: status,"},
        {"{\"status\": \"200\"}", "case.json: expect.status must be an integer"},
        {"{\"discarded\": false}", "expect.discarded must be true (the handler ran, returned"},
        {"{\"logMatches\": \"a(\"}", "expect.logMatches: \"a(\" is not a valid regular expression"},
        /* patterns the C library would take seconds (or gigabytes) to compile */
        {"{\"logMatches\": \"^x****************************************************************"
         "****************************************************************\"}",
         "adjacent repetition operators"},
        {"{\"logMatches\": \"((a{255}){255}){255}\"}", "expand to more than 100000 copies"},
        {"{\"logContains\": [1]}", "expect.logContains must be a string or a list of strings"},
        {"{\"maxDurationMs\": 0}", "expect.maxDurationMs must be a positive number"},
        {"[]", "case.json: expect. must be an object"},
        {"{\"awsCalls\": {}}", "expect.awsCalls must be a list of calls"},
        {"{\"awsCalls\": [{\"call\": \"dynamodb:GetItm\"}]}",
         "expect.awsCalls[0].call: dynamodb has no operation \"GetItm\" (did you mean GetItem?)"},
        {"{\"awsCalls\": [{\"paramsContain\": {}}]}", "expect.awsCalls[0].call is missing"},
        {"{\"awsCalls\": [{\"call\": \"sqs:SendMessage\", \"paramsContain\": []}]}",
         "expect.awsCalls[0].paramsContain must be an object"},
        {"{\"awsCalls\": [{\"call\": \"sqs:SendMessage\", \"with\": {}}]}",
         "expect.awsCalls[0].with: unknown field"},
        {"{\"awsCallsOnly\": true}", "expect.awsCallsAnyOrder and awsCallsOnly go with awsCalls"},
        {"{\"noAwsCalls\": true, \"awsCalls\": []}", "noAwsCalls and awsCalls contradict"},
        {"{\"noAwsCalls\": false}", "expect.noAwsCalls must be true"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *expect = json_loads(bad[i].expect, JSON_DECODE_ANY, NULL);
        lc_error err = {0};
        ck_assert_int_ne(lc_expect_validate(expect, "case.json", "expect.", &err), LC_OK);
        char text[1024];
        lc_error_format(&err, text, sizeof text);
        ck_assert_msg(strstr(text, bad[i].message), "%s: got \"%s\"", bad[i].expect, text);
        json_decref(expect);
    }
}
END_TEST

/* The guard against costly patterns refuses none that a log check writes: escapes, brackets
 * and intervals up to the limit pass. */
START_TEST(costly_pattern_guard_lets_ordinary_patterns_through)
{
    static const char *const good[] = {
        "^START RequestId: [0-9a-f-]{36}", "x*y+z?", "[*+?]{2}\\*\\*", "(a|b)*c{2,5}",
        "(a{255}){255}", "[[:digit:]]+ ms", "a{3,}b", "(((x)))*",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        json_t *expect = json_pack("{s:s}", "logMatches", good[i]);
        lc_error err = {0};
        ck_assert_msg(lc_expect_validate(expect, "case.json", "expect.", &err) == LC_OK, "%s: %s",
                      good[i], err.message);
        json_decref(expect);
    }
}
END_TEST

/* A payload is bytes: not UTF-8, and not NUL-terminated (messages once read past it with
 * %.200s; under AddressSanitizer that read is an error). */
START_TEST(verdict_messages_are_valid_utf8_and_stay_within_the_payload)
{
    char *bytes = malloc(3); /* no terminator */
    memcpy(bytes, "\xff\xfe\x80", 3);
    lc_observation o = {.invocation_type = "RequestResponse", .status = 200, .function_error = "",
                        .request_id = "r", .payload = bytes, .payload_len = 3};
    json_t *expect = json_pack("{s:s, s:s}", "payloadText", "x", "errorType", "E");
    json_object_set_new(expect, "payload", json_null());
    lc_verdicts v = {0};
    lc_expect_check(expect, &o, &v);
    lc_contracts_check(&o, expect, &v);
    for (size_t i = 0; i < v.count; i++)
        ck_assert(lc_utf8_valid(v.items[i].message, strlen(v.items[i].message)));
    lc_verdicts_clear(&v);
    json_decref(expect);
    free(bytes);
}
END_TEST

/* The verdict of expect (JSON text) on these calls (JSON text; NULL: not seen). */
static lc_verdict aws_verdict(const char *expect_text, const char *calls_text)
{
    json_t *expect = json_loads(expect_text, 0, NULL);
    json_t *calls = calls_text ? json_loads(calls_text, 0, NULL) : NULL;
    lc_error err = {0};
    ck_assert_msg(lc_expect_validate(expect, "c", "expect.", &err) == LC_OK, "%s", err.message);
    lc_observation o = {.invocation_type = "RequestResponse", .status = 200, .function_error = "",
                        .request_id = "r", .payload = "null", .payload_len = 4,
                        .aws_calls = calls, .aws_unseen = "its calls go elsewhere"};
    lc_verdicts v = {0};
    lc_expect_check(expect, &o, &v);
    ck_assert_int_eq(v.count, 1);
    lc_verdict out = v.items[0];
    lc_verdicts_clear(&v);
    json_decref(expect);
    json_decref(calls);
    return out;
}

#define MADE                                                                                       \
    "[{\"call\": \"dynamodb:GetItem\", \"params\": {\"TableName\": \"orders\", \"Key\": {\"id\": "     \
    "{\"S\": \"42\"}}}}, {\"call\": \"sqs:SendMessage\", \"params\": {\"QueueUrl\": \"q1\"}},"     \
    " {\"call\": \"sqs:SendMessage\", \"params\": {\"QueueUrl\": \"q2\"}}]"

/* awsCalls in order, in any order, only those, and noAwsCalls: each met and each broken. */
START_TEST(aws_call_expectations_hold_and_fail_by_name)
{
    static const struct {
        const char *expect;
        const char *calls;
        lc_check_state state;
        const char *message;
    } cases[] = {
        {"{\"awsCalls\": [{\"call\": \"dynamodb:GetItem\", \"paramsContain\": {\"Key\": {\"id\": "
         "{\"S\": \"42\"}}}}, {\"call\": \"sqs:SendMessage\", \"params\": {\"QueueUrl\": \"q2\"}}]}",
         MADE, LC_CHECK_PASSED, "2 expected calls made, in order (3 in all)"},
        {"{\"awsCalls\": [{\"call\": \"sqs:SendMessage\"}, {\"call\": \"dynamodb:GetItem\"}]}", MADE,
         LC_CHECK_FAILED, "expected call 1 (dynamodb:GetItem) was not made after the ones before it"},
        {"{\"awsCalls\": [{\"call\": \"sqs:SendMessage\"}, {\"call\": \"dynamodb:GetItem\"}], "
         "\"awsCallsAnyOrder\": true}", MADE, LC_CHECK_PASSED, "2 expected calls made (3 in all)"},
        /* any order needs augmenting: the first expectation could take either message */
        {"{\"awsCalls\": [{\"call\": \"sqs:SendMessage\"}, {\"call\": \"sqs:SendMessage\", "
         "\"paramsContain\": {\"QueueUrl\": \"q1\"}}], \"awsCallsAnyOrder\": true}",
         "[{\"call\": \"sqs:SendMessage\", \"params\": {\"QueueUrl\": \"q1\"}}, {\"call\": "
         "\"sqs:SendMessage\", \"params\": {\"QueueUrl\": \"q2\"}}]", LC_CHECK_PASSED, "2 expected"},
        {"{\"awsCalls\": [{\"call\": \"sqs:SendMessage\", \"paramsContain\": {\"QueueUrl\": \"q9\"}}]}",
         MADE, LC_CHECK_FAILED,
         "expected call 0 (sqs:SendMessage) was not made after the ones before it; call 1 is "
         "sqs:SendMessage but $.QueueUrl: expected \"q9\", got \"q1\"; made 3: [0] dynamodb:GetItem"},
        {"{\"awsCalls\": [{\"call\": \"dynamodb:GetItem\"}], \"awsCallsOnly\": true}", MADE,
         LC_CHECK_FAILED, "2 calls besides the expected ones (awsCallsOnly)"},
        {"{\"awsCalls\": [{\"call\": \"dynamodb:GetItem\"}, {\"call\": \"sqs:SendMessage\"}, "
         "{\"call\": \"sqs:SendMessage\"}], \"awsCallsOnly\": true}", MADE, LC_CHECK_PASSED, "3 expected"},
        {"{\"awsCalls\": [{\"call\": \"s3:PutObject\"}]}", MADE, LC_CHECK_FAILED,
         "no s3:PutObject call was made"},
        {"{\"noAwsCalls\": true}", "[]", LC_CHECK_PASSED, "no AWS call was made"},
        {"{\"noAwsCalls\": true}", MADE, LC_CHECK_FAILED, "expected no AWS call; made 3: [0]"},
        {"{\"noAwsCalls\": true}", NULL, LC_CHECK_NOT_CHECKED, "its calls go elsewhere"},
        {"{\"awsCalls\": []}", NULL, LC_CHECK_NOT_CHECKED, "its calls go elsewhere"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lc_verdict v = aws_verdict(cases[i].expect, cases[i].calls);
        ck_assert_msg(v.state == cases[i].state && strstr(v.message, cases[i].message),
                      "row %zu: state %d, %s", i, (int)v.state, v.message);
        ck_assert_str_eq(v.check, strstr(cases[i].expect, "noAwsCalls") ? "noAwsCalls" : "awsCalls");
    }
}
END_TEST

START_TEST(report_lines_give_duration_and_cold_start)
{
    double ms = 0;
    ck_assert(lc_log_report_duration(LOG, strlen(LOG), &ms));
    ck_assert(ms > 12.49 && ms < 12.51);
    ck_assert(lc_log_report_cold(LOG, strlen(LOG)));
    const char *warm = "REPORT RequestId: r\tDuration: 1.00 ms\tBilled Duration: 1 ms\t\n";
    ck_assert(!lc_log_report_cold(warm, strlen(warm)));
    ck_assert(!lc_log_report_duration("no report", 9, &ms));
}
END_TEST

/* With the JSON log format the report is a platform.report record; the last one counts. */
START_TEST(platform_report_records_give_duration_and_cold_start)
{
    const char *cold =
        "{\"time\":\"t\",\"type\":\"platform.report\",\"record\":{\"requestId\":\"a\","
        "\"metrics\":{\"durationMs\":3.5,\"billedDurationMs\":80,\"initDurationMs\":76.1}}}\n";
    const char *warm =
        "{\"time\":\"t\",\"type\":\"platform.report\",\"record\":{\"requestId\":\"b\","
        "\"metrics\":{\"durationMs\":1.25,\"billedDurationMs\":2}}}\n";
    double ms = 0;
    ck_assert(lc_log_has_report(cold, strlen(cold)));
    ck_assert(lc_log_report_duration(cold, strlen(cold), &ms));
    ck_assert(ms > 3.49 && ms < 3.51);
    ck_assert(lc_log_report_cold(cold, strlen(cold)));
    char both[1024];
    snprintf(both, sizeof both, "%s%s", cold, warm);
    ck_assert(lc_log_report_duration(both, strlen(both), &ms));
    ck_assert(ms > 1.24 && ms < 1.26);
    ck_assert(!lc_log_report_cold(both, strlen(both)));
    ck_assert(!lc_log_has_report("{\"type\":\"platform.start\"}", 26));
}
END_TEST

Suite *expect_suite(void)
{
    Suite *s = suite_create("expect");
    TCase *core = tcase_create("core");
    tcase_add_loop_test(core, each_expectation_both_ways, 0, (int)(sizeof rows / sizeof *rows));
    tcase_add_test(core, the_whole_log_is_searched_not_its_tail);
    tcase_add_test(core, a_stream_cut_short_shows_where_it_differs);
    tcase_add_test(core, report_lines_give_duration_and_cold_start);
    tcase_add_test(core, aws_call_expectations_hold_and_fail_by_name);
    tcase_add_test(core, platform_report_records_give_duration_and_cold_start);
    suite_add_tcase(s, core);
    TCase *errors = tcase_create("errors");
    tcase_add_test(errors, expectations_are_validated_with_names);
    tcase_add_test(errors, costly_pattern_guard_lets_ordinary_patterns_through);
    tcase_add_test(errors, verdict_messages_are_valid_utf8_and_stay_within_the_payload);
    suite_add_tcase(s, errors);
    return s;
}
