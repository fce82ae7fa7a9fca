#include "http_server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "lambdacheck/context.h"

#define MAX_FIELDS 128        /* headers of one request, and trailers */
#define READ_CHUNK 65536
#define TICK_MS 100           /* how often timeouts are looked at */
#define CHUNK_LINE_MAX 1024   /* a chunk-size line with its extensions */

/* --- answers ------------------------------------------------------------------------------------ */

typedef struct answer {
    lc_buf head;               /* status line and headers */
    const char *body;
    size_t body_len;
    void (*release)(void *);   /* of body; NULL when body is owned (copied) */
    char *owned;               /* the copied body */
    size_t sent;               /* of head + body */
    bool close;                /* close the connection once sent */
} answer;

static void answer_free(answer *a)
{
    if (a == NULL)
        return;
    if (a->release && a->body)
        a->release((void *)a->body);
    free(a->owned);
    lc_buf_free(&a->head);
    free(a);
}

/* --- connections ---------------------------------------------------------------------------------- */

typedef enum {
    C_HEAD,       /* reading a request's head */
    C_LENGTH,     /* reading a body of Content-Length bytes */
    C_CHUNK_SIZE, /* reading a chunk-size line */
    C_CHUNK_DATA, /* reading a chunk's bytes */
    C_CHUNK_END,  /* reading the CRLF after a chunk */
    C_TRAILERS,   /* reading the trailer lines of a chunked body */
    C_HANDLING,   /* the handler has the request */
    C_WRITING,    /* an answer is being written */
} conn_state;

typedef struct conn {
    struct conn *prev, *next;
    lc__http_server *s;
    int fd;
    conn_state state;
    char *in;                  /* bytes read and not yet parsed */
    size_t in_len, in_cap;
    char *head;                /* the request's head, NUL-split; fields point into it */
    lc__http_field fields[MAX_FIELDS];
    char *trailer_text;        /* trailer lines, NUL-split */
    size_t trailer_len;
    lc__http_field trailers[MAX_FIELDS];
    size_t n_trailers;
    lc__http_request req;
    uint64_t remaining;        /* of the body, or of the current chunk */
    size_t cap;                /* bytes of body kept */
    bool keep_alive;
    bool peer_done;            /* the client shut down its side */
    bool dead;                 /* the connection failed while the handler had the request */
    int64_t request_start_ms;  /* first byte of the request in progress; 0: none */
    int64_t active_ms;         /* last byte in or out */
    answer *out;               /* being written */
    unsigned events;           /* registered with epoll */
    bool registered;
    bool dispatching;          /* inside the handler: an answer given now is only attached */
    bool ready;                /* on the server's ready list: answered, to be driven */
    struct conn *next_ready;
    char *target_copy;         /* target, path and query when the target has a query */
    EVP_MD_CTX *sha;           /* with hash_bodies: the body's hash so far */
    char peer[48];             /* the client's address */
} conn;

/* An answer made in another thread, queued for the loop. */
typedef struct pending {
    struct pending *next;
    conn *c;
    answer *a;                 /* NULL: drop the connection */
} pending;

struct lc__http_server {
    lc__http_config cfg;
    int listen_fd, epoll_fd, wake_fd;
    uint16_t port;
    pthread_t thread;
    pthread_mutex_t mu;
    pending *queue;            /* answers from other threads (mu) */
    bool stopping;             /* (mu) */
    conn *conns;               /* every open connection, the most recently active first (loop
                                  thread) */
    conn *conns_tail;          /* the least recently active */
    int spare_fd;              /* a descriptor kept in reserve: at the process's descriptor
                                  limit it is closed to accept and refuse a newcomer, so that
                                  the listening socket never stays ready unanswered */
    bool listen_paused;        /* the listener is out of the epoll set until a descriptor is
                                  free again (the spare could not be had back) */
    conn *ready;               /* answered in the loop, driven after the current handler */
    conn *graveyard;           /* closed during an epoll batch, freed after it */
    size_t n_conns;
    size_t handling;           /* requests the handler has (loop thread) */
    int64_t last_tick_ms;
};

static void close_conn(lc__http_server *s, conn *c);
static bool in_request(const conn *c);
static void touch(conn *c);

static int64_t now_ms(void)
{
    return lc_monotonic_ns() / 1000000;
}

const char *lc__http_reason(int status)
{
    static const struct {
        int status;
        const char *reason;
    } reasons[] = {{100, "Continue"}, {200, "OK"}, {201, "Created"}, {202, "Accepted"},
                   {203, "Non-Authoritative Information"}, {204, "No Content"},
                   {205, "Reset Content"}, {206, "Partial Content"}, {300, "Multiple Choices"},
                   {301, "Moved Permanently"}, {302, "Found"}, {303, "See Other"},
                   {304, "Not Modified"}, {307, "Temporary Redirect"},
                   {308, "Permanent Redirect"}, {400, "Bad Request"}, {401, "Unauthorized"},
                   {402, "Payment Required"}, {403, "Forbidden"}, {404, "Not Found"},
                   {405, "Method Not Allowed"}, {406, "Not Acceptable"}, {408, "Request Timeout"},
                   {409, "Conflict"}, {410, "Gone"}, {411, "Length Required"},
                   {412, "Precondition Failed"}, {413, "Content Too Large"},
                   {414, "URI Too Long"}, {415, "Unsupported Media Type"},
                   {416, "Range Not Satisfiable"}, {417, "Expectation Failed"},
                   {418, "I'm a teapot"}, {422, "Unprocessable Content"},
                   {425, "Too Early"}, {426, "Upgrade Required"}, {428, "Precondition Required"},
                   {429, "Too Many Requests"}, {431, "Request Header Fields Too Large"},
                   {451, "Unavailable For Legal Reasons"}, {500, "Internal Server Error"},
                   {501, "Not Implemented"}, {502, "Bad Gateway"}, {503, "Service Unavailable"},
                   {504, "Gateway Timeout"}, {505, "HTTP Version Not Supported"}};
    for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++)
        if (reasons[i].status == status)
            return reasons[i].reason;
    return "Unknown";
}

/* Registers the events to wait for; 0 takes the connection out of epoll altogether, so a
 * hang-up (always reported) cannot spin the loop while the handler has the request. */
static void watch(lc__http_server *s, conn *c, unsigned events)
{
    if (c->fd < 0 || (c->registered && c->events == events))
        return;
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (events == 0) {
        if (c->registered)
            epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
        c->registered = false;
    } else {
        epoll_ctl(s->epoll_fd, c->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev);
        c->registered = true;
    }
    c->events = events;
}

/* --- making answers ------------------------------------------------------------------------------ */

static bool no_body(int status)
{
    return status < 200 || status == 204 || status == 304;
}

static answer *make_answer(int status, const char *const *headers, const void *body, size_t len,
                           void (*release)(void *), bool close, bool head_only)
{
    answer *a = calloc(1, sizeof *a);
    if (a == NULL) {
        if (release && body)
            release((void *)body);
        return NULL;
    }
    lc_buf_init(&a->head, 0);
    lc_buf_printf(&a->head, "HTTP/1.1 %d %s\r\n", status, lc__http_reason(status));
    for (const char *const *h = headers; h && *h; h++)
        lc_buf_printf(&a->head, "%s\r\n", *h);
    if (!no_body(status))
        lc_buf_printf(&a->head, "Content-Length: %zu\r\n", len);
    if (close)
        lc_buf_puts(&a->head, "Connection: close\r\n");
    lc_buf_puts(&a->head, "\r\n");
    a->close = close;
    bool send_body = !no_body(status) && !head_only && len > 0;
    if (release) {
        a->body = body;
        a->release = release;
    } else if (send_body) {
        a->owned = malloc(len);
        if (a->owned)
            memcpy(a->owned, body, len);
        a->body = a->owned;
    }
    a->body_len = send_body && a->body ? len : 0;
    return a;
}

/* An answer the server makes itself; the connection closes after it. */
static answer *server_answer(lc__http_server *s, int status, const char *message)
{
    lc_buf body;
    lc_buf_init(&body, 0);
    const char *type = "text/plain; charset=utf-8";
    if (s->cfg.error_body)
        s->cfg.error_body(s->cfg.ctx, status, message, &body, &type);
    else
        lc_buf_printf(&body, "%s\n", message);
    char content_type[160];
    snprintf(content_type, sizeof content_type, "Content-Type: %s", type);
    const char *headers[] = {content_type, NULL};
    answer *a = make_answer(status, headers, body.data ? body.data : "", body.len, NULL, true, false);
    lc_buf_free(&body);
    return a;
}

/* --- writing ------------------------------------------------------------------------------------- */

static void reset_request(conn *c);
static bool advance(lc__http_server *s, conn *c);

typedef enum { W_DONE, W_BLOCKED, W_GONE } write_result;

/* Writes what it can of the answer. Done: the connection is ready for its next request. */
static write_result write_answer(lc__http_server *s, conn *c)
{
    answer *a = c->out;
    for (;;) {
        size_t hl = a->head.len;
        struct iovec iov[2];
        int n = 0;
        if (a->sent < hl)
            iov[n++] = (struct iovec){a->head.data + a->sent, hl - a->sent};
        size_t body_off = a->sent > hl ? a->sent - hl : 0;
        if (body_off < a->body_len)
            iov[n++] = (struct iovec){(char *)a->body + body_off, a->body_len - body_off};
        if (n == 0)
            break;
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
        ssize_t w = sendmsg(c->fd, &msg, MSG_NOSIGNAL); /* a client gone: EPIPE, not SIGPIPE */
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            watch(s, c, EPOLLOUT);
            return W_BLOCKED;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            close_conn(s, c);
            return W_GONE;
        }
        a->sent += (size_t)w;
        touch(c);
    }
    bool close = a->close || !c->keep_alive;
    answer_free(a);
    c->out = NULL;
    if (close) {
        close_conn(s, c);
        return W_GONE;
    }
    reset_request(c);
    watch(s, c, EPOLLIN);
    return W_DONE;
}

/* Attaches an answer; the connection's driver writes it. */
static void attach(conn *c, answer *a)
{
    c->out = a;
    c->state = C_WRITING;
}

/* An answer the server makes itself: the connection closes after it. */
static void fail_request(lc__http_server *s, conn *c, int status, const char *message)
{
    c->keep_alive = false;
    answer *a = server_answer(s, status, message);
    if (a == NULL) {
        close_conn(s, c);
        return;
    }
    attach(c, a);
}

/* --- parsing the head ------------------------------------------------------------------------------ */

static bool tchar(unsigned char ch)
{
    return isalnum(ch) || strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
    return s;
}

/* Splits "Name: value" lines, each ending in `sep` NULs, into fields. 0, or the status to
 * answer. */
static int parse_fields(char *text, size_t len, size_t sep, lc__http_field *fields, size_t *n,
                        const char **why)
{
    *n = 0;
    for (char *line = text; line < text + len;) {
        char *end = line + strlen(line);
        if (*line == ' ' || *line == '\t')
            return *why = "header lines may not be folded (obs-fold)", 400;
        char *colon = strchr(line, ':');
        if (colon == NULL || colon == line)
            return *why = "a header line has no name", 400;
        for (char *p = line; p < colon; p++)
            if (!tchar((unsigned char)*p))
                return *why = "a header name has a character a name may not have", 400;
        for (char *p = colon + 1; p < end; p++)
            if ((unsigned char)*p < 0x20 && *p != '\t')
                return *why = "a header value has a control character", 400;
        if (*n == MAX_FIELDS)
            return *why = "too many header fields", 431;
        *colon = '\0';
        fields[(*n)++] = (lc__http_field){line, trim(colon + 1)};
        line = end + sep;
    }
    return 0;
}

/* Copies the head (up to the blank line) and splits it into NUL-terminated lines. */
static char *split_lines(const char *head, size_t len)
{
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, head, len);
    copy[len] = '\0';
    for (char *p = copy; (p = strstr(p, "\r\n")) != NULL; p += 2)
        p[0] = p[1] = '\0';
    return copy;
}

static int parse_request_line(conn *c, char *line, const char **why)
{
    char *sp1 = strchr(line, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (sp1 == NULL || sp2 == NULL || strchr(sp2 + 1, ' '))
        return *why = "the request line is not METHOD TARGET VERSION", 400;
    *sp1 = *sp2 = '\0';
    const char *version = sp2 + 1;
    if (sp1 == line || sp1 - line > 15)
        return *why = "the method is empty or too long", 400;
    for (char *p = line; *p; p++)
        if (!tchar((unsigned char)*p))
            return *why = "the method has a character a method may not have", 400;
    for (char *p = sp1 + 1; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p == 0x7f)
            return *why = "the request target has a control character", 400;
    if (sp1[1] == '\0')
        return *why = "the request target is empty", 400;
    if (strncmp(version, "HTTP/", 5) != 0 || !isdigit((unsigned char)version[5]) ||
        version[6] != '.' || !isdigit((unsigned char)version[7]) || version[8])
        return *why = "the version is not HTTP/1.0 or HTTP/1.1", 400;
    if (version[5] != '1')
        return *why = "only HTTP/1.0 and HTTP/1.1 are served", 505;
    c->req.method = line;
    c->req.target = sp1 + 1;
    c->req.minor_version = version[7] - '0';
    return 0;
}

const char *lc__http_header(const lc__http_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

const char *lc__http_trailer(const lc__http_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_trailers; i++)
        if (strcasecmp(req->trailers[i].name, name) == 0)
            return req->trailers[i].value;
    return NULL;
}

/* The next item of a comma-separated field value, trimmed (cut at 63 bytes), into item;
 * advances *v past it. */
static char *next_item(const char **v, char item[64])
{
    size_t n = strcspn(*v, ",");
    snprintf(item, 64, "%.*s", (int)(n < 63 ? n : 63), *v);
    *v += n + ((*v)[n] == ',');
    return trim(item);
}

/* Content-Length: every occurrence, and every item of a list, the same digits. */
static int content_length(const lc__http_request *req, uint64_t *out, bool *present,
                          const char **why)
{
    *present = false;
    for (size_t i = 0; i < req->n_headers; i++) {
        if (strcasecmp(req->headers[i].name, "Content-Length") != 0)
            continue;
        for (const char *v = req->headers[i].value; *v;) {
            char item[64];
            char *t = next_item(&v, item);
            if (t[0] == '\0' || strspn(t, "0123456789") != strlen(t))
                return *why = "Content-Length is not a number", 400;
            if (strlen(t) > 15)
                return *why = "Content-Length is larger than this server reads", 413;
            uint64_t value = strtoull(t, NULL, 10);
            if (*present && value != *out)
                return *why = "the request has two different Content-Length values", 400;
            *out = value;
            *present = true;
        }
    }
    return 0;
}

/* The number of fields of that name (case-insensitive). */
static size_t header_count(const lc__http_request *req, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < req->n_headers; i++)
        n += strcasecmp(req->headers[i].name, name) == 0;
    return n;
}

/* Every Transfer-Encoding field as one list (RFC 9112 6.1): chunked must be the last coding,
 * else the length cannot be known (400), and only once ("A sender MUST NOT apply the chunked
 * transfer coding more than once", 7.1: a proxy that refuses it and a server that decodes it
 * once would read two requests differently); any other coding is not served (501). */
static int transfer_codings(const lc__http_request *req, const char **why)
{
    const char *last = NULL;
    bool others = false, twice = false;
    for (size_t i = 0; i < req->n_headers; i++) {
        if (strcasecmp(req->headers[i].name, "Transfer-Encoding") != 0)
            continue;
        for (const char *v = req->headers[i].value; *v;) {
            char item[64];
            char *t = next_item(&v, item);
            if (t[0]) {
                twice = twice || (last && strcmp(last, "chunked") == 0 &&
                                  strcasecmp(t, "chunked") == 0);
                others = others || (last && strcasecmp(last, "chunked") != 0);
                last = strcasecmp(t, "chunked") == 0 ? "chunked" : "other";
                others = others || strcmp(last, "other") == 0;
            }
        }
    }
    if (last == NULL || strcmp(last, "chunked") != 0)
        return *why = "the last Transfer-Encoding must be chunked", 400;
    if (twice)
        return *why = "chunked is applied more than once", 400;
    if (others)
        return *why = "only the chunked Transfer-Encoding is served", 501;
    return 0;
}

/* How the body is framed: by length, chunked, or none. RFC 9112: a request with
 * Transfer-Encoding and Content-Length, or with Transfer-Encoding in HTTP/1.0, is faulty (400;
 * the connection closes after the answer). */
static int framing(conn *c, const char **why)
{
    bool te = header_count(&c->req, "Transfer-Encoding") > 0;
    uint64_t length = 0;
    bool has_length;
    int st = content_length(&c->req, &length, &has_length, why);
    if (st)
        return st;
    if (te && has_length)
        return *why = "the request has both Transfer-Encoding and Content-Length", 400;
    if (te && c->req.minor_version == 0)
        return *why = "an HTTP/1.0 request cannot use Transfer-Encoding", 400;
    if (te) {
        if ((st = transfer_codings(&c->req, why)) != 0)
            return st;
        c->state = C_CHUNK_SIZE;
        return 0;
    }
    c->remaining = length;
    c->state = length ? C_LENGTH : C_HANDLING;
    return 0;
}

/* RFC 9112 3.2: an HTTP/1.1 request without Host, and any request with two, is answered 400. */
static int host_field(const conn *c, const char **why)
{
    size_t hosts = header_count(&c->req, "Host");
    if (hosts > 1)
        return *why = "the request has two Host fields", 400;
    if (hosts == 0 && c->req.minor_version >= 1)
        return *why = "an HTTP/1.1 request needs a Host field", 400;
    return 0;
}

static void keep_alive(conn *c)
{
    const char *v = lc__http_header(&c->req, "Connection");
    if (c->req.minor_version == 0)
        c->keep_alive = v && strcasecmp(v, "keep-alive") == 0;
    else
        c->keep_alive = !(v && strcasecmp(v, "close") == 0);
}

static void split_target(conn *c)
{
    char *q = strchr((char *)c->req.target, '?');
    static const char empty[] = "";
    c->req.path = c->req.target;
    c->req.query = empty;
    if (q) { /* the target is in c->head: copy it before splitting, so target stays whole */
        size_t n = strlen(c->req.target);
        char *copy = malloc(2 * n + 2);
        if (copy == NULL)
            return;
        memcpy(copy, c->req.target, n + 1);
        memcpy(copy + n + 1, c->req.target, n + 1);
        char *path = copy + n + 1;
        path[q - c->req.target] = '\0';
        c->req.path = path;
        c->req.query = path + (q - c->req.target) + 1;
        c->req.target = copy;
        c->target_copy = copy;
    }
}

static int parse_head(lc__http_server *s, conn *c, size_t head_len, const char **why)
{
    c->head = split_lines(c->in, head_len);
    if (c->head == NULL)
        return *why = "out of memory", 503;
    size_t line_len = strlen(c->head);
    int st = parse_request_line(c, c->head, why);
    size_t n = 0;
    if (st == 0)
        st = parse_fields(c->head + line_len + 2, head_len - line_len - 4, 2, c->fields, &n, why);
    c->req.headers = c->fields;
    c->req.n_headers = n;
    if (st == 0)
        st = host_field(c, why);
    if (st == 0)
        st = framing(c, why);
    if (st)
        return st;
    keep_alive(c);
    split_target(c);
    c->cap = s->cfg.body_cap ? s->cfg.body_cap(s->cfg.ctx, &c->req) : s->cfg.max_body;
    c->req.streamed = s->cfg.streams && s->cfg.on_body && s->cfg.streams(s->cfg.ctx, &c->req);
    lc_buf_init(&c->req.body, 0);
    if (s->cfg.hash_bodies && (c->sha = EVP_MD_CTX_new()) != NULL &&
        EVP_DigestInit_ex(c->sha, EVP_sha256(), NULL) != 1)
        return *why = "cannot hash the body", 503;
    return 0;
}

/* --- the body ------------------------------------------------------------------------------------ */

/* Body bytes: kept up to the cap, counted past it. 413 when past even the discard limit. */
static int take_body(lc__http_server *s, conn *c, const char *data, size_t n)
{
    if (c->req.streamed)
        s->cfg.on_body(s->cfg.ctx, &c->req, data, n);
    if (c->sha)
        EVP_DigestUpdate(c->sha, data, n);
    c->req.body_size += n;
    if (c->req.body_size <= c->cap) {
        if (lc_buf_append(&c->req.body, data, n) != LC_OK)
            return 503;
    } else if (!c->req.over_cap) {
        c->req.over_cap = true;
        size_t room = c->cap - (c->req.body_size - n);
        if (c->req.streamed) /* a stream keeps its first cap bytes */
            lc_buf_append(&c->req.body, data, room);
        else
            lc_buf_free(&c->req.body);
    }
    if (c->req.body_size > c->cap + s->cfg.max_discard)
        return 413;
    return 0;
}

static void consume(conn *c, size_t n)
{
    memmove(c->in, c->in + n, c->in_len - n);
    c->in_len -= n;
}

/* A line ending in CRLF at the start of the input: its length without CRLF, or -1 if not yet. */
static long line_length(const conn *c)
{
    for (size_t i = 0; i + 1 < c->in_len; i++)
        if (c->in[i] == '\r' && c->in[i + 1] == '\n')
            return (long)i;
    return -1;
}

static int chunk_size_line(conn *c, const char **why)
{
    long n = line_length(c);
    if (n < 0)
        return c->in_len > CHUNK_LINE_MAX ? (*why = "a chunk-size line is too long", 400) : -1;
    char line[CHUNK_LINE_MAX + 1];
    snprintf(line, sizeof line, "%.*s", (int)n, c->in);
    consume(c, (size_t)n + 2);
    size_t digits = strspn(line, "0123456789abcdefABCDEF");
    size_t blanks = strspn(line + digits, " \t"); /* BWS before a chunk extension */
    char after = line[digits + blanks];
    if (digits == 0 || digits > 15 || (after && after != ';') || (blanks && !after))
        return *why = "a chunk size is not a hexadecimal number (an extension starts with ';')",
               400;
    c->remaining = strtoull(line, NULL, 16);
    c->state = c->remaining ? C_CHUNK_DATA : C_TRAILERS;
    return 0;
}

static int trailer_line(conn *c, const char **why)
{
    long n = line_length(c);
    if (n < 0)
        return c->in_len > CHUNK_LINE_MAX * 64 ? (*why = "the trailers are too long", 431) : -1;
    if (n == 0) {
        consume(c, 2);
        c->state = C_HANDLING;
        size_t count = 0;
        int st = parse_fields(c->trailer_text ? c->trailer_text : (char *)"", c->trailer_len, 1,
                              c->trailers, &count, why);
        c->n_trailers = count;
        c->req.trailers = c->trailers;
        c->req.n_trailers = count;
        return st;
    }
    char *grown = realloc(c->trailer_text, c->trailer_len + (size_t)n + 1);
    if (grown == NULL)
        return *why = "out of memory", 503;
    memcpy(grown + c->trailer_len, c->in, (size_t)n);
    grown[c->trailer_len + (size_t)n] = '\0';
    c->trailer_text = grown;
    c->trailer_len += (size_t)n + 1;
    consume(c, (size_t)n + 2);
    return 0;
}

/* One step of reading a body from the buffered input: 0 progressed, -1 needs more, else a
 * status to answer. */
static int body_step(lc__http_server *s, conn *c, const char **why)
{
    if (c->state == C_CHUNK_SIZE)
        return chunk_size_line(c, why);
    if (c->state == C_TRAILERS)
        return trailer_line(c, why);
    if (c->state == C_CHUNK_END) {
        if (c->in_len < 2)
            return -1;
        if (c->in[0] != '\r' || c->in[1] != '\n')
            return *why = "a chunk is not followed by CRLF", 400;
        consume(c, 2);
        c->state = C_CHUNK_SIZE;
        return 0;
    }
    if (c->in_len == 0)
        return -1;
    size_t n = c->in_len < c->remaining ? c->in_len : (size_t)c->remaining;
    int st = take_body(s, c, c->in, n);
    if (st == 413 && c->req.streamed) { /* the handler answers a stream past every limit, and
                                           the connection closes after that answer */
        c->keep_alive = false;
        c->state = C_HANDLING;
        return 0;
    }
    if (st)
        return *why = "the request body is too large", st;
    consume(c, n);
    c->remaining -= n;
    if (c->remaining == 0)
        c->state = c->state == C_LENGTH ? C_HANDLING : C_CHUNK_END;
    return 0;
}

/* --- handing requests over -------------------------------------------------------------------------- */

/* The body's hash, once it is all in. */
static void finish_hash(conn *c)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    c->req.body_sha256[0] = '\0';
    if (c->sha == NULL || EVP_DigestFinal_ex(c->sha, digest, &n) != 1 || n != 32)
        return;
    for (unsigned i = 0; i < n; i++)
        snprintf(c->req.body_sha256 + 2 * i, 3, "%02x", digest[i]);
}

static void hand_over(lc__http_server *s, conn *c)
{
    finish_hash(c);
    c->state = C_HANDLING;
    c->request_start_ms = 0;
    s->handling++;
    watch(s, c, 0); /* nothing more is read until this is answered */
    c->dispatching = true;
    s->cfg.on_request(s->cfg.ctx, &c->req);
    c->dispatching = false;
}

static void reset_request(conn *c)
{
    EVP_MD_CTX_free(c->sha);
    c->sha = NULL;
    free(c->head);
    free(c->trailer_text);
    free(c->target_copy);
    c->target_copy = NULL;
    lc_buf_free(&c->req.body);
    memset(&c->req, 0, sizeof c->req);
    c->req.peer = c->peer;
    c->head = NULL;
    c->trailer_text = NULL;
    c->trailer_len = 0;
    c->n_trailers = 0;
    c->remaining = 0;
    c->state = C_HEAD;
}

static void send_continue(conn *c)
{
    const char *expect = lc__http_header(&c->req, "Expect");
    static const char reply[] = "HTTP/1.1 100 Continue\r\n\r\n";
    if (expect && strcasecmp(expect, "100-continue") == 0 && c->req.minor_version == 1 &&
        c->in_len == 0)
        (void)!send(c->fd, reply, sizeof reply - 1, MSG_NOSIGNAL); /* a fresh socket takes them */
}

/* Parses a head from what is buffered: false when more is needed (or the request failed). */
static bool parse_head_step(lc__http_server *s, conn *c)
{
    char *end = c->in_len >= 4 ? memmem(c->in, c->in_len, "\r\n\r\n", 4) : NULL;
    size_t head_len = end ? (size_t)(end - c->in) + 4 : 0;
    if ((end == NULL && c->in_len > s->cfg.max_head) || head_len > s->cfg.max_head + 4) {
        fail_request(s, c, 431, "the request head is larger than this server reads");
        return true;
    }
    /* a head ended by bare line feeds would wait for a CRLF CRLF that never comes: answered at
       once instead (RFC 9112, 2.2: a recipient MAY accept bare LF; this server does not) */
    if (end == NULL && c->in_len >= 2 && memmem(c->in, c->in_len, "\n\n", 2)) {
        fail_request(s, c, 400, "the lines of the request head must end in CRLF, not a bare LF");
        return true;
    }
    if (end == NULL)
        return false;
    const char *why = NULL;
    int st = parse_head(s, c, head_len, &why);
    consume(c, head_len);
    if (st)
        fail_request(s, c, st, why);
    else if (c->state != C_HANDLING)
        send_continue(c);
    return true;
}

/* One step of reading the buffered input: true when it progressed. */
static bool parse_step(lc__http_server *s, conn *c)
{
    if (c->in_len > 0 && c->request_start_ms == 0)
        c->request_start_ms = now_ms();
    if (c->state == C_HEAD)
        return parse_head_step(s, c);
    const char *why = NULL;
    int st = body_step(s, c, &why);
    if (st > 0)
        fail_request(s, c, st, why);
    return st >= 0;
}

/* Drives a connection as far as it goes without waiting: parses, hands a complete request over,
 * writes answers, and goes on with a request pipelined behind. False when the connection is
 * gone (it must not be touched then). */
static bool advance(lc__http_server *s, conn *c)
{
    for (;;) {
        if (c->state == C_WRITING) {
            write_result w = write_answer(s, c);
            if (w != W_DONE)
                return w != W_GONE;
            continue;
        }
        if (c->state == C_HANDLING)
            return true;
        bool progressed = parse_step(s, c);
        if (c->state == C_HANDLING) {
            hand_over(s, c); /* answered at once, it is C_WRITING now */
            if (c->fd < 0)   /* dropped or detached by the handler: buried already */
                return false;
        } else if (!progressed)
            return true;
    }
}

/* --- reading ---------------------------------------------------------------------------------------- */

static bool in_request(const conn *c)
{
    return c->state != C_HEAD || c->in_len > 0;
}

static void read_input(lc__http_server *s, conn *c)
{
    for (;;) {
        if (c->in_cap - c->in_len < READ_CHUNK) {
            char *grown = realloc(c->in, c->in_len + READ_CHUNK);
            if (grown == NULL) {
                close_conn(s, c);
                return;
            }
            c->in = grown;
            c->in_cap = c->in_len + READ_CHUNK;
        }
        ssize_t n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
        if (n > 0) {
            c->in_len += (size_t)n;
            touch(c);
            if (!advance(s, c) || c->state == C_HANDLING || c->state == C_WRITING)
                return;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n < 0 && errno == EINTR)
            continue;
        c->peer_done = true; /* EOF or an error */
        if (n == 0 && in_request(c)) { /* a half-closed client still reads its answer */
            fail_request(s, c, 400, "the request was cut off: the connection ended before it "
                                    "was complete");
            if (c->fd >= 0)
                advance(s, c);
        } else {
            close_conn(s, c);
        }
        return;
    }
}

/* --- connections --------------------------------------------------------------------------------------- */

static void free_conn(conn *c)
{
    reset_request(c);
    answer_free(c->out);
    free(c->in);
    free(c);
}

static void unlink_conn(lc__http_server *s, conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        s->conns_tail = c->prev;
    c->prev = c->next = NULL;
    s->n_conns--;
}

static void link_first(lc__http_server *s, conn *c)
{
    c->prev = NULL;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    else
        s->conns_tail = c;
    s->conns = c;
    s->n_conns++;
}

/* A byte in or out: the connection is the most recently active. */
static void touch(conn *c)
{
    lc__http_server *s = c->s;
    c->active_ms = now_ms();
    if (s->conns != c) {
        unlink_conn(s, c);
        link_first(s, c);
    }
}

/* Unlinks a closed connection; it is freed after the current epoll batch, whose later events
 * may still point at it. */
static void bury(lc__http_server *s, conn *c)
{
    unlink_conn(s, c);
    c->next = s->graveyard;
    s->graveyard = c;
}

static void free_graveyard(lc__http_server *s)
{
    while (s->graveyard) {
        conn *c = s->graveyard;
        s->graveyard = c->next;
        free_conn(c);
    }
}

/* Closes the socket. A connection whose request the handler has stays (dead) until answered. */
static void close_conn(lc__http_server *s, conn *c)
{
    if (c->fd >= 0) {
        if (c->registered)
            epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
        c->registered = false;
    }
    if (c->state == C_HANDLING || c->ready) { /* freed once answered, or once off the list */
        c->dead = true;
        return;
    }
    bury(s, c);
}

static void refuse_connection(int fd)
{
    static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                               "Content-Length: 39\r\nConnection: close\r\n\r\n"
                               "too many connections: try again later\r\n";
    (void)!send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL);
    close(fd);
}

/* Makes room for a newcomer on a full server: closes the least recently active connection with
 * no request in progress, else the one whose request has been arriving longest (a slow client).
 * Connections whose requests the handler has, or whose answers are being written, are kept. True
 * when one was closed. */
static bool make_room(lc__http_server *s)
{
    conn *slow = NULL;
    for (conn *c = s->conns_tail; c; c = c->prev) {
        if (c->fd < 0 || c->state == C_HANDLING || c->state == C_WRITING || c->ready)
            continue;
        if (!in_request(c)) {
            close_conn(s, c);
            return true;
        }
        if (slow == NULL || c->request_start_ms < slow->request_start_ms)
            slow = c;
    }
    if (slow == NULL)
        return false;
    close_conn(s, slow);
    return true;
}

static void take_spare(lc__http_server *s)
{
    if (s->spare_fd < 0)
        s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* At the process's descriptor limit: make room, else accept the newcomer on the spare descriptor
 * and refuse it, so that the listening socket does not stay ready (a busy loop) and the client
 * is answered. Without a spare, the listener pauses until a tick finds a descriptor free. True
 * when accepting may go on (accept4 fails with EMFILE before it looks for a newcomer: false once
 * none is waiting). */
static bool at_descriptor_limit(lc__http_server *s)
{
    if (make_room(s))
        return true;
    int fd = -1;
    if (s->spare_fd >= 0) {
        close(s->spare_fd);
        s->spare_fd = -1;
        fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0)
            refuse_connection(fd);
        take_spare(s);
    }
    if (s->spare_fd < 0 && !s->listen_paused) {
        epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, s->listen_fd, NULL);
        s->listen_paused = true;
    }
    return fd >= 0 && !s->listen_paused;
}

/* A paused listener listens again once the spare descriptor can be had back. */
static void resume_listening(lc__http_server *s)
{
    take_spare(s);
    if (!s->listen_paused || s->spare_fd < 0 || s->listen_fd < 0)
        return;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->listen_fd, &ev) == 0)
        s->listen_paused = false;
}

/* The client's IP address as text ("127.0.0.1", "::1"); "" when unknown. */
static void peer_address(int fd, char *out, size_t size)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    out[0] = '\0';
    if (getpeername(fd, (struct sockaddr *)&sa, &len) != 0)
        return;
    if (sa.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, out, (socklen_t)size);
    else if (sa.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, out, (socklen_t)size);
}

static void accept_all(lc__http_server *s)
{
    for (;;) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
            if (!at_descriptor_limit(s))
                return;
            continue;
        }
        if (fd < 0)
            return;
        if (s->n_conns >= s->cfg.max_connections && !make_room(s)) {
            refuse_connection(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn *c = calloc(1, sizeof *c);
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->s = s;
        c->fd = fd;
        c->active_ms = now_ms();
        peer_address(fd, c->peer, sizeof c->peer);
        c->req.peer = c->peer;
        link_first(s, c);
        watch(s, c, EPOLLIN);
    }
}

/* --- answers from the handler ----------------------------------------------------------------------- */

static conn *conn_of(lc__http_request *req)
{
    return (conn *)((char *)req - offsetof(conn, req));
}

/* In the loop: an answer (NULL: none) for a request the handler had. */
static void deliver(lc__http_server *s, conn *c, answer *a)
{
    s->handling--;
    c->state = C_HEAD; /* no longer the handler's */
    if (c->dead || a == NULL || c->fd < 0) {
        answer_free(a);
        if (c->fd >= 0)
            close_conn(s, c);
        else
            bury(s, c);
        return;
    }
    attach(c, a);
    if (!c->dispatching && !c->ready) { /* else the driver that called the handler writes it */
        c->ready = true;             /* driven after the current handler returns: never inside */
        c->next_ready = s->ready;
        s->ready = c;
    }
}

/* Drives the connections answered since the last time. */
static void drive_ready(lc__http_server *s)
{
    while (s->ready) {
        conn *c = s->ready;
        s->ready = c->next_ready;
        c->ready = false;
        if (c->fd < 0)
            bury(s, c);
        else
            advance(s, c);
    }
}

static void queue_answer(lc__http_server *s, conn *c, answer *a)
{
    pending *p = malloc(sizeof *p);
    if (p == NULL) { /* the connection still has to leave the handler's hands */
        answer_free(a);
        a = NULL;
    }
    pthread_mutex_lock(&s->mu);
    if (p) {
        *p = (pending){.c = c, .a = a, .next = s->queue};
        s->queue = p;
    }
    pthread_mutex_unlock(&s->mu);
    lc__http_server_wake(s);
}

void lc__http_respond(lc__http_server *s, lc__http_request *req, int status,
                      const char *const *headers, const void *body, size_t len,
                      void (*release)(void *body))
{
    conn *c = conn_of(req);
    bool head_only = req->method && strcmp(req->method, "HEAD") == 0;
    answer *a = make_answer(status, headers, body, len, release, !c->keep_alive, head_only);
    if (lc__http_in_loop(s))
        deliver(s, c, a);
    else
        queue_answer(s, c, a);
}

int lc__http_detach(lc__http_server *s, lc__http_request *req)
{
    conn *c = conn_of(req);
    int fd = c->fd >= 0 ? fcntl(c->fd, F_DUPFD_CLOEXEC, 0) : -1;
    if (fd >= 0) { /* blocking writes: the caller writes its answer as it is made */
        int flags = fcntl(fd, F_GETFL);
        if (flags >= 0)
            fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    }
    lc__http_drop(s, req);
    return fd;
}

void lc__http_drop(lc__http_server *s, lc__http_request *req)
{
    conn *c = conn_of(req);
    c->dead = true;
    if (lc__http_in_loop(s))
        deliver(s, c, NULL);
    else
        queue_answer(s, c, NULL);
}

char *lc__http_take_body(lc__http_request *req, size_t *len)
{
    *len = req->body.len;
    return lc_buf_take(&req->body);
}

/* --- the loop ------------------------------------------------------------------------------------------- */

static void drain_queue(lc__http_server *s)
{
    uint64_t count;
    (void)!read(s->wake_fd, &count, sizeof count);
    pthread_mutex_lock(&s->mu);
    pending *p = s->queue;
    s->queue = NULL;
    pthread_mutex_unlock(&s->mu);
    /* the list is newest first: answer in the order given */
    pending *reversed = NULL;
    while (p) {
        pending *next = p->next;
        p->next = reversed;
        reversed = p;
        p = next;
    }
    for (p = reversed; p;) {
        pending *next = p->next;
        if (p->a == NULL)
            p->c->dead = true;
        deliver(s, p->c, p->a);
        free(p);
        p = next;
    }
}

static void check_timeouts(lc__http_server *s)
{
    int64_t now = now_ms();
    if (now - s->last_tick_ms < TICK_MS)
        return;
    s->last_tick_ms = now;
    resume_listening(s);
    for (conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (c->fd < 0 || c->state == C_HANDLING)
            continue;
        if (c->state == C_WRITING) {
            if (now - c->active_ms > s->cfg.request_timeout_ms)
                close_conn(s, c); /* a client that does not read its answer */
        } else if (c->request_start_ms && now - c->request_start_ms > s->cfg.request_timeout_ms &&
                   !(c->req.streamed && now - c->active_ms <= s->cfg.request_timeout_ms)) {
            /* a streamed body may take as long as its sender keeps it moving */
            fail_request(s, c, 408, "the request did not arrive in time");
            if (c->fd >= 0)
                advance(s, c);
        } else if (!in_request(c) && s->cfg.idle_timeout_ms > 0 &&
                   now - c->active_ms > s->cfg.idle_timeout_ms) {
            close_conn(s, c);
        }
    }
}

static bool stopping(lc__http_server *s)
{
    pthread_mutex_lock(&s->mu);
    bool stop = s->stopping;
    pthread_mutex_unlock(&s->mu);
    return stop;
}

/* Stopping: no new connections, idle ones closed; requests being handled are still answered. */
static void close_idle(lc__http_server *s)
{
    if (s->listen_fd >= 0) {
        if (!s->listen_paused)
            epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, s->listen_fd, NULL);
        close(s->listen_fd);
        s->listen_fd = -1;
    }
    for (conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (c->state != C_HANDLING && c->state != C_WRITING)
            close_conn(s, c);
    }
}

static void handle_event(lc__http_server *s, struct epoll_event *ev)
{
    if (ev->data.ptr == NULL) {
        accept_all(s);
        return;
    }
    if (ev->data.ptr == (void *)s) {
        drain_queue(s);
        if (s->cfg.on_wake)
            s->cfg.on_wake(s->cfg.ctx);
        return;
    }
    conn *c = ev->data.ptr;
    if (c->fd < 0) /* closed earlier in this batch */
        return;
    if (c->state == C_WRITING && (ev->events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
        advance(s, c);
    else if (ev->events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        read_input(s, c);
}

static void *loop_main(void *arg)
{
    lc__http_server *s = arg;
    struct epoll_event events[64];
    for (;;) {
        bool stop = stopping(s);
        if (stop)
            close_idle(s);
        if (stop && s->handling == 0 && s->n_conns == 0)
            break;
        int n = epoll_wait(s->epoll_fd, events, 64, TICK_MS);
        for (int i = 0; i < n; i++) {
            handle_event(s, &events[i]);
            drive_ready(s);
        }
        check_timeouts(s);
        free_graveyard(s);
    }
    return NULL;
}

/* --- lifecycle ---------------------------------------------------------------------------------------- */

static lc_status listen_on(lc__http_server *s, lc_error *err)
{
    const char *host = s->cfg.host ? s->cfg.host : "127.0.0.1";
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->cfg.port)};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "cannot listen on '%s': not an IPv4 address", host);
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (s->listen_fd >= 0)
        setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(s->listen_fd, 512) != 0)
        return lc_error_set(err, LC_EIO, NULL, 0, 0, "cannot listen on %s:%u: %s", host,
                            s->cfg.port, strerror(errno));
    socklen_t len = sizeof addr;
    getsockname(s->listen_fd, (struct sockaddr *)&addr, &len);
    s->port = ntohs(addr.sin_port);
    return LC_OK;
}

/* At most half the descriptors the process may open go to connections, so that a flood of them
 * leaves room for the work they ask for (an environment's process, its Runtime API, files). */
static size_t descriptor_share(size_t wanted)
{
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur == RLIM_INFINITY)
        return wanted;
    size_t half = (size_t)lim.rlim_cur / 2;
    return wanted > half && half > 0 ? half : wanted;
}

static void defaults(lc__http_config *c)
{
    if (c->max_connections == 0)
        c->max_connections = 1024;
    c->max_connections = descriptor_share(c->max_connections);
    if (c->max_head == 0)
        c->max_head = 64 * 1024;
    if (c->max_body == 0)
        c->max_body = 6 * 1024 * 1024;
    if (c->max_discard == 0)
        c->max_discard = 64 * 1024 * 1024;
    if (c->request_timeout_ms <= 0)
        c->request_timeout_ms = 30000;
}

lc_status lc__http_server_start(const lc__http_config *config, lc__http_server **out,
                                lc_error *err)
{
    *out = NULL;
    lc__http_server *s = calloc(1, sizeof *s);
    if (s == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    s->cfg = *config;
    defaults(&s->cfg);
    s->listen_fd = s->epoll_fd = s->wake_fd = s->spare_fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    take_spare(s);
    lc_status st = listen_on(s, err);
    if (st == LC_OK) {
        s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        struct epoll_event listen_ev = {.events = EPOLLIN, .data.ptr = NULL};
        struct epoll_event wake_ev = {.events = EPOLLIN, .data.ptr = s};
        if (s->epoll_fd < 0 || s->wake_fd < 0 ||
            epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->listen_fd, &listen_ev) != 0 ||
            epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->wake_fd, &wake_ev) != 0 ||
            pthread_create(&s->thread, NULL, loop_main, s) != 0)
            st = lc_error_set(err, LC_EIO, NULL, 0, 0, "cannot start the server: %s",
                              strerror(errno));
    }
    if (st != LC_OK) {
        if (s->listen_fd >= 0)
            close(s->listen_fd);
        if (s->epoll_fd >= 0)
            close(s->epoll_fd);
        if (s->wake_fd >= 0)
            close(s->wake_fd);
        if (s->spare_fd >= 0)
            close(s->spare_fd);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return st;
    }
    *out = s;
    return LC_OK;
}

void lc__http_server_stop(lc__http_server *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_mutex_unlock(&s->mu);
    lc__http_server_wake(s);
}

void lc__http_server_free(lc__http_server *s)
{
    if (s == NULL)
        return;
    lc__http_server_stop(s);
    pthread_join(s->thread, NULL);
    for (conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (c->fd >= 0)
            close(c->fd);
        free_conn(c);
    }
    free_graveyard(s);
    close(s->epoll_fd);
    close(s->wake_fd);
    if (s->spare_fd >= 0)
        close(s->spare_fd);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

uint16_t lc__http_server_port(const lc__http_server *s)
{
    return s->port;
}

void lc__http_server_wake(lc__http_server *s)
{
    uint64_t one = 1;
    (void)!write(s->wake_fd, &one, sizeof one);
}

bool lc__http_in_loop(const lc__http_server *s)
{
    return pthread_equal(pthread_self(), s->thread);
}
