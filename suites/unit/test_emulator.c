/* The embedded emulator running real Python handlers: spec sections 1-4.4 through the C API. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/probe_rows.h"
#include "lambdacheck/lambdacheck.h"
#include "suites.h"

#define PROBES LC_FIXTURES_DIR "/functions/probes"
#define MISBEHAVING LC_FIXTURES_DIR "/functions/misbehaving"
#define NODE_PROBES LC_FIXTURES_DIR "/functions/node-probes"
#define NODE_LAYER LC_FIXTURES_DIR "/functions/node-layer"

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

/* Adds a function running handler from the probes folder. */
static void add(const lc_function_config *base, const char *name, const char *handler)
{
    lc_function_config c = *base;
    c.name = name;
    c.handler = handler;
    if (c.code_dir == NULL)
        c.code_dir = PROBES;
    lc_function *fn;
    lc_error err = {0};
    ck_assert_msg(lc_function_new(&c, &fn, &err) == LC_OK, "%s", err.message);
    ck_assert_int_eq(lc_emulator_add_function(em, fn, NULL), LC_OK);
}

static void add_probe(const char *name, const char *handler)
{
    add(&(lc_function_config){0}, name, handler);
}

static void invoke(const char *name, const char *event, lc_result *r)
{
    lc_invoke_options opt = {.payload = event, .payload_len = strlen(event)};
    lc_error err = {0};
    ck_assert_msg(lc_emulator_invoke(em, name, &opt, r, &err) == LC_OK, "%s", err.message);
}

/* Replaces "{id}" in a template with the request id. */
static void expand(const char *template, const char *id, char *out, size_t size)
{
    const char *at = strstr(template, "{id}");
    if (at)
        snprintf(out, size, "%.*s%s%s", (int)(at - template), template, id, at + 4);
    else
        snprintf(out, size, "%s", template);
}

static bool posted_by_runtime(const char *error_type)
{
    static const char *const platform[] = {"Sandbox.Timedout", "Runtime.ExitError",
                                           "Runtime.OutOfMemory", "Function.ResponseSizeTooLarge",
                                           NULL};
    for (const char *const *p = platform; *p; p++)
        if (strcmp(*p, error_type) == 0)
            return false;
    return true;
}

/* The error body: all four keys in order for runtime errors, type+message for platform errors. */
static void check_error_body(const probe_row *row, const lc_result *r)
{
    json_error_t jerr;
    json_t *body = json_loadb(r->payload, r->payload_len, JSON_PRESERVE_ORDER, &jerr);
    ck_assert_msg(json_is_object(body), "%s: error body is not JSON: %s", row->name, r->payload);
    char want[512];
    expand(row->error_message, r->request_id, want, sizeof want);
    ck_assert_str_eq(json_string_value(json_object_get(body, "errorType")), row->error_type);
    ck_assert_str_eq(json_string_value(json_object_get(body, "errorMessage")), want);
    ck_assert_str_eq(r->error_type, row->error_type);
    if (posted_by_runtime(row->error_type)) {
        const char *order[] = {"errorMessage", "errorType", "requestId", "stackTrace"};
        size_t i = 0;
        const char *key;
        json_t *v;
        json_object_foreach(body, key, v)
        {
            ck_assert_msg(i < 4 && strcmp(key, order[i]) == 0, "%s: key %zu is %s", row->name, i,
                          key);
            i++;
        }
        ck_assert_uint_eq(i, 4);
        ck_assert_str_eq(json_string_value(json_object_get(body, "requestId")),
                         row->init_error ? "" : r->request_id);
        ck_assert(json_is_array(json_object_get(body, "stackTrace")));
    }
    json_decref(body);
}

static void check_row(const probe_row *row, const lc_result *r)
{
    if (row->error_type == NULL) {
        size_t len = row->payload_len ? row->payload_len : strlen(row->payload);
        ck_assert_msg(r->function_error[0] == '\0', "%s: function error %s", row->name, r->payload);
        ck_assert_uint_eq(r->payload_len, len);
        ck_assert_msg(memcmp(r->payload, row->payload, len) == 0, "%s: got %s", row->name,
                      r->payload);
        ck_assert_str_eq(r->content_type, row->content_type);
        return;
    }
    ck_assert_str_eq(r->function_error, "Unhandled");
    check_error_body(row, r);
}

START_TEST(each_row_of_the_contract_tables)
{
    const probe_row *row = &probe_rows[_i];
    lc_function_config c = {.timeout_ms = row->timeout_ms, .memory_mb = row->memory_mb};
    add(&c, "probe", row->handler);
    lc_result r;
    invoke("probe", row->event, &r);
    check_row(row, &r);
    ck_assert_int_eq(r.status_code, 200);
    lc_result_clear(&r);
}
END_TEST

/* --- errors in detail ---------------------------------------------------------------------- */

START_TEST(a_stack_trace_lists_the_handler_frames_like_python)
{
    add_probe("nested", "probes.raises_nested");
    lc_result r;
    invoke("nested", "{}", &r);
    json_t *body = json_loads(r.payload, 0, NULL);
    json_t *trace = json_object_get(body, "stackTrace");
    ck_assert_uint_eq(json_array_size(trace), 2);
    const char *first = json_string_value(json_array_get(trace, 0));
    const char *second = json_string_value(json_array_get(trace, 1));
    ck_assert_msg(strstr(first, "  File \"" PROBES "/probes.py\", line ") == first, "%s", first);
    ck_assert_ptr_nonnull(strstr(first, ", in raises_nested\n    _helper()\n"));
    ck_assert_ptr_nonnull(strstr(second, ", in _helper\n    raise KeyError(\"deep\")\n"));
    ck_assert_str_eq(json_string_value(json_object_get(body, "errorMessage")), "'deep'");
    json_decref(body);
    lc_result_clear(&r);
}
END_TEST

/* AWS's Python client sends no Lambda-Runtime-Function-Error-Type on invocation errors: the
 * type is the body's. */
START_TEST(an_error_post_is_typed_by_its_body)
{
    add_probe("boom", "probes.raises_value_error");
    lc_result r;
    invoke("boom", "{}", &r);
    ck_assert_uint_eq(r.n_posts, 1);
    ck_assert_ptr_nonnull(strstr(r.posts[0].path, "/error"));
    ck_assert_str_eq(r.posts[0].error_type, "");
    ck_assert_str_eq(r.error_type, "ValueError");
    lc_result_clear(&r);
}
END_TEST

START_TEST(an_init_error_is_logged_with_the_warning_and_discards_the_environment)
{
    add_probe("nomod", "nomod.handler");
    lc_result r;
    invoke("nomod", "{}", &r);
    ck_assert_int_eq(r.end, LC_END_INIT_ERROR);
    ck_assert_ptr_nonnull(strstr(r.log, "[WARNING]\t"));
    ck_assert_ptr_nonnull(strstr(
        r.log, "\t\tLAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in "
               "the function code."));
    ck_assert_ptr_nonnull(strstr(r.log, "[ERROR] Runtime.ImportModuleError: Unable to import "
                                        "module 'nomod': No module named 'nomod'\r"));
    ck_assert_uint_eq(lc_emulator_environment_count(em, "nomod"), 0);
    ck_assert(r.cold_start);
    ck_assert_ptr_nonnull(strstr(r.posts[0].path, "/init/error"));
    lc_result_clear(&r);
}
END_TEST

START_TEST(an_undecodable_event_is_an_unmarshal_error)
{
    add_probe("echo", "probes.echo");
    lc_result r;
    invoke("echo", "{not json", &r);
    json_t *body = json_loads(r.payload, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(body, "errorType")),
                     "Runtime.UnmarshalError");
    ck_assert_str_eq(json_string_value(json_object_get(body, "errorMessage")),
                     "Unable to unmarshal input: Expecting property name enclosed in double "
                     "quotes: line 1 column 2 (char 1)");
    ck_assert_uint_eq(json_array_size(json_object_get(body, "stackTrace")), 0);
    json_decref(body);
    lc_result_clear(&r);
}
END_TEST

START_TEST(a_non_json_content_type_hands_the_handler_bytes)
{
    add_probe("type", "probes.event_type");
    lc_invoke_options opt = {.payload = "plain text", .payload_len = 10,
                             .content_type = "text/plain"};
    lc_result r;
    ck_assert_int_eq(lc_emulator_invoke(em, "type", &opt, &r, NULL), LC_OK);
    ck_assert_str_eq(r.payload, "{\"type\": \"bytes\", \"event\": \"plain text\"}");
    lc_result_clear(&r);
}
END_TEST

START_TEST(python_312_writes_non_ascii_as_utf8)
{
    lc_function_config c = {.execution_env = "AWS_Lambda_python3.12"};
    add(&c, "utf8", "probes.returns_non_ascii");
    lc_result r;
    invoke("utf8", "{}", &r);
    ck_assert_str_eq(r.payload, "{\"greeting\": \"h\xc3\xa9llo w\xc3\xb6rld \xe2\x98\x83\"}");
    lc_result_clear(&r);
}
END_TEST

/* --- the context object and the environment ------------------------------------------------ */

START_TEST(every_context_attribute_reaches_the_handler)
{
    lc_function_config c = {.memory_mb = 512, .region = "eu-west-1", .account = "111122223333",
                            .timeout_ms = 60000, .tenancy = "PER_TENANT"}; /* for tenantId */
    add(&c, "ctx-probe", "probes.context_dump");
    json_t *overrides = json_pack(
        "{s:{s:{s:s, s:s}, s:{s:i}, s:{s:s}}, s:{s:s, s:s}, s:s}", "clientContext", "client",
        "installation_id", "inst-1", "app_title", "Shop", "custom", "k", 1, "env", "platform",
        "linux", "identity", "cognitoIdentityId", "us-east-1:abc", "cognitoIdentityPoolId",
        "us-east-1:pool", "tenantId", "tenant-9");
    lc_invoke_options opt = {.payload = "{}", .payload_len = 2, .context = overrides};
    lc_result r;
    ck_assert_int_eq(lc_emulator_invoke(em, "ctx-probe", &opt, &r, NULL), LC_OK);
    json_t *got = json_loads(r.payload, 0, NULL);
    json_t *want = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:{s:i}, s:{s:s}, "
        "s:{s:s, s:s, s:n, s:n, s:n}}, s:s, s:b}",
        "aws_request_id", r.request_id, "invoked_function_arn",
        "arn:aws:lambda:eu-west-1:111122223333:function:ctx-probe", "function_name", "ctx-probe",
        "function_version", "$LATEST", "memory_limit_in_mb", "512", "log_group_name",
        "/aws/lambda/ctx-probe", "identity", "cognito_identity_id", "us-east-1:abc",
        "cognito_identity_pool_id", "us-east-1:pool", "client_context", "custom", "k", 1, "env",
        "platform", "linux", "client", "installation_id", "inst-1", "app_title", "Shop",
        "app_version_name", "app_version_code", "app_package_name", "tenant_id", "tenant-9",
        "remaining_is_int", 1);
    lc_buf why;
    lc_buf_init(&why, 0);
    ck_assert_msg(lc_json_match(want, got, LC_JSON_SUBSET, &why), "%s", why.data);
    lc_buf_free(&why);
    json_int_t remaining = json_integer_value(json_object_get(got, "remaining_ms"));
    ck_assert_int_gt(remaining, 50000);
    ck_assert_int_le(remaining, 60000);
    const char *stream = json_string_value(json_object_get(got, "log_stream_name"));
    ck_assert_ptr_nonnull(strstr(stream, "/[$LATEST]"));
    const char *trace = json_string_value(json_object_get(got, "trace_id"));
    ck_assert_int_eq(strncmp(trace, "Root=1-", 7), 0);
    json_decref(want);
    json_decref(got);
    json_decref(overrides);
    lc_result_clear(&r);
}
END_TEST

START_TEST(without_client_context_or_identity_the_handler_sees_none)
{
    add_probe("ctx-probe", "probes.context_dump");
    lc_result r;
    invoke("ctx-probe", "{}", &r);
    json_t *got = json_loads(r.payload, 0, NULL);
    ck_assert(json_is_null(json_object_get(got, "client_context")));
    ck_assert(json_is_null(json_object_get(got, "tenant_id")));
    json_t *identity = json_object_get(got, "identity");
    ck_assert(json_is_null(json_object_get(identity, "cognito_identity_id")));
    json_decref(got);
    lc_result_clear(&r);
}
END_TEST

START_TEST(the_runtime_gets_exactly_the_environment_of_spec_3_4)
{
    setenv("LAMBDACHECK_LEAK_CANARY", "must not leak", 1);
    json_t *vars = json_pack("{s:s}", "TABLE_NAME", "orders");
    lc_function_config c = {.region = "eu-central-1", .memory_mb = 256, .environment = vars};
    add(&c, "env-probe", "probes.environment");
    lc_result r;
    invoke("env-probe", "{}", &r);
    json_t *env = json_loads(r.payload, 0, NULL);
    static const char *const required[] = {
        "AWS_LAMBDA_RUNTIME_API", "_HANDLER", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
        "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_LAMBDA_INITIALIZATION_TYPE", "TZ", "LANG", "PATH", "LD_LIBRARY_PATH", "TABLE_NAME",
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_XRAY_CONTEXT_MISSING", "AWS_XRAY_DAEMON_ADDRESS", "_AWS_XRAY_DAEMON_ADDRESS",
        "_AWS_XRAY_DAEMON_PORT", NULL};
    /* Python itself may add LC_CTYPE (PEP 538); the client sets _X_AMZN_TRACE_ID per call. */
    static const char *const tolerated[] = {"LC_CTYPE", "_X_AMZN_TRACE_ID", NULL};
    for (const char *const *k = required; *k; k++)
        ck_assert_msg(json_object_get(env, *k) != NULL, "%s is missing", *k);
    const char *key;
    json_t *v;
    json_object_foreach(env, key, v)
    {
        bool known = false;
        for (const char *const *k = required; *k && !known; k++)
            known = strcmp(*k, key) == 0;
        for (const char *const *k = tolerated; *k && !known; k++)
            known = strcmp(*k, key) == 0;
        ck_assert_msg(known, "unexpected variable %s leaked into the runtime", key);
    }
    ck_assert_str_eq(json_string_value(json_object_get(env, "AWS_REGION")), "eu-central-1");
    ck_assert_str_eq(json_string_value(json_object_get(env, "_HANDLER")), "probes.environment");
    ck_assert_str_eq(json_string_value(json_object_get(env, "LAMBDA_TASK_ROOT")), PROBES);
    ck_assert_str_eq(json_string_value(json_object_get(env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE")),
                     "256");
    ck_assert_str_eq(json_string_value(json_object_get(env, "AWS_LAMBDA_LOG_GROUP_NAME")),
                     "/aws/lambda/env-probe");
    ck_assert_str_eq(json_string_value(json_object_get(env, "TZ")), ":UTC");
    ck_assert_str_eq(json_string_value(json_object_get(env, "AWS_LAMBDA_INITIALIZATION_TYPE")),
                     "on-demand");
    ck_assert_int_eq(strncmp(json_string_value(json_object_get(env, "AWS_EXECUTION_ENV")),
                             "AWS_Lambda_python3.", 19),
                     0);
    ck_assert_str_eq(json_string_value(json_object_get(env, "TABLE_NAME")), "orders");
    ck_assert_str_eq(json_string_value(json_object_get(env, "AWS_XRAY_DAEMON_ADDRESS")),
                     "169.254.79.129:2000");
    ck_assert_str_eq(json_string_value(json_object_get(env, "AWS_XRAY_CONTEXT_MISSING")),
                     "LOG_ERROR");
    ck_assert_str_eq(json_string_value(json_object_get(env, "AWS_ACCESS_KEY_ID")),
                     LC_DUMMY_ACCESS_KEY_ID);
    ck_assert_str_eq(json_string_value(json_object_get(env, "AWS_SESSION_TOKEN")),
                     LC_DUMMY_SESSION_TOKEN);
    json_decref(env);
    json_decref(vars);
    lc_result_clear(&r);
}
END_TEST

/* PATH is Lambda's with the interpreter's folder for /var/lang/bin, nothing of the harness's;
 * LD_LIBRARY_PATH is Lambda's with the interpreter's, the client's and the code's folders. */
START_TEST(path_and_library_path_are_lambdas_with_this_machines_folders)
{
    char harness_path[8192], *saved = strdup(getenv("PATH"));
    snprintf(harness_path, sizeof harness_path, "/lambdacheck/harness/only:%s", saved);
    setenv("PATH", harness_path, 1);
    add_probe("env-probe", "probes.environment");
    lc_result r;
    invoke("env-probe", "{}", &r);
    json_t *env = json_loads(r.payload, 0, NULL);
    const lc_function *fn = lc_emulator_function(em, "env-probe");
    char bin[PATH_MAX], want[4 * PATH_MAX];
    snprintf(bin, sizeof bin, "%s", lc_function_interpreter(fn));
    *strrchr(bin, '/') = '\0';
    snprintf(want, sizeof want, "%s:/usr/local/bin:/usr/bin/:/bin", bin);
    ck_assert_str_eq(json_string_value(json_object_get(env, "PATH")), want);
    *strrchr(bin, '/') = '\0';
    snprintf(want, sizeof want, "%s/lib:/lib64:/usr/lib64:%s:%s/lib:%s:%s/lib", bin,
             lc_function_runtime_dir(fn), lc_function_runtime_dir(fn), PROBES, PROBES);
    ck_assert_str_eq(json_string_value(json_object_get(env, "LD_LIBRARY_PATH")), want);
    setenv("PATH", saved, 1); /* the suites may run without forking (valgrind) */
    free(saved);
    json_decref(env);
    lc_result_clear(&r);
}
END_TEST

/* Keys of the caller's choosing replace the dummy ones; without a token there is none. */
START_TEST(configured_credentials_replace_the_dummy_keys)
{
    lc_function_config c = {.access_key_id = "AKIDEXAMPLE", .secret_access_key = "s3cr3t"};
    add(&c, "env-probe", "probes.environment");
    lc_result r;
    invoke("env-probe", "{}", &r);
    json_t *env = json_loads(r.payload, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(env, "AWS_ACCESS_KEY_ID")), "AKIDEXAMPLE");
    ck_assert_str_eq(json_string_value(json_object_get(env, "AWS_SECRET_ACCESS_KEY")), "s3cr3t");
    ck_assert_ptr_null(json_object_get(env, "AWS_SESSION_TOKEN"));
    json_decref(env);
    lc_result_clear(&r);
}
END_TEST

START_TEST(reserved_variables_are_refused)
{
    json_t *vars = json_pack("{s:s}", "AWS_REGION", "x");
    lc_function_config c = {.handler = "probes.echo", .code_dir = PROBES, .environment = vars};
    lc_function *fn = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_function_new(&c, &fn, &err), LC_EINVAL);
    ck_assert_str_eq(err.message, "environment variable AWS_REGION is reserved: Lambda sets it");
    json_decref(vars);
}
END_TEST

START_TEST(bad_function_configurations_are_named)
{
    lc_function *fn = NULL;
    lc_error err = {0};
    lc_function_config c = {.handler = "probes.echo", .code_dir = "/no/such/folder"};
    ck_assert_int_eq(lc_function_new(&c, &fn, &err), LC_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "/no/such/folder"));
    lc_error_clear(&err);
    c = (lc_function_config){.handler = "probes.echo", .code_dir = PROBES,
                             .python = "/no/such/python3"};
    ck_assert_int_eq(lc_function_new(&c, &fn, &err), LC_ESPAWN);
    ck_assert_ptr_nonnull(strstr(err.message, "/no/such/python3"));
    ck_assert_ptr_nonnull(strstr(err.message, "--python"));
    lc_error_clear(&err);
    c = (lc_function_config){.code_dir = PROBES};
    ck_assert_int_eq(lc_function_new(&c, &fn, &err), LC_EINVAL);
    lc_error_clear(&err);
    c = (lc_function_config){.handler = "probes.echo", .code_dir = PROBES, .memory_mb = 64};
    ck_assert_int_eq(lc_function_new(&c, &fn, &err), LC_ERANGE);
    ck_assert_ptr_null(fn);
}
END_TEST

/* The seed's second example: the handler reads AWS_REGION, set before its module is imported. */
START_TEST(the_seed_region_example)
{
    lc_function_config c = {.region = "ap-southeast-2",
                            .code_dir = LC_FIXTURES_DIR "/functions/examples"};
    add(&c, "region", "region.lambda_handler");
    lc_result r;
    invoke("region", "{\"key1\": \"value1\", \"key2\": \"value2\", \"key3\": \"value3\"}", &r);
    ck_assert_str_eq(r.payload, "{\"statusCode\": 200, \"headers\": {\"Content-Type\": "
                                "\"application/json\"}, \"body\": \"{\\\"Region \\\": "
                                "\\\"ap-southeast-2\\\"}\"}");
    lc_result_clear(&r);
}
END_TEST

/* --- lifecycle ------------------------------------------------------------------------------- */

static bool reported_true(const lc_result *r, const char *key);

static json_int_t counter_value(const lc_result *r, const char *key)
{
    json_t *v = json_loads(r->payload, 0, NULL);
    json_int_t n = json_integer_value(json_object_get(v, key));
    json_decref(v);
    return n;
}

START_TEST(warm_invocations_reuse_the_process_and_its_globals)
{
    add_probe("counter", "probes.counter");
    lc_result r[3];
    for (int i = 0; i < 3; i++)
        invoke("counter", "{}", &r[i]);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(counter_value(&r[i], "invocations"), i + 1);
    ck_assert_int_eq(counter_value(&r[0], "pid"), counter_value(&r[2], "pid"));
    ck_assert(r[0].cold_start);
    ck_assert(!r[1].cold_start && !r[2].cold_start);
    ck_assert(r[0].init_duration_ms > 0);
    ck_assert_ptr_nonnull(strstr(r[0].log, "\tInit Duration: "));
    ck_assert_ptr_null(strstr(r[1].log, "Init Duration"));
    ck_assert_uint_eq(lc_emulator_environment_count(em, "counter"), 1);
    for (int i = 0; i < 3; i++)
        lc_result_clear(&r[i]);
}
END_TEST

START_TEST(a_timeout_discards_the_environment_and_the_next_call_is_cold)
{
    lc_function_config c = {.timeout_ms = 300};
    add(&c, "counter", "probes.counter");
    add(&c, "sleeper", "probes.sleeps");
    lc_result r;
    invoke("counter", "{}", &r);
    lc_result_clear(&r);
    invoke("sleeper", "{\"seconds\": 5}", &r);
    ck_assert_int_eq(r.end, LC_END_TIMEOUT);
    ck_assert_ptr_nonnull(strstr(r.log, "Task timed out after 0.30 seconds\n"));
    ck_assert_uint_eq(lc_emulator_environment_count(em, "sleeper"), 0);
    lc_result_clear(&r);
    invoke("counter", "{}", &r);
    ck_assert(!r.cold_start);
    ck_assert_int_eq(counter_value(&r, "invocations"), 2);
    lc_result_clear(&r);
    invoke("sleeper", "{\"seconds\": 0}", &r);
    ck_assert(r.cold_start);
    ck_assert_str_eq(r.payload, "\"woke up\"");
    lc_result_clear(&r);
}
END_TEST

START_TEST(a_crash_discards_the_environment)
{
    add_probe("exits", "probes.exits");
    lc_result r;
    invoke("exits", "{\"code\": 42}", &r);
    ck_assert_int_eq(r.end, LC_END_EXIT);
    ck_assert(WIFEXITED(r.exit_status) && WEXITSTATUS(r.exit_status) == 42);
    ck_assert_uint_eq(lc_emulator_environment_count(em, "exits"), 0);
    lc_result_clear(&r);
}
END_TEST

typedef struct {
    const char *event;
    lc_result result;
    lc_status status;
} call;

static void *invoke_thread(void *arg)
{
    call *c = arg;
    lc_invoke_options opt = {.payload = c->event, .payload_len = strlen(c->event)};
    c->status = lc_emulator_invoke(em, "meet", &opt, &c->result, NULL);
    return NULL;
}

/* Each handler waits until the other has started: both succeed only if they overlap. */
START_TEST(two_invocations_run_at_the_same_time_in_two_environments)
{
    add_probe("meet", "probes.rendezvous");
    char folder[] = "/tmp/lc_meet_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(folder));
    char ea[256], eb[256];
    snprintf(ea, sizeof ea, "{\"folder\": \"%s\", \"me\": \"a\", \"other\": \"b\"}", folder);
    snprintf(eb, sizeof eb, "{\"folder\": \"%s\", \"me\": \"b\", \"other\": \"a\"}", folder);
    call a = {.event = ea}, b = {.event = eb};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, invoke_thread, &a);
    pthread_create(&tb, NULL, invoke_thread, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ck_assert_int_eq(a.status, LC_OK);
    ck_assert_int_eq(b.status, LC_OK);
    ck_assert_msg(reported_true(&a.result, "met") && reported_true(&b.result, "met"),
                  "the invocations did not overlap: %s / %s", a.result.payload, b.result.payload);
    ck_assert_int_ne(counter_value(&a.result, "pid"), counter_value(&b.result, "pid"));
    ck_assert_uint_eq(lc_emulator_environment_count(em, "meet"), 2);
    char path[300];
    snprintf(path, sizeof path, "%s/a", folder);
    unlink(path);
    snprintf(path, sizeof path, "%s/b", folder);
    unlink(path);
    rmdir(folder);
    lc_result_clear(&a.result);
    lc_result_clear(&b.result);
}
END_TEST

/* With concurrency 1, a second call while the first runs finds no environment. The first call
 * waits for a file the test creates only after the second call was refused. */
START_TEST(the_concurrency_limit_refuses_extra_calls)
{
    lc_function_config c = {.concurrency = 1};
    add(&c, "meet", "probes.rendezvous");
    char folder[] = "/tmp/lc_limit_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(folder));
    char ev[256], path[300];
    snprintf(ev, sizeof ev, "{\"folder\": \"%s\", \"me\": \"a\", \"other\": \"go\"}", folder);
    call a = {.event = ev};
    pthread_t ta;
    pthread_create(&ta, NULL, invoke_thread, &a);
    snprintf(path, sizeof path, "%s/a", folder);
    while (access(path, F_OK) != 0) /* the first call is running */
        usleep(1000);
    lc_result r;
    lc_error err = {0};
    lc_invoke_options opt = {.payload = "{}", .payload_len = 2};
    ck_assert_int_eq(lc_emulator_invoke(em, "meet", &opt, &r, &err), LC_EBUSY);
    ck_assert_ptr_nonnull(strstr(err.message, "concurrency"));
    snprintf(path, sizeof path, "%s/go", folder);
    fclose(fopen(path, "w"));
    pthread_join(ta, NULL);
    ck_assert(reported_true(&a.result, "met"));
    unlink(path);
    snprintf(path, sizeof path, "%s/a", folder);
    unlink(path);
    rmdir(folder);
    lc_result_clear(&a.result);
}
END_TEST

START_TEST(unknown_functions_are_not_found)
{
    lc_result r;
    lc_error err = {0};
    ck_assert_int_eq(lc_emulator_invoke(em, "ghost", NULL, &r, &err), LC_ENOTFOUND);
    ck_assert_str_eq(err.message, "Function not found: ghost");
}
END_TEST

/* --- logs ---------------------------------------------------------------------------------- */

START_TEST(the_log_is_framed_by_start_end_and_report)
{
    add_probe("logs", "probes.logs");
    lc_result r;
    invoke("logs", "{}", &r);
    char start[200], end[200], report[200];
    snprintf(start, sizeof start, "START RequestId: %s Version: $LATEST\n", r.request_id);
    snprintf(end, sizeof end, "END RequestId: %s\n", r.request_id);
    snprintf(report, sizeof report, "REPORT RequestId: %s\tDuration: ", r.request_id);
    const char *s = strstr(r.log, start), *e = strstr(r.log, end), *p = strstr(r.log, report);
    ck_assert_msg(s && e && p && s < e && e < p, "log:\n%s", r.log);
    const char *printed = strstr(r.log, "printed line\n");
    ck_assert(printed && s < printed && printed < e);
    ck_assert_ptr_nonnull(strstr(r.log, "stderr line\n"));
    char warning[200];
    snprintf(warning, sizeof warning, "\t%s\twarning record\n", r.request_id);
    ck_assert_ptr_nonnull(strstr(r.log, warning));
    ck_assert_ptr_nonnull(strstr(r.log, "[WARNING]\t"));
    ck_assert_ptr_null(strstr(r.log, "info record")); /* default level: WARNING */
    ck_assert_ptr_nonnull(strstr(p, "\tBilled Duration: "));
    ck_assert_ptr_nonnull(strstr(p, " ms\tMemory Size: 128 MB\tMax Memory Used: "));
    ck_assert(r.max_memory_used_mb > 0 && r.max_memory_used_mb < 128);
    ck_assert(r.billed_duration_ms >= (long)r.duration_ms);
    ck_assert_int_eq(r.log[r.log_len - 1], '\n');
    ck_assert_int_eq(r.log[r.log_len - 2], '\t');
    lc_result_clear(&r);
}
END_TEST

/* Init output comes before START, handler output after it: every time, not just usually. */
START_TEST(init_output_and_handler_output_are_split_exactly)
{
    for (int i = 0; i < 10; i++) {
        char name[32];
        snprintf(name, sizeof name, "split-%d", i);
        add_probe(name, "prints_at_init.handler");
        lc_result r;
        invoke(name, "{}", &r);
        const char *init = strstr(r.log, "init line\n"), *start = strstr(r.log, "START RequestId");
        const char *handler = strstr(r.log, "handler line\n"), *end = strstr(r.log, "END RequestId");
        ck_assert_msg(init && start && handler && end && init < start && start < handler &&
                          handler < end,
                      "cold start %d, log:\n%s", i, r.log);
        lc_result_clear(&r);
    }
}
END_TEST

START_TEST(the_log_level_and_json_format_follow_the_environment)
{
    json_t *vars = json_pack("{s:s, s:s}", "AWS_LAMBDA_LOG_LEVEL", "INFO", "AWS_LAMBDA_LOG_FORMAT",
                             "JSON");
    lc_function_config c = {.environment = vars};
    add(&c, "logs", "probes.logs");
    lc_result r;
    invoke("logs", "{}", &r);
    const char *line = strstr(r.log, "{\"timestamp\": ");
    ck_assert_msg(line != NULL, "%s", r.log);
    const char *nl = strchr(line, '\n');
    json_t *record = json_loadb(line, (size_t)(nl - line), JSON_PRESERVE_ORDER, NULL);
    const char *order[] = {"timestamp", "level", "message", "logger", "requestId"};
    const char *key;
    json_t *v;
    size_t i = 0;
    json_object_foreach(record, key, v)
    {
        ck_assert_str_eq(key, order[i++]);
    }
    ck_assert_str_eq(json_string_value(json_object_get(record, "level")), "INFO");
    ck_assert_str_eq(json_string_value(json_object_get(record, "message")), "info record");
    ck_assert_str_eq(json_string_value(json_object_get(record, "requestId")), r.request_id);
    ck_assert_ptr_null(strstr(r.log, "debug record"));
    json_decref(record);
    json_decref(vars);
    lc_result_clear(&r);
}
END_TEST

START_TEST(the_journal_keeps_each_result_by_request_id)
{
    add_probe("echo", "probes.echo");
    lc_result r, found;
    invoke("echo", "{\"x\": 1}", &r);
    ck_assert_int_eq(lc_emulator_journal_find(em, r.request_id, &found), LC_OK);
    ck_assert_str_eq(found.payload, "{\"x\": 1}");
    ck_assert_uint_eq(found.n_posts, 1);
    ck_assert_str_eq(found.posts[0].method, "POST");
    char path[300];
    snprintf(path, sizeof path, "/2018-06-01/runtime/invocation/%s/response", r.request_id);
    ck_assert_str_eq(found.posts[0].path, path);
    ck_assert_str_eq(found.posts[0].content_type, "application/json");
    ck_assert_str_eq(found.posts[0].body, "{\"x\": 1}");
    ck_assert_uint_ge(lc_emulator_journal_size(em), 1);
    ck_assert_int_eq(lc_emulator_journal_find(em, "no-such-id", &found), LC_ENOTFOUND);
    lc_result_clear(&found);
    lc_result_clear(&r);
}
END_TEST

/* --- other runtimes ------------------------------------------------------------------------ */

/* "<interpreter> <script>" using the interpreter lambdacheck resolved (a pyenv shim would need
 * the caller's environment, which runtimes do not get). */
static void runtime_command(const char *script, char *out, size_t size)
{
    lc_function_config c = {.handler = "probes.echo", .code_dir = PROBES};
    lc_function *fn;
    ck_assert_int_eq(lc_function_new(&c, &fn, NULL), LC_OK);
    snprintf(out, size, "%s %s", lc_function_argv(fn)[0], script);
    lc_function_free(fn);
}

START_TEST(any_runtime_command_can_run_the_handler)
{
    char cmd[4096];
    runtime_command(LC_FIXTURES_DIR "/../harness/runtime/python/lambdacheck_bootstrap.py", cmd,
                    sizeof cmd);
    lc_function_config c = {.runtime_command = cmd};
    add(&c, "custom", "probes.returns_none");
    lc_result r;
    invoke("custom", "{}", &r);
    ck_assert_str_eq(r.payload, "null");
    lc_result_clear(&r);
}
END_TEST

/* The words of a runtime command, read as a shell reads them but without one. */
/* A nodejs runtime runs the bundled Node.js client under the host's node, with Lambda's
 * AWS_EXECUTION_ENV. */
START_TEST(a_node_runtime_runs_the_bundled_node_client)
{
    lc_function_config c = {.runtime = "nodejs20.x", .code_dir = NODE_PROBES};
    add(&c, "node", "probes.environment");
    lc_function *fn = NULL;
    lc_function_config same = {.runtime = "nodejs20.x", .code_dir = NODE_PROBES,
                               .handler = "probes.environment"};
    ck_assert_int_eq(lc_function_new(&same, &fn, NULL), LC_OK);
    char *const *argv = lc_function_argv(fn);
    ck_assert_msg(strstr(argv[0], "node") != NULL, "argv[0] %s", argv[0]);
    ck_assert_msg(strstr(argv[1], "runtime/node/lambdacheck_runtime.mjs") != NULL, "argv[1] %s",
                  argv[1]);
    lc_function_free(fn);
    lc_result r;
    invoke("node", "{}", &r);
    ck_assert_int_eq(r.end, LC_END_RESPONSE);
    ck_assert_msg(strstr(r.payload, "\"AWS_EXECUTION_ENV\":\"AWS_Lambda_nodejs20.x\"") != NULL, "%s",
                  r.payload);
    lc_result_clear(&r);
}
END_TEST

/* NODE_PATH as Lambda's: the layers' nodejs/node20/node_modules and nodejs/node_modules (/opt),
 * the runtime's SDK and the client's folder (/var/runtime/node_modules, /var/runtime) and the code
 * folder (/var/task). */
START_TEST(node_path_is_lambdas_with_this_machines_folders)
{
    const char *layers[] = {NODE_LAYER, NULL};
    lc_function_config c = {.runtime = "nodejs20.x", .code_dir = NODE_PROBES, .layers = layers};
    add(&c, "node", "probes.nodePath");
    lc_result r;
    invoke("node", "{}", &r);
    char layer[PATH_MAX], code[PATH_MAX], runtime[PATH_MAX], sdk[PATH_MAX + 2] = "",
        want[7 * PATH_MAX];
    ck_assert_ptr_nonnull(realpath(NODE_LAYER, layer));
    ck_assert_ptr_nonnull(realpath(NODE_PROBES, code));
    ck_assert_ptr_nonnull(realpath(lc_bundled_dir(LC_BUNDLED_NODE_RUNTIME), runtime));
    const char *sdk_dir = lc_function_sdk_dir(lc_emulator_function(em, "node"));
    if (sdk_dir) /* the cache's, when it could be had */
        snprintf(sdk, sizeof sdk, "%s:", sdk_dir);
    snprintf(want, sizeof want,
             "\"%s/nodejs/node20/node_modules:%s/nodejs/node_modules:%s%s/node_modules:%s:%s\"",
             layer, layer, sdk, runtime, runtime, code);
    ck_assert_int_eq(r.end, LC_END_RESPONSE);
    ck_assert_str_eq(r.payload, want);
    lc_result_clear(&r);
}
END_TEST

/* Without node the function is refused, saying what is missing and where it looked. */
START_TEST(a_node_runtime_without_node_is_refused_by_name)
{
    setenv("LAMBDACHECK_NODE", "/nonexistent/node", 1);
    lc_function_config c = {.runtime = "nodejs22.x", .code_dir = NODE_PROBES,
                            .handler = "probes.echo"};
    lc_function *fn = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_function_new(&c, &fn, &err), LC_ESPAWN);
    unsetenv("LAMBDACHECK_NODE");
    ck_assert_ptr_null(fn);
    ck_assert_msg(strstr(err.message, "runtime nodejs22.x needs node, and none was found "
                                      "($LAMBDACHECK_NODE") != NULL,
                  "%s", err.message);
}
END_TEST

START_TEST(runtime_command_words_are_quoted_like_a_shell)
{
    lc_function_config c = {.handler = "h.x", .code_dir = PROBES,
                            .runtime_command = " /bin/echo 'a  b' \"c \\\"d\\\" $e\" f\\ g '' "
                                               "x'y'\"z\"\t"};
    lc_function *fn;
    lc_error err = {0};
    ck_assert_msg(lc_function_new(&c, &fn, &err) == LC_OK, "%s", err.message);
    const char *const want[] = {"/bin/echo", "a  b", "c \"d\" $e", "f g", "", "xyz", "h.x", NULL};
    char *const *argv = lc_function_argv(fn);
    for (size_t i = 0; want[i]; i++) {
        ck_assert_ptr_nonnull(argv[i]);
        ck_assert_str_eq(argv[i], want[i]);
    }
    ck_assert_ptr_null(argv[6 + 1]);
    lc_function_free(fn);

    /* an unterminated quote is refused, naming where it opens */
    static const char *const bad[] = {"/bin/echo 'a b", "/bin/echo \"a\\\"", "   ", "''x \""};
    static const char *const says[] = {"unterminated single quote at column 11",
                                       "unterminated double quote at column 11",
                                       "the runtime command is empty",
                                       "unterminated double quote at column 5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        lc_function_config b = {.handler = "h.x", .code_dir = PROBES, .runtime_command = bad[i]};
        err = (lc_error){0};
        fn = NULL;
        ck_assert_int_eq(lc_function_new(&b, &fn, &err), LC_EINVAL);
        ck_assert_ptr_null(fn);
        ck_assert_msg(strstr(err.message, says[i]) != NULL, "%s: %s", bad[i], err.message);
    }
}
END_TEST

/* A runtime client in a folder whose name has blanks runs when the command quotes its path. */
START_TEST(a_quoted_runtime_command_path_with_blanks_runs)
{
    char dir[] = "/tmp/lc runtime XXXXXX", cmd[4096], interpreter[4096];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    static const char *const files[] = {"lambdacheck_bootstrap.py", "lambdacheck_runtime.py"};
    for (size_t i = 0; i < 2; i++) {
        char from[PATH_MAX], to[PATH_MAX], text[1 << 16];
        snprintf(from, sizeof from, "%s/../harness/runtime/python/%s", LC_FIXTURES_DIR, files[i]);
        snprintf(to, sizeof to, "%s/%s", dir, files[i]);
        FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
        ck_assert(in && out);
        size_t n;
        while ((n = fread(text, 1, sizeof text, in)) > 0)
            ck_assert_uint_eq(fwrite(text, 1, n, out), n);
        fclose(in);
        fclose(out);
    }
    runtime_command("", interpreter, sizeof interpreter);
    interpreter[strlen(interpreter) - 1] = '\0'; /* "<python> " */
    snprintf(cmd, sizeof cmd, "'%s' \"%s/lambdacheck_bootstrap.py\"", interpreter, dir);
    lc_function_config c = {.runtime_command = cmd};
    add(&c, "spaced", "probes.returns_none");
    lc_result r;
    invoke("spaced", "{}", &r);
    ck_assert_msg(r.payload && strcmp(r.payload, "null") == 0, "%s", r.payload ? r.payload : "");
    lc_result_clear(&r);
    lc_emulator_free(em); /* stops the runtime before its files go */
    em = NULL;
    for (size_t i = 0; i < 2; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    char cache[PATH_MAX];
    snprintf(cache, sizeof cache, "%s/__pycache__", dir);
    rmdir(cache);
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static void misbehave(const char *mode, lc_result *r)
{
    char cmd[4096];
    runtime_command(MISBEHAVING "/bad_runtime.py", cmd, sizeof cmd);
    lc_function_config c = {.runtime_command = cmd, .code_dir = MISBEHAVING, .timeout_ms = 5000};
    add(&c, mode, mode);
    invoke(mode, "{}", r);
}

static json_int_t reported(const lc_result *r, const char *key)
{
    return counter_value(r, key);
}

static bool reported_true(const lc_result *r, const char *key)
{
    json_t *v = json_loads(r->payload, 0, NULL);
    bool yes = json_is_true(json_object_get(v, key));
    json_decref(v);
    return yes;
}

START_TEST(a_runtime_that_misuses_the_runtime_api_gets_the_spec_statuses)
{
    lc_result r;
    misbehave("wrong-id", &r);
    ck_assert_int_eq(reported(&r, "wrong_id_status"), 400);
    lc_result_clear(&r);
    misbehave("unknown-path", &r);
    ck_assert_int_eq(reported(&r, "unknown_path"), 404);
    ck_assert_int_eq(reported(&r, "wrong_method"), 405);
    ck_assert_int_eq(reported(&r, "get_on_response"), 405);
    lc_result_clear(&r);
    misbehave("init-error-late", &r);
    ck_assert_int_eq(reported(&r, "late_init_error_status"), 403);
    lc_result_clear(&r);
    misbehave("next-twice", &r);
    ck_assert_int_eq(reported(&r, "second_next_status"), 403);
    lc_result_clear(&r);
    misbehave("garbage", &r);
    ck_assert_int_eq(reported(&r, "garbage_answer"), 400);
    lc_result_clear(&r);
}
END_TEST

START_TEST(a_second_response_is_refused_and_the_first_one_counts)
{
    lc_result r;
    misbehave("twice", &r);
    ck_assert_str_eq(r.payload, "{\"first\": true}");
    ck_assert_ptr_nonnull(strstr(r.log, "second post answered 403"));
    lc_result_clear(&r);
}
END_TEST

START_TEST(chunked_and_expect_continue_posts_from_a_runtime_are_accepted)
{
    lc_result r;
    misbehave("chunked", &r);
    ck_assert_str_eq(r.payload, "{\"chunked\": true, \"parts\": 3}");
    lc_result_clear(&r);
    misbehave("expect", &r);
    ck_assert_str_eq(r.payload, "{\"expect\": \"100-continue\"}");
    ck_assert_ptr_nonnull(strstr(r.log, "expect exchange: 100,202"));
    lc_result_clear(&r);
}
END_TEST

START_TEST(an_oversized_post_from_a_runtime_is_a_size_error)
{
    lc_result r;
    misbehave("oversize", &r);
    ck_assert_str_eq(r.error_type, "Function.ResponseSizeTooLarge");
    ck_assert_ptr_nonnull(strstr(r.payload, "Response payload size (7340032 bytes) exceeded"));
    ck_assert_ptr_nonnull(strstr(r.log, "oversize post answered 413"));
    lc_result_clear(&r);
}
END_TEST

/* A runtime that starts and never asks for work fails as an init failure naming the init limit
 * (the function's own timeout is far longer: the message says which limit ended it). */
START_TEST(a_runtime_that_never_asks_for_work_fails_at_the_init_limit)
{
    char command[512];
    snprintf(command, sizeof command, "{python} %s/bad_runtime.py", MISBEHAVING);
    add(&(lc_function_config){.runtime_command = command, .init_timeout_ms = 400,
                              .timeout_ms = 600000},
        "idle", "never-next");
    lc_result r;
    invoke("idle", "{}", &r);
    ck_assert_str_eq(r.error_type, "Sandbox.Timedout");
    ck_assert_ptr_nonnull(strstr(r.payload, "did not ask for an invocation (/next) within the "
                                            "0.40 s init limit"));
    ck_assert_ptr_nonnull(strstr(r.log, "INIT_REPORT Init Duration: "));
    ck_assert_ptr_nonnull(strstr(r.log, "\tPhase: init\tStatus: timeout\n"));
    lc_result_clear(&r);
    ck_assert_uint_eq(lc_emulator_environment_count(em, "idle"), 0); /* discarded */
}
END_TEST

START_TEST(a_runtime_that_exits_without_answering_is_an_exit_error)
{
    lc_result r;
    misbehave("exit-silently", &r);
    ck_assert_str_eq(r.error_type, "Runtime.ExitError");
    ck_assert_ptr_nonnull(strstr(r.payload, "Runtime exited without providing a reason"));
    lc_result_clear(&r);
}
END_TEST

/* --- processes ------------------------------------------------------------------------------- */

static bool process_gone(pid_t pid)
{
    return kill(pid, 0) != 0 && errno == ESRCH;
}

START_TEST(freeing_the_emulator_ends_every_runtime_process)
{
    add_probe("counter", "probes.counter");
    lc_result r;
    invoke("counter", "{}", &r);
    pid_t pid = (pid_t)counter_value(&r, "pid");
    lc_result_clear(&r);
    ck_assert(!process_gone(pid));
    teardown();
    ck_assert(process_gone(pid));
    setup();
}
END_TEST

/* A test that fails _exits without teardown; its runtimes must die with it (PR_SET_PDEATHSIG). */
START_TEST(runtimes_die_with_a_harness_that_exits_abruptly)
{
    int fds[2];
    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
    pid_t child = fork();
    if (child == 0) {
        lc_emulator *mine;
        lc_emulator_new(NULL, &mine, NULL);
        lc_function_config c = {.name = "counter", .handler = "probes.counter", .code_dir = PROBES};
        lc_function *fn;
        lc_function_new(&c, &fn, NULL);
        lc_emulator_add_function(mine, fn, NULL);
        lc_result r = {0};
        lc_invoke_options opt = {.payload = "{}", .payload_len = 2};
        pid_t runtime = 0;
        if (lc_emulator_invoke(mine, "counter", &opt, &r, NULL) == LC_OK && r.payload)
            runtime = (pid_t)counter_value(&r, "pid");
        (void)!write(fds[1], &runtime, sizeof runtime);
        _exit(1); /* as a failed ck_assert does: no cleanup */
    }
    close(fds[1]);
    pid_t runtime = 0;
    struct pollfd p = {.fd = fds[0], .events = POLLIN};
    ck_assert_msg(poll(&p, 1, 120000) == 1, "the child harness never answered");
    ck_assert_int_eq(read(fds[0], &runtime, sizeof runtime), (ssize_t)sizeof runtime);
    close(fds[0]);
    waitpid(child, NULL, 0);
    ck_assert_msg(runtime > 0, "the child harness could not invoke");
    /* the kernel delivers the death signal as the child exits; allow it a bounded moment */
    for (int i = 0; i < 500 && !process_gone(runtime); i++)
        usleep(10000);
    ck_assert_msg(process_gone(runtime), "runtime %d outlived its harness", (int)runtime);
}
END_TEST

/* --- asynchronous invocation ------------------------------------------------------------ */

static const lc_async_config fast_retries = {.max_retry_attempts = 2,
                                             .max_event_age_ms = 600000,
                                             .retry_delay_ms = {1, 1}};

static void enqueue(const char *name, const char *event, char id[129])
{
    lc_invoke_options opt = {.payload = event, .payload_len = strlen(event)};
    lc_error err = {0};
    ck_assert_msg(lc_emulator_enqueue(em, name, &opt, id, &err) == LC_OK, "%s", err.message);
}

static void drain(void)
{
    lc_error err = {0};
    ck_assert_msg(lc_emulator_drain(em, 60000, false, &err) == LC_OK, "%s", err.message);
}

static const char *record_str(const json_t *record, const char *path)
{
    char first[64];
    const char *dot = strchr(path, '.');
    if (dot == NULL)
        return json_string_value(json_object_get(record, path));
    snprintf(first, sizeof first, "%.*s", (int)(dot - path), path);
    return json_string_value(json_object_get(json_object_get(record, first), dot + 1));
}

static json_int_t invoke_count(const json_t *record)
{
    return json_integer_value(
        json_object_get(json_object_get(record, "requestContext"), "approximateInvokeCount"));
}

/* The one record of a single enqueued event, checked for the common shape. */
static json_t *only_record(const char *id)
{
    json_t *records = lc_emulator_async_records(em);
    ck_assert_uint_eq(json_array_size(records), 1);
    json_t *record = json_incref(json_array_get(records, 0));
    json_decref(records);
    ck_assert_str_eq(record_str(record, "version"), "1.0");
    ck_assert_str_eq(record_str(record, "requestContext.requestId"), id);
    const char *arn = record_str(record, "requestContext.functionArn");
    ck_assert_msg(strstr(arn, ":function:") && strstr(arn, ":$LATEST"), "%s", arn);
    ck_assert_uint_eq(strlen(record_str(record, "timestamp")), 24);
    return record;
}

START_TEST(an_async_success_is_recorded_and_its_result_kept_only_in_the_journal)
{
    add_probe("echo", "probes.echo");
    char id[129];
    enqueue("echo", "{\"order\": 7}", id);
    drain();
    json_t *record = only_record(id);
    ck_assert_str_eq(record_str(record, "requestContext.condition"), "Success");
    ck_assert_int_eq(invoke_count(record), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_object_get(record, "requestPayload"), "order")), 7);
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_object_get(record, "responsePayload"), "order")), 7);
    json_t *rc = json_object_get(record, "responseContext");
    ck_assert_int_eq(json_integer_value(json_object_get(rc, "statusCode")), 200);
    ck_assert_str_eq(json_string_value(json_object_get(rc, "executedVersion")), "$LATEST");
    ck_assert_ptr_null(json_object_get(rc, "functionError"));
    lc_result r;
    ck_assert_int_eq(lc_emulator_journal_find(em, id, &r), LC_OK); /* it ran; its result was discarded */
    ck_assert_str_eq(r.payload, "{\"order\": 7}");
    lc_result_clear(&r);
    json_decref(record);
}
END_TEST

static void check_exhausted(const char *handler, const char *event, const char *error_type)
{
    add_probe("failing", handler);
    ck_assert_int_eq(lc_emulator_set_async(em, "failing", &fast_retries, NULL), LC_OK);
    char id[129];
    enqueue("failing", event, id);
    drain();
    json_t *record = only_record(id);
    ck_assert_str_eq(record_str(record, "requestContext.condition"), "RetriesExhausted");
    ck_assert_int_eq(invoke_count(record), 3);
    ck_assert_str_eq(record_str(record, "responseContext.functionError"), "Unhandled");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(record, "responsePayload"),
                                                       "errorType")),
                     error_type);
    json_decref(record);
}

START_TEST(a_failing_async_event_is_retried_then_exhausted)
{
    check_exhausted("probes.raises_value_error", "{}", "ValueError");
}
END_TEST

START_TEST(a_crashing_async_event_is_retried_then_exhausted)
{
    check_exhausted("probes.exits", "{\"code\": 5}", "Runtime.ExitError");
}
END_TEST

START_TEST(a_hanging_async_event_times_out_and_is_retried_then_exhausted)
{
    lc_function_config c = {.timeout_ms = 100};
    add(&c, "failing", "probes.sleeps");
    ck_assert_int_eq(lc_emulator_set_async(em, "failing", &fast_retries, NULL), LC_OK);
    char id[129];
    enqueue("failing", "{\"seconds\": 30}", id);
    drain();
    json_t *record = only_record(id);
    ck_assert_str_eq(record_str(record, "requestContext.condition"), "RetriesExhausted");
    ck_assert_int_eq(invoke_count(record), 3);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(record, "responsePayload"),
                                                       "errorType")),
                     "Sandbox.Timedout");
    json_decref(record);
}
END_TEST

START_TEST(zero_retries_means_one_attempt)
{
    add_probe("failing", "probes.raises_value_error");
    lc_async_config c = fast_retries;
    c.max_retry_attempts = 0;
    ck_assert_int_eq(lc_emulator_set_async(em, "failing", &c, NULL), LC_OK);
    char id[129];
    enqueue("failing", "{}", id);
    drain();
    json_t *record = only_record(id);
    ck_assert_str_eq(record_str(record, "requestContext.condition"), "RetriesExhausted");
    ck_assert_int_eq(invoke_count(record), 1);
    json_decref(record);
}
END_TEST

START_TEST(an_event_older_than_the_maximum_age_is_given_up)
{
    add_probe("failing", "probes.raises_value_error");
    lc_async_config c = {.max_retry_attempts = 2, .max_event_age_ms = 1,
                         .retry_delay_ms = {50, 50}};
    ck_assert_int_eq(lc_emulator_set_async(em, "failing", &c, NULL), LC_OK);
    char id[129];
    enqueue("failing", "{}", id);
    drain();
    json_t *record = only_record(id);
    ck_assert_str_eq(record_str(record, "requestContext.condition"), "EventAgeExceeded");
    ck_assert_int_le(invoke_count(record), 1);
    json_decref(record);
}
END_TEST

/* An environment that cannot start is a failed attempt, retried, and still recorded. */
START_TEST(an_event_whose_function_cannot_start_is_still_recorded)
{
    char dir[] = "/tmp/lc_gone_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    lc_function_config c = {.code_dir = dir};
    add(&c, "gone", "app.handler");
    ck_assert_int_eq(lc_emulator_set_async(em, "gone", &fast_retries, NULL), LC_OK);
    rmdir(dir);
    char id[129];
    enqueue("gone", "{}", id);
    drain();
    json_t *record = only_record(id);
    ck_assert_str_eq(record_str(record, "requestContext.condition"), "RetriesExhausted");
    ck_assert_int_eq(invoke_count(record), 3);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(record, "responsePayload"),
                                                       "errorType")),
                     "ServiceException");
    json_decref(record);
}
END_TEST

START_TEST(bad_async_configurations_are_refused)
{
    add_probe("echo", "probes.echo");
    lc_async_config c = fast_retries;
    c.max_retry_attempts = 3;
    lc_error err = {0};
    ck_assert_int_eq(lc_emulator_set_async(em, "echo", &c, &err), LC_ERANGE);
    ck_assert_str_eq(err.message, "maximum retry attempts 3 is outside 0-2");
    ck_assert_int_eq(lc_emulator_set_async(em, "ghost", &fast_retries, NULL), LC_ENOTFOUND);
    char id[129];
    ck_assert_int_eq(lc_emulator_enqueue(em, "ghost", NULL, id, NULL), LC_ENOTFOUND);
}
END_TEST

/* With concurrency 1 the queued events wait for the one environment instead of failing. */
START_TEST(queued_events_wait_for_a_busy_function)
{
    lc_function_config c = {.concurrency = 1};
    add(&c, "counter", "probes.counter");
    char id[129];
    for (int i = 0; i < 5; i++)
        enqueue("counter", "{}", id);
    drain();
    json_t *records = lc_emulator_async_records(em);
    ck_assert_uint_eq(json_array_size(records), 5);
    json_int_t seen = 0;
    size_t i;
    json_t *record;
    json_array_foreach(records, i, record)
    {
        ck_assert_str_eq(record_str(record, "requestContext.condition"), "Success");
        ck_assert_int_eq(invoke_count(record), 1);
        json_t *response = json_object_get(record, "responsePayload");
        seen |= (json_int_t)1 << json_integer_value(json_object_get(response, "invocations"));
    }
    ck_assert_int_eq(seen, 0x3e); /* invocations 1..5 of one warm environment */
    ck_assert_uint_le(lc_emulator_environment_count(em, "counter"), 1);
    json_decref(records);
}
END_TEST

START_TEST(a_shutdown_drain_finishes_events_without_waiting_for_retry_delays)
{
    add_probe("failing", "probes.raises_value_error"); /* Lambda's delays: 1 and 2 minutes */
    char id[129];
    enqueue("failing", "{}", id);
    lc_error err = {0};
    ck_assert_int_eq(lc_emulator_drain(em, 60000, true, &err), LC_OK);
    json_t *record = only_record(id);
    ck_assert_str_eq(record_str(record, "requestContext.condition"), "RetriesExhausted");
    ck_assert_int_eq(invoke_count(record), 3);
    json_decref(record);
}
END_TEST

START_TEST(records_are_appended_to_the_destination_file_as_json_lines)
{
    char path[] = "/tmp/lc_destinations_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    ck_assert_int_eq(lc_emulator_set_destination_file(em, path, NULL), LC_OK);
    add_probe("echo", "probes.echo");
    char ids[3][129];
    for (int i = 0; i < 3; i++)
        enqueue("echo", "{\"line\": true}", ids[i]);
    drain();
    ck_assert_int_eq(lc_emulator_set_destination_file(em, NULL, NULL), LC_OK);
    FILE *f = fopen(path, "r");
    char line[8192];
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        json_t *record = json_loads(line, 0, NULL);
        ck_assert_msg(record != NULL, "not a JSON line: %s", line);
        ck_assert_str_eq(record_str(record, "requestContext.condition"), "Success");
        json_decref(record);
        lines++;
    }
    fclose(f);
    unlink(path);
    ck_assert_int_eq(lines, 3);
    lc_error err = {0};
    ck_assert_int_eq(lc_emulator_set_destination_file(em, "/no/such/dir/d.jsonl", &err), LC_EIO);
    ck_assert_str_eq(err.source, "/no/such/dir/d.jsonl");
}
END_TEST

/* 1,000 events, every 7th failing: exactly 1,000 records, with the right conditions and counts. */
START_TEST(a_burst_of_a_thousand_events_ends_in_exactly_a_thousand_records)
{
    lc_function_config c = {.concurrency = 4};
    add(&c, "burst", "probes.fails_on_multiples");
    ck_assert_int_eq(lc_emulator_set_async(em, "burst", &fast_retries, NULL), LC_OK);
    enum { N = 1000, EVERY = 7 };
    for (int n = 0; n < N; n++) {
        char event[64], id[129];
        snprintf(event, sizeof event, "{\"n\": %d, \"every\": %d}", n, EVERY);
        enqueue("burst", event, id);
    }
    drain();
    json_t *records = lc_emulator_async_records(em);
    ck_assert_uint_eq(json_array_size(records), N);
    static char seen[N];
    memset(seen, 0, sizeof seen);
    int exhausted = 0;
    size_t i;
    json_t *record;
    json_array_foreach(records, i, record)
    {
        json_int_t n = json_integer_value(json_object_get(json_object_get(record, "requestPayload"), "n"));
        ck_assert(n >= 0 && n < N && !seen[n]);
        seen[n] = 1;
        bool failing = n % EVERY == 0;
        ck_assert_str_eq(record_str(record, "requestContext.condition"),
                         failing ? "RetriesExhausted" : "Success");
        ck_assert_int_eq(invoke_count(record), failing ? 3 : 1);
        exhausted += failing;
    }
    ck_assert_int_eq(exhausted, (N + EVERY - 1) / EVERY);
    ck_assert_uint_le(lc_emulator_environment_count(em, "burst"), 4);
    json_decref(records);
}
END_TEST

/* Resolves the interpreter once in the runner process; forked tests inherit the answer. */
static void prime_interpreter(void)
{
    lc_function_config c = {.handler = "probes.echo", .code_dir = PROBES};
    lc_function *fn = NULL;
    lc_function_new(&c, &fn, NULL);
    lc_function_free(fn);
}


/* --- sandboxes ---------------------------------------------------------------------------------- */

static void invoke_in(const char *name, const char *sandbox, const char *event, lc_result *r)
{
    lc_invoke_options opt = {.payload = event, .payload_len = strlen(event), .sandbox = sandbox};
    lc_error err = {0};
    ck_assert_msg(lc_emulator_invoke(em, name, &opt, r, &err) == LC_OK, "%s", err.message);
}

/* A sandbox's environments are its own: a fresh one, warm within the sandbox, never shared. */
START_TEST(a_sandbox_has_environments_of_its_own)
{
    add_probe("counter", "probes.counter");
    lc_result r;
    invoke("counter", "{}", &r); /* the shared pool is warm now */
    lc_result_clear(&r);
    char a[LC_SANDBOX_KEY_SIZE], b[LC_SANDBOX_KEY_SIZE];
    ck_assert_int_eq(lc_emulator_sandbox_open(em, "counter", NULL, a, NULL), LC_OK);
    ck_assert_int_eq(lc_emulator_sandbox_open(em, "counter", NULL, b, NULL), LC_OK);
    ck_assert_str_ne(a, b);
    for (int i = 1; i <= 2; i++) {
        invoke_in("counter", a, "{}", &r);
        ck_assert_int_eq(r.cold_start, i == 1);
        char want[64];
        snprintf(want, sizeof want, "\"invocations\": %d", i);
        ck_assert_ptr_nonnull(strstr(r.payload, want));
        lc_result_clear(&r);
    }
    invoke_in("counter", b, "{}", &r);
    ck_assert(r.cold_start);
    ck_assert_ptr_nonnull(strstr(r.payload, "\"invocations\": 1"));
    lc_result_clear(&r);
    ck_assert_uint_eq(lc_emulator_environment_count(em, "counter"), 1); /* the shared one */
    lc_emulator_sandbox_close(em, a);
    lc_emulator_sandbox_close(em, b);
    /* a closed sandbox takes no more invocations */
    lc_invoke_options opt = {.sandbox = a};
    lc_error err = {0};
    ck_assert_int_eq(lc_emulator_invoke(em, "counter", &opt, &r, &err), LC_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.message, "no open sandbox"));
}
END_TEST

/* Closing a sandbox stops its runtime process. */
START_TEST(closing_a_sandbox_stops_its_process)
{
    add_probe("counter", "probes.counter");
    char key[LC_SANDBOX_KEY_SIZE];
    ck_assert_int_eq(lc_emulator_sandbox_open(em, "counter", NULL, key, NULL), LC_OK);
    lc_result r;
    invoke_in("counter", key, "{}", &r);
    json_t *body = json_loads(r.payload, 0, NULL);
    pid_t pid = (pid_t)json_integer_value(json_object_get(body, "pid"));
    json_decref(body);
    lc_result_clear(&r);
    ck_assert_int_eq(kill(pid, 0), 0);
    lc_emulator_sandbox_close(em, key);
    ck_assert_int_eq(kill(pid, 0), -1);
    ck_assert_int_eq(errno, ESRCH);
}
END_TEST

/* A sandbox's variables are merged over the function's; reserved names are refused. */
START_TEST(a_sandbox_has_variables_of_its_own)
{
    json_t *vars = json_pack("{s:s}", "TABLE_NAME", "orders");
    add(&(lc_function_config){.environment = vars}, "env", "probes.environment");
    json_t *extra = json_pack("{s:s, s:s}", "TABLE_NAME", "archive", "STAGE", "test");
    char key[LC_SANDBOX_KEY_SIZE];
    ck_assert_int_eq(lc_emulator_sandbox_open(em, "env", extra, key, NULL), LC_OK);
    lc_result r;
    invoke_in("env", key, "{}", &r);
    ck_assert_ptr_nonnull(strstr(r.payload, "\"TABLE_NAME\": \"archive\""));
    ck_assert_ptr_nonnull(strstr(r.payload, "\"STAGE\": \"test\""));
    lc_result_clear(&r);
    invoke("env", "{}", &r); /* the shared pool keeps the function's own */
    ck_assert_ptr_nonnull(strstr(r.payload, "\"TABLE_NAME\": \"orders\""));
    ck_assert_ptr_null(strstr(r.payload, "STAGE"));
    lc_result_clear(&r);
    lc_emulator_sandbox_close(em, key);
    json_t *reserved = json_pack("{s:s}", "AWS_REGION", "eu-west-1");
    lc_error err = {0};
    ck_assert_int_eq(lc_emulator_sandbox_open(em, "env", reserved, key, &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "AWS_REGION is reserved"));
    ck_assert_int_eq(lc_emulator_sandbox_open(em, "nope", NULL, key, NULL), LC_ENOTFOUND);
    json_decref(reserved);
    json_decref(extra);
    json_decref(vars);
}
END_TEST

/* An Event run in a sandbox: its first attempt there, a retry in the shared pool. */
START_TEST(an_event_runs_its_first_attempt_in_the_sandbox)
{
    add_probe("fails", "probes.raises_value_error");
    lc_async_config c = {.max_retry_attempts = 1, .max_event_age_ms = 60000,
                         .retry_delay_ms = {1, 1}};
    ck_assert_int_eq(lc_emulator_set_async(em, "fails", &c, NULL), LC_OK);
    char key[LC_SANDBOX_KEY_SIZE], id[129];
    ck_assert_int_eq(lc_emulator_sandbox_open(em, "fails", NULL, key, NULL), LC_OK);
    lc_invoke_options opt = {.payload = "{}", .payload_len = 2, .sandbox = key};
    ck_assert_int_eq(lc_emulator_enqueue(em, "fails", &opt, id, NULL), LC_OK);
    lc_result r;
    ck_assert_int_eq(lc_emulator_journal_wait(em, id, 30000, &r), LC_OK);
    lc_result_clear(&r);
    lc_emulator_sandbox_close(em, key); /* the retry still runs, in the shared pool */
    ck_assert_int_eq(lc_emulator_drain(em, 30000, true, NULL), LC_OK);
    json_t *records = lc_emulator_async_records(em);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_array_get(records, 0), "requestContext"), "condition")),
                     "RetriesExhausted");
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_object_get(json_array_get(records, 0), "requestContext"),
                         "approximateInvokeCount")),
                     2);
    json_decref(records);
}
END_TEST

/* The journal holds at most its byte cap: the oldest results go first, the newest stays. */
START_TEST(the_journal_is_bounded_by_bytes)
{
    lc_emulator_free(em);
    lc_emulator_options o = {.journal_max_bytes = 3 * 1024 * 1024};
    ck_assert_int_eq(lc_emulator_new(&o, &em, NULL), LC_OK);
    add_probe("big", "probes.big_response");
    char ids[5][129];
    for (int i = 0; i < 5; i++) {
        lc_result r;
        invoke("big", "{\"bytes\": 1048576}", &r); /* 1 MB each */
        ck_assert_uint_eq(r.payload_len, 1048578);
        snprintf(ids[i], sizeof ids[i], "%s", r.request_id);
        lc_result_clear(&r);
    }
    ck_assert_uint_le(lc_emulator_journal_size(em), 2);
    lc_result found;
    ck_assert_int_eq(lc_emulator_journal_find(em, ids[4], &found), LC_OK);
    ck_assert_uint_eq(found.payload_len, 1048578);
    lc_result_clear(&found);
    ck_assert_int_eq(lc_emulator_journal_find(em, ids[0], &found), LC_ENOTFOUND);
    /* the raw record of the runtime's post keeps its first 4 KB: the payload is kept once */
    ck_assert_int_eq(lc_emulator_journal_find(em, ids[4], &found), LC_OK);
    ck_assert_uint_eq(found.n_posts, 1);
    ck_assert_uint_eq(found.posts[0].body_len, 4096);
    ck_assert_uint_eq(found.posts[0].body_size, 1048578);
    lc_result_clear(&found);
}
END_TEST

/* Destination records past the window leave memory, but every one is counted and written. */
START_TEST(destination_records_in_memory_are_a_window)
{
    lc_emulator_free(em);
    lc_emulator_options o = {.records_window = 3};
    ck_assert_int_eq(lc_emulator_new(&o, &em, NULL), LC_OK);
    add_probe("echo", "probes.echo_or_fail");
    lc_async_config c = {.max_retry_attempts = 0, .max_event_age_ms = 60000,
                         .retry_delay_ms = {1, 1}};
    ck_assert_int_eq(lc_emulator_set_async(em, "echo", &c, NULL), LC_OK);
    for (int i = 0; i < 8; i++) {
        char id[129];
        const char *event = i % 2 ? "{\"fail\": true}" : "{}";
        lc_invoke_options opt = {.payload = event, .payload_len = strlen(event)};
        ck_assert_int_eq(lc_emulator_enqueue(em, "echo", &opt, id, NULL), LC_OK);
    }
    ck_assert_int_eq(lc_emulator_drain(em, 60000, true, NULL), LC_OK);
    json_t *records = lc_emulator_async_records(em);
    ck_assert_uint_eq(json_array_size(records), 3);
    json_decref(records);
    lc_async_counts counts = lc_emulator_async_counts(em);
    ck_assert_uint_eq(counts.success, 4);
    ck_assert_uint_eq(counts.retries_exhausted, 4);
    ck_assert_uint_eq(counts.event_age_exceeded, 0);
}
END_TEST

/* --- tenant isolation (spec 10) ----------------------------------------------------------------- */

static void add_tenanted(const char *name, const char *handler, int concurrency)
{
    add(&(lc_function_config){.tenancy = "PER_TENANT", .concurrency = concurrency}, name, handler);
}

/* Invokes name for tenant (NULL: none); the status, and r filled on LC_OK. */
static lc_status invoke_for(const char *name, const char *tenant, const char *sandbox,
                            lc_result *r, lc_error *err)
{
    json_t *ctx = tenant ? json_pack("{s:s}", "tenantId", tenant) : NULL;
    lc_invoke_options opt = {.payload = "{}", .payload_len = 2, .context = ctx,
                             .sandbox = sandbox};
    lc_status st = lc_emulator_invoke(em, name, &opt, r, err);
    json_decref(ctx);
    return st;
}

/* The tenant_memory probe's answer: the tenant, how many tenants its process has served (all of
 * them must be this one), and the process. */
static json_t *tenant_answer(const char *name, const char *tenant)
{
    lc_result r;
    lc_error err = {0};
    ck_assert_msg(invoke_for(name, tenant, NULL, &r, &err) == LC_OK, "%s", err.message);
    json_t *got = json_loads(r.payload, 0, NULL);
    lc_result_clear(&r);
    ck_assert_str_eq(json_string_value(json_object_get(got, "tenant")), tenant);
    size_t i;
    json_t *seen;
    json_array_foreach(json_object_get(got, "seen"), i, seen)
        ck_assert_str_eq(json_string_value(seen), tenant);
    return got;
}

static json_int_t int_at(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

START_TEST(tenants_never_share_an_environment_and_reuse_their_own)
{
    add_tenanted("tenanted", "probes.tenant_memory", 0);
    json_t *a1 = tenant_answer("tenanted", "blue");
    json_t *b1 = tenant_answer("tenanted", "green");
    json_t *a2 = tenant_answer("tenanted", "blue");
    ck_assert_int_ne(int_at(a1, "pid"), int_at(b1, "pid"));
    ck_assert_int_eq(int_at(a1, "pid"), int_at(a2, "pid")); /* blue's warm one */
    ck_assert_uint_eq(json_array_size(json_object_get(a2, "seen")), 2);
    ck_assert_uint_eq(lc_emulator_environment_count(em, "tenanted"), 2);
    json_decref(a1);
    json_decref(b1);
    json_decref(a2);
}
END_TEST

START_TEST(at_the_concurrency_limit_another_tenants_idle_environment_is_replaced)
{
    add_tenanted("tenanted", "probes.tenant_memory", 1);
    json_t *a = tenant_answer("tenanted", "blue");
    json_t *b = tenant_answer("tenanted", "green"); /* blue's process is stopped for green */
    ck_assert_int_ne(int_at(a, "pid"), int_at(b, "pid"));
    ck_assert_uint_eq(json_array_size(json_object_get(b, "seen")), 1);
    ck_assert_uint_eq(lc_emulator_environment_count(em, "tenanted"), 1);
    json_decref(a);
    json_decref(b);
}
END_TEST

START_TEST(a_sandbox_of_a_function_with_tenancy_keeps_tenants_apart_too)
{
    add_tenanted("tenanted", "probes.tenant_memory", 0);
    char key[LC_SANDBOX_KEY_SIZE];
    ck_assert_int_eq(lc_emulator_sandbox_open(em, "tenanted", NULL, key, NULL), LC_OK);
    lc_result r[3];
    const char *tenants[] = {"blue", "green", "blue"};
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(invoke_for("tenanted", tenants[i], key, &r[i], NULL), LC_OK);
    ck_assert_ptr_nonnull(strstr(r[1].payload, "\"seen\": [\"green\"]"));
    ck_assert_ptr_nonnull(strstr(r[2].payload, "\"seen\": [\"blue\", \"blue\"]"));
    ck_assert(r[0].cold_start && r[1].cold_start && !r[2].cold_start);
    for (int i = 0; i < 3; i++)
        lc_result_clear(&r[i]);
    lc_emulator_sandbox_close(em, key);
}
END_TEST

START_TEST(every_attempt_of_an_async_event_runs_for_its_tenant)
{
    add_tenanted("tenanted", "probes.fails_naming_tenant", 0);
    ck_assert_int_eq(lc_emulator_set_async(em, "tenanted", &fast_retries, NULL), LC_OK);
    json_t *ctx = json_pack("{s:s}", "tenantId", "queued-tenant");
    lc_invoke_options opt = {.payload = "{}", .payload_len = 2, .context = ctx};
    char id[129];
    ck_assert_int_eq(lc_emulator_enqueue(em, "tenanted", &opt, id, NULL), LC_OK);
    json_decref(ctx);
    drain();
    json_t *record = only_record(id);
    ck_assert_str_eq(record_str(record, "requestContext.condition"), "RetriesExhausted");
    ck_assert_int_eq(invoke_count(record), 3);
    ck_assert_str_eq(record_str(record, "responsePayload.errorMessage"), "tenant queued-tenant");
    json_decref(record);
}
END_TEST

START_TEST(tenancy_and_the_tenant_id_must_agree)
{
    add_tenanted("tenanted", "probes.tenant_memory", 0);
    add_probe("plain", "probes.tenant_memory");
    lc_result r;
    lc_error err = {0};
    ck_assert_int_eq(invoke_for("tenanted", NULL, NULL, &r, &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "enabled with tenancy configuration"));
    lc_error_clear(&err);
    ck_assert_int_eq(invoke_for("plain", "blue", NULL, &r, &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "not enabled with tenancy configuration"));
    lc_error_clear(&err);
    const char *bad[] = {"", "semi;colon", "quote\"d"};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(invoke_for("tenanted", bad[i], NULL, &r, &err), LC_EINVAL);
        ck_assert_ptr_nonnull(strstr(err.message, "at 'tenantId' failed to satisfy constraint"));
        lc_error_clear(&err);
    }
    json_t *ctx = json_pack("{s:s}", "tenantId", "blue");
    lc_invoke_options opt = {.context = ctx};
    char id[129];
    ck_assert_int_eq(lc_emulator_enqueue(em, "plain", &opt, id, &err), LC_EINVAL);
    json_decref(ctx);
    ck_assert_uint_eq(lc_emulator_environment_count(em, "tenanted"), 0);
}
END_TEST

START_TEST(a_tenancy_mode_other_than_per_tenant_is_refused)
{
    lc_function *fn = NULL;
    lc_error err = {0};
    lc_function_config c = {.handler = "probes.echo", .code_dir = PROBES,
                            .tenancy = "PER_FUNCTION"};
    ck_assert_int_eq(lc_function_new(&c, &fn, &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "tenancy must be PER_TENANT"));
    c.tenancy = "per_tenant"; /* any case, as the other enumerations */
    ck_assert_int_eq(lc_function_new(&c, &fn, NULL), LC_OK);
    ck_assert(lc_function_tenancy(fn));
    lc_function_free(fn);
    c.tenancy = NULL;
    ck_assert_int_eq(lc_function_new(&c, &fn, NULL), LC_OK);
    ck_assert(!lc_function_tenancy(fn));
    lc_function_free(fn);
}
END_TEST

Suite *emulator_suite(void)
{
    Suite *s = suite_create("emulator");
    TCase *rows = tcase_create("contract-tables");
    tcase_add_unchecked_fixture(rows, prime_interpreter, NULL);
    tcase_add_checked_fixture(rows, setup, teardown);
    tcase_set_timeout(rows, 60);
    tcase_add_loop_test(rows, each_row_of_the_contract_tables, 0, PROBE_ROW_COUNT);
    suite_add_tcase(s, rows);

    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_set_timeout(core, 60);
    tcase_add_test(core, every_context_attribute_reaches_the_handler);
    tcase_add_test(core, runtime_command_words_are_quoted_like_a_shell);
    tcase_add_test(core, a_node_runtime_runs_the_bundled_node_client);
    tcase_add_test(core, node_path_is_lambdas_with_this_machines_folders);
    tcase_add_test(core, a_node_runtime_without_node_is_refused_by_name);
    tcase_add_test(core, a_quoted_runtime_command_path_with_blanks_runs);
    tcase_add_test(core, without_client_context_or_identity_the_handler_sees_none);
    tcase_add_test(core, the_runtime_gets_exactly_the_environment_of_spec_3_4);
    tcase_add_test(core, path_and_library_path_are_lambdas_with_this_machines_folders);
    tcase_add_test(core, configured_credentials_replace_the_dummy_keys);
    tcase_add_test(core, the_seed_region_example);
    tcase_add_test(core, warm_invocations_reuse_the_process_and_its_globals);
    tcase_add_test(core, two_invocations_run_at_the_same_time_in_two_environments);
    tcase_add_test(core, the_log_is_framed_by_start_end_and_report);
    tcase_add_test(core, the_log_level_and_json_format_follow_the_environment);
    tcase_add_test(core, init_output_and_handler_output_are_split_exactly);
    tcase_add_test(core, the_journal_keeps_each_result_by_request_id);
    tcase_add_test(core, any_runtime_command_can_run_the_handler);
    tcase_add_test(core, a_non_json_content_type_hands_the_handler_bytes);
    tcase_add_test(core, python_312_writes_non_ascii_as_utf8);
    tcase_add_test(core, a_sandbox_has_environments_of_its_own);
    tcase_add_test(core, closing_a_sandbox_stops_its_process);
    tcase_add_test(core, a_sandbox_has_variables_of_its_own);
    tcase_add_test(core, an_event_runs_its_first_attempt_in_the_sandbox);
    suite_add_tcase(s, core);

    TCase *errors = tcase_create("errors");
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_set_timeout(errors, 60);
    tcase_add_test(errors, a_stack_trace_lists_the_handler_frames_like_python);
    tcase_add_test(errors, an_error_post_is_typed_by_its_body);
    tcase_add_test(errors, an_init_error_is_logged_with_the_warning_and_discards_the_environment);
    tcase_add_test(errors, an_undecodable_event_is_an_unmarshal_error);
    tcase_add_test(errors, a_timeout_discards_the_environment_and_the_next_call_is_cold);
    tcase_add_test(errors, a_crash_discards_the_environment);
    tcase_add_test(errors, unknown_functions_are_not_found);
    tcase_add_test(errors, reserved_variables_are_refused);
    tcase_add_test(errors, bad_function_configurations_are_named);
    tcase_add_test(errors, a_runtime_that_misuses_the_runtime_api_gets_the_spec_statuses);
    tcase_add_test(errors, a_second_response_is_refused_and_the_first_one_counts);
    tcase_add_test(errors, chunked_and_expect_continue_posts_from_a_runtime_are_accepted);
    tcase_add_test(errors, an_oversized_post_from_a_runtime_is_a_size_error);
    tcase_add_test(errors, a_runtime_that_exits_without_answering_is_an_exit_error);
    tcase_add_test(errors, a_runtime_that_never_asks_for_work_fails_at_the_init_limit);
    suite_add_tcase(s, errors);

    TCase *async = tcase_create("async");
    tcase_add_unchecked_fixture(async, prime_interpreter, NULL);
    tcase_add_checked_fixture(async, setup, teardown);
    tcase_set_timeout(async, 120);
    tcase_add_test(async, an_async_success_is_recorded_and_its_result_kept_only_in_the_journal);
    tcase_add_test(async, a_failing_async_event_is_retried_then_exhausted);
    tcase_add_test(async, a_crashing_async_event_is_retried_then_exhausted);
    tcase_add_test(async, a_hanging_async_event_times_out_and_is_retried_then_exhausted);
    tcase_add_test(async, zero_retries_means_one_attempt);
    tcase_add_test(async, an_event_older_than_the_maximum_age_is_given_up);
    tcase_add_test(async, bad_async_configurations_are_refused);
    tcase_add_test(async, an_event_whose_function_cannot_start_is_still_recorded);
    tcase_add_test(async, queued_events_wait_for_a_busy_function);
    tcase_add_test(async, a_shutdown_drain_finishes_events_without_waiting_for_retry_delays);
    tcase_add_test(async, records_are_appended_to_the_destination_file_as_json_lines);
    tcase_add_test(async, a_burst_of_a_thousand_events_ends_in_exactly_a_thousand_records);
    suite_add_tcase(s, async);

    TCase *tenancy = tcase_create("tenancy");
    tcase_add_checked_fixture(tenancy, setup, teardown);
    tcase_set_timeout(tenancy, 60);
    tcase_add_test(tenancy, tenants_never_share_an_environment_and_reuse_their_own);
    tcase_add_test(tenancy, at_the_concurrency_limit_another_tenants_idle_environment_is_replaced);
    tcase_add_test(tenancy, a_sandbox_of_a_function_with_tenancy_keeps_tenants_apart_too);
    tcase_add_test(tenancy, every_attempt_of_an_async_event_runs_for_its_tenant);
    tcase_add_test(tenancy, tenancy_and_the_tenant_id_must_agree);
    tcase_add_test(tenancy, a_tenancy_mode_other_than_per_tenant_is_refused);
    suite_add_tcase(s, tenancy);

    TCase *limits = tcase_create("limits");
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_set_timeout(limits, 60);
    tcase_add_test(limits, the_concurrency_limit_refuses_extra_calls);
    tcase_add_test(limits, the_journal_is_bounded_by_bytes);
    tcase_add_test(limits, destination_records_in_memory_are_a_window);
    tcase_add_test(limits, freeing_the_emulator_ends_every_runtime_process);
    tcase_add_test(limits, runtimes_die_with_a_harness_that_exits_abruptly);
    suite_add_tcase(s, limits);
    return s;
}
