/* Soak benchmark: serve under a long mixed load, and its memory before and after; and an
 * exactly-once audit of an SQS mapping.
 *
 * First, 100,000 messages go through an SQS mapping (sqs_mapping.h) into a function of the
 * embedded emulator that fails one message in ten (a partial batch response) and one batch in
 * fifty (an error), with a redrive policy of 3 receives: every message must end deleted or in the
 * dead-letter queue exactly once, a dead-lettered one after exactly 3 receives. The soak exits 1
 * when the audit finds otherwise.
 *
 * Starts `lambdacheck serve` with one function that raises, hangs, exits, crashes or answers as
 * each event asks, sends 10,000 Event invocations of that mix, waits until every one has its
 * destination record, and audits the records: exactly one per event, none lost, none twice. Then
 * 200 synchronous calls answer 5 MB each. Prints serve's resident memory after each phase, next
 * to the goal (under 200 MB). Not a test: it asserts nothing, it prints. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lambdacheck/lambdacheck.h"

#define EVENTS 10000
#define MESSAGES 100000
#define BIG_CALLS 200

static long rss_mb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb < 0 ? -1 : kb / 1024;
}

static pid_t start_serve(const char *dir, unsigned *port)
{
    char port_file[600], records[600];
    snprintf(port_file, sizeof port_file, "%s/port", dir);
    snprintf(records, sizeof records, "%s/records.jsonl", dir);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        execl(LC_CLI_PATH, LC_CLI_PATH, "serve", "--function-name", "soak", "--handler",
              "probes.mixed", "--code", LC_FIXTURES_DIR "/functions/probes", "--timeout-ms", "300",
              "--concurrency", "8", "--max-retry-attempts", "2", "--retry-delay-ms", "1",
              "--destination-file", records, "--port-file", port_file, (char *)NULL);
        _exit(127);
    }
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

static const char *mode_of(int n)
{
    if (n % 50 == 1)
        return "hang";
    if (n % 50 == 2)
        return "exit";
    if (n % 50 == 3)
        return "segv";
    if (n % 20 == 4)
        return "raise";
    return "ok";
}

static bool call(lc_client *c, const char *type, const char *event, lc_invoke_response *r)
{
    lc_invoke_request req = {.function_name = "soak", .invocation_type = type, .payload = event,
                             .payload_len = strlen(event)};
    return lc_client_invoke(c, &req, r, NULL) == LC_OK;
}

static size_t count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    int ch;
    while (f && (ch = fgetc(f)) != EOF)
        n += ch == '\n';
    if (f)
        fclose(f);
    return n;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every record's request id, sorted: duplicates are next to each other. */
static void audit(const char *path, size_t expected_success)
{
    FILE *f = fopen(path, "r");
    char **ids = calloc(EVENTS * 2, sizeof *ids), line[65536];
    size_t n = 0, success = 0, exhausted = 0, other = 0, duplicates = 0;
    while (f && fgets(line, sizeof line, f) && n < EVENTS * 2) {
        json_t *rec = json_loads(line, 0, NULL);
        json_t *rc = json_object_get(rec, "requestContext");
        const char *condition = json_string_value(json_object_get(rc, "condition"));
        ids[n++] = strdup(json_string_value(json_object_get(rc, "requestId")));
        success += condition && strcmp(condition, "Success") == 0;
        exhausted += condition && strcmp(condition, "RetriesExhausted") == 0;
        other += !condition || (strcmp(condition, "Success") && strcmp(condition, "RetriesExhausted"));
        json_decref(rec);
    }
    if (f)
        fclose(f);
    qsort(ids, n, sizeof *ids, compare_strings);
    for (size_t i = 1; i < n; i++)
        duplicates += strcmp(ids[i], ids[i - 1]) == 0;
    printf("records: %zu for %d events: %zu duplicated, %zu missing; Success %zu (expected %zu), "
           "RetriesExhausted %zu (expected %zu), other %zu -> %s\n",
           n, EVENTS, duplicates, n - duplicates < EVENTS ? EVENTS - (n - duplicates) : 0, success,
           expected_success, exhausted, EVENTS - expected_success, other,
           n == EVENTS && duplicates == 0 && success == expected_success ? "exactly once"
                                                                         : "NOT exactly once");
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

/* --- the SQS audit ---------------------------------------------------------------------------- */

typedef struct {
    lc_target *target;
    lc_invoke_response resp;
    bool have;
    long calls;
} sqs_soak;

static lc_status soak_invoke(void *data, const json_t *event, lc_sqs_answer *a, lc_error *err)
{
    sqs_soak *s = data;
    if (s->have)
        lc_invoke_response_clear(&s->resp);
    char *payload = json_dumps(event, JSON_COMPACT);
    lc_invoke_request req = {.function_name = "flaky", .payload = payload,
                             .payload_len = payload ? strlen(payload) : 0};
    lc_status st = lc_target_invoke(s->target, &req, &s->resp, err);
    free(payload);
    s->have = st == LC_OK;
    s->calls++;
    if (st != LC_OK)
        return st;
    memset(a, 0, sizeof *a);
    a->failed = s->resp.function_error[0] != '\0';
    a->payload = a->failed ? NULL : s->resp.payload;
    a->payload_len = a->failed ? 0 : s->resp.payload_len;
    return LC_OK;
}

/* Each message in exactly one of deleted and deadLetter, none left; dead-lettered ones after
 * their 3 receives. Returns the number of discrepancies, printing the first few. */
static size_t audit_outcome(const json_t *out)
{
    unsigned char *seen = calloc(MESSAGES, 1);
    size_t bad = 0, i;
    json_t *v;
    const char *lists[] = {"deleted", "deadLetter"};
    for (size_t l = 0; l < 2; l++)
        json_array_foreach(json_object_get(out, lists[l]), i, v)
        {
            const char *id = json_is_object(v) ? json_string_value(json_object_get(v, "id"))
                                               : json_string_value(v);
            long n = id ? strtol(id + 1, NULL, 10) : -1;
            if (n < 0 || n >= MESSAGES || seen[n]++) {
                if (bad++ < 5)
                    printf("  audit: %s is in the outcome twice, or is not a message\n", id);
            }
            if (l == 1 && json_integer_value(json_object_get(v, "receiveCount")) != 3 &&
                bad++ < 5)
                printf("  audit: %s was dead-lettered after %lld receives\n", id,
                       json_integer_value(json_object_get(v, "receiveCount")));
        }
    for (long n = 0; n < MESSAGES; n++)
        if (!seen[n] && bad++ < 5)
            printf("  audit: m%ld was lost: neither deleted nor dead-lettered\n", n);
    free(seen);
    return bad;
}

static int sqs_audit(void)
{
    lc_function_config c = {.name = "flaky", .handler = "consumer.flaky",
                            .code_dir = LC_FIXTURES_DIR "/functions/queues"};
    lc_function *fn;
    sqs_soak s = {0};
    lc_error err = {0};
    if (lc_function_new(&c, &fn, &err) != LC_OK || lc_target_new_local(&s.target, &err) != LC_OK ||
        lc_emulator_add_function(lc_target_emulator(s.target), fn, &err) != LC_OK) {
        fprintf(stderr, "soak: %s\n", err.message);
        return 1;
    }
    json_t *messages = json_array();
    for (int i = 0; i < MESSAGES; i++) {
        char id[16];
        snprintf(id, sizeof id, "m%d", i);
        json_array_append_new(messages, json_pack("{s:s, s:s}", "id", id, "body", "order"));
    }
    lc_sqs_mapping m = {.report_batch_item_failures = true, .max_receive_count = 3,
                        .max_invocations = 1000000};
    lc_sqs_mapping_defaults(&m);
    json_t *out = NULL;
    int64_t start = lc_monotonic_ns();
    lc_status st = lc_sqs_mapping_run(&m, messages, soak_invoke, &s, &out, &err);
    double seconds = (double)(lc_monotonic_ns() - start) / 1e9;
    if (s.have)
        lc_invoke_response_clear(&s.resp);
    size_t bad = 0;
    if (st != LC_OK) {
        printf("soak: the SQS mapping stopped: %s\n", err.message);
        bad = 1;
    } else {
        printf("SQS mapping: %d messages, batches of 10, maxReceiveCount 3, a consumer failing 10%% "
               "of messages and 2%% of batches:\n",
               MESSAGES);
        printf("  %zu invocations in %.1f s (%.0f a second); %zu deleted, %zu dead-lettered, "
               "%zu received more than once, %zu left; harness RSS %ld MB\n",
               json_array_size(json_object_get(out, "invocations")), seconds,
               (double)s.calls / seconds, json_array_size(json_object_get(out, "deleted")),
               json_array_size(json_object_get(out, "deadLetter")),
               json_array_size(json_object_get(out, "redelivered")),
               json_array_size(json_object_get(out, "remaining")), rss_mb(getpid()));
        bad = audit_outcome(out);
        printf("  exactly-once audit: %s (%zu discrepancies)\n", bad ? "FAILED" : "every message "
               "deleted or dead-lettered exactly once", bad);
    }
    json_decref(out);
    json_decref(messages);
    lc_target_free(s.target); /* and fn, which the emulator took */
    return bad ? 1 : 0;
}

int main(void)
{
    int audit_status = sqs_audit();
    char dir[] = "/tmp/lc_soak_XXXXXX", records[600], event[256];
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(records, sizeof records, "%s/records.jsonl", dir);
    unsigned port = 0;
    pid_t serve = start_serve(dir, &port);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
    lc_client_options o = {.endpoint_url = url, .region = "us-east-1"};
    lc_client *client;
    if (port == 0 || lc_client_new(&o, &client, NULL) != LC_OK) {
        fprintf(stderr, "soak: serve did not start\n");
        return 1;
    }
    lc_invoke_response r;
    call(client, NULL, "{}", &r); /* warm */
    lc_invoke_response_clear(&r);
    printf("lambdacheck soak: serve's resident memory (goal: under 200 MB after each phase)\n");
    printf("serve RSS at start: %ld MB\n", rss_mb(serve));
    size_t ok = 0;
    int64_t start = lc_monotonic_ns();
    for (int n = 0; n < EVENTS; n++) {
        ok += strcmp(mode_of(n), "ok") == 0;
        snprintf(event, sizeof event, "{\"n\": %d, \"mode\": \"%s\"}", n, mode_of(n));
        if (!call(client, "Event", event, &r) || r.status != 202)
            fprintf(stderr, "soak: event %d was not accepted (%ld)\n", n, r.status);
        lc_invoke_response_clear(&r);
    }
    while (count_lines(records) < EVENTS && lc_monotonic_ns() - start < 1800 * 1000000000LL)
        usleep(200000);
    printf("%d Event invocations (2%% hang, 2%% exit, 2%% segfault, 5%% raise) done in %.1f s\n",
           EVENTS, (double)(lc_monotonic_ns() - start) / 1e9);
    printf("serve RSS after them: %ld MB\n", rss_mb(serve));
    audit(records, ok);
    start = lc_monotonic_ns();
    for (int i = 0; i < BIG_CALLS; i++) {
        if (!call(client, NULL, "{\"mode\": \"big\", \"bytes\": 5242880}", &r) ||
            r.payload_len != 5242882)
            fprintf(stderr, "soak: big call %d answered %zu bytes\n", i, r.payload_len);
        lc_invoke_response_clear(&r);
    }
    printf("%d synchronous 5 MB responses in %.1f s\n", BIG_CALLS,
           (double)(lc_monotonic_ns() - start) / 1e9);
    printf("serve RSS after them: %ld MB\n", rss_mb(serve));
    lc_client_free(client);
    kill(serve, SIGTERM);
    waitpid(serve, NULL, 0);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? audit_status : 1;
}
