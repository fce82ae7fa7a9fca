/* A case that drains a queue into its function (sqs_case.h). */
#include "sqs_case.h"

#include <stdio.h>
#include <string.h>

#include "lambdacheck/buf.h"

/* --- the mapping ---------------------------------------------------------------------------------
 */

static const char *const sqs_keys[] = {"messages",
                                       "fifo",
                                       "batchSize",
                                       "maximumBatchingWindowInSeconds",
                                       "visibilityTimeout",
                                       "maxReceiveCount",
                                       "maxInvocations",
                                       "queueArn",
                                       NULL};

static bool known(const char *key, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(key, *set) == 0)
            return true;
    return false;
}

/* An integer field of sqs into *out (left alone when absent). */
static lc_status integer(const json_t *sqs, const char *name, long *out, const char *source,
                         lc_error *err)
{
    const json_t *v = json_object_get(sqs, name);
    if (v == NULL)
        return LC_OK;
    if (!json_is_integer(v))
        return lc_error_set(err, LC_EINVAL, source, 0, 0, "sqs.%s: must be an integer", name);
    *out = (long)json_integer_value(v);
    return LC_OK;
}

static lc_status shape(const json_t *sqs, const char *source, lc_error *err)
{
    if (!json_is_object(sqs))
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "sqs: must be an object with the queue's messages");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)sqs, key, v)
    {
        if (!known(key, sqs_keys))
            return lc_error_set(err, LC_EINVAL, source, 0, 0,
                                "sqs.%s: unknown field (known: messages, fifo, batchSize, "
                                "maximumBatchingWindowInSeconds, visibilityTimeout, "
                                "maxReceiveCount, maxInvocations, queueArn)",
                                key);
    }
    const json_t *fifo = json_object_get(sqs, "fifo"), *arn = json_object_get(sqs, "queueArn");
    if (fifo && !json_is_boolean(fifo))
        return lc_error_set(err, LC_EINVAL, source, 0, 0, "sqs.fifo: must be true or false");
    if (arn && (!json_is_string(arn) || strncmp(json_string_value(arn), "arn:", 4) != 0))
        return lc_error_set(err, LC_EINVAL, source, 0, 0, "sqs.queueArn: must be an ARN string");
    if (!json_is_array(json_object_get(sqs, "messages")))
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "sqs.messages: required, a list of {\"body\": ...} messages");
    return LC_OK;
}

/* The mapping settings the run uses: the case's eventSource, else the function's sqs mapping. */
static lc_status settings(const json_t *case_mapping, const json_t *function_sources,
                          const char *source, lc__sqs_case *out, lc_error *err)
{
    const json_t *mapping = case_mapping ? case_mapping : json_object_get(function_sources, "sqs");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(mapping, "functionResponseTypes"), i, v)
    {
        out->m.report_batch_item_failures =
            out->m.report_batch_item_failures ||
            strcmp(json_string_value(v), "ReportBatchItemFailures") == 0;
    }
    json_array_foreach(json_object_get(mapping, "filters"), i, v)
    {
        if (out->m.n_filters >= LC_FILTER_MAX)
            break;
        char where[64];
        snprintf(where, sizeof where, "%s: filters[%zu]", source, i);
        lc_status st = lc_event_filter_parse(json_string_value(v), where,
                                             &out->filters[out->m.n_filters], err);
        if (st != LC_OK)
            return st;
        out->view[out->m.n_filters] = out->filters[out->m.n_filters];
        out->m.n_filters++;
    }
    out->m.filters = out->view;
    return LC_OK;
}

lc_status lc__sqs_case_read(const json_t *sqs, const json_t *case_mapping,
                            const json_t *function_sources, const char *source, lc__sqs_case *out,
                            lc_error *err)
{
    memset(out, 0, sizeof *out);
    lc_status st = shape(sqs, source, err);
    long batch = 0, window = 0, visibility = 0, receives = 0, bound = 0;
    /* the mapping's BatchSize and batching window, unless the case gives its own */
    const json_t *mapping = case_mapping ? case_mapping
                                         : json_object_get(function_sources, "sqs");
    if (json_is_integer(json_object_get(mapping, "batchSize")))
        batch = (long)json_integer_value(json_object_get(mapping, "batchSize"));
    if (json_is_integer(json_object_get(mapping, "maximumBatchingWindowInSeconds")))
        window = (long)json_integer_value(json_object_get(mapping, "maximumBatchingWindowInSeconds"));
    const json_t *queue = json_object_get(mapping, "queue");
    bool given_visibility = json_is_integer(json_object_get(queue, "visibilityTimeout"));
    if (given_visibility)
        visibility = (long)json_integer_value(json_object_get(queue, "visibilityTimeout"));
    if (json_is_integer(json_object_get(queue, "maxReceiveCount")))
        receives = (long)json_integer_value(json_object_get(queue, "maxReceiveCount"));
    if (st == LC_OK)
        st = integer(sqs, "batchSize", &batch, source, err);
    if (st == LC_OK)
        st = integer(sqs, "maximumBatchingWindowInSeconds", &window, source, err);
    if (st == LC_OK)
        st = integer(sqs, "visibilityTimeout", &visibility, source, err);
    if (st == LC_OK)
        st = integer(sqs, "maxReceiveCount", &receives, source, err);
    if (st == LC_OK)
        st = integer(sqs, "maxInvocations", &bound, source, err);
    if (st != LC_OK)
        return st;
    if (json_object_get(sqs, "batchSize") && batch == 0)
        batch = -1; /* an explicit 0 is out of bounds, not the default */
    if (json_object_get(sqs, "maxInvocations") && bound <= 0)
        return lc_error_set(err, LC_EINVAL, source, 0, 0, "sqs.maxInvocations: must be positive");
    if (json_object_get(sqs, "maxReceiveCount") && receives <= 0)
        receives = -1;
    const json_t *fifo = json_object_get(sqs, "fifo");
    out->m.fifo = json_is_true(fifo ? fifo : json_object_get(queue, "fifo"));
    out->m.batch_size = batch > 100000 ? 100001 : (int)batch;
    out->m.batching_window_s = window;
    out->m.max_receive_count = receives > 100000 ? 100001 : (int)receives;
    out->m.max_invocations = bound;
    out->m.queue_arn = json_string_value(json_object_get(sqs, "queueArn"));
    lc_sqs_mapping_defaults(&out->m);
    if (json_object_get(sqs, "visibilityTimeout") || given_visibility) /* 0 is a queue's to have */
        out->m.visibility_timeout_s = visibility;
    char where[1100];
    snprintf(where, sizeof where, "%s: sqs", source);
    st = lc_sqs_mapping_check(&out->m, where, err);
    if (st == LC_OK)
        st = settings(case_mapping, function_sources, source, out, err);
    if (st != LC_OK)
        lc__sqs_case_clear(out);
    return st;
}

void lc__sqs_case_clear(lc__sqs_case *c)
{
    for (size_t i = 0; i < c->m.n_filters; i++)
        lc_event_filter_free(c->filters[i]);
    c->m.n_filters = 0;
}

/* --- expectations -------------------------------------------------------------------------------
 */

static const char *const id_lists[] = {"deleted",     "deadLetter",  "remaining",
                                       "filteredOut", "redelivered", NULL};

static lc_status id_list(const json_t *v, const char *name, const char *source, lc_error *err)
{
    if (!json_is_array(v))
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "expect.mapping.%s: must be a list of message ids", name);
    size_t i;
    json_t *id;
    json_array_foreach(v, i, id)
    {
        bool ok = json_is_string(id);
        if (strcmp(name, "deadLetter") == 0 && json_is_object(id))
            ok = json_is_string(json_object_get(id, "id")) &&
                 (json_object_get(id, "receiveCount") == NULL ||
                  json_is_integer(json_object_get(id, "receiveCount")));
        if (!ok)
            return lc_error_set(
                err, LC_EINVAL, source, 0, 0, "expect.mapping.%s[%zu]: must be a message id%s",
                name, i,
                strcmp(name, "deadLetter") == 0 ? " or {\"id\": ..., \"receiveCount\": n}" : "");
    }
    return LC_OK;
}

lc_status lc__sqs_case_check_expect(const json_t *expect, const char *source, lc_error *err)
{
    if (expect == NULL)
        return LC_OK;
    if (!json_is_object(expect))
        return lc_error_set(err, LC_EINVAL, source, 0, 0, "expect: must be an object");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)expect, key, v)
    {
        if (strcmp(key, "mapping") != 0)
            return lc_error_set(err, LC_EINVAL, source, 0, 0,
                                "expect.%s: a case that drains a queue (sqs) is judged by what "
                                "its mapping did: expect.mapping",
                                key);
    }
    const json_t *m = json_object_get(expect, "mapping");
    if (m && !json_is_object(m))
        return lc_error_set(err, LC_EINVAL, source, 0, 0, "expect.mapping: must be an object");
    json_object_foreach((json_t *)m, key, v)
    {
        lc_status st = LC_OK;
        if (known(key, id_lists))
            st = id_list(v, key, source, err);
        else if (strcmp(key, "invocations") == 0 && !json_is_integer(v))
            st = lc_error_set(err, LC_EINVAL, source, 0, 0,
                              "expect.mapping.invocations: must be an integer");
        else if (strcmp(key, "invocations") != 0)
            st = lc_error_set(err, LC_EINVAL, source, 0, 0,
                              "expect.mapping.%s: unknown field (known: deleted, deadLetter, "
                              "remaining, filteredOut, redelivered, invocations)",
                              key);
        if (st != LC_OK)
            return st;
    }
    return LC_OK;
}

static const char *id_of(const json_t *v)
{
    return json_is_object(v) ? json_string_value(json_object_get(v, "id")) : json_string_value(v);
}

static const json_t *find_id(const json_t *list, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (strcmp(id_of(v), id) == 0)
            return v;
    }
    return NULL;
}

/* The ids of a that b lacks, ", "-separated, into out; their number. */
static size_t missing(const json_t *a, const json_t *b, lc_buf *out)
{
    size_t n = 0, i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (find_id(b, id_of(v)) == NULL)
            lc_buf_printf(out, "%s%s", n++ ? ", " : "", id_of(v));
    }
    return n;
}

/* The same ids in any order; for deadLetter, the receive counts a want entry gives. */
static void judge_list(const char *name, const json_t *want, const json_t *got, lc_verdicts *out)
{
    char check[64];
    snprintf(check, sizeof check, "mapping.%s", name);
    lc_buf lost, extra;
    lc_buf_init(&lost, 200);
    lc_buf_init(&extra, 200);
    size_t n_lost = missing(want, got, &lost), n_extra = missing(got, want, &extra);
    char counts[600] = "";
    size_t i, at = 0;
    json_t *v;
    json_array_foreach(want, i, v)
    {
        const json_t *rc = json_object_get(v, "receiveCount");
        const json_t *seen = find_id(got, id_of(v));
        long have = (long)json_integer_value(json_object_get(seen, "receiveCount"));
        if (rc && seen && have != (long)json_integer_value(rc) && at < sizeof counts)
            at += (size_t)snprintf(counts + at, sizeof counts - at,
                                   "%s%s was received %ld times, not %lld", at ? "; " : "",
                                   id_of(v), have, (long long)json_integer_value(rc));
    }
    if (n_lost == 0 && n_extra == 0 && counts[0] == '\0')
        lc_verdicts_add(out, check, true, "%s: the %zu expected message%s", name,
                        json_array_size(want), json_array_size(want) == 1 ? "" : "s");
    else
        lc_verdicts_add(out, check, false, "%s: %s%s%s%s%s%s%s", name,
                        n_lost ? "expected but not there: " : "", n_lost ? lost.data : "",
                        n_lost && n_extra ? "; " : "", n_extra ? "there but not expected: " : "",
                        n_extra ? extra.data : "", counts[0] && (n_lost || n_extra) ? "; " : "",
                        counts);
    lc_buf_free(&lost);
    lc_buf_free(&extra);
}

void lc__sqs_case_judge(const json_t *expect_mapping, const json_t *outcome, lc_verdicts *out)
{
    const json_t *invocations = json_object_get(outcome, "invocations");
    size_t n_inv = json_array_size(invocations);
    lc_verdicts_note(out, "mapping",
                     "%zu invocation%s: %zu deleted, %zu filtered out, %zu in the "
                     "dead-letter queue, %zu left in the queue, %zu received more than once; "
                     "%.0f s of queue time skipped",
                     n_inv, n_inv == 1 ? "" : "s",
                     json_array_size(json_object_get(outcome, "deleted")),
                     json_array_size(json_object_get(outcome, "filteredOut")),
                     json_array_size(json_object_get(outcome, "deadLetter")),
                     json_array_size(json_object_get(outcome, "remaining")),
                     json_array_size(json_object_get(outcome, "redelivered")),
                     json_real_value(json_object_get(outcome, "skippedSeconds")));
    for (const char *const *k = id_lists; *k; k++) {
        const json_t *want = json_object_get(expect_mapping, *k);
        if (want)
            judge_list(*k, want, json_object_get(outcome, *k), out);
    }
    const json_t *n = json_object_get(expect_mapping, "invocations");
    if (n)
        lc_verdicts_add(out, "mapping.invocations",
                        (size_t)json_integer_value(n) == json_array_size(invocations),
                        "invocations: %zu, expected %lld", json_array_size(invocations),
                        (long long)json_integer_value(n));
}
