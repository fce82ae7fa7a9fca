/* lambdacheck: AWS Signature Version 4, to check the signatures clients send to `serve`.
 *
 * The client signs through libcurl (CURLOPT_AWS_SIGV4); this module computes signatures itself so
 * the emulator's Invoke API can require them (--require-sigv4). It is checked against AWS's
 * published SigV4 test-suite figures.
 */
#ifndef LAMBDACHECK_SIGV4_H
#define LAMBDACHECK_SIGV4_H

#include <stddef.h>

#include "lambdacheck/error.h"

/* One HTTP request as received. All borrowed for the call. */
typedef struct {
    const char *method;
    const char *path;  /* as on the wire, percent-encoded as sent */
    const char *query; /* as on the wire, without '?'; "" or NULL for none */
    /* The value of a header (case-insensitive), NULL when absent. */
    const char *(*header)(void *ctx, const char *name);
    void *header_ctx;
    const void *payload;
    size_t payload_len;
} lc_sigv4_request;

typedef struct {
    const char *access_key_id;
    const char *secret_access_key;
    const char *region;
    const char *service;
    const char *amz_date; /* YYYYMMDDTHHMMSSZ */
} lc_sigv4_scope;

/* The signature (64 hex digits and a NUL) of req over the given signed headers ("host;x-amz-date",
 * lowercase, sorted), as in the Authorization header. The canonical URI is the path decoded and
 * encoded once (double_encode: encoded again, as AWS SDKs do for services other than S3). */
lc_status lc_sigv4_signature(const lc_sigv4_request *req, const char *signed_headers,
                             const lc_sigv4_scope *scope, int double_encode, char out[65],
                             lc_error *err);

/* Checks req's Authorization header against the one key pair the server accepts. The message
 * says why a request fails: LC_ENOTFOUND when it is not signed, LC_EINVAL for another access key
 * or a malformed header, LC_EPROTO when the signature does not match. The path may be signed as
 * sent, encoded once, or encoded twice: clients differ (curl 7.88, botocore). */
lc_status lc_sigv4_verify(const lc_sigv4_request *req, const char *access_key_id,
                          const char *secret_access_key, lc_error *err);

#endif
