#include "lambdacheck/contracts.h"

#include <stdio.h>
#include <string.h>

/* Errors the platform makes itself carry only errorType and errorMessage (spec 4.4). */
static bool platform_error(const char *type)
{
    static const char *const types[] = {"Sandbox.Timedout", "Runtime.ExitError",
                                        "Runtime.OutOfMemory", "Function.ResponseSizeTooLarge",
                                        "ServiceException", NULL};
    for (const char *const *t = types; type && *t; t++)
        if (strcmp(*t, type) == 0)
            return true;
    return false;
}

static const char *string_of(const json_t *body, const char *key)
{
    return json_string_value(json_object_get(body, key));
}

/* The runtime whose rules apply: an unknown one is held to the Python runtime's (the default). */
static lc_runtime rules_of(const lc_observation *o)
{
    return o->runtime == LC_RUNTIME_UNKNOWN ? LC_RUNTIME_PYTHON3_11 : o->runtime;
}

/* --- synchronous ----------------------------------------------------------------------------- */

static void no_unexpected_error(const char *error, const char *type, const char *message,
                                const json_t *expect, lc_verdicts *out)
{
    if (error == NULL || error[0] == '\0')
        lc_verdicts_add(out, "no-unexpected-error", true, "the function did not fail");
    else if (lc_expect_wants_error(expect))
        lc_verdicts_add(out, "no-unexpected-error", true,
                        "the function failed with %s, as the case expects", type ? type : error);
    else
        lc_verdicts_add(out, "no-unexpected-error", false,
                        "the function failed: %s: %.400s (a case that expects this failure says "
                        "so with functionError, errorType or errorMessage)",
                        type ? type : error, message ? message : "");
}

static void result_serializable(const json_t *body, const lc_observation *o, const json_t *expect,
                                lc_verdicts *out)
{
    const char *marshal_type, *marshal_message;
    lc_runtime_marshal_error(rules_of(o), &marshal_type, &marshal_message);
    if (marshal_type == NULL && marshal_message == NULL)
        return; /* the runtime has no such rule (a custom runtime) */
    const char *type = string_of(body, "errorType"), *message = string_of(body, "errorMessage");
    bool failed = o->function_error[0] &&
                  ((marshal_type && type && strcmp(type, marshal_type) == 0) ||
                   (marshal_message && message && strcmp(message, marshal_message) == 0));
    const char *wanted = string_of(expect, "errorType");
    const char *wanted_message = string_of(expect, "errorMessage");
    bool asked = (wanted && type && strcmp(wanted, type) == 0) ||
                 (wanted_message && message && strcmp(wanted_message, message) == 0);
    if (!failed)
        lc_verdicts_add(out, "result-serializable", true, "the result was serialized");
    else if (asked)
        lc_verdicts_add(out, "result-serializable", true,
                        "the result could not be serialized, as the case expects");
    else
        lc_verdicts_add(out, "result-serializable", false,
                        "the handler's result could not be serialized: %s",
                        message ? message : type);
}

/* Every key of the runtime's error body is there. */
static void error_body_shape(const json_t *body, const lc_observation *o, lc_verdicts *out)
{
    const char *keys = lc_runtime_error_keys(rules_of(o));
    if (keys == NULL)
        return;
    char key[64];
    for (const char *k = keys; *k;) {
        size_t n = strcspn(k, ",");
        snprintf(key, sizeof key, "%.*s", (int)n, k);
        if (json_object_get(body, key) == NULL) {
            lc_verdicts_add(out, "error-body-shape", false,
                            "the error response has no %s (a %s error has %s)", key,
                            lc_runtime_name(rules_of(o)), keys);
            return;
        }
        k += n + (k[n] == ',');
    }
    lc_verdicts_add(out, "error-body-shape", true, "the error response has %s", keys);
}

static void error_carries_request_id(const json_t *body, const lc_observation *o,
                                     lc_verdicts *out)
{
    if (!lc_runtime_errors_carry_request_id(rules_of(o)))
        return;
    json_t *value = json_object_get(body, "requestId");
    const char *id = json_string_value(value);
    /* init errors carry "": the journal tells them apart locally; remotely "" is given the
       benefit of the doubt */
    bool init_error = o->local ? (o->journal && o->journal->end == LC_END_INIT_ERROR) : true;
    if (value == NULL)
        lc_verdicts_add(out, "error-carries-request-id", false,
                        "the error response has no requestId (it needs errorMessage, errorType, "
                        "requestId and stackTrace)");
    else if (id && strcmp(id, o->request_id) == 0)
        lc_verdicts_add(out, "error-carries-request-id", true,
                        "$.requestId is the invocation's, \"%s\"", id);
    else if (id && id[0] == '\0' && init_error)
        lc_verdicts_add(out, "error-carries-request-id", true,
                        "$.requestId is \"\", as for an init error");
    else
        lc_verdicts_add(out, "error-carries-request-id", false,
                        "$.requestId: expected \"%s\" (the invocation's), got %s%s%s",
                        o->request_id, id ? "\"" : "", id ? id : "a value that is not a string",
                        id ? "\"" : "");
}

static void sync_contracts(const lc_observation *o, const json_t *expect, lc_verdicts *out)
{
    json_t *body = o->payload_len ? json_loadb(o->payload, o->payload_len, 0, NULL) : NULL;
    const char *type = string_of(body, "errorType");
    no_unexpected_error(o->function_error, type, string_of(body, "errorMessage"), expect, out);
    result_serializable(body, o, expect, out);
    if (o->function_error[0] && !platform_error(type)) {
        if (!json_is_object(body) && lc_runtime_error_keys(rules_of(o)))
            lc_verdicts_add(out, "error-body-shape", false,
                            "the error response is not a JSON object (%zu bytes)", o->payload_len);
        else if (json_is_object(body)) {
            error_body_shape(body, o, out);
            error_carries_request_id(body, o, out);
        }
    }
    json_decref(body);
}

/* --- asynchronous ---------------------------------------------------------------------------- */

static void async_contracts(const lc_observation *o, const json_t *expect, lc_verdicts *out)
{
    if (o->status == 202 && o->payload_len == 0)
        lc_verdicts_add(out, "async-accepted-empty", true,
                        "the Event was accepted: 202 with an empty body");
    else
        lc_verdicts_add(out, "async-accepted-empty", false,
                        "an Event invocation must answer 202 with an empty body, got %ld with %zu "
                        "bytes",
                        o->status, o->payload_len);
    if (!o->local) {
        lc_verdicts_not_checked(out, "no-unexpected-error",
                                "a remote endpoint does not show how an Event invocation ended");
        return;
    }
    if (o->journal == NULL) {
        lc_verdicts_add(out, "async-result-discarded", false,
                        "the emulator never ran the event (request %s)", o->request_id);
        return;
    }
    lc_verdicts_add(out, "async-result-discarded", true,
                    "the emulator ran the event (request %s); its outcome reached no caller",
                    o->request_id);
    json_t *body = o->journal->function_error[0]
                       ? json_loadb(o->journal->payload, o->journal->payload_len, 0, NULL)
                       : NULL;
    no_unexpected_error(o->journal->function_error, o->journal->error_type,
                        string_of(body, "errorMessage"), expect, out);
    json_decref(body);
}

void lc_contracts_check(const lc_observation *o, const json_t *expect, lc_verdicts *out)
{
    const char *type = o->invocation_type ? o->invocation_type : "RequestResponse";
    if (strcmp(type, "Event") == 0)
        async_contracts(o, expect, out);
    else if (strcmp(type, "RequestResponse") == 0)
        sync_contracts(o, expect, out);
}
