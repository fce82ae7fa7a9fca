/* Fuzz target: a response judged by the event source's contract, the built-in contracts and a
 * case's expectations. Input: EVENT @@ PAYLOAD (any bytes) @@ EXPECT @@ FLAGS (status, type,
 * function error, runtime, log). */
#include "fuzz.h"

#include "lambdacheck/lambdacheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_part p[4];
    fuzz_split(data, size, p, 4);
    json_t *event = json_loadb(p[0].text, p[0].len, JSON_DECODE_ANY, NULL);
    lc_verdicts v = {0};
    lc_source_settings on = {.report_batch_item_failures = p[0].len % 2 == 0};
    lc_source_contract_check(event, p[1].text, p[1].len, &on, &v);
    unsigned char f = p[3].len ? (unsigned char)p[3].text[0] : 0;
    static const char *const types[] = {"RequestResponse", "Event", "DryRun", "Other"};
    lc_result journal = {.end = (lc_end)(f % 7), .payload = p[1].text, .payload_len = p[1].len,
                         .cold_start = f & 8, .log = p[3].text, .log_len = p[3].len};
    lc_observation o = {.invocation_type = types[f % 4], .status = (f & 16) ? 202 : 200,
                        .function_error = (f & 32) ? "Unhandled" : "", .request_id = "r",
                        .payload = p[1].text, .payload_len = p[1].len, .log = p[3].text,
                        .log_len = p[3].len, .log_is_tail = f & 64,
                        .runtime = (lc_runtime)((int)(f % (LC__RUNTIME_COUNT + 1)) - 1),
                        .local = f & 128, .journal = (f & 128) && (f & 1) ? &journal : NULL};
    json_t *expect = json_loadb(p[2].text, p[2].len, 0, NULL);
    if (lc_expect_validate(expect, "fuzz", "expect.", NULL) == LC_OK && expect)
        lc_expect_check(expect, &o, &v);
    lc_contracts_check(&o, expect, &v);
    lc_verdicts_clear(&v);
    json_decref(expect);
    json_decref(event);
    fuzz_free(p, 4);
    return 0;
}
