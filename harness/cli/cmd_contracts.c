/* lambdacheck contracts verify: does a response honour the contract of its event's service? */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char contracts_usage[] =
    "usage: lambdacheck contracts verify --event EVENT_FILE --response RESPONSE_FILE\n"
    "\n"
    "Detects the service that sent the event and checks the handler's response against that\n"
    "service's contract (API Gateway, ALB, authorizers, SQS/Kinesis/DynamoDB batch responses,\n"
    "Firehose, Cognito, SES, S3 Batch Operations, Lambda@Edge). Prints 'SOURCE: ok' or\n"
    "'SOURCE: <what the service would do>: <why>'. Exit status: 0 the response honours the\n"
    "contract, 1 it does not, 2 bad usage or unreadable files.\n";

static int load(const char *path, json_t **out)
{
    lc_error err = {0};
    if (lc_event_load_file(path, out, &err) == LC_OK)
        return CLI_OK;
    cli_print_error(&err);
    return CLI_USAGE;
}

static int verify(int argc, char **argv)
{
    static const struct option options[] = {{"event", required_argument, NULL, 'e'},
                                            {"response", required_argument, NULL, 'r'},
                                            {NULL, 0, NULL, 0}};
    const char *event_file = NULL, *response_file = NULL;
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, "+", options, NULL)) != -1) {
        if (opt == 'e')
            event_file = optarg;
        else if (opt == 'r')
            response_file = optarg;
        else
            return cli_usage_error("contracts ", "unknown option '%s'", argv[optind - 1]);
    }
    if (event_file == NULL || response_file == NULL || optind < argc)
        return cli_usage_error("contracts ", "verify needs --event FILE and --response FILE");
    json_t *event = NULL, *response = NULL;
    int rc = load(event_file, &event);
    if (rc == CLI_OK)
        rc = load(response_file, &response);
    if (rc == CLI_OK) {
        lc_verdicts v = {0};
        lc_event_source s = lc_source_contract_check(event, response, &v);
        bool ok = v.items[0].passed;
        printf("%s: %s\n", lc_event_source_name(s), ok ? "ok" : v.items[0].message);
        rc = ok ? CLI_OK : CLI_FAILED;
        lc_verdicts_clear(&v);
    }
    json_decref(event);
    json_decref(response);
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
