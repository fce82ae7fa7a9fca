/* lambdacheck: status codes and error detail.
 *
 * Every function that can fail returns an lc_status (LC_OK is 0) and fills an optional,
 * caller-owned lc_error with a message and where it came from. The first error wins: once an
 * lc_error holds a status, later calls that fail leave it unchanged, so the root cause survives.
 */
#ifndef LAMBDACHECK_ERROR_H
#define LAMBDACHECK_ERROR_H

#include <stddef.h>

/* X(name, text). Append new codes at the end; never renumber. */
#define LC_STATUS_MAP(X)                                                                           \
    X(OK, "success")                                                                               \
    X(EINVAL, "invalid argument")                                                                  \
    X(ENOMEM, "out of memory")                                                                     \
    X(EIO, "input/output error")                                                                   \
    X(EJSON, "malformed JSON")                                                                     \
    X(ERANGE, "value out of range")                                                                \
    X(ETOOLARGE, "size limit exceeded")                                                            \
    X(ENOTFOUND, "not found")                                                                      \
    X(ESPAWN, "could not start process")                                                           \
    X(ETIMEDOUT, "timed out")                                                                      \
    X(EPROTO, "protocol violation")                                                                \
    X(ETRANSPORT, "transport failure")                                                             \
    X(ESTATE, "invalid state")                                                                     \
    X(EBUSY, "resource busy")                                                                      \
    X(EUSAGE, "bad usage")

typedef enum {
#define LC__STATUS_ENUM(name, text) LC_##name,
    LC_STATUS_MAP(LC__STATUS_ENUM)
#undef LC__STATUS_ENUM
        LC__STATUS_COUNT
} lc_status;

/* Error detail. Zero-initialise before use (`lc_error err = {0};`). */
typedef struct {
    lc_status status; /* LC_OK while no error was recorded */
    char message[512]; /* human-readable, names what was wrong */
    char source[256];  /* where: a file path, "<string>", "<stdin>", a URL, or "" */
    int line;          /* 1-based line in source, 0 when not applicable */
    int column;        /* 1-based column in source, 0 when not applicable */
} lc_error;

/* The short text of a status ("malformed JSON"); "unknown status" for codes out of range. */
const char *lc_strerror(lc_status status);

/* The name of a status ("LC_EJSON"); "LC_UNKNOWN" for codes out of range. */
const char *lc_errname(lc_status status);

/* Records an error in err (may be NULL) unless err already holds one, and returns status.
 * source may be NULL. The message is formatted with printf rules and truncated to fit. */
lc_status lc_error_set(lc_error *err, lc_status status, const char *source, int line, int column,
                       const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Writes "source:line:column: message" (parts that are unset are left out) into out, a buffer
 * of size bytes, and returns out. */
char *lc_error_format(const lc_error *err, char *out, size_t size);

/* Clears err back to "no error". err may be NULL. */
void lc_error_clear(lc_error *err);

#endif
