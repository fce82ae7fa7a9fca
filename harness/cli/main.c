/* lambdacheck: the command line entry point; dispatches to one file per subcommand. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef LAMBDACHECK_DEFAULT_DATA_DIR
#define LAMBDACHECK_DEFAULT_DATA_DIR "fixtures"
#endif

static const char usage_text[] =
    "usage: lambdacheck [--help] [--version] COMMAND [ARGS]\n"
    "\n"
    "Test harness and conformance suite for AWS Lambda handlers.\n"
    "\n"
    "commands:\n"
    "  events detect FILE...   name the event source of each event file\n"
    "  events list             list the bundled sample events\n"
    "  events show SOURCE      print a bundled sample event (SOURCE or SOURCE/NAME)\n"
    "  events generate SOURCE  print a fresh, valid event of SOURCE (ids, time, parameters)\n"
    "  invoke                  run a handler once in the embedded emulator, or call a\n"
    "                          function through an Invoke API (--endpoint-url)\n"
    "  serve                   serve a handler through the Invoke API on 127.0.0.1\n"
    "  check [MANIFEST|DIR]... run the cases of handler libraries and check the contract\n"
    "  contracts verify        check a response against its event source's contract\n"
    "  report merge            merge the JSON reports of shards into one JUnit or JSON report\n"
    "\n"
    "Run 'lambdacheck COMMAND --help' for a command's options.\n";

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    fputs("lambdacheck: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'lambdacheck %s--help'.\n", command ? command : "");
    return CLI_USAGE;
}

void cli_print_error(const lc_error *err)
{
    char text[1024];
    fprintf(stderr, "lambdacheck: %s\n", lc_error_format(err, text, sizeof text));
}

const char *cli_data_dir(void)
{
    const char *dir = getenv("LAMBDACHECK_DATA_DIR");
    return dir && dir[0] ? dir : LAMBDACHECK_DEFAULT_DATA_DIR;
}

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"events", cli_events},
    {"invoke", cli_invoke},
    {"serve", cli_serve},
    {"check", cli_check},
    {"contracts", cli_contracts},
    {"report", cli_report},
};

int main(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(NULL, "missing command");
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        fputs(usage_text, stdout);
        return CLI_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("lambdacheck %s\n", lc_version());
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(name, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    if (name[0] == '-')
        return cli_usage_error(NULL, "unknown option '%s'", name);
    return cli_usage_error(NULL, "unknown command '%s'", name);
}
