/* The stream mapping loop (stream_mapping.h), with consumers written in C: a failing record holds
 * up its shard only, is retried MaximumRetryAttempts times and then described to the on-failure
 * destination; a partial batch response checkpoints at the lowest failure; bisection isolates a
 * poison record without counting as retries; records past the maximum age are discarded unread;
 * records land in shards by their partition key's MD5; bad settings are errors naming the field. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "lambdacheck/stream_mapping.h"
#include "suites.h"

typedef enum { PARTIAL, THROWS } behaviour;

typedef struct {
    behaviour how;
    char answer[4096];
    json_t *batches; /* each invocation's record data, decoded: ["a", "poison", ...] */
} consumer;

/* The record's text: Kinesis data decoded from base64, or DynamoDB's Keys.id.S. */
static char *text_of(const json_t *rec, char *out, size_t size)
{
    const char *b64 = json_string_value(json_object_get(json_object_get(rec, "kinesis"), "data"));
    if (b64) {
        unsigned char buf[512];
        int n = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)strlen(b64));
        while (n > 0 && buf[n - 1] == '\0')
            n--; /* EVP_DecodeBlock pads */
        snprintf(out, size, "%.*s", n < 0 ? 0 : n, (const char *)buf);
    } else {
        const json_t *keys = json_object_get(json_object_get(rec, "dynamodb"), "Keys");
        snprintf(out, size, "%s",
                 json_string_value(json_object_get(json_object_get(keys, "id"), "S")));
    }
    return out;
}

static const char *seq_of(const json_t *rec)
{
    const json_t *k = json_object_get(rec, "kinesis");
    return json_string_value(json_object_get(k ? k : json_object_get(rec, "dynamodb"),
                                             k ? "sequenceNumber" : "SequenceNumber"));
}

static lc_status consume(void *data, const json_t *event, lc_sqs_answer *a, lc_error *err)
{
    (void)err;
    consumer *c = data;
    json_t *seen = json_array(), *failures = json_array();
    bool poison = false;
    size_t i;
    json_t *rec;
    json_array_foreach(json_object_get(event, "Records"), i, rec)
    {
        char text[256];
        text_of(rec, text, sizeof text);
        json_array_append_new(seen, json_string(text));
        if (strcmp(text, "poison") == 0) {
            poison = true;
            json_array_append_new(failures, json_pack("{s:s}", "itemIdentifier", seq_of(rec)));
        }
    }
    json_array_append_new(c->batches, seen);
    memset(a, 0, sizeof *a);
    if (c->how == THROWS && poison) {
        a->failed = true;
        a->error_type = "Error";
        json_decref(failures);
        return LC_OK;
    }
    json_t *r = json_pack("{s:o}", "batchItemFailures", failures);
    char *text = json_dumps(r, JSON_COMPACT);
    snprintf(c->answer, sizeof c->answer, "%s", text);
    free(text);
    json_decref(r);
    a->payload = c->answer;
    a->payload_len = strlen(c->answer);
    return LC_OK;
}

/* Kinesis records named by their data, each in the shard given (or -1: by partition key). */
static json_t *records(const char *const *data, const int *shards, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_pack("{s:s, s:s}", "id", data[i], "data", data[i]);
        if (shards && shards[i] >= 0)
            json_object_set_new(r, "shard", json_integer(shards[i]));
        json_array_append_new(list, r);
    }
    return list;
}

static json_t *run(lc_stream_mapping *m, const json_t *recs, consumer *c)
{
    lc_stream_mapping_defaults(m);
    ck_assert_int_eq(lc_stream_mapping_check(m, "test", NULL), LC_OK);
    c->batches = json_array();
    json_t *out = NULL;
    lc_error err = {0};
    ck_assert_msg(lc_stream_mapping_run(m, recs, consume, c, &out, &err) == LC_OK, "%s",
                  err.message);
    return out;
}

static char *dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

#define ck_assert_json(v, text)                                                                    \
    do {                                                                                           \
        char *got_ = dump(v);                                                                      \
        ck_assert_str_eq(got_, text);                                                              \
        free(got_);                                                                                \
    } while (0)

START_TEST(a_failing_record_holds_up_its_shard_only_then_goes_to_on_failure)
{
    /* shard 0: a, poison, b; shard 1: c, d. The consumer throws on poison; 2 retries. */
    const char *data[] = {"a", "poison", "b", "c", "d"};
    const int shards[] = {0, 0, 0, 1, 1};
    json_t *recs = records(data, shards, 5);
    lc_stream_mapping m = {
        .shards = 2, .batch_size = 2, .max_retries = 2, .max_record_age_s = LC_STREAM_UNSET};
    consumer c = {.how = THROWS};
    json_t *out = run(&m, recs, &c);
    /* shard 1 went on while shard 0 retried [a, poison] three times; then b */
    ck_assert_json(json_object_get(out, "processed"), "[\"c\",\"d\",\"b\"]");
    ck_assert_json(json_object_get(out, "discarded"), "[\"a\",\"poison\"]");
    const json_t *dest = json_array_get(json_object_get(out, "onFailure"), 0);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(dest, "requestContext"), "condition")),
        "RetryAttemptsExhausted");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(dest, "requestContext"),
                                                        "approximateInvokeCount")),
                     3);
    const json_t *info = json_object_get(dest, "KinesisBatchInfo");
    ck_assert_str_eq(json_string_value(json_object_get(info, "shardId")), "shardId-000000000000");
    ck_assert_int_eq(json_integer_value(json_object_get(info, "batchSize")), 2);
    ck_assert_json(json_object_get(out, "remaining"), "[]");
    json_decref(out);
    json_decref(recs);
    json_decref(c.batches);
}
END_TEST

START_TEST(without_a_retry_limit_a_poison_record_blocks_its_shard_until_the_bound)
{
    const char *data[] = {"poison", "a"};
    json_t *recs = records(data, NULL, 2);
    lc_stream_mapping m = {
        .max_retries = LC_STREAM_UNSET, .max_record_age_s = LC_STREAM_UNSET, .max_invocations = 5};
    consumer c = {.how = THROWS};
    json_t *out = run(&m, recs, &c);
    ck_assert_int_eq(json_array_size(c.batches), 5);
    ck_assert_json(json_object_get(out, "remaining"), "[\"poison\",\"a\"]");
    ck_assert_json(json_object_get(out, "processed"), "[]");
    json_decref(out);
    json_decref(recs);
    json_decref(c.batches);
}
END_TEST

START_TEST(a_partial_batch_response_checkpoints_at_the_lowest_failure)
{
    const char *data[] = {"a", "b", "poison", "c", "d"};
    json_t *recs = records(data, NULL, 5);
    lc_stream_mapping m = {
        .report_batch_item_failures = true, .max_retries = 1, .max_record_age_s = LC_STREAM_UNSET};
    consumer c = {.how = PARTIAL};
    json_t *out = run(&m, recs, &c);
    /* a, b are done; the batch is retried from poison (with c, d), once; then discarded */
    ck_assert_json(c.batches, "[[\"a\",\"b\",\"poison\",\"c\",\"d\"],[\"poison\",\"c\",\"d\"]]");
    ck_assert_json(json_object_get(out, "processed"), "[\"a\",\"b\"]");
    ck_assert_json(json_object_get(out, "discarded"), "[\"poison\",\"c\",\"d\"]");
    json_decref(out);
    json_decref(recs);
    json_decref(c.batches);
}
END_TEST

START_TEST(without_report_batch_item_failures_the_answer_is_ignored)
{
    const char *data[] = {"a", "poison", "b"};
    json_t *recs = records(data, NULL, 3);
    lc_stream_mapping m = {.max_retries = 1, .max_record_age_s = LC_STREAM_UNSET};
    consumer c = {.how = PARTIAL};
    json_t *out = run(&m, recs, &c);
    ck_assert_json(json_object_get(out, "processed"), "[\"a\",\"poison\",\"b\"]");
    ck_assert_int_eq(json_array_size(c.batches), 1);
    json_decref(out);
    json_decref(recs);
    json_decref(c.batches);
}
END_TEST

START_TEST(bisection_isolates_the_poison_record_without_using_retries)
{
    const char *data[] = {"a", "b", "c", "poison", "e", "f", "g", "h"};
    json_t *recs = records(data, NULL, 8);
    lc_stream_mapping m = {
        .bisect = true, .max_retries = 0, .batch_size = 8, .max_record_age_s = LC_STREAM_UNSET};
    consumer c = {.how = THROWS};
    json_t *out = run(&m, recs, &c);
    /* 8 fails -> [a..d] fails -> [a, b] ok -> [c, poison] fails -> [c] ok -> [poison] fails and,
       with no retries, is discarded alone -> the rest at full size */
    ck_assert_json(json_object_get(out, "discarded"), "[\"poison\"]");
    ck_assert_json(json_object_get(out, "processed"),
                   "[\"a\",\"b\",\"c\",\"e\",\"f\",\"g\",\"h\"]");
    ck_assert_int_eq(json_integer_value(json_object_get(out, "bisections")), 3);
    ck_assert_json(json_array_get(c.batches, json_array_size(c.batches) - 1),
                   "[\"e\",\"f\",\"g\",\"h\"]");
    json_decref(out);
    json_decref(recs);
    json_decref(c.batches);
}
END_TEST

START_TEST(without_bisection_the_whole_batch_is_discarded)
{
    const char *data[] = {"a", "b", "c", "poison", "e", "f", "g", "h"};
    json_t *recs = records(data, NULL, 8);
    lc_stream_mapping m = {.max_retries = 0, .batch_size = 8, .max_record_age_s = LC_STREAM_UNSET};
    consumer c = {.how = THROWS};
    json_t *out = run(&m, recs, &c);
    ck_assert_int_eq(json_array_size(json_object_get(out, "discarded")), 8);
    ck_assert_int_eq(json_array_size(json_object_get(out, "processed")), 0);
    json_decref(out);
    json_decref(recs);
    json_decref(c.batches);
}
END_TEST

START_TEST(records_past_the_maximum_age_are_discarded_unread)
{
    json_t *recs = json_pack("[{s:s, s:s, s:i}, {s:s, s:s}]", "id", "old", "data", "x", "age", 7200,
                             "id", "new", "data", "y");
    lc_stream_mapping m = {
        .batch_size = 1, .max_retries = LC_STREAM_UNSET, .max_record_age_s = 3600};
    consumer c = {.how = PARTIAL};
    json_t *out = run(&m, recs, &c);
    ck_assert_json(json_object_get(out, "discarded"), "[\"old\"]");
    ck_assert_json(json_object_get(out, "processed"), "[\"new\"]");
    ck_assert_json(c.batches, "[[\"y\"]]");
    json_decref(out);
    json_decref(recs);
    json_decref(c.batches);
    /* and with no maximum age, the old record is read */
    recs = json_pack("[{s:s, s:s, s:i}]", "id", "old", "data", "x", "age", 7200);
    lc_stream_mapping none = {.max_retries = LC_STREAM_UNSET, .max_record_age_s = LC_STREAM_UNSET};
    out = run(&none, recs, &c);
    ck_assert_json(json_object_get(out, "processed"), "[\"old\"]");
    json_decref(out);
    json_decref(recs);
    json_decref(c.batches);
}
END_TEST

START_TEST(a_partition_key_always_lands_in_the_same_shard)
{
    json_t *recs = json_array();
    for (int i = 0; i < 40; i++) {
        char id[8], key[8];
        snprintf(id, sizeof id, "r%d", i);
        snprintf(key, sizeof key, "k%d", i % 4);
        json_array_append_new(
            recs, json_pack("{s:s, s:s, s:s}", "id", id, "partitionKey", key, "data", key));
    }
    lc_stream_mapping m = {
        .shards = 4, .max_retries = LC_STREAM_UNSET, .max_record_age_s = LC_STREAM_UNSET};
    consumer c = {.how = PARTIAL};
    json_t *out = run(&m, recs, &c);
    /* each batch holds the records of one shard: one partition key's never spans two shards */
    json_t *shard_of_key = json_object();
    size_t i;
    json_t *batch;
    json_array_foreach(c.batches, i, batch)
    {
        const char *shard = json_string_value(
            json_object_get(json_array_get(json_object_get(out, "invocations"), i), "shard"));
        size_t k;
        json_t *key;
        json_array_foreach(batch, k, key)
        {
            const char *had =
                json_string_value(json_object_get(shard_of_key, json_string_value(key)));
            ck_assert(had == NULL || strcmp(had, shard) == 0);
            json_object_set_new(shard_of_key, json_string_value(key), json_string(shard));
        }
    }
    ck_assert_int_eq(json_array_size(json_object_get(out, "processed")), 40);
    json_decref(shard_of_key);
    json_decref(out);
    json_decref(recs);
    json_decref(c.batches);
}
END_TEST

START_TEST(filtered_out_records_never_reach_the_function_even_mid_batch)
{
    lc_event_filter *f = NULL;
    ck_assert_int_eq(lc_event_filter_parse("{\"partitionKey\": [{\"prefix\": \"keep\"}]}", "f",
                                           &f, NULL),
                     LC_OK);
    const lc_event_filter *filters[] = {f};
    json_t *recs = json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}]",
                             "id", "a", "partitionKey", "keep-a", "data", "a", "id", "bad",
                             "partitionKey", "drop-bad", "data", "poison", "id", "c",
                             "partitionKey", "drop-c", "data", "c", "id", "d", "partitionKey",
                             "keep-d", "data", "d");
    lc_stream_mapping m = {.filters = filters, .n_filters = 1, .bisect = true, .max_retries = 0,
                           .max_record_age_s = LC_STREAM_UNSET};
    consumer c = {.how = THROWS};
    json_t *out = run(&m, recs, &c);
    ck_assert_json(c.batches, "[[\"a\",\"d\"]]");
    ck_assert_json(json_object_get(out, "filteredOut"), "[\"bad\",\"c\"]");
    ck_assert_json(json_object_get(out, "processed"), "[\"a\",\"d\"]");
    json_decref(out);
    json_decref(recs);
    json_decref(c.batches);
    lc_event_filter_free(f);
}
END_TEST

START_TEST(only_the_records_past_the_maximum_age_are_discarded)
{
    json_t *recs = json_pack("[{s:s, s:s, s:i}, {s:s, s:s}, {s:s, s:s}]", "id", "old", "data", "x",
                             "age", 100, "id", "new1", "data", "y", "id", "new2", "data", "z");
    lc_stream_mapping m = {.max_retries = LC_STREAM_UNSET, .max_record_age_s = 60};
    consumer c = {.how = PARTIAL};
    json_t *out = run(&m, recs, &c);
    ck_assert_json(json_object_get(out, "discarded"), "[\"old\"]");
    ck_assert_json(c.batches, "[[\"y\",\"z\"]]");
    json_decref(out);
    json_decref(recs);
    json_decref(c.batches);
}
END_TEST

START_TEST(a_partial_retry_counts_and_stays_within_its_batch)
{
    /* batches of 3: [a, poison, b] answers poison; the retry is [poison, b] only (not c), and it
       is the first retry: with maximumRetryAttempts 1, poison and b are discarded after it */
    const char *data[] = {"a", "poison", "b", "c"};
    json_t *recs = records(data, NULL, 4);
    lc_stream_mapping m = {.report_batch_item_failures = true, .batch_size = 3, .max_retries = 1,
                           .max_record_age_s = LC_STREAM_UNSET};
    consumer c = {.how = PARTIAL};
    json_t *out = run(&m, recs, &c);
    ck_assert_json(c.batches, "[[\"a\",\"poison\",\"b\"],[\"poison\",\"b\"],[\"c\"]]");
    ck_assert_json(json_object_get(out, "discarded"), "[\"poison\",\"b\"]");
    ck_assert_json(json_object_get(out, "processed"), "[\"a\",\"c\"]");
    json_decref(out);
    json_decref(recs);
    json_decref(c.batches);
}
END_TEST

/* A consumer that keeps the first record it gets. */
static json_t *kept;
static lc_status keep_first(void *data, const json_t *event, lc_sqs_answer *a, lc_error *err)
{
    (void)data;
    (void)err;
    if (kept == NULL)
        kept = json_deep_copy(json_array_get(json_object_get(event, "Records"), 0));
    memset(a, 0, sizeof *a);
    return LC_OK;
}

START_TEST(records_have_the_shapes_lambda_builds)
{
    lc_stream_mapping m = {.max_retries = LC_STREAM_UNSET, .max_record_age_s = LC_STREAM_UNSET};
    lc_stream_mapping_defaults(&m);
    json_t *recs = json_pack("[{s:s, s:s, s:s}]", "id", "k", "partitionKey", "pk", "data",
                             "Hello, this is a test.");
    json_t *out = NULL;
    kept = NULL;
    ck_assert_int_eq(lc_stream_mapping_run(&m, recs, keep_first, NULL, &out, NULL), LC_OK);
    const json_t *k = json_object_get(kept, "kinesis");
    ck_assert_str_eq(json_string_value(json_object_get(k, "data")),
                     "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg=="); /* with-kinesis.html's example */
    ck_assert_str_eq(json_string_value(json_object_get(k, "partitionKey")), "pk");
    ck_assert_str_eq(json_string_value(json_object_get(kept, "eventSource")), "aws:kinesis");
    ck_assert_str_eq(json_string_value(json_object_get(kept, "eventName")), "aws:kinesis:record");
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(kept, "eventID")), "shardId-000000000000:49"));
    json_decref(kept);
    json_decref(out);
    json_decref(recs);
    lc_stream_mapping d = {.kind = LC_STREAM_DYNAMODB,
                           .max_retries = LC_STREAM_UNSET,
                           .max_record_age_s = LC_STREAM_UNSET};
    lc_stream_mapping_defaults(&d);
    recs = json_pack("[{s:{s:{s:s}}, s:{s:{s:s}}}]", "keys", "id", "S", "1", "newImage", "id", "S",
                     "1");
    kept = NULL;
    ck_assert_int_eq(lc_stream_mapping_run(&d, recs, keep_first, NULL, &out, NULL), LC_OK);
    ck_assert_str_eq(json_string_value(json_object_get(kept, "eventName")), "INSERT");
    ck_assert_str_eq(json_string_value(json_object_get(kept, "eventSource")), "aws:dynamodb");
    const json_t *dd = json_object_get(kept, "dynamodb");
    ck_assert_str_eq(json_string_value(json_object_get(dd, "StreamViewType")),
                     "NEW_AND_OLD_IMAGES");
    ck_assert_ptr_nonnull(json_object_get(dd, "SequenceNumber"));
    ck_assert_ptr_nonnull(json_object_get(dd, "NewImage"));
    json_decref(kept);
    json_decref(out);
    json_decref(recs);
}
END_TEST

START_TEST(settings_outside_the_bounds_are_errors_naming_the_field)
{
    const struct {
        lc_stream_mapping m;
        const char *says;
    } bad[] = {
        {{.batch_size = 10001}, "batchSize: 10001"},
        {{.max_retries = 10001}, "maximumRetryAttempts: 10001"},
        {{.max_record_age_s = 30}, "maximumRecordAgeInSeconds: 30"},
        {{.parallelization = 11}, "parallelizationFactor: 11"},
        {{.tumbling_window_s = 901}, "tumblingWindowInSeconds: 901"},
        {{.batching_window_s = 301}, "maximumBatchingWindowInSeconds: 301"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        lc_stream_mapping m = bad[i].m;
        if (m.max_retries == 0)
            m.max_retries = LC_STREAM_UNSET;
        if (m.max_record_age_s == 0)
            m.max_record_age_s = LC_STREAM_UNSET;
        lc_stream_mapping_defaults(&m);
        lc_error err = {0};
        ck_assert_int_eq(lc_stream_mapping_check(&m, "x", &err), LC_EINVAL);
        ck_assert_msg(strstr(err.message, bad[i].says) != NULL, "%s", err.message);
    }
}
END_TEST

START_TEST(bad_records_are_errors_naming_the_record)
{
    lc_stream_mapping m = {
        .shards = 2, .max_retries = LC_STREAM_UNSET, .max_record_age_s = LC_STREAM_UNSET};
    lc_stream_mapping_defaults(&m);
    json_t *cases[] = {
        json_pack("[{s:s}]", "id", "x"),
        json_pack("[{s:s, s:i}]", "data", "x", "shard", 2),
        json_pack("[{s:s, s:s}]", "data", "x", "colour", "red"),
        json_pack("[{s:s, s:s}, {s:s, s:s}]", "id", "a", "data", "x", "id", "a", "data", "y"),
    };
    const char *says[] = {"records[0].data: a Kinesis record needs its data",
                          "records[0].shard: must be a shard's number, 0 to 1",
                          "records[0].colour: unknown field",
                          "records[1].id: \"a\" is also records[0]'s"};
    consumer c = {.how = PARTIAL, .batches = json_array()};
    for (size_t i = 0; i < 4; i++) {
        lc_error err = {0};
        json_t *out = NULL;
        ck_assert_int_eq(lc_stream_mapping_run(&m, cases[i], consume, &c, &out, &err), LC_EINVAL);
        ck_assert_msg(strstr(err.message, says[i]) != NULL, "%s", err.message);
        ck_assert_ptr_null(out);
        json_decref(cases[i]);
    }
    ck_assert_int_eq(json_array_size(c.batches), 0);
    json_decref(c.batches);
}
END_TEST

/* One shard of records keyed k0..k19, a poison record first and a record after it under the
 * poison's own key; the consumer throws on poison and retries never end. */
static json_t *keyed_records(void)
{
    json_t *list = json_array();
    json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "id", "poison", "data", "poison",
                                          "partitionKey", "kp"));
    for (int i = 0; i < 20; i++) {
        char id[16];
        snprintf(id, sizeof id, "k%d", i);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "id", id, "data", id,
                                              "partitionKey", id));
    }
    json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "id", "after", "data", "after",
                                          "partitionKey", "kp"));
    return list;
}

static bool listed(const json_t *list, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (strcmp(json_string_value(v), id) == 0)
            return true;
    }
    return false;
}

/* ParallelizationFactor: without it the poison record holds up its whole shard; with 10 lines it
 * holds up only the line its partition key is read in, and the record after it under the same key
 * still waits behind it. */
START_TEST(with_a_parallelization_factor_a_poison_record_holds_up_its_keys_line_only)
{
    json_t *recs = keyed_records();
    lc_stream_mapping one = {.batch_size = 1, .max_invocations = 100,
                             .max_retries = LC_STREAM_UNSET, .max_record_age_s = LC_STREAM_UNSET};
    consumer c = {.how = THROWS};
    json_t *out = run(&one, recs, &c);
    ck_assert_uint_eq(json_array_size(json_object_get(out, "processed")), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(out, "remaining")), 22);
    ck_assert_ptr_null(json_object_get(out, "warnings")); /* one line: nothing assumed */
    json_decref(out);
    json_decref(c.batches);
    lc_stream_mapping ten = one;
    ten.parallelization = 10;
    consumer c10 = {.how = THROWS};
    out = run(&ten, recs, &c10);
    const json_t *processed = json_object_get(out, "processed");
    ck_assert_msg(json_array_size(processed) >= 14, "only %zu processed",
                  json_array_size(processed));
    ck_assert(listed(json_object_get(out, "remaining"), "poison"));
    ck_assert(listed(json_object_get(out, "remaining"), "after"));
    ck_assert(!listed(processed, "after"));
    /* AWS does not say that the other lines go on: the outcome says it assumed so */
    const json_t *warnings = json_object_get(out, "warnings");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_array_get(warnings, 0)),
                                 "not whether a failing batch holds up"));
    /* what stayed behind shares the poison's line: fewer than all, more than the two of its key */
    ck_assert_uint_eq(json_array_size(processed) +
                          json_array_size(json_object_get(out, "remaining")),
                      22);
    json_decref(out);
    json_decref(c10.batches);
    json_decref(recs);
}
END_TEST

/* The other way: an honest stream with 10 lines loses nothing, and one key's records still come in
 * their order; their sequence numbers grow in the shard as without lines. */
START_TEST(with_a_parallelization_factor_each_keys_records_stay_in_order)
{
    json_t *recs = json_array();
    const char *ids[] = {"x1", "y1", "x2", "z1", "x3", "y2"};
    for (size_t i = 0; i < 6; i++) /* the key is the letter: x1, x2 and x3 share one */
        json_array_append_new(recs, json_pack("{s:s, s:s, s:s#}", "id", ids[i], "data", ids[i],
                                              "partitionKey", ids[i], (int)1));
    lc_stream_mapping m = {.batch_size = 1, .parallelization = 10,
                           .max_retries = LC_STREAM_UNSET, .max_record_age_s = LC_STREAM_UNSET};
    consumer c = {.how = PARTIAL};
    json_t *out = run(&m, recs, &c);
    const json_t *processed = json_object_get(out, "processed");
    ck_assert_uint_eq(json_array_size(processed), 6);
    long at[3] = {-1, -1, -1};
    size_t i;
    json_t *v;
    json_array_foreach(processed, i, v)
    {
        const char *id = json_string_value(v);
        if (id[0] == 'x')
            at[id[1] - '1'] = (long)i;
    }
    ck_assert(at[0] >= 0 && at[0] < at[1] && at[1] < at[2]);
    ck_assert_ptr_null(json_object_get(out, "warnings")); /* nothing failed: nothing assumed */
    json_decref(out);
    json_decref(c.batches);
    json_decref(recs);
}
END_TEST

Suite *stream_mapping_suite(void)
{
    Suite *s = suite_create("stream_mapping");
    TCase *loop = tcase_create("loop");
    tcase_add_test(loop, with_a_parallelization_factor_a_poison_record_holds_up_its_keys_line_only);
    tcase_add_test(loop, with_a_parallelization_factor_each_keys_records_stay_in_order);
    tcase_add_test(loop, a_failing_record_holds_up_its_shard_only_then_goes_to_on_failure);
    tcase_add_test(loop, without_a_retry_limit_a_poison_record_blocks_its_shard_until_the_bound);
    tcase_add_test(loop, a_partial_batch_response_checkpoints_at_the_lowest_failure);
    tcase_add_test(loop, without_report_batch_item_failures_the_answer_is_ignored);
    tcase_add_test(loop, bisection_isolates_the_poison_record_without_using_retries);
    tcase_add_test(loop, without_bisection_the_whole_batch_is_discarded);
    tcase_add_test(loop, records_past_the_maximum_age_are_discarded_unread);
    tcase_add_test(loop, a_partition_key_always_lands_in_the_same_shard);
    tcase_add_test(loop, records_have_the_shapes_lambda_builds);
    tcase_add_test(loop, filtered_out_records_never_reach_the_function_even_mid_batch);
    tcase_add_test(loop, only_the_records_past_the_maximum_age_are_discarded);
    tcase_add_test(loop, a_partial_retry_counts_and_stays_within_its_batch);
    suite_add_tcase(s, loop);
    TCase *errors = tcase_create("errors");
    tcase_add_test(errors, settings_outside_the_bounds_are_errors_naming_the_field);
    tcase_add_test(errors, bad_records_are_errors_naming_the_record);
    suite_add_tcase(s, errors);
    return s;
}
