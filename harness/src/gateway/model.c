/* A template's HTTP front as a gateway model, and the check of a model written by hand.
 *
 * SAM's rules (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/):
 * an Api event without RestApiId belongs to the implicit ServerlessRestApi (stage Prod), an
 * HttpApi event without ApiId to the implicit ServerlessHttpApi (stage $default); an HttpApi
 * event without Path and Method is the $default route; PayloadFormatVersion is 2.0 unless the
 * event says otherwise (sam-property-function-httpapi.html); Globals.Api and Globals.HttpApi
 * apply to implicit and explicit APIs alike; BinaryMediaTypes write '/' as '~1'
 * (sam-resource-api.html); Cors values of a REST API are quoted strings ("'*'")
 * (sam-property-api-corsconfiguration.html); CorsConfiguration: true allows every origin,
 * header and method (sam-resource-httpapi.html); FunctionUrlConfig
 * (sam-property-function-functionurlconfig.html).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway_internal.h"
#include "lambdacheck/template.h"

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* A boolean property, which a template may write as the string "true". */
static bool is_true(const json_t *v)
{
    return json_is_true(v) || (json_is_string(v) && strcasecmp(json_string_value(v), "true") == 0);
}

static void note(lc_buf *notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(lc_buf *notes, const char *fmt, ...)
{
    if (notes == NULL)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    lc_buf_printf(notes, "%s\n", line);
}

/* The function a FunctionArn or TargetFunctionArn names: a logical id (Ref) or the ARN a
 * GetAtt stands for (…:function:NAME[:qualifier]). */
static char *function_of(const char *arn)
{
    if (arn == NULL)
        return NULL;
    const char *at = strstr(arn, ":function:");
    const char *start = at ? at + strlen(":function:") : arn;
    size_t len = strcspn(start, ":/.");
    return len ? strndup(start, len) : NULL;
}

/* "'value'" as SAM writes a REST API's Cors values, unquoted. */
static json_t *unquoted(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n >= 2 && s[0] == '\'' && s[n - 1] == '\'')
        return json_stringn(s + 1, n - 2);
    return json_string(s ? s : "");
}

/* A list property that may also be written as one string. */
static json_t *string_list(const json_t *v)
{
    if (json_is_string(v))
        return json_pack("[s]", json_string_value(v));
    json_t *out = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        if (json_is_string(item))
            json_array_append(out, item);
    }
    return out;
}

/* --- REST APIs ------------------------------------------------------------------------------ */

static json_t *rest_cors(const json_t *cors)
{
    if (cors == NULL)
        return NULL;
    if (json_is_string(cors)) {
        json_t *origin = unquoted(json_string_value(cors));
        return json_pack("{s:[o], s:[]}", "allowOrigins", origin, "allowMethods");
    }
    if (!json_is_object(cors))
        return NULL;
    json_t *out = json_object();
    json_t *origin = unquoted(str(cors, "AllowOrigin"));
    json_object_set_new(out, "allowOrigins", json_pack("[o]", origin));
    /* the mock answers with the values as written: one literal each */
    json_t *methods = unquoted(str(cors, "AllowMethods"));
    json_object_set_new(out, "allowMethods",
                        json_string_length(methods) ? json_pack("[O]", methods) : json_array());
    json_decref(methods);
    json_t *headers = unquoted(str(cors, "AllowHeaders"));
    json_object_set_new(out, "allowHeaders",
                        json_string_length(headers) ? json_pack("[O]", headers) : json_array());
    json_decref(headers);
    json_t *age = unquoted(str(cors, "MaxAge"));
    if (json_string_length(age))
        json_object_set_new(out, "maxAge", json_integer(atol(json_string_value(age))));
    json_decref(age);
    if (is_true(json_object_get(cors, "AllowCredentials")))
        json_object_set_new(out, "allowCredentials", json_true());
    return out;
}

static json_t *binary_types(const json_t *list)
{
    json_t *out = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(list, i, t)
    {
        const char *s = json_string_value(t);
        if (s == NULL)
            continue;
        lc_buf b;
        lc_buf_init(&b, 0);
        for (const char *p = s; *p; p++) {
            if (p[0] == '~' && p[1] == '1') {
                lc_buf_append(&b, "/", 1);
                p++;
            } else {
                lc_buf_append(&b, p, 1);
            }
        }
        json_array_append_new(out, json_string(b.data ? b.data : ""));
        lc_buf_free(&b);
    }
    return out;
}

/* SAM's Identity.ReauthorizeEvery: the seconds an answer is cached (0: not cached). */
static void set_ttl(json_t *authorizer, const json_t *every)
{
    if (json_is_integer(every))
        json_object_set(authorizer, "ttlSeconds", (json_t *)every);
    else if (json_is_string(every))
        json_object_set_new(authorizer, "ttlSeconds", json_integer(atol(json_string_value(every))));
}

/* The identity sources an authorizer's Identity lists (Headers, QueryStrings, StageVariables),
 * each written with its API's prefix for that kind. */
static void add_sources(json_t *sources, const json_t *identity, const char *const prefixes[3])
{
    static const char *const kinds[3] = {"Headers", "QueryStrings", "StageVariables"};
    for (size_t k = 0; k < 3; k++) {
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(identity, kinds[k]), i, v)
        {
            char src[300];
            snprintf(src, sizeof src, "%s%s", prefixes[k], json_string_value(v) ?: "");
            json_array_append_new(sources, json_string(src));
        }
    }
}

/* The function of a Lambda authorizer (caller frees), or NULL with a note for one lambdacheck
 * does not emulate (Cognito, JWT): its routes are served without it. */
static char *lambda_authorizer(const char *api, const char *name, const json_t *a, lc_buf *notes)
{
    char *function = function_of(str(a, "FunctionArn"));
    if (function == NULL)
        note(notes,
             "%s: authorizer %s is %s, which lambdacheck does not emulate: its routes are "
             "served without it",
             api, name,
             json_object_get(a, "UserPoolArn")        ? "a Cognito user pool authorizer"
             : json_object_get(a, "JwtConfiguration") ? "a JWT authorizer"
                                                      : "not a Lambda authorizer");
    return function;
}

/* A REST API's Lambda authorizer (FunctionPayloadType TOKEN, the default, or REQUEST). */
static json_t *rest_authorizer(const char *api, const char *name, const json_t *a, lc_buf *notes)
{
    char *function = lambda_authorizer(api, name, a, notes);
    if (function == NULL)
        return NULL;
    const char *type = str(a, "FunctionPayloadType") ?: "TOKEN";
    const json_t *id = json_object_get(a, "Identity");
    json_t *sources = json_array();
    if (strcasecmp(type, "TOKEN") == 0) {
        char src[300];
        snprintf(src, sizeof src, "method.request.header.%s", str(id, "Header") ?: "Authorization");
        json_array_append_new(sources, json_string(src));
    } else {
        static const char *const prefixes[3] = {"method.request.header.",
                                                "method.request.querystring.", "stageVariables."};
        add_sources(sources, id, prefixes);
    }
    json_t *out =
        json_pack("{s:s, s:s, s:o}", "function", function, "type",
                  strcasecmp(type, "TOKEN") == 0 ? "TOKEN" : "REQUEST", "identitySource", sources);
    if (str(id, "ValidationExpression"))
        json_object_set_new(out, "validationExpression",
                            json_string(str(id, "ValidationExpression")));
    set_ttl(out, json_object_get(id, "ReauthorizeEvery"));
    free(function);
    return out;
}

static json_t *http_authorizer(const char *api, const char *name, const json_t *a, lc_buf *notes)
{
    char *function = lambda_authorizer(api, name, a, notes);
    if (function == NULL)
        return NULL;
    static const char *const prefixes[3] = {"$request.header.", "$request.querystring.",
                                            "$stageVariables."};
    json_t *sources = json_array();
    add_sources(sources, json_object_get(a, "Identity"), prefixes);
    const char *version = str(a, "AuthorizerPayloadFormatVersion") ?: "2.0";
    json_t *out =
        json_pack("{s:s, s:s, s:o, s:s, s:b}", "function", function, "type", "REQUEST",
                  "identitySource", sources, "payloadFormatVersion", version, "simpleResponses",
                  is_true(json_object_get(a, "EnableSimpleResponses")));
    set_ttl(out, json_object_get(json_object_get(a, "Identity"), "ReauthorizeEvery"));
    free(function);
    return out;
}

static json_t *authorizers(const char *api, const json_t *auth, bool rest, lc_buf *notes)
{
    json_t *out = json_object();
    const char *name;
    json_t *a;
    json_object_foreach(json_object_get(auth, "Authorizers"), name, a)
    {
        json_t *one =
            rest ? rest_authorizer(api, name, a, notes) : http_authorizer(api, name, a, notes);
        if (one)
            json_object_set_new(out, name, one);
    }
    return out;
}

/* --- HTTP APIs ------------------------------------------------------------------------------- */

static json_t *http_cors(const json_t *cors)
{
    if (is_true(cors))
        return json_pack("{s:[s], s:[s], s:[s]}", "allowOrigins", "*", "allowMethods", "*",
                         "allowHeaders", "*");
    if (!json_is_object(cors))
        return NULL;
    json_t *out = json_pack("{s:o, s:o, s:o, s:o}", "allowOrigins",
                            string_list(json_object_get(cors, "AllowOrigins")), "allowMethods",
                            string_list(json_object_get(cors, "AllowMethods")), "allowHeaders",
                            string_list(json_object_get(cors, "AllowHeaders")), "exposeHeaders",
                            string_list(json_object_get(cors, "ExposeHeaders")));
    const json_t *age = json_object_get(cors, "MaxAge");
    if (json_is_integer(age) || json_is_string(age))
        json_object_set_new(out, "maxAge",
                            json_integer(json_is_integer(age) ? json_integer_value(age)
                                                              : atol(json_string_value(age))));
    if (is_true(json_object_get(cors, "AllowCredentials")))
        json_object_set_new(out, "allowCredentials", json_true());
    return out;
}

/* An API of the model from a SAM API's properties (props NULL: the implicit one). */
static json_t *new_api(const char *name, bool rest, const json_t *props, lc_buf *notes)
{
    const char *stage = str(props, "StageName") ?: (rest ? "Prod" : "$default");
    json_t *api = json_pack("{s:s, s:s, s:s, s:[], s:o}", "name", name, "type",
                            rest ? "REST" : "HTTP", "stage", stage, "routes", "authorizers",
                            authorizers(name, json_object_get(props, "Auth"), rest, notes));
    const json_t *vars = json_object_get(props, rest ? "Variables" : "StageVariables");
    if (json_is_object(vars))
        json_object_set(api, "stageVariables", (json_t *)vars);
    if (rest)
        json_object_set_new(api, "binaryMediaTypes",
                            binary_types(json_object_get(props, "BinaryMediaTypes")));
    json_t *cors = rest ? rest_cors(json_object_get(props, "Cors"))
                        : http_cors(json_object_get(props, "CorsConfiguration"));
    if (cors)
        json_object_set_new(api, "cors", cors);
    const char *def = str(json_object_get(props, "Auth"), "DefaultAuthorizer");
    if (def)
        json_object_set_new(api, "defaultAuthorizer", json_string(def));
    if (json_object_get(props, "DefinitionBody") || json_object_get(props, "DefinitionUri"))
        note(notes,
             "%s: routes of its OpenAPI definition are not served, only those of its "
             "functions' events",
             name);
    return api;
}

typedef struct {
    json_t *apis;      /* name -> api */
    json_t *order;     /* names, in the order they were made */
    json_t *explicit_; /* name -> Properties of the template's API resources */
    const lc_template *t;
    lc_buf *notes;
} builder;

/* The model's API of that name, made on first use. NULL for an API the template does not have,
 * or of the other kind. */
static json_t *api_named(builder *b, const char *name, bool rest)
{
    json_t *api = json_object_get(b->apis, name);
    if (api == NULL) {
        const json_t *props = json_object_get(b->explicit_, name);
        bool implicit = strcmp(name, rest ? "ServerlessRestApi" : "ServerlessHttpApi") == 0;
        if (props == NULL && !implicit)
            return NULL;
        json_t *merged = NULL;
        if (props == NULL) /* the implicit API takes the Globals too */
            props = merged = json_deep_copy(lc_template_globals(b->t, rest ? "Api" : "HttpApi"));
        api = new_api(name, rest, props, b->notes);
        json_decref(merged);
        json_object_set_new(b->apis, name, api);
        json_array_append_new(b->order, json_string(name));
    }
    bool is_rest = strcmp(str(api, "type"), "REST") == 0;
    return is_rest == rest ? api : NULL;
}

static void add_route(builder *b, const char *function, const char *event_name, const json_t *props,
                      bool rest)
{
    const char *api_name = str(props, rest ? "RestApiId" : "ApiId");
    json_t *api = api_named(b,
                            api_name ? api_name
                            : rest   ? "ServerlessRestApi"
                                     : "ServerlessHttpApi",
                            rest);
    if (api == NULL) {
        note(b->notes, "%s: event %s names API %s, which is not a%s of this template", function,
             event_name, api_name, rest ? " AWS::Serverless::Api" : "n AWS::Serverless::HttpApi");
        return;
    }
    const char *path = str(props, "Path"), *method = str(props, "Method");
    json_t *route = json_pack("{s:s, s:s, s:s}", "method", method ? method : "ANY", "path",
                              path && method ? path : "$default", "function", function);
    for (char *m = (char *)json_string_value(json_object_get(route, "method")); *m; m++)
        *m = (char)toupper((unsigned char)*m);
    json_object_set_new(route, "payloadFormatVersion",
                        json_string(rest ? "1.0" : str(props, "PayloadFormatVersion") ?: "2.0"));
    const json_t *timeout = json_object_get(props, "TimeoutInMillis");
    if (json_is_integer(timeout))
        json_object_set(route, "timeoutMs", (json_t *)timeout);
    const char *auth = str(json_object_get(props, "Auth"), "Authorizer");
    if (auth == NULL)
        auth = str(api, "defaultAuthorizer");
    if (auth && strcmp(auth, "NONE") != 0 && strcmp(auth, "AWS_IAM") != 0 &&
        json_object_get(json_object_get(api, "authorizers"), auth))
        json_object_set_new(route, "authorizer", json_string(auth));
    else if (auth && strcmp(auth, "AWS_IAM") == 0)
        note(b->notes, "%s: event %s uses IAM authorization, which the API does not check here",
             function, event_name);
    json_array_append_new(json_object_get(api, "routes"), route);
}

static json_t *url_cors(const json_t *cors)
{
    if (!json_is_object(cors))
        return NULL;
    json_t *out = http_cors(cors);
    return out;
}

static json_t *function_url(const char *function, const json_t *config)
{
    json_t *url = json_pack("{s:s, s:s, s:s}", "function", function, "authType",
                            str(config, "AuthType") ?: "NONE", "invokeMode",
                            str(config, "InvokeMode") ?: "BUFFERED");
    json_t *cors = url_cors(json_object_get(config, "Cors"));
    if (cors)
        json_object_set_new(url, "cors", cors);
    return url;
}

static void add_function(builder *b, const lc_template_function *f, json_t *urls)
{
    const char *event_name;
    json_t *event;
    json_object_foreach(json_object_get(f->properties, "Events"), event_name, event)
    {
        const char *type = str(event, "Type");
        if (type && (strcmp(type, "Api") == 0 || strcmp(type, "HttpApi") == 0))
            add_route(b, f->name, event_name, json_object_get(event, "Properties"),
                      strcmp(type, "Api") == 0);
    }
    const json_t *url = json_object_get(f->properties, "FunctionUrlConfig");
    if (json_is_object(url))
        json_array_append_new(urls, function_url(f->name, url));
}

/* AWS::Lambda::Url resources, for functions that have no FunctionUrlConfig. */
static void add_url_resources(const lc_template *t, json_t *urls, lc_buf *notes)
{
    json_t *res = lc_template_resources(t, "AWS::Lambda::Url");
    const char *id;
    json_t *props;
    json_object_foreach(res, id, props)
    {
        char *function = function_of(str(props, "TargetFunctionArn"));
        bool have = false;
        size_t i;
        json_t *u;
        json_array_foreach(urls, i, u) have =
            have || (function && !strcmp(str(u, "function"), function));
        if (function && !have && lc_template_find(t, function))
            json_array_append_new(urls, function_url(function, props));
        else if (function && have)
            note(notes,
                 "%s: %s is a second URL of function %s (on AWS, one of them is an "
                 "alias's): served as one, under the function's name",
                 id, "AWS::Lambda::Url", function);
        free(function);
    }
    json_decref(res);
}

/* SAM adds the API's methods and OPTIONS to a REST API's Cors when AllowMethods is not given. */
static void default_cors_methods(json_t *api)
{
    json_t *methods = json_object_get(json_object_get(api, "cors"), "allowMethods");
    if (methods == NULL || json_array_size(methods))
        return;
    static const char *const all[] = {"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"};
    size_t i;
    json_t *r;
    bool any = false;
    json_array_foreach(json_object_get(api, "routes"), i, r) any =
        any || !strcmp(str(r, "method"), "ANY");
    for (size_t k = 0; k < sizeof all / sizeof *all; k++) {
        bool used = any || strcmp(all[k], "OPTIONS") == 0;
        json_array_foreach(json_object_get(api, "routes"), i, r) used =
            used || !strcmp(str(r, "method"), all[k]);
        if (used)
            json_array_append_new(methods, json_string(all[k]));
    }
}

lc_status lc_gateway_model_from_template(const lc_template *t, json_t **out, lc_buf *notes,
                                         lc_error *err)
{
    (void)err;
    builder b = {.apis = json_object(), .order = json_array(), .t = t, .notes = notes};
    b.explicit_ = lc_template_resources(t, "AWS::Serverless::Api");
    json_t *http = lc_template_resources(t, "AWS::Serverless::HttpApi");
    json_object_update(b.explicit_, http);
    json_decref(http);
    json_t *urls = json_array();
    for (size_t i = 0; i < lc_template_function_count(t); i++) {
        const lc_template_function *f = lc_template_function_at(t, i);
        if (f->properties)
            add_function(&b, f, urls);
    }
    add_url_resources(t, urls, notes);
    json_t *apis = json_array();
    size_t i;
    json_t *name;
    json_array_foreach(b.order, i, name)
    {
        json_t *api = json_object_get(b.apis, json_string_value(name));
        json_object_del(api, "defaultAuthorizer");
        if (strcmp(str(api, "type"), "REST") == 0)
            default_cors_methods(api);
        json_array_append(apis, api);
    }
    *out = json_pack("{s:o, s:o}", "apis", apis, "functionUrls", urls);
    json_decref(b.apis);
    json_decref(b.order);
    json_decref(b.explicit_);
    return LC_OK;
}

/* --- checking a model ------------------------------------------------------------------------- */

static lc_status bad(lc_error *err, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static lc_status bad(lc_error *err, const char *source, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return lc_error_set(err, LC_EINVAL, source, 0, 0, "%s", msg);
}

/* What a key of a model object holds: 's' a string, 'i' an integer, 'b' a boolean, 'o' an
 * object, 'l' a list of strings, 'a' a list (checked by its owner). */
typedef struct {
    const char *key;
    char type;
    bool required;
} field;

static bool typed_as(const json_t *v, char type)
{
    size_t i;
    json_t *item;
    switch (type) {
    case 's':
        return json_is_string(v);
    case 'i':
        return json_is_integer(v);
    case 'b':
        return json_is_boolean(v);
    case 'o':
        return json_is_object(v);
    case 'a':
        return json_is_array(v);
    case 'l':
        if (!json_is_array(v))
            return false;
        json_array_foreach(v, i, item) if (!json_is_string(item)) return false;
        return true;
    default:
        return false;
    }
}

static const char *type_name(char type)
{
    switch (type) {
    case 's':
        return "a string";
    case 'i':
        return "an integer";
    case 'b':
        return "true or false";
    case 'o':
        return "an object";
    case 'l':
        return "a list of strings";
    default:
        return "a list";
    }
}

/* obj is an object with only these fields, each of its type, the required ones present. */
static lc_status check_fields(const json_t *obj, const field *fields, const char *source,
                              const char *at, lc_error *err)
{
    if (!json_is_object(obj))
        return bad(err, source, "%s must be an object", at);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        const field *f = fields;
        while (f->key && strcmp(f->key, key) != 0)
            f++;
        if (f->key == NULL)
            return bad(err, source, "%s: unknown key \"%s\"", at, key);
        if (!typed_as(v, f->type))
            return bad(err, source, "%s.%s must be %s", at, key, type_name(f->type));
    }
    for (const field *f = fields; f->key; f++)
        if (f->required && json_object_get(obj, f->key) == NULL)
            return bad(err, source, "%s: \"%s\" is required", at, f->key);
    return LC_OK;
}

static lc_status one_of(const json_t *obj, const char *key, const char *const *values,
                        const char *source, const char *at, lc_error *err)
{
    const char *v = json_string_value(json_object_get(obj, key));
    if (v == NULL)
        return LC_OK;
    for (const char *const *p = values; *p; p++)
        if (strcmp(*p, v) == 0)
            return LC_OK;
    char list[200] = "";
    for (const char *const *p = values; *p; p++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s\"%s\"",
                 p == values ? "" : ", ", *p);
    return bad(err, source, "%s.%s: one of %s, not \"%s\"", at, key, list, v);
}

static lc_status check_cors(const json_t *cors, const char *source, const char *at, lc_error *err)
{
    static const field fields[] = {{"allowOrigins", 'l', false},
                                   {"allowMethods", 'l', false},
                                   {"allowHeaders", 'l', false},
                                   {"exposeHeaders", 'l', false},
                                   {"maxAge", 'i', false},
                                   {"allowCredentials", 'b', false},
                                   {NULL, 0, false}};
    char where[128];
    snprintf(where, sizeof where, "%s.cors", at);
    return cors ? check_fields(cors, fields, source, where, err) : LC_OK;
}

static lc_status check_route(const json_t *route, const json_t *auths, const char *source,
                             const char *at, lc_error *err)
{
    static const field fields[] = {{"method", 's', false},    {"path", 's', false},
                                   {"function", 's', true},   {"payloadFormatVersion", 's', false},
                                   {"timeoutMs", 'i', false}, {"authorizer", 's', false},
                                   {NULL, 0, false}};
    static const char *const versions[] = {"1.0", "2.0", NULL};
    lc_status st = check_fields(route, fields, source, at, err);
    if (st == LC_OK)
        st = one_of(route, "payloadFormatVersion", versions, source, at, err);
    if (st != LC_OK)
        return st;
    json_int_t timeout = json_integer_value(json_object_get(route, "timeoutMs"));
    const char *auth = json_string_value(json_object_get(route, "authorizer"));
    const char *path = json_string_value(json_object_get(route, "path"));
    if (timeout < 0 || timeout > 900000)
        return bad(err, source, "%s.timeoutMs: 0 to 900000", at);
    if (auth && json_object_get(auths, auth) == NULL)
        return bad(err, source, "%s.authorizer: %s is not one of the API's authorizers", at, auth);
    if (path && strcmp(path, "$default") != 0 && path[0] != '/')
        return bad(err, source,
                   "%s.path: a route path starts with '/' (or is $default), not "
                   "\"%s\"",
                   at, path);
    return LC_OK;
}

static lc_status check_authorizers(const json_t *auths, const char *source, const char *at,
                                   lc_error *err)
{
    static const field fields[] = {{"function", 's', true},
                                   {"ttlSeconds", 'i', false},
                                   {"type", 's', false},
                                   {"identitySource", 'l', false},
                                   {"validationExpression", 's', false},
                                   {"payloadFormatVersion", 's', false},
                                   {"simpleResponses", 'b', false},
                                   {NULL, 0, false}};
    static const char *const types[] = {"TOKEN", "REQUEST", NULL};
    const char *name;
    json_t *a;
    json_object_foreach((json_t *)auths, name, a)
    {
        char where[300];
        snprintf(where, sizeof where, "%s.authorizers.%s", at, name);
        lc_status st = check_fields(a, fields, source, where, err);
        if (st == LC_OK)
            st = one_of(a, "type", types, source, where, err);
        json_int_t ttl = json_integer_value(json_object_get(a, "ttlSeconds"));
        if (st == LC_OK && (ttl < 0 || ttl > 3600))
            st = bad(err, source, "%s.ttlSeconds: 0 (not cached) to 3600, not %lld", where,
                     (long long)ttl);
        if (st != LC_OK)
            return st;
    }
    return LC_OK;
}

static lc_status check_api(const json_t *api, const char *source, size_t i, lc_error *err)
{
    static const field fields[] = {{"name", 's', true},
                                   {"type", 's', true},
                                   {"stage", 's', false},
                                   {"stageVariables", 'o', false},
                                   {"binaryMediaTypes", 'l', false},
                                   {"cors", 'o', false},
                                   {"authorizers", 'o', false},
                                   {"routes", 'a', true},
                                   {NULL, 0, false}};
    static const char *const types[] = {"REST", "HTTP", NULL};
    char at[64];
    snprintf(at, sizeof at, "http.apis[%zu]", i);
    lc_status st = check_fields(api, fields, source, at, err);
    if (st == LC_OK)
        st = one_of(api, "type", types, source, at, err);
    if (st == LC_OK)
        st = check_cors(json_object_get(api, "cors"), source, at, err);
    const json_t *auths = json_object_get(api, "authorizers");
    if (st == LC_OK && auths)
        st = check_authorizers(auths, source, at, err);
    const json_t *routes = json_object_get(api, "routes");
    for (size_t r = 0; st == LC_OK && r < json_array_size(routes); r++) {
        char rat[96];
        snprintf(rat, sizeof rat, "%s.routes[%zu]", at, r);
        st = check_route(json_array_get(routes, r), auths, source, rat, err);
    }
    return st;
}

static lc_status check_url(const json_t *url, const char *source, size_t i, lc_error *err)
{
    static const field fields[] = {{"function", 's', true},
                                   {"authType", 's', false},
                                   {"invokeMode", 's', false},
                                   {"cors", 'o', false},
                                   {NULL, 0, false}};
    static const char *const auths[] = {"NONE", "AWS_IAM", NULL};
    static const char *const modes[] = {"BUFFERED", "RESPONSE_STREAM", NULL};
    char at[64];
    snprintf(at, sizeof at, "http.functionUrls[%zu]", i);
    lc_status st = check_fields(url, fields, source, at, err);
    if (st == LC_OK)
        st = one_of(url, "authType", auths, source, at, err);
    if (st == LC_OK)
        st = one_of(url, "invokeMode", modes, source, at, err);
    if (st == LC_OK)
        st = check_cors(json_object_get(url, "cors"), source, at, err);
    return st;
}

/* Each API (and each function's URL) once: the endpoints file names them, and two of one name
 * (two libraries' implicit ServerlessHttpApi, say) could not be told apart. */
static lc_status check_unique(const json_t *list, const char *key, const char *at, const char *what,
                              const char *source, lc_error *err)
{
    for (size_t i = 0; i < json_array_size(list); i++)
        for (size_t j = 0; j < i; j++)
            if (json_equal(json_object_get(json_array_get(list, i), key),
                           json_object_get(json_array_get(list, j), key)))
                return bad(err, source,
                           "%s[%zu] and %s[%zu] are both %s named %s: serve them separately, or "
                           "give one another name",
                           at, j, at, i, what,
                           json_string_value(json_object_get(json_array_get(list, i), key)));
    return LC_OK;
}

lc_status lc_gateway_model_check(const json_t *model, const char *source, lc_error *err)
{
    static const field fields[] = {
        {"apis", 'a', false}, {"functionUrls", 'a', false}, {NULL, 0, false}};
    lc_status st = check_fields(model, fields, source, "http", err);
    const json_t *apis = json_object_get(model, "apis"),
                 *urls = json_object_get(model, "functionUrls");
    for (size_t i = 0; st == LC_OK && i < json_array_size(apis); i++)
        st = check_api(json_array_get(apis, i), source, i, err);
    for (size_t i = 0; st == LC_OK && i < json_array_size(urls); i++)
        st = check_url(json_array_get(urls, i), source, i, err);
    if (st == LC_OK)
        st = check_unique(apis, "name", "http.apis", "an API", source, err);
    if (st == LC_OK)
        st = check_unique(urls, "function", "http.functionUrls", "a function URL", source, err);
    return st;
}
