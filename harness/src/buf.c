#include "lambdacheck/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void lc_buf_init(lc_buf *buf, size_t max)
{
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    buf->max = max;
}

static lc_status reserve(lc_buf *buf, size_t extra)
{
    if (buf->max && (extra > buf->max || buf->len > buf->max - extra))
        return LC_ETOOLARGE;
    size_t need = buf->len + extra + 1;
    if (need <= buf->cap)
        return LC_OK;
    size_t cap = buf->cap ? buf->cap : 64;
    while (cap < need)
        cap = cap > (size_t)-1 / 2 ? need : cap * 2;
    char *data = realloc(buf->data, cap);
    if (data == NULL)
        return LC_ENOMEM;
    buf->data = data;
    buf->cap = cap;
    return LC_OK;
}

lc_status lc_buf_append(lc_buf *buf, const void *data, size_t n)
{
    lc_status st = reserve(buf, n);
    if (st != LC_OK)
        return st;
    if (n)
        memcpy(buf->data + buf->len, data, n);
    buf->len += n;
    buf->data[buf->len] = '\0';
    return LC_OK;
}

lc_status lc_buf_puts(lc_buf *buf, const char *s)
{
    return lc_buf_append(buf, s, strlen(s));
}

lc_status lc_buf_printf(lc_buf *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return LC_EINVAL;
    lc_status st = reserve(buf, (size_t)n);
    if (st != LC_OK)
        return st;
    va_start(ap, fmt);
    vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)n;
    return LC_OK;
}

lc_status lc_buf_read_stream(lc_buf *buf, FILE *stream)
{
    char chunk[16384];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stream)) > 0) {
        lc_status st = lc_buf_append(buf, chunk, n);
        if (st != LC_OK)
            return st;
    }
    if (ferror(stream))
        return LC_EIO;
    /* An empty stream still yields "" rather than NULL. */
    return lc_buf_append(buf, "", 0);
}

/* What a path is when it is not a regular file, for messages. */
static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a folder, not a file";
    if (S_ISFIFO(mode))
        return "a FIFO, not a regular file";
    if (S_ISSOCK(mode))
        return "a socket, not a regular file";
    return "not a regular file";
}

/* Opens a regular file for reading. Anything else is refused before it is read: opened without
 * blocking, so a FIFO with no writer cannot hang the caller. */
static lc_status open_regular(const char *path, FILE **out, lc_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0)
        return lc_error_set(err, errno == ENOENT ? LC_ENOTFOUND : LC_EIO, path, 0, 0,
                            "cannot open file: %s", strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return lc_error_set(err, LC_EIO, path, 0, 0, "cannot read it: it is %s",
                            file_kind(st.st_mode));
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    *out = fdopen(fd, "rb");
    if (*out == NULL) {
        close(fd);
        return lc_error_set(err, LC_EIO, path, 0, 0, "cannot open file: %s", strerror(errno));
    }
    return LC_OK;
}

lc_status lc_buf_read_file(lc_buf *buf, const char *path, lc_error *err)
{
    FILE *f;
    lc_status st = open_regular(path, &f, err);
    if (st != LC_OK)
        return st;
    st = lc_buf_read_stream(buf, f);
    int saved = errno;
    fclose(f);
    if (st == LC_ETOOLARGE)
        return lc_error_set(err, st, path, 0, 0, "file is larger than the limit of %zu bytes",
                            buf->max);
    if (st == LC_EIO)
        return lc_error_set(err, st, path, 0, 0, "cannot read file: %s", strerror(saved));
    if (st != LC_OK)
        return lc_error_set(err, st, path, 0, 0, "%s", lc_strerror(st));
    return LC_OK;
}

void lc_buf_reset(lc_buf *buf)
{
    buf->len = 0;
    if (buf->data)
        buf->data[0] = '\0';
}

char *lc_buf_take(lc_buf *buf)
{
    if (buf->data == NULL && lc_buf_append(buf, "", 0) != LC_OK)
        return NULL;
    char *data = buf->data;
    buf->data = NULL;
    buf->len = buf->cap = 0;
    return data;
}

void lc_buf_free(lc_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

lc_status lc_buf_base64_encode(lc_buf *buf, const void *data, size_t n)
{
    const unsigned char *p = data;
    lc_status st = reserve(buf, (n + 2) / 3 * 4);
    for (size_t i = 0; st == LC_OK && i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        char quad[4] = {b64_alphabet[v >> 18 & 63], b64_alphabet[v >> 12 & 63],
                        i + 1 < n ? b64_alphabet[v >> 6 & 63] : '=',
                        i + 2 < n ? b64_alphabet[v & 63] : '='};
        st = lc_buf_append(buf, quad, 4);
    }
    return st;
}

static int b64_value(char c)
{
    const char *at = c ? strchr(b64_alphabet, c) : NULL;
    return at ? (int)(at - b64_alphabet) : -1;
}

lc_status lc_buf_base64_decode(lc_buf *buf, const char *text, size_t n)
{
    if (n % 4 != 0)
        return LC_EINVAL;
    size_t mark = buf->len;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        size_t pad = 0;
        for (int k = 0; k < 4; k++) {
            bool tail = i + 4 == n && k >= 2 && text[i + k] == '=' && (k == 3 || text[i + 3] == '=');
            v[k] = tail ? 0 : b64_value(text[i + k]);
            pad += tail;
            if (v[k] < 0) {
                buf->len = mark;
                if (buf->data)
                    buf->data[mark] = '\0';
                return LC_EINVAL;
            }
        }
        unsigned bits = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
        unsigned char out[3] = {(unsigned char)(bits >> 16), (unsigned char)(bits >> 8),
                                (unsigned char)bits};
        lc_status st = lc_buf_append(buf, out, 3 - pad);
        if (st != LC_OK)
            return st;
    }
    return lc_buf_append(buf, "", 0);
}
