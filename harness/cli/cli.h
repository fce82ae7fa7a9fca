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
    OPT_ENV, OPT_PYTHON, OPT_RUNTIME_COMMAND, OPT_CONCURRENCY, OPT_HOST_PACKAGES, OPT_CREDENTIALS,
    OPT_LOG_FORMAT, OPT_APP_LOG_LEVEL, OPT_SYSTEM_LOG_LEVEL, OPT_TEMPLATE, OPT_PARAMETERS,
    OPT_ENV_VARS, OPT_REGION, OPT_ACCOUNT, OPT_LAYER, OPT_RUNTIME, OPT_TENANCY, OPT_AWS_STUBS,
    OPT_AWS_ENDPOINT, OPT_MAX_CONCURRENCY, OPT_PLAIN_START, OPT_SNAPSTART,
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
        {"concurrency", required_argument, NULL, OPT_CONCURRENCY},                                 \
        {"host-packages", no_argument, NULL, OPT_HOST_PACKAGES},                                   \
        {"credentials", required_argument, NULL, OPT_CREDENTIALS},                                 \
        {"log-format", required_argument, NULL, OPT_LOG_FORMAT},                                   \
        {"application-log-level", required_argument, NULL, OPT_APP_LOG_LEVEL},                     \
        {"system-log-level", required_argument, NULL, OPT_SYSTEM_LOG_LEVEL},                       \
        {"template", required_argument, NULL, OPT_TEMPLATE},                                       \
        {"parameter-overrides", required_argument, NULL, OPT_PARAMETERS},                          \
        {"env-vars", required_argument, NULL, OPT_ENV_VARS},                                       \
        {"region", required_argument, NULL, OPT_REGION},                                           \
        {"account", required_argument, NULL, OPT_ACCOUNT},                                         \
        {"layer", required_argument, NULL, OPT_LAYER},                                             \
        {"runtime", required_argument, NULL, OPT_RUNTIME},                                         \
        {"tenancy", required_argument, NULL, OPT_TENANCY},                                         \
        {"aws-stubs", required_argument, NULL, OPT_AWS_STUBS},                                     \
        {"aws-endpoint", required_argument, NULL, OPT_AWS_ENDPOINT},                               \
        {"max-concurrency", required_argument, NULL, OPT_MAX_CONCURRENCY},                         \
        {"plain-start", no_argument, NULL, OPT_PLAIN_START},                                       \
        {"snapstart", no_argument, NULL, OPT_SNAPSTART}

#define CLI_MAX_LAYERS 32

typedef struct {
    lc_function_config fn; /* strings borrowed from argv */
    json_t *env;           /* --env variables; owned */
    bool host_credentials; /* --credentials host */
    lc_credentials creds;  /* their keys, once looked up */
    const char *template;  /* --template */
    json_t *parameters;    /* --parameter-overrides; owned, NULL when none */
    const char *env_vars;  /* --env-vars */
    const char *layers[CLI_MAX_LAYERS + 1]; /* --layer, NULL-terminated */
    int n_layers;
    const char *aws_stubs;    /* --aws-stubs FILE */
    const char *aws_endpoint; /* --aws-endpoint URL */
    lc_aws_endpoint *aws;     /* lambdacheck's AWS endpoint, started with the first function
                                 (owned; cli_function_args_clear frees it) */
} cli_function_args;

/* Frees what cli_function_option() allocated. */
void cli_function_args_clear(cli_function_args *a);

/* Takes --parameter-overrides text ("Key=Value Key2=Value2", or SAM's
 * "ParameterKey=K,ParameterValue=V") into *into (created when NULL): CLI_OK or CLI_USAGE. */
int cli_parameter_overrides(json_t **into, const char *command, const char *text);

/* Reads an --env-vars file, printing the error if it cannot: CLI_OK or CLI_USAGE. */
int cli_load_env_vars(const char *path, json_t **out);

/* Prints a library's notes to stderr ("lambdacheck: note: ..."). */
void cli_print_notes(const lc_library *lib);

/* --verbose: prints to stderr, for a Python function, which interpreter runs it and why, and which
 * boto3 it gets next to what Lambda ships. label names the function. */
void cli_print_python_choice(const char *label, const lc_function *fn);

/* Serving every function of a.template that can run here (warning about the others). */
int cli_add_template_functions(cli_function_args *a, lc_emulator *em);

/* The gateway model (gateway.h) of a.template's APIs and function URLs, printing the notes of
 * what cannot be served: CLI_OK (caller decrefs *model) or a failure after printing why. */
int cli_template_http(cli_function_args *a, json_t **model);

/* The help text of the options every command that runs functions locally shares. */
#define CLI_FUNCTION_ISOLATION_HELP                                                                \
    "  --host-packages          let Python functions import every package the interpreter has\n" \
    "                           (default: isolated, as on Lambda: the standard library, the\n"    \
    "                           code folder, and boto3/botocore & co. when the host has them)\n" \
    "  --credentials MODE       dummy (default): documented fake keys; host: your own, from\n"   \
    "                           the environment or ~/.aws, as 'sam local' passes them\n"          \
    "  --parameter-overrides P  template parameters: 'Key=Value Key2=Value2' (or SAM's\n"        \
    "                           ParameterKey=K,ParameterValue=V); repeatable\n"                  \
    "  --env-vars FILE          variables in sam local's format: {\"Parameters\": {...},\n"      \
    "                           \"LogicalId\": {...}}; only variables a function declares\n"     \
    "  --region R, --account A  the functions' region and account (default us-east-1,\n"        \
    "                           123456789012)\n"                                                 \
    "  --plain-start            start every Python environment as a new interpreter instead of\n" \
    "                           a copy of a prepared template process (README: \"Fast fresh\n"   \
    "                           environments\"); LAMBDACHECK_PLAIN_START=1 does the same\n"

/* The help text of --aws-stubs and --aws-endpoint (invoke, serve). */
#define CLI_AWS_HELP                                                                               \
    "  --aws-stubs FILE         answer the functions' AWS calls with these stubs (a JSON list,\n" \
    "                           as a case's \"aws\"); every call is printed to stderr, and a\n"   \
    "                           call no stub answers fails at once with LambdacheckNoStub\n"     \
    "  --aws-endpoint URL       send the functions' AWS calls to URL instead (LocalStack,\n"     \
    "                           DynamoDB Local, a moto server)\n"

/* Points a function at lambdacheck's AWS endpoint (started with the first function, answering
 * the --aws-stubs) or at --aws-endpoint, unless it sets AWS_ENDPOINT_URL itself or runs with
 * the host's keys: *fn is replaced by a copy with the variables (freed and NULL on failure).
 * CLI_OK, or CLI_USAGE/CLI_FAILED after printing why. */
int cli_point_at_aws(cli_function_args *a, lc_function **fn);

/* Checks an --aws-endpoint URL into *out: CLI_OK or CLI_USAGE. */
int cli_aws_endpoint_arg(const char *command, const char *arg, const char **out);

/* Looks up the host's credentials for --credentials host: CLI_OK, or CLI_FAILED after printing
 * where it looked. */
int cli_load_host_credentials(lc_credentials *out);

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

/* The folder of bundled data (events/): lc_bundled_dir(LC_BUNDLED_DATA).
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
