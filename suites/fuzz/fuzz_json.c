/* Fuzz target: JSON comparison, first-difference reports, briefs, and the streaming validator,
 * checked against jansson: what jansson parses, the validator must accept.
 * Input: EXPECTED @@ ACTUAL. */
#include "fuzz.h"

#include "lambdacheck/lambdacheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_part p[2];
    fuzz_split(data, size, p, 2);
    json_t *a = json_loadb(p[0].text, p[0].len, JSON_DECODE_ANY, NULL);
    json_t *b = json_loadb(p[1].text, p[1].len, JSON_DECODE_ANY, NULL);
    /* what jansson parses, the validator must accept; jansson takes a NUL outside a string,
       which is not JSON, so such inputs are left out of the comparison */
    if (a && !memchr(p[0].text, '\0', p[0].len) &&
        lc_json_validate(p[0].text, p[0].len, NULL, NULL) != LC_OK)
        abort(); /* valid JSON the validator refuses */
    (void)lc_json_validate(p[1].text, p[1].len, "fuzz", NULL);
    for (int mode = 0; mode < 2; mode++) {
        lc_buf why;
        lc_buf_init(&why, 0);
        (void)lc_json_match(a, b, (lc_json_mode)mode, &why);
        lc_buf_free(&why);
    }
    (void)lc_json_equal(a, b);
    free(lc_json_brief(a, 40));
    json_decref(a);
    json_decref(b);
    fuzz_free(p, 2);
    return 0;
}
