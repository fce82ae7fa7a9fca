#include "run_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/context.h"

const char *cli_path(void)
{
    const char *other = getenv("LAMBDACHECK_E2E_CLI");
    return other && other[0] ? other : LC_CLI_PATH;
}

static void exec_child(const char *const *args, const char *const *env, int in, int out, int err)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    for (const char *const *e = env; e && *e; e++)
        putenv((char *)*e);
    const char *argv[64] = {cli_path()};
    for (int i = 0; args[i] && i < 62; i++)
        argv[i + 1] = args[i];
    execv(argv[0], (char *const *)argv);
    _exit(127);
}

/* Reads both pipes until they close or the deadline passes; returns 0, or -1 on timeout. */
static int drain(int out, int err, lc_buf *bo, lc_buf *be, int64_t deadline)
{
    struct pollfd p[2] = {{.fd = out, .events = POLLIN}, {.fd = err, .events = POLLIN}};
    lc_buf *bufs[2] = {bo, be};
    int open = 2;
    while (open > 0) {
        int64_t left = deadline - lc_now_ms();
        if (left <= 0)
            return -1;
        if (poll(p, 2, (int)left) < 0 && errno != EINTR)
            return -1;
        for (int i = 0; i < 2; i++) {
            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char chunk[4096];
            ssize_t n = read(p[i].fd, chunk, sizeof chunk);
            if (n > 0) {
                lc_buf_append(bufs[i], chunk, (size_t)n);
            } else {
                close(p[i].fd);
                p[i].fd = -1;
                open--;
            }
        }
    }
    return 0;
}

cli_result run_cli(const char *const *args, const char *stdin_text, const char *const *env,
                   int timeout_ms)
{
    cli_result r = {.status = -1};
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
        abort();
    pid_t pid = fork();
    if (pid == 0)
        exec_child(args, env, in[0], out[1], err[1]);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (stdin_text)
        (void)!write(in[1], stdin_text, strlen(stdin_text));
    close(in[1]);
    lc_buf bo, be;
    lc_buf_init(&bo, 0);
    lc_buf_init(&be, 0);
    if (drain(out[0], err[0], &bo, &be, lc_now_ms() + timeout_ms) < 0)
        kill(pid, SIGKILL);
    int ws = 0;
    waitpid(pid, &ws, 0);
    r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    r.out = lc_buf_take(&bo);
    r.err = lc_buf_take(&be);
    return r;
}

cli_result run_command(const char *const *argv, int timeout_ms)
{
    cli_result r = {.status = -1};
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
        abort();
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0); /* its own group: whatever it starts goes with it */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    setpgid(pid, pid);
    close(out[1]);
    close(err[1]);
    lc_buf bo, be;
    lc_buf_init(&bo, 0);
    lc_buf_init(&be, 0);
    if (drain(out[0], err[0], &bo, &be, lc_now_ms() + timeout_ms) < 0)
        kill(-pid, SIGKILL);
    int ws = 0;
    waitpid(pid, &ws, 0);
    kill(-pid, SIGKILL); /* any process of its group still running */
    r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    r.out = lc_buf_take(&bo);
    r.err = lc_buf_take(&be);
    if (r.out == NULL)
        r.out = strdup("");
    if (r.err == NULL)
        r.err = strdup("");
    return r;
}

void cli_result_free(cli_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

bool process_gone(long pid)
{
    char path[64], text[512] = "";
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return true;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *end = strrchr(text, ')'); /* the command name may hold anything */
    return end && end[1] == ' ' && end[2] == 'Z';
}
