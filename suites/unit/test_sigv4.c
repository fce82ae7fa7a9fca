/* SigV4, checked against AWS's published test-suite figures (aws-sig-v4-test-suite). */
#include <string.h>
#include <strings.h>

#include "lambdacheck/sigv4.h"
#include "suites.h"

#define KEY "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

typedef struct {
    const char *names[8];
    const char *values[8];
} header_set;

static const char *lookup(void *ctx, const char *name)
{
    header_set *h = ctx;
    for (int i = 0; h->names[i]; i++)
        if (strcasecmp(h->names[i], name) == 0)
            return h->values[i];
    return NULL;
}

static header_set vanilla = {{"Host", "X-Amz-Date", NULL},
                             {"example.amazonaws.com", "20150830T123600Z", NULL}};

static const lc_sigv4_scope suite_scope = {KEY, SECRET, "us-east-1", "service",
                                           "20150830T123600Z"};

static void check(const char *method, const char *path, const char *query, const char *expected)
{
    lc_sigv4_request req = {method, path, query, lookup, &vanilla, NULL, 0};
    char sig[65];
    ck_assert_int_eq(lc_sigv4_signature(&req, "host;x-amz-date", &suite_scope, 1, sig, NULL),
                     LC_OK);
    ck_assert_str_eq(sig, expected);
}

START_TEST(get_vanilla)
{
    check("GET", "/", "", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}
END_TEST

START_TEST(get_vanilla_query_order_key_case)
{
    check("GET", "/", "Param2=value2&Param1=value1",
          "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}
END_TEST

START_TEST(post_vanilla)
{
    check("POST", "/", NULL, "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}
END_TEST

START_TEST(verify_accepts_a_published_request_and_refuses_changes)
{
    header_set h = {{"Host", "X-Amz-Date", "Authorization", NULL},
                    {"example.amazonaws.com", "20150830T123600Z",
                     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                     "aws4_request, SignedHeaders=host;x-amz-date, Signature="
                     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
                     NULL}};
    lc_sigv4_request req = {"GET", "/", "", lookup, &h, NULL, 0};
    ck_assert_int_eq(lc_sigv4_verify(&req, KEY, SECRET, NULL), LC_OK);
    lc_error err = {0};
    req.path = "/other";
    ck_assert_int_eq(lc_sigv4_verify(&req, KEY, SECRET, &err), LC_EPROTO);
    ck_assert_ptr_nonnull(strstr(err.message, "does not match the signature you provided"));
    req.path = "/";
    lc_error_clear(&err);
    ck_assert_int_eq(lc_sigv4_verify(&req, KEY, "another secret", &err), LC_EPROTO);
    lc_error_clear(&err);
    ck_assert_int_eq(lc_sigv4_verify(&req, "AKIDOTHER", SECRET, &err), LC_EINVAL);
    ck_assert_str_eq(err.message, "The security token included in the request is invalid.");
}
END_TEST

START_TEST(verify_names_what_is_missing)
{
    lc_sigv4_request req = {"GET", "/", "", lookup, &vanilla, NULL, 0};
    lc_error err = {0};
    ck_assert_int_eq(lc_sigv4_verify(&req, KEY, SECRET, &err), LC_ENOTFOUND);
    ck_assert_str_eq(err.message, "Missing Authentication Token");
    header_set h = {{"Host", "X-Amz-Date", "Authorization", NULL},
                    {"example.amazonaws.com", "20150830T123600Z", "AWS4-HMAC-SHA256 garbage",
                     NULL}};
    req.header_ctx = &h;
    lc_error_clear(&err);
    ck_assert_int_eq(lc_sigv4_verify(&req, KEY, SECRET, &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "'Credential', 'SignedHeaders'"));
}
END_TEST

Suite *sigv4_suite(void)
{
    Suite *s = suite_create("sigv4");
    TCase *core = tcase_create("core");
    tcase_add_test(core, get_vanilla);
    tcase_add_test(core, get_vanilla_query_order_key_case);
    tcase_add_test(core, post_vanilla);
    tcase_add_test(core, verify_accepts_a_published_request_and_refuses_changes);
    suite_add_tcase(s, core);
    TCase *errors = tcase_create("errors");
    tcase_add_test(errors, verify_names_what_is_missing);
    suite_add_tcase(s, errors);
    return s;
}
