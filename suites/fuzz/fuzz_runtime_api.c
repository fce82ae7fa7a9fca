/* Fuzz target: the Runtime API's request handling, driven in-process: an invocation is waiting
 * for every input, whose raw bytes go to the Runtime API as a runtime would send them (/next,
 * responses and errors for the invocation or another id, init errors, unknown paths). An input
 * of an odd length goes to a concurrent (Managed Instances) Runtime API instead, with two
 * invocations waiting. */
#include "fuzz.h"
#include "fuzz_net.h"

#include "lambdacheck/lambdacheck.h"

static lc_runtime_api *single, *concurrent;
static json_t *headers;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (lc_runtime_api_start(&single, NULL) != LC_OK ||
        lc_runtime_api_start_concurrent(4, &concurrent, NULL) != LC_OK)
        abort();
    headers = json_pack("{s:s, s:s}", "Lambda-Runtime-Aws-Request-Id", "req-1",
                        "Lambda-Runtime-Invoked-Function-Arn",
                        "arn:aws:lambda:us-east-1:123456789012:function:f");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bool many = size & 1;
    lc_runtime_api *api = many ? concurrent : single;
    static const char *const ids[] = {"req-1", "req-2"};
    for (size_t i = 0; i < (many ? 2u : 1u); i++) {
        lc_runtime_invocation inv = {.request_id = ids[i], .headers = headers, .payload = "{}",
                                     .payload_len = 2, .timeout_ms = 3000};
        if (many)
            lc_runtime_api_abandon_of(api, ids[i]);
        else
            lc_runtime_api_abandon(api);
        (void)lc_runtime_api_submit(api, &inv, NULL);
    }
    fuzz_exchange(lc_runtime_api_port(api), data, size, 50);
    lc_runtime_outcome o;
    if (lc_runtime_api_take_outcome(api, &o))
        lc_runtime_outcome_clear(&o);
    for (size_t i = 0; many && i < 2; i++)
        if (lc_runtime_api_take_outcome_of(api, ids[i], &o))
            lc_runtime_outcome_clear(&o);
    lc_runtime_post *posts;
    size_t n = lc_runtime_api_take_posts(api, &posts);
    lc_runtime_posts_free(posts, n);
    lc_runtime_api_drain_notify(api);
    return 0;
}
