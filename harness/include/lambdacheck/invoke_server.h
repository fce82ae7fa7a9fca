/* lambdacheck: the Lambda Invoke API, served by the embedded emulator (spec section 4).
 *
 * POST /2015-03-31/functions/{FunctionName}/invocations[?Qualifier=...], with the function named
 * by name, "name:qualifier", or a full or partial ARN; RequestResponse (200), Event (202, empty
 * body; the event is queued) and DryRun (204); X-Amz-Log-Type: Tail; X-Amz-Client-Context
 * (base64 JSON); X-Amz-Function-Error, X-Amz-Executed-Version, x-amzn-RequestId; and the service
 * errors of 4.2 with their status, x-amzn-ErrorType header and {"Type", "message"} body; a name
 * Lambda would refuse (too long, not UTF-8, an empty qualifier) is a 400 ValidationException. The
 * function name "function" reaches the only function, as with the AWS Runtime Interface
 * Emulator. Any Lambda client (AWS CLI, SDKs, lc_client) can use it with an endpoint URL.
 */
#ifndef LAMBDACHECK_INVOKE_SERVER_H
#define LAMBDACHECK_INVOKE_SERVER_H

#include <stdint.h>
#include <stdio.h>

#include "lambdacheck/emulator.h"
#include "lambdacheck/error.h"

#define LC_SYNC_REQUEST_MAX 6291456u  /* bytes, spec 4.2 */
#define LC_ASYNC_REQUEST_MAX 1048576u /* bytes, spec 4.2 (256 KB before late 2025) */
#define LC_CLIENT_CONTEXT_MAX 3583u   /* bytes of base64 */
/* lambdacheck's own request header: run the invocation in this sandbox of the emulator
 * (lc_emulator_sandbox_open). Lambda has no such header; only local targets send it. */
#define LC_SANDBOX_HEADER "X-Lambdacheck-Sandbox"

typedef struct {
    const char *host;         /* address to listen on; NULL: 127.0.0.1 */
    unsigned port;            /* 0: an ephemeral port */
    size_t max_async_request; /* 0: LC_ASYNC_REQUEST_MAX */
    FILE *log;                /* one line per request; NULL: none. Borrowed. */
    const char *sigv4_access_key_id;     /* with the secret: require requests signed with this
                                            key pair (SigV4); others get 403. NULL: no check */
    const char *sigv4_secret_access_key;
    const char *region;       /* the region the endpoint serves: signatures must be scoped to
                                 it, and not-found messages name it; NULL: us-east-1 */
    size_t max_connections;   /* open at once; past it a newcomer is answered 503; 0: 1024 */
    long request_timeout_ms;  /* a request must arrive whole within this, else 408; 0: 30 s */
    long idle_timeout_ms;     /* a connection with no request in progress is closed after
                                 this; 0: 60 s */
} lc_invoke_server_options;

typedef struct lc_invoke_server lc_invoke_server;

/* Serves em (borrowed; must outlive the server). opt may be NULL. Caller frees with
 * lc_invoke_server_free(). */
lc_status lc_invoke_server_start(lc_emulator *em, const lc_invoke_server_options *opt,
                                 lc_invoke_server **out, lc_error *err);

/* Stops serving (invocations in progress are answered first) and frees. NULL is a no-op. */
void lc_invoke_server_free(lc_invoke_server *server);

uint16_t lc_invoke_server_port(const lc_invoke_server *server);

/* "http://<host>:<port>", the endpoint URL for clients. Borrowed until free. */
const char *lc_invoke_server_url(const lc_invoke_server *server);

#endif
