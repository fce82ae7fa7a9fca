/* Benchmark: warm synchronous invocations on one environment, through the embedded emulator's C
 * API and through its Invoke API over HTTP (client -> server -> runtime -> back), next to starting
 * a Python process per invocation (how simpler runners work).
 * Prints invocations per second and latency percentiles, and their ratio. Not a test: it asserts
 * nothing about speed. */
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lambdacheck/lambdacheck.h"

extern char **environ;

static int compare(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double percentile_us(int64_t *ns, size_t n, double p)
{
    size_t i = (size_t)(p * (double)(n - 1));
    return (double)ns[i] / 1000.0;
}

static void report(const char *what, int64_t *lat, size_t n, int64_t total_ns)
{
    qsort(lat, n, sizeof *lat, compare);
    printf("%-34s %8zu calls %10.0f calls/s   p50 %9.1f us   p99 %9.1f us   max %9.1f us\n", what,
           n, (double)n / ((double)total_ns / 1e9), percentile_us(lat, n, 0.50),
           percentile_us(lat, n, 0.99), (double)lat[n - 1] / 1000.0);
}

/* One synchronous call of the trivial function; false when it failed. */
typedef bool (*one_call)(void *ctx);

/* Warms up, then times n calls: prints calls/s and percentiles, returns calls/s. */
static double measure(const char *what, one_call call, void *ctx, size_t n)
{
    for (int i = 0; i < 500; i++) /* the cold start and warm-up */
        call(ctx);
    int64_t *lat = calloc(n, sizeof *lat);
    int64_t start = lc_monotonic_ns();
    for (size_t i = 0; i < n; i++) {
        int64_t t = lc_monotonic_ns();
        if (!call(ctx)) {
            fprintf(stderr, "bench: a call failed (%s)\n", what);
            exit(1);
        }
        lat[i] = lc_monotonic_ns() - t;
    }
    int64_t total = lc_monotonic_ns() - start;
    report(what, lat, n, total);
    free(lat);
    return (double)n / ((double)total / 1e9);
}

static const char event[] = "{\"key1\": \"value1\"}";

static lc_function *trivial_function(const char *probes)
{
    lc_function_config c = {.name = "trivial", .handler = "probes.returns_none",
                            .code_dir = probes, .concurrency = 1};
    lc_function *fn;
    lc_error err = {0};
    if (lc_function_new(&c, &fn, &err) != LC_OK) {
        fprintf(stderr, "bench: %s\n", err.message);
        exit(1);
    }
    return fn;
}

static bool call_emulator(void *ctx)
{
    lc_invoke_options opt = {.payload = event, .payload_len = sizeof event - 1};
    lc_result r;
    bool ok = lc_emulator_invoke(ctx, "trivial", &opt, &r, NULL) == LC_OK && !r.function_error[0];
    lc_result_clear(&r);
    return ok;
}

static bool call_target(void *ctx)
{
    lc_invoke_request req = {.function_name = "trivial", .payload = event,
                             .payload_len = sizeof event - 1};
    lc_invoke_response r;
    bool ok = lc_target_invoke(ctx, &req, &r, NULL) == LC_OK && r.status == 200;
    lc_invoke_response_clear(&r);
    return ok;
}

static double warm_emulator(const char *probes, size_t n)
{
    lc_emulator *em;
    if (lc_emulator_new(NULL, &em, NULL) != LC_OK ||
        lc_emulator_add_function(em, trivial_function(probes), NULL) != LC_OK)
        exit(1);
    double per_second = measure("warm, one environment (C API)", call_emulator, em, n);
    lc_emulator_free(em);
    return per_second;
}

static double through_invoke_api(const char *probes, size_t n)
{
    lc_target *t;
    if (lc_target_new_local(&t, NULL) != LC_OK ||
        lc_emulator_add_function(lc_target_emulator(t), trivial_function(probes), NULL) != LC_OK)
        exit(1);
    double per_second = measure("warm, through the Invoke API (HTTP)", call_target, t, n);
    lc_target_free(t);
    return per_second;
}

static double process_per_call(const char *python, const char *probes, size_t n)
{
    char script[1024];
    snprintf(script, sizeof script,
             "import json, sys; sys.path.insert(0, '%s'); import probes; "
             "print(json.dumps(probes.returns_none({'key1': 'value1'}, None)))",
             probes);
    char *argv[] = {(char *)python, "-c", script, NULL};
    int64_t *lat = calloc(n, sizeof *lat);
    int64_t start = lc_monotonic_ns();
    for (size_t i = 0; i < n; i++) {
        int64_t t = lc_monotonic_ns();
        pid_t pid;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        if (posix_spawn(&pid, python, &fa, NULL, argv, environ) != 0) {
            fprintf(stderr, "bench: cannot run %s\n", python);
            exit(1);
        }
        posix_spawn_file_actions_destroy(&fa);
        waitpid(pid, NULL, 0);
        lat[i] = lc_monotonic_ns() - t;
    }
    int64_t total = lc_monotonic_ns() - start;
    report("a Python process per call", lat, n, total);
    double per_second = (double)n / ((double)total / 1e9);
    free(lat);
    return per_second;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
    const char *probes = LC_FIXTURES_DIR "/functions/probes";
    lc_function_config c = {.handler = "probes.returns_none", .code_dir = probes};
    lc_function *fn;
    lc_error err = {0};
    if (lc_function_new(&c, &fn, &err) != LC_OK) {
        fprintf(stderr, "bench: %s\n", err.message);
        return 1;
    }
    char python[4096];
    snprintf(python, sizeof python, "%s", lc_function_argv(fn)[0]);
    lc_function_free(fn);
    printf("lambdacheck bench: synchronous invocations of a trivial Python handler\n");
    double warm = warm_emulator(probes, n);
    double http = through_invoke_api(probes, n);
    double cold = process_per_call(python, probes, n / 200 > 20 ? n / 200 : 20);
    printf("ratio: warm emulator / process per call = %.0fx more calls per second\n", warm / cold);
    printf("ratio: Invoke API over HTTP / C API = %.2f (the HTTP round trip costs %.0f us a call)\n",
           http / warm, (1e6 / http) - (1e6 / warm));
    return 0;
}
