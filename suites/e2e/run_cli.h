/* Runs the lambdacheck binary for end-to-end tests and captures what it printed. */
#ifndef LC_RUN_CLI_H
#define LC_RUN_CLI_H

#include <stdbool.h>

typedef struct {
    int status;   /* exit status, or 128 + signal number */
    char *out;    /* standard output, NUL-terminated; free with cli_result_free() */
    char *err;    /* standard error, likewise */
} cli_result;

/* Runs LC_CLI_PATH with the NULL-terminated args (not counting argv[0]), feeding stdin_text
 * (NULL: empty) and extra environment entries "K=V" (NULL-terminated list, may be NULL).
 * The child dies with the test (PR_SET_PDEATHSIG) and is killed after timeout_ms. */
cli_result run_cli(const char *const *args, const char *stdin_text, const char *const *env,
                   int timeout_ms);

/* Runs another program (argv[0] an absolute path) in a process group of its own, with no
 * standard input, capturing its output; it and everything it started are killed after
 * timeout_ms, and when it exits. */
cli_result run_command(const char *const *argv, int timeout_ms);

void cli_result_free(cli_result *r);

/* True when process pid no longer runs: it is gone, or a zombie waiting to be reaped. */
bool process_gone(long pid);

/* Fails the test unless needle is in haystack, showing both. */
#define ck_assert_contains(haystack, needle)                                                       \
    ck_assert_msg(strstr(haystack, needle) != NULL, "\"%s\" not in:\n%s", needle, haystack)

/* The lambdacheck binary the suites run: $LAMBDACHECK_E2E_CLI when set (to run the suites against
 * another build, such as an earlier one), else this build's. */
const char *cli_path(void);

#endif
