/* lambdacheck check, end to end: the bundled libraries pass, locally and against serve over HTTP;
 * every expectation and contract holds on a good target and fails by name on a broken one; and
 * each verdict that was once wrong has a test of its own (the "trust" TCase). */
#include <check.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "lambdacheck/buf.h"
#include "../common/scratch.h"
#include "background.h"
#include "run_cli.h"
#include "suites.h"

#define CASES LC_FIXTURES_DIR "/cases"
#define CONFORMANCE CASES "/conformance"
#define EXAMPLES CASES "/examples"
#define CONFORMANCE_NODE CASES "/conformance-node"
#define EXAMPLES_NODE CASES "/examples-node"
#define EXPECTATIONS CASES "/expectations"
#define MUST_FAIL CASES "/must-fail"
#define PROBES LC_FIXTURES_DIR "/functions/probes"
#define BROKEN LC_FIXTURES_DIR "/functions/broken"
#define DEBIAN_PYTHON "/usr/bin/python3"

static cli_result check(const char *const *args)
{
    return run_cli(args, NULL, NULL, 300000);
}

/* The block a case printed: from its "PASS/FAIL library/case" line to the next case line. name
 * is the case id, or its end ("/raises"). */
static char *case_block(const char *out, const char *verdict, const char *name)
{
    char tail[512];
    snprintf(tail, sizeof tail, "%s (", name);
    const char *at = NULL;
    for (const char *line = out; line && *line && at == NULL;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        const char *hit = memmem(line, n, tail, strlen(tail));
        if (strncmp(line, verdict, strlen(verdict)) == 0 && line[strlen(verdict)] == ' ' && hit &&
            (hit[-1] == ' ' || name[0] == '/'))
            at = line;
        line = end ? end + 1 : NULL;
    }
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

/* A one-function library in a scratch folder: the manifest and one case per (name, case.json)
 * pair of cases (NULL-terminated). */
static char *library(const char *function_json, const char *const *cases)
{
    char *dir = scratch_dir("lib");
    scratch_write(dir, "lambdacheck.json", "{\"functions\": {%s}, \"cases\": [\".\"]}",
                  function_json);
    for (const char *const *c = cases; c && c[0]; c += 2) {
        char rel[256];
        snprintf(rel, sizeof rel, "%s/case.json", c[0]);
        scratch_write(dir, rel, "%s", c[1]);
    }
    return dir;
}

#define FN(name, handler) "\"" name "\": {\"handler\": \"" handler "\", \"code\": \"" PROBES "\"}"

/* --- the bundled libraries --------------------------------------------------------------------- */

START_TEST(the_bundled_libraries_pass_locally_with_reports)
{
    char *dir = scratch_dir("reports");
    char junit[600], json[600];
    snprintf(junit, sizeof junit, "%s/deep/er/junit.xml", dir); /* folders made as needed */
    snprintf(json, sizeof json, "%s/check.json", dir);
    cli_result r = check((const char *[]){"check", "--junit", junit, "--json", json, EXAMPLES,
                                          CONFORMANCE, NULL});
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "PASS conformance/none-is-null (");
    ck_assert_contains(r.out, "\n34 passed, 0 failed\n");
    ck_assert_contains(r.out, "Ran 34 cases in ");
    cli_result_free(&r);
    ck_assert_int_eq(access(junit, F_OK), 0);
    json_t *doc = json_load_file(json, 0, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "passed")), 34);
    ck_assert_uint_eq(json_array_size(json_object_get(doc, "cases")), 34);
    json_decref(doc);
    scratch_remove(dir);
}
END_TEST

/* From a function's second fresh environment on, each is a copy of its template process;
 * --plain-start (and LAMBDACHECK_PLAIN_START=1) starts every one as a new process instead. */
START_TEST(fresh_environments_are_copies_unless_plain_start)
{
    cli_result r = check((const char *[]){"check", "--jobs", "1", CASES "/fast-start", NULL});
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "3 passed, 0 failed");
    cli_result_free(&r);
    r = check((const char *[]){"check", "--jobs", "1", "--plain-start", CASES "/fast-start", NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.out, "PASS fast-start/a-first");
    ck_assert_contains(r.out, "FAIL fast-start/b-second");
    ck_assert_contains(r.out, "1 passed, 2 failed");
    cli_result_free(&r);
    r = run_cli((const char *[]){"check", "--jobs", "1", CASES "/fast-start", NULL}, NULL,
                (const char *[]){"LAMBDACHECK_PLAIN_START=1", NULL}, 120000);
    ck_assert_contains(r.out, "1 passed, 2 failed");
    cli_result_free(&r);
}
END_TEST

/* The state and message of `check` in case `id` of a JSON report, or NULL. */
static const char *verdict_of(const json_t *doc, const char *id, const char *check,
                              const char **message)
{
    size_t i, j;
    json_t *c, *v;
    json_array_foreach(json_object_get(doc, "cases"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "id")), id) != 0)
            continue;
        json_array_foreach(json_object_get(c, "checks"), j, v)
        {
            if (strcmp(json_string_value(json_object_get(v, "check")), check) == 0) {
                *message = json_string_value(json_object_get(v, "message"));
                return json_string_value(json_object_get(v, "state"));
            }
        }
    }
    return NULL;
}

/* SnapStart as Lambda runs it (fixtures/cases/snapstart): hooks in order, the REPORT line, the
 * restore failures as the Invoke API reports them, all with and without fast starts; and
 * snapstart-unique both ways: quiet for a token made again after the restore, a warning naming
 * $.token for one made during init, and not checked where nothing is restored (--plain-start). */
START_TEST(snapstart_runs_as_lambda_runs_it_and_finds_init_made_tokens)
{
    char *dir = scratch_dir("snapstart");
    char json[600];
    snprintf(json, sizeof json, "%s/report.json", dir);
    cli_result r = check((const char *[]){"check", "--json", json, CASES "/snapstart", NULL});
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "7 passed, 0 failed");
    cli_result_free(&r);
    json_t *doc = json_load_file(json, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    const char *message = NULL;
    const char *state = verdict_of(doc, "snapstart/unique-from-init", "snapstart-unique", &message);
    ck_assert_str_eq(state, "warned");
    ck_assert_contains(message, "token: fresh environments answered \"");
    state = verdict_of(doc, "snapstart/unique-after-restore", "snapstart-unique", &message);
    ck_assert_str_eq(state, "passed");
    ck_assert_contains(message, "between restored ones too");
    ck_assert_ptr_null(verdict_of(doc, "snapstart/restore-timeout", "snapstart-unique", &message));
    json_decref(doc);
    r = check((const char *[]){"check", "--plain-start", "--json", json, CASES "/snapstart", NULL});
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    cli_result_free(&r);
    doc = json_load_file(json, 0, NULL);
    state = verdict_of(doc, "snapstart/unique-from-init", "snapstart-unique", &message);
    ck_assert_str_eq(state, "not-checked");
    json_decref(doc);
    scratch_remove(dir);
}
END_TEST

/* A queue drained and a stream read into their functions as Lambda's mappings do it (issue 23),
 * both ways: the queues and streams libraries expect what Lambda does with each consumer's
 * answers and pass; the queues-broken library expects an honest consumer's outcome from
 * consumers that do not honour partial batch responses, and each fails by the names of what went
 * differently. */
START_TEST(queue_cases_show_what_lambdas_mapping_does_both_ways)
{
    char *dir = scratch_dir("queues");
    char json[600];
    snprintf(json, sizeof json, "%s/report.json", dir);
    cli_result r = check((const char *[]){"check", "--json", json, CASES "/queues", NULL});
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "7 passed, 0 failed");
    ck_assert_contains(r.out, "3 invocations: 5 deleted, 0 filtered out, 1 in the dead-letter "
                              "queue, 0 left in the queue, 1 received more than once; 60 s of "
                              "queue time skipped");
    cli_result_free(&r);
    r = check((const char *[]){"check", CASES "/streams", NULL});
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "5 passed, 0 failed");
    ck_assert_contains(r.out, "7 invocations: 7 processed, 0 filtered out, 1 discarded in 1 "
                              "on-failure record, 0 left unread, 8 delivered more than once, 3 "
                              "bisections");
    cli_result_free(&r);
    r = check((const char *[]){"check", "--json", json, CASES "/queues-broken", NULL});
    ck_assert_msg(r.status == 1, "exit %d:\n%s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "0 passed, 4 failed");
    cli_result_free(&r);
    json_t *doc = json_load_file(json, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    const char *message = NULL;
    ck_assert_str_eq(verdict_of(doc, "queues-broken/throws", "mapping.deleted", &message),
                     "failed");
    ck_assert_contains(message, "expected but not there: m5, m6");
    ck_assert_str_eq(verdict_of(doc, "queues-broken/throws", "mapping.redelivered", &message),
                     "failed");
    ck_assert_str_eq(verdict_of(doc, "queues-broken/wrong-ids", "batches[1].sqs-response",
                                &message),
                     "failed");
    ck_assert_contains(message, "itemIdentifier \"order-poison\" is not a messageId");
    ck_assert_str_eq(verdict_of(doc, "queues-broken/unreported", "mapping.deleted", &message),
                     "failed");
    ck_assert_contains(message, "there but not expected: m4");
    ck_assert_str_eq(verdict_of(doc, "queues-broken/unreported", "mapping.deadLetter", &message),
                     "failed");
    ck_assert_str_eq(verdict_of(doc, "queues-broken/kinesis-throws", "mapping.discarded",
                                &message),
                     "failed");
    ck_assert_contains(message, "there but not expected: a, b, c");
    json_decref(doc);
    scratch_remove(dir);
}
END_TEST

/* A mapping case's log keeps at most LC_LOG_MAX_BYTES of its invocations' output, and says how
 * much it left out: six batches printing 300 KB each. */
START_TEST(a_mapping_cases_log_is_bounded_and_says_what_it_left_out)
{
    char *dir = scratch_dir("loud");
    char json[600];
    snprintf(json, sizeof json, "%s/report.json", dir);
    char *lib = library("\"loud\": {\"handler\": \"consumer.loud\", \"code\": \"" LC_FIXTURES_DIR
                        "/functions/queues\"}",
                        (const char *[]){"a",
                                         "{\"function\": \"loud\", \"sqs\": {\"batchSize\": 1, "
                                         "\"messages\": [{\"body\": \"1\"}, {\"body\": \"2\"}, "
                                         "{\"body\": \"3\"}, {\"body\": \"4\"}, {\"body\": \"5\"}, "
                                         "{\"body\": \"6\"}]}}",
                                         NULL});
    cli_result r = check((const char *[]){"check", "--json", json, lib, NULL});
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    cli_result_free(&r);
    json_t *doc = json_load_file(json, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    char *text = json_dumps(doc, JSON_COMPACT);
    ck_assert_ptr_nonnull(strstr(text, "more bytes of the invocations' logs left out"));
    ck_assert_uint_lt(strlen(text), 1300000); /* not the 1.8 MB they printed */
    free(text);
    json_decref(doc);
    scratch_remove(lib);
    scratch_remove(dir);
}
END_TEST

/* A queue case with settings outside Lambda's or SQS's bounds, or a message over SQS's largest,
 * is a problem naming the field before anything runs. */
START_TEST(a_queue_case_outside_the_bounds_is_refused_naming_the_field)
{
    const char *const specs[] = {
        "{\"function\": \"f\", \"sqs\": {\"fifo\": true, \"batchSize\": 11, "
        "\"messages\": [{\"body\": \"a\", \"groupId\": \"g\"}]}}",
        "{\"function\": \"f\", \"sqs\": {\"batchSize\": 50, \"messages\": []}}",
        "{\"function\": \"f\", \"sqs\": {\"messages\": [], \"maxReceiveCount\": 0}}",
        "{\"function\": \"f\", \"sqs\": {\"messages\": [], \"batchsize\": 2}}",
        "{\"function\": \"f\", \"sqs\": {\"messages\": []}, \"event\": {}}",
        "{\"function\": \"f\", \"sqs\": {\"messages\": []}, \"expect\": {\"payload\": 1}}",
        "{\"function\": \"f\", \"sqs\": {\"messages\": []}, "
        "\"expect\": {\"mapping\": {\"deleted\": [1]}}}",
        "{\"function\": \"f\", \"sqs\": {\"messages\": [], \"maximumConcurrency\": 1}}",
        "{\"function\": \"f\", \"kinesis\": {\"records\": [], \"batchSize\": 10001}}",
        "{\"function\": \"f\", \"kinesis\": {\"records\": [], \"maximumRetryAttempts\": -2}}",
        "{\"function\": \"f\", \"kinesis\": {\"records\": [], "
        "\"maximumRecordAgeInSeconds\": 30}}",
        "{\"function\": \"f\", \"dynamodb\": {\"records\": []}, \"sqs\": {\"messages\": []}}",
        "{\"function\": \"f\", \"kinesis\": {\"records\": []}, "
        "\"expect\": {\"mapping\": {\"deleted\": []}}}",
    };
    const char *const says[] = {
        "batchSize: 11 is out of bounds: an SQS FIFO queue takes 1 to 10",
        "batchSize: 50 is over 10, which Lambda takes only with a maximumBatchingWindowInSeconds",
        "sqs.maxReceiveCount: 0 is out of bounds: give a value in Lambda's range",
        "sqs.batchsize: unknown field",
        "event: a case that runs a mapping (sqs) makes its own invocations",
        "expect.payload: a case that runs a mapping (sqs) is judged by what its mapping did",
        "expect.mapping.deleted[0]: must be an id",
        "maximumConcurrency: 1 is out of bounds (2 to 1000)",
        "batchSize: 10001 is out of bounds: a stream takes 1 to 10000",
        "maximumRetryAttempts: -2 is out of bounds (-1, or 0 to 10000)",
        "maximumRecordAgeInSeconds: 30 is out of bounds (-1, or 60 to 604800)",
        "sqs and dynamodb: a case runs one mapping; give one or the other",
        "expect.mapping.deleted: unknown field for kinesis (known: processed, discarded",
    };
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) {
        char *dir = library(FN("f", "probes.echo"), (const char *[]){"a", specs[i], NULL});
        cli_result r = check((const char *[]){"check", dir, NULL});
        ck_assert_int_eq(r.status, 3);
        ck_assert_contains(r.err, says[i]);
        ck_assert_contains(r.err, "a/case.json");
        cli_result_free(&r);
        scratch_remove(dir);
    }
}
END_TEST

START_TEST(the_junit_report_has_a_suite_per_library_with_logs)
{
    char *dir = scratch_dir("junit");
    char junit[600];
    snprintf(junit, sizeof junit, "%s/junit.xml", dir);
    cli_result r = check((const char *[]){"check", "--junit", junit, EXAMPLES, MUST_FAIL, NULL});
    ck_assert_int_eq(r.status, 1);
    cli_result_free(&r);
    char script[1500];
    snprintf(script, sizeof script,
             "import xml.etree.ElementTree as E\n"
             "root = E.parse('%s').getroot()\n"
             "suites = root.findall('./testsuite')\n"
             "print(' '.join(s.get('name') + ':' + s.get('tests') + ':' + s.get('failures') for s "
             "in suites))\n"
             "c = [t for t in root.iter('testcase') if t.get('name') == 'result-serializable'][0]\n"
             "print(c.get('classname'), c.find('failure').get('message'))\n"
             "print('START RequestId' in c.find('system-out').text)\n"
             "g = [t for t in root.iter('testcase') if t.get('name') == 'greeting-says-hello'][0]\n"
             "print(g.get('classname'), g.find('failure'))\n",
             junit);
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "%s -c \"%s\"", DEBIAN_PYTHON, script);
    FILE *p = popen(cmd, "r");
    char out[2048] = "";
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    ck_assert_int_eq(pclose(p), 0);
    ck_assert_str_eq(out, "examples:6:0 must-fail:33:33\n"
                          "must-fail 2 checks failed: no-unexpected-error, result-serializable\n"
                          "True\n"
                          "examples None\n");
    scratch_remove(dir);
}
END_TEST

/* The example library is wired into its own make check, as the README tells users to do. */
START_TEST(the_example_library_checks_itself_with_make)
{
    char cmd[1024], reports[] = "/tmp/lc_reports_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(reports));
    snprintf(cmd, sizeof cmd, "make -s -C %s check LAMBDACHECK=%s REPORTS=%s > %s/out.txt 2>&1",
             EXAMPLES, cli_path(), reports, reports);
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
    bg_start(&srv, (const char *[]){cli_path(), "serve", "--manifest", CONFORMANCE,
                                    "--port-file", "{port_file}", NULL});
    cli_result r = check((const char *[]){"check", "--endpoint-url", bg_url(&srv), CONFORMANCE,
                                          NULL});
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "\n28 passed, 0 failed\n");
    /* what only the emulator's journal shows is reported as not checked, never as passed */
    ck_assert_contains(r.out, "not checked: discarded: a remote endpoint does not show");
    cli_result_free(&r);
    ck_assert_int_eq(bg_stop(&srv), 0);
}
END_TEST

/* --- every check, both ways ----------------------------------------------------------------------- */

/* Every expectation and built-in contract: each must pass somewhere in ../expectations and fail
 * somewhere in ../must-fail. async-accepted-empty fails against a broken endpoint (below) and
 * async-result-discarded against a journal without the run (unit suite: contracts). */
static const char *const every_check[] = {
    "status", "payload", "payloadContains", "payloadText", "body", "bodyContains",
    "functionError", "errorType", "errorMessage", "logContains", "logNotContains", "logMatches",
    "coldStart", "maxDurationMs", "discarded", "no-unexpected-error", "result-serializable",
    "error-body-shape", "error-carries-request-id", "apigateway-rest-response", "sqs-response",
    "streamText", "streamPrelude", "tenant-isolated", "concurrency-safe", "awsCalls", "noAwsCalls", "http.status",
    "http.headers.content-type", "http.body", "http.bodyContains", "http.json",
    "http.jsonContains", NULL};

/* Whether some case of a JSON report has a check whose name ends in `name`, in `state`. */
static bool report_has(const json_t *doc, const char *name, const char *state)
{
    size_t i, j;
    json_t *c, *v;
    json_array_foreach(json_object_get(doc, "cases"), i, c)
    {
        json_array_foreach(json_object_get(c, "checks"), j, v)
        {
            const char *check = json_string_value(json_object_get(v, "check"));
            size_t n = strlen(check), k = strlen(name);
            if (n >= k && strcmp(check + n - k, name) == 0 && (n == k || check[n - k - 1] == '.') &&
                strcmp(json_string_value(json_object_get(v, "state")), state) == 0)
                return true;
        }
    }
    return false;
}

static json_t *run_for_report(const char *library, int want_status)
{
    char *dir = scratch_dir("both");
    char json[600];
    snprintf(json, sizeof json, "%s/report.json", dir);
    cli_result r = check((const char *[]){"check", "--json", json, library, NULL});
    ck_assert_msg(r.status == want_status, "exit %d:\n%s%s", r.status, r.out, r.err);
    cli_result_free(&r);
    json_t *doc = json_load_file(json, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    scratch_remove(dir);
    return doc;
}

START_TEST(every_check_holds_on_a_target_that_honours_it)
{
    json_t *doc = run_for_report(EXPECTATIONS, 0);
    for (const char *const *c = every_check; *c; c++)
        ck_assert_msg(report_has(doc, *c, "passed"), "%s never passed in %s", *c, EXPECTATIONS);
    json_decref(doc);
}
END_TEST

/* Each must-fail case names the checks it breaks in its fails-with file: exactly those fail. */
START_TEST(every_check_fails_by_name_on_a_broken_target)
{
    json_t *doc = run_for_report(MUST_FAIL, 1);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(doc, "cases"), i, c)
    {
        char want[1024] = "", got[1024] = "", path[1200];
        snprintf(path, sizeof path, "%s", json_string_value(json_object_get(c, "path")));
        snprintf(strrchr(path, '/') + 1, 20, "fails-with");
        FILE *f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        char line[128];
        while (fgets(line, sizeof line, f))
            strcat(want, line);
        fclose(f);
        size_t j;
        json_t *v;
        json_array_foreach(json_object_get(c, "checks"), j, v)
        {
            if (strcmp(json_string_value(json_object_get(v, "state")), "failed") == 0) {
                strcat(got, json_string_value(json_object_get(v, "check")));
                strcat(got, "\n");
            }
        }
        ck_assert_msg(strcmp(want, got) == 0, "%s failed\n%s instead of\n%s",
                      json_string_value(json_object_get(c, "id")), got, want);
        ck_assert(json_is_false(json_object_get(c, "passed")));
    }
    for (const char *const *n = every_check; *n; n++)
        ck_assert_msg(report_has(doc, *n, "failed"), "%s never failed in %s", *n, MUST_FAIL);
    json_decref(doc);
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
    ck_assert_contains(r.out, "PASS conformance/tuple-is-a-list");
    cli_result_free(&r);
}
END_TEST

/* The Node.js libraries (runtime nodejs20.x, the bundled Node.js client) pass as they are. */
START_TEST(the_node_conformance_suite_and_examples_pass)
{
    cli_result r = check((const char *[]){"check", CONFORMANCE_NODE, EXAMPLES_NODE, NULL});
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_contains(r.out, "PASS conformance-node/undefined-is-null (");
    ck_assert_contains(r.out, "PASS conformance-node/layer-modules-are-on-node-path (");
    ck_assert_contains(r.out, "PASS examples-node/greeting-says-hello (");
    ck_assert_contains(r.out, "48 passed, 0 failed");
    cli_result_free(&r);
}
END_TEST

/* A Node.js client that answers undefined as "undefined" and posts errors without errorType or
 * trace: the Node.js contract names each fault. */
START_TEST(a_broken_node_runtime_is_caught_by_name)
{
    cli_result r = check((const char *[]){"check", "--runtime-command",
                                          "{node} " BROKEN "/broken_node_runtime.mjs",
                                          CONFORMANCE_NODE, NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_case_fails_with(r.out, "conformance-node/undefined-is-null",
                              "payload: $: expected null, got \"undefined\"");
    ck_assert_case_fails_with(r.out, "conformance-node/error-body-is-type-message-trace",
                              "error-body-shape: the error response has no errorType (a "
                              "nodejs20.x error has errorType,errorMessage,trace)");
    ck_assert_contains(r.out, "PASS conformance-node/object-event-echoes");
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

START_TEST(contracts_verify_prints_the_verdict_and_exits_by_it)
{
    char *dir = scratch_dir("verify");
    const char *path = strdup(scratch_write(dir, "response.json", "%s",
                                            "{\"batchItemFailures\": [{\"itemIdentifier\": \"abc\"}]}"));
    cli_result r = check((const char *[]){"contracts", "verify", "--event",
                                          LC_FIXTURES_DIR "/events/sqs/batch.json", "--response",
                                          path, "--report-batch-item-failures", NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.out, "sqs: SQS would retry the whole batch: itemIdentifier \"abc\" is not "
                            "a messageId of this batch\n");
    cli_result_free(&r);
    /* without ReportBatchItemFailures Lambda ignores the same response */
    r = check((const char *[]){"contracts", "verify", "--event",
                               LC_FIXTURES_DIR "/events/sqs/batch.json", "--response", path, NULL});
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "sqs: ok (the response is ignored: ReportBatchItemFailures is off for "
                            "this function's sqs event source, so Lambda counts the batch as "
                            "processed unless the function fails)\n");
    cli_result_free(&r);
    /* what AWS does not document is a warning, and the verdict still holds */
    scratch_write(dir, "response.json", "{\"batchItemFailures\": [], \"processingInfo\": {}}");
    r = check((const char *[]){"contracts", "verify", "--event",
                               LC_FIXTURES_DIR "/events/sqs/batch.json", "--response", path,
                               "--report-batch-item-failures", NULL});
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "sqs: ok, but: Lambda reads only batchItemFailures, and the response "
                            "also has \"processingInfo\"\n");
    cli_result_free(&r);
    scratch_write(dir, "response.json", "null");
    r = check((const char *[]){"contracts", "verify", "--event",
                               LC_FIXTURES_DIR "/events/sqs/batch.json", "--response", path,
                               "--report-batch-item-failures", NULL});
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "sqs: ok\n");
    cli_result_free(&r);
    /* a response that is not JSON, read from standard input */
    r = run_cli((const char *[]){"contracts", "verify", "--event",
                                 LC_FIXTURES_DIR "/events/apigateway-rest/get.json", "--response",
                                 "-", NULL},
                "hello", NULL, 60000);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.out, "apigateway-rest: API Gateway would answer 502 (Malformed Lambda "
                            "proxy response): the response is not JSON\n");
    cli_result_free(&r);
    free((char *)path);
    scratch_remove(dir);
    r = check((const char *[]){"contracts", "verify", "--event", "/no/such.json", "--response",
                               "/no/such.json", NULL});
    ck_assert_int_eq(r.status, 2);
    ck_assert_contains(r.err, "/no/such.json");
    cli_result_free(&r);
    r = check((const char *[]){"contracts", "verify", "--event", "x", NULL});
    ck_assert_int_eq(r.status, 2);
    cli_result_free(&r);
}
END_TEST

/* --- verdicts that were wrong, one test each ------------------------------------------------------ */

/* 1. discarded: true held when the handler never ran. */
START_TEST(discarded_fails_when_the_handler_never_ran)
{
    char *dir = library(FN("fn", "nomod.handler"),
                        (const char *[]){"event", "{\"function\": \"fn\", \"invocationType\": "
                                                  "\"Event\", \"expect\": {\"discarded\": true}}",
                                         NULL});
    cli_result r = check((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.out, "discarded: the handler never ran: its runtime failed to "
                              "initialise (Runtime.ImportModuleError)");
    cli_result_free(&r);
    /* discarded: false could not fail either: it is refused, saying what discarded means */
    scratch_write(dir, "event/case.json", "{\"function\": \"fn\", \"invocationType\": \"Event\", "
                                          "\"expect\": {\"discarded\": false}}");
    r = check((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 3);
    ck_assert_contains(r.err, "expect.discarded must be true (the handler ran, returned, and its "
                              "result reached no caller)");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* 2. A case without expect passed whatever happened. */
START_TEST(a_case_without_expectations_fails_when_the_function_fails)
{
    char *dir = library(FN("fn", "probes.raises_value_error"),
                        (const char *[]){"raises", "{\"function\": \"fn\"}", NULL});
    cli_result r = check((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_case_fails_with(r.out, "/raises", "no-unexpected-error: the function failed: "
                                                "ValueError: boom");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* 2. ...and a case naming a function that does not exist (the Invoke API answered 404). */
START_TEST(a_case_naming_an_undeclared_function_is_refused_before_anything_runs)
{
    char *dir = library(FN("greeting", "probes.echo") "," FN("region", "probes.echo"),
                        (const char *[]){"typo", "{\"function\": \"greting\"}", NULL});
    cli_result r = check((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 3);
    char want[1024];
    snprintf(want, sizeof want, "%s/typo/case.json: function \"greting\" is not declared by "
                                "%s/lambdacheck.json (it declares: greeting, region)",
             dir, dir);
    ck_assert_contains(r.err, want);
    ck_assert_contains(r.err, "no case ran: 1 problem in the handler libraries");
    ck_assert_ptr_null(strstr(r.out, "Ran "));
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* A manifest's maxConcurrency is Lambda's PerExecutionEnvironmentMaxConcurrency: 1-1600. */
START_TEST(a_manifest_max_concurrency_outside_lambdas_range_is_named)
{
    const char *const bad[] = {"0", "1601", "\"4\""};
    const char *const says[] = {"maxConcurrency must be 1-1600", "maxConcurrency must be 1-1600",
                                "maxConcurrency must be an integer"};
    for (size_t i = 0; i < 3; i++) {
        char fn[512];
        snprintf(fn, sizeof fn,
                 "\"f\": {\"handler\": \"probes.echo\", \"code\": \"" PROBES "\", "
                 "\"maxConcurrency\": %s}",
                 bad[i]);
        char *dir = library(fn, (const char *[]){"a", "{\"function\": \"f\"}", NULL});
        cli_result r = check((const char *[]){"check", dir, NULL});
        ck_assert_int_eq(r.status, 3);
        ck_assert_contains(r.err, says[i]);
        cli_result_free(&r);
        scratch_remove(dir);
    }
}
END_TEST

/* 3. A run that found no case exited 0. */
/* A link up (up -> ..) ran each case 8 times, two self-links made 131,072 ids, and a link to /
 * walked the whole file system: each real folder is walked once, and links that lead out of the
 * cases folder are named, not followed. */
START_TEST(case_folders_reached_through_links_are_walked_once)
{
    char *dir = library(FN("echo", "probes.echo"),
                        (const char *[]){"a", "{\"function\": \"echo\"}", NULL});
    char link[700], target[700];
    const char *const links[][2] = {{"..", "up"}, {".", "self"}, {".", "a/self"}, {"/", "root"},
                                    {"a", "alias"}};
    for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
        snprintf(link, sizeof link, "%s/%s", dir, links[i][1]);
        snprintf(target, sizeof target, "%s", links[i][0]);
        ck_assert_int_eq(symlink(target, link), 0);
    }
    cli_result r = check((const char *[]){"check", "--list", dir, NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    char want[300];
    snprintf(want, sizeof want, "%s/a\n", strrchr(dir, '/') + 1);
    ck_assert_str_eq(r.out, want);
    ck_assert_contains(r.err, "/up: a link that leads out of the cases folder");
    ck_assert_contains(r.err, "/root: a link that leads out of the cases folder");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* The sandbox of a case ends with it, and so does what its handler started (setsid and a
 * double fork included); the handler logs the pid, which the JSON report keeps. */
START_TEST(a_process_a_case_starts_ends_with_the_case)
{
    char *dir = library(FN("escapes", "probes.escapes"),
                        (const char *[]){"a", "{\"function\": \"escapes\", \"expect\": "
                                              "{\"payloadContains\": {}}}",
                                         NULL});
    char json[700];
    snprintf(json, sizeof json, "%s/report.json", dir);
    cli_result r = check((const char *[]){"check", "--json", json, dir, NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    cli_result_free(&r);
    lc_buf text;
    lc_buf_init(&text, 0);
    ck_assert_int_eq(lc_buf_read_file(&text, json, NULL), LC_OK);
    const char *at = strstr(text.data, "escaped pid ");
    ck_assert_msg(at != NULL, "%s", text.data);
    long pid = strtol(at + strlen("escaped pid "), NULL, 10);
    lc_buf_free(&text);
    bool gone = process_gone(pid);
    if (!gone)
        kill((pid_t)pid, SIGKILL);
    ck_assert_msg(gone, "process %ld outlived its case", pid);
    scratch_remove(dir);
}
END_TEST

START_TEST(finding_no_case_is_not_a_pass)
{
    char *dir = library(FN("fn", "probes.echo"), NULL);
    scratch_write(dir, "empty/README", "nothing here");
    cli_result r = check((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 5);
    ck_assert_contains(r.err, "no cases found (a case is a folder holding a case.json); looked in:");
    ck_assert_contains(r.err, dir);
    cli_result_free(&r);
    /* a mistyped case file is named, not skipped */
    scratch_write(dir, "greets/case.jsn", "{\"function\": \"fn\"}");
    r = check((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 3);
    ck_assert_contains(r.err, "/greets/case.jsn: looks like a case file, but a case is read from "
                              "case.json");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* 4. logContains searched only the last 4 KB of the log. */
START_TEST(log_expectations_see_the_whole_log)
{
    char *dir = library(FN("fn", "probes.chatty"),
                        (const char *[]){"early", "{\"function\": \"fn\", \"expect\": "
                                                  "{\"logContains\": [\"the first line\"]}}",
                                         NULL});
    cli_result r = check((const char *[]){"check", dir, NULL});
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* 5. Verdicts depended on case order and --jobs: init output was in the log only of a case that
 * happened to cold-start. */
START_TEST(verdicts_do_not_depend_on_order_or_jobs)
{
    const char *c = "{\"function\": \"fn\", \"expect\": {\"logContains\": [\"init line\"]}}";
    char *dir = library(FN("fn", "prints_at_init.handler"),
                        (const char *[]){"a", c, "b", c, "c", c, NULL});
    char *outputs[3];
    for (int jobs = 1; jobs <= 3; jobs++) {
        char n[4];
        snprintf(n, sizeof n, "%d", jobs);
        cli_result r = check((const char *[]){"check", "--jobs", n, dir, NULL});
        ck_assert_msg(r.status == 0, "--jobs %d: %s", jobs, r.out);
        outputs[jobs - 1] = r.out; /* the order of the lines is the same too */
        *strstr(r.out, "Ran ") = '\0';
        for (char *p = outputs[jobs - 1]; (p = strstr(p, " (")) != NULL;) {
            char *end = strchr(p, '\n');
            memmove(p, end, strlen(end) + 1);
        }
        free(r.err);
    }
    for (int jobs = 2; jobs <= 3; jobs++)
        ck_assert_str_eq(strstr(outputs[0], "PASS"), strstr(outputs[jobs - 1], "PASS"));
    for (int i = 0; i < 3; i++)
        free(outputs[i]);
    scratch_remove(dir);
}
END_TEST

/* 6. The requestId contract was applied to every runtime, and every runtime command got
 * AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023. */
START_TEST(each_runtime_is_held_to_its_own_contract)
{
    char *dir = library("\"node\": {\"handler\": \"index.handler\", \"code\": \"" PROBES "\", "
                        "\"runtime\": \"nodejs20.x\", \"runtimeCommand\": \"{python} " LC_FIXTURES_DIR
                        "/functions/runtimes/node_shaped_runtime.py\"}",
                        (const char *[]){"fails", "{\"function\": \"node\", \"expect\": "
                                                  "{\"errorType\": \"Error\"}}",
                                         NULL});
    cli_result r = check((const char *[]){"check", dir, NULL});
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    cli_result_free(&r);
    scratch_remove(dir);
    /* a runtime command of its own is a custom runtime: no AWS_EXECUTION_ENV, as on Lambda */
    r = check((const char *[]){"invoke", "--runtime-command",
                               DEBIAN_PYTHON " " LC_SOURCE_DIR
                               "/harness/runtime/python/lambdacheck_bootstrap.py",
                               "--handler", "probes.environment", "--code", PROBES, NULL});
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_contains(r.out, "\"AWS_LAMBDA_FUNCTION_NAME\"");
    ck_assert_ptr_null(strstr(r.out, "AWS_EXECUTION_ENV"));
    cli_result_free(&r);
    r = check((const char *[]){"invoke", "--handler", "probes.environment", "--code", PROBES,
                               "--python", DEBIAN_PYTHON, NULL});
    ck_assert_contains(r.out, "\"AWS_EXECUTION_ENV\": \"AWS_Lambda_python3.11\"");
    cli_result_free(&r);
}
END_TEST

/* 7. Two libraries that declare one function name: the second one's cases were dropped. Two SAM
 * projects' folders of one name ("app") hold them, the usual case. */
START_TEST(two_libraries_may_declare_the_same_function)
{
    char *a = scratch_dir("proj"), *b = scratch_dir("proj");
    scratch_write(a, "app/lambdacheck.json", "{\"functions\": {%s}, \"cases\": [\".\"]}",
                  FN("HelloWorldFunction", "probes.echo"));
    scratch_write(a, "app/echoes/case.json", "{\"function\": \"HelloWorldFunction\", "
                                              "\"eventJson\": 1, \"expect\": {\"payload\": 1}}");
    scratch_write(b, "app/lambdacheck.json", "{\"functions\": {%s}, \"cases\": [\".\"]}",
                  FN("HelloWorldFunction", "probes.returns_none"));
    scratch_write(b, "app/nothing/case.json", "{\"function\": \"HelloWorldFunction\", "
                                               "\"expect\": {\"payload\": null}}");
    char app_a[600], app_b[600], id_a[600], id_b[600];
    snprintf(app_a, sizeof app_a, "%s/app", a);
    snprintf(app_b, sizeof app_b, "%s/app", b);
    cli_result r = check((const char *[]){"check", app_a, app_b, NULL});
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_contains(r.out, "\n2 passed, 0 failed\n");
    /* two libraries named app are told apart by their folders, in every case id */
    snprintf(id_a, sizeof id_a, "PASS %s/app/echoes (", strrchr(a, '/') + 1);
    snprintf(id_b, sizeof id_b, "PASS %s/app/nothing (", strrchr(b, '/') + 1);
    ck_assert_contains(r.out, id_a);
    ck_assert_contains(r.out, id_b);
    cli_result_free(&r);
    /* serve cannot tell them apart for a caller: it says so instead of serving one */
    r = check((const char *[]){"serve", "--manifest", app_a, "--manifest", app_b, NULL});
    ck_assert_int_eq(r.status, 2);
    ck_assert_contains(r.err, "function HelloWorldFunction is declared by both");
    cli_result_free(&r);
    scratch_remove(a);
    scratch_remove(b);
}
END_TEST

/* 8. check crashed (SIGSEGV) on an answer that was empty or not JSON to an HTTP event. */
START_TEST(an_answer_that_is_not_json_is_judged_not_crashed_on)
{
    char *dir = library(FN("text", "probes.returns_text"),
                        (const char *[]){"rest", "{\"function\": \"text\", \"event\": \"" LC_FIXTURES_DIR
                                                 "/events/apigateway-rest/get.json\"}",
                                         "authorizer", "{\"function\": \"text\", \"event\": \"" LC_FIXTURES_DIR
                                                       "/events/apigateway-authorizer/token.json\"}",
                                         "http-api", "{\"function\": \"text\", \"event\": \"" LC_FIXTURES_DIR
                                                     "/events/apigateway-http/get.json\"}",
                                         NULL});
    cli_result r = check((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_case_fails_with(r.out, "/rest", "apigateway-rest-response: API Gateway would answer "
                                              "502 (Malformed Lambda proxy response): the "
                                              "response is not JSON");
    /* AWS documents no outcome for these: warnings, not failures */
    ck_assert_contains(r.out, "warning: apigateway-authorizer-response: the response is not JSON");
    ck_assert_contains(r.out, "warning: apigateway-http-response: the response is not JSON");
    ck_assert_contains(r.out, "2 passed, 1 failed");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* 9. --coverage failed an all-green run where no Python code ran. */
START_TEST(coverage_without_python_code_keeps_the_verdict)
{
    char *dir = library("\"node\": {\"handler\": \"index.handler\", \"code\": \"" PROBES "\", "
                        "\"runtimeCommand\": \"" DEBIAN_PYTHON " " LC_FIXTURES_DIR
                        "/functions/runtimes/node_shaped_runtime.py\"}",
                        (const char *[]){"fails", "{\"function\": \"node\", \"expect\": "
                                                  "{\"errorType\": \"Error\"}}",
                                         NULL});
    char *cov = scratch_dir("cov");
    cli_result r = check((const char *[]){"check", "--coverage", "--python", DEBIAN_PYTHON,
                                          "--coverage-dir", cov, dir, NULL});
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_contains(r.out, "handler coverage: no Python or Node.js code ran");
    cli_result_free(&r);
    scratch_remove(cov);
    scratch_remove(dir);
}
END_TEST

/* 10. The JSON report put failure wording on passing checks. */
START_TEST(a_passing_check_reports_what_held)
{
    char *dir = library(FN("fn", "probes.chatty"),
                        (const char *[]){"early", "{\"function\": \"fn\", \"expect\": "
                                                  "{\"logContains\": [\"the first line\"]}}",
                                         NULL});
    json_t *doc = run_for_report(dir, 0);
    json_t *checks = json_object_get(json_array_get(json_object_get(doc, "cases"), 0), "checks");
    size_t i;
    json_t *v;
    json_array_foreach(checks, i, v)
    {
        const char *check = json_string_value(json_object_get(v, "check"));
        const char *message = json_string_value(json_object_get(v, "message"));
        ck_assert(json_is_true(json_object_get(v, "passed")));
        if (strcmp(check, "logContains") == 0)
            ck_assert_str_eq(message, "the log contains \"the first line\"");
        ck_assert_msg(!strstr(message, "does not") && !strstr(message, "never") &&
                          !strstr(message, "expected"),
                      "%s passed with \"%s\"", check, message);
    }
    json_decref(doc);
    scratch_remove(dir);
}
END_TEST

/* --- failure reports a team can act on ------------------------------------------------------------ */

START_TEST(a_failed_case_shows_its_log)
{
    cli_result r = check((const char *[]){"check", "--filter", "must-fail/log-not-contains",
                                          MUST_FAIL, NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.out, "    log (its last lines; --verbose prints all):\n");
    ck_assert_contains(r.out, "      | the last line\n");
    ck_assert_ptr_null(strstr(r.out, "| the first line")); /* 300 lines before the end */
    cli_result_free(&r);
    r = check((const char *[]){"check", "--verbose", "--filter", "must-fail/log-not-contains",
                               MUST_FAIL, NULL});
    ck_assert_contains(r.out, "      | the first line\n");
    cli_result_free(&r);
}
END_TEST

/* The Python runtime joins a traceback's lines with \r; printed raw, a terminal would overwrite
 * the error line with the traceback. The report breaks the line there instead. */
START_TEST(a_traceback_in_the_log_is_printed_line_by_line)
{
    char *dir = library(FN("fn", "probes.raises_value_error"),
                        (const char *[]){"fails", "{\"function\": \"fn\"}", NULL});
    cli_result r = check((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strchr(r.out, '\r') == NULL, "a carriage return reached the terminal:\n%s",
                  r.out);
    ck_assert_contains(r.out, "      | [ERROR] ValueError: boom\n      | Traceback (most recent "
                              "call last):\n");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

START_TEST(filter_list_and_shards)
{
    cli_result r = check((const char *[]){"check", "--list", "--filter", "examples/greeting*",
                                          EXAMPLES, CONFORMANCE, NULL});
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "examples/greeting-says-hello\nexamples/greeting-without-names-fails\n");
    cli_result_free(&r);
    r = check((const char *[]){"check", "--list", "--filter", "marshal", CONFORMANCE, NULL});
    ck_assert_str_eq(r.out, "conformance/datetime-is-a-marshal-error\n"
                            "conformance/object-is-a-marshal-error\n"
                            "conformance/set-is-a-marshal-error\n");
    cli_result_free(&r);
    r = check((const char *[]){"check", "--filter", "nothing-matches", CONFORMANCE, NULL});
    ck_assert_int_eq(r.status, 5);
    ck_assert_contains(r.err, "no case selected: 28 cases, none matches --filter");
    cli_result_free(&r);
    /* three shards: disjoint, and together every case */
    char *all = NULL;
    size_t total = 0;
    for (int k = 1; k <= 3; k++) {
        char shard[8];
        snprintf(shard, sizeof shard, "%d/3", k);
        r = check((const char *[]){"check", "--list", "--shard", shard, EXAMPLES, CONFORMANCE,
                                   NULL});
        ck_assert_int_eq(r.status, 0);
        for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
            ck_assert_msg(all == NULL || strstr(all, line) == NULL, "%s in two shards", line);
            size_t n = all ? strlen(all) : 0;
            all = realloc(all, n + strlen(line) + 2);
            sprintf(all + n, "%s\n", line);
            total++;
        }
        cli_result_free(&r);
    }
    ck_assert_uint_eq(total, 34);
    free(all);
    r = check((const char *[]){"check", "--shard", "4/3", CONFORMANCE, NULL});
    ck_assert_int_eq(r.status, 2);
    cli_result_free(&r);
}
END_TEST

/* A case.json, or the folder holding it, runs that case alone: its library is the nearest
 * manifest above it. Cases named from one library share one run; nested folders are found. */
START_TEST(a_path_to_a_case_runs_that_case)
{
    cli_result r = check((const char *[]){"check", EXAMPLES "/greeting-says-hello/case.json",
                                          NULL});
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_contains(r.out, "PASS examples/greeting-says-hello (");
    ck_assert_contains(r.out, "Ran 1 case in");
    cli_result_free(&r);
    r = check((const char *[]){"check", "--list", EXAMPLES "/region-reports-aws-region",
                               EXAMPLES "/greeting-says-hello/case.json", NULL});
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "examples/greeting-says-hello\nexamples/region-reports-aws-region\n");
    cli_result_free(&r);
    /* a nested case, named by its folder, from inside the library */
    char *dir = library(FN("echo", "probes.echo"),
                        (const char *[]){"group/deeper/one", "{\"function\": \"echo\"}", "two",
                                         "{\"function\": \"echo\"}", NULL});
    char nested[1024];
    snprintf(nested, sizeof nested, "%s/group/deeper/one", dir);
    r = check((const char *[]){"check", "--list", nested, NULL});
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(strstr(r.out, "/group/deeper/one\n") && !strstr(r.out, "/two"), "%s", r.out);
    cli_result_free(&r);
    /* the library named as well: every case runs */
    r = check((const char *[]){"check", "--list", nested, dir, NULL});
    ck_assert_msg(strstr(r.out, "/group/deeper/one\n") && strstr(r.out, "/two\n"), "%s", r.out);
    cli_result_free(&r);
    /* a named case and --filter both apply */
    r = check((const char *[]){"check", "--filter", "nothing", nested, NULL});
    ck_assert_int_eq(r.status, 5);
    ck_assert_contains(r.err, "no case selected: 1 case, none matches --filter");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* A case with no manifest above it, or one its library's cases folders do not hold, is a
 * problem named by path, and nothing runs. */
START_TEST(a_case_outside_any_library_is_refused_by_path)
{
    char *stray = scratch_dir("stray");
    scratch_write(stray, "case.json", "{\"function\": \"echo\"}");
    cli_result r = check((const char *[]){"check", stray, NULL});
    ck_assert_int_eq(r.status, 3);
    char want[1024];
    snprintf(want, sizeof want, "%s: a case, but no folder above it holds a lambdacheck.json",
             stray);
    ck_assert_contains(r.err, want);
    ck_assert_ptr_null(strstr(r.out, "Ran "));
    cli_result_free(&r);
    scratch_remove(stray);

    char *dir = scratch_dir("lib");
    scratch_write(dir, "lambdacheck.json", "{\"functions\": {%s}, \"cases\": [\"cases\"]}",
                  FN("echo", "probes.echo"));
    scratch_write(dir, "cases/in/case.json", "{\"function\": \"echo\"}");
    scratch_write(dir, "elsewhere/out/case.json", "{\"function\": \"echo\"}");
    char outside[1024];
    snprintf(outside, sizeof outside, "%s/elsewhere/out/case.json", dir);
    r = check((const char *[]){"check", outside, NULL});
    ck_assert_int_eq(r.status, 3);
    ck_assert_contains(r.err, "elsewhere/out/case.json: not a case of ");
    ck_assert_contains(r.err, "(its cases are found in ");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* A manifest's timeout is in seconds, and so is the message about it. */
START_TEST(a_timeout_out_of_range_is_named_in_seconds)
{
    char *dir = library("\"slow\": {\"handler\": \"probes.echo\", \"code\": \"" PROBES "\", "
                        "\"timeout\": 901}",
                        (const char *[]){"a", "{\"function\": \"slow\"}", NULL});
    cli_result r = check((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 3);
    ck_assert_contains(r.err, "functions.slow: timeout 901 s is outside 1-900 s");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* Shards' JSON reports merge into one report, JUnit or JSON. */
START_TEST(shard_reports_merge_into_one)
{
    char *dir = scratch_dir("merge");
    char one[600], two[600], junit[600], json[600];
    snprintf(one, sizeof one, "%s/1.json", dir);
    snprintf(two, sizeof two, "%s/2.json", dir);
    snprintf(junit, sizeof junit, "%s/merged.xml", dir);
    snprintf(json, sizeof json, "%s/merged.json", dir);
    cli_result r = check((const char *[]){"check", "--shard", "1/2", "--json", one, EXAMPLES, NULL});
    ck_assert_int_eq(r.status, 0);
    cli_result_free(&r);
    r = check((const char *[]){"check", "--shard", "2/2", "--json", two, EXAMPLES, NULL});
    ck_assert_int_eq(r.status, 0);
    cli_result_free(&r);
    r = check((const char *[]){"report", "merge", "--junit", junit, "--json", json, one, two, NULL});
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_contains(r.out, "\n6 passed, 0 failed\n");
    cli_result_free(&r);
    json_t *doc = json_load_file(json, 0, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "passed")), 6);
    json_decref(doc);
    ck_assert_int_eq(access(junit, F_OK), 0);
    r = check((const char *[]){"report", "merge", "/no/such.json", NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.err, "/no/such.json");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* --- bad input -------------------------------------------------------------------------------------- */

START_TEST(every_problem_of_a_library_is_listed_with_its_file)
{
    char *dir = library(FN("echo", "probes.echo"),
                        (const char *[]){"typo", "{\"function\": \"echo\", \"expcet\": {}}",
                                         "not-json", "{\"function\": ",
                                         "bad-set", "{\"function\": \"echo\", \"eventSet\": [\"=x\"]}",
                                         "no-event", "{\"function\": \"echo\", \"event\": \"missing.json\"}",
                                         "ok", "{\"function\": \"echo\"}",
                                         NULL});
    mkdir(scratch_write(dir, "folder/x", "%s", ""), 0755);
    char folder[600], fifo[600];
    snprintf(folder, sizeof folder, "%s/folder/case.json", dir);
    mkdir(folder, 0755);
    scratch_write(dir, "fifo/x", "%s", ""); /* a FIFO with no writer used to hang check */
    snprintf(fifo, sizeof fifo, "%s/fifo/case.json", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    cli_result r = check((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 3);
    char want[1200];
    snprintf(want, sizeof want, "%s/typo/case.json: expcet: unknown field (known: description,", dir);
    ck_assert_contains(r.err, want);
    snprintf(want, sizeof want, "%s/not-json/case.json:1:", dir);
    ck_assert_contains(r.err, want);
    snprintf(want, sizeof want, "%s/bad-set/case.json: eventSet[0]: assignment '=x'", dir);
    ck_assert_contains(r.err, want);
    snprintf(want, sizeof want, "%s/no-event/case.json: event: %s/no-event/missing.json: cannot "
                                "open file",
             dir, dir);
    ck_assert_contains(r.err, want);
    snprintf(want, sizeof want, "%s: is a folder; a case is read from a case.json file", folder);
    ck_assert_contains(r.err, want);
    snprintf(want, sizeof want, "%s: is not a regular file; a case is read from a case.json file",
             fifo);
    ck_assert_contains(r.err, want);
    ck_assert_contains(r.err, "no case ran: 6 problems in the handler libraries");
    cli_result_free(&r);
    /* a handler that is not a string says so */
    scratch_write(dir, "lambdacheck.json", "{\"functions\": {\"echo\": {\"handler\": 5, \"code\": "
                                           "\".\"}}, \"cases\": [\".\"]}");
    r = check((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 3);
    ck_assert_contains(r.err, "functions.echo.handler must be a string (MODULE.FUNCTION)");
    ck_assert_ptr_null(strstr(r.out, "Ran 0 cases"));
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

START_TEST(bad_usage_and_missing_manifests)
{
    cli_result r = check((const char *[]){"check", "--bogus", NULL});
    ck_assert_int_eq(r.status, 2);
    cli_result_free(&r);
    r = check((const char *[]){"check", "--function-prefix", "x-", CONFORMANCE, NULL});
    ck_assert_int_eq(r.status, 2);
    ck_assert_contains(r.err, "--function-prefix needs --endpoint-url");
    cli_result_free(&r);
    r = check((const char *[]){"check", "/no/such/library", NULL});
    ck_assert_int_eq(r.status, 3);
    ck_assert_contains(r.err, "/no/such/library: no such file or folder");
    cli_result_free(&r);
}
END_TEST

/* --- coverage --------------------------------------------------------------------------------------- */

START_TEST(coverage_of_handler_code_is_written_as_lcov_and_html)
{
    char dir[] = "/tmp/lc_cov_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    cli_result r = check((const char *[]){"check", "--coverage", "--python", DEBIAN_PYTHON,
                                          "--coverage-dir", dir, EXAMPLES, NULL});
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "handler coverage: ");
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

/* Node.js handlers are measured with V8's coverage: the lines a case ran count, the branch it did
 * not take is 0, and a module no case loaded is in the report at 0%. */
START_TEST(coverage_of_node_handlers_comes_from_v8)
{
    char *dir = scratch_dir("nodecov");
    /* an interpreter without coverage.py: Node.js code is measured without it */
    cli_result r = check((const char *[]){"check", "--coverage", "--python",
                                          LC_SOURCE_DIR "/suites/e2e/python_without_coverage.sh",
                                          "--coverage-dir", dir, "--filter",
                                          "calculator-increments", EXAMPLES_NODE, NULL});
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "handler coverage: ");
    cli_result_free(&r);
    char path[600];
    snprintf(path, sizeof path, "%s/node.info", dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[1024], file[512] = "";
    bool ran = false, skipped = false, greeting_unloaded = false;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "SF:", 3) == 0)
            snprintf(file, sizeof file, "%s", strrchr(line, '/') + 1);
        /* calculator.js: line 7 answers the increment; line 5 is the error branch */
        ran = ran || (strcmp(file, "calculator.js\n") == 0 && strcmp(line, "DA:7,1\n") == 0);
        skipped = skipped || (strcmp(file, "calculator.js\n") == 0 && strcmp(line, "DA:5,0\n") == 0);
        greeting_unloaded = greeting_unloaded ||
                            (strcmp(file, "greeting.mjs\n") == 0 && strcmp(line, "LH:0\n") == 0);
    }
    fclose(f);
    ck_assert_msg(ran && skipped && greeting_unloaded, "%s: ran %d, skipped %d, unloaded %d", path,
                  ran, skipped, greeting_unloaded);
    snprintf(path, sizeof path, "%s/index.html", dir);
    ck_assert_int_eq(access(path, F_OK), 0);
    scratch_remove(dir);
}
END_TEST

/* A module that failed at import is in the report, at 0%, next to the code that ran. */
START_TEST(coverage_reports_a_module_that_failed_at_import)
{
    char *dir = library(FN("fn", "probes.echo") "," FN("broken", "init_imports_missing.handler"),
                        (const char *[]){"echo", "{\"function\": \"fn\"}",
                                         "broken", "{\"function\": \"broken\", \"expect\": "
                                                   "{\"errorType\": \"Runtime.ImportModuleError\"}}",
                                         NULL});
    char *cov = scratch_dir("cov");
    cli_result r = check((const char *[]){"check", "--coverage", "--python", DEBIAN_PYTHON,
                                          "--coverage-dir", cov, dir, NULL});
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    cli_result_free(&r);
    char path[600], text[65536];
    snprintf(path, sizeof path, "%s/handlers.info", cov);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    ck_assert_contains(text, "probes/probes.py");
    ck_assert_contains(text, "probes/prints_at_init.py"); /* never imported: 0% */
    scratch_remove(cov);
    scratch_remove(dir);
}
END_TEST

/* True when this host has an interpreter for runtime python3.<minor> (a library declaring it
 * loads). */
static bool has_python(int minor)
{
    char *dir = scratch_dir("pyversion");
    scratch_write(dir, "lambdacheck.json",
                  "{\"functions\": {\"f\": {\"handler\": \"app.handler\", \"code\": \".\", "
                  "\"runtime\": \"python3.%d\"}}, \"cases\": [\".\"]}",
                  minor);
    cli_result r = check((const char *[]){"check", "--list", dir, NULL});
    bool found = strstr(r.err, "needs a python3.") == NULL;
    cli_result_free(&r);
    scratch_remove(dir);
    return found;
}

/* Every Python version a library declares is measured, not only the one whose coverage.py is
 * installed: each runtime this host has (python3.9 ... python3.13) runs under its own
 * interpreter with that coverage.py (its pure-Python tracer where the C one is another
 * version's), and its handler's line counts. */
START_TEST(coverage_measures_every_python_version_a_library_declares)
{
    char *dir = scratch_dir("pyversions"), *cov = scratch_dir("pyversions_cov");
    char functions[4096] = "", rel[64];
    int minors[8], declared = 0;
    for (int minor = 9; minor <= 13; minor++) {
        if (!has_python(minor))
            continue;
        snprintf(rel, sizeof rel, "app3%d.py", minor);
        scratch_write(dir, rel, "def handler(event, context):\n    return 3%d\n", minor);
        snprintf(rel, sizeof rel, "case3%d/case.json", minor);
        scratch_write(dir, rel, "{\"function\": \"f3%d\", \"expect\": {\"payload\": 3%d}}", minor,
                      minor);
        size_t n = strlen(functions);
        snprintf(functions + n, sizeof functions - n,
                 "%s\"f3%d\": {\"handler\": \"app3%d.handler\", \"code\": \".\", \"runtime\": "
                 "\"python3.%d\"}",
                 declared ? ", " : "", minor, minor, minor);
        minors[declared++] = minor;
    }
    ck_assert_msg(declared > 0, "no Python interpreter 3.9-3.13 found");
    scratch_write(dir, "lambdacheck.json", "{\"functions\": {%s}, \"cases\": [\".\"]}", functions);
    cli_result r = check((const char *[]){"check", "--coverage", "--coverage-dir", cov, dir, NULL});
    ck_assert_msg(r.status == 0, "exit %d:\n%s%s", r.status, r.out, r.err);
    cli_result_free(&r);
    char path[600], text[65536];
    snprintf(path, sizeof path, "%s/handlers.info", cov);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t len = fread(text, 1, sizeof text - 1, f);
    text[len] = '\0';
    fclose(f);
    for (int i = 0; i < declared; i++) {
        char file[32];
        snprintf(file, sizeof file, "/app3%d.py\n", minors[i]);
        const char *at = strstr(text, file);
        ck_assert_msg(at != NULL, "app3%d.py is not in the report:\n%s", minors[i], text);
        /* DA:<line>,<count>[,<checksum>] */
        const char *end = strstr(at, "end_of_record"), *hit = strstr(at, "DA:2,1");
        ck_assert_msg(hit && (end == NULL || hit < end) && (hit[6] == ',' || hit[6] == '\n'),
                      "python3.%d's handler line did not count:\n%s", minors[i], at);
    }
    scratch_remove(cov);
    scratch_remove(dir);
}
END_TEST

/* An interpreter without coverage.py: the command says what to install. */
START_TEST(coverage_without_coverage_py_says_what_to_install)
{
    cli_result r = check((const char *[]){"check", "--coverage", "--python",
                                          LC_SOURCE_DIR "/suites/e2e/python_without_coverage.sh",
                                          EXAMPLES, NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.err, "--coverage needs coverage.py for Python functions");
    ck_assert_contains(r.err, "apt-get install python3-coverage");
    ck_assert_msg(strstr(r.out, "PASS") == NULL, "cases ran:\n%s", r.out); /* refused first */
    cli_result_free(&r);
}
END_TEST

/* A function whose runtime AWS lists as deprecated is noted (not failed: Lambda still invokes
 * it); a current runtime is not. https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html */
START_TEST(a_deprecated_runtime_is_noted_not_failed)
{
    char *dir = scratch_dir("deprecated");
    scratch_write(dir, "lambdacheck.json",
                  "{\"functions\": {\"old\": {\"runtime\": \"nodejs18.x\", \"handler\": \"a.b\", "
                  "\"code\": \".\"}, \"new\": {\"runtime\": \"nodejs24.x\", \"handler\": \"a.b\", "
                  "\"code\": \".\"}}, \"cases\": [\".\"]}");
    scratch_write(dir, "c/case.json", "{\"function\": \"old\"}");
    cli_result r = check((const char *[]){"check", "--list", "--endpoint-url",
                                          "http://127.0.0.1:9", dir, NULL});
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_contains(r.err, "function old: runtime nodejs18.x is deprecated since 2025-09-01");
    ck_assert_msg(strstr(r.err, "function new") == NULL, "%s", r.err);
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

Suite *check_suite(void)
{
    Suite *s = suite_create("check");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 300);
    tcase_add_test(core, the_bundled_libraries_pass_locally_with_reports);
    tcase_add_test(core, fresh_environments_are_copies_unless_plain_start);
    tcase_add_test(core, snapstart_runs_as_lambda_runs_it_and_finds_init_made_tokens);
    tcase_add_test(core, queue_cases_show_what_lambdas_mapping_does_both_ways);
    tcase_add_test(core, the_junit_report_has_a_suite_per_library_with_logs);
    tcase_add_test(core, the_conformance_suite_passes_against_serve_over_http);
    tcase_add_test(core, the_example_library_checks_itself_with_make);
    suite_add_tcase(s, core);
    TCase *both = tcase_create("both-ways");
    tcase_set_timeout(both, 300);
    tcase_add_test(both, every_check_holds_on_a_target_that_honours_it);
    tcase_add_test(both, every_check_fails_by_name_on_a_broken_target);
    tcase_add_test(both, a_broken_runtime_is_caught_by_name);
    tcase_add_test(both, the_node_conformance_suite_and_examples_pass);
    tcase_add_test(both, a_broken_node_runtime_is_caught_by_name);
    tcase_add_test(both, an_endpoint_that_answers_200_to_events_is_caught_by_name);
    tcase_add_test(both, contracts_verify_prints_the_verdict_and_exits_by_it);
    suite_add_tcase(s, both);
    TCase *trust = tcase_create("trust");
    tcase_add_test(trust, a_deprecated_runtime_is_noted_not_failed);
    tcase_set_timeout(trust, 300);
    tcase_add_test(trust, discarded_fails_when_the_handler_never_ran);
    tcase_add_test(trust, a_case_without_expectations_fails_when_the_function_fails);
    tcase_add_test(trust, a_case_naming_an_undeclared_function_is_refused_before_anything_runs);
    tcase_add_test(trust, a_manifest_max_concurrency_outside_lambdas_range_is_named);
    tcase_add_test(trust, a_queue_case_outside_the_bounds_is_refused_naming_the_field);
    tcase_add_test(trust, a_mapping_cases_log_is_bounded_and_says_what_it_left_out);
    tcase_add_test(trust, finding_no_case_is_not_a_pass);
    tcase_add_test(trust, case_folders_reached_through_links_are_walked_once);
    tcase_add_test(trust, a_process_a_case_starts_ends_with_the_case);
    tcase_add_test(trust, log_expectations_see_the_whole_log);
    tcase_add_test(trust, verdicts_do_not_depend_on_order_or_jobs);
    tcase_add_test(trust, each_runtime_is_held_to_its_own_contract);
    tcase_add_test(trust, two_libraries_may_declare_the_same_function);
    tcase_add_test(trust, an_answer_that_is_not_json_is_judged_not_crashed_on);
    tcase_add_test(trust, coverage_without_python_code_keeps_the_verdict);
    tcase_add_test(trust, a_passing_check_reports_what_held);
    suite_add_tcase(s, trust);
    TCase *reports = tcase_create("reports");
    tcase_set_timeout(reports, 300);
    tcase_add_test(reports, a_failed_case_shows_its_log);
    tcase_add_test(reports, a_traceback_in_the_log_is_printed_line_by_line);
    tcase_add_test(reports, filter_list_and_shards);
    tcase_add_test(reports, a_path_to_a_case_runs_that_case);
    tcase_add_test(reports, a_case_outside_any_library_is_refused_by_path);
    tcase_add_test(reports, a_timeout_out_of_range_is_named_in_seconds);
    tcase_add_test(reports, shard_reports_merge_into_one);
    suite_add_tcase(s, reports);
    TCase *coverage = tcase_create("coverage");
    tcase_set_timeout(coverage, 300);
    tcase_add_test(coverage, coverage_of_handler_code_is_written_as_lcov_and_html);
    tcase_add_test(coverage, coverage_of_node_handlers_comes_from_v8);
    tcase_add_test(coverage, coverage_reports_a_module_that_failed_at_import);
    tcase_add_test(coverage, coverage_without_coverage_py_says_what_to_install);
    tcase_add_test(coverage, coverage_measures_every_python_version_a_library_declares);
    suite_add_tcase(s, coverage);
    TCase *errors = tcase_create("errors");
    tcase_set_timeout(errors, 120);
    tcase_add_test(errors, every_problem_of_a_library_is_listed_with_its_file);
    tcase_add_test(errors, bad_usage_and_missing_manifests);
    suite_add_tcase(s, errors);
    return s;
}
