/* lambdacheck serve --template as an HTTP front: a team's own HTTP tests (raw HTTP, Python's
 * urllib) and a real browser (headless Chromium, Debian's chromium) reach the template's APIs and
 * function URL as they would reach API Gateway and Lambda (fixtures/projects/http-front). */
#include <check.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "../common/scratch.h"
#include "background.h"
#include "run_cli.h"
#include "suites.h"

#define FRONT LC_FIXTURES_DIR "/projects/http-front"
#define BROWSER LC_SOURCE_DIR "/suites/e2e/browser"
#define CHROMIUM "/usr/bin/chromium"
#define PYTHON "/usr/bin/python3"

static background srv, pages;
static char endpoints_file[64];
static json_t *endpoints;

/* Starts serve on the project with extra arguments, and reads the endpoints it wrote. */
static void start_front(const char *const *extra)
{
    snprintf(endpoints_file, sizeof endpoints_file, "/tmp/lc_endpoints_XXXXXX");
    close(mkstemp(endpoints_file));
    const char *argv[24] = {
        cli_path(),         "serve",        "--template",  FRONT "/template.yaml",
        "--endpoints-file", endpoints_file, "--port-file", "{port_file}"};
    int n = 8;
    for (const char *const *e = extra; e && *e && n < 22; e++)
        argv[n++] = *e;
    bg_start(&srv, argv);
    json_error_t je;
    endpoints = json_load_file(endpoints_file, 0, &je);
    ck_assert_msg(endpoints != NULL, "%s: %s", endpoints_file, je.text);
}

static void teardown(void)
{
    if (srv.pid > 0)
        bg_stop(&srv);
    if (pages.pid > 0)
        bg_stop(&pages);
    json_decref(endpoints);
    endpoints = NULL;
    unlink(endpoints_file);
    memset(&srv, 0, sizeof srv);
    memset(&pages, 0, sizeof pages);
}

static const char *api_url(const char *name)
{
    const char *url = json_string_value(json_object_get(json_object_get(endpoints, "apis"), name));
    if (url == NULL)
        url = json_string_value(json_object_get(json_object_get(endpoints, "functionUrls"), name));
    ck_assert_msg(url != NULL, "no endpoint named %s", name);
    return url;
}

/* Sends "METHOD <base path><path> HTTP/1.1" with the header lines given ("Name: v\r\n"...) to
 * the API's port and returns the whole answer (the connection closes after it). Caller frees. */
static char *raw(const char *api, const char *method, const char *path, const char *headers)
{
    const char *url = api_url(api);
    unsigned port = (unsigned)atoi(strrchr(url, ':') + 1);
    const char *prefix = strchr(strrchr(url, ':'), '/');
    char request[2048];
    int n = snprintf(request, sizeof request, "%s %s%s HTTP/1.1\r\nHost: x\r\n%s\r\n", method,
                     prefix ? prefix : "", path, headers);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(send(fd, request, (size_t)n, 0), n);
    size_t cap = 65536, len = 0;
    char *out = malloc(cap);
    for (ssize_t k; (k = recv(fd, out + len, cap - len - 1, 0)) > 0;)
        len += (size_t)k;
    out[len] = '\0';
    close(fd);
    return out;
}

START_TEST(the_endpoints_file_names_each_api_and_function_url)
{
    start_front(NULL);
    ck_assert_int_eq(json_object_size(json_object_get(endpoints, "apis")), 3);
    const char *shop = api_url("ShopApi"), *rest = api_url("ServerlessRestApi");
    ck_assert_str_eq(shop + strlen(shop) - 3, "/v1");
    ck_assert_str_eq(rest + strlen(rest) - 5, "/Prod");
    ck_assert_ptr_null(strchr(api_url("PublicApi") + 7, '/'));
    ck_assert_ptr_null(strchr(api_url("StreamFunction") + 7, '/'));
    char *log = NULL;
    bg_stop_with_log(&srv, &log);
    ck_assert_contains(log, "lambdacheck: serving API ShopApi at http://127.0.0.1:");
    ck_assert_contains(log, "lambdacheck: serving the function URL of StreamFunction at ");
    free(log);
}
END_TEST

/* curl-like raw HTTP: what goes over the wire, head and body. */
START_TEST(raw_http_gets_api_gateways_answers)
{
    start_front(NULL);
    char *a = raw("ShopApi", "GET", "/items/1", "Connection: close\r\n");
    ck_assert_msg(strncmp(a, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", a);
    ck_assert_contains(a, "\r\nx-amzn-RequestId: ");
    ck_assert_contains(a, "\r\nx-amz-apigw-id: ");
    ck_assert_contains(a, "\r\n\r\n{\"id\": \"1\", \"name\": \"kettle\"}");
    free(a);
    a = raw("ShopApi", "DELETE", "/items", "Connection: close\r\n");
    ck_assert_msg(strncmp(a, "HTTP/1.1 403 Forbidden\r\n", 24) == 0, "%s", a);
    ck_assert_contains(a, "x-amzn-ErrorType: MissingAuthenticationTokenException");
    free(a);
    a = raw("StreamFunction", "GET", "/", "Connection: close\r\n");
    ck_assert_contains(a, "Transfer-Encoding: chunked\r\n");
    ck_assert_contains(a, "\r\n4\r\none \r\n4\r\ntwo \r\n5\r\nthree\r\n0\r\n\r\n");
    free(a);
    a = raw("PublicApi", "GET", "/items/1", "Content-Length: x\r\n");
    ck_assert_msg(strncmp(a, "HTTP/1.1 400", 12) == 0, "%s", a); /* malformed: answered */
    free(a);
    char *log = NULL;
    bg_stop_with_log(&srv, &log);
    /* one line per request, after the function's own, with the time the gateway added */
    ck_assert_contains(log, "lambdacheck: ShopApi: GET /v1/items/1 -> ItemsFunction "
                            "(GET /items/{id}): 200 in ");
    ck_assert_contains(log, "gateway ");
    ck_assert_contains(log, "lambdacheck: ShopApi: DELETE /v1/items: 403 in ");
    ck_assert_contains(log, "START RequestId: ");
    free(log);
}
END_TEST

/* A team's own test in Python's urllib, reading the endpoints file as scripts do. */
START_TEST(pythons_urllib_reaches_the_apis_through_the_endpoints_file)
{
    start_front(NULL);
    cli_result r = run_command(
        (const char *[]){PYTHON, BROWSER "/urllib_calls.py", endpoints_file, NULL}, 60000);
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    static const char *const want[] = {
        "\"url\": \"v1/items\", \"method\": \"GET\", \"status\": 200",
        "\"url\": \"v1/items\", \"method\": \"POST\", \"status\": 201",
        "\"status\": 403, \"type\": \"application/json\", \"error\": "
        "\"MissingAuthenticationTokenException\", \"body\": \"{\\\"message\\\":\\\"Missing "
        "Authentication Token\\\"}\"",
        "\"url\": \"items/2\", \"method\": \"GET\", \"status\": 200, \"type\": "
        "\"application/json\", \"error\": null, \"body\": \"{\\\"id\\\": \\\"2\\\"",
        "\"url\": \"nothing\", \"method\": \"GET\", \"status\": 404",
        "\"body\": \"{\\\"orders\\\": [], \\\"for\\\": \\\"customer-7\\\"}\"",
        "\"url\": \"anything\", \"method\": \"GET\", \"status\": 200, \"type\": \"text/plain\", "
        "\"error\": null, \"body\": \"one two three\""};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        ck_assert_contains(r.out, want[i]);
    cli_result_free(&r);
}
END_TEST

/* Headless Chromium loads a page from another origin that calls the API with fetch: the browser
 * itself decides, from the gateway's CORS answers, whether the page may read the answer. */
static char *browser_sees(const char *page_host, const char *api, bool post)
{
    char url[1024];
    snprintf(url, sizeof url, "http://%s:%u/page.html?api=%s%s", page_host, pages.port, api,
             post ? "&post=1" : "");
    cli_result r = run_command(
        (const char *[]){CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                         "--virtual-time-budget=15000", "--dump-dom", url, NULL},
        60000);
    ck_assert_msg(r.status == 0, "chromium: %d: %s", r.status, r.err);
    const char *out = strstr(r.out, "<pre id=\"out\">");
    ck_assert_msg(out != NULL, "%s", r.out);
    out += strlen("<pre id=\"out\">");
    char *seen = strndup(out, strcspn(out, "<"));
    cli_result_free(&r);
    return seen;
}

START_TEST(a_browser_on_an_allowed_origin_reads_the_answer_and_one_elsewhere_is_refused)
{
    ck_assert_msg(access(CHROMIUM, X_OK) == 0,
                  "this test needs Debian's chromium (.ci/install-deps "
                  "installs it)");
    const char *pargv[] = {PYTHON, BROWSER "/pages.py", "{port_file}", NULL};
    bg_start(&pages, pargv);
    char origin[128];
    snprintf(origin, sizeof origin, "AllowedOrigin=http://127.0.0.1:%u", pages.port);
    start_front((const char *[]){"--parameter-overrides", origin, NULL});
    char api[512];
    /* an HTTP API with CorsConfiguration: allowed, then refused (localhost is another origin) */
    snprintf(api, sizeof api, "%s/items/1", api_url("PublicApi"));
    char *seen = browser_sees("127.0.0.1", api, false);
    ck_assert_str_eq(seen, "status 200 {\"id\": \"1\", \"name\": \"kettle\"}");
    free(seen);
    seen = browser_sees("localhost", api, false);
    ck_assert_msg(strncmp(seen, "blocked", 7) == 0, "%s", seen);
    free(seen);
    /* a REST API's Cors: the preflight of a JSON POST, answered by the gateway's mock */
    snprintf(api, sizeof api, "%s/items", api_url("ShopApi"));
    seen = browser_sees("127.0.0.1", api, true);
    ck_assert_str_eq(seen, "status 201 {\"id\": \"3\", \"name\": \"cup\"}");
    free(seen);
    seen = browser_sees("localhost", api, true);
    ck_assert_msg(strncmp(seen, "blocked", 7) == 0, "%s", seen);
    free(seen);
}
END_TEST

/* check runs a library's HTTP cases through the gateway it serves locally; against a deployed
 * target (here serve's Invoke API) they are skipped, never passed. */
START_TEST(http_cases_run_locally_and_are_skipped_against_a_deployed_target)
{
    cli_result r = run_cli((const char *[]){"check", "--filter", "http-front/hello", FRONT, NULL},
                           NULL, NULL, 120000);
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_contains(r.out, "PASS http-front/hello");
    cli_result_free(&r);
    const char *argv[] = {cli_path(),  "serve",       "--template",  FRONT "/template.yaml",
                          "--no-apis", "--port-file", "{port_file}", NULL};
    bg_start(&srv, argv);
    r = run_cli((const char *[]){"check", "--endpoint-url", bg_url(&srv), "--filter",
                                 "http-front/hello", FRONT, NULL},
                NULL, NULL, 120000);
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_contains(r.out, "SKIP http-front/hello: skipped: its HTTP requests go to the APIs "
                              "lambdacheck serves");
    ck_assert(strstr(r.out, "PASS ") == NULL);
    cli_result_free(&r);
}
END_TEST

/* A case's HTTP request is checked before anything runs: each mistake named, with its file. */
START_TEST(a_bad_http_step_is_a_problem_of_its_case)
{
    char *dir = scratch_dir("badhttp");
    scratch_write(dir, "lambdacheck.json",
                  "{\"functions\": {\"f\": {\"handler\": \"app.hello\", \"code\": \"" FRONT
                  "/src\"}}, \"http\": {\"apis\": [{\"name\": \"A\", \"type\": \"HTTP\", "
                  "\"routes\": [{\"path\": \"$default\", \"function\": \"f\"}]}]}, "
                  "\"cases\": [\"c\"]}");
    static const char *const cases[][2] = {
        {"{\"function\": \"f\", \"http\": {\"api\": \"B\", \"path\": \"/\"}}",
         "http.api: not one of the library's (the library's APIs and function URLs: A)"},
        {"{\"function\": \"f\", \"http\": {\"path\": \"x\"}}", "http.path is required"},
        {"{\"function\": \"f\", \"http\": {\"path\": \"/\", \"signed\": 1}}",
         "http.signed must be true or false"},
        {"{\"function\": \"f\", \"http\": {\"path\": \"/\", \"headers\": {\"a b\": \"v\"}}}",
         "\"a b\" is not a header name"},
        {"{\"function\": \"f\", \"http\": {\"path\": \"/\"}, \"event\": {}}",
         "event: an HTTP request (http) builds its own event"},
        {"{\"function\": \"f\", \"http\": {\"path\": \"/\"}, \"expect\": {\"payload\": 1}}",
         "expect.payload: an HTTP request is judged by its answer"},
        {"{\"function\": \"f\", \"expect\": {\"http\": {\"status\": 200}}}",
         "expect.http is about an HTTP request's answer"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char name[32];
        snprintf(name, sizeof name, "c/%zu/case.json", i);
        scratch_write(dir, name, "%s", cases[i][0]);
    }
    cli_result r = run_cli((const char *[]){"check", dir, NULL}, NULL, NULL, 60000);
    ck_assert_msg(r.status == 3, "exit %d: %s%s", r.status, r.out, r.err);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char where[64];
        snprintf(where, sizeof where, "c/%zu/case.json", i);
        ck_assert_contains(r.err, where);
        ck_assert_contains(r.err, cases[i][1]);
    }
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* A manifest's "http" declares routes for functions without a template; serve answers them. */
START_TEST(serve_answers_the_routes_a_manifest_declares)
{
    snprintf(endpoints_file, sizeof endpoints_file, "/tmp/lc_endpoints_XXXXXX");
    close(mkstemp(endpoints_file));
    const char *argv[] = {cli_path(),
                          "serve",
                          "--manifest",
                          LC_FIXTURES_DIR "/cases/expectations",
                          "--endpoints-file",
                          endpoints_file,
                          "--port-file",
                          "{port_file}",
                          NULL};
    bg_start(&srv, argv);
    endpoints = json_load_file(endpoints_file, 0, NULL);
    ck_assert_ptr_nonnull(endpoints);
    char *a = raw("Api", "GET", "/answer", "Connection: close\r\n");
    ck_assert_msg(strncmp(a, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", a);
    ck_assert_contains(a, "{\"message\": \"hi\", \"n\": 1}");
    free(a);
    a = raw("Api", "GET", "/nowhere", "Connection: close\r\n");
    ck_assert_msg(strncmp(a, "HTTP/1.1 403", 12) == 0, "%s", a);
    free(a);
}
END_TEST

START_TEST(serve_says_when_there_is_nothing_to_serve_over_http)
{
    char *dir = scratch_dir("noapi");
    scratch_write(dir, "template.yaml",
                  "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
                  "    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: " FRONT
                  "/src\n      Handler: app.hello\n      Runtime: python3.11\n");
    char tpl[700], ep[700];
    snprintf(tpl, sizeof tpl, "%s/template.yaml", dir);
    snprintf(ep, sizeof ep, "%s/endpoints.json", dir);
    const char *argv[] = {cli_path(), "serve",       "--template",  tpl, "--endpoints-file",
                          ep,         "--port-file", "{port_file}", NULL};
    bg_start(&srv, argv);
    char *log = NULL;
    bg_stop_with_log(&srv, &log);
    ck_assert_contains(log, "--endpoints-file: there are no APIs or function URLs to serve");
    ck_assert_int_ne(access(ep, F_OK), 0);
    free(log);
    cli_result r =
        run_cli((const char *[]){"serve", "--api-listen", "nohost", NULL}, NULL, NULL, 10000);
    ck_assert_int_eq(r.status, 2);
    ck_assert_contains(r.err, "--api-listen takes HOST:PORT, not 'nohost'");
    cli_result_free(&r);
    r = run_cli(
        (const char *[]){"serve", "--template", tpl, "--template", FRONT "/template.yaml", NULL},
        NULL, NULL, 10000);
    ck_assert_int_eq(r.status, 2);
    ck_assert_contains(r.err, "--template given twice");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

Suite *gateway_suite(void)
{
    Suite *s = suite_create("gateway");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, NULL, teardown);
    tcase_set_timeout(core, 120);
    tcase_add_test(core, the_endpoints_file_names_each_api_and_function_url);
    tcase_add_test(core, raw_http_gets_api_gateways_answers);
    tcase_add_test(core, pythons_urllib_reaches_the_apis_through_the_endpoints_file);
    tcase_add_test(core, serve_says_when_there_is_nothing_to_serve_over_http);
    tcase_add_test(core, serve_answers_the_routes_a_manifest_declares);
    tcase_add_test(core, a_bad_http_step_is_a_problem_of_its_case);
    tcase_add_test(core, http_cases_run_locally_and_are_skipped_against_a_deployed_target);
    suite_add_tcase(s, core);
    TCase *browser = tcase_create("browser");
    tcase_add_checked_fixture(browser, NULL, teardown);
    tcase_set_timeout(browser, 240);
    tcase_add_test(browser,
                   a_browser_on_an_allowed_origin_reads_the_answer_and_one_elsewhere_is_refused);
    suite_add_tcase(s, browser);
    return s;
}
