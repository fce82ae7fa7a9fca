/* Handlers that call AWS, end to end: real boto3 (the host's, under the bundled Python client)
 * and the AWS SDK for JavaScript v3 (the version Lambda ships, installed once into the cache)
 * call lambdacheck's AWS endpoint; stubs answer them, cases assert them, and every assertion
 * fails by name on a handler that breaks it. A call no stub answers fails at once; an SDK that
 * ignores AWS_ENDPOINT_URL is refused; deployed targets skip such cases. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "../common/scratch.h"
#include "background.h"
#include "run_cli.h"
#include "suites.h"

#define AWS_CASES LC_FIXTURES_DIR "/cases/aws-calls"
#define AWS_PYTHON LC_FIXTURES_DIR "/functions/aws-python"
#define DEBIAN_PYTHON "/usr/bin/python3" /* the interpreter Debian's python3-boto3 serves */

static cli_result lambdacheck(const char *const *args)
{
    return run_cli(args, NULL, NULL, 300000);
}

/* A library in a scratch folder whose functions are the aws-python handlers: functions_json is
 * the "functions" object's inside; cases are (name, case.json) pairs, NULL-terminated. */
static char *library(const char *functions_json, const char *const *cases)
{
    char *dir = scratch_dir("aws");
    scratch_write(dir, "lambdacheck.json", "{\"functions\": {%s}, \"cases\": [\".\"]}",
                  functions_json);
    for (size_t i = 0; cases[i]; i += 2) {
        char sub[300];
        snprintf(sub, sizeof sub, "%s/%s", dir, cases[i]);
        ck_assert_int_eq(mkdir(sub, 0700), 0);
        scratch_write(sub, "case.json", "%s", cases[i + 1]);
    }
    return dir;
}

#define PY_FUNCTION(name, handler, env)                                                            \
    "\"" name "\": {\"runtime\": \"python3.11\", \"handler\": \"orders." handler "\", \"code\": \"" \
    AWS_PYTHON "\", \"environment\": " env "}"

/* The JSON report of a run (caller frees). */
static json_t *report_of(const char *const *args, const char *json_path, int want_status)
{
    cli_result r = lambdacheck(args);
    ck_assert_msg(r.status == want_status, "exit %d:\n%s%s", r.status, r.out, r.err);
    cli_result_free(&r);
    json_t *doc = json_load_file(json_path, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    return doc;
}

static const json_t *check_named(const json_t *c, const char *name)
{
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(c, "checks"), i, v)
        if (strcmp(json_string_value(json_object_get(v, "check")), name) == 0)
            return v;
    return NULL;
}

/* --- the real SDKs --------------------------------------------------------------------------- */

START_TEST(boto3_calls_are_stubbed_and_asserted)
{
    cli_result r = lambdacheck((const char *[]){"check", "--python", DEBIAN_PYTHON, "--filter",
                                                "aws-calls/python/", AWS_CASES, NULL});
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "PASS aws-calls/python/get-order-found (");
    ck_assert_contains(r.out, "PASS aws-calls/python/archive (");
    ck_assert_contains(r.out, "PASS aws-calls/python/place-order (");
    ck_assert_contains(r.out, "\n6 passed, 0 failed\n");
    cli_result_free(&r);
}
END_TEST

START_TEST(javascript_sdk_calls_are_stubbed_and_asserted)
{
    cli_result r = lambdacheck((const char *[]){"check", "--filter", "aws-calls/node/", AWS_CASES,
                                                NULL});
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "PASS aws-calls/node/get-order-found (");
    ck_assert_contains(r.out, "PASS aws-calls/node/archive (");
    ck_assert_contains(r.out, "PASS aws-calls/node/place-order (");
    ck_assert_contains(r.out, "\n3 passed, 0 failed\n");
    cli_result_free(&r);
}
END_TEST

/* Each assertion on calls, broken by a handler that calls the wrong queue, makes a call the case
 * did not expect, or calls in another order: failed by name, with the calls made listed. */
START_TEST(each_call_assertion_fails_by_name_on_a_handler_that_breaks_it)
{
    char *dir = library(
        PY_FUNCTION("place", "place_order",
                    "{\"QUEUE_URL\": \"https://sqs.us-east-1.amazonaws.com/123456789012/other\"}")
        ", " PY_FUNCTION("place-and-log", "place_and_log_order",
                         "{\"QUEUE_URL\": \"q\", \"TABLE_NAME\": \"orders\"}")
        ", " PY_FUNCTION("archive", "archive", "{\"BUCKET\": \"b\"}"),
        (const char *[]){
            "wrong-queue",
            "{\"function\": \"place\", \"eventJson\": {\"id\": \"1\"},"
            " \"aws\": [{\"call\": \"sqs:SendMessage\", \"respond\": {\"MessageId\": \"m\"}}],"
            " \"expect\": {\"awsCalls\": [{\"call\": \"sqs:SendMessage\", \"paramsContain\": "
            "{\"QueueUrl\": \"https://sqs.us-east-1.amazonaws.com/123456789012/orders\"}}]}}",
            "an-extra-call",
            "{\"function\": \"place-and-log\", \"eventJson\": {\"id\": \"1\"},"
            " \"aws\": [{\"call\": \"sqs:SendMessage\", \"respond\": {\"MessageId\": \"m\"}},"
            "           {\"call\": \"dynamodb:PutItem\"}],"
            " \"expect\": {\"awsCalls\": [{\"call\": \"sqs:SendMessage\"}], \"awsCallsOnly\": true}}",
            "another-order",
            "{\"function\": \"archive\", \"eventJson\": {\"key\": \"k\"},"
            " \"aws\": [{\"call\": \"s3:GetObject\", \"respond\": {\"Body\": \"x\"}},"
            "           {\"call\": \"s3:PutObject\"}],"
            " \"expect\": {\"awsCalls\": [{\"call\": \"s3:PutObject\"}, {\"call\": \"s3:GetObject\"}]}}",
            "a-call-it-should-not-make",
            "{\"function\": \"archive\", \"eventJson\": {\"key\": \"k\"},"
            " \"aws\": [{\"call\": \"s3:GetObject\", \"respond\": {\"Body\": \"x\"}},"
            "           {\"call\": \"s3:PutObject\"}],"
            " \"expect\": {\"noAwsCalls\": true}}",
            NULL});
    char json[600];
    snprintf(json, sizeof json, "%s/report.json", dir);
    json_t *doc = report_of((const char *[]){"check", "--python", DEBIAN_PYTHON, "--json", json,
                                             dir, NULL},
                            json, 1);
    static const struct {
        const char *name, *check, *says;
    } want[] = {
        {"a-call-it-should-not-make", "noAwsCalls", "expected no AWS call; made 2: [0] s3:GetObject"},
        {"an-extra-call", "awsCalls", "1 call besides the expected ones (awsCallsOnly); made 2"},
        {"another-order", "awsCalls",
         "expected call 1 (s3:GetObject) was not made after the ones before it"},
        {"wrong-queue", "awsCalls",
         "call 0 is sqs:SendMessage but $.QueueUrl: expected "
         "\"https://sqs.us-east-1.amazonaws.com/123456789012/orders\", got "
         "\"https://sqs.us-east-1.amazonaws.com/123456789012/other\""},
    };
    const json_t *cases = json_object_get(doc, "cases");
    ck_assert_int_eq(json_array_size(cases), 4);
    for (size_t i = 0; i < 4; i++) {
        const json_t *c = json_array_get(cases, i);
        ck_assert_str_eq(json_string_value(json_object_get(c, "case")), want[i].name);
        const json_t *v = check_named(c, want[i].check);
        ck_assert_msg(v != NULL, "%s has no %s check", want[i].name, want[i].check);
        ck_assert_str_eq(json_string_value(json_object_get(v, "state")), "failed");
        ck_assert_msg(strstr(json_string_value(json_object_get(v, "message")), want[i].says),
                      "%s: %s", want[i].name, json_string_value(json_object_get(v, "message")));
        ck_assert_int_gt(json_array_size(json_object_get(c, "awsCalls")), 0); /* listed */
    }
    json_decref(doc);
    scratch_remove(dir);
}
END_TEST

/* No stub, no call: boto3 raises its ordinary ClientError at once (one attempt: a 400 is not
 * retried), naming the call and how to stub it. */
START_TEST(an_unstubbed_call_fails_at_once_naming_it)
{
    char *dir = library(PY_FUNCTION("get", "get_order", "{\"TABLE_NAME\": \"orders\"}"),
                        (const char *[]){"no-stub",
                                         "{\"function\": \"get\", \"eventJson\": {\"id\": \"42\"}}",
                                         NULL});
    char json[600];
    snprintf(json, sizeof json, "%s/report.json", dir);
    cli_result r = lambdacheck((const char *[]){"check", "--python", DEBIAN_PYTHON, "--json",
                                                json, dir, NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.out, "An error occurred (LambdacheckNoStub) when calling the GetItem "
                              "operation: lambdacheck: no stub for dynamodb:GetItem "
                              "(TableName=orders, Key={\"id\":{\"S\":\"42\"}}); add one "
                              "to the case's \"aws\" list, or pass --aws-endpoint");
    ck_assert_contains(r.out, "warning: aws-calls-answered: 1 AWS call had no stub");
    ck_assert_contains(r.out, "[0] dynamodb:GetItem {\"TableName\":\"orders\"");
    cli_result_free(&r);
    json_t *doc = json_load_file(json, 0, NULL);
    const json_t *c = json_array_get(json_object_get(doc, "cases"), 0);
    ck_assert_int_eq(json_array_size(json_object_get(c, "awsCalls")), 1); /* not retried */
    printf("an unstubbed call failed its case in %.0f ms\n",
           json_number_value(json_object_get(c, "durationMs")));
    json_decref(doc);
    scratch_remove(dir);
}
END_TEST

/* Code that reaches an AWS host without an SDK that honours AWS_ENDPOINT_URL goes through the
 * proxy variables and is refused at once; the case warns about it. */
START_TEST(a_connection_to_aws_that_ignores_the_endpoint_is_refused)
{
    char *dir = library(PY_FUNCTION("raw", "raw_https", "{}"),
                        (const char *[]){"raw", "{\"function\": \"raw\", \"expect\": {"
                                                "\"payloadContains\": {\"reached\": false}}}",
                                         NULL});
    cli_result r = lambdacheck((const char *[]){"check", "--python", DEBIAN_PYTHON, dir, NULL});
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "warning: aws-calls-answered: 1 connection to AWS was refused (an "
                              "SDK that ignores AWS_ENDPOINT_URL)");
    ck_assert_contains(r.out, "CONNECT sqs.us-east-1.amazonaws.com:443");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* --aws-endpoint sends the calls to an emulator the team runs: the functions get its URL, and
 * the call assertions are reported as not checked, never as passed. */
START_TEST(aws_endpoint_sends_the_calls_elsewhere_and_leaves_them_unchecked)
{
    char *dir = library(PY_FUNCTION("endpoint", "endpoint", "{}"),
                        (const char *[]){
                            "where",
                            "{\"function\": \"endpoint\", \"expect\": {\"payload\": "
                            "{\"AWS_ENDPOINT_URL\": \"http://127.0.0.1:4566\"}, \"noAwsCalls\": true}}",
                            NULL});
    cli_result r = lambdacheck((const char *[]){"check", "--aws-endpoint", "http://127.0.0.1:4566",
                                                dir, NULL});
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "not checked: noAwsCalls: its AWS calls go to http://127.0.0.1:4566 "
                              "(--aws-endpoint)");
    cli_result_free(&r);
    r = lambdacheck((const char *[]){"check", "--aws-endpoint", "localhost:4566", dir, NULL});
    ck_assert_int_eq(r.status, 2);
    ck_assert_contains(r.err, "--aws-endpoint takes an http:// or https:// URL, not 'localhost:4566'");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* Against a deployed target (here serve, over HTTP) the endpoint cannot be interposed: the cases
 * that stub or assert calls are skipped, counted and named; the others run. */
START_TEST(cases_with_stubs_are_skipped_against_a_deployed_target)
{
    background srv;
    bg_start(&srv, (const char *[]){cli_path(), "serve", "--manifest", AWS_CASES, "--python",
                                    DEBIAN_PYTHON, "--port-file", "{port_file}", NULL});
    cli_result r = lambdacheck((const char *[]){"check", "--endpoint-url", bg_url(&srv),
                                                "--filter", "aws-calls/python/", AWS_CASES, NULL});
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "SKIP aws-calls/python/get-order-found: skipped: it asserts AWS calls, "
                              "and a deployed function's calls go to AWS");
    ck_assert_contains(r.out, "SKIP aws-calls/python/total-makes-no-call: skipped: it asserts");
    ck_assert_contains(r.out, "SKIP aws-calls/python/get-order-table-gone: skipped: it has stubs "
                              "for its AWS calls");
    ck_assert_contains(r.out, "6 cases skipped");
    ck_assert_contains(r.out, "\n0 passed, 0 failed, some skipped\n");
    ck_assert(strstr(r.out, "PASS ") == NULL);
    cli_result_free(&r);
    ck_assert_int_eq(bg_stop(&srv), 0);
}
END_TEST

/* --- invoke and serve -------------------------------------------------------------------------- */

START_TEST(invoke_answers_calls_from_a_stubs_file_and_prints_them)
{
    char *dir = scratch_dir("stubs");
    scratch_write(dir, "stubs.json",
                  "[{\"call\": \"dynamodb:GetItem\", \"respond\": {\"Item\": {\"id\": {\"S\": "
                  "\"42\"}, \"total\": {\"N\": \"7\"}}}}]");
    char stubs[600];
    snprintf(stubs, sizeof stubs, "%s/stubs.json", dir);
    cli_result r = lambdacheck((const char *[]){"invoke", "--aws-stubs", stubs, "--python",
                                                DEBIAN_PYTHON, "--runtime", "python3.11", "--code",
                                                AWS_PYTHON, "--handler", "orders.get_order", "--env",
                                                "TABLE_NAME=orders", "--payload", "{\"id\": \"42\"}",
                                                NULL});
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "{\"id\": \"42\", \"total\": 7}");
    ck_assert_contains(r.err, "lambdacheck: aws: dynamodb:GetItem {\"TableName\":\"orders\",\"Key\":"
                              "{\"id\":{\"S\":\"42\"}}} -> 200 (stub 0)");
    cli_result_free(&r);
    scratch_write(dir, "bad.json", "[{\"call\": \"dynamodb:Get\"}]");
    snprintf(stubs, sizeof stubs, "%s/bad.json", dir);
    r = lambdacheck((const char *[]){"invoke", "--aws-stubs", stubs, "--code", AWS_PYTHON,
                                     "--handler", "orders.total", NULL});
    ck_assert_int_eq(r.status, 2);
    ck_assert_contains(r.err, "bad.json: aws[0].call: dynamodb has no operation \"Get\"");
    cli_result_free(&r);
    r = lambdacheck((const char *[]){"invoke", "--endpoint-url", "http://127.0.0.1:9",
                                     "--function-name", "f", "--aws-stubs", stubs, NULL});
    ck_assert_int_eq(r.status, 2);
    ck_assert_contains(r.err, "a deployed function's go to AWS, not with --endpoint-url");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

START_TEST(serve_logs_every_call_as_it_is_answered)
{
    background srv;
    bg_start(&srv, (const char *[]){cli_path(), "serve", "--python", DEBIAN_PYTHON, "--runtime",
                                    "python3.11", "--code", AWS_PYTHON, "--handler",
                                    "orders.get_order", "--function-name", "get", "--env",
                                    "TABLE_NAME=orders", "--port-file", "{port_file}", NULL});
    cli_result r = lambdacheck((const char *[]){"invoke", "--endpoint-url", bg_url(&srv),
                                                "--function-name", "get", "--payload",
                                                "{\"id\": \"9\"}", NULL});
    ck_assert_contains(r.out, "LambdacheckNoStub");
    cli_result_free(&r);
    char *log = NULL;
    bg_stop_with_log(&srv, &log);
    ck_assert_contains(log, "lambdacheck: aws: dynamodb:GetItem {\"TableName\":\"orders\"");
    ck_assert_contains(log, "no stub for dynamodb:GetItem (TableName=orders");
    free(log);
}
END_TEST

/* --- bad input --------------------------------------------------------------------------------- */

START_TEST(bad_stubs_in_a_case_are_problems_naming_the_case_and_the_stub)
{
    char *dir = library(PY_FUNCTION("get", "get_order", "{}"),
                        (const char *[]){
                            "unknown-service",
                            "{\"function\": \"get\", \"aws\": [{\"call\": \"dynamo:GetItem\"}]}",
                            "bad-match",
                            "{\"function\": \"get\", \"aws\": [{\"call\": \"dynamodb:GetItem\","
                            " \"match\": [1]}]}",
                            "respond-not-json-object",
                            "{\"function\": \"get\", \"aws\": [{\"call\": \"dynamodb:GetItem\","
                            " \"respond\": \"{\\\"Item\\\": 1}\"}]}",
                            "missing-file",
                            "{\"function\": \"get\", \"awsStubsFile\": \"nowhere.json\"}",
                            NULL});
    cli_result r = lambdacheck((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 3);
    ck_assert_contains(r.err, "unknown-service/case.json: aws[0].call: lambdacheck does not know "
                              "the service \"dynamo\"");
    ck_assert_contains(r.err, "bad-match/case.json: aws[0].match must be an object");
    ck_assert_contains(r.err, "respond-not-json-object/case.json: aws[0]: respond must be an object");
    ck_assert_contains(r.err, "missing-file/case.json: awsStubsFile: ");
    ck_assert_contains(r.err, "nowhere.json");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* The JUnit file carries a case's calls in its output, for CI tools. */
START_TEST(junit_output_lists_the_calls)
{
    char *dir = scratch_dir("aws-junit");
    char junit[600];
    snprintf(junit, sizeof junit, "%s/junit.xml", dir);
    cli_result r = lambdacheck((const char *[]){"check", "--python", DEBIAN_PYTHON, "--junit",
                                                junit, "--filter", "python/archive", AWS_CASES,
                                                NULL});
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    cli_result_free(&r);
    FILE *f = fopen(junit, "r");
    ck_assert_ptr_nonnull(f);
    char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    ck_assert_contains(text, "AWS calls made: [{&quot;call&quot;:&quot;s3:GetObject&quot;");
    scratch_remove(dir);
}
END_TEST

Suite *aws_suite(void)
{
    Suite *s = suite_create("aws");
    TCase *sdks = tcase_create("sdks");
    tcase_set_timeout(sdks, 300);
    tcase_add_test(sdks, boto3_calls_are_stubbed_and_asserted);
    tcase_add_test(sdks, javascript_sdk_calls_are_stubbed_and_asserted);
    tcase_add_test(sdks, each_call_assertion_fails_by_name_on_a_handler_that_breaks_it);
    tcase_add_test(sdks, an_unstubbed_call_fails_at_once_naming_it);
    tcase_add_test(sdks, a_connection_to_aws_that_ignores_the_endpoint_is_refused);
    tcase_add_test(sdks, aws_endpoint_sends_the_calls_elsewhere_and_leaves_them_unchecked);
    tcase_add_test(sdks, cases_with_stubs_are_skipped_against_a_deployed_target);
    suite_add_tcase(s, sdks);
    TCase *commands = tcase_create("commands");
    tcase_set_timeout(commands, 120);
    tcase_add_test(commands, invoke_answers_calls_from_a_stubs_file_and_prints_them);
    tcase_add_test(commands, serve_logs_every_call_as_it_is_answered);
    tcase_add_test(commands, junit_output_lists_the_calls);
    suite_add_tcase(s, commands);
    TCase *errors = tcase_create("errors");
    tcase_add_test(errors, bad_stubs_in_a_case_are_problems_naming_the_case_and_the_stub);
    suite_add_tcase(s, errors);
    return s;
}
