/* Stress benchmark: serve under connection floods, on loopback, bounded.
 *
 *  1. 10,000 idle connections (no byte sent) held open against `lambdacheck serve`, then a normal
 *     client's calls, each timed from connect to the whole answer (goal: within 100 ms).
 *  2. serve started with RLIMIT_NOFILE 1,024 and 1,100 idle connections: the same normal client,
 *     and the CPU time serve used while the flood lasted (a server spinning on EMFILE uses about
 *     one core: 1 s a second).
 * Prints numbers; asserts nothing. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CALLS 20

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* serve's CPU time (user + system) in ms, from /proc. */
static double cpu_ms(pid_t pid)
{
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = '\0';
    const char *p = strrchr(text, ')'); /* fields after the command name */
    unsigned long utime = 0, stime = 0;
    if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
                            &stime) != 2)
        return -1;
    return (double)(utime + stime) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

static pid_t start_serve(const char *dir, long nofile, unsigned *port)
{
    char port_file[600];
    snprintf(port_file, sizeof port_file, "%s/port", dir);
    unlink(port_file);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit lim = {(rlim_t)nofile, (rlim_t)nofile};
        if (nofile > 0)
            setrlimit(RLIMIT_NOFILE, &lim);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        execl(LC_CLI_PATH, LC_CLI_PATH, "serve", "--function-name", "echo", "--handler",
              "probes.echo", "--code", LC_FIXTURES_DIR "/functions/probes", "--port-file",
              port_file, (char *)NULL);
        _exit(127);
    }
    *port = 0;
    for (int i = 0; i < 3000 && *port == 0; i++) {
        FILE *f = fopen(port_file, "r");
        if (f && fscanf(f, "%u", port) != 1)
            *port = 0;
        if (f)
            fclose(f);
        usleep(10000);
    }
    return pid;
}

static int connect_to(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One call of the normal client: ms from connect to the whole answer, or -1 when it got none
 * or not a 200 within 5 s. */
static double one_call(unsigned port)
{
    static const char req[] = "POST /2015-03-31/functions/echo/invocations HTTP/1.1\r\n"
                              "Host: 127.0.0.1\r\nContent-Length: 7\r\nConnection: close\r\n\r\n"
                              "{\"a\":1}";
    double start = now_ms();
    int fd = connect_to(port);
    if (fd < 0 || write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char buf[4096];
    size_t n = 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (n < sizeof buf - 1 && poll(&p, 1, 5000) > 0) {
        ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    close(fd);
    return strncmp(buf, "HTTP/1.1 200", 12) == 0 ? now_ms() - start : -1;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The normal client's calls while the flood is held: min, median, max and failures. */
static void normal_client(unsigned port, const char *label)
{
    double ms[CALLS];
    int failed = 0, ok = 0;
    for (int i = 0; i < CALLS; i++) {
        double t = one_call(port);
        if (t < 0)
            failed++;
        else
            ms[ok++] = t;
    }
    qsort(ms, (size_t)ok, sizeof *ms, by_value);
    if (ok)
        printf("  %s: %d calls answered in %.1f / %.1f / %.1f ms (min / median / max), %d not "
               "answered (goal: every call, within 100 ms)\n",
               label, ok, ms[0], ms[ok / 2], ms[ok - 1], failed);
    else
        printf("  %s: no call answered (%d tried)\n", label, failed);
}

/* Opens n idle connections; returns how many are open (descriptors in fds). */
static int flood(unsigned port, int *fds, int n)
{
    int open_now = 0;
    for (int i = 0; i < n; i++) {
        int fd = connect_to(port);
        if (fd < 0)
            break;
        fds[open_now++] = fd;
    }
    return open_now;
}

static void stop(pid_t pid)
{
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

static void idle_flood(const char *dir)
{
    unsigned port;
    pid_t pid = start_serve(dir, 0, &port);
    printf("a cold start first (not counted): %.1f ms\n", one_call(port));
    int *fds = calloc(10000, sizeof *fds);
    double start = now_ms();
    int held = flood(port, fds, 10000);
    printf("10,000 idle connections: %d opened in %.0f ms\n", held, now_ms() - start);
    double cpu = cpu_ms(pid);
    normal_client(port, "normal client");
    printf("  serve used %.0f ms of CPU during the calls\n", cpu_ms(pid) - cpu);
    for (int i = 0; i < held; i++)
        close(fds[i]);
    free(fds);
    stop(pid);
}

static void descriptor_limit(const char *dir)
{
    unsigned port;
    pid_t pid = start_serve(dir, 1024, &port);
    one_call(port); /* the cold start */
    int fds[1100];
    double cpu = cpu_ms(pid), start = now_ms();
    int held = flood(port, fds, 1100);
    usleep(1000000);
    normal_client(port, "normal client");
    double wall = now_ms() - start, used = cpu_ms(pid) - cpu;
    printf("RLIMIT_NOFILE 1,024 and %d idle connections: serve used %.0f ms of CPU in %.0f ms "
           "(%.2f of a core; a busy loop is about 1.00)\n",
           held, used, wall, used / wall);
    for (int i = 0; i < held; i++)
        close(fds[i]);
    stop(pid);
}

int main(void)
{
    struct rlimit lim;
    getrlimit(RLIMIT_NOFILE, &lim);
    if (lim.rlim_max < 10200) {
        fprintf(stderr, "stress: RLIMIT_NOFILE's hard limit is %lu: 10,000 connections need "
                        "10,200 (raise it, e.g. ulimit -Hn 20000 as root)\n",
                (unsigned long)lim.rlim_max);
        return 1;
    }
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    char dir[] = "/tmp/lc_stress_XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    signal(SIGPIPE, SIG_IGN);
    idle_flood(dir);
    descriptor_limit(dir);
    char port_file[64];
    snprintf(port_file, sizeof port_file, "%s/port", dir);
    unlink(port_file);
    rmdir(dir);
    return 0;
}
