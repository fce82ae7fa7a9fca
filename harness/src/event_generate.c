/* Generated events (part of the event module): a sample of a source made fresh. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/context.h"
#include "lambdacheck/event.h"
#include "lambdacheck/json_util.h"

/* --- fresh values ---------------------------------------------------------------------------- */

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

static const char *const uuid_keys[] = {"messageId", "MessageId", "requestId", "eventID", "id",
                                        NULL};
static const char *const iso_keys[] = {"eventTime", "time", "timestamp", "Timestamp", NULL};
static const char *const epoch_ms_keys[] = {"timeEpoch", "requestTimeEpoch",
                                            "approximateArrivalTimestamp", NULL};
/* SQS writes its epoch milliseconds as strings */
static const char *const epoch_ms_text_keys[] = {"SentTimestamp", "ApproximateFirstReceiveTimestamp",
                                                 NULL};

static bool listed(const char *key, const char *const *keys)
{
    for (; *keys; keys++)
        if (strcmp(key, *keys) == 0)
            return true;
    return false;
}

/* Gives every id and time field below node a fresh value, keeping each field's type. */
static void refresh(json_t *node, int64_t now_ms)
{
    char iso[32];
    lc_iso_timestamp(now_ms, iso);
    const char *key;
    json_t *v;
    size_t i;
    json_t *item;
    if (json_is_array(node))
        json_array_foreach(node, i, item) refresh(item, now_ms);
    json_object_foreach(node, key, v)
    {
        if (json_is_string(v) && listed(key, uuid_keys))
            json_object_set_new(node, key, fresh_uuid());
        else if (json_is_string(v) && listed(key, iso_keys))
            json_object_set_new(node, key, json_string(iso));
        else if (json_is_integer(v) && listed(key, epoch_ms_keys))
            json_object_set_new(node, key, json_integer(now_ms));
        else if (json_is_string(v) && listed(key, epoch_ms_text_keys)) {
            char ms[32];
            snprintf(ms, sizeof ms, "%lld", (long long)now_ms);
            json_object_set_new(node, key, json_string(ms));
        }
        else if (json_is_string(v) && (strcmp(key, "sequenceNumber") == 0 ||
                                       strcmp(key, "SequenceNumber") == 0))
            json_object_set_new(node, key, fresh_digits(strlen(json_string_value(v))));
        else if (json_is_string(v) && strcmp(key, "recordId") == 0)
            json_object_set_new(node, key, fresh_digits(56));
        else
            refresh(v, now_ms);
    }
}

/* --- batches ------------------------------------------------------------------------------------ */

/* The list of records of a batch event, or NULL. */
static json_t *records(json_t *event)
{
    json_t *r = json_object_get(event, "Records");
    return r ? r : json_object_get(event, "records");
}

static void resize_batch(json_t *event, int count)
{
    json_t *list = records(event);
    if (!json_is_array(list) || json_array_size(list) == 0 || count <= 0)
        return;
    json_t *first = json_deep_copy(json_array_get(list, 0));
    json_array_clear(list);
    for (int i = 0; i < count; i++)
        json_array_append_new(list, json_deep_copy(first));
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

/* The MD5 of text in hex, as SQS gives md5OfBody. */
static json_t *md5_hex(const char *text)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1] = "";
    EVP_Digest(text, strlen(text), digest, &n, EVP_md5(), NULL);
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

static void apply_body(lc_event_source s, json_t *e, const char *body)
{
    switch (s) {
    case LC_SOURCE_APIGATEWAY_REST:
    case LC_SOURCE_APIGATEWAY_HTTP:
    case LC_SOURCE_FUNCTION_URL:
    case LC_SOURCE_ALB:
        set(e, "body", json_string(body));
        set(e, "isBase64Encoded", json_false());
        break;
    case LC_SOURCE_SQS:
        set_in_records(e, "body", json_string(body));
        set_in_records(e, "md5OfBody", md5_hex(body));
        break;
    case LC_SOURCE_SNS: set_in_records(e, "Sns.Message", json_string(body)); break;
    case LC_SOURCE_KINESIS: set_in_records(e, "kinesis.data", base64_of(body)); break;
    case LC_SOURCE_FIREHOSE: set_in_records(e, "data", base64_of(body)); break;
    default: break;
    }
}

static void apply_route(lc_event_source s, json_t *e, const char *method, const char *path)
{
    const char *m = method ? method : "GET", *p = path ? path : "/";
    char route[600];
    snprintf(route, sizeof route, "%s %s", m, p);
    if (s == LC_SOURCE_APIGATEWAY_REST || s == LC_SOURCE_ALB) {
        if (method)
            set(e, "httpMethod", json_string(method));
        if (path)
            set(e, "path", json_string(path));
        if (method && s == LC_SOURCE_APIGATEWAY_REST)
            set(e, "requestContext.httpMethod", json_string(method));
    } else if (s == LC_SOURCE_APIGATEWAY_HTTP || s == LC_SOURCE_FUNCTION_URL) {
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

static void apply_object(json_t *e, const char *bucket, const char *key)
{
    if (bucket) {
        char arn[512];
        snprintf(arn, sizeof arn, "arn:aws:s3:::%s", bucket);
        set_in_records(e, "s3.bucket.name", json_string(bucket));
        set_in_records(e, "s3.bucket.arn", json_string(arn));
    }
    if (key)
        set_in_records(e, "s3.object.key", json_string(key));
}

lc_status lc_event_generate(lc_event_source source, const json_t *sample,
                            const lc_event_params *params, json_t **out, lc_error *err)
{
    *out = NULL;
    if (source == LC_SOURCE_UNKNOWN || sample == NULL)
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "no sample to generate from");
    json_t *e = json_deep_copy(sample);
    const lc_event_params none = {0};
    const lc_event_params *p = params ? params : &none;
    if (p->count > 0)
        resize_batch(e, p->count);
    refresh(e, lc_now_ms());
    if (p->body)
        apply_body(source, e, p->body);
    if (p->method || p->path)
        apply_route(source, e, p->method, p->path);
    if (source == LC_SOURCE_S3)
        apply_object(e, p->bucket, p->key);
    *out = e;
    return LC_OK;
}

