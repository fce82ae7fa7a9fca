/* Fuzz target: Lambda's event filtering. The input is a pattern and a record (JSON text each),
 * cut at "\n@@\n": the pattern is checked; when Lambda would take it, the record is seen as
 * Lambda sees it (an SQS body, Kinesis data) and matched, with the reason when it does not. */
#include "fuzz.h"

#include <jansson.h>

#include "lambdacheck/lambdacheck.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_part parts[2];
    fuzz_split(data, size, parts, 2);
    lc_event_filter *f = NULL;
    if (lc_event_filter_parse(parts[0].text, "fuzz", &f, NULL) == LC_OK) {
        json_t *record = json_loadb(parts[1].text, parts[1].len, JSON_DECODE_ANY, NULL);
        json_t *view = record ? lc_event_filter_view(record, NULL) : NULL;
        lc_buf why;
        lc_buf_init(&why, 2000);
        (void)lc_event_filter_match(f, view, &why);
        (void)lc_event_filter_check_source(f, "aws:kinesis", "fuzz", NULL);
        lc_buf_free(&why);
        json_decref(view);
        json_decref(record);
        lc_event_filter_free(f);
    }
    fuzz_free(parts, 2);
    return 0;
}
