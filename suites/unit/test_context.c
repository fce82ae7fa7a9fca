#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lambdacheck/context.h"
#include "suites.h"

static lc_context *ctx;

static void setup(void)
{
    ctx = lc_context_new();
    ck_assert_ptr_nonnull(ctx);
}

static void teardown(void)
{
    lc_context_free(ctx);
    ctx = NULL;
}

static bool is_uuid4(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return false;
    }
    return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

START_TEST(defaults_look_like_real_lambda)
{
    ck_assert(is_uuid4(lc_context_request_id(ctx)));
    ck_assert_str_eq(lc_context_function_name(ctx), "my-function");
    ck_assert_str_eq(lc_context_version(ctx), "$LATEST");
    ck_assert_str_eq(lc_context_region(ctx), "us-east-1");
    ck_assert_int_eq(lc_context_memory_mb(ctx), 128);
    ck_assert_int_eq(lc_context_timeout_ms(ctx), 3000);
    ck_assert_str_eq(lc_context_invoked_arn(ctx),
                     "arn:aws:lambda:us-east-1:123456789012:function:my-function");
    ck_assert_str_eq(lc_context_log_group(ctx), "/aws/lambda/my-function");
    const char *stream = lc_context_log_stream(ctx);
    /* YYYY/MM/DD/[$LATEST]<32 hex> */
    ck_assert_uint_eq(strlen(stream), 10 + 1 + 9 + 32);
    ck_assert(stream[4] == '/' && stream[7] == '/' && stream[10] == '/');
    ck_assert_int_eq(strncmp(stream + 11, "[$LATEST]", 9), 0);
    for (int i = 20; i < 52; i++)
        ck_assert(isxdigit((unsigned char)stream[i]));
    ck_assert_int_eq(strncmp(lc_context_trace_id(ctx), "Root=1-", 7), 0);
    ck_assert_ptr_null(lc_context_client_context(ctx));
    ck_assert_ptr_null(lc_context_tenant_id(ctx));
}
END_TEST

START_TEST(request_ids_are_fresh_each_time)
{
    char first[64];
    strcpy(first, lc_context_request_id(ctx));
    lc_context_renew(ctx);
    ck_assert_str_ne(first, lc_context_request_id(ctx));
    ck_assert(is_uuid4(lc_context_request_id(ctx)));
    ck_assert_int_eq(lc_context_set_request_id(ctx, "given-id-1", NULL), LC_OK);
    ck_assert_str_eq(lc_context_request_id(ctx), "given-id-1");
}
END_TEST

START_TEST(arn_is_derived_from_region_account_name_and_qualifier)
{
    ck_assert_int_eq(lc_context_set_region(ctx, "eu-west-2", NULL), LC_OK);
    ck_assert_int_eq(lc_context_set_account(ctx, "210987654321", NULL), LC_OK);
    ck_assert_int_eq(lc_context_set_function_name(ctx, "orders_api", NULL), LC_OK);
    ck_assert_int_eq(lc_context_set_qualifier(ctx, "prod", NULL), LC_OK);
    ck_assert_str_eq(lc_context_invoked_arn(ctx),
                     "arn:aws:lambda:eu-west-2:210987654321:function:orders_api:prod");
    ck_assert_str_eq(lc_context_function_arn(ctx),
                     "arn:aws:lambda:eu-west-2:210987654321:function:orders_api");
    ck_assert_str_eq(lc_context_log_group(ctx), "/aws/lambda/orders_api");
    ck_assert_int_eq(lc_context_set_region(ctx, "cn-north-1", NULL), LC_OK);
    ck_assert_int_eq(lc_context_set_qualifier(ctx, NULL, NULL), LC_OK);
    ck_assert_str_eq(lc_context_invoked_arn(ctx),
                     "arn:aws-cn:lambda:cn-north-1:210987654321:function:orders_api");
}
END_TEST

START_TEST(deadline_follows_timeout)
{
    ck_assert_int_eq(lc_context_set_timeout(ctx, 900, NULL), LC_OK);
    lc_context_arm(ctx, 1000000);
    ck_assert_int_eq(lc_context_deadline_ms(ctx), 1000000 + 900000);
    ck_assert_int_eq(lc_context_set_timeout_ms(ctx, 250, NULL), LC_OK);
    lc_context_arm(ctx, 5);
    ck_assert_int_eq(lc_context_deadline_ms(ctx), 255);
}
END_TEST

START_TEST(runtime_headers_omit_empty_values)
{
    lc_context_set_deadline_ms(ctx, 1764241200335, NULL);
    json_t *h = lc_context_runtime_headers(ctx);
    ck_assert_str_eq(json_string_value(json_object_get(h, "Lambda-Runtime-Aws-Request-Id")),
                     lc_context_request_id(ctx));
    ck_assert_str_eq(json_string_value(json_object_get(h, "Lambda-Runtime-Deadline-Ms")),
                     "1764241200335");
    ck_assert_str_eq(json_string_value(json_object_get(h, "Lambda-Runtime-Invoked-Function-Arn")),
                     lc_context_invoked_arn(ctx));
    ck_assert_ptr_nonnull(json_object_get(h, "Lambda-Runtime-Trace-Id"));
    ck_assert_ptr_null(json_object_get(h, "Lambda-Runtime-Client-Context"));
    ck_assert_ptr_null(json_object_get(h, "Lambda-Runtime-Cognito-Identity"));
    ck_assert_ptr_null(json_object_get(h, "Lambda-Runtime-Aws-Tenant-Id"));
    json_decref(h);

    lc_context_set_client_context(ctx, "{\"custom\": {\"k\": \"v\"}}", NULL);
    lc_context_set_tenant_id(ctx, "tenant-7", NULL);
    h = lc_context_runtime_headers(ctx);
    ck_assert_str_eq(json_string_value(json_object_get(h, "Lambda-Runtime-Client-Context")),
                     "{\"custom\":{\"k\":\"v\"}}");
    ck_assert_str_eq(json_string_value(json_object_get(h, "Lambda-Runtime-Aws-Tenant-Id")),
                     "tenant-7");
    json_decref(h);
}
END_TEST

START_TEST(environment_has_the_context_variables)
{
    lc_context_set_memory_mb(ctx, 512, NULL);
    json_t *env = lc_context_environment(ctx);
    ck_assert_str_eq(json_string_value(json_object_get(env, "AWS_REGION")), "us-east-1");
    ck_assert_str_eq(json_string_value(json_object_get(env, "AWS_DEFAULT_REGION")), "us-east-1");
    ck_assert_str_eq(json_string_value(json_object_get(env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE")),
                     "512");
    ck_assert_str_eq(json_string_value(json_object_get(env, "AWS_LAMBDA_LOG_GROUP_NAME")),
                     "/aws/lambda/my-function");
    ck_assert_str_eq(json_string_value(json_object_get(env, "AWS_LAMBDA_LOG_STREAM_NAME")),
                     lc_context_log_stream(ctx));
    ck_assert_str_eq(json_string_value(json_object_get(env, "AWS_LAMBDA_INITIALIZATION_TYPE")),
                     "on-demand");
    ck_assert_str_eq(json_string_value(json_object_get(env, "TZ")), ":UTC");
    ck_assert_str_eq(json_string_value(json_object_get(env, "LANG")), "en_US.UTF-8");
    json_decref(env);
}
END_TEST

START_TEST(python_view_matches_spec_2_5)
{
    lc_context_set_cognito_identity(
        ctx, "{\"cognitoIdentityId\": \"id-1\", \"cognitoIdentityPoolId\": \"pool-1\"}", NULL);
    lc_context_set_client_context(
        ctx, "{\"client\": {\"app_title\": \"shop\"}, \"custom\": {\"a\": 1}, \"env\": {\"e\": \"x\"}}",
        NULL);
    json_t *view = lc_context_to_json(ctx);
    json_t *want = json_pack(
        "{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:{s:i}, s:{s:s}, s:{s:n, s:s, s:n, s:n, s:n}}, "
        "s:n}",
        "memory_limit_in_mb", "128", "function_version", "$LATEST", "invoked_function_arn",
        lc_context_invoked_arn(ctx), "aws_request_id", lc_context_request_id(ctx), "identity",
        "cognito_identity_id", "id-1", "cognito_identity_pool_id", "pool-1", "client_context",
        "custom", "a", 1, "env", "e", "x", "client", "installation_id", "app_title", "shop",
        "app_version_name", "app_version_code", "app_package_name", "tenant_id");
    ck_assert(json_is_object(view));
    const char *key;
    json_t *v;
    json_object_foreach(want, key, v)
    {
        ck_assert_msg(json_equal(v, json_object_get(view, key)), "context attribute %s differs",
                      key);
    }
    json_decref(want);
    json_decref(view);
}
END_TEST

START_TEST(out_of_range_values_are_refused)
{
    lc_error err = {0};
    ck_assert_int_eq(lc_context_set_memory_mb(ctx, 127, &err), LC_ERANGE);
    ck_assert_str_eq(err.message, "memory size 127 MB is outside 128-10240 MB");
    ck_assert_int_eq(lc_context_set_memory_mb(ctx, 10241, NULL), LC_ERANGE);
    ck_assert_int_eq(lc_context_set_memory_mb(ctx, 10240, NULL), LC_OK);
    ck_assert_int_eq(lc_context_set_timeout(ctx, 0, NULL), LC_ERANGE);
    ck_assert_int_eq(lc_context_set_timeout(ctx, 901, NULL), LC_ERANGE);
    ck_assert_int_eq(lc_context_set_timeout_ms(ctx, 0, NULL), LC_ERANGE);
    ck_assert_int_eq(lc_context_set_deadline_ms(ctx, 0, NULL), LC_ERANGE);
    ck_assert_int_eq(lc_context_memory_mb(ctx), 10240);
}
END_TEST

START_TEST(malformed_values_are_refused)
{
    lc_error err = {0};
    ck_assert_int_eq(lc_context_set_function_name(ctx, "bad name!", &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "bad name!"));
    ck_assert_int_eq(lc_context_set_function_name(ctx, "", NULL), LC_EINVAL);
    char long_name[70];
    memset(long_name, 'a', 65);
    long_name[65] = '\0';
    ck_assert_int_eq(lc_context_set_function_name(ctx, long_name, NULL), LC_EINVAL);
    ck_assert_int_eq(lc_context_set_region(ctx, "useast1", NULL), LC_EINVAL);
    ck_assert_int_eq(lc_context_set_region(ctx, "us-east-x", NULL), LC_EINVAL);
    ck_assert_int_eq(lc_context_set_account(ctx, "12345", NULL), LC_EINVAL);
    ck_assert_int_eq(lc_context_set_version(ctx, "latest", NULL), LC_EINVAL);
    ck_assert_int_eq(lc_context_set_qualifier(ctx, "has space", NULL), LC_EINVAL);
    ck_assert_int_eq(lc_context_set_trace_id(ctx, "Root=1-xyz", NULL), LC_EINVAL);
    ck_assert_int_eq(lc_context_set_request_id(ctx, "a\nb", NULL), LC_EINVAL);
    ck_assert_int_eq(lc_context_set_invoked_arn(ctx, "not-an-arn", NULL), LC_EINVAL);
    ck_assert_str_eq(lc_context_function_name(ctx), "my-function");
    ck_assert_str_eq(lc_context_region(ctx), "us-east-1");
}
END_TEST

START_TEST(client_context_and_identity_must_be_json_objects)
{
    lc_error err = {0};
    ck_assert_int_eq(lc_context_set_client_context(ctx, "{not json", &err), LC_EJSON);
    ck_assert_str_eq(err.source, "client context");
    ck_assert_int_eq(err.line, 1);
    ck_assert_int_eq(lc_context_set_client_context(ctx, "[1]", NULL), LC_EJSON);
    ck_assert_int_eq(lc_context_set_client_context(ctx, "{\"custom\": 3}", NULL), LC_EINVAL);
    ck_assert_int_eq(lc_context_set_cognito_identity(ctx, "{\"cognitoIdentityId\": 1}", NULL),
                     LC_EINVAL);
    ck_assert_ptr_null(lc_context_client_context(ctx));
    ck_assert_ptr_null(lc_context_cognito_identity(ctx));
}
END_TEST

START_TEST(json_overrides_apply_and_name_bad_keys)
{
    json_t *o = json_pack("{s:s, s:i, s:i, s:{s:s}, s:s}", "functionName", "greeter", "memoryMB",
                          1024, "timeoutMs", 50, "identity", "cognitoIdentityId", "abc",
                          "tenantId", "t1");
    ck_assert_int_eq(lc_context_apply_json(ctx, o, "case.json", NULL), LC_OK);
    ck_assert_str_eq(lc_context_function_name(ctx), "greeter");
    ck_assert_int_eq(lc_context_memory_mb(ctx), 1024);
    ck_assert_int_eq(lc_context_timeout_ms(ctx), 50);
    ck_assert_str_eq(lc_context_tenant_id(ctx), "t1");
    json_decref(o);

    lc_error err = {0};
    o = json_pack("{s:s}", "memorySize", "big");
    ck_assert_int_eq(lc_context_apply_json(ctx, o, "case.json", &err), LC_EINVAL);
    ck_assert_str_eq(err.source, "case.json");
    ck_assert_str_eq(err.message, "context.memorySize: unknown context field");
    json_decref(o);
    lc_error_clear(&err);
    o = json_pack("{s:i}", "memoryMB", 64);
    ck_assert_int_eq(lc_context_apply_json(ctx, o, "case.json", &err), LC_ERANGE);
    ck_assert_str_eq(err.message, "context.memoryMB: memory size 64 MB is outside 128-10240 MB");
    json_decref(o);
}
END_TEST

START_TEST(copies_are_independent)
{
    lc_context_set_client_context(ctx, "{\"custom\": {}}", NULL);
    lc_context *copy = lc_context_copy(ctx);
    lc_context_set_function_name(copy, "other", NULL);
    lc_context_set_client_context(ctx, NULL, NULL);
    ck_assert_str_eq(lc_context_function_name(ctx), "my-function");
    ck_assert_str_eq(lc_context_client_context(copy), "{\"custom\":{}}");
    lc_context_free(copy);
    lc_context_free(NULL);
}
END_TEST

Suite *context_suite(void)
{
    Suite *s = suite_create("context");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_test(core, defaults_look_like_real_lambda);
    tcase_add_test(core, request_ids_are_fresh_each_time);
    tcase_add_test(core, arn_is_derived_from_region_account_name_and_qualifier);
    tcase_add_test(core, deadline_follows_timeout);
    tcase_add_test(core, runtime_headers_omit_empty_values);
    tcase_add_test(core, environment_has_the_context_variables);
    tcase_add_test(core, python_view_matches_spec_2_5);
    tcase_add_test(core, copies_are_independent);
    tcase_add_test(core, json_overrides_apply_and_name_bad_keys);
    suite_add_tcase(s, core);
    TCase *errors = tcase_create("errors");
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_add_test(errors, malformed_values_are_refused);
    tcase_add_test(errors, client_context_and_identity_must_be_json_objects);
    suite_add_tcase(s, errors);
    TCase *limits = tcase_create("limits");
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_add_test(limits, out_of_range_values_are_refused);
    suite_add_tcase(s, limits);
    return s;
}
