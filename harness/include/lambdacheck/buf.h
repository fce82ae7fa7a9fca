/* lambdacheck: a growable byte buffer with a size cap.
 *
 * Every buffer filled from outside (a file, a socket, a child process) has a cap; going past it
 * is LC_ETOOLARGE, distinct from running out of memory. The data is always NUL-terminated (the
 * terminator is not counted in len), so text can be used as a C string.
 */
#ifndef LAMBDACHECK_BUF_H
#define LAMBDACHECK_BUF_H

#include <stdio.h>
#include <stddef.h>

#include "lambdacheck/error.h"

typedef struct {
    char *data; /* owned; NULL until the first append */
    size_t len; /* bytes in use, not counting the terminator */
    size_t cap; /* bytes allocated */
    size_t max; /* cap on len; 0 means no cap */
} lc_buf;

/* Prepares an empty buffer that will hold at most max bytes (0 = no cap). Allocates nothing. */
void lc_buf_init(lc_buf *buf, size_t max);

/* Appends n bytes. LC_ETOOLARGE when len would pass max (the buffer is then unchanged),
 * LC_ENOMEM when allocation fails. */
lc_status lc_buf_append(lc_buf *buf, const void *data, size_t n);

/* Appends a NUL-terminated string. */
lc_status lc_buf_puts(lc_buf *buf, const char *s);

/* Appends printf-formatted text. */
lc_status lc_buf_printf(lc_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reads the whole stream into the buffer. LC_ETOOLARGE when it holds more than the cap allows,
 * LC_EIO on a read error. */
lc_status lc_buf_read_stream(lc_buf *buf, FILE *stream);

/* Reads a whole regular file into the buffer; errors name the path in err. Anything else (a
 * folder, a FIFO, a device) is refused without reading, and without blocking. */
lc_status lc_buf_read_file(lc_buf *buf, const char *path, lc_error *err);

/* Appends the standard base64 (RFC 4648, with padding) of n bytes of data. */
lc_status lc_buf_base64_encode(lc_buf *buf, const void *data, size_t n);

/* Appends the bytes that base64 text decodes to. LC_EINVAL for text that is not base64 (white
 * space is not allowed); the buffer is then unchanged. */
lc_status lc_buf_base64_decode(lc_buf *buf, const char *text, size_t n);

/* Empties the buffer, keeping its memory. */
void lc_buf_reset(lc_buf *buf);

/* Returns the data (caller frees with free(); never NULL on success, "" when empty) and leaves the
 * buffer empty. NULL when out of memory. */
char *lc_buf_take(lc_buf *buf);

/* Frees the memory; the buffer is left empty and may be used again. */
void lc_buf_free(lc_buf *buf);

#endif
