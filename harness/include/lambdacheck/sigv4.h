/* lambdacheck: AWS Signature Version 4, to check the signatures clients send to `serve`.
 *
 * The client signs through libcurl (CURLOPT_AWS_SIGV4); this module computes signatures itself so
 * the emulator's Invoke API can require them (--require-sigv4). It is checked against AWS's
 * published SigV4 test-suite figures.
 */
#ifndef LAMBDACHECK_SIGV4_H
#define LAMBDACHECK_SIGV4_H

#include <stddef.h>
#include <stdint.h>

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
    /* The body's SHA-256 in hex, when the caller hashed it as it arrived (a body too large to
     * keep); NULL: computed from payload. */
    const char *payload_sha256;
    /* The i-th header's name (its value in *value), NULL past the last; NULL: headers are not
     * listed, and the checks that need every header (unsigned x-amz-* headers, duplicates) are
     * not made. */
    const char *(*header_at)(void *ctx, size_t i, const char **value);
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

/* What a server accepts: one key pair, signing for one region and service, within a window of
 * its clock. */
typedef struct {
    const char *access_key_id;
    const char *secret_access_key;
    const char *region;  /* the credential scope must name it; NULL: us-east-1 */
    const char *service; /* likewise; NULL: lambda */
    int64_t now_ms;      /* the server's clock, epoch ms; 0: now */
    long window_s;       /* X-Amz-Date may be this far from now either way; 0: 900 (15 min) */
} lc_sigv4_key;

/* Checks req's Authorization header the way AWS does: the signature covers the body received
 * (its hash is computed, whatever x-amz-content-sha256 says), SignedHeaders includes host,
 * x-amz-date and every x-amz-* header the request has ("Any x-amz-* headers that you plan to
 * include in your request must also be added", IAM User Guide, "Create a signed AWS API
 * request": an unsigned X-Amz-Invocation-Type could turn a captured call into an Event), the
 * Authorization, X-Amz-Date and X-Amz-Security-Token headers appear once, the signature is 64
 * hex digits and nothing more, X-Amz-Date is a valid time within the window of now and of the
 * credential's day, the credential is the key's and scoped to its region and service, and the
 * signature matches.
 * The path may be signed as sent, encoded once, or encoded twice: clients differ (curl 7.88,
 * botocore). On failure *error_type (may be NULL) gets AWS's error type for it
 * (MissingAuthenticationTokenException, IncompleteSignatureException,
 * UnrecognizedClientException, InvalidSignatureException) and err AWS's message. Statuses:
 * LC_ENOTFOUND not signed, LC_EINVAL malformed or another key, LC_EPROTO wrong scope, time or
 * signature. */
lc_status lc_sigv4_verify(const lc_sigv4_request *req, const lc_sigv4_key *key,
                          const char **error_type, lc_error *err);

#endif
