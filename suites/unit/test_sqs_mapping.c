/* The SQS mapping loop (sqs_mapping.h), with consumers written in C: one that honours partial
 * batch responses loses and duplicates nothing; ones that name the wrong ids, throw on a poison
 * message or fail every time show the redeliveries and dead-letter moves Lambda would make; a
 * poison message in a FIFO group holds up that group only; bad settings and messages are errors
 * naming the field. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lambdacheck/sqs_mapping.h"
#include "suites.h"

/* What a consumer does with a batch. */
typedef enum {
    HONEST,    /* reports exactly the poison messages (body "poison") in batchItemFailures */
    THROWS,    /* fails the invocation when the batch has a poison message */
    WRONG_IDS, /* reports a made-up id for a poison message */
    IGNORES,   /* returns null however its messages went */
} behaviour;

typedef struct {
    behaviour how;
    char answer[4096];
    int calls;
    json_t *seen; /* every record's messageId, in delivery order */
} consumer;

static lc_status consume(void *data, const json_t *event, lc_sqs_answer *a, lc_error *err)
{
    (void)err;
    consumer *c = data;
    c->calls++;
    json_t *failures = json_array();
    bool poison = false;
    size_t i;
    json_t *rec;
    json_array_foreach(json_object_get(event, "Records"), i, rec)
    {
        const char *id = json_string_value(json_object_get(rec, "messageId"));
        json_array_append_new(c->seen, json_string(id));
        if (strcmp(json_string_value(json_object_get(rec, "body")), "poison") == 0) {
            poison = true;
            json_array_append_new(failures, json_pack("{s:s}", "itemIdentifier",
                                                      c->how == WRONG_IDS ? "not-an-id" : id));
        }
    }
    memset(a, 0, sizeof *a);
    if (c->how == THROWS && poison) {
        a->failed = true;
        a->error_type = "Error";
    } else if (c->how == IGNORES) {
        snprintf(c->answer, sizeof c->answer, "null");
    } else {
        json_t *r = json_pack("{s:o}", "batchItemFailures", failures);
        failures = NULL;
        char *text = json_dumps(r, JSON_COMPACT);
        snprintf(c->answer, sizeof c->answer, "%s", text);
        free(text);
        json_decref(r);
    }
    json_decref(failures);
    a->payload = a->failed ? NULL : c->answer;
    a->payload_len = a->failed ? 0 : strlen(c->answer);
    return LC_OK;
}

/* n messages "m0".."m<n-1>"; those whose position is in poison have body "poison". */
static json_t *messages(int n, const int *poison, size_t n_poison, const char *group)
{
    json_t *list = json_array();
    for (int i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "m%d", i);
        bool bad = false;
        for (size_t k = 0; k < n_poison; k++)
            bad = bad || poison[k] == i;
        json_t *m = json_pack("{s:s, s:s}", "id", id, "body", bad ? "poison" : "fine");
        if (group)
            json_object_set_new(m, "groupId", json_string(i % 2 ? "odd" : group));
        json_array_append_new(list, m);
    }
    return list;
}

static json_t *run(lc_sqs_mapping *m, const json_t *msgs, consumer *c)
{
    lc_sqs_mapping_defaults(m);
    ck_assert_int_eq(lc_sqs_mapping_check(m, "test", NULL), LC_OK);
    c->seen = json_array();
    json_t *out = NULL;
    lc_error err = {0};
    ck_assert_msg(lc_sqs_mapping_run(m, msgs, consume, c, &out, &err) == LC_OK, "%s", err.message);
    return out;
}

static bool has(const json_t *list, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *s =
            json_is_object(v) ? json_string_value(json_object_get(v, "id")) : json_string_value(v);
        if (s && strcmp(s, id) == 0)
            return true;
    }
    return false;
}

static int receives(const json_t *out, const char *id)
{
    return (int)json_integer_value(json_object_get(json_object_get(out, "receives"), id));
}

/* Each message ends in exactly one place. */
static void accounted_once(const json_t *out, int n)
{
    const char *places[] = {"deleted", "filteredOut", "deadLetter", "remaining"};
    for (int i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "m%d", i);
        int found = 0;
        for (size_t p = 0; p < 4; p++) {
            size_t k;
            json_t *v;
            json_array_foreach(json_object_get(out, places[p]), k, v)
            {
                const char *s = json_is_object(v) ? json_string_value(json_object_get(v, "id"))
                                                  : json_string_value(v);
                found += strcmp(s, id) == 0;
            }
        }
        ck_assert_msg(found == 1, "%s is in %d places", id, found);
    }
}

START_TEST(an_honest_partial_batch_consumer_loses_and_duplicates_nothing)
{
    lc_sqs_mapping m = {.report_batch_item_failures = true, .batch_size = 5};
    consumer c = {.how = HONEST};
    json_t *msgs = messages(20, NULL, 0, NULL);
    json_t *out = run(&m, msgs, &c);
    ck_assert_int_eq(json_array_size(json_object_get(out, "deleted")), 20);
    ck_assert_int_eq(json_array_size(json_object_get(out, "redelivered")), 0);
    ck_assert_int_eq(json_array_size(json_object_get(out, "invocations")), 4);
    ck_assert_int_eq(json_array_size(c.seen), 20);
    accounted_once(out, 20);
    json_decref(out);
    json_decref(msgs);
    json_decref(c.seen);
}
END_TEST

START_TEST(a_reported_failure_is_redelivered_alone_then_dead_lettered)
{
    lc_sqs_mapping m = {.report_batch_item_failures = true,
                        .batch_size = 10,
                        .max_receive_count = 3,
                        .visibility_timeout_s = 60};
    consumer c = {.how = HONEST};
    int poison[] = {4};
    json_t *msgs = messages(10, poison, 1, NULL);
    json_t *out = run(&m, msgs, &c);
    /* the nine others were deleted after the first batch; m4 came three times, then moved */
    ck_assert_int_eq(json_array_size(json_object_get(out, "deleted")), 9);
    ck_assert(has(json_object_get(out, "deadLetter"), "m4"));
    ck_assert_int_eq(receives(out, "m4"), 3);
    ck_assert_int_eq(receives(out, "m3"), 1);
    ck_assert_int_eq(json_array_size(json_object_get(out, "invocations")), 3);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(out, "invocations"), 0), "result")),
                     "partial");
    /* three visibility timeouts were waited out, in virtual time: the third one before the
       receive that found m4 at its maxReceiveCount and moved it */
    ck_assert_double_eq(json_real_value(json_object_get(out, "skippedSeconds")), 180.0);
    accounted_once(out, 10);
    json_decref(out);
    json_decref(msgs);
    json_decref(c.seen);
}
END_TEST

START_TEST(without_report_batch_item_failures_the_answer_is_ignored)
{
    /* the same honest consumer, but the mapping does not read its answer: all are deleted */
    lc_sqs_mapping m = {.batch_size = 10, .max_receive_count = 3};
    consumer c = {.how = HONEST};
    int poison[] = {4};
    json_t *msgs = messages(10, poison, 1, NULL);
    json_t *out = run(&m, msgs, &c);
    ck_assert_int_eq(json_array_size(json_object_get(out, "deleted")), 10);
    ck_assert_int_eq(json_array_size(json_object_get(out, "deadLetter")), 0);
    json_decref(out);
    json_decref(msgs);
    json_decref(c.seen);
}
END_TEST

START_TEST(a_consumer_that_throws_on_a_poison_message_redelivers_its_batchmates)
{
    lc_sqs_mapping m = {
        .report_batch_item_failures = true, .batch_size = 5, .max_receive_count = 2};
    consumer c = {.how = THROWS};
    int poison[] = {2};
    json_t *msgs = messages(5, poison, 1, NULL);
    json_t *out = run(&m, msgs, &c);
    /* the whole batch came back twice; then every message had its two receives and moved */
    ck_assert_int_eq(json_array_size(json_object_get(out, "deleted")), 0);
    ck_assert_int_eq(json_array_size(json_object_get(out, "deadLetter")), 5);
    ck_assert_int_eq(json_array_size(json_object_get(out, "redelivered")), 5);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(out, "invocations"), 0), "result")),
                     "failed");
    accounted_once(out, 5);
    json_decref(out);
    json_decref(msgs);
    json_decref(c.seen);
}
END_TEST

START_TEST(an_id_not_in_the_batch_fails_the_whole_batch)
{
    lc_sqs_mapping m = {
        .report_batch_item_failures = true, .batch_size = 4, .max_receive_count = 2};
    consumer c = {.how = WRONG_IDS};
    int poison[] = {1};
    json_t *msgs = messages(4, poison, 1, NULL);
    json_t *out = run(&m, msgs, &c);
    const json_t *first = json_array_get(json_object_get(out, "invocations"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(first, "result")), "failed");
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(first, "why")), "not a messageId of this batch"));
    ck_assert_int_eq(receives(out, "m0"), 2); /* the good ones came back too */
    ck_assert_int_eq(json_array_size(json_object_get(out, "deadLetter")), 4);
    json_decref(out);
    json_decref(msgs);
    json_decref(c.seen);
}
END_TEST

START_TEST(a_poison_message_in_a_fifo_group_holds_up_that_group_only)
{
    lc_sqs_mapping m = {
        .fifo = true, .report_batch_item_failures = true, .batch_size = 1, .max_receive_count = 3};
    consumer c = {.how = HONEST};
    int poison[] = {2}; /* in group "even" (m0, m2, m4, ...); "odd" is m1, m3, ... */
    json_t *msgs = messages(8, poison, 1, "even");
    json_t *out = run(&m, msgs, &c);
    /* odd's four were all delivered before m2 was dead-lettered; even's m4 and m6 only after */
    size_t i;
    json_t *v;
    size_t last_odd = 0, first_m4 = SIZE_MAX, m2_last = 0;
    json_array_foreach(c.seen, i, v)
    {
        const char *id = json_string_value(v);
        int n = atoi(id + 1);
        if (n % 2)
            last_odd = i;
        if (n == 4 && first_m4 == SIZE_MAX)
            first_m4 = i;
        if (n == 2)
            m2_last = i;
    }
    ck_assert_int_lt(last_odd, m2_last);
    ck_assert_int_gt(first_m4, m2_last);
    ck_assert(has(json_object_get(out, "deadLetter"), "m2"));
    ck_assert_int_eq(json_array_size(json_object_get(out, "deleted")), 7);
    accounted_once(out, 8);
    json_decref(out);
    json_decref(msgs);
    json_decref(c.seen);
}
END_TEST

START_TEST(a_fifo_batch_takes_as_many_of_a_group_as_it_can_in_order)
{
    lc_sqs_mapping m = {.fifo = true, .report_batch_item_failures = true};
    consumer c = {.how = HONEST};
    json_t *msgs = json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}]", "id", "g1",
                             "body", "x", "groupId", "g", "id", "g2", "body", "x", "groupId", "g",
                             "id", "g3", "body", "x", "groupId", "g");
    json_t *out = run(&m, msgs, &c);
    ck_assert_int_eq(c.calls, 1);
    char *seen = json_dumps(c.seen, JSON_COMPACT);
    ck_assert_str_eq(seen, "[\"g1\",\"g2\",\"g3\"]");
    free(seen);
    json_decref(out);
    json_decref(msgs);
    json_decref(c.seen);
}
END_TEST

START_TEST(a_standard_queue_does_not_hold_up_the_messages_after_a_failure)
{
    /* the same messages in a standard queue: m4 comes before m2 is dead-lettered */
    lc_sqs_mapping m = {
        .report_batch_item_failures = true, .batch_size = 1, .max_receive_count = 3};
    consumer c = {.how = HONEST};
    int poison[] = {2};
    json_t *msgs = messages(8, poison, 1, NULL);
    json_t *out = run(&m, msgs, &c);
    size_t i, first_m4 = SIZE_MAX, m2_last = 0;
    json_t *v;
    json_array_foreach(c.seen, i, v)
    {
        const char *id = json_string_value(v);
        if (strcmp(id, "m4") == 0 && first_m4 == SIZE_MAX)
            first_m4 = i;
        if (strcmp(id, "m2") == 0)
            m2_last = i;
    }
    ck_assert_int_lt(first_m4, m2_last);
    json_decref(out);
    json_decref(msgs);
    json_decref(c.seen);
}
END_TEST

START_TEST(without_a_redrive_policy_a_poison_message_stays_until_the_bound)
{
    lc_sqs_mapping m = {.report_batch_item_failures = true, .max_invocations = 6};
    consumer c = {.how = HONEST};
    int poison[] = {0};
    json_t *msgs = messages(3, poison, 1, NULL);
    json_t *out = run(&m, msgs, &c);
    ck_assert_int_eq(c.calls, 6);
    ck_assert(has(json_object_get(out, "remaining"), "m0"));
    ck_assert_int_eq(receives(out, "m0"), 6);
    accounted_once(out, 3);
    json_decref(out);
    json_decref(msgs);
    json_decref(c.seen);
}
END_TEST

START_TEST(a_message_without_an_id_gets_a_stable_uuid)
{
    lc_sqs_mapping m = {.fifo = true, .queue_arn = "arn:aws:sqs:eu-west-1:111122223333:q.fifo"};
    consumer c = {.how = IGNORES};
    json_t *msgs = json_pack("[{s:s, s:s}]", "body", "test", "groupId", "g");
    json_t *out = run(&m, msgs, &c);
    ck_assert_str_eq(json_string_value(json_array_get(c.seen, 0)),
                     "00000000-0000-4000-8000-000000000001");
    json_decref(out);
    json_decref(c.seen);
    json_decref(msgs);
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

START_TEST(a_record_carries_receive_count_md5_arn_and_fifo_attributes)
{
    lc_sqs_mapping m = {.fifo = true, .queue_arn = "arn:aws:sqs:eu-west-1:111122223333:q.fifo"};
    lc_sqs_mapping_defaults(&m);
    json_t *msgs = json_pack("[{s:s, s:s, s:s}]", "id", "a1", "body", "test", "groupId", "g");
    json_t *out = NULL;
    kept = NULL;
    ck_assert_int_eq(lc_sqs_mapping_run(&m, msgs, keep_first, NULL, &out, NULL), LC_OK);
    ck_assert_ptr_nonnull(kept);
    ck_assert_str_eq(json_string_value(json_object_get(kept, "md5OfBody")),
                     "098f6bcd4621d373cade4e832627b4f6"); /* with-sqs.html's "test" */
    ck_assert_str_eq(json_string_value(json_object_get(kept, "eventSource")), "aws:sqs");
    ck_assert_str_eq(json_string_value(json_object_get(kept, "awsRegion")), "eu-west-1");
    const json_t *attrs = json_object_get(kept, "attributes");
    ck_assert_str_eq(json_string_value(json_object_get(attrs, "ApproximateReceiveCount")), "1");
    ck_assert_str_eq(json_string_value(json_object_get(attrs, "MessageGroupId")), "g");
    ck_assert_ptr_nonnull(json_object_get(attrs, "SequenceNumber"));
    ck_assert_ptr_nonnull(json_object_get(kept, "receiptHandle"));
    json_decref(kept);
    json_decref(out);
    json_decref(msgs);
}
END_TEST

START_TEST(messages_no_filter_matches_are_deleted_unseen)
{
    lc_event_filter *f = NULL;
    ck_assert_int_eq(lc_event_filter_parse("{\"body\": {\"kind\": [\"order\"]}}", "f", &f, NULL),
                     LC_OK);
    const lc_event_filter *filters[] = {f};
    lc_sqs_mapping m = {.filters = filters, .n_filters = 1};
    consumer c = {.how = IGNORES};
    json_t *msgs = json_pack("[{s:s, s:s}, {s:s, s:s}]", "id", "o", "body", "{\"kind\":\"order\"}",
                             "id", "x", "body", "{\"kind\":\"other\"}");
    json_t *out = run(&m, msgs, &c);
    ck_assert(has(json_object_get(out, "filteredOut"), "x"));
    ck_assert(has(json_object_get(out, "deleted"), "o"));
    ck_assert_int_eq(json_array_size(c.seen), 1);
    json_decref(out);
    json_decref(msgs);
    json_decref(c.seen);
    lc_event_filter_free(f);
}
END_TEST

START_TEST(settings_outside_the_bounds_are_errors_naming_the_field)
{
    lc_error err = {0};
    lc_sqs_mapping fifo = {.fifo = true, .batch_size = 11};
    ck_assert_int_eq(lc_sqs_mapping_check(&fifo, "case.json: sqs", &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "batchSize: 11"));
    lc_sqs_mapping big = {.batch_size = 100};
    lc_sqs_mapping_defaults(&big);
    err = (lc_error){0};
    ck_assert_int_eq(lc_sqs_mapping_check(&big, "x", &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "maximumBatchingWindowInSeconds"));
    big.batching_window_s = 1;
    ck_assert_int_eq(lc_sqs_mapping_check(&big, "x", NULL), LC_OK);
    lc_sqs_mapping vis = {.visibility_timeout_s = 50000};
    lc_sqs_mapping_defaults(&vis);
    err = (lc_error){0};
    ck_assert_int_eq(lc_sqs_mapping_check(&vis, "x", &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "visibilityTimeout"));
    lc_sqs_mapping windowed = {.fifo = true, .batching_window_s = 5};
    lc_sqs_mapping_defaults(&windowed);
    err = (lc_error){0};
    ck_assert_int_eq(lc_sqs_mapping_check(&windowed, "x", &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "Batching window is not supported for FIFO queues"));
    lc_sqs_mapping scaling = {.max_concurrency = 1};
    lc_sqs_mapping_defaults(&scaling);
    err = (lc_error){0};
    ck_assert_int_eq(lc_sqs_mapping_check(&scaling, "x", &err), LC_EINVAL);
    ck_assert_ptr_nonnull(
        strstr(err.message, "maximumConcurrency: 1 is out of bounds (2 to 1000)"));
    scaling.max_concurrency = 2;
    ck_assert_int_eq(lc_sqs_mapping_check(&scaling, "x", NULL), LC_OK);
    lc_sqs_mapping redrive = {.max_receive_count = 1001};
    lc_sqs_mapping_defaults(&redrive);
    err = (lc_error){0};
    ck_assert_int_eq(lc_sqs_mapping_check(&redrive, "x", &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "maxReceiveCount"));
}
END_TEST

START_TEST(bad_messages_are_errors_naming_the_message)
{
    lc_sqs_mapping m = {0};
    lc_sqs_mapping_defaults(&m);
    consumer c = {.how = IGNORES, .seen = json_array()};
    lc_error err = {0};
    json_t *out = NULL;
    char *huge = malloc(LC_SQS_MESSAGE_MAX + 2);
    memset(huge, 'x', LC_SQS_MESSAGE_MAX + 1);
    huge[LC_SQS_MESSAGE_MAX + 1] = '\0';
    json_t *cases[] = {
        json_pack("[{s:s}, {s:s}]", "body", "a", "body", huge),
        json_pack("[{s:i}]", "body", 3),
        json_pack("[{s:s, s:s}, {s:s, s:s}]", "id", "d", "body", "a", "id", "d", "body", "b"),
        json_pack("{}"),
    };
    const char *want[] = {"messages[1].body: 1048577 bytes is over", "messages[0].body: must be",
                          "messages[1].id: \"d\" is also messages[0]'s",
                          "messages: must be a list"};
    for (size_t i = 0; i < 4; i++) {
        err = (lc_error){0};
        ck_assert_int_eq(lc_sqs_mapping_run(&m, cases[i], consume, &c, &out, &err), LC_EINVAL);
        ck_assert_msg(strstr(err.message, want[i]) != NULL, "%s", err.message);
        ck_assert_ptr_null(out);
        json_decref(cases[i]);
    }
    lc_sqs_mapping fifo = {.fifo = true};
    lc_sqs_mapping_defaults(&fifo);
    json_t *ungrouped = json_pack("[{s:s}]", "body", "a");
    err = (lc_error){0};
    ck_assert_int_eq(lc_sqs_mapping_run(&fifo, ungrouped, consume, &c, &out, &err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "messages[0].groupId"));
    ck_assert_int_eq(c.calls, 0);
    json_decref(ungrouped);
    json_decref(c.seen);
    free(huge);
}
END_TEST

Suite *sqs_mapping_suite(void)
{
    Suite *s = suite_create("sqs_mapping");
    TCase *loop = tcase_create("loop");
    tcase_add_test(loop, an_honest_partial_batch_consumer_loses_and_duplicates_nothing);
    tcase_add_test(loop, a_reported_failure_is_redelivered_alone_then_dead_lettered);
    tcase_add_test(loop, without_report_batch_item_failures_the_answer_is_ignored);
    tcase_add_test(loop, a_consumer_that_throws_on_a_poison_message_redelivers_its_batchmates);
    tcase_add_test(loop, an_id_not_in_the_batch_fails_the_whole_batch);
    tcase_add_test(loop, a_poison_message_in_a_fifo_group_holds_up_that_group_only);
    tcase_add_test(loop, a_fifo_batch_takes_as_many_of_a_group_as_it_can_in_order);
    tcase_add_test(loop, a_standard_queue_does_not_hold_up_the_messages_after_a_failure);
    tcase_add_test(loop, without_a_redrive_policy_a_poison_message_stays_until_the_bound);
    tcase_add_test(loop, a_message_without_an_id_gets_a_stable_uuid);
    tcase_add_test(loop, a_record_carries_receive_count_md5_arn_and_fifo_attributes);
    tcase_add_test(loop, messages_no_filter_matches_are_deleted_unseen);
    suite_add_tcase(s, loop);
    TCase *errors = tcase_create("errors");
    tcase_add_test(errors, settings_outside_the_bounds_are_errors_naming_the_field);
    tcase_add_test(errors, bad_messages_are_errors_naming_the_message);
    suite_add_tcase(s, errors);
    return s;
}
