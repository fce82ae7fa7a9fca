/* lambdacheck serve, called by clients nobody here wrote (the AWS CLI and boto3, from Debian's
 * packages) and by lambdacheck invoke --endpoint-url. */
#include <check.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "lambdacheck/context.h"
#include "lambdacheck/json_util.h"
#include "lambdacheck/buf.h"
#include "../common/scratch.h"
#include "background.h"
#include "run_cli.h"
#include "suites.h"

#define PROBES LC_FIXTURES_DIR "/functions/probes"
#define NODE_PROBES LC_FIXTURES_DIR "/functions/node-probes"
#define AWS_CLI "/usr/bin/aws"
#define DEBIAN_PYTHON "/usr/bin/python3"

typedef struct {
    background bg;
    char destination[64];
} server;

static server srv;

/* Starts lambdacheck serve for one probe handler, with extra args. */
static void start_serve(const char *handler, const char *const *extra)
{
    snprintf(srv.destination, sizeof srv.destination, "/tmp/lc_dest_XXXXXX");
    close(mkstemp(srv.destination));
    const char *argv[32] = {cli_path(), "serve", "--function-name", "probe", "--handler",
                            handler, "--code", PROBES, "--port-file", "{port_file}",
                            "--destination-file", srv.destination};
    int n = 12;
    for (const char *const *e = extra; e && *e && n < 30; e++)
        argv[n++] = *e;
    bg_start(&srv.bg, argv);
}

static int stop_serve(void)
{
    return bg_stop(&srv.bg);
}

static void teardown(void)
{
    if (srv.bg.pid > 0)
        stop_serve();
    unlink(srv.destination);
    memset(&srv, 0, sizeof srv);
}

static const char *endpoint(void)
{
    return bg_url(&srv.bg);
}

/* Runs a program other than lambdacheck and captures its output. */
static cli_result run_program(const char *const *argv)
{
    char out[] = "/tmp/lc_prog_XXXXXX";
    int fd = mkstemp(out);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fd, 1);
        dup2(fd, 2);
        setenv("AWS_ACCESS_KEY_ID", "test", 1);
        setenv("AWS_SECRET_ACCESS_KEY", "test", 1);
        setenv("AWS_DEFAULT_REGION", "us-east-1", 1);
        setenv("AWS_PAGER", "", 1);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    cli_result r = {.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128};
    FILE *f = fdopen(fd, "r");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    r.out = calloc(1, (size_t)n + 1);
    r.err = calloc(1, 1);
    if (fread(r.out, 1, (size_t)n, f) != (size_t)n)
        r.out[0] = '\0';
    fclose(f);
    unlink(out);
    return r;
}

static json_t *read_json_file(const char *path)
{
    json_error_t e;
    json_t *v = json_load_file(path, JSON_DECODE_ANY, &e);
    ck_assert_msg(v != NULL, "%s: %s", path, e.text);
    return v;
}

static json_t *aws_invoke(const char *const *extra, const char *outfile)
{
    const char *argv[32] = {AWS_CLI, "lambda", "invoke", "--endpoint-url", endpoint(),
                            "--function-name", "probe", "--cli-binary-format",
                            "raw-in-base64-out"};
    int n = 9;
    for (const char *const *e = extra; *e; e++)
        argv[n++] = *e;
    argv[n++] = outfile;
    cli_result r = run_program(argv);
    ck_assert_msg(r.status == 0, "aws exited %d: %s", r.status, r.out);
    json_t *meta = json_loads(r.out, 0, NULL);
    ck_assert_msg(meta != NULL, "aws printed: %s", r.out);
    cli_result_free(&r);
    return meta;
}

START_TEST(the_aws_cli_invokes_a_served_function)
{
    ck_assert_msg(access(AWS_CLI, X_OK) == 0, AWS_CLI " is missing: apt-get install awscli");
    start_serve("probes.echo_or_fail", NULL);
    const char *out = "/tmp/lc_aws_out.json";
    json_t *meta = aws_invoke((const char *[]){"--payload", "{\"cli\": 2}", "--log-type", "Tail",
                                               NULL},
                              out);
    ck_assert_int_eq(json_integer_value(json_object_get(meta, "StatusCode")), 200);
    ck_assert_str_eq(json_string_value(json_object_get(meta, "ExecutedVersion")), "$LATEST");
    ck_assert_ptr_nonnull(json_object_get(meta, "LogResult"));
    json_t *payload = read_json_file(out);
    ck_assert_int_eq(json_integer_value(json_object_get(payload, "cli")), 2);
    json_decref(payload);
    json_decref(meta);

    meta = aws_invoke((const char *[]){"--payload", "{\"fail\": true}", NULL}, out);
    ck_assert_str_eq(json_string_value(json_object_get(meta, "FunctionError")), "Unhandled");
    payload = read_json_file(out);
    ck_assert_str_eq(json_string_value(json_object_get(payload, "errorType")), "ValueError");
    json_decref(payload);
    json_decref(meta);

    meta = aws_invoke((const char *[]){"--invocation-type", "Event", "--payload", "{}", NULL}, out);
    ck_assert_int_eq(json_integer_value(json_object_get(meta, "StatusCode")), 202);
    json_decref(meta);
    meta = aws_invoke((const char *[]){"--invocation-type", "DryRun", NULL}, out);
    ck_assert_int_eq(json_integer_value(json_object_get(meta, "StatusCode")), 204);
    json_decref(meta);
    unlink(out);
    ck_assert_int_eq(stop_serve(), 0);
}
END_TEST

START_TEST(boto3_invokes_a_served_function)
{
    start_serve("probes.echo_or_fail", NULL);
    char port[16];
    snprintf(port, sizeof port, "%u", srv.bg.port);
    const char *argv[] = {DEBIAN_PYTHON, LC_SOURCE_DIR "/suites/e2e/boto3_calls.py", port, "probe",
                          NULL};
    cli_result r = run_program(argv);
    ck_assert_msg(r.status == 0, "boto3 script failed (python3-boto3 installed?): %s", r.out);
    json_t *seen = json_loads(r.out, 0, NULL);
    ck_assert_msg(seen != NULL, "%s", r.out);
    json_t *want = json_pack(
        "{s:{s:i, s:{s:s}, s:s, s:b}, s:{s:i, s:s, s:{s:s}}, s:{s:i, s:s}, s:{s:i}}", "sync",
        "status", 200, "payload", "sdk", "boto3", "version", "$LATEST", "log_has_report", 1,
        "error", "status", 200, "function_error", "Unhandled", "payload", "errorType",
        "ValueError", "event", "status", 202, "payload", "", "dry_run", "status", 204);
    lc_buf why;
    lc_buf_init(&why, 0);
    ck_assert_msg(lc_json_match(want, seen, LC_JSON_SUBSET, &why), "boto3 saw %s", why.data);
    lc_buf_free(&why);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(seen, "missing")),
                                 "Function not found"));
    json_decref(want);
    json_decref(seen);
    cli_result_free(&r);
}
END_TEST

/* Starts serve for a Node.js streaming probe. */
static void start_streaming(const char *handler)
{
    const char *extra[] = {"--runtime", "nodejs20.x", "--code", NODE_PROBES, "--timeout", "10",
                           NULL};
    start_serve(handler, extra);
}

/* InvokeWithResponseStream, read by an event-stream reader of its own (Python's CRC-32): every
 * message well formed, the first piece in hand while the function still runs (it writes the
 * second only after the reader has the first), then InvokeComplete with the log. */
START_TEST(a_streamed_response_reaches_an_independent_reader_piece_by_piece)
{
    start_streaming("streaming.waitsForCaller");
    char signal[64], payload[128];
    snprintf(signal, sizeof signal, "/tmp/lc_stream_signal_%d", (int)getpid());
    unlink(signal);
    snprintf(payload, sizeof payload, "{\"file\": \"%s\"}", signal);
    const char *argv[] = {DEBIAN_PYTHON, LC_SOURCE_DIR "/suites/e2e/read_eventstream.py",
                          endpoint(), "probe", payload, signal, NULL};
    cli_result r = run_program(argv);
    unlink(signal);
    ck_assert_msg(r.status == 0, "the reader failed: %s", r.out);
    ck_assert_contains(r.out, "{\"status\": 200, \"content_type\": "
                              "\"application/vnd.amazon.eventstream\"}\n"
                              "{\"event\": \"PayloadChunk\", \"message_type\": \"event\", "
                              "\"payload\": \"first \"}\n"
                              "{\"event\": \"PayloadChunk\", \"message_type\": \"event\", "
                              "\"payload\": \"second\"}\n"
                              "{\"event\": \"InvokeComplete\", \"message_type\": \"event\", "
                              "\"payload\": \"{\\\"LogResult\\\":");
    cli_result_free(&r);
    ck_assert_int_eq(stop_serve(), 0);
}
END_TEST

/* lambdacheck invoke --stream prints the streamed bytes, locally and from serve; an error after
 * streaming began goes to standard error and exits 1. */
START_TEST(invoke_stream_prints_the_streamed_bytes)
{
    cli_result local = run_cli((const char *[]){"invoke", "--stream", "--runtime", "nodejs20.x",
                                                "--code", NODE_PROBES, "--handler",
                                                "streaming.text", NULL},
                               NULL, NULL, 60000);
    ck_assert_msg(local.status == 0, "%s", local.err);
    ck_assert_str_eq(local.out, "first second");
    cli_result_free(&local);
    start_streaming("streaming.failsMidway");
    cli_result r = run_cli((const char *[]){"invoke", "--stream", "--endpoint-url", endpoint(),
                                            "--function-name", "probe", NULL},
                           NULL, NULL, 60000);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.out, "partial ");
    ck_assert_contains(r.err, "lambdacheck: the function failed (TypeError): "
                              "{\"errorType\":\"TypeError\",\"errorMessage\":\"failed after "
                              "streaming began\"");
    cli_result_free(&r);
    ck_assert_int_eq(stop_serve(), 0);
}
END_TEST

START_TEST(lambdacheck_invoke_calls_a_served_function)
{
    start_serve("probes.echo_or_fail", NULL);
    cli_result r = run_cli((const char *[]){"invoke", "--endpoint-url", endpoint(),
                                            "--function-name", "probe", "--payload", "{\"x\": 1}",
                                            NULL},
                           NULL, NULL, 60000);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "{\"x\": 1}\n");
    cli_result_free(&r);
    r = run_cli((const char *[]){"invoke", "--endpoint-url", endpoint(), "--function-name",
                                 "probe", "--payload", "{\"fail\": true}", "--output", "json",
                                 "--log-type", "Tail", NULL},
                NULL, NULL, 60000);
    ck_assert_int_eq(r.status, 1);
    json_t *out = json_loads(r.out, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(out, "functionError")), "Unhandled");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(out, "logResult")), "END RequestId"));
    json_decref(out);
    cli_result_free(&r);
    r = run_cli((const char *[]){"invoke", "--endpoint-url", endpoint(), "--function-name",
                                 "probe", "--invocation-type", "Event", "--output", "json", NULL},
                NULL, NULL, 60000);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "\"statusCode\": 202"));
    cli_result_free(&r);
    r = run_cli((const char *[]){"invoke", "--endpoint-url", endpoint(), "--function-name",
                                 "probe", "--qualifier", "prod", NULL},
                NULL, NULL, 60000);
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "404 ResourceNotFoundException: Function not found"));
    cli_result_free(&r);
}
END_TEST

/* The README's aws lambda invoke commands (line breaks joined), in order, into cmds. */
static int readme_invoke_commands(char cmds[][1024], int max)
{
    FILE *f = fopen(LC_SOURCE_DIR "/README.md", "r");
    ck_assert_ptr_nonnull(f);
    char line[1024];
    int n = 0;
    bool in = false;
    while (fgets(line, sizeof line, f) && n < max) {
        if (!in && strncmp(line, "aws lambda invoke ", 18) != 0)
            continue;
        if (!in)
            cmds[n][0] = '\0';
        in = true;
        size_t len = strcspn(line, "\n");
        bool more = len > 0 && line[len - 1] == '\\';
        strncat(cmds[n], line, more ? len - 1 : len);
        if (!more) {
            in = false;
            n++;
        }
    }
    fclose(f);
    return n;
}

/* Runs a README command in dir, "$(cat port)" replaced by the port, with "aws" the given CLI;
 * returns what out.json holds (caller frees). */
static json_t *run_readme_command(const char *command, const char *dir, const char *aws)
{
    char text[2048], port[16];
    snprintf(port, sizeof port, "%u", srv.bg.port);
    const char *at = strstr(command, "$(cat port)");
    ck_assert_ptr_nonnull(at);
    snprintf(text, sizeof text, "cd %s && %s%.*s%s%s", dir, aws, (int)(at - command) - 3,
             command + 3, port, at + strlen("$(cat port)"));
    cli_result r = run_program((const char *[]){"/bin/sh", "-c", text, NULL});
    ck_assert_msg(r.status == 0, "%s\n%s", text, r.out);
    cli_result_free(&r);
    char out[600];
    snprintf(out, sizeof out, "%s/out.json", dir);
    return read_json_file(out);
}

/* The README gives the invoke command for AWS CLI v2 (--cli-binary-format) and for v1, which
 * rejects that option; each works with its CLI (v1 when one is on PATH). */
START_TEST(the_readme_invokes_with_either_aws_cli_major)
{
    char cmds[4][1024];
    ck_assert_int_eq(readme_invoke_commands(cmds, 4), 2);
    ck_assert_ptr_nonnull(strstr(cmds[0], "--cli-binary-format raw-in-base64-out"));
    ck_assert_ptr_null(strstr(cmds[1], "--cli-binary-format"));
    char *dir = scratch_dir("readme_cli");
    const char *argv[] = {cli_path(), "serve", "--function-name", "greeting", "--handler",
                          "greeting.lambda_handler", "--code", LC_FIXTURES_DIR
                          "/functions/examples", "--port-file", "{port_file}", NULL};
    bg_start(&srv.bg, argv);
    json_t *got = run_readme_command(cmds[0], dir, AWS_CLI);
    ck_assert_str_eq(json_string_value(json_object_get(got, "message")), "Hello John Smith!");
    json_decref(got);
    cli_result v = run_program((const char *[]){"/bin/sh", "-c", "aws --version", NULL});
    if (strncmp(v.out, "aws-cli/1.", 10) == 0) {
        got = run_readme_command(cmds[1], dir, "aws");
        ck_assert_str_eq(json_string_value(json_object_get(got, "message")), "Hello John Smith!");
        json_decref(got);
    }
    cli_result_free(&v);
    ck_assert_int_eq(stop_serve(), 0);
    scratch_remove(dir);
}
END_TEST

/* SIGTERM with an event waiting a minute for its retry: serve finishes it before exiting. */
START_TEST(a_stop_signal_finishes_every_queued_event)
{
    start_serve("probes.raises_value_error", (const char *[]){"--retry-delay-ms", "60000", NULL});
    cli_result r = run_cli((const char *[]){"invoke", "--endpoint-url", endpoint(),
                                            "--function-name", "probe", "--invocation-type",
                                            "Event", NULL},
                           NULL, NULL, 60000);
    ck_assert_int_eq(r.status, 0);
    cli_result_free(&r);
    ck_assert_int_eq(stop_serve(), 0);
    FILE *f = fopen(srv.destination, "r");
    char line[16384];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_ptr_null(fgets(line + strlen(line), (int)(sizeof line - strlen(line)), f));
    fclose(f);
    json_t *record = json_loads(line, 0, NULL);
    json_t *rc = json_object_get(record, "requestContext");
    ck_assert_str_eq(json_string_value(json_object_get(rc, "condition")), "RetriesExhausted");
    ck_assert_int_eq(json_integer_value(json_object_get(rc, "approximateInvokeCount")), 3);
    json_decref(record);
}
END_TEST

/* Serving needs functions, not cases: a manifest without cases, or with an empty list, is
 * served; the stop line counts in words that agree with the number. */
START_TEST(serve_takes_a_manifest_without_cases)
{
    const char *manifests[] = {"", ", \"cases\": []"};
    for (size_t i = 0; i < 2; i++) {
        char *dir = scratch_dir("serve_lib");
        scratch_write(dir, "lambdacheck.json",
                      "{\"functions\": {\"probe\": {\"handler\": \"probes.echo\", "
                      "\"code\": \"%s\"}}%s}",
                      PROBES, manifests[i]);
        bg_start(&srv.bg, (const char *[]){cli_path(), "serve", "--manifest", dir, "--port-file",
                                           "{port_file}", NULL});
        cli_result r = run_cli((const char *[]){"invoke", "--endpoint-url", endpoint(),
                                                "--function-name", "probe", "--invocation-type",
                                                "Event", NULL},
                               NULL, NULL, 60000);
        ck_assert_msg(r.status == 0, "%s", r.err);
        cli_result_free(&r);
        char *log = NULL;
        ck_assert_int_eq(bg_stop_with_log(&srv.bg, &log), 0);
        ck_assert_contains(log, "lambdacheck: stopped; 1 asynchronous event recorded (Success 1, "
                                "RetriesExhausted 0, EventAgeExceeded 0)\n");
        free(log);
        scratch_remove(dir);
    }
}
END_TEST

/* The AWS CLI signs with the test credentials run_program gives it; serve checks them. */
START_TEST(serve_checks_signatures_made_by_the_aws_cli)
{
    start_serve("probes.echo_or_fail", (const char *[]){"--require-sigv4", "test:test", NULL});
    const char *out = "/tmp/lc_aws_signed.json";
    json_t *meta = aws_invoke((const char *[]){"--payload", "{\"signed\": 1}", NULL}, out);
    ck_assert_int_eq(json_integer_value(json_object_get(meta, "StatusCode")), 200);
    json_decref(meta);
    unlink(out);
    cli_result r = run_cli((const char *[]){"invoke", "--endpoint-url", endpoint(),
                                            "--function-name", "probe", NULL},
                           NULL, (const char *[]){"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=",
                                                  "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
                                                  NULL},
                           60000);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "403 MissingAuthenticationTokenException") != NULL, "%s", r.err);
    cli_result_free(&r);
}
END_TEST

/* The SigV4 secret was only on the command line, readable in /proc/PID/cmdline: it can come
 * from the environment or a file, and one given on the command line is wiped from it. */
START_TEST(the_sigv4_secret_stays_out_of_the_command_line)
{
    setenv("LAMBDACHECK_SIGV4_SECRET", "test", 1);
    start_serve("probes.echo_or_fail", (const char *[]){"--require-sigv4", "test", NULL});
    unsetenv("LAMBDACHECK_SIGV4_SECRET");
    const char *out = "/tmp/lc_aws_signed_env.json";
    json_t *meta = aws_invoke((const char *[]){"--payload", "{\"signed\": 1}", NULL}, out);
    ck_assert_int_eq(json_integer_value(json_object_get(meta, "StatusCode")), 200);
    json_decref(meta);
    unlink(out);
    stop_serve();
    char *dir = scratch_dir("sigv4");
    const char *file = scratch_write(dir, "key", "test:test\n");
    char path[600];
    snprintf(path, sizeof path, "%s", file);
    start_serve("probes.echo_or_fail", (const char *[]){"--require-sigv4-file", path, NULL});
    meta = aws_invoke((const char *[]){"--payload", "{\"signed\": 2}", NULL}, out);
    ck_assert_int_eq(json_integer_value(json_object_get(meta, "StatusCode")), 200);
    json_decref(meta);
    unlink(out);
    stop_serve();
    start_serve("probes.echo_or_fail",
                (const char *[]){"--require-sigv4", "test:a-secret-on-the-command-line", NULL});
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/%d/cmdline", (int)srv.bg.pid);
    lc_buf cmdline;
    lc_buf_init(&cmdline, 0);
    ck_assert_int_eq(lc_buf_read_file(&cmdline, proc, NULL), LC_OK);
    ck_assert_ptr_null(memmem(cmdline.data, cmdline.len, "a-secret", 8));
    ck_assert_ptr_nonnull(memmem(cmdline.data, cmdline.len, "test:xxxx", 9));
    lc_buf_free(&cmdline);
    scratch_remove(dir);
}
END_TEST

/* Without SigV4, serve says who can call when that reaches this user's AWS keys or goes beyond
 * loopback; with it, it says nothing. */
START_TEST(serve_warns_who_can_call_when_that_is_risky)
{
    setenv("AWS_ACCESS_KEY_ID", "AKIDHOST", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "host-secret", 1);
    start_serve("probes.echo", (const char *[]){"--credentials", "host", "--listen", "0.0.0.0:0",
                                                NULL});
    char *log = NULL;
    bg_stop_with_log(&srv.bg, &log);
    ck_assert_contains(log, "warning: listening on http://0.0.0.0:");
    ck_assert_contains(log, "without --require-sigv4: anyone who can reach that address");
    ck_assert_contains(log, "warning: the functions run with this user's AWS keys (--credentials "
                            "host)");
    free(log);
    start_serve("probes.echo", (const char *[]){"--credentials", "host", "--require-sigv4",
                                                "test:test", NULL});
    bg_stop_with_log(&srv.bg, &log);
    ck_assert_ptr_null(strstr(log, "warning:"));
    free(log);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
}
END_TEST

/* --- hostile traffic ----------------------------------------------------------------------------- */

static int connect_to(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Writes raw bytes, half-closes, and reads what comes back within 5 s. */
static void exchange(unsigned port, const char *raw, char *out, size_t size)
{
    int fd = connect_to(port);
    ck_assert_int_eq(write(fd, raw, strlen(raw)), (ssize_t)strlen(raw));
    shutdown(fd, SHUT_WR);
    size_t n = 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (n < size - 1 && poll(&p, 1, 5000) > 0) {
        ssize_t r = read(fd, out + n, size - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    out[n] = '\0';
    close(fd);
}

/* 300 idle connections used to make normal requests wait until they closed (256 blocked
 * everything); truncated or contradictory requests got silence or a 200. */
START_TEST(serve_answers_every_request_and_idle_clients_starve_no_one)
{
    start_serve("probes.echo", NULL);
    int idle[300];
    for (int i = 0; i < 300; i++)
        idle[i] = connect_to(srv.bg.port);
    char out[8192];
    exchange(srv.bg.port, "POST /2015-03-31/functions/probe/invocations HTTP/1.1\r\nHost: x\r\n"
                          "Content-Length: 7\r\n\r\n{\"a\":1}",
             out, sizeof out);
    ck_assert_msg(strncmp(out, "HTTP/1.1 200 OK", 15) == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "{\"a\": 1}"));
    for (int i = 0; i < 300; i++)
        close(idle[i]);
    static const struct {
        const char *raw;
        const char *status;
    } rows[] = {
        {"POST /2015-03-31/functions/probe/invocations HTTP/1.1\r\nHost: x\r\n"
         "Content-Length: 100\r\n\r\n{",
         "HTTP/1.1 400 "},
        {"POST /2015-03-31/functions/probe/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
         "Content-Length: 5\r\n\r\n{}",
         "HTTP/1.1 400 "},
        {"POST /2015-03-31/functions/probe/invocations HTTP/1.1\r\nHost: x\r\n"
         "Transfer-Encoding: gzip, chunked\r\n\r\n",
         "HTTP/1.1 501 "},
        {"POST /2015-03-31/functions/probe:/invocations HTTP/1.1\r\nHost: x\r\n"
         "Content-Length: 2\r\n\r\n{}",
         "HTTP/1.1 400 "},
        /* RFC 9112 forbids these leniencies: each could smuggle a request past a proxy */
        {"POST /2015-03-31/functions/probe/invocations HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
         "HTTP/1.1 400 "},
        {"POST /2015-03-31/functions/probe/invocations HTTP/1.1\r\nHost: x\r\nHost: y\r\n"
         "Content-Length: 2\r\n\r\n{}",
         "HTTP/1.1 400 "},
        {"POST /2015-03-31/functions/probe/invocations HTTP/1.1\r\nHost: x\r\n"
         "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
         "POST /2015-03-31/functions/probe/invocations HTTP/1.1\r\nHost: x\r\n"
         "Content-Length: 2\r\n\r\n{}",
         "HTTP/1.1 400 "},
        {"POST /2015-03-31/functions/probe/invocations HTTP/1.0\r\nTransfer-Encoding: chunked\r\n"
         "\r\n2\r\n{}\r\n0\r\n\r\n",
         "HTTP/1.1 400 "},
        {"POST /2015-03-31/functions/probe/invocations HTTP/1.1\r\nHost: x\r\n"
         "Transfer-Encoding: chunked\r\n\r\n2 junk\r\n{}\r\n0\r\n\r\n",
         "HTTP/1.1 400 "},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        exchange(srv.bg.port, rows[i].raw, out, sizeof out);
        ck_assert_msg(strncmp(out, rows[i].status, strlen(rows[i].status)) == 0,
                      "row %zu: wanted %s, got:\n%s", i, rows[i].status, out);
        ck_assert_ptr_nonnull(strstr(out, "\"message\""));
    }
}
END_TEST

/* serve used to print the records kept in memory (the newest 1,024) as the count written. */
START_TEST(serve_counts_every_record_it_wrote_when_it_stops)
{
    start_serve("probes.echo", NULL);
    int fd = connect_to(srv.bg.port);
    static const char req[] = "POST /2015-03-31/functions/probe/invocations HTTP/1.1\r\nHost: x\r\n"
                              "X-Amz-Invocation-Type: Event\r\nContent-Length: 2\r\n\r\n{}";
    char reply[256] = "";
    for (int i = 0; i < 1030; i++) {
        ck_assert_int_eq(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
        size_t n = 0; /* each answer is a head only: 202, Content-Length: 0 */
        while (!strstr(reply, "\r\n\r\n") || n == 0) {
            ssize_t r = read(fd, reply + n, sizeof reply - 1 - n);
            ck_assert_int_gt(r, 0);
            n += (size_t)r;
            reply[n] = '\0';
        }
        ck_assert_msg(strncmp(reply, "HTTP/1.1 202", 12) == 0, "%s", reply);
        reply[0] = '\0';
    }
    close(fd);
    char *log = NULL;
    ck_assert_int_eq(bg_stop_with_log(&srv.bg, &log), 0);
    ck_assert_msg(log && strstr(log, "stopped; 1030 asynchronous events recorded (Success 1030, "
                                     "RetriesExhausted 0, EventAgeExceeded 0)"),
                  "%s", log ? log : "(no log)");
    free(log);
}
END_TEST

/* --- mapping requests: a team's integration test pushing messages into serve --- */

#define PROJECTS LC_FIXTURES_DIR "/projects"

/* A client nobody here wrote (Python's urllib): POSTs the file's bytes to url, prints the status
 * on the first line and the body after it. */
static const char post_script[] =
    "import sys, urllib.request, urllib.error\n"
    "req = urllib.request.Request(sys.argv[1], data=open(sys.argv[2], 'rb').read(), "
    "method='POST', headers={'Content-Type': 'application/json'})\n"
    "try:\n"
    "    r = urllib.request.urlopen(req)\n"
    "    print(r.status); sys.stdout.write(r.read().decode())\n"
    "except urllib.error.HTTPError as e:\n"
    "    print(e.code); sys.stdout.write(e.read().decode())\n";

/* POSTs body to serve's mapping of function for source; the status, and the answer in *answer
 * (a new reference). */
static int post_mapping(const char *function, const char *source, const json_t *body,
                        json_t **answer)
{
    char *dir = scratch_dir("serve_mapping");
    char file[4200], url[512];
    snprintf(file, sizeof file, "%s/body.json", dir);
    ck_assert_int_eq(json_dump_file(body, file, JSON_COMPACT), 0);
    snprintf(url, sizeof url, "%s/lambdacheck/mappings/%s/%s", endpoint(), function, source);
    cli_result r = run_program((const char *[]){DEBIAN_PYTHON, "-c", post_script, url, file,
                                                NULL});
    scratch_remove(dir);
    ck_assert_msg(r.status == 0, "python exited %d: %s", r.status, r.out);
    int status = atoi(r.out);
    const char *rest = strchr(r.out, '\n');
    *answer = rest ? json_loads(rest + 1, 0, NULL) : NULL;
    ck_assert_msg(*answer != NULL, "serve answered: %s", r.out);
    cli_result_free(&r);
    return status;
}

/* True when the lists hold the same ids (entries may be {"id": ...}) in any order. */
static bool same_ids(const json_t *want, const json_t *got)
{
    if (json_array_size(want) != json_array_size(got))
        return false;
    size_t i, j;
    json_t *w, *g;
    json_array_foreach(want, i, w)
    {
        const char *id = json_is_object(w) ? json_string_value(json_object_get(w, "id"))
                                           : json_string_value(w);
        bool found = false;
        json_array_foreach(got, j, g)
        {
            const char *other = json_is_object(g) ? json_string_value(json_object_get(g, "id"))
                                                  : json_string_value(g);
            found = found || strcmp(id, other) == 0;
        }
        if (!found)
            return false;
    }
    return true;
}

/* The project's case, drained by serve instead of check: what serve answers is what the case
 * expects, field by field (the lists as sets, the counts as counts). */
static void drain_case_through_serve(const char *case_file, const char *source)
{
    json_t *c = read_json_file(case_file);
    json_t *answer = NULL;
    const char *function = json_string_value(json_object_get(c, "function"));
    ck_assert_int_eq(post_mapping(function, source, json_object_get(c, source), &answer), 200);
    const char *field;
    json_t *want;
    json_object_foreach(json_object_get(json_object_get(c, "expect"), "mapping"), field, want)
    {
        const json_t *got = json_object_get(answer, field);
        if (json_is_integer(want))
            ck_assert_msg(json_array_size(got) == (size_t)json_integer_value(want),
                          "%s: %s: %zu, the case expects %lld", case_file, field,
                          json_array_size(got), (long long)json_integer_value(want));
        else
            ck_assert_msg(same_ids(want, got), "%s: %s: serve says %s", case_file, field,
                          json_dumps(got, JSON_COMPACT));
    }
    json_decref(answer);
    json_decref(c);
}

/* A team's integration test pushes a project's messages into serve and gets what Lambda's
 * mapping would do with them, with the project's own template mapping: the queue through
 * --template (its queue's timeout and redrive), the stream through --manifest. A request that
 * breaks a bound is refused naming the field, and serve goes on. */
START_TEST(serve_drains_what_a_client_posts_as_check_drains_the_projects_case)
{
    bg_start(&srv.bg, (const char *[]){cli_path(), "serve", "--template",
                                       PROJECTS "/queue-partial-batch/template.yaml",
                                       "--port-file", "{port_file}", NULL});
    drain_case_through_serve(PROJECTS "/queue-partial-batch/cases/drains-the-queue/case.json",
                             "sqs");
    json_t *bad = json_pack("{s:[], s:i}", "messages", "batchSize", 10001), *answer = NULL;
    ck_assert_int_eq(post_mapping("OrdersConsumer", "sqs", bad, &answer), 400);
    ck_assert_contains(json_string_value(json_object_get(answer, "message")), "batchSize");
    json_decref(answer);
    json_decref(bad);
    drain_case_through_serve(PROJECTS "/queue-partial-batch/cases/drains-the-queue/case.json",
                             "sqs");
    char *log = NULL;
    ck_assert_int_eq(bg_stop_with_log(&srv.bg, &log), 0);
    ck_assert_contains(log, " mapping OrdersConsumer sqs 200 3 invocations deleted 3 deadLetter 1");
    ck_assert_contains(log, " mapping OrdersConsumer sqs 400\n");
    free(log);
    bg_start(&srv.bg, (const char *[]){cli_path(), "serve", "--manifest",
                                       PROJECTS "/stream-partial-batch", "--port-file",
                                       "{port_file}", NULL});
    drain_case_through_serve(
        PROJECTS "/stream-partial-batch/cases/poison-is-retried-then-discarded/case.json",
        "kinesis");
    ck_assert_int_eq(stop_serve(), 0);
}
END_TEST

START_TEST(serve_refuses_bad_usage)
{
    const char *const *cases[] = {
        (const char *[]){"serve", NULL},
        (const char *[]){"serve", "--handler", "probes.echo", "--code", PROBES, "--listen", "nope",
                         NULL},
        (const char *[]){"serve", "--handler", "probes.echo", "--code", PROBES,
                         "--max-retry-attempts", "3", NULL},
    };
    const char *expect[] = {"--handler and --code (or --manifest, or --template) are required",
                            "--listen takes HOST:PORT",
                            "--max-retry-attempts takes a whole number from 0 to 2"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cli_result r = run_cli(cases[i], NULL, NULL, 30000);
        ck_assert_int_eq(r.status, 2);
        ck_assert_msg(strstr(r.err, expect[i]) != NULL, "%s", r.err);
        cli_result_free(&r);
    }
}
END_TEST

Suite *serve_suite(void)
{
    Suite *s = suite_create("serve");
    TCase *clients = tcase_create("clients");
    tcase_add_checked_fixture(clients, NULL, teardown);
    tcase_set_timeout(clients, 120);
    tcase_add_test(clients, the_aws_cli_invokes_a_served_function);
    tcase_add_test(clients, boto3_invokes_a_served_function);
    tcase_add_test(clients, lambdacheck_invoke_calls_a_served_function);
    tcase_add_test(clients, a_streamed_response_reaches_an_independent_reader_piece_by_piece);
    tcase_add_test(clients, invoke_stream_prints_the_streamed_bytes);
    tcase_add_test(clients, a_stop_signal_finishes_every_queued_event);
    tcase_add_test(clients, serve_takes_a_manifest_without_cases);
    tcase_add_test(clients, the_readme_invokes_with_either_aws_cli_major);
    tcase_add_test(clients, serve_checks_signatures_made_by_the_aws_cli);
    tcase_add_test(clients, the_sigv4_secret_stays_out_of_the_command_line);
    tcase_add_test(clients, serve_warns_who_can_call_when_that_is_risky);
    tcase_add_test(clients, serve_answers_every_request_and_idle_clients_starve_no_one);
    tcase_add_test(clients, serve_counts_every_record_it_wrote_when_it_stops);
    tcase_add_test(clients, serve_drains_what_a_client_posts_as_check_drains_the_projects_case);
    suite_add_tcase(s, clients);
    TCase *errors = tcase_create("errors");
    tcase_set_timeout(errors, 60);
    tcase_add_test(errors, serve_refuses_bad_usage);
    suite_add_tcase(s, errors);
    return s;
}
