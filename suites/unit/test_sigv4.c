/* SigV4, checked against AWS's published test-suite figures (aws-sig-v4-test-suite). */
#include <stdio.h>
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
    lc_sigv4_request req = {method, path, query, lookup, &vanilla, NULL, 0, NULL, NULL};
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

/* The suite's own key, region, service and moment. */
static const lc_sigv4_key suite_key = {KEY, SECRET, "us-east-1", "service", 1440938160000LL, 0};

START_TEST(verify_accepts_a_published_request_and_refuses_changes)
{
    header_set h = {{"Host", "X-Amz-Date", "Authorization", NULL},
                    {"example.amazonaws.com", "20150830T123600Z",
                     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                     "aws4_request, SignedHeaders=host;x-amz-date, Signature="
                     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
                     NULL}};
    lc_sigv4_request req = {"GET", "/", "", lookup, &h, NULL, 0, NULL, NULL};
    ck_assert_int_eq(lc_sigv4_verify(&req, &suite_key, NULL, NULL), LC_OK);
    lc_error err = {0};
    const char *type = NULL;
    req.path = "/other";
    ck_assert_int_eq(lc_sigv4_verify(&req, &suite_key, &type, &err), LC_EPROTO);
    ck_assert_ptr_nonnull(strstr(err.message, "does not match the signature you provided"));
    ck_assert_str_eq(type, "InvalidSignatureException");
    req.path = "/";
    lc_error_clear(&err);
    lc_sigv4_key other = suite_key;
    other.secret_access_key = "another secret";
    ck_assert_int_eq(lc_sigv4_verify(&req, &other, NULL, &err), LC_EPROTO);
    lc_error_clear(&err);
    other = suite_key;
    other.access_key_id = "AKIDOTHER";
    ck_assert_int_eq(lc_sigv4_verify(&req, &other, &type, &err), LC_EINVAL);
    ck_assert_str_eq(err.message, "The security token included in the request is invalid.");
    ck_assert_str_eq(type, "UnrecognizedClientException");
}
END_TEST

START_TEST(verify_names_what_is_missing)
{
    lc_sigv4_request req = {"GET", "/", "", lookup, &vanilla, NULL, 0, NULL, NULL};
    lc_error err = {0};
    ck_assert_int_eq(lc_sigv4_verify(&req, &suite_key, NULL, &err), LC_ENOTFOUND);
    ck_assert_str_eq(err.message, "Missing Authentication Token");
    header_set h = {{"Host", "X-Amz-Date", "Authorization", NULL},
                    {"example.amazonaws.com", "20150830T123600Z", "AWS4-HMAC-SHA256 garbage",
                     NULL}};
    req.header_ctx = &h;
    lc_error_clear(&err);
    ck_assert_int_eq(lc_sigv4_verify(&req, &suite_key, NULL, &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "'Credential', 'SignedHeaders'"));
}
END_TEST

/* Requests signed over a header set, at a time, for a scope; the signature always matches what
 * was signed, so only the server's rules can refuse them. */
typedef struct {
    header_set h;
    char auth[512];
} signed_request;

static void sign(signed_request *s, const char *date, const char *signed_headers,
                 const char *region, const char *service, const char *body, const char *content_sha)
{
    memset(s, 0, sizeof *s);
    int n = 0;
    s->h.names[n] = "Host", s->h.values[n++] = "lambda.us-east-1.amazonaws.com";
    s->h.names[n] = "X-Amz-Date", s->h.values[n++] = date;
    if (content_sha)
        s->h.names[n] = "x-amz-content-sha256", s->h.values[n++] = content_sha;
    s->h.names[n] = "Authorization", s->h.values[n++] = s->auth;
    lc_sigv4_scope scope = {KEY, SECRET, region, service, date};
    lc_sigv4_request req = {"POST", "/", "", lookup, &s->h, body, strlen(body), NULL, NULL};
    char sig[65];
    ck_assert_int_eq(lc_sigv4_signature(&req, signed_headers, &scope, 1, sig, NULL), LC_OK);
    snprintf(s->auth, sizeof s->auth,
             "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, SignedHeaders=%s, "
             "Signature=%s",
             KEY, date, region, service, signed_headers, sig);
}

/* What the server saw: the body received, which may not be the body signed. */
static lc_status verify_body(signed_request *s, const char *body, const char **type,
                             lc_error *err)
{
    lc_sigv4_key key = {KEY, SECRET, "us-east-1", "lambda", 1795777200000LL, 0};
    lc_sigv4_request req = {"POST", "/", "", lookup, &s->h, body, strlen(body), NULL, NULL};
    return lc_sigv4_verify(&req, &key, type, err);
}

#define NOW "20261127T110000Z" /* 1795777200 */

START_TEST(a_signature_covers_the_body_received)
{
    signed_request s;
    const char *type = NULL;
    lc_error err = {0};
    sign(&s, NOW, "host;x-amz-date", "us-east-1", "lambda", "{\"a\": 1}", NULL);
    ck_assert_int_eq(verify_body(&s, "{\"a\": 1}", NULL, NULL), LC_OK);
    ck_assert_int_eq(verify_body(&s, "{\"a\": 2}", &type, &err), LC_EPROTO);
    ck_assert_str_eq(type, "InvalidSignatureException");
    /* a replayed signature with another body, and the first body's hash in x-amz-content-sha256
       (signed or not), is refused: the hash is of the body received */
    const char *hash = "5f4b4b0a1e6f4f58d9c5b3d4e8b9a2d0a3f0c0b7b5c1a9e8d7c6b5a4f3e2d1c0";
    sign(&s, NOW, "host;x-amz-content-sha256;x-amz-date", "us-east-1", "lambda", "{\"a\": 1}",
         hash);
    ck_assert_int_eq(verify_body(&s, "{\"a\": 2}", NULL, NULL), LC_EPROTO);
    sign(&s, NOW, "host;x-amz-date", "us-east-1", "lambda", "{\"a\": 1}", "UNSIGNED-PAYLOAD");
    ck_assert_int_eq(verify_body(&s, "{\"evil\": 1}", NULL, NULL), LC_EPROTO);
}
END_TEST

START_TEST(a_signature_must_be_of_now)
{
    signed_request s;
    const char *type = NULL;
    lc_error err = {0};
    sign(&s, "20261127T100000Z", "host;x-amz-date", "us-east-1", "lambda", "{}", NULL);
    ck_assert_int_eq(verify_body(&s, "{}", &type, &err), LC_EPROTO);
    ck_assert_str_eq(err.message, "Signature expired: 20261127T100000Z is now earlier than "
                                  "20261127T104500Z (20261127T110000Z - 15 min.)");
    ck_assert_str_eq(type, "InvalidSignatureException");
    lc_error_clear(&err);
    sign(&s, "20991127T110000Z", "host;x-amz-date", "us-east-1", "lambda", "{}", NULL);
    ck_assert_int_eq(verify_body(&s, "{}", &type, &err), LC_EPROTO);
    ck_assert_str_eq(err.message, "Signature not yet current: 20991127T110000Z is still later "
                                  "than 20261127T111500Z (20261127T110000Z + 15 min.)");
    lc_error_clear(&err);
    sign(&s, "20261127Tgarbage", "host;x-amz-date", "us-east-1", "lambda", "{}", NULL);
    ck_assert_int_eq(verify_body(&s, "{}", &type, &err), LC_EINVAL);
    ck_assert_str_eq(type, "IncompleteSignatureException");
    ck_assert_ptr_nonnull(strstr(err.message, "ISO8601 Long Format"));
    /* within the window either way */
    sign(&s, "20261127T111000Z", "host;x-amz-date", "us-east-1", "lambda", "{}", NULL);
    ck_assert_int_eq(verify_body(&s, "{}", NULL, NULL), LC_OK);
}
END_TEST

START_TEST(a_signature_must_be_scoped_to_the_server)
{
    signed_request s;
    const char *type = NULL;
    lc_error err = {0};
    sign(&s, NOW, "host;x-amz-date", "eu-west-1", "lambda", "{}", NULL);
    ck_assert_int_eq(verify_body(&s, "{}", &type, &err), LC_EPROTO);
    ck_assert_ptr_nonnull(strstr(err.message, "Credential should be scoped to a valid region"));
    lc_error_clear(&err);
    sign(&s, NOW, "host;x-amz-date", "us-east-1", "s3", "{}", NULL);
    ck_assert_int_eq(verify_body(&s, "{}", &type, &err), LC_EPROTO);
    ck_assert_str_eq(err.message, "Credential should be scoped to correct service: 'lambda'. ");
    lc_error_clear(&err);
    sign(&s, NOW, "x-amz-date", "us-east-1", "lambda", "{}", NULL);
    ck_assert_int_eq(verify_body(&s, "{}", &type, &err), LC_EINVAL);
    ck_assert_str_eq(err.message,
                     "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    lc_error_clear(&err);
    sign(&s, NOW, "host", "us-east-1", "lambda", "{}", NULL);
    ck_assert_int_eq(verify_body(&s, "{}", &type, &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "'X-Amz-Date' must be a 'SignedHeader'"));
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
    tcase_add_test(errors, a_signature_covers_the_body_received);
    tcase_add_test(errors, a_signature_must_be_of_now);
    tcase_add_test(errors, a_signature_must_be_scoped_to_the_server);
    suite_add_tcase(s, errors);
    return s;
}
