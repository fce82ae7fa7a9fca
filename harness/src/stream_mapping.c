/* A Kinesis or DynamoDB stream read into a function as Lambda's mapping reads it
 * (stream_mapping.h). */
#include "lambdacheck/stream_mapping.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bounds.h"

/* The stream's clock (2026-01-01T00:00:00Z, in seconds): arrival times. */
#define CLOCK_ORIGIN_S 1767225600.0
#define DEFAULT_MAX_INVOCATIONS 10000
#define MAX_SHARDS 1000

typedef struct {
    const json_t *spec; /* the case's record (borrowed) */
    char id[64];        /* its name in the outcome */
    char seq[64];       /* its sequence number */
    const char *key;    /* partition key */
    int shard;
    int lane;           /* the shard's concurrent batch it goes to (shard_state) */
    double arrival_s; /* virtual */
    int deliveries;
} record;

#define MAX_SPLITS 32

/* One line of batches: with ParallelizationFactor N, a shard's records are read in N lines at
 * once, a partition key always in the same line, so that each key's records stay in order
 * (with-kinesis.html, "Polling and batching streams"); with N = 1 a line is its shard. */
typedef struct {
    int shard;  /* the shard it reads */
    size_t *at; /* indexes into the records, in sequence order */
    size_t n, checkpoint;
    /* while a failed batch is worked through in halves (bisect): where each pending half ends,
       the innermost last; the next batch runs from the checkpoint to the innermost end */
    size_t ends[MAX_SPLITS];
    int depth;
    long retries; /* of the batch at the checkpoint */
} shard_state;

typedef struct {
    const lc_stream_mapping *m;
    record *recs;
    size_t n;
    shard_state *shards; /* the lines: the shards' lines one after another */
    int lines;           /* shards x parallelization */
    json_t *outcome;
    long bisections;
} stream;

void lc_stream_mapping_defaults(lc_stream_mapping *m)
{
    if (m->shards == 0)
        m->shards = 1;
    if (m->batch_size == 0)
        m->batch_size = 100;
    if (m->max_retries == LC_STREAM_UNSET)
        m->max_retries = -1;
    if (m->max_record_age_s == LC_STREAM_UNSET)
        m->max_record_age_s = -1;
    if (m->parallelization == 0)
        m->parallelization = 1;
    if (m->max_invocations == 0)
        m->max_invocations = DEFAULT_MAX_INVOCATIONS;
}

/* Bounds: https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html */
lc_status lc_stream_mapping_check(const lc_stream_mapping *m, const char *where, lc_error *err)
{
    if (m->batch_size < 1 || m->batch_size > 10000)
        return lc_error_set(err, LC_EINVAL, where, 0, 0,
                            "batchSize: %d is out of bounds: a stream takes 1 to 10000",
                            m->batch_size);
    const lc__bound bounds[] = {
        {"shards", m->shards, 1, MAX_SHARDS, false, 0},
        {"maximumBatchingWindowInSeconds", m->batching_window_s, 0, 300, false, 0},
        {"maximumRetryAttempts", m->max_retries, 0, 10000, true, -1},
        {"maximumRecordAgeInSeconds", m->max_record_age_s, 60, 604800, true, -1},
        {"parallelizationFactor", m->parallelization, 1, 10, false, 0},
        {"tumblingWindowInSeconds", m->tumbling_window_s, 0, 900, false, 0},
        {"maxInvocations", m->max_invocations, 1, 1000000, true, 0},
    };
    return lc__check_bounds(bounds, sizeof bounds / sizeof *bounds, where, err);
}

/* --- the records ------------------------------------------------------------------------------ */

/* Eight bytes of a key's MD5 as a number: its top half (from 0) or its bottom half (from 8). */
static uint64_t md5_part(const char *key, int from)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(key, strlen(key), d, &len, EVP_md5(), NULL);
    uint64_t v = 0;
    for (int i = from; i < from + 8; i++)
        v = v << 8 | d[i];
    return v;
}

/* The shard Kinesis puts a partition key in when the shards split the hash key range evenly:
 * the key's MD5 as a 128-bit number, in n equal ranges (its top 64 bits are enough). */
static int shard_of(const char *key, int n)
{
    return (int)(((unsigned __int128)md5_part(key, 0) * (unsigned)n) >> 64);
}

/* The line of its shard a partition key's records are read in: another part of the same MD5, so
 * that the keys of one shard spread over its lines. */
static int line_of(const char *key, int n)
{
    return (int)(md5_part(key, 8) % (unsigned)n);
}

static const char *const record_keys[] = {"id",       "partitionKey", "shard", "age",
                                          "data",     "dataBase64",   "keys",  "newImage",
                                          "oldImage", "eventName",    NULL};

static lc_status check_keys(const json_t *j, const char *where, lc_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)j, key, v)
    {
        bool known = false;
        for (const char *const *k = record_keys; *k && !known; k++)
            known = strcmp(*k, key) == 0;
        if (!known)
            return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                                "%s.%s: unknown field (known: id, partitionKey, shard, age, data, "
                                "dataBase64, keys, newImage, oldImage, eventName)",
                                where, key);
    }
    return LC_OK;
}

static lc_status read_record(const stream *s, const json_t *j, size_t i, record *r, lc_error *err)
{
    char where[40];
    snprintf(where, sizeof where, "records[%zu]", i);
    if (!json_is_object(j))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "%s: must be an object", where);
    lc_status st = check_keys(j, where, err);
    if (st != LC_OK)
        return st;
    const json_t *id = json_object_get(j, "id"), *key = json_object_get(j, "partitionKey"),
                 *shard = json_object_get(j, "shard"), *age = json_object_get(j, "age");
    if (id && (!json_is_string(id) || json_string_length(id) == 0 || json_string_length(id) > 63))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "%s.id: must be a string of 1 to 63 "
                            "characters",
                            where);
    if (key && !json_is_string(key))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "%s.partitionKey: must be a string", where);
    if (shard && (!json_is_integer(shard) || json_integer_value(shard) < 0 ||
                  json_integer_value(shard) >= s->m->shards))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "%s.shard: must be a shard's number, 0 to %d", where, s->m->shards - 1);
    if (age && (!json_is_number(age) || json_number_value(age) < 0))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "%s.age: must be a number of seconds, 0 or more", where);
    bool kinesis = s->m->kind == LC_STREAM_KINESIS;
    const json_t *data = json_object_get(j, kinesis ? "data" : "keys");
    const json_t *b64 = kinesis ? json_object_get(j, "dataBase64") : NULL;
    if (kinesis && !json_is_string(data) && !json_is_string(b64))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "%s.data: a Kinesis record needs its data (text) or dataBase64", where);
    if (!kinesis && !json_is_object(data))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "%s.keys: a DynamoDB record needs its keys (an attribute-value map)",
                            where);
    r->spec = j;
    if (id)
        snprintf(r->id, sizeof r->id, "%s", json_string_value(id));
    else
        snprintf(r->id, sizeof r->id, "r%zu", i);
    r->key = key ? json_string_value(key) : r->id;
    r->shard = shard ? (int)json_integer_value(shard) : shard_of(r->key, s->m->shards);
    r->lane = r->shard * s->m->parallelization + line_of(r->key, s->m->parallelization);
    r->arrival_s = -(age ? json_number_value(age) : 0);
    return LC_OK;
}

/* Sequence numbers grow within a shard, in the records' order, in each source's form. */
static lc_status number(stream *s, lc_error *err)
{
    size_t *count = calloc((size_t)s->m->shards, sizeof *count);
    if (count == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 0; i < s->n; i++) {
        record *r = &s->recs[i];
        size_t nth = ++count[r->shard];
        if (s->m->kind == LC_STREAM_KINESIS)
            snprintf(r->seq, sizeof r->seq, "49%03d%051zu", r->shard, nth);
        else
            snprintf(r->seq, sizeof r->seq, "%03d%018zu", r->shard + 100, nth);
    }
    free(count);
    return LC_OK;
}

static lc_status load(stream *s, const json_t *records, lc_error *err)
{
    if (!json_is_array(records))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "records: must be a list");
    s->n = json_array_size(records);
    s->recs = calloc(s->n ? s->n : 1, sizeof *s->recs);
    s->lines = s->m->shards * s->m->parallelization;
    s->shards = calloc((size_t)s->lines, sizeof *s->shards);
    json_t *ids = json_object();
    lc_status st = s->recs && s->shards && ids
                       ? LC_OK
                       : lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 0; st == LC_OK && i < s->n; i++) {
        st = read_record(s, json_array_get(records, i), i, &s->recs[i], err);
        const json_t *earlier = st == LC_OK ? json_object_get(ids, s->recs[i].id) : NULL;
        if (earlier)
            st = lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                              "records[%zu].id: \"%s\" is also records[%lld]'s", i, s->recs[i].id,
                              (long long)json_integer_value(earlier));
        else if (st == LC_OK)
            json_object_set_new(ids, s->recs[i].id, json_integer((json_int_t)i));
    }
    json_decref(ids);
    for (size_t i = 0; st == LC_OK && i < s->n; i++)
        s->shards[s->recs[i].lane].n++;
    for (int k = 0; st == LC_OK && k < s->lines; k++) {
        s->shards[k].at = calloc(s->shards[k].n ? s->shards[k].n : 1, sizeof(size_t));
        if (s->shards[k].at == NULL)
            st = lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
        s->shards[k].n = 0;
        s->shards[k].shard = k / s->m->parallelization;
    }
    for (size_t i = 0; st == LC_OK && i < s->n; i++) {
        shard_state *sh = &s->shards[s->recs[i].lane];
        sh->at[sh->n++] = i;
    }
    if (st == LC_OK)
        st = number(s, err);
    return st;
}

/* --- the events Lambda builds ----------------------------------------------------------------- */

static void shard_id(const stream *s, int k, char *out, size_t size)
{
    if (s->m->kind == LC_STREAM_KINESIS)
        snprintf(out, size, "shardId-%012d", k);
    else
        snprintf(out, size, "shardId-00000001767225600000-%08x", (unsigned)k);
}

static const char *arn(const stream *s)
{
    if (s->m->stream_arn)
        return s->m->stream_arn;
    return s->m->kind == LC_STREAM_KINESIS ? "arn:aws:kinesis:us-east-1:123456789012:stream/stream"
                                           : "arn:aws:dynamodb:us-east-1:123456789012:table/table/"
                                             "stream/2026-01-01T00:00:00.000";
}

static json_t *base64_of(const char *text)
{
    size_t n = strlen(text);
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (out == NULL)
        return json_string("");
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)text, (int)n);
    json_t *v = json_string(out);
    free(out);
    return v;
}

/* A Kinesis record as with-kinesis.html's example event has it. */
static json_t *kinesis_record(const stream *s, const record *r)
{
    char event_id[160], shard[64];
    shard_id(s, r->shard, shard, sizeof shard);
    snprintf(event_id, sizeof event_id, "%s:%s", shard, r->seq);
    const json_t *b64 = json_object_get(r->spec, "dataBase64");
    json_t *data = b64 ? json_incref((json_t *)b64)
                       : base64_of(json_string_value(json_object_get(r->spec, "data")));
    json_t *k = json_pack("{s:s, s:s, s:s, s:o, s:f}", "kinesisSchemaVersion", "1.0",
                          "partitionKey", r->key, "sequenceNumber", r->seq, "data", data,
                          "approximateArrivalTimestamp", CLOCK_ORIGIN_S + r->arrival_s);
    return json_pack("{s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kinesis", k, "eventSource",
                     "aws:kinesis", "eventVersion", "1.0", "eventID", event_id, "eventName",
                     "aws:kinesis:record", "invokeIdentityArn",
                     "arn:aws:iam::123456789012:role/lambda-role", "awsRegion", "us-east-1",
                     "eventSourceARN", arn(s));
}

/* A DynamoDB stream record as with-ddb.html's example event has it. */
static json_t *dynamodb_record(const stream *s, const record *r)
{
    const json_t *new_image = json_object_get(r->spec, "newImage");
    const json_t *old_image = json_object_get(r->spec, "oldImage");
    const char *name = json_string_value(json_object_get(r->spec, "eventName"));
    if (name == NULL)
        name = new_image && old_image ? "MODIFY" : new_image ? "INSERT" : "REMOVE";
    char event_id[64];
    snprintf(event_id, sizeof event_id, "%032zx", (size_t)(r - s->recs) + 1);
    char *text = json_dumps(r->spec, JSON_COMPACT);
    size_t bytes = text ? strlen(text) : 0;
    free(text);
    json_t *d = json_pack("{s:I, s:O, s:s, s:I, s:s}", "ApproximateCreationDateTime",
                          (json_int_t)(CLOCK_ORIGIN_S + r->arrival_s), "Keys",
                          json_object_get(r->spec, "keys"), "SequenceNumber", r->seq, "SizeBytes",
                          (json_int_t)bytes, "StreamViewType", "NEW_AND_OLD_IMAGES");
    if (new_image)
        json_object_set(d, "NewImage", (json_t *)new_image);
    if (old_image)
        json_object_set(d, "OldImage", (json_t *)old_image);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s}", "eventID", event_id, "eventName", name,
                     "eventVersion", "1.1", "eventSource", "aws:dynamodb", "awsRegion", "us-east-1",
                     "dynamodb", d, "eventSourceARN", arn(s));
}

static json_t *event_record(const stream *s, const record *r)
{
    return s->m->kind == LC_STREAM_KINESIS ? kinesis_record(s, r) : dynamodb_record(s, r);
}

/* --- one batch -------------------------------------------------------------------------------- */

static json_t *out_list(const stream *s, const char *name)
{
    return json_object_get(s->outcome, name);
}

static bool passes_filters(const stream *s, const json_t *rec)
{
    return lc_event_filter_any(s->m->filters, s->m->n_filters, rec);
}

/* Takes the records no filter matches out of their shards, in order: they never reach the
 * function (invocation-eventfiltering.html). */
static void filter_shards(stream *s)
{
    for (int k = 0; k < s->lines; k++) {
        shard_state *sh = &s->shards[k];
        size_t kept = 0;
        for (size_t i = 0; i < sh->n; i++) {
            const record *r = &s->recs[sh->at[i]];
            json_t *rec = event_record(s, r);
            bool pass = passes_filters(s, rec);
            json_decref(rec);
            if (pass)
                sh->at[kept++] = sh->at[i];
            else
                json_array_append_new(out_list(s, "filteredOut"), json_string(r->id));
        }
        sh->n = kept;
    }
}

/* The position in sh's batch [from, from+n) of the lowest sequence number the answer names as
 * failed (-1 when it names none), or why it counts as a complete failure. */
static const char *first_failure(const stream *s, const shard_state *sh, size_t n,
                                 const lc_sqs_answer *a, long *first)
{
    *first = -1;
    if (!s->m->report_batch_item_failures || a->payload == NULL || a->payload_len == 0)
        return NULL;
    json_t *r = json_loadb(a->payload, a->payload_len, JSON_DECODE_ANY, NULL);
    json_t *items = json_object_get(r, "batchItemFailures");
    const char *why = NULL;
    if (r == NULL)
        why = "the response is not JSON";
    else if (!json_is_null(r) && !(json_is_object(r) && (items == NULL || json_is_null(items))) &&
             (!json_is_object(r) || !json_is_array(items)))
        why = "the response is not {\"batchItemFailures\": [...]} (undocumented: taken as a "
              "complete failure)";
    size_t i;
    json_t *item;
    json_array_foreach(why ? NULL : items, i, item)
    {
        const char *id = json_string_value(json_object_get(item, "itemIdentifier"));
        if (id == NULL || id[0] == '\0') {
            why = "an itemIdentifier is missing, null or empty";
            break;
        }
        long at = -1;
        for (size_t k = 0; k < n && at < 0; k++)
            if (strcmp(s->recs[sh->at[sh->checkpoint + k]].seq, id) == 0)
                at = (long)k;
        if (at < 0) {
            why = "an itemIdentifier is not a sequence number of this batch (undocumented: taken "
                  "as a complete failure)";
            break;
        }
        if (*first < 0 || at < *first)
            *first = at;
    }
    json_decref(r);
    return why;
}

static json_t *ids_of(const stream *s, const shard_state *sh, size_t from, size_t n)
{
    json_t *ids = json_array();
    for (size_t k = 0; k < n; k++)
        json_array_append_new(ids, json_string(s->recs[sh->at[from + k]].id));
    return ids;
}

/* Moves sh's checkpoint past n records that are done. */
static void advance(stream *s, shard_state *sh, size_t n, const char *list)
{
    for (size_t k = 0; k < n; k++)
        json_array_append_new(out_list(s, list),
                              json_string(s->recs[sh->at[sh->checkpoint + k]].id));
    sh->checkpoint += n;
    sh->retries = 0;
    while (sh->depth > 0 && sh->checkpoint >= sh->ends[sh->depth - 1])
        sh->depth--; /* that half is done: the next pending one, or full batches again */
}

/* The on-failure destination's record for the n records at sh's checkpoint (the shape of
 * kinesis-on-failure-destination.html's examples), then the shard moves past them. */
static void discard(stream *s, shard_state *sh, size_t n, const char *condition, long invokes,
                    const char *error)
{
    char shard[64];
    shard_id(s, sh->shard, shard, sizeof shard);
    const record *first = &s->recs[sh->at[sh->checkpoint]];
    const record *last = &s->recs[sh->at[sh->checkpoint + n - 1]];
    json_t *info =
        json_pack("{s:s, s:s, s:s, s:I, s:s}", "shardId", shard, "startSequenceNumber", first->seq,
                  "endSequenceNumber", last->seq, "batchSize", (json_int_t)n, "streamArn", arn(s));
    json_t *rec = json_pack(
        "{s:{s:I}, s:{s:s}, s:s, s:o, s:o}", "requestContext", "approximateInvokeCount",
        (json_int_t)invokes, "responseContext", "executedVersion", "$LATEST", "version", "1.0",
        s->m->kind == LC_STREAM_KINESIS ? "KinesisBatchInfo" : "DDBStreamBatchInfo", info,
        "records", ids_of(s, sh, sh->checkpoint, n));
    if (condition)
        json_object_set_new(json_object_get(rec, "requestContext"), "condition",
                            json_string(condition));
    if (error)
        json_object_set_new(json_object_get(rec, "responseContext"), "functionError",
                            json_string(error));
    json_array_append_new(out_list(s, "onFailure"), rec);
    advance(s, sh, n, "discarded");
}

/* What follows a failed attempt of the n records at sh's checkpoint (error: the function's, or
 * NULL for an answer that failed the batch): a split (bisect), a retry, or the batch's
 * discarding after its last retry. */
static void after_failure(stream *s, shard_state *sh, size_t n, const char *error)
{
    if (s->m->bisect && error && n > 1 && sh->depth < MAX_SPLITS) {
        /* on a function error only; a split is not a retry: the first half next, then the
           second (whose end is already pending, or is the batch's own end) */
        if (sh->depth == 0)
            sh->ends[sh->depth++] = sh->checkpoint + n;
        sh->ends[sh->depth++] = sh->checkpoint + (n + 1) / 2;
        s->bisections++;
        return;
    }
    sh->retries++;
    if (s->m->max_retries >= 0 && sh->retries > s->m->max_retries)
        discard(s, sh, n, "RetryAttemptsExhausted", sh->retries, error);
}

static lc_status one_batch(stream *s, int k, lc_sqs_invoke invoke, void *data, lc_error *err)
{
    shard_state *sh = &s->shards[k];
    size_t end =
        sh->depth > 0 && sh->ends[sh->depth - 1] > sh->checkpoint ? sh->ends[sh->depth - 1] : sh->n;
    size_t n = end - sh->checkpoint;
    if (n > (size_t)s->m->batch_size)
        n = (size_t)s->m->batch_size;
    /* the records at the checkpoint that are past the maximum age are discarded unread
       (MaximumRecordAgeInSeconds: "Discard records older than the specified age") */
    size_t old = 0;
    while (s->m->max_record_age_s >= 0 && old < n &&
           -s->recs[sh->at[sh->checkpoint + old]].arrival_s > (double)s->m->max_record_age_s)
        old++;
    if (old > 0) {
        discard(s, sh, old, NULL, sh->retries, NULL);
        return LC_OK;
    }
    json_t *records = json_array();
    for (size_t i = 0; i < n; i++) {
        record *r = &s->recs[sh->at[sh->checkpoint + i]];
        r->deliveries++;
        json_array_append_new(records, event_record(s, r));
    }
    json_t *event = json_pack("{s:o}", "Records", records);
    lc_sqs_answer a = {0};
    lc_status st = invoke(data, event, &a, err);
    json_decref(event);
    if (st != LC_OK)
        return st;
    char shard_name[64];
    shard_id(s, sh->shard, shard_name, sizeof shard_name);
    json_t *inv =
        json_pack("{s:s, s:o, s:I}", "shard", shard_name, "records",
                  ids_of(s, sh, sh->checkpoint, n), "attempt", (json_int_t)sh->retries + 1);
    long first = -1;
    const char *why =
        a.failed ? (a.error_type && a.error_type[0] ? a.error_type : "the invocation failed")
                 : first_failure(s, sh, n, &a, &first);
    if (why)
        json_object_set_new(inv, "why", json_string(why));
    json_object_set_new(inv, "result",
                        json_string(why || first == 0 ? "failed"
                                    : first > 0       ? "partial"
                                                      : "ok"));
    json_array_append_new(out_list(s, "invocations"), inv);
    if (why || first == 0) {
        after_failure(s, sh, n, a.failed ? "Unhandled" : NULL);
    } else if (first > 0) {
        /* done up to the lowest failure; the rest of this batch is retried from there, and the
           attempt counts as a retry of it */
        size_t batch_end = sh->checkpoint + n;
        long tries = sh->retries + 1;
        advance(s, sh, (size_t)first, "processed");
        sh->retries = tries;
        if (sh->depth < MAX_SPLITS && (sh->depth == 0 || sh->ends[sh->depth - 1] > batch_end))
            sh->ends[sh->depth++] = batch_end;
        if (s->m->max_retries >= 0 && sh->retries > s->m->max_retries)
            discard(s, sh, n - (size_t)first, "RetryAttemptsExhausted", sh->retries, NULL);
    } else {
        advance(s, sh, n, "processed");
    }
    return LC_OK;
}

/* --- the run ---------------------------------------------------------------------------------- */

static void finish(stream *s)
{
    json_t *deliveries = json_object(), *again = json_array(), *remaining = json_array();
    for (int k = 0; k < s->lines; k++) {
        const shard_state *sh = &s->shards[k];
        for (size_t i = sh->checkpoint; i < sh->n; i++)
            json_array_append_new(remaining, json_string(s->recs[sh->at[i]].id));
    }
    for (size_t i = 0; i < s->n; i++) {
        json_object_set_new(deliveries, s->recs[i].id, json_integer(s->recs[i].deliveries));
        if (s->recs[i].deliveries > 1)
            json_array_append_new(again, json_string(s->recs[i].id));
    }
    json_object_set_new(s->outcome, "deliveries", deliveries);
    json_object_set_new(s->outcome, "redelivered", again);
    json_object_set_new(s->outcome, "remaining", remaining);
    json_object_set_new(s->outcome, "bisections", json_integer(s->bisections));
    bool failed = false;
    size_t i;
    json_t *inv;
    json_array_foreach(out_list(s, "invocations"), i, inv)
    {
        failed = failed || strcmp(json_string_value(json_object_get(inv, "result")), "ok") != 0;
    }
    if (s->m->parallelization > 1 && failed)
        json_object_set_new(
            s->outcome, "warnings",
            json_pack("[s]", "parallelizationFactor: AWS documents that each partition key's "
                             "records stay in order, not whether a failing batch holds up its "
                             "shard's other concurrent batches; here they went on "
                             "(with-kinesis.html, \"Polling and batching streams\")"));
}

static void free_stream(stream *s)
{
    for (int k = 0; s->shards && k < s->lines; k++)
        free(s->shards[k].at);
    free(s->shards);
    free(s->recs);
}

lc_status lc_stream_mapping_run(const lc_stream_mapping *m, const json_t *records,
                                lc_sqs_invoke invoke, void *data, json_t **outcome, lc_error *err)
{
    *outcome = NULL;
    stream s = {.m = m};
    lc_status st = lc_stream_mapping_check(m, NULL, err); /* the lines' arithmetic needs it */
    if (st == LC_OK)
        st = load(&s, records, err);
    s.outcome = json_pack("{s:[], s:[], s:[], s:[], s:[]}", "invocations", "processed",
                          "filteredOut", "onFailure", "discarded");
    if (st == LC_OK)
        filter_shards(&s);
    /* the shards' lines take turns, one batch each, until all are read */
    long made = 0;
    for (bool busy = true; st == LC_OK && busy && made < m->max_invocations;) {
        busy = false;
        for (int k = 0; st == LC_OK && k < s.lines && made < m->max_invocations; k++) {
            if (s.shards[k].checkpoint >= s.shards[k].n)
                continue;
            busy = true;
            size_t before = json_array_size(out_list(&s, "invocations"));
            st = one_batch(&s, k, invoke, data, err);
            made += (long)(json_array_size(out_list(&s, "invocations")) - before);
        }
    }
    if (st == LC_OK) {
        finish(&s);
        *outcome = s.outcome;
    } else {
        json_decref(s.outcome);
    }
    free_stream(&s);
    return st;
}
