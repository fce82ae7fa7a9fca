/* Private to the gateway (harness/src/gateway): what its files share.
 *
 *   model.c       a template's HTTP front as a model; checking a model
 *   route.c       routes compiled from a model, and API Gateway's route selection
 *   request.c     HTTP requests turned into payload 1.0 and 2.0 events
 *   response.c    a function's result turned into the HTTP answer the service gives
 *   cors.c        preflights and CORS headers
 *   authorizer.c  Lambda authorizers: their events, their answers, policies
 *   server.c      listeners, workers, timeouts, streaming, the log
 */
#ifndef LC_GATEWAY_INTERNAL_H
#define LC_GATEWAY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "../http_server.h"
#include "lambdacheck/buf.h"
#include "lambdacheck/emulator.h"
#include "lambdacheck/gateway.h"

typedef enum { GW_REST, GW_HTTP, GW_URL } gw_kind;

/* A route of an API, compiled. Strings owned by the route. */
typedef struct {
    char *method;    /* "GET", ..., "ANY" */
    char *path;      /* "/items/{id}", "/{proxy+}", or "$default" */
    char **segments; /* the path's segments ("items", "{id}") */
    size_t n_segments;
    bool greedy; /* the last segment is {name+} */
    char *function;
    bool v2;          /* payload format 2.0 */
    long timeout_ms;  /* the integration's timeout */
    char *authorizer; /* the authorizer's name, or NULL */
    char *route_key;  /* "GET /items/{id}", "$default" */
} gw_route;

/* One listener: an API or a function URL. */
typedef struct gw_api {
    struct lc_gateway *gw;
    gw_kind kind;
    char *name;  /* the API's logical id, or the function of a URL */
    char *stage; /* "Prod", "$default" (HTTP, URLs) */
    char id[16]; /* the API id (a URL's id is 32 characters: url_id) */
    char url_id[40];
    json_t *config; /* the model's entry (owned): cors, authorizers, binaryMediaTypes,
                       stageVariables, authType, invokeMode */
    gw_route *routes;
    size_t n_routes;
    lc__http_server *http;
    struct gw_auth_cache *auth_cache; /* its authorizers' cached answers (authorizer.c) */
    uint16_t port;
    char base[160]; /* the base URL */
} gw_api;

struct lc_gateway {
    lc_emulator *em;
    gw_api *apis;
    size_t n_apis;
    FILE *log;
    char region[64], account[32];
    char host[64];
    char sigv4_key[128], sigv4_secret[256]; /* for AWS_IAM function URLs; "" when none */
    void *workers;                          /* server.c's worker pool */
};

/* --- route.c --------------------------------------------------------------------------------- */

/* Compiles api->config's routes (or a URL's single $default route). LC_EINVAL for a path that
 * is not a route path. */
lc_status lc__gw_compile_routes(gw_api *api, lc_error *err);
void lc__gw_free_routes(gw_api *api);

/* True when some route of a REST API has that path, whatever its method (SAM's Cors puts an
 * OPTIONS method on each). */
bool lc__gw_path_known(const gw_api *api, const char *path);

/* The route API Gateway selects for method and path (the path after the stage, decoded is not
 * needed: segments are matched as sent), or NULL. params gets the path parameters (a new
 * object; NULL when none matched). */
const gw_route *lc__gw_select_route(const gw_api *api, const char *method, const char *path,
                                    json_t **params);

/* --- request.c ------------------------------------------------------------------------------- */

/* What the gateway knows of one request, besides the HTTP request itself. */
typedef struct {
    const gw_api *api;
    const gw_route *route;
    const char *path;     /* the path after the stage prefix, as sent */
    json_t *path_params;  /* borrowed; NULL when none */
    char request_id[40];  /* the API's request id */
    char extended_id[20]; /* REST's extendedRequestId, HTTP's apigw-requestid */
    char trace_id[64];    /* "Root=1-xxxxxxxx-yyyy..." */
    int64_t epoch_ms;
    char source_ip[48];          /* the client's address */
    json_t *authorizer;          /* what the authorizer gave the integration, or NULL (borrowed) */
    char origin[512];            /* the request's Origin, "" when none */
    char accept[256];            /* the first media type of its Accept, "" when none */
    bool from_runner;            /* it carries lambdacheck's sandbox header */
    char sandbox[64];            /* the sandbox it names for the route's function, or "" */
    double authorizer_ms;        /* the authorizer's time, -1 when none ran */
    bool authorizer_cached;      /* its answer came from the cache */
    char lambda_request_id[129]; /* the invocation's, for lambdacheck's runner ("" otherwise) */
    char authorizer_request_id[129]; /* its authorizer's, likewise */
} gw_call;

/* The event API Gateway or Lambda's function URL sends the route's function for req. A new
 * reference. */
json_t *lc__gw_event(const gw_call *c, const lc__http_request *req);

/* True when a content type matches one of the API's binary media types ("image/png",
 * "image/ *" patterns, "*" "/" "*"). */
bool lc__gw_binary_type(const gw_api *api, const char *content_type);

/* The request time as API Gateway writes it ("09/Apr/2015:12:34:56 +0000"). */
void lc__gw_clf_time(int64_t epoch_ms, char out[32]);

/* --- response.c ------------------------------------------------------------------------------ */

/* An answer to send. Owned by the struct: free with lc__gw_answer_clear(). */
typedef struct {
    int status;
    json_t *headers; /* "Name: value" strings, in order */
    char *body;
    size_t body_len;
    bool preflight;     /* the gateway answered a CORS preflight itself */
    char problem[1100]; /* why the service answers an error instead of the result, or "" */
} gw_answer;

void lc__gw_answer_init(gw_answer *a);
void lc__gw_answer_clear(gw_answer *a);
void lc__gw_answer_header(gw_answer *a, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* True when the answer has that header (case-insensitive). */
bool lc__gw_answer_has(const gw_answer *a, const char *name);

/* The service's own answer, byte for byte as AWS writes it: status, body, content type (NULL:
 * application/json) and x-amzn-ErrorType (NULL: none). Replaces what a had. */
void lc__gw_service_answer(gw_answer *a, int status, const char *body, const char *content_type,
                           const char *error_type);

/* The answer for a function's result r to event, as the API (or function URL) maps it: the
 * proxy response's fields, 2.0's inference, a function error or malformed response as the
 * service's error (judged by the response contract check uses). */
void lc__gw_map_result(const gw_call *c, const json_t *event, const lc_result *r, gw_answer *a);

/* The answer of an integration that failed (a function error, a malformed response, a call
 * Lambda refused): rest_status is 502 or 500 for a REST API. */
void lc__gw_integration_failed(const gw_api *api, int rest_status, gw_answer *a);

/* The headers the service adds to every answer (request ids, the trace id). */
void lc__gw_service_headers(const gw_call *c, gw_answer *a);

/* --- cors.c ---------------------------------------------------------------------------------- */

/* A CORS preflight the API or function URL answers itself: true (and *a filled) when req is one
 * and CORS is configured. */
bool lc__gw_preflight(const gw_api *api, const lc__http_request *req, const char *path,
                      gw_answer *a);

/* Adds the CORS headers the service adds to an actual response (HTTP APIs and function URLs;
 * a REST API adds none: its function must), replacing the function's own where the service
 * does. */
void lc__gw_cors_headers(const gw_api *api, const char *origin, gw_answer *a);

/* --- authorizer.c ---------------------------------------------------------------------------- */

/* Runs the route's authorizer, if any, with event (the integration's, built without the
 * authorizer's context). Returns true when the request may go on
 * (*context gets what the integration's event carries as requestContext.authorizer, a new
 * reference, or NULL); false with *a filled with the service's refusal. */
bool lc__gw_authorize(struct lc_gateway *gw, gw_call *c, const lc__http_request *req,
                      const json_t *event, json_t **context, gw_answer *a);

/* The cache of an API's authorizer answers: made with the API, freed with it. */
void lc__gw_auth_cache_new(gw_api *api);
void lc__gw_auth_cache_free(gw_api *api);

/* --- server.c -------------------------------------------------------------------------------- */

/* Writes a function's log lines for a request to the gateway's log (nothing without one). */
void lc__gw_log_function(const gw_call *c, const char *function, const lc_result *r);

#endif
