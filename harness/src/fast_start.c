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

typedef struct {
    char *key;       /* what the template was started with (template_key), key_len bytes */
    size_t key_len;
    pid_t pid;       /* 0: none yet (see tried) */
    bool tried;      /* pid 0 and tried: none can be started for this key here, do not retry;
                        pid 0 and not tried: one environment of the key was started plainly */
    int pidfd;
    int control_fd;  /* the harness's end of the template's socket */
    int64_t used_ns; /* for eviction */
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

/* opt->argv with "--template 3" after the bootstrap script, opt->envp without varying. */
static char **template_argv(char *const *argv)
{
    size_t n = 0;
    while (argv[n])
        n++;
    char **out = calloc(n + 3, sizeof *out);
    if (out == NULL)
        return NULL;
    for (size_t i = 0, at = 0; i < n; i++) {
        out[at++] = argv[i];
        if (i == 2) {
            out[at++] = "--template";
            out[at++] = "3";
        }
    }
    return out;
}

static char **template_envp(char *const *envp, const char *const *varying)
{
    size_t n = 0;
    while (envp && envp[n])
        n++;
    char **out = calloc(n + 1, sizeof *out);
    for (size_t i = 0, at = 0; out && i < n; i++)
        if (!varies(envp[i], varying))
            out[at++] = envp[i];
    return out;
}

/* The template's first byte: 'R' ready, 'N' it cannot copy itself here; 0 for anything else. */
static char await_ready(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int64_t deadline = lc_now_ms() + TEMPLATE_READY_MS;
    for (;;) {
        int64_t left = deadline - lc_now_ms();
        if (left <= 0)
            return 0;
        int r = poll(&p, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        char c = 0;
        return r > 0 && recv(fd, &c, 1, 0) == 1 ? c : 0;
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

/* Starts t's template and waits until it is prepared; on failure t keeps no process and is
 * marked tried. */
static void start_template(template_proc *t, const lc__spawn_options *opt,
                           const char *const *varying) /* mu held */
{
    t->tried = true;
    int sv[2] = {-1, -1}, out[2] = {-1, -1};
    char **argv = template_argv(opt->argv);
    char **envp = template_envp(opt->envp, varying);
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
       sitecustomize) belongs in its own log, so a template that printed anything is not used. */
    char c;
    ok = ok && await_ready(t->control_fd) == 'R' && read(out[0], &c, 1) < 0 && errno == EAGAIN;
    if (out[0] >= 0)
        close(out[0]);
    if (!ok)
        end_process(t, 0); /* kept, tried: this command cannot be copied here */
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
    if (owner != getpid()) {
        n_templates = 0;
        owner = getpid();
    }
    template_proc *t = find(key, len);
    if (t != NULL)
        free(key);
    lc_status st = LC_ESPAWN;
    if (t == NULL) {
        /* a key's first environment starts plainly: a template pays only from the second on,
           so a run with one environment (an invoke) costs what it did */
        add_entry(key, len);
        pthread_mutex_unlock(&mu);
        return lc_error_set(err, LC_ESPAWN, NULL, 0, 0, "the first environment starts plainly");
    }
    if (t->pid == 0 && !t->tried)
        start_template(t, opt, varying);
    if (t->pid > 0) {
        t->used_ns = lc_monotonic_ns();
        st = lc__spawn_from_template(t->control_fd, opt, TEMPLATE_COPY_MS, pid, pidfd, err);
        if (st != LC_OK) {
            end_process(t, 0); /* dead or broken: the next environment starts a new one */
            t->tried = false;
        }
    } else {
        lc_error_set(err, LC_ESPAWN, NULL, 0, 0, "no template process for this command here");
    }
    pthread_mutex_unlock(&mu);
    return st;
}
