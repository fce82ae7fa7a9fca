/* lambdacheck contracts verify: does a response honour the contract of its event's service? */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char contracts_usage[] =
    "usage: lambdacheck contracts verify --event EVENT_FILE --response RESPONSE_FILE\n"
    "                                    [--report-batch-item-failures]\n"
    "\n"
    "Detects the service that sent the event and checks the handler's response against that\n"
    "service's contract (API Gateway, ALB, authorizers, SQS/Kinesis/DynamoDB batch responses,\n"
    "Firehose, Cognito, SES, S3 Batch Operations, Lambda@Edge). The response is read as the\n"
    "bytes a handler returned: it may be empty or not JSON, and each service's contract says\n"
    "what that service does with it. Either file may be '-' for standard input. Prints\n"
    "'SOURCE: ok' or 'SOURCE: <what the service would do>: <why>'; a rule AWS does not document\n"
    "is a warning ('SOURCE: ok, but: ...'). SQS, Kinesis and DynamoDB Streams read a partial\n"
    "batch response only when the event source mapping has FunctionResponseTypes\n"
    "[ReportBatchItemFailures]: --report-batch-item-failures says it has (without it Lambda\n"
    "ignores the response). Exit status: 0 the response honours the contract, 1 it does not,\n"
    "2 bad usage or unreadable files.\n";

static int load_event(const char *path, json_t **out)
{
    lc_error err = {0};
    lc_status st = strcmp(path, "-") == 0 ? lc_event_load_stream(stdin, "<stdin>", out, &err)
                                          : lc_event_load_file(path, out, &err);
    if (st == LC_OK)
        return CLI_OK;
    cli_print_error(&err);
    return CLI_USAGE;
}

static int load_response(const char *path, lc_buf *out)
{
    lc_error err = {0};
    lc_status st = strcmp(path, "-") == 0 ? lc_buf_read_stream(out, stdin)
                                          : lc_buf_read_file(out, path, &err);
    if (st == LC_OK)
        return CLI_OK;
    lc_error_set(&err, st, path, 0, 0, "cannot read the response: %s", lc_strerror(st));
    cli_print_error(&err);
    return CLI_USAGE;
}

static int print_verdict(const json_t *event, const lc_buf *response,
                         const lc_source_settings *settings)
{
    lc_verdicts v = {0};
    lc_event_source s =
        lc_source_contract_check(event, response->data, response->len, settings, &v);
    int rc = CLI_OK;
    if (v.count == 0)
        printf("unknown: the event is from no service lambdacheck knows: no contract to check\n");
    else if (v.items[0].state == LC_CHECK_FAILED) {
        printf("%s: %s\n", lc_event_source_name(s), v.items[0].message);
        rc = CLI_FAILED;
    } else if (v.items[0].state == LC_CHECK_WARNED)
        printf("%s: ok, but: %s\n", lc_event_source_name(s), v.items[0].message);
    else if (strncmp(v.items[0].message, "the response is ignored", 23) == 0)
        printf("%s: ok (%s)\n", lc_event_source_name(s), v.items[0].message);
    else
        printf("%s: ok\n", lc_event_source_name(s));
    lc_verdicts_clear(&v);
    return rc;
}

static int verify(int argc, char **argv)
{
    static const struct option options[] = {{"event", required_argument, NULL, 'e'},
                                            {"response", required_argument, NULL, 'r'},
                                            {"report-batch-item-failures", no_argument, NULL,
                                             'b'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *event_file = NULL, *response_file = NULL;
    lc_source_settings settings = {0};
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, "+", options, NULL)) != -1) {
        if (opt == 'e')
            event_file = optarg;
        else if (opt == 'r')
            response_file = optarg;
        else if (opt == 'b')
            settings.report_batch_item_failures = true;
        else if (opt == 'h') {
            fputs(contracts_usage, stdout);
            return CLI_OK;
        } else
            return cli_usage_error("contracts ", "unknown option '%s'", argv[optind - 1]);
    }
    if (event_file == NULL || response_file == NULL || optind < argc)
        return cli_usage_error("contracts ", "verify needs --event FILE and --response FILE");
    if (strcmp(event_file, "-") == 0 && strcmp(response_file, "-") == 0)
        return cli_usage_error("contracts ", "only one of --event and --response can be '-'");
    json_t *event = NULL;
    lc_buf response;
    lc_buf_init(&response, LC_EVENT_MAX_BYTES);
    int rc = load_event(event_file, &event);
    if (rc == CLI_OK)
        rc = load_response(response_file, &response);
    if (rc == CLI_OK)
        rc = print_verdict(event, &response, &settings);
    json_decref(event);
    lc_buf_free(&response);
    return rc;
}

int cli_contracts(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("contracts ", "missing contracts command (verify)");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(contracts_usage, stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "verify") == 0)
        return verify(argc - 1, argv + 1);
    return cli_usage_error("contracts ", "unknown contracts command '%s'", argv[1]);
}
