#include "background.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void exec_child(const background *b, const char *const *argv, int log)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(log, 2);
    const char *args[64];
    int n = 0;
    for (; argv[n] && n < 63; n++)
        args[n] = strcmp(argv[n], "{port_file}") == 0 ? b->port_file : argv[n];
    args[n] = NULL;
    execv(args[0], (char *const *)args);
    _exit(127);
}

static unsigned read_port(const char *path)
{
    unsigned port = 0;
    FILE *f = fopen(path, "r");
    if (f && fscanf(f, "%u", &port) != 1)
        port = 0;
    if (f)
        fclose(f);
    return port;
}

/* The whole file as a NUL-terminated string; "" when it cannot be read. Caller frees. */
static char *read_log(const char *path)
{
    FILE *f = fopen(path, "r");
    long n = f && fseek(f, 0, SEEK_END) == 0 ? ftell(f) : 0;
    char *text = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
    if (f && n > 0) {
        rewind(f);
        if (fread(text, 1, (size_t)n, f) != (size_t)n)
            text[0] = '\0';
    }
    if (f)
        fclose(f);
    return text;
}

void bg_start(background *b, const char *const *argv)
{
    memset(b, 0, sizeof *b);
    snprintf(b->port_file, sizeof b->port_file, "/tmp/lc_port_XXXXXX");
    snprintf(b->log_file, sizeof b->log_file, "/tmp/lc_bg_log_XXXXXX");
    close(mkstemp(b->port_file));
    unlink(b->port_file); /* it appears when the server is ready */
    int log = mkstemp(b->log_file);
    b->pid = fork();
    if (b->pid == 0)
        exec_child(b, argv, log);
    close(log);
    for (int i = 0; i < 3000 && b->port == 0; i++) {
        b->port = read_port(b->port_file);
        ck_assert_msg(waitpid(b->pid, NULL, WNOHANG) == 0, "%s exited before listening",
                      argv[0]);
        if (b->port == 0)
            usleep(10000);
    }
    ck_assert_msg(b->port > 0, "%s did not write its port file", argv[0]);
}

int bg_stop_with_log(background *b, char **log)
{
    int status = 0;
    if (b->pid > 0) {
        kill(b->pid, SIGTERM);
        waitpid(b->pid, &status, 0);
    }
    b->pid = 0;
    *log = read_log(b->log_file);
    unlink(b->port_file);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int bg_stop(background *b)
{
    char *log = NULL;
    int status = bg_stop_with_log(b, &log);
    free(log);
    return status;
}

const char *bg_url(const background *b)
{
    static char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", b->port);
    return url;
}
