/* lambdacheck invoke, end to end: every row of the contract tables through the command, and the
 * command's own options, output formats and exit statuses. */
#include <check.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "../common/probe_rows.h"
#include "lambdacheck/buf.h"
#include "../common/scratch.h"
#include "run_cli.h"
#include "suites.h"

#define PROBES LC_FIXTURES_DIR "/functions/probes"
#define EXAMPLES LC_FIXTURES_DIR "/functions/examples"
#define MANAGED LC_FIXTURES_DIR "/functions/managed"

static cli_result invoke(const char *const *args)
{
    return run_cli(args, NULL, NULL, 60000);
}

static json_t *stdout_json(const cli_result *r)
{
    json_error_t e;
    json_t *v = json_loads(r->out, 0, &e);
    ck_assert_msg(v != NULL, "stdout is not JSON (%s): %s\nstderr: %s", e.text, r->out, r->err);
    return v;
}

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static void check_success_row(const probe_row *row, const cli_result *r, json_t *out)
{
    size_t len = row->payload_len ? row->payload_len : strlen(row->payload);
    ck_assert_msg(r->status == 0, "%s: exit %d: %s", row->name, r->status, r->out);
    ck_assert(json_is_null(json_object_get(out, "functionError")));
    const char *payload = str(out, "payload");
    if (payload) {
        ck_assert_str_eq(payload, row->payload);
        return;
    }
    lc_buf bytes; /* not UTF-8: the command gives it as base64 */
    lc_buf_init(&bytes, 0);
    const char *b64 = str(out, "payloadBase64");
    ck_assert_ptr_nonnull(b64);
    ck_assert_int_eq(lc_buf_base64_decode(&bytes, b64, strlen(b64)), LC_OK);
    ck_assert_uint_eq(bytes.len, len);
    ck_assert_int_eq(memcmp(bytes.data, row->payload, len), 0);
    lc_buf_free(&bytes);
}

static void check_error_row(const probe_row *row, const cli_result *r, json_t *out)
{
    ck_assert_msg(r->status == 1, "%s: exit %d", row->name, r->status);
    ck_assert_str_eq(str(out, "functionError"), "Unhandled");
    json_t *body = json_loads(str(out, "payload"), 0, NULL);
    ck_assert_str_eq(str(body, "errorType"), row->error_type);
    char want[512];
    const char *at = strstr(row->error_message, "{id}");
    if (at)
        snprintf(want, sizeof want, "%.*s%s%s", (int)(at - row->error_message),
                 row->error_message, str(out, "requestId"), at + 4);
    else
        snprintf(want, sizeof want, "%s", row->error_message);
    ck_assert_str_eq(str(body, "errorMessage"), want);
    if (json_object_get(body, "requestId"))
        ck_assert_str_eq(str(body, "requestId"), row->init_error ? "" : str(out, "requestId"));
    json_decref(body);
}

START_TEST(each_row_of_the_contract_tables)
{
    const probe_row *row = &probe_rows[_i];
    char timeout[32], memory[32];
    snprintf(timeout, sizeof timeout, "%ld", row->timeout_ms ? row->timeout_ms : 3000);
    snprintf(memory, sizeof memory, "%ld", row->memory_mb ? row->memory_mb : 128);
    const char *args[] = {"invoke", "--handler", row->handler, "--code", PROBES, "--payload",
                          row->event, "--timeout-ms", timeout, "--memory", memory,
                          "--output", "json", NULL};
    cli_result r = invoke(args);
    json_t *out = stdout_json(&r);
    ck_assert_int_eq(json_integer_value(json_object_get(out, "statusCode")), 200);
    ck_assert_str_eq(str(out, "executedVersion"), "$LATEST");
    if (row->error_type)
        check_error_row(row, &r, out);
    else
        check_success_row(row, &r, out);
    json_decref(out);
    cli_result_free(&r);
}
END_TEST

START_TEST(the_seed_greeting_from_an_event_file)
{
    const char *args[] = {"invoke", "--handler", "greeting.lambda_handler", "--code", EXAMPLES,
                          LC_FIXTURES_DIR "/events/seed/greeting.json", NULL};
    cli_result r = invoke(args);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "{\"message\": \"Hello John Smith!\"}\n");
    cli_result_free(&r);
}
END_TEST

START_TEST(the_event_can_come_from_stdin)
{
    const char *args[] = {"invoke", "--handler", "calculator.lambda_handler", "--code", EXAMPLES,
                          "-", NULL};
    cli_result r = run_cli(args, "{\"action\": \"increment\", \"number\": 3}", NULL, 60000);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "{\"result\": 4}\n");
    cli_result_free(&r);
}
END_TEST

START_TEST(env_and_region_reach_the_handler)
{
    const char *args[] = {"invoke", "--handler", "probes.environment", "--code", PROBES,
                          "--env", "TABLE_NAME=orders", "--env", "EMPTY=", NULL};
    cli_result r = invoke(args);
    ck_assert_int_eq(r.status, 0);
    json_t *env = stdout_json(&r);
    ck_assert_str_eq(str(env, "TABLE_NAME"), "orders");
    ck_assert_str_eq(str(env, "EMPTY"), "");
    ck_assert_str_eq(str(env, "AWS_REGION"), "us-east-1");
    json_decref(env);
    cli_result_free(&r);
}
END_TEST

START_TEST(tail_prints_the_framed_log_to_stderr)
{
    const char *args[] = {"invoke", "--handler", "probes.logs", "--code", PROBES, "--log-type",
                          "Tail", NULL};
    cli_result r = invoke(args);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "\"logged\"\n");
    ck_assert_ptr_nonnull(strstr(r.err, "START RequestId: "));
    ck_assert_ptr_nonnull(strstr(r.err, "printed line\n"));
    ck_assert_ptr_nonnull(strstr(r.err, "REPORT RequestId: "));
    cli_result_free(&r);
}
END_TEST

START_TEST(json_output_has_the_documented_keys)
{
    const char *args[] = {"invoke", "--handler", "probes.logs", "--code", PROBES, "--log-type",
                          "Tail", "--output", "json", NULL};
    cli_result r = invoke(args);
    json_t *out = stdout_json(&r);
    ck_assert_int_eq(json_integer_value(json_object_get(out, "statusCode")), 200);
    ck_assert_str_eq(str(out, "payload"), "\"logged\"");
    ck_assert_uint_eq(strlen(str(out, "requestId")), 36);
    ck_assert_ptr_nonnull(strstr(str(out, "logResult"), "END RequestId: "));
    ck_assert(json_is_null(json_object_get(out, "functionError")));
    json_decref(out);
    cli_result_free(&r);
}
END_TEST

START_TEST(client_context_reaches_the_handler)
{
    const char *args[] = {"invoke", "--handler", "probes.context_dump", "--code", PROBES,
                          "--client-context", "{\"custom\": {\"tier\": \"gold\"}}", NULL};
    cli_result r = invoke(args);
    ck_assert_int_eq(r.status, 0);
    json_t *out = stdout_json(&r);
    json_t *custom = json_object_get(json_object_get(out, "client_context"), "custom");
    ck_assert_str_eq(str(custom, "tier"), "gold");
    json_decref(out);
    cli_result_free(&r);
}
END_TEST

START_TEST(a_runtime_command_replaces_the_bundled_client)
{
    /* /bin/false is no Runtime API client: it exits at once, and that is a function error */
    const char *args[] = {"invoke", "--handler", "app.handler", "--code", PROBES,
                          "--runtime-command", "/bin/false", NULL};
    cli_result r = invoke(args);
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "Runtime exited with error: exit status 1"));
    cli_result_free(&r);
}
END_TEST

/* A runtime whose second /next was refused while its invocation ran, and which then posted the
 * response: the caller got it only at the timeout. With a 60 s timeout, the answer must come
 * within the 20 s this test waits (it comes at once). */
START_TEST(a_posted_response_ends_an_invocation_whose_runtime_asked_for_the_next)
{
    const char *args[] = {"invoke", "--handler", "app.handler", "--code", PROBES, "--timeout",
                          "60", "--log-type", "Tail", "--runtime-command",
                          "{python} " LC_FIXTURES_DIR "/functions/runtimes/asks_next_early.py",
                          NULL};
    cli_result r = run_cli(args, NULL, NULL, 20000);
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "{\"answered\": true}"));
    ck_assert_ptr_nonnull(strstr(r.err, "second /next: 403"));
    cli_result_free(&r);
}
END_TEST

/* A 300 MB stream ended with Sandbox.Timedout at the timeout: past Lambda's 200 MB streaming
 * limit the caller gets the size error at once (a 60 s timeout; the test waits 30 s). */
START_TEST(a_stream_past_the_streaming_limit_ends_with_the_size_error)
{
    const char *args[] = {"invoke", "--handler", "app.handler", "--code", PROBES, "--timeout",
                          "60", "--stream", "--runtime-command",
                          "{python} " LC_FIXTURES_DIR "/functions/runtimes/streams_too_much.py",
                          NULL};
    cli_result r = run_cli(args, NULL, NULL, 30000);
    ck_assert_msg(r.status == 1, "exit %d: %.300s", r.status, r.err);
    ck_assert_msg(strstr(r.err, "Function.ResponseSizeTooLarge") &&
                      strstr(r.err, "209715200 bytes"),
                  "%.2000s", r.err);
    cli_result_free(&r);
}
END_TEST

/* A handler that calls setsid and double-forks left its grandchild running after the command
 * ended (reparented to init): nothing a function starts outlives its environment. */
START_TEST(a_process_a_handler_starts_does_not_outlive_its_environment)
{
    const char *args[] = {"invoke", "--handler", "probes.escapes", "--code", PROBES, NULL};
    cli_result r = invoke(args);
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    json_t *out = json_loads(r.out, 0, NULL);
    long pid = (long)json_integer_value(json_object_get(out, "escaped"));
    json_decref(out);
    ck_assert_int_gt(pid, 1);
    bool gone = process_gone(pid);
    if (!gone)
        kill((pid_t)pid, SIGKILL); /* this test's own cleanup, before it fails */
    ck_assert_msg(gone, "process %ld outlived the environment", pid);
    cli_result_free(&r);
    /* the same when the runtime exits first: its orphans come to lambdacheck, which ends them */
    const char *exits[] = {"invoke", "--handler", "probes.escapes_and_exits", "--code", PROBES,
                           "--log-type", "Tail", NULL};
    r = invoke(exits);
    ck_assert_msg(strstr(r.out, "exit status 3"), "%s%s", r.out, r.err);
    const char *at = strstr(r.err, "{\"escaped\": ");
    ck_assert_msg(at != NULL, "%s", r.err);
    pid = strtol(at + 12, NULL, 10);
    ck_assert_int_gt(pid, 1);
    gone = process_gone(pid);
    if (!gone)
        kill((pid_t)pid, SIGKILL);
    ck_assert_msg(gone, "process %ld outlived its runtime's exit", pid);
    cli_result_free(&r);
    /* and a tree below such an orphan: the orphan's own children end too */
    const char *tree[] = {"invoke", "--handler", "probes.leaves_a_tree_and_exits", "--code",
                          PROBES, "--log-type", "Tail", NULL};
    r = invoke(tree);
    at = strstr(r.err, "tree pids ");
    ck_assert_msg(at != NULL, "%s%s", r.out, r.err);
    char *next;
    long first = strtol(at + 10, &next, 10), second = strtol(next, NULL, 10);
    bool both = process_gone(first) && process_gone(second);
    if (!both) {
        kill((pid_t)first, SIGKILL);
        kill((pid_t)second, SIGKILL);
    }
    ck_assert_msg(both, "the tree %ld, %ld outlived its runtime's exit", first, second);
    cli_result_free(&r);
}
END_TEST

/* An @aws-sdk package outside the set lambdacheck installs fails to load where Lambda, which ships
 * the whole SDK, would load it: the log says so and how to supply it; one inside the set loads. */
START_TEST(an_sdk_package_lambdacheck_does_not_give_is_named_in_the_log)
{
    char *dir = scratch_dir("sdk");
    scratch_write(dir, "app.mjs", "import { IoTClient } from '@aws-sdk/client-iot';\n"
                                  "export const handler = async () => typeof IoTClient;\n");
    scratch_write(dir, "ok.mjs", "import { S3Client } from '@aws-sdk/client-s3';\n"
                                 "export const handler = async () => typeof S3Client;\n");
    const char *args[] = {"invoke", "--runtime", "nodejs22.x", "--handler", "app.handler",
                          "--code", dir, "--log-type", "Tail", NULL};
    cli_result r = invoke(args);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "lambdacheck: note: @aws-sdk/client-iot is part of the AWS SDK "
                                "that Lambda's Node.js runtimes ship"),
                  "%s%s", r.out, r.err);
    cli_result_free(&r);
    const char *ok[] = {"invoke", "--runtime", "nodejs22.x", "--handler", "ok.handler", "--code",
                        dir, NULL};
    r = invoke(ok);
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_str_eq(r.out, "\"function\"\n");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

START_TEST(bad_usage_exits_2_and_names_the_problem)
{
    const char *const *cases[] = {
        (const char *[]){"invoke", NULL},
        (const char *[]){"invoke", "--handler", "probes.echo", NULL},
        (const char *[]){"invoke", "--handler", "probes.echo", "--code", PROBES, "--memory", "64",
                         NULL},
        (const char *[]){"invoke", "--handler", "probes.echo", "--code", PROBES, "--timeout",
                         "901", NULL},
        (const char *[]){"invoke", "--handler", "probes.echo", "--code", PROBES, "--bogus", NULL},
        (const char *[]){"invoke", "--handler", "probes.echo", "--code", PROBES, "--env", "NOEQ",
                         NULL},
        (const char *[]){"invoke", "--handler", "probes.echo", "--code", "/no/such/dir", NULL},
        (const char *[]){"invoke", "--handler", "probes.echo", "--code", PROBES, "--payload",
                         "{bad", NULL},
        (const char *[]){"invoke", "--handler", "probes.echo", "--code", PROBES, "--log-type",
                         "All", NULL},
        (const char *[]){"invoke", "--handler", "probes.echo", "--code", PROBES, "--env",
                         "AWS_REGION=x", NULL},
    };
    const char *expect[] = {"--handler and --code (or --template) are required", "--handler and --code",
                            "--memory takes a whole number from 128 to 10240",
                            "--timeout takes a whole number from 1 to 900",
                            "unknown option '--bogus'", "--env takes KEY=VALUE",
                            "/no/such/dir", "--payload:1:2: a key (a string) expected", "--log-type takes Tail or None",
                            "AWS_REGION is reserved"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cli_result r = invoke(cases[i]);
        ck_assert_msg(r.status == 2, "case %zu: exit %d, stderr %s", i, r.status, r.err);
        ck_assert_msg(strstr(r.err, expect[i]) != NULL, "case %zu: stderr %s", i, r.err);
        ck_assert_str_eq(r.out, "");
        cli_result_free(&r);
    }
}
END_TEST

/* What the Invoke API accepts as JSON reaches the handler: integers beyond 64 bits, a number
 * beyond double's range, a lone surrogate escape, nesting deeper than 2,048. */
START_TEST(json_that_the_invoke_api_accepts_reaches_the_handler)
{
    cli_result r = invoke((const char *[]){"invoke", "--handler", "probes.echo", "--code", PROBES,
                                           "--payload",
                                           "[123456789012345678901234567890, 1E400, \"\\ud800\"]",
                                           NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    ck_assert_str_eq(r.out, "[123456789012345678901234567890, Infinity, \"\\ud800\"]\n");
    cli_result_free(&r);
    char deep[6002];
    memset(deep, '[', 3000);
    memset(deep + 3000, ']', 3000);
    deep[6000] = '\0';
    r = invoke((const char *[]){"invoke", "--handler", "probes.echo", "--code", PROBES, "--payload",
                                deep, "--output", "json", NULL});
    ck_assert_int_eq(r.status, 1); /* the client cannot decode it: as on Lambda, an invocation error */
    ck_assert_msg(strstr(r.out, "Runtime.UnmarshalError") != NULL, "%s", r.out);
    cli_result_free(&r);
}
END_TEST

/* An empty payload is the empty object, as the Invoke API makes it. */
START_TEST(an_empty_payload_is_an_empty_object)
{
    cli_result r = invoke((const char *[]){"invoke", "--handler", "probes.echo", "--code", PROBES,
                                           "--payload", "", NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    ck_assert_str_eq(r.out, "{}\n");
    cli_result_free(&r);
}
END_TEST

START_TEST(a_malformed_event_file_is_named_with_line_and_column)
{
    char path[] = "/tmp/lc_event_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_eq(write(fd, "{\n  \"a\": }\n", 11), 11);
    close(fd);
    const char *args[] = {"invoke", "--handler", "probes.echo", "--code", PROBES, path, NULL};
    cli_result r = invoke(args);
    unlink(path);
    ck_assert_int_eq(r.status, 2);
    char want[128];
    snprintf(want, sizeof want, "%s:2:", path);
    ck_assert_msg(strstr(r.err, want) != NULL, "%s", r.err);
    cli_result_free(&r);
}
END_TEST

START_TEST(a_missing_interpreter_is_explained)
{
    const char *args[] = {"invoke", "--handler", "probes.echo", "--code", PROBES, "--python",
                          "/no/such/python3", NULL};
    cli_result r = invoke(args);
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "/no/such/python3"));
    ck_assert_ptr_nonnull(strstr(r.err, "--python or LAMBDACHECK_PYTHON"));
    cli_result_free(&r);
}
END_TEST

/* --check concurrency-safe: a fixed /tmp file fails once another event runs beside it; a file
 * per request passes; an ordinary function cannot be judged. */
START_TEST(check_concurrency_safe_judges_a_handler_under_managed_instances)
{
    char *dir = scratch_dir("managed");
    const char *second = scratch_write(dir, "second.json", "{\"order\": 2}");
    char event[600];
    snprintf(event, sizeof event, "%s", second);
    cli_result r = invoke((const char *[]){"invoke", "--handler", "managed.fixed_file", "--code",
                                           MANAGED, "--max-concurrency", "4", "--check",
                                           "concurrency-safe", "--payload", "{\"order\": 1}",
                                           "--with-event", event, NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.out, "{\"order\": ");
    ck_assert_contains(r.err, "concurrency-safe FAILED: 4 invocations at once");
    cli_result_free(&r);
    r = invoke((const char *[]){"invoke", "--handler", "managed.own_file", "--code", MANAGED,
                                "--max-concurrency", "4", "--check", "concurrency-safe",
                                "--payload", "{\"order\": 1}", "--with-event", event, NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
    ck_assert_contains(r.err, "concurrency-safe passed");
    cli_result_free(&r);
    r = invoke((const char *[]){"invoke", "--handler", "managed.own_file", "--code", MANAGED,
                                "--check", "concurrency-safe", NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.err, "concurrency-safe not checked: my-function is not on Lambda "
                              "Managed Instances");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

START_TEST(managed_instances_options_refuse_what_lambda_refuses)
{
    const char *const bad[][12] = {
        {"--max-concurrency", "0", NULL},
        {"--max-concurrency", "1601", NULL},
        {"--max-concurrency", "many", NULL},
        {"--max-concurrency", "4", "--log-format", "Text", NULL},
        {"--check", "tenant-isolated", NULL},
        {"--with-event", "x.json", NULL},
        {"--check", "concurrency-safe", "--stream", NULL},
    };
    const char *const says[] = {"from 1 to 1600, not '0'", "from 1 to 1600, not '1601'",
                                "not 'many'", "JSON only", "--check takes concurrency-safe",
                                "--with-event goes with --check", "not with --stream"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *args[20] = {"invoke", "--handler", "managed.info", "--code", MANAGED};
        size_t n = 5;
        for (size_t j = 0; bad[i][j]; j++)
            args[n++] = bad[i][j];
        args[n] = NULL;
        cli_result r = invoke(args);
        ck_assert_msg(r.status != 0, "%s was accepted", bad[i][0]);
        ck_assert_contains(r.err, says[i]);
        cli_result_free(&r);
    }
}
END_TEST

Suite *invoke_suite(void)
{
    Suite *s = suite_create("invoke");
    TCase *rows = tcase_create("contract-tables");
    tcase_set_timeout(rows, 60);
    tcase_add_loop_test(rows, each_row_of_the_contract_tables, 0, PROBE_ROW_COUNT);
    suite_add_tcase(s, rows);
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 60);
    tcase_add_test(core, the_seed_greeting_from_an_event_file);
    tcase_add_test(core, a_posted_response_ends_an_invocation_whose_runtime_asked_for_the_next);
    tcase_add_test(core, a_stream_past_the_streaming_limit_ends_with_the_size_error);
    tcase_add_test(core, a_process_a_handler_starts_does_not_outlive_its_environment);
    tcase_add_test(core, an_sdk_package_lambdacheck_does_not_give_is_named_in_the_log);
    tcase_add_test(core, the_event_can_come_from_stdin);
    tcase_add_test(core, env_and_region_reach_the_handler);
    tcase_add_test(core, tail_prints_the_framed_log_to_stderr);
    tcase_add_test(core, json_output_has_the_documented_keys);
    tcase_add_test(core, client_context_reaches_the_handler);
    tcase_add_test(core, a_runtime_command_replaces_the_bundled_client);
    tcase_add_test(core, json_that_the_invoke_api_accepts_reaches_the_handler);
    tcase_add_test(core, an_empty_payload_is_an_empty_object);
    tcase_add_test(core, check_concurrency_safe_judges_a_handler_under_managed_instances);
    suite_add_tcase(s, core);
    TCase *errors = tcase_create("errors");
    tcase_set_timeout(errors, 60);
    tcase_add_test(errors, bad_usage_exits_2_and_names_the_problem);
    tcase_add_test(errors, a_malformed_event_file_is_named_with_line_and_column);
    tcase_add_test(errors, a_missing_interpreter_is_explained);
    tcase_add_test(errors, managed_instances_options_refuse_what_lambda_refuses);
    suite_add_tcase(s, errors);
    return s;
}
