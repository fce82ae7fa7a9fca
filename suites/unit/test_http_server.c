/* The HTTP/1.1 server under the Runtime API and the Invoke API, driven over raw sockets: every
 * request is answered, however malformed, slow or cut off, and idle clients starve no one. */
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../harness/src/http_server.h"
#include "suites.h"

static lc__http_server *server;

/* The handler: answers "METHOD path|query|body|trailer" at once, or from a thread when the path
 * is /later, and keeps over-cap bodies as 413. */
static void *answer_later(void *arg)
{
    lc__http_request *req = arg;
    usleep(20000);
    lc__http_respond(server, req, 200, NULL, "later", 5, NULL);
    return NULL;
}

/* Requests to /park stay with the handler until the test answers them. */
#define MAX_PARKED 8
static lc__http_request *parked[MAX_PARKED];
static int n_parked;

static void on_request(void *ctx, lc__http_request *req)
{
    (void)ctx;
    if (req->over_cap) {
        lc__http_respond(server, req, 413, NULL, "too large", 9, NULL);
        return;
    }
    if (strcmp(req->path, "/park") == 0 && n_parked < MAX_PARKED) {
        parked[n_parked++] = req; /* answered by the test, from its own thread */
        return;
    }
    if (strcmp(req->path, "/later") == 0) {
        pthread_t t;
        pthread_create(&t, NULL, answer_later, req);
        pthread_detach(t);
        return;
    }
    char text[512];
    const char *trailer = lc__http_trailer(req, "X-Trailer");
    int n = snprintf(text, sizeof text, "%s %s|%s|%.*s|%s", req->method, req->path, req->query,
                     (int)req->body.len, req->body.data ? req->body.data : "",
                     trailer ? trailer : "");
    const char *headers[] = {"Content-Type: text/plain", NULL};
    lc__http_respond(server, req, 200, headers, text, (size_t)n, NULL);
}

static size_t cap(void *ctx, const lc__http_request *req)
{
    (void)ctx;
    (void)req;
    return 64;
}

static void start(long request_timeout_ms, size_t max_connections)
{
    lc__http_config c = {.on_request = on_request, .body_cap = cap, .max_discard = 1024,
                         .request_timeout_ms = request_timeout_ms,
                         .max_connections = max_connections, .max_head = 4096};
    ck_assert_int_eq(lc__http_server_start(&c, &server, NULL), LC_OK);
}

static void setup(void)
{
    start(2000, 0);
}

static void teardown(void)
{
    lc__http_server_free(server);
    server = NULL;
}

static int connect_to(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(lc__http_server_port(server))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Reads what the server sends within ms (until it closes, or `until` appears). */
static char *read_reply(int fd, int ms, const char *until)
{
    static char buf[65536];
    size_t n = 0;
    buf[0] = '\0';
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (n < sizeof buf - 1 && poll(&p, 1, ms) > 0) {
        ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        buf[n] = '\0';
        if (until && strstr(buf, until))
            break;
    }
    return buf;
}

/* Sends raw bytes (then half-closes when shut) and returns the reply. */
static char *exchange(const char *raw, size_t len, bool shut)
{
    int fd = connect_to();
    ck_assert_int_eq(write(fd, raw, len), (ssize_t)len);
    if (shut)
        shutdown(fd, SHUT_WR);
    char *r = read_reply(fd, 3000, NULL);
    close(fd);
    return r;
}

#define SEND(raw) exchange(raw, sizeof raw - 1, true)
#define ck_assert_starts(text, prefix)                                                             \
    ck_assert_msg(strncmp(text, prefix, strlen(prefix)) == 0, "wanted %s..., got: %s", prefix, text)

START_TEST(a_request_is_answered_with_its_parts)
{
    char *r = SEND("POST /a/b?x=1&y=%20 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
    ck_assert_starts(r, "HTTP/1.1 200 OK\r\n");
    ck_assert_ptr_nonnull(strstr(r, "Content-Length: 26\r\n"));
    ck_assert_ptr_nonnull(strstr(r, "\r\n\r\nPOST /a/b|x=1&y=%20|hello|"));
}
END_TEST

START_TEST(keep_alive_and_pipelined_requests_are_answered_in_order)
{
    char *r = SEND("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
                   "GET /3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    char *one = strstr(r, "GET /1"), *two = strstr(r, "GET /2"), *three = strstr(r, "GET /3");
    ck_assert(one && two && three && one < two && two < three);
    ck_assert_ptr_nonnull(strstr(three - 80, "Connection: close"));
}
END_TEST

START_TEST(a_chunked_body_and_its_trailers_are_read)
{
    char *r = SEND("POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nX-Trailer: t1\r\n\r\n");
    ck_assert_ptr_nonnull(strstr(r, "POST /c||abcdefg|t1"));
}
END_TEST

START_TEST(an_answer_may_come_from_another_thread)
{
    char *r = SEND("GET /later HTTP/1.1\r\nHost: h\r\n\r\n");
    ck_assert_starts(r, "HTTP/1.1 200 OK");
    ck_assert_ptr_nonnull(strstr(r, "\r\n\r\nlater"));
}
END_TEST

/* Malformed requests get a status naming what was wrong, and the connection closes. */
START_TEST(malformed_requests_are_answered_not_dropped)
{
    static const struct {
        const char *raw;
        const char *status;
        const char *why;
    } rows[] = {
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n{}", "400",
         "two different Content-Length values"},
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n{}", "413",
         "larger than this server reads"},
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", "400", "not a number"},
        /* RFC 9112: chunked must be the last coding (else 400); others are not served (501);
           two fields are one list, so a request cannot hide behind the first */
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n{}", "400",
         "the last Transfer-Encoding must be chunked"},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", "501",
         "only the chunked Transfer-Encoding"},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n"
         "0\r\n\r\nGET /hidden HTTP/1.1\r\nHost: h\r\n\r\n", "400",
         "the last Transfer-Encoding must be chunked"},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
         "400", "chunked is applied more than once"},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"
         "\r\n0\r\n\r\n",
         "400", "chunked is applied more than once"},
        {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "400",
         "an HTTP/1.0 request cannot use Transfer-Encoding"},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n17 junk\r\n", "400",
         "not a hexadecimal number"},
        {"GET / HTTP/1.1\r\n\r\n", "400", "an HTTP/1.1 request needs a Host field"},
        {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "400", "two Host fields"},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n", "400",
         "both Transfer-Encoding and Content-Length"},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "400",
         "not a hexadecimal number"},
        {"GET / HTTP/2.0\r\n\r\n", "505", "only HTTP/1.0 and HTTP/1.1"},
        {"GET / FTP/1.1\r\n\r\n", "400", "not HTTP/1.0 or HTTP/1.1"},
        {"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", "400", "METHOD TARGET VERSION"},
        {"G\x01T / HTTP/1.1\r\nHost: h\r\n\r\n", "400", "the method has a character"},
        {"GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", "400", "a header name"},
        {"GET / HTTP/1.1\r\nHost: h\r\nA: b\r\n folded\r\n\r\n", "400", "obs-fold"},
        {"GET / HTTP/1.1\r\nHost: h\r\nA: \x01\r\n\r\n", "400", "control character"},
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n{\"a\":", "400", "cut off"},
        {"POST /x HTTP/1.1\r\nHost: h\r\nContent-Len", "400", "cut off"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char *r = exchange(rows[i].raw, strlen(rows[i].raw), true);
        char status[16];
        snprintf(status, sizeof status, "HTTP/1.1 %s ", rows[i].status);
        ck_assert_msg(strncmp(r, status, strlen(status)) == 0 && strstr(r, rows[i].why) &&
                          strstr(r, "Connection: close"),
                      "row %zu: wanted %s with \"%s\", got:\n%s", i, rows[i].status, rows[i].why, r);
    }
}
END_TEST

/* A head ended by bare line feeds is answered at once, not left waiting for a CRLF CRLF until the
 * request times out (the connection stays open on the client's side). */
START_TEST(a_head_with_bare_line_feeds_is_answered_at_once)
{
    static const char raw[] = "GET /x HTTP/1.1\nHost: h\n\n";
    char *r = exchange(raw, sizeof raw - 1, false);
    ck_assert_msg(strncmp(r, "HTTP/1.1 400 ", 13) == 0 && strstr(r, "not a bare LF"), "%s", r);
}
END_TEST

START_TEST(heads_and_bodies_over_their_caps_are_refused)
{
    char big[6000];
    int n = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nHost: h\r\nX: ");
    memset(big + n, 'a', 5000);
    strcpy(big + n + 5000, "\r\n\r\n");
    char *r = exchange(big, strlen(big), true);
    ck_assert_starts(r, "HTTP/1.1 431 ");
    /* over the cap but under the discard limit: read, then answered by the handler */
    char body[300];
    n = snprintf(body, sizeof body, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 200\r\n\r\n");
    memset(body + n, 'b', 200);
    r = exchange(body, (size_t)n + 200, true);
    ck_assert_starts(r, "HTTP/1.1 413 Content Too Large");
    ck_assert_ptr_nonnull(strstr(r, "too large"));
    /* past the discard limit too: the server answers and stops reading */
    char huge[4000];
    n = snprintf(huge, sizeof huge, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n");
    memset(huge + n, 'c', 3000);
    r = exchange(huge, (size_t)n + 3000, false);
    ck_assert_starts(r, "HTTP/1.1 413 ");
}
END_TEST

/* A client that sends part of a request and stops gets 408, not silence. */
START_TEST(a_slow_request_gets_408)
{
    teardown();
    start(300, 0);
    int fd = connect_to();
    ck_assert_int_eq(write(fd, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n{", 49), 49);
    char *r = read_reply(fd, 3000, NULL);
    ck_assert_starts(r, "HTTP/1.1 408 Request Timeout");
    close(fd);
}
END_TEST

static bool streams(void *ctx, const lc__http_request *req)
{
    (void)ctx;
    return strcmp(req->path, "/stream") == 0;
}

static size_t pieces_seen;

static void on_body(void *ctx, lc__http_request *req, const char *data, size_t len)
{
    (void)ctx;
    (void)req;
    (void)data;
    (void)len;
    pieces_seen++; /* the loop's thread only */
}

/* Sends a chunked body to /stream one piece every gap_ms; stall_ms (0: none) before the fifth. */
static char *stream_slowly(int gap_ms, int stall_ms)
{
    int fd = connect_to();
    static const char head[] = "POST /stream HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    ck_assert_int_eq(write(fd, head, sizeof head - 1), (ssize_t)(sizeof head - 1));
    for (int i = 0; i < 10; i++) {
        usleep((useconds_t)(i == 4 && stall_ms ? stall_ms : gap_ms) * 1000);
        if (send(fd, "2\r\nab\r\n", 7, MSG_NOSIGNAL) != 7)
            break; /* the server answered and closed */
    }
    (void)!send(fd, "0\r\n\r\n", 5, MSG_NOSIGNAL);
    char *r = read_reply(fd, 3000, "ab|"); /* the echo's end, or the 408 and its close */
    close(fd);
    return r;
}

/* The request timeout bounds the time between two pieces of a streamed body, not its whole
 * length: a body that keeps moving may take longer, one that stalls gets 408. */
START_TEST(a_streamed_body_may_take_as_long_as_it_keeps_moving)
{
    teardown();
    lc__http_config c = {.on_request = on_request, .body_cap = cap, .max_discard = 1024,
                         .request_timeout_ms = 300, .streams = streams, .on_body = on_body};
    ck_assert_int_eq(lc__http_server_start(&c, &server, NULL), LC_OK);
    pieces_seen = 0;
    char *r = stream_slowly(100, 0); /* 1 s in all, 100 ms between pieces */
    ck_assert_starts(r, "HTTP/1.1 200 OK");
    ck_assert_msg(strstr(r, "|abababababababababab|") != NULL, "%s", r);
    ck_assert_uint_ge(pieces_seen, 10);
    r = stream_slowly(50, 700); /* still for 700 ms after four pieces */
    ck_assert_starts(r, "HTTP/1.1 408 Request Timeout");
}
END_TEST

/* Hundreds of idle connections do not keep a real request waiting. */
START_TEST(idle_connections_starve_no_one)
{
    int idle[300];
    for (int i = 0; i < 300; i++)
        idle[i] = connect_to();
    char *r = SEND("GET /works HTTP/1.1\r\nHost: h\r\n\r\n");
    ck_assert_starts(r, "HTTP/1.1 200 OK");
    for (int i = 0; i < 300; i++)
        close(idle[i]);
}
END_TEST

/* True when the server closed the connection (EOF within ms). */
static bool closed_by_server(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char c;
    return poll(&p, 1, ms) > 0 && read(fd, &c, 1) == 0;
}

/* A full server makes room for a newcomer: the least recently active idle connection goes. */
START_TEST(a_full_server_closes_the_least_recently_active_idle_connection)
{
    teardown();
    start(2000, 4);
    int held[4];
    for (int i = 0; i < 4; i++) {
        held[i] = connect_to();
        usleep(20000); /* accepted in this order */
    }
    /* the first becomes the most recently active: the second is now the oldest idle one */
    const char get[] = "GET /again HTTP/1.1\r\nHost: h\r\n\r\n";
    ck_assert_int_eq(write(held[0], get, sizeof get - 1), (ssize_t)(sizeof get - 1));
    ck_assert_starts(read_reply(held[0], 3000, "/again||"), "HTTP/1.1 200 OK");
    char *r = SEND("GET /newcomer HTTP/1.1\r\nHost: h\r\n\r\n");
    ck_assert_starts(r, "HTTP/1.1 200 OK");
    ck_assert_msg(closed_by_server(held[1], 2000), "the oldest idle connection was kept");
    ck_assert(!closed_by_server(held[0], 100));
    ck_assert(!closed_by_server(held[3], 100));
    for (int i = 0; i < 4; i++)
        close(held[i]);
}
END_TEST

/* Only when every connection has a request the handler is working on is a newcomer refused, at
 * once, with 503; the requests being handled are still answered. */
START_TEST(a_server_full_of_requests_being_handled_answers_a_newcomer_503)
{
    teardown();
    start(2000, 2);
    n_parked = 0;
    int held[2];
    const char park[] = "GET /park HTTP/1.1\r\nHost: h\r\n\r\n";
    for (int i = 0; i < 2; i++) {
        held[i] = connect_to();
        ck_assert_int_eq(write(held[i], park, sizeof park - 1), (ssize_t)(sizeof park - 1));
    }
    for (int i = 0; i < 100 && n_parked < 2; i++)
        usleep(10000);
    ck_assert_int_eq(n_parked, 2);
    int fd = connect_to();
    ck_assert_starts(read_reply(fd, 3000, NULL), "HTTP/1.1 503 Service Unavailable");
    close(fd);
    for (int i = 0; i < 2; i++) {
        lc__http_respond(server, parked[i], 200, NULL, "done", 4, NULL);
        ck_assert_starts(read_reply(held[i], 3000, "done"), "HTTP/1.1 200 OK");
        close(held[i]);
    }
}
END_TEST

/* A slow request (slowloris) is closed for a newcomer when no connection is idle. */
START_TEST(a_full_server_of_slow_requests_closes_the_slowest_for_a_newcomer)
{
    teardown();
    start(5000, 2);
    int held[2];
    for (int i = 0; i < 2; i++) {
        held[i] = connect_to();
        ck_assert_int_eq(write(held[i], "GET / HTTP/1.1\r\n", 16), 16);
        usleep(30000);
    }
    char *r = SEND("GET /newcomer HTTP/1.1\r\nHost: h\r\n\r\n");
    ck_assert_starts(r, "HTTP/1.1 200 OK");
    ck_assert_msg(closed_by_server(held[0], 2000), "the slowest request was kept");
    for (int i = 0; i < 2; i++)
        close(held[i]);
}
END_TEST

START_TEST(http_1_0_closes_unless_kept_alive)
{
    char *r = SEND("GET /old HTTP/1.0\r\n\r\n");
    ck_assert_starts(r, "HTTP/1.1 200 OK");
    ck_assert_ptr_nonnull(strstr(r, "Connection: close"));
}
END_TEST

/* Expect: 100-continue gets its interim answer before the body is sent. */
START_TEST(expect_continue_is_answered)
{
    int fd = connect_to();
    const char *head = "POST /e HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n";
    ck_assert_int_eq(write(fd, head, strlen(head)), (ssize_t)strlen(head));
    char *r = read_reply(fd, 2000, "\r\n\r\n");
    ck_assert_starts(r, "HTTP/1.1 100 Continue\r\n\r\n");
    ck_assert_int_eq(write(fd, "{}", 2), 2);
    r = read_reply(fd, 2000, "|{}|");
    ck_assert_starts(r, "HTTP/1.1 200 OK");
    close(fd);
}
END_TEST

/* A client that leaves before reading its answer costs nothing: the server must not get SIGPIPE
 * (it used to end serve). The answer is large, so writing it meets the closed socket. */
static void *answer_big_later(void *arg)
{
    lc__http_request *req = arg;
    usleep(100000);
    static char big[4 * 1024 * 1024];
    lc__http_respond(server, req, 200, NULL, big, sizeof big, NULL);
    return NULL;
}

static void on_request_big(void *ctx, lc__http_request *req)
{
    (void)ctx;
    pthread_t t;
    pthread_create(&t, NULL, answer_big_later, req);
    pthread_detach(t);
}

START_TEST(a_client_that_leaves_early_does_not_end_the_server)
{
    teardown();
    lc__http_config c = {.on_request = on_request_big};
    ck_assert_int_eq(lc__http_server_start(&c, &server, NULL), LC_OK);
    for (int i = 0; i < 3; i++) {
        int fd = connect_to();
        const char *req = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
        ck_assert_int_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
        close(fd); /* gone before the answer: writing it meets a closed peer */
    }
    usleep(300000);
    int fd = connect_to(); /* still serving */
    ck_assert_int_eq(write(fd, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 27), 27);
    char *r = read_reply(fd, 5000, "\r\n\r\n");
    ck_assert_msg(strncmp(r, "HTTP/1.1 200 OK", 15) == 0, "%s", r);
    close(fd);
}
END_TEST

/* CPU seconds this process has used. */
static double cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
           u.ru_stime.tv_usec / 1e6;
}

/* In a child with few descriptors: two requests the handler holds (nothing to close for room),
 * every other descriptor taken, then a newcomer. Exit status 0: it was answered 503 and the
 * server did not spin; 1: no answer; 2: it spun. */
static int at_the_limit(void)
{
    start(2000, 0); /* the child's own: a fork has no loop thread of its parent's server */
    n_parked = 0;
    const char park[] = "GET /park HTTP/1.1\r\nHost: h\r\n\r\n";
    int held[2];
    for (int i = 0; i < 2; i++) {
        held[i] = connect_to();
        if (write(held[i], park, sizeof park - 1) != (ssize_t)(sizeof park - 1))
            return 3;
    }
    for (int i = 0; i < 100 && n_parked < 2; i++)
        usleep(10000);
    int fd, last = -1;
    while ((fd = open("/dev/null", O_RDONLY)) >= 0)
        last = fd;
    close(last); /* room for the newcomer's own socket only */
    int newcomer = connect_to();
    char *r = read_reply(newcomer, 3000, "\r\n\r\n");
    if (strncmp(r, "HTTP/1.1 503", 12) != 0)
        return 1;
    double before = cpu_seconds();
    usleep(500000);
    return cpu_seconds() - before > 0.25 ? 2 : 0;
}

/* At the process's descriptor limit a newcomer is answered (503) and the loop does not spin on
 * a listening socket it cannot accept from. */
START_TEST(at_the_descriptor_limit_a_newcomer_is_answered_and_the_loop_does_not_spin)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct rlimit lim;
        getrlimit(RLIMIT_NOFILE, &lim);
        int probe = open("/dev/null", O_RDONLY); /* the lowest free descriptor */
        close(probe);
        lim.rlim_cur = (rlim_t)probe + 16;
        _exit(setrlimit(RLIMIT_NOFILE, &lim) == 0 ? at_the_limit() : 4);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "status %d (1: no answer, 2: the loop spun)", status);
}
END_TEST

Suite *http_server_suite(void)
{
    Suite *s = suite_create("http_server");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_test(core, a_request_is_answered_with_its_parts);
    tcase_add_test(core, keep_alive_and_pipelined_requests_are_answered_in_order);
    tcase_add_test(core, a_chunked_body_and_its_trailers_are_read);
    tcase_add_test(core, an_answer_may_come_from_another_thread);
    tcase_add_test(core, http_1_0_closes_unless_kept_alive);
    tcase_add_test(core, expect_continue_is_answered);
    suite_add_tcase(s, core);
    TCase *errors = tcase_create("errors");
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_add_test(errors, malformed_requests_are_answered_not_dropped);
    tcase_add_test(errors, a_head_with_bare_line_feeds_is_answered_at_once);
    tcase_add_test(errors, heads_and_bodies_over_their_caps_are_refused);
    suite_add_tcase(s, errors);
    TCase *limits = tcase_create("limits");
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_add_test(limits, a_slow_request_gets_408);
    tcase_add_test(limits, a_streamed_body_may_take_as_long_as_it_keeps_moving);
    tcase_add_test(limits, idle_connections_starve_no_one);
    tcase_add_test(limits, a_full_server_closes_the_least_recently_active_idle_connection);
    tcase_add_test(limits, a_server_full_of_requests_being_handled_answers_a_newcomer_503);
    tcase_add_test(limits, a_full_server_of_slow_requests_closes_the_slowest_for_a_newcomer);
    tcase_add_test(limits, a_client_that_leaves_early_does_not_end_the_server);
    suite_add_tcase(s, limits);
    /* Lowers RLIMIT_NOFILE in a child: valgrind keeps descriptors of its own under that limit
     * and fakes the rest, so `make valgrind` leaves this case out (CK_EXCLUDE_TAGS). */
    TCase *descriptors = tcase_create("descriptors");
    tcase_set_tags(descriptors, "process-limits");
    /* no fixture: the test forks, and a server's thread running in the parent at that moment
       could hold an allocator lock (ASan's) that the child would then wait on forever */
    tcase_set_timeout(descriptors, 20);
    tcase_add_test(descriptors,
                   at_the_descriptor_limit_a_newcomer_is_answered_and_the_loop_does_not_spin);
    suite_add_tcase(s, descriptors);
    return s;
}
