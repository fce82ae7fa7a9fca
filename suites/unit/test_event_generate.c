/* Generated events: options per source, fresh and consistent times, S3 keys, twin maps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/context.h"
#include "lambdacheck/event.h"
#include "lambdacheck/json_util.h"
#include "suites.h"

/* A bundled sample, e.g. sample("mq/activemq-amq"); the caller decrefs. */
static json_t *sample(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/events/%s.json", LC_FIXTURES_DIR, name);
    json_t *ev = NULL;
    lc_error err = {0};
    ck_assert_msg(lc_event_load_file(path, &ev, &err) == LC_OK, "%s: %s", path, err.message);
    return ev;
}

/* The event generated from a bundled sample with params; the caller decrefs. */
static json_t *generate(lc_event_source source, const char *name, const lc_event_params *params)
{
    json_t *in = sample(name), *out = NULL;
    lc_error err = {0};
    ck_assert_msg(lc_event_generate(source, in, params, &out, &err) == LC_OK, "%s: %s", name,
                  err.message);
    json_decref(in);
    return out;
}

/* The value at a path such as "Records[0].s3.object.key" (borrowed; NULL when absent). */
static json_t *get_path(json_t *node, const char *path)
{
    char key[256];
    while (node && *path) {
        size_t n = strcspn(path, ".[");
        snprintf(key, sizeof key, "%.*s", (int)n, path);
        if (n > 0)
            node = json_object_get(node, key);
        path += n;
        if (*path == '[') {
            char *end;
            node = json_array_get(node, strtoul(path + 1, &end, 10));
            path = end + 1;
        }
        if (*path == '.')
            path++;
    }
    return node;
}

static json_t *at(json_t *event, const char *path)
{
    json_t *v = get_path(event, path);
    ck_assert_msg(v != NULL, "no %s in the generated event", path);
    return v;
}

static const char *text_at(json_t *event, const char *path)
{
    const char *s = json_string_value(at(event, path));
    ck_assert_msg(s != NULL, "%s is not a string", path);
    return s;
}

/* The JSON document gzipped and base64-encoded in a CloudWatch Logs event. */
static json_t *unpacked_logs(json_t *event)
{
    const char *b64 = text_at(event, "awslogs.data");
    lc_buf packed;
    lc_buf_init(&packed, 0);
    ck_assert_int_eq(lc_buf_base64_decode(&packed, b64, strlen(b64)), LC_OK);
    static unsigned char plain[1 << 20];
    z_stream z = {0};
    ck_assert_int_eq(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
    z.next_in = (unsigned char *)packed.data;
    z.avail_in = (unsigned)packed.len;
    z.next_out = plain;
    z.avail_out = sizeof plain;
    ck_assert_int_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
    json_t *doc = json_loadb((const char *)plain, z.total_out, 0, NULL);
    inflateEnd(&z);
    lc_buf_free(&packed);
    ck_assert_ptr_nonnull(doc);
    return doc;
}

static void assert_recent_ms(int64_t ms, const char *what)
{
    int64_t now = lc_now_ms();
    ck_assert_msg(ms <= now && now - ms < 60000, "%s is %lld, not within a minute of now (%lld)",
                  what, (long long)ms, (long long)now);
}

START_TEST(options_a_source_does_not_take_are_refused_naming_those_it_takes)
{
    static const struct {
        lc_event_source source;
        const char *name;
        lc_event_params params;
        const char *refused;
        const char *takes;
    } cases[] = {
        {LC_SOURCE_SQS, "sqs/batch", {.path = "/x"}, "--path does not apply to sqs", "--count"},
        {LC_SOURCE_DYNAMODB, "dynamodb/stream", {.body = "x"}, "--body does not apply", "--count"},
        {LC_SOURCE_COGNITO, "cognito/pre-signup", {.count = 2}, "--count does not apply",
         "they take --set"},
        {LC_SOURCE_APIGATEWAY_REST, "apigateway-rest/get", {.key = "k"}, "--key does not apply",
         "--method, --path"},
        {LC_SOURCE_S3, "s3/put", {.method = "GET"}, "--method does not apply", "--bucket, --key"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_t *in = sample(cases[i].name), *out = NULL;
        lc_error err = {0};
        ck_assert_int_eq(lc_event_generate(cases[i].source, in, &cases[i].params, &out, &err),
                         LC_EINVAL);
        ck_assert_ptr_null(out);
        ck_assert_msg(strstr(err.message, cases[i].refused) && strstr(err.message, cases[i].takes),
                      "%s: %s", cases[i].name, err.message);
        json_decref(in);
    }
    /* and the options a source takes are taken */
    lc_event_params taken = {.count = 2, .body = "x"};
    json_t *sqs = generate(LC_SOURCE_SQS, "sqs/batch", &taken);
    ck_assert_uint_eq(json_array_size(at(sqs, "Records")), 2);
    json_decref(sqs);
}
END_TEST

START_TEST(body_and_count_reach_kafka_mq_logs_and_s3_batch_records)
{
    lc_event_params p = {.count = 3, .body = "hi"};
    json_t *kafka = generate(LC_SOURCE_KAFKA, "kafka/msk", &p);
    json_t *topic = json_object_iter_value(json_object_iter(at(kafka, "records")));
    ck_assert_uint_eq(json_array_size(topic), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *rec = json_array_get(topic, i);
        ck_assert_str_eq(json_string_value(json_object_get(rec, "value")), "aGk=");
        ck_assert_int_eq(json_integer_value(json_object_get(rec, "offset")),
                         json_integer_value(json_object_get(json_array_get(topic, 0), "offset")) +
                             (json_int_t)i);
    }
    json_decref(kafka);

    json_t *mq = generate(LC_SOURCE_MQ, "mq/activemq-amq", &p);
    ck_assert_uint_eq(json_array_size(at(mq, "messages")), 3);
    ck_assert_str_eq(text_at(mq, "messages[2].data"), "aGk=");
    ck_assert_str_ne(text_at(mq, "messages[0].messageID"), text_at(mq, "messages[1].messageID"));
    json_decref(mq);

    json_t *rabbit = generate(LC_SOURCE_MQ, "mq/rabbitmq", &p);
    json_t *queue = json_object_iter_value(json_object_iter(at(rabbit, "rmqMessagesByQueue")));
    ck_assert_uint_eq(json_array_size(queue), 3);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(queue, 2), "data")), "aGk=");
    json_decref(rabbit);

    json_t *logs = generate(LC_SOURCE_CLOUDWATCH_LOGS, "cloudwatch-logs/subscription", &p);
    json_t *doc = unpacked_logs(logs);
    ck_assert_uint_eq(json_array_size(at(doc, "logEvents")), 3);
    ck_assert_str_eq(text_at(doc, "logEvents[1].message"), "hi");
    const char *id0 = text_at(doc, "logEvents[0].id"), *id1 = text_at(doc, "logEvents[1].id");
    ck_assert_uint_eq(strlen(id0), 56);
    ck_assert_uint_eq(strspn(id0, "0123456789"), 56);
    ck_assert_str_ne(id0, id1);
    json_decref(doc);
    json_decref(logs);

    lc_event_params batch = {.count = 2, .key = "a b.jpg", .bucket = "photos"};
    json_t *job = generate(LC_SOURCE_S3_BATCH, "s3-batch/job", &batch);
    ck_assert_uint_eq(json_array_size(at(job, "tasks")), 2);
    ck_assert_str_eq(text_at(job, "tasks[1].s3Key"), "a+b.jpg");
    ck_assert_str_eq(text_at(job, "tasks[1].s3BucketArn"), "arn:aws:s3:::photos");
    ck_assert_str_ne(text_at(job, "tasks[0].taskId"), text_at(job, "tasks[1].taskId"));
    json_decref(job);
}
END_TEST

START_TEST(a_rest_path_moves_resource_and_request_context_with_it)
{
    lc_event_params p = {.method = "POST", .path = "/orders/7"};
    json_t *rest = generate(LC_SOURCE_APIGATEWAY_REST, "apigateway-rest/get", &p);
    ck_assert_str_eq(text_at(rest, "path"), "/orders/7");
    ck_assert_str_eq(text_at(rest, "resource"), "/orders/7");
    ck_assert_str_eq(text_at(rest, "httpMethod"), "POST");
    ck_assert_str_eq(text_at(rest, "requestContext.httpMethod"), "POST");
    ck_assert_str_eq(text_at(rest, "requestContext.resourcePath"), "/orders/7");
    char staged[128];
    snprintf(staged, sizeof staged, "/%s/orders/7", text_at(rest, "requestContext.stage"));
    ck_assert_str_eq(text_at(rest, "requestContext.path"), staged);
    json_decref(rest);
}
END_TEST

START_TEST(every_time_is_fresh_and_agrees_with_its_siblings)
{
    /* requestTime (Apache form, seconds) and requestTimeEpoch (milliseconds) name one instant */
    json_t *rest = generate(LC_SOURCE_APIGATEWAY_REST, "apigateway-rest/get", NULL);
    int64_t epoch = json_integer_value(at(rest, "requestContext.requestTimeEpoch"));
    assert_recent_ms(epoch, "requestTimeEpoch");
    struct tm tm = {0};
    char mon[4];
    int day, year;
    ck_assert_int_eq(sscanf(text_at(rest, "requestContext.requestTime"),
                            "%d/%3s/%d:%d:%d:%d +0000", &day, mon, &year, &tm.tm_hour,
                            &tm.tm_min, &tm.tm_sec),
                     6);
    time_t t = (time_t)(epoch / 1000);
    struct tm want;
    gmtime_r(&t, &want);
    ck_assert_int_eq(day, want.tm_mday);
    ck_assert_int_eq(tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec,
                     want.tm_hour * 3600 + want.tm_min * 60 + want.tm_sec);
    json_decref(rest);

    /* distances between times are kept: brokerOutTime follows brokerInTime by the sample's 10 ms */
    json_t *mq_sample = sample("mq/activemq-amq");
    int64_t gap = json_integer_value(at(mq_sample, "messages[0].brokerOutTime")) -
                  json_integer_value(at(mq_sample, "messages[0].brokerInTime"));
    json_decref(mq_sample);
    json_t *mq = generate(LC_SOURCE_MQ, "mq/activemq-amq", NULL);
    int64_t in = json_integer_value(at(mq, "messages[0].brokerInTime"));
    assert_recent_ms(in, "brokerInTime");
    ck_assert_int_eq(json_integer_value(at(mq, "messages[0].brokerOutTime")) - in, gap);
    json_decref(mq);

    /* no fixed sample time survives, in seconds, fractions or milliseconds */
    json_t *ddb = generate(LC_SOURCE_DYNAMODB, "dynamodb/stream", NULL);
    json_t *created = at(ddb, "Records[0].dynamodb.ApproximateCreationDateTime");
    ck_assert(json_is_integer(created));
    assert_recent_ms(json_integer_value(created) * 1000, "ApproximateCreationDateTime");
    json_decref(ddb);
    json_t *kinesis = generate(LC_SOURCE_KINESIS, "kinesis/stream", NULL);
    json_t *arrival = at(kinesis, "Records[0].kinesis.approximateArrivalTimestamp");
    ck_assert(json_is_real(arrival));
    assert_recent_ms((int64_t)(json_real_value(arrival) * 1000.0), "approximateArrivalTimestamp");
    json_decref(kinesis);
    json_t *kafka = generate(LC_SOURCE_KAFKA, "kafka/msk", NULL);
    json_t *topic = json_object_iter_value(json_object_iter(at(kafka, "records")));
    assert_recent_ms(json_integer_value(json_object_get(json_array_get(topic, 0), "timestamp")),
                     "kafka timestamp");
    json_decref(kafka);
    json_t *logs = generate(LC_SOURCE_CLOUDWATCH_LOGS, "cloudwatch-logs/subscription", NULL);
    json_t *doc = unpacked_logs(logs);
    assert_recent_ms(json_integer_value(at(doc, "logEvents[0].timestamp")), "log timestamp");
    json_decref(doc);
    json_decref(logs);
}
END_TEST

START_TEST(s3_keys_are_url_encoded_as_s3_writes_them)
{
    lc_event_params p = {.bucket = "photos", .key = "my dir/a b+c&é.txt"};
    json_t *s3 = generate(LC_SOURCE_S3, "s3/put", &p);
    ck_assert_str_eq(text_at(s3, "Records[0].s3.object.key"), "my+dir/a+b%2Bc%26%C3%A9.txt");
    ck_assert_str_eq(text_at(s3, "Records[0].s3.bucket.name"), "photos");
    ck_assert_str_eq(text_at(s3, "Records[0].s3.bucket.arn"), "arn:aws:s3:::photos");
    json_decref(s3);
}
END_TEST

START_TEST(setting_a_header_keeps_its_multi_value_twin_in_step)
{
    json_t *rest = generate(LC_SOURCE_APIGATEWAY_REST, "apigateway-rest/get", NULL);
    lc_error err = {0};
    ck_assert_int_eq(lc_event_assign_synced(&rest, "headers.X-Trace=abc", &err), LC_OK);
    ck_assert_int_eq(lc_event_assign_synced(&rest, "queryStringParameters.page=2", &err), LC_OK);
    ck_assert_str_eq(text_at(rest, "headers.X-Trace"), "abc");
    json_t *want = json_pack("[s]", "abc");
    ck_assert(lc_json_equal(at(rest, "multiValueHeaders.X-Trace"), want));
    json_decref(want);
    ck_assert_str_eq(text_at(rest, "queryStringParameters.page"), "2");
    json_t *page = json_object_get(at(rest, "multiValueQueryStringParameters"), "page");
    ck_assert_ptr_nonnull(page);
    ck_assert_str_eq(json_string_value(json_array_get(page, 0)), "2");
    /* null removes the name from both */
    ck_assert_int_eq(lc_event_assign_synced(&rest, "headers.X-Trace=null", &err), LC_OK);
    ck_assert_ptr_null(json_object_get(at(rest, "multiValueHeaders"), "X-Trace"));
    json_decref(rest);

    /* an ALB event with multi-value headers only keeps only those */
    json_t *alb = generate(LC_SOURCE_ALB, "alb/multi-value-headers", NULL);
    ck_assert_int_eq(lc_event_assign_synced(&alb, "headers.x-n=3", &err), LC_OK);
    ck_assert_ptr_null(json_object_get(alb, "headers"));
    ck_assert_str_eq(text_at(alb, "multiValueHeaders.x-n[0]"), "3");
    json_decref(alb);

    /* the HTTP API has no twin maps: nothing is invented */
    json_t *http = generate(LC_SOURCE_APIGATEWAY_HTTP, "apigateway-http/get", NULL);
    ck_assert_int_eq(lc_event_assign_synced(&http, "headers.x-a=1", &err), LC_OK);
    ck_assert_ptr_null(json_object_get(http, "multiValueHeaders"));
    json_decref(http);
}
END_TEST

START_TEST(a_bad_sample_or_body_is_refused_with_the_reason)
{
    json_t *logs = json_pack("{s:{s:s}}", "awslogs", "data", "bm90IGd6aXA=");
    json_t *out = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_event_generate(LC_SOURCE_CLOUDWATCH_LOGS, logs, NULL, &out, &err),
                     LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "awslogs.data is not gzipped"));
    json_decref(logs);

    json_t *bridge = sample("eventbridge/custom");
    lc_event_params p = {.body = "[1]"};
    err = (lc_error){0};
    ck_assert_int_eq(lc_event_generate(LC_SOURCE_EVENTBRIDGE, bridge, &p, &out, &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "detail: a JSON object"));
    p.body = "{\"orderId\": 7}";
    ck_assert_int_eq(lc_event_generate(LC_SOURCE_EVENTBRIDGE, bridge, &p, &out, &err), LC_OK);
    ck_assert_int_eq(json_integer_value(at(out, "detail.orderId")), 7);
    json_decref(out);
    json_decref(bridge);
}
END_TEST

/* lc_event_generate takes any JSON as a sample: a sample of another source, or no object at
 * all, gives an event or an error, never a crash (found by fuzz_event: a CloudWatch Logs
 * sample without awslogs.data). */
START_TEST(any_sample_for_any_source_gives_an_event_or_an_error)
{
    static const char *const samples[] = {"0", "{}", "[]", "{\"awslogs\": 1}",
                                          "{\"Records\": [1, {}]}", "{\"records\": {\"t\": 5}}"};
    for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
        json_t *sample = json_loads(samples[i], JSON_DECODE_ANY, NULL);
        for (int s = 1; s < LC__SOURCE_COUNT; s++) {
            unsigned takes = lc_event_params_of((lc_event_source)s);
            lc_event_params p = {.count = takes & LC_PARAM_COUNT ? 2 : 0,
                                 .body = takes & LC_PARAM_BODY ? "{}" : NULL,
                                 .path = takes & LC_PARAM_ROUTE ? "/p" : NULL,
                                 .key = takes & LC_PARAM_OBJECT ? "k" : NULL};
            json_t *out = NULL;
            lc_error err = {0};
            lc_status st = lc_event_generate((lc_event_source)s, sample, &p, &out, &err);
            ck_assert_msg(st == LC_OK ? out != NULL : out == NULL && err.message[0] != '\0',
                          "%s as %s: status %d", samples[i],
                          lc_event_source_name((lc_event_source)s), st);
            json_decref(out);
        }
        json_decref(sample);
    }
}
END_TEST

Suite *event_generate_suite(void)
{
    Suite *s = suite_create("event_generate");
    TCase *tc = tcase_create("generate");
    tcase_add_test(tc, options_a_source_does_not_take_are_refused_naming_those_it_takes);
    tcase_add_test(tc, body_and_count_reach_kafka_mq_logs_and_s3_batch_records);
    tcase_add_test(tc, a_rest_path_moves_resource_and_request_context_with_it);
    tcase_add_test(tc, every_time_is_fresh_and_agrees_with_its_siblings);
    tcase_add_test(tc, s3_keys_are_url_encoded_as_s3_writes_them);
    tcase_add_test(tc, setting_a_header_keeps_its_multi_value_twin_in_step);
    tcase_add_test(tc, a_bad_sample_or_body_is_refused_with_the_reason);
    tcase_add_test(tc, any_sample_for_any_source_gives_an_event_or_an_error);
    suite_add_tcase(s, tc);
    return s;
}
