/* Lambda authorizers, run before their routes.
 *
 * REST APIs: TOKEN and REQUEST authorizers answer with a principal, an IAM policy and a context
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html,
 * api-gateway-lambda-authorizer-output.html); a missing identity source or an "Unauthorized"
 * error is a 401, a policy that denies (or does not allow) the method a 403, any other failure
 * a 500 (https://repost.aws/knowledge-center/api-gateway-lambda-authorization-errors).
 * HTTP APIs: payload 1.0 or 2.0, simple responses ({"isAuthorized": ...}) or IAM policies
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html).
 * Answers are cached by identity for the authorizer's TTL (below).
 */
#include <fnmatch.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gateway_internal.h"

/* The ARN a policy must allow: arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH. */
static void method_arn(const gw_call *c, const lc__http_request *req, char *out, size_t size)
{
    snprintf(out, size, "arn:aws:execute-api:%s:%s:%s/%s/%s%s", c->api->gw->region,
             c->api->gw->account, c->api->id, c->api->stage, req->method,
             c->path[0] ? c->path : "/");
}

/* One identity source's value ("method.request.header.X", "$request.header.X",
 * "method.request.querystring.x", "$request.querystring.x", "stageVariables.x",
 * "$stageVariables.x"), or NULL when the request lacks it. */
static const char *source_value(const gw_call *c, const lc__http_request *req, const char *src,
                                json_t *event)
{
    static const char *const headers[] = {"method.request.header.", "$request.header.", NULL};
    static const char *const queries[] = {"method.request.querystring.", "$request.querystring.",
                                          NULL};
    for (const char *const *p = headers; *p; p++)
        if (strncasecmp(src, *p, strlen(*p)) == 0)
            return lc__http_header(req, src + strlen(*p));
    for (const char *const *p = queries; *p; p++) {
        if (strncasecmp(src, *p, strlen(*p)) != 0)
            continue;
        const json_t *q = json_object_get(event, "queryStringParameters");
        return json_string_value(json_object_get(q, src + strlen(*p)));
    }
    const char *dot = strchr(src, '.');
    if (dot &&
        (strncmp(src, "stageVariables.", 15) == 0 || strncmp(src, "$stageVariables.", 16) == 0))
        return json_string_value(
            json_object_get(json_object_get(c->api->config, "stageVariables"), dot + 1));
    return NULL;
}

/* --- the authorizer's event ------------------------------------------------------------------- */

static json_t *token_event(const char *token, const char *arn)
{
    return json_pack("{s:s, s:s, s:s}", "type", "TOKEN", "authorizationToken", token, "methodArn",
                     arn);
}

/* A REQUEST authorizer's event: the request's event (1.0 or 2.0) with the authorizer's fields. */
static json_t *request_event(const json_t *base, bool v2, const char *arn, const json_t *values)
{
    json_t *e = json_deep_copy(base);
    json_object_set_new(e, "type", json_string("REQUEST"));
    if (v2) {
        json_object_set_new(e, "routeArn", json_string(arn));
        json_object_set(e, "identitySource", (json_t *)values);
        json_object_del(e, "body");
        json_object_del(e, "isBase64Encoded");
    } else {
        json_object_set_new(e, "methodArn", json_string(arn));
        json_object_del(e, "body");
        json_object_del(e, "isBase64Encoded");
    }
    return e;
}

/* --- its answer ------------------------------------------------------------------------------- */

typedef enum { AUTH_ALLOW, AUTH_DENY, AUTH_NO_MATCH, AUTH_BAD } auth_effect;

static bool action_matches(const json_t *action)
{
    size_t i;
    json_t *a;
    if (json_is_string(action)) {
        const char *s = json_string_value(action);
        return fnmatch(s, "execute-api:Invoke", FNM_CASEFOLD) == 0;
    }
    json_array_foreach(action, i, a)
    {
        if (action_matches(a))
            return true;
    }
    return false;
}

static bool resource_matches(const json_t *resource, const char *arn)
{
    size_t i;
    json_t *r;
    if (json_is_string(resource))
        return fnmatch(json_string_value(resource), arn, 0) == 0;
    json_array_foreach(resource, i, r)
    {
        if (resource_matches(r, arn))
            return true;
    }
    return false;
}

/* An IAM policy against the method's ARN: an explicit deny wins, then an allow. */
static auth_effect policy_effect(const json_t *doc, const char *arn)
{
    const json_t *statements = json_object_get(doc, "Statement");
    json_t *one = NULL;
    if (json_is_object(statements))
        statements = one = json_pack("[O]", statements);
    if (!json_is_array(statements))
        return AUTH_BAD;
    bool allowed = false, denied = false;
    size_t i;
    json_t *st;
    json_array_foreach(statements, i, st)
    {
        const char *effect = json_string_value(json_object_get(st, "Effect"));
        if (effect == NULL || !action_matches(json_object_get(st, "Action")) ||
            !resource_matches(json_object_get(st, "Resource"), arn))
            continue;
        if (strcasecmp(effect, "Deny") == 0)
            denied = true;
        else if (strcasecmp(effect, "Allow") == 0)
            allowed = true;
    }
    json_decref(one);
    return denied ? AUTH_DENY : allowed ? AUTH_ALLOW : AUTH_NO_MATCH;
}

/* The context the integration sees: the principal, each context value as a string (a number
 * or boolean is "stringified", api-gateway-lambda-authorizer-output.html; an object or array
 * makes the answer invalid), and the authorizer's latency. */
static json_t *rest_context(const json_t *answer, long latency_ms, bool *bad)
{
    json_t *ctx = json_object();
    const json_t *principal = json_object_get(answer, "principalId");
    json_object_set_new(ctx, "principalId",
                        json_is_string(principal) ? json_incref((json_t *)principal)
                                                  : json_string(""));
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(answer, "context"), k, v)
    {
        if (json_is_object(v) || json_is_array(v) || json_is_null(v)) {
            *bad = *bad || !json_is_null(v);
            continue;
        }
        if (json_is_string(v)) {
            json_object_set(ctx, k, v);
            continue;
        }
        char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        json_object_set_new(ctx, k, json_string(text ? text : ""));
        free(text);
    }
    json_object_set_new(ctx, "integrationLatency", json_integer(latency_ms));
    return ctx;
}

static void unauthorized(const gw_call *c, gw_answer *a)
{
    lc__gw_service_answer(a, 401, "{\"message\":\"Unauthorized\"}", NULL,
                          c->api->kind == GW_REST ? "UnauthorizedException" : NULL);
}

static void forbidden(const gw_call *c, gw_answer *a, bool explicit_deny)
{
    if (c->api->kind != GW_REST)
        lc__gw_service_answer(a, 403, "{\"message\":\"Forbidden\"}", NULL, NULL);
    else if (explicit_deny)
        lc__gw_service_answer(a, 403,
                              "{\"Message\":\"User is not authorized to access this resource "
                              "with an explicit deny\"}",
                              NULL, "AccessDeniedException");
    else
        lc__gw_service_answer(a, 403,
                              "{\"Message\":\"User is not authorized to access this "
                              "resource\"}",
                              NULL, "AccessDeniedException");
}

static void authorizer_failed(const gw_call *c, gw_answer *a, const char *why)
{
    snprintf(a->problem, sizeof a->problem, "authorizer: %s", why);
    if (c->api->kind == GW_REST)
        lc__gw_service_answer(a, 500, "{\"message\": null}", NULL,
                              "AuthorizerConfigurationException");
    else
        lc__gw_service_answer(a, 500, "{\"message\":\"Internal Server Error\"}", NULL, NULL);
}

/* A REST authorizer's answer, or an HTTP API's IAM policy answer. */
static bool policy_answer(const gw_call *c, const json_t *answer, const char *arn, long latency_ms,
                          json_t **context, gw_answer *a)
{
    auth_effect effect = policy_effect(json_object_get(answer, "policyDocument"), arn);
    bool bad = effect == AUTH_BAD;
    json_t *ctx = rest_context(answer, latency_ms, &bad);
    if (bad) {
        json_decref(ctx);
        authorizer_failed(c, a, "the answer is not a principal and a policy document");
        return false;
    }
    if (effect != AUTH_ALLOW) {
        json_decref(ctx);
        forbidden(c, a, effect == AUTH_DENY);
        return false;
    }
    if (c->api->kind == GW_HTTP &&
        c->route->v2) { /* 2.0 events: requestContext.authorizer.lambda */
        json_t *lambda = json_object_get(answer, "context");
        *context = json_pack("{s:O}", "lambda", lambda ? lambda : json_null());
        json_decref(ctx);
    } else {
        *context = ctx;
    }
    return true;
}

static bool simple_answer(const gw_call *c, const json_t *answer, json_t **context, gw_answer *a)
{
    const json_t *ok = json_object_get(answer, "isAuthorized");
    if (!json_is_boolean(ok)) {
        authorizer_failed(c, a, "a simple response needs a boolean isAuthorized");
        return false;
    }
    if (!json_is_true(ok)) {
        forbidden(c, a, false);
        return false;
    }
    const json_t *ctx = json_object_get(answer, "context");
    json_t *copy = ctx ? json_deep_copy(ctx) : json_object();
    *context = c->route->v2 ? json_pack("{s:o}", "lambda", copy) : copy;
    return true;
}

/* --- running it
 * -------------------------------------------------------------------------------------- */

static bool token_valid(const json_t *auth, const char *token)
{
    const char *expr = json_string_value(json_object_get(auth, "validationExpression"));
    if (expr == NULL)
        return true;
    regex_t re;
    if (regcomp(&re, expr, REG_EXTENDED | REG_NOSUB) != 0)
        return true;
    bool ok = regexec(&re, token, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

/* The identity sources' values, or NULL (with a 401 in *a) when one is missing. */
static json_t *identity_values(const gw_call *c, const lc__http_request *req, const json_t *auth,
                               const json_t *event, gw_answer *a)
{
    json_t *values = json_array();
    size_t i;
    json_t *src;
    json_array_foreach(json_object_get(auth, "identitySource"), i, src)
    {
        const char *v = source_value(c, req, json_string_value(src) ?: "", (json_t *)event);
        if (v == NULL || v[0] == '\0') {
            json_decref(values);
            unauthorized(c, a);
            return NULL;
        }
        json_array_append_new(values, json_string(v) ?: json_string(""));
    }
    return values;
}

static json_t *authorizer_event(const gw_call *c, const json_t *auth, const json_t *values,
                                const json_t *event, const char *arn, bool v2)
{
    const char *type = json_string_value(json_object_get(auth, "type"));
    if (c->api->kind == GW_REST && type && strcmp(type, "TOKEN") == 0)
        return token_event(json_string_value(json_array_get(values, 0)) ?: "", arn);
    json_t *e = request_event(event, v2, arn, values);
    if (c->api->kind == GW_HTTP && !v2) {
        lc_buf joined;
        lc_buf_init(&joined, 0);
        size_t i;
        json_t *v;
        json_array_foreach(values, i, v)
            lc_buf_printf(&joined, "%s%s", i ? "," : "", json_string_value(v));
        json_object_set_new(e, "identitySource", json_string(joined.data ? joined.data : ""));
        json_object_set_new(e, "authorizationToken", json_string(joined.data ? joined.data : ""));
        json_object_set_new(e, "version", json_string("1.0"));
        lc_buf_free(&joined);
    }
    return e;
}

/* --- cached answers ------------------------------------------------------------------------- */

/* API Gateway caches an authorizer's answer by its identity sources for the authorizer's TTL
 * (REST: 300 s unless set, up to 3600; 0 turns it off), and applies a cached policy to every
 * method the same identity calls: a policy for the first methodArn only refuses the others
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/configure-api-gateway-lambda-
 * authorization-with-console.html). Bounded: the oldest entry goes first. */
#define CACHE_MAX 256

typedef struct {
    char *key;      /* authorizer name, NUL, identity values joined */
    json_t *answer; /* the authorizer's answer */
    int64_t expires_ms;
} cache_entry;

struct gw_auth_cache {
    pthread_mutex_t mu;
    cache_entry entries[CACHE_MAX];
    size_t next; /* where the next entry goes (a ring) */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long ttl_of(const gw_api *api, const json_t *auth)
{
    const json_t *ttl = json_object_get(auth, "ttlSeconds");
    return json_is_integer(ttl) ? (long)json_integer_value(ttl) : api->kind == GW_REST ? 300 : 0;
}

static char *cache_key(const char *name, const json_t *values)
{
    lc_buf b;
    lc_buf_init(&b, 0);
    lc_buf_printf(&b, "%s", name);
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v) lc_buf_printf(&b, "\n%s", json_string_value(v));
    return lc_buf_take(&b);
}

/* The cached answer for key (a new reference), or NULL. */
static json_t *cache_get(gw_api *api, const char *key)
{
    struct gw_auth_cache *cache = api->auth_cache;
    json_t *found = NULL;
    if (cache == NULL || key == NULL)
        return NULL;
    pthread_mutex_lock(&cache->mu);
    int64_t now = mono_ms();
    for (size_t i = 0; i < CACHE_MAX && found == NULL; i++) {
        cache_entry *e = &cache->entries[i];
        if (e->key && strcmp(e->key, key) == 0 && e->expires_ms > now)
            found = json_incref(e->answer);
    }
    pthread_mutex_unlock(&cache->mu);
    return found;
}

static void cache_put(gw_api *api, const char *key, json_t *answer, long ttl_s)
{
    struct gw_auth_cache *cache = api->auth_cache;
    if (cache == NULL || key == NULL || ttl_s <= 0)
        return;
    pthread_mutex_lock(&cache->mu);
    cache_entry *e = &cache->entries[cache->next];
    cache->next = (cache->next + 1) % CACHE_MAX;
    free(e->key);
    json_decref(e->answer);
    e->key = strdup(key);
    e->answer = json_incref(answer);
    e->expires_ms = mono_ms() + ttl_s * 1000;
    pthread_mutex_unlock(&cache->mu);
}

void lc__gw_auth_cache_new(gw_api *api)
{
    struct gw_auth_cache *cache = calloc(1, sizeof *cache);
    if (cache)
        pthread_mutex_init(&cache->mu, NULL);
    api->auth_cache = cache;
}

void lc__gw_auth_cache_free(gw_api *api)
{
    struct gw_auth_cache *cache = api->auth_cache;
    if (cache == NULL)
        return;
    for (size_t i = 0; i < CACHE_MAX; i++) {
        free(cache->entries[i].key);
        json_decref(cache->entries[i].answer);
    }
    pthread_mutex_destroy(&cache->mu);
    free(cache);
    api->auth_cache = NULL;
}

/* --- reading the answer ------------------------------------------------------------------------
 */

/* What an answer (fresh or cached) decides for this request. */
static bool judge_answer(const gw_call *c, const json_t *auth, const json_t *answer, bool v2,
                         const char *arn, long latency, json_t **context, gw_answer *a)
{
    if (c->api->kind == GW_HTTP && v2 && json_is_true(json_object_get(auth, "simpleResponses")))
        return simple_answer(c, answer, context, a);
    return policy_answer(c, answer, arn, latency, context, a);
}

/* The authorizer's result: its answer (a new reference), or NULL with *a the refusal. */
static json_t *read_answer(const gw_call *c, const lc_result *r, gw_answer *a)
{
    if (r->function_error[0]) {
        json_t *err = json_loadb(r->payload ? r->payload : "", r->payload_len, 0, NULL);
        const char *msg = json_string_value(json_object_get(err, "errorMessage"));
        bool said_unauthorized = msg && strcmp(msg, "Unauthorized") == 0;
        json_decref(err);
        if (said_unauthorized)
            unauthorized(c, a);
        else
            authorizer_failed(c, a, "the authorizer function failed");
        return NULL;
    }
    json_t *answer = json_loadb(r->payload ? r->payload : "", r->payload_len, 0, NULL);
    if (!json_is_object(answer)) {
        authorizer_failed(c, a, "its answer is not a JSON object");
        json_decref(answer);
        return NULL;
    }
    return answer;
}

/* Invokes the authorizer: its answer (a new reference), or NULL with *a the refusal. */
static json_t *invoke_authorizer(struct lc_gateway *gw, gw_call *c, const char *function,
                                 const json_t *e, long *latency, gw_answer *a)
{
    char *text = json_dumps(e, JSON_COMPACT);
    lc_invoke_options opt = {.payload = text ? text : "{}", .payload_len = text ? strlen(text) : 2};
    lc_result r;
    lc_error err = {0};
    json_t *answer = NULL;
    struct timespec ts0, ts1;
    clock_gettime(CLOCK_MONOTONIC, &ts0);
    lc_status st = lc_emulator_invoke(gw->em, function, &opt, &r, &err);
    clock_gettime(CLOCK_MONOTONIC, &ts1);
    c->authorizer_ms =
        (double)(ts1.tv_sec - ts0.tv_sec) * 1000.0 + (double)(ts1.tv_nsec - ts0.tv_nsec) / 1e6;
    if (st != LC_OK) {
        authorizer_failed(c, a, err.message);
    } else {
        *latency = (long)(r.duration_ms + 0.5);
        if (c->from_runner)
            snprintf(c->authorizer_request_id, sizeof c->authorizer_request_id, "%s", r.request_id);
        answer = read_answer(c, &r, a);
        lc__gw_log_function(c, function, &r);
        lc_result_clear(&r);
    }
    free(text);
    return answer;
}

bool lc__gw_authorize(struct lc_gateway *gw, gw_call *c, const lc__http_request *req,
                      const json_t *event, json_t **context, gw_answer *a)
{
    *context = NULL;
    if (c->route->authorizer == NULL)
        return true;
    const json_t *auth =
        json_object_get(json_object_get(c->api->config, "authorizers"), c->route->authorizer);
    const char *function = json_string_value(json_object_get(auth, "function"));
    const char *version = json_string_value(json_object_get(auth, "payloadFormatVersion"));
    bool v2 = c->api->kind == GW_HTTP && (version == NULL || strcmp(version, "2.0") == 0);
    json_t *values = identity_values(c, req, auth, event, a);
    if (values == NULL)
        return false;
    const char *type = json_string_value(json_object_get(auth, "type"));
    if (c->api->kind == GW_REST && type && strcmp(type, "TOKEN") == 0 &&
        !token_valid(auth, json_string_value(json_array_get(values, 0)))) {
        json_decref(values);
        unauthorized(c, a);
        return false;
    }
    char arn[2300];
    method_arn(c, req, arn, sizeof arn);
    char *key = cache_key(c->route->authorizer, values);
    long latency = 0, ttl = ttl_of(c->api, auth);
    json_t *answer = ttl > 0 ? cache_get((gw_api *)c->api, key) : NULL;
    if (answer) {
        c->authorizer_cached = true;
    } else {
        json_t *e = authorizer_event(c, auth, values, event, arn, v2);
        answer = invoke_authorizer(gw, c, function, e, &latency, a);
        json_decref(e);
        if (answer)
            cache_put((gw_api *)c->api, key, answer, ttl);
    }
    json_decref(values);
    free(key);
    bool ok = answer && judge_answer(c, auth, answer, v2, arn, latency, context, a);
    json_decref(answer);
    return ok;
}
