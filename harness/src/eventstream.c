#include "lambdacheck/eventstream.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <zlib.h>

#define PRELUDE 12 /* total length, headers length, prelude CRC */
#define TYPE_STRING 7

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t crc(const void *data, size_t len)
{
    return (uint32_t)crc32(0L, data, (uInt)len);
}

/* --- writing ------------------------------------------------------------------------------- */

lc_status lc_eventstream_write(lc_buf *out, const lc_eventstream_header *headers, size_t n,
                               const void *payload, size_t len)
{
    size_t headers_len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t name = strlen(headers[i].name), value = strlen(headers[i].value);
        if (name == 0 || name > 255 || value > 65535)
            return LC_EINVAL;
        headers_len += 1 + name + 1 + 2 + value;
    }
    size_t total = PRELUDE + headers_len + len + 4;
    if (total > LC_EVENTSTREAM_MAX_MESSAGE)
        return LC_EINVAL;
    unsigned char *m = malloc(total);
    if (m == NULL)
        return LC_ENOMEM;
    put32(m, (uint32_t)total);
    put32(m + 4, (uint32_t)headers_len);
    put32(m + 8, crc(m, 8));
    unsigned char *p = m + PRELUDE;
    for (size_t i = 0; i < n; i++) {
        size_t name = strlen(headers[i].name), value = strlen(headers[i].value);
        *p++ = (unsigned char)name;
        memcpy(p, headers[i].name, name);
        p += name;
        *p++ = TYPE_STRING;
        *p++ = (unsigned char)(value >> 8);
        *p++ = (unsigned char)value;
        memcpy(p, headers[i].value, value);
        p += value;
    }
    if (len)
        memcpy(p, payload, len);
    put32(m + total - 4, crc(m, total - 4));
    lc_status st = lc_buf_append(out, m, total);
    free(m);
    return st;
}

static lc_status event(lc_buf *out, const char *type, const char *content_type,
                       const void *payload, size_t len)
{
    const lc_eventstream_header headers[] = {
        {":event-type", type}, {":content-type", content_type}, {":message-type", "event"}};
    return lc_eventstream_write(out, headers, 3, payload, len);
}

lc_status lc_eventstream_payload_chunk(lc_buf *out, const void *bytes, size_t len)
{
    return event(out, "PayloadChunk", "application/octet-stream", bytes, len);
}

lc_status lc_eventstream_invoke_complete(lc_buf *out, const char *error_code,
                                         const char *error_details, const char *log_result)
{
    json_t *body = json_object();
    if (error_code)
        json_object_set_new(body, "ErrorCode", json_string(error_code));
    if (error_details)
        json_object_set_new(body, "ErrorDetails", json_string(error_details));
    if (log_result)
        json_object_set_new(body, "LogResult", json_string(log_result));
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (text == NULL)
        return LC_ENOMEM;
    lc_status st = event(out, "InvokeComplete", "application/json", text, strlen(text));
    free(text);
    return st;
}

/* --- reading ------------------------------------------------------------------------------- */

void lc_eventstream_reader_init(lc_eventstream_reader *r)
{
    memset(r, 0, sizeof *r);
    lc_buf_init(&r->pending, 0);
}

void lc_eventstream_reader_free(lc_eventstream_reader *r)
{
    lc_buf_free(&r->pending);
    free(r->scratch);
    memset(r, 0, sizeof *r);
}

lc_status lc_eventstream_feed(lc_eventstream_reader *r, const void *bytes, size_t len)
{
    return lc_buf_append(&r->pending, bytes, len);
}

/* Drops the first n bytes of what the reader holds. */
static void consume(lc_eventstream_reader *r, size_t n)
{
    memmove(r->pending.data, r->pending.data + n, r->pending.len - n);
    r->pending.len -= n;
    r->pending.data[r->pending.len] = '\0';
}

/* The bytes a header value of type t takes after its type byte; 0 for an unknown type. */
static size_t value_size(unsigned char t, const unsigned char *p, const unsigned char *end)
{
    static const size_t fixed[] = {[0] = 0, [1] = 0, [2] = 1, [3] = 2, [4] = 4, [5] = 8,
                                   [8] = 8, [9] = 16};
    if (t == 6 || t == 7)
        return end - p >= 2 ? 2 + ((size_t)p[0] << 8 | p[1]) : (size_t)-1;
    if (t <= 9 && t != 6 && t != 7)
        return fixed[t];
    return (size_t)-1;
}

/* Parses the headers of a whole message into m (string values only; others are skipped). */
static lc_status parse_headers(lc_eventstream_reader *r, const unsigned char *p, size_t len,
                               lc_eventstream_message *m, lc_error *err)
{
    if (r->scratch_cap < 2 * len + 2) {
        char *grown = realloc(r->scratch, 2 * len + 2);
        if (grown == NULL)
            return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
        r->scratch = grown;
        r->scratch_cap = 2 * len + 2;
    }
    char *s = r->scratch;
    const unsigned char *end = p + len;
    m->n_headers = 0;
    while (p < end) {
        size_t name = *p++;
        if (name == 0 || (size_t)(end - p) < name + 1)
            return lc_error_set(err, LC_EPROTO, "event stream", 0, 0, "a header is cut short");
        const unsigned char *name_at = p;
        p += name;
        unsigned char type = *p++;
        size_t size = value_size(type, p, end);
        if (size == (size_t)-1 || (size_t)(end - p) < size)
            return lc_error_set(err, LC_EPROTO, "event stream", 0, 0,
                                "a header has an unknown type (%u) or is cut short", type);
        if (type == TYPE_STRING && m->n_headers < sizeof m->headers / sizeof *m->headers) {
            memcpy(s, name_at, name);
            s[name] = '\0';
            m->headers[m->n_headers].name = s;
            s += name + 1;
            memcpy(s, p + 2, size - 2);
            s[size - 2] = '\0';
            m->headers[m->n_headers++].value = s;
            s += size - 1;
        }
        p += size;
    }
    return LC_OK;
}

lc_status lc_eventstream_next(lc_eventstream_reader *r, lc_eventstream_message *m, lc_error *err)
{
    const unsigned char *d = (const unsigned char *)r->pending.data;
    if (r->pending.len < PRELUDE)
        return LC_ENOTFOUND;
    uint32_t total = get32(d), headers_len = get32(d + 4);
    if (crc(d, 8) != get32(d + 8))
        return lc_error_set(err, LC_EPROTO, "event stream", 0, 0,
                            "a message's prelude fails its CRC");
    if (total < PRELUDE + 4 || total > LC_EVENTSTREAM_MAX_MESSAGE ||
        headers_len > total - PRELUDE - 4)
        return lc_error_set(err, LC_EPROTO, "event stream", 0, 0,
                            "a message claims %u bytes with %u of headers", total, headers_len);
    if (r->pending.len < total)
        return LC_ENOTFOUND;
    if (crc(d, total - 4) != get32(d + total - 4))
        return lc_error_set(err, LC_EPROTO, "event stream", 0, 0, "a message fails its CRC");
    lc_status st = parse_headers(r, d + PRELUDE, headers_len, m, err);
    if (st != LC_OK)
        return st;
    /* the payload is copied behind the headers' strings, so that consuming can move the rest */
    size_t payload_len = total - PRELUDE - headers_len - 4, used = 0;
    for (size_t i = 0; i < m->n_headers; i++)
        used = (size_t)(m->headers[i].value + strlen(m->headers[i].value) + 1 - r->scratch);
    if (r->scratch_cap < used + payload_len + 1) {
        char *grown = realloc(r->scratch, used + payload_len + 1);
        if (grown == NULL)
            return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
        for (size_t i = 0; i < m->n_headers; i++) { /* the strings moved with the buffer */
            m->headers[i].name = grown + (m->headers[i].name - r->scratch);
            m->headers[i].value = grown + (m->headers[i].value - r->scratch);
        }
        r->scratch = grown;
        r->scratch_cap = used + payload_len + 1;
    }
    memcpy(r->scratch + used, d + PRELUDE + headers_len, payload_len);
    r->scratch[used + payload_len] = '\0';
    m->payload = r->scratch + used;
    m->payload_len = payload_len;
    consume(r, total);
    return LC_OK;
}

const char *lc_eventstream_header_value(const lc_eventstream_message *m, const char *name)
{
    for (size_t i = 0; i < m->n_headers; i++)
        if (strcmp(m->headers[i].name, name) == 0)
            return m->headers[i].value;
    return NULL;
}
