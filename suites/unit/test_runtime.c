#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lambdacheck/function.h"
#include "lambdacheck/runtime.h"
#include "suites.h"

#ifndef LC_FIXTURES_DIR
#define LC_FIXTURES_DIR "fixtures"
#endif

START_TEST(todays_runtimes_are_known_with_their_execution_env)
{
    const char *names[] = {"python3.14", "nodejs24.x", "java25", "dotnet10", "ruby3.4"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        lc_runtime r = lc_runtime_from_name(names[i]);
        ck_assert_msg(r != LC_RUNTIME_UNKNOWN, "%s is not known", names[i]);
        ck_assert_str_eq(lc_runtime_name(r), names[i]);
        char env[64], want[64];
        ck_assert(lc_runtime_execution_env(r, env, sizeof env));
        snprintf(want, sizeof want, "AWS_Lambda_%s", names[i]);
        ck_assert_str_eq(env, want);
    }
    ck_assert_int_eq(lc_runtime_from_name("nodejs26.x"), LC_RUNTIME_UNKNOWN);
}
END_TEST

START_TEST(new_runtimes_have_their_siblings_error_shapes)
{
    ck_assert_int_eq(lc_runtime_family_of(LC_RUNTIME_PYTHON3_14), LC_FAMILY_PYTHON);
    ck_assert_str_eq(lc_runtime_error_keys(LC_RUNTIME_PYTHON3_14),
                     lc_runtime_error_keys(LC_RUNTIME_PYTHON3_13));
    ck_assert(lc_runtime_errors_carry_request_id(LC_RUNTIME_PYTHON3_14));
    ck_assert_int_eq(lc_runtime_family_of(LC_RUNTIME_NODEJS24), LC_FAMILY_NODE);
    ck_assert_str_eq(lc_runtime_version(LC_RUNTIME_NODEJS24), "24");
    ck_assert_str_eq(lc_runtime_error_keys(LC_RUNTIME_NODEJS24), "errorType,errorMessage,trace");
    ck_assert_str_eq(lc_runtime_error_keys(LC_RUNTIME_JAVA25),
                     lc_runtime_error_keys(LC_RUNTIME_JAVA21));
    ck_assert_ptr_null(lc_runtime_error_keys(LC_RUNTIME_DOTNET10));
    ck_assert_ptr_null(lc_runtime_error_keys(LC_RUNTIME_RUBY3_4));
    ck_assert_int_eq(lc_runtime_family_of(LC_RUNTIME_RUBY3_4), LC_FAMILY_OTHER);
    ck_assert_int_eq(lc_runtime_python(14), LC_RUNTIME_PYTHON3_14);
}
END_TEST

START_TEST(deprecated_runtimes_say_since_when)
{
    ck_assert_str_eq(lc_runtime_deprecated(LC_RUNTIME_NODEJS18), "2025-09-01");
    ck_assert_str_eq(lc_runtime_deprecated(LC_RUNTIME_PYTHON3_9), "2025-12-15");
    ck_assert_ptr_null(lc_runtime_deprecated(LC_RUNTIME_NODEJS24));
    ck_assert_ptr_null(lc_runtime_deprecated(LC_RUNTIME_PYTHON3_13));
    ck_assert_ptr_null(lc_runtime_deprecated(LC_RUNTIME_UNKNOWN));
    ck_assert_ptr_null(lc_runtime_deprecated(LC__RUNTIME_COUNT));
}
END_TEST

START_TEST(python3_14_without_an_interpreter_is_an_error_naming_it)
{
    if (access("/usr/bin/python3.14", X_OK) == 0 || access("/usr/local/bin/python3.14", X_OK) == 0)
        return; /* this machine has one where the lookup always finds it */
    char empty[] = "/tmp/lc_nopython_XXXXXX", *path = strdup(getenv("PATH"));
    const char *root = getenv("PYENV_ROOT");
    char *pyenv = root ? strdup(root) : NULL;
    ck_assert_ptr_nonnull(mkdtemp(empty));
    setenv("PATH", empty, 1);
    setenv("PYENV_ROOT", empty, 1);
    lc_function_config c = {.name = "fn",
                            .handler = "app.handler",
                            .code_dir = LC_FIXTURES_DIR "/functions/fidelity",
                            .runtime = "python3.14"};
    lc_function *fn = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_function_new(&c, &fn, &err), LC_ESPAWN);
    ck_assert_msg(strstr(err.message, "runtime python3.14 needs a python3.14 interpreter"), "%s",
                  err.message);
    setenv("PATH", path, 1);
    if (pyenv)
        setenv("PYENV_ROOT", pyenv, 1);
    else
        unsetenv("PYENV_ROOT");
    free(path);
    free(pyenv);
    rmdir(empty);
}
END_TEST

Suite *runtime_suite(void)
{
    Suite *s = suite_create("runtime");
    TCase *core = tcase_create("core");
    tcase_add_test(core, todays_runtimes_are_known_with_their_execution_env);
    tcase_add_test(core, new_runtimes_have_their_siblings_error_shapes);
    tcase_add_test(core, deprecated_runtimes_say_since_when);
    suite_add_tcase(s, core);
    TCase *errors = tcase_create("errors");
    tcase_add_test(errors, python3_14_without_an_interpreter_is_an_error_naming_it);
    suite_add_tcase(s, errors);
    return s;
}
