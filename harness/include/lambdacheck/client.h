/* lambdacheck: an Invoke API client over libcurl, for deployed functions and any other endpoint
 * that speaks the Invoke API (the embedded emulator's server, LocalStack, SAM, the AWS Runtime
 * Interface Emulator).
 *
 * Three kinds of outcome are kept apart: a transport failure (no HTTP answer) is a status
 * (LC_ETRANSPORT); an HTTP answer, whatever its code, is LC_OK with the response filled in; a
 * function error is a 200 response with function_error set.
 *
 * A client reuses its connection; use it from one thread at a time.
 */
#ifndef LAMBDACHECK_CLIENT_H
#define LAMBDACHECK_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lambdacheck/error.h"

typedef struct lc_client lc_client;

typedef struct {
    const char *endpoint_url; /* NULL: https://lambda.<region>.amazonaws.com */
    const char *region;       /* NULL: from the environment or the profile (credentials.h) */
    const char *profile;      /* NULL: $AWS_PROFILE or "default" */
    bool sign;                /* sign requests with SigV4 (needs credentials); deployed
                                 functions need it, local emulators ignore it */
    const char *access_key_id;     /* with secret_access_key: use these instead of looking */
    const char *secret_access_key;
    const char *session_token;     /* NULL: none */
    long timeout_ms;          /* whole request; 0: 15 minutes and 30 seconds */
} lc_client_options;

typedef struct {
    const char *function_name;   /* name, name:qualifier, or ARN */
    const char *qualifier;       /* NULL: none */
    const char *invocation_type; /* NULL: RequestResponse; Event; DryRun */
    bool log_tail;               /* X-Amz-Log-Type: Tail */
    const char *client_context;  /* JSON text, sent base64-encoded; NULL: none */
    const char *tenant_id;       /* X-Amz-Tenant-Id, for a function with tenant isolation (signed
                                    with the other headers); NULL: none */
    const char *payload;         /* the event; NULL: no body */
    size_t payload_len;
    const char *sandbox;         /* the embedded emulator's sandbox to run in, sent as
                                  X-Lambdacheck-Sandbox; NULL: none (deployed functions) */
    bool stream;                 /* InvokeWithResponseStream (POST /2021-11-15/functions/NAME/
                                    response-streaming-invocations): the answer is an event
                                    stream, read as it arrives */
    /* Each PayloadChunk's bytes as they arrive (NULL: only collected into payload). */
    void (*on_chunk)(void *ctx, const char *bytes, size_t len);
    void *chunk_ctx;
} lc_invoke_request;

/* An HTTP answer. Pointers are owned; free with lc_invoke_response_clear(). */
typedef struct {
    long status;
    char request_id[129];      /* x-amzn-RequestId */
    char function_error[32];   /* X-Amz-Function-Error, "" when none */
    char executed_version[32]; /* X-Amz-Executed-Version */
    char error_type[256];      /* x-amzn-ErrorType of a service error, "" otherwise */
    char error_message[1024];  /* message (or Message) of a service error body */
    char retry_after[32];      /* Retry-After */
    char content_type[128];
    char *payload;             /* the body, NUL-terminated */
    size_t payload_len;
    char *log_result;          /* X-Amz-Log-Result (or a stream's InvokeComplete LogResult),
                                  decoded; NULL without Tail */
    size_t log_result_len;
    /* For a stream (request.stream and an event-stream answer): payload is the chunks' bytes
     * (the first 8 MiB; stream_size counts them all), function_error is "Unhandled" when
     * InvokeComplete carries an ErrorCode, and these hold InvokeComplete's error. */
    bool streamed;
    bool stream_complete;      /* InvokeComplete arrived (else the stream was cut short) */
    size_t stream_size;
    char error_code[256];      /* InvokeComplete's ErrorCode, or an exception event's type */
    char *error_details;       /* InvokeComplete's ErrorDetails (NUL-terminated), or NULL */
} lc_invoke_response;

/* Errors name what is missing (no region, no credentials for signing). Caller frees with
 * lc_client_free(). */
lc_status lc_client_new(const lc_client_options *opt, lc_client **out, lc_error *err);

void lc_client_free(lc_client *client);

/* The endpoint URL in use. Borrowed until free. */
const char *lc_client_endpoint(const lc_client *client);

/* Sends one Invoke request. LC_ETRANSPORT (naming the URL and curl's reason) when no HTTP answer
 * came; LC_OK with *resp filled for any HTTP answer. */
lc_status lc_client_invoke(lc_client *client, const lc_invoke_request *req,
                           lc_invoke_response *resp, lc_error *err);

void lc_invoke_response_clear(lc_invoke_response *resp);

/* --- plain HTTP requests ----------------------------------------------------------------------- */

/* One HTTP request (a case's request to an API served by the gateway). Borrowed for the call. */
typedef struct {
    const char *method;     /* NULL: GET */
    const char *url;
    const json_t *headers;  /* name -> string value; NULL: none */
    const char *body;
    size_t body_len;
    long timeout_ms;        /* 0: 16 minutes */
    const char *sigv4_access_key_id;     /* with the secret: sign the request (SigV4, service
                                            lambda, us-east-1), as a caller of an AWS_IAM
                                            function URL does; NULL: unsigned */
    const char *sigv4_secret_access_key;
} lc_http_request;

/* The answer. Owned: free with lc_http_answer_clear(). */
typedef struct {
    long status;
    json_t *headers;        /* lowercased name -> list of values, in order */
    char *body;             /* NUL-terminated (at most 16 MB kept) */
    size_t body_len;
} lc_http_answer;

/* Sends req and waits for the answer: LC_ETRANSPORT (naming the URL and why) when none came. */
lc_status lc_http_call(const lc_http_request *req, lc_http_answer *out, lc_error *err);

void lc_http_answer_clear(lc_http_answer *a);

#endif
