/* Routes, and API Gateway's route selection.
 *
 * HTTP APIs: "API Gateway selects the route with the most-specific match": a full match of
 * route and method, then a route with a greedy path variable, then $default; a route's ANY
 * matches the methods no route of that path defines
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html).
 * REST APIs select the resource first, literal segments before {name} and {name+} last
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-settings-method-request.html),
 * then its method or ANY; a resource without the method is answered as a missing route. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gateway_internal.h"

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Splits "/a/{b}/c" into its segments; empty segments (a trailing slash) are dropped. */
static size_t split_path(const char *path, char ***out)
{
    size_t n = 0, cap = 4;
    char **segs = malloc(cap * sizeof *segs);
    for (const char *p = path; segs && *p;) {
        while (*p == '/')
            p++;
        size_t len = strcspn(p, "/");
        if (len == 0)
            break;
        if (n == cap) {
            char **grown = realloc(segs, (cap *= 2) * sizeof *segs);
            if (grown == NULL)
                break;
            segs = grown;
        }
        segs[n++] = strndup(p, len);
        p += len;
    }
    *out = segs;
    return n;
}

static bool is_param(const char *seg)
{
    return seg[0] == '{' && seg[strlen(seg) - 1] == '}';
}

static bool is_greedy(const char *seg)
{
    size_t n = strlen(seg);
    return n > 3 && seg[0] == '{' && seg[n - 2] == '+' && seg[n - 1] == '}';
}

/* A route path: "/" then segments; a {name} or {name+} is a whole segment, {name+} the last. */
static bool valid_path(const char *path, char **segs, size_t n)
{
    if (strcmp(path, "$default") == 0)
        return true;
    if (path[0] != '/')
        return false;
    for (size_t i = 0; i < n; i++) {
        const char *open = strchr(segs[i], '{'), *close = strchr(segs[i], '}');
        if ((open || close) && !is_param(segs[i]))
            return false;
        if (is_greedy(segs[i]) && i + 1 != n)
            return false;
        if (is_param(segs[i]) && strlen(segs[i]) < 3)
            return false;
    }
    return true;
}

static void upper(char *s)
{
    for (; s && *s; s++)
        *s = (char)toupper((unsigned char)*s);
}

static lc_status compile_route(gw_api *api, gw_route *r, const json_t *spec, lc_error *err)
{
    const char *path = json_string_value(json_object_get(spec, "path"));
    memset(r, 0, sizeof *r);
    r->path = strdup(path ? path : "$default");
    r->method = strdup(json_string_value(json_object_get(spec, "method")) ?: "ANY");
    upper(r->method);
    r->function = dup_or_null(json_string_value(json_object_get(spec, "function")));
    r->authorizer = dup_or_null(json_string_value(json_object_get(spec, "authorizer")));
    const char *version = json_string_value(json_object_get(spec, "payloadFormatVersion"));
    r->v2 = version ? strcmp(version, "2.0") == 0 : api->kind != GW_REST;
    json_t *timeout = json_object_get(spec, "timeoutMs");
    /* REST: 29 s by default; HTTP APIs: 30 s (the quotas pages of each) */
    r->timeout_ms = json_is_integer(timeout) ? (long)json_integer_value(timeout)
                    : api->kind == GW_REST   ? 29000
                    : api->kind == GW_HTTP   ? 30000
                                             : 0;
    if (strcmp(r->path, "$default") != 0)
        r->n_segments = split_path(r->path, &r->segments);
    r->greedy = r->n_segments && is_greedy(r->segments[r->n_segments - 1]);
    size_t key_len = strlen(r->method) + strlen(r->path) + 2;
    r->route_key = malloc(key_len);
    if (r->route_key)
        snprintf(r->route_key, key_len, "%s %s", r->method, r->path);
    if (strcmp(r->path, "$default") == 0 && r->route_key)
        strcpy(r->route_key, "$default");
    if (r->function == NULL || !valid_path(r->path, r->segments, r->n_segments))
        return lc_error_set(err, LC_EINVAL, api->name, 0, 0,
                            r->function ? "route %s %s: not a route path (\"/\" then segments; "
                                          "{name} and {name+} are whole segments, {name+} last)"
                                        : "route %s %s names no function",
                            r->method, r->path);
    return LC_OK;
}

lc_status lc__gw_compile_routes(gw_api *api, lc_error *err)
{
    const json_t *routes = json_object_get(api->config, "routes");
    json_t *url_route = NULL;
    if (api->kind == GW_URL) {
        url_route = json_pack("[{s:s, s:s, s:s}]", "method", "ANY", "path", "$default", "function",
                              api->name);
        routes = url_route;
    }
    api->n_routes = 0;
    api->routes = calloc(json_array_size(routes) + 1, sizeof *api->routes);
    lc_status st = api->routes ? LC_OK : lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 0; st == LC_OK && i < json_array_size(routes); i++) {
        st = compile_route(api, &api->routes[i], json_array_get(routes, i), err);
        api->n_routes = i + 1;
    }
    json_decref(url_route);
    return st;
}

void lc__gw_free_routes(gw_api *api)
{
    for (size_t i = 0; i < api->n_routes; i++) {
        gw_route *r = &api->routes[i];
        for (size_t s = 0; s < r->n_segments; s++)
            free(r->segments[s]);
        free(r->segments);
        free(r->method);
        free(r->path);
        free(r->function);
        free(r->authorizer);
        free(r->route_key);
    }
    free(api->routes);
    api->routes = NULL;
    api->n_routes = 0;
}

/* --- selection ----------------------------------------------------------------------------- */

/* How well a route's path matches: -1 not at all; else a score in which, segment by segment
 * from the left, a literal beats a {name} and a {name} beats a {name+} (base 4 digits). */
static long path_score(const gw_route *r, char **segs, size_t n)
{
    if (r->n_segments == 0 && strcmp(r->path, "$default") == 0)
        return -1;
    long score = 0;
    size_t i = 0;
    for (; i < r->n_segments; i++) {
        const char *rs = r->segments[i];
        int digit;
        if (is_greedy(rs)) {
            if (i >= n) /* a greedy variable takes one segment at least */
                return -1;
            digit = 1;
            i = n;
            score = score * 4 + digit;
            break;
        }
        if (i >= n)
            return -1;
        if (is_param(rs))
            digit = 2;
        else if (strcmp(rs, segs[i]) == 0)
            digit = 3;
        else
            return -1;
        score = score * 4 + digit;
    }
    if (i != n)
        return -1;
    for (size_t pad = r->n_segments; pad < 24; pad++) /* shorter routes compare fairly */
        score = score * 4;
    return score;
}

/* The path parameters of a matched route: each {name} its segment, a {name+} the rest of the
 * path (slashes kept, a trailing one dropped), as sent: API Gateway does not decode them
 * (LocalStack's snapshot recorded against AWS keeps "test%2Balias"). */
static json_t *params_of(const gw_route *r, char **segs, size_t n, const char *path)
{
    if (r->n_segments == 0)
        return NULL;
    json_t *params = json_object();
    for (size_t i = 0; i < r->n_segments && i < n; i++) {
        const char *rs = r->segments[i];
        if (!is_param(rs))
            continue;
        size_t name_len = strlen(rs) - 2 - (is_greedy(rs) ? 1 : 0);
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)name_len, rs + 1);
        char *value;
        if (is_greedy(rs)) { /* from the i-th segment to the end of the path as sent */
            const char *p = path;
            for (size_t k = 0; k <= i; k++) {
                while (*p == '/')
                    p++;
                if (k < i)
                    p += strcspn(p, "/");
            }
            size_t len = strlen(p);
            while (len && p[len - 1] == '/')
                len--;
            value = strndup(p, len);
        } else {
            value = strdup(segs[i]);
        }
        json_object_set_new(params, name, json_string(value ? value : ""));
        free(value);
    }
    if (json_object_size(params) == 0) {
        json_decref(params);
        return NULL;
    }
    return params;
}

static bool method_matches(const gw_route *r, const char *method)
{
    return strcmp(r->method, "ANY") == 0 || strcmp(r->method, method) == 0;
}

/* REST: the best resource, then its method (or ANY). */
static const gw_route *select_rest(const gw_api *api, const char *method, char **segs, size_t n)
{
    long best = -1;
    for (size_t i = 0; i < api->n_routes; i++) {
        long s = path_score(&api->routes[i], segs, n);
        if (s > best)
            best = s;
    }
    const gw_route *any = NULL;
    for (size_t i = 0; best >= 0 && i < api->n_routes; i++) {
        const gw_route *r = &api->routes[i];
        if (path_score(r, segs, n) != best)
            continue;
        if (strcmp(r->method, method) == 0)
            return r;
        if (strcmp(r->method, "ANY") == 0)
            any = r;
    }
    return any;
}

/* HTTP APIs and function URLs: the most specific route of that method (a method of its own
 * before ANY at the same path), else $default. */
static const gw_route *select_http(const gw_api *api, const char *method, char **segs, size_t n)
{
    const gw_route *best = NULL, *fallback = NULL;
    long best_score = -1;
    for (size_t i = 0; i < api->n_routes; i++) {
        const gw_route *r = &api->routes[i];
        if (strcmp(r->path, "$default") == 0) {
            fallback = r;
            continue;
        }
        if (!method_matches(r, method))
            continue;
        long s = path_score(r, segs, n);
        if (s > best_score || (s == best_score && s >= 0 && strcmp(r->method, "ANY") != 0)) {
            best_score = s;
            best = r;
        }
    }
    return best ? best : fallback;
}

bool lc__gw_path_known(const gw_api *api, const char *path)
{
    char **segs = NULL;
    size_t n = split_path(path, &segs);
    bool known = false;
    for (size_t i = 0; i < api->n_routes && !known; i++)
        known = path_score(&api->routes[i], segs, n) >= 0;
    for (size_t i = 0; i < n; i++)
        free(segs[i]);
    free(segs);
    return known;
}

const gw_route *lc__gw_select_route(const gw_api *api, const char *method, const char *path,
                                    json_t **params)
{
    char **segs = NULL;
    size_t n = split_path(path, &segs);
    const gw_route *r = api->kind == GW_REST ? select_rest(api, method, segs, n)
                                             : select_http(api, method, segs, n);
    *params = r ? params_of(r, segs, n, path) : NULL;
    for (size_t i = 0; i < n; i++)
        free(segs[i]);
    free(segs);
    return r;
}
