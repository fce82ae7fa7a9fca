/* End-to-end tests of the lambdacheck command: exit statuses, output formats, error messages. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    suite_add_tcase(s, core);
    TCase *errors = tcase_create("errors");
    tcase_set_timeout(errors, 30);
    tcase_add_test(errors, unknown_flags_and_commands_exit_2_with_usage_on_stderr);
    tcase_add_test(errors, detect_reports_bad_files_and_exits_1_but_goes_on);
    tcase_add_test(errors, a_missing_data_dir_is_explained);
    suite_add_tcase(s, errors);
    return s;
}
