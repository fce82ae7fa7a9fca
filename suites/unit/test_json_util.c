#include <stdlib.h>
#include <string.h>

#include "lambdacheck/json_util.h"
#include "suites.h"

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &e);
    ck_assert_msg(v != NULL, "bad test JSON %s: %s", text, e.text);
    return v;
}

/* Matches expected against actual and returns the first-difference report ("" on a match). */
static char *diff(const char *expected, const char *actual, lc_json_mode mode)
{
    json_t *e = J(expected), *a = J(actual);
    lc_buf why;
    lc_buf_init(&why, 0);
    bool ok = lc_json_match(e, a, mode, &why);
    ck_assert_msg(ok == (why.len == 0), "match result and report disagree");
    json_decref(e);
    json_decref(a);
    return lc_buf_take(&why);
}

#define ck_assert_diff(expected, actual, mode, report)                                             \
    do {                                                                                           \
        char *got_ = diff(expected, actual, mode);                                                 \
        ck_assert_str_eq(got_, report);                                                            \
        free(got_);                                                                                \
    } while (0)

START_TEST(numbers_compare_by_value)
{
    json_t *a = J("1"), *b = J("1.0"), *c = J("1.5");
    ck_assert(lc_json_equal(a, b));
    ck_assert(!lc_json_equal(a, c));
    json_decref(a);
    json_decref(b);
    json_decref(c);
    ck_assert_diff("{\"n\": [1, 2.0]}", "{\"n\": [1.0, 2]}", LC_JSON_EQUAL, "");
}
END_TEST

START_TEST(key_order_is_ignored)
{
    ck_assert_diff("{\"a\": 1, \"b\": {\"c\": 2, \"d\": 3}}", "{\"b\": {\"d\": 3, \"c\": 2}, \"a\": 1}",
                   LC_JSON_EQUAL, "");
}
END_TEST

START_TEST(first_difference_names_path_and_both_sides)
{
    ck_assert_diff("{\"body\": {\"message\": \"Hello John Smith!\"}}",
                   "{\"body\": {\"message\": \"Hi\"}}", LC_JSON_EQUAL,
                   "$.body.message: expected \"Hello John Smith!\", got \"Hi\"");
}
END_TEST

START_TEST(type_mismatch_is_reported)
{
    ck_assert_diff("{\"statusCode\": 200}", "{\"statusCode\": \"200\"}", LC_JSON_EQUAL,
                   "$.statusCode: expected 200, got \"200\"");
    ck_assert_diff("null", "\"None\"", LC_JSON_EQUAL, "$: expected null, got \"None\"");
}
END_TEST

START_TEST(missing_and_unexpected_keys_are_reported)
{
    ck_assert_diff("{\"a\": 1, \"requestId\": \"x\"}", "{\"a\": 1}", LC_JSON_EQUAL,
                   "$.requestId: expected \"x\", got nothing (key missing)");
    ck_assert_diff("{\"a\": 1}", "{\"a\": 1, \"b\": 2}", LC_JSON_EQUAL,
                   "$.b: expected nothing, got 2 (unexpected key)");
}
END_TEST

START_TEST(array_paths_use_indexes)
{
    ck_assert_diff("{\"items\": [{\"id\": 1}, {\"id\": 2}]}", "{\"items\": [{\"id\": 1}, {\"id\": 3}]}",
                   LC_JSON_EQUAL, "$.items[1].id: expected 2, got 3");
    ck_assert_diff("[1, 2, 3]", "[1, 2]", LC_JSON_EQUAL,
                   "$[2]: expected 3, got nothing (expected 3 elements, got 2)");
}
END_TEST

START_TEST(odd_keys_are_quoted_in_paths)
{
    ck_assert_diff("{\"Region \": \"us-east-1\"}", "{\"Region \": \"eu-west-1\"}", LC_JSON_EQUAL,
                   "$[\"Region \"]: expected \"us-east-1\", got \"eu-west-1\"");
}
END_TEST

START_TEST(subset_allows_extra_keys_at_any_depth)
{
    ck_assert_diff("{\"a\": {\"b\": 1}}", "{\"a\": {\"b\": 1, \"c\": 2}, \"d\": 3}", LC_JSON_SUBSET,
                   "");
    ck_assert_diff("{\"a\": {\"b\": 1}}", "{\"a\": {\"c\": 2}}", LC_JSON_SUBSET,
                   "$.a.b: expected 1, got nothing (key missing)");
    ck_assert_diff("[{\"x\": 1}]", "[{\"x\": 1, \"y\": 2}]", LC_JSON_SUBSET, "");
    ck_assert_diff("[{\"x\": 1}]", "[{\"x\": 1}, {\"x\": 2}]", LC_JSON_SUBSET,
                   "$[1]: expected nothing, got {\"x\":2} (expected 1 elements, got 2)");
}
END_TEST

START_TEST(merge_patch_follows_rfc7396)
{
    /* the examples of RFC 7396, appendix A (a selection) */
    static const char *const cases[][3] = {
        {"{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
        {"{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}"},
        {"{\"a\":\"b\"}", "{\"a\":null}", "{}"},
        {"{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
        {"{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}"},
        {"{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}"},
        {"{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}"},
        {"[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]"},
        {"{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]"},
        {"{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}"},
        {"[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}"},
        {"{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *patch = J(cases[i][1]), *want = J(cases[i][2]);
        json_t *got = lc_json_merge_patch(J(cases[i][0]), patch);
        char *text = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);
        ck_assert_msg(lc_json_equal(got, want), "case %zu: got %s, want %s", i, text,
                      cases[i][2]);
        free(text);
        json_decref(got);
        json_decref(patch);
        json_decref(want);
    }
}
END_TEST

START_TEST(set_path_creates_objects_and_indexes_arrays)
{
    json_t *root = J("{\"Records\": [{\"body\": \"old\"}]}");
    ck_assert_int_eq(lc_json_set_path(&root, "Records[0].body", json_string("new"), NULL), LC_OK);
    ck_assert_int_eq(lc_json_set_path(&root, "a.b.c", json_integer(3), NULL), LC_OK);
    ck_assert_int_eq(lc_json_set_path(&root, "Records[1]", json_object(), NULL), LC_OK);
    ck_assert_int_eq(lc_json_set_path(&root, "dotted\\.key", json_true(), NULL), LC_OK);
    json_t *want = J("{\"Records\": [{\"body\": \"new\"}, {}], \"a\": {\"b\": {\"c\": 3}},"
                     " \"dotted.key\": true}");
    ck_assert(lc_json_match(want, root, LC_JSON_EQUAL, NULL));
    json_decref(want);
    json_decref(root);
}
END_TEST

START_TEST(set_path_refuses_bad_paths_with_a_reason)
{
    json_t *root = J("{\"list\": [1], \"n\": 5}");
    lc_error err = {0};
    ck_assert_int_eq(lc_json_set_path(&root, "list[5]", json_integer(1), &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "has 1 elements"));
    lc_error_clear(&err);
    ck_assert_int_eq(lc_json_set_path(&root, "n.x", json_integer(1), &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "not an object"));
    lc_error_clear(&err);
    ck_assert_int_eq(lc_json_set_path(&root, "a..b", json_integer(1), &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "empty key"));
    lc_error_clear(&err);
    ck_assert_int_eq(lc_json_set_path(&root, "list[x]", json_integer(1), &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "array index"));
    json_t *want = J("{\"list\": [1], \"n\": 5}");
    ck_assert(lc_json_equal(root, want));
    json_decref(want);
    json_decref(root);
}
END_TEST

START_TEST(brief_truncates_long_values)
{
    json_t *v = json_string("0123456789012345678901234567890123456789");
    char *s = lc_json_brief(v, 12);
    ck_assert_str_eq(s, "\"01234567...");
    free(s);
    s = lc_json_brief(NULL, 12);
    ck_assert_str_eq(s, "nothing");
    free(s);
    json_decref(v);
}
END_TEST

/* The validator agrees with a full parse on what is JSON, and takes what Lambda passes on that
 * jansson refuses: big numbers, lone surrogates, deep nesting. */
START_TEST(validation_without_a_tree)
{
    static const char *const valid[] = {
        "{}", "[]", "0", "-0.5e+10", "\"x\"", "null", " true ", "{\"a\": [1, {\"b\": null}, []]}",
        "123456789012345678901234567890", "1E400", "\"\\ud800 alone\"", "\"h\u00e9llo \u2603\"",
        "[[[[]]], {}, {\"\": \"\"}]", "\"\\\" \\/ \\b \\f \\n \\r \\t \\u00e9\"",
    };
    for (size_t i = 0; i < sizeof valid / sizeof *valid; i++) {
        lc_error err = {0};
        ck_assert_msg(lc_json_validate(valid[i], strlen(valid[i]), NULL, &err) == LC_OK,
                      "%s: %s", valid[i], err.message);
    }
    static const struct {
        const char *text;
        const char *why;
    } invalid[] = {
        {"", "a value expected, found the end of the text"},
        {"{", "a key (a string) expected"},
        {"[1,]", "a value expected, found ']'"},
        {"{\"a\" 1}", "':' after the key expected"},
        {"{\"a\": 1,}", "a key (a string) expected"},
        {"[1 2]", "',' or ']' expected"},
        {"01", "the end of the text after the value expected"},
        {"1.", "a digit after the decimal point"},
        {"-", "a digit expected"},
        {"tru", "a value expected"},
        {"\"\\x\"", "an escape"},
        {"\"\\u12g4\"", "four hexadecimal digits"},
        {"\"a\nb\"", "control characters are escaped"},
        {"\"\xff\"", "valid UTF-8 expected, found byte 0xff"},
        {"\"open", "the end of the string"},
        {"{} {}", "the end of the text after the value"},
    };
    for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++) {
        lc_error err = {0};
        ck_assert_int_eq(lc_json_validate(invalid[i].text, strlen(invalid[i].text), "t", &err),
                         LC_EJSON);
        ck_assert_msg(strstr(err.message, invalid[i].why), "%s: %s", invalid[i].text, err.message);
    }
    /* nesting as deep as memory allows */
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 1);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    ck_assert_int_eq(lc_json_validate(deep, 2 * depth, NULL, NULL), LC_OK);
    deep[2 * depth - 1] = '}';
    lc_error err = {0};
    ck_assert_int_eq(lc_json_validate(deep, 2 * depth, NULL, &err), LC_EJSON);
    ck_assert_int_eq(err.column, 200000);
    free(deep);
}
END_TEST

Suite *json_util_suite(void)
{
    Suite *s = suite_create("json_util");
    TCase *core = tcase_create("core");
    tcase_add_test(core, numbers_compare_by_value);
    tcase_add_test(core, key_order_is_ignored);
    tcase_add_test(core, first_difference_names_path_and_both_sides);
    tcase_add_test(core, type_mismatch_is_reported);
    tcase_add_test(core, missing_and_unexpected_keys_are_reported);
    tcase_add_test(core, array_paths_use_indexes);
    tcase_add_test(core, odd_keys_are_quoted_in_paths);
    tcase_add_test(core, subset_allows_extra_keys_at_any_depth);
    tcase_add_test(core, merge_patch_follows_rfc7396);
    tcase_add_test(core, set_path_creates_objects_and_indexes_arrays);
    suite_add_tcase(s, core);
    TCase *errors = tcase_create("errors");
    tcase_add_test(errors, set_path_refuses_bad_paths_with_a_reason);
    suite_add_tcase(s, errors);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, brief_truncates_long_values);
    tcase_add_test(limits, validation_without_a_tree);
    suite_add_tcase(s, limits);
    return s;
}
