/* One interface over a local emulator and a remote endpoint: the same request, the same answer. */
#include <string.h>

#include "lambdacheck/lambdacheck.h"
#include "suites.h"

#define PROBES LC_FIXTURES_DIR "/functions/probes"

static void add_echo(lc_emulator *em)
{
    lc_function_config c = {.name = "echo", .handler = "probes.echo", .code_dir = PROBES};
    lc_function *fn;
    ck_assert_int_eq(lc_function_new(&c, &fn, NULL), LC_OK);
    ck_assert_int_eq(lc_emulator_add_function(em, fn, NULL), LC_OK);
}

static lc_invoke_response echo_through(lc_target *t)
{
    lc_invoke_request req = {.function_name = "echo", .payload = "{\"via\": \"target\"}",
                             .payload_len = 17};
    lc_invoke_response r;
    lc_error err = {0};
    ck_assert_msg(lc_target_invoke(t, &req, &r, &err) == LC_OK, "%s", err.message);
    return r;
}

START_TEST(a_local_target_runs_in_process_and_is_reached_over_http)
{
    lc_target *t;
    ck_assert_int_eq(lc_target_new_local(&t, NULL), LC_OK);
    ck_assert(lc_target_is_local(t));
    ck_assert_int_eq(strncmp(lc_target_endpoint(t), "http://127.0.0.1:", 17), 0);
    add_echo(lc_target_emulator(t));
    lc_invoke_response r = echo_through(t);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.payload, "{\"via\": \"target\"}");
    lc_result seen;
    ck_assert_int_eq(lc_emulator_journal_find(lc_target_emulator(t), r.request_id, &seen), LC_OK);
    ck_assert(seen.cold_start);
    lc_result_clear(&seen);
    lc_invoke_response_clear(&r);
    lc_target_free(t);
}
END_TEST

/* The remote target, pointed at another emulator's endpoint, answers the same. */
START_TEST(a_remote_target_answers_the_same_and_has_no_journal)
{
    lc_target *local;
    ck_assert_int_eq(lc_target_new_local(&local, NULL), LC_OK);
    add_echo(lc_target_emulator(local));
    lc_client_options o = {.endpoint_url = lc_target_endpoint(local), .region = "us-east-1"};
    lc_target *remote;
    ck_assert_int_eq(lc_target_new_remote(&o, &remote, NULL), LC_OK);
    ck_assert(!lc_target_is_local(remote));
    ck_assert_ptr_null(lc_target_emulator(remote));
    lc_invoke_response a = echo_through(local), b = echo_through(remote);
    ck_assert_int_eq(a.status, b.status);
    ck_assert_str_eq(a.payload, b.payload);
    ck_assert_str_eq(a.executed_version, b.executed_version);
    lc_invoke_response_clear(&a);
    lc_invoke_response_clear(&b);
    lc_target_free(remote);
    lc_target_free(local);
}
END_TEST

START_TEST(a_remote_target_without_region_or_endpoint_is_refused)
{
    setenv("AWS_REGION", "", 1);
    setenv("AWS_DEFAULT_REGION", "", 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
    lc_client_options o = {0};
    lc_target *t = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_target_new_remote(&o, &t, &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "no region"));
    ck_assert_ptr_null(t);
}
END_TEST

Suite *target_suite(void)
{
    Suite *s = suite_create("target");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 60);
    tcase_add_test(core, a_local_target_runs_in_process_and_is_reached_over_http);
    tcase_add_test(core, a_remote_target_answers_the_same_and_has_no_journal);
    suite_add_tcase(s, core);
    TCase *errors = tcase_create("errors");
    tcase_add_test(errors, a_remote_target_without_region_or_endpoint_is_refused);
    suite_add_tcase(s, errors);
    return s;
}
