/* An SQS queue drained into a function as Lambda's event source mapping drains it
 * (sqs_mapping.h). */
#include "lambdacheck/sqs_mapping.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "lambdacheck/event.h"

/* The queue's clock starts here (2026-01-01T00:00:00Z, in ms): SentTimestamp and the like. */
#define CLOCK_ORIGIN_MS 1767225600000LL
#define DEFAULT_MAX_INVOCATIONS 10000

/* One message and where it stands. */
typedef enum { QUEUED, IN_FLIGHT, DELETED, FILTERED, DEAD } state;

typedef struct {
    const char *id; /* borrowed from the case's messages or ids[] */
    const char *body;
    const char *group; /* FIFO: its MessageGroupId */
    const json_t *attributes;
    char own_id[37];
    state st;
    int receives;
    int64_t visible_at_ms; /* virtual: when it can be received again */
    int64_t first_receive_ms;
    long sequence; /* FIFO: its SequenceNumber */
} message;

typedef struct {
    const lc_sqs_mapping *m;
    message *msgs;
    size_t n;
    int64_t now_ms;
    int64_t skipped_ms;
    json_t *outcome;
    /* so that a batch costs its own size, not the queue's: in a standard queue, the messages
       never received from cursor on, and those that came back in returned[head..len), in the
       order they did, which is the order they become visible (the timeout is the queue's); in a
       FIFO queue, cursor is the first message not settled */
    size_t cursor;
    size_t *returned, head, len, cap;
} queue;

void lc_sqs_mapping_defaults(lc_sqs_mapping *m)
{
    if (m->batch_size == 0)
        m->batch_size = 10;
    if (m->visibility_timeout_s == 0)
        m->visibility_timeout_s = 30;
    if (m->max_invocations == 0)
        m->max_invocations = DEFAULT_MAX_INVOCATIONS;
}

/* The bounds are Lambda's CreateEventSourceMapping's (https://docs.aws.amazon.com/lambda/latest/
 * api/API_CreateEventSourceMapping.html: BatchSize, MaximumBatchingWindowInSeconds; "When you set
 * BatchSize to a value greater than 10, you must set MaximumBatchingWindowInSeconds to at least
 * 1") and SQS's (SetQueueAttributes: VisibilityTimeout 0 to 43,200; a redrive policy's
 * maxReceiveCount 1 to 1,000). */
lc_status lc_sqs_mapping_check(const lc_sqs_mapping *m, const char *where, lc_error *err)
{
    int most = m->fifo ? 10 : 10000;
    if (m->batch_size < 1 || m->batch_size > most)
        return lc_error_set(err, LC_EINVAL, where, 0, 0,
                            "batchSize: %d is out of bounds: an SQS %s queue takes 1 to %d",
                            m->batch_size, m->fifo ? "FIFO" : "standard", most);
    if (m->fifo && m->batching_window_s > 0) /* services-sqs-parameters.html */
        return lc_error_set(err, LC_EINVAL, where, 0, 0,
                            "maximumBatchingWindowInSeconds: Batching window is not supported "
                            "for FIFO queues");
    if (m->batch_size > 10 && m->batching_window_s < 1)
        return lc_error_set(err, LC_EINVAL, where, 0, 0,
                            "batchSize: %d is over 10, which Lambda takes only with a "
                            "maximumBatchingWindowInSeconds of at least 1",
                            m->batch_size);
    /* ScalingConfig: "Minimum value of 2. Maximum value of 1000."
       (https://docs.aws.amazon.com/lambda/latest/api/API_ScalingConfig.html); 0: none */
    const lc__bound bounds[] = {
        {"maximumBatchingWindowInSeconds", m->batching_window_s, 0, 300, false, 0},
        {"visibilityTimeout", m->visibility_timeout_s, 0, 43200, false, 0},
        {"maxReceiveCount", m->max_receive_count, 1, 1000, true, 0},
        {"maximumConcurrency", m->max_concurrency, 2, 1000, true, 0},
        {"maxInvocations", m->max_invocations, 1, 1000000, true, 0},
    };
    return lc__check_bounds(bounds, sizeof bounds / sizeof *bounds, where, err);
}

/* --- the messages ----------------------------------------------------------------------------- */

/* A messageId for the message at position i: UUID-shaped, the same on every run. */
static void position_id(size_t i, char out[37])
{
    snprintf(out, 37, "00000000-0000-4000-8000-%012llx",
             (unsigned long long)(i + 1) & 0xffffffffffffULL);
}

static lc_status read_message(const json_t *j, size_t i, bool fifo, message *msg, lc_error *err)
{
    char where[64];
    snprintf(where, sizeof where, "messages[%zu]", i);
    if (!json_is_object(j))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "%s: must be an object with a body", where);
    const json_t *body = json_object_get(j, "body"), *id = json_object_get(j, "id"),
                 *group = json_object_get(j, "groupId"), *attrs = json_object_get(j, "attributes");
    if (!json_is_string(body))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "%s.body: must be a string", where);
    if (json_string_length(body) > LC_SQS_MESSAGE_MAX)
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "%s.body: %zu bytes is over SQS's largest message (%d bytes)", where,
                            json_string_length(body), LC_SQS_MESSAGE_MAX);
    if (json_string_length(body) == 0)
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "%s.body: SQS takes no empty message body",
                            where);
    if (id && (!json_is_string(id) || json_string_length(id) == 0))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "%s.id: must be a non-empty string", where);
    if (fifo && !json_is_string(group))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "%s.groupId: a FIFO queue's messages need a message group", where);
    if (group && !json_is_string(group))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "%s.groupId: must be a string", where);
    if (attrs && !json_is_object(attrs))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "%s.attributes: must be an object of message attributes", where);
    position_id(i, msg->own_id);
    msg->id = id ? json_string_value(id) : msg->own_id;
    msg->body = json_string_value(body);
    msg->group = group ? json_string_value(group) : NULL;
    msg->attributes = attrs;
    msg->sequence = (long)i + 1;
    return LC_OK;
}

static lc_status load(queue *q, const json_t *messages, lc_error *err)
{
    if (!json_is_array(messages))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "messages: must be a list");
    q->n = json_array_size(messages);
    q->msgs = calloc(q->n ? q->n : 1, sizeof *q->msgs);
    json_t *ids = json_object(); /* id -> its position, to find a repeated one */
    lc_status st =
        q->msgs && ids ? LC_OK : lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 0; st == LC_OK && i < q->n; i++) {
        st = read_message(json_array_get(messages, i), i, q->m->fifo, &q->msgs[i], err);
        const json_t *earlier = st == LC_OK ? json_object_get(ids, q->msgs[i].id) : NULL;
        if (earlier)
            st = lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                              "messages[%zu].id: \"%s\" is also messages[%lld]'s", i, q->msgs[i].id,
                              (long long)json_integer_value(earlier));
        else if (st == LC_OK)
            json_object_set_new(ids, q->msgs[i].id, json_integer((json_int_t)i));
    }
    json_decref(ids);
    return st;
}

/* --- the records Lambda builds ---------------------------------------------------------------- */

static json_t *ms_string(int64_t ms)
{
    char s[32];
    snprintf(s, sizeof s, "%lld", (long long)(CLOCK_ORIGIN_MS + ms));
    return json_string(s);
}

/* The record of with-sqs.html's example event, for msg's receive now. */
static json_t *record(const queue *q, const message *msg)
{
    char count[16], handle[96], seq[32];
    snprintf(count, sizeof count, "%d", msg->receives);
    snprintf(handle, sizeof handle, "lambdacheck-%s-%d", msg->id, msg->receives);
    json_t *attrs = json_pack("{s:s, s:o, s:s, s:o}", "ApproximateReceiveCount", count,
                              "SentTimestamp", ms_string(0), "SenderId", "AIDAIENQZJOLO23YVJ4VO",
                              "ApproximateFirstReceiveTimestamp", ms_string(msg->first_receive_ms));
    if (q->m->fifo) {
        snprintf(seq, sizeof seq, "%020ld", msg->sequence);
        json_object_set_new(attrs, "SequenceNumber", json_string(seq));
        json_object_set_new(attrs, "MessageGroupId", json_string(msg->group));
        json_object_set_new(attrs, "MessageDeduplicationId", json_string(msg->id));
    }
    const char *arn = q->m->queue_arn ? q->m->queue_arn
                      : q->m->fifo    ? "arn:aws:sqs:us-east-1:123456789012:queue.fifo"
                                      : "arn:aws:sqs:us-east-1:123456789012:queue";
    const char *region = "us-east-1";
    char region_buf[32];
    if (strncmp(arn, "arn:aws:sqs:", 12) == 0) {
        size_t n = strcspn(arn + 12, ":");
        if (n > 0 && n < sizeof region_buf) {
            snprintf(region_buf, sizeof region_buf, "%.*s", (int)n, arn + 12);
            region = region_buf;
        }
    }
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:s}", "messageId", msg->id,
                     "receiptHandle", handle, "body", msg->body, "attributes", attrs,
                     "messageAttributes",
                     msg->attributes ? json_incref((json_t *)msg->attributes) : json_object(),
                     "md5OfBody", lc_event_md5_of_body(msg->body), "eventSource", "aws:sqs",
                     "eventSourceARN", arn, "awsRegion", region);
}

/* --- one batch -------------------------------------------------------------------------------- */

static json_t *out_list(const queue *q, const char *name)
{
    return json_object_get(q->outcome, name);
}

/* Receives msg now, or moves it to the dead-letter queue when it has been received as often as
 * the redrive policy allows. Returns whether it was received. */
static bool receive(queue *q, message *msg)
{
    if (q->m->max_receive_count > 0 && msg->receives >= q->m->max_receive_count) {
        msg->st = DEAD;
        json_array_append_new(out_list(q, "deadLetter"), json_pack("{s:s, s:i}", "id", msg->id,
                                                                   "receiveCount", msg->receives));
        return false;
    }
    if (msg->receives == 0)
        msg->first_receive_ms = q->now_ms;
    msg->receives++;
    msg->st = IN_FLIGHT;
    msg->visible_at_ms = q->now_ms + q->m->visibility_timeout_s * 1000;
    return true;
}

static bool passes_filters(const queue *q, const json_t *rec)
{
    return lc_event_filter_any(q->m->filters, q->m->n_filters, rec);
}

/* Receives message i now into the batch, unless it moves to the dead-letter queue or no filter
 * lets it through (then it is deleted). */
static void take(queue *q, size_t i, size_t *batch, size_t *n, json_t *records)
{
    message *msg = &q->msgs[i];
    if (!receive(q, msg))
        return;
    json_t *rec = record(q, msg);
    if (!passes_filters(q, rec)) {
        msg->st = FILTERED;
        json_array_append_new(out_list(q, "filteredOut"), json_string(msg->id));
        json_decref(rec);
        return;
    }
    json_array_append_new(records, rec);
    batch[(*n)++] = i;
}

/* The next batch (indexes into q->msgs, at most batch_size), received now. A FIFO queue gives
 * visible messages in queue order, each group in order, and none of a group whose earlier
 * message waits out its visibility timeout ("as many messages with the same message group ID as
 * possible", FIFO-queues-understanding-logic.html); a standard queue (which promises no order)
 * the messages that came back and are visible, then new ones. Filtered-out messages are deleted
 * on the way. */
static size_t next_batch(queue *q, size_t *batch, json_t *records)
{
    size_t n = 0, most = (size_t)q->m->batch_size;
    if (q->m->fifo) {
        while (q->cursor < q->n && q->msgs[q->cursor].st != QUEUED)
            q->cursor++; /* the settled ones ahead of the first waiting message */
        /* a group whose earliest waiting message is not visible yet gives nothing more; the
           visible ones come in order, as many of a group as the batch takes */
        json_t *held = json_object();
        for (size_t i = q->cursor; i < q->n && n < most; i++) {
            message *msg = &q->msgs[i];
            if (msg->st != QUEUED || json_object_get(held, msg->group))
                continue;
            if (msg->visible_at_ms <= q->now_ms)
                take(q, i, batch, &n, records);
            else
                json_object_set_new(held, msg->group, json_true());
        }
        json_decref(held);
        return n;
    }
    while (n < most && q->head < q->len && q->msgs[q->returned[q->head]].visible_at_ms <= q->now_ms)
        take(q, q->returned[q->head++], batch, &n, records);
    while (n < most && q->cursor < q->n)
        take(q, q->cursor++, batch, &n, records);
    return n;
}

/* Message i is back in the queue. */
static bool came_back(queue *q, size_t i)
{
    if (q->m->fifo)
        return true;
    if (q->len == q->cap) {
        if (q->head > 0) { /* reuse what was taken */
            memmove(q->returned, q->returned + q->head, (q->len - q->head) * sizeof *q->returned);
            q->len -= q->head;
            q->head = 0;
        }
        if (q->len == q->cap) {
            size_t cap = q->cap ? q->cap * 2 : 64;
            size_t *grown = realloc(q->returned, cap * sizeof *grown);
            if (grown == NULL)
                return false;
            q->returned = grown;
            q->cap = cap;
        }
    }
    q->returned[q->len++] = i;
    return true;
}

/* Moves the clock to the next time a message waiting out its visibility timeout becomes
 * visible; false when none is waiting (the queue is drained). */
static bool wait_for_visible(queue *q)
{
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < q->n; i++)
        if (q->msgs[i].st == QUEUED && q->msgs[i].visible_at_ms > q->now_ms &&
            q->msgs[i].visible_at_ms < next)
            next = q->msgs[i].visible_at_ms;
    if (next == INT64_MAX)
        return false;
    q->skipped_ms += next - q->now_ms;
    q->now_ms = next;
    return true;
}

static bool in_batch(const queue *q, const size_t *batch, size_t n, const char *id, size_t *at)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(q->msgs[batch[k]].id, id) == 0) {
            *at = k;
            return true;
        }
    return false;
}

/* Which of the batch's messages the answer leaves in the queue (failed[k]); the whole batch on
 * a failure, with why. Rules: services-sqs-errorhandling.html, "Implementing partial batch
 * responses" (a complete success: an empty or null batchItemFailures, an empty or null response;
 * a complete failure: invalid JSON, an empty or null itemIdentifier, a bad key name, an id not in
 * the batch). A JSON answer of another shape is not documented: it is taken as a complete failure,
 * and why says so. */
static const char *judge(const queue *q, const size_t *batch, size_t n, const lc_sqs_answer *a,
                         bool *failed)
{
    for (size_t k = 0; k < n; k++)
        failed[k] = false;
    if (a->failed) {
        for (size_t k = 0; k < n; k++)
            failed[k] = true;
        return a->error_type && a->error_type[0] ? a->error_type : "the invocation failed";
    }
    if (!q->m->report_batch_item_failures || a->payload == NULL || a->payload_len == 0)
        return NULL;
    json_error_t jerr;
    json_t *r = json_loadb(a->payload, a->payload_len, JSON_DECODE_ANY, &jerr);
    const char *why = NULL;
    json_t *items = json_object_get(r, "batchItemFailures");
    if (r == NULL)
        why = "the response is not JSON";
    else if (json_is_null(r) || (json_is_object(r) && (items == NULL || json_is_null(items))))
        why = NULL;
    else if (!json_is_object(r) || !json_is_array(items))
        why = "the response is not {\"batchItemFailures\": [...]} (undocumented: taken as a "
              "complete failure)";
    size_t i;
    json_t *item;
    json_array_foreach(why ? NULL : items, i, item)
    {
        const char *id = json_string_value(json_object_get(item, "itemIdentifier"));
        size_t at;
        if (id == NULL || id[0] == '\0') {
            why = "an itemIdentifier is missing, null or empty";
            break;
        }
        if (!in_batch(q, batch, n, id, &at)) {
            why = "an itemIdentifier is not a messageId of this batch";
            break;
        }
        failed[at] = true;
    }
    json_decref(r);
    if (why)
        for (size_t k = 0; k < n; k++)
            failed[k] = true;
    return why;
}

/* Deletes the batch's processed messages and returns the others to the queue: each is visible
 * again when its visibility timeout ends. */
static bool settle(queue *q, const size_t *batch, size_t n, const bool *failed, json_t *inv)
{
    bool ok = true;
    json_t *failed_ids = json_array();
    size_t n_failed = 0;
    for (size_t k = 0; k < n; k++) {
        message *msg = &q->msgs[batch[k]];
        if (failed[k]) {
            msg->st = QUEUED;
            ok = came_back(q, batch[k]) && ok;
            json_array_append_new(failed_ids, json_string(msg->id));
            n_failed++;
        } else {
            msg->st = DELETED;
            json_array_append_new(out_list(q, "deleted"), json_string(msg->id));
        }
    }
    json_object_set_new(inv, "result",
                        json_string(n_failed == 0   ? "ok"
                                    : n_failed == n ? "failed"
                                                    : "partial"));
    json_object_set_new(inv, "failed", failed_ids);
    return ok;
}

static lc_status one_batch(queue *q, const size_t *batch, size_t n, json_t *records,
                           lc_sqs_invoke invoke, void *data, lc_error *err)
{
    json_t *event = json_pack("{s:O}", "Records", records);
    lc_sqs_answer a = {0};
    lc_status st = invoke(data, event, &a, err);
    json_decref(event);
    if (st != LC_OK)
        return st;
    bool *failed = calloc(n, sizeof *failed);
    if (failed == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    const char *why = judge(q, batch, n, &a, failed);
    json_t *ids = json_array();
    for (size_t k = 0; k < n; k++)
        json_array_append_new(ids, json_string(q->msgs[batch[k]].id));
    json_t *inv = json_pack("{s:o, s:f}", "records", ids, "at", (double)q->now_ms / 1000.0);
    if (why)
        json_object_set_new(inv, "why", json_string(why));
    bool ok = settle(q, batch, n, failed, inv);
    json_array_append_new(out_list(q, "invocations"), inv);
    free(failed);
    return ok ? LC_OK : lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
}

/* --- the run ---------------------------------------------------------------------------------- */

static void finish(queue *q)
{
    json_t *receives = json_object(), *again = json_array(), *remaining = json_array();
    for (size_t i = 0; i < q->n; i++) {
        const message *msg = &q->msgs[i];
        json_object_set_new(receives, msg->id, json_integer(msg->receives));
        if (msg->receives > 1)
            json_array_append_new(again, json_string(msg->id));
        if (msg->st == QUEUED || msg->st == IN_FLIGHT)
            json_array_append_new(remaining, json_string(msg->id));
    }
    json_object_set_new(q->outcome, "receives", receives);
    json_object_set_new(q->outcome, "redelivered", again);
    json_object_set_new(q->outcome, "remaining", remaining);
    json_object_set_new(q->outcome, "skippedSeconds", json_real((double)q->skipped_ms / 1000.0));
}

lc_status lc_sqs_mapping_run(const lc_sqs_mapping *m, const json_t *messages, lc_sqs_invoke invoke,
                             void *data, json_t **outcome, lc_error *err)
{
    *outcome = NULL;
    queue q = {.m = m};
    lc_status st = load(&q, messages, err);
    size_t *batch = calloc((size_t)(m->batch_size > 0 ? m->batch_size : 1), sizeof *batch);
    if (st == LC_OK && batch == NULL)
        st = lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    q.outcome = json_pack("{s:[], s:[], s:[], s:[]}", "invocations", "deleted", "filteredOut",
                          "deadLetter");
    for (long made = 0; st == LC_OK && made < m->max_invocations;) {
        json_t *records = json_array();
        size_t n = next_batch(&q, batch, records);
        if (n > 0) {
            st = one_batch(&q, batch, n, records, invoke, data, err);
            made++;
        }
        json_decref(records);
        if (n == 0 && !wait_for_visible(&q))
            break; /* drained: nothing queued */
    }
    if (st == LC_OK) {
        finish(&q);
        *outcome = q.outcome;
    } else {
        json_decref(q.outcome);
    }
    free(batch);
    free(q.msgs);
    free(q.returned);
    return st;
}
