/* Lambda Managed Instances: environments that run several invocations at once (environment,
 * emulator, the bundled clients), and the concurrency-safe check (concurrency.c) both ways. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/scratch.h"
#include "lambdacheck/lambdacheck.h"
#include "suites.h"

#define MANAGED LC_FIXTURES_DIR "/functions/managed"

static lc_emulator *em;
static char *scratch; /* the handlers' OUT_DIR: their /tmp files, apart from other tests' */

static void setup(void)
{
    ck_assert_int_eq(lc_emulator_new(NULL, &em, NULL), LC_OK);
    scratch = scratch_dir("managed");
}

static void teardown(void)
{
    lc_emulator_free(em);
    em = NULL;
    scratch_remove(scratch);
    scratch = NULL;
}

/* Adds a Managed Instances function of the managed fixtures. */
static void add(const char *name, const char *handler, const char *runtime, int max_concurrency,
                long timeout_ms)
{
    json_t *env = json_pack("{s:s}", "OUT_DIR", scratch);
    lc_function_config c = {.name = name, .handler = handler, .code_dir = MANAGED,
                            .runtime = runtime, .max_concurrency = max_concurrency,
                            .timeout_ms = timeout_ms, .environment = env};
    lc_function *fn;
    lc_error err = {0};
    ck_assert_msg(lc_function_new(&c, &fn, &err) == LC_OK, "%s", err.message);
    ck_assert_int_eq(lc_emulator_add_function(em, fn, NULL), LC_OK);
    json_decref(env);
}

typedef struct {
    const char *function;
    const char *event;
    lc_result r;
    lc_status st;
    pthread_t thread;
} call;

static void *call_main(void *arg)
{
    call *c = arg;
    lc_invoke_options opt = {.payload = c->event, .payload_len = strlen(c->event)};
    c->st = lc_emulator_invoke(em, c->function, &opt, &c->r, NULL);
    return NULL;
}

/* Invokes n calls at once and waits for all of them. */
static void invoke_together(call *calls, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pthread_create(&calls[i].thread, NULL, call_main, &calls[i]);
    for (size_t i = 0; i < n; i++) {
        pthread_join(calls[i].thread, NULL);
        ck_assert_int_eq(calls[i].st, LC_OK);
    }
}

static json_t *payload_of(const call *c)
{
    json_t *v = json_loadb(c->r.payload, c->r.payload_len, 0, NULL);
    ck_assert_msg(v != NULL, "not JSON: %s", c->r.payload);
    return v;
}

/* --- environments ----------------------------------------------------------------------------- */

START_TEST(one_python_environment_runs_its_invocations_at_once_in_processes)
{
    add("info", "managed.info", "python3.12", 4, 10000);
    call calls[4];
    for (int i = 0; i < 4; i++)
        calls[i] = (call){.function = "info", .event = "{\"sleep_ms\": 300}"};
    invoke_together(calls, 4);
    ck_assert_uint_eq(lc_emulator_environment_count(em, "info"), 1);
    double latest_start = 0, earliest_end = 1e18;
    int cold = 0;
    for (int i = 0; i < 4; i++) {
        json_t *p = payload_of(&calls[i]);
        double start = json_real_value(json_object_get(p, "start"));
        double end = json_real_value(json_object_get(p, "end"));
        latest_start = start > latest_start ? start : latest_start;
        earliest_end = end < earliest_end ? end : earliest_end;
        for (int j = 0; j < i; j++) { /* a process serves one invocation at a time */
            json_t *q = payload_of(&calls[j]);
            ck_assert_int_ne(json_integer_value(json_object_get(p, "pid")),
                             json_integer_value(json_object_get(q, "pid")));
            json_decref(q);
        }
        cold += calls[i].r.cold_start;
        ck_assert_str_eq(json_string_value(json_object_get(p, "max_concurrency")), "4");
        ck_assert_str_eq(json_string_value(json_object_get(p, "initialization_type")),
                         "lambda-managed-instances");
        ck_assert_str_eq(json_string_value(json_object_get(p, "log_format")), "JSON");
        ck_assert_str_eq(json_string_value(json_object_get(p, "memory")), "2048");
        json_decref(p);
    }
    for (int i = 0; i < 4; i++)
        lc_result_clear(&calls[i].r);
    ck_assert_msg(latest_start < earliest_end, "the four invocations did not overlap");
    ck_assert_int_eq(cold, 1); /* one environment, initialised once */
}
END_TEST

START_TEST(one_node_worker_runs_several_invocations_at_once)
{
    json_t *env = json_pack("{s:s}", "AWS_LAMBDA_NODEJS_WORKER_COUNT", "1");
    lc_function_config c = {.name = "node-info", .handler = "managed.info", .code_dir = MANAGED,
                            .runtime = "nodejs22.x", .max_concurrency = 3, .environment = env};
    lc_function *fn;
    lc_error err = {0};
    ck_assert_msg(lc_function_new(&c, &fn, &err) == LC_OK, "%s", err.message);
    ck_assert_int_eq(lc_emulator_add_function(em, fn, NULL), LC_OK);
    json_decref(env);
    call calls[3];
    for (int i = 0; i < 3; i++)
        calls[i] = (call){.function = "node-info", .event = "{\"sleep_ms\": 200}"};
    invoke_together(calls, 3);
    ck_assert_uint_eq(lc_emulator_environment_count(em, "node-info"), 1);
    json_int_t thread = -1;
    for (int i = 0; i < 3; i++) {
        json_t *p = payload_of(&calls[i]);
        if (thread < 0)
            thread = json_integer_value(json_object_get(p, "thread"));
        ck_assert_int_eq(json_integer_value(json_object_get(p, "thread")), thread);
        ck_assert_int_ge(thread, 1); /* a worker thread, not the main one */
        /* each log has its own record, tagged with its own request id, and no other's */
        const char *mine = calls[i].r.request_id;
        ck_assert_ptr_nonnull(strstr(calls[i].r.log, "\"message\":\"serving undefined\""));
        for (int j = 0; j < 3; j++)
            ck_assert_msg(j == i || strstr(calls[i].r.log, calls[j].r.request_id) == NULL,
                          "the log of %s names %s:\n%s", mine, calls[j].r.request_id,
                          calls[i].r.log);
        ck_assert_ptr_nonnull(strstr(calls[i].r.log, mine));
        json_decref(p);
    }
    for (int i = 0; i < 3; i++)
        lc_result_clear(&calls[i].r);
}
END_TEST

START_TEST(a_timeout_fails_that_invocation_only_and_the_environment_stays)
{
    add("slow", "managed.crash", "python3.12", 2, 1000);
    call calls[2] = {{.function = "slow", .event = "{\"sleep_ms\": 3000}"},
                     {.function = "slow", .event = "{\"sleep_ms\": 100}"}};
    invoke_together(calls, 2);
    ck_assert_str_eq(calls[0].r.error_type, "Sandbox.Timedout");
    ck_assert_str_eq(calls[1].r.function_error, "");
    for (int i = 0; i < 2; i++)
        lc_result_clear(&calls[i].r);
    call after = {.function = "slow", .event = "{}"};
    call_main(&after);
    ck_assert_int_eq(after.st, LC_OK);
    ck_assert_str_eq(after.r.function_error, "");
    ck_assert(!after.r.cold_start); /* the same environment, warm */
    ck_assert_uint_eq(lc_emulator_environment_count(em, "slow"), 1);
    lc_result_clear(&after.r);
}
END_TEST

START_TEST(a_dead_worker_leaves_its_invocation_to_time_out_and_the_others_serve)
{
    add("crash", "managed.crash", "python3.12", 2, 1500);
    call calls[2] = {{.function = "crash", .event = "{\"crash\": true}"},
                     {.function = "crash", .event = "{\"sleep_ms\": 200}"}};
    invoke_together(calls, 2);
    ck_assert_str_eq(calls[0].r.error_type, "Sandbox.Timedout");
    ck_assert_str_eq(calls[1].r.function_error, "");
    for (int i = 0; i < 2; i++)
        lc_result_clear(&calls[i].r);
}
END_TEST

START_TEST(the_environments_exit_ends_every_invocation_in_flight)
{
    add("exit", "managed.crash", "python3.12", 2, 10000);
    call calls[2] = {{.function = "exit", .event = "{\"environment\": true}"},
                     {.function = "exit", .event = "{\"sleep_ms\": 3000}"}};
    invoke_together(calls, 2);
    for (int i = 0; i < 2; i++) {
        ck_assert_str_eq(calls[i].r.error_type, "Runtime.ExitError");
        ck_assert_ptr_nonnull(strstr(calls[i].r.payload, "signal: killed"));
        lc_result_clear(&calls[i].r);
    }
    ck_assert_uint_eq(lc_emulator_environment_count(em, "exit"), 0);
}
END_TEST

START_TEST(an_init_error_reaches_every_invocation_waiting_for_it)
{
    add("broken", "broken_init.handler", "python3.12", 3, 3000);
    call calls[2] = {{.function = "broken", .event = "{}"}, {.function = "broken", .event = "{}"}};
    invoke_together(calls, 2);
    for (int i = 0; i < 2; i++) {
        ck_assert_str_eq(calls[i].r.error_type, "RuntimeError");
        ck_assert_int_eq(calls[i].r.end, LC_END_INIT_ERROR);
        ck_assert_ptr_nonnull(strstr(calls[i].r.payload, "cannot start"));
        lc_result_clear(&calls[i].r);
    }
    ck_assert_uint_eq(lc_emulator_environment_count(em, "broken"), 0);
}
END_TEST

static bool process_gone(pid_t pid)
{
    return kill(pid, 0) != 0;
}

START_TEST(worker_processes_die_with_a_harness_that_exits_abruptly)
{
    int fds[2];
    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
    pid_t child = fork();
    if (child == 0) {
        lc_emulator *mine;
        lc_emulator_new(NULL, &mine, NULL);
        lc_function_config c = {.name = "info", .handler = "managed.info", .code_dir = MANAGED,
                                .runtime = "python3.12", .max_concurrency = 3};
        lc_function *fn;
        lc_function_new(&c, &fn, NULL);
        lc_emulator_add_function(mine, fn, NULL);
        lc_result r = {0};
        lc_invoke_options opt = {.payload = "{}", .payload_len = 2};
        pid_t worker = 0;
        if (lc_emulator_invoke(mine, "info", &opt, &r, NULL) == LC_OK && r.payload) {
            json_t *p = json_loads(r.payload, 0, NULL);
            worker = (pid_t)json_integer_value(json_object_get(p, "pid"));
            json_decref(p);
        }
        (void)!write(fds[1], &worker, sizeof worker);
        _exit(1); /* as a failed ck_assert does: no cleanup */
    }
    close(fds[1]);
    pid_t worker = 0;
    struct pollfd p = {.fd = fds[0], .events = POLLIN};
    ck_assert_msg(poll(&p, 1, 120000) == 1, "the child harness never answered");
    ck_assert_int_eq(read(fds[0], &worker, sizeof worker), (ssize_t)sizeof worker);
    close(fds[0]);
    waitpid(child, NULL, 0);
    ck_assert_msg(worker > 0, "the child harness could not invoke");
    /* the harness's death ends the first process, whose death ends its workers */
    for (int i = 0; i < 500 && !process_gone(worker); i++)
        usleep(10000);
    ck_assert_msg(process_gone(worker), "worker %d outlived its harness", (int)worker);
}
END_TEST

/* --- the concurrency-safe check, both ways --------------------------------------------------- */

static lc_verdicts check(const char *function, const char *const *events, size_t n)
{
    lc_verdicts v = {0};
    lc_concurrency_probe probe = {.function = function, .events = events, .n_events = n};
    lc_error err = {0};
    ck_assert_msg(lc_concurrency_check(em, &probe, &v, &err) == LC_OK, "%s", err.message);
    ck_assert_uint_eq(v.count, 1);
    ck_assert_str_eq(v.items[0].check, LC_CONCURRENCY_CHECK);
    return v;
}

static const char *const two_orders[] = {"{\"order\": 1}", "{\"order\": 2}"};

START_TEST(concurrency_safe_fails_a_fixed_file_in_tmp_and_passes_a_file_per_request)
{
    add("fixed", "managed.fixed_file", "python3.12", 4, 5000);
    add("own", "managed.own_file", "python3.12", 4, 5000);
    lc_verdicts v = check("fixed", two_orders, 2);
    ck_assert_int_eq(v.items[0].state, LC_CHECK_FAILED);
    ck_assert_ptr_nonnull(strstr(v.items[0].message, "invocations at once"));
    ck_assert_ptr_nonnull(strstr(v.items[0].message, "alone"));
    lc_verdicts_clear(&v);
    v = check("own", two_orders, 2);
    ck_assert_msg(v.items[0].state == LC_CHECK_PASSED, "%s", v.items[0].message);
    /* the request id differs run to run: left out, and said so */
    ck_assert_ptr_nonnull(strstr(v.items[0].message, "request"));
    lc_verdicts_clear(&v);
}
END_TEST

START_TEST(concurrency_safe_fails_a_global_in_a_node_worker_and_passes_a_local)
{
    add("global", "managed.globalRequest", "nodejs22.x", 4, 5000);
    add("local", "managed.localRequest", "nodejs22.x", 4, 5000);
    lc_verdicts v = check("global", two_orders, 2);
    ck_assert_int_eq(v.items[0].state, LC_CHECK_FAILED);
    ck_assert_ptr_nonnull(strstr(v.items[0].message, "{\"order\":"));
    lc_verdicts_clear(&v);
    v = check("local", two_orders, 2);
    ck_assert_msg(v.items[0].state == LC_CHECK_PASSED, "%s", v.items[0].message);
    lc_verdicts_clear(&v);
}
END_TEST

START_TEST(concurrency_safe_fails_a_deadlock_within_the_functions_timeout)
{
    add("locks", "managed.locks_in_turn", "python3.12", 2, 1000);
    const char *const events[] = {"{\"order\": 0}", "{\"order\": 1}"};
    lc_verdicts v = check("locks", events, 2);
    ck_assert_int_eq(v.items[0].state, LC_CHECK_FAILED);
    ck_assert_ptr_nonnull(strstr(v.items[0].message, "Sandbox.Timedout"));
    lc_verdicts_clear(&v);
}
END_TEST

START_TEST(concurrency_safe_does_not_judge_what_it_cannot_compare)
{
    add("info", "managed.info", "python3.12", 4, 5000); /* a time in every answer */
    lc_function_config c = {.name = "ordinary", .handler = "managed.info", .code_dir = MANAGED,
                            .runtime = "python3.12"};
    lc_function *fn;
    ck_assert_int_eq(lc_function_new(&c, &fn, NULL), LC_OK);
    ck_assert_int_eq(lc_emulator_add_function(em, fn, NULL), LC_OK);
    const char *const one[] = {"{}"};
    lc_verdicts v = check("ordinary", one, 1);
    ck_assert_int_eq(v.items[0].state, LC_CHECK_NOT_CHECKED);
    ck_assert_ptr_nonnull(strstr(v.items[0].message, "not on Lambda Managed Instances"));
    lc_verdicts_clear(&v);
    v = check("info", one, 1);
    ck_assert_msg(v.items[0].state == LC_CHECK_PASSED, "%s", v.items[0].message); /* pid, start, end left out */
    ck_assert_ptr_nonnull(strstr(v.items[0].message, "start"));
    lc_verdicts_clear(&v);
}
END_TEST

/* --- bad input ------------------------------------------------------------------------------- */

START_TEST(a_maximum_concurrency_outside_lambdas_range_is_refused)
{
    lc_function_config c = {.name = "f", .handler = "managed.info", .code_dir = MANAGED,
                            .runtime = "python3.12", .max_concurrency = 1601};
    lc_function *fn = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_function_new(&c, &fn, &err), LC_ERANGE);
    ck_assert_ptr_nonnull(strstr(err.message, "outside 1-1600"));
    c.max_concurrency = -1;
    err = (lc_error){0};
    ck_assert_int_eq(lc_function_new(&c, &fn, &err), LC_ERANGE);
    c.max_concurrency = 4;
    c.log_format = "Text"; /* Managed Instances log JSON only */
    err = (lc_error){0};
    ck_assert_int_eq(lc_function_new(&c, &fn, &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "JSON only"));
}
END_TEST

Suite *concurrency_suite(void)
{
    Suite *s = suite_create("concurrency");
    TCase *envs = tcase_create("environments");
    tcase_add_checked_fixture(envs, setup, teardown);
    tcase_set_timeout(envs, 120);
    tcase_add_test(envs, one_python_environment_runs_its_invocations_at_once_in_processes);
    tcase_add_test(envs, one_node_worker_runs_several_invocations_at_once);
    tcase_add_test(envs, a_timeout_fails_that_invocation_only_and_the_environment_stays);
    tcase_add_test(envs, a_dead_worker_leaves_its_invocation_to_time_out_and_the_others_serve);
    tcase_add_test(envs, the_environments_exit_ends_every_invocation_in_flight);
    tcase_add_test(envs, an_init_error_reaches_every_invocation_waiting_for_it);
    tcase_add_test(envs, worker_processes_die_with_a_harness_that_exits_abruptly);
    suite_add_tcase(s, envs);
    TCase *checks = tcase_create("check");
    tcase_add_checked_fixture(checks, setup, teardown);
    tcase_set_timeout(checks, 120);
    tcase_add_test(checks, concurrency_safe_fails_a_fixed_file_in_tmp_and_passes_a_file_per_request);
    tcase_add_test(checks, concurrency_safe_fails_a_global_in_a_node_worker_and_passes_a_local);
    tcase_add_test(checks, concurrency_safe_fails_a_deadlock_within_the_functions_timeout);
    tcase_add_test(checks, concurrency_safe_does_not_judge_what_it_cannot_compare);
    suite_add_tcase(s, checks);
    TCase *errors = tcase_create("errors");
    tcase_add_test(errors, a_maximum_concurrency_outside_lambdas_range_is_refused);
    suite_add_tcase(s, errors);
    return s;
}
