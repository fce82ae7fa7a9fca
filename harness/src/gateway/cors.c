/* CORS as each front does it.
 *
 * HTTP APIs: "API Gateway automatically sends a response to preflight OPTIONS requests, even if
 * there isn't an OPTIONS route configured", adds the configured headers to the integration's
 * response, and "ignores CORS headers returned from your backend integration"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html). Function
 * URLs likewise (https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html#urls-cors).
 * REST APIs: SAM's Cors adds an OPTIONS method with a mock integration to each resource that
 * answers with the configured values; with a proxy integration the function's own responses
 * must carry the headers (https://docs.aws.amazon.com/serverless-application-model/latest/
 * developerguide/sam-property-api-corsconfiguration.html; https://docs.aws.amazon.com/apigateway/
 * latest/developerguide/how-to-cors.html): the gateway adds none to them.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gateway_internal.h"

static const json_t *cors_of(const gw_api *api)
{
    const json_t *cors = json_object_get(api->config, "cors");
    return json_is_object(cors) ? cors : NULL;
}

/* A list of strings joined with ", " ("" when empty). */
static void joined(const json_t *list, char *out, size_t size)
{
    size_t i, at = 0;
    json_t *v;
    out[0] = '\0';
    json_array_foreach(list, i, v)
    {
        if (!json_is_string(v) || at >= size)
            continue;
        int n = snprintf(out + at, size - at, "%s%s", at ? "," : "", json_string_value(v));
        at += n > 0 ? (size_t)n : 0;
    }
}

static bool listed(const json_t *list, const char *value)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *s = json_string_value(v);
        if (s && (strcmp(s, "*") == 0 || strcasecmp(s, value) == 0))
            return true;
    }
    return false;
}

/* The Access-Control-Allow-Origin an origin gets, or NULL when it is not allowed. */
static const char *allowed_origin(const json_t *cors, const char *origin)
{
    const json_t *origins = json_object_get(cors, "allowOrigins");
    size_t i;
    json_t *v;
    json_array_foreach(origins, i, v)
    {
        const char *s = json_string_value(v);
        if (s && strcmp(s, "*") == 0)
            return json_is_true(json_object_get(cors, "allowCredentials")) ? origin : "*";
        if (s && origin && strcasecmp(s, origin) == 0)
            return origin;
    }
    return NULL;
}

/* Every requested header (comma-separated) is allowed. */
static bool headers_allowed(const json_t *cors, const char *requested)
{
    const json_t *allowed = json_object_get(cors, "allowHeaders");
    for (const char *p = requested; p && *p;) {
        p += strspn(p, " ,");
        size_t len = strcspn(p, ",");
        while (len && p[len - 1] == ' ')
            len--;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)len, p);
        if (len && !listed(allowed, name))
            return false;
        p += strcspn(p, ",");
    }
    return true;
}

static void preflight_headers(const json_t *cors, const char *origin, gw_answer *a)
{
    char list[2048];
    lc__gw_answer_header(a, "Access-Control-Allow-Origin", "%s", origin);
    joined(json_object_get(cors, "allowMethods"), list, sizeof list);
    if (list[0])
        lc__gw_answer_header(a, "Access-Control-Allow-Methods", "%s", list);
    joined(json_object_get(cors, "allowHeaders"), list, sizeof list);
    if (list[0])
        lc__gw_answer_header(a, "Access-Control-Allow-Headers", "%s", list);
    const json_t *age = json_object_get(cors, "maxAge");
    if (json_is_integer(age))
        lc__gw_answer_header(a, "Access-Control-Max-Age", "%lld",
                             (long long)json_integer_value(age));
    if (json_is_true(json_object_get(cors, "allowCredentials")))
        lc__gw_answer_header(a, "Access-Control-Allow-Credentials", "true");
}

/* SAM's mock OPTIONS method: every OPTIONS request to a resource gets the configured values, as
 * they are (one origin, whatever the request's). */
static bool rest_options(const gw_api *api, const json_t *cors, const char *path, gw_answer *a)
{
    if (!lc__gw_path_known(api, path))
        return false;
    const char *origin =
        json_string_value(json_array_get(json_object_get(cors, "allowOrigins"), 0));
    a->status = 200;
    preflight_headers(cors, origin ? origin : "*", a);
    lc__gw_answer_header(a, "Content-Type", "application/json");
    return true;
}

bool lc__gw_preflight(const gw_api *api, const lc__http_request *req, const char *path,
                      gw_answer *a)
{
    const json_t *cors = cors_of(api);
    if (cors == NULL || strcmp(req->method, "OPTIONS") != 0)
        return false;
    a->preflight = true;
    if (api->kind == GW_REST)
        return (a->preflight = rest_options(api, cors, path, a));
    const char *origin = lc__http_header(req, "Origin");
    const char *method = lc__http_header(req, "Access-Control-Request-Method");
    if (origin == NULL || method == NULL)
        return (a->preflight = false); /* not a preflight: an OPTIONS request for the routes */
    /* HTTP APIs answer 204; function URLs 200 with Vary: Origin (observed:
       https://rimutaka.me/blog/lambda-function-url-cors, 2024) */
    bool url = api->kind == GW_URL;
    a->status = url ? 200 : 204;
    const char *allow = allowed_origin(cors, origin);
    if (allow && listed(json_object_get(cors, "allowMethods"), method) &&
        headers_allowed(cors, lc__http_header(req, "Access-Control-Request-Headers")))
        preflight_headers(cors, allow, a);
    if (url) {
        lc__gw_answer_header(a, "Content-Type", "application/json");
        lc__gw_answer_header(a, "Vary", "Origin");
    }
    return true;
}

static void remove_cors(gw_answer *a)
{
    for (size_t i = json_array_size(a->headers); i-- > 0;) {
        const char *line = json_string_value(json_array_get(a->headers, i));
        if (strncasecmp(line, "Access-Control-", 15) == 0)
            json_array_remove(a->headers, i);
    }
}

void lc__gw_cors_headers(const gw_api *api, const char *origin, gw_answer *a)
{
    const json_t *cors = cors_of(api);
    if (cors == NULL || api->kind == GW_REST || a->preflight)
        return;
    remove_cors(a);
    const char *allow = origin && origin[0] ? allowed_origin(cors, origin) : NULL;
    if (allow == NULL)
        return;
    char list[2048];
    lc__gw_answer_header(a, "Access-Control-Allow-Origin", "%s", allow);
    joined(json_object_get(cors, "exposeHeaders"), list, sizeof list);
    if (list[0])
        lc__gw_answer_header(a, "Access-Control-Expose-Headers", "%s", list);
    if (json_is_true(json_object_get(cors, "allowCredentials")))
        lc__gw_answer_header(a, "Access-Control-Allow-Credentials", "true");
    if (strcmp(allow, "*") != 0 || api->kind == GW_URL)
        lc__gw_answer_header(a, "Vary", "Origin");
}
