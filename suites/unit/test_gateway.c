/* The gateway: APIs and function URLs in front of the emulator, driven over HTTP as a client
 * drives API Gateway. Each rule of routing, event building, response mapping, CORS and
 * authorizers is shown with a function that honours it and, where a function can break it, one
 * that does (fixtures/functions/gateway: gw.py and model.json). The command and real projects:
 * suites/e2e/test_gateway.c. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "../common/http_test.h"
#include "../common/scratch.h"
#include "lambdacheck/gateway.h"
#include "lambdacheck/json_util.h"
#include "lambdacheck/template.h"
#include "suites.h"

#define GW LC_FIXTURES_DIR "/functions/gateway"
#define NODE_PROBES LC_FIXTURES_DIR "/functions/node-probes"

static lc_emulator *em;
static lc_gateway *gw;
static json_t *endpoints;

static void add(const char *name, const char *handler, const char *dir, const char *runtime,
                long timeout_ms)
{
    lc_function_config c = {.name = name,
                            .handler = handler,
                            .code_dir = dir,
                            .runtime = runtime,
                            .timeout_ms = timeout_ms};
    lc_function *fn;
    lc_error err = {0};
    ck_assert_msg(lc_function_new(&c, &fn, &err) == LC_OK, "%s", err.message);
    ck_assert_int_eq(lc_emulator_add_function(em, fn, NULL), LC_OK);
}

static void setup(void)
{
    static const char *const python[][2] = {{"echo", "gw.echo_event"},
                                            {"url-echo", "gw.echo_event"},
                                            {"url-iam", "gw.echo_event"},
                                            {"plain", "gw.plain"},
                                            {"text", "gw.text"},
                                            {"body-object", "gw.body_object"},
                                            {"bad-status", "gw.bad_status"},
                                            {"no-status", "gw.no_status"},
                                            {"raises", "gw.raises"},
                                            {"url-raises", "gw.raises"},
                                            {"status-string", "gw.status_string"},
                                            {"multi", "gw.multi_headers"},
                                            {"cookies", "gw.cookies"},
                                            {"png", "gw.png"},
                                            {"bad-b64", "gw.bad_base64"},
                                            {"own-cors", "gw.own_cors"},
                                            {"inject", "gw.injects"},
                                            {"token-auth", "gw.token_authorizer"},
                                            {"narrow-auth", "gw.narrow_authorizer"},
                                            {"simple-auth", "gw.simple_authorizer"}};
    ck_assert_int_eq(lc_emulator_new(NULL, &em, NULL), LC_OK);
    for (size_t i = 0; i < sizeof python / sizeof *python; i++)
        add(python[i][0], python[i][1], GW, NULL, 0);
    add("request-auth", "gw.request_authorizer", GW, NULL, 0);
    add("policy-auth", "gw.policy_authorizer", GW, NULL, 0);
    add("sleeps", "gw.sleeps", GW, NULL, 5000);
    add("stream-page", "streaming.page", NODE_PROBES, "nodejs20.x", 10000);
    add("stream-waits", "stream.waitsForCaller", GW, "nodejs20.x", 10000);
    json_t *model = json_load_file(GW "/model.json", 0, NULL);
    ck_assert_ptr_nonnull(model);
    lc_gateway_options opt = {.sigv4_access_key_id = "AKIDGATEWAY",
                              .sigv4_secret_access_key = "gateway-secret"};
    lc_error err = {0};
    ck_assert_msg(lc_gateway_start(em, model, &opt, &gw, &err) == LC_OK, "%s", err.message);
    json_decref(model);
    endpoints = lc_gateway_endpoints(gw);
}

static void teardown(void)
{
    json_decref(endpoints);
    lc_gateway_free(gw);
    lc_emulator_free(em);
    gw = NULL;
    em = NULL;
}

/* The port and path prefix of an API or function URL, from the endpoints. */
static unsigned port_of(const char *name, char *prefix, size_t size)
{
    const char *url = json_string_value(json_object_get(json_object_get(endpoints, "apis"), name));
    if (url == NULL)
        url = json_string_value(json_object_get(json_object_get(endpoints, "functionUrls"), name));
    ck_assert_msg(url != NULL, "no endpoint for %s", name);
    const char *colon = strrchr(url, ':');
    const char *slash = strchr(colon, '/');
    snprintf(prefix, size, "%s", slash ? slash : "");
    return (unsigned)atoi(colon + 1);
}

/* A request to an API: path is after its base URL. */
static http_reply call(const char *api, const char *method, const char *path,
                       const char *const *headers, const char *body)
{
    char prefix[64], full[2048];
    unsigned port = port_of(api, prefix, sizeof prefix);
    snprintf(full, sizeof full, "%s%s", prefix, path);
    return http_call(port, method, full, body, body ? strlen(body) : 0, headers, 0);
}

static const char *header(const http_reply *r, const char *name)
{
    static char value[2048];
    return http_header(r, name, value, sizeof value);
}

/* The event the echo function saw, from its answer. */
static json_t *event_of(const http_reply *r)
{
    json_t *e = json_loadb(r->body, r->body_len, 0, NULL);
    ck_assert_msg(e != NULL, "not an echoed event: %s", r->body);
    return e;
}

static const char *str_at(const json_t *v, const char *path)
{
    const char *s = json_string_value(lc_json_get_path(v, path));
    return s ? s : "";
}

#define ASSERT_ANSWER(r, want_status, want_body)                                                   \
    do {                                                                                           \
        ck_assert_msg((r).status == (want_status), "status %ld (expected %d): %s", (r).status,     \
                      (want_status), (r).body);                                                    \
        ck_assert_str_eq((r).body, (want_body));                                                   \
    } while (0)

/* --- core: endpoints and events ------------------------------------------------------------------
 */

START_TEST(endpoints_name_every_api_and_function_url_by_its_base_url)
{
    json_t *apis = json_object_get(endpoints, "apis"),
           *urls = json_object_get(endpoints, "functionUrls");
    ck_assert_int_eq(json_object_size(apis), 3);
    ck_assert_int_eq(json_object_size(urls), 5);
    const char *rest = json_string_value(json_object_get(apis, "Rest"));
    const char *http = json_string_value(json_object_get(apis, "Http"));
    const char *staged = json_string_value(json_object_get(apis, "Staged"));
    ck_assert_msg(strncmp(rest, "http://127.0.0.1:", 17) == 0, "%s", rest);
    ck_assert_str_eq(rest + strlen(rest) - 5, "/test");   /* REST: always the stage */
    ck_assert_ptr_null(strchr(http + 7, '/'));            /* $default: no prefix */
    ck_assert_str_eq(staged + strlen(staged) - 3, "/v1"); /* a named HTTP stage */
    ck_assert_ptr_null(strchr(json_string_value(json_object_get(urls, "stream-page")) + 7, '/'));
}
END_TEST

START_TEST(a_rest_api_sends_payload_1_0)
{
    const char *h[] = {"X-Mixed-Case: one", "x-mixed-case: two", "Cookie: a=1", NULL};
    http_reply r = call("Rest", "GET", "/echo/42?q=1&q=2&plus=a+b", h, NULL);
    ck_assert_int_eq(r.status, 200);
    json_t *e = event_of(&r);
    ck_assert_ptr_null(json_object_get(e, "version")); /* REST's events have none */
    ck_assert_str_eq(str_at(e, "resource"), "/echo/{id}");
    ck_assert_str_eq(str_at(e, "path"), "/echo/42");
    ck_assert_str_eq(str_at(e, "httpMethod"), "GET");
    ck_assert_str_eq(str_at(e, "pathParameters.id"), "42");
    ck_assert_str_eq(str_at(e, "queryStringParameters.q"), "2"); /* the last value */
    ck_assert_str_eq(str_at(e, "queryStringParameters.plus"), "a b");
    ck_assert_int_eq(json_array_size(lc_json_get_path(e, "multiValueQueryStringParameters.q")), 2);
    ck_assert_str_eq(str_at(e, "headers.X-Mixed-Case"), "two");
    ck_assert_int_eq(json_array_size(lc_json_get_path(e, "multiValueHeaders.X-Mixed-Case")), 2);
    ck_assert_str_eq(str_at(e, "headers.Cookie"), "a=1");
    ck_assert_str_eq(str_at(e, "headers.X-Forwarded-Proto"), "http");
    ck_assert_str_eq(str_at(e, "stageVariables.color"), "blue");
    ck_assert(json_is_null(json_object_get(e, "body")));
    ck_assert(json_is_false(json_object_get(e, "isBase64Encoded")));
    ck_assert_str_eq(str_at(e, "requestContext.path"), "/test/echo/42");
    ck_assert_str_eq(str_at(e, "requestContext.stage"), "test");
    ck_assert_str_eq(str_at(e, "requestContext.resourcePath"), "/echo/{id}");
    ck_assert_str_eq(str_at(e, "requestContext.identity.sourceIp"), "127.0.0.1");
    ck_assert(json_is_integer(lc_json_get_path(e, "requestContext.requestTimeEpoch")));
    ck_assert_int_eq(strlen(str_at(e, "requestContext.requestTime")), 26);
    ck_assert_str_eq(str_at(e, "requestContext.requestId"), header(&r, "x-amzn-RequestId"));
    ck_assert_msg(strstr(str_at(e, "requestContext.domainName"), ".execute-api.us-east-1."), "%s",
                  str_at(e, "requestContext.domainName"));
    ck_assert_str_ne(header(&r, "x-amz-apigw-id"), "");
    ck_assert_msg(strstr(header(&r, "Date"), " GMT"), "Date: %s", header(&r, "Date"));
    json_decref(e);
    http_reply_free(&r);
    /* no parameters, no query: nulls, as API Gateway sends them */
    r = call("Rest", "POST", "/echo/7", NULL, "{\"a\": 1}");
    e = event_of(&r);
    ck_assert(json_is_null(json_object_get(e, "queryStringParameters")));
    ck_assert(json_is_null(json_object_get(e, "multiValueQueryStringParameters")));
    ck_assert_str_eq(str_at(e, "body"), "{\"a\": 1}");
    json_decref(e);
    http_reply_free(&r);
}
END_TEST

START_TEST(an_http_api_sends_payload_2_0_or_1_0_as_the_route_asks)
{
    const char *h[] = {"X-Two: a", "X-Two: b", "Cookie: s=1; t=2", NULL};
    http_reply r = call("Http", "GET", "/echo/9?q=1&q=2", h, NULL);
    ck_assert_int_eq(r.status, 200);
    json_t *e = event_of(&r);
    ck_assert_str_eq(str_at(e, "version"), "2.0");
    ck_assert_str_eq(str_at(e, "routeKey"), "GET /echo/{id}");
    ck_assert_str_eq(str_at(e, "rawPath"), "/echo/9");
    ck_assert_str_eq(str_at(e, "rawQueryString"), "q=1&q=2");
    ck_assert_str_eq(str_at(e, "queryStringParameters.q"), "1,2"); /* joined */
    ck_assert_str_eq(str_at(e, "headers.x-two"), "a,b");
    ck_assert_ptr_null(lc_json_get_path(e, "headers.cookie")); /* moved to cookies */
    ck_assert_int_eq(json_array_size(json_object_get(e, "cookies")), 2);
    ck_assert_str_eq(str_at(e, "cookies[1]"), "t=2");
    ck_assert_str_eq(str_at(e, "pathParameters.id"), "9");
    ck_assert_ptr_null(json_object_get(e, "body"));           /* absent, not null */
    ck_assert_ptr_null(json_object_get(e, "stageVariables")); /* absent when none */
    ck_assert_str_eq(str_at(e, "requestContext.http.method"), "GET");
    ck_assert_str_eq(str_at(e, "requestContext.stage"), "$default");
    ck_assert_str_eq(str_at(e, "requestContext.requestId"), header(&r, "apigw-requestid"));
    ck_assert_str_eq(header(&r, "x-amzn-RequestId"), ""); /* HTTP APIs send apigw-requestid */
    json_decref(e);
    http_reply_free(&r);
    r = call("Http", "GET", "/v1/echo", NULL, NULL);
    e = event_of(&r);
    ck_assert_str_eq(str_at(e, "version"), "1.0");
    ck_assert_str_eq(str_at(e, "httpMethod"), "GET");
    ck_assert_str_eq(str_at(e, "requestContext.routeKey"), "GET /v1/echo");
    json_decref(e);
    http_reply_free(&r);
}
END_TEST

START_TEST(request_bodies_are_text_or_base64_as_each_front_decides)
{
    const char *bin[] = {"Content-Type: image/png", NULL};
    const char *form[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    const char *json_type[] = {"Content-Type: application/json; charset=utf-8", NULL};
    /* REST: base64 only for a binary media type */
    http_reply r = call("Rest", "POST", "/echo/1", bin, "PNGDATA");
    json_t *e = event_of(&r);
    ck_assert(json_is_true(json_object_get(e, "isBase64Encoded")));
    ck_assert_str_eq(str_at(e, "body"), "UE5HREFUQQ==");
    json_decref(e);
    http_reply_free(&r);
    r = call("Rest", "POST", "/echo/1", form, "a=1");
    e = event_of(&r);
    ck_assert_str_eq(str_at(e, "body"), "a=1");
    json_decref(e);
    http_reply_free(&r);
    /* HTTP APIs: text only for text, JSON, XML and JavaScript */
    r = call("Http", "POST", "/echo/1", form, "a=1");
    e = event_of(&r);
    ck_assert(json_is_true(json_object_get(e, "isBase64Encoded")));
    ck_assert_str_eq(str_at(e, "body"), "YT0x");
    json_decref(e);
    http_reply_free(&r);
    r = call("Http", "POST", "/echo/1", json_type, "{}");
    e = event_of(&r);
    ck_assert(json_is_false(json_object_get(e, "isBase64Encoded")));
    ck_assert_str_eq(str_at(e, "body"), "{}");
    json_decref(e);
    http_reply_free(&r);
}
END_TEST

START_TEST(a_function_url_sends_payload_2_0_for_any_path_with_its_request_id)
{
    http_reply r = call("url-echo", "DELETE", "/any/where?x=1", NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    json_t *e = event_of(&r);
    ck_assert_str_eq(str_at(e, "routeKey"), "$default");
    ck_assert_str_eq(str_at(e, "rawPath"), "/any/where");
    ck_assert_str_eq(str_at(e, "requestContext.http.method"), "DELETE");
    ck_assert_msg(strstr(str_at(e, "requestContext.domainName"), ".lambda-url.us-east-1.on.aws"),
                  "%s", str_at(e, "requestContext.domainName"));
    ck_assert_str_eq(str_at(e, "requestContext.requestId"), header(&r, "x-amzn-RequestId"));
    json_decref(e);
    http_reply_free(&r);
}
END_TEST

/* --- routing -----------------------------------------------------------------------------------
 */

START_TEST(the_most_specific_route_wins_and_a_greedy_one_takes_the_rest)
{
    http_reply r = call("Rest", "GET", "/items/special", NULL, NULL);
    json_t *e = event_of(&r);
    ck_assert_str_eq(str_at(e, "resource"), "/items/special");
    json_decref(e);
    http_reply_free(&r);
    r = call("Rest", "GET", "/items/other", NULL, NULL);
    e = event_of(&r);
    ck_assert_str_eq(str_at(e, "resource"), "/items/{id}");
    json_decref(e);
    http_reply_free(&r);
    r = call("Rest", "PUT", "/a/b%2Fc/d/", NULL, NULL); /* ANY /{proxy+} */
    e = event_of(&r);
    ck_assert_str_eq(str_at(e, "resource"), "/{proxy+}");
    ck_assert_str_eq(str_at(e, "pathParameters.proxy"), "a/b%2Fc/d"); /* as sent */
    json_decref(e);
    http_reply_free(&r);
}
END_TEST

START_TEST(a_request_no_route_takes_gets_the_answer_of_its_api)
{
    /* REST: 403 Missing Authentication Token, for an unknown path, method or stage */
    static const char rest[] = "{\"message\":\"Missing Authentication Token\"}";
    http_reply r = call("Rest", "DELETE", "/bad", NULL, NULL); /* /bad has GET only */
    ASSERT_ANSWER(r, 403, rest);
    ck_assert_str_eq(header(&r, "x-amzn-ErrorType"), "MissingAuthenticationTokenException");
    http_reply_free(&r);
    char prefix[64];
    unsigned port = port_of("Rest", prefix, sizeof prefix);
    r = http_call(port, "GET", "/prod/echo/1", NULL, 0, NULL, 0);
    ASSERT_ANSWER(r, 403, rest);
    http_reply_free(&r);
    r = call("Rest", "GET", "/", NULL, NULL); /* {proxy+} does not take the root */
    ASSERT_ANSWER(r, 403, rest);
    http_reply_free(&r);
    /* HTTP APIs: 404, unless $default takes it */
    r = call("Staged", "GET", "/other", NULL, NULL);
    ASSERT_ANSWER(r, 404, "{\"message\":\"Not Found\"}");
    http_reply_free(&r);
    port = port_of("Staged", prefix, sizeof prefix);
    r = http_call(port, "GET", "/only", NULL, 0, NULL, 0); /* without its stage */
    ck_assert_int_eq(r.status, 404);
    http_reply_free(&r);
    r = call("Staged", "GET", "/only", NULL, NULL);
    json_t *e = event_of(&r);
    ck_assert_str_eq(str_at(e, "rawPath"), "/v1/only"); /* a named stage is in the path */
    json_decref(e);
    http_reply_free(&r);
    r = call("Http", "PATCH", "/nowhere", NULL, NULL);
    ASSERT_ANSWER(r, 200, "{\"hello\": \"world\"}");
    http_reply_free(&r);
}
END_TEST

/* --- responses, each rule both ways -------------------------------------------------------------
 */

START_TEST(a_malformed_response_or_a_function_error_is_the_services_error)
{
    http_reply r = call("Rest", "GET", "/bad", NULL, NULL); /* body an object */
    ASSERT_ANSWER(r, 502, "{\"message\": \"Internal server error\"}");
    ck_assert_str_eq(header(&r, "x-amzn-ErrorType"), "InternalServerErrorException");
    http_reply_free(&r);
    r = call("Rest", "GET", "/nostatus", NULL, NULL);
    ck_assert_int_eq(r.status, 502);
    http_reply_free(&r);
    r = call("Rest", "GET", "/raises", NULL, NULL);
    ASSERT_ANSWER(r, 502, "{\"message\": \"Internal server error\"}");
    http_reply_free(&r);
    r = call("Http", "GET", "/bad-status", NULL, NULL);
    ASSERT_ANSWER(r, 500, "{\"message\":\"Internal Server Error\"}");
    http_reply_free(&r);
    r = call("Http", "GET", "/raises", NULL, NULL);
    ASSERT_ANSWER(r, 500, "{\"message\":\"Internal Server Error\"}");
    http_reply_free(&r);
    r = call("url-raises", "GET", "/", NULL, NULL);
    ASSERT_ANSWER(r, 502, "Internal Server Error");
    http_reply_free(&r);
    /* the other way: well-formed answers pass through */
    r = call("Rest", "GET", "/status", NULL, NULL); /* statusCode "201" */
    ASSERT_ANSWER(r, 201, "made");
    ck_assert_str_eq(header(&r, "Content-Type"), "application/json"); /* REST's default */
    http_reply_free(&r);
}
END_TEST

START_TEST(payload_2_0_infers_a_response_without_status_code)
{
    http_reply r = call("Http", "GET", "/plain", NULL, NULL);
    ASSERT_ANSWER(r, 200, "{\"hello\": \"world\"}");
    ck_assert_str_eq(header(&r, "Content-Type"), "application/json");
    http_reply_free(&r);
    r = call("Http", "GET", "/text", NULL, NULL);
    ASSERT_ANSWER(r, 200, "hello"); /* a JSON string is sent as its text */
    http_reply_free(&r);
    r = call("Http", "GET", "/cookies", NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(header(&r, "Content-Type"), "text/plain"); /* statusCode, no type */
    ck_assert_msg(strstr(r.headers, "Set-Cookie: a=1; Path=/\r\n") &&
                      strstr(r.headers, "Set-Cookie: b=2\r\n"),
                  "%s", r.headers);
    http_reply_free(&r);
}
END_TEST

START_TEST(headers_and_multi_value_headers_are_both_sent)
{
    http_reply r = call("Rest", "GET", "/multi", NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    const char *a = strstr(r.headers, "x-both: multi-a\r\n");
    const char *b = strstr(r.headers, "x-both: multi-b\r\n");
    const char *single = strstr(r.headers, "x-both: single\r\n");
    ck_assert_msg(a && b && single && a < b && b < single, "%s", r.headers);
    ck_assert_str_eq(header(&r, "X-One"), "1");
    http_reply_free(&r);
}
END_TEST

START_TEST(base64_bodies_are_decoded_where_the_service_decodes_them)
{
    static const char png[] = "\x89PNG\r\n\x1a\n\x00\xff";
    const char *accept_png[] = {"Accept: image/png", NULL};
    const char *accept_any[] = {"Accept: */*", NULL};
    http_reply r = call("Rest", "GET", "/png", accept_png, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(r.body_len, 10);
    ck_assert(memcmp(r.body, png, 10) == 0);
    http_reply_free(&r);
    r = call("Rest", "GET", "/png", accept_any, NULL); /* REST: the first Accept decides */
    ASSERT_ANSWER(r, 200, "iVBORw0KGgoA/w==");
    http_reply_free(&r);
    r = call("Http", "GET", "/png", accept_any, NULL); /* HTTP APIs always decode */
    ck_assert_int_eq(r.body_len, 10);
    http_reply_free(&r);
    r = call("Rest", "GET", "/badb64", accept_png, NULL);
    ck_assert_int_eq(r.status, 500);
    http_reply_free(&r);
}
END_TEST

START_TEST(a_header_value_cannot_write_headers_of_its_own)
{
    http_reply r = call("Rest", "GET", "/inject", NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(strstr(r.headers, "Injected") == NULL, "%s", r.headers);
    ck_assert_str_eq(header(&r, "X-Good"), "fine");
    http_reply_free(&r);
}
END_TEST

START_TEST(an_integration_past_its_timeout_is_answered_by_the_gateway)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    http_reply r = call("Rest", "GET", "/sleep?s=3", NULL, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ASSERT_ANSWER(r, 504, "{\"message\": \"Endpoint request timed out\"}");
    ck_assert_msg(t1.tv_sec - t0.tv_sec < 3, "the 504 waited for the function");
    http_reply_free(&r);
    r = call("Http", "GET", "/sleep?s=3", NULL, NULL);
    ASSERT_ANSWER(r, 503, "{\"message\":\"Service Unavailable\"}");
    http_reply_free(&r);
    r = call("Rest", "GET", "/sleep?s=0", NULL, NULL); /* in time */
    ASSERT_ANSWER(r, 200, "slept");
    http_reply_free(&r);
}
END_TEST

/* --- CORS ----------------------------------------------------------------------------------------
 */

START_TEST(an_http_api_answers_preflights_and_adds_its_cors_headers)
{
    const char *ok[] = {"Origin: https://app.example", "Access-Control-Request-Method: POST",
                        "Access-Control-Request-Headers: x-custom", NULL};
    http_reply r = call("Http", "OPTIONS", "/echo/1", ok, NULL);
    ck_assert_int_eq(r.status, 204);
    ck_assert_str_eq(header(&r, "Access-Control-Allow-Origin"), "https://app.example");
    ck_assert_str_eq(header(&r, "Access-Control-Allow-Methods"), "GET,POST");
    ck_assert_str_eq(header(&r, "Access-Control-Max-Age"), "600");
    ck_assert_str_eq(header(&r, "Access-Control-Allow-Credentials"), "true");
    http_reply_free(&r);
    const char *refused[] = {"Origin: https://evil.example", "Access-Control-Request-Method: GET",
                             NULL};
    r = call("Http", "OPTIONS", "/echo/1", refused, NULL);
    ck_assert_int_eq(r.status, 204);
    ck_assert_str_eq(header(&r, "Access-Control-Allow-Origin"), "");
    http_reply_free(&r);
    const char *origin[] = {"Origin: https://app.example", NULL};
    r = call("Http", "GET", "/own-cors", origin, NULL); /* the function's own are ignored */
    ck_assert_str_eq(header(&r, "Access-Control-Allow-Origin"), "https://app.example");
    ck_assert_str_eq(header(&r, "Access-Control-Expose-Headers"), "x-exposed");
    ck_assert_msg(strstr(r.headers, "evil") == NULL, "%s", r.headers);
    http_reply_free(&r);
}
END_TEST

START_TEST(a_rest_apis_cors_answers_options_but_leaves_responses_to_the_function)
{
    const char *pre[] = {"Origin: https://other.example", "Access-Control-Request-Method: GET",
                         NULL};
    http_reply r = call("Rest", "OPTIONS", "/echo/1", pre, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(header(&r, "Access-Control-Allow-Origin"), "https://app.example");
    ck_assert_str_eq(header(&r, "Access-Control-Allow-Methods"), "GET,OPTIONS");
    ck_assert_int_eq(r.body_len, 0);
    http_reply_free(&r);
    const char *origin[] = {"Origin: https://app.example", NULL};
    r = call("Rest", "GET", "/echo/1", origin, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(header(&r, "Access-Control-Allow-Origin"), "");
    http_reply_free(&r);
    r = call("url-echo", "OPTIONS", "/", pre, NULL); /* a function URL's preflight */
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(header(&r, "Access-Control-Allow-Origin"), "*");
    ck_assert_str_eq(header(&r, "Vary"), "Origin");
    http_reply_free(&r);
}
END_TEST

/* --- authorizers
 * ---------------------------------------------------------------------------------- */

START_TEST(a_token_authorizer_allows_denies_and_refuses_as_api_gateway_does)
{
    http_reply r = call("Rest", "GET", "/secure", NULL, NULL);
    ASSERT_ANSWER(r, 401, "{\"message\":\"Unauthorized\"}");
    http_reply_free(&r);
    const char *allow[] = {"Authorization: allow", NULL};
    r = call("Rest", "GET", "/secure", allow, NULL);
    ck_assert_int_eq(r.status, 200);
    json_t *e = event_of(&r);
    ck_assert_str_eq(str_at(e, "requestContext.authorizer.principalId"), "user-1");
    ck_assert_str_eq(str_at(e, "requestContext.authorizer.n"), "7"); /* stringified */
    ck_assert_str_eq(str_at(e, "requestContext.authorizer.admin"), "false");
    ck_assert_str_eq(str_at(e, "requestContext.authorizer.tier"), "gold");
    json_decref(e);
    http_reply_free(&r);
    const char *deny[] = {"Authorization: deny", NULL};
    r = call("Rest", "GET", "/secure", deny, NULL);
    ASSERT_ANSWER(r, 403,
                  "{\"Message\":\"User is not authorized to access this resource with "
                  "an explicit deny\"}");
    http_reply_free(&r);
    const char *unauthorized[] = {"Authorization: unauthorized", NULL};
    r = call("Rest", "GET", "/secure", unauthorized, NULL);
    ck_assert_int_eq(r.status, 401);
    http_reply_free(&r);
    const char *junk[] = {"Authorization: junk", NULL};
    r = call("Rest", "GET", "/secure", junk, NULL);
    ASSERT_ANSWER(r, 500, "{\"message\": null}");
    ck_assert_str_eq(header(&r, "x-amzn-ErrorType"), "AuthorizerConfigurationException");
    http_reply_free(&r);
}
END_TEST

/* The authorizer's policy names the first request's methodArn only: cached (300 s by default on
 * REST APIs), it refuses the same token on another route, as on AWS; without a cache each route
 * gets a policy of its own. */
START_TEST(a_cached_policy_applies_to_every_method_the_token_calls)
{
    const char *allow[] = {"Authorization: allow", NULL};
    http_reply r = call("Rest", "GET", "/secure", allow, NULL);
    ck_assert_int_eq(r.status, 200);
    http_reply_free(&r);
    r = call("Rest", "GET", "/secure2", allow, NULL);
    ASSERT_ANSWER(r, 403, "{\"Message\":\"User is not authorized to access this resource\"}");
    http_reply_free(&r);
    r = call("Rest", "GET", "/fresh", allow, NULL);
    ck_assert_int_eq(r.status, 200);
    http_reply_free(&r);
    r = call("Rest", "GET", "/fresh2", allow, NULL);
    ck_assert_int_eq(r.status, 200);
    http_reply_free(&r);
}
END_TEST

START_TEST(a_policy_that_does_not_cover_the_method_is_a_403)
{
    const char *key[] = {"Authorization: key-1", NULL};
    http_reply r = call("Rest", "GET", "/narrow", key, NULL);
    ck_assert_int_eq(r.status, 200);
    http_reply_free(&r);
    r = call("Rest", "POST", "/narrow", key, NULL);
    ASSERT_ANSWER(r, 403, "{\"Message\":\"User is not authorized to access this resource\"}");
    http_reply_free(&r);
    const char *no_match[] = {"Authorization: nokey", NULL}; /* fails validationExpression */
    r = call("Rest", "GET", "/narrow", no_match, NULL);
    ck_assert_int_eq(r.status, 401);
    http_reply_free(&r);
}
END_TEST

START_TEST(an_http_api_lambda_authorizer_with_simple_responses)
{
    http_reply r = call("Http", "GET", "/private", NULL, NULL);
    ASSERT_ANSWER(r, 401, "{\"message\":\"Unauthorized\"}");
    http_reply_free(&r);
    const char *no[] = {"Authorization: no", NULL};
    r = call("Http", "GET", "/private", no, NULL);
    ASSERT_ANSWER(r, 403, "{\"message\":\"Forbidden\"}");
    http_reply_free(&r);
    const char *yes[] = {"Authorization: yes", NULL};
    r = call("Http", "GET", "/private", yes, NULL);
    ck_assert_int_eq(r.status, 200);
    json_t *e = event_of(&r);
    ck_assert_str_eq(str_at(e, "requestContext.authorizer.lambda.who"), "me");
    ck_assert_int_eq(
        json_integer_value(lc_json_get_path(e, "requestContext.authorizer.lambda.level")), 3);
    json_decref(e);
    http_reply_free(&r);
}
END_TEST

START_TEST(a_request_authorizer_needs_every_identity_source_and_sees_the_request)
{
    const char *key[] = {"X-Key: k", NULL};
    http_reply r = call("Rest", "GET", "/request", key, NULL); /* no token: not invoked */
    ASSERT_ANSWER(r, 401, "{\"message\":\"Unauthorized\"}");
    http_reply_free(&r);
    r = call("Rest", "GET", "/request?token=t", key, NULL);
    ck_assert_int_eq(r.status, 200);
    json_t *e = event_of(&r);
    ck_assert_str_eq(str_at(e, "requestContext.authorizer.type"), "REQUEST");
    json_decref(e);
    http_reply_free(&r);
    r = call("Rest", "GET", "/request?token=wrong", key, NULL);
    ck_assert_int_eq(r.status, 403);
    http_reply_free(&r);
}
END_TEST

START_TEST(an_http_api_authorizer_may_answer_with_an_iam_policy)
{
    const char *ok[] = {"Authorization: ok", NULL}, *bad[] = {"Authorization: nope", NULL};
    http_reply r = call("Http", "GET", "/policy", ok, NULL);
    ck_assert_int_eq(r.status, 200);
    json_t *e = event_of(&r);
    ck_assert_str_eq(str_at(e, "requestContext.authorizer.lambda.version"), "1.0");
    json_decref(e);
    http_reply_free(&r);
    r = call("Http", "GET", "/policy", bad, NULL);
    ASSERT_ANSWER(r, 403, "{\"message\":\"Forbidden\"}");
    http_reply_free(&r);
}
END_TEST

START_TEST(an_aws_iam_function_url_takes_only_requests_signed_with_the_key)
{
    http_reply r = call("url-iam", "GET", "/", NULL, NULL);
    ASSERT_ANSWER(r, 403, "{\"Message\":\"Forbidden\"}");
    ck_assert_str_eq(header(&r, "x-amzn-ErrorType"), "AccessDeniedException");
    http_reply_free(&r);
    const char *forged[] = {
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIDGATEWAY/20261202/"
        "us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, "
        "Signature=0000000000000000000000000000000000000000000000000000000000000000",
        "X-Amz-Date: 20261202T000000Z", NULL};
    r = call("url-iam", "GET", "/", forged, NULL);
    ck_assert_int_eq(r.status, 403);
    ck_assert_msg(strstr(r.body, "security token") != NULL, "%s", r.body);
    http_reply_free(&r);
}
END_TEST

/* --- streaming
 * ------------------------------------------------------------------------------------ */

START_TEST(a_streaming_function_url_sends_the_prelude_then_the_body_as_written)
{
    http_reply r = call("stream-page", "GET", "/", NULL, NULL);
    ck_assert_int_eq(r.status, 201);
    ck_assert_str_eq(header(&r, "Content-Type"), "text/html");
    ck_assert_str_eq(header(&r, "Transfer-Encoding"), "chunked");
    ck_assert_msg(strstr(r.headers, "Set-Cookie: session=1\r\n"), "%s", r.headers);
    ck_assert_str_eq(r.body, "<h1>streamed</h1>");
    http_reply_free(&r);
}
END_TEST

/* The function writes, then waits until the caller has its first piece (a file the test makes on
 * reading it): only an answer streamed as written reaches its end. */
START_TEST(a_streamed_body_reaches_the_caller_before_the_function_ends)
{
    char *dir = scratch_dir("gwstream");
    char file[600], request[1200];
    snprintf(file, sizeof file, "%s/got-first", dir);
    char prefix[64];
    unsigned port = port_of("stream-waits", prefix, sizeof prefix);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    char body[700];
    int blen = snprintf(body, sizeof body, "{\"file\": \"%s\"}", file);
    int n = snprintf(request, sizeof request,
                     "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Content-Length: %d\r\n\r\n%s",
                     blen, body);
    ck_assert_int_eq(send(fd, request, (size_t)n, 0), n);
    lc_buf got;
    lc_buf_init(&got, 0);
    char buf[4096];
    bool touched = false;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ck_assert_msg(poll(&p, 1, 10000) == 1, "no answer: %s", got.data ? got.data : "");
        ssize_t k = recv(fd, buf, sizeof buf, 0);
        if (k <= 0)
            break;
        lc_buf_append(&got, buf, (size_t)k);
        if (!touched && strstr(got.data, "first ")) {
            scratch_write(dir, "got-first", "yes");
            touched = true;
        }
    }
    close(fd);
    ck_assert_msg(strstr(got.data, "second"), "%s", got.data);
    lc_buf_free(&got);
    scratch_remove(dir);
}
END_TEST

/* --- bad input at the edge -------------------------------------------------------------------- */

START_TEST(a_body_over_10_mb_is_refused_and_a_malformed_request_answered)
{
    size_t big = LC_GATEWAY_MAX_PAYLOAD + 1;
    char *body = malloc(big + 1);
    memset(body, 'x', big);
    body[big] = '\0';
    char prefix[64];
    unsigned port = port_of("Rest", prefix, sizeof prefix);
    http_reply r = http_call(port, "POST", "/test/echo/1", body, big, NULL, 0);
    ASSERT_ANSWER(r, 413, "{\"message\":\"Request Too Long\"}");
    http_reply_free(&r);
    free(body);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    const char junk[] = "GARBAGE\r\n\r\n";
    ck_assert_int_eq(send(fd, junk, sizeof junk - 1, 0), (ssize_t)(sizeof junk - 1));
    char buf[2048] = "";
    ssize_t k = recv(fd, buf, sizeof buf - 1, 0);
    close(fd);
    ck_assert_msg(k > 0 && strncmp(buf, "HTTP/1.1 400", 12) == 0, "%s", buf);
    ck_assert_msg(strstr(buf, "{\"message\":"), "%s", buf);
    /* the gateway still serves */
    r = call("Http", "GET", "/plain", NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    http_reply_free(&r);
}
END_TEST

/* --- models --------------------------------------------------------------------------------------
 */

static json_t *model_of(const char *template_text, lc_buf *notes)
{
    char *dir = scratch_dir("gwmodel");
    const char *path = scratch_write(dir, "template.yaml", "%s", template_text);
    lc_template *t = NULL;
    lc_error err = {0};
    ck_assert_msg(lc_template_load(path, NULL, &t, &err) == LC_OK, "%s", err.message);
    json_t *model = NULL;
    ck_assert_int_eq(lc_gateway_model_from_template(t, &model, notes, &err), LC_OK);
    lc_template_free(t);
    scratch_remove(dir);
    ck_assert_int_eq(lc_gateway_model_check(model, "model", &err), LC_OK);
    return model;
}

START_TEST(a_templates_apis_become_the_model_sam_would_deploy)
{
    static const char template[] =
        "Transform: AWS::Serverless-2016-10-31\n"
        "Globals:\n  Api:\n    Cors: \"'*'\"\n    BinaryMediaTypes: ['image~1png']\n"
        "  Function:\n    Runtime: python3.11\n    Handler: gw.plain\n"
        "Resources:\n"
        "  Mine:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: dev\n"
        "      Auth:\n        DefaultAuthorizer: Tok\n        Authorizers:\n"
        "          Tok:\n            FunctionArn: !GetAtt Auth.Arn\n"
        "          Pool:\n            UserPoolArn: arn:aws:cognito-idp:us-east-1:1:userpool/x\n"
        "  Http:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n"
        "      CorsConfiguration: true\n"
        "  Auth:\n    Type: AWS::Serverless::Function\n"
        "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      FunctionUrlConfig:\n        AuthType: NONE\n        InvokeMode: RESPONSE_STREAM\n"
        "      Events:\n"
        "        A:\n          Type: Api\n          Properties: {Path: /a, Method: get}\n"
        "        B:\n          Type: Api\n          Properties: {Path: /b, Method: any, RestApiId: "
        "!Ref Mine}\n"
        "        O:\n          Type: Api\n          Properties:\n            Path: /open\n"
        "            Method: post\n            RestApiId: !Ref Mine\n"
        "            Auth: {Authorizer: NONE}\n"
        "        H:\n          Type: HttpApi\n          Properties: {ApiId: !Ref Http, "
        "PayloadFormatVersion: '1.0', Path: /h, Method: GET}\n"
        "        D:\n          Type: HttpApi\n";
    lc_buf notes;
    lc_buf_init(&notes, 0);
    json_t *m = model_of(template, &notes);
    const json_t *apis = json_object_get(m, "apis");
    ck_assert_int_eq(json_array_size(apis), 4);
    json_t *by_name = json_object();
    size_t i;
    json_t *api;
    json_array_foreach(apis, i, api) json_object_set(by_name, str_at(api, "name"), api);
    const json_t *implicit = json_object_get(by_name, "ServerlessRestApi");
    ck_assert_str_eq(str_at(implicit, "stage"), "Prod");
    ck_assert_str_eq(str_at(implicit, "cors.allowOrigins[0]"), "*");        /* Globals.Api */
    ck_assert_str_eq(str_at(implicit, "binaryMediaTypes[0]"), "image/png"); /* ~1 is / */
    ck_assert_str_eq(str_at(implicit, "routes[0].method"), "GET");
    const json_t *mine = json_object_get(by_name, "Mine");
    ck_assert_str_eq(str_at(mine, "stage"), "dev");
    ck_assert_str_eq(str_at(mine, "routes[0].authorizer"), "Tok");      /* the default */
    ck_assert_ptr_null(lc_json_get_path(mine, "routes[1].authorizer")); /* Authorizer: NONE */
    ck_assert_str_eq(str_at(mine, "authorizers.Tok.function"), "Auth");
    ck_assert_str_eq(str_at(mine, "authorizers.Tok.identitySource[0]"),
                     "method.request.header.Authorization");
    const json_t *http = json_object_get(by_name, "Http");
    ck_assert_str_eq(str_at(http, "stage"), "$default");
    ck_assert_str_eq(str_at(http, "routes[0].payloadFormatVersion"), "1.0");
    ck_assert_str_eq(str_at(http, "cors.allowMethods[0]"), "*");
    const json_t *implicit_http = json_object_get(by_name, "ServerlessHttpApi");
    ck_assert_str_eq(str_at(implicit_http, "routes[0].path"), "$default");
    ck_assert_str_eq(str_at(implicit_http, "routes[0].payloadFormatVersion"), "2.0");
    ck_assert_str_eq(str_at(m, "functionUrls[0].function"), "Fn");
    ck_assert_str_eq(str_at(m, "functionUrls[0].invokeMode"), "RESPONSE_STREAM");
    ck_assert_msg(notes.data && strstr(notes.data, "Pool"), "%s", notes.data ? notes.data : "");
    json_decref(by_name);
    json_decref(m);
    lc_buf_free(&notes);
}
END_TEST

START_TEST(a_model_written_by_hand_is_checked_with_the_path_of_each_mistake)
{
    static const char *const bad[][2] = {
        {"{\"apis\": [{\"name\": \"A\", \"type\": \"SOAP\", \"routes\": []}]}",
         "http.apis[0].type: one of \"REST\", \"HTTP\", not \"SOAP\""},
        {"{\"apis\": [{\"name\": \"A\", \"type\": \"REST\", \"routes\": [{\"path\": \"/x\"}]}]}",
         "http.apis[0].routes[0]: \"function\" is required"},
        {"{\"apis\": [{\"name\": \"A\", \"type\": \"REST\", \"routes\": [{\"path\": \"x\", "
         "\"function\": \"f\"}]}]}",
         "http.apis[0].routes[0].path: a route path starts with '/'"},
        {"{\"apis\": [{\"name\": \"A\", \"type\": \"REST\", \"routes\": [{\"path\": \"/x\", "
         "\"function\": \"f\", \"authorizer\": \"Nope\"}]}]}",
         "http.apis[0].routes[0].authorizer: Nope is not one of the API's authorizers"},
        {"{\"functionUrls\": [{\"function\": \"f\", \"invokeMode\": \"STREAM\"}]}",
         "http.functionUrls[0].invokeMode: one of \"BUFFERED\", \"RESPONSE_STREAM\""},
        {"{\"apis\": [], \"urls\": []}", "http: unknown key \"urls\""},
        {"{\"apis\": [{\"name\": \"A\", \"type\": \"HTTP\", \"routes\": []}, {\"name\": \"A\", "
         "\"type\": \"REST\", \"routes\": []}]}",
         "http.apis[0] and http.apis[1] are both an API named A"},
        {"{\"apis\": [{\"name\": \"A\", \"type\": \"REST\", \"routes\": [], \"authorizers\": "
         "{\"T\": {\"function\": \"f\", \"ttlSeconds\": 4000}}}]}",
         "http.apis[0].authorizers.T.ttlSeconds: 0 (not cached) to 3600, not 4000"},
        {"{\"apis\": [{\"name\": \"A\", \"type\": \"HTTP\", \"routes\": [], \"cors\": "
         "{\"allowOrigins\": \"*\"}}]}",
         "http.apis[0].cors.allowOrigins must be a list of strings"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *m = json_loads(bad[i][0], 0, NULL);
        ck_assert_ptr_nonnull(m);
        lc_error err = {0};
        ck_assert_int_eq(lc_gateway_model_check(m, "lambdacheck.json", &err), LC_EINVAL);
        ck_assert_msg(strstr(err.message, bad[i][1]) != NULL, "%zu: %s", i, err.message);
        ck_assert_str_eq(err.source, "lambdacheck.json");
        json_decref(m);
    }
}
END_TEST

/* Fixed ports are consecutive from the one given; past 65535 is refused, not wrapped. */
START_TEST(fixed_ports_that_would_pass_65535_are_refused)
{
    lc_emulator *e = NULL;
    ck_assert_int_eq(lc_emulator_new(NULL, &e, NULL), LC_OK);
    json_t *m =
        json_loads("{\"functionUrls\": [{\"function\": \"a\"}, {\"function\": \"b\"}]}", 0, NULL);
    lc_gateway_options opt = {.port = 65535};
    lc_gateway *g = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_gateway_start(e, m, &opt, &g, &err), LC_ERANGE);
    ck_assert_ptr_null(g);
    ck_assert_msg(strstr(err.message, "need ports up to 65536, past 65535"), "%s", err.message);
    json_decref(m);
    lc_emulator_free(e);
}
END_TEST

Suite *gateway_suite(void)
{
    Suite *s = suite_create("gateway");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_set_timeout(core, 60);
    tcase_add_test(core, endpoints_name_every_api_and_function_url_by_its_base_url);
    tcase_add_test(core, a_rest_api_sends_payload_1_0);
    tcase_add_test(core, an_http_api_sends_payload_2_0_or_1_0_as_the_route_asks);
    tcase_add_test(core, request_bodies_are_text_or_base64_as_each_front_decides);
    tcase_add_test(core, a_function_url_sends_payload_2_0_for_any_path_with_its_request_id);
    suite_add_tcase(s, core);
    TCase *routing = tcase_create("routing");
    tcase_add_checked_fixture(routing, setup, teardown);
    tcase_set_timeout(routing, 60);
    tcase_add_test(routing, the_most_specific_route_wins_and_a_greedy_one_takes_the_rest);
    tcase_add_test(routing, a_request_no_route_takes_gets_the_answer_of_its_api);
    suite_add_tcase(s, routing);
    TCase *responses = tcase_create("responses");
    tcase_add_checked_fixture(responses, setup, teardown);
    tcase_set_timeout(responses, 60);
    tcase_add_test(responses, a_malformed_response_or_a_function_error_is_the_services_error);
    tcase_add_test(responses, payload_2_0_infers_a_response_without_status_code);
    tcase_add_test(responses, headers_and_multi_value_headers_are_both_sent);
    tcase_add_test(responses, base64_bodies_are_decoded_where_the_service_decodes_them);
    tcase_add_test(responses, a_header_value_cannot_write_headers_of_its_own);
    tcase_add_test(responses, an_integration_past_its_timeout_is_answered_by_the_gateway);
    suite_add_tcase(s, responses);
    TCase *cors = tcase_create("cors");
    tcase_add_checked_fixture(cors, setup, teardown);
    tcase_set_timeout(cors, 60);
    tcase_add_test(cors, an_http_api_answers_preflights_and_adds_its_cors_headers);
    tcase_add_test(cors, a_rest_apis_cors_answers_options_but_leaves_responses_to_the_function);
    suite_add_tcase(s, cors);
    TCase *auth = tcase_create("authorizers");
    tcase_add_checked_fixture(auth, setup, teardown);
    tcase_set_timeout(auth, 60);
    tcase_add_test(auth, a_token_authorizer_allows_denies_and_refuses_as_api_gateway_does);
    tcase_add_test(auth, a_policy_that_does_not_cover_the_method_is_a_403);
    tcase_add_test(auth, a_cached_policy_applies_to_every_method_the_token_calls);
    tcase_add_test(auth, an_http_api_lambda_authorizer_with_simple_responses);
    tcase_add_test(auth, a_request_authorizer_needs_every_identity_source_and_sees_the_request);
    tcase_add_test(auth, an_http_api_authorizer_may_answer_with_an_iam_policy);
    tcase_add_test(auth, an_aws_iam_function_url_takes_only_requests_signed_with_the_key);
    suite_add_tcase(s, auth);
    TCase *streaming = tcase_create("streaming");
    tcase_add_checked_fixture(streaming, setup, teardown);
    tcase_set_timeout(streaming, 60);
    tcase_add_test(streaming, a_streaming_function_url_sends_the_prelude_then_the_body_as_written);
    tcase_add_test(streaming, a_streamed_body_reaches_the_caller_before_the_function_ends);
    suite_add_tcase(s, streaming);
    TCase *limits = tcase_create("limits");
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_set_timeout(limits, 60);
    tcase_add_test(limits, a_body_over_10_mb_is_refused_and_a_malformed_request_answered);
    suite_add_tcase(s, limits);
    TCase *models = tcase_create("models");
    tcase_add_test(models, a_templates_apis_become_the_model_sam_would_deploy);
    tcase_add_test(models, a_model_written_by_hand_is_checked_with_the_path_of_each_mistake);
    tcase_add_test(models, fixed_ports_that_would_pass_65535_are_refused);
    suite_add_tcase(s, models);
    return s;
}
