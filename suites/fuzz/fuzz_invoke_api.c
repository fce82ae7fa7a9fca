/* Fuzz target: the Invoke API's request handling, driven in-process: raw bytes to the emulator's
 * Invoke API server (path, function name, qualifier, query, headers, client context, body,
 * signatures). The first byte chooses how:
 *   0  the server without SigV4, one connection
 *   1  the server that requires SigV4, the bytes as they are (refusals)
 *   2  the same, the request signed here with the server's key first, so that what follows the
 *      signature check (routing, bodies, invocations) is reached too
 *   3  the server without SigV4, the input cut at "\n@@\n" into up to 4 pieces sent at once on
 *      their own connections, a slice at a time, the last one left idle until the others end
 * Function "f" runs the bundled Python client with a handler that answers with its event (warm
 * environments are reused); "g" starts a runtime that exits at once. */
#include "fuzz.h"
#include "fuzz_net.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>

#include "lambdacheck/lambdacheck.h"

static lc_emulator *em;
static lc_invoke_server *open_server, *signed_server;

#define KEY_ID "AKIDEXAMPLE"
#define SECRET "secret"

static void add_function(lc_function_config c)
{
    lc_function *fn;
    lc_async_config quick = {.max_retry_attempts = 0, .max_event_age_ms = 60000,
                             .retry_delay_ms = {1, 1}};
    if (lc_function_new(&c, &fn, NULL) != LC_OK || lc_emulator_add_function(em, fn, NULL) != LC_OK ||
        lc_emulator_set_async(em, c.name, &quick, NULL) != LC_OK)
        abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    lc_invoke_server_options so = {.sigv4_access_key_id = KEY_ID,
                                   .sigv4_secret_access_key = SECRET};
    if (lc_emulator_new(NULL, &em, NULL) != LC_OK)
        abort();
    add_function((lc_function_config){.name = "f", .handler = "probes.echo",
                                      .code_dir = LC_FIXTURES_DIR "/functions/probes",
                                      .timeout_ms = 1000, .concurrency = 4});
    add_function((lc_function_config){.name = "g", .handler = "app.handler", .code_dir = "/tmp",
                                      .runtime_command = "/bin/true", .timeout_ms = 1000});
    if (lc_invoke_server_start(em, NULL, &open_server, NULL) != LC_OK ||
        lc_invoke_server_start(em, &so, &signed_server, NULL) != LC_OK)
        abort();
    return 0;
}

/* --- signing the fuzzer's request --------------------------------------------------------------- */

typedef struct {
    char *names[64];
    char *values[64];
    size_t n;
} fields;

static const char *field(void *ctx, const char *name)
{
    fields *f = ctx;
    for (size_t i = 0; i < f->n; i++)
        if (strcasecmp(f->names[i], name) == 0)
            return f->values[i];
    return NULL;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The request's header lines (head is NUL-split in place) after the request line. */
static void read_fields(char *lines, fields *f)
{
    for (char *save = NULL, *line = strtok_r(lines, "\r\n", &save); line && f->n < 62;
         line = strtok_r(NULL, "\r\n", &save)) {
        char *colon = strchr(line, ':');
        if (colon == NULL)
            continue;
        *colon = '\0';
        char *value = colon + 1;
        while (*value == ' ')
            value++;
        f->names[f->n] = line;
        f->values[f->n++] = value;
    }
}

/* Signs a copy of the request (METHOD TARGET VERSION, headers, body) over every header it has,
 * host and x-amz-date added; NULL when it is not shaped as a request. Caller frees. */
static char *signed_copy(const uint8_t *data, size_t size, uint16_t port, size_t *out_len)
{
    const char *end = memmem(data, size, "\r\n\r\n", 4);
    if (end == NULL)
        return NULL;
    size_t head_len = (size_t)(end - (const char *)data);
    char *head = strndup((const char *)data, head_len);
    char *eol = strstr(head, "\r\n");
    char method[16] = "", target[2048] = "";
    if (sscanf(head, "%15s %2047s", method, target) != 2) {
        free(head);
        return NULL;
    }
    fields f = {0};
    char host[32], date[17];
    snprintf(host, sizeof host, "127.0.0.1:%u", port);
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", gmtime(&now));
    if (eol)
        read_fields(eol + 2, &f);
    bool has_host = field(&f, "host") != NULL;
    if (!has_host) {
        f.names[f.n] = "host";
        f.values[f.n++] = host;
    }
    f.names[f.n] = "x-amz-date";
    f.values[f.n++] = date;
    char *sorted[64], signed_headers[4096] = "";
    for (size_t i = 0; i < f.n; i++) {
        sorted[i] = strdup(f.names[i]);
        for (char *c = sorted[i]; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    }
    qsort(sorted, f.n, sizeof *sorted, by_name);
    for (size_t i = 0; i < f.n; i++)
        if (i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0)
            snprintf(signed_headers + strlen(signed_headers),
                     sizeof signed_headers - strlen(signed_headers), "%s%s",
                     signed_headers[0] ? ";" : "", sorted[i]);
    for (size_t i = 0; i < f.n; i++)
        free(sorted[i]);
    char *query = strchr(target, '?');
    if (query)
        *query++ = '\0';
    const char *body = end + 4;
    size_t body_len = size - head_len - 4;
    lc_sigv4_request req = {method, target, query ? query : "", field, &f, body, body_len,
                            NULL, NULL};
    lc_sigv4_scope scope = {KEY_ID, SECRET, "us-east-1", "lambda", date};
    char sig[65];
    char *out = NULL;
    if (lc_sigv4_signature(&req, signed_headers, &scope, 1, sig, NULL) == LC_OK) {
        lc_buf b;
        lc_buf_init(&b, 0);
        lc_buf_append(&b, data, head_len);
        if (!has_host)
            lc_buf_printf(&b, "\r\nHost: %s", host);
        lc_buf_printf(&b, "\r\nX-Amz-Date: %s\r\nAuthorization: AWS4-HMAC-SHA256 Credential="
                          KEY_ID "/%.8s/us-east-1/lambda/aws4_request, SignedHeaders=%s, "
                          "Signature=%s\r\n\r\n",
                      date, date, signed_headers, sig);
        lc_buf_append(&b, body, body_len);
        *out_len = b.len;
        out = lc_buf_take(&b);
    }
    free(head);
    return out;
}

/* --- crowded connections ----------------------------------------------------------------------- */

static int connect_to(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    if (fd >= 0)
        fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

/* Up to 4 pieces, each on its own connection, written 64 bytes at a time in turn; the last stays
 * open and idle while the others finish, then everything is read and closed. */
static void crowd(uint16_t port, const uint8_t *data, size_t size)
{
    fuzz_part p[4];
    fuzz_split(data, size, p, 4);
    int fds[4];
    size_t sent[4] = {0};
    for (int i = 0; i < 4; i++)
        fds[i] = connect_to(port);
    for (bool more = true; more;) {
        more = false;
        for (int i = 0; i < 3; i++) {
            if (fds[i] < 0 || sent[i] >= p[i].len)
                continue;
            size_t n = p[i].len - sent[i] < 64 ? p[i].len - sent[i] : 64;
            ssize_t w = send(fds[i], p[i].text + sent[i], n, MSG_NOSIGNAL);
            sent[i] += w > 0 ? (size_t)w : n; /* a full or closed socket: move on */
            more = true;
        }
    }
    if (fds[3] >= 0)
        (void)!send(fds[3], p[3].text, p[3].len, MSG_NOSIGNAL);
    char sink[65536];
    for (int i = 0; i < 4; i++) {
        if (fds[i] < 0)
            continue;
        shutdown(fds[i], SHUT_WR);
        struct pollfd pf = {.fd = fds[i], .events = POLLIN};
        while (poll(&pf, 1, 2000) > 0 && read(fds[i], sink, sizeof sink) > 0)
            ;
        close(fds[i]);
    }
    fuzz_free(p, 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int mode = data[0] & 3;
    data++;
    size--;
    if (mode == 0) {
        fuzz_exchange(lc_invoke_server_port(open_server), data, size, 2000);
    } else if (mode == 1) {
        fuzz_exchange(lc_invoke_server_port(signed_server), data, size, 2000);
    } else if (mode == 2) {
        size_t len = 0;
        char *req = signed_copy(data, size, lc_invoke_server_port(signed_server), &len);
        fuzz_exchange(lc_invoke_server_port(signed_server), req ? (uint8_t *)req : data,
                      req ? len : size, 2000);
        free(req);
    } else {
        crowd(lc_invoke_server_port(open_server), data, size);
    }
    return 0;
}
