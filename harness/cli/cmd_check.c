/* lambdacheck check: run case folders of handler libraries against a target. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char check_usage[] =
    "usage: lambdacheck check [options] [MANIFEST | DIR]...\n"
    "\n"
    "Runs the cases of each handler library (a lambdacheck.json manifest, or a folder holding\n"
    "one; default: the current folder) and checks each response against the case's expectations\n"
    "and the Lambda contract. Locally (the default) the functions run in the embedded emulator;\n"
    "with --endpoint-url they are called through that Invoke API (deployed, serve, LocalStack).\n"
    "\n"
    "options:\n"
    "  --endpoint-url URL       run against this Invoke API instead of the embedded emulator\n"
    "  --function-prefix P      remote only: call function NAME as P+NAME (deployed stacks)\n"
    "  --python PATH            interpreter for Python functions (local)\n"
    "  --runtime-command CMD    run every function under CMD instead (local; '{python}' is the\n"
    "                           interpreter), e.g. '{python} -m awslambdaric'\n"
    "  --jobs N                 cases at once (default 2)\n"
    "  --coverage               measure Python handler code with coverage.py (local; see\n"
    "                           --python) and write lcov and HTML to --coverage-dir\n"
    "  --coverage-dir DIR       default reports/coverage/handlers\n"
    "  --junit FILE             write JUnit XML\n"
    "  --json FILE              write the results as JSON\n"
    "\n"
    "Prints one line per case and a closing 'N passed, N failed'. Exit status: 0 when every\n"
    "case passed, 1 when one failed or could not run, 2 bad usage.\n";

typedef struct {
    const char *endpoint_url;
    const char *prefix;
    const char *python;
    const char *runtime_command;
    const char *junit;
    const char *json;
    const char *coverage_dir;
    bool coverage;
    int jobs;
} check_args;

enum { OPT_ENDPOINT = OPT_FUNCTION_LAST, OPT_PREFIX, OPT_JOBS, OPT_JUNIT, OPT_JSON,
       OPT_CHECK_PYTHON, OPT_CHECK_RUNTIME, OPT_COVERAGE, OPT_COVERAGE_DIR, OPT_HELP };

static const struct option long_options[] = {
    {"endpoint-url", required_argument, NULL, OPT_ENDPOINT},
    {"function-prefix", required_argument, NULL, OPT_PREFIX},
    {"python", required_argument, NULL, OPT_CHECK_PYTHON},
    {"runtime-command", required_argument, NULL, OPT_CHECK_RUNTIME},
    {"jobs", required_argument, NULL, OPT_JOBS},
    {"junit", required_argument, NULL, OPT_JUNIT},
    {"json", required_argument, NULL, OPT_JSON},
    {"coverage", no_argument, NULL, OPT_COVERAGE},
    {"coverage-dir", required_argument, NULL, OPT_COVERAGE_DIR},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int take_option(check_args *a, int opt, const char *arg)
{
    long v;
    switch (opt) {
    case OPT_ENDPOINT: a->endpoint_url = arg; return CLI_OK;
    case OPT_PREFIX: a->prefix = arg; return CLI_OK;
    case OPT_CHECK_PYTHON: a->python = arg; return CLI_OK;
    case OPT_CHECK_RUNTIME: a->runtime_command = arg; return CLI_OK;
    case OPT_JUNIT: a->junit = arg; return CLI_OK;
    case OPT_JSON: a->json = arg; return CLI_OK;
    case OPT_COVERAGE: a->coverage = true; return CLI_OK;
    case OPT_COVERAGE_DIR: a->coverage_dir = arg; return CLI_OK;
    case OPT_JOBS:
        if ((v = cli_parse_number("check ", "--jobs", arg, 1, 64)) < 0)
            return CLI_USAGE;
        a->jobs = (int)v;
        return CLI_OK;
    default:
        return cli_usage_error("check ", "unknown option");
    }
}

static int parse_args(int argc, char **argv, check_args *a)
{
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        if (opt == OPT_HELP || opt == 'h') {
            fputs(check_usage, stdout);
            return -1;
        }
        if (opt == '?')
            return cli_usage_error("check ", "unknown option '%s'", argv[optind - 1]);
        int rc = take_option(a, opt, optarg);
        if (rc != CLI_OK)
            return rc;
    }
    if (a->prefix && a->endpoint_url == NULL)
        return cli_usage_error("check ", "--function-prefix needs --endpoint-url");
    if (a->coverage && a->endpoint_url)
        return cli_usage_error("check ", "--coverage measures local functions: not with "
                                         "--endpoint-url");
    return CLI_OK;
}

static void print_case(const lc_case_result *r, void *ctx)
{
    (void)ctx;
    lc_report_case(stdout, r, isatty(STDOUT_FILENO));
    fflush(stdout);
}

static lc_target *make_target(const check_args *a)
{
    lc_target *t = NULL;
    lc_error err = {0};
    lc_status st;
    if (a->endpoint_url) {
        lc_credentials cred;
        lc_error ignore = {0};
        bool keys = lc_credentials_load(NULL, &cred, &ignore) == LC_OK;
        lc_client_options o = {.endpoint_url = a->endpoint_url, .sign = keys,
                               .region = cred.region[0] ? NULL : "us-east-1"};
        st = lc_target_new_remote(&o, &t, &err);
    } else {
        st = lc_target_new_local(&t, &err);
    }
    if (st != LC_OK)
        cli_print_error(&err);
    return t;
}

static int write_reports(const check_args *a, const lc_run *run)
{
    lc_error err = {0};
    if ((a->junit && lc_report_junit(run, a->junit, &err) != LC_OK) ||
        (a->json && lc_report_json(run, a->json, &err) != LC_OK)) {
        cli_print_error(&err);
        return CLI_FAILED;
    }
    return CLI_OK;
}

static int report_coverage(const lc_handler_coverage *cov)
{
    lc_coverage_totals t = {0};
    lc_error err = {0};
    if (lc_handler_coverage_report(cov, &t, &err) != LC_OK) {
        cli_print_error(&err);
        return CLI_FAILED;
    }
    printf("handler coverage: %.1f%% (%ld of %ld lines) -> %s/index.html\n", t.percent,
           t.covered, t.lines, cov->dir);
    return CLI_OK;
}

static int run_manifests(const check_args *a, lc_target *target, const lc_handler_coverage *cov,
                         int argc, char **argv, lc_run *run)
{
    lc_runner_options opt = {.target = target, .function_prefix = a->prefix, .python = a->python,
                             .runtime_command = a->runtime_command, .jobs = a->jobs,
                             .python_runtime_command = cov ? cov->command : NULL,
                             .on_case = print_case};
    const char *here[] = {"."};
    char **paths = optind < argc ? argv + optind : (char **)here;
    int count = optind < argc ? argc - optind : 1, rc = CLI_OK;
    for (int i = 0; i < count; i++) {
        lc_error err = {0};
        if (lc_runner_run(paths[i], &opt, run, &err) != LC_OK) {
            cli_print_error(&err);
            rc = CLI_FAILED;
        }
    }
    return rc;
}

int cli_check(int argc, char **argv)
{
    check_args a = {.jobs = 2, .coverage_dir = "reports/coverage/handlers"};
    int rc = parse_args(argc, argv, &a);
    if (rc != CLI_OK)
        return rc < 0 ? CLI_OK : rc;
    lc_handler_coverage cov;
    lc_error err = {0};
    if (a.coverage && lc_handler_coverage_prepare(a.python, a.coverage_dir, &cov, &err) != LC_OK) {
        cli_print_error(&err);
        return CLI_FAILED;
    }
    lc_target *target = make_target(&a);
    if (target == NULL)
        return CLI_FAILED;
    lc_run *run = lc_run_new();
    rc = run_manifests(&a, target, a.coverage ? &cov : NULL, argc, argv, run);
    lc_target_free(target); /* runtimes end here, saving their coverage data */
    lc_report_summary(stdout, run);
    if (write_reports(&a, run) != CLI_OK || lc_run_failed(run) > 0)
        rc = CLI_FAILED;
    if (a.coverage && report_coverage(&cov) != CLI_OK)
        rc = CLI_FAILED;
    lc_run_free(run);
    return rc;
}
