/* A case that runs an event source mapping into its function (mapping_case.h). */
#include "mapping_case.h"

#include <stdio.h>
#include <string.h>

#include "lambdacheck/buf.h"

static bool known(const char *key, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(key, *set) == 0)
            return true;
    return false;
}

static const char *const sources[] = {"sqs", "kinesis", "dynamodb", NULL};

lc_status lc__mapping_case_source(const json_t *spec, const char *path, const char **source,
                                  lc_error *err)
{
    *source = NULL;
    for (const char *const *s = sources; *s; s++) {
        if (json_object_get(spec, *s) == NULL)
            continue;
        if (*source)
            return lc_error_set(err, LC_EINVAL, path, 0, 0,
                                "%s and %s: a case runs one mapping; give one or the other",
                                *source, *s);
        *source = *s;
    }
    return LC_OK;
}

/* --- reading the settings --------------------------------------------------------------------- */

/* A setting as an int the bounds checks can refuse: values beyond any bound stay beyond it. */
static int clamped(long v)
{
    return v > 100000 ? 100001 : v < -100000 ? -100001 : (int)v;
}

/* What the settings are read from: the case's object for the source, then the case's
 * "eventSource", then the function's mapping for the source. */
typedef struct {
    const char *source, *path;
    const json_t *own, *mapping;
} layers;

/* An integer setting: the case's own (name), else the mapping's (the same name), else *out as it
 * is. An explicit value that is not an integer is an error. */
static lc_status integer(const layers *l, const char *name, long *out, lc_error *err)
{
    const json_t *v = json_object_get(l->own, name);
    if (v && !json_is_integer(v))
        return lc_error_set(err, LC_EINVAL, l->path, 0, 0, "%s.%s: must be an integer", l->source,
                            name);
    if (v == NULL)
        v = json_object_get(l->mapping, name);
    if (json_is_integer(v))
        *out = (long)json_integer_value(v);
    return LC_OK;
}

static lc_status boolean(const layers *l, const char *name, bool *out, lc_error *err)
{
    const json_t *v = json_object_get(l->own, name);
    if (v && !json_is_boolean(v))
        return lc_error_set(err, LC_EINVAL, l->path, 0, 0, "%s.%s: must be true or false",
                            l->source, name);
    if (v == NULL)
        v = json_object_get(l->mapping, name);
    if (json_is_boolean(v))
        *out = json_is_true(v);
    return LC_OK;
}

static lc_status shape(const layers *l, const char *const *keys, const char *items, lc_error *err)
{
    if (!json_is_object(l->own))
        return lc_error_set(err, LC_EINVAL, l->path, 0, 0, "%s: must be an object with its %s",
                            l->source, items);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)l->own, key, v)
    {
        if (!known(key, keys)) {
            char list[600] = "";
            size_t at = 0;
            for (const char *const *k = keys; *k && at < sizeof list; k++)
                at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", at ? ", " : "", *k);
            return lc_error_set(err, LC_EINVAL, l->path, 0, 0, "%s.%s: unknown field (known: %s)",
                                l->source, key, list);
        }
    }
    if (!json_is_array(json_object_get(l->own, items)))
        return lc_error_set(err, LC_EINVAL, l->path, 0, 0, "%s.%s: required, a list", l->source,
                            items);
    const json_t *arn =
        json_object_get(l->own, strcmp(l->source, "sqs") == 0 ? "queueArn" : "streamArn");
    if (arn && (!json_is_string(arn) || strncmp(json_string_value(arn), "arn:", 4) != 0))
        return lc_error_set(err, LC_EINVAL, l->path, 0, 0, "%s: its ARN must be an ARN string",
                            l->source);
    return LC_OK;
}

/* The mapping's response types and filters. */
static lc_status responses_and_filters(const layers *l, lc__mapping_case *out, bool *report,
                                       lc_error *err)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(l->mapping, "functionResponseTypes"), i, v)
    {
        *report = *report || strcmp(json_string_value(v), "ReportBatchItemFailures") == 0;
    }
    json_array_foreach(json_object_get(l->mapping, "filters"), i, v)
    {
        if (out->n_filters >= LC_FILTER_MAX)
            break;
        char where[1100];
        snprintf(where, sizeof where, "%s: filters[%zu]", l->path, i);
        lc_status st =
            lc_event_filter_parse(json_string_value(v), where, &out->filters[out->n_filters], err);
        if (st != LC_OK)
            return st;
        out->view[out->n_filters] = out->filters[out->n_filters];
        out->n_filters++;
    }
    return LC_OK;
}

/* In the settings 0 means "the default"; a 0 the case gives itself is a value, and out of
 * bounds for these. */
static bool explicit_zero(const layers *l, const char *name)
{
    const json_t *v = json_object_get(l->own, name);
    return json_is_integer(v) && json_integer_value(v) == 0;
}

static lc_status zero_refused(const layers *l, const char *name, lc_error *err)
{
    return lc_error_set(err, LC_EINVAL, l->path, 0, 0,
                        "%s.%s: 0 is out of bounds: give a value in Lambda's range, or leave it "
                        "out for the default",
                        l->source, name);
}

static const char *const sqs_keys[] = {"messages",           "fifo",
                                       "batchSize",          "maximumBatchingWindowInSeconds",
                                       "maximumConcurrency", "visibilityTimeout",
                                       "maxReceiveCount",    "maxInvocations",
                                       "queueArn",           NULL};

static lc_status read_sqs(const layers *l, lc__mapping_case *out, lc_error *err)
{
    lc_status st = shape(l, sqs_keys, "messages", err);
    lc_sqs_mapping *m = &out->sqs;
    /* the queue's attributes, as the template declares it, under the case's own */
    const json_t *queue = json_object_get(l->mapping, "queue");
    layers q = {.source = l->source, .path = l->path, .own = l->own, .mapping = queue};
    long batch = 0, window = 0, visibility = 30, receives = 0, bound = 0, concurrency = 0;
    bool fifo = false;
    if (st == LC_OK)
        st = integer(l, "batchSize", &batch, err);
    if (st == LC_OK)
        st = integer(l, "maximumBatchingWindowInSeconds", &window, err);
    if (st == LC_OK)
        st = integer(l, "maximumConcurrency", &concurrency, err);
    if (st == LC_OK)
        st = integer(&q, "visibilityTimeout", &visibility, err);
    if (st == LC_OK)
        st = integer(&q, "maxReceiveCount", &receives, err);
    if (st == LC_OK)
        st = integer(l, "maxInvocations", &bound, err);
    if (st == LC_OK)
        st = boolean(&q, "fifo", &fifo, err);
    if (st != LC_OK)
        return st;
    const char *zeroable[] = {"batchSize", "maxReceiveCount", "maximumConcurrency"};
    for (size_t i = 0; i < 3; i++)
        if (explicit_zero(l, zeroable[i]))
            return zero_refused(l, zeroable[i], err);
    if (json_object_get(l->own, "maxInvocations") && bound <= 0)
        return lc_error_set(err, LC_EINVAL, l->path, 0, 0, "sqs.maxInvocations: must be positive");
    m->fifo = fifo;
    m->batch_size = clamped(batch);
    m->batching_window_s = window;
    m->max_receive_count = clamped(receives);
    m->max_invocations = bound;
    m->max_concurrency = clamped(concurrency);
    m->queue_arn = json_string_value(json_object_get(l->own, "queueArn"));
    lc_sqs_mapping_defaults(m);
    m->visibility_timeout_s = visibility; /* 0 is a queue's to have */
    char where[1100];
    snprintf(where, sizeof where, "%s: sqs", l->path);
    st = lc_sqs_mapping_check(m, where, err);
    if (st == LC_OK)
        st = responses_and_filters(l, out, &m->report_batch_item_failures, err);
    m->filters = out->view;
    m->n_filters = out->n_filters;
    return st;
}

static const char *const stream_keys[] = {"records",
                                          "shards",
                                          "batchSize",
                                          "maximumBatchingWindowInSeconds",
                                          "bisectBatchOnFunctionError",
                                          "maximumRetryAttempts",
                                          "maximumRecordAgeInSeconds",
                                          "parallelizationFactor",
                                          "tumblingWindowInSeconds",
                                          "maxInvocations",
                                          "streamArn",
                                          NULL};

static lc_status read_stream(const layers *l, lc__mapping_case *out, lc_error *err)
{
    lc_status st = shape(l, stream_keys, "records", err);
    lc_stream_mapping *m = &out->stream;
    long shards = 0, batch = 0, window = 0, retries = -1, age = -1, factor = 0, tumbling = 0,
         bound = 0;
    const char *ints[] = {"shards",
                          "batchSize",
                          "maximumBatchingWindowInSeconds",
                          "maximumRetryAttempts",
                          "maximumRecordAgeInSeconds",
                          "parallelizationFactor",
                          "tumblingWindowInSeconds",
                          "maxInvocations"};
    long *into[] = {&shards, &batch, &window, &retries, &age, &factor, &tumbling, &bound};
    for (size_t i = 0; st == LC_OK && i < sizeof ints / sizeof *ints; i++) {
        st = integer(l, ints[i], into[i], err);
        if (st == LC_OK && *into[i] == 0 && strcmp(ints[i], "maximumRetryAttempts") != 0 &&
            strcmp(ints[i], "maximumBatchingWindowInSeconds") != 0 &&
            strcmp(ints[i], "tumblingWindowInSeconds") != 0 && explicit_zero(l, ints[i]))
            return zero_refused(l, ints[i], err);
    }
    bool bisect = false;
    if (st == LC_OK)
        st = boolean(l, "bisectBatchOnFunctionError", &bisect, err);
    if (st != LC_OK)
        return st;
    if (json_object_get(l->own, "maxInvocations") && bound <= 0)
        return lc_error_set(err, LC_EINVAL, l->path, 0, 0, "%s.maxInvocations: must be positive",
                            l->source);
    m->kind = strcmp(l->source, "kinesis") == 0 ? LC_STREAM_KINESIS : LC_STREAM_DYNAMODB;
    m->shards = clamped(shards);
    m->batch_size = clamped(batch);
    m->batching_window_s = window;
    m->bisect = bisect;
    m->max_retries = retries;
    m->max_record_age_s = age;
    m->parallelization = clamped(factor);
    m->tumbling_window_s = tumbling;
    m->max_invocations = bound;
    m->stream_arn = json_string_value(json_object_get(l->own, "streamArn"));
    lc_stream_mapping_defaults(m);
    char where[1100];
    snprintf(where, sizeof where, "%s: %s", l->path, l->source);
    st = lc_stream_mapping_check(m, where, err);
    if (st == LC_OK)
        st = responses_and_filters(l, out, &m->report_batch_item_failures, err);
    m->filters = out->view;
    m->n_filters = out->n_filters;
    return st;
}

lc_status lc__mapping_case_read(const json_t *spec, const char *source, const json_t *case_mapping,
                                const json_t *function_sources, const char *path,
                                lc__mapping_case *out, lc_error *err)
{
    memset(out, 0, sizeof *out);
    out->source = source;
    /* the case's eventSource laid over the function's mapping for this source */
    json_t *merged = json_deep_copy(json_object_get(function_sources, source));
    if (!json_is_object(merged)) {
        json_decref(merged);
        merged = json_object();
    }
    if (json_is_object(case_mapping))
        json_object_update(merged, (json_t *)case_mapping);
    layers l = {
        .source = source, .path = path, .own = json_object_get(spec, source), .mapping = merged};
    out->items = json_object_get(l.own, strcmp(source, "sqs") == 0 ? "messages" : "records");
    lc_status st = strcmp(source, "sqs") == 0 ? read_sqs(&l, out, err) : read_stream(&l, out, err);
    json_decref(merged); /* what was read of it is copied */
    if (st != LC_OK)
        lc__mapping_case_clear(out);
    return st;
}

void lc__mapping_case_clear(lc__mapping_case *c)
{
    for (size_t i = 0; i < c->n_filters; i++)
        lc_event_filter_free(c->filters[i]);
    c->n_filters = 0;
}

json_t *lc__mapping_case_settings(const lc__mapping_case *c)
{
    if (strcmp(c->source, "sqs") == 0) {
        const lc_sqs_mapping *m = &c->sqs;
        json_t *s = json_pack("{s:b, s:i, s:I, s:b, s:I, s:i, s:I, s:s?, s:i}", "fifo", m->fifo,
                              "batchSize", m->batch_size, "maximumBatchingWindowInSeconds",
                              (json_int_t)m->batching_window_s, "reportBatchItemFailures",
                              m->report_batch_item_failures, "visibilityTimeout",
                              (json_int_t)m->visibility_timeout_s, "maxReceiveCount",
                              m->max_receive_count, "maxInvocations",
                              (json_int_t)m->max_invocations, "queueArn", m->queue_arn, "filters",
                              (int)c->n_filters);
        if (m->max_concurrency > 0)
            json_object_set_new(s, "maximumConcurrency", json_integer(m->max_concurrency));
        if (m->queue_arn == NULL)
            json_object_del(s, "queueArn"); /* the run's default */
        return s;
    }
    const lc_stream_mapping *m = &c->stream;
    json_t *s = json_pack("{s:i, s:i, s:I, s:b, s:b, s:I, s:I, s:i, s:I, s:I, s:s?, s:i}", "shards",
                     m->shards, "batchSize", m->batch_size, "maximumBatchingWindowInSeconds",
                     (json_int_t)m->batching_window_s, "reportBatchItemFailures",
                     m->report_batch_item_failures, "bisectBatchOnFunctionError", m->bisect,
                     "maximumRetryAttempts", (json_int_t)m->max_retries,
                     "maximumRecordAgeInSeconds", (json_int_t)m->max_record_age_s,
                     "parallelizationFactor", m->parallelization, "tumblingWindowInSeconds",
                     (json_int_t)m->tumbling_window_s, "maxInvocations",
                     (json_int_t)m->max_invocations, "streamArn", m->stream_arn, "filters",
                     (int)c->n_filters);
    if (m->stream_arn == NULL)
        json_object_del(s, "streamArn");
    return s;
}

lc_status lc__mapping_case_run(const lc__mapping_case *c, lc_sqs_invoke invoke, void *data,
                               json_t **outcome, lc_error *err)
{
    if (strcmp(c->source, "sqs") == 0)
        return lc_sqs_mapping_run(&c->sqs, c->items, invoke, data, outcome, err);
    return lc_stream_mapping_run(&c->stream, c->items, invoke, data, outcome, err);
}

/* --- expectations ----------------------------------------------------------------------------- */

static const char *const sqs_lists[] = {"deleted",     "deadLetter",  "remaining",
                                        "filteredOut", "redelivered", NULL};
static const char *const stream_lists[] = {"processed",   "discarded",   "remaining",
                                           "filteredOut", "redelivered", NULL};
static const char *const sqs_counts[] = {"invocations", NULL};
static const char *const stream_counts[] = {"invocations", "onFailure", "bisections", NULL};

static const char *const *lists_of(const char *source)
{
    return strcmp(source, "sqs") == 0 ? sqs_lists : stream_lists;
}

static const char *const *counts_of(const char *source)
{
    return strcmp(source, "sqs") == 0 ? sqs_counts : stream_counts;
}

static lc_status id_list(const json_t *v, const char *name, const char *path, lc_error *err)
{
    if (!json_is_array(v))
        return lc_error_set(err, LC_EINVAL, path, 0, 0, "expect.mapping.%s: must be a list of ids",
                            name);
    size_t i;
    json_t *id;
    json_array_foreach(v, i, id)
    {
        bool dead = strcmp(name, "deadLetter") == 0;
        bool ok = json_is_string(id) ||
                  (dead && json_is_object(id) && json_is_string(json_object_get(id, "id")) &&
                   (json_object_get(id, "receiveCount") == NULL ||
                    json_is_integer(json_object_get(id, "receiveCount"))));
        if (!ok)
            return lc_error_set(err, LC_EINVAL, path, 0, 0,
                                "expect.mapping.%s[%zu]: must be an id%s", name, i,
                                dead ? " or {\"id\": ..., \"receiveCount\": n}" : "");
    }
    return LC_OK;
}

static void names(const char *const *a, const char *const *b, char *out, size_t size)
{
    size_t at = 0;
    out[0] = '\0';
    for (const char *const *set[] = {a, b}, *const **s = set; s < set + 2; s++)
        for (const char *const *k = *s; *k && at < size; k++)
            at += (size_t)snprintf(out + at, size - at, "%s%s", at ? ", " : "", *k);
}

lc_status lc__mapping_case_check_expect(const char *source, const json_t *expect, const char *path,
                                        lc_error *err)
{
    if (expect == NULL)
        return LC_OK;
    if (!json_is_object(expect))
        return lc_error_set(err, LC_EINVAL, path, 0, 0, "expect: must be an object");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)expect, key, v)
    {
        if (strcmp(key, "mapping") != 0)
            return lc_error_set(err, LC_EINVAL, path, 0, 0,
                                "expect.%s: a case that runs a mapping (%s) is judged by what "
                                "its mapping did: expect.mapping",
                                key, source);
    }
    const json_t *m = json_object_get(expect, "mapping");
    if (m && !json_is_object(m))
        return lc_error_set(err, LC_EINVAL, path, 0, 0, "expect.mapping: must be an object");
    json_object_foreach((json_t *)m, key, v)
    {
        lc_status st = LC_OK;
        char list[300];
        if (known(key, lists_of(source)))
            st = id_list(v, key, path, err);
        else if (known(key, counts_of(source)) && !json_is_integer(v))
            st = lc_error_set(err, LC_EINVAL, path, 0, 0, "expect.mapping.%s: must be an integer",
                              key);
        else if (!known(key, counts_of(source))) {
            names(lists_of(source), counts_of(source), list, sizeof list);
            st = lc_error_set(err, LC_EINVAL, path, 0, 0,
                              "expect.mapping.%s: unknown field for %s (known: %s)", key, source,
                              list);
        }
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

/* What the run did, in a sentence. */
static void summary(const char *source, const json_t *outcome, lc_verdicts *out)
{
    size_t n = json_array_size(json_object_get(outcome, "invocations"));
    size_t again = json_array_size(json_object_get(outcome, "redelivered"));
#define SIZE(name) json_array_size(json_object_get(outcome, name))
    if (strcmp(source, "sqs") == 0)
        lc_verdicts_note(out, "mapping",
                         "%zu invocation%s: %zu deleted, %zu filtered out, %zu in the "
                         "dead-letter queue, %zu left in the queue, %zu received more than once; "
                         "%.0f s of queue time skipped",
                         n, n == 1 ? "" : "s", SIZE("deleted"), SIZE("filteredOut"),
                         SIZE("deadLetter"), SIZE("remaining"), again,
                         json_real_value(json_object_get(outcome, "skippedSeconds")));
    else
        lc_verdicts_note(
            out, "mapping",
            "%zu invocation%s: %zu processed, %zu filtered out, %zu discarded in %zu "
            "on-failure record%s, %zu left unread, %zu delivered more than once, "
            "%lld bisection%s",
            n, n == 1 ? "" : "s", SIZE("processed"), SIZE("filteredOut"), SIZE("discarded"),
            SIZE("onFailure"), SIZE("onFailure") == 1 ? "" : "s", SIZE("remaining"), again,
            (long long)json_integer_value(json_object_get(outcome, "bisections")),
            json_integer_value(json_object_get(outcome, "bisections")) == 1 ? "" : "s");
#undef SIZE
    size_t i;
    json_t *line;
    json_array_foreach(json_object_get(outcome, "warnings"), i, line)
    {
        lc_verdicts_note(out, "mapping", "warning: %s", json_string_value(line));
    }
}

void lc__mapping_case_judge(const char *source, const json_t *expect_mapping, const json_t *outcome,
                            lc_verdicts *out)
{
    summary(source, outcome, out);
    for (const char *const *k = lists_of(source); *k; k++) {
        const json_t *want = json_object_get(expect_mapping, *k);
        if (want)
            judge_list(*k, want, json_object_get(outcome, *k), out);
    }
    for (const char *const *k = counts_of(source); *k; k++) {
        const json_t *want = json_object_get(expect_mapping, *k);
        if (want == NULL)
            continue;
        const json_t *got = json_object_get(outcome, *k);
        long long have = json_is_array(got) ? (long long)json_array_size(got)
                                            : (long long)json_integer_value(got);
        char check[64];
        snprintf(check, sizeof check, "mapping.%s", *k);
        lc_verdicts_add(out, check, have == json_integer_value(want), "%s: %lld, expected %lld", *k,
                        have, (long long)json_integer_value(want));
    }
}
