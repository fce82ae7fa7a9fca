#include "lambdacheck/environment.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lambdacheck/buf.h"
#include "fast_start.h"
#include "spawn.h"

/* Lambda's X-Ray daemon address; nothing listens there on this machine, as in an untraced
 * function. */
#define LC_XRAY_DAEMON_HOST "169.254.79.129"
#define LC_XRAY_DAEMON_PORT "2000"
#define LC_XRAY_DAEMON_ADDRESS LC_XRAY_DAEMON_HOST ":" LC_XRAY_DAEMON_PORT

/* SnapStart's restore phase, from the restore to the first /next (the after-restore hooks
 * included), may take 10 s (https://docs.aws.amazon.com/lambda/latest/dg/
 * snapstart-troubleshooting.html, SnapStartTimeoutException). */
#define LC_RESTORE_TIMEOUT_MS 10000

/* How often the memory watchdog looks at the process while an invocation runs. */
#define WATCH_TICK_NS (10 * 1000000LL)

typedef struct concurrent concurrent;
static lc_status start_concurrent(lc_environment *env, lc_error *err);
static lc_status start_monitor(lc_environment *env, lc_error *err);
static void free_concurrent(lc_environment *env);

struct lc_environment {
    const lc_function *fn;
    concurrent *conc; /* Managed Instances: invocations at once (see below); NULL: one by one */
    lc_context *ctx; /* this environment's own: its log stream */
    lc_runtime_api *api;
    pid_t pid;
    int pidfd;
    int log_fd;        /* read end of the process's stdout+stderr */
    int status_fd;     /* /proc/<pid>/status, kept open: read for memory after every call */
    bool log_eof;      /* the process closed its output: stop polling it */
    bool alive;
    bool used;         /* false until the first invocation: that one is the cold start */
    bool stopping;     /* lc_environment_stop() has signalled the process */
    bool copy;         /* the process is a copy of a template (fast_start.h) */
    bool restored;     /* SnapStart: a copy of the function's snapshot (its init ran there) */
    char *snapshot_log; /* what the snapshot's init printed (owned), or NULL */
    size_t left_behind; /* lc_environment_stop killed what the runtime started: 1 + how many */
    int64_t spawn_ns;
};

/* --- start ---------------------------------------------------------------------------------- */

/* The folder holding path's last component, into out. */
static void parent_dir(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    snprintf(out, size, "%.*s", slash ? (int)(slash - path) : 0, path);
}

/* ":<layer>/<sub>" for each layer, the last first (on Lambda, a later layer's files win). */
static void layer_folders(lc_buf *out, char *const *layers, const char *sub)
{
    size_t n = 0;
    while (layers[n])
        n++;
    while (n-- > 0)
        lc_buf_printf(out, ":%s/%s", layers[n], sub);
}

/* PATH and LD_LIBRARY_PATH as Lambda sets them, with this machine's folders in the place of
 * Lambda's: the interpreter's (/var/lang), the runtime client's (/var/runtime), the code folder
 * (/var/task), the layers' (/opt). Nothing of the harness's own PATH. */
static void set_search_paths(json_t *vars, const lc_function *fn)
{
    char lang[PATH_MAX] = "", bin[PATH_MAX] = "";
    const char *interpreter = lc_function_interpreter(fn);
    if (interpreter) {
        parent_dir(interpreter, bin, sizeof bin); /* <prefix>/bin */
        parent_dir(bin, lang, sizeof lang);        /* <prefix> */
    }
    lc_buf text;
    lc_buf_init(&text, 0);
    lc_buf_printf(&text, "%s%s/usr/local/bin:/usr/bin/:/bin", bin, bin[0] ? ":" : "");
    layer_folders(&text, lc_function_layers(fn), "bin");
    json_object_set_new(vars, "PATH", json_string(text.data));
    lc_buf_free(&text);
    const char *runtime = lc_function_runtime_dir(fn), *task = lc_function_code_dir(fn);
    lc_buf_printf(&text, "%s%s/lib64:/usr/lib64:%s:%s/lib:%s:%s/lib", lang,
                  lang[0] ? "/lib:" : "", runtime, runtime, task, task);
    layer_folders(&text, lc_function_layers(fn), "lib");
    json_object_set_new(vars, "LD_LIBRARY_PATH", json_string(text.data));
    lc_buf_free(&text);
}

/* NODE_PATH as Lambda sets it for Node.js: each layer's nodejs/node<major>/node_modules and
 * nodejs/node_modules (/opt), the SDK the runtime ships and the runtime client's folder
 * (/var/runtime/node_modules, /var/runtime), the code folder (/var/task).
 * https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html#packaging-layers-paths */
static void set_node_path(json_t *vars, const lc_function *fn)
{
    lc_runtime r = lc_function_runtime(fn);
    if (lc_runtime_family_of(r) != LC_FAMILY_NODE)
        return;
    char versioned[32];
    snprintf(versioned, sizeof versioned, "nodejs/node%s/node_modules", lc_runtime_version(r));
    lc_buf text;
    lc_buf_init(&text, 0);
    layer_folders(&text, lc_function_layers(fn), versioned);
    layer_folders(&text, lc_function_layers(fn), "nodejs/node_modules");
    const char *runtime = lc_function_runtime_dir(fn), *sdk = lc_function_sdk_dir(fn);
    if (sdk)
        lc_buf_printf(&text, ":%s", sdk);
    lc_buf_printf(&text, ":%s/node_modules:%s:%s", runtime, runtime, lc_function_code_dir(fn));
    json_object_set_new(vars, "NODE_PATH", json_string(text.data + 1)); /* past the first ':' */
    lc_buf_free(&text);
}

static json_t *process_environment(const lc_environment *env)
{
    const lc_function *fn = env->fn;
    json_t *vars = lc_context_environment(env->ctx);
    json_object_set_new(vars, "AWS_LAMBDA_RUNTIME_API",
                        json_string(lc_runtime_api_address(env->api)));
    json_object_set_new(vars, "_HANDLER", json_string(lc_function_handler(fn)));
    json_object_set_new(vars, "LAMBDA_TASK_ROOT", json_string(lc_function_code_dir(fn)));
    json_object_set_new(vars, "LAMBDA_RUNTIME_DIR", json_string(lc_function_runtime_dir(fn)));
    if (lc_function_execution_env(fn)) /* the provided family has none */
        json_object_set_new(vars, "AWS_EXECUTION_ENV", json_string(lc_function_execution_env(fn)));
    set_search_paths(vars, fn);
    set_node_path(vars, fn);
    /* X-Ray's daemon address and error mode, set for every function whether traced or not */
    json_object_set_new(vars, "AWS_XRAY_CONTEXT_MISSING", json_string("LOG_ERROR"));
    json_object_set_new(vars, "AWS_XRAY_DAEMON_ADDRESS", json_string(LC_XRAY_DAEMON_ADDRESS));
    json_object_set_new(vars, "_AWS_XRAY_DAEMON_ADDRESS", json_string(LC_XRAY_DAEMON_HOST));
    json_object_set_new(vars, "_AWS_XRAY_DAEMON_PORT", json_string(LC_XRAY_DAEMON_PORT));
    if (lc_function_max_concurrency(fn) > 0) {
        /* a Managed Instances environment: the variables its runtimes read (runtimes-api.html;
           the value the Runtime Interface Emulator's Managed Instances mode gives) */
        char n[16];
        snprintf(n, sizeof n, "%d", lc_function_max_concurrency(fn));
        json_object_set_new(vars, "AWS_LAMBDA_MAX_CONCURRENCY", json_string(n));
        json_object_set_new(vars, "AWS_LAMBDA_INITIALIZATION_TYPE",
                            json_string("lambda-managed-instances"));
    }
    if (lc_function_snapstart(fn)) {
        /* snapstart-monitoring.html: no log group or stream variables under SnapStart */
        json_object_set_new(vars, "AWS_LAMBDA_INITIALIZATION_TYPE", json_string("snap-start"));
        json_object_del(vars, "AWS_LAMBDA_LOG_GROUP_NAME");
        json_object_del(vars, "AWS_LAMBDA_LOG_STREAM_NAME");
    }
    json_object_update(vars, (json_t *)lc_function_variables(fn));
    return vars;
}

static lc_status spawn_runtime(lc_environment *env, lc_error *err)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return lc_error_set(err, LC_EIO, NULL, 0, 0, "pipe: %s", strerror(errno));
    json_t *vars = process_environment(env);
    char **envp = lc__envp_from_json(vars);
    json_decref(vars);
    lc__spawn_options opt = {.argv = lc_function_argv(env->fn),
                             .envp = envp,
                             .cwd = lc_function_code_dir(env->fn),
                             .output_fd = fds[1]};
    env->spawn_ns = lc_monotonic_ns();
    /* What differs between two environments of one function (each its Runtime API and log
       stream; each case its own scope at the AWS endpoint, aws_endpoint.h): a template starts
       without them, and its copies get them. Nothing an interpreter does at start-up reads them. */
    static const char *const varying[] = {"AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_LOG_STREAM_NAME",
                                          "AWS_ENDPOINT_URL",       "HTTPS_PROXY",
                                          "https_proxy",            "AWS_DATA_PATH",
                                          NULL};
    /* A snapshot is one function's init: only what differs between its environments is left
       out (each case's AWS endpoint stays, as a client made during init keeps it). */
    static const char *const restored_varying[] = {"AWS_LAMBDA_RUNTIME_API",
                                                   "AWS_LAMBDA_LOG_STREAM_NAME", NULL};
    lc_status st = LC_ESPAWN;
    bool fast = env->conc == NULL && lc__fast_start_applies(opt.argv);
    if (fast && lc_function_from_snapshot(env->fn))
        st = lc__fast_start_restore(&opt, restored_varying, lc_function_init_timeout_ms(env->fn),
                                    lc_function_memory_mb(env->fn), &env->pid, &env->pidfd,
                                    &env->snapshot_log, &env->spawn_ns, NULL);
    env->restored = st == LC_OK;
    if (fast && st != LC_OK && !lc_function_from_snapshot(env->fn))
        st = lc__fast_start_spawn(&opt, varying, &env->pid, &env->pidfd, NULL);
    env->copy = st == LC_OK;
    if (st != LC_OK)
        st = lc__spawn(&opt, &env->pid, &env->pidfd, err);
    lc__strv_free(envp);
    close(fds[1]);
    if (st != LC_OK) {
        close(fds[0]);
        return st;
    }
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    env->log_fd = fds[0];
    char status_path[64];
    snprintf(status_path, sizeof status_path, "/proc/%d/status", (int)env->pid);
    env->status_fd = open(status_path, O_RDONLY | O_CLOEXEC);
    env->alive = true;
    return LC_OK;
}

lc_status lc_environment_start(const lc_function *fn, lc_environment **out, lc_error *err)
{
    *out = NULL;
    lc_environment *env = calloc(1, sizeof *env);
    if (env == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    env->fn = fn;
    env->log_fd = env->pidfd = env->status_fd = -1;
    env->ctx = lc_function_new_context(fn);
    lc_status st = env->ctx == NULL ? lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory")
                   : lc_function_max_concurrency(fn) ? start_concurrent(env, err)
                                                     : lc_runtime_api_start(&env->api, err);
    if (st == LC_OK) {
        lc_context_renew_log_stream(env->ctx);
        if (lc_function_snapstart(fn))
            lc_runtime_api_allow_restore(env->api);
        st = spawn_runtime(env, err);
    }
    if (st == LC_OK && env->conc)
        st = start_monitor(env, err);
    if (st != LC_OK) {
        lc_environment_free(env);
        return st;
    }
    *out = env;
    return LC_OK;
}

/* --- the process ---------------------------------------------------------------------------- */

/* A field of /proc/<pid>/status in kB ("VmRSS:", "VmHWM:"), -1 when unreadable. */
static long proc_status_kb(const lc_environment *env, const char *field)
{
    char text[4096];
    ssize_t n = env->status_fd >= 0 ? pread(env->status_fd, text, sizeof text - 1, 0) : -1;
    if (n <= 0)
        return -1;
    text[n] = '\0';
    const char *at = strstr(text, field);
    return at ? strtol(at + strlen(field), NULL, 10) : -1;
}

static void read_output(lc_environment *env, lc_buf *into, size_t *dropped)
{
    char chunk[65536];
    ssize_t n;
    while ((n = read(env->log_fd, chunk, sizeof chunk)) > 0)
        if (lc_buf_append(into, chunk, (size_t)n) == LC_ETOOLARGE)
            *dropped += (size_t)n;
    if (n == 0)
        env->log_eof = true;
}

/* Ends the process and records how (wait status, peak memory). */
static void discard(lc_environment *env, lc_result *r)
{
    if (env->pid <= 0)
        return;
    long hwm = proc_status_kb(env, "VmHWM:");
    if (hwm > 0 && r)
        r->max_memory_used_mb = (hwm + 1023) / 1024;
    int status = lc__kill_group(env->pid);
    if (r && r->end == LC_END_EXIT)
        r->exit_status = status;
    env->pid = 0;
    env->alive = false;
}

/* --- waiting --------------------------------------------------------------------------------- */

typedef struct {
    lc_runtime_outcome outcome;
    bool got_outcome;   /* the runtime posted a result or an error */
    bool exited;        /* the process ended */
    bool timed_out;     /* the deadline passed with no outcome */
    bool init_timed_out; /* the runtime never asked for work within the init limit */
    bool restore_timed_out; /* SnapStart: the restore phase passed its limit */
    bool restore_failed; /* SnapStart: the process ended in its restore phase */
    bool overran;       /* the deadline passed after the outcome, before the next /next */
    bool out_of_memory;
    int64_t end_ns;
} ending;

static int64_t wait_deadline(lc_environment *env, long timeout_ms, int64_t *delivered)
{
    *delivered = lc_runtime_api_delivered_ns(env->api);
    if (*delivered)
        return *delivered + timeout_ms * 1000000LL;
    if (lc_runtime_api_initialized(env->api, NULL))
        return lc_monotonic_ns() + WATCH_TICK_NS; /* about to be delivered */
    return env->spawn_ns + lc_function_init_timeout_ms(env->fn) * 1000000LL;
}

static bool over_memory(const lc_environment *env)
{
    long rss = proc_status_kb(env, "VmRSS:");
    return rss > lc_function_memory_mb(env->fn) * 1024;
}

/* Without a pidfd, exits are noticed by looking every tick. */
#define EXIT_TICK_NS (2 * 1000000LL)

static void wait_once(lc_environment *env, int64_t wake_ns, lc_buf *into, size_t *dropped,
                      ending *e)
{
    if (env->pidfd < 0 && wake_ns > lc_monotonic_ns() + EXIT_TICK_NS)
        wake_ns = lc_monotonic_ns() + EXIT_TICK_NS;
    int64_t left = wake_ns - lc_monotonic_ns();
    if (left < 0)
        left = 0;
    struct timespec ts = {.tv_sec = left / 1000000000, .tv_nsec = left % 1000000000};
    struct pollfd p[3] = {{.fd = lc_runtime_api_notify_fd(env->api), .events = POLLIN},
                          {.fd = env->pidfd, .events = POLLIN},
                          {.fd = env->log_eof ? -1 : env->log_fd, .events = POLLIN}};
    int ready = ppoll(p, 3, &ts, NULL);
    if (ready > 0 && p[2].revents)
        read_output(env, into, dropped);
    if (ready > 0 && p[0].revents)
        lc_runtime_api_drain_notify(env->api);
    if ((ready > 0 && p[1].revents) || (env->pidfd < 0 && lc__exited(env->pid)))
        e->exited = true;
}

/* A cold start: waits until the runtime blocks in its first /next (its init is over, and all
 * its init output is in the pipe), or posts an init error, exits, or passes the init limit. The
 * event is handed over only after this, so the log splits exactly between init and invocation. */
/* SnapStart: when the restore phase began (a snapshot's copy: at its start; a runtime that
 * restores in place: at its /restore/next), 0 while it has not. */
static int64_t restore_began(lc_environment *env)
{
    if (env->restored)
        return env->spawn_ns;
    return lc_function_snapstart(env->fn) ? lc_runtime_api_restore_ns(env->api) : 0;
}

static void wait_for_init(lc_environment *env, lc_buf *init_log, size_t *dropped, ending *e)
{
    int64_t init_deadline = env->spawn_ns + lc_function_init_timeout_ms(env->fn) * 1000000LL;
    while (!lc_runtime_api_runtime_waiting(env->api)) {
        e->got_outcome = lc_runtime_api_take_outcome(env->api, &e->outcome);
        if (e->got_outcome || e->exited)
            break;
        int64_t restore = restore_began(env);
        int64_t deadline = restore ? restore + LC_RESTORE_TIMEOUT_MS * 1000000LL : init_deadline;
        if (lc_monotonic_ns() >= deadline) {
            e->timed_out = e->init_timed_out = restore == 0;
            e->restore_timed_out = restore != 0;
            break;
        }
        /* init has the function's memory too: past it, Runtime.OutOfMemory as in a call */
        if (over_memory(env)) {
            e->out_of_memory = true;
            break;
        }
        int64_t watch = lc_monotonic_ns() + WATCH_TICK_NS;
        wait_once(env, deadline < watch ? deadline : watch, init_log, dropped, e);
    }
    if (e->exited && !e->got_outcome) /* a post may have come just before the exit */
        e->got_outcome = lc_runtime_api_take_outcome(env->api, &e->outcome);
    e->restore_failed = e->exited && !e->got_outcome && restore_began(env) != 0;
    read_output(env, init_log, dropped);
    e->end_ns = lc_monotonic_ns();
}

/* An invocation is over when the runtime posted its outcome and asks for the next event (output
 * written in between still belongs to it, as on Lambda), or when the process ends, or when the
 * deadline or the memory limit is passed. */
static void wait_for_end(lc_environment *env, long timeout_ms, lc_buf *log, size_t *dropped,
                         ending *e)
{
    int64_t next_watch = lc_monotonic_ns() + WATCH_TICK_NS;
    for (;;) {
        if (!e->got_outcome)
            e->got_outcome = lc_runtime_api_take_outcome(env->api, &e->outcome);
        if (e->exited || (e->got_outcome && lc_runtime_api_runtime_waiting(env->api)))
            break;
        int64_t delivered;
        int64_t deadline = wait_deadline(env, timeout_ms, &delivered);
        int64_t now = lc_monotonic_ns();
        if (now >= deadline) {
            e->overran = e->got_outcome;
            e->timed_out = !e->got_outcome;
            break;
        }
        if (now >= next_watch) {
            next_watch = now + WATCH_TICK_NS;
            if (over_memory(env)) {
                e->out_of_memory = !e->got_outcome;
                e->overran = e->got_outcome;
                break;
            }
        }
        wait_once(env, deadline < next_watch ? deadline : next_watch, log, dropped, e);
    }
    if (e->exited && !e->got_outcome) /* a post may have come just before the exit */
        e->got_outcome = lc_runtime_api_take_outcome(env->api, &e->outcome);
    e->end_ns = lc_monotonic_ns();
}

/* --- results --------------------------------------------------------------------------------- */

static const struct {
    int signo;
    const char *name;
} signal_names[] = {
    {SIGKILL, "killed"},          {SIGSEGV, "segmentation fault"}, {SIGABRT, "aborted"},
    {SIGTERM, "terminated"},      {SIGINT, "interrupt"},           {SIGBUS, "bus error"},
    {SIGFPE, "floating point exception"}, {SIGILL, "illegal instruction"},
    {SIGPIPE, "broken pipe"},     {SIGHUP, "hangup"},              {SIGQUIT, "quit"},
    {SIGTRAP, "trace/breakpoint trap"}, {SIGUSR1, "user defined signal 1"},
    {SIGUSR2, "user defined signal 2"}, {SIGXCPU, "CPU time limit exceeded"},
};

/* "exit status 42", "signal: segmentation fault" (the wording Lambda uses). */
static void describe_exit(int status, char *out, size_t size)
{
    if (WIFEXITED(status)) {
        snprintf(out, size, "exit status %d", WEXITSTATUS(status));
        return;
    }
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    for (size_t i = 0; i < sizeof signal_names / sizeof *signal_names; i++)
        if (signal_names[i].signo == sig) {
            snprintf(out, size, "signal: %s", signal_names[i].name);
            return;
        }
    snprintf(out, size, "signal: %d", sig);
}

static void set_payload_json(lc_result *r, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    r->payload = text ? text : strdup("{}");
    r->payload_len = strlen(r->payload);
    snprintf(r->content_type, sizeof r->content_type, "application/json");
}

static void platform_error(lc_result *r, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void platform_error(lc_result *r, const char *type, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    snprintf(r->function_error, sizeof r->function_error, "Unhandled");
    snprintf(r->error_type, sizeof r->error_type, "%s", type);
    set_payload_json(r, json_pack("{s:s, s:s}", "errorType", type, "errorMessage", message));
}

static void timeout_seconds(long timeout_ms, char *out, size_t size)
{
    snprintf(out, size, "%.2f", (double)timeout_ms / 1000.0);
}

/* The errorType of the error body the runtime posted (r's payload by now), or its header when the
 * body has none. */
static void posted_error_type(lc_result *r, const lc_runtime_outcome *o)
{
    json_t *body = json_loadb(r->payload, r->payload_len, 0, NULL);
    const char *type = json_string_value(json_object_get(body, "errorType"));
    snprintf(r->error_type, sizeof r->error_type, "%s", type ? type : o->error_type);
    json_decref(body);
}

/* SnapStart's restore failures are errors of the Invoke call itself, in Lambda's words
 * (API_Invoke.html: SnapStartException 400, SnapStartTimeoutException 408): the body is the
 * service error's, {"Type": "User", "message": ...}, and no function error. */
static const char snapstart_exception[] =
    "The afterRestore() runtime hook encountered an error. For more information, check the "
    "Amazon CloudWatch logs.";
static const char snapstart_timeout[] =
    "Lambda couldn't restore the snapshot within the timeout limit.";

static void snapstart_error(lc_result *r, int status, const char *type, const char *message)
{
    r->end = LC_END_RESTORE_ERROR;
    r->status_code = status;
    r->function_error[0] = '\0';
    snprintf(r->error_type, sizeof r->error_type, "%s", type);
    set_payload_json(r, json_pack("{s:s, s:s}", "Type", "User", "message", message));
}

static void result_from_outcome(lc_result *r, lc_runtime_outcome *o)
{
    static const lc_end ends[] = {[LC_RUNTIME_RESPONSE] = LC_END_RESPONSE,
                                  [LC_RUNTIME_ERROR] = LC_END_ERROR,
                                  [LC_RUNTIME_INIT_ERROR] = LC_END_INIT_ERROR,
                                  [LC_RUNTIME_TOO_LARGE] = LC_END_TOO_LARGE,
                                  [LC_RUNTIME_RESTORE_ERROR] = LC_END_RESTORE_ERROR};
    r->end = ends[o->kind];
    if (o->kind == LC_RUNTIME_RESTORE_ERROR) {
        snapstart_error(r, 400, "SnapStartException", snapstart_exception);
        return;
    }
    if (o->kind == LC_RUNTIME_TOO_LARGE) {
        bool past_stream_limit = o->streamed && o->posted_size > LC_RUNTIME_MAX_STREAM;
        platform_error(r, "Function.ResponseSizeTooLarge",
                       "Response payload size (%zu bytes) exceeded maximum allowed payload size "
                       "(%u bytes).",
                       o->posted_size,
                       past_stream_limit ? LC_RUNTIME_MAX_STREAM : LC_RUNTIME_MAX_RESPONSE);
        r->streamed = o->streamed;
        return;
    }
    r->payload = o->body ? o->body : strdup("");
    r->payload_len = o->body ? o->body_len : 0;
    o->body = NULL;
    r->streamed = o->streamed;
    r->stream = o->stream;
    r->stream_len = o->stream_len;
    o->stream = NULL;
    snprintf(r->content_type, sizeof r->content_type, "%s",
             o->content_type[0] ? o->content_type : "application/json");
    if (o->kind != LC_RUNTIME_RESPONSE) {
        snprintf(r->function_error, sizeof r->function_error, "Unhandled");
        posted_error_type(r, o);
    }
}

static void result_from_ending(lc_environment *env, lc_result *r, ending *e, long timeout_ms)
{
    char secs[32], why[64];
    if (e->got_outcome) {
        result_from_outcome(r, &e->outcome);
    } else if (e->restore_timed_out) {
        snapstart_error(r, 408, "SnapStartTimeoutException", snapstart_timeout);
    } else if (e->restore_failed) {
        discard(env, r);
        snapstart_error(r, 400, "SnapStartException", snapstart_exception);
    } else if (e->init_timed_out) {
        r->end = LC_END_TIMEOUT;
        platform_error(r, "Sandbox.Timedout",
                       "RequestId: %s Error: the runtime did not become ready: it did not ask "
                       "for an invocation (/next) within the %.2f s init limit",
                       r->request_id, (double)lc_function_init_timeout_ms(env->fn) / 1000.0);
    } else if (e->timed_out) {
        r->end = LC_END_TIMEOUT;
        timeout_seconds(timeout_ms, secs, sizeof secs);
        platform_error(r, "Sandbox.Timedout", "RequestId: %s Error: Task timed out after %s seconds",
                       r->request_id, secs);
    } else if (e->out_of_memory) {
        r->end = LC_END_OUT_OF_MEMORY;
        platform_error(r, "Runtime.OutOfMemory",
                       "RequestId: %s Error: Runtime exited with error: signal: killed",
                       r->request_id);
    } else {
        r->end = LC_END_EXIT;
        discard(env, r);
        if (WIFEXITED(r->exit_status) && WEXITSTATUS(r->exit_status) == 0) {
            platform_error(r, "Runtime.ExitError",
                           "RequestId: %s Error: Runtime exited without providing a reason",
                           r->request_id);
            return;
        }
        describe_exit(r->exit_status, why, sizeof why);
        platform_error(r, "Runtime.ExitError", "RequestId: %s Error: Runtime exited with error: %s",
                       r->request_id, why);
    }
}

/* --- the log ---------------------------------------------------------------------------------- */

/* The level of a line of function output that is a JSON object with a "level" (the platform
 * filters those by the application log level), else LC_LOG_NONE. */
static lc_log_level json_line_level(const char *line, size_t len)
{
    if (len < 2 || line[0] != '{')
        return LC_LOG_NONE;
    json_t *obj = json_loadb(line, len, 0, NULL);
    lc_log_level level = lc_log_level_from_name(json_string_value(json_object_get(obj, "level")));
    json_decref(obj);
    return level;
}

/* Appends the function's output; with an application log level, JSON lines of a lower level are
 * left out, as Lambda leaves them out. */
static void append_output(lc_buf *out, const lc_buf *log, lc_log_level app_level)
{
    const char *p = log->data ? log->data : "", *end = p + log->len;
    if (app_level == LC_LOG_NONE) {
        lc_buf_append(out, p, log->len);
        return;
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        lc_log_level level = json_line_level(p, nl ? len - 1 : len);
        if (level == LC_LOG_NONE || level >= app_level)
            lc_buf_append(out, p, len);
        p += len;
    }
}

/* platform.report's status (Telemetry API schema) for how the invocation ended. */
static const char *report_status(lc_end end)
{
    switch (end) {
    case LC_END_RESPONSE: return "success";
    case LC_END_ERROR:
    case LC_END_INIT_ERROR: return "error";
    case LC_END_TIMEOUT: return "timeout";
    default: return "failure";
    }
}

static void json_record(lc_buf *out, const char *type, int64_t at_ms, json_t *record)
{
    char ts[32];
    lc_iso_timestamp(at_ms, ts);
    json_t *line = json_pack("{s:s, s:s, s:o}", "time", ts, "type", type, "record", record);
    char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    if (text)
        lc_buf_printf(out, "%s\n", text);
    free(text);
    json_decref(line);
}

static double two_places(double ms)
{
    return round(ms * 100.0) / 100.0;
}

static void json_report(lc_buf *out, const lc_result *r)
{
    json_t *metrics = json_pack("{s:f, s:I, s:I, s:I}", "durationMs", two_places(r->duration_ms),
                                "billedDurationMs", (json_int_t)r->billed_duration_ms,
                                "memorySizeMB", (json_int_t)r->memory_size_mb, "maxMemoryUsedMB",
                                (json_int_t)r->max_memory_used_mb);
    if (r->restored) /* the Telemetry API's restore metrics */
        json_object_set_new(metrics, "restoreDurationMs",
                            json_real(two_places(r->restore_duration_ms)));
    if (r->restored)
        json_object_set_new(metrics, "billedRestoreDurationMs",
                            json_integer(r->billed_restore_duration_ms));
    else if (r->cold_start)
        json_object_set_new(metrics, "initDurationMs", json_real(two_places(r->init_duration_ms)));
    json_t *record = json_pack("{s:s, s:o, s:s}", "requestId", r->request_id, "metrics", metrics,
                               "status", report_status(r->end));
    if (r->end != LC_END_RESPONSE && r->error_type[0])
        json_object_set_new(record, "errorType", json_string(r->error_type));
    json_record(out, "platform.report", lc_now_ms(), record);
}

static void text_report(lc_buf *out, const lc_result *r)
{
    lc_buf_printf(out,
                  "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %ld ms\t"
                  "Memory Size: %ld MB\tMax Memory Used: %ld MB\t",
                  r->request_id, r->duration_ms, r->billed_duration_ms, r->memory_size_mb,
                  r->max_memory_used_mb);
    if (r->restored) /* snapstart-monitoring.html: instead of Init Duration */
        lc_buf_printf(out, "Restore Duration: %.2f ms\tBilled Restore Duration: %ld ms\t",
                      r->restore_duration_ms, r->billed_restore_duration_ms);
    else if (r->cold_start)
        lc_buf_printf(out, "Init Duration: %.2f ms\t", r->init_duration_ms);
    lc_buf_puts(out, "\n");
}

/* The invocation's log as Lambda writes it: what the runtime printed while it started (on a cold
 * start), START, what it printed during the call, END and REPORT; with the JSON log format, the
 * platform's lines are platform.start / platform.report records (left out at system log level
 * WARN) and there is no END line. */
static void frame_log(lc_environment *env, lc_result *r, const lc_buf *init_log,
                      const lc_buf *log, size_t dropped, long timeout_ms, bool init_timed_out)
{
    const lc_function *fn = env->fn;
    bool json = lc_function_log_json(fn);
    bool platform = !json || lc_function_system_log_level(fn) <= LC_LOG_INFO;
    lc_buf out;
    lc_buf_init(&out, 0);
    if (r->cold_start && env->snapshot_log) /* the snapshot's init, as if it ran here */
        append_output(&out, &(lc_buf){.data = env->snapshot_log,
                                      .len = strlen(env->snapshot_log)},
                      lc_function_application_log_level(fn));
    append_output(&out, init_log, lc_function_application_log_level(fn));
    if (r->end == LC_END_RESTORE_ERROR) { /* no invocation began: no START, END or REPORT */
        if (out.len && out.data[out.len - 1] != '\n')
            lc_buf_puts(&out, "\n");
        r->log_len = out.len;
        r->log = lc_buf_take(&out);
        r->log_dropped = dropped;
        return;
    }
    if (init_timed_out)
        lc_buf_printf(&out, "INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: timeout\n",
                      r->init_duration_ms);
    if (json && platform)
        json_record(&out, "platform.start", lc_now_ms() - (int64_t)r->duration_ms,
                    json_pack("{s:s, s:s}", "requestId", r->request_id, "version",
                              r->executed_version));
    else if (!json)
        lc_buf_printf(&out, "START RequestId: %s Version: %s\n", r->request_id,
                      r->executed_version);
    append_output(&out, log, lc_function_application_log_level(fn));
    if (out.len && out.data[out.len - 1] != '\n')
        lc_buf_puts(&out, "\n");
    if (dropped)
        lc_buf_printf(&out, "[lambdacheck: %zu further bytes of output were not kept]\n", dropped);
    if (r->end == LC_END_TIMEOUT) {
        char ts[32], secs[32];
        lc_iso_timestamp(lc_now_ms(), ts);
        timeout_seconds(timeout_ms, secs, sizeof secs);
        lc_buf_printf(&out, "%s %s Task timed out after %s seconds\n", ts, r->request_id, secs);
    }
    if (json && platform)
        json_report(&out, r);
    else if (!json) {
        lc_buf_printf(&out, "END RequestId: %s\n", r->request_id);
        text_report(&out, r);
    }
    r->log_len = out.len;
    r->log = lc_buf_take(&out);
    r->log_dropped = dropped;
}

static void measure(lc_environment *env, lc_result *r, const ending *e, bool cold,
                    int64_t delivered)
{
    int64_t init_ns = 0;
    bool initialized = lc_runtime_api_initialized(env->api, &init_ns);
    r->cold_start = cold;
    if (cold)
        r->init_duration_ms = (double)((initialized ? init_ns : e->end_ns) - env->spawn_ns) / 1e6;
    int64_t restore = cold ? restore_began(env) : 0;
    if (restore) {
        /* SnapStart: the restore phase to the first /next (or its end); billed is what the
           runtime ran, from its /restore/next: not the restore of the snapshot itself */
        int64_t end = initialized ? init_ns : e->end_ns, hooks = lc_runtime_api_restore_ns(env->api);
        r->restored = true;
        r->restore_duration_ms = (double)(end - restore) / 1e6;
        r->billed_restore_duration_ms = (long)ceil((double)(end - (hooks ? hooks : restore)) / 1e6);
        r->init_duration_ms = 0.0;
    }
    r->duration_ms = delivered ? (double)(e->end_ns - delivered) / 1e6 : 0.0;
    /* since August 2025 the INIT phase is billed on managed runtimes too (spec section 7) */
    r->billed_duration_ms = (long)ceil(r->duration_ms + (cold ? r->init_duration_ms : 0.0));
    if (r->restored) /* snapstart-monitoring.html: billed restore, then the duration */
        r->billed_duration_ms = (long)ceil(r->duration_ms);
    if (r->billed_duration_ms < 1)
        r->billed_duration_ms = 1;
    if (env->pid > 0) {
        long hwm = proc_status_kb(env, "VmHWM:");
        if (hwm > 0)
            r->max_memory_used_mb = (hwm + 1023) / 1024;
    }
}

/* --- invoke ---------------------------------------------------------------------------------- */

static void begin_result(const lc_environment *env, const lc_context *ctx, lc_result *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->request_id, sizeof r->request_id, "%s", lc_context_request_id(ctx));
    snprintf(r->function_name, sizeof r->function_name, "%s", lc_function_name(env->fn));
    snprintf(r->executed_version, sizeof r->executed_version, "%s", lc_context_version(ctx));
    r->status_code = 200;
    r->memory_size_mb = lc_function_memory_mb(env->fn);
}

static bool discards_environment(lc_end end, const ending *e)
{
    return e->exited || e->overran || end == LC_END_INIT_ERROR || end == LC_END_TIMEOUT ||
           end == LC_END_EXIT || end == LC_END_OUT_OF_MEMORY || end == LC_END_RESTORE_ERROR;
}

/* --- Managed Instances: several invocations at once ----------------------------------------- */

/* On Lambda Managed Instances one environment runs up to its maximum concurrency of invocations
 * at once (https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances.html). Each
 * invocation runs in its caller's thread, as lc_environment_invoke does one at a time; a monitor
 * thread reads the process's output and watches its exit and memory for all of them. As on
 * Lambda (lambda-managed-instances-execution-environment.html): a timeout fails that invocation
 * only and the environment keeps running; the process's exit or its memory limit ends every
 * invocation in flight and the environment; an init error ends every invocation waiting for it. */

/* Bytes of output kept for the invocations in flight; past it, output is counted and dropped. */
#define CONC_LOG_MAX (4u * LC_LOG_MAX_BYTES)
/* Request ids remembered, to give each log line that names one to its invocation. */
#define CONC_IDS 64

struct concurrent {
    pthread_mutex_t mu;  /* everything here, and the environment's process fields */
    pthread_cond_t cv;   /* output arrived, an outcome was posted, init ended, the process died */
    pthread_t monitor;
    bool monitor_running;
    int stop_r, stop_w;  /* a byte ends the monitor */
    lc_buf out;          /* the process's output from out_base on */
    size_t out_base;     /* the offset of out's first byte in everything the process wrote */
    size_t dropped;
    size_t in_flight;
    size_t init_end;     /* the offset at which init ended (the runtime's first /next) */
    bool exited, out_of_memory;
    int exit_status;
    bool init_failed;    /* an init error, the exit or the init limit before any /next */
    ending init;         /* how init failed, for every invocation that waited on it */
    char ids[CONC_IDS][129];
    size_t ids_next;
    lc_runtime_post *posts; /* taken from the Runtime API, not yet given to an invocation */
    size_t n_posts;
};

static void *monitor_main(void *arg)
{
    lc_environment *env = arg;
    concurrent *c = env->conc;
    for (;;) {
        pthread_mutex_lock(&c->mu);
        struct pollfd p[4] = {{.fd = lc_runtime_api_notify_fd(env->api), .events = POLLIN},
                              {.fd = c->exited ? -1 : env->pidfd, .events = POLLIN},
                              {.fd = env->log_eof ? -1 : env->log_fd, .events = POLLIN},
                              {.fd = c->stop_r, .events = POLLIN}};
        pthread_mutex_unlock(&c->mu);
        int ready = poll(p, 4, (int)(WATCH_TICK_NS / 1000000));
        pthread_mutex_lock(&c->mu);
        if (ready > 0 && p[0].revents)
            lc_runtime_api_drain_notify(env->api);
        if (ready > 0 && p[2].revents)
            read_output(env, &c->out, &c->dropped);
        if (!c->exited && env->pid > 0 &&
            ((ready > 0 && p[1].revents) || (env->pidfd < 0 && lc__exited(env->pid))))
            c->exited = true;
        if (!c->exited && env->pid > 0 && c->in_flight > 0 && over_memory(env))
            c->out_of_memory = true;
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
        if (ready > 0 && p[3].revents)
            return NULL;
    }
}

static lc_status start_concurrent(lc_environment *env, lc_error *err)
{
    concurrent *c = calloc(1, sizeof *c);
    int fds[2];
    if (c == NULL || pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        free(c);
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "cannot set up a concurrent environment");
    }
    c->stop_r = fds[0];
    c->stop_w = fds[1];
    pthread_mutex_init(&c->mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cv, &attr);
    pthread_condattr_destroy(&attr);
    lc_buf_init(&c->out, CONC_LOG_MAX);
    env->conc = c;
    return lc_runtime_api_start_concurrent((size_t)lc_function_max_concurrency(env->fn), &env->api,
                                           err);
}

static lc_status start_monitor(lc_environment *env, lc_error *err)
{
    if (pthread_create(&env->conc->monitor, NULL, monitor_main, env) != 0)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "cannot start the environment's monitor");
    env->conc->monitor_running = true;
    return LC_OK;
}

static void free_concurrent(lc_environment *env)
{
    concurrent *c = env->conc;
    if (c == NULL)
        return;
    if (c->monitor_running) {
        char byte = 1;
        (void)!write(c->stop_w, &byte, 1);
        pthread_join(c->monitor, NULL);
    }
    close(c->stop_r);
    close(c->stop_w);
    lc_buf_free(&c->out);
    lc_runtime_outcome_clear(&c->init.outcome);
    lc_runtime_posts_free(c->posts, c->n_posts);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
    env->conc = NULL;
}

/* Waits on the monitor until wake_ns at the latest (mu held). */
static void conc_wait(concurrent *c, int64_t wake_ns)
{
    struct timespec ts = {.tv_sec = wake_ns / 1000000000, .tv_nsec = wake_ns % 1000000000};
    pthread_cond_timedwait(&c->cv, &c->mu, &ts);
}

/* Waits until the runtime asks for work (its init is over: Lambda's init needs one worker
 * ready), or posts an init error, exits or passes the init limit; a failed init is kept for
 * every invocation that waited on it (mu held). */
static void conc_wait_for_init(lc_environment *env, ending *e)
{
    concurrent *c = env->conc;
    int64_t deadline = env->spawn_ns + lc_function_init_timeout_ms(env->fn) * 1000000LL;
    while (!c->init_failed && !lc_runtime_api_initialized(env->api, NULL)) {
        ending *f = &c->init;
        f->got_outcome = lc_runtime_api_take_outcome(env->api, &f->outcome);
        f->exited = c->exited;
        f->out_of_memory = c->out_of_memory;
        f->timed_out = f->init_timed_out = lc_monotonic_ns() >= deadline;
        if (f->got_outcome || f->exited || f->timed_out || f->out_of_memory) {
            read_output(env, &c->out, &c->dropped);
            f->end_ns = lc_monotonic_ns();
            c->init_failed = true;
            break;
        }
        conc_wait(c, deadline);
    }
    if (!c->init_failed && c->init_end == 0)
        c->init_end = c->out_base + c->out.len;
    if (c->init_failed) {
        *e = c->init;
        e->outcome.body = c->init.outcome.body
                              ? strndup(c->init.outcome.body, c->init.outcome.body_len)
                              : NULL;
        e->outcome.stream = NULL;
        e->outcome.xray_cause = NULL;
    }
}

/* Waits for the outcome of request id; *delivered gets when the runtime took it (mu held). */
static void conc_wait_for_end(lc_environment *env, const char *id, long timeout_ms,
                              int64_t submitted, int64_t *delivered, int64_t *deadline_ms,
                              ending *e)
{
    concurrent *c = env->conc;
    for (;;) {
        lc_runtime_api_times_of(env->api, id, delivered, deadline_ms);
        e->got_outcome = lc_runtime_api_take_outcome_of(env->api, id, &e->outcome);
        e->exited = c->exited;
        e->out_of_memory = c->out_of_memory && !e->got_outcome;
        if (e->got_outcome || e->exited || e->out_of_memory)
            break;
        /* the limit runs from when the runtime took the event; one that no worker takes
           fails within the same limit */
        int64_t deadline = (*delivered ? *delivered : submitted) + timeout_ms * 1000000LL;
        if (lc_monotonic_ns() >= deadline) {
            e->timed_out = true;
            lc_runtime_api_abandon_of(env->api, id);
            break;
        }
        conc_wait(c, deadline);
    }
    read_output(env, &c->out, &c->dropped); /* what it wrote before its post is in the pipe */
    e->end_ns = lc_monotonic_ns();
}

/* The request id of another invocation that a line names, if any. */
static bool names_other(const concurrent *c, const char *line, size_t len, const char *mine)
{
    for (size_t i = 0; i < CONC_IDS; i++) {
        const char *id = c->ids[i];
        size_t n = strlen(id);
        if (n == 0 || strcmp(id, mine) == 0 || n > len)
            continue;
        for (const char *p = line; (p = memchr(p, id[0], (size_t)(line + len - p))) != NULL &&
                                   (size_t)(line + len - p) >= n;
             p++)
            if (memcmp(p, id, n) == 0)
                return true;
    }
    return false;
}

/* The lines of the output between from and to (offsets) that name no other invocation's
 * request id: under Managed Instances the runtimes tag each record with its request id. */
static void conc_slice(const concurrent *c, size_t from, size_t to, const char *mine,
                       lc_buf *into)
{
    if (from < c->out_base)
        from = c->out_base;
    if (to > c->out_base + c->out.len)
        to = c->out_base + c->out.len;
    const char *p = c->out.data + (from - c->out_base), *end = c->out.data + (to - c->out_base);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        if (!names_other(c, p, len, mine))
            lc_buf_append(into, p, len);
        p += len;
    }
}

/* The posts that name request id, and those that name no invocation (the runtime's mistakes),
 * go to its result; the others wait for theirs (mu held). */
static void conc_take_posts(lc_environment *env, const char *id, lc_result *r)
{
    concurrent *c = env->conc;
    lc_runtime_post *fresh;
    size_t n = lc_runtime_api_take_posts(env->api, &fresh);
    if (c->n_posts + n == 0) {
        free(fresh);
        return;
    }
    lc_runtime_post *all = realloc(c->posts, (c->n_posts + n) * sizeof *all);
    if (all == NULL) {
        lc_runtime_posts_free(fresh, n);
        return;
    }
    if (n)
        memcpy(all + c->n_posts, fresh, n * sizeof *fresh);
    free(fresh);
    c->posts = all;
    c->n_posts += n;
    r->posts = calloc(c->n_posts ? c->n_posts : 1, sizeof *r->posts);
    size_t kept = 0;
    for (size_t i = 0; i < c->n_posts; i++) {
        bool mine = strstr(c->posts[i].path, id) != NULL ||
                    !names_other(c, c->posts[i].path, strlen(c->posts[i].path), id);
        if (mine && r->posts)
            r->posts[r->n_posts++] = c->posts[i];
        else
            c->posts[kept++] = c->posts[i];
    }
    c->n_posts = kept;
}

/* Ends the process after its exit or its memory limit; the first invocation to see it does
 * (mu held). */
static void conc_discard(lc_environment *env, lc_result *r)
{
    concurrent *c = env->conc;
    if (env->pid > 0) {
        long hwm = proc_status_kb(env, "VmHWM:");
        c->exit_status = lc__kill_group(env->pid);
        if (hwm > 0)
            r->max_memory_used_mb = (hwm + 1023) / 1024;
        env->pid = 0;
        c->exited = true;
    }
    env->alive = false;
    r->exit_status = c->exit_status;
}

static void remember_id(concurrent *c, const char *id)
{
    snprintf(c->ids[c->ids_next], sizeof c->ids[0], "%s", id);
    c->ids_next = (c->ids_next + 1) % CONC_IDS;
}

static lc_status invoke_concurrent(lc_environment *env, lc_context *ctx, const char *payload,
                                   size_t payload_len, const char *content_type,
                                   const lc_stream_sink *sink, lc_result *r, lc_error *err)
{
    concurrent *c = env->conc;
    begin_result(env, ctx, r);
    const char *id = lc_context_request_id(ctx);
    long timeout_ms = lc_context_timeout_ms(ctx);
    pthread_mutex_lock(&c->mu);
    if (!env->alive) {
        pthread_mutex_unlock(&c->mu);
        return lc_error_set(err, LC_ESTATE, NULL, 0, 0, "the environment was discarded");
    }
    bool cold = !env->used;
    env->used = true;
    c->in_flight++;
    remember_id(c, id);
    size_t from = cold ? c->out_base : c->out_base + c->out.len;
    ending e = {0};
    int64_t delivered = 0, deadline_ms = 0;
    conc_wait_for_init(env, &e);
    if (!c->init_failed) {
        json_t *headers = lc_context_runtime_headers(ctx);
        lc_runtime_invocation inv = {.request_id = id, .headers = headers, .payload = payload,
                                     .payload_len = payload_len, .content_type = content_type,
                                     .timeout_ms = timeout_ms, .sink = sink};
        lc_status st = lc_runtime_api_submit(env->api, &inv, err);
        json_decref(headers);
        if (st != LC_OK) {
            c->in_flight--;
            pthread_mutex_unlock(&c->mu);
            return st;
        }
        conc_wait_for_end(env, id, timeout_ms, lc_monotonic_ns(), &delivered, &deadline_ms, &e);
    }
    measure(env, r, &e, cold, delivered);
    if (c->init_failed || e.exited || e.out_of_memory)
        conc_discard(env, r);
    result_from_ending(env, r, &e, timeout_ms);
    lc_runtime_outcome_clear(&e.outcome);
    if (deadline_ms > 0)
        lc_context_set_deadline_ms(ctx, deadline_ms, NULL);
    lc_buf init_log, log;
    lc_buf_init(&init_log, LC_LOG_MAX_BYTES);
    lc_buf_init(&log, LC_LOG_MAX_BYTES);
    size_t split = cold && c->init_end ? c->init_end : from;
    if (cold)
        conc_slice(c, from, split, id, &init_log);
    conc_slice(c, split, c->out_base + c->out.len, id, &log);
    conc_take_posts(env, id, r);
    if (--c->in_flight == 0) { /* nobody needs what was written so far */
        c->out_base += c->out.len;
        c->out.len = 0;
    }
    size_t dropped = c->dropped;
    pthread_mutex_unlock(&c->mu);
    frame_log(env, r, &init_log, &log, dropped, timeout_ms, e.init_timed_out);
    lc_buf_free(&init_log);
    lc_buf_free(&log);
    return LC_OK;
}

lc_status lc_environment_invoke(lc_environment *env, lc_context *ctx, const char *payload,
                                size_t payload_len, const char *content_type,
                                const lc_stream_sink *sink, lc_result *r, lc_error *err)
{
    if (env->conc)
        return invoke_concurrent(env, ctx, payload, payload_len, content_type, sink, r, err);
    begin_result(env, ctx, r);
    if (!env->alive)
        return lc_error_set(err, LC_ESTATE, NULL, 0, 0, "the environment was discarded");
    bool cold = !env->used;
    env->used = true;
    long timeout_ms = lc_context_timeout_ms(ctx);
    lc_buf init_log, log;
    lc_buf_init(&init_log, LC_LOG_MAX_BYTES);
    lc_buf_init(&log, LC_LOG_MAX_BYTES);
    size_t dropped = 0;
    ending e = {0};
    if (cold)
        wait_for_init(env, &init_log, &dropped, &e);
    else
        read_output(env, &log, &dropped); /* anything written between invocations */
    bool init_over = !(e.got_outcome || e.exited || e.timed_out || e.restore_timed_out ||
                       e.out_of_memory);
    if (init_over) {
        json_t *headers = lc_context_runtime_headers(ctx);
        lc_runtime_invocation inv = {.request_id = lc_context_request_id(ctx),
                                     .headers = headers,
                                     .payload = payload,
                                     .payload_len = payload_len,
                                     .content_type = content_type,
                                     .timeout_ms = timeout_ms,
                                     .sink = sink};
        lc_status st = lc_runtime_api_submit(env->api, &inv, err);
        json_decref(headers);
        if (st != LC_OK) {
            lc_buf_free(&init_log);
            lc_buf_free(&log);
            return st;
        }
        wait_for_end(env, timeout_ms, &log, &dropped, &e);
        read_output(env, &log, &dropped);
    }
    measure(env, r, &e, cold, lc_runtime_api_delivered_ns(env->api));
    result_from_ending(env, r, &e, timeout_ms);
    lc_runtime_outcome_clear(&e.outcome);
    if (lc_runtime_api_deadline_ms(env->api) > 0)
        lc_context_set_deadline_ms(ctx, lc_runtime_api_deadline_ms(env->api), NULL);
    if (discards_environment(r->end, &e)) {
        lc_runtime_api_abandon(env->api);
        discard(env, NULL);
        read_output(env, &log, &dropped);
    }
    r->n_posts = lc_runtime_api_take_posts(env->api, &r->posts);
    frame_log(env, r, &init_log, &log, dropped, timeout_ms, e.init_timed_out);
    lc_buf_free(&init_log);
    lc_buf_free(&log);
    return LC_OK;
}

bool lc_environment_alive(const lc_environment *env)
{
    return env->alive;
}

bool lc_environment_is_copy(const lc_environment *env)
{
    return env->copy;
}

int lc_environment_pid(const lc_environment *env)
{
    return env->pid;
}

void lc_environment_stop(lc_environment *env)
{
    if (env == NULL || env->pid <= 0 || env->stopping)
        return;
    env->stopping = true;
    if (lc_function_shutdown_grace_ms(env->fn) > 0)
        kill(env->pid, SIGTERM); /* a shutdown, not a failure: let the runtime save its data */
    else {
        /* what it started first: the runtime's death would orphan them */
        env->left_behind = lc__kill_descendants(env->pid) + 1;
        kill(-env->pid, SIGKILL); /* as Lambda ends a function without extensions */
        lc_runtime_api_stop(env->api);
    }
}

void lc_environment_free(lc_environment *env)
{
    if (env == NULL)
        return;
    free_concurrent(env); /* its monitor uses what is closed below */
    if (env->pid > 0) {
        long grace = lc_function_shutdown_grace_ms(env->fn);
        if (grace > 0)
            lc__stop_group(env->pid, env->pidfd, (int)grace); /* its data must be saved now */
        else if (env->left_behind) /* lc_environment_stop killed what it started */
            lc__finish_group(env->pid, env->left_behind > 1);
        else
            lc__kill_group(env->pid);
        env->pid = 0;
    }
    if (env->pidfd >= 0)
        close(env->pidfd);
    if (env->log_fd >= 0)
        close(env->log_fd);
    if (env->status_fd >= 0)
        close(env->status_fd);
    lc_runtime_api_free(env->api);
    lc_context_free(env->ctx);
    free(env->snapshot_log);
    free(env);
}

void lc_environment_free_all(lc_environment **envs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        lc_environment_stop(envs[i]);
    for (size_t i = 0; i < n; i++)
        lc_environment_free(envs[i]);
}

/* --- results ---------------------------------------------------------------------------------- */

void lc_result_clear(lc_result *r)
{
    free(r->payload);
    free(r->stream);
    free(r->log);
    lc_runtime_posts_free(r->posts, r->n_posts);
    memset(r, 0, sizeof *r);
}

static char *copy_bytes(const char *src, size_t n)
{
    char *dst = malloc(n + 1);
    if (dst) {
        if (n)
            memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return dst;
}

lc_status lc_result_copy(lc_result *dst, const lc_result *src)
{
    *dst = *src;
    dst->payload = src->payload ? copy_bytes(src->payload, src->payload_len) : NULL;
    dst->stream = src->stream ? copy_bytes(src->stream, src->stream_len) : NULL;
    dst->log = src->log ? copy_bytes(src->log, src->log_len) : NULL;
    dst->posts = src->n_posts ? calloc(src->n_posts, sizeof *dst->posts) : NULL;
    for (size_t i = 0; dst->posts && i < src->n_posts; i++) {
        dst->posts[i] = src->posts[i];
        dst->posts[i].body = src->posts[i].body
                                 ? copy_bytes(src->posts[i].body, src->posts[i].body_len)
                                 : NULL;
    }
    return LC_OK;
}
