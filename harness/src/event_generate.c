/* Generated events (part of the event module): a sample of a source made fresh.
 *
 * Ids are new; every time of the sample moves by the same amount, so the earliest is now and
 * the others keep their distance to it (requestTime and requestTimeEpoch agree, brokerOutTime
 * follows brokerInTime), each written as the sample writes it (ISO 8601, Apache's
 * 27/Nov/2026:11:00:00 +0000, epoch milliseconds or seconds). */
#include <ctype.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/context.h"
#include "lambdacheck/event.h"
#include "lambdacheck/json_util.h"

/* Which parameters each source takes (lc_event_params_of). */
static unsigned params_of(lc_event_source s)
{
    switch (s) {
    case LC_SOURCE_APIGATEWAY_REST:
    case LC_SOURCE_APIGATEWAY_HTTP:
    case LC_SOURCE_FUNCTION_URL:
    case LC_SOURCE_ALB: return LC_PARAM_BODY | LC_PARAM_ROUTE;
    case LC_SOURCE_SQS:
    case LC_SOURCE_SNS:
    case LC_SOURCE_KINESIS:
    case LC_SOURCE_FIREHOSE:
    case LC_SOURCE_KAFKA:
    case LC_SOURCE_MQ:
    case LC_SOURCE_CLOUDWATCH_LOGS: return LC_PARAM_COUNT | LC_PARAM_BODY;
    case LC_SOURCE_DYNAMODB: return LC_PARAM_COUNT;
    case LC_SOURCE_S3:
    case LC_SOURCE_S3_BATCH: return LC_PARAM_COUNT | LC_PARAM_OBJECT;
    case LC_SOURCE_EVENTBRIDGE: return LC_PARAM_BODY;
    default: return 0;
    }
}

unsigned lc_event_params_of(lc_event_source source)
{
    return params_of(source);
}

/* --- ids ---------------------------------------------------------------------------------------- */

static json_t *fresh_uuid(void)
{
    char id[37];
    lc_uuid4(id);
    return json_string(id);
}

/* n random decimal digits, the first not 0 (sequence numbers of any length). */
static json_t *fresh_digits(size_t n)
{
    if (n == 0)
        return json_string("");
    char *digits = malloc(n + 1);
    unsigned char *random = malloc(n);
    json_t *s = NULL;
    if (digits && random) {
        lc_random_bytes(random, n);
        for (size_t i = 0; i < n; i++)
            digits[i] = (char)('0' + random[i] % 10);
        digits[0] = digits[0] == '0' ? '4' : digits[0];
        digits[n] = '\0';
        s = json_string(digits);
    }
    free(digits);
    free(random);
    return s ? s : json_string("0");
}

static bool listed(const char *key, const char *const *keys)
{
    for (; *keys; keys++)
        if (strcmp(key, *keys) == 0)
            return true;
    return false;
}

/* True for a non-empty string of decimal digits (CloudWatch Logs event ids are 56 of them). */
static bool all_digits(const char *s)
{
    return s[0] != '\0' && strspn(s, "0123456789") == strlen(s);
}

static const char *const uuid_keys[] = {"messageId", "MessageId", "requestId", "eventID", "id",
                                        "invocationId", "taskId", NULL};

/* Gives every id field below node a fresh value. */
static void fresh_ids(json_t *node)
{
    const char *key;
    json_t *v;
    size_t i;
    json_t *item;
    if (json_is_array(node))
        json_array_foreach(node, i, item) fresh_ids(item);
    json_object_foreach(node, key, v)
    {
        if (json_is_string(v) && listed(key, uuid_keys) && all_digits(json_string_value(v)))
            json_object_set_new(node, key, fresh_digits(strlen(json_string_value(v))));
        else if (json_is_string(v) && listed(key, uuid_keys))
            json_object_set_new(node, key, fresh_uuid());
        else if (json_is_string(v) && (strcmp(key, "sequenceNumber") == 0 ||
                                       strcmp(key, "SequenceNumber") == 0))
            json_object_set_new(node, key, fresh_digits(strlen(json_string_value(v))));
        else if (json_is_string(v) && strcmp(key, "recordId") == 0)
            json_object_set_new(node, key, fresh_digits(56));
        else
            fresh_ids(v);
    }
}

/* --- times -------------------------------------------------------------------------------------- */

/* Fields that hold a time, in whichever form the sample writes it. */
static const char *const time_keys[] = {
    "eventTime", "time", "timestamp", "Timestamp", "requestTime", "requestTimeEpoch", "timeEpoch",
    "approximateArrivalTimestamp", "ApproximateCreationDateTime", "SentTimestamp",
    "ApproximateFirstReceiveTimestamp", "brokerInTime", "brokerOutTime",
    "notificationCreationTime", "configurationItemCaptureTime", NULL};

typedef enum { T_NONE, T_ISO, T_ISO_MS, T_CLF, T_MS, T_S, T_S_FRACTION, T_MS_TEXT } time_form;

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* A time value's epoch milliseconds and form; T_NONE when v is not a time. */
static time_form read_time(const json_t *v, int64_t *ms)
{
    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);
        *ms = n > 100000000000LL ? n : n * 1000;
        return n > 100000000000LL ? T_MS : T_S;
    }
    if (json_is_real(v)) {
        *ms = (int64_t)llround(json_real_value(v) * 1000.0);
        return T_S_FRACTION;
    }
    const char *s = json_string_value(v);
    struct tm tm = {0};
    int msec = 0;
    char mon[4] = "";
    if (s == NULL)
        return T_NONE;
    if (strspn(s, "0123456789") == strlen(s) && strlen(s) >= 12) {
        *ms = strtoll(s, NULL, 10);
        return T_MS_TEXT;
    }
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &msec) == 7 ||
        sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) == 6) {
        time_form form = strchr(s, '.') ? T_ISO_MS : T_ISO;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        *ms = (int64_t)timegm(&tm) * 1000 + msec;
        return form;
    }
    if (sscanf(s, "%2d/%3s/%4d:%2d:%2d:%2d +0000", &tm.tm_mday, mon, &tm.tm_year, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) == 6) {
        for (int m = 0; m < 12; m++)
            if (strcmp(mon, months[m]) == 0)
                tm.tm_mon = m;
        tm.tm_year -= 1900;
        *ms = (int64_t)timegm(&tm) * 1000;
        return T_CLF;
    }
    return T_NONE;
}

static json_t *write_time(time_form form, int64_t ms)
{
    time_t seconds = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&seconds, &tm);
    char text[64];
    switch (form) {
    case T_MS: return json_integer(ms);
    case T_S: return json_integer(ms / 1000);
    case T_S_FRACTION: return json_real((double)ms / 1000.0);
    case T_MS_TEXT: snprintf(text, sizeof text, "%lld", (long long)ms); break;
    case T_ISO_MS: lc_iso_timestamp(ms, text); break;
    case T_CLF:
        snprintf(text, sizeof text, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday,
                 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        break;
    default: strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm); break;
    }
    return json_string(text);
}

/* The earliest time below node (INT64_MAX when there is none). */
static int64_t earliest(const json_t *node)
{
    int64_t first = INT64_MAX, ms;
    const char *key;
    json_t *v;
    size_t i;
    json_t *item;
    if (json_is_array(node))
        json_array_foreach(node, i, item)
        {
            int64_t t = earliest(item);
            first = t < first ? t : first;
        }
    json_object_foreach((json_t *)node, key, v)
    {
        int64_t t = listed(key, time_keys) && read_time(v, &ms) != T_NONE ? ms : earliest(v);
        first = t < first ? t : first;
    }
    return first;
}

/* Moves every time below node by shift_ms, each in its own form. */
static void shift_times(json_t *node, int64_t shift_ms)
{
    const char *key;
    json_t *v;
    size_t i;
    json_t *item;
    int64_t ms;
    if (json_is_array(node))
        json_array_foreach(node, i, item) shift_times(item, shift_ms);
    json_object_foreach(node, key, v)
    {
        time_form form = listed(key, time_keys) ? read_time(v, &ms) : T_NONE;
        if (form != T_NONE)
            json_object_set_new(node, key, write_time(form, ms + shift_ms));
        else
            shift_times(v, shift_ms);
    }
}

/* Fresh ids; the earliest time becomes now_ms, the others keep their distance to it. */
static void refresh(json_t *event, int64_t now_ms)
{
    fresh_ids(event);
    int64_t first = earliest(event);
    if (first != INT64_MAX)
        shift_times(event, now_ms - first);
}

/* --- CloudWatch Logs: awslogs.data is gzipped, base64-encoded JSON ------------------------------ */

static json_t *gunzip_json(const char *b64)
{
    lc_buf packed, plain;
    lc_buf_init(&packed, 0);
    lc_buf_init(&plain, 16u * 1024 * 1024);
    json_t *doc = NULL;
    z_stream z = {0};
    if (b64 && lc_buf_base64_decode(&packed, b64, strlen(b64)) == LC_OK &&
        inflateInit2(&z, 16 + MAX_WBITS) == Z_OK) {
        z.next_in = (unsigned char *)packed.data;
        z.avail_in = (unsigned)packed.len;
        int rc = Z_OK;
        while (rc == Z_OK) {
            unsigned char chunk[16384];
            z.next_out = chunk;
            z.avail_out = sizeof chunk;
            rc = inflate(&z, Z_NO_FLUSH);
            if (lc_buf_append(&plain, chunk, sizeof chunk - z.avail_out) != LC_OK)
                rc = Z_MEM_ERROR;
        }
        inflateEnd(&z);
        if (rc == Z_STREAM_END)
            doc = json_loadb(plain.data, plain.len, 0, NULL);
    }
    lc_buf_free(&packed);
    lc_buf_free(&plain);
    return doc;
}

static json_t *gzip_json(const json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    z_stream z = {0};
    json_t *out = NULL;
    if (text && deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK) {
        uLong bound = deflateBound(&z, (uLong)strlen(text));
        unsigned char *packed = malloc(bound);
        z.next_in = (unsigned char *)text;
        z.avail_in = (unsigned)strlen(text);
        z.next_out = packed;
        z.avail_out = (unsigned)bound;
        if (packed && deflate(&z, Z_FINISH) == Z_STREAM_END) {
            lc_buf b64;
            lc_buf_init(&b64, 0);
            lc_buf_base64_encode(&b64, (const char *)packed, z.total_out);
            out = json_stringn(b64.data ? b64.data : "", b64.len);
            lc_buf_free(&b64);
        }
        deflateEnd(&z);
        free(packed);
    }
    free(text);
    return out;
}

/* --- batches ------------------------------------------------------------------------------------ */

/* The list of records of a batch event (for Kafka its first topic's, for RabbitMQ its first
 * queue's), or NULL. */
static json_t *records(json_t *event)
{
    static const char *const keys[] = {"Records", "records",   "messages",
                                       "tasks",   "logEvents", "rmqMessagesByQueue"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        json_t *r = json_object_get(event, keys[i]);
        if (json_is_array(r))
            return r;
        if (json_is_object(r)) /* Kafka: {"topic-partition": [records]} */
            return json_object_iter_value(json_object_iter(r));
    }
    return NULL;
}

/* ActiveMQ message ids end in a counter ("ID:b-...-4:1:1:1:1"): the i-th copy counts on. */
static void number_message_id(json_t *rec, int i)
{
    const char *id = json_string_value(json_object_get(rec, "messageID"));
    size_t len = id ? strlen(id) : 0, digits = 0;
    while (digits < len && digits < 9 && isdigit((unsigned char)id[len - 1 - digits]))
        digits++;
    if (digits == 0 || i == 0)
        return;
    long counter = strtol(id + len - digits, NULL, 10) + i;
    char *numbered = malloc(len + 16);
    if (numbered) {
        snprintf(numbered, len + 16, "%.*s%ld", (int)(len - digits), id, counter);
        json_object_set_new(rec, "messageID", json_string(numbered));
        free(numbered);
    }
}

static void resize_batch(json_t *event, int count)
{
    json_t *list = records(event);
    if (!json_is_array(list) || json_array_size(list) == 0 || count <= 0)
        return;
    json_t *first = json_deep_copy(json_array_get(list, 0));
    json_array_clear(list);
    json_t *offset = json_object_get(first, "offset"); /* Kafka: consecutive offsets */
    json_int_t first_offset = json_is_integer(offset) ? json_integer_value(offset) : 0;
    for (int i = 0; i < count; i++) {
        json_t *rec = json_deep_copy(first);
        if (json_is_integer(offset))
            json_object_set_new(rec, "offset", json_integer(first_offset + i));
        number_message_id(rec, i);
        json_array_append_new(list, rec);
    }
    json_decref(first);
}

/* --- parameters --------------------------------------------------------------------------------- */

static json_t *base64_of(const char *text)
{
    lc_buf b;
    lc_buf_init(&b, 0);
    lc_buf_base64_encode(&b, text, strlen(text));
    json_t *s = json_stringn(b.data ? b.data : "", b.len);
    lc_buf_free(&b);
    return s;
}

json_t *lc_event_md5_of_body(const char *body)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1] = "";
    EVP_Digest(body, strlen(body), digest, &n, EVP_md5(), NULL);
    for (unsigned int i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    return json_string(hex);
}

/* Sets path in every record of a batch (takes value). */
static void set_in_records(json_t *event, const char *path, json_t *value)
{
    size_t i;
    json_t *rec;
    json_array_foreach(records(event), i, rec)
    {
        json_t *node = rec;
        lc_json_set_path(&node, path, json_deep_copy(value), NULL);
    }
    json_decref(value);
}

static void set(json_t *event, const char *path, json_t *value)
{
    lc_json_set_path(&event, path, value, NULL);
}

static lc_status apply_body(lc_event_source s, json_t *e, const char *body, lc_error *err)
{
    switch (s) {
    case LC_SOURCE_SQS:
        set_in_records(e, "body", json_string(body));
        set_in_records(e, "md5OfBody", lc_event_md5_of_body(body));
        break;
    case LC_SOURCE_SNS: set_in_records(e, "Sns.Message", json_string(body)); break;
    case LC_SOURCE_KINESIS: set_in_records(e, "kinesis.data", base64_of(body)); break;
    case LC_SOURCE_FIREHOSE: set_in_records(e, "data", base64_of(body)); break;
    case LC_SOURCE_KAFKA: set_in_records(e, "value", base64_of(body)); break;
    case LC_SOURCE_MQ: set_in_records(e, "data", base64_of(body)); break;
    case LC_SOURCE_CLOUDWATCH_LOGS: set_in_records(e, "message", json_string(body)); break;
    case LC_SOURCE_EVENTBRIDGE: {
        json_t *detail = json_loads(body, 0, NULL);
        if (!json_is_object(detail)) {
            json_decref(detail);
            return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                                "an EventBridge event's body is its detail: a JSON object");
        }
        set(e, "detail", detail);
        break;
    }
    default:
        set(e, "body", json_string(body));
        set(e, "isBase64Encoded", json_false());
        break;
    }
    return LC_OK;
}

static void apply_rest_route(json_t *e, const char *method, const char *path)
{
    if (method) {
        set(e, "httpMethod", json_string(method));
        set(e, "requestContext.httpMethod", json_string(method));
    }
    if (path) {
        const char *stage = json_string_value(json_object_get(json_object_get(e, "requestContext"),
                                                              "stage"));
        char staged[700];
        snprintf(staged, sizeof staged, "/%s%s", stage ? stage : "prod", path);
        set(e, "path", json_string(path));
        set(e, "resource", json_string(path));
        set(e, "requestContext.path", json_string(staged));
        set(e, "requestContext.resourcePath", json_string(path));
        set(e, "pathParameters", json_null());
    }
}

static void apply_route(lc_event_source s, json_t *e, const char *method, const char *path)
{
    const char *m = method ? method : "GET", *p = path ? path : "/";
    char route[600];
    snprintf(route, sizeof route, "%s %s", m, p);
    if (s == LC_SOURCE_APIGATEWAY_REST) {
        apply_rest_route(e, method, path);
    } else if (s == LC_SOURCE_ALB) {
        if (method)
            set(e, "httpMethod", json_string(method));
        if (path)
            set(e, "path", json_string(path));
    } else {
        if (method)
            set(e, "requestContext.http.method", json_string(method));
        if (path) {
            set(e, "rawPath", json_string(path));
            set(e, "requestContext.http.path", json_string(path));
        }
        if (s == LC_SOURCE_APIGATEWAY_HTTP) {
            set(e, "routeKey", json_string(route));
            set(e, "requestContext.routeKey", json_string(route));
        }
    }
}

/* An object key as S3 writes it in its events: URL-encoded, a space as '+', '/' kept. */
static json_t *s3_encoded(const char *key)
{
    lc_buf out;
    lc_buf_init(&out, 0);
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        if (isalnum(*p) || strchr("-_.*/", *p))
            lc_buf_append(&out, (const char *)p, 1);
        else if (*p == ' ')
            lc_buf_puts(&out, "+");
        else
            lc_buf_printf(&out, "%%%02X", *p);
    }
    json_t *s = json_stringn(out.data ? out.data : "", out.len);
    lc_buf_free(&out);
    return s;
}

static void apply_object(lc_event_source s, json_t *e, const char *bucket, const char *key)
{
    char arn[512];
    if (bucket)
        snprintf(arn, sizeof arn, "arn:aws:s3:::%s", bucket);
    if (s == LC_SOURCE_S3_BATCH) {
        if (bucket)
            set_in_records(e, "s3BucketArn", json_string(arn));
        if (key)
            set_in_records(e, "s3Key", s3_encoded(key));
        return;
    }
    if (bucket) {
        set_in_records(e, "s3.bucket.name", json_string(bucket));
        set_in_records(e, "s3.bucket.arn", json_string(arn));
    }
    if (key)
        set_in_records(e, "s3.object.key", s3_encoded(key));
}

/* --- the event ---------------------------------------------------------------------------------- */

/* Refuses a parameter the source does not take, naming the ones it does. */
static lc_status check_params(lc_event_source s, const lc_event_params *p, lc_error *err)
{
    static const struct {
        unsigned kind;
        const char *option;
    } names[] = {{LC_PARAM_COUNT, "--count"},
                 {LC_PARAM_BODY, "--body"},
                 {LC_PARAM_ROUTE, "--method"},
                 {LC_PARAM_ROUTE, "--path"},
                 {LC_PARAM_OBJECT, "--bucket"},
                 {LC_PARAM_OBJECT, "--key"}};
    const bool given[] = {p->count > 0, p->body != NULL,   p->method != NULL,
                          p->path != NULL, p->bucket != NULL, p->key != NULL};
    unsigned takes = params_of(s);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (!given[i] || (takes & names[i].kind))
            continue;
        char list[200] = "";
        size_t n = 0;
        for (size_t k = 0; k < sizeof names / sizeof *names; k++)
            if (takes & names[k].kind)
                n += (size_t)snprintf(list + n, sizeof list - n, "%s, ", names[k].option);
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "%s does not apply to %s events (they take %s--set)", names[i].option,
                            lc_event_source_name(s), list);
    }
    return LC_OK;
}

/* CloudWatch Logs: the parameters apply inside the compressed data. */
static lc_status generate_logs(json_t *e, const lc_event_params *p, int64_t now, lc_error *err)
{
    json_t *data = gunzip_json(json_string_value(json_object_get(json_object_get(e, "awslogs"),
                                                                 "data")));
    if (data == NULL)
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "the sample's awslogs.data is not gzipped, base64-encoded JSON");
    if (p->count > 0)
        resize_batch(data, p->count);
    refresh(data, now);
    lc_status st = p->body ? apply_body(LC_SOURCE_CLOUDWATCH_LOGS, data, p->body, err) : LC_OK;
    json_t *packed = st == LC_OK ? gzip_json(data) : NULL;
    json_decref(data);
    if (st == LC_OK && packed == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "cannot compress the log events");
    if (packed)
        set(e, "awslogs.data", packed);
    return st;
}

lc_status lc_event_generate(lc_event_source source, const json_t *sample,
                            const lc_event_params *params, json_t **out, lc_error *err)
{
    *out = NULL;
    if (source == LC_SOURCE_UNKNOWN || sample == NULL)
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "no sample to generate from");
    const lc_event_params none = {0};
    const lc_event_params *p = params ? params : &none;
    lc_status st = check_params(source, p, err);
    if (st != LC_OK)
        return st;
    json_t *e = json_deep_copy(sample);
    int64_t now = lc_now_ms();
    if (source == LC_SOURCE_CLOUDWATCH_LOGS) {
        st = generate_logs(e, p, now, err);
    } else {
        if (p->count > 0)
            resize_batch(e, p->count);
        refresh(e, now);
        if (p->body)
            st = apply_body(source, e, p->body, err);
        if (p->method || p->path)
            apply_route(source, e, p->method, p->path);
        if (p->bucket || p->key)
            apply_object(source, e, p->bucket, p->key);
    }
    if (st != LC_OK) {
        json_decref(e);
        return st;
    }
    *out = e;
    return LC_OK;
}

/* --- assignments that keep HTTP events' twin maps in step ----------------------------------------- */

/* The single-value maps of REST and ALB events and their multi-value twins. */
static const char *const twin_maps[][2] = {
    {"headers", "multiValueHeaders"},
    {"queryStringParameters", "multiValueQueryStringParameters"}};

/* After "MAP.NAME=..." was assigned: MAP's twin gets NAME as a one-item list. An event that had
 * only the twin (an ALB target group with multi-value headers) keeps only the twin. Header and
 * query values are text: a number or boolean becomes the text given, null removes the name. */
static void sync_twin(json_t *event, const char *single_map, json_t *twin, const char *name,
                      const char *text, bool single_was_there)
{
    json_t *single = json_object_get(event, single_map);
    json_t *value = json_object_get(single, name);
    if (json_is_number(value) || json_is_boolean(value)) /* headers=3: the text "3" */
        json_object_set_new(single, name, json_string(text));
    value = json_object_get(single, name);
    if (json_is_string(value))
        json_object_set_new(twin, name, json_pack("[O]", value));
    else if (json_is_null(value))
        json_object_del(twin, name);
    if (!single_was_there)
        json_object_del(event, single_map);
}

lc_status lc_event_assign_synced(json_t **event, const char *assignment, lc_error *err)
{
    const char *eq = strchr(assignment, '=');
    const char *single_map = NULL, *twin_map = NULL;
    for (size_t i = 0; eq && i < sizeof twin_maps / sizeof *twin_maps; i++) {
        size_t n = strlen(twin_maps[i][0]);
        if (strncmp(assignment, twin_maps[i][0], n) == 0 && assignment[n] == '.' &&
            json_is_object(json_object_get(*event, twin_maps[i][1]))) {
            single_map = twin_maps[i][0];
            twin_map = twin_maps[i][1];
        }
    }
    bool single_was_there = single_map && json_object_get(*event, single_map) != NULL;
    lc_status st = lc_event_assign(event, assignment, err);
    if (st != LC_OK || single_map == NULL)
        return st;
    const char *name_start = assignment + strlen(single_map) + 1;
    char *name = strndup(name_start, (size_t)(eq - name_start));
    if (name == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    sync_twin(*event, single_map, json_object_get(*event, twin_map), name, eq + 1,
              single_was_there);
    free(name);
    return LC_OK;
}
