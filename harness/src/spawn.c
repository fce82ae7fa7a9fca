#include "spawn.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "lambdacheck/context.h"
#include "lambdacheck/runtime_api.h"

/* --- the spawner thread -------------------------------------------------------------------- */

typedef struct {
    const lc__spawn_options *opt;
    const char *path; /* resolved program */
    pid_t pid;
    int exec_errno; /* 0 when exec succeeded */
    int fd_limit;   /* descriptors to mark close-on-exec when close_range is missing */
    bool done;
} spawn_job;

/* --- the children this process started ------------------------------------------------------ */

/* Every child lc__spawn started and that is not reaped yet, so that a child of this process that
 * is not among them is known for an orphan reparented here (this process a subreaper). */
static pthread_mutex_t children_mu = PTHREAD_MUTEX_INITIALIZER;
static pid_t *children;
static size_t n_children, cap_children;

/* False when there is no room to remember it: the caller must not keep the child, which an
 * orphan hunt would take for an orphan. */
static bool remember_child(pid_t pid) /* children_mu held */
{
    if (n_children == cap_children) {
        size_t cap = cap_children ? 2 * cap_children : 64;
        pid_t *grown = realloc(children, cap * sizeof *grown);
        if (grown == NULL)
            return false;
        children = grown;
        cap_children = cap;
    }
    children[n_children++] = pid;
    return true;
}

static bool started_here(pid_t pid) /* children_mu held */
{
    for (size_t i = 0; i < n_children; i++)
        if (children[i] == pid)
            return true;
    return false;
}

/* waitpid, and the child is forgotten. */
static pid_t reap(pid_t pid, int *status, int flags)
{
    pid_t got;
    while ((got = waitpid(pid, status, flags)) < 0 && errno == EINTR)
        ;
    if (got == pid) {
        pthread_mutex_lock(&children_mu);
        for (size_t i = 0; i < n_children; i++)
            if (children[i] == pid) {
                children[i] = children[--n_children];
                break;
            }
        pthread_mutex_unlock(&children_mu);
    }
    return got;
}

static pthread_mutex_t spawner_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t spawner_cv = PTHREAD_COND_INITIALIZER;
static spawn_job *spawner_job;
static bool spawner_running;

/* Marks every descriptor from first on close-on-exec, so a runtime inherits only its stdio. */
static void mark_cloexec_from(int first, int limit)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, first, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) == 0)
        return;
#endif
    for (int fd = first; fd < limit; fd++)
        fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Runs in the child between vfork and exec, on the parent's memory: system calls only, nothing
 * that allocates or takes a lock, no return. */
static void child_exec(const spawn_job *job, int parent_pid, int report_fd)
{
    const lc__spawn_options *opt = job->opt;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent_pid)
        _exit(127); /* the harness is already gone */
    setpgid(0, 0);
    /* The child is its descendants' reaper (kept across exec): what it starts and orphans, even
     * in a session of its own (setsid and a double fork), stays below it, where
     * lc__kill_group finds it, instead of going to init. No privilege needed. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    int out = opt->output_fd >= 0 ? opt->output_fd : open("/dev/null", O_WRONLY);
    int in = open("/dev/null", O_RDONLY);
    if (in >= 0)
        dup2(in, 0);
    if (out >= 0) {
        dup2(out, 1);
        dup2(out, 2);
    }
    if (opt->inherit_fd > 2 && report_fd == 3)
        report_fd = fcntl(report_fd, F_DUPFD_CLOEXEC, 4); /* fd 3 is about to be taken */
    if (opt->inherit_fd > 2 && opt->inherit_fd != 3)
        dup2(opt->inherit_fd, 3); /* without close-on-exec */
    else if (opt->inherit_fd == 3)
        fcntl(3, F_SETFD, 0);
    mark_cloexec_from(opt->inherit_fd > 2 ? 4 : 3, job->fd_limit);
    if (opt->cwd && chdir(opt->cwd) != 0) {
        int e = errno;
        (void)!write(report_fd, &e, sizeof e);
        _exit(127);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(job->path, opt->argv, opt->envp ? opt->envp : environ);
    int e = errno;
    (void)!write(report_fd, &e, sizeof e);
    _exit(127);
}

static void run_job(spawn_job *job)
{
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        job->exec_errno = errno;
        return;
    }
    int parent = getpid();
    /* vfork: no copy of the harness's page tables (fork of a process with threads and many
       mappings costs milliseconds); this thread waits until the child has exec'd */
    pthread_mutex_lock(&children_mu); /* no orphan hunt sees this child unregistered */
    pid_t pid = vfork();
    if (pid == 0)
        child_exec(job, parent, report[1]);
    bool kept = pid <= 0 || remember_child(pid);
    pthread_mutex_unlock(&children_mu);
    close(report[1]);
    if (!kept) { /* exec'd or not, it cannot be told from an orphan: it goes at once */
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(report[0]);
        job->exec_errno = ENOMEM;
        return;
    }
    if (pid < 0) {
        job->exec_errno = errno;
        close(report[0]);
        return;
    }
    int e = 0;
    ssize_t n;
    do
        n = read(report[0], &e, sizeof e);
    while (n < 0 && errno == EINTR);
    close(report[0]);
    job->pid = pid;
    job->exec_errno = n == (ssize_t)sizeof e ? e : 0;
    if (job->exec_errno)
        reap(pid, NULL, 0);
}

static void *spawner_main(void *arg)
{
    (void)arg;
    /* no signal handler may run in a vforked child, on the parent's memory */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_mutex_lock(&spawner_mu);
    for (;;) {
        while (spawner_job == NULL || spawner_job->done)
            pthread_cond_wait(&spawner_cv, &spawner_mu);
        spawn_job *job = spawner_job;
        pthread_mutex_unlock(&spawner_mu);
        run_job(job);
        pthread_mutex_lock(&spawner_mu);
        job->done = true;
        pthread_cond_broadcast(&spawner_cv);
    }
    return NULL;
}

/* A forked copy of this process has no spawner thread: let it start its own. */
static void after_fork_in_child(void)
{
    pthread_mutex_init(&spawner_mu, NULL);
    pthread_cond_init(&spawner_cv, NULL);
    spawner_job = NULL;
    spawner_running = false;
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void install_atfork(void)
{
    pthread_atfork(NULL, NULL, after_fork_in_child);
}

static bool ensure_spawner(void)
{
    if (spawner_running)
        return true;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    spawner_running = pthread_create(&t, &attr, spawner_main, NULL) == 0;
    pthread_attr_destroy(&attr);
    return spawner_running;
}

/* Hands a job to the spawner thread and waits for it; one job at a time. */
static bool submit_job(spawn_job *job)
{
    pthread_once(&atfork_once, install_atfork);
    pthread_mutex_lock(&spawner_mu);
    if (!ensure_spawner()) {
        pthread_mutex_unlock(&spawner_mu);
        return false;
    }
    while (spawner_job != NULL && !spawner_job->done)
        pthread_cond_wait(&spawner_cv, &spawner_mu);
    spawner_job = job;
    pthread_cond_broadcast(&spawner_cv);
    while (!job->done)
        pthread_cond_wait(&spawner_cv, &spawner_mu);
    /* another caller may have handed in its job already: clear only our own */
    if (spawner_job == job)
        spawner_job = NULL;
    pthread_cond_broadcast(&spawner_cv);
    pthread_mutex_unlock(&spawner_mu);
    return true;
}

/* --- public helpers ------------------------------------------------------------------------ */

char *lc__which(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return NULL;
    if (strchr(name, '/'))
        return access(name, X_OK) == 0 ? strdup(name) : NULL;
    const char *path = getenv("PATH");
    if (path == NULL)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        char candidate[4096];
        snprintf(candidate, sizeof candidate, "%.*s/%s", (int)n, n ? path : ".", name);
        struct stat st;
        if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode) && access(candidate, X_OK) == 0)
            return strdup(candidate);
        path += n + (path[n] == ':');
    }
    return NULL;
}

/* pidfd_open, remembering once that the system (or valgrind) does not have it. */
static int pidfd_open(pid_t pid)
{
    static atomic_bool missing;
    if (atomic_load(&missing)) {
        errno = ENOSYS;
        return -1;
    }
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0 && errno == ENOSYS)
        atomic_store(&missing, true);
    return fd;
}

lc_status lc__spawn(const lc__spawn_options *opt, pid_t *pid, int *pidfd, lc_error *err)
{
    char *path = lc__which(opt->argv[0]);
    if (path == NULL)
        return lc_error_set(err, LC_ESPAWN, opt->argv[0], 0, 0,
                            "cannot run '%s': not found or not executable%s", opt->argv[0],
                            strchr(opt->argv[0], '/') ? "" : " in PATH");
    struct rlimit nofile = {0};
    getrlimit(RLIMIT_NOFILE, &nofile);
    spawn_job job = {.opt = opt, .path = path,
                     .fd_limit = nofile.rlim_cur > 65536 ? 65536 : (int)nofile.rlim_cur};
    bool ran = submit_job(&job);
    free(path);
    if (!ran || job.exec_errno)
        return lc_error_set(err, LC_ESPAWN, opt->argv[0], 0, 0, "cannot run '%s': %s",
                            opt->argv[0], ran ? strerror(job.exec_errno) : "no spawner thread");
    *pid = job.pid;
    *pidfd = pidfd_open(job.pid);
    if (*pidfd < 0 && errno != ENOSYS) {
        lc__kill_group(job.pid);
        return lc_error_set(err, LC_ESPAWN, opt->argv[0], 0, 0, "pidfd_open failed: %s",
                            strerror(errno));
    }
    return LC_OK;
}

/* --- copies of a template process ---------------------------------------------------------- */

/* opt->envp as the template reads it: 4 bytes of length (big-endian), then "NAME=value\0"... */
static bool template_request(const lc__spawn_options *opt, lc_buf *out)
{
    lc_buf_init(out, 0);
    char zero[4] = {0};
    lc_buf_append(out, zero, sizeof zero);
    for (char *const *e = opt->envp ? opt->envp : environ; *e; e++)
        lc_buf_append(out, *e, strlen(*e) + 1);
    if (out->data == NULL || out->len - 4 > UINT32_MAX)
        return false;
    uint32_t n = (uint32_t)(out->len - 4);
    unsigned char *p = (unsigned char *)out->data;
    p[0] = (unsigned char)(n >> 24), p[1] = (unsigned char)(n >> 16);
    p[2] = (unsigned char)(n >> 8), p[3] = (unsigned char)n;
    return true;
}

/* Sends the request, the output descriptor riding on its first byte. */
static bool send_request(int control_fd, const lc_buf *req, int output_fd)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof control);
    size_t sent = 0;
    while (sent < req->len) {
        struct iovec iov = {.iov_base = req->data + sent, .iov_len = req->len - sent};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
        if (sent == 0) {
            msg.msg_control = control.buf;
            msg.msg_controllen = sizeof control.buf;
            struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(c), &output_fd, sizeof output_fd);
        }
        ssize_t n = sendmsg(control_fd, &msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        sent += (size_t)n;
    }
    return true;
}

/* The template's answer: a pid, or <= 0 when it gave none within timeout_ms. */
static int32_t read_answer(int control_fd, int timeout_ms)
{
    unsigned char a[4];
    size_t got = 0;
    int64_t deadline = lc_now_ms() + timeout_ms;
    while (got < sizeof a) {
        int64_t left = deadline - lc_now_ms();
        struct pollfd p = {.fd = control_fd, .events = POLLIN};
        if (left <= 0 || (poll(&p, 1, (int)left) < 0 && errno != EINTR))
            return 0;
        ssize_t n = recv(control_fd, a + got, sizeof a - got, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return 0;
        if (n > 0)
            got += (size_t)n;
    }
    return (int32_t)((uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3]);
}

lc_status lc__spawn_from_template(int control_fd, const lc__spawn_options *opt, int timeout_ms,
                                  pid_t *pid, int *pidfd, lc_error *err)
{
    lc_buf req;
    if (!template_request(opt, &req)) {
        lc_buf_free(&req);
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    }
    /* held until the copy is registered: no orphan hunt takes it for an orphan meanwhile */
    pthread_mutex_lock(&children_mu);
    int32_t child = send_request(control_fd, &req, opt->output_fd >= 0 ? opt->output_fd : 1)
                        ? read_answer(control_fd, timeout_ms)
                        : 0;
    bool kept = child > 0 && remember_child((pid_t)child);
    pthread_mutex_unlock(&children_mu);
    lc_buf_free(&req);
    if (child > 0 && !kept) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
    }
    if (!kept)
        return lc_error_set(err, LC_ESPAWN, opt->argv[0], 0, 0,
                            "the template process made no copy (%s)",
                            child < 0 ? strerror(-child) : child ? "out of memory" : "no answer");
    *pid = (pid_t)child;
    *pidfd = pidfd_open(*pid);
    if (*pidfd < 0 && errno != ENOSYS) {
        lc__kill_group(*pid);
        return lc_error_set(err, LC_ESPAWN, opt->argv[0], 0, 0, "pidfd_open failed: %s",
                            strerror(errno));
    }
    return LC_OK;
}

bool lc__exited(pid_t pid)
{
    siginfo_t info = {0};
    if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0)
        return errno == ECHILD;
    return info.si_pid == pid;
}

int lc__stop_group(pid_t pid, int pidfd, int grace_ms)
{
    if (pid <= 0)
        return 0;
    kill(pid, SIGTERM);
    int64_t deadline = lc_now_ms() + grace_ms;
    while (!lc__exited(pid) && lc_now_ms() < deadline) {
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        if (pidfd < 0 || poll(&p, 1, (int)(deadline - lc_now_ms())) < 0)
            usleep(2000);
    }
    return lc__kill_group(pid);
}

/* --- what a child left behind ------------------------------------------------------------------ */

/* A process of the system, as /proc shows it. */
typedef struct {
    pid_t pid, ppid;
    char state; /* 'Z': a zombie, dead and waiting to be reaped */
} proc_entry;

typedef struct {
    proc_entry *items;
    size_t n, cap;
} proc_table;

/* The parent and state of a process, from /proc; false when it is gone. */
static bool proc_parent(pid_t pid, pid_t *ppid, char *state)
{
    char path[64], text[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return false;
    text[n] = '\0';
    const char *end = strrchr(text, ')'); /* the command name may hold anything */
    int parent;
    if (end == NULL || sscanf(end + 1, " %c %d", state, &parent) != 2)
        return false;
    *ppid = parent;
    return true;
}

/* Adds p unless its pid is there already (a child seen in two threads' lists, or twice). */
static bool table_add(proc_table *t, proc_entry p)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->items[i].pid == p.pid)
            return true;
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 256;
        proc_entry *grown = realloc(t->items, cap * sizeof *grown);
        if (grown == NULL)
            return false;
        t->items = grown;
        t->cap = cap;
    }
    t->items[t->n++] = p;
    return true;
}

/* Adds pid's children (of every thread) to t, from /proc/PID/task/TID/children; false when the
 * kernel has no such files (CONFIG_PROC_CHILDREN). */
static bool add_listed_children(proc_table *t, pid_t pid)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    struct dirent *e;
    bool listed = false;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char file[sizeof path + 300];
        snprintf(file, sizeof file, "%s/%.255s/children", path, e->d_name);
        lc_buf text;
        lc_buf_init(&text, 1 << 20);
        if (lc_buf_read_file(&text, file, NULL) != LC_OK) { /* the whole list, however long */
            lc_buf_free(&text);
            continue;
        }
        listed = true;
        for (char *at = text.data ? text.data : "", *end; *at; at = end) {
            long child = strtol(at, &end, 10);
            if (end == at)
                break;
            proc_entry p = {.pid = (pid_t)child};
            /* the parent as the process itself says: a list read as it changed proves nothing */
            if (proc_parent(p.pid, &p.ppid, &p.state) && p.ppid == pid)
                table_add(t, p);
        }
        lc_buf_free(&text);
    }
    if (d)
        closedir(d);
    return listed;
}

/* The processes below root and the children of this process, where the kernel lists children
 * (CONFIG_PROC_CHILDREN); false when it does not. */
static bool list_children(proc_table *t, pid_t root)
{
    t->n = 0;
    if (!add_listed_children(t, getpid()))
        return false;
    if (root > 0)
        add_listed_children(t, root);
    for (size_t at = 0; at < t->n; at++) /* the children of each one found, to any depth */
        if (t->items[at].state != 'Z')
            add_listed_children(t, t->items[at].pid);
    return true;
}

/* Every process, with its parent: the children lists where the kernel has them, else one pass
 * over all of /proc. */
static void scan_processes(proc_table *t, pid_t root)
{
    if (list_children(t, root))
        return;
    t->n = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        proc_entry p = {.pid = (pid_t)pid};
        if (*end || pid <= 0 || !proc_parent(p.pid, &p.ppid, &p.state))
            continue;
        if (!table_add(t, p))
            break;
    }
    if (d)
        closedir(d);
}

/* SIGSTOPs, then SIGKILLs, every live process below root in t (any depth); returns how many. */
static size_t kill_below(const proc_table *t, pid_t root)
{
    pid_t *set = malloc((t->n + 1) * sizeof *set);
    if (set == NULL)
        return 0;
    size_t n = 1;
    set[0] = root;
    for (size_t at = 0; at < n; at++) /* breadth first: each found process's own children */
        for (size_t i = 0; i < t->n && n <= t->n; i++) {
            const proc_entry *p = &t->items[i];
            bool have = false;
            for (size_t k = 0; k < n && !have; k++)
                have = set[k] == p->pid;
            if (p->ppid == set[at] && p->state != 'Z' && !have)
                set[n++] = p->pid;
        }
    for (size_t i = 1; i < n; i++) /* frozen first, so none forks while others die */
        kill(set[i], SIGSTOP);
    for (size_t i = 1; i < n; i++)
        kill(set[i], SIGKILL);
    free(set);
    return n - 1;
}

/* Kills and reaps this process's children that lc__spawn did not start: orphans reparented here
 * (a subreaper) by a runtime that died before them. Each is looked at again under the lock (the
 * table may be older than a child reaped meanwhile). Returns how many it killed. */
static size_t kill_orphans_in(const proc_table *t)
{
    pid_t self = getpid(), ppid;
    size_t killed = 0;
    char state;
    pthread_mutex_lock(&children_mu);
    for (size_t i = 0; i < t->n; i++) {
        pid_t pid = t->items[i].pid;
        if (!proc_parent(pid, &ppid, &state) || ppid != self || started_here(pid))
            continue;
        if (state != 'Z') {
            killed += kill_below(t, pid) + 1;
            kill(pid, SIGKILL);
        }
        waitpid(pid, NULL, 0);
    }
    pthread_mutex_unlock(&children_mu);
    return killed;
}

static bool subreaper(void)
{
    int on = 0;
    return prctl(PR_GET_CHILD_SUBREAPER, &on) == 0 && on;
}

/* What pid left behind, and (when this process is a subreaper) the orphans of runtimes that died
 * first: one pass over /proc when there is none, more only while some are being killed. */
static size_t kill_left_behind(pid_t pid, bool orphans)
{
    proc_table t = {0};
    size_t total = 0;
    for (int round = 0; round < 16; round++) {
        scan_processes(&t, pid);
        size_t killed = pid > 0 ? kill_below(&t, pid) : 0;
        size_t orphaned = orphans ? kill_orphans_in(&t) : 0;
        total += killed;
        if (killed == 0 && orphaned == 0)
            break;
    }
    free(t.items);
    return total;
}

size_t lc__kill_descendants(pid_t pid)
{
    return kill_left_behind(pid, false);
}

int lc__finish_group(pid_t pid, bool left_some)
{
    int status = 0;
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    reap(pid, &status, 0);
    if (left_some && subreaper()) /* what it left is dead, and now this process's to reap */
        kill_left_behind(0, true);
    return status;
}

int lc__kill_group(pid_t pid)
{
    if (pid <= 0)
        return 0;
    return lc__finish_group(pid, kill_left_behind(pid, subreaper()) > 0);
}

void lc__kill_orphans(void)
{
    if (subreaper())
        kill_left_behind(0, true);
}

lc_status lc__run_capture(char *const *argv, int timeout_ms, lc_buf *out, int *status,
                          lc_error *err)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return lc_error_set(err, LC_EIO, NULL, 0, 0, "pipe: %s", strerror(errno));
    lc__spawn_options opt = {.argv = argv, .output_fd = fds[1]};
    pid_t pid;
    int pidfd;
    lc_status st = lc__spawn(&opt, &pid, &pidfd, err);
    close(fds[1]);
    if (st != LC_OK) {
        close(fds[0]);
        return st;
    }
    int64_t deadline = lc_now_ms() + timeout_ms;
    char chunk[4096];
    for (;;) {
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        int64_t left = deadline - lc_now_ms();
        if (left <= 0 || poll(&p, 1, (int)left) == 0) {
            st = lc_error_set(err, LC_ETIMEDOUT, argv[0], 0, 0, "'%s' did not finish in %d ms",
                              argv[0], timeout_ms);
            break;
        }
        ssize_t n = read(fds[0], chunk, sizeof chunk);
        if (n <= 0)
            break;
        lc_buf_append(out, chunk, (size_t)n);
    }
    close(fds[0]);
    if (pidfd >= 0)
        close(pidfd);
    if (st != LC_OK) {
        lc__kill_group(pid);
        return st;
    }
    reap(pid, status, 0);
    return LC_OK;
}

char **lc__envp_from_json(const json_t *env)
{
    char **envp = calloc(json_object_size(env) + 1, sizeof *envp);
    if (envp == NULL)
        return NULL;
    size_t i = 0;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)env, key, value)
    {
        const char *v = json_string_value(value);
        size_t n = strlen(key) + (v ? strlen(v) : 0) + 2;
        envp[i] = malloc(n);
        if (envp[i] == NULL)
            break;
        snprintf(envp[i++], n, "%s=%s", key, v ? v : "");
    }
    return envp;
}

/* Reads one word of a command line at *p into word (room for all of the command), as a POSIX
 * shell reads it without expansions; advances *p. Returns the word's length, or -1 for an
 * unterminated quote (*p then points at it). */
static long next_word(const char **p, char *word)
{
    size_t n = 0;
    const char *s = *p;
    while (*s && *s != ' ' && *s != '\t' && *s != '\n') {
        if (*s == '\'') {
            const char *end = strchr(s + 1, '\'');
            if (end == NULL) {
                *p = s;
                return -1;
            }
            memcpy(word + n, s + 1, (size_t)(end - s - 1));
            n += (size_t)(end - s - 1);
            s = end + 1;
        } else if (*s == '"') {
            const char *open = s++;
            while (*s && *s != '"') {
                if (*s == '\\' && s[1] && strchr("\"\\$`", s[1]))
                    s++;
                word[n++] = *s++;
            }
            if (*s != '"') {
                *p = open;
                return -1;
            }
            s++;
        } else if (*s == '\\' && s[1]) {
            word[n++] = s[1];
            s += 2;
        } else {
            word[n++] = *s++;
        }
    }
    *p = s;
    return (long)n;
}

lc_status lc__argv_split(const char *command, const char *extra, char ***out, lc_error *err)
{
    size_t len = strlen(command), max = 2;
    for (const char *p = command; *p; p++)
        max += *p == ' ' || *p == '\t' || *p == '\n';
    char **argv = calloc(max + 1, sizeof *argv);
    char *word = malloc(len + 1);
    size_t n = 0;
    lc_status st = argv && word ? LC_OK : lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    for (const char *p = command; st == LC_OK && *(p += strspn(p, " \t\n"));) {
        bool quoted = *p == '\'' || *p == '"';
        long wlen = next_word(&p, word);
        if (wlen < 0)
            st = lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                              "the runtime command has an unterminated %s quote at column %zu: "
                              "%s",
                              *p == '"' ? "double" : "single", (size_t)(p - command) + 1,
                              command);
        else if (wlen > 0 || quoted) /* '' is an empty word */
            st = (argv[n++] = strndup(word, (size_t)wlen)) ? LC_OK
                                                           : lc_error_set(err, LC_ENOMEM, NULL, 0,
                                                                          0, "out of memory");
    }
    free(word);
    if (st == LC_OK && n == 0)
        st = lc_error_set(err, LC_EINVAL, NULL, 0, 0, "the runtime command is empty");
    if (st == LC_OK && extra && (argv[n++] = strdup(extra)) == NULL)
        st = lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    if (st != LC_OK) {
        lc__strv_free(argv);
        argv = NULL;
    }
    *out = argv;
    return st;
}

void lc__strv_free(char **v)
{
    if (v == NULL)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}
