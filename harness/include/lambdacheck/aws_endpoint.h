/* lambdacheck: the local AWS endpoint that handlers' AWS calls reach instead of AWS.
 *
 * One loopback HTTP server per run. Each execution environment's SDKs are pointed at it
 * (AWS_ENDPOINT_URL, and for SDKs that ignore it, botocore's endpoint rules and a proxy: see
 * lc_aws_endpoint_variables). It tells the service and operation of every call from the request
 * itself (the SigV4 scope, X-Amz-Target, Action, or the REST method and path), answers it with the
 * first stub that matches, records it, and answers a call no stub answers at once with an error
 * in that protocol's shape, which the SDK raises as an ordinary client error, not retried:
 *     lambdacheck: no stub for dynamodb:GetItem (TableName=orders); add one to the case's "aws"
 *     list, or pass --aws-endpoint
 *
 * Calls are kept per scope: a case of `check` has one (its environments' endpoint URL names it),
 * `invoke` and `serve` use the endpoint's default scope. A stub is an object:
 *     {"call": "dynamodb:GetItem",             service:Operation, as the service's API names it
 *      "match": {"Key": {"id": {"S": "42"}}},  a subset of the call's parameters (optional)
 *      "respond": {"Item": {...}},             the result, as JSON (optional: {}), or
 *      "error": {"code": "...", "message": "...", "status": 400},   an error answer instead
 *      "times": 1}                             answers this many calls, then no more (optional)
 * Stubs are tried in order. S3 objects are written {"Body": "text"} or {"BodyBase64": "..."}; a
 * Lambda Invoke answers {"Payload": <JSON>, "FunctionError": "Unhandled"}.
 *
 * Thread-safe. */
#ifndef LAMBDACHECK_AWS_ENDPOINT_H
#define LAMBDACHECK_AWS_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lambdacheck/error.h"

typedef struct lc_aws_endpoint lc_aws_endpoint;

/* A scope's id and its NUL. */
#define LC_AWS_SCOPE_SIZE 24

/* Calls a scope keeps; later ones are counted, not kept. */
#define LC_AWS_MAX_CALLS 1000

/* Checks a list of stubs before anything runs: an unknown field, service or operation (with the
 * closest known name), a malformed match, a respond that is not what the operation answers.
 * Errors name source (the file) and where ("aws[2].call"). */
lc_status lc_aws_stubs_validate(const json_t *stubs, const char *source, const char *where,
                                lc_error *err);

/* Checks the name of a call, "service:Operation": a service lambdacheck knows and one of its
 * operations (with the closest name when not). Errors name source and where. */
lc_status lc_aws_call_validate(const char *call, const char *source, const char *where,
                               lc_error *err);

/* Reads a stubs file: a JSON list of stubs, or an object with one ("aws"). *out gets the list,
 * validated (caller frees with json_decref). Errors name the file. */
lc_status lc_aws_stubs_load(const char *path, json_t **out, lc_error *err);

typedef struct {
    /* Called after each call is answered, with its record (see lc_aws_endpoint_calls); from the
     * endpoint's thread. NULL: nothing. */
    void (*on_call)(void *ctx, const char *scope, const json_t *call);
    void *ctx;
    /* What the no-stub message tells the user to do; NULL: add one to the case's "aws" list. */
    const char *hint;
    /* Refuse every tunnel through the proxy, not only those to AWS hosts (a fuzzer must not
     * reach the network). */
    bool no_tunnels;
} lc_aws_endpoint_options;

/* Starts the endpoint on 127.0.0.1, an ephemeral port. opt may be NULL. Caller frees with
 * lc_aws_endpoint_free(). */
lc_status lc_aws_endpoint_start(const lc_aws_endpoint_options *opt, lc_aws_endpoint **out,
                                lc_error *err);

/* Stops the server and every tunnel, removes the scopes' files. NULL is a no-op. */
void lc_aws_endpoint_free(lc_aws_endpoint *ep);

/* "http://127.0.0.1:PORT". Borrowed until free. */
const char *lc_aws_endpoint_url(const lc_aws_endpoint *ep);

/* Opens a scope answering with stubs (a validated list, copied; NULL: none); id gets its id.
 * label names it in messages (a case id). */
lc_status lc_aws_endpoint_open(lc_aws_endpoint *ep, const json_t *stubs, const char *label,
                               char id[LC_AWS_SCOPE_SIZE], lc_error *err);

/* Closes a scope: later calls naming it are answered as unstubbed and not kept. Unknown: no-op. */
void lc_aws_endpoint_close(lc_aws_endpoint *ep, const char *id);

/* Sets the stubs of the default scope ("" as id), replacing any (a validated list, copied). */
lc_status lc_aws_endpoint_set_default(lc_aws_endpoint *ep, const json_t *stubs, lc_error *err);

/* The calls a scope recorded, from index `from` on, as a new list (caller frees). Each is
 *     {"call": "dynamodb:GetItem", "params": {...}, "status": 200, "stub": 0}
 * with "stub" the index of the stub that answered, or "unstubbed": true and "error" {code,
 * message} for a call no stub answered; "problem" says why a request could not be read as a call;
 * "refused" is a connection to an AWS host an SDK opened without the endpoint (through the
 * proxy). "" is the default scope. */
json_t *lc_aws_endpoint_calls(lc_aws_endpoint *ep, const char *id, size_t from);

/* The number of calls a scope has seen (kept or not). */
size_t lc_aws_endpoint_call_count(lc_aws_endpoint *ep, const char *id);

/* The variables that point a scope's environments at the endpoint (a new object; caller frees):
 *   AWS_ENDPOINT_URL       every SDK that honours it (boto3 >= 1.28, JavaScript v3, Java 2, Go
 *                          v2, .NET, Ruby 3, the CLI v2)
 *   AWS_DATA_PATH          with botocore_data (the data folder of a botocore that predates
 *                          1.31, NULL: none): botocore's endpoint rules rewritten to the endpoint
 *                          (botocore 1.28 to 1.30 ignore AWS_ENDPOINT_URL but read rules from
 *                          this path first): the scope's for the services of lambdacheck's
 *                          table, then, shared by every scope, one for every other service that
 *                          botocore has, so that its calls are refused at once too
 *   HTTPS_PROXY/https_proxy, NO_PROXY/no_proxy
 *                          SDKs and libraries that honour proxy variables: a tunnel to an AWS
 *                          host is refused at once and recorded; any other host is tunnelled
 * A variable theirs (the function's own variables, may be NULL) sets is left out: the function's
 * own wins. NULL when memory runs out. */
json_t *lc_aws_endpoint_variables(lc_aws_endpoint *ep, const char *id, const char *botocore_data,
                                  const json_t *theirs);

#endif
