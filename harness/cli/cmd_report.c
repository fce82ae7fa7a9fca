/* lambdacheck report merge: one report from the JSON reports of a suite's shards. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char report_usage[] =
    "usage: lambdacheck report merge [--junit FILE] [--json FILE] REPORT.json...\n"
    "\n"
    "Merges the JSON reports that 'lambdacheck check --json' wrote (for example one per\n"
    "--shard K/N of a CI matrix) into one JUnit XML and/or JSON report, and prints the summary.\n"
    "Exit status: 0 every merged case passed, 1 one failed or a report cannot be read, 2 bad\n"
    "usage.\n";

static int merge(int argc, char **argv)
{
    static const struct option options[] = {{"junit", required_argument, NULL, 'j'},
                                            {"json", required_argument, NULL, 's'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *junit = NULL, *json = NULL;
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (opt == 'h') {
            fputs(report_usage, stdout);
            return CLI_OK;
        }
        if (opt == '?')
            return cli_usage_error("report ", "unknown option '%s'", argv[optind - 1]);
        *(opt == 'j' ? &junit : &json) = optarg;
    }
    if (optind >= argc)
        return cli_usage_error("report ", "merge needs at least one JSON report");
    lc_run *run = lc_run_new();
    lc_error err = {0};
    int rc = CLI_OK;
    for (int i = optind; i < argc && rc == CLI_OK; i++)
        if (lc_report_read_json(argv[i], run, &err) != LC_OK)
            rc = CLI_FAILED;
    if (rc == CLI_OK && ((junit && lc_report_junit(run, junit, &err) != LC_OK) ||
                         (json && lc_report_json(run, json, &err) != LC_OK)))
        rc = CLI_FAILED;
    if (rc != CLI_OK)
        cli_print_error(&err);
    else
        lc_report_summary(stdout, run);
    if (rc == CLI_OK && lc_run_failed(run) > 0)
        rc = CLI_FAILED;
    lc_run_free(run);
    return rc;
}

int cli_report(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("report ", "missing report command (merge)");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(report_usage, stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "merge") == 0)
        return merge(argc - 1, argv + 1);
    return cli_usage_error("report ", "unknown report command '%s'", argv[1]);
}
