#include "lambdacheck/expect.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/json_util.h"

void lc_verdicts_add(lc_verdicts *v, const char *check, bool passed, const char *fmt, ...)
{
    lc_verdict *items = realloc(v->items, (v->count + 1) * sizeof *items);
    if (items == NULL)
        return;
    v->items = items;
    lc_verdict *it = &items[v->count++];
    snprintf(it->check, sizeof it->check, "%s", check);
    it->passed = passed;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->message, sizeof it->message, fmt, ap);
    va_end(ap);
}

size_t lc_verdicts_failed(const lc_verdicts *v)
{
    size_t n = 0;
    for (size_t i = 0; i < v->count; i++)
        n += !v->items[i].passed;
    return n;
}

void lc_verdicts_clear(lc_verdicts *v)
{
    free(v->items);
    v->items = NULL;
    v->count = 0;
}

/* --- one expectation each ------------------------------------------------------------------- */

static json_t *payload_json(const lc_observation *o)
{
    return json_loadb(o->payload ? o->payload : "", o->payload_len, JSON_DECODE_ANY, NULL);
}

static void check_json(const char *name, const json_t *want, const lc_observation *o,
                       lc_json_mode mode, lc_verdicts *out)
{
    json_t *got = payload_json(o);
    if (got == NULL) {
        lc_verdicts_add(out, name, false, "the payload is not JSON: %.200s",
                        o->payload ? o->payload : "");
        return;
    }
    lc_buf why;
    lc_buf_init(&why, 0);
    bool ok = lc_json_match(want, got, mode, &why);
    lc_verdicts_add(out, name, ok, "%s", ok || why.data == NULL ? "" : why.data);
    lc_buf_free(&why);
    json_decref(got);
}

static void check_error_field(const char *name, const char *key, const json_t *want,
                              const lc_observation *o, lc_verdicts *out)
{
    json_t *body = payload_json(o);
    const char *got = json_string_value(json_object_get(body, key));
    bool ok = got && json_is_string(want) && strcmp(got, json_string_value(want)) == 0;
    lc_verdicts_add(out, name, ok, "$.%s: expected \"%s\", got %s%s%s", key,
                    json_string_value(want) ? json_string_value(want) : "?", got ? "\"" : "",
                    got ? got : "nothing", got ? "\"" : "");
    json_decref(body);
}

static void check_function_error(const json_t *want, const lc_observation *o, lc_verdicts *out)
{
    const char *got = o->function_error ? o->function_error : "";
    const char *w = json_is_null(want) ? "" : json_string_value(want);
    bool ok = w && strcmp(w, got) == 0;
    lc_verdicts_add(out, "functionError", ok, "X-Amz-Function-Error: expected %s, got %s",
                    w && w[0] ? w : "none", got[0] ? got : "none");
}

static void check_log(const json_t *want, const lc_observation *o, lc_verdicts *out)
{
    size_t i;
    json_t *line;
    json_array_foreach(want, i, line)
    {
        const char *text = json_string_value(line);
        bool ok = o->log && text && strstr(o->log, text);
        lc_verdicts_add(out, "logContains", ok, "the log does not contain \"%s\"%s",
                        text ? text : "?", o->log ? "" : " (no log was available)");
    }
}

static void check_local(const char *key, const json_t *want, const lc_observation *o,
                        lc_verdicts *out)
{
    if (o->journal == NULL) { /* a remote target cannot see this: not a failure of the handler */
        lc_verdicts_add(out, key, true, "%s", "");
        return;
    }
    if (strcmp(key, "coldStart") == 0) {
        bool ok = json_is_boolean(want) && json_boolean_value(want) == o->journal->cold_start;
        lc_verdicts_add(out, key, ok, "expected a %s start, got a %s one",
                        json_is_true(want) ? "cold" : "warm", o->journal->cold_start ? "cold" : "warm");
        return;
    }
    /* discarded: it ran, and the caller saw none of it */
    bool ok = o->journal->request_id[0] != '\0' && o->journal->payload != NULL;
    lc_verdicts_add(out, key, ok, "the journal has no run of request %s", o->request_id);
}

/* --- dispatch --------------------------------------------------------------------------------- */

static lc_status check_one(const char *key, const json_t *want, const lc_observation *o,
                           lc_verdicts *out, const char *source, lc_error *err)
{
    if (strcmp(key, "status") == 0)
        lc_verdicts_add(out, key, json_integer_value(want) == o->status,
                        "HTTP status: expected %lld, got %ld", (long long)json_integer_value(want),
                        o->status);
    else if (strcmp(key, "payload") == 0)
        check_json(key, want, o, LC_JSON_EQUAL, out);
    else if (strcmp(key, "payloadContains") == 0)
        check_json(key, want, o, LC_JSON_SUBSET, out);
    else if (strcmp(key, "functionError") == 0)
        check_function_error(want, o, out);
    else if (strcmp(key, "errorType") == 0 || strcmp(key, "errorMessage") == 0)
        check_error_field(key, key, want, o, out);
    else if (strcmp(key, "logContains") == 0 && json_is_array(want))
        check_log(want, o, out);
    else if (strcmp(key, "coldStart") == 0 || strcmp(key, "discarded") == 0)
        check_local(key, want, o, out);
    else
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "expect.%s: unknown expectation (status, payload, payloadContains, "
                            "functionError, errorType, errorMessage, logContains, coldStart, "
                            "discarded)",
                            key);
    return LC_OK;
}

lc_status lc_expect_check(const json_t *expect, const lc_observation *o, lc_verdicts *out,
                          const char *source, lc_error *err)
{
    if (expect == NULL)
        return LC_OK;
    if (!json_is_object(expect))
        return lc_error_set(err, LC_EINVAL, source, 0, 0, "expect must be an object");
    const char *key;
    json_t *want;
    json_object_foreach((json_t *)expect, key, want)
    {
        lc_status st = check_one(key, want, o, out, source, err);
        if (st != LC_OK)
            return st;
    }
    return LC_OK;
}
