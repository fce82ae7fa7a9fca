#include "lambdacheck/expect.h"

#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambdacheck/aws_endpoint.h"
#include "lambdacheck/buf.h"
#include "lambdacheck/json_util.h"

/* --- verdicts ---------------------------------------------------------------------------------- */

/* Appends a verdict whose message is text. */
static lc_verdict *append_verdict(lc_verdicts *v, const char *check, lc_check_state state,
                                  const char *text)
{
    lc_verdict *items = realloc(v->items, (v->count + 1) * sizeof *items);
    if (items == NULL)
        return NULL;
    v->items = items;
    lc_verdict *it = &items[v->count++];
    snprintf(it->check, sizeof it->check, "%s", check);
    it->state = state;
    it->note = false;
    snprintf(it->message, sizeof it->message, "%s", text);
    lc_utf8_sanitize(it->message); /* payloads and logs are bytes; reports are UTF-8 */
    return it;
}

static void add_verdict(lc_verdicts *v, const char *check, lc_check_state state, const char *fmt,
                        va_list ap) __attribute__((format(printf, 4, 0)));
static void add_verdict(lc_verdicts *v, const char *check, lc_check_state state, const char *fmt,
                        va_list ap)
{
    char text[sizeof v->items->message];
    vsnprintf(text, sizeof text, fmt, ap);
    append_verdict(v, check, state, text);
}

void lc_verdicts_add(lc_verdicts *v, const char *check, bool passed, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_verdict(v, check, passed ? LC_CHECK_PASSED : LC_CHECK_FAILED, fmt, ap);
    va_end(ap);
}

void lc_verdicts_not_checked(lc_verdicts *v, const char *check, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_verdict(v, check, LC_CHECK_NOT_CHECKED, fmt, ap);
    va_end(ap);
}

void lc_verdicts_note(lc_verdicts *v, const char *check, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t before = v->count;
    add_verdict(v, check, LC_CHECK_PASSED, fmt, ap);
    va_end(ap);
    if (v->count > before)
        v->items[v->count - 1].note = true;
}

void lc_verdicts_warn(lc_verdicts *v, const char *check, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_verdict(v, check, LC_CHECK_WARNED, fmt, ap);
    va_end(ap);
}

/* The check's name without an "invocations[N]." prefix. */
/* A check's name without the step it was made in ("invocations[1].", a mapping's "batches[2]."). */
static const char *bare_check(const char *name)
{
    const char *dot = strncmp(name, "invocations[", 12) == 0 || strncmp(name, "batches[", 8) == 0
                          ? strstr(name, "].")
                          : NULL;
    return dot ? dot + 2 : name;
}

void lc_verdicts_turn_off(lc_verdicts *v, size_t from, const char *check, const char *reason)
{
    bool found = false;
    for (size_t i = from; i < v->count; i++) {
        lc_verdict *it = &v->items[i];
        if (strcmp(bare_check(it->check), check) != 0)
            continue;
        char text[2 * sizeof it->message]; /* cut to the message's size, at a character */
        snprintf(text, sizeof text, "turned off: %s (it %s: %s)", reason,
                 it->state == LC_CHECK_FAILED ? "would have failed" : "found", it->message);
        memcpy(it->message, text, sizeof it->message - 1);
        it->message[sizeof it->message - 1] = '\0';
        lc_utf8_sanitize(it->message);
        it->state = LC_CHECK_OFF;
        found = true;
    }
    char text[sizeof v->items->message];
    snprintf(text, sizeof text, "turned off: %s (it did not apply here)", reason);
    if (!found)
        append_verdict(v, check, LC_CHECK_OFF, text);
}

void lc_verdicts_prefix(lc_verdicts *v, size_t from, const char *prefix)
{
    for (size_t i = from; i < v->count; i++) {
        char name[sizeof v->items[i].check];
        snprintf(name, sizeof name, "%s%s", prefix, v->items[i].check);
        memcpy(v->items[i].check, name, sizeof name);
    }
}

size_t lc_verdicts_count(const lc_verdicts *v, lc_check_state state)
{
    size_t n = 0;
    for (size_t i = 0; i < v->count; i++)
        n += v->items[i].state == state;
    return n;
}

size_t lc_verdicts_failed(const lc_verdicts *v)
{
    return lc_verdicts_count(v, LC_CHECK_FAILED);
}

void lc_verdicts_clear(lc_verdicts *v)
{
    free(v->items);
    v->items = NULL;
    v->count = 0;
}

/* --- validation -------------------------------------------------------------------------------- */

typedef enum { T_ANY, T_INTEGER, T_STRING, T_STRING_OR_NULL, T_STRINGS, T_REGEXES, T_BOOLEAN,
               T_TRUE, T_POSITIVE, T_OBJECT, T_AWS_CALLS, T_HTTP } value_kind;

static const struct {
    const char *key;
    value_kind kind;
    const char *wanted; /* for messages */
} expectations[] = {
    {"status", T_INTEGER, "an integer"},
    {"payload", T_ANY, "any JSON value"},
    {"payloadContains", T_ANY, "any JSON value"},
    {"payloadText", T_STRING, "a string"},
    {"body", T_ANY, "any JSON value"},
    {"bodyContains", T_ANY, "any JSON value"},
    {"functionError", T_STRING_OR_NULL, "a string or null"},
    {"errorType", T_STRING, "a string"},
    {"errorMessage", T_STRING, "a string"},
    {"logContains", T_STRINGS, "a string or a list of strings"},
    {"logNotContains", T_STRINGS, "a string or a list of strings"},
    {"logMatches", T_REGEXES, "a regular expression or a list of them"},
    {"coldStart", T_BOOLEAN, "true or false"},
    {"discarded", T_TRUE, "true (the handler ran, returned, and its result reached no caller)"},
    {"maxDurationMs", T_POSITIVE, "a positive number of milliseconds"},
    {"streamText", T_STRING, "a string"},
    {"streamPrelude", T_OBJECT, "an object (the HTTP prelude of a streamed response)"},
    {"awsCalls", T_AWS_CALLS, "a list of calls: [{\"call\": \"service:Operation\", "
                              "\"paramsContain\": {...}}]"},
    {"awsCallsAnyOrder", T_BOOLEAN, "true or false"},
    {"awsCallsOnly", T_BOOLEAN, "true or false"},
    {"noAwsCalls", T_TRUE, "true (the invocation made no AWS call)"},
    {"http", T_HTTP, "an object: {\"status\": 200, \"headers\": {...}, \"body\": \"...\", "
                     "\"json\": ...} (the answer to the case's HTTP request)"},
};

#define N_EXPECTATIONS (sizeof expectations / sizeof *expectations)

static int expectation_index(const char *key)
{
    for (size_t i = 0; i < N_EXPECTATIONS; i++)
        if (strcmp(expectations[i].key, key) == 0)
            return (int)i;
    return -1;
}

/* The strings of a "string or list of strings" value, one at a time. */
static const char *string_at(const json_t *v, size_t i)
{
    if (json_is_string(v))
        return i == 0 ? json_string_value(v) : NULL;
    return json_string_value(json_array_get(v, i));
}

static size_t string_count(const json_t *v)
{
    return json_is_string(v) ? 1 : json_array_size(v);
}

static bool all_strings(const json_t *v)
{
    if (json_is_string(v))
        return true;
    if (!json_is_array(v) || json_array_size(v) == 0)
        return false;
    for (size_t i = 0; i < json_array_size(v); i++)
        if (!json_is_string(json_array_get(v, i)))
            return false;
    return true;
}

static bool kind_matches(value_kind kind, const json_t *v)
{
    switch (kind) {
    case T_INTEGER: return json_is_integer(v);
    case T_STRING: return json_is_string(v);
    case T_STRING_OR_NULL: return json_is_string(v) || json_is_null(v);
    case T_STRINGS:
    case T_REGEXES: return all_strings(v);
    case T_BOOLEAN: return json_is_boolean(v);
    case T_TRUE: return json_is_true(v);
    case T_POSITIVE: return json_is_number(v) && json_number_value(v) > 0;
    case T_OBJECT: return json_is_object(v);
    case T_AWS_CALLS: return json_is_array(v);
    case T_HTTP: return json_is_object(v);
    default: return v != NULL;
    }
}

/* --- regular expressions (logMatches) --------------------------------------------------------- */

/* The C library compiles some patterns in time exponential in their length (adjacent repetitions:
 * "x***...") or in memory the product of nested intervals ("((a{255}){255}){255}"). Those are
 * refused before regcomp sees them: adjacent duplication symbols are undefined in POSIX EREs
 * anyway (XBD 9.4.6), and no log check needs a pattern of more than MAX_REGEX_COPIES atoms once
 * its intervals are expanded. */
#define MAX_REGEX_BYTES 4096
#define MAX_REGEX_COPIES 100000.0
#define MAX_REGEX_DEPTH 64

/* Where in pattern a bracket expression that starts at p ("[...]") ends (past its ']'). */
static const char *past_bracket(const char *p)
{
    const char *q = p + 1;
    if (*q == '^')
        q++;
    if (*q == ']')
        q++;
    while (*q && *q != ']') {
        if (q[0] == '[' && (q[1] == ':' || q[1] == '.' || q[1] == '=')) {
            const char *end = strstr(q + 2, (char[]){q[1], ']', '\0'});
            q = end ? end + 2 : q + strlen(q);
        } else {
            q++;
        }
    }
    return *q ? q + 1 : q;
}

/* Why pattern is refused before it is compiled, or NULL. */
static const char *regex_too_costly(const char *pattern)
{
    if (strlen(pattern) > MAX_REGEX_BYTES)
        return "it is longer than 4096 bytes";
    double total[MAX_REGEX_DEPTH + 1] = {0}, last[MAX_REGEX_DEPTH + 1] = {0};
    int depth = 0;
    bool repeated = false; /* the last token was a duplication symbol */
    for (const char *p = pattern; *p;) {
        char c = *p;
        if (c == '*' || c == '+' || c == '?' || c == '{') {
            if (repeated)
                return "it has adjacent repetition operators (such as \"**\"), which POSIX "
                       "leaves undefined";
            double times = 1;
            if (c == '{') {
                char *end;
                long lo = strtol(p + 1, &end, 10), hi = lo;
                if (*end == ',')
                    hi = isdigit((unsigned char)end[1]) ? strtol(end + 1, &end, 10) : lo + 1;
                times = hi > lo ? (double)hi : (double)lo;
                const char *close = strchr(p, '}');
                p = close ? close + 1 : p + strlen(p);
            } else {
                p++;
            }
            total[depth] += last[depth] * (times > 1 ? times - 1 : 0);
            last[depth] *= times > 1 ? times : 1;
            if (total[depth] > MAX_REGEX_COPIES)
                return "its repetitions expand to more than 100000 copies";
            repeated = true;
            continue;
        }
        repeated = false;
        double atom = 1;
        if (c == '(') {
            if (depth == MAX_REGEX_DEPTH)
                return "its groups are nested more than 64 deep";
            depth++;
            total[depth] = last[depth] = 0;
            p++;
            continue;
        }
        if (c == ')' && depth > 0) {
            atom = total[depth--];
            p++;
        } else if (c == '|') {
            last[depth] = 0;
            p++;
            continue;
        } else if (c == '[') {
            p = past_bracket(p);
        } else if (c == '\\' && p[1]) {
            p += 2;
        } else {
            p++;
        }
        total[depth] += atom;
        last[depth] = atom;
    }
    return NULL;
}

/* regcomp for a pattern of a case: refused (REG_ESPACE, why set) when too costly to compile. */
static int compile_regex(regex_t *re, const char *pattern, int flags, char *why, size_t size)
{
    const char *costly = regex_too_costly(pattern);
    if (costly) {
        snprintf(why, size, "%s", costly);
        return REG_ESPACE;
    }
    int rc = regcomp(re, pattern, flags);
    if (rc != 0)
        regerror(rc, re, why, size);
    return rc;
}

static lc_status check_regexes(const json_t *v, const char *source, const char *where,
                               lc_error *err)
{
    for (size_t i = 0; i < string_count(v); i++) {
        regex_t re;
        char why[256];
        if (compile_regex(&re, string_at(v, i), REG_EXTENDED | REG_NEWLINE | REG_NOSUB, why,
                          sizeof why) != 0)
            return lc_error_set(err, LC_EINVAL, source, 0, 0,
                                "%slogMatches: \"%.200s\" is not a valid regular expression: %s",
                                where, string_at(v, i), why);
        regfree(&re);
    }
    return LC_OK;
}

static void known_list(char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < N_EXPECTATIONS && n < size; i++)
        n += (size_t)snprintf(out + n, size - n, "%s%s", i ? ", " : "", expectations[i].key);
}

/* Each expected call: {"call": "service:Operation"} with paramsContain or params (objects). */
static lc_status check_aws_calls(const json_t *calls, const char *source, const char *where,
                                 lc_error *err)
{
    size_t i;
    const json_t *c;
    json_array_foreach(calls, i, c) {
        char at[200];
        snprintf(at, sizeof at, "%sawsCalls[%zu]", where, i);
        const char *k;
        const json_t *v;
        if (!json_is_object(c))
            return lc_error_set(err, LC_EINVAL, source, 0, 0,
                                "%s must be an object: {\"call\": \"service:Operation\"}", at);
        json_object_foreach((json_t *)c, k, v) {
            if (strcmp(k, "call") && strcmp(k, "paramsContain") && strcmp(k, "params"))
                return lc_error_set(err, LC_EINVAL, source, 0, 0,
                                    "%s.%s: unknown field (call, paramsContain, params)", at, k);
            if (strcmp(k, "call") && !json_is_object(v))
                return lc_error_set(err, LC_EINVAL, source, 0, 0,
                                    "%s.%s must be an object of the call's parameters", at, k);
        }
        const json_t *name = json_object_get(c, "call");
        if (!json_is_string(name))
            return lc_error_set(err, LC_EINVAL, source, 0, 0,
                                "%s.call is missing: \"service:Operation\"", at);
        if (json_object_get(c, "params") && json_object_get(c, "paramsContain"))
            return lc_error_set(err, LC_EINVAL, source, 0, 0,
                                "%s has params and paramsContain: give one", at);
        lc_status st = lc_aws_call_validate(json_string_value(name), source, at, err);
        if (st != LC_OK)
            return st;
    }
    return LC_OK;
}

/* expect.http: {"status": int, "headers": {name: string or null}, "body": string,
 * "bodyContains": string, "json": any, "jsonContains": any}. */
static lc_status check_http(const json_t *http, const char *source, const char *where,
                            lc_error *err)
{
    const char *key;
    json_t *v;
    static const struct {
        const char *key, *wanted;
        json_type type; /* JSON_NULL: any value */
    } fields[] = {{"status", "an integer", JSON_INTEGER},
                  {"headers", "an object of header names to values (null: absent)", JSON_OBJECT},
                  {"body", "a string", JSON_STRING},
                  {"bodyBase64", "a string (the body's bytes, base64-encoded)", JSON_STRING},
                  {"bodyContains", "a string", JSON_STRING},
                  {"json", "any JSON value", JSON_NULL},
                  {"jsonContains", "any JSON value", JSON_NULL}};
    json_object_foreach((json_t *)http, key, v)
    {
        size_t i = 0, n = sizeof fields / sizeof *fields;
        while (i < n && strcmp(fields[i].key, key) != 0)
            i++;
        if (i == n)
            return lc_error_set(err, LC_EINVAL, source, 0, 0,
                                "%shttp.%s: unknown (status, headers, body, bodyBase64, "
                                "bodyContains, json, jsonContains)",
                                where, key);
        if (fields[i].type != JSON_NULL && json_typeof(v) != fields[i].type)
            return lc_error_set(err, LC_EINVAL, source, 0, 0, "%shttp.%s must be %s", where, key,
                                fields[i].wanted);
    }
    const char *name;
    json_object_foreach(json_object_get(http, "headers"), name, v)
    {
        if (!json_is_string(v) && !json_is_null(v))
            return lc_error_set(err, LC_EINVAL, source, 0, 0,
                                "%shttp.headers.%s must be a string, or null for a header that "
                                "must be absent",
                                where, name);
    }
    return LC_OK;
}

lc_status lc_expect_validate(const json_t *expect, const char *source, const char *where,
                             lc_error *err)
{
    if (expect == NULL)
        return LC_OK;
    if (!json_is_object(expect))
        return lc_error_set(err, LC_EINVAL, source, 0, 0, "%s must be an object", where);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)expect, key, v)
    {
        int i = expectation_index(key);
        if (i < 0) {
            char known[512];
            known_list(known, sizeof known);
            return lc_error_set(err, LC_EINVAL, source, 0, 0,
                                "%s%s: unknown expectation (known: %s)", where, key, known);
        }
        if (!kind_matches(expectations[i].kind, v))
            return lc_error_set(err, LC_EINVAL, source, 0, 0, "%s%s must be %s", where, key,
                                expectations[i].wanted);
        if (expectations[i].kind == T_REGEXES && check_regexes(v, source, where, err) != LC_OK)
            return err ? err->status : LC_EINVAL;
        if (expectations[i].kind == T_AWS_CALLS &&
            check_aws_calls(v, source, where, err) != LC_OK)
            return err ? err->status : LC_EINVAL;
        if (expectations[i].kind == T_HTTP && check_http(v, source, where, err) != LC_OK)
            return err ? err->status : LC_EINVAL;
    }
    bool modifiers = json_object_get(expect, "awsCallsAnyOrder") ||
                     json_object_get(expect, "awsCallsOnly");
    if (modifiers && !json_object_get(expect, "awsCalls"))
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%sawsCallsAnyOrder and awsCallsOnly go with awsCalls", where);
    if (json_object_get(expect, "noAwsCalls") && json_object_get(expect, "awsCalls"))
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%snoAwsCalls and awsCalls contradict: give one", where);
    return LC_OK;
}

bool lc_expect_wants_error(const json_t *expect)
{
    json_t *fe = json_object_get(expect, "functionError");
    return (fe && !json_is_null(fe)) || json_object_get(expect, "errorType") ||
           json_object_get(expect, "errorMessage");
}

/* --- the payload ------------------------------------------------------------------------------ */

static json_t *payload_json(const lc_observation *o)
{
    return o->payload_len ? json_loadb(o->payload, o->payload_len, JSON_DECODE_ANY, NULL) : NULL;
}

/* Up to 200 bytes of text for messages, quoted, control bytes escaped; never reads past len. */
static void excerpt(const char *text, size_t len, char *out, size_t size)
{
    size_t n = len < 200 ? len : 200, o = 0;
    out[o++] = '"';
    for (size_t i = 0; i < n && o + 8 < size; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"' || c == '\\')
            o += (size_t)snprintf(out + o, size - o, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    snprintf(out + o, size - o, "\"%s", len > n ? " (cut)" : "");
}

/* Bytes shown before the first difference of two texts. */
#define DIFF_LEAD 40

/* The offset of the first byte where two texts differ (the shorter's length when one is the
 * other's start). */
static size_t first_difference(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i = 0;
    while (i < an && i < bn && a[i] == b[i])
        i++;
    return i;
}

/* An excerpt of text from a little before offset at: "..." marks what is left out before. */
static void window_excerpt(const char *text, size_t len, size_t at, char *out, size_t size)
{
    size_t from = at > DIFF_LEAD ? at - DIFF_LEAD : 0;
    char quoted[300];
    excerpt(text + from, len - from, quoted, sizeof quoted);
    snprintf(out, size, "\"%s%s", from > 0 ? "..." : "", quoted + 1);
}

/* A text expectation's verdict (payloadText, streamText): on a mismatch, the first differing
 * byte and both texts from a little before it, so that a text cut short does not show two
 * identical starts. */
static void compare_text(const char *check, const char *what, const char *want, size_t want_len,
                         const char *got, size_t got_len, lc_verdicts *out)
{
    if (got_len == want_len && (got_len == 0 || memcmp(got, want, got_len) == 0)) {
        lc_verdicts_add(out, check, true, "the %s is the expected %zu bytes", what, got_len);
        return;
    }
    size_t at = first_difference(want, want_len, got, got_len);
    char expected[320], seen[320];
    window_excerpt(want, want_len, at, expected, sizeof expected);
    window_excerpt(got, got_len, at, seen, sizeof seen);
    lc_verdicts_add(out, check, false,
                    "the %s differs from byte %zu (expected %zu bytes, got %zu): expected %s, "
                    "got %s",
                    what, at, want_len, got_len, expected, seen);
}

static void payload_excerpt(const lc_observation *o, char *out, size_t size)
{
    excerpt(o->payload ? o->payload : "", o->payload_len, out, size);
}

static void not_json(const char *name, const lc_observation *o, lc_verdicts *out)
{
    char text[300];
    payload_excerpt(o, text, sizeof text);
    lc_verdicts_add(out, name, false, "the payload is not JSON: %s",
                    o->payload_len ? text : "it is empty");
}

static void compare(const char *name, const json_t *want, const json_t *got, lc_json_mode mode,
                    const char *what, lc_verdicts *out)
{
    lc_buf why;
    lc_buf_init(&why, 0);
    bool ok = lc_json_match(want, got, mode, &why);
    if (ok)
        lc_verdicts_add(out, name, true, "the %s %s the expected value", what,
                        mode == LC_JSON_EQUAL ? "equals" : "contains");
    else
        lc_verdicts_add(out, name, false, "%s", why.data ? why.data : "the values differ");
    lc_buf_free(&why);
}

static void check_payload(const char *name, const json_t *want, const lc_observation *o,
                          lc_json_mode mode, lc_verdicts *out)
{
    json_t *got = payload_json(o);
    if (got == NULL)
        not_json(name, o, out);
    else
        compare(name, want, got, mode, "payload", out);
    json_decref(got);
}

static void check_payload_text(const json_t *want, const lc_observation *o, lc_verdicts *out)
{
    compare_text("payloadText", "payload", json_string_value(want), json_string_length(want),
                 o->payload ? o->payload : "", o->payload_len, out);
}

/* The body of an HTTP integration response (API Gateway, function URLs, ALB), decoded from base64
 * when isBase64Encoded and parsed as JSON. NULL with *why set when there is none. */
static json_t *http_body(const lc_observation *o, char *why, size_t size)
{
    json_t *response = payload_json(o);
    const char *body = json_string_value(json_object_get(response, "body"));
    json_t *parsed = NULL;
    if (!json_is_object(response) || body == NULL) {
        snprintf(why, size, "the response has no body string (an HTTP integration response is "
                            "{\"statusCode\": ..., \"body\": \"...\"})");
    } else if (json_is_true(json_object_get(response, "isBase64Encoded"))) {
        lc_buf decoded;
        lc_buf_init(&decoded, 0);
        if (lc_buf_base64_decode(&decoded, body, strlen(body)) != LC_OK)
            snprintf(why, size, "isBase64Encoded is true, but the body is not base64");
        else if ((parsed = json_loadb(decoded.data, decoded.len, JSON_DECODE_ANY, NULL)) == NULL)
            snprintf(why, size, "the body (base64-decoded) is not JSON: %.200s", decoded.data);
        lc_buf_free(&decoded);
    } else if ((parsed = json_loads(body, JSON_DECODE_ANY, NULL)) == NULL) {
        snprintf(why, size, "the body is not JSON: %.200s", body);
    }
    json_decref(response);
    return parsed;
}

static void check_body(const char *name, const json_t *want, const lc_observation *o,
                       lc_json_mode mode, lc_verdicts *out)
{
    char why[512] = "";
    json_t *got = http_body(o, why, sizeof why);
    if (got == NULL)
        lc_verdicts_add(out, name, false, "%s", why);
    else
        compare(name, want, got, mode, "body", out);
    json_decref(got);
}

/* --- errors ------------------------------------------------------------------------------------ */

static void check_error_field(const char *key, const json_t *want, const lc_observation *o,
                              lc_verdicts *out)
{
    json_t *body = payload_json(o);
    const char *got = json_string_value(json_object_get(body, key));
    const char *w = json_string_value(want);
    if (got && strcmp(got, w) == 0)
        lc_verdicts_add(out, key, true, "$.%s is \"%s\"", key, w);
    else if (got)
        lc_verdicts_add(out, key, false, "$.%s: expected \"%s\", got \"%s\"", key, w, got);
    else
        lc_verdicts_add(out, key, false, "$.%s: expected \"%s\", but the payload has no %s%s",
                        key, w, key, o->function_error[0] ? "" : " (the function did not fail)");
    json_decref(body);
}

static void check_function_error(const json_t *want, const lc_observation *o, lc_verdicts *out)
{
    const char *got = o->function_error ? o->function_error : "";
    const char *w = json_is_null(want) ? "" : json_string_value(want);
    if (strcmp(w, got) == 0)
        lc_verdicts_add(out, "functionError", true, "X-Amz-Function-Error is %s",
                        got[0] ? got : "absent");
    else
        lc_verdicts_add(out, "functionError", false, "X-Amz-Function-Error: expected %s, got %s",
                        w[0] ? w : "none", got[0] ? got : "none");
}

/* --- the log ------------------------------------------------------------------------------------ */

/* Why a string may be missing from what the check saw of the log. */
static const char *log_caveat(const lc_observation *o)
{
    if (o->log == NULL)
        return " (no log was available)";
    if (o->log_truncated)
        return " (the log reached its 1 MB cap: later output was not kept)";
    if (o->log_is_tail)
        return " (a remote endpoint gives only the last 4 KB of the log)";
    return "";
}

/* The line of the log that holds at, for messages. */
static void line_around(const lc_observation *o, const char *at, char *out, size_t size)
{
    const char *start = at, *end = at, *log_end = o->log + o->log_len;
    while (start > o->log && start[-1] != '\n')
        start--;
    while (end < log_end && *end != '\n')
        end++;
    snprintf(out, size, "%.*s", (int)(end - start > 300 ? 300 : end - start), start);
}

static const char *find_in_log(const lc_observation *o, const char *text)
{
    return o->log ? memmem(o->log, o->log_len, text, strlen(text)) : NULL;
}

static void check_log_contains(const json_t *want, const lc_observation *o, bool negated,
                               lc_verdicts *out)
{
    const char *name = negated ? "logNotContains" : "logContains";
    for (size_t i = 0; i < string_count(want); i++) {
        const char *text = string_at(want, i);
        const char *at = find_in_log(o, text);
        char line[320];
        if (at)
            line_around(o, at, line, sizeof line);
        if (!negated && at)
            lc_verdicts_add(out, name, true, "the log contains \"%s\"", text);
        else if (!negated)
            lc_verdicts_add(out, name, false, "the log does not contain \"%s\"%s", text,
                            log_caveat(o));
        else if (o->log == NULL)
            lc_verdicts_not_checked(out, name, "no log was available to look for \"%s\"", text);
        else if (at)
            lc_verdicts_add(out, name, false, "the log contains \"%s\": %s", text, line);
        else
            lc_verdicts_add(out, name, true, "the log does not contain \"%s\"%s", text,
                            log_caveat(o));
    }
}

static void check_log_matches(const json_t *want, const lc_observation *o, lc_verdicts *out)
{
    char *log = o->log ? strndup(o->log, o->log_len) : NULL;
    for (size_t i = 0; i < string_count(want); i++) {
        const char *pattern = string_at(want, i);
        regex_t re;
        regmatch_t m;
        char why[256];
        if (compile_regex(&re, pattern, REG_EXTENDED | REG_NEWLINE, why, sizeof why) != 0) {
            lc_verdicts_add(out, "logMatches", false,
                            "\"%.200s\" is not a valid regular expression: %s", pattern, why);
            continue;
        }
        if (log && regexec(&re, log, 1, &m, 0) == 0) {
            char line[320];
            line_around(o, o->log + m.rm_so, line, sizeof line);
            lc_verdicts_add(out, "logMatches", true, "the log matches /%s/: %s", pattern, line);
        } else {
            lc_verdicts_add(out, "logMatches", false, "no line of the log matches /%s/%s",
                            pattern, log_caveat(o));
        }
        regfree(&re);
    }
    free(log);
}

/* --- what the platform saw --------------------------------------------------------------------- */

/* The last platform report of a log: a REPORT line, or a platform.report record (JSON log
 * format). *json tells which. NULL when there is none. */
static const char *last_report(const char *log, size_t len, bool *json)
{
    const char *report = NULL;
    static const struct {
        const char *mark;
        bool json;
    } marks[] = {{"REPORT RequestId:", false}, {"\"type\":\"platform.report\"", true}};
    for (size_t m = 0; log && m < sizeof marks / sizeof *marks; m++) {
        size_t n = strlen(marks[m].mark);
        for (const char *p = log; (p = memmem(p, len - (size_t)(p - log), marks[m].mark, n)); p++)
            if (p > report) {
                report = p;
                *json = marks[m].json;
            }
    }
    return report;
}

bool lc_log_report_duration(const char *log, size_t len, double *ms)
{
    bool json = false;
    const char *report = last_report(log, len, &json);
    const char *d = report ? strstr(report, json ? "\"durationMs\":" : "\tDuration: ") : NULL;
    return d && sscanf(d, json ? "\"durationMs\":%lf" : "\tDuration: %lf ms", ms) == 1;
}

bool lc_log_report_cold(const char *log, size_t len)
{
    bool json = false;
    const char *report = last_report(log, len, &json);
    if (report == NULL)
        return false;
    const char *eol = strchr(report, '\n');
    const char *init = strstr(report, json ? "\"initDurationMs\":" : "Init Duration: ");
    return init && (eol == NULL || init < eol);
}

bool lc_log_has_report(const char *log, size_t len)
{
    bool json;
    return last_report(log, len, &json) != NULL;
}

static void check_cold_start(const json_t *want, const lc_observation *o, lc_verdicts *out)
{
    bool cold;
    if (o->journal)
        cold = o->journal->cold_start;
    else if (!o->local && o->log && lc_log_has_report(o->log, o->log_len))
        cold = lc_log_report_cold(o->log, o->log_len);
    else {
        lc_verdicts_not_checked(out, "coldStart", "%s",
                                o->local ? "the emulator has no run of this request"
                                         : "no REPORT line in the log to tell cold from warm");
        return;
    }
    bool w = json_is_true(want);
    lc_verdicts_add(out, "coldStart", cold == w, "expected a %s start, got a %s one",
                    w ? "cold" : "warm", cold ? "cold" : "warm");
}

static void check_duration(const json_t *want, const lc_observation *o, lc_verdicts *out)
{
    double ms = 0, limit = json_number_value(want);
    if (o->journal)
        ms = o->journal->duration_ms;
    else if (!o->log || !lc_log_report_duration(o->log, o->log_len, &ms)) {
        lc_verdicts_not_checked(out, "maxDurationMs", "no REPORT line tells the duration");
        return;
    }
    lc_verdicts_add(out, "maxDurationMs", ms <= limit, "the invocation took %.2f ms, %s %g ms", ms,
                    ms <= limit ? "within" : "over", limit);
}

/* discarded: the handler ran, returned, and its result reached no caller. */
static void check_discarded(const lc_observation *o, lc_verdicts *out)
{
    const lc_result *j = o->journal;
    if (!o->local) {
        lc_verdicts_not_checked(out, "discarded", "a remote endpoint does not show whether the "
                                                  "handler ran (the emulator's journal does)");
    } else if (j == NULL) {
        lc_verdicts_add(out, "discarded", false,
                        "the handler never ran: the emulator has no run of request %s",
                        o->request_id);
    } else if (j->end == LC_END_INIT_ERROR) {
        lc_verdicts_add(out, "discarded", false,
                        "the handler never ran: its runtime failed to initialise (%s)",
                        j->error_type);
    } else if (j->function_error[0]) {
        lc_verdicts_add(out, "discarded", false,
                        "the handler ran but did not return a result: it failed with %s",
                        j->error_type);
    } else if (o->status != 202 || o->payload_len) {
        lc_verdicts_add(out, "discarded", false,
                        "the caller got %ld with %zu bytes: the result was not discarded",
                        o->status, o->payload_len);
    } else {
        lc_verdicts_add(out, "discarded", true,
                        "the handler ran and returned %zu bytes, which reached no caller",
                        j->payload_len);
    }
}

static void check_status(const json_t *want, const lc_observation *o, lc_verdicts *out)
{
    long long w = json_integer_value(want);
    if (w == o->status)
        lc_verdicts_add(out, "status", true, "HTTP status is %ld", o->status);
    else
        lc_verdicts_add(out, "status", false, "HTTP status: expected %lld, got %ld", w, o->status);
}

/* --- streamed responses ------------------------------------------------------------------------ */

/* A streamed response split at its HTTP prelude (awslambda.HttpResponseStream.from: a JSON object,
 * then 8 NUL bytes): *prelude gets the parsed object (caller frees) or NULL when there is none,
 * *body the bytes after it (all of them without a prelude). */
static void split_stream(const lc_observation *o, json_t **prelude, const char **body,
                         size_t *body_len)
{
    static const char delimiter[8] = {0};
    const char *s = o->stream ? o->stream : "";
    const char *at = o->stream_len > 8 ? memmem(s, o->stream_len, delimiter, 8) : NULL;
    *prelude = at ? json_loadb(s, (size_t)(at - s), 0, NULL) : NULL;
    if (*prelude && !json_is_object(*prelude)) {
        json_decref(*prelude);
        *prelude = NULL;
    }
    *body = *prelude ? at + 8 : s;
    *body_len = *prelude ? o->stream_len - (size_t)(at + 8 - s) : o->stream_len;
}

static bool not_streamed(const char *key, const lc_observation *o, lc_verdicts *out)
{
    if (o->streamed)
        return false;
    lc_verdicts_add(out, key, false, "the response was not streamed: give the case \"stream\": "
                                     "true (InvokeWithResponseStream)");
    return true;
}

static void check_stream_text(const json_t *want, const lc_observation *o, lc_verdicts *out)
{
    if (not_streamed("streamText", o, out))
        return;
    json_t *prelude;
    const char *body;
    size_t n;
    split_stream(o, &prelude, &body, &n);
    json_decref(prelude);
    compare_text("streamText", "stream", json_string_value(want), json_string_length(want), body, n,
                 out);
}

static void check_stream_prelude(const json_t *want, const lc_observation *o, lc_verdicts *out)
{
    if (not_streamed("streamPrelude", o, out))
        return;
    json_t *prelude;
    const char *body;
    size_t n;
    split_stream(o, &prelude, &body, &n);
    if (prelude == NULL)
        lc_verdicts_add(out, "streamPrelude", false,
                        "the stream has no HTTP prelude (awslambda.HttpResponseStream.from writes "
                        "a JSON object and 8 NUL bytes first)");
    else
        compare("streamPrelude", want, prelude, LC_JSON_EQUAL, "prelude", out);
    json_decref(prelude);
}

/* --- AWS calls --------------------------------------------------------------------------------- */

/* Whether a made call is the expected one; why not (the first difference) into why. */
static bool call_matches(const json_t *want, const json_t *made, lc_buf *why)
{
    const char *name = json_string_value(json_object_get(made, "call"));
    if (name == NULL || strcmp(name, json_string_value(json_object_get(want, "call"))) != 0)
        return false;
    const json_t *exact = json_object_get(want, "params");
    const json_t *some = json_object_get(want, "paramsContain");
    const json_t *params = json_object_get(made, "params");
    if (exact)
        return lc_json_match(exact, params, LC_JSON_EQUAL, why);
    if (some)
        return lc_json_match(some, params, LC_JSON_SUBSET, why);
    return true;
}

/* Kuhn's augmenting paths: can expected i take a made call, moving others as needed. */
static bool augment(const json_t *want, const json_t *made, size_t i, bool *seen, long *owner)
{
    for (size_t j = 0; j < json_array_size(made); j++) {
        if (seen[j] || !call_matches(json_array_get(want, i), json_array_get(made, j), NULL))
            continue;
        seen[j] = true;
        if (owner[j] < 0 || augment(want, made, (size_t)owner[j], seen, owner)) {
            owner[j] = (long)i;
            return true;
        }
    }
    return false;
}

/* Matches expected calls to made ones: in order (the earliest made call after the last one
 * matched) or in any order. taken[j] says which made calls were matched. Returns the index of
 * the first expected call left unmatched, or the count when all matched. */
static size_t match_calls(const json_t *want, const json_t *made, bool any_order, bool *taken)
{
    size_t n = json_array_size(want), m = json_array_size(made);
    if (!any_order) {
        size_t j = 0;
        for (size_t i = 0; i < n; i++) {
            while (j < m && !call_matches(json_array_get(want, i), json_array_get(made, j), NULL))
                j++;
            if (j == m)
                return i;
            taken[j++] = true;
        }
        return n;
    }
    long *owner = malloc((m + 1) * sizeof *owner);
    bool *seen = malloc(m + 1);
    size_t missing = n;
    for (size_t j = 0; owner && j < m; j++)
        owner[j] = -1;
    for (size_t i = 0; owner && seen && i < n; i++) {
        memset(seen, 0, m + 1);
        if (!augment(want, made, i, seen, owner) && missing == n)
            missing = i;
    }
    bool done = owner && seen;
    for (size_t j = 0; done && j < m; j++)
        taken[j] = owner[j] >= 0;
    free(owner);
    free(seen);
    return done ? missing : 0;
}

/* "sqs:SendMessage {"QueueUrl":...}" of a made call, briefly. */
static void call_brief(const json_t *made, char *out, size_t size)
{
    char *params = lc_json_brief(json_object_get(made, "params"), 160);
    const char *host = json_string_value(json_object_get(made, "host"));
    snprintf(out, size, "%s %s", json_string_value(json_object_get(made, "call")),
             host ? host : params ? params : "");
    free(params);
}

/* Why expected call i was not made: the nearest made call of that name and its difference. */
static void explain_missing(const json_t *want, const json_t *made, lc_buf *out)
{
    const char *name = json_string_value(json_object_get(want, "call"));
    size_t same = 0;
    for (size_t j = 0; j < json_array_size(made); j++) {
        const json_t *m = json_array_get(made, j);
        if (strcmp(json_string_value(json_object_get(m, "call")), name) != 0)
            continue;
        if (same++ == 0) {
            lc_buf why;
            lc_buf_init(&why, 300);
            call_matches(want, m, &why);
            lc_buf_printf(out, "; call %zu is %s but %s", j, name,
                          why.len ? why.data : "it came in another order");
            lc_buf_free(&why);
        }
    }
    if (same == 0)
        lc_buf_printf(out, "; no %s call was made", name);
}

static void list_made(const json_t *made, lc_buf *out)
{
    lc_buf_printf(out, "; made %zu: ", json_array_size(made));
    for (size_t j = 0; j < json_array_size(made); j++) {
        char brief[240];
        call_brief(json_array_get(made, j), brief, sizeof brief);
        lc_buf_printf(out, "%s[%zu] %s", j ? ", " : "", j, brief);
    }
}

static void check_aws_calls_made(const json_t *expect, const lc_observation *o, lc_verdicts *out)
{
    const json_t *want = json_object_get(expect, "awsCalls");
    const char *name = want ? "awsCalls" : "noAwsCalls";
    if (o->aws_calls == NULL) {
        lc_verdicts_not_checked(out, name, "%s",
                                o->aws_unseen ? o->aws_unseen : "this target shows no AWS calls");
        return;
    }
    const json_t *made = o->aws_calls;
    size_t m = json_array_size(made);
    lc_buf msg;
    lc_buf_init(&msg, 1000);
    if (want == NULL) {
        if (m)
            list_made(made, &msg);
        lc_verdicts_add(out, name, m == 0, m ? "expected no AWS call%s" : "no AWS call was made",
                        msg.data ? msg.data : "");
        lc_buf_free(&msg);
        return;
    }
    bool any = json_is_true(json_object_get(expect, "awsCallsAnyOrder"));
    bool only = json_is_true(json_object_get(expect, "awsCallsOnly"));
    bool *taken = calloc(m + 1, sizeof *taken);
    size_t n = json_array_size(want);
    size_t missing = taken ? match_calls(want, made, any, taken) : 0;
    size_t extra = 0;
    for (size_t j = 0; taken && j < m; j++)
        extra += !taken[j];
    bool ok = taken && missing == n && (!only || extra == 0);
    if (ok)
        lc_verdicts_add(out, name, true, "%zu expected call%s made%s (%zu in all)", n,
                        n == 1 ? "" : "s", any ? "" : ", in order", m);
    else {
        if (missing < n) {
            lc_buf_printf(&msg, "expected call %zu (%s) was not made%s", missing,
                          json_string_value(json_object_get(json_array_get(want, missing), "call")),
                          any ? "" : " after the ones before it");
            explain_missing(json_array_get(want, missing), made, &msg);
        } else
            lc_buf_printf(&msg, "%zu call%s besides the expected ones (awsCallsOnly)", extra,
                          extra == 1 ? "" : "s");
        list_made(made, &msg);
        lc_verdicts_add(out, name, false, "%s", msg.data ? msg.data : "out of memory");
    }
    free(taken);
    lc_buf_free(&msg);
}

/* --- dispatch ---------------------------------------------------------------------------------- */

static void check_one(const char *key, const json_t *want, const lc_observation *o,
                      lc_verdicts *out)
{
    if (strcmp(key, "status") == 0)
        check_status(want, o, out);
    else if (strcmp(key, "payload") == 0)
        check_payload(key, want, o, LC_JSON_EQUAL, out);
    else if (strcmp(key, "payloadContains") == 0)
        check_payload(key, want, o, LC_JSON_SUBSET, out);
    else if (strcmp(key, "payloadText") == 0)
        check_payload_text(want, o, out);
    else if (strcmp(key, "body") == 0)
        check_body(key, want, o, LC_JSON_EQUAL, out);
    else if (strcmp(key, "bodyContains") == 0)
        check_body(key, want, o, LC_JSON_SUBSET, out);
    else if (strcmp(key, "functionError") == 0)
        check_function_error(want, o, out);
    else if (strcmp(key, "errorType") == 0 || strcmp(key, "errorMessage") == 0)
        check_error_field(key, want, o, out);
    else if (strcmp(key, "logContains") == 0 || strcmp(key, "logNotContains") == 0)
        check_log_contains(want, o, strcmp(key, "logNotContains") == 0, out);
    else if (strcmp(key, "logMatches") == 0)
        check_log_matches(want, o, out);
    else if (strcmp(key, "coldStart") == 0)
        check_cold_start(want, o, out);
    else if (strcmp(key, "maxDurationMs") == 0)
        check_duration(want, o, out);
    else if (strcmp(key, "discarded") == 0)
        check_discarded(o, out);
    else if (strcmp(key, "streamText") == 0)
        check_stream_text(want, o, out);
    else if (strcmp(key, "streamPrelude") == 0)
        check_stream_prelude(want, o, out);
    else if (strcmp(key, "http") == 0) /* an HTTP step's, judged by lc_expect_http_check */
        lc_verdicts_not_checked(out, "http", "expect.http is checked against an HTTP request's "
                                             "answer");
}

void lc_expect_check(const json_t *expect, const lc_observation *o, lc_verdicts *out)
{
    const char *key;
    json_t *want;
    json_object_foreach((json_t *)expect, key, want)
    {
        check_one(key, want, o, out);
    }
    if (json_object_get(expect, "awsCalls") || json_object_get(expect, "noAwsCalls"))
        check_aws_calls_made(expect, o, out);
}

/* --- the answer to an HTTP request ------------------------------------------------------------- */

/* A header's values joined as one field (", "), or NULL when absent. Caller frees. */
static char *answer_header(const json_t *headers, const char *name)
{
    const char *k;
    json_t *list;
    json_object_foreach((json_t *)headers, k, list)
    {
        if (strcasecmp(k, name) != 0)
            continue;
        lc_buf b;
        lc_buf_init(&b, 0);
        size_t i;
        json_t *v;
        json_array_foreach(list, i, v) lc_buf_printf(&b, "%s%s", i ? ", " : "",
                                                     json_string_value(v));
        return b.data ? lc_buf_take(&b) : strdup("");
    }
    return NULL;
}

static void check_http_headers(const json_t *want, const json_t *headers, lc_verdicts *out)
{
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)want, name, v)
    {
        char check[300];
        snprintf(check, sizeof check, "http.headers.%s", name);
        char *got = answer_header(headers, name);
        if (json_is_null(v))
            lc_verdicts_add(out, check, got == NULL,
                            got ? "the answer has %s: %s, which should be absent"
                                : "the answer has no %s, as expected%s",
                            name, got ? got : "");
        else if (got == NULL)
            lc_verdicts_add(out, check, false, "the answer has no %s header (expected \"%s\")",
                            name, json_string_value(v));
        else
            lc_verdicts_add(out, check, strcmp(got, json_string_value(v)) == 0,
                            "%s: \"%s\" (expected \"%s\")", name, got, json_string_value(v));
        free(got);
    }
}

static void check_http_json(const char *key, const json_t *want, const lc_http_answer *a,
                            lc_verdicts *out)
{
    char check[64];
    snprintf(check, sizeof check, "http.%s", key);
    json_t *got = json_loadb(a->body ? a->body : "", a->body_len, JSON_DECODE_ANY, NULL);
    if (got == NULL) {
        char text[300];
        excerpt(a->body ? a->body : "", a->body_len, text, sizeof text);
        lc_verdicts_add(out, check, false, "the body is not JSON: %s",
                        a->body_len ? text : "it is empty");
        return;
    }
    compare(check, want, got, strcmp(key, "json") == 0 ? LC_JSON_EQUAL : LC_JSON_SUBSET, "body",
            out);
    json_decref(got);
}

void lc_expect_http_check(const json_t *want, const lc_http_answer *a, lc_verdicts *out)
{
    const json_t *status = json_object_get(want, "status");
    if (status) {
        char text[300];
        excerpt(a->body ? a->body : "", a->body_len, text, sizeof text);
        lc_verdicts_add(out, "http.status", a->status == json_integer_value(status),
                        "status %ld (expected %lld); the body: %s", a->status,
                        (long long)json_integer_value(status), text);
    }
    check_http_headers(json_object_get(want, "headers"), a->headers, out);
    const json_t *body = json_object_get(want, "body");
    if (body)
        compare_text("http.body", "body", json_string_value(body), json_string_length(body),
                     a->body ? a->body : "", a->body_len, out);
    const json_t *b64 = json_object_get(want, "bodyBase64");
    if (b64) {
        lc_buf bytes;
        lc_buf_init(&bytes, 0);
        if (lc_buf_base64_decode(&bytes, json_string_value(b64), json_string_length(b64)) != LC_OK)
            lc_verdicts_add(out, "http.bodyBase64", false, "expect.http.bodyBase64 is not base64");
        else
            compare_text("http.bodyBase64", "body", bytes.data ? bytes.data : "", bytes.len,
                         a->body ? a->body : "", a->body_len, out);
        lc_buf_free(&bytes);
    }
    const json_t *contains = json_object_get(want, "bodyContains");
    if (contains) {
        bool found = a->body && strstr(a->body, json_string_value(contains)) != NULL;
        char text[300];
        excerpt(a->body ? a->body : "", a->body_len, text, sizeof text);
        lc_verdicts_add(out, "http.bodyContains", found, "%s \"%s\": %s",
                        found ? "the body contains" : "the body does not contain",
                        json_string_value(contains), text);
    }
    if (json_object_get(want, "json"))
        check_http_json("json", json_object_get(want, "json"), a, out);
    if (json_object_get(want, "jsonContains"))
        check_http_json("jsonContains", json_object_get(want, "jsonContains"), a, out);
}
