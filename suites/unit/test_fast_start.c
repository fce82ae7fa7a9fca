/* Fast fresh environments (fast_start.c, lambdacheck_template.py): a Python environment made as a
 * copy of a template process shows a handler what a new process shows, and a template that dies
 * or cannot be started costs only speed. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lambdacheck/lambdacheck.h"
#include "suites.h"

#define FAST LC_FIXTURES_DIR "/functions/fast_start"
#define SNAP LC_FIXTURES_DIR "/functions/snapstart"

static lc_emulator *em; /* holds the templates, as a run of the harness does */

static void setup(void)
{
    ck_assert_int_eq(lc_emulator_new(NULL, &em, NULL), LC_OK);
    lc_environment_set_fast_start(true);
}

static void teardown(void)
{
    lc_emulator_free(em);
    em = NULL;
    lc_environment_set_fast_start(true);
}

static lc_function *function(const char *handler, json_t *variables)
{
    lc_function_config c = {.name = "fast", .handler = handler, .code_dir = FAST,
                            .runtime = "python3.12", .timeout_ms = 10000,
                            .environment = variables};
    lc_function *fn;
    lc_error err = {0};
    ck_assert_msg(lc_function_new(&c, &fn, &err) == LC_OK, "%s", err.message);
    return fn;
}

/* One fresh environment of fn, one invocation; *copy tells how it was started. */
static void run_fresh(const lc_function *fn, bool fast, lc_result *r, bool *copy)
{
    lc_environment_set_fast_start(fast);
    lc_environment *env;
    lc_error err = {0};
    ck_assert_msg(lc_environment_start(fn, &env, &err) == LC_OK, "%s", err.message);
    *copy = lc_environment_is_copy(env);
    lc_context *ctx = lc_function_new_context(fn);
    memset(r, 0, sizeof *r);
    ck_assert_msg(lc_environment_invoke(env, ctx, "{}", 2, NULL, NULL, r, &err) == LC_OK, "%s",
                  err.message);
    lc_context_free(ctx);
    lc_environment_free(env);
}

static json_t *probe(const lc_function *fn, bool fast)
{
    lc_result r;
    bool copy;
    if (fast) { /* a function's first environment starts plainly; the template comes next */
        run_fresh(fn, true, &r, &copy);
        lc_result_clear(&r);
    }
    run_fresh(fn, fast, &r, &copy);
    ck_assert_msg(copy == fast, "the environment was %sa copy", copy ? "" : "not ");
    ck_assert_msg(r.end == LC_END_RESPONSE, "%.*s", (int)r.log_len, r.log);
    json_t *v = json_loadb(r.payload, r.payload_len, 0, NULL);
    ck_assert_ptr_nonnull(v);
    lc_result_clear(&r);
    return v;
}

/* What differs between any two environments of one function, fast or not. */
static void drop_per_environment(json_t *p)
{
    static const char *const per_env[] = {"AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_LOG_STREAM_NAME",
                                          "_X_AMZN_TRACE_ID", "AWS_ENDPOINT_URL", "HTTPS_PROXY",
                                          "https_proxy"};
    json_t *environ = json_object_get(p, "environ");
    for (size_t i = 0; i < sizeof per_env / sizeof *per_env; i++)
        if (json_object_get(environ, per_env[i]))
            json_object_set_new(environ, per_env[i], json_string("<per environment>"));
    json_object_del(p, "pid");
    json_object_del(p, "random");
    json_object_del(p, "uuid");
    json_object_del(p, "urandom");
}

static void assert_same(json_t *copy, json_t *plain, const char *field)
{
    json_t *a = json_object_get(copy, field), *b = json_object_get(plain, field);
    char *ta = json_dumps(a, JSON_SORT_KEYS | JSON_ENCODE_ANY);
    char *tb = json_dumps(b, JSON_SORT_KEYS | JSON_ENCODE_ANY);
    ck_assert_msg(a && json_equal(a, b), "%s differs:\n  copy:  %s\n  plain: %s", field, ta, tb);
    free(ta);
    free(tb);
}

static void assert_indistinguishable(const lc_function *fn)
{
    json_t *copy = probe(fn, true), *plain = probe(fn, false);
    drop_per_environment(copy);
    drop_per_environment(plain);
    static const char *const fields[] = {
        "environ", "environOrder", "path",    "flags",   "argv",   "origArgv",   "executable",
        "ppid",    "ownGroup",     "threads", "cwd",     "descriptors", "signals", "mask",
        "limits",  "umask",        "modules", "stackDepth", "mainThreadNativeId",
    };
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        assert_same(copy, plain, fields[i]);
    ck_assert(json_is_true(json_object_get(copy, "mainThreadNativeId")));
    ck_assert(json_is_true(json_object_get(copy, "ownGroup")));
    ck_assert_int_eq(json_integer_value(json_object_get(copy, "ppid")), getpid());
    json_decref(copy);
    json_decref(plain);
}

/* Environment (its order too), sys.path, sys.flags, argv and orig_argv, descriptors, signal
 * dispositions and mask, limits, umask, sys.modules in order, the stack, the main thread's
 * native id, the parent (this process) and the process group: as in a new process. */
START_TEST(a_copy_shows_what_a_new_process_shows)
{
    lc_function *fn = function("probe.handler", NULL);
    assert_indistinguishable(fn);
    lc_function_free(fn);
}
END_TEST

/* PYTHON* variables act at interpreter start-up; the template is started with the function's,
 * so a copy has what they set (here -O and no bytecode writes in sys.flags). */
START_TEST(python_variables_of_the_function_act_in_a_copy)
{
    json_t *vars = json_pack("{s:s, s:s}", "PYTHONOPTIMIZE", "1", "PYTHONDONTWRITEBYTECODE", "1");
    lc_function *fn = function("probe.handler", vars);
    json_decref(vars);
    assert_indistinguishable(fn);
    json_t *copy = probe(fn, true);
    const char *flags = json_string_value(json_object_get(copy, "flags"));
    ck_assert_msg(strstr(flags, "optimize=1") && strstr(flags, "dont_write_bytecode=1"), "%s",
                  flags);
    json_decref(copy);
    lc_function_free(fn);
}
END_TEST

/* Each copy has its own pid, random module state and UUIDs: the template's are not repeated. */
START_TEST(copies_share_no_random_state)
{
    lc_function *fn = function("probe.handler", NULL);
    json_t *a = probe(fn, true), *b = probe(fn, true);
    static const char *const fields[] = {"pid", "random", "uuid", "urandom"};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        ck_assert_msg(!json_equal(json_object_get(a, fields[i]), json_object_get(b, fields[i])),
                      "two copies have the same %s", fields[i]);
    json_decref(a);
    json_decref(b);
    lc_function_free(fn);
}
END_TEST

/* The pids of this process's children whose command line has "--template". */
static size_t templates(pid_t *out, size_t max)
{
    size_t n = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL && n < max) {
        char path[300], text[4096];
        pid_t pid = (pid_t)atoi(e->d_name), parent = 0;
        if (pid <= 0)
            continue;
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        char state;
        int got = fscanf(f, "%*d %*s %c %d", &state, &parent);
        fclose(f);
        if (got != 2 || parent != getpid() || state == 'Z')
            continue;
        snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
        f = fopen(path, "r");
        size_t len = f ? fread(text, 1, sizeof text - 1, f) : 0;
        if (f)
            fclose(f);
        for (size_t i = 0; i + 1 < len; i++)
            if (text[i] == '\0')
                text[i] = ' ';
        text[len] = '\0';
        if (strstr(text, "--template 3"))
            out[n++] = pid;
    }
    if (d)
        closedir(d);
    return n;
}

/* A template that dies is replaced: the next environment still starts (a new process, or a copy
 * of a new template) and answers, and later ones are copies again. */
START_TEST(a_template_that_dies_costs_only_speed)
{
    lc_function *fn = function("probe.handler", NULL);
    json_decref(probe(fn, true));
    pid_t found[8];
    ck_assert_uint_eq(templates(found, 8), 1);
    kill(found[0], SIGKILL);
    usleep(20000);
    lc_result r;
    bool copy;
    run_fresh(fn, true, &r, &copy);
    ck_assert_int_eq(r.end, LC_END_RESPONSE);
    lc_result_clear(&r);
    run_fresh(fn, true, &r, &copy);
    ck_assert_int_eq(r.end, LC_END_RESPONSE);
    ck_assert(copy);
    lc_result_clear(&r);
    lc_function_free(fn);
}
END_TEST

/* The templates end with the last emulator: none outlives the run (or test) that started it. */
START_TEST(templates_end_with_the_last_emulator)
{
    lc_function *fn = function("probe.handler", NULL);
    json_decref(probe(fn, true));
    pid_t found[8];
    ck_assert_uint_eq(templates(found, 8), 1);
    lc_emulator_free(em);
    em = NULL;
    ck_assert_uint_eq(templates(found, 8), 0);
    lc_function_free(fn);
}
END_TEST

/* An init error in a copy is the init error of a new process: type, message, trace. */
START_TEST(init_errors_in_a_copy_are_those_of_a_new_process)
{
    lc_function *fn = function("init_raises.handler", NULL);
    lc_result copy, plain;
    bool was_copy, was_plain_copy;
    run_fresh(fn, true, &copy, &was_copy);
    ck_assert(!was_copy); /* the first starts plainly */
    lc_result_clear(&copy);
    run_fresh(fn, true, &copy, &was_copy);
    run_fresh(fn, false, &plain, &was_plain_copy);
    ck_assert(was_copy && !was_plain_copy);
    ck_assert_int_eq(copy.end, LC_END_INIT_ERROR);
    ck_assert_int_eq(plain.end, LC_END_INIT_ERROR);
    ck_assert_str_eq(copy.error_type, plain.error_type);
    ck_assert_str_eq(copy.payload, plain.payload);
    lc_result_clear(&copy);
    lc_result_clear(&plain);
    lc_function_free(fn);
}
END_TEST

/* What an interpreter prints while it starts belongs in the environment's own log: a function
 * whose start-up prints (PYTHONVERBOSE here) gets no template, and its log keeps the lines. */
START_TEST(a_start_up_that_prints_gets_new_processes)
{
    json_t *vars = json_pack("{s:s}", "PYTHONVERBOSE", "1");
    lc_function *fn = function("started.handler", vars);
    json_decref(vars);
    for (int i = 0; i < 2; i++) {
        lc_result r;
        bool copy;
        run_fresh(fn, true, &r, &copy);
        ck_assert(!copy);
        ck_assert_int_eq(r.end, LC_END_RESPONSE);
        ck_assert_msg(strstr(r.log, "import ") != NULL, "%s", r.log);
        lc_result_clear(&r);
    }
    pid_t found[8];
    ck_assert_uint_eq(templates(found, 8), 0);
    lc_function_free(fn);
}
END_TEST

/* Off, no template is started at all: the second and third environments (which would be
 * copies) are new processes too. */
START_TEST(the_switch_turns_the_templates_off)
{
    lc_function *fn = function("started.handler", NULL);
    for (int i = 0; i < 3; i++) {
        lc_result r;
        bool copy;
        run_fresh(fn, false, &r, &copy);
        ck_assert_msg(!copy, "environment %d was a copy", i + 1);
        ck_assert_str_eq(r.payload, "{\"copy\": false}");
        lc_result_clear(&r);
    }
    pid_t found[8];
    ck_assert_uint_eq(templates(found, 8), 0);
    lc_function_free(fn);
}
END_TEST

/* --- SnapStart: environments restored from one snapshot ------------------------------------- */

static lc_function *snap_function(const char *handler)
{
    lc_function_config c = {.name = "snap", .handler = handler, .code_dir = SNAP,
                            .runtime = "python3.12", .timeout_ms = 10000, .snapstart = true};
    lc_function *fn;
    lc_error err = {0};
    ck_assert_msg(lc_function_new(&c, &fn, &err) == LC_OK, "%s", err.message);
    return fn;
}

/* The snapshot templates (started with --snapshot) that are this process's children. */
static size_t snapshots(pid_t *out, size_t max)
{
    pid_t all[16];
    size_t n = templates(all, 16), k = 0;
    for (size_t i = 0; i < n && k < max; i++) {
        char path[64], text[4096];
        snprintf(path, sizeof path, "/proc/%d/cmdline", (int)all[i]);
        FILE *f = fopen(path, "r");
        size_t len = f ? fread(text, 1, sizeof text - 1, f) : 0;
        if (f)
            fclose(f);
        for (size_t j = 0; j + 1 < len; j++)
            if (text[j] == '\0')
                text[j] = ' ';
        text[len] = '\0';
        if (strstr(text, "--snapshot"))
            out[k++] = all[i];
    }
    return k;
}

/* Every environment is restored from one snapshot, the first one too: init ran once (one
 * token), the hooks ran in their orders, and each restored environment reports a restore. */
START_TEST(every_environment_is_restored_from_one_snapshot)
{
    lc_function *fn = snap_function("unique_token.handler");
    lc_result a, b;
    bool copy_a, copy_b;
    run_fresh(fn, true, &a, &copy_a);
    run_fresh(fn, true, &b, &copy_b);
    ck_assert(copy_a && copy_b);
    ck_assert_int_eq(a.end, LC_END_RESPONSE);
    ck_assert(a.restored && b.restored);
    ck_assert_str_eq(a.payload, b.payload); /* the token made during init */
    ck_assert_ptr_nonnull(strstr(a.log, "\tRestore Duration: "));
    ck_assert_ptr_null(strstr(a.log, "Init Duration"));
    lc_result_clear(&a);
    lc_result_clear(&b);
    pid_t found[4];
    ck_assert_uint_eq(snapshots(found, 4), 1);
    lc_emulator_free(em); /* the snapshot ends with the last emulator, as templates do */
    em = NULL;
    ck_assert_uint_eq(snapshots(found, 4), 0);
    lc_function_free(fn);
}
END_TEST

/* Without the fast path, each environment initialises and restores in place: hooks in the same
 * orders, a restore in the REPORT line, and a token of its own. */
START_TEST(without_fast_starts_each_environment_restores_in_place)
{
    lc_function *fn = snap_function("hooks.handler");
    lc_result fast, plain;
    bool copy;
    run_fresh(fn, true, &fast, &copy);
    ck_assert(copy);
    run_fresh(fn, false, &plain, &copy);
    ck_assert(!copy);
    ck_assert(fast.restored && plain.restored);
    ck_assert_str_eq(fast.payload, plain.payload);
    ck_assert_ptr_nonnull(strstr(plain.payload, "[\"before-2:arg\", \"before-1\", \"after-1\", "
                                                "\"after-2\"]"));
    lc_result_clear(&fast);
    lc_result_clear(&plain);
    lc_function_free(fn);
    fn = snap_function("unique_token.handler");
    run_fresh(fn, false, &fast, &copy);
    run_fresh(fn, false, &plain, &copy);
    ck_assert_str_ne(fast.payload, plain.payload);
    lc_result_clear(&fast);
    lc_result_clear(&plain);
    lc_function_free(fn);
}
END_TEST

/* A snapshot template that dies costs a restore: the next environment initialises itself and
 * answers; the one after is restored from a new snapshot. */
START_TEST(a_snapshot_that_dies_is_made_again)
{
    lc_function *fn = snap_function("hooks.handler");
    lc_result r;
    bool copy;
    run_fresh(fn, true, &r, &copy);
    ck_assert(copy);
    lc_result_clear(&r);
    pid_t found[4];
    ck_assert_uint_eq(snapshots(found, 4), 1);
    kill(found[0], SIGKILL);
    usleep(20000);
    run_fresh(fn, true, &r, &copy);
    ck_assert_int_eq(r.end, LC_END_RESPONSE);
    ck_assert(r.restored);
    lc_result_clear(&r);
    run_fresh(fn, true, &r, &copy);
    ck_assert_int_eq(r.end, LC_END_RESPONSE);
    ck_assert(copy);
    lc_result_clear(&r);
    lc_function_free(fn);
}
END_TEST

/* An init that takes more than the function's memory makes no snapshot: the environment
 * initialises itself and ends in Runtime.OutOfMemory, and the next function still gets one. */
START_TEST(an_init_over_memory_makes_no_snapshot)
{
    lc_function *fn = snap_function("init_exhausts_memory.handler");
    lc_result r;
    bool copy;
    run_fresh(fn, true, &r, &copy);
    ck_assert(!copy);
    ck_assert_int_eq(r.end, LC_END_OUT_OF_MEMORY);
    ck_assert_str_eq(r.error_type, "Runtime.OutOfMemory");
    lc_result_clear(&r);
    pid_t found[4];
    ck_assert_uint_eq(snapshots(found, 4), 0);
    lc_function_free(fn);
    fn = snap_function("hooks.handler");
    run_fresh(fn, true, &r, &copy);
    ck_assert(copy);
    ck_assert_int_eq(r.end, LC_END_RESPONSE);
    lc_result_clear(&r);
    lc_function_free(fn);
}
END_TEST

/* After-restore hooks that raise or hang: the Invoke call's own errors, and the environment is
 * gone; a before-snapshot hook that raises is the environment's init error. */
START_TEST(hook_failures_are_reported_as_lambda_reports_them)
{
    lc_function *fn = snap_function("after_restore_raises.handler");
    lc_result r;
    bool copy;
    run_fresh(fn, true, &r, &copy);
    ck_assert_int_eq(r.end, LC_END_RESTORE_ERROR);
    ck_assert_int_eq(r.status_code, 400);
    ck_assert_str_eq(r.error_type, "SnapStartException");
    ck_assert_str_eq(r.function_error, "");
    ck_assert_ptr_nonnull(strstr(r.log, "ConnectionError: the database is not there"));
    ck_assert_ptr_null(strstr(r.log, "START RequestId"));
    lc_result_clear(&r);
    lc_function_free(fn);
    fn = snap_function("before_snapshot_raises.handler");
    run_fresh(fn, true, &r, &copy);
    ck_assert(!copy); /* no snapshot: it initialised itself */
    ck_assert_int_eq(r.end, LC_END_INIT_ERROR);
    ck_assert_str_eq(r.error_type, "ValueError");
    ck_assert(r.n_posts >= 1);
    ck_assert_str_eq(r.posts[r.n_posts - 1].error_type, "Runtime.BeforeSnapshotError");
    lc_result_clear(&r);
    lc_function_free(fn);
}
END_TEST

START_TEST(an_after_restore_hook_that_hangs_times_the_restore_out)
{
    lc_function *fn = snap_function("after_restore_hangs.handler");
    lc_result r;
    bool copy;
    run_fresh(fn, true, &r, &copy);
    ck_assert_int_eq(r.end, LC_END_RESTORE_ERROR);
    ck_assert_int_eq(r.status_code, 408);
    ck_assert_str_eq(r.error_type, "SnapStartTimeoutException");
    lc_result_clear(&r);
    lc_function_free(fn);
}
END_TEST

/* SnapStart only where Lambda offers it: Java 11+, Python 3.12+, .NET 8+. */
START_TEST(snapstart_is_refused_where_lambda_refuses_it)
{
    lc_function_config c = {.name = "snap", .handler = "hooks.handler", .code_dir = SNAP,
                            .runtime = "python3.11", .snapstart = true};
    lc_function *fn = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_function_new(&c, &fn, &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "SnapStart is not available for python3.11"));
}
END_TEST

Suite *fast_start_suite(void)
{
    Suite *s = suite_create("fast_start");
    TCase *t = tcase_create("fast_start");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, a_copy_shows_what_a_new_process_shows);
    tcase_add_test(t, python_variables_of_the_function_act_in_a_copy);
    tcase_add_test(t, copies_share_no_random_state);
    tcase_add_test(t, a_template_that_dies_costs_only_speed);
    tcase_add_test(t, templates_end_with_the_last_emulator);
    tcase_add_test(t, init_errors_in_a_copy_are_those_of_a_new_process);
    tcase_add_test(t, a_start_up_that_prints_gets_new_processes);
    tcase_add_test(t, the_switch_turns_the_templates_off);
    tcase_add_test(t, every_environment_is_restored_from_one_snapshot);
    tcase_add_test(t, without_fast_starts_each_environment_restores_in_place);
    tcase_add_test(t, a_snapshot_that_dies_is_made_again);
    tcase_add_test(t, an_init_over_memory_makes_no_snapshot);
    tcase_add_test(t, hook_failures_are_reported_as_lambda_reports_them);
    tcase_add_test(t, an_after_restore_hook_that_hangs_times_the_restore_out);
    tcase_add_test(t, snapstart_is_refused_where_lambda_refuses_it);
    suite_add_tcase(s, t);
    return s;
}
