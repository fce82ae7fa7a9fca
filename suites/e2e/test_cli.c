/* End-to-end tests of the lambdacheck command: exit statuses, output formats, error messages. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "lambdacheck/event.h"
#include "run_cli.h"
#include "suites.h"

#define EV LC_FIXTURES_DIR "/events/"

static cli_result run(const char *const *args)
{
    return run_cli(args, NULL, NULL, 10000);
}

START_TEST(version_and_help)
{
    cli_result r = run((const char *[]){"--version", NULL});
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(strncmp(r.out, "lambdacheck ", 12), 0);
    cli_result_free(&r);
    r = run((const char *[]){"--help", NULL});
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "events detect"));
    cli_result_free(&r);
}
END_TEST

START_TEST(unknown_flags_and_commands_exit_2_with_usage_on_stderr)
{
    const char *const *cases[] = {
        (const char *[]){"--bogus", NULL},
        (const char *[]){"frobnicate", NULL},
        (const char *[]){NULL},
        (const char *[]){"events", "--bogus", NULL},
        (const char *[]){"events", "nope", NULL},
        (const char *[]){"events", "detect", NULL},
        (const char *[]){"events", "detect", "--bogus", EV "seed/greeting.json", NULL},
        (const char *[]){"events", "show", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cli_result r = run(cases[i]);
        ck_assert_msg(r.status == 2, "case %zu: exit %d", i, r.status);
        ck_assert_str_eq(r.out, "");
        ck_assert_ptr_nonnull(strstr(r.err, "lambdacheck: "));
        ck_assert_ptr_nonnull(strstr(r.err, "--help"));
        cli_result_free(&r);
    }
}
END_TEST

START_TEST(detect_prints_file_tab_source)
{
    cli_result r = run((const char *[]){"events", "detect", EV "sqs/batch.json",
                                        EV "function-url/get.json", EV "seed/greeting.json", NULL});
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, EV "sqs/batch.json\tsqs\n" EV "function-url/get.json\tfunction-url\n" EV
                            "seed/greeting.json\tunknown\n");
    cli_result_free(&r);
}
END_TEST

START_TEST(detect_reports_bad_files_and_exits_1_but_goes_on)
{
    char bad[] = "/tmp/lc_bad_XXXXXX";
    int fd = mkstemp(bad);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "{\n  \"a\": ,\n}", 12), 12);
    close(fd);
    cli_result r = run((const char *[]){"events", "detect", bad, "/no/such.json",
                                        EV "s3/put-with-bom.json", NULL});
    unlink(bad);
    ck_assert_int_eq(r.status, 1);
    char want[512];
    snprintf(want, sizeof want, "%s\terror: line 2, column 8: unexpected token near ','\n", bad);
    ck_assert_ptr_nonnull(strstr(r.out, want));
    ck_assert_ptr_nonnull(strstr(r.out, "/no/such.json\terror: cannot open file"));
    ck_assert_ptr_nonnull(strstr(r.out, EV "s3/put-with-bom.json\ts3\n"));
    cli_result_free(&r);
}
END_TEST

START_TEST(detect_reads_stdin)
{
    const char *args[] = {"events", "detect", "-", NULL};
    cli_result r = run_cli(args, "{\"Records\": [{\"eventSource\": \"aws:kinesis\"}]}", NULL, 10000);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "-\tkinesis\n");
    cli_result_free(&r);
}
END_TEST

START_TEST(list_names_every_bundled_sample)
{
    cli_result r = run((const char *[]){"events", "list", NULL});
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "sqs\tbatch\t"));
    ck_assert_ptr_nonnull(strstr(r.out, "seed\tgreeting\t"));
    ck_assert_ptr_nonnull(strstr(r.out, "cloudwatch-logs\tsubscription\t"));
    int lines = 0;
    for (const char *p = r.out; *p; p++)
        lines += *p == '\n';
    ck_assert_int_ge(lines, 30);
    cli_result_free(&r);
}
END_TEST

START_TEST(show_prints_a_sample_that_detects_as_its_source)
{
    cli_result r = run((const char *[]){"events", "show", "seed/greeting", NULL});
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "\"first_name\": \"John\""));
    cli_result_free(&r);
    r = run((const char *[]){"events", "show", "alb", NULL});
    ck_assert_int_eq(r.status, 0);
    const char *args[] = {"events", "detect", "-", NULL};
    cli_result d = run_cli(args, r.out, NULL, 10000);
    ck_assert_str_eq(d.out, "-\talb\n");
    cli_result_free(&d);
    cli_result_free(&r);
    r = run((const char *[]){"events", "show", "nosuch", NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "no bundled sample 'nosuch'"));
    cli_result_free(&r);
}
END_TEST

START_TEST(a_missing_data_dir_is_explained)
{
    const char *env[] = {"LAMBDACHECK_DATA_DIR=/no/such/dir", NULL};
    cli_result r = run_cli((const char *[]){"events", "list", NULL}, NULL, env, 10000);
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "/no/such/dir/events"));
    ck_assert_ptr_nonnull(strstr(r.err, "LAMBDACHECK_DATA_DIR"));
    cli_result_free(&r);
}
END_TEST

/* Generated events are detected as their own source, for every source. */
START_TEST(generated_events_round_trip_through_detect)
{
    int sources = 0;
    for (int i = 1; i < LC__SOURCE_COUNT; i++) {
        const char *name = lc_event_source_name((lc_event_source)i);
        cli_result g = run((const char *[]){"events", "generate", name, NULL});
        ck_assert_msg(g.status == 0, "generate %s: %s", name, g.err);
        cli_result d = run_cli((const char *[]){"events", "detect", "-", NULL}, g.out, NULL, 10000);
        char want[128];
        snprintf(want, sizeof want, "-\t%s\n", name);
        ck_assert_msg(strcmp(d.out, want) == 0, "generated %s detected as %s", name, d.out);
        cli_result_free(&d);
        cli_result_free(&g);
        sources++;
    }
    ck_assert_int_eq(sources, LC__SOURCE_COUNT - 1);
}
END_TEST

static json_t *generated(const char *const *args)
{
    cli_result r = run(args);
    ck_assert_msg(r.status == 0, "%s", r.err);
    json_t *v = json_loads(r.out, 0, NULL);
    cli_result_free(&r);
    ck_assert_ptr_nonnull(v);
    return v;
}

static const char *record_field(const json_t *event, size_t i, const char *key)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(event, "Records"), i),
                                             key));
}

START_TEST(generated_events_have_fresh_ids_and_the_asked_values)
{
    json_t *a = generated((const char *[]){"events", "generate", "sqs", "--count", "3", "--body",
                                           "{\"order\": 7}", NULL});
    json_t *b = generated((const char *[]){"events", "generate", "sqs", NULL});
    ck_assert_uint_eq(json_array_size(json_object_get(a, "Records")), 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert_str_eq(record_field(a, i, "body"), "{\"order\": 7}");
    ck_assert_str_ne(record_field(a, 0, "messageId"), record_field(a, 1, "messageId"));
    ck_assert_str_ne(record_field(a, 1, "messageId"), record_field(a, 2, "messageId"));
    ck_assert_str_ne(record_field(a, 0, "messageId"), record_field(b, 0, "messageId"));
    json_decref(b);
    json_decref(a);

    json_t *s3 = generated((const char *[]){"events", "generate", "s3", "--bucket", "photos",
                                            "--key", "cats/1.jpg", NULL});
    json_t *s3rec = json_object_get(json_array_get(json_object_get(s3, "Records"), 0), "s3");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(s3rec, "bucket"), "name")),
                     "photos");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(s3rec, "object"), "key")),
                     "cats/1.jpg");
    json_decref(s3);

    json_t *http = generated((const char *[]){"events", "generate", "apigateway-http", "--method",
                                              "POST", "--path", "/orders", "--body", "{}", "--set",
                                              "headers.x-trace=abc", NULL});
    ck_assert_str_eq(json_string_value(json_object_get(http, "routeKey")), "POST /orders");
    ck_assert_str_eq(json_string_value(json_object_get(http, "rawPath")), "/orders");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(http, "headers"), "x-trace")), "abc");
    json_decref(http);
}
END_TEST

START_TEST(generate_refuses_unknown_sources_and_options)
{
    cli_result r = run((const char *[]){"events", "generate", "pigeon-post", NULL});
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "unknown source 'pigeon-post'"));
    cli_result_free(&r);
    r = run((const char *[]){"events", "generate", "sqs", "--count", "0", NULL});
    ck_assert_int_eq(r.status, 2);
    cli_result_free(&r);
    r = run((const char *[]){"events", "generate", "sqs", "--set", "Records[9].body=x", NULL});
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "Records[9]"));
    cli_result_free(&r);
}
END_TEST

static void write_file(char *path, const char *text)
{
    int fd = mkstemp(path);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* Every command and verb answers --help on standard output with status 0. */
START_TEST(help_works_on_every_command_and_verb)
{
    static const char *const verbs[][3] = {
        {"where"}, {"events"}, {"events", "detect"}, {"events", "list"}, {"events", "show"},
        {"events", "generate"}, {"invoke"}, {"serve"}, {"check"}, {"contracts"},
        {"contracts", "verify"}, {"report"}};
    for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++) {
        const char *args[4] = {verbs[i][0], verbs[i][1] ? verbs[i][1] : "--help",
                               verbs[i][1] ? "--help" : NULL, NULL};
        cli_result r = run(args);
        ck_assert_msg(r.status == 0 && strstr(r.out, "usage: lambdacheck ") != NULL,
                      "%s %s --help: status %d, stdout '%s', stderr '%s'", verbs[i][0],
                      verbs[i][1] ? verbs[i][1] : "", r.status, r.out, r.err);
        cli_result_free(&r);
    }
}
END_TEST

/* "events generate SOURCE --help" lists what that source takes, and only that. */
START_TEST(generate_help_lists_the_options_of_that_source)
{
    cli_result kafka = run((const char *[]){"events", "generate", "kafka", "--help", NULL});
    ck_assert_int_eq(kafka.status, 0);
    ck_assert_ptr_nonnull(strstr(kafka.out, "events generate kafka"));
    ck_assert_ptr_nonnull(strstr(kafka.out, "--count N"));
    ck_assert_ptr_nonnull(strstr(kafka.out, "--body TEXT        each record's value"));
    ck_assert_ptr_null(strstr(kafka.out, "--path"));
    ck_assert_ptr_null(strstr(kafka.out, "--bucket"));
    cli_result_free(&kafka);
    cli_result rest =
        run((const char *[]){"events", "generate", "--path", "/x", "apigateway-rest", "-h", NULL});
    ck_assert_int_eq(rest.status, 0);
    ck_assert_ptr_nonnull(strstr(rest.out, "--path P"));
    ck_assert_ptr_nonnull(strstr(rest.out, "multiValue maps in step"));
    ck_assert_ptr_null(strstr(rest.out, "--count"));
    cli_result_free(&rest);
}
END_TEST

/* An option a source does not take is an error (exit 2), not silently dropped. */
START_TEST(generate_refuses_options_the_source_does_not_take)
{
    cli_result r = run((const char *[]){"events", "generate", "sqs", "--path", "/x", NULL});
    ck_assert_int_eq(r.status, 2);
    ck_assert_str_eq(r.out, "");
    ck_assert_ptr_nonnull(strstr(r.err, "--path does not apply to sqs events"));
    cli_result_free(&r);
    r = run((const char *[]){"events", "generate", "kafka", "--body", "hi", "--count", "2", NULL});
    ck_assert_msg(r.status == 0, "%s", r.err);
    cli_result_free(&r);
}
END_TEST

/* Times print as the sample writes them: 1795777200.123, never 1795777200.1229999. */
START_TEST(generated_fractional_seconds_print_as_milliseconds)
{
    cli_result r = run((const char *[]){"events", "generate", "kinesis", NULL});
    ck_assert_int_eq(r.status, 0);
    const char *at = strstr(r.out, "\"approximateArrivalTimestamp\": ");
    ck_assert_ptr_nonnull(at);
    at += strlen("\"approximateArrivalTimestamp\": ");
    size_t digits = strspn(at, "0123456789.");
    const char *dot = memchr(at, '.', digits);
    ck_assert_msg(dot == NULL || (size_t)(at + digits - dot - 1) <= 3, "printed as %.*s",
                  (int)digits, at);
    cli_result_free(&r);
}
END_TEST

/* contracts verify reads the response from standard input when it is '-'. */
START_TEST(verify_reads_the_response_from_stdin)
{
    char event_path[] = "/tmp/lc_verify_event_XXXXXX";
    cli_result g = run((const char *[]){"events", "generate", "sqs", NULL});
    write_file(event_path, g.out);
    cli_result ok = run_cli((const char *[]){"contracts", "verify", "--event", event_path,
                                             "--response", "-", "--report-batch-item-failures",
                                             NULL},
                            "{\"batchItemFailures\": []}", NULL, 10000);
    ck_assert_msg(ok.status == 0, "%s%s", ok.out, ok.err);
    ck_assert_str_eq(ok.out, "sqs: ok\n");
    cli_result bad = run_cli((const char *[]){"contracts", "verify", "--event", event_path,
                                              "--response", "-", "--report-batch-item-failures",
                                              NULL},
                             "{\"batchItemFailures\": [{\"itemIdentifier\": \"nope\"}]}", NULL,
                             10000);
    ck_assert_int_eq(bad.status, 1);
    ck_assert_ptr_nonnull(strstr(bad.out, "sqs: "));
    unlink(event_path);
    cli_result_free(&bad);
    cli_result_free(&ok);
    cli_result_free(&g);
}
END_TEST


/* A generated event passes through a handler unchanged, and a batch response naming its ids
 * honours the SQS contract. */
START_TEST(generated_events_work_with_handlers_and_contracts)
{
    cli_result g = run((const char *[]){"events", "generate", "sqs", "--count", "2", NULL});
    cli_result echo = run_cli((const char *[]){"invoke", "--handler", "probes.echo", "--code",
                                               LC_FIXTURES_DIR "/functions/probes", "-", NULL},
                              g.out, NULL, 60000);
    ck_assert_int_eq(echo.status, 0);
    json_t *sent = json_loads(g.out, 0, NULL), *back = json_loads(echo.out, 0, NULL);
    ck_assert(json_equal(sent, back));
    char event_path[] = "/tmp/lc_gen_event_XXXXXX", response_path[] = "/tmp/lc_gen_resp_XXXXXX";
    char response[256];
    snprintf(response, sizeof response, "{\"batchItemFailures\": [{\"itemIdentifier\": \"%s\"}]}",
             record_field(sent, 1, "messageId"));
    write_file(event_path, g.out);
    write_file(response_path, response);
    cli_result v = run((const char *[]){"contracts", "verify", "--event", event_path,
                                        "--response", response_path,
                                        "--report-batch-item-failures", NULL});
    ck_assert_msg(v.status == 0, "%s", v.out);
    ck_assert_str_eq(v.out, "sqs: ok\n");
    unlink(event_path);
    unlink(response_path);
    json_decref(sent);
    json_decref(back);
    cli_result_free(&v);
    cli_result_free(&echo);
    cli_result_free(&g);
}
END_TEST

/* events filter: which records a mapping with these filters sends to the function, why not the
 * others, and a pattern Lambda would refuse (both ways; the rules: test_event_filter.c). */
START_TEST(events_filter_says_which_records_reach_the_function)
{
    cli_result g = run((const char *[]){"events", "generate", "sqs", "--count", "2", "--set",
                                        "Records[1].body={\"status\": \"open\"}", NULL});
    ck_assert_int_eq(g.status, 0);
    char event_path[] = "/tmp/lc_filter_event_XXXXXX";
    write_file(event_path, g.out);
    cli_result r = run((const char *[]){"events", "filter", "--pattern",
                                        "{\"body\": {\"status\": [\"open\"]}}", event_path, NULL});
    ck_assert_int_eq(r.status, 1); /* one record is filtered out */
    ck_assert_contains(r.out, "record 0 (");
    ck_assert_contains(r.out, "filtered out (SQS deletes it)\n  filter 1: body.status: absent, which "
                              "none of [\"open\"] allows\n");
    ck_assert_contains(r.out, "record 1 (");
    ck_assert_contains(r.out, "sent to the function: filter 1 matches\n");
    cli_result_free(&r);
    r = run((const char *[]){"events", "filter", "--pattern", "{\"body\": [{\"exists\": true}]}",
                             "--pattern", "{\"messageId\": [{\"prefix\": \"\"}]}", event_path, NULL});
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err); /* the second filter lets both through */
    cli_result_free(&r);
    r = run((const char *[]){"events", "filter", "--pattern", "{\"body\": [{\"wildcard\": \"*\"}]}",
                             event_path, NULL});
    ck_assert_int_eq(r.status, 2);
    ck_assert_contains(r.err, "--pattern 1: body[0]: \"wildcard\" is not an operator of Lambda's "
                              "event filtering");
    cli_result_free(&r);
    unlink(event_path);
    cli_result_free(&g);
}
END_TEST

Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 30);
    tcase_add_test(core, version_and_help);
    tcase_add_test(core, detect_prints_file_tab_source);
    tcase_add_test(core, detect_reads_stdin);
    tcase_add_test(core, list_names_every_bundled_sample);
    tcase_add_test(core, show_prints_a_sample_that_detects_as_its_source);
    tcase_add_test(core, generated_events_round_trip_through_detect);
    tcase_add_test(core, generated_events_have_fresh_ids_and_the_asked_values);
    tcase_add_test(core, generated_events_work_with_handlers_and_contracts);
    tcase_add_test(core, events_filter_says_which_records_reach_the_function);
    suite_add_tcase(s, core);
    TCase *errors = tcase_create("errors");
    tcase_set_timeout(errors, 30);
    tcase_add_test(errors, unknown_flags_and_commands_exit_2_with_usage_on_stderr);
    tcase_add_test(errors, detect_reports_bad_files_and_exits_1_but_goes_on);
    tcase_add_test(errors, a_missing_data_dir_is_explained);
    tcase_add_test(errors, generate_refuses_unknown_sources_and_options);
    tcase_add_test(errors, generate_refuses_options_the_source_does_not_take);
    tcase_add_test(core, help_works_on_every_command_and_verb);
    tcase_add_test(core, generate_help_lists_the_options_of_that_source);
    tcase_add_test(core, generated_fractional_seconds_print_as_milliseconds);
    tcase_add_test(core, verify_reads_the_response_from_stdin);
    suite_add_tcase(s, errors);
    return s;
}
