/* lambdacheck check: run case folders of handler libraries against a target. */
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static const char check_usage[] =
    "usage: lambdacheck check [options] [MANIFEST | DIR | CASE]...\n"
    "\n"
    "Runs the cases of each handler library (a lambdacheck.json manifest, or a folder holding\n"
    "one; default: the current folder), or only the cases named (a case.json, or the folder\n"
    "holding it; its library is the nearest manifest above it), and checks each response\n"
    "against the case's expectations and the Lambda contract. Locally (the default) the\n"
    "functions run in the embedded emulator, each case in fresh execution environments of its\n"
    "own; with --endpoint-url they are called through that Invoke API (deployed, serve,\n"
    "LocalStack).\n"
    "\n"
    "options:\n"
    "  --endpoint-url URL       run against this Invoke API instead of the embedded emulator\n"
    "  --function-prefix P      remote only: call function NAME as P+NAME (deployed stacks)\n"
    "  --aws-endpoint URL       local: the functions' AWS calls go to URL (LocalStack, DynamoDB\n"
    "                           Local, a moto server) instead of lambdacheck's stubs; without\n"
    "                           it they reach lambdacheck's endpoint, which answers the cases'\n"
    "                           \"aws\" stubs and refuses the rest at once\n"
    "  --python PATH            interpreter for Python functions (local)\n"
    "  --runtime-command CMD    run every function under CMD instead (local; '{python}' is the\n"
    "                           interpreter), e.g. '{python} -m awslambdaric'; words are split\n"
    "                           as a shell would (quotes, backslashes), without a shell\n"
    CLI_FUNCTION_ISOLATION_HELP
    "                           (these for every function, over what its manifest says; a\n"
    "                           manifest's \"template\" takes its functions from a SAM template)\n"
    "  --jobs N                 cases at once (default 2)\n"
    "  --filter PATTERN         run only the cases whose id (library/case) matches: a glob when\n"
    "                           it has * ? or [, else a part of the id (repeatable: any matches)\n"
    "  --shard K/N              run the K-th of N deterministic shares of the cases (CI matrix)\n"
    "  --list                   print the ids of the cases that would run, and run nothing\n"
    "  --verbose                print the whole log of a failed case (default: its last lines),\n"
    "                           and each Python function's interpreter (and why) and boto3\n"
    "  --coverage               measure handler code (local): Python's with coverage.py (see\n"
    "                           --python), Node.js's with V8's; lcov and HTML to --coverage-dir\n"
    "  --coverage-dir DIR       default reports/coverage/handlers\n"
    "  --junit FILE             write JUnit XML (its folder is created)\n"
    "  --json FILE              write the results as JSON (merge shards with 'lambdacheck report\n"
    "                           merge')\n"
    "\n"
    "Prints one line per case, in case order, and a closing 'N passed, N failed'.\n"
    "Exit status: 0 every case passed; 1 a case failed or could not run; 2 bad usage; 3 a\n"
    "handler library has problems (a manifest or case file is wrong: every problem is listed\n"
    "and nothing runs); 5 no case was found or selected.\n";

enum { CHECK_PROBLEMS = 3, CHECK_NO_CASES = 5 };

#define MAX_FILTERS 32

typedef struct {
    const char *endpoint_url;
    const char *aws_endpoint;
    const char *prefix;
    const char *python;
    const char *runtime_command;
    const char *junit;
    const char *json;
    const char *coverage_dir;
    const char *filters[MAX_FILTERS];
    int n_filters;
    int shard, shards; /* 1-based K of N; 0: no sharding */
    bool coverage, list, verbose, host_packages, host_credentials;
    int jobs;
    lc_credentials creds;
    const char *region, *account, *env_vars_path;
    json_t *parameters; /* --parameter-overrides; owned */
    json_t *env_vars;   /* the --env-vars file; owned */
} check_args;

enum { OPT_ENDPOINT = OPT_FUNCTION_LAST, OPT_PREFIX, OPT_JOBS, OPT_JUNIT, OPT_JSON,
       OPT_CHECK_PYTHON, OPT_CHECK_RUNTIME, OPT_COVERAGE, OPT_COVERAGE_DIR, OPT_FILTER,
       OPT_SHARD, OPT_LIST, OPT_VERBOSE, OPT_CHECK_HOST_PACKAGES, OPT_CHECK_CREDENTIALS,
       OPT_CHECK_REGION, OPT_CHECK_ACCOUNT, OPT_CHECK_PARAMETERS, OPT_CHECK_ENV_VARS,
       OPT_CHECK_AWS_ENDPOINT, OPT_HELP };

static const struct option long_options[] = {
    {"endpoint-url", required_argument, NULL, OPT_ENDPOINT},
    {"function-prefix", required_argument, NULL, OPT_PREFIX},
    {"aws-endpoint", required_argument, NULL, OPT_CHECK_AWS_ENDPOINT},
    {"python", required_argument, NULL, OPT_CHECK_PYTHON},
    {"runtime-command", required_argument, NULL, OPT_CHECK_RUNTIME},
    {"jobs", required_argument, NULL, OPT_JOBS},
    {"junit", required_argument, NULL, OPT_JUNIT},
    {"json", required_argument, NULL, OPT_JSON},
    {"coverage", no_argument, NULL, OPT_COVERAGE},
    {"coverage-dir", required_argument, NULL, OPT_COVERAGE_DIR},
    {"filter", required_argument, NULL, OPT_FILTER},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"list", no_argument, NULL, OPT_LIST},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"host-packages", no_argument, NULL, OPT_CHECK_HOST_PACKAGES},
    {"plain-start", no_argument, NULL, OPT_PLAIN_START},
    {"credentials", required_argument, NULL, OPT_CHECK_CREDENTIALS},
    {"region", required_argument, NULL, OPT_CHECK_REGION},
    {"account", required_argument, NULL, OPT_CHECK_ACCOUNT},
    {"parameter-overrides", required_argument, NULL, OPT_CHECK_PARAMETERS},
    {"env-vars", required_argument, NULL, OPT_CHECK_ENV_VARS},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int parse_shard(check_args *a, const char *arg)
{
    int k = 0, n = 0;
    char tail;
    if (sscanf(arg, "%d/%d%c", &k, &n, &tail) != 2 || n < 1 || k < 1 || k > n)
        return cli_usage_error("check ", "--shard takes K/N with 1 <= K <= N, not '%s'", arg);
    a->shard = k;
    a->shards = n;
    return CLI_OK;
}

static int take_option(check_args *a, int opt, const char *arg)
{
    long v;
    switch (opt) {
    case OPT_ENDPOINT: a->endpoint_url = arg; return CLI_OK;
    case OPT_PREFIX: a->prefix = arg; return CLI_OK;
    case OPT_CHECK_AWS_ENDPOINT: return cli_aws_endpoint_arg("check ", arg, &a->aws_endpoint);
    case OPT_CHECK_PYTHON: a->python = arg; return CLI_OK;
    case OPT_CHECK_RUNTIME: a->runtime_command = arg; return CLI_OK;
    case OPT_JUNIT: a->junit = arg; return CLI_OK;
    case OPT_JSON: a->json = arg; return CLI_OK;
    case OPT_COVERAGE: a->coverage = true; return CLI_OK;
    case OPT_COVERAGE_DIR: a->coverage_dir = arg; return CLI_OK;
    case OPT_LIST: a->list = true; return CLI_OK;
    case OPT_VERBOSE: a->verbose = true; return CLI_OK;
    case OPT_CHECK_HOST_PACKAGES: a->host_packages = true; return CLI_OK;
    case OPT_PLAIN_START: lc_environment_set_fast_start(false); return CLI_OK;
    case OPT_CHECK_REGION: a->region = arg; return CLI_OK;
    case OPT_CHECK_ACCOUNT: a->account = arg; return CLI_OK;
    case OPT_CHECK_PARAMETERS: return cli_parameter_overrides(&a->parameters, "check ", arg);
    case OPT_CHECK_ENV_VARS: a->env_vars_path = arg; return CLI_OK;
    case OPT_CHECK_CREDENTIALS:
        if (strcmp(arg, "host") != 0 && strcmp(arg, "dummy") != 0)
            return cli_usage_error("check ", "--credentials takes host or dummy, not '%s'", arg);
        a->host_credentials = strcmp(arg, "host") == 0;
        return CLI_OK;
    case OPT_SHARD: return parse_shard(a, arg);
    case OPT_FILTER:
        if (a->n_filters == MAX_FILTERS)
            return cli_usage_error("check ", "at most %d --filter patterns", MAX_FILTERS);
        a->filters[a->n_filters++] = arg;
        return CLI_OK;
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
    if (a->aws_endpoint && a->endpoint_url)
        return cli_usage_error("check ", "--aws-endpoint points local functions at an AWS "
                                         "endpoint: a deployed function's calls go to AWS, not "
                                         "with --endpoint-url");
    if (a->coverage && a->endpoint_url)
        return cli_usage_error("check ", "--coverage measures local functions: not with "
                                         "--endpoint-url");
    return CLI_OK;
}

/* --- libraries -------------------------------------------------------------------------------- */

/* The cases named on the command line for one library (by their case.json's real path);
 * none: every case of the library. */
typedef struct {
    char **paths; /* owned */
    size_t count;
    bool whole;   /* the library itself was named too */
} case_request;

typedef struct {
    lc_library **items;
    case_request *requests; /* one per item */
    int count;
} libraries;

static void free_libraries(libraries *libs)
{
    for (int i = 0; i < libs->count; i++) {
        lc_library_free(libs->items[i]);
        for (size_t k = 0; k < libs->requests[i].count; k++)
            free(libs->requests[i].paths[k]);
        free(libs->requests[i].paths);
    }
    free(libs->items);
    free(libs->requests);
}

/* --- arguments that name a case ------------------------------------------------------------------ */

static bool is_file(const char *path, int mode)
{
    struct stat st;
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == (mode_t)mode;
}

/* If arg names a case (a case.json, or a folder holding one and no manifest), its case.json's
 * real path in out. */
static bool names_a_case(const char *arg, char out[PATH_MAX])
{
    char probe[PATH_MAX];
    const char *slash = strrchr(arg, '/');
    const char *base = slash ? slash + 1 : arg;
    if (strcmp(base, "case.json") == 0 && is_file(arg, S_IFREG))
        return realpath(arg, out) != NULL;
    if (!is_file(arg, S_IFDIR))
        return false;
    snprintf(probe, sizeof probe, "%s/lambdacheck.json", arg);
    if (is_file(probe, S_IFREG))
        return false;
    snprintf(probe, sizeof probe, "%s/case.json", arg);
    return is_file(probe, S_IFREG) && realpath(probe, out) != NULL;
}

/* The nearest folder above case_json holding a lambdacheck.json, in out; false if none. */
static bool manifest_above(const char *case_json, char out[PATH_MAX])
{
    snprintf(out, PATH_MAX, "%s", case_json);
    char *slash;
    while ((slash = strrchr(out, '/')) != NULL) {
        *slash = '\0';
        char probe[PATH_MAX + 32];
        snprintf(probe, sizeof probe, "%s/lambdacheck.json", out[0] ? out : "");
        if (is_file(probe, S_IFREG)) {
            if (out[0] == '\0')
                snprintf(out, PATH_MAX, "/");
            return true;
        }
    }
    return false;
}

/* The library already loaded from that manifest folder, or -1. */
static int loaded_from(const libraries *libs, const char *dir)
{
    for (int i = 0; i < libs->count; i++) {
        char manifest[PATH_MAX], real[PATH_MAX];
        snprintf(manifest, sizeof manifest, "%s", lc_library_manifest(libs->items[i]));
        char *slash = strrchr(manifest, '/');
        if (slash)
            *slash = '\0';
        if (realpath(slash ? manifest : ".", real) && strcmp(real, dir) == 0)
            return i;
    }
    return -1;
}

static bool request_case(case_request *r, const char *case_json)
{
    char **grown = realloc(r->paths, (r->count + 1) * sizeof *grown);
    if (grown == NULL)
        return false;
    r->paths = grown;
    r->paths[r->count] = strdup(case_json);
    return r->paths[r->count++] != NULL;
}

/* Whether case i of library l runs by what the command line named. */
static bool requested(const libraries *libs, int l, size_t i)
{
    const case_request *r = &libs->requests[l];
    if (r->whole || r->count == 0)
        return true;
    char real[PATH_MAX];
    if (realpath(lc_library_case_path(libs->items[l], i), real) == NULL)
        return false;
    for (size_t k = 0; k < r->count; k++)
        if (strcmp(r->paths[k], real) == 0)
            return true;
    return false;
}

/* A named case that its library did not find (outside its cases folders): a problem. */
static int unfound_cases(const libraries *libs)
{
    int problems = 0;
    for (int l = 0; l < libs->count; l++)
        for (size_t k = 0; k < libs->requests[l].count; k++) {
            bool found = false;
            for (size_t i = 0; !found && i < lc_library_case_count(libs->items[l]); i++) {
                char real[PATH_MAX];
                found = realpath(lc_library_case_path(libs->items[l], i), real) &&
                        strcmp(real, libs->requests[l].paths[k]) == 0;
            }
            if (!found) {
                fprintf(stderr, "lambdacheck: %s: not a case of %s (its cases are found in %s)\n",
                        libs->requests[l].paths[k], lc_library_manifest(libs->items[l]),
                        lc_library_case_folders(libs->items[l]));
                problems++;
            }
        }
    return problems;
}

/* The last `parts` components of the library's manifest folder ("a/hello-app"). */
static void name_from_path(const lc_library *lib, int parts, char *out, size_t size)
{
    char real[PATH_MAX], dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", lc_library_manifest(lib));
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    const char *path = realpath(slash ? dir : ".", real) ? real : dir;
    const char *start = path + strlen(path);
    for (int k = 0; k < parts && start > path; k++)
        do
            start--;
        while (start > path && start[-1] != '/');
    snprintf(out, size, "%s", start);
}

/* Two libraries of one name (two projects' "app" folders) are told apart by their paths. */
static void distinct_names(libraries *libs)
{
    for (int parts = 2; parts < 8; parts++) {
        bool clash = false;
        for (int i = 0; i < libs->count; i++)
            for (int j = i + 1; j < libs->count; j++)
                if (strcmp(lc_library_name(libs->items[i]), lc_library_name(libs->items[j])) == 0) {
                    char a[256], b[256];
                    name_from_path(libs->items[i], parts, a, sizeof a);
                    name_from_path(libs->items[j], parts, b, sizeof b);
                    lc_library_set_name(libs->items[i], a);
                    lc_library_set_name(libs->items[j], b);
                    clash = true;
                }
        if (!clash)
            return;
    }
}

/* Loads one library (manifest or folder); prints its problems and notes. NULL on error. */
static lc_library *load_one(const char *path, const lc_library_options *opt, bool verbose,
                            int *problems)
{
    lc_error err = {0};
    lc_library *lib;
    if (lc_library_load(path, opt, &lib, &err) != LC_OK) {
        cli_print_error(&err);
        (*problems)++;
        return NULL;
    }
    cli_print_notes(lib);
    for (size_t f = 0; verbose && f < lc_library_function_count(lib); f++) {
        char label[512];
        snprintf(label, sizeof label, "%s/%s", lc_library_name(lib),
                 lc_library_function_name(lib, f));
        cli_print_python_choice(label, lc_library_function(lib, f));
    }
    for (size_t k = 0; k < lc_library_problem_count(lib); k++, (*problems)++)
        fprintf(stderr, "lambdacheck: %s\n", lc_library_problem(lib, k));
    return lib;
}

/* Takes one command-line path: a manifest, a library folder, or a case (its library is the
 * nearest manifest above it, loaded once however many of its cases are named). */
static void take_path(const char *path, const lc_library_options *opt, bool verbose,
                      libraries *libs, int *problems)
{
    char case_json[PATH_MAX], dir[PATH_MAX];
    bool one_case = names_a_case(path, case_json);
    if (one_case && !manifest_above(case_json, dir)) {
        fprintf(stderr, "lambdacheck: %s: a case, but no folder above it holds a "
                        "lambdacheck.json to say which functions it calls\n", path);
        (*problems)++;
        return;
    }
    int at = one_case ? loaded_from(libs, dir) : -1;
    if (at < 0) {
        lc_library *lib = load_one(one_case ? dir : path, opt, verbose, problems);
        if (lib == NULL)
            return;
        at = libs->count++;
        libs->items[at] = lib;
        libs->requests[at] = (case_request){0};
    }
    if (!one_case)
        libs->requests[at].whole = true;
    else if (!request_case(&libs->requests[at], case_json)) {
        fprintf(stderr, "lambdacheck: out of memory\n");
        (*problems)++;
    }
}

/* Loads every library; prints every problem. CLI_OK, or CHECK_PROBLEMS when any library has. */
static int load_libraries(const check_args *a, const char *coverage_command,
                          const char *coverage_node_dir, int argc, char **argv, libraries *libs)
{
    const char *here[] = {"."};
    char **paths = optind < argc ? argv + optind : (char **)here;
    int count = optind < argc ? argc - optind : 1, problems = 0;
    lc_library_options opt = {.data_dir = cli_data_dir(), .local = a->endpoint_url == NULL,
                              .python = a->python, .runtime_command = a->runtime_command,
                              .python_runtime_command = coverage_command,
                              .python_shutdown_grace_ms = coverage_command ? 5000 : 0,
                              .node_coverage_dir = coverage_node_dir,
                              .host_packages = a->host_packages,
                              .credentials = a->host_credentials ? &a->creds : NULL,
                              .region = a->region, .account = a->account,
                              .parameters = a->parameters, .env_vars = a->env_vars};
    libs->items = calloc((size_t)count, sizeof *libs->items);
    libs->requests = calloc((size_t)count, sizeof *libs->requests);
    if (libs->items == NULL || libs->requests == NULL) {
        fprintf(stderr, "lambdacheck: out of memory\n");
        return CLI_FAILED;
    }
    for (int i = 0; i < count; i++)
        take_path(paths[i], &opt, a->verbose, libs, &problems);
    problems += unfound_cases(libs);
    if (problems) {
        fprintf(stderr, "lambdacheck: no case ran: %d problem%s in the handler libraries\n",
                problems, problems == 1 ? "" : "s");
        return CHECK_PROBLEMS;
    }
    distinct_names(libs);
    return CLI_OK;
}

/* --- selecting cases --------------------------------------------------------------------------- */

static bool matches(const check_args *a, const char *id)
{
    if (a->n_filters == 0)
        return true;
    for (int i = 0; i < a->n_filters; i++) {
        const char *p = a->filters[i];
        if (strpbrk(p, "*?[") ? fnmatch(p, id, 0) == 0 : strstr(id, p) != NULL)
            return true;
    }
    return false;
}

/* Applies --filter, then --shard over the cases that are left, in order. Returns how many run. */
static size_t select_cases(const check_args *a, libraries *libs)
{
    size_t index = 0, selected = 0;
    for (int l = 0; l < libs->count; l++)
        for (size_t i = 0; i < lc_library_case_count(libs->items[l]); i++) {
            bool keep = requested(libs, l, i) &&
                        matches(a, lc_library_case_id(libs->items[l], i));
            if (keep && a->shards)
                keep = index++ % (size_t)a->shards == (size_t)(a->shard - 1);
            lc_library_select(libs->items[l], i, keep);
            selected += keep;
        }
    return selected;
}

static size_t total_cases(const libraries *libs)
{
    size_t n = 0;
    for (int l = 0; l < libs->count; l++)
        n += lc_library_case_count(libs->items[l]);
    return n;
}

static int no_cases(const check_args *a, const libraries *libs)
{
    if (total_cases(libs) == 0) {
        fprintf(stderr, "lambdacheck: no cases found (a case is a folder holding a case.json); "
                        "looked in:\n");
        for (int l = 0; l < libs->count; l++)
            fprintf(stderr, "  %s (cases of %s)\n", lc_library_case_folders(libs->items[l]),
                    lc_library_manifest(libs->items[l]));
    } else {
        size_t named = 0;
        for (int l = 0; l < libs->count; l++)
            for (size_t i = 0; i < lc_library_case_count(libs->items[l]); i++)
                named += requested(libs, l, i);
        fprintf(stderr, "lambdacheck: no case selected: %zu case%s, none matches%s%s\n", named,
                named == 1 ? "" : "s", a->n_filters ? " --filter" : "",
                a->shards ? " (or the shard is empty)" : "");
    }
    return CHECK_NO_CASES;
}

static void list_cases(const libraries *libs)
{
    for (int l = 0; l < libs->count; l++)
        for (size_t i = 0; i < lc_library_case_count(libs->items[l]); i++)
            if (lc_library_selected(libs->items[l], i))
                printf("%s\n", lc_library_case_id(libs->items[l], i));
}

/* --- running ------------------------------------------------------------------------------------ */

static void print_case(const lc_case_result *r, void *ctx)
{
    const check_args *a = ctx;
    lc_report_case(stdout, r, isatty(STDOUT_FILENO), a->verbose);
    fflush(stdout);
}

static lc_target *remote_target(const check_args *a)
{
    lc_target *t = NULL;
    lc_error err = {0};
    lc_credentials cred;
    lc_error ignore = {0};
    bool keys = lc_credentials_load(NULL, &cred, &ignore) == LC_OK;
    lc_client_options o = {.endpoint_url = a->endpoint_url, .sign = keys,
                           .region = cred.region[0] ? NULL : "us-east-1"};
    if (lc_target_new_remote(&o, &t, &err) != LC_OK)
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

static int run_libraries(check_args *a, const libraries *libs, lc_run *run)
{
    lc_target *remote = a->endpoint_url ? remote_target(a) : NULL;
    if (a->endpoint_url && remote == NULL)
        return CLI_FAILED;
    lc_runner_options opt = {.remote = remote, .function_prefix = a->prefix, .jobs = a->jobs,
                             .aws_endpoint = a->aws_endpoint,
                             .on_case = print_case, .ctx = a};
    int rc = CLI_OK;
    for (int l = 0; l < libs->count; l++) {
        lc_error err = {0};
        if (lc_runner_run(libs->items[l], &opt, run, &err) != LC_OK) {
            cli_print_error(&err);
            rc = CLI_FAILED;
        }
    }
    lc_target_free(remote);
    return rc;
}

/* --- coverage ----------------------------------------------------------------------------------- */

static int prepare_coverage(const check_args *a, lc_handler_coverage *cov)
{
    lc_error err = {0};
    if (lc_handler_coverage_prepare(a->python, a->coverage_dir, cov, &err) == LC_OK)
        return CLI_OK;
    cli_print_error(&err);
    return CLI_FAILED;
}

static int report_coverage(const lc_handler_coverage *cov)
{
    lc_coverage_totals t = {0};
    lc_error err = {0};
    lc_status st = lc_handler_coverage_report(cov, &t, &err);
    if (st == LC_ENOTFOUND) {
        printf("handler coverage: no Python or Node.js code ran, so there is nothing to "
               "report\n");
        return CLI_OK;
    }
    if (st != LC_OK) {
        cli_print_error(&err);
        return CLI_FAILED;
    }
    printf("handler coverage: %.1f%% (%ld of %ld lines) -> %s/index.html\n", t.percent,
           t.covered, t.lines, cov->dir);
    return CLI_OK;
}

/* Every Python and Node.js code folder of the libraries is a coverage source: a module that
 * failed at import still appears in the report, at 0%. */
/* Every interpreter of the libraries' Python functions can load the coverage.py found (each is
 * tried once); CLI_FAILED naming the first that cannot. */
static int coverage_interpreters(const lc_handler_coverage *cov, const libraries *libs)
{
    char tried[16][PATH_MAX];
    int n = 0;
    for (int l = 0; l < libs->count; l++)
        for (size_t f = 0; f < lc_library_function_count(libs->items[l]); f++) {
            const lc_function *fn = lc_library_function(libs->items[l], f);
            const char *python = fn ? lc_function_interpreter(fn) : NULL;
            bool seen = python == NULL ||
                        lc_runtime_family_of(lc_function_runtime(fn)) != LC_FAMILY_PYTHON;
            for (int i = 0; !seen && i < n; i++)
                seen = strcmp(tried[i], python) == 0;
            if (seen)
                continue;
            lc_error err = {0};
            if (lc_handler_coverage_check_interpreter(cov, python, &err) != LC_OK) {
                cli_print_error(&err);
                return CLI_FAILED;
            }
            if (n < 16)
                snprintf(tried[n++], sizeof tried[0], "%s", python);
        }
    return CLI_OK;
}

static int coverage_sources(lc_handler_coverage *cov, const libraries *libs)
{
    for (int l = 0; l < libs->count; l++)
        for (size_t f = 0; f < lc_library_function_count(libs->items[l]); f++)
        {
            lc_runtime_family family =
                lc_runtime_family_of(lc_library_function_runtime(libs->items[l], f));
            const char *dir = lc_library_function_code_dir(libs->items[l], f);
            if (family == LC_FAMILY_PYTHON)
                lc_handler_coverage_add_source(cov, dir);
            else if (family == LC_FAMILY_NODE)
                lc_handler_coverage_add_node_source(cov, dir);
        }
    lc_error err = {0};
    if (lc_handler_coverage_write_config(cov, &err) != LC_OK) {
        cli_print_error(&err);
        return CLI_FAILED;
    }
    return cov->command[0] ? coverage_interpreters(cov, libs) : CLI_OK;
}

/* --- the command --------------------------------------------------------------------------------- */

static int check_selected(check_args *a, libraries *libs, lc_handler_coverage *cov)
{
    if (cov && coverage_sources(cov, libs) != CLI_OK)
        return CLI_FAILED;
    lc_run *run = lc_run_new();
    int rc = run_libraries(a, libs, run);
    lc_report_summary(stdout, run);
    if (write_reports(a, run) != CLI_OK || lc_run_failed(run) > 0)
        rc = CLI_FAILED;
    if (cov && report_coverage(cov) != CLI_OK)
        rc = CLI_FAILED;
    lc_run_free(run);
    return rc;
}

static int run_check(check_args *a, int argc, char **argv)
{
    if (a->host_credentials && cli_load_host_credentials(&a->creds) != CLI_OK)
        return CLI_FAILED;
    if (cli_load_env_vars(a->env_vars_path, &a->env_vars) != CLI_OK)
        return CLI_USAGE;
    lc_handler_coverage cov;
    if (a->coverage && prepare_coverage(a, &cov) != CLI_OK)
        return CLI_FAILED;
    libraries libs = {0};
    const char *python_command = a->coverage && cov.command[0] ? cov.command : NULL;
    int rc = load_libraries(a, python_command, a->coverage ? cov.node_dir : NULL, argc, argv,
                            &libs);
    size_t selected = rc == CLI_OK ? select_cases(a, &libs) : 0;
    if (rc == CLI_OK && a->list)
        list_cases(&libs);
    if (rc == CLI_OK && selected == 0)
        rc = no_cases(a, &libs);
    else if (rc == CLI_OK && !a->list)
        rc = check_selected(a, &libs, a->coverage ? &cov : NULL);
    free_libraries(&libs);
    return rc;
}

int cli_check(int argc, char **argv)
{
    check_args a = {.jobs = 2, .coverage_dir = "reports/coverage/handlers"};
    int rc = parse_args(argc, argv, &a);
    if (rc == CLI_OK)
        rc = run_check(&a, argc, argv);
    json_decref(a.parameters);
    json_decref(a.env_vars);
    return rc < 0 ? CLI_OK : rc;
}
