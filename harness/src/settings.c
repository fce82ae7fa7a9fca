#include "settings.h"

#include "lambdacheck/event_filter.h"

#include <string.h>

#include "lambdacheck/event.h"

/* The event sources whose mappings take FunctionResponseTypes, with a response contract here. */
static const char *const mapped_sources[] = {"sqs", "kinesis", "dynamodb", NULL};

static bool one_of(const char *s, const char *const *set)
{
    for (; s && *set; set++)
        if (strcmp(s, *set) == 0)
            return true;
    return false;
}

lc_status lc__settings_check_contracts(const json_t *contracts, const char *where,
                                       const char *source, lc_error *err)
{
    if (contracts == NULL)
        return LC_OK;
    if (!json_is_object(contracts))
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%scontracts must be an object: {\"<contract>\": \"why it is off\"}",
                            where);
    const char *name;
    json_t *reason;
    json_object_foreach((json_t *)contracts, name, reason)
    {
        if (!lc_contract_known(name))
            return lc_error_set(err, LC_EINVAL, source, 0, 0,
                                "%scontracts.%s: no built-in contract has that name (they are "
                                "no-unexpected-error, result-serializable, error-body-shape, "
                                "error-carries-request-id, async-accepted-empty, "
                                "async-result-discarded, tenant-isolated, concurrency-safe, "
                                "snapstart-unique and "
                                "<source>-response)",
                                where, name);
        if (!json_is_string(reason) || json_string_length(reason) == 0)
            return lc_error_set(err, LC_EINVAL, source, 0, 0,
                                "%scontracts.%s must be the reason it is turned off (a "
                                "non-empty string): nothing is turned off silently",
                                where, name);
    }
    return LC_OK;
}

/* A mapping's "filters": FilterCriteria patterns (JSON text), at most LC_FILTER_MAX, each one
 * Lambda takes (for a stream, with JSON for its data). */
static lc_status check_filters(const json_t *filters, const char *mapped, const char *where,
                               const char *source, lc_error *err)
{
    if (filters == NULL)
        return LC_OK;
    if (!json_is_array(filters) || json_array_size(filters) > LC_FILTER_MAX)
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%s.filters must be a list of at most %d patterns (FilterCriteria's "
                            "Filters[].Pattern, JSON text each)", where, LC_FILTER_MAX);
    size_t i;
    const json_t *pattern;
    json_array_foreach(filters, i, pattern) {
        char at[300];
        snprintf(at, sizeof at, "%s.filters[%zu]", where, i);
        lc_event_filter *f = NULL;
        lc_error mine = {0};
        char event_source[32];
        snprintf(event_source, sizeof event_source, "aws:%s", mapped ? mapped : "");
        lc_status st = !json_is_string(pattern)
                           ? lc_error_set(&mine, LC_EINVAL, NULL, 0, 0,
                                          "%s must be a pattern's JSON text (a string)", at)
                           : lc_event_filter_parse(json_string_value(pattern), at, &f, &mine);
        if (st == LC_OK)
            st = lc_event_filter_check_source(f, mapped ? event_source : NULL, at, &mine);
        lc_event_filter_free(f);
        if (st != LC_OK)
            return lc_error_set(err, st, source, 0, 0, "%s", mine.message);
    }
    return LC_OK;
}

/* mapped: the mapping's source ("sqs", ...) when known. */
/* A mapping's "queue": {"visibilityTimeout": n, "fifo": bool, "maxReceiveCount": n}, any of
 * them; NULL is fine. */
static bool queue_ok(const json_t *queue)
{
    if (queue == NULL)
        return true;
    if (!json_is_object(queue))
        return false;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)queue, key, v)
    {
        bool ok = strcmp(key, "fifo") == 0 ? json_is_boolean(v)
                  : strcmp(key, "visibilityTimeout") == 0 || strcmp(key, "maxReceiveCount") == 0
                      ? json_is_integer(v)
                      : false;
        if (!ok)
            return false;
    }
    return true;
}

static lc_status check_mapping_of(const json_t *mapping, const char *mapped, const char *where,
                                  const char *source, lc_error *err)
{
    if (mapping == NULL)
        return LC_OK;
    const json_t *types = json_object_get(mapping, "functionResponseTypes");
    const json_t *filters = json_object_get(mapping, "filters");
    const json_t *queue = json_object_get(mapping, "queue");
    /* the mapping's numbers and its bisect switch, from a template or written in a manifest */
    static const char *const numbers[] = {"shards",
                                          "batchSize",
                                          "maximumConcurrency",
                                          "maximumBatchingWindowInSeconds",
                                          "maximumRetryAttempts",
                                          "maximumRecordAgeInSeconds",
                                          "parallelizationFactor",
                                          "tumblingWindowInSeconds",
                                          NULL};
    size_t expected = (types ? 1u : 0u) + (filters ? 1u : 0u) + (queue ? 1u : 0u);
    bool ok = json_is_object(mapping) && (types == NULL || json_is_array(types)) &&
              queue_ok(queue);
    for (const char *const *k = numbers; ok && *k; k++) {
        const json_t *v = json_object_get(mapping, *k);
        expected += v != NULL;
        ok = v == NULL || json_is_integer(v);
    }
    const json_t *bisect = json_object_get(mapping, "bisectBatchOnFunctionError");
    expected += bisect != NULL;
    ok = ok && (bisect == NULL || json_is_boolean(bisect)) && json_object_size(mapping) == expected;
    size_t i;
    json_t *type;
    json_array_foreach(types, i, type)
    {
        ok = ok && json_is_string(type) &&
             strcmp(json_string_value(type), "ReportBatchItemFailures") == 0;
    }
    if (!ok)
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%s must be {\"functionResponseTypes\": [\"ReportBatchItemFailures\"]} "
                            "or {\"functionResponseTypes\": []} (Lambda's only response type), "
                            "with \"filters\": [PATTERN, ...] if the mapping filters, and "
                            "its numbers (batchSize, maximumBatchingWindowInSeconds, "
                            "maximumRetryAttempts, maximumRecordAgeInSeconds, "
                            "parallelizationFactor, tumblingWindowInSeconds) as integers, "
                            "bisectBatchOnFunctionError as true or false, and the queue's "
                            "\"queue\": {\"visibilityTimeout\", \"fifo\", "
                            "\"maxReceiveCount\"}",
                            where);
    return check_filters(filters, mapped, where, source, err);
}

lc_status lc__settings_check_mapping(const json_t *mapping, const char *where,
                                     const char *source, lc_error *err)
{
    return check_mapping_of(mapping, NULL, where, source, err);
}

lc_status lc__settings_check_event_sources(const json_t *sources, const char *where,
                                           const char *source, lc_error *err)
{
    if (sources == NULL)
        return LC_OK;
    if (!json_is_object(sources))
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%seventSources must be an object: {\"sqs\": {...}, ...}", where);
    const char *name;
    json_t *mapping;
    json_object_foreach((json_t *)sources, name, mapping)
    {
        char field[200];
        snprintf(field, sizeof field, "%seventSources.%s", where, name);
        if (!one_of(name, mapped_sources))
            return lc_error_set(err, LC_EINVAL, source, 0, 0,
                                "%s: an event source mapping is sqs, kinesis or dynamodb", field);
        lc_status st = check_mapping_of(mapping, name, field, source, err);
        if (st != LC_OK)
            return st;
    }
    return LC_OK;
}

lc_source_settings lc__settings_for_event(const json_t *event, const json_t *case_mapping,
                                          const json_t *function_sources)
{
    const json_t *mapping = case_mapping;
    if (mapping == NULL)
        mapping = json_object_get(function_sources,
                                  lc_event_source_name(lc_event_detect(event)));
    lc_source_settings s = {0};
    size_t i;
    json_t *type;
    json_array_foreach(json_object_get(mapping, "functionResponseTypes"), i, type)
    {
        s.report_batch_item_failures = s.report_batch_item_failures ||
                                       strcmp(json_string_value(type), "ReportBatchItemFailures") ==
                                           0;
    }
    return s;
}

const json_t *lc__settings_filters(const json_t *event, const json_t *case_mapping,
                                   const json_t *function_sources)
{
    const json_t *own = json_object_get(case_mapping, "filters");
    if (own)
        return own;
    return json_object_get(json_object_get(function_sources,
                                           lc_event_source_name(lc_event_detect(event))),
                           "filters");
}

json_t *lc__settings_merge_contracts(const json_t *function, const json_t *own)
{
    json_t *merged = function ? json_deep_copy(function) : json_object();
    if (merged && own)
        json_object_update(merged, (json_t *)own);
    return merged;
}
