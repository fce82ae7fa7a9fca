/* lambdacheck invoke: run one handler once, locally, the way Lambda runs it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char invoke_usage[] =
    "usage: lambdacheck invoke --handler MODULE.FUNCTION --code DIR [options]\n"
    "                          [EVENT_FILE | --payload JSON | -]\n"
    "\n"
    "Runs the handler once in a fresh execution environment of the embedded emulator and prints\n"
    "the payload it returned. Without an event the payload is {}.\n"
    "\n"
    "options:\n"
    "  --function-name NAME     function name (default my-function)\n"
    "  --timeout SECONDS        1-900 (default 3)\n"
    "  --timeout-ms MS          timeout in milliseconds, for fast tests\n"
    "  --memory MB              128-10240 (default 128)\n"
    "  --env KEY=VALUE          a function environment variable (repeatable)\n"
    "  --python PATH            interpreter for the bundled Python runtime client\n"
    "  --runtime-command CMD    run CMD (split at blanks; the handler is appended) instead of\n"
    "                           the bundled client, e.g. 'python3 -m awslambdaric'\n"
    "  --client-context JSON    the client context the handler sees\n"
    "  --log-type Tail          print the invocation's log (last 4 KB) to standard error\n"
    "  --output json            print {statusCode, functionError, requestId, executedVersion,\n"
    "                           payload, logResult} instead of the payload\n"
    "\n"
    "Exit status: 0 the function succeeded, 1 it returned a function error (or could not run),\n"
    "2 bad usage.\n";

typedef struct {
    lc_function_config fn;
    json_t *env;
    const char *payload_text;
    const char *event_file;
    const char *client_context;
    bool tail;
    bool json_output;
} invoke_args;

enum { OPT_HANDLER = 256, OPT_CODE, OPT_NAME, OPT_TIMEOUT, OPT_TIMEOUT_MS, OPT_MEMORY, OPT_ENV,
       OPT_PYTHON, OPT_RUNTIME, OPT_PAYLOAD, OPT_LOG_TYPE, OPT_OUTPUT, OPT_CLIENT_CONTEXT,
       OPT_HELP };

static const struct option long_options[] = {
    {"handler", required_argument, NULL, OPT_HANDLER},
    {"code", required_argument, NULL, OPT_CODE},
    {"function-name", required_argument, NULL, OPT_NAME},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"timeout-ms", required_argument, NULL, OPT_TIMEOUT_MS},
    {"memory", required_argument, NULL, OPT_MEMORY},
    {"env", required_argument, NULL, OPT_ENV},
    {"python", required_argument, NULL, OPT_PYTHON},
    {"runtime-command", required_argument, NULL, OPT_RUNTIME},
    {"payload", required_argument, NULL, OPT_PAYLOAD},
    {"log-type", required_argument, NULL, OPT_LOG_TYPE},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"client-context", required_argument, NULL, OPT_CLIENT_CONTEXT},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* A whole number in [min, max], or -1 after printing the usage error. */
static long parse_number(const char *option, const char *text, long min, long max)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || v < min || v > max) {
        cli_usage_error("invoke ", "%s takes a whole number from %ld to %ld, not '%s'", option, min,
                        max, text);
        return -1;
    }
    return v;
}

static int add_env(invoke_args *a, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    if (eq == NULL || eq == assignment)
        return cli_usage_error("invoke ", "--env takes KEY=VALUE, not '%s'", assignment);
    char key[256];
    snprintf(key, sizeof key, "%.*s", (int)(eq - assignment), assignment);
    json_object_set_new(a->env, key, json_string(eq + 1));
    return CLI_OK;
}

static int take_option(invoke_args *a, int opt, const char *arg)
{
    long v;
    switch (opt) {
    case OPT_HANDLER: a->fn.handler = arg; return CLI_OK;
    case OPT_CODE: a->fn.code_dir = arg; return CLI_OK;
    case OPT_NAME: a->fn.name = arg; return CLI_OK;
    case OPT_PYTHON: a->fn.python = arg; return CLI_OK;
    case OPT_RUNTIME: a->fn.runtime_command = arg; return CLI_OK;
    case OPT_PAYLOAD: a->payload_text = arg; return CLI_OK;
    case OPT_CLIENT_CONTEXT: a->client_context = arg; return CLI_OK;
    case OPT_ENV: return add_env(a, arg);
    case OPT_TIMEOUT:
        if ((v = parse_number("--timeout", arg, 1, 900)) < 0)
            return CLI_USAGE;
        a->fn.timeout_ms = v * 1000;
        return CLI_OK;
    case OPT_TIMEOUT_MS:
        if ((v = parse_number("--timeout-ms", arg, 1, LC_TIMEOUT_MAX_MS)) < 0)
            return CLI_USAGE;
        a->fn.timeout_ms = v;
        return CLI_OK;
    case OPT_MEMORY:
        if ((v = parse_number("--memory", arg, LC_MEMORY_MIN_MB, LC_MEMORY_MAX_MB)) < 0)
            return CLI_USAGE;
        a->fn.memory_mb = v;
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

static int parse_args(int argc, char **argv, invoke_args *a)
{
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, "+h", long_options, NULL)) != -1) {
        if (opt == OPT_HELP || opt == 'h') {
            fputs(invoke_usage, stdout);
            return -1;
        }
        if (opt == '?')
            return cli_usage_error("invoke ", "unknown option '%s'", argv[optind - 1]);
        if (opt == ':')
            return cli_usage_error("invoke ", "option '%s' needs a value", argv[optind - 1]);
        int rc = take_option(a, opt, optarg);
        if (rc != CLI_OK)
            return rc;
    }
    if (optind < argc)
        a->event_file = argv[optind++];
    if (optind < argc)
        return cli_usage_error("invoke ", "unexpected argument '%s'", argv[optind]);
    if (a->event_file && a->payload_text)
        return cli_usage_error("invoke ", "give either an EVENT_FILE or --payload, not both");
    if (a->fn.handler == NULL || a->fn.code_dir == NULL)
        return cli_usage_error("invoke ", "--handler and --code are required");
    return CLI_OK;
}

/* Reads the event as raw bytes (what Lambda passes on) after checking that it is JSON. */
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
    else
        st = lc_buf_puts(payload, "{}"), source = "<default>";
    json_t *event = NULL;
    if (st == LC_OK && err.status == LC_OK)
        st = lc_event_load_string(payload->data, payload->len, source, &event, &err);
    json_decref(event);
    if (st != LC_OK || err.status != LC_OK) {
        if (err.status == LC_OK)
            lc_error_set(&err, st, source, 0, 0, "%s", lc_strerror(st));
        cli_print_error(&err);
        return CLI_USAGE;
    }
    if (payload->len >= 3 && memcmp(payload->data, "\xEF\xBB\xBF", 3) == 0) {
        memmove(payload->data, payload->data + 3, payload->len - 2);
        payload->len -= 3;
    }
    return CLI_OK;
}

/* The last 4 KB of the log, as X-Amz-Log-Result carries it. */
static const char *log_tail(const lc_result *r)
{
    return r->log_len > 4096 ? r->log + r->log_len - 4096 : (r->log ? r->log : "");
}

/* The payload as a JSON string, or, when it is not UTF-8 text, null plus payloadBase64. */
static void add_payload(json_t *out, const lc_result *r)
{
    json_t *text = json_stringn(r->payload, r->payload_len);
    if (text) {
        json_object_set_new(out, "payload", text);
        return;
    }
    lc_buf b64;
    lc_buf_init(&b64, 0);
    lc_buf_base64_encode(&b64, r->payload, r->payload_len);
    json_object_set_new(out, "payload", json_null());
    json_object_set_new(out, "payloadBase64", json_stringn(b64.data ? b64.data : "", b64.len));
    lc_buf_free(&b64);
}

static void print_result(const invoke_args *a, const lc_result *r)
{
    if (!a->json_output) {
        fwrite(r->payload, 1, r->payload_len, stdout);
        putchar('\n');
        if (a->tail)
            fputs(log_tail(r), stderr);
        return;
    }
    json_t *out = json_pack("{s:i, s:s?, s:s, s:s}", "statusCode", r->status_code,
                            "functionError", r->function_error[0] ? r->function_error : NULL,
                            "requestId", r->request_id, "executedVersion", r->executed_version);
    add_payload(out, r);
    json_object_set_new(out, "logResult", a->tail ? json_string(log_tail(r)) : json_null());
    json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(out);
}

static int run(invoke_args *a)
{
    lc_buf payload;
    lc_buf_init(&payload, LC_EVENT_MAX_BYTES);
    int rc = read_event(a, &payload);
    lc_error err = {0};
    lc_emulator *em = NULL;
    lc_function *fn = NULL;
    json_t *ctx = a->client_context ? json_pack("{s:s}", "clientContext", "") : NULL;
    if (ctx) {
        json_t *cc = json_loads(a->client_context, 0, NULL);
        if (cc == NULL)
            rc = cli_usage_error("invoke ", "--client-context must be a JSON object");
        json_object_set_new(ctx, "clientContext", cc ? cc : json_null());
    }
    if (rc == CLI_OK && lc_function_new(&a->fn, &fn, &err) != LC_OK)
        rc = err.status == LC_ESPAWN ? CLI_FAILED : CLI_USAGE;
    const char *name = fn ? lc_function_name(fn) : "";
    if (rc == CLI_OK && lc_emulator_new(NULL, &em, &err) != LC_OK) {
        lc_function_free(fn);
        rc = CLI_FAILED;
    }
    if (rc == CLI_OK && lc_emulator_add_function(em, fn, &err) != LC_OK) /* takes fn */
        rc = CLI_FAILED;
    lc_invoke_options opt = {.payload = payload.data, .payload_len = payload.len, .context = ctx};
    lc_result r = {0};
    if (rc == CLI_OK && lc_emulator_invoke(em, name, &opt, &r, &err) != LC_OK)
        rc = CLI_FAILED;
    if (rc == CLI_OK) {
        print_result(a, &r);
        rc = r.function_error[0] ? CLI_FAILED : CLI_OK;
    } else if (err.status != LC_OK) {
        cli_print_error(&err);
    }
    lc_result_clear(&r);
    lc_emulator_free(em);
    json_decref(ctx);
    lc_buf_free(&payload);
    return rc;
}

int cli_invoke(int argc, char **argv)
{
    invoke_args a = {.env = json_object()};
    a.fn.environment = a.env;
    int rc = parse_args(argc, argv, &a);
    if (rc == CLI_OK)
        rc = run(&a);
    json_decref(a.env);
    return rc < 0 ? CLI_OK : rc;
}
