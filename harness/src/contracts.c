#include "lambdacheck/contracts.h"

#include <string.h>

/* Errors the platform makes itself carry only errorType and errorMessage (spec 4.4). */
static bool platform_error(const char *type)
{
    static const char *const types[] = {"Sandbox.Timedout", "Runtime.ExitError",
                                        "Runtime.OutOfMemory", "Function.ResponseSizeTooLarge",
                                        "ServiceException", NULL};
    for (const char *const *t = types; *t; t++)
        if (strcmp(*t, type) == 0)
            return true;
    return false;
}

static const char *expected_error(const json_t *expect)
{
    return json_string_value(json_object_get(expect, "errorType"));
}

static void result_serializable(const json_t *body, const json_t *expect, lc_verdicts *out)
{
    const char *type = json_string_value(json_object_get(body, "errorType"));
    bool marshal = type && strcmp(type, "Runtime.MarshalError") == 0;
    const char *wanted = expected_error(expect);
    bool asked = wanted && strcmp(wanted, "Runtime.MarshalError") == 0;
    lc_verdicts_add(out, "result-serializable", !marshal || asked,
                    "the handler's result could not be serialized: %s",
                    json_string_value(json_object_get(body, "errorMessage")));
}

static void error_carries_request_id(const json_t *body, const lc_observation *o,
                                     lc_verdicts *out)
{
    static const char *const keys[] = {"errorMessage", "errorType", "requestId", "stackTrace"};
    const char *type = json_string_value(json_object_get(body, "errorType"));
    if (type && platform_error(type))
        return;
    for (size_t i = 0; i < 4; i++)
        if (json_object_get(body, keys[i]) == NULL) {
            lc_verdicts_add(out, "error-carries-request-id", false,
                            "the error response has no %s (it needs errorMessage, errorType, "
                            "requestId and stackTrace)",
                            keys[i]);
            return;
        }
    const char *id = json_string_value(json_object_get(body, "requestId"));
    /* init errors carry "": the journal tells them apart locally; remotely "" is given the
       benefit of the doubt */
    bool init_error = o->journal ? o->journal->end == LC_END_INIT_ERROR : true;
    bool ok = id && (strcmp(id, o->request_id) == 0 || (id[0] == '\0' && init_error));
    lc_verdicts_add(out, "error-carries-request-id", ok,
                    "$.requestId: expected \"%s\" (the invocation's), got \"%s\"", o->request_id,
                    id ? id : "(not a string)");
}

static void sync_contracts(const lc_observation *o, const json_t *expect, lc_verdicts *out)
{
    if (o->function_error == NULL || o->function_error[0] == '\0')
        return;
    json_t *body = json_loadb(o->payload ? o->payload : "", o->payload_len, 0, NULL);
    if (!json_is_object(body)) {
        lc_verdicts_add(out, "error-carries-request-id", false,
                        "the error response is not a JSON object: %.200s",
                        o->payload ? o->payload : "");
        json_decref(body);
        return;
    }
    result_serializable(body, expect, out);
    error_carries_request_id(body, o, out);
    json_decref(body);
}

static void async_contracts(const lc_observation *o, lc_verdicts *out)
{
    bool accepted = o->status == 202 && o->payload_len == 0;
    lc_verdicts_add(out, "async-accepted-empty", accepted,
                    "an Event invocation must answer 202 with an empty body, got %ld with %zu "
                    "bytes",
                    o->status, o->payload_len);
    if (o->journal == NULL)
        return;
    bool ran = o->journal->request_id[0] != '\0';
    lc_verdicts_add(out, "async-result-discarded", ran,
                    "the emulator's journal has no run of request %s: the handler never ran",
                    o->request_id);
}

void lc_contracts_check(const lc_observation *o, const json_t *expect, lc_verdicts *out)
{
    const char *type = o->invocation_type ? o->invocation_type : "RequestResponse";
    if (strcmp(type, "Event") == 0)
        async_contracts(o, out);
    else if (strcmp(type, "RequestResponse") == 0)
        sync_contracts(o, expect, out);
}
