/* The lambdacheck command: shared pieces of the subcommands. Private to harness/cli. */
#ifndef LAMBDACHECK_CLI_H
#define LAMBDACHECK_CLI_H

#include <getopt.h>

#include "lambdacheck/lambdacheck.h"

/* Exit statuses of every subcommand (CLI_NOT_MINE: an option parser did not know the option). */
enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2, CLI_NOT_MINE = -2 };

/* --- the options that describe a function (function_options.c) ----------------------------- */

enum {
    OPT_HANDLER = 256, OPT_CODE, OPT_FUNCTION_NAME, OPT_TIMEOUT, OPT_TIMEOUT_MS, OPT_MEMORY,
    OPT_ENV, OPT_PYTHON, OPT_RUNTIME_COMMAND, OPT_CONCURRENCY,
    OPT_FUNCTION_LAST /* commands number their own options from here */
};

/* getopt_long entries for the function options, to put first in a command's table. */
#define CLI_FUNCTION_OPTIONS                                                                       \
    {"handler", required_argument, NULL, OPT_HANDLER},                                             \
        {"code", required_argument, NULL, OPT_CODE},                                               \
        {"function-name", required_argument, NULL, OPT_FUNCTION_NAME},                             \
        {"timeout", required_argument, NULL, OPT_TIMEOUT},                                         \
        {"timeout-ms", required_argument, NULL, OPT_TIMEOUT_MS},                                   \
        {"memory", required_argument, NULL, OPT_MEMORY},                                           \
        {"env", required_argument, NULL, OPT_ENV},                                                 \
        {"python", required_argument, NULL, OPT_PYTHON},                                           \
        {"runtime-command", required_argument, NULL, OPT_RUNTIME_COMMAND},                         \
        {"concurrency", required_argument, NULL, OPT_CONCURRENCY}

typedef struct {
    lc_function_config fn; /* strings borrowed from argv */
    json_t *env;           /* --env variables; owned */
} cli_function_args;

/* Takes one function option: CLI_OK, CLI_USAGE (after printing why), or CLI_NOT_MINE. */
int cli_function_option(cli_function_args *a, const char *command, int opt, const char *arg);

/* A whole number in [min, max], or -1 after printing a usage error for command. */
long cli_parse_number(const char *command, const char *option, const char *text, long min,
                      long max);

/* Makes the function, printing the error if it cannot: CLI_OK, CLI_USAGE or CLI_FAILED. */
int cli_make_function(cli_function_args *a, lc_function **out);

/* Prints "lambdacheck: " and the message to stderr, then the usage hint for the subcommand, and
 * returns CLI_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints an lc_error as "lambdacheck: source:line:column: message" to stderr. */
void cli_print_error(const lc_error *err);

/* The folder of bundled fixtures: $LAMBDACHECK_DATA_DIR, else the one this build was made from.
 * Borrowed, static. */
const char *cli_data_dir(void);

/* Subcommands: each takes the arguments after its own name (argv[0] is the subcommand). */
int cli_events(int argc, char **argv);
int cli_invoke(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_contracts(int argc, char **argv);
int cli_report(int argc, char **argv);

#endif
