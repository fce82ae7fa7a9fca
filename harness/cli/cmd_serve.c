/* lambdacheck serve: the embedded emulator behind the Invoke API, for any Lambda client. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"

static const char serve_usage[] =
    "usage: lambdacheck serve --handler MODULE.FUNCTION --code DIR [options]\n"
    "       lambdacheck serve --manifest MANIFEST|DIR [options]\n"
    "       lambdacheck serve --template template.yaml [options]\n"
    "\n"
    "Serves one function through the Lambda Invoke API on 127.0.0.1, so the AWS CLI, an AWS SDK\n"
    "or 'lambdacheck invoke --endpoint-url' can call it as if it were deployed:\n"
    "    aws lambda invoke --endpoint-url http://127.0.0.1:PORT --function-name NAME out.json\n"
    "--manifest serves every function of a handler library's lambdacheck.json instead (give it\n"
    "more than once to serve several libraries; their function names must differ); --template\n"
    "every function of a SAM or CloudFormation template, named by its logical id.\n"
    "Logs one line per invocation to standard error. SIGINT or SIGTERM stops it after every\n"
    "queued asynchronous event has finished (retries run without their delays).\n"
    "\n"
    "function options: --function-name, --timeout, --timeout-ms, --memory, --env KEY=VALUE,\n"
    "                  --runtime, --python, --runtime-command, --concurrency,\n"
    "                  --host-packages, --credentials, --log-format,\n"
    "                  --application-log-level,"
    " --system-log-level, --parameter-overrides, --env-vars,\n"
    "                  --region, --account, --layer, --tenancy, --max-concurrency N,\n"
    "                  --plain-start, --snapstart,\n"
    "                  --aws-stubs FILE, --aws-endpoint URL (see 'lambdacheck invoke');\n"
    "                  every AWS call a function makes is logged as it is answered\n"
    "server options:\n"
    "  --listen HOST:PORT          where to listen (default 127.0.0.1:0, an ephemeral port)\n"
    "  --port-file FILE            write the port there once listening (for scripts)\n"
    "  --destination-file FILE     append asynchronous destination records (JSON lines)\n"
    "  --max-retry-attempts N      0-2 (default 2)\n"
    "  --retry-delay-ms MS         delay before each retry (default Lambda's 60000, 120000)\n"
    "  --max-event-age SECONDS     60-21600 (default 21600)\n"
    "  --require-sigv4 KEY[:SECRET] refuse requests not signed (SigV4) with this key pair; the\n"
    "                              secret from $LAMBDACHECK_SIGV4_SECRET when not given (a\n"
    "                              secret on the command line is readable by local users)\n"
    "  --require-sigv4-file FILE   the same, KEY:SECRET read from FILE\n"
    "  --api-listen HOST:PORT      where the APIs and function URLs listen (default\n"
    "                              127.0.0.1:0); with a PORT, each takes the next port\n"
    "  --endpoints-file FILE       write their base URLs there once listening, as JSON:\n"
    "                              {\"apis\": {NAME: URL}, \"functionUrls\": {FUNCTION: URL}}\n"
    "  --no-apis                   serve only the Invoke API\n"
    "\n"
    "With --template (or a manifest's template or \"http\"), serve also answers HTTP as API\n"
    "Gateway and function URLs would: every Api and HttpApi event, AWS::Serverless::Api and\n"
    "HttpApi resource, and FunctionUrlConfig, each on a port of its own, with their routes,\n"
    "stages, CORS, Lambda authorizers and binary media types. One line per request is logged,\n"
    "after the function's own log lines.\n"
    "\n"
    "Queues and streams: POST /lambdacheck/mappings/FUNCTION/sqs (or kinesis, dynamodb) with a\n"
    "case's source object ({\"messages\": [...]}, {\"records\": [...]}) drains it into FUNCTION\n"
    "through its template's or manifest's mapping and answers where each message went;\n"
    "GET /lambdacheck/mappings/FUNCTION shows the mappings (README, \"Queues and streams\").\n"
    "\n"
    "Who can call: anyone who can connect to the address. On 127.0.0.1 that is every local user\n"
    "and process; with --listen on another address, whoever reaches it. --require-sigv4 limits\n"
    "calls to holders of the key; serve warns when it starts without it and functions get this\n"
    "user's AWS keys (--credentials host), or listens beyond loopback.\n";

typedef struct {
    cli_function_args f;
    char host[64];
    unsigned port;
    const char *port_file;
    const char *destination_file;
    const char *manifests[16];
    int n_manifests;
    lc_async_config async;
    char sigv4_key[128];
    char sigv4_secret[256];
    char api_host[64];
    unsigned api_port;
    const char *endpoints_file;
    bool no_apis;
    json_t *http; /* the gateway model, gathered from the template or manifests (owned) */
} serve_args;

enum { OPT_LISTEN = OPT_FUNCTION_LAST, OPT_PORT_FILE, OPT_DESTINATION, OPT_RETRIES,
       OPT_RETRY_DELAY, OPT_EVENT_AGE, OPT_SIGV4, OPT_SIGV4_FILE, OPT_MANIFEST, OPT_API_LISTEN,
       OPT_ENDPOINTS_FILE, OPT_NO_APIS, OPT_HELP };

static const struct option long_options[] = {
    CLI_FUNCTION_OPTIONS,
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"port-file", required_argument, NULL, OPT_PORT_FILE},
    {"destination-file", required_argument, NULL, OPT_DESTINATION},
    {"max-retry-attempts", required_argument, NULL, OPT_RETRIES},
    {"retry-delay-ms", required_argument, NULL, OPT_RETRY_DELAY},
    {"max-event-age", required_argument, NULL, OPT_EVENT_AGE},
    {"require-sigv4", required_argument, NULL, OPT_SIGV4},
    {"require-sigv4-file", required_argument, NULL, OPT_SIGV4_FILE},
    {"manifest", required_argument, NULL, OPT_MANIFEST},
    {"api-listen", required_argument, NULL, OPT_API_LISTEN},
    {"endpoints-file", required_argument, NULL, OPT_ENDPOINTS_FILE},
    {"no-apis", no_argument, NULL, OPT_NO_APIS},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int parse_host_port(const char *option, const char *arg, char host[64], unsigned *port)
{
    const char *colon = strrchr(arg, ':');
    char what[64];
    snprintf(what, sizeof what, "%s's port", option);
    long p = colon ? cli_parse_number("serve ", what, colon + 1, 0, 65535) : -1;
    if (colon == NULL || colon == arg || (size_t)(colon - arg) >= 64)
        return cli_usage_error("serve ", "%s takes HOST:PORT, not '%s'", option, arg);
    if (p < 0)
        return CLI_USAGE;
    snprintf(host, 64, "%.*s", (int)(colon - arg), arg);
    *port = (unsigned)p;
    return CLI_OK;
}

static int parse_listen(serve_args *a, const char *arg)
{
    return parse_host_port("--listen", arg, a->host, &a->port);
}

/* KEY:SECRET, or KEY with the secret from $LAMBDACHECK_SIGV4_SECRET. A secret given in arg is
 * wiped from it (and so from /proc/PID/cmdline) once copied. */
static int set_sigv4(serve_args *a, char *arg, const char *what)
{
    char *colon = strchr(arg, ':');
    size_t key_len = colon ? (size_t)(colon - arg) : strlen(arg);
    const char *secret = colon ? colon + 1 : getenv("LAMBDACHECK_SIGV4_SECRET");
    if (key_len == 0 || key_len >= sizeof a->sigv4_key)
        return cli_usage_error("serve ", "%s takes KEY:SECRET, or KEY with the secret in "
                                         "$LAMBDACHECK_SIGV4_SECRET",
                               what);
    if (secret == NULL || secret[0] == '\0' || strlen(secret) >= sizeof a->sigv4_secret)
        return cli_usage_error("serve ", "%s: no secret (give KEY:SECRET, or set "
                                         "LAMBDACHECK_SIGV4_SECRET)",
                               what);
    snprintf(a->sigv4_key, sizeof a->sigv4_key, "%.*s", (int)key_len, arg);
    snprintf(a->sigv4_secret, sizeof a->sigv4_secret, "%s", secret);
    if (colon)
        memset(colon + 1, 'x', strlen(colon + 1));
    return CLI_OK;
}

static int take_sigv4(serve_args *a, char *arg)
{
    if (strchr(arg, ':'))
        fprintf(stderr, "lambdacheck: note: a secret on the command line is readable by local "
                        "users until serve starts; --require-sigv4-file or "
                        "LAMBDACHECK_SIGV4_SECRET keep it out of it\n");
    return set_sigv4(a, arg, "--require-sigv4");
}

static int take_sigv4_file(serve_args *a, const char *path)
{
    lc_buf text;
    lc_buf_init(&text, 4096);
    lc_error err = {0};
    if (lc_buf_read_file(&text, path, &err) != LC_OK) {
        lc_buf_free(&text);
        return cli_usage_error("serve ", "--require-sigv4-file %s: %s", path, err.message);
    }
    text.data[strcspn(text.data, "\r\n")] = '\0';
    int rc = strchr(text.data, ':') ? set_sigv4(a, text.data, "--require-sigv4-file")
                                    : cli_usage_error("serve ", "--require-sigv4-file %s must "
                                                                "hold KEY:SECRET",
                                                      path);
    memset(text.data, 0, text.len);
    lc_buf_free(&text);
    return rc;
}

static int take_option(serve_args *a, int opt, const char *arg)
{
    int rc = cli_function_option(&a->f, "serve ", opt, arg);
    if (rc != CLI_NOT_MINE)
        return rc;
    long v;
    switch (opt) {
    case OPT_LISTEN: return parse_listen(a, arg);
    case OPT_SIGV4: return take_sigv4(a, (char *)arg);
    case OPT_SIGV4_FILE: return take_sigv4_file(a, arg);
    case OPT_PORT_FILE: a->port_file = arg; return CLI_OK;
    case OPT_API_LISTEN: return parse_host_port("--api-listen", arg, a->api_host, &a->api_port);
    case OPT_ENDPOINTS_FILE: a->endpoints_file = arg; return CLI_OK;
    case OPT_NO_APIS: a->no_apis = true; return CLI_OK;
    case OPT_MANIFEST:
        if (a->n_manifests == 16)
            return cli_usage_error("serve ", "at most 16 --manifest libraries");
        a->manifests[a->n_manifests++] = arg;
        return CLI_OK;
    case OPT_DESTINATION: a->destination_file = arg; return CLI_OK;
    case OPT_RETRIES:
        if ((v = cli_parse_number("serve ", "--max-retry-attempts", arg, 0, 2)) < 0)
            return CLI_USAGE;
        a->async.max_retry_attempts = (int)v;
        return CLI_OK;
    case OPT_RETRY_DELAY:
        if ((v = cli_parse_number("serve ", "--retry-delay-ms", arg, 0, 3600000)) < 0)
            return CLI_USAGE;
        a->async.retry_delay_ms[0] = a->async.retry_delay_ms[1] = v;
        return CLI_OK;
    case OPT_EVENT_AGE:
        if ((v = cli_parse_number("serve ", "--max-event-age", arg, 60, 21600)) < 0)
            return CLI_USAGE;
        a->async.max_event_age_ms = v * 1000;
        return CLI_OK;
    default:
        return cli_usage_error("serve ", "unknown option");
    }
}

static int parse_args(int argc, char **argv, serve_args *a)
{
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        if (opt == OPT_HELP || opt == 'h') {
            fputs(serve_usage, stdout);
            return -1;
        }
        if (opt == '?')
            return cli_usage_error("serve ", "unknown option '%s'", argv[optind - 1]);
        int rc = take_option(a, opt, optarg);
        if (rc != CLI_OK)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error("serve ", "unexpected argument '%s'", argv[optind]);
    int sources = (a->n_manifests > 0) + (a->f.template != NULL) +
                  (a->f.fn.handler != NULL || a->f.fn.code_dir != NULL);
    if (sources > 1)
        return cli_usage_error("serve ", "give one of --manifest, --template, or --handler and "
                                         "--code");
    if (sources == 0 || (!a->n_manifests && !a->f.template &&
                         (a->f.fn.handler == NULL || a->f.fn.code_dir == NULL)))
        return cli_usage_error("serve ", "--handler and --code (or --manifest, or --template) "
                                         "are required");
    return CLI_OK;
}

static int write_port_file(const char *path, unsigned port)
{
    FILE *f = fopen(path, "w");
    if (f == NULL || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0) {
        fprintf(stderr, "lambdacheck: %s: cannot write the port file: %s\n", path,
                strerror(errno));
        return CLI_FAILED;
    }
    return CLI_OK;
}

/* Waits for SIGINT or SIGTERM (blocked in every thread, so they queue for sigwait). */
static int wait_for_stop(const sigset_t *stop)
{
    int sig = 0;
    sigwait(stop, &sig);
    return sig;
}

static lc_status configure_async(serve_args *a, lc_emulator *em, lc_error *err)
{
    for (size_t i = 0; i < lc_emulator_function_count(em); i++) {
        lc_status st = lc_emulator_set_async(
            em, lc_function_name(lc_emulator_function_at(em, i)), &a->async, err);
        if (st != LC_OK)
            return st;
    }
    return LC_OK;
}

/* Every destination record written, by condition (the records kept in memory are only the
 * newest). */
static void report_records(lc_emulator *em)
{
    lc_async_counts n = lc_emulator_async_counts(em);
    size_t total = n.success + n.retries_exhausted + n.event_age_exceeded;
    fprintf(stderr, "lambdacheck: stopped; %zu asynchronous event%s recorded", total,
            total == 1 ? "" : "s");
    if (total)
        fprintf(stderr, " (Success %zu, RetriesExhausted %zu, EventAgeExceeded %zu)",
                n.success, n.retries_exhausted, n.event_age_exceeded);
    fputc('\n', stderr);
}

/* Without SigV4 anyone who can connect can call: say so when that reaches this user's AWS keys
 * or goes beyond this machine. */
static void warn_who_can_call(const serve_args *a, const lc_invoke_server *server)
{
    if (a->sigv4_key[0])
        return;
    bool loopback = strncmp(a->host, "127.", 4) == 0;
    if (!loopback)
        fprintf(stderr, "lambdacheck: warning: listening on %s without --require-sigv4: anyone "
                        "who can reach that address can invoke these functions\n",
                lc_invoke_server_url(server));
    if (a->f.host_credentials)
        fprintf(stderr, "lambdacheck: warning: the functions run with this user's AWS keys "
                        "(--credentials host), and %s can invoke them without a signature: "
                        "add --require-sigv4\n",
                loopback ? "every local user" : "anyone who reaches the address");
}

/* Connections cost a descriptor each: serve may use as many as the hard limit allows. */
static void raise_descriptor_limit(void)
{
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
        return;
    rlim_t wanted = lim.rlim_max > 65536 ? 65536 : lim.rlim_max;
    if (wanted > lim.rlim_cur) {
        lim.rlim_cur = wanted;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
}

static int write_endpoints(const char *path, const lc_gateway *gw)
{
    json_t *endpoints = lc_gateway_endpoints(gw);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    /* written whole, then renamed: a script polling for the file never reads half of it */
    int rc = json_dump_file(endpoints, tmp, JSON_INDENT(2)) == 0 && rename(tmp, path) == 0
                 ? CLI_OK
                 : CLI_FAILED;
    if (rc != CLI_OK)
        fprintf(stderr, "lambdacheck: %s: cannot write the endpoints file: %s\n", path,
                strerror(errno));
    json_decref(endpoints);
    return rc;
}

static size_t model_size(const json_t *model)
{
    return json_array_size(json_object_get(model, "apis")) +
           json_array_size(json_object_get(model, "functionUrls"));
}

/* The APIs and function URLs, when there are any: started, announced, their URLs written. */
static int start_gateway(serve_args *a, lc_emulator *em, lc_gateway **gw)
{
    *gw = NULL;
    if (a->no_apis || a->http == NULL || model_size(a->http) == 0) {
        if (a->endpoints_file && !a->no_apis)
            fprintf(stderr, "lambdacheck: note: --endpoints-file: there are no APIs or function "
                            "URLs to serve\n");
        return CLI_OK;
    }
    lc_gateway_options opt = {.host = a->api_host, .port = a->api_port, .log = stderr,
                              .region = a->f.fn.region, .account = a->f.fn.account};
    if (a->sigv4_key[0]) {
        opt.sigv4_access_key_id = a->sigv4_key;
        opt.sigv4_secret_access_key = a->sigv4_secret;
    }
    const json_t *urls = json_object_get(a->http, "functionUrls");
    for (size_t i = 0; !a->sigv4_key[0] && i < json_array_size(urls); i++) {
        const char *auth = json_string_value(json_object_get(json_array_get(urls, i), "authType"));
        if (auth && strcmp(auth, "AWS_IAM") == 0)
            fprintf(stderr, "lambdacheck: note: the function URL of %s has AuthType AWS_IAM: it "
                            "takes requests signed with --require-sigv4's key pair, and without "
                            "one refuses them all (403)\n",
                    json_string_value(json_object_get(json_array_get(urls, i), "function")));
    }
    lc_error err = {0};
    if (lc_gateway_start(em, a->http, &opt, gw, &err) != LC_OK) {
        cli_print_error(&err);
        return CLI_FAILED;
    }
    if (strncmp(a->api_host, "127.", 4) != 0)
        fprintf(stderr, "lambdacheck: warning: the APIs and function URLs listen on %s: whoever "
                        "reaches that address can call them, as anyone can call a public API\n",
                a->api_host);
    json_t *endpoints = lc_gateway_endpoints(*gw);
    const char *kind;
    json_t *list;
    json_object_foreach(endpoints, kind, list)
    {
        const char *name;
        json_t *url;
        json_object_foreach(list, name, url)
            fprintf(stderr, "lambdacheck: serving %s %s at %s\n",
                    strcmp(kind, "apis") == 0 ? "API" : "the function URL of", name,
                    json_string_value(url));
    }
    json_decref(endpoints);
    return a->endpoints_file ? write_endpoints(a->endpoints_file, *gw) : CLI_OK;
}

static int serve(serve_args *a, lc_emulator *em, const sigset_t *stop)
{
    lc_error err = {0};
    lc_invoke_server *server = NULL;
    lc_gateway *gw = NULL;
    lc_invoke_server_options opt = {.host = a->host, .port = a->port, .log = stderr};
    raise_descriptor_limit();
    if (a->sigv4_key[0]) {
        opt.sigv4_access_key_id = a->sigv4_key;
        opt.sigv4_secret_access_key = a->sigv4_secret;
    }
    if (configure_async(a, em, &err) != LC_OK ||
        (a->destination_file && lc_emulator_set_destination_file(em, a->destination_file,
                                                                 &err) != LC_OK) ||
        lc_invoke_server_start(em, &opt, &server, &err) != LC_OK) {
        cli_print_error(&err);
        return CLI_FAILED;
    }
    warn_who_can_call(a, server);
    size_t n = lc_emulator_function_count(em);
    fprintf(stderr, "lambdacheck: serving ");
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%s%s", i ? ", " : "", lc_function_name(lc_emulator_function_at(em, i)));
    fprintf(stderr, " at %s\n", lc_invoke_server_url(server));
    int rc = start_gateway(a, em, &gw);
    if (rc == CLI_OK && a->port_file)
        rc = write_port_file(a->port_file, lc_invoke_server_port(server));
    int sig = rc == CLI_OK ? wait_for_stop(stop) : 0;
    if (sig)
        fprintf(stderr, "lambdacheck: %s: finishing queued events\n", strsignal(sig));
    lc_gateway_free(gw);           /* no new requests; those in progress are answered */
    lc_invoke_server_free(server); /* no new calls; those in progress finish */
    if (lc_emulator_drain(em, 3600 * 1000L, true, &err) != LC_OK) {
        cli_print_error(&err);
        rc = CLI_FAILED;
    }
    report_records(em);
    return rc;
}

static int add_function(serve_args *a, lc_emulator *em)
{
    lc_function *fn = NULL;
    int rc = cli_make_function(&a->f, &fn);
    lc_error err = {0};
    if (rc == CLI_OK && lc_emulator_add_function(em, fn, &err) != LC_OK) { /* takes fn */
        cli_print_error(&err);
        rc = CLI_FAILED;
    }
    return rc;
}

/* The manifest among the first n that declares a function of that name, or NULL. */
static const char *declared_by(lc_library **libs, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        for (size_t f = 0; f < lc_library_function_count(libs[i]); f++)
            if (strcmp(lc_library_function_name(libs[i], f), name) == 0)
                return lc_library_manifest(libs[i]);
    return NULL;
}

/* Every function of every library, served side by side. Two libraries that declare one name
 * cannot be told apart by a caller: that is refused, naming both. */
static int add_library(serve_args *a, lc_library **libs, int i, lc_emulator *em)
{
    lc_error err = {0};
    json_t *env_vars = NULL;
    if (cli_load_env_vars(a->f.env_vars, &env_vars) != CLI_OK)
        return CLI_USAGE;
    lc_library_options opt = {.local = true, .python = a->f.fn.python,
                              .runtime_command = a->f.fn.runtime_command,
                              .host_packages = a->f.fn.host_packages,
                              .region = a->f.fn.region, .account = a->f.fn.account,
                              .parameters = a->f.parameters, .env_vars = env_vars,
                              .functions_only = true};
    lc_status st = lc_library_load(a->manifests[i], &opt, &libs[i], &err);
    json_decref(env_vars);
    if (st != LC_OK) {
        cli_print_error(&err);
        return err.status == LC_ESPAWN ? CLI_FAILED : CLI_USAGE;
    }
    cli_print_notes(libs[i]);
    const json_t *http = lc_library_http(libs[i]);
    json_array_extend(json_object_get(a->http, "apis"), json_object_get(http, "apis"));
    json_array_extend(json_object_get(a->http, "functionUrls"),
                      json_object_get(http, "functionUrls"));
    for (size_t f = 0; f < lc_library_function_count(libs[i]); f++) {
        const char *name = lc_library_function_name(libs[i], f);
        const char *other = declared_by(libs, i, name);
        if (other)
            return cli_usage_error("serve ", "function %s is declared by both %s and %s: a caller "
                                             "could not tell them apart; serve them separately",
                                   name, other, lc_library_manifest(libs[i]));
    }
    for (size_t f = 0; f < lc_library_function_count(libs[i]); f++) {
        const lc_function *built = lc_library_function(libs[i], f);
        lc_function *copy = NULL;
        if (built == NULL)
            continue; /* a template function that cannot run here: noted above */
        st = lc_function_copy_with(built, NULL, &copy, &err);
        int rc = st == LC_OK ? cli_point_at_aws(&a->f, &copy) : CLI_FAILED;
        if (rc == CLI_OK && lc_emulator_add_function(em, copy, &err) != LC_OK)
            rc = CLI_FAILED;
        if (rc != CLI_OK) {
            if (err.status != LC_OK)
                cli_print_error(&err);
            return rc;
        }
    }
    return CLI_OK;
}

static int add_manifests(serve_args *a, lc_emulator *em)
{
    lc_library *libs[16] = {0};
    int rc = CLI_OK;
    for (int i = 0; i < a->n_manifests && rc == CLI_OK; i++)
        rc = add_library(a, libs, i, em);
    for (int i = 0; i < a->n_manifests; i++)
        lc_library_free(libs[i]);
    return rc;
}

int cli_serve(int argc, char **argv)
{
    /* blocked before any thread starts (resolving the interpreter starts one), so the signals
       wait for sigwait instead of killing the process from another thread */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    serve_args a = {.f.env = json_object(), .host = "127.0.0.1", .api_host = "127.0.0.1",
                    .async = lc_async_defaults(),
                    .http = json_pack("{s:[], s:[]}", "apis", "functionUrls")};
    a.f.fn.environment = a.f.env;
    int rc = parse_args(argc, argv, &a);
    lc_emulator *em = NULL;
    lc_error err = {0};
    if (rc == CLI_OK && lc_emulator_new(NULL, &em, &err) != LC_OK) {
        cli_print_error(&err);
        rc = CLI_FAILED;
    }
    if (rc == CLI_OK)
        rc = a.n_manifests  ? add_manifests(&a, em)
             : a.f.template ? cli_add_template_functions(&a.f, em)
                            : add_function(&a, em);
    if (rc == CLI_OK && a.f.template && !a.no_apis) {
        json_decref(a.http);
        a.http = NULL;
        rc = cli_template_http(&a.f, &a.http);
    }
    if (rc == CLI_OK)
        rc = serve(&a, em, &stop);
    lc_emulator_free(em);
    cli_function_args_clear(&a.f);
    json_decref(a.http);
    return rc < 0 ? CLI_OK : rc;
}
