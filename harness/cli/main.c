/* lambdacheck: the command line entry point; dispatches to one file per subcommand. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "cli.h"

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
    "  where                   print where the bundled runtime clients and sample events are\n"
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
    return lc_bundled_dir(LC_BUNDLED_DATA);
}

/* lambdacheck where: the folders of the bundled files (install.h), for a moved or installed tree. */
static int cli_where(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        puts("usage: lambdacheck where\n\n"
             "Prints the folders the bundled runtime clients and sample events are taken from\n"
             "(next to the command when installed; LAMBDACHECK_RUNTIME_DIR and\n"
             "LAMBDACHECK_DATA_DIR override).");
        return CLI_OK;
    }
    if (argc > 1)
        return cli_usage_error(NULL, "where takes no arguments");
    printf("python runtime client  %s\n", lc_bundled_dir(LC_BUNDLED_PYTHON_RUNTIME));
    printf("node runtime client    %s\n", lc_bundled_dir(LC_BUNDLED_NODE_RUNTIME));
    printf("sample events          %s/events\n", lc_bundled_dir(LC_BUNDLED_DATA));
    return CLI_OK;
}

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"where", cli_where},
    {"events", cli_events},
    {"invoke", cli_invoke},
    {"serve", cli_serve},
    {"check", cli_check},
    {"contracts", cli_contracts},
    {"report", cli_report},
};

int main(int argc, char **argv)
{
    /* What a function starts stays below its runtime (each runtime is a subreaper); when a
       runtime dies first, its orphans come here instead of to init, and are killed with its
       environment. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
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
