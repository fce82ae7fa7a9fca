/* Fuzz target: the Runtime API's request handling, driven in-process: an invocation is waiting
 * for every input, whose raw bytes go to the Runtime API as a runtime would send them (/next,
 * responses and errors for the invocation or another id, init errors, unknown paths). */
#include "fuzz.h"
#include "fuzz_net.h"

#include "lambdacheck/lambdacheck.h"

static lc_runtime_api *api;
static json_t *headers;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (lc_runtime_api_start(&api, NULL) != LC_OK)
        abort();
    headers = json_pack("{s:s, s:s}", "Lambda-Runtime-Aws-Request-Id", "req-1",
                        "Lambda-Runtime-Invoked-Function-Arn",
                        "arn:aws:lambda:us-east-1:123456789012:function:f");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lc_runtime_invocation inv = {.request_id = "req-1", .headers = headers, .payload = "{}",
                                 .payload_len = 2, .timeout_ms = 3000};
    lc_runtime_api_abandon(api);
    (void)lc_runtime_api_submit(api, &inv, NULL);
    fuzz_exchange(lc_runtime_api_port(api), data, size, 50);
    lc_runtime_outcome o;
    if (lc_runtime_api_take_outcome(api, &o))
        lc_runtime_outcome_clear(&o);
    lc_runtime_post *posts;
    size_t n = lc_runtime_api_take_posts(api, &posts);
    lc_runtime_posts_free(posts, n);
    lc_runtime_api_drain_notify(api);
    return 0;
}
