/* Fuzz target: the Invoke API's request handling, driven in-process: raw bytes to the emulator's
 * Invoke API server (path, function name, qualifier, query, headers, client context, body,
 * signatures). The first byte chooses the server that requires SigV4 or the one that does not.
 * Its one function starts a runtime that exits at once, so invocations end fast. */
#include "fuzz.h"
#include "fuzz_net.h"

#include "lambdacheck/lambdacheck.h"

static lc_emulator *em;
static lc_invoke_server *open_server, *signed_server;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    lc_function_config c = {.name = "f", .handler = "app.handler", .code_dir = "/tmp",
                            .runtime_command = "/bin/true", .timeout_ms = 1000};
    lc_function *fn;
    lc_async_config quick = {.max_retry_attempts = 0, .max_event_age_ms = 60000,
                             .retry_delay_ms = {1, 1}};
    lc_invoke_server_options so = {.sigv4_access_key_id = "AKIDEXAMPLE",
                                   .sigv4_secret_access_key = "secret"};
    if (lc_emulator_new(NULL, &em, NULL) != LC_OK || lc_function_new(&c, &fn, NULL) != LC_OK ||
        lc_emulator_add_function(em, fn, NULL) != LC_OK ||
        lc_emulator_set_async(em, "f", &quick, NULL) != LC_OK ||
        lc_invoke_server_start(em, NULL, &open_server, NULL) != LC_OK ||
        lc_invoke_server_start(em, &so, &signed_server, NULL) != LC_OK)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    lc_invoke_server *s = data[0] & 1 ? signed_server : open_server;
    fuzz_exchange(lc_invoke_server_port(s), data + 1, size - 1, 2000);
    return 0;
}
