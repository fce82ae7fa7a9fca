/* lambdacheck: AWS's event-stream framing (application/vnd.amazon.eventstream), as
 * InvokeWithResponseStream answers (spec 8): the emulator writes it, the client reads it.
 *
 * A message: total length (4 bytes, big-endian), headers length (4), CRC32 of those 8 bytes (4),
 * the headers, the payload, and the CRC32 of everything before it (4). A header: name length (1
 * byte), name, value type (1; only 7, a string, is written), value length (2), value.
 */
#ifndef LAMBDACHECK_EVENTSTREAM_H
#define LAMBDACHECK_EVENTSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/error.h"

/* The largest message read or written: 16 MiB (AWS's own limit). */
#define LC_EVENTSTREAM_MAX_MESSAGE (16u * 1024 * 1024)

typedef struct {
    const char *name;
    const char *value; /* a string value (type 7) */
} lc_eventstream_header;

/* Appends one message with string headers and a payload to out. LC_EINVAL for a name over 255
 * bytes, a value over 65535 or a message over LC_EVENTSTREAM_MAX_MESSAGE. */
lc_status lc_eventstream_write(lc_buf *out, const lc_eventstream_header *headers, size_t n,
                               const void *payload, size_t len);

/* InvokeWithResponseStream's two events: a PayloadChunk of bytes, and the final InvokeComplete
 * ({"ErrorCode", "ErrorDetails", "LogResult"}, each left out when NULL). */
lc_status lc_eventstream_payload_chunk(lc_buf *out, const void *bytes, size_t len);
lc_status lc_eventstream_invoke_complete(lc_buf *out, const char *error_code,
                                         const char *error_details, const char *log_result);

/* One message as read. Strings point into the reader's buffer: valid until the next read. */
typedef struct {
    lc_eventstream_header headers[16];
    size_t n_headers;
    const char *payload;
    size_t payload_len;
} lc_eventstream_message;

/* Reads messages from bytes given in pieces of any size. */
typedef struct {
    lc_buf pending; /* bytes of a message not yet whole */
    char *scratch;  /* the current message's headers, NUL-terminated strings */
    size_t scratch_cap;
} lc_eventstream_reader;

void lc_eventstream_reader_init(lc_eventstream_reader *r);
void lc_eventstream_reader_free(lc_eventstream_reader *r);

/* Appends bytes to what the reader holds. */
lc_status lc_eventstream_feed(lc_eventstream_reader *r, const void *bytes, size_t len);

/* The next whole message into *m: LC_OK, LC_ENOTFOUND when none is whole yet, LC_EPROTO (err
 * says what) for a message that is not well formed (a bad length or CRC, a header type that is
 * not a string and not skippable). After a message, the next call moves past it. */
lc_status lc_eventstream_next(lc_eventstream_reader *r, lc_eventstream_message *m, lc_error *err);

/* The value of a header, NULL when absent. */
const char *lc_eventstream_header_value(const lc_eventstream_message *m, const char *name);

#endif
