/* lambdacheck invoke: run one handler once, locally the way Lambda runs it, or call a function
 * through any Invoke API endpoint (--endpoint-url). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char invoke_usage[] =
    "usage: lambdacheck invoke --handler MODULE.FUNCTION --code DIR [options]\n"
    "                          [EVENT_FILE | --payload JSON | -]\n"
    "       lambdacheck invoke --template template.yaml [--function-name LOGICAL_ID] [options]\n"
    "                          [EVENT_FILE | --payload JSON | -]\n"
    "       lambdacheck invoke --endpoint-url URL --function-name NAME [options]\n"
    "                          [EVENT_FILE | --payload JSON | -]\n"
    "\n"
    "Locally (the default), runs the handler once in a fresh execution environment of the\n"
    "embedded emulator. With --endpoint-url, calls the function through that Invoke API: a\n"
    "deployed function (https://lambda.REGION.amazonaws.com, signed with your AWS\n"
    "credentials), 'lambdacheck serve', LocalStack, SAM or the Runtime Interface Emulator.\n"
    "Prints the payload the function returned. Without an event the payload is {}.\n"
    "\n"
    "function options (local):\n"
    "  --template FILE          a SAM or CloudFormation template: the function (--function-name\n"
    "                           LOGICAL_ID, needed when it has several) comes from it, with its\n"
    "                           layers and variables; the options below override its values\n"
    "  --function-name NAME     function name (default my-function)\n"
    "  --layer DIR              a layer folder, as Lambda's /opt (repeatable, in order)\n"
    "  --timeout SECONDS        1-900 (default 3)\n"
    "  --timeout-ms MS          timeout in milliseconds, for fast tests\n"
    "  --memory MB              128-10240 (default 128)\n"
    "  --env KEY=VALUE          a function environment variable (repeatable)\n"
    "  --runtime ID             Lambda's runtime identifier: python3.9-3.14 (the bundled\n"
    "                           Python client), nodejs18.x-24.x (the bundled Node.js client,\n"
    "                           under Node NN: the host's, else installed once from npm into\n"
    "                           the cache; $LAMBDACHECK_NODE overrides), provided.al2023, ...\n"
    "  --python PATH            interpreter for the bundled Python runtime client\n"
    "  --runtime-command CMD    run CMD instead of the bundled client, e.g. '{python} -m\n"
    "                           awslambdaric': split into words as a shell would (quotes and\n"
    "                           backslashes; no shell runs), the handler appended\n"
    CLI_FUNCTION_ISOLATION_HELP
    CLI_AWS_HELP
    "  --log-format FORMAT      Text (default) or JSON: Lambda's LogFormat, for the function's\n"
    "                           records and the platform's (START, REPORT) alike\n"
    "  --application-log-level L, --system-log-level L   with JSON, as Lambda's LoggingConfig\n"
    "  --tenancy PER_TENANT     tenant isolation (TenancyConfig): every call needs --tenant-id\n"
    "  --max-concurrency N      Lambda Managed Instances: one environment runs up to N (1-1600)\n"
    "                           invocations at once (PerExecutionEnvironmentMaxConcurrency)\n"
    "  --snapstart              SnapStart (ApplyOn: PublishedVersions; Python 3.12+): init runs\n"
    "                           once, and the environment is restored from its snapshot\n"
    "call options:\n"
    "  --endpoint-url URL       call this Invoke API instead of running locally\n"
    "  --invocation-type TYPE   RequestResponse (default), Event or DryRun (remote only)\n"
    "  --qualifier Q            version or alias (remote only)\n"
    "  --client-context JSON    the client context the handler sees\n"
    "  --tenant-id ID           the tenant (X-Amz-Tenant-Id) of a function with tenant isolation\n"
    "  --check concurrency-safe  (local, Managed Instances) after the call, run the event alone\n"
    "                           and then several at once in one environment; the answers must\n"
    "                           agree (exit status 1 when they do not)\n"
    "  --with-event FILE        with --check: another event to run among the first (repeatable,\n"
    "                           up to 15): different events show shared state that copies of\n"
    "                           one event cannot\n"
    "  --log-type Tail          print the invocation's log (last 4 KB) to standard error\n"
    "  --verbose                say which interpreter runs a Python function (and why) and which\n"
    "                           boto3 it gets\n"
    "  --stream                 InvokeWithResponseStream: print the response's bytes as the\n"
    "                           function streams them (awslambda.streamifyResponse), nothing\n"
    "                           added; a function that does not stream answers in one piece.\n"
    "                           An error after streaming began goes to standard error\n"
    "  --output json            print {statusCode, functionError, requestId, executedVersion,\n"
    "                           payload, logResult} instead of the payload\n"
    "\n"
    "Exit status: 0 the function succeeded, 1 it returned a function error (or could not run,\n"
    "or the service refused the call), 2 bad usage.\n";

typedef struct {
    cli_function_args f;
    const char *payload_text;
    const char *event_file;
    const char *client_context;
    const char *tenant_id; /* --tenant-id, or NULL */
    const char *endpoint_url;
    const char *invocation_type;
    const char *qualifier;
    bool tail;
    bool json_output;
    bool stream;
    bool verbose; /* which interpreter and boto3 a Python function gets, and why */
    bool check_concurrency; /* --check concurrency-safe */
    const char *with_events[16]; /* --with-event files */
    size_t n_with_events;
} invoke_args;

enum { OPT_PAYLOAD = OPT_FUNCTION_LAST, OPT_LOG_TYPE, OPT_OUTPUT, OPT_CLIENT_CONTEXT,
       OPT_ENDPOINT, OPT_INVOCATION_TYPE, OPT_QUALIFIER, OPT_STREAM, OPT_VERBOSE, OPT_TENANT_ID,
       OPT_CHECK, OPT_WITH_EVENT, OPT_HELP };

static const struct option long_options[] = {
    CLI_FUNCTION_OPTIONS,
    {"payload", required_argument, NULL, OPT_PAYLOAD},
    {"log-type", required_argument, NULL, OPT_LOG_TYPE},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"client-context", required_argument, NULL, OPT_CLIENT_CONTEXT},
    {"tenant-id", required_argument, NULL, OPT_TENANT_ID},
    {"endpoint-url", required_argument, NULL, OPT_ENDPOINT},
    {"invocation-type", required_argument, NULL, OPT_INVOCATION_TYPE},
    {"qualifier", required_argument, NULL, OPT_QUALIFIER},
    {"stream", no_argument, NULL, OPT_STREAM},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"check", required_argument, NULL, OPT_CHECK},
    {"with-event", required_argument, NULL, OPT_WITH_EVENT},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int take_option(invoke_args *a, int opt, const char *arg)
{
    int rc = cli_function_option(&a->f, "invoke ", opt, arg);
    if (rc != CLI_NOT_MINE)
        return rc;
    switch (opt) {
    case OPT_PAYLOAD: a->payload_text = arg; return CLI_OK;
    case OPT_CLIENT_CONTEXT: a->client_context = arg; return CLI_OK;
    case OPT_TENANT_ID: a->tenant_id = arg; return CLI_OK;
    case OPT_ENDPOINT: a->endpoint_url = arg; return CLI_OK;
    case OPT_QUALIFIER: a->qualifier = arg; return CLI_OK;
    case OPT_STREAM: a->stream = true; return CLI_OK;
    case OPT_VERBOSE: a->verbose = true; return CLI_OK;
    case OPT_CHECK:
        if (strcmp(arg, LC_CONCURRENCY_CHECK) != 0)
            return cli_usage_error("invoke ", "--check takes %s, not '%s' (the other built-in "
                                              "checks run with every case of 'lambdacheck check')",
                                   LC_CONCURRENCY_CHECK, arg);
        a->check_concurrency = true;
        return CLI_OK;
    case OPT_WITH_EVENT:
        if (a->n_with_events == sizeof a->with_events / sizeof *a->with_events - 1)
            return cli_usage_error("invoke ", "at most %zu --with-event files",
                                   sizeof a->with_events / sizeof *a->with_events - 1);
        a->with_events[a->n_with_events++] = arg;
        return CLI_OK;
    case OPT_INVOCATION_TYPE:
        if (strcmp(arg, "RequestResponse") && strcmp(arg, "Event") && strcmp(arg, "DryRun"))
            return cli_usage_error("invoke ", "--invocation-type takes RequestResponse, Event or "
                                              "DryRun, not '%s'",
                                   arg);
        a->invocation_type = arg;
        return CLI_OK;
    case OPT_LOG_TYPE:
        if (strcmp(arg, "Tail") != 0 && strcmp(arg, "None") != 0)
            return cli_usage_error("invoke ", "--log-type takes Tail or None, not '%s'", arg);
        a->tail = strcmp(arg, "Tail") == 0;
        return CLI_OK;
    case OPT_OUTPUT:
        if (strcmp(arg, "json") != 0 && strcmp(arg, "payload") != 0)
            return cli_usage_error("invoke ", "--output takes json or payload, not '%s'", arg);
        a->json_output = strcmp(arg, "json") == 0;
        return CLI_OK;
    default:
        return cli_usage_error("invoke ", "unknown option");
    }
}

static int check_combination(const invoke_args *a)
{
    if (a->event_file && a->payload_text)
        return cli_usage_error("invoke ", "give either an EVENT_FILE or --payload, not both");
    if (a->stream && a->invocation_type && strcmp(a->invocation_type, "Event") == 0)
        return cli_usage_error("invoke ", "--stream answers a caller: it takes RequestResponse or "
                                          "DryRun, not Event");
    if (a->stream && a->json_output)
        return cli_usage_error("invoke ", "--stream prints the bytes as they come: it does not "
                                          "go with --output json");
    if (a->n_with_events && !a->check_concurrency)
        return cli_usage_error("invoke ", "--with-event goes with --check concurrency-safe");
    if (a->check_concurrency && (a->endpoint_url || a->stream))
        return cli_usage_error("invoke ", "--check concurrency-safe runs the event in local "
                                          "Managed Instances environments: not with %s",
                               a->endpoint_url ? "--endpoint-url" : "--stream");
    if (a->endpoint_url) {
        if (a->f.fn.name == NULL)
            return cli_usage_error("invoke ", "--endpoint-url needs --function-name");
        if (a->f.aws_stubs || a->f.aws_endpoint)
            return cli_usage_error("invoke ", "--aws-stubs and --aws-endpoint point a local "
                                              "function's AWS calls: a deployed function's go to "
                                              "AWS, not with --endpoint-url");
        return CLI_OK;
    }
    if (a->f.template == NULL && (a->f.fn.handler == NULL || a->f.fn.code_dir == NULL))
        return cli_usage_error("invoke ", "--handler and --code (or --template) are required");
    if ((a->invocation_type && strcmp(a->invocation_type, "RequestResponse")) || a->qualifier)
        return cli_usage_error("invoke ", "--invocation-type and --qualifier need --endpoint-url "
                                          "(use 'lambdacheck serve' for a local endpoint)");
    return CLI_OK;
}

static int parse_args(int argc, char **argv, invoke_args *a)
{
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        if (opt == OPT_HELP || opt == 'h') {
            fputs(invoke_usage, stdout);
            return -1;
        }
        if (opt == '?')
            return cli_usage_error("invoke ", "unknown option '%s'", argv[optind - 1]);
        int rc = take_option(a, opt, optarg);
        if (rc != CLI_OK)
            return rc;
    }
    if (optind < argc)
        a->event_file = argv[optind++];
    if (optind < argc)
        return cli_usage_error("invoke ", "unexpected argument '%s'", argv[optind]);
    return check_combination(a);
}

/* Reads the event as raw bytes (what Lambda passes on) after checking that it is JSON, with the
 * Invoke API's syntax check: big integers, 1E400, lone surrogate escapes and deep nesting are
 * JSON too. An empty payload is {}, as the Invoke API makes it; a UTF-8 byte order mark is
 * dropped. */
static int read_event(const invoke_args *a, lc_buf *payload)
{
    lc_error err = {0};
    lc_status st = LC_OK;
    const char *source = a->event_file;
    if (a->payload_text)
        st = lc_buf_puts(payload, a->payload_text), source = "--payload";
    else if (a->event_file && strcmp(a->event_file, "-") == 0)
        st = lc_buf_read_stream(payload, stdin), source = "<stdin>";
    else if (a->event_file)
        st = lc_buf_read_file(payload, a->event_file, &err);
    if (st == LC_OK && err.status == LC_OK && payload->len >= 3 &&
        memcmp(payload->data, "\xEF\xBB\xBF", 3) == 0) {
        memmove(payload->data, payload->data + 3, payload->len - 2);
        payload->len -= 3;
    }
    if (st == LC_OK && err.status == LC_OK && payload->len == 0)
        st = lc_buf_puts(payload, "{}");
    if (st == LC_OK && err.status == LC_OK)
        st = lc_json_validate(payload->data, payload->len, source ? source : "<default>", &err);
    if (st != LC_OK || err.status != LC_OK) {
        if (err.status == LC_OK)
            lc_error_set(&err, st, source, 0, 0, "%s", lc_strerror(st));
        cli_print_error(&err);
        return CLI_USAGE;
    }
    return CLI_OK;
}

/* --- output (the same for both modes) -------------------------------------------------------- */

typedef struct {
    long status;
    const char *function_error;
    const char *request_id;
    const char *executed_version;
    const char *payload;
    size_t payload_len;
    const char *log; /* already the tail, or NULL */
} outcome;

/* Where a tail of the log starts: at most 4 KB from the end, not inside a UTF-8 character. */
static const char *log_tail(const char *log, size_t len)
{
    const char *p = len > 4096 ? log + len - 4096 : log;
    while (((unsigned char)*p & 0xC0) == 0x80)
        p++;
    return p;
}

/* The payload as a JSON string, or, when it is not UTF-8 text, null plus payloadBase64. */
static void add_payload(json_t *out, const outcome *o)
{
    json_t *text = json_stringn(o->payload ? o->payload : "", o->payload_len);
    if (text) {
        json_object_set_new(out, "payload", text);
        return;
    }
    lc_buf b64;
    lc_buf_init(&b64, 0);
    lc_buf_base64_encode(&b64, o->payload, o->payload_len);
    json_object_set_new(out, "payload", json_null());
    json_object_set_new(out, "payloadBase64", json_stringn(b64.data ? b64.data : "", b64.len));
    lc_buf_free(&b64);
}

/* The log to standard error. On a terminal a lone \r (Lambda's Python runtime joins a traceback's
 * lines with it) would move back and overwrite the error line: there it is a line break. Piped,
 * the bytes are unchanged. */
static void print_log(const char *log)
{
    if (!isatty(STDERR_FILENO)) {
        fputs(log, stderr);
        return;
    }
    for (const char *p = log; *p; p++)
        fputc(*p == '\r' && p[1] != '\n' ? '\n' : *p, stderr);
}

static void print_outcome(const invoke_args *a, const outcome *o)
{
    if (!a->json_output) {
        if (o->payload_len)
            fwrite(o->payload, 1, o->payload_len, stdout), putchar('\n');
        if (a->tail && o->log)
            print_log(o->log);
        return;
    }
    json_t *out = json_pack("{s:i, s:s?, s:s, s:s?}", "statusCode", (int)o->status,
                            "functionError",
                            o->function_error && o->function_error[0] ? o->function_error : NULL,
                            "requestId", o->request_id, "executedVersion",
                            o->executed_version && o->executed_version[0] ? o->executed_version
                                                                          : NULL);
    add_payload(out, o);
    json_object_set_new(out, "logResult", a->tail && o->log ? json_string(o->log) : json_null());
    json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(out);
}

/* --- streams --------------------------------------------------------------------------------- */

/* A streamed piece, printed as it arrives. */
static void print_piece(void *ctx, const char *bytes, size_t len)
{
    (void)ctx;
    fwrite(bytes, 1, len, stdout);
    fflush(stdout);
}

static void print_begin(void *ctx, const char *content_type)
{
    (void)ctx;
    (void)content_type;
}

/* The end of a streamed invocation: what was not streamed, the error, the log. Returns the exit
 * status. */
static int finish_stream(const invoke_args *a, bool streamed, const char *payload, size_t len,
                         const char *error_code, const char *details, const char *log)
{
    if (!streamed && !error_code[0])
        print_piece(NULL, payload, len);
    fflush(stdout);
    if (error_code[0])
        fprintf(stderr, "lambdacheck: the function failed (%s): %s\n", error_code,
                details ? details : "");
    if (a->tail && log)
        print_log(log);
    return error_code[0] ? CLI_FAILED : CLI_OK;
}

/* --- local ----------------------------------------------------------------------------------- */

/* After a failure to import what Lambda's Python runtime ships (boto3, botocore), which this
 * host's interpreter lacks: says so, with what the function does get. */
static void explain_missing_sdk(const lc_function *fn, const lc_result *r)
{
    const char *p = r->payload ? r->payload : "";
    char sdk[2 * PATH_MAX + 512];
    if (r->function_error[0] && (strstr(p, "No module named 'boto3") ||
                                 strstr(p, "No module named 'botocore")) &&
        lc_function_python_sdk(fn, sdk, sizeof sdk))
        fprintf(stderr, "lambdacheck: note: %s; --log-type Tail shows how to supply it\n", sdk);
}

/* --check concurrency-safe: the verdict on standard error; CLI_FAILED unless it passed. */
static int check_concurrency(const invoke_args *a, lc_emulator *em, const char *name,
                             const lc_buf *payload, const json_t *ctx)
{
    const char *events[17] = {payload->data ? payload->data : "{}"};
    const json_t *contexts[17] = {ctx};
    lc_buf more[16];
    size_t n = 1;
    lc_error err = {0};
    for (size_t i = 0; i < a->n_with_events; i++) {
        lc_buf_init(&more[i], 0);
        if (lc_buf_read_file(&more[i], a->with_events[i], &err) == LC_OK)
            lc_json_validate(more[i].data ? more[i].data : "", more[i].len, a->with_events[i],
                             &err);
        contexts[n] = ctx;
        events[n++] = more[i].data ? more[i].data : "{}";
    }
    lc_concurrency_probe probe = {.function = name, .events = events, .contexts = contexts,
                                  .n_events = n};
    lc_verdicts v = {0};
    if (err.status != LC_OK || lc_concurrency_check(em, &probe, &v, &err) != LC_OK) {
        cli_print_error(&err);
        for (size_t i = 0; i < a->n_with_events; i++)
            lc_buf_free(&more[i]);
        return CLI_FAILED;
    }
    for (size_t i = 0; i < a->n_with_events; i++)
        lc_buf_free(&more[i]);
    const lc_verdict *verdict = &v.items[0];
    static const char *const states[] = {[LC_CHECK_PASSED] = "passed", [LC_CHECK_FAILED] = "FAILED",
                                         [LC_CHECK_NOT_CHECKED] = "not checked",
                                         [LC_CHECK_WARNED] = "warning", [LC_CHECK_OFF] = "off"};
    fprintf(stderr, "lambdacheck: %s %s: %s\n", verdict->check, states[verdict->state],
            verdict->message);
    int rc = verdict->state == LC_CHECK_PASSED ? CLI_OK : CLI_FAILED;
    lc_verdicts_clear(&v);
    return rc;
}

static int run_local(const invoke_args *a, const lc_buf *payload, json_t *ctx)
{
    lc_function *fn = NULL;
    int rc = cli_make_function((cli_function_args *)&a->f, &fn);
    if (rc != CLI_OK)
        return rc;
    char name[65];
    snprintf(name, sizeof name, "%s", lc_function_name(fn));
    lc_error err = {0};
    lc_emulator *em = NULL;
    if (lc_emulator_new(NULL, &em, &err) != LC_OK) {
        lc_function_free(fn);
        cli_print_error(&err);
        return CLI_FAILED;
    }
    if (a->verbose)
        cli_print_python_choice(name, fn);
    lc_result r = {0};
    lc_stream_sink printer = {.begin = print_begin, .data = print_piece};
    lc_invoke_options opt = {.payload = payload->data, .payload_len = payload->len, .context = ctx,
                             .stream = a->stream ? &printer : NULL};
    if (lc_emulator_add_function(em, fn, &err) != LC_OK ||
        lc_emulator_invoke(em, name, &opt, &r, &err) != LC_OK) {
        cli_print_error(&err);
        rc = CLI_FAILED;
    } else if (r.status_code != 200) { /* the call itself failed: a SnapStart restore */
        json_t *body = json_loadb(r.payload ? r.payload : "", r.payload_len, 0, NULL);
        const char *message = json_string_value(json_object_get(body, "message"));
        fprintf(stderr, "lambdacheck: the Invoke call failed: %d %s: %s\n", r.status_code,
                r.error_type, message ? message : "");
        json_decref(body);
        if (a->tail && r.log)
            print_log(log_tail(r.log, r.log_len));
        rc = CLI_FAILED;
    } else if (a->stream) {
        const char *code = r.function_error[0] ? (r.error_type[0] ? r.error_type : "Unhandled") : "";
        rc = finish_stream(a, r.streamed, r.payload, r.payload_len, code,
                           r.function_error[0] ? r.payload : NULL, log_tail(r.log, r.log_len));
    } else {
        outcome o = {r.status_code, r.function_error, r.request_id, r.executed_version,
                     r.payload, r.payload_len, log_tail(r.log, r.log_len)};
        print_outcome(a, &o);
        explain_missing_sdk(lc_emulator_function_at(em, 0), &r);
        rc = r.function_error[0] ? CLI_FAILED : CLI_OK;
        if (a->check_concurrency && check_concurrency(a, em, name, payload, ctx) != CLI_OK)
            rc = CLI_FAILED;
    }
    lc_result_clear(&r);
    lc_emulator_free(em);
    return rc;
}

/* --- remote ---------------------------------------------------------------------------------- */

static int run_remote(const invoke_args *a, const lc_buf *payload)
{
    lc_credentials cred;
    lc_error ignore = {0};
    bool have_keys = lc_credentials_load(NULL, &cred, &ignore) == LC_OK;
    lc_client_options o = {.endpoint_url = a->endpoint_url, .sign = have_keys,
                           .region = cred.region[0] ? NULL : "us-east-1"};
    lc_client *client;
    lc_error err = {0};
    if (lc_client_new(&o, &client, &err) != LC_OK) {
        cli_print_error(&err);
        return CLI_FAILED;
    }
    lc_invoke_request req = {.function_name = a->f.fn.name, .qualifier = a->qualifier,
                             .invocation_type = a->invocation_type, .log_tail = a->tail,
                             .client_context = a->client_context, .tenant_id = a->tenant_id,
                             .payload = payload->data,
                             .payload_len = payload->len, .stream = a->stream,
                             .on_chunk = print_piece};
    lc_invoke_response r;
    int rc = CLI_FAILED;
    if (lc_client_invoke(client, &req, &r, &err) != LC_OK) {
        cli_print_error(&err);
    } else if (r.status >= 300) {
        fprintf(stderr, "lambdacheck: %s answered %ld %s: %s\n", lc_client_endpoint(client),
                r.status, r.error_type[0] ? r.error_type : "error",
                r.error_message[0] ? r.error_message : r.payload);
    } else if (a->stream && r.streamed) {
        rc = finish_stream(a, true, r.payload, r.payload_len, r.error_code, r.error_details,
                           r.log_result);
        if (!r.stream_complete) {
            fprintf(stderr, "lambdacheck: the stream from %s ended before InvokeComplete\n",
                    lc_client_endpoint(client));
            rc = CLI_FAILED;
        }
    } else {
        outcome out = {r.status, r.function_error, r.request_id, r.executed_version, r.payload,
                       r.payload_len, r.log_result};
        print_outcome(a, &out);
        rc = r.function_error[0] ? CLI_FAILED : CLI_OK;
    }
    lc_invoke_response_clear(&r);
    lc_client_free(client);
    return rc;
}

/* The local invocation's context: --client-context and --tenant-id (the emulator refuses a
 * tenant that does not fit the function's tenancy, as Lambda does). NULL when neither. */
static json_t *context_overrides(const invoke_args *a, int *rc)
{
    if ((a->client_context == NULL && a->tenant_id == NULL) || a->endpoint_url)
        return NULL;
    json_t *cc = a->client_context ? json_loads(a->client_context, 0, NULL) : NULL;
    if (a->client_context && !json_is_object(cc)) {
        json_decref(cc);
        *rc = cli_usage_error("invoke ", "--client-context must be a JSON object");
        return NULL;
    }
    json_t *o = json_object();
    if (cc)
        json_object_set_new(o, "clientContext", cc);
    if (a->tenant_id)
        json_object_set_new(o, "tenantId", json_string(a->tenant_id));
    return o;
}

int cli_invoke(int argc, char **argv)
{
    invoke_args a = {.f.env = json_object()};
    a.f.fn.environment = a.f.env;
    int rc = parse_args(argc, argv, &a);
    lc_buf payload;
    lc_buf_init(&payload, LC_EVENT_MAX_BYTES);
    if (rc == CLI_OK)
        rc = read_event(&a, &payload);
    json_t *ctx = rc == CLI_OK ? context_overrides(&a, &rc) : NULL;
    if (rc == CLI_OK)
        rc = a.endpoint_url ? run_remote(&a, &payload) : run_local(&a, &payload, ctx);
    json_decref(ctx);
    lc_buf_free(&payload);
    cli_function_args_clear(&a.f);
    return rc < 0 ? CLI_OK : rc;
}
