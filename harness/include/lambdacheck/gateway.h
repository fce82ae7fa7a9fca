/* lambdacheck: API Gateway (REST and HTTP APIs) and Lambda function URLs in front of the
 * emulator's functions, served on loopback as AWS serves them.
 *
 * A gateway serves a model: the APIs and function URLs of a SAM template
 * (lc_gateway_model_from_template), or the "http" object of a manifest, in this shape:
 *
 *   {"apis": [{"name": "ServerlessRestApi", "type": "REST" | "HTTP",
 *              "stage": "Prod",                 (HTTP: "$default" serves without a prefix)
 *              "stageVariables": {"k": "v"},
 *              "binaryMediaTypes": ["image/png", "application/octet-stream"],
 *              "cors": {"allowOrigins": ["https://a.example"], "allowMethods": ["GET"],
 *                       "allowHeaders": ["content-type"], "exposeHeaders": [], "maxAge": 600,
 *                       "allowCredentials": false},
 *              "authorizers": {"Auth": {"function": "AuthFn", "type": "TOKEN" | "REQUEST",
 *                              "ttlSeconds": 300,   (answers cached; REST's default 300, else 0)
 *                              "identitySource": ["method.request.header.Authorization"],
 *                              "validationExpression": "^Bearer ",  (REST TOKEN only)
 *                              "payloadFormatVersion": "2.0",       (HTTP only)
 *                              "simpleResponses": true}},           (HTTP 2.0 only)
 *              "routes": [{"method": "GET" | "ANY" | ..., "path": "/items/{id}" | "$default",
 *                          "function": "ItemsFn", "payloadFormatVersion": "1.0" | "2.0",
 *                          "timeoutMs": 29000, "authorizer": "Auth"}]}],
 *    "functionUrls": [{"function": "StreamFn", "authType": "NONE" | "AWS_IAM",
 *                      "invokeMode": "BUFFERED" | "RESPONSE_STREAM", "cors": {...}}]}
 *
 * Each API and each function URL listens on a port of its own (a function URL is a host of its
 * own on AWS). Requests are routed as API Gateway routes them, turned into the events API
 * Gateway and Lambda build (payload 1.0 and 2.0), run through the emulator, and answered as
 * the service maps a function's result, with the response contracts `check` applies deciding
 * what is malformed (contracts.h). Each answer carries the service's headers, CORS is answered
 * as configured, Lambda authorizers run before their routes, and a streaming function URL sends
 * the body as the function writes it.
 *
 * Thread-safe like the emulator; lc_gateway_free() must not race with other calls on it.
 */
#ifndef LAMBDACHECK_GATEWAY_H
#define LAMBDACHECK_GATEWAY_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/emulator.h"
#include "lambdacheck/error.h"
#include "lambdacheck/template.h"

/* API Gateway's quota on a request's payload, REST and HTTP APIs alike: 10 MB
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html). */
#define LC_GATEWAY_MAX_PAYLOAD (10u * 1024 * 1024)

/* The gateway model of a template's HTTP front: the implicit ServerlessRestApi (stage Prod) and
 * ServerlessHttpApi ($default) that Api and HttpApi events make, AWS::Serverless::Api and
 * AWS::Serverless::HttpApi resources (with Globals.Api and Globals.HttpApi), their Cors,
 * BinaryMediaTypes, stage variables and Lambda authorizers, and each function's
 * FunctionUrlConfig (or AWS::Lambda::Url). What is in the template but cannot be served here is
 * appended to notes (one line each; may be NULL): a JWT or Cognito authorizer, say. *out gets a
 * new model (caller decrefs); {"apis": [], "functionUrls": []} when the template has none. */
lc_status lc_gateway_model_from_template(const lc_template *t, json_t **out, lc_buf *notes,
                                         lc_error *err);

/* Checks a model written by hand (a manifest's "http"): unknown keys, wrong types, a route
 * without a function, a path that is not a route path, an authorizer that is not declared.
 * Errors name source (a file, for messages) and the path in the model. */
lc_status lc_gateway_model_check(const json_t *model, const char *source, lc_error *err);

typedef struct {
    const char *host;    /* address to listen on; NULL: 127.0.0.1 */
    unsigned port;       /* the first API's port, the next ones after it in model order (APIs,
                            then function URLs); 0: ephemeral ports */
    FILE *log;           /* one line per request, then the function's log lines; NULL: none.
                            Borrowed */
    const char *region;  /* for domain names and ARNs in events; NULL: us-east-1 */
    const char *account; /* NULL: 123456789012 */
    const char *sigv4_access_key_id; /* with the secret: the key pair requests to a function
                                        URL with AuthType AWS_IAM must be signed with; NULL:
                                        such URLs refuse every request */
    const char *sigv4_secret_access_key;
} lc_gateway_options;

typedef struct lc_gateway lc_gateway;

/* Serves model (checked as lc_gateway_model_check does; copied) in front of em (borrowed; must
 * outlive the gateway). Every function the model names must be em's. opt may be NULL. Caller
 * frees with lc_gateway_free(). */
lc_status lc_gateway_start(lc_emulator *em, const json_t *model, const lc_gateway_options *opt,
                           lc_gateway **out, lc_error *err);

/* Stops every listener (requests in progress are answered first) and frees. NULL is a no-op. */
void lc_gateway_free(lc_gateway *gw);

/* Where each API and function URL is served: {"apis": {"ServerlessRestApi":
 * "http://127.0.0.1:P/Prod", ...}, "functionUrls": {"StreamFn": "http://127.0.0.1:Q"}}. The
 * base URL of an API has no trailing slash: base + "/hello" is the route /hello. A new object
 * (caller decrefs). */
json_t *lc_gateway_endpoints(const lc_gateway *gw);

#endif
