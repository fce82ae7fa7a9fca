/* Lambda's event filtering: every example of AWS's page, as a table
 * (fixtures/filters/documented-examples.json), matches or not as the page says, each operator both
 * ways; patterns Lambda would refuse are errors naming the field; records are seen as Lambda sees
 * them (an SQS body or Kinesis data that is JSON). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lambdacheck/event_filter.h"
#include "suites.h"

#define EXAMPLES LC_FIXTURES_DIR "/filters/documented-examples.json"

/* Whether the pattern (JSON) lets the record (JSON) through, as Lambda sees the record. */
static bool passes(const json_t *pattern, const json_t *record, lc_buf *why)
{
    char *text = json_is_string(pattern) ? strdup(json_string_value(pattern))
                                         : json_dumps(pattern, JSON_COMPACT);
    lc_event_filter *f = NULL;
    lc_error err = {0};
    ck_assert_msg(lc_event_filter_parse(text, "test", &f, &err) == LC_OK, "%s: %s", text,
                  err.message);
    json_t *view = lc_event_filter_view(record, NULL);
    bool ok = lc_event_filter_match(f, view, why);
    json_decref(view);
    lc_event_filter_free(f);
    free(text);
    return ok;
}

START_TEST(every_documented_example_matches_as_aws_says)
{
    json_error_t jerr;
    json_t *doc = json_load_file(EXAMPLES, 0, &jerr);
    ck_assert_msg(doc != NULL, "%s: %s", EXAMPLES, jerr.text);
    const json_t *examples = json_object_get(doc, "examples");
    ck_assert_int_ge(json_array_size(examples), 40);
    size_t i, passed = 0, failed = 0;
    const json_t *e;
    json_array_foreach(examples, i, e) {
        lc_buf why;
        lc_buf_init(&why, 1000);
        bool want = json_is_true(json_object_get(e, "matches"));
        const json_t *text = json_object_get(e, "patternText"); /* duplicate keys */
        bool got = passes(text ? text : json_object_get(e, "pattern"), json_object_get(e, "record"),
                          &why);
        ck_assert_msg(got == want, "example %zu (%s): %s, expected %s; %s", i,
                      json_string_value(json_object_get(e, "doc")), got ? "matched" : "did not",
                      want ? "a match" : "none", why.data ? why.data : "");
        if (!got) /* a record filtered out says why */
            ck_assert_msg(why.len > 0, "example %zu gave no reason", i);
        passed += want;
        failed += !want;
        lc_buf_free(&why);
    }
    ck_assert_int_gt(passed, 15); /* both ways, many times */
    ck_assert_int_gt(failed, 15);
    json_decref(doc);
}
END_TEST

/* The reason a record is filtered out names the field and both sides. */
START_TEST(a_record_filtered_out_names_the_field_and_the_rules)
{
    json_t *pattern = json_loads("{\"body\": {\"status\": [\"open\", \"new\"]}}", 0, NULL);
    json_t *record = json_loads("{\"eventSource\": \"aws:sqs\", \"body\": \"{\\\"status\\\": "
                                "\\\"closed\\\"}\"}", 0, NULL);
    lc_buf why;
    lc_buf_init(&why, 1000);
    ck_assert(!passes(pattern, record, &why));
    ck_assert_str_eq(why.data, "body.status: \"closed\" holds none of [\"open\",\"new\"]");
    lc_buf_reset(&why);
    json_object_set_new(record, "body", json_string("{}"));
    ck_assert(!passes(pattern, record, &why));
    ck_assert_str_eq(why.data, "body.status: absent, which none of [\"open\",\"new\"] allows");
    lc_buf_reset(&why);
    json_object_set_new(record, "body", json_string("plain text"));
    ck_assert(!passes(pattern, record, &why));
    ck_assert_str_eq(why.data, "body: the pattern expects a JSON object, the record has "
                               "\"plain text\"");
    lc_buf_free(&why);
    json_decref(pattern);
    json_decref(record);
}
END_TEST

/* Patterns Lambda would refuse, each named by where it is wrong. */
START_TEST(patterns_lambda_refuses_are_errors_naming_the_field)
{
    static const struct {
        const char *pattern, *says;
    } bad[] = {
        {"[1]", "f: the pattern is not a JSON object"},
        {"{\"a\": ", "f: the pattern is not a JSON object: "},
        {"{}", "f: the pattern a pattern names at least one field"},
        {"{\"a\": \"x\"}", "f: a: a field's rules are a list"},
        {"{\"a\": []}", "f: a: a field's list of rules is empty"},
        {"{\"a\": [{\"wildcard\": \"x*\"}]}", "f: a[0]: \"wildcard\" is not an operator of Lambda's"},
        {"{\"a\": [{\"prefix\": 1}]}", "f: a[0]: prefix takes a string"},
        {"{\"a\": [{\"prefix\": \"x\", \"suffix\": \"y\"}]}", "f: a[0]: a rule is a value or an object "
                                                         "with one operator"},
        {"{\"a\": [{\"exists\": \"yes\"}]}", "f: a[0]: exists takes true or false"},
        {"{\"a\": [{\"numeric\": [\"<\"]}]}", "f: a[0]: numeric takes [OP, NUMBER]"},
        {"{\"a\": [{\"numeric\": [\"!=\", 1]}]}", "f: a[0]: numeric's operators are <, <=, =, >, >=, "
                                                 "not !="},
        {"{\"a\": [{\"numeric\": [\"<\", \"5\"]}]}", "f: a[0]: numeric compares with numbers"},
        {"{\"a\": [{\"numeric\": [\"<\", 5, \">\", 1]}]}", "f: a[0]: a numeric range is a lower bound"},
        {"{\"a\": [{\"numeric\": [\">\", 5, \"<\", 1]}]}", "f: a[0]: a numeric range's lower bound must "
                                                         "be below"},
        {"{\"a\": [{\"anything-but\": []}]}", "f: a[0]: anything-but takes a value or a list"},
        {"{\"a\": [{\"anything-but\": [{\"prefix\": \"x\"}]}]}", "f: a[0]: anything-but's list holds"},
        {"{\"b\": {\"c\": [\"x\", {\"suffix\": 2}]}}", "f: b.c[1]: suffix takes a string"},
        {"{\"$or\": [{\"a\": [\"x\"]}]}", "f: the pattern $or takes a list of two or more patterns"},
        {"{\"$or\": [{\"a\": [\"x\"]}, {\"b\": [\"x\"], \"c\": 5}]}", "f: [1].c: a field's rules are a "
                                                                     "list"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lc_event_filter *f = NULL;
        lc_error err = {0};
        ck_assert_msg(lc_event_filter_parse(bad[i].pattern, "f", &f, &err) == LC_EINVAL, "%s",
                      bad[i].pattern);
        ck_assert_msg(strstr(err.message, bad[i].says), "%s: %s", bad[i].pattern, err.message);
        ck_assert_ptr_null(f);
    }
}
END_TEST

START_TEST(a_pattern_over_lambdas_limits_is_refused)
{
    char *big = malloc(LC_FILTER_PATTERN_MAX + 64);
    int n = snprintf(big, 32, "{\"a\": [\"");
    memset(big + n, 'x', LC_FILTER_PATTERN_MAX);
    strcpy(big + n + LC_FILTER_PATTERN_MAX, "\"]}");
    lc_event_filter *f = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_event_filter_parse(big, "f", &f, &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "Lambda takes at most 4096"));
    free(big);
    /* no depth limit is documented: a deep pattern within 4096 characters is taken */
    char deep[1024] = "";
    for (int i = 0; i < 40; i++)
        strcat(deep, "{\"a\": ");
    strcat(deep, "[1]");
    for (int i = 0; i < 40; i++)
        strcat(deep, "}");
    lc_error deeper = {0};
    ck_assert_int_eq(lc_event_filter_parse(deep, "f", &f, &deeper), LC_OK);
    lc_event_filter_free(f);
}
END_TEST

/* A stream's data must be filtered with JSON: Lambda refuses the mapping otherwise. */
/* Duplicate keys: the last value counts, path by path (AWS's DynamoDB example filters on both
 * images with two "dynamodb" keys). */
START_TEST(duplicate_keys_count_path_by_path)
{
    const char *pattern = "{\"dynamodb\": {\"NewImage\": {\"who\": {\"S\": [\"Pat\"]}}},"
                          " \"dynamodb\": {\"OldImage\": {\"who\": {\"S\": [\"Terry\"]}}},"
                          " \"eventName\": [\"INSERT\"], \"eventName\": [\"MODIFY\"]}";
    lc_event_filter *f = NULL;
    lc_error err = {0};
    ck_assert_msg(lc_event_filter_parse(pattern, "f", &f, &err) == LC_OK, "%s", err.message);
    json_t *record = json_loads("{\"eventName\": \"MODIFY\", \"dynamodb\": {\"NewImage\": {\"who\": "
                                "{\"S\": \"Pat\"}}, \"OldImage\": {\"who\": {\"S\": \"Terry\"}}}}",
                                0, NULL);
    ck_assert(lc_event_filter_match(f, record, NULL));
    json_object_set_new(record, "eventName", json_string("INSERT")); /* the last one counts */
    ck_assert(!lc_event_filter_match(f, record, NULL));
    json_decref(record);
    lc_event_filter_free(f);
}
END_TEST

START_TEST(a_list_pattern_for_a_streams_data_is_refused)
{
    lc_event_filter *f = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_event_filter_parse("{\"data\": [\"hello\"]}", "f", &f, &err), LC_OK);
    ck_assert_int_eq(lc_event_filter_check_source(f, "aws:kinesis", "f", &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "the pattern for data must be a JSON object"));
    ck_assert_int_eq(lc_event_filter_check_source(f, "aws:sqs", "f", NULL), LC_OK);
    lc_event_filter_free(f);
    ck_assert_int_eq(lc_event_filter_parse("{\"dynamodb\": [{\"exists\": true}]}", "f", &f, NULL),
                     LC_OK);
    ck_assert_int_eq(lc_event_filter_check_source(f, "aws:dynamodb", "f", NULL), LC_EINVAL);
    lc_event_filter_free(f);
}
END_TEST

Suite *event_filter_suite(void)
{
    Suite *s = suite_create("event_filter");
    TCase *core = tcase_create("core");
    tcase_add_test(core, every_documented_example_matches_as_aws_says);
    tcase_add_test(core, a_record_filtered_out_names_the_field_and_the_rules);
    tcase_add_test(core, duplicate_keys_count_path_by_path);
    suite_add_tcase(s, core);
    TCase *errors = tcase_create("errors");
    tcase_add_test(errors, patterns_lambda_refuses_are_errors_naming_the_field);
    tcase_add_test(errors, a_pattern_over_lambdas_limits_is_refused);
    tcase_add_test(errors, a_list_pattern_for_a_streams_data_is_refused);
    suite_add_tcase(s, errors);
    return s;
}
