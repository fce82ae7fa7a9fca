/* Benchmarks: where users feel lambdacheck's speed, each figure next to its floor or peer.
 *
 *   warm       synchronous calls/s and p50/p99 of a trivial Python handler on one environment:
 *              through the C API, through the Invoke API over HTTP, and in a sandbox over HTTP
 *              (how check runs a case's invocations)
 *   payloads   echoing 100 KB, 1 MB and 5 MB events through the C API and through serve's Invoke
 *              API, next to the in-process floor (json.loads + json.dumps of the same bytes)
 *   cold       `lambdacheck invoke` of a trivial handler as a whole process, next to
 *              `python3 -c 'import json'` with the same interpreter, and to AWS's Python client
 *              under the same emulator when LAMBDACHECK_AWSLAMBDARIC names a build of it
 *              (suites/differential/build-awslambdaric; LAMBDACHECK_AWSLAMBDARIC_PYTHON: its
 *              interpreter, default /usr/bin/python3)
 *   node       the bundled Node.js client: warm calls/s through the C API and a cold
 *              `lambdacheck invoke`, next to `node -e 0` and to AWS's aws-lambda-ric under the same
 *              emulator (installed by .ci/install-deps --test, or LAMBDACHECK_AWS_LAMBDA_RIC)
 *   gateway    requests/s and p50/p99 of a trivial Python and Node.js function behind a REST API,
 *              an HTTP API and a function URL (the gateway), next to the Invoke API over HTTP,
 *              both on one kept-alive connection: the gateway's added cost per request
 *   managed    calls/s of a trivial Python and Node.js handler through one Lambda Managed
 *              Instances environment taking N = 1, 4 and 16 invocations at once, next to N
 *              ordinary environments, each with N callers
 *   fresh      `check` of 1,000 one-call Python cases (a fresh environment each), fast fresh
 *              environments and plain starts, next to 1,000 bare interpreter starts; one cold
 *              invoke both ways
 *   fresh-node `check` of 300 one-call Node.js cases (a fresh process each: Node.js cannot be
 *              copied), with 2 jobs and with 1, next to 300 `node -e 0` one after another (without
 *              NODE_EXTRA_CA_CERTS, which a function's environment does not get either)
 *   snapstart  `check` of 200 one-call cases of a Python 3.12 function with a heavy init
 *              (bench/functions/heavy_init.py): with SnapStart (each environment restored from
 *              one snapshot), without it (each initialises itself, fast fresh environments), and
 *              with plain starts
 *   teardown   stopping 8 environments, next to stopping 1
 *   suite      `lambdacheck check` of the bundled example and conformance libraries
 * Usage: bench_invoke [N [SECTION...]]: N warm calls per rate (default 20000); the sections named
 * (default: all). Medians of repeated runs. Not a test: it prints numbers and ratios, and asserts
 * nothing. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lambdacheck/lambdacheck.h"

extern char **environ;

#define PROBES LC_FIXTURES_DIR "/functions/probes"
#define TRIVIAL LC_BENCH_DIR "/functions"

static int compare(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double percentile_ms(int64_t *ns, size_t n, double p)
{
    qsort(ns, n, sizeof *ns, compare);
    return (double)ns[(size_t)(p * (double)(n - 1))] / 1e6;
}

/* --- running programs -------------------------------------------------------------------------- */

/* Runs argv to the end with its output discarded; returns the wall time in ms, -1 if it failed. */
static double run_ms(char *const *argv)
{
    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    int64_t start = lc_monotonic_ns();
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    int status = 0;
    if (rc == 0)
        waitpid(pid, &status, 0);
    double ms = (double)(lc_monotonic_ns() - start) / 1e6;
    return rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? ms : -1;
}

/* The median wall time of n runs (after one to warm the page cache); -1 if one failed. */
static double median_ms(char *const *argv, int n)
{
    int64_t t[64];
    run_ms(argv);
    for (int i = 0; i < n; i++) {
        double ms = run_ms(argv);
        if (ms < 0)
            return -1;
        t[i] = (int64_t)(ms * 1e6);
    }
    return percentile_ms(t, (size_t)n, 0.5);
}

/* --- functions --------------------------------------------------------------------------------- */

static lc_function *function(const char *name, const char *handler, const char *command,
                             const char *python)
{
    lc_function_config c = {.name = name, .handler = handler, .code_dir = PROBES,
                            .concurrency = 16, .runtime_command = command, .python = python};
    lc_function *fn;
    lc_error err = {0};
    if (lc_function_new(&c, &fn, &err) != LC_OK) {
        fprintf(stderr, "bench: %s\n", err.message);
        exit(1);
    }
    return fn;
}

/* The interpreter the bundled client runs under. */
static void interpreter(char *out, size_t size)
{
    lc_function *fn = function("probe", "probes.returns_none", NULL, NULL);
    snprintf(out, size, "%s", lc_function_argv(fn)[0]);
    lc_function_free(fn);
}

/* --- warm calls -------------------------------------------------------------------------------- */

typedef struct {
    lc_emulator *em;
    lc_target *target;
    const char *sandbox;
    const char *function;
    const char *payload;
    size_t len;
} caller;

static bool call_emulator(caller *c)
{
    lc_invoke_options opt = {.payload = c->payload, .payload_len = c->len};
    lc_result r;
    bool ok = lc_emulator_invoke(c->em, c->function, &opt, &r, NULL) == LC_OK &&
              !r.function_error[0];
    lc_result_clear(&r);
    return ok;
}

static bool call_http(caller *c)
{
    lc_invoke_request req = {.function_name = c->function, .payload = c->payload,
                             .payload_len = c->len, .sandbox = c->sandbox};
    lc_invoke_response r;
    bool ok = lc_target_invoke(c->target, &req, &r, NULL) == LC_OK && r.status == 200 &&
              !r.function_error[0];
    lc_invoke_response_clear(&r);
    return ok;
}

typedef struct {
    double per_second, p50_ms, p99_ms;
} rate;

/* Warms up, then times n calls. */
static rate measure(bool (*call)(caller *), caller *c, size_t n, size_t warm)
{
    for (size_t i = 0; i < warm; i++)
        call(c);
    int64_t *lat = calloc(n, sizeof *lat), start = lc_monotonic_ns();
    for (size_t i = 0; i < n; i++) {
        int64_t t = lc_monotonic_ns();
        if (!call(c)) {
            fprintf(stderr, "bench: a call failed (%s)\n", c->function);
            exit(1);
        }
        lat[i] = lc_monotonic_ns() - t;
    }
    rate r = {.per_second = (double)n / ((double)(lc_monotonic_ns() - start) / 1e9)};
    r.p50_ms = percentile_ms(lat, n, 0.50);
    r.p99_ms = percentile_ms(lat, n, 0.99);
    free(lat);
    return r;
}

static void print_rate(const char *what, rate r, const char *goal)
{
    printf("  %-34s %7.0f calls/s   p50 %6.3f ms   p99 %6.3f ms   %s\n", what, r.per_second,
           r.p50_ms, r.p99_ms, goal);
}

static lc_target *local_target(lc_function *fn)
{
    lc_target *t;
    if (lc_target_new_local(&t, NULL) != LC_OK ||
        lc_emulator_add_function(lc_target_emulator(t), fn, NULL) != LC_OK)
        exit(1);
    return t;
}

/* The C API rate of one handler under AWS's client and under ours, both under the interpreter
 * AWS's build is for (when LAMBDACHECK_AWSLAMBDARIC names one). */
static void warm_peer(size_t n)
{
    const char *ric = getenv("LAMBDACHECK_AWSLAMBDARIC"), *python = getenv("LAMBDACHECK_AWSLAMBDARIC_PYTHON");
    if (ric == NULL || ric[0] == '\0')
        return;
    if (python == NULL || python[0] == '\0')
        python = "/usr/bin/python3";
    static const char event[] = "{\"key1\": \"value1\"}";
    json_t *env = json_pack("{s:s}", "PYTHONPATH", ric);
    const char *names[] = {"under AWS's client (C API)", "under ours, same interpreter"};
    for (int i = 0; i < 2; i++) {
        lc_function_config cfg = {.name = "trivial", .handler = "trivial.handler",
                                  .code_dir = TRIVIAL, .python = python, .environment = env,
                                  .runtime_command = i == 0 ? "{python} -m awslambdaric" : NULL};
        lc_function *fn;
        lc_emulator *em;
        if (lc_function_new(&cfg, &fn, NULL) != LC_OK || lc_emulator_new(NULL, &em, NULL) != LC_OK)
            exit(1);
        lc_emulator_add_function(em, fn, NULL);
        caller c = {.em = em, .function = "trivial", .payload = event, .len = sizeof event - 1};
        print_rate(names[i], measure(call_emulator, &c, n / 4, 200), i ? "" : "(the peer)");
        lc_emulator_free(em);
    }
    json_decref(env);
}

static void warm(size_t n)
{
    printf("warm: synchronous calls of a trivial Python handler on one environment\n");
    static const char event[] = "{\"key1\": \"value1\"}";
    lc_emulator *em;
    lc_emulator_new(NULL, &em, NULL);
    lc_emulator_add_function(em, function("trivial", "probes.returns_none", NULL, NULL), NULL);
    caller c = {.em = em, .function = "trivial", .payload = event, .len = sizeof event - 1};
    print_rate("C API", measure(call_emulator, &c, n, 500), "(goal >= 5000/s, p99 < 1 ms)");
    lc_emulator_free(em);
    lc_target *t = local_target(function("trivial", "probes.returns_none", NULL, NULL));
    c.target = t;
    print_rate("Invoke API over HTTP", measure(call_http, &c, n, 500), "(goal >= 4000/s)");
    char key[LC_SANDBOX_KEY_SIZE];
    lc_emulator_sandbox_open(lc_target_emulator(t), "trivial", NULL, key, NULL);
    c.sandbox = key;
    print_rate("a case's sandbox, over HTTP", measure(call_http, &c, n, 500),
               "(as check runs a case)");
    lc_target_free(t);
    warm_peer(n);
}

/* --- payloads ---------------------------------------------------------------------------------- */

/* A JSON event of about size bytes: a list of strings. */
static char *event_of(size_t size)
{
    char *e = malloc(size + 64);
    size_t n = 0;
    e[n++] = '[';
    while (n < size - 40)
        n += (size_t)sprintf(e + n, "%s\"abcdefghijklmnopqrstuvwxyz0123456789\"", n > 1 ? "," : "");
    e[n++] = ']';
    e[n] = '\0';
    return e;
}

/* json.loads + json.dumps of the same bytes in-process, per call in ms (the floor). */
static double python_floor_ms(const char *python, const char *event)
{
    char path[] = "/tmp/lc_bench_event_XXXXXX", script[512], out[64] = "";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    bool written = write(fd, event, strlen(event)) == (ssize_t)strlen(event);
    close(fd);
    if (!written) {
        unlink(path);
        return -1;
    }
    snprintf(script, sizeof script,
             "import json, time; b = open('%s', 'rb').read(); t = []\n"
             "for _ in range(15):\n"
             "    s = time.perf_counter(); json.dumps(json.loads(b)); t.append(time.perf_counter() - s)\n"
             "print(sorted(t)[7] * 1000)",
             path);
    char cmd[5120];
    bool fits = (size_t)snprintf(cmd, sizeof cmd, "%s -c \"%s\"", python, script) < sizeof cmd;
    FILE *p = fits ? popen(cmd, "r") : NULL;
    if (p == NULL || fgets(out, sizeof out, p) == NULL)
        out[0] = '\0';
    if (p)
        pclose(p);
    unlink(path);
    return out[0] ? atof(out) : -1;
}

static double median_call_ms(bool (*call)(caller *), caller *c, int n)
{
    int64_t t[32];
    call(c);
    for (int i = 0; i < n; i++) {
        int64_t s = lc_monotonic_ns();
        call(c);
        t[i] = lc_monotonic_ns() - s;
    }
    return percentile_ms(t, (size_t)n, 0.5);
}

static void payloads(const char *python)
{
    printf("payloads: an event echoed back (median of 15 calls, ms per call)\n");
    lc_emulator *em;
    lc_emulator_new(NULL, &em, NULL);
    lc_emulator_add_function(em, function("echo", "probes.echo", NULL, NULL), NULL);
    lc_target *t = local_target(function("echo", "probes.echo", NULL, NULL));
    static const size_t sizes[] = {100 * 1024, 1024 * 1024, 5 * 1024 * 1024};
    for (size_t i = 0; i < 3; i++) {
        char *event = event_of(sizes[i]);
        caller c = {.em = em, .target = t, .function = "echo", .payload = event,
                    .len = strlen(event)};
        double api = median_call_ms(call_emulator, &c, 15), http = median_call_ms(call_http, &c, 15);
        double floor = python_floor_ms(python, event);
        printf("  %5zu KB   C API %7.2f   Invoke API %7.2f   floor %6.2f   HTTP/C API %.2fx   "
               "HTTP/floor %.2fx%s\n",
               sizes[i] / 1024, api, http, floor, http / api, floor > 0 ? http / floor : 0,
               i == 1 ? "   (goals: HTTP/floor <= 2.5x, HTTP/C API <= 1.3x)" : "");
        free(event);
    }
    lc_target_free(t);
    lc_emulator_free(em);
}

/* --- cold starts ------------------------------------------------------------------------------- */

/* One cold start's floor and ours under python, and AWS's client under it when ric is given. */
static void cold_under(const char *python, const char *ric)
{
    char *bare[] = {(char *)python, "-c", "import json", NULL};
    char *bare_s[] = {(char *)python, "-S", "-c", "import json", NULL};
    char *ours[] = {LC_CLI_PATH, "invoke", "--python", (char *)python, "--handler",
                    "trivial.handler", "--code", TRIVIAL, NULL};
    double floor = median_ms(bare, 15), floor_s = median_ms(bare_s, 15), mine = median_ms(ours, 15);
    printf("  %s\n", python);
    printf("    python -c 'import json'          %7.1f   (with -S, as the bundled client starts: "
           "%.1f)\n",
           floor, floor_s);
    printf("    lambdacheck invoke               %7.1f   %.2fx the floor (goal <= 1.6x)\n", mine,
           mine / floor);
    if (ric == NULL)
        return;
    char pythonpath[1100];
    snprintf(pythonpath, sizeof pythonpath, "PYTHONPATH=%s", ric);
    char *theirs[] = {LC_CLI_PATH, "invoke", "--python", (char *)python, "--runtime-command",
                      "{python} -m awslambdaric", "--env", pythonpath, "--handler",
                      "trivial.handler", "--code", TRIVIAL, NULL};
    double aws = median_ms(theirs, 15);
    printf("    invoke under AWS's client        %7.1f   %.2fx the floor; ours takes %.2fx its "
           "time\n",
           aws, aws / floor, mine / aws);
}

static void cold(const char *python)
{
    printf("cold: a whole process, median of 15 runs (ms)\n");
    const char *ric = getenv("LAMBDACHECK_AWSLAMBDARIC");
    const char *ric_python = getenv("LAMBDACHECK_AWSLAMBDARIC_PYTHON");
    if (ric && ric[0] == '\0')
        ric = NULL;
    if (ric_python == NULL || ric_python[0] == '\0')
        ric_python = "/usr/bin/python3";
    cold_under(python, ric && strcmp(python, ric_python) == 0 ? ric : NULL);
    if (ric && strcmp(python, ric_python) != 0)
        cold_under(ric_python, ric);
    if (ric == NULL)
        printf("  (set LAMBDACHECK_AWSLAMBDARIC to a build of AWS's Python client, see "
               "suites/differential, to compare with it)\n");
}

/* --- Node.js ---------------------------------------------------------------------------------- */

/* aws-lambda-ric's folder: LAMBDACHECK_AWS_LAMBDA_RIC, else where .ci/install-deps --test puts
 * the pinned version (AWS_LAMBDA_RIC, from CMakeLists.txt); NULL when neither is there. */
static const char *aws_lambda_ric(char *out, size_t size)
{
    const char *given = getenv("LAMBDACHECK_AWS_LAMBDA_RIC"), *home = getenv("HOME");
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (given && given[0])
        snprintf(out, size, "%s", given);
    else if (xdg && xdg[0])
        snprintf(out, size, "%s/lambdacheck/%s/node_modules/aws-lambda-ric", xdg, AWS_LAMBDA_RIC);
    else
        snprintf(out, size, "%s/.cache/lambdacheck/%s/node_modules/aws-lambda-ric",
                 home ? home : "", AWS_LAMBDA_RIC);
    return access(out, R_OK) == 0 ? out : NULL;
}

#define NODE_REFERENCE "{node} " LC_BENCH_DIR "/../suites/differential/node/reference_launcher.mjs"

static void node(size_t n)
{
    printf("node: the bundled Node.js client (nodejs20.x under the host's node)\n");
    char ric[2048], assignment[2100];
    const char *reference = aws_lambda_ric(ric, sizeof ric);
    snprintf(assignment, sizeof assignment, "LAMBDACHECK_AWS_LAMBDA_RIC=%s", ric);
    json_t *env = json_pack("{s:s}", "LAMBDACHECK_AWS_LAMBDA_RIC", ric);
    static const char event[] = "{\"key1\": \"value1\"}";
    for (int i = 0; i < (reference ? 2 : 1); i++) {
        lc_function_config cfg = {.name = "trivial", .handler = "trivial.handler",
                                  .code_dir = TRIVIAL, .runtime = "nodejs20.x",
                                  .environment = i ? env : NULL,
                                  .runtime_command = i ? NODE_REFERENCE : NULL};
        lc_function *fn;
        lc_emulator *em;
        lc_error err = {0};
        if (lc_function_new(&cfg, &fn, &err) != LC_OK || lc_emulator_new(NULL, &em, NULL) != LC_OK) {
            printf("  (cannot run Node.js functions: %s)\n", err.message);
            json_decref(env);
            return;
        }
        lc_emulator_add_function(em, fn, NULL);
        caller c = {.em = em, .function = "trivial", .payload = event, .len = sizeof event - 1};
        /* the first calls run while V8 still compiles the client's code in the background;
           the next as many show the rate it settles at */
        print_rate(i ? "warm, under aws-lambda-ric (C API)" : "warm, C API",
                   measure(call_emulator, &c, n / 4, 200),
                   i ? "(the peer)" : "(goal: at least aws-lambda-ric's rate)");
        print_rate(i ? "  the next as many, aws-lambda-ric" : "  the next as many, ours",
                   measure(call_emulator, &c, n / 4, 0), "(once V8 has compiled)");
        lc_emulator_free(em);
    }
    json_decref(env);
    char *bare[] = {"node", "-e", "0", NULL};
    char *ours[] = {LC_CLI_PATH, "invoke", "--runtime", "nodejs20.x", "--handler", "trivial.handler",
                    "--code", TRIVIAL, NULL};
    double floor = median_ms(bare, 15), mine = median_ms(ours, 15);
    printf("  cold: node -e 0                    %7.1f ms\n", floor);
    printf("  cold: lambdacheck invoke           %7.1f ms   %.2fx the floor (goal <= 1.5x)\n", mine,
           mine / floor);
    if (reference == NULL) {
        printf("  (aws-lambda-ric is not installed: .ci/install-deps --test installs it)\n");
        return;
    }
    char *theirs[] = {LC_CLI_PATH, "invoke", "--runtime", "nodejs20.x", "--runtime-command",
                      NODE_REFERENCE, "--env", assignment, "--handler", "trivial.handler",
                      "--code", TRIVIAL, NULL};
    double aws = median_ms(theirs, 15);
    printf("  cold: invoke under aws-lambda-ric  %7.1f ms   %.2fx the floor; ours takes %.2fx its "
           "time\n",
           aws, aws / floor, mine / aws);
}

/* --- the gateway ----------------------------------------------------------------------------- */

/* One kept-alive HTTP/1.1 connection, for requests whose answers have a Content-Length. */
typedef struct {
    int fd;
    char buf[65536];
} conn;

static void conn_open(conn *k, unsigned port)
{
    k->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int one = 1;
    setsockopt(k->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(k->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        perror("bench: connect");
        exit(1);
    }
}

/* Sends request, reads one answer; true when its status is 200. */
static bool conn_call(conn *k, const char *request, size_t len)
{
    if (send(k->fd, request, len, MSG_NOSIGNAL) != (ssize_t)len)
        return false;
    size_t have = 0;
    for (;;) {
        ssize_t n = recv(k->fd, k->buf + have, sizeof k->buf - 1 - have, 0);
        if (n <= 0)
            return false;
        have += (size_t)n;
        k->buf[have] = '\0';
        char *end = strstr(k->buf, "\r\n\r\n");
        if (end == NULL)
            continue;
        char *cl = strcasestr(k->buf, "\r\nContent-Length: ");
        size_t body = cl && cl < end ? strtoul(cl + 18, NULL, 10) : 0;
        if (have >= (size_t)(end + 4 - k->buf) + body)
            return strncmp(k->buf, "HTTP/1.1 200", 12) == 0;
    }
}

typedef struct {
    conn k;
    char request[512];
    size_t len;
} http_caller;

static http_caller *current;

static bool call_conn(caller *c)
{
    (void)c;
    return conn_call(&current->k, current->request, current->len);
}

static rate measure_http(unsigned port, const char *request, size_t n)
{
    http_caller hc;
    conn_open(&hc.k, port);
    hc.len = (size_t)snprintf(hc.request, sizeof hc.request, "%s", request);
    current = &hc;
    caller unused = {.function = "http"};
    rate r = measure(call_conn, &unused, n, n / 10 + 50);
    close(hc.k.fd);
    return r;
}

static unsigned port_in(const char *url)
{
    return (unsigned)atoi(strrchr(url, ':') + 1);
}

static void gateway_for(const char *label, const char *runtime, size_t n)
{
    lc_function_config cfg = {.name = "http", .handler = "trivial.http", .code_dir = TRIVIAL,
                              .runtime = runtime};
    lc_function *fn;
    lc_emulator *em;
    lc_error err = {0};
    if (lc_function_new(&cfg, &fn, &err) != LC_OK || lc_emulator_new(NULL, &em, NULL) != LC_OK) {
        printf("  (cannot run %s functions: %s)\n", label, err.message);
        return;
    }
    lc_emulator_add_function(em, fn, NULL);
    json_t *model = json_pack("{s:[{s:s, s:s, s:s, s:[{s:s, s:s, s:s}]}, {s:s, s:s, s:[{s:s, "
                              "s:s, s:s}]}], s:[{s:s}]}",
                              "apis", "name", "Rest", "type", "REST", "stage", "b", "routes",
                              "method", "GET", "path", "/http", "function", "http", "name", "Http",
                              "type", "HTTP", "routes", "method", "GET", "path", "/http",
                              "function", "http", "functionUrls", "function", "http");
    lc_invoke_server *inv;
    lc_gateway *gw;
    if (lc_invoke_server_start(em, NULL, &inv, &err) != LC_OK ||
        lc_gateway_start(em, model, NULL, &gw, &err) != LC_OK) {
        fprintf(stderr, "bench: %s\n", err.message);
        exit(1);
    }
    json_t *ep = lc_gateway_endpoints(gw);
    static const char invoke[] = "POST /2015-03-31/functions/http/invocations HTTP/1.1\r\n"
                                 "Host: b\r\nContent-Length: 2\r\n\r\n{}";
    static const char get_rest[] = "GET /b/http HTTP/1.1\r\nHost: b\r\n\r\n";
    static const char get[] = "GET /http HTTP/1.1\r\nHost: b\r\n\r\n";
    printf("  %s\n", label);
    rate direct = measure_http(lc_invoke_server_port(inv), invoke, n);
    print_rate("Invoke API over HTTP", direct, "(the floor)");
    const char *names[] = {"REST API (payload 1.0)", "HTTP API (payload 2.0)", "function URL"};
    const char *urls[] = {
        json_string_value(json_object_get(json_object_get(ep, "apis"), "Rest")),
        json_string_value(json_object_get(json_object_get(ep, "apis"), "Http")),
        json_string_value(json_object_get(json_object_get(ep, "functionUrls"), "http"))};
    for (int i = 0; i < 3; i++) {
        rate r = measure_http(port_in(urls[i]), i == 0 ? get_rest : get, n);
        char goal[96];
        snprintf(goal, sizeof goal, "(+%.3f ms at p50, %.2fx the rate; goal: under +1 ms)",
                 r.p50_ms - direct.p50_ms, r.per_second / direct.per_second);
        print_rate(names[i], r, goal);
    }
    json_decref(ep);
    json_decref(model);
    lc_gateway_free(gw);
    lc_invoke_server_free(inv);
    lc_emulator_free(em);
}

static void gateway(size_t n)
{
    printf("gateway: a trivial function behind each HTTP front, next to the Invoke API "
           "(one kept-alive connection each)\n");
    gateway_for("python3.11 (the bundled client)", NULL, n / 2);
    gateway_for("nodejs20.x (the bundled client)", "nodejs20.x", n / 2);
}

/* --- teardown ---------------------------------------------------------------------------------- */

static double stop_ms(int environments)
{
    lc_emulator *em;
    lc_emulator_new(NULL, &em, NULL);
    lc_emulator_add_function(em, function("probe", "probes.returns_none", NULL, NULL), NULL);
    char keys[16][LC_SANDBOX_KEY_SIZE];
    for (int i = 0; i < environments; i++) {
        lc_emulator_sandbox_open(em, "probe", NULL, keys[i], NULL);
        lc_invoke_options opt = {.sandbox = keys[i]};
        lc_result r;
        lc_emulator_invoke(em, "probe", &opt, &r, NULL);
        lc_result_clear(&r);
    }
    int64_t start = lc_monotonic_ns();
    lc_emulator_free(em);
    return (double)(lc_monotonic_ns() - start) / 1e6;
}

/* The floor: SIGKILL and reap n idle Python processes of the same interpreter, started
 * directly (what the kernel itself takes to tear them down). */
static double kill_floor_ms(const char *python, int n)
{
    pid_t pids[16];
    char *argv[] = {(char *)python, "-S", "-c", "import json, logging, decimal, time; "
                                                "print(flush=True); time.sleep(60)", NULL};
    int ready[2];
    if (pipe(ready) != 0)
        return -1;
    for (int i = 0; i < n; i++) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, ready[1], 1);
        posix_spawn(&pids[i], python, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
    }
    close(ready[1]);
    char c;
    for (int i = 0; i < n; i++) /* each prints a newline once its imports are done */
        if (read(ready[0], &c, 1) != 1)
            break;
    close(ready[0]);
    int64_t start = lc_monotonic_ns();
    for (int i = 0; i < n; i++)
        kill(pids[i], SIGKILL);
    for (int i = 0; i < n; i++)
        waitpid(pids[i], NULL, 0);
    return (double)(lc_monotonic_ns() - start) / 1e6;
}

static void teardown(const char *python)
{
    printf("teardown: freeing an emulator with its environments (median of 5, ms)\n");
    int64_t one[5], eight[5], floor1[5], floor8[5];
    for (int i = 0; i < 5; i++) {
        one[i] = (int64_t)(stop_ms(1) * 1e6);
        eight[i] = (int64_t)(stop_ms(8) * 1e6);
        floor1[i] = (int64_t)(kill_floor_ms(python, 1) * 1e6);
        floor8[i] = (int64_t)(kill_floor_ms(python, 8) * 1e6);
    }
    double a = percentile_ms(one, 5, 0.5), b = percentile_ms(eight, 5, 0.5);
    double fa = percentile_ms(floor1, 5, 0.5), fb = percentile_ms(floor8, 5, 0.5);
    printf("  1 environment %7.2f   8 environments %7.2f   %.2fx (goal: about 1x)\n", a, b,
           b / a);
    printf("  floor: SIGKILL and reap of bare Python processes: 1 %7.2f   8 %7.2f   %.2fx\n", fa,
           fb, fb / fa);
}

/* --- Managed Instances ------------------------------------------------------------------------- */

typedef struct {
    lc_emulator *em;
    size_t calls;
    bool ok;
    pthread_t thread;
} managed_caller;

static void *managed_caller_main(void *arg)
{
    managed_caller *m = arg;
    caller c = {.em = m->em, .function = "trivial", .payload = "{}", .len = 2};
    m->ok = true;
    for (size_t i = 0; i < m->calls && m->ok; i++)
        m->ok = call_emulator(&c);
    return NULL;
}

/* callers threads making calls each at once; the wall time in seconds. */
static double managed_round(lc_emulator *em, int callers, size_t calls)
{
    managed_caller m[16];
    int64_t start = lc_monotonic_ns();
    for (int i = 0; i < callers; i++) {
        m[i] = (managed_caller){.em = em, .calls = calls};
        pthread_create(&m[i].thread, NULL, managed_caller_main, &m[i]);
    }
    for (int i = 0; i < callers; i++) {
        pthread_join(m[i].thread, NULL);
        if (!m[i].ok) {
            fprintf(stderr, "bench: a call failed (managed)\n");
            exit(1);
        }
    }
    return (double)(lc_monotonic_ns() - start) / 1e9;
}

/* Calls/s of n calls by `callers` threads into a function of one Managed Instances environment
 * (max_concurrency callers) or of `callers` ordinary environments (max_concurrency 0). */
static double managed_rate(const char *runtime, int callers, int max_concurrency, size_t n)
{
    lc_function_config cfg = {.name = "trivial", .handler = "trivial.handler",
                              .code_dir = TRIVIAL, .runtime = runtime, .concurrency = callers,
                              .max_concurrency = max_concurrency};
    lc_function *fn;
    lc_emulator *em;
    lc_error err = {0};
    if (lc_function_new(&cfg, &fn, &err) != LC_OK || lc_emulator_new(NULL, &em, NULL) != LC_OK) {
        printf("  (cannot run %s: %s)\n", runtime, err.message);
        return 0;
    }
    lc_emulator_add_function(em, fn, NULL);
    managed_round(em, callers, 50); /* every environment or worker started and warm */
    size_t each = n / (size_t)callers;
    double seconds = managed_round(em, callers, each);
    lc_emulator_free(em);
    return (double)(each * (size_t)callers) / seconds;
}

static void managed(size_t n)
{
    printf("managed: calls/s of a trivial handler, N callers at once: one Managed Instances "
           "environment taking N, next to N ordinary environments\n");
    const char *runtimes[] = {"python3.12", "nodejs22.x"};
    const int ns[] = {1, 4, 16};
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < 3; i++) {
            double one = managed_rate(runtimes[r], ns[i], ns[i], n / 4);
            double many = managed_rate(runtimes[r], ns[i], 0, n / 4);
            printf("  %-10s N=%-2d  one environment %7.0f calls/s   %2d environments %7.0f calls/s"
                   "   %.2fx\n",
                   runtimes[r], ns[i], one, ns[i], many, many > 0 ? one / many : 0.0);
        }
}

/* --- fresh environments ------------------------------------------------------------------------ */

static bool library_of(const char *function, int n, char *dir, size_t size);

/* A library of n cases in a new folder under /tmp, each one invocation of the trivial handler
 * in a fresh environment (as every case gets); the folder's path into dir. */
static bool fresh_library(int n, char *dir, size_t size)
{
    char function[600];
    snprintf(function, sizeof function, "{\"handler\": \"trivial.handler\", \"code\": \"%s\"}",
             TRIVIAL);
    return library_of(function, n, dir, size);
}

/* The same for the function described by function (manifest JSON), named "trivial". */
static bool library_of(const char *function, int n, char *dir, size_t size)
{
    snprintf(dir, size, "/tmp/lc_bench_fresh_XXXXXX");
    if (mkdtemp(dir) == NULL)
        return false;
    char path[4200];
    snprintf(path, sizeof path, "%s/lambdacheck.json", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return false;
    fprintf(f, "{\"functions\": {\"trivial\": %s}, \"cases\": [\".\"]}\n", function);
    fclose(f);
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/case-%04d", dir, i);
        mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/case-%04d/case.json", dir, i);
        f = fopen(path, "w");
        if (f == NULL)
            return false;
        fprintf(f, "{\"function\": \"trivial\", \"event\": {\"n\": %d}, "
                   "\"expect\": {\"payload\": null}}\n",
                i);
        fclose(f);
    }
    return true;
}

static void remove_library(const char *dir, int n)
{
    char path[4200];
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/case-%04d/case.json", dir, i);
        unlink(path);
        snprintf(path, sizeof path, "%s/case-%04d", dir, i);
        rmdir(path);
    }
    snprintf(path, sizeof path, "%s/lambdacheck.json", dir);
    unlink(path);
    rmdir(dir);
}

/* n runs of argv one after another: the total in ms, -1 if one failed. */
static double serial_ms(char *const *argv, int n)
{
    double total = 0;
    for (int i = 0; i < n; i++) {
        double ms = run_ms(argv);
        if (ms < 0)
            return -1;
        total += ms;
    }
    return total;
}

/* Sets LAMBDACHECK_PLAIN_START for the commands run next (plain), or unsets it. */
static void plain_starts(bool plain)
{
    if (plain)
        setenv("LAMBDACHECK_PLAIN_START", "1", 1);
    else
        unsetenv("LAMBDACHECK_PLAIN_START");
}

static void fresh(const char *python)
{
    enum { CASES = 1000 };
    char dir[256];
    printf("fresh: `lambdacheck check` of %d Python cases, each one call in a fresh environment\n",
           CASES);
    if (!fresh_library(CASES, dir, sizeof dir)) {
        printf("  (could not write the case library under /tmp)\n");
        return;
    }
    char *bare[] = {(char *)python, "-I", "-S", "-c", "pass", NULL};
    char *check[] = {LC_CLI_PATH, "check", "--python", (char *)python, dir, NULL};
    double starts = serial_ms(bare, CASES);
    plain_starts(false);
    double fast = run_ms(check);
    plain_starts(true);
    double plain = run_ms(check);
    plain_starts(false);
    printf("  %d x python -I -S -c pass, one after another  %8.0f ms\n", CASES, starts);
    printf("  check, fast fresh environments              %8.0f ms  %.2fx those starts (goal "
           "<= 0.4x)\n",
           fast, fast / starts);
    printf("  check, plain starts (LAMBDACHECK_PLAIN_START)  %8.0f ms  %.2fx; fast takes %.2fx "
           "its time\n",
           plain, plain / starts, fast / plain);
    remove_library(dir, CASES);
    char *floor[] = {(char *)python, "-c", "import json", NULL};
    char *invoke[] = {LC_CLI_PATH, "invoke", "--python", (char *)python, "--handler",
                      "trivial.handler", "--code", TRIVIAL, NULL};
    double floor_ms = median_ms(floor, 15);
    double one_fast = median_ms(invoke, 15);
    plain_starts(true);
    double one_plain = median_ms(invoke, 15);
    plain_starts(false);
    printf("  one cold lambdacheck invoke, median of 15: %.1f ms, %.2fx python -c 'import json' "
           "(%.1f ms; goal <= 1.0x); plain starts %.1f ms\n",
           one_fast, one_fast / floor_ms, floor_ms, one_plain);
}

/* Node.js environments are new processes (README, "Fast fresh environments": a copy of a Node.js
 * process hangs on the V8 platform threads it does not have), so this shows what they cost. */
static void fresh_node(void)
{
    enum { CASES = 300 };
    char function[600], dir[256];
    snprintf(function, sizeof function,
             "{\"handler\": \"trivial.handler\", \"code\": \"%s\", "
             "\"runtime\": \"nodejs20.x\"}",
             TRIVIAL);
    printf("fresh-node: `lambdacheck check` of %d Node.js cases, each one call in a fresh "
           "environment\n",
           CASES);
    if (!library_of(function, CASES, dir, sizeof dir)) {
        printf("  (could not write the case library under /tmp)\n");
        return;
    }
    char *saved = getenv("NODE_EXTRA_CA_CERTS") ? strdup(getenv("NODE_EXTRA_CA_CERTS")) : NULL;
    unsetenv("NODE_EXTRA_CA_CERTS");
    char *bare[] = {"node", "-e", "0", NULL};
    char *two[] = {LC_CLI_PATH, "check", "--jobs", "2", dir, NULL};
    char *one[] = {LC_CLI_PATH, "check", "--jobs", "1", dir, NULL};
    double starts = serial_ms(bare, CASES), with_two = run_ms(two), with_one = run_ms(one);
    printf("  %d x node -e 0, one after another  %8.0f ms\n", CASES, starts);
    printf("  check --jobs 2                     %8.0f ms  %.2fx those starts (issue 22's goal, "
           "0.2x, needs copies of a process, which Node.js cannot make)\n",
           with_two, with_two / starts);
    printf("  check --jobs 1                     %8.0f ms  %.2fx\n", with_one, with_one / starts);
    if (saved) {
        setenv("NODE_EXTRA_CA_CERTS", saved, 1);
        free(saved);
    }
    remove_library(dir, CASES);
}

/* --- SnapStart ---------------------------------------------------------------------------------- */

static void snapstart(void)
{
    enum { CASES = 200 };
    printf("snapstart: `lambdacheck check` of %d cases of a Python 3.12 function whose init "
           "imports a handful of modules, each one call in a fresh environment\n",
           CASES);
    char on[600], off[600], dir_on[256], dir_off[256];
    snprintf(on, sizeof on, "{\"handler\": \"heavy_init.handler\", \"code\": \"%s\", "
                            "\"runtime\": \"python3.12\", \"snapStart\": true, "
                            "\"contracts\": {\"snapstart-unique\": \"the bench times "
                            "environments, not the check\"}}",
             TRIVIAL);
    snprintf(off, sizeof off, "{\"handler\": \"heavy_init.handler\", \"code\": \"%s\", "
                              "\"runtime\": \"python3.12\"}",
             TRIVIAL);
    if (!library_of(on, CASES, dir_on, sizeof dir_on) ||
        !library_of(off, CASES, dir_off, sizeof dir_off)) {
        printf("  (could not write the case libraries under /tmp)\n");
        return;
    }
    /* --jobs 1: one case at a time, so the figures are the environments' cost, not the cores' */
    char *check_on[] = {LC_CLI_PATH, "check", "--jobs", "1", dir_on, NULL};
    char *check_off[] = {LC_CLI_PATH, "check", "--jobs", "1", dir_off, NULL};
    plain_starts(false);
    double restored = run_ms(check_on), fast = run_ms(check_off);
    plain_starts(true);
    double plain = run_ms(check_off), plain_on = run_ms(check_on);
    plain_starts(false);
    printf("  SnapStart, restored from one snapshot      %8.0f ms  %.2f ms a case\n", restored,
           restored / CASES);
    printf("  no SnapStart, fast fresh environments      %8.0f ms  %.2f ms a case; restored "
           "takes %.2fx its time\n",
           fast, fast / CASES, restored / fast);
    printf("  no SnapStart, plain starts                 %8.0f ms  %.2f ms a case; restored "
           "takes %.2fx its time\n",
           plain, plain / CASES, restored / plain);
    printf("  SnapStart, plain starts (in-place restore) %8.0f ms  %.2f ms a case\n", plain_on,
           plain_on / CASES);
    remove_library(dir_on, CASES);
    remove_library(dir_off, CASES);
}

/* --- the suite --------------------------------------------------------------------------------- */

static void suite(void)
{
    char *argv[] = {LC_CLI_PATH, "check", LC_FIXTURES_DIR "/cases/examples",
                    LC_FIXTURES_DIR "/cases/conformance", NULL};
    printf("suite: lambdacheck check of the example and conformance libraries (34 cases)\n");
    printf("  median of 5: %.2f s (goal under 5 s)\n", median_ms(argv, 5) / 1000.0);
}

static const char *const SECTIONS[] = {"warm",       "payloads",  "cold",    "fresh",
                                       "fresh-node", "snapstart", "node",    "gateway",
                                       "managed",    "teardown",  "suite",   NULL};

/* Sections named after N on the command line run; none named: all of them. */
static bool wanted(int argc, char **argv, const char *section)
{
    if (argc <= 2)
        return true;
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], section) == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
    char python[4096];
    interpreter(python, sizeof python);
    char load[64] = "unknown";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fgets(load, sizeof load, f))
            load[strcspn(load, " \n")] = '\0'; /* the one-minute figure */
        fclose(f);
    }
    for (int i = 2; i < argc; i++) {
        bool known = false;
        for (const char *const *s = SECTIONS; *s; s++)
            known = known || strcmp(argv[i], *s) == 0;
        if (!known) {
            fprintf(stderr,
                    "bench: no section '%s' (warm, payloads, cold, fresh, fresh-node, snapstart, node, "
                    "gateway, managed, teardown, suite)\n",
                    argv[i]);
            return 2;
        }
    }
    printf("lambdacheck bench (interpreter %s; one-minute load average %s)\n", python, load);
    if (wanted(argc, argv, "warm"))
        warm(n);
    if (wanted(argc, argv, "payloads"))
        payloads(python);
    if (wanted(argc, argv, "cold"))
        cold(python);
    if (wanted(argc, argv, "fresh"))
        fresh(python);
    if (wanted(argc, argv, "fresh-node"))
        fresh_node();
    if (wanted(argc, argv, "snapstart"))
        snapstart();
    if (wanted(argc, argv, "node"))
        node(n);
    if (wanted(argc, argv, "gateway"))
        gateway(n);
    if (wanted(argc, argv, "managed"))
        managed(n);
    if (wanted(argc, argv, "teardown"))
        teardown(python);
    if (wanted(argc, argv, "suite"))
        suite();
    return 0;
}
