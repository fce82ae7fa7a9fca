/* The Runtime API, driven by a test that plays the runtime (spec section 3). */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "../common/http_test.h"
#include "lambdacheck/context.h"
#include "lambdacheck/runtime_api.h"
#include "suites.h"

#define NEXT "/2018-06-01/runtime/invocation/next"

static lc_runtime_api *api;

static void setup(void)
{
    ck_assert_int_eq(lc_runtime_api_start(&api, NULL), LC_OK);
}

static void teardown(void)
{
    lc_runtime_api_free(api);
    api = NULL;
}

typedef struct {
    http_reply reply;
    pthread_t thread;
} pending_next;

static void *do_next(void *arg)
{
    pending_next *p = arg;
    p->reply = http_call(lc_runtime_api_port(api), "GET", NEXT, NULL, 0, NULL, 0);
    return NULL;
}

static void start_next(pending_next *p)
{
    memset(p, 0, sizeof *p);
    pthread_create(&p->thread, NULL, do_next, p);
}

/* Submits an invocation for ctx with the given payload and content type (NULL: JSON). */
static void submit(lc_context *ctx, const char *payload, const char *content_type)
{
    json_t *headers = lc_context_runtime_headers(ctx);
    lc_runtime_invocation inv = {.request_id = lc_context_request_id(ctx),
                                 .headers = headers,
                                 .payload = payload,
                                 .payload_len = strlen(payload),
                                 .content_type = content_type,
                                 .timeout_ms = lc_context_timeout_ms(ctx)};
    ck_assert_int_eq(lc_runtime_api_submit(api, &inv, NULL), LC_OK);
    json_decref(headers);
}

/* Delivers one invocation: a runtime's /next, then the submit; returns the /next reply. */
static http_reply deliver(lc_context *ctx, const char *payload, const char *content_type)
{
    pending_next p;
    start_next(&p);
    submit(ctx, payload, content_type);
    pthread_join(p.thread, NULL);
    return p.reply;
}

static http_reply post(const char *path, const char *body, const char *const *headers)
{
    return http_call(lc_runtime_api_port(api), "POST", path, body, body ? strlen(body) : 0,
                     headers, 0);
}

static char *path_for(const lc_context *ctx, const char *what)
{
    static char path[512];
    snprintf(path, sizeof path, "/2018-06-01/runtime/invocation/%s/%s",
             lc_context_request_id(ctx), what);
    return path;
}

START_TEST(next_waits_for_an_invocation_and_carries_the_headers)
{
    lc_context *ctx = lc_context_new();
    lc_context_set_tenant_id(ctx, "tenant-1", NULL);
    http_reply r = deliver(ctx, "{\"first_name\": \"John\"}", NULL);
    char v[256];
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"first_name\": \"John\"}");
    ck_assert_str_eq(http_header(&r, "Lambda-Runtime-Aws-Request-Id", v, sizeof v),
                     lc_context_request_id(ctx));
    ck_assert_str_eq(http_header(&r, "Content-Type", v, sizeof v), "application/json");
    ck_assert_str_eq(http_header(&r, "Lambda-Runtime-Invoked-Function-Arn", v, sizeof v),
                     lc_context_invoked_arn(ctx));
    ck_assert_str_eq(http_header(&r, "Lambda-Runtime-Trace-Id", v, sizeof v),
                     lc_context_trace_id(ctx));
    ck_assert_str_eq(http_header(&r, "Lambda-Runtime-Aws-Tenant-Id", v, sizeof v), "tenant-1");
    long long deadline = atoll(http_header(&r, "Lambda-Runtime-Deadline-Ms", v, sizeof v));
    ck_assert_int_gt(deadline, lc_now_ms());
    ck_assert_int_eq(deadline, lc_runtime_api_deadline_ms(api));
    ck_assert_str_eq(http_header(&r, "Lambda-Runtime-Client-Context", v, sizeof v), "");
    ck_assert_str_eq(http_header(&r, "Lambda-Runtime-Cognito-Identity", v, sizeof v), "");
    ck_assert(lc_runtime_api_initialized(api, NULL));
    ck_assert_int_gt(lc_runtime_api_delivered_ns(api), 0);
    http_reply_free(&r);
    lc_context_free(ctx);
}
END_TEST

START_TEST(a_response_is_accepted_once)
{
    lc_context *ctx = lc_context_new();
    http_reply r = deliver(ctx, "{}", NULL);
    http_reply_free(&r);
    const char *hdr[] = {"Content-Type: application/json", NULL};
    r = post(path_for(ctx, "response"), "{\"ok\": true}", hdr);
    ck_assert_int_eq(r.status, 202);
    ck_assert_str_eq(r.body, "{\"status\":\"OK\"}");
    http_reply_free(&r);
    lc_runtime_outcome o;
    ck_assert(lc_runtime_api_take_outcome(api, &o));
    ck_assert_int_eq(o.kind, LC_RUNTIME_RESPONSE);
    ck_assert_str_eq(o.body, "{\"ok\": true}");
    ck_assert_str_eq(o.content_type, "application/json");
    lc_runtime_outcome_clear(&o);

    r = post(path_for(ctx, "response"), "{\"again\": true}", hdr);
    ck_assert_int_eq(r.status, 403);
    ck_assert_ptr_nonnull(strstr(r.body, "\"errorType\":\"InvalidStateTransition\""));
    ck_assert_ptr_nonnull(strstr(r.body, "State transition from "));
    ck_assert(!lc_runtime_api_take_outcome(api, &o));
    http_reply_free(&r);
    lc_context_free(ctx);
}
END_TEST

START_TEST(a_wrong_request_id_is_refused_with_400)
{
    lc_context *ctx = lc_context_new();
    http_reply r = deliver(ctx, "{}", NULL);
    http_reply_free(&r);
    r = post("/2018-06-01/runtime/invocation/not-the-id/response", "1", NULL);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(r.body, "{\"errorType\":\"InvalidRequestID\",\"errorMessage\":\"Invalid request ID\"}");
    http_reply_free(&r);
    lc_runtime_outcome o;
    ck_assert(!lc_runtime_api_take_outcome(api, &o));
    lc_context_free(ctx);
}
END_TEST

START_TEST(an_error_post_keeps_type_body_and_xray_cause)
{
    lc_context *ctx = lc_context_new();
    http_reply r = deliver(ctx, "{}", NULL);
    http_reply_free(&r);
    const char *hdr[] = {"Content-Type: application/json",
                         "Lambda-Runtime-Function-Error-Type: ValueError",
                         "Lambda-Runtime-Function-XRay-Error-Cause: {\"paths\": []}", NULL};
    r = post(path_for(ctx, "error"), "{\"errorType\": \"ValueError\"}", hdr);
    ck_assert_int_eq(r.status, 202);
    http_reply_free(&r);
    lc_runtime_outcome o;
    ck_assert(lc_runtime_api_take_outcome(api, &o));
    ck_assert_int_eq(o.kind, LC_RUNTIME_ERROR);
    ck_assert_str_eq(o.error_type, "ValueError");
    ck_assert_str_eq(o.xray_cause, "{\"paths\": []}");
    lc_runtime_outcome_clear(&o);
    lc_runtime_post *posts;
    size_t n = lc_runtime_api_take_posts(api, &posts);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(posts[0].path, path_for(ctx, "error"));
    ck_assert_int_eq(posts[0].status, 202);
    ck_assert_str_eq(posts[0].error_type, "ValueError");
    ck_assert_str_eq(posts[0].body, "{\"errorType\": \"ValueError\"}");
    lc_runtime_posts_free(posts, n);
    lc_context_free(ctx);
}
END_TEST

START_TEST(init_error_only_before_the_first_next)
{
    const char *hdr[] = {"Lambda-Runtime-Function-Error-Type: Runtime.ImportModuleError", NULL};
    http_reply r = post("/2018-06-01/runtime/init/error", "{\"errorType\": \"x\"}", hdr);
    ck_assert_int_eq(r.status, 202);
    http_reply_free(&r);
    lc_runtime_outcome o;
    ck_assert(lc_runtime_api_take_outcome(api, &o));
    ck_assert_int_eq(o.kind, LC_RUNTIME_INIT_ERROR);
    ck_assert_str_eq(o.error_type, "Runtime.ImportModuleError");
    lc_runtime_outcome_clear(&o);
    teardown();
    setup();
    lc_context *ctx = lc_context_new();
    r = deliver(ctx, "{}", NULL);
    http_reply_free(&r);
    r = post("/2018-06-01/runtime/init/error", "{}", hdr);
    ck_assert_int_eq(r.status, 403);
    ck_assert_ptr_nonnull(strstr(r.body, "InvalidStateTransition"));
    http_reply_free(&r);
    lc_context_free(ctx);
}
END_TEST

static http_reply get(const char *path)
{
    return http_call(lc_runtime_api_port(api), "GET", path, NULL, 0, NULL, 0);
}

/* SnapStart's restore endpoints exist only once allowed: /restore/next once, after init and
 * before the first /next (200, timed); /restore/error after it (202, the outcome) and never
 * before it or after the first /next (403). */
START_TEST(restore_endpoints_follow_snapstarts_order)
{
    const char *hdr[] = {"Lambda-Runtime-Function-Error-Type: Runtime.AfterRestoreError", NULL};
    http_reply r = get("/2018-06-01/runtime/restore/next");
    ck_assert_int_eq(r.status, 404); /* a function without SnapStart */
    http_reply_free(&r);
    lc_runtime_api_allow_restore(api);
    r = post("/2018-06-01/runtime/restore/error", "{}", hdr);
    ck_assert_int_eq(r.status, 403); /* no restore yet */
    http_reply_free(&r);
    ck_assert_int_eq(lc_runtime_api_restore_ns(api), 0);
    int64_t before = lc_monotonic_ns();
    r = get("/2018-06-01/runtime/restore/next");
    ck_assert_int_eq(r.status, 200);
    http_reply_free(&r);
    ck_assert_int_ge(lc_runtime_api_restore_ns(api), before);
    r = get("/2018-06-01/runtime/restore/next");
    ck_assert_int_eq(r.status, 403); /* once */
    http_reply_free(&r);
    r = post("/2018-06-01/runtime/restore/error", "{\"errorType\": \"ConnectionError\"}", hdr);
    ck_assert_int_eq(r.status, 202);
    http_reply_free(&r);
    lc_runtime_outcome o;
    ck_assert(lc_runtime_api_take_outcome(api, &o));
    ck_assert_int_eq(o.kind, LC_RUNTIME_RESTORE_ERROR);
    ck_assert_str_eq(o.error_type, "Runtime.AfterRestoreError");
    lc_runtime_outcome_clear(&o);
    teardown();
    setup();
    lc_runtime_api_allow_restore(api);
    r = get("/2018-06-01/runtime/restore/next");
    http_reply_free(&r);
    lc_context *ctx = lc_context_new();
    r = deliver(ctx, "{}", NULL);
    http_reply_free(&r);
    r = post("/2018-06-01/runtime/restore/error", "{}", hdr);
    ck_assert_int_eq(r.status, 403); /* the first /next ended the restore */
    http_reply_free(&r);
    lc_context_free(ctx);
}
END_TEST

START_TEST(an_oversized_response_gets_413_and_is_recorded_as_too_large)
{
    lc_context *ctx = lc_context_new();
    http_reply r = deliver(ctx, "{}", NULL);
    http_reply_free(&r);
    size_t size = LC_RUNTIME_MAX_RESPONSE + 1;
    char *big = malloc(size);
    memset(big, 'x', size);
    r = http_call(lc_runtime_api_port(api), "POST", path_for(ctx, "response"), big, size, NULL, 0);
    free(big);
    ck_assert_int_eq(r.status, 413);
    ck_assert_str_eq(r.body, "{\"errorType\":\"RequestEntityTooLarge\",\"errorMessage\":"
                             "\"Exceeded maximum allowed payload size (6291556 bytes).\"}");
    http_reply_free(&r);
    lc_runtime_outcome o;
    ck_assert(lc_runtime_api_take_outcome(api, &o));
    ck_assert_int_eq(o.kind, LC_RUNTIME_TOO_LARGE);
    ck_assert_uint_eq(o.posted_size, size);
    lc_runtime_outcome_clear(&o);
    lc_context_free(ctx);
}
END_TEST

START_TEST(a_response_of_exactly_the_limit_is_accepted)
{
    lc_context *ctx = lc_context_new();
    http_reply r = deliver(ctx, "{}", NULL);
    http_reply_free(&r);
    char *big = malloc(LC_RUNTIME_MAX_RESPONSE);
    memset(big, 'y', LC_RUNTIME_MAX_RESPONSE);
    r = http_call(lc_runtime_api_port(api), "POST", path_for(ctx, "response"), big,
                  LC_RUNTIME_MAX_RESPONSE, NULL, 0);
    free(big);
    ck_assert_int_eq(r.status, 202);
    http_reply_free(&r);
    lc_runtime_outcome o;
    ck_assert(lc_runtime_api_take_outcome(api, &o));
    ck_assert_int_eq(o.kind, LC_RUNTIME_RESPONSE);
    ck_assert_uint_eq(o.body_len, LC_RUNTIME_MAX_RESPONSE);
    lc_runtime_outcome_clear(&o);
    lc_context_free(ctx);
}
END_TEST

START_TEST(chunked_and_expect_bodies_are_read_whole)
{
    lc_context *ctx = lc_context_new();
    http_reply r = deliver(ctx, "{}", NULL);
    http_reply_free(&r);
    const char *body = "{\"sent\": \"in several chunks of seven bytes\"}";
    r = http_call(lc_runtime_api_port(api), "POST", path_for(ctx, "response"), body, strlen(body),
                  NULL, 1);
    ck_assert_int_eq(r.status, 202);
    http_reply_free(&r);
    lc_runtime_outcome o;
    ck_assert(lc_runtime_api_take_outcome(api, &o));
    ck_assert_str_eq(o.body, body);
    lc_runtime_outcome_clear(&o);

    lc_context_renew(ctx);
    r = deliver(ctx, "{}", NULL);
    http_reply_free(&r);
    const char *expect[] = {"Expect: 100-continue", NULL};
    r = post(path_for(ctx, "response"), "{\"expect\": 1}", expect);
    ck_assert_int_eq(r.status, 202);
    http_reply_free(&r);
    ck_assert(lc_runtime_api_take_outcome(api, &o));
    ck_assert_str_eq(o.body, "{\"expect\": 1}");
    lc_runtime_outcome_clear(&o);
    lc_context_free(ctx);
}
END_TEST

START_TEST(unknown_paths_and_wrong_methods)
{
    http_reply r = http_call(lc_runtime_api_port(api), "GET", "/2018-06-01/runtime/nowhere", NULL,
                             0, NULL, 0);
    ck_assert_int_eq(r.status, 404);
    http_reply_free(&r);
    r = http_call(lc_runtime_api_port(api), "GET", "/", NULL, 0, NULL, 0);
    ck_assert_int_eq(r.status, 404);
    http_reply_free(&r);
    r = post(NEXT, "", NULL);
    ck_assert_int_eq(r.status, 405);
    http_reply_free(&r);
    r = http_call(lc_runtime_api_port(api), "GET", "/2018-06-01/runtime/invocation/x/response",
                  NULL, 0, NULL, 0);
    ck_assert_int_eq(r.status, 405);
    http_reply_free(&r);
    r = http_call(lc_runtime_api_port(api), "DELETE", "/2018-06-01/runtime/init/error", NULL, 0,
                  NULL, 0);
    ck_assert_int_eq(r.status, 405);
    http_reply_free(&r);
    lc_runtime_post *posts;
    size_t n = lc_runtime_api_take_posts(api, &posts);
    ck_assert_uint_eq(n, 2); /* the two 404s are journalled; 405s name a known endpoint */
    ck_assert_int_eq(posts[0].status, 404);
    lc_runtime_posts_free(posts, n);
}
END_TEST

START_TEST(the_content_type_is_passed_through)
{
    lc_context *ctx = lc_context_new();
    http_reply r = deliver(ctx, "plain text", "text/plain");
    char v[64];
    ck_assert_str_eq(http_header(&r, "Content-Type", v, sizeof v), "text/plain");
    ck_assert_str_eq(r.body, "plain text");
    http_reply_free(&r);
    lc_context_free(ctx);
}
END_TEST

START_TEST(next_before_responding_is_refused)
{
    lc_context *ctx = lc_context_new();
    http_reply r = deliver(ctx, "{}", NULL);
    http_reply_free(&r);
    r = http_call(lc_runtime_api_port(api), "GET", NEXT, NULL, 0, NULL, 0);
    ck_assert_int_eq(r.status, 403);
    http_reply_free(&r);
    lc_context_free(ctx);
}
END_TEST

START_TEST(a_second_submit_while_one_is_in_flight_is_refused)
{
    lc_context *ctx = lc_context_new();
    submit(ctx, "{}", NULL);
    json_t *headers = lc_context_runtime_headers(ctx);
    lc_runtime_invocation inv = {.request_id = "x", .headers = headers, .payload = "{}",
                                 .payload_len = 2};
    lc_error err = {0};
    ck_assert_int_eq(lc_runtime_api_submit(api, &inv, &err), LC_ESTATE);
    json_decref(headers);
    lc_context_free(ctx);
}
END_TEST

START_TEST(stopping_releases_a_waiting_next)
{
    pending_next p;
    start_next(&p);
    /* wait until the runtime's /next is in, without sleeping blindly */
    while (!lc_runtime_api_initialized(api, NULL))
        sched_yield();
    teardown();
    pthread_join(p.thread, NULL);
    ck_assert_int_ne(p.reply.status, 200);
    http_reply_free(&p.reply);
    setup();
}
END_TEST

START_TEST(it_listens_on_loopback_with_an_ephemeral_port)
{
    ck_assert_uint_gt(lc_runtime_api_port(api), 0);
    char want[32];
    snprintf(want, sizeof want, "127.0.0.1:%u", lc_runtime_api_port(api));
    ck_assert_str_eq(lc_runtime_api_address(api), want);
}
END_TEST

/* --- Managed Instances: a concurrent Runtime API ------------------------------------------- */

static void setup_concurrent(void)
{
    ck_assert_int_eq(lc_runtime_api_start_concurrent(3, &api, NULL), LC_OK);
}

static lc_context *new_ctx(void)
{
    lc_context *ctx = lc_context_new();
    ck_assert_ptr_nonnull(ctx);
    return ctx;
}

/* Waits until a /next waits in the API (one of a runtime's workers). */
static void wait_for_waiting(void)
{
    for (int i = 0; i < 2000 && !lc_runtime_api_runtime_waiting(api); i++)
        sched_yield();
}

START_TEST(concurrent_next_requests_each_get_an_invocation_oldest_first)
{
    pending_next p[3];
    lc_context *ctx[3];
    for (int i = 0; i < 3; i++) {
        start_next(&p[i]);
        ctx[i] = new_ctx();
    }
    wait_for_waiting();
    submit(ctx[0], "{\"n\":0}", NULL);
    submit(ctx[1], "{\"n\":1}", NULL);
    submit(ctx[2], "{\"n\":2}", NULL);
    bool seen[3] = {false};
    for (int i = 0; i < 3; i++) {
        pthread_join(p[i].thread, NULL);
        ck_assert_int_eq(p[i].reply.status, 200);
        int n = p[i].reply.body[5] - '0';
        ck_assert(n >= 0 && n < 3 && !seen[n]);
        seen[n] = true;
        http_reply_free(&p[i].reply);
    }
    /* all three are in flight at once; each ends with its own post, in any order */
    for (int i = 2; i >= 0; i--) {
        http_reply r = post(path_for(ctx[i], "response"), "\"ok\"", NULL);
        ck_assert_int_eq(r.status, 202);
        http_reply_free(&r);
        lc_runtime_outcome o;
        ck_assert(lc_runtime_api_take_outcome_of(api, lc_context_request_id(ctx[i]), &o));
        ck_assert_int_eq(o.kind, LC_RUNTIME_RESPONSE);
        ck_assert_str_eq(o.body, "\"ok\"");
        lc_runtime_outcome_clear(&o);
        ck_assert(!lc_runtime_api_take_outcome_of(api, lc_context_request_id(ctx[i]), &o));
    }
    for (int i = 0; i < 3; i++)
        lc_context_free(ctx[i]);
}
END_TEST

START_TEST(a_concurrent_api_refuses_more_than_its_maximum)
{
    lc_context *ctx[4];
    for (int i = 0; i < 4; i++)
        ctx[i] = new_ctx();
    for (int i = 0; i < 3; i++)
        submit(ctx[i], "{}", NULL);
    json_t *headers = lc_context_runtime_headers(ctx[3]);
    lc_runtime_invocation inv = {.request_id = lc_context_request_id(ctx[3]), .headers = headers,
                                 .payload = "{}", .payload_len = 2};
    lc_error err = {0};
    ck_assert_int_eq(lc_runtime_api_submit(api, &inv, &err), LC_EBUSY);
    ck_assert_ptr_nonnull(strstr(err.message, "already runs 3 invocations"));
    inv.request_id = lc_context_request_id(ctx[0]); /* an id already in flight */
    lc_runtime_api_abandon_of(api, lc_context_request_id(ctx[1]));
    ck_assert_int_eq(lc_runtime_api_submit(api, &inv, &err), LC_ESTATE);
    json_decref(headers);
    for (int i = 0; i < 4; i++)
        lc_context_free(ctx[i]);
}
END_TEST

START_TEST(concurrent_posts_unknown_twice_and_late_are_refused)
{
    lc_context *ctx = new_ctx(), *late = new_ctx();
    http_reply r = deliver(ctx, "{}", NULL);
    http_reply_free(&r);
    r = deliver(late, "{}", NULL);
    http_reply_free(&r);
    r = post("/2018-06-01/runtime/invocation/nobody/response", "1", NULL);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body, "InvalidRequestID"));
    http_reply_free(&r);
    r = post(path_for(ctx, "response"), "1", NULL);
    ck_assert_int_eq(r.status, 202);
    http_reply_free(&r);
    r = post(path_for(ctx, "error"), "{}", NULL);
    ck_assert_int_eq(r.status, 403);
    http_reply_free(&r);
    /* past its timeout the platform forgets it: a late post is 410 InvokeTimeout */
    lc_runtime_api_abandon_of(api, lc_context_request_id(late));
    r = post(path_for(late, "response"), "1", NULL);
    ck_assert_int_eq(r.status, 410);
    ck_assert_ptr_nonnull(strstr(r.body, "InvokeTimeout"));
    http_reply_free(&r);
    lc_context_free(ctx);
    lc_context_free(late);
}
END_TEST

START_TEST(a_concurrent_api_takes_one_init_error_before_the_first_next)
{
    http_reply r = post("/2018-06-01/runtime/init/error", "{\"errorType\":\"E\"}", NULL);
    ck_assert_int_eq(r.status, 202);
    http_reply_free(&r);
    /* a second worker reports its own init error: the platform has one already */
    r = post("/2018-06-01/runtime/init/error", "{\"errorType\":\"E\"}", NULL);
    ck_assert_int_eq(r.status, 403);
    http_reply_free(&r);
    lc_runtime_outcome o;
    ck_assert(lc_runtime_api_take_outcome(api, &o));
    ck_assert_int_eq(o.kind, LC_RUNTIME_INIT_ERROR);
    lc_runtime_outcome_clear(&o);
    /* once the first has been taken too */
    r = post("/2018-06-01/runtime/init/error", "{\"errorType\":\"E\"}", NULL);
    ck_assert_int_eq(r.status, 403);
    http_reply_free(&r);
}
END_TEST

START_TEST(a_concurrency_over_lambdas_limit_is_refused)
{
    lc_runtime_api *big = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_runtime_api_start_concurrent(1601, &big, &err), LC_ERANGE);
    ck_assert_ptr_null(big);
    ck_assert_ptr_nonnull(strstr(err.message, "1600"));
}
END_TEST

Suite *runtime_api_suite(void)
{
    Suite *s = suite_create("runtime_api");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_test(core, it_listens_on_loopback_with_an_ephemeral_port);
    tcase_add_test(core, next_waits_for_an_invocation_and_carries_the_headers);
    tcase_add_test(core, a_response_is_accepted_once);
    tcase_add_test(core, an_error_post_keeps_type_body_and_xray_cause);
    tcase_add_test(core, init_error_only_before_the_first_next);
    tcase_add_test(core, restore_endpoints_follow_snapstarts_order);
    tcase_add_test(core, chunked_and_expect_bodies_are_read_whole);
    tcase_add_test(core, the_content_type_is_passed_through);
    tcase_add_test(core, stopping_releases_a_waiting_next);
    suite_add_tcase(s, core);
    TCase *errors = tcase_create("errors");
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_add_test(errors, a_wrong_request_id_is_refused_with_400);
    tcase_add_test(errors, unknown_paths_and_wrong_methods);
    tcase_add_test(errors, next_before_responding_is_refused);
    tcase_add_test(errors, a_second_submit_while_one_is_in_flight_is_refused);
    suite_add_tcase(s, errors);
    TCase *limits = tcase_create("limits");
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_set_timeout(limits, 30);
    tcase_add_test(limits, an_oversized_response_gets_413_and_is_recorded_as_too_large);
    tcase_add_test(limits, a_response_of_exactly_the_limit_is_accepted);
    suite_add_tcase(s, limits);
    TCase *concurrent = tcase_create("concurrent");
    tcase_add_checked_fixture(concurrent, setup_concurrent, teardown);
    tcase_add_test(concurrent, concurrent_next_requests_each_get_an_invocation_oldest_first);
    tcase_add_test(concurrent, a_concurrent_api_refuses_more_than_its_maximum);
    tcase_add_test(concurrent, concurrent_posts_unknown_twice_and_late_are_refused);
    tcase_add_test(concurrent, a_concurrent_api_takes_one_init_error_before_the_first_next);
    tcase_add_test(concurrent, a_concurrency_over_lambdas_limit_is_refused);
    suite_add_tcase(s, concurrent);
    return s;
}
