#include "fast_start.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/context.h"
#include "lambdacheck/environment.h"

#define BOOTSTRAP_NAME "/lambdacheck_bootstrap.py"
/* How long a template may take to prepare (as long as a first start may), and to copy itself. */
#define TEMPLATE_READY_MS 10000
#define TEMPLATE_COPY_MS 5000
/* What a snapshot's init may print and be kept for its environments' logs. */
#define SNAPSHOT_LOG_MAX (256u * 1024)
/* The Runtime API address a snapshot's init sees, Lambda's own (its copies get theirs). */
#define SNAPSHOT_RUNTIME_API "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001"

typedef struct {
    char *key;       /* what the template was started with (template_key), key_len bytes */
    size_t key_len;
    pid_t pid;       /* 0: none yet (see tried) */
    bool tried;      /* pid 0 and tried: none can be started for this key here, do not retry;
                        pid 0 and not tried: one environment of the key was started plainly */
    int pidfd;
    int control_fd;  /* the harness's end of the template's socket */
    int64_t used_ns; /* for eviction */
    bool snapshot;   /* a SnapStart snapshot: initialised, its before-snapshot hooks run */
    char *init_log;  /* a snapshot's: what its init printed (NUL-terminated), or NULL */
    size_t init_log_len;
    long memory_kb;  /* a snapshot's: its init may use this much (0: no limit) */
} template_proc;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static template_proc templates[LC_MAX_TEMPLATES];
static size_t n_templates;
static int holds;
static pid_t owner; /* the process the templates belong to: a fork of it has none */
static atomic_int enabled = -1; /* -1: not settled yet (LAMBDACHECK_PLAIN_START) */

/* --- the switch ------------------------------------------------------------------------------ */

void lc_environment_set_fast_start(bool on)
{
    atomic_store(&enabled, on ? 1 : 0);
}

bool lc_environment_fast_start(void)
{
    int e = atomic_load(&enabled);
    if (e < 0) {
        const char *plain = getenv("LAMBDACHECK_PLAIN_START");
        e = plain && plain[0] && strcmp(plain, "0") != 0 ? 0 : 1;
        atomic_store(&enabled, e);
    }
    return e == 1;
}

bool lc__fast_start_applies(char *const *argv)
{
    if (!lc_environment_fast_start() || argv == NULL || argv[0] == NULL || argv[1] == NULL ||
        argv[2] == NULL || strcmp(argv[1], "-S") != 0)
        return false;
    size_t n = strlen(argv[2]), tail = strlen(BOOTSTRAP_NAME);
    return n > tail && strcmp(argv[2] + n - tail, BOOTSTRAP_NAME) == 0;
}

/* --- the registry ---------------------------------------------------------------------------- */

static void forget_all_in_child(void)
{
    /* the templates are the parent's: a copy of them here would be the parent's child */
    for (size_t i = 0; i < n_templates; i++) {
        if (templates[i].control_fd >= 0)
            close(templates[i].control_fd);
        if (templates[i].pidfd >= 0)
            close(templates[i].pidfd);
        free(templates[i].key);
        free(templates[i].init_log);
    }
    n_templates = 0;
    holds = 0;
    pthread_mutex_init(&mu, NULL);
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void install_atfork(void)
{
    pthread_atfork(NULL, NULL, forget_all_in_child);
}

/* Ends t's process, if any, and closes its descriptors; the entry stays. */
static void end_process(template_proc *t, int grace_ms) /* mu held */
{
    if (t->control_fd >= 0)
        close(t->control_fd); /* end of file: the template exits */
    if (t->pid > 0)
        lc__stop_group(t->pid, t->pidfd, grace_ms);
    if (t->pidfd >= 0)
        close(t->pidfd);
    t->control_fd = t->pidfd = -1;
    t->pid = 0;
}

static void stop_template(template_proc *t) /* mu held */
{
    end_process(t, 100);
    free(t->key);
    free(t->init_log);
    *t = templates[--n_templates];
}

static void stop_all(void) /* mu held */
{
    while (n_templates > 0)
        stop_template(&templates[0]);
}

void lc_environment_stop_templates(void)
{
    pthread_mutex_lock(&mu);
    if (owner == getpid())
        stop_all();
    pthread_mutex_unlock(&mu);
}

void lc__fast_start_hold(void)
{
    pthread_once(&atfork_once, install_atfork);
    pthread_mutex_lock(&mu);
    holds++;
    pthread_mutex_unlock(&mu);
}

void lc__fast_start_release(void)
{
    pthread_mutex_lock(&mu);
    if (holds > 0 && --holds == 0 && owner == getpid())
        stop_all();
    pthread_mutex_unlock(&mu);
}

static bool varies(const char *entry, const char *const *varying)
{
    for (const char *const *v = varying; v && *v; v++) {
        size_t n = strlen(*v);
        if (strncmp(entry, *v, n) == 0 && entry[n] == '=')
            return true;
    }
    return false;
}

/* What a template for opt is started with, one string: argv, folder and environment, each entry
 * ending in a NUL. */
static char *template_key(const lc__spawn_options *opt, const char *const *varying, size_t *len)
{
    lc_buf key;
    lc_buf_init(&key, 0);
    for (char *const *a = opt->argv; *a; a++)
        lc_buf_append(&key, *a, strlen(*a) + 1);
    lc_buf_append(&key, "\n", 2);
    lc_buf_append(&key, opt->cwd ? opt->cwd : "", strlen(opt->cwd ? opt->cwd : "") + 1);
    for (char *const *e = opt->envp; e && *e; e++)
        if (!varies(*e, varying))
            lc_buf_append(&key, *e, strlen(*e) + 1);
    *len = key.len;
    return lc_buf_take(&key);
}

static template_proc *find(const char *key, size_t len) /* mu held */
{
    for (size_t i = 0; i < n_templates; i++)
        if (templates[i].key_len == len && memcmp(templates[i].key, key, len) == 0)
            return &templates[i];
    return NULL;
}

/* opt->argv with "--template 3" (and "--snapshot") after the bootstrap script. */
static char **template_argv(char *const *argv, bool snapshot)
{
    size_t n = 0;
    while (argv[n])
        n++;
    char **out = calloc(n + 4, sizeof *out);
    if (out == NULL)
        return NULL;
    for (size_t i = 0, at = 0; i < n; i++) {
        out[at++] = argv[i];
        if (i == 2) {
            out[at++] = "--template";
            out[at++] = "3";
            if (snapshot)
                out[at++] = "--snapshot";
        }
    }
    return out;
}

/* opt->envp without varying; a snapshot's with Lambda's Runtime API address besides. */
static char **template_envp(char *const *envp, const char *const *varying, bool snapshot)
{
    size_t n = 0;
    while (envp && envp[n])
        n++;
    char **out = calloc(n + 2, sizeof *out);
    size_t at = 0;
    for (size_t i = 0; out && i < n; i++)
        if (!varies(envp[i], varying))
            out[at++] = envp[i];
    if (out && snapshot)
        out[at++] = SNAPSHOT_RUNTIME_API;
    return out;
}

/* The resident memory of pid in kB, -1 when unreadable. */
static long rss_kb(pid_t pid)
{
    char path[64], text[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    const char *at = strstr(text, "VmRSS:");
    return at ? strtol(at + 6, NULL, 10) : -1;
}

/* The template's first byte: 'R' ready, 'N' it cannot copy itself here; 0 for anything else
 * (it exited, or ready_ms passed). What it prints meanwhile goes to output (at most
 * SNAPSHOT_LOG_MAX bytes kept) when output is not NULL, else makes the template unusable (0). */
static char await_ready(int fd, int out_fd, int ready_ms, lc_buf *output, pid_t pid,
                        long memory_kb)
{
    struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = out_fd, .events = POLLIN}};
    int64_t deadline = lc_now_ms() + ready_ms;
    for (;;) {
        int64_t left = deadline - lc_now_ms();
        if (left <= 0 || (memory_kb > 0 && rss_kb(pid) > memory_kb))
            return 0;
        int r = poll(p, 2, (int)(memory_kb > 0 && left > 10 ? 10 : left));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return 0;
        if (r == 0)
            continue;
        if (p[1].revents) {
            char chunk[8192];
            ssize_t n = read(out_fd, chunk, sizeof chunk);
            if (n > 0 && output == NULL)
                return 0; /* printed while it started: see start_template */
            if (n > 0 && output->len + (size_t)n <= SNAPSHOT_LOG_MAX)
                lc_buf_append(output, chunk, (size_t)n);
            if (n == 0)
                p[1].fd = -1; /* its output closed: only the socket is left to watch */
        }
        if (p[0].revents) {
            char c = 0;
            return recv(fd, &c, 1, 0) == 1 ? c : 0;
        }
    }
}

/* A new entry for key (owned by it), room made by stopping the least recently used. */
static template_proc *add_entry(char *key, size_t len) /* mu held */
{
    if (n_templates == LC_MAX_TEMPLATES) {
        size_t oldest = 0;
        for (size_t i = 1; i < n_templates; i++)
            if (templates[i].used_ns < templates[oldest].used_ns)
                oldest = i;
        stop_template(&templates[oldest]);
    }
    template_proc *t = &templates[n_templates++];
    *t = (template_proc){.key = key, .key_len = len, .pidfd = -1, .control_fd = -1,
                         .used_ns = lc_monotonic_ns()};
    return t;
}

/* Starts t's template and waits until it is prepared (a snapshot: initialised, within ready_ms);
 * on failure t keeps no process and is marked tried. */
static void start_template(template_proc *t, const lc__spawn_options *opt,
                           const char *const *varying, int ready_ms) /* mu held */
{
    t->tried = true;
    int sv[2] = {-1, -1}, out[2] = {-1, -1};
    char **argv = template_argv(opt->argv, t->snapshot);
    char **envp = template_envp(opt->envp, varying, t->snapshot);
    bool ok = argv && envp && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0 &&
              pipe2(out, O_CLOEXEC | O_NONBLOCK) == 0;
    if (ok) {
        lc__spawn_options topt = {.argv = argv, .envp = envp, .cwd = opt->cwd,
                                  .output_fd = out[1], .inherit_fd = sv[1]};
        ok = lc__spawn(&topt, &t->pid, &t->pidfd, NULL) == LC_OK;
        t->control_fd = sv[0];
        sv[0] = -1;
    }
    free(argv);
    free(envp);
    const int unused[] = {sv[0], sv[1], out[1]}; /* the child's ends, and sv[0] if not kept */
    for (size_t i = 0; i < sizeof unused / sizeof *unused; i++)
        if (unused[i] >= 0)
            close(unused[i]);
    /* Ready, and silent: what a new process prints while it starts (a warning of start-up, a
       sitecustomize) belongs in its own log, so a template that printed anything is not used.
       A snapshot's init prints what it prints: that is kept for its environments' logs. */
    lc_buf output;
    lc_buf_init(&output, 0);
    char c;
    ok = ok && await_ready(t->control_fd, out[0], ready_ms, t->snapshot ? &output : NULL, t->pid,
                           t->snapshot ? t->memory_kb : 0) == 'R';
    if (ok && t->snapshot) {
        ssize_t n;
        char chunk[8192];
        while ((n = read(out[0], chunk, sizeof chunk)) > 0)
            if (output.len + (size_t)n <= SNAPSHOT_LOG_MAX)
                lc_buf_append(&output, chunk, (size_t)n);
        free(t->init_log); /* a snapshot made again after its template died */
        t->init_log_len = output.len;
        t->init_log = lc_buf_take(&output);
    } else if (ok) {
        ok = read(out[0], &c, 1) < 0 && errno == EAGAIN;
    }
    lc_buf_free(&output);
    if (out[0] >= 0)
        close(out[0]);
    if (!ok)
        end_process(t, 0); /* kept, tried: this command cannot be copied here */
}

/* The registry's entry for key (taken: owned by the entry or freed), or a new one. *fresh: it is
 * new. */
static template_proc *entry_for(char *key, size_t len, bool *fresh) /* mu held */
{
    if (owner != getpid()) {
        n_templates = 0;
        owner = getpid();
    }
    template_proc *t = find(key, len);
    *fresh = t == NULL;
    if (t != NULL)
        free(key);
    else
        t = add_entry(key, len);
    return t;
}

/* A copy of t's template, as opt says. */
static lc_status copy_template(template_proc *t, const lc__spawn_options *opt, pid_t *pid,
                               int *pidfd, lc_error *err) /* mu held */
{
    t->used_ns = lc_monotonic_ns();
    lc_status st = lc__spawn_from_template(t->control_fd, opt, TEMPLATE_COPY_MS, pid, pidfd, err);
    if (st != LC_OK) {
        end_process(t, 0); /* dead or broken: the next environment starts a new one */
        t->tried = false;
    }
    return st;
}

lc_status lc__fast_start_spawn(const lc__spawn_options *opt, const char *const *varying,
                               pid_t *pid, int *pidfd, lc_error *err)
{
    pthread_once(&atfork_once, install_atfork);
    size_t len = 0;
    char *key = template_key(opt, varying, &len);
    if (key == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    pthread_mutex_lock(&mu);
    bool fresh;
    template_proc *t = entry_for(key, len, &fresh);
    lc_status st = LC_ESPAWN;
    if (fresh) {
        /* a key's first environment starts plainly: a template pays only from the second on,
           so a run with one environment (an invoke) costs what it did */
        pthread_mutex_unlock(&mu);
        return lc_error_set(err, LC_ESPAWN, NULL, 0, 0, "the first environment starts plainly");
    }
    if (t->pid == 0 && !t->tried)
        start_template(t, opt, varying, TEMPLATE_READY_MS);
    if (t->pid > 0)
        st = copy_template(t, opt, pid, pidfd, err);
    else
        lc_error_set(err, LC_ESPAWN, NULL, 0, 0, "no template process for this command here");
    pthread_mutex_unlock(&mu);
    return st;
}

lc_status lc__fast_start_restore(const lc__spawn_options *opt, const char *const *varying,
                                 long init_ms, long memory_mb, pid_t *pid, int *pidfd,
                                 char **init_log, int64_t *copy_ns, lc_error *err)
{
    pthread_once(&atfork_once, install_atfork);
    *init_log = NULL;
    size_t len = 0;
    char *key = template_key(opt, varying, &len);
    /* not the key of a plain template of the same command: its argv gets --snapshot */
    char *skey = key ? malloc(len + sizeof "snapshot") : NULL;
    if (skey) {
        memcpy(skey, "snapshot", sizeof "snapshot");
        memcpy(skey + sizeof "snapshot", key, len);
    }
    free(key);
    if (skey == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    pthread_mutex_lock(&mu);
    bool fresh;
    template_proc *t = entry_for(skey, len + sizeof "snapshot", &fresh);
    t->snapshot = true;
    t->memory_kb = memory_mb * 1024;
    lc_status st = LC_ESPAWN;
    /* every environment is restored from the one snapshot, the first one too */
    if (t->pid == 0 && !t->tried)
        start_template(t, opt, varying, init_ms > TEMPLATE_READY_MS ? (int)init_ms
                                                                     : TEMPLATE_READY_MS);
    *copy_ns = lc_monotonic_ns();
    if (t->pid > 0)
        st = copy_template(t, opt, pid, pidfd, err);
    else
        lc_error_set(err, LC_ESPAWN, NULL, 0, 0, "no snapshot of this function here");
    if (st == LC_OK && t->init_log_len)
        *init_log = strdup(t->init_log);
    pthread_mutex_unlock(&mu);
    return st;
}
