#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambdacheck/event.h"
#include "lambdacheck/json_util.h"
#include "suites.h"

static json_t *load(const char *text)
{
    json_t *ev = NULL;
    lc_error err = {0};
    ck_assert_msg(lc_event_load_string(text, strlen(text), NULL, &ev, &err) == LC_OK,
                  "%s: %s", text, err.message);
    return ev;
}

START_TEST(any_json_value_is_an_event)
{
    static const struct {
        const char *text;
        json_type type;
    } cases[] = {
        {"{\"a\": 1}", JSON_OBJECT}, {"[1, 2]", JSON_ARRAY}, {"\"text\"", JSON_STRING},
        {"42", JSON_INTEGER},        {"4.5", JSON_REAL},     {"null", JSON_NULL},
        {"true", JSON_TRUE},         {"  \n7\n", JSON_INTEGER},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *ev = load(cases[i].text);
        ck_assert_msg(json_typeof(ev) == cases[i].type, "event %s", cases[i].text);
        json_decref(ev);
    }
}
END_TEST

START_TEST(a_byte_order_mark_is_accepted)
{
    json_t *ev = load("\xEF\xBB\xBF{\"first_name\": \"John\"}");
    ck_assert_str_eq(json_string_value(json_object_get(ev, "first_name")), "John");
    json_decref(ev);
}
END_TEST

START_TEST(malformed_json_names_source_line_and_column)
{
    const char *text = "{\n  \"a\": 1,\n  \"b\": tru\n}";
    json_t *ev = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_event_load_string(text, strlen(text), "ev.json", &ev, &err), LC_EJSON);
    ck_assert_ptr_null(ev);
    ck_assert_str_eq(err.source, "ev.json");
    ck_assert_int_eq(err.line, 3);
    ck_assert_int_gt(err.column, 0);
    ck_assert_ptr_nonnull(strstr(err.message, "invalid token"));
}
END_TEST

START_TEST(trailing_garbage_is_refused)
{
    json_t *ev = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_event_load_string("{} {}", 5, NULL, &ev, &err), LC_EJSON);
    ck_assert_str_eq(err.source, "<string>");
    ck_assert_ptr_nonnull(strstr(err.message, "end of file expected"));
}
END_TEST

START_TEST(empty_input_is_refused_with_a_hint)
{
    json_t *ev = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_event_load_string(" \n", 2, "empty.json", &ev, &err), LC_EJSON);
    ck_assert_ptr_nonnull(strstr(err.message, "empty"));
    ck_assert_ptr_nonnull(strstr(err.message, "null"));
}
END_TEST

START_TEST(a_missing_file_is_named)
{
    json_t *ev = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_event_load_file("/no/such/event.json", &ev, &err), LC_ENOTFOUND);
    ck_assert_str_eq(err.source, "/no/such/event.json");
}
END_TEST

START_TEST(files_and_streams_load)
{
    json_t *ev = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_event_load_file(LC_FIXTURES_DIR "/events/seed/increment.json", &ev, &err),
                     LC_OK);
    ck_assert_int_eq(json_integer_value(json_object_get(ev, "number")), 3);
    json_decref(ev);
    FILE *f = fmemopen((void *)"[\"from\", \"stream\"]", 18, "r");
    ck_assert_int_eq(lc_event_load_stream(f, "<stdin>", &ev, &err), LC_OK);
    fclose(f);
    ck_assert_uint_eq(json_array_size(ev), 2);
    json_decref(ev);
}
END_TEST

START_TEST(merge_patch_overrides_an_event)
{
    json_t *ev = load("{\"first_name\": \"John\", \"last_name\": \"Smith\"}");
    json_t *patch = load("{\"first_name\": \"Jane\", \"last_name\": null, \"age\": 30}");
    ck_assert_int_eq(lc_event_patch(&ev, patch, NULL), LC_OK);
    json_t *want = load("{\"first_name\": \"Jane\", \"age\": 30}");
    ck_assert(lc_json_equal(ev, want));
    json_decref(want);
    json_decref(patch);
    json_decref(ev);
}
END_TEST

START_TEST(assignments_take_json_or_plain_strings)
{
    json_t *ev = load("{\"Records\": [{\"body\": \"x\"}]}");
    ck_assert_int_eq(lc_event_assign(&ev, "Records[0].body=hello world", NULL), LC_OK);
    ck_assert_int_eq(lc_event_assign(&ev, "count=3", NULL), LC_OK);
    ck_assert_int_eq(lc_event_assign(&ev, "quoted=\"3\"", NULL), LC_OK);
    ck_assert_int_eq(lc_event_assign(&ev, "nested.flag=true", NULL), LC_OK);
    ck_assert_int_eq(lc_event_assign(&ev, "obj={\"k\": [1]}", NULL), LC_OK);
    ck_assert_int_eq(lc_event_assign(&ev, "empty=", NULL), LC_OK);
    json_t *want = load("{\"Records\": [{\"body\": \"hello world\"}], \"count\": 3, \"quoted\": \"3\","
                        " \"nested\": {\"flag\": true}, \"obj\": {\"k\": [1]}, \"empty\": \"\"}");
    lc_buf why;
    lc_buf_init(&why, 0);
    ck_assert_msg(lc_json_match(want, ev, LC_JSON_EQUAL, &why), "%s", why.data);
    lc_buf_free(&why);
    json_decref(want);
    json_decref(ev);
}
END_TEST

/* An SQS body, an SNS Message, an API Gateway body are text on Lambda: an object set into a field
 * that holds a string is stored as its JSON text, by eventSet and by eventPatch alike; null
 * first lets a case put an object there on purpose. */
START_TEST(an_object_set_into_a_text_field_is_stored_as_its_json_text)
{
    json_t *ev = load("{\"Records\": [{\"body\": \"x\"}], \"count\": 1}");
    ck_assert_int_eq(lc_event_assign(&ev, "Records[0].body={\"a\": 1}", NULL), LC_OK);
    ck_assert_str_eq(json_string_value(lc_json_get_path(ev, "Records[0].body")), "{\"a\":1}");
    json_t *sns = load("{\"Sns\": {\"Message\": \"m\"}}");
    json_t *patch = load("{\"Sns\": {\"Message\": [1, 2]}}");
    ck_assert_int_eq(lc_event_patch(&sns, patch, NULL), LC_OK);
    ck_assert_str_eq(json_string_value(lc_json_get_path(sns, "Sns.Message")), "[1,2]");
    json_decref(patch);
    json_decref(sns);
    /* a field that does not hold a string takes the value as it is */
    ck_assert_int_eq(lc_event_assign(&ev, "count={\"n\": 2}", NULL), LC_OK);
    ck_assert(json_is_object(lc_json_get_path(ev, "count")));
    ck_assert_int_eq(lc_event_assign(&ev, "Records[0].body=null", NULL), LC_OK);
    ck_assert_int_eq(lc_event_assign(&ev, "Records[0].body={\"a\": 1}", NULL), LC_OK);
    ck_assert(json_is_object(lc_json_get_path(ev, "Records[0].body")));
    json_decref(ev);
    /* an HTTP event's body is text even where a GET sample has null */
    json_t *rest = NULL;
    ck_assert_int_eq(
        lc_event_load_file(LC_FIXTURES_DIR "/events/apigateway-rest/get.json", &rest, NULL), LC_OK);
    patch = load("{\"body\": {\"name\": \"x\"}}");
    ck_assert_int_eq(lc_event_patch(&rest, patch, NULL), LC_OK);
    ck_assert_str_eq(json_string_value(json_object_get(rest, "body")), "{\"name\":\"x\"}");
    json_decref(patch);
    json_decref(rest);
}
END_TEST

START_TEST(bad_assignments_are_refused)
{
    json_t *ev = load("{}");
    lc_error err = {0};
    ck_assert_int_eq(lc_event_assign(&ev, "novalue", &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "path.to.key=value"));
    ck_assert_int_eq(lc_event_assign(&ev, "=3", NULL), LC_EINVAL);
    ck_assert_int_eq(json_object_size(ev), 0);
    json_decref(ev);
}
END_TEST

START_TEST(source_names_round_trip)
{
    for (int i = 0; i < LC__SOURCE_COUNT; i++)
        ck_assert_int_eq(lc_event_source_from_name(lc_event_source_name((lc_event_source)i)), i);
    ck_assert_int_eq(lc_event_source_from_name("no-such-source"), LC_SOURCE_UNKNOWN);
    ck_assert_str_eq(lc_event_source_name((lc_event_source)999), "unknown");
}
END_TEST

static int visible(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/* Every sample under fixtures/events/<source>/ is detected as <source>; folders that are not a
 * source name (the seed's examples) must be detected as unknown. */
START_TEST(every_bundled_sample_is_detected_as_its_folder)
{
    struct dirent **dirs;
    int nd = scandir(LC_FIXTURES_DIR "/events", &dirs, visible, alphasort);
    ck_assert_int_gt(nd, 20);
    int checked = 0, sources_seen[LC__SOURCE_COUNT] = {0};
    for (int i = 0; i < nd; i++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/events/%s", LC_FIXTURES_DIR, dirs[i]->d_name);
        lc_event_source want = lc_event_source_from_name(dirs[i]->d_name);
        struct dirent **files;
        int nf = scandir(dir, &files, visible, alphasort);
        for (int j = 0; j < nf; j++) {
            char path[2048];
            snprintf(path, sizeof path, "%s/%s", dir, files[j]->d_name);
            json_t *ev = NULL;
            lc_error err = {0};
            ck_assert_msg(lc_event_load_file(path, &ev, &err) == LC_OK, "%s: %s", path,
                          err.message);
            lc_event_source got = lc_event_detect(ev);
            ck_assert_msg(got == want, "%s detected as %s, expected %s", path,
                          lc_event_source_name(got), lc_event_source_name(want));
            sources_seen[got]++;
            checked++;
            json_decref(ev);
            free(files[j]);
        }
        free(files);
        free(dirs[i]);
    }
    free(dirs);
    ck_assert_int_ge(checked, 30);
    for (int s = 0; s < LC__SOURCE_COUNT; s++)
        ck_assert_msg(sources_seen[s] > 0, "no bundled sample of source %s",
                      lc_event_source_name((lc_event_source)s));
}
END_TEST

static lc_event_source detect_text(const char *text)
{
    json_t *ev = load(text);
    lc_event_source s = lc_event_detect(ev);
    json_decref(ev);
    return s;
}

START_TEST(pitfalls_of_spec_section_5)
{
    /* SNS capitalises EventSource */
    ck_assert_int_eq(detect_text("{\"Records\": [{\"EventSource\": \"aws:sns\", \"Sns\": {}}]}"),
                     LC_SOURCE_SNS);
    /* ActiveMQ under both names, RabbitMQ */
    ck_assert_int_eq(detect_text("{\"eventSource\": \"aws:amq\", \"messages\": []}"), LC_SOURCE_MQ);
    ck_assert_int_eq(detect_text("{\"eventSource\": \"aws:mq\", \"messages\": []}"), LC_SOURCE_MQ);
    /* self-managed Kafka under both names */
    ck_assert_int_eq(detect_text("{\"eventSource\": \"SelfManagedKafka\", \"records\": {}}"),
                     LC_SOURCE_KAFKA);
    ck_assert_int_eq(detect_text("{\"eventSource\": \"aws:SelfManagedKafka\", \"records\": {}}"),
                     LC_SOURCE_KAFKA);
    /* REST v1 without "version" */
    ck_assert_int_eq(detect_text("{\"httpMethod\": \"GET\", \"resource\": \"/\", "
                                 "\"requestContext\": {\"stage\": \"prod\"}}"),
                     LC_SOURCE_APIGATEWAY_REST);
    /* function URL and HTTP API 2.0 differ only by the domain name */
#define V2_EVENT(domain)                                                                           \
    "{\"version\": \"2.0\", \"routeKey\": \"$default\", \"rawPath\": \"/\", "                          \
    "\"requestContext\": {\"http\": {\"method\": \"GET\"}, \"domainName\": \"" domain "\"}}"
    ck_assert_int_eq(detect_text(V2_EVENT("abc.lambda-url.us-east-1.on.aws")),
                     LC_SOURCE_FUNCTION_URL);
    ck_assert_int_eq(detect_text(V2_EVENT("abc.execute-api.us-east-1.amazonaws.com")),
                     LC_SOURCE_APIGATEWAY_HTTP);
    /* trimmed fixtures: a REST proxy event without requestContext.stage */
    ck_assert_int_eq(detect_text("{\"httpMethod\": \"GET\", \"resource\": \"/\", \"path\": \"/\", "
                                 "\"requestContext\": {\"resourcePath\": \"/\"}}"),
                     LC_SOURCE_APIGATEWAY_REST);
    ck_assert_int_eq(detect_text("{\"httpMethod\": \"GET\", \"path\": \"/\", "
                                 "\"requestContext\": {\"apiId\": \"a1\"}}"),
                     LC_SOURCE_APIGATEWAY_REST);
    /* ...while an ALB-like request without any REST field is not taken for one */
    ck_assert_int_eq(detect_text("{\"httpMethod\": \"GET\", \"path\": \"/\", \"headers\": {}}"),
                     LC_SOURCE_UNKNOWN);
    /* a function URL event whose headers are lists, without a domainName or a routeKey */
    ck_assert_int_eq(
        detect_text("{\"version\": \"2.0\", \"rawPath\": \"/\", \"requestContext\": {\"http\": "
                    "{\"method\": \"GET\"}}, \"headers\": {\"host\": [\"abc.lambda-url.eu-west-1.on.aws\"]}}"),
        LC_SOURCE_FUNCTION_URL);
    ck_assert_int_eq(
        detect_text("{\"version\": \"2.0\", \"rawPath\": \"/\", \"requestContext\": {\"http\": "
                    "{\"method\": \"GET\"}}, \"headers\": {\"Host\": [\"api.example.com\"]}}"),
        LC_SOURCE_APIGATEWAY_HTTP);
}
END_TEST

START_TEST(non_objects_and_strangers_are_unknown)
{
    ck_assert_int_eq(detect_text("[1, 2]"), LC_SOURCE_UNKNOWN);
    ck_assert_int_eq(detect_text("null"), LC_SOURCE_UNKNOWN);
    ck_assert_int_eq(detect_text("\"aws:sqs\""), LC_SOURCE_UNKNOWN);
    ck_assert_int_eq(detect_text("{\"Records\": []}"), LC_SOURCE_UNKNOWN);
    ck_assert_int_eq(detect_text("{\"Records\": [{\"eventSource\": \"aws:unknown\"}]}"),
                     LC_SOURCE_UNKNOWN);
    ck_assert_int_eq(detect_text("{\"eventSource\": 7}"), LC_SOURCE_UNKNOWN);
    ck_assert_int_eq(detect_text("{\"first_name\": \"John\", \"last_name\": \"Smith\"}"),
                     LC_SOURCE_UNKNOWN);
}
END_TEST

/* --- regressions found by fuzzing (each once a crash under AddressSanitizer) -------------------- */

/* A key that is not UTF-8: the path code freed the object jansson refused, then used it. */
START_TEST(an_assignment_with_a_key_that_is_not_utf8_is_refused)
{
    json_t *event = json_pack("{s:[{}]}", "Records");
    lc_error err = {0};
    ck_assert_int_eq(lc_event_assign(&event, "\xff.x=1", &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "is not valid UTF-8"));
    lc_error_clear(&err);
    ck_assert_int_eq(lc_event_assign(&event, "Records[0].\xc3\x28=1", &err), LC_EINVAL);
    ck_assert_int_eq(json_object_size(json_array_get(json_object_get(event, "Records"), 0)), 0);
    json_decref(event);
}
END_TEST

/* A sample whose sequence number has 300 digits overflowed a 64-byte buffer. */
START_TEST(a_long_sequence_number_is_made_fresh_at_its_length)
{
    char digits[301];
    memset(digits, '7', 300);
    digits[300] = '\0';
    json_t *sample = json_pack("{s:[{s:s, s:{s:s}}]}", "Records", "eventSource", "aws:kinesis",
                               "kinesis", "sequenceNumber", digits);
    json_t *out = NULL;
    ck_assert_int_eq(lc_event_generate(LC_SOURCE_KINESIS, sample, NULL, &out, NULL), LC_OK);
    const char *fresh = json_string_value(json_object_get(
        json_object_get(json_array_get(json_object_get(out, "Records"), 0), "kinesis"),
        "sequenceNumber"));
    ck_assert_uint_eq(strlen(fresh), 300);
    ck_assert_str_ne(fresh, digits);
    json_decref(out);
    json_decref(sample);
}
END_TEST

/* Text that is only white space, not NUL-terminated: strspn read past its end. */
START_TEST(blank_text_without_a_terminator_is_not_read_past)
{
    char *blank = malloc(4);
    memcpy(blank, "  \n\t", 4);
    json_t *event = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_event_load_string(blank, 4, NULL, &event, &err), LC_EJSON);
    ck_assert_ptr_nonnull(strstr(err.message, "no JSON value"));
    free(blank);
}
END_TEST

Suite *event_suite(void)
{
    Suite *s = suite_create("event");
    TCase *core = tcase_create("core");
    tcase_add_test(core, any_json_value_is_an_event);
    tcase_add_test(core, a_byte_order_mark_is_accepted);
    tcase_add_test(core, files_and_streams_load);
    tcase_add_test(core, merge_patch_overrides_an_event);
    tcase_add_test(core, assignments_take_json_or_plain_strings);
    tcase_add_test(core, an_object_set_into_a_text_field_is_stored_as_its_json_text);
    tcase_add_test(core, source_names_round_trip);
    suite_add_tcase(s, core);
    TCase *detect = tcase_create("detect");
    tcase_add_test(detect, every_bundled_sample_is_detected_as_its_folder);
    tcase_add_test(detect, pitfalls_of_spec_section_5);
    tcase_add_test(detect, non_objects_and_strangers_are_unknown);
    suite_add_tcase(s, detect);
    TCase *errors = tcase_create("errors");
    tcase_add_test(errors, malformed_json_names_source_line_and_column);
    tcase_add_test(errors, trailing_garbage_is_refused);
    tcase_add_test(errors, empty_input_is_refused_with_a_hint);
    tcase_add_test(errors, a_missing_file_is_named);
    tcase_add_test(errors, bad_assignments_are_refused);
    tcase_add_test(errors, an_assignment_with_a_key_that_is_not_utf8_is_refused);
    tcase_add_test(errors, a_long_sequence_number_is_made_fresh_at_its_length);
    tcase_add_test(errors, blank_text_without_a_terminator_is_not_read_past);
    suite_add_tcase(s, errors);
    return s;
}
