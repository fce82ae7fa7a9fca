/* lambdacheck check, end to end: the conformance suite and the example library pass, locally and
 * against serve over HTTP; broken targets fail with the contract that caught them, by name. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "background.h"
#include "run_cli.h"
#include "suites.h"

#define CASES LC_FIXTURES_DIR "/cases"
#define CONFORMANCE CASES "/conformance"
#define EXAMPLES CASES "/examples"
#define BROKEN LC_FIXTURES_DIR "/functions/broken"
#define DEBIAN_PYTHON "/usr/bin/python3"

static cli_result check(const char *const *args)
{
    return run_cli(args, NULL, NULL, 300000);
}

/* The block a case printed: from its "PASS/FAIL suite/case" line to the next case line. */
static char *case_block(const char *out, const char *verdict, const char *name)
{
    char head[512];
    snprintf(head, sizeof head, "%s %s (", verdict, name);
    const char *at = strstr(out, head);
    if (at == NULL)
        return NULL;
    const char *end = strstr(at + 1, "\nPASS ");
    const char *fail = strstr(at + 1, "\nFAIL ");
    const char *ran = strstr(at + 1, "\nRan ");
    if (end == NULL || (fail && fail < end))
        end = fail;
    if (end == NULL || (ran && ran < end))
        end = ran;
    return strndup(at, end ? (size_t)(end - at) : strlen(at));
}

#define ck_assert_case_fails_with(out, name, text)                                                 \
    do {                                                                                           \
        char *block_ = case_block(out, "FAIL", name);                                              \
        ck_assert_msg(block_ != NULL, "no failure of %s in:\n%s", name, out);                      \
        ck_assert_msg(strstr(block_, text) != NULL, "%s failed, but not with \"%s\":\n%s", name,   \
                      text, block_);                                                               \
        free(block_);                                                                              \
    } while (0)

START_TEST(the_bundled_libraries_pass_locally_with_reports)
{
    const char *junit = "/tmp/lc_check_junit.xml", *json = "/tmp/lc_check.json";
    cli_result r = check((const char *[]){"check", "--junit", junit, "--json", json, EXAMPLES,
                                          CONFORMANCE, NULL});
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "PASS conformance/none-is-null ("));
    ck_assert_ptr_nonnull(strstr(r.out, "\n34 passed, 0 failed\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "Ran 34 cases in "));
    cli_result_free(&r);

    unlink(junit);
    json_t *doc = json_load_file(json, 0, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "passed")), 34);
    ck_assert_uint_eq(json_array_size(json_object_get(doc, "cases")), 34);
    json_decref(doc);
    unlink(json);
}
END_TEST

START_TEST(the_junit_report_is_valid_xml_naming_each_case)
{
    const char *junit = "/tmp/lc_check_junit2.xml";
    cli_result r = check((const char *[]){"check", "--junit", junit, EXAMPLES, NULL});
    ck_assert_int_eq(r.status, 0);
    cli_result_free(&r);
    char script[1024];
    snprintf(script, sizeof script,
             "import xml.etree.ElementTree as E\n"
             "root = E.parse('%s').getroot()\n"
             "cases = root.findall('./testsuite/testcase')\n"
             "print(root.tag, root.get('tests'), len(cases), "
             "','.join(sorted(c.get('name') for c in cases)))",
             junit);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "%s -c \"%s\"", DEBIAN_PYTHON, script);
    FILE *p = popen(cmd, "r");
    char line[2048] = "";
    ck_assert_ptr_nonnull(fgets(line, sizeof line, p));
    ck_assert_int_eq(pclose(p), 0);
    unlink(junit);
    ck_assert_str_eq(line, "testsuites 6 6 calculator-increments,calculator-rejects-unknown-"
                           "actions,greeting-says-hello,greeting-without-names-fails,region-"
                           "behind-api-gateway,region-reports-aws-region\n");
}
END_TEST

/* The example library is wired into its own make check, as the README tells users to do. */
START_TEST(the_example_library_checks_itself_with_make)
{
    char cmd[1024], reports[] = "/tmp/lc_reports_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(reports));
    snprintf(cmd, sizeof cmd, "make -s -C %s check LAMBDACHECK=%s REPORTS=%s > %s/out.txt 2>&1",
             EXAMPLES, LC_CLI_PATH, reports, reports);
    ck_assert_int_eq(system(cmd), 0);
    char path[256];
    snprintf(path, sizeof path, "%s/lambda-junit.xml", reports);
    ck_assert_int_eq(access(path, F_OK), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", reports);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(the_conformance_suite_passes_against_serve_over_http)
{
    background srv;
    bg_start(&srv, (const char *[]){LC_CLI_PATH, "serve", "--manifest", CONFORMANCE,
                                    "--port-file", "{port_file}", NULL});
    cli_result r = check((const char *[]){"check", "--endpoint-url", bg_url(&srv), CONFORMANCE,
                                          NULL});
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "\n28 passed, 0 failed\n"));
    cli_result_free(&r);
    ck_assert_int_eq(bg_stop(&srv), 0);
}
END_TEST

/* A runtime that answers None as "None" and drops requestId: each fault is named. */
START_TEST(a_broken_runtime_is_caught_by_name)
{
    cli_result r = check((const char *[]){"check", "--runtime-command",
                                          "{python} " BROKEN "/broken_runtime.py", CONFORMANCE,
                                          NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_case_fails_with(r.out, "conformance/none-is-null",
                              "payload: $: expected null, got \"None\"");
    ck_assert_case_fails_with(r.out, "conformance/exception-carries-request-id",
                              "error-carries-request-id: the error response has no requestId");
    ck_assert_ptr_nonnull(strstr(r.out, "PASS conformance/tuple-is-a-list"));
    cli_result_free(&r);
}
END_TEST

/* An endpoint that answers 200 to Event invocations. */
START_TEST(an_endpoint_that_answers_200_to_events_is_caught_by_name)
{
    background broken;
    bg_start(&broken,
             (const char *[]){DEBIAN_PYTHON, BROKEN "/broken_invoke_api.py", "{port_file}", NULL});
    cli_result r = check((const char *[]){"check", "--endpoint-url", bg_url(&broken),
                                          CONFORMANCE, NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_case_fails_with(r.out, "conformance/async-result-is-discarded",
                              "async-accepted-empty: an Event invocation must answer 202 with an "
                              "empty body, got 200 with 4 bytes");
    cli_result_free(&r);
    bg_stop(&broken);
}
END_TEST

/* Writes a one-function library with one case into a new folder; returns the folder. */
static char *library(const char *handler, const char *event_file)
{
    static char dir[64];
    snprintf(dir, sizeof dir, "/tmp/lc_lib_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof path, "%s/lambdacheck.json", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "{\"functions\": {\"fn\": {\"handler\": \"%s\", \"code\": \"%s\"}}, "
               "\"cases\": [\".\"]}",
            handler, LC_FIXTURES_DIR "/functions/probes");
    fclose(f);
    snprintf(path, sizeof path, "%s/only-case", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/only-case/case.json", dir);
    f = fopen(path, "w");
    fprintf(f, "{\"function\": \"fn\", \"event\": \"%s\"}", event_file);
    fclose(f);
    return dir;
}

static void remove_library(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* The case asks nothing about the response; the event's source contract is applied anyway. */
START_TEST(a_source_contract_is_applied_without_being_asked)
{
    char *dir = library("probes.bad_proxy_response", LC_FIXTURES_DIR "/events/apigateway-rest/get.json");
    cli_result r = check((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.out, "    apigateway-rest-response: API Gateway would answer 502 "
                                "(Malformed Lambda proxy response): statusCode must be an "
                                "integer, got \"200\"") != NULL,
                  "%s", r.out);
    cli_result_free(&r);
    remove_library(dir);
}
END_TEST

START_TEST(contracts_verify_prints_the_verdict_and_exits_by_it)
{
    char path[] = "/tmp/lc_response_XXXXXX";
    int fd = mkstemp(path);
    const char *bad = "{\"batchItemFailures\": [{\"itemIdentifier\": \"abc\"}]}";
    ck_assert_int_eq(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
    close(fd);
    cli_result r = check((const char *[]){"contracts", "verify", "--event",
                                          LC_FIXTURES_DIR "/events/sqs/batch.json", "--response",
                                          path, NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.out, "sqs: SQS would retry the whole batch: itemIdentifier \"abc\" is not "
                            "a messageId of this batch\n");
    cli_result_free(&r);
    fd = open(path, O_WRONLY | O_TRUNC);
    ck_assert_int_eq(write(fd, "null", 4), 4);
    close(fd);
    r = check((const char *[]){"contracts", "verify", "--event",
                               LC_FIXTURES_DIR "/events/sqs/batch.json", "--response", path, NULL});
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "sqs: ok\n");
    cli_result_free(&r);
    unlink(path);
    r = check((const char *[]){"contracts", "verify", "--event", "/no/such.json", "--response",
                               "/no/such.json", NULL});
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "/no/such.json"));
    cli_result_free(&r);
    r = check((const char *[]){"contracts", "verify", "--event", "x", NULL});
    ck_assert_int_eq(r.status, 2);
    cli_result_free(&r);
}
END_TEST

START_TEST(a_malformed_case_names_its_file_and_field)
{
    char dir[] = "/tmp/lc_cases_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof path, "%s/lambdacheck.json", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "{\"functions\": {\"echo\": {\"handler\": \"probes.echo\", \"code\": \"%s\"}}, "
               "\"cases\": [\".\"]}",
            LC_FIXTURES_DIR "/functions/probes");
    fclose(f);
    char case_dir[600], case_file[700];
    snprintf(case_dir, sizeof case_dir, "%s/typo", dir);
    mkdir(case_dir, 0755);
    snprintf(case_file, sizeof case_file, "%s/case.json", case_dir);
    f = fopen(case_file, "w");
    fprintf(f, "{\"function\": \"echo\", \"expcet\": {}}");
    fclose(f);
    cli_result r = check((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 1);
    char want[800];
    snprintf(want, sizeof want, "error: %s: expcet: unknown field", case_file);
    ck_assert_msg(strstr(r.out, want) != NULL, "%s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "0 passed, 1 failed"));
    cli_result_free(&r);
    unlink(case_file);
    rmdir(case_dir);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(bad_usage_and_missing_manifests)
{
    cli_result r = check((const char *[]){"check", "--bogus", NULL});
    ck_assert_int_eq(r.status, 2);
    cli_result_free(&r);
    r = check((const char *[]){"check", "--function-prefix", "x-", CONFORMANCE, NULL});
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "--function-prefix needs --endpoint-url"));
    cli_result_free(&r);
    r = check((const char *[]){"check", "/no/such/library", NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "/no/such/library: no such file or folder"));
    cli_result_free(&r);
}
END_TEST

START_TEST(coverage_of_handler_code_is_written_as_lcov_and_html)
{
    char dir[] = "/tmp/lc_cov_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    cli_result r = check((const char *[]){"check", "--coverage", "--python", DEBIAN_PYTHON,
                                          "--coverage-dir", dir, EXAMPLES, NULL});
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "handler coverage: "));
    cli_result_free(&r);
    char path[256];
    snprintf(path, sizeof path, "%s/handlers.info", dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[1024];
    bool greeting = false, hit = false, foreign = false;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "SF:", 3) == 0) {
            greeting = strstr(line, "examples/greeting.py") != NULL;
            foreign = foreign || strstr(line, "-packages/") || strstr(line, "bootstrap");
        }
        hit = hit || (greeting && strncmp(line, "DA:", 3) == 0 && strstr(line, ",0\n") == NULL);
    }
    fclose(f);
    ck_assert_msg(hit, "greeting.py has no covered line in %s", path);
    ck_assert_msg(!foreign, "the report measured code outside the handler library");
    snprintf(path, sizeof path, "%s/index.html", dir);
    ck_assert_int_eq(access(path, F_OK), 0);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* An interpreter without coverage.py: the command says what to install. */
START_TEST(coverage_without_coverage_py_says_what_to_install)
{
    cli_result r = check((const char *[]){"check", "--coverage", "--python",
                                          LC_SOURCE_DIR "/suites/e2e/python_without_coverage.sh",
                                          EXAMPLES, NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "--coverage needs coverage.py"));
    ck_assert_ptr_nonnull(strstr(r.err, "apt-get install python3-coverage"));
    cli_result_free(&r);
}
END_TEST

Suite *check_suite(void)
{
    Suite *s = suite_create("check");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 300);
    tcase_add_test(core, the_bundled_libraries_pass_locally_with_reports);
    tcase_add_test(core, the_junit_report_is_valid_xml_naming_each_case);
    tcase_add_test(core, the_conformance_suite_passes_against_serve_over_http);
    tcase_add_test(core, the_example_library_checks_itself_with_make);
    suite_add_tcase(s, core);
    TCase *broken = tcase_create("broken-targets");
    tcase_set_timeout(broken, 300);
    tcase_add_test(broken, a_broken_runtime_is_caught_by_name);
    tcase_add_test(broken, an_endpoint_that_answers_200_to_events_is_caught_by_name);
    tcase_add_test(broken, a_source_contract_is_applied_without_being_asked);
    tcase_add_test(broken, contracts_verify_prints_the_verdict_and_exits_by_it);
    suite_add_tcase(s, broken);
    TCase *coverage = tcase_create("coverage");
    tcase_set_timeout(coverage, 300);
    tcase_add_test(coverage, coverage_of_handler_code_is_written_as_lcov_and_html);
    tcase_add_test(coverage, coverage_without_coverage_py_says_what_to_install);
    suite_add_tcase(s, coverage);
    TCase *errors = tcase_create("errors");
    tcase_set_timeout(errors, 120);
    tcase_add_test(errors, a_malformed_case_names_its_file_and_field);
    tcase_add_test(errors, bad_usage_and_missing_manifests);
    suite_add_tcase(s, errors);
    return s;
}
