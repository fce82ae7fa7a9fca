/* The lambdacheck command: shared pieces of the subcommands. Private to harness/cli. */
#ifndef LAMBDACHECK_CLI_H
#define LAMBDACHECK_CLI_H

#include "lambdacheck/lambdacheck.h"

/* Exit statuses of every subcommand. */
enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

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

#endif
