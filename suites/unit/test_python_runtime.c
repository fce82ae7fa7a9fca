/* The bundled Python runtime client (harness/runtime/python) under the emulator: what a handler
 * and its caller observe is what AWS's client (awslambdaric 4.x) gives on Lambda. Each test names
 * the behaviour; the expected values are that client's, as suites/differential confirms against
 * a build of it. Handlers: fixtures/functions/fidelity. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "lambdacheck/emulator.h"
#include "lambdacheck/function.h"
#include "suites.h"

#define FIDELITY LC_FIXTURES_DIR "/functions/fidelity"
#define PROBES LC_FIXTURES_DIR "/functions/probes"
/* Debian's interpreter: it has boto3 and PyYAML (python3-boto3, python3-yaml), so it shows what
 * isolation hides and what it keeps. */
#define DEBIAN_PYTHON "/usr/bin/python3"

static lc_emulator *em;

static void setup(void)
{
    ck_assert_int_eq(lc_emulator_new(NULL, &em, NULL), LC_OK);
}

static void teardown(void)
{
    lc_emulator_free(em);
    em = NULL;
}

/* Adds function name running handler from the fidelity folder with config c. */
static void add(lc_function_config c, const char *name, const char *handler)
{
    c.name = name;
    c.handler = handler;
    if (c.code_dir == NULL)
        c.code_dir = FIDELITY;
    lc_function *fn;
    lc_error err = {0};
    ck_assert_msg(lc_function_new(&c, &fn, &err) == LC_OK, "%s", err.message);
    ck_assert_int_eq(lc_emulator_add_function(em, fn, NULL), LC_OK);
}

static void call(const char *name, lc_result *r)
{
    lc_invoke_options opt = {.payload = "{}", .payload_len = 2};
    lc_error err = {0};
    ck_assert_msg(lc_emulator_invoke(em, name, &opt, r, &err) == LC_OK, "%s", err.message);
}

/* Runs handler once in a function of its own and returns its result. */
static void run(const char *handler, lc_result *r)
{
    add((lc_function_config){0}, "fn", handler);
    call("fn", r);
}

static json_t *payload(const lc_result *r)
{
    json_error_t e;
    json_t *v = json_loadb(r->payload, r->payload_len, JSON_DECODE_ANY, &e);
    ck_assert_msg(v != NULL, "payload is not JSON (%s): %.*s", e.text, (int)r->payload_len,
                  r->payload);
    return v;
}

static void assert_payload(const lc_result *r, const char *want)
{
    ck_assert_msg(r->payload_len == strlen(want) && memcmp(r->payload, want, r->payload_len) == 0,
                  "payload %.*s, wanted %s", (int)r->payload_len, r->payload, want);
}

static void assert_function_error(const lc_result *r, const char *type)
{
    ck_assert_msg(strcmp(r->function_error, "Unhandled") == 0 && strcmp(r->error_type, type) == 0,
                  "wanted a %s function error, got '%s' '%s': %.300s", type, r->function_error,
                  r->error_type, r->payload);
}

/* --- the client -------------------------------------------------------------------------------- */

START_TEST(stack_frames_carry_no_column_markers)
{
    lc_result r;
    run("fidelity.keyed_sum", &r);
    assert_function_error(&r, "KeyError");
    json_t *body = payload(&r);
    const char *frame = json_string_value(json_array_get(json_object_get(body, "stackTrace"), 0));
    ck_assert_str_eq(frame, "  File \"" FIDELITY "/fidelity.py\", line 19, in keyed_sum\n"
                            "    return d[\"a\"] + d[\"b\"]\n");
    ck_assert_ptr_null(strstr(r.log, "^^"));
    ck_assert_ptr_null(strstr(r.log, "~~"));
    ck_assert_ptr_nonnull(strstr(r.log, "[ERROR] KeyError: 'b'\rTraceback (most recent call last):\r"
                                        "\u00a0\u00a0File \"" FIDELITY "/fidelity.py\", line 19"));
    json_decref(body);
    lc_result_clear(&r);
}
END_TEST

START_TEST(a_function_module_named_like_a_standard_module_is_the_functions_own)
{
    lc_result r;
    run("uuid.handler", &r);
    assert_payload(&r, "\"the function's own uuid module\"");
    lc_result_clear(&r);
}
END_TEST

START_TEST(a_logging_call_with_bad_arguments_fails_the_invocation)
{
    lc_result r;
    run("fidelity.log_with_bad_arguments", &r);
    assert_function_error(&r, "TypeError");
    json_t *body = payload(&r);
    ck_assert_str_eq(json_string_value(json_object_get(body, "errorMessage")),
                     "%d format: a real number is required, not str");
    ck_assert_ptr_null(strstr(r.log, "--- Logging error ---"));
    json_decref(body);
    lc_result_clear(&r);
}
END_TEST

/* The Runtime API refuses a result over 6 MB; the client logs the refusal and exits, so the next
 * call starts a new environment. */
START_TEST(a_refused_result_ends_the_environment)
{
    add((lc_function_config){0}, "fn", "fidelity.huge_result");
    lc_result r;
    call("fn", &r);
    ck_assert_int_eq(r.end, LC_END_TOO_LARGE);
    assert_function_error(&r, "Function.ResponseSizeTooLarge");
    const char *line = strstr(r.log, "] LAMBDA_RUNTIME Failed to post handler success response. "
                                     "Http response code: 413. {");
    ck_assert_msg(line && strstr(line, "Exceeded maximum allowed payload size (6291556 bytes)."),
                  "%s", r.log);
    lc_result_clear(&r);
    call("fn", &r);
    ck_assert_msg(r.cold_start, "the environment outlived the refused result");
    lc_result_clear(&r);
}
END_TEST

/* The X-Ray cause header of an error with a 2 MB message would be over 1 MB: it is sent empty,
 * and the function's own error reaches the caller. */
START_TEST(an_error_message_of_megabytes_is_the_functions_own_error)
{
    lc_result r;
    run("fidelity.huge_error_message", &r);
    assert_function_error(&r, "ValueError");
    lc_result_clear(&r);
}
END_TEST

/* A RecursionError's cause header lists about a thousand frames (over 32 KB): the Runtime API
 * accepts it, as Lambda's does. */
START_TEST(a_recursion_error_is_the_functions_own_error)
{
    lc_result r;
    run("fidelity.recurse", &r);
    assert_function_error(&r, "RecursionError");
    lc_result_clear(&r);
}
END_TEST

START_TEST(nan_and_infinity_are_written_as_such)
{
    lc_result r;
    run("fidelity.not_a_number", &r);
    assert_payload(&r, "[NaN, Infinity, -Infinity, NaN]");
    lc_result_clear(&r);
}
END_TEST

START_TEST(namedtuples_and_nested_bytes_are_encoded_as_simplejson_encodes_them)
{
    lc_result r;
    run("fidelity.structured_result", &r);
    assert_payload(&r, "{\"point\": {\"x\": 1, \"y\": [{\"x\": \"two\", \"y\": null}]}, "
                       "\"raw\": [\"bytes\"]}");
    lc_result_clear(&r);
}
END_TEST

START_TEST(non_ascii_is_escaped_before_python_3_12_and_utf8_after)
{
    lc_result r;
    add((lc_function_config){.execution_env = "AWS_Lambda_python3.11"}, "old", "fidelity.non_ascii");
    add((lc_function_config){.execution_env = "AWS_Lambda_python3.12"}, "new", "fidelity.non_ascii");
    call("old", &r);
    assert_payload(&r, "{\"caf\\u00e9\": \"\\u2603\"}");
    lc_result_clear(&r);
    call("new", &r);
    assert_payload(&r, "{\"caf\u00e9\": \"\u2603\"}");
    lc_result_clear(&r);
}
END_TEST

START_TEST(the_init_error_warning_ends_with_the_documentation_link)
{
    lc_result r;
    add((lc_function_config){.code_dir = PROBES}, "fn", "init_raises.handler");
    call("fn", &r);
    assert_function_error(&r, "ConfigMissing");
    ck_assert_msg(strstr(r.log, "\t\tLAMBDA_WARNING: Unhandled exception. The most likely cause is "
                                "an issue in the function code.") != NULL,
                  "%s", r.log);
    ck_assert_msg(strstr(r.log, " For more information, see https://docs.aws.amazon.com/lambda/"
                                "latest/dg/runtimes-update.html\r\n") != NULL,
                  "%s", r.log);
    lc_result_clear(&r);
}
END_TEST

START_TEST(standard_output_writes_return_none_and_it_is_a_context_manager)
{
    lc_result r;
    run("fidelity.stdout_write", &r);
    assert_payload(&r, "\"None\"");
    lc_result_clear(&r);
}
END_TEST

START_TEST(the_context_and_the_logging_setup_are_shaped_as_on_lambda)
{
    lc_result r;
    run("fidelity.context_shape", &r);
    json_t *got = payload(&r);
    json_t *want = json_loads(
        "{\"attributes\": [\"aws_request_id\", \"log_group_name\", \"log_stream_name\", "
        "\"function_name\", \"memory_limit_in_mb\", \"function_version\", "
        "\"invoked_function_arn\", \"tenant_id\", \"client_context\", \"identity\", "
        "\"_epoch_deadline_time_in_ms\"], \"identity_has_dict\": false, "
        "\"root_handlers\": [\"LambdaLoggerHandler\"], \"handler_has_log_sink\": true}",
        0, NULL);
    ck_assert_msg(json_equal(got, want), "%.*s", (int)r.payload_len, r.payload);
    json_decref(got);
    json_decref(want);
    lc_result_clear(&r);
}
END_TEST

START_TEST(sigterm_keeps_its_default_action)
{
    lc_result r;
    run("fidelity.sigterm_is_default", &r);
    assert_payload(&r, "true");
    lc_result_clear(&r);
}
END_TEST

/* AWS_LAMBDA_LOG_LEVEL: an exact TRACE means DEBUG; "trace" is no level at all (root stays at
 * WARNING). */
START_TEST(log_levels_are_read_as_lambdas_client_reads_them)
{
    json_t *upper = json_pack("{s:s}", "AWS_LAMBDA_LOG_LEVEL", "TRACE");
    json_t *lower = json_pack("{s:s}", "AWS_LAMBDA_LOG_LEVEL", "trace");
    add((lc_function_config){.environment = upper}, "upper", "fidelity.log_at_every_level");
    add((lc_function_config){.environment = lower}, "lower", "fidelity.log_at_every_level");
    lc_result r;
    call("upper", &r);
    ck_assert_ptr_nonnull(strstr(r.log, "[DEBUG]\t"));
    ck_assert_ptr_nonnull(strstr(r.log, "[INFO]\t"));
    lc_result_clear(&r);
    call("lower", &r);
    ck_assert_ptr_null(strstr(r.log, "[DEBUG]\t"));
    ck_assert_ptr_null(strstr(r.log, "[INFO]\t"));
    ck_assert_ptr_nonnull(strstr(r.log, "[WARNING]\t"));
    lc_result_clear(&r);
    json_decref(upper);
    json_decref(lower);
}
END_TEST

/* --- the platform ------------------------------------------------------------------------------ */

/* With the JSON log format, the function's records are JSON (second-precision timestamps) and so
 * are the platform's: platform.start and platform.report, no END line. */
START_TEST(json_log_format_applies_to_function_and_platform_lines)
{
    add((lc_function_config){.log_format = "JSON"}, "fn", "fidelity.json_log");
    lc_result r;
    call("fn", &r);
    char *save = NULL, *log = strdup(r.log);
    const char *types[3] = {0};
    int n = 0;
    for (char *line = strtok_r(log, "\n", &save); line && n < 3; line = strtok_r(NULL, "\n", &save)) {
        json_t *record = json_loads(line, 0, NULL);
        ck_assert_msg(json_is_object(record), "not a JSON line: %s", line);
        const char *type = json_string_value(json_object_get(record, "type"));
        types[n++] = type ? (strcmp(type, "platform.start") == 0 ? "start" : "report") : "function";
        if (type == NULL) {
            ck_assert_str_eq(json_string_value(json_object_get(record, "level")), "WARNING");
            ck_assert_str_eq(json_string_value(json_object_get(record, "message")), "hello there");
            ck_assert_str_eq(json_string_value(json_object_get(record, "requestId")), r.request_id);
            ck_assert_int_eq(json_integer_value(json_object_get(record, "order")), 7);
            ck_assert_uint_eq(strlen(json_string_value(json_object_get(record, "timestamp"))), 20);
        } else if (strcmp(type, "platform.report") == 0) {
            json_t *m = json_object_get(json_object_get(record, "record"), "metrics");
            ck_assert(json_is_number(json_object_get(m, "durationMs")));
            ck_assert(json_is_number(json_object_get(m, "initDurationMs")));
            ck_assert_int_eq(json_integer_value(json_object_get(m, "memorySizeMB")), 128);
        }
        json_decref(record);
    }
    ck_assert_str_eq(types[0], "start");
    ck_assert_str_eq(types[1], "function");
    ck_assert_str_eq(types[2], "report");
    ck_assert_ptr_null(strstr(r.log, "END RequestId"));
    free(log);
    lc_result_clear(&r);
}
END_TEST

/* The application log level also leaves lower JSON lines out at the platform (a print of a JSON
 * record with a "level"), and system log level WARN leaves the start and report records out. */
START_TEST(log_levels_filter_json_lines_and_platform_records)
{
    add((lc_function_config){.log_format = "JSON", .application_log_level = "ERROR",
                             .system_log_level = "WARN"},
        "fn", "fidelity.json_log");
    lc_result r;
    call("fn", &r);
    ck_assert_msg(strstr(r.log, "hello there") == NULL, "%s", r.log);
    ck_assert_msg(strstr(r.log, "platform.") == NULL, "%s", r.log);
    lc_result_clear(&r);
    lc_function_config bad = {.name = "x", .handler = "a.b", .code_dir = FIDELITY,
                              .application_log_level = "ERROR"};
    lc_function *fn = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_function_new(&bad, &fn, &err), LC_EINVAL);
    ck_assert_str_eq(err.message, "log levels need the JSON log format, as on Lambda");
}
END_TEST

/* Since August 2025 the INIT phase is billed too: a cold start's Billed Duration covers Duration
 * and Init Duration. */
START_TEST(billed_duration_includes_init_duration)
{
    add((lc_function_config){0}, "fn", "fidelity.version");
    lc_result r;
    call("fn", &r);
    ck_assert(r.cold_start);
    ck_assert_msg(r.billed_duration_ms >= (long)(r.duration_ms + r.init_duration_ms),
                  "billed %ld ms for %.2f + %.2f ms", r.billed_duration_ms, r.duration_ms,
                  r.init_duration_ms);
    char report[128];
    snprintf(report, sizeof report, "Billed Duration: %ld ms\t", r.billed_duration_ms);
    ck_assert_ptr_nonnull(strstr(r.log, report));
    lc_result_clear(&r);
    call("fn", &r);
    ck_assert(!r.cold_start);
    ck_assert_int_le(r.billed_duration_ms, (long)r.duration_ms + 1);
    lc_result_clear(&r);
}
END_TEST

/* Isolated (the default): the standard library, the code folder and what Lambda's runtime ships
 * (boto3) are importable; another host package (PyYAML) is not. With host packages it is. */
START_TEST(isolation_hides_host_packages_lambda_does_not_ship)
{
    add((lc_function_config){.python = DEBIAN_PYTHON}, "isolated", "fidelity.imports");
    add((lc_function_config){.python = DEBIAN_PYTHON, .host_packages = true}, "host",
        "fidelity.imports");
    lc_result r;
    call("isolated", &r);
    assert_payload(&r, "{\"boto3\": true, \"yaml\": false, \"json\": true}");
    lc_result_clear(&r);
    call("host", &r);
    assert_payload(&r, "{\"boto3\": true, \"yaml\": true, \"json\": true}");
    lc_result_clear(&r);
}
END_TEST

/* sys.path starts with the code folder and holds no site-packages folder. */
START_TEST(the_code_folder_comes_first_on_the_search_path)
{
    add((lc_function_config){.python = DEBIAN_PYTHON}, "fn", "fidelity.search_path");
    lc_result r;
    call("fn", &r);
    json_t *got = payload(&r);
    json_t *path = json_object_get(got, "path");
    ck_assert_str_eq(json_string_value(json_array_get(path, 0)), FIDELITY);
    size_t i;
    json_t *entry;
    json_array_foreach(path, i, entry)
    {
        ck_assert_msg(strstr(json_string_value(entry), "-packages") == NULL, "%s on sys.path",
                      json_string_value(entry));
        ck_assert_msg(strstr(json_string_value(entry), "harness/runtime") == NULL,
                      "the client's own folder is on sys.path");
    }
    json_decref(got);
    lc_result_clear(&r);
}
END_TEST

/* A declared runtime runs under that version; Debian's python3.11 is always there. */
START_TEST(a_declared_runtime_runs_under_its_version)
{
    add((lc_function_config){.runtime = "python3.11"}, "fn", "fidelity.version");
    lc_result r;
    call("fn", &r);
    assert_payload(&r, "\"3.11\"");
    lc_result_clear(&r);
}
END_TEST

START_TEST(a_runtime_without_an_interpreter_is_an_error_naming_it)
{
    char empty[] = "/tmp/lc_nopython_XXXXXX", *path = strdup(getenv("PATH"));
    const char *root = getenv("PYENV_ROOT");
    char *pyenv = root ? strdup(root) : NULL;
    ck_assert_ptr_nonnull(mkdtemp(empty));
    setenv("PATH", empty, 1);
    setenv("PYENV_ROOT", empty, 1);
    lc_function_config c = {.name = "fn", .handler = "fidelity.version", .code_dir = FIDELITY,
                            .runtime = "python3.13"};
    lc_function *fn = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_function_new(&c, &fn, &err), LC_ESPAWN);
    ck_assert_msg(strstr(err.message, "runtime python3.13 needs a python3.13 interpreter") != NULL,
                  "%s", err.message);
    setenv("PATH", path, 1); /* the suites may run without forking (valgrind) */
    if (pyenv)
        setenv("PYENV_ROOT", pyenv, 1);
    else
        unsetenv("PYENV_ROOT");
    free(path);
    free(pyenv);
    rmdir(empty);
}
END_TEST

/* The real file of the interpreter "python3" runs (a python3.X binary), into out. */
static void real_python3(char *out, size_t size)
{
    FILE *p = popen("python3 -c 'import os, sys; print(os.path.realpath(sys.executable))'", "r");
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(fgets(out, (int)size, p));
    out[strcspn(out, "\n")] = '\0';
    pclose(p);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

/* Runs "mkdir -p" or "rm -rf" on a scratch folder's paths. */
static void shell(const char *command, const char *dir, const char *a, const char *b)
{
    char cmd[PATH_MAX * 4];
    snprintf(cmd, sizeof cmd, "%s %s%s %s%s", command, dir, a, b ? dir : "", b ? b : "");
    ck_assert_int_eq(system(cmd), 0);
}

/* pythonX.Y is what a shell runs for it: on a PATH of pyenv's shims before another folder with
 * a python3.X, the shim's version wins, and --verbose's reason says so; a shim whose selected
 * version lacks the program is passed over for the next folder on PATH. */
START_TEST(a_runtime_runs_the_interpreter_a_shell_would_run)
{
    char real[PATH_MAX], dir[] = "/tmp/lc_pyenv_XXXXXX", path[PATH_MAX * 2];
    real_python3(real, sizeof real);
    const char *name = strrchr(real, '/') + 1; /* python3.X */
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char version[32], shim[PATH_MAX], pinned[PATH_MAX], other[PATH_MAX], runtime[32];
    snprintf(version, sizeof version, "%s.99", name + strlen("python"));
    snprintf(runtime, sizeof runtime, "%s", name);
    shell("mkdir -p", dir, "/shims", "/bin");
    snprintf(shim, sizeof shim, "%s/shims/%s", dir, name);
    write_file(shim, "#!/bin/sh\nexit 1\n", 0755);
    snprintf(pinned, sizeof pinned, "%s/versions/%s/bin", dir, version);
    shell("mkdir -p", pinned, "", NULL);
    snprintf(pinned + strlen(pinned), sizeof pinned - strlen(pinned), "/%s", name);
    snprintf(other, sizeof other, "%s/bin/%s", dir, name);
    ck_assert_int_eq(symlink(real, pinned), 0);
    ck_assert_int_eq(symlink(real, other), 0);
    char *saved = strdup(getenv("PATH"));
    snprintf(path, sizeof path, "%s/shims:%s/bin", dir, dir);
    setenv("PATH", path, 1);
    setenv("PYENV_VERSION", version, 1);
    lc_function_config c = {
        .name = "fn", .handler = "fidelity.version", .code_dir = FIDELITY, .runtime = runtime};
    lc_function *fn = NULL;
    lc_error err = {0};
    ck_assert_msg(lc_function_new(&c, &fn, &err) == LC_OK, "%s", err.message);
    ck_assert_str_eq(lc_function_interpreter(fn), pinned);
    ck_assert_ptr_nonnull(strstr(lc_function_interpreter_origin(fn), "a pyenv shim"));
    lc_function_free(fn);
    setenv("PYENV_VERSION", "3.0.0", 1); /* the shim would fail: the next folder's runs */
    ck_assert_msg(lc_function_new(&c, &fn, &err) == LC_OK, "%s", err.message);
    ck_assert_str_eq(lc_function_interpreter(fn), other);
    lc_function_free(fn);
    setenv("PATH", saved, 1); /* the suites may run without forking (valgrind) */
    unsetenv("PYENV_VERSION");
    free(saved);
    shell("rm -rf", dir, "", NULL);
}
END_TEST

/* Which boto3 a function gets: a copy in its code folder comes first; a botocore before 1.31 is
 * named as ignoring AWS_ENDPOINT_URL_<SERVICE>. */
START_TEST(the_boto3_a_function_gets_is_named_with_what_lambda_ships)
{
    char dir[] = "/tmp/lc_sdk_XXXXXX", file[PATH_MAX], real[PATH_MAX], text[2 * PATH_MAX + 512];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    shell("mkdir -p", dir, "/boto3", "/botocore");
    snprintf(file, sizeof file, "%s/boto3/__init__.py", dir);
    write_file(file, "'''AWS SDK'''\n__version__ = '1.2.3'\n", 0644);
    snprintf(file, sizeof file, "%s/botocore/__init__.py", dir);
    write_file(file, "__version__ = \"1.29.0\"\n", 0644);
    ck_assert_ptr_nonnull(realpath(dir, real));
    lc_function_config c = {
        .name = "fn", .handler = "app.handler", .code_dir = dir, .runtime = "python3.11"};
    lc_function *fn = NULL;
    lc_error err = {0};
    ck_assert_msg(lc_function_new(&c, &fn, &err) == LC_OK, "%s", err.message);
    ck_assert(lc_function_python_sdk(fn, text, sizeof text));
    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "boto3 1.2.3, botocore 1.29.0, from %s; Lambda's python3.11 ships",
             real);
    ck_assert_msg(strncmp(text, want, strlen(want)) == 0, "%s", text);
    ck_assert_ptr_nonnull(strstr(text, "ignores AWS_ENDPOINT_URL_<SERVICE>"));
    lc_function_free(fn);
    shell("rm -rf", dir, "", NULL);
}
END_TEST

Suite *python_runtime_suite(void)
{
    Suite *s = suite_create("python_runtime");
    TCase *client = tcase_create("client");
    tcase_add_checked_fixture(client, setup, teardown);
    tcase_set_timeout(client, 60);
    tcase_add_test(client, stack_frames_carry_no_column_markers);
    tcase_add_test(client, a_function_module_named_like_a_standard_module_is_the_functions_own);
    tcase_add_test(client, a_logging_call_with_bad_arguments_fails_the_invocation);
    tcase_add_test(client, a_refused_result_ends_the_environment);
    tcase_add_test(client, an_error_message_of_megabytes_is_the_functions_own_error);
    tcase_add_test(client, a_recursion_error_is_the_functions_own_error);
    tcase_add_test(client, nan_and_infinity_are_written_as_such);
    tcase_add_test(client, namedtuples_and_nested_bytes_are_encoded_as_simplejson_encodes_them);
    tcase_add_test(client, non_ascii_is_escaped_before_python_3_12_and_utf8_after);
    tcase_add_test(client, the_init_error_warning_ends_with_the_documentation_link);
    tcase_add_test(client, standard_output_writes_return_none_and_it_is_a_context_manager);
    tcase_add_test(client, the_context_and_the_logging_setup_are_shaped_as_on_lambda);
    tcase_add_test(client, sigterm_keeps_its_default_action);
    tcase_add_test(client, log_levels_are_read_as_lambdas_client_reads_them);
    suite_add_tcase(s, client);
    TCase *platform = tcase_create("platform");
    tcase_add_checked_fixture(platform, setup, teardown);
    tcase_set_timeout(platform, 60);
    tcase_add_test(platform, json_log_format_applies_to_function_and_platform_lines);
    tcase_add_test(platform, log_levels_filter_json_lines_and_platform_records);
    tcase_add_test(platform, billed_duration_includes_init_duration);
    tcase_add_test(platform, isolation_hides_host_packages_lambda_does_not_ship);
    tcase_add_test(platform, the_code_folder_comes_first_on_the_search_path);
    tcase_add_test(platform, a_declared_runtime_runs_under_its_version);
    tcase_add_test(platform, a_runtime_without_an_interpreter_is_an_error_naming_it);
    tcase_add_test(platform, a_runtime_runs_the_interpreter_a_shell_would_run);
    tcase_add_test(platform, the_boto3_a_function_gets_is_named_with_what_lambda_ships);
    suite_add_tcase(s, platform);
    return s;
}
