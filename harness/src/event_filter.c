/* Lambda's event filtering: patterns checked once, then matched against records. See
 * lambdacheck/event_filter.h. */
#include "lambdacheck/event_filter.h"

#include <ctype.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lambdacheck/json_util.h"

#define MAX_DEPTH 1000 /* nesting of patterns: a guard; 4096 characters cannot reach it */

struct lc_event_filter {
    json_t *pattern; /* owned, checked */
};

/* --- checking a pattern ----------------------------------------------------------------------- */

/* Cuts a path being built back to its first n bytes. */
static void cut_path(lc_buf *path, size_t n)
{
    path->len = n;
    if (path->data)
        path->data[n] = '\0';
}

typedef struct {
    const char *where;
    lc_error *err;
} checker;

static lc_status bad(const checker *c, const lc_buf *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static lc_status bad(const checker *c, const lc_buf *path, const char *fmt, ...)
{
    char text[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return lc_error_set(c->err, LC_EINVAL, NULL, 0, 0, "%s: %s%s%s", c->where,
                        path->len ? path->data + (path->data[0] == '.') : "the pattern",
                        path->len ? ": " : " ", text);
}

static lc_status check_numeric(const checker *c, const lc_buf *path, const json_t *v)
{
    size_t n = json_array_size(v);
    if (!json_is_array(v) || (n != 2 && n != 4))
        return bad(c, path, "numeric takes [OP, NUMBER] or a range [\">\", A, \"<=\", B]");
    double bounds[2] = {0, 0};
    const char *ops[2] = {"", ""};
    for (size_t i = 0; i < n; i += 2) {
        const char *op = json_string_value(json_array_get(v, i));
        const json_t *num = json_array_get(v, i + 1);
        if (op == NULL || (strcmp(op, "<") && strcmp(op, "<=") && strcmp(op, "=") &&
                           strcmp(op, ">") && strcmp(op, ">=")))
            return bad(c, path, "numeric's operators are <, <=, =, >, >=, not %s",
                       op ? op : "a non-string");
        if (!json_is_number(num))
            return bad(c, path, "numeric compares with numbers: %s is not one",
                       op); /* names the operator whose operand is wrong */
        ops[i / 2] = op;
        bounds[i / 2] = json_number_value(num);
    }
    if (n == 4) {
        bool lower = ops[0][0] == '>', upper = ops[1][0] == '<';
        if (!lower || !upper)
            return bad(c, path,
                       "a numeric range is a lower bound (> or >=) then an upper one (< "
                       "or <=)");
        if (bounds[0] >= bounds[1])
            return bad(c, path, "a numeric range's lower bound must be below its upper one");
    }
    return LC_OK;
}

static bool is_scalar(const json_t *v)
{
    return json_is_string(v) || json_is_number(v) || json_is_boolean(v) || json_is_null(v);
}

static lc_status check_rule(const checker *c, lc_buf *path, const json_t *rule)
{
    if (is_scalar(rule))
        return LC_OK;
    if (!json_is_object(rule) || json_object_size(rule) != 1)
        return bad(c, path,
                   "a rule is a value or an object with one operator (prefix, suffix, "
                   "equals-ignore-case, anything-but, numeric, exists)");
    const char *op = json_object_iter_key(json_object_iter((json_t *)rule));
    const json_t *v = json_object_iter_value(json_object_iter((json_t *)rule));
    if (strcmp(op, "prefix") == 0 || strcmp(op, "suffix") == 0 ||
        strcmp(op, "equals-ignore-case") == 0)
        return json_is_string(v) ? LC_OK : bad(c, path, "%s takes a string", op);
    if (strcmp(op, "exists") == 0)
        return json_is_boolean(v) ? LC_OK : bad(c, path, "exists takes true or false");
    if (strcmp(op, "numeric") == 0)
        return check_numeric(c, path, v);
    if (strcmp(op, "anything-but") == 0) {
        if (json_is_string(v) || json_is_number(v))
            return LC_OK;
        if (!json_is_array(v) || json_array_size(v) == 0)
            return bad(c, path, "anything-but takes a value or a list of values");
        size_t i;
        const json_t *item;
        json_array_foreach(
            v, i, item) if (!json_is_string(item) &&
                            !json_is_number(
                                item)) return bad(c, path,
                                                  "anything-but's list holds strings or numbers");
        return LC_OK;
    }
    return bad(c, path,
               "\"%s\" is not an operator of Lambda's event filtering (prefix, suffix, "
               "equals-ignore-case, anything-but, numeric, exists)",
               op);
}

static lc_status check_pattern(const checker *c, lc_buf *path, const json_t *p, int depth);

static lc_status check_or(const checker *c, lc_buf *path, const json_t *list, int depth)
{
    if (!json_is_array(list) || json_array_size(list) < 2)
        return bad(c, path, "$or takes a list of two or more patterns");
    size_t i, mark = path->len;
    const json_t *item;
    json_array_foreach(list, i, item)
    {
        lc_buf_printf(path, "[%zu]", i);
        if (!json_is_object(item))
            return bad(c, path, "each of $or's patterns is an object");
        lc_status st = check_pattern(c, path, item, depth + 1);
        cut_path(path, mark);
        if (st != LC_OK)
            return st;
    }
    return LC_OK;
}

static lc_status check_pattern(const checker *c, lc_buf *path, const json_t *p, int depth)
{
    if (depth > MAX_DEPTH)
        return bad(c, path, "the pattern nests deeper than %d levels", MAX_DEPTH);
    if (json_object_size(p) == 0)
        return bad(c, path, "a pattern names at least one field");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)p, key, v)
    {
        size_t mark = path->len;
        if (strcmp(key, "$or") == 0) {
            lc_status st = check_or(c, path, v, depth);
            if (st != LC_OK)
                return st;
            continue;
        }
        lc_json_path_key(path, key);
        lc_status st = LC_OK;
        if (json_is_object(v))
            st = check_pattern(c, path, v, depth + 1);
        else if (!json_is_array(v))
            st = bad(c, path,
                     "a field's rules are a list ([\"value\"], [{\"prefix\": \"a\"}]), "
                     "or a nested pattern");
        else if (json_array_size(v) == 0)
            st = bad(c, path, "a field's list of rules is empty: it would match nothing");
        else {
            size_t i, inner = path->len;
            const json_t *rule;
            json_array_foreach(v, i, rule)
            {
                lc_buf_printf(path, "[%zu]", i);
                st = check_rule(c, path, rule);
                cut_path(path, inner);
                if (st != LC_OK)
                    break;
            }
        }
        cut_path(path, mark);
        if (st != LC_OK)
            return st;
    }
    return LC_OK;
}

/* --- reading a pattern: duplicate keys merge ---------------------------------------------------
 * "If a pattern contains duplicate keys with different values, Lambda uses only the last value for
 * that key", path by path: two "dynamodb" objects, one naming NewImage and one OldImage, filter
 * on both (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb-filtering.html). So objects are
 * read here, merging a repeated key whose values are both objects; jansson reads the rest. */

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static json_t *read_value(const char **at, int depth);

/* Merges value into obj[key]: objects key by key, anything else replaces. Takes value. */
static void merge_key(json_t *obj, const char *key, json_t *value)
{
    json_t *old = json_object_get(obj, key);
    if (json_is_object(old) && json_is_object(value)) {
        const char *k;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(value, tmp, k, v) merge_key(old, k, json_incref(v));
        json_decref(value);
        return;
    }
    json_object_set_new(obj, key, value);
}

static json_t *read_object(const char **at, int depth)
{
    const char *p = skip_space(*at + 1);
    json_t *obj = json_object();
    if (*p == '}') {
        *at = p + 1;
        return obj;
    }
    for (;;) {
        json_error_t e;
        json_t *key = *p == '"'
                          ? json_loadb(p, strlen(p), JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &e)
                          : NULL;
        if (!json_is_string(key)) {
            json_decref(key);
            break;
        }
        p = skip_space(p + e.position);
        json_t *value = *p == ':' ? (p = skip_space(p + 1), read_value(&p, depth + 1)) : NULL;
        if (value == NULL) {
            json_decref(key);
            break;
        }
        merge_key(obj, json_string_value(key), value);
        json_decref(key);
        p = skip_space(p);
        if (*p == '}') {
            *at = p + 1;
            return obj;
        }
        if (*p != ',')
            break;
        p = skip_space(p + 1);
    }
    json_decref(obj);
    return NULL;
}

static json_t *read_value(const char **at, int depth)
{
    const char *p = skip_space(*at);
    if (depth > MAX_DEPTH)
        return NULL;
    if (*p == '{') {
        *at = p;
        return read_object(at, depth);
    }
    json_error_t e;
    json_t *v = json_loadb(p, strlen(p), JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &e);
    if (v)
        *at = p + e.position;
    return v;
}

/* The pattern's JSON, duplicate keys merged; NULL (and jansson's reason in why) when it is not. */
static json_t *read_pattern(const char *text, char *why, size_t size)
{
    json_error_t jerr;
    json_t *strict = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (strict || strstr(jerr.text, "duplicate") == NULL) {
        snprintf(why, size, "%s", jerr.text);
        return strict;
    }
    const char *p = text;
    json_t *v = read_value(&p, 0);
    if (v && *skip_space(p) != '\0') {
        json_decref(v);
        v = NULL;
    }
    snprintf(why, size, "%s", v ? "" : jerr.text);
    return v;
}

lc_status lc_event_filter_parse(const char *pattern, const char *where, lc_event_filter **out,
                                lc_error *err)
{
    *out = NULL;
    where = where ? where : "pattern";
    size_t chars = 0;
    for (const char *p = pattern; *p; p++)
        chars += ((unsigned char)*p & 0xc0) != 0x80;
    if (chars > LC_FILTER_PATTERN_MAX)
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "%s: the pattern has %zu characters; Lambda takes at most %d", where,
                            chars, LC_FILTER_PATTERN_MAX);
    char why[200];
    json_t *p = read_pattern(pattern, why, sizeof why);
    if (!json_is_object(p)) {
        json_decref(p);
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "%s: the pattern is not a JSON object%s%s (Lambda answers "
                            "InvalidParameterValueException: Invalid filter pattern definition.)",
                            where, p ? "" : ": ", p ? "" : why);
    }
    checker c = {.where = where, .err = err};
    lc_buf path;
    lc_buf_init(&path, 2000);
    lc_status st = check_pattern(&c, &path, p, 0);
    lc_buf_free(&path);
    if (st != LC_OK) {
        json_decref(p);
        return st;
    }
    lc_event_filter *f = calloc(1, sizeof *f);
    if (f == NULL) {
        json_decref(p);
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    }
    f->pattern = p;
    *out = f;
    return LC_OK;
}

void lc_event_filter_free(lc_event_filter *f)
{
    if (f == NULL)
        return;
    json_decref(f->pattern);
    free(f);
}

/* --- matching --------------------------------------------------------------------------------- */

static bool numeric_holds(const json_t *cond, double x)
{
    for (size_t i = 0; i + 1 < json_array_size(cond); i += 2) {
        const char *op = json_string_value(json_array_get(cond, i));
        double n = json_number_value(json_array_get(cond, i + 1));
        bool ok = strcmp(op, "<") == 0    ? x < n
                  : strcmp(op, "<=") == 0 ? x <= n
                  : strcmp(op, "=") == 0  ? x == n
                  : strcmp(op, ">") == 0  ? x > n
                                          : x >= n;
        if (!ok)
            return false;
    }
    return true;
}

/* Literal equality. Numbers are compared as Lambda compares them, by their representation
 * ("300, 300.0, and 3.0e2 are not considered equal"): here an integer never equals a fraction;
 * 300.0 and 3.0e2 are both the fraction 300 once parsed, so they do equal each other. */
static bool same_value(const json_t *a, const json_t *b)
{
    return json_equal((json_t *)a, (json_t *)b);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* Whether one value (v NULL: the field is absent) satisfies one rule. */
static bool rule_holds(const json_t *rule, const json_t *v)
{
    if (!json_is_object(rule))
        return v && same_value(rule, v);
    const char *op = json_object_iter_key(json_object_iter((json_t *)rule));
    const json_t *arg = json_object_iter_value(json_object_iter((json_t *)rule));
    if (strcmp(op, "exists") == 0) /* leaves only: a key holding an object "does not exist" */
        return json_is_true(arg) ? v != NULL && !json_is_object(v) : v == NULL || json_is_object(v);
    if (v == NULL)
        return false;
    const char *s = json_string_value(v);
    if (strcmp(op, "prefix") == 0)
        return s && strncmp(s, json_string_value(arg), strlen(json_string_value(arg))) == 0;
    if (strcmp(op, "suffix") == 0)
        return s && ends_with(s, json_string_value(arg));
    if (strcmp(op, "equals-ignore-case") == 0)
        return s && strcasecmp(s, json_string_value(arg)) == 0;
    if (strcmp(op, "numeric") == 0)
        return json_is_number(v) && numeric_holds(arg, json_number_value(v));
    /* anything-but: a value that is none of them */
    if (json_is_object(v) || json_is_array(v))
        return false;
    if (!json_is_array(arg))
        return !same_value(arg, v);
    size_t i;
    const json_t *item;
    json_array_foreach(arg, i, item) if (same_value(item, v)) return false;
    return true;
}

/* Whether a field's value satisfies one of the rules: a list holds when one element does. */
static bool rules_hold(const json_t *rules, const json_t *v)
{
    size_t i, j;
    const json_t *rule, *item;
    json_array_foreach(rules, i, rule)
    {
        if (json_is_array(v) && !(json_is_object(rule) && json_object_get(rule, "exists"))) {
            json_array_foreach(v, j, item) if (rule_holds(rule, item)) return true;
        } else if (rule_holds(rule, json_is_array(v) && json_array_size(v) == 0 ? NULL : v))
            return true;
    }
    return false;
}

static bool pattern_holds(const json_t *p, const json_t *v, lc_buf *path, lc_buf *why);

/* The reason a field did not hold, once (the first). */
static void say(lc_buf *why, const lc_buf *path, const json_t *rules, const json_t *v)
{
    if (why == NULL || why->len)
        return;
    char *rules_text = lc_json_brief(rules, 200);
    char *value_text = v ? lc_json_brief(v, 200) : NULL;
    lc_buf_printf(why, "%s: %s %s %s",
                  path->len ? path->data + (path->data[0] == '.') : "the record",
                  v ? value_text : "absent,", v ? "holds none of" : "which none of", rules_text);
    if (v == NULL)
        lc_buf_puts(why, " allows");
    free(rules_text);
    free(value_text);
}

static bool field_holds(const char *key, const json_t *want, const json_t *v, lc_buf *path,
                        lc_buf *why)
{
    size_t mark = path->len;
    lc_json_path_key(path, key);
    bool ok;
    if (json_is_object(want) && json_is_array(v)) {
        /* a list of objects: the pattern holds when it holds for one of them */
        ok = false;
        size_t i;
        const json_t *item;
        lc_buf first;
        lc_buf_init(&first, 600);
        json_array_foreach(v, i, item) if (!ok && json_is_object(item)) ok =
            pattern_holds(want, item, path, first.len ? NULL : &first);
        if (!ok && why && why->len == 0)
            lc_buf_printf(why, "%s",
                          first.len ? first.data
                                    : "the pattern expects JSON objects, the list has none");
        lc_buf_free(&first);
    } else if (json_is_object(want) && v && !json_is_object(v)) {
        /* a JSON pattern for a value that is not JSON (an SQS body, Kinesis data that is plain
           text): Lambda drops the record */
        ok = false;
        if (why && why->len == 0) {
            char *text = lc_json_brief(v, 120);
            lc_buf_printf(why, "%s: the pattern expects a JSON object, the record has %s",
                          path->data + (path->data[0] == '.'), text);
            free(text);
        }
    } else if (json_is_object(want))
        ok = pattern_holds(want, v, path, why);
    else {
        ok = rules_hold(want, v);
        if (!ok)
            say(why, path, want, v);
    }
    cut_path(path, mark);
    return ok;
}

/* v NULL: the object is absent (a nested pattern below a field that is not there). */
static bool pattern_holds(const json_t *p, const json_t *v, lc_buf *path, lc_buf *why)
{
    const char *key;
    const json_t *want;
    json_object_foreach((json_t *)p, key, want)
    {
        if (strcmp(key, "$or") == 0) {
            bool any = false;
            size_t i;
            const json_t *alt;
            lc_buf none;
            lc_buf_init(&none, 400);
            json_array_foreach(want, i, alt) if (!any && pattern_holds(alt, v, path, &none)) any =
                true;
            if (!any && why && why->len == 0)
                lc_buf_printf(why, "none of $or's patterns holds (the first: %s)",
                              none.data ? none.data : "");
            lc_buf_free(&none);
            if (!any)
                return false;
            continue;
        }
        if (!field_holds(key, want, v ? json_object_get(v, key) : NULL, path, why))
            return false;
    }
    return true;
}

bool lc_event_filter_match(const lc_event_filter *f, const json_t *record, lc_buf *why)
{
    lc_buf path;
    lc_buf_init(&path, 2000);
    bool ok = pattern_holds(f->pattern, json_is_object(record) ? record : NULL, &path, why);
    lc_buf_free(&path);
    return ok;
}

/* --- records as Lambda's filters see them -------------------------------------------------- */

static json_t *parse_json_text(const char *text, size_t len)
{
    json_t *v = json_loadb(text, len, JSON_DECODE_ANY, NULL);
    if (v && !json_is_object(v) && !json_is_array(v)) {
        json_decref(v);
        v = NULL;
    }
    return v;
}

json_t *lc_event_filter_view(const json_t *record, bool *data_is_json)
{
    if (data_is_json)
        *data_is_json = false;
    json_t *view = json_deep_copy(record);
    const char *source = json_string_value(json_object_get(record, "eventSource"));
    if (view == NULL || source == NULL)
        return view;
    if (strcmp(source, "aws:sqs") == 0) {
        const json_t *body = json_object_get(record, "body");
        json_t *parsed = json_is_string(body)
                             ? parse_json_text(json_string_value(body), json_string_length(body))
                             : NULL;
        if (parsed) {
            json_object_set_new(view, "body", parsed);
            if (data_is_json)
                *data_is_json = true;
        }
    } else if (strcmp(source, "aws:kinesis") == 0 &&
               json_is_object(json_object_get(view, "kinesis"))) {
        /* Kinesis patterns name the fields of the record's kinesis object (partitionKey, data) */
        json_t *kinesis = json_incref(json_object_get(view, "kinesis"));
        json_decref(view);
        view = kinesis;
        const char *data = json_string_value(json_object_get(kinesis, "data"));
        lc_buf raw;
        lc_buf_init(&raw, 0);
        if (data && lc_buf_base64_decode(&raw, data, strlen(data)) == LC_OK) {
            json_t *parsed = raw.len ? parse_json_text(raw.data, raw.len) : NULL;
            if (parsed && data_is_json)
                *data_is_json = true;
            if (parsed == NULL && lc_utf8_valid(raw.data ? raw.data : "", raw.len))
                parsed = json_stringn(raw.data ? raw.data : "", raw.len);
            if (parsed)
                json_object_set_new(kinesis, "data", parsed);
        }
        lc_buf_free(&raw);
    }
    return view;
}

lc_status lc_event_filter_check_source(const lc_event_filter *f, const char *event_source,
                                       const char *where, lc_error *err)
{
    const char *key = event_source == NULL                        ? NULL
                      : strcmp(event_source, "aws:kinesis") == 0  ? "data"
                      : strcmp(event_source, "aws:dynamodb") == 0 ? "dynamodb"
                                                                  : NULL;
    const json_t *rules = key ? json_object_get(f->pattern, key) : NULL;
    if (rules == NULL || json_is_object(rules))
        return LC_OK;
    return lc_error_set(
        err, LC_EINVAL, NULL, 0, 0,
        "%s: the pattern for %s must be a JSON object of its fields: Lambda refuses "
        "a mapping whose pattern for a stream's data is not JSON "
        "(https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html)",
        where ? where : "pattern", key);
}

bool lc_event_filter_any(const lc_event_filter *const *filters, size_t n, const json_t *record)
{
    if (n == 0)
        return true;
    json_t *view = lc_event_filter_view(record, NULL);
    bool ok = false;
    for (size_t i = 0; i < n && !ok; i++)
        ok = lc_event_filter_match(filters[i], view, NULL);
    json_decref(view);
    return ok;
}
