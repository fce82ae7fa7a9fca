#include "http_test.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lambdacheck/buf.h"

static size_t collect(char *data, size_t size, size_t n, void *buf)
{
    lc_buf_append(buf, data, size * n);
    return size * n;
}

typedef struct {
    const char *data;
    size_t left;
} source;

static size_t feed(char *out, size_t size, size_t n, void *arg)
{
    source *s = arg;
    size_t chunk = size * n < s->left ? size * n : s->left;
    if (chunk > 7)
        chunk = 7; /* small pieces: several chunks on the wire */
    memcpy(out, s->data, chunk);
    s->data += chunk;
    s->left -= chunk;
    return chunk;
}

http_reply http_call(unsigned port, const char *method, const char *path, const char *body,
                     size_t body_len, const char *const *headers, int chunked)
{
    http_reply r = {0};
    lc_buf b, h;
    lc_buf_init(&b, 0);
    lc_buf_init(&h, 0);
    CURL *curl = curl_easy_init();
    char url[1024];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
    struct curl_slist *list = NULL;
    for (const char *const *p = headers; p && *p; p++)
        list = curl_slist_append(list, *p);
    source src = {body, body_len};
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &h);
    if (chunked) {
        list = curl_slist_append(list, "Transfer-Encoding: chunked");
        curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, feed);
        curl_easy_setopt(curl, CURLOPT_READDATA, &src);
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    } else if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    if (strcmp(method, "HEAD") == 0) /* an answer to HEAD has a length but no body */
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    r.body_len = b.len;
    r.body = lc_buf_take(&b);
    r.headers = lc_buf_take(&h);
    return r;
}

const char *http_header(const http_reply *r, const char *name, char *out, size_t size)
{
    out[0] = '\0';
    size_t n = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *end = strstr(line, "\r\n");
        if (end == NULL)
            break;
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            snprintf(out, size, "%.*s", (int)(end - v), v);
        }
        line = end + 2;
    }
    return out;
}

void http_reply_free(http_reply *r)
{
    free(r->body);
    free(r->headers);
    r->body = r->headers = NULL;
}
