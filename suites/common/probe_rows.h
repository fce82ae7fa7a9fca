/* One row per behaviour of spec tables 2.1, 2.3, 2.4 and 4.4, with the probe handler that shows
 * it and exactly what the caller must get. Shared by the C-API suite (unit/test_emulator.c) and
 * the command-line suite (e2e/test_invoke.c). "{id}" in a message stands for the request id. */
#ifndef LC_PROBE_ROWS_H
#define LC_PROBE_ROWS_H

#include <stddef.h>

typedef struct {
    const char *name;          /* what the row shows */
    const char *handler;       /* in fixtures/functions/probes */
    const char *event;         /* JSON text */
    long timeout_ms;           /* 0: 3000 */
    long memory_mb;            /* 0: 128 */
    const char *payload;       /* exact expected payload of a success; NULL for errors */
    size_t payload_len;        /* 0: strlen(payload) */
    const char *content_type;  /* of a success */
    const char *error_type;    /* expected errorType of a function error; NULL for success */
    const char *error_message; /* expected errorMessage ("{id}" = request id) */
    int init_error;            /* 1: requestId must be "" (an init error) */
} probe_row;

static const probe_row probe_rows[] = {
    /* 2.3 results */
    {"None is null", "probes.returns_none", "{}", 0, 0, "null", 0, "application/json", NULL, NULL, 0},
    {"no return is null", "probes.implicit_none", "{}", 0, 0, "null", 0, "application/json", NULL, NULL, 0},
    {"a dict is JSON with Python's separators", "probes.echo", "{\"a\":1,\"b\":[true,null]}", 0, 0,
     "{\"a\": 1, \"b\": [true, null]}", 0, "application/json", NULL, NULL, 0},
    {"a tuple is a list", "probes.returns_tuple", "{}", 0, 0, "[1, \"two\", 3.0]", 0,
     "application/json", NULL, NULL, 0},
    {"a Decimal keeps its digits", "probes.returns_decimal", "{}", 0, 0,
     "{\"price\": 1.10, \"big\": 12345678901234567890.000001}", 0, "application/json", NULL, NULL, 0},
    {"NaN and infinities", "probes.returns_nan", "{}", 0, 0, "[NaN, Infinity, -Infinity, NaN]", 0,
     "application/json", NULL, NULL, 0},
    {"bytes pass unchanged", "probes.returns_bytes", "{}", 0, 0, "\0raw bytes\xff", 11,
     "application/unknown", NULL, NULL, 0},
    {"non-ASCII is escaped before 3.12", "probes.returns_non_ascii", "{}", 0, 0,
     "{\"greeting\": \"h\\u00e9llo w\\u00f6rld \\u2603\"}", 0, "application/json", NULL, NULL, 0},
    {"a set is a MarshalError", "probes.returns_set", "{}", 0, 0, NULL, 0, NULL, "Runtime.MarshalError",
     "Unable to marshal response: Object of type set is not JSON serializable", 0},
    {"a datetime is a MarshalError", "probes.returns_datetime", "{}", 0, 0, NULL, 0, NULL,
     "Runtime.MarshalError", "Unable to marshal response: Object of type datetime is not JSON serializable", 0},
    {"an object is a MarshalError", "probes.returns_object", "{}", 0, 0, NULL, 0, NULL,
     "Runtime.MarshalError", "Unable to marshal response: Object of type Opaque is not JSON serializable", 0},
    {"a class is a MarshalError", "probes.returns_class", "{}", 0, 0, NULL, 0, NULL,
     "Runtime.MarshalError", "Unable to marshal response: Object of type type is not JSON serializable", 0},
    /* events of every JSON type (spec 1) */
    {"a list event", "probes.event_type", "[1,2]", 0, 0, "{\"type\": \"list\", \"event\": [1, 2]}", 0,
     "application/json", NULL, NULL, 0},
    {"a string event", "probes.event_type", "\"text\"", 0, 0, "{\"type\": \"str\", \"event\": \"text\"}",
     0, "application/json", NULL, NULL, 0},
    {"a number event", "probes.event_type", "4.5", 0, 0, "{\"type\": \"float\", \"event\": 4.5}", 0,
     "application/json", NULL, NULL, 0},
    {"an integer event", "probes.event_type", "42", 0, 0, "{\"type\": \"int\", \"event\": 42}", 0,
     "application/json", NULL, NULL, 0},
    {"a null event", "probes.event_type", "null", 0, 0, "{\"type\": \"NoneType\", \"event\": null}", 0,
     "application/json", NULL, NULL, 0},
    /* 2.4 handler exceptions */
    {"an exception", "probes.raises_value_error", "{}", 0, 0, NULL, 0, NULL, "ValueError", "boom", 0},
    {"a custom exception class", "probes.raises_custom", "{}", 0, 0, NULL, 0, NULL, "MyError",
     "custom failure", 0},
    {"a bare exception has an empty message", "probes.raises_bare", "{}", 0, 0, NULL, 0, NULL,
     "RuntimeError", "", 0},
    {"import inside the handler", "probes.imports_missing", "{}", 0, 0, NULL, 0, NULL,
     "ModuleNotFoundError", "No module named 'module_that_does_not_exist'", 0},
    /* 2.1 init errors */
    {"module missing", "nomod.handler", "{}", 0, 0, NULL, 0, NULL, "Runtime.ImportModuleError",
     "Unable to import module 'nomod': No module named 'nomod'", 1},
    {"function missing", "probes.nothere", "{}", 0, 0, NULL, 0, NULL, "Runtime.HandlerNotFound",
     "Handler 'nothere' missing on module 'probes'", 1},
    {"no dot in the handler", "probeshandler", "{}", 0, 0, NULL, 0, NULL,
     "Runtime.MalformedHandlerName",
     "Bad handler 'probeshandler': not enough values to unpack (expected 2, got 1)", 1},
    {"syntax error", "init_syntax.handler", "{}", 0, 0, NULL, 0, NULL, "Runtime.UserCodeSyntaxError",
     "Syntax error in module 'init_syntax': expected ':' (init_syntax.py, line 1)", 1},
    {"a built-in module", "sys.handler", "{}", 0, 0, NULL, 0, NULL, "Runtime.BuiltInModuleConflict",
     "Cannot use built-in module sys as a handler module", 1},
    {"an exception at import time", "init_raises.handler", "{}", 0, 0, NULL, 0, NULL, "ConfigMissing",
     "TABLE_NAME is not set", 1},
    {"an import that fails at import time", "init_imports_missing.handler", "{}", 0, 0, NULL, 0, NULL,
     "Runtime.ImportModuleError",
     "Unable to import module 'init_imports_missing': No module named 'module_that_does_not_exist'", 1},
    /* 4.4 platform-made errors */
    {"timeout", "probes.sleeps", "{\"seconds\": 10}", 250, 0, NULL, 0, NULL, "Sandbox.Timedout",
     "RequestId: {id} Error: Task timed out after 0.25 seconds", 0},
    {"sys.exit(3)", "probes.exits", "{\"code\": 3}", 0, 0, NULL, 0, NULL, "Runtime.ExitError",
     "RequestId: {id} Error: Runtime exited with error: exit status 3", 0},
    {"exit 0 without a response", "probes.exits_zero", "{}", 0, 0, NULL, 0, NULL, "Runtime.ExitError",
     "RequestId: {id} Error: Runtime exited without providing a reason", 0},
    {"a segfault", "probes.segfault", "{}", 0, 0, NULL, 0, NULL, "Runtime.ExitError",
     "RequestId: {id} Error: Runtime exited with error: signal: segmentation fault", 0},
    {"SIGKILL", "probes.killed", "{}", 0, 0, NULL, 0, NULL, "Runtime.ExitError",
     "RequestId: {id} Error: Runtime exited with error: signal: killed", 0},
    {"KeyboardInterrupt is not caught", "probes.keyboard_interrupt", "{}", 0, 0, NULL, 0, NULL,
     "Runtime.ExitError", "RequestId: {id} Error: Runtime exited with error: signal: interrupt", 0},
    {"exit during init", "init_exits.handler", "{}", 0, 0, NULL, 0, NULL, "Runtime.ExitError",
     "RequestId: {id} Error: Runtime exited with error: exit status 7", 0},
    {"a response over 6 MB", "probes.big_response", "{\"bytes\": 7340032}", 0, 0, NULL, 0, NULL,
     "Function.ResponseSizeTooLarge",
     "Response payload size (7340034 bytes) exceeded maximum allowed payload size (6291556 bytes).", 0},
    {"over the memory size", "probes.allocates", "{\"megabytes\": 300}", 10000, 128, NULL, 0, NULL,
     "Runtime.OutOfMemory", "RequestId: {id} Error: Runtime exited with error: signal: killed", 0},
};

#define PROBE_ROW_COUNT ((int)(sizeof probe_rows / sizeof *probe_rows))

#endif
