/* Fuzz target: event loading, source detection, and generating a fresh event from it.
 * Input: EVENT @@ BODY @@ PATH @@ KEY (the last three are generation parameters; KEY is also
 * an assignment made after generating, as --set does). */
#include "fuzz.h"

#include "lambdacheck/lambdacheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_part p[4];
    fuzz_split(data, size, p, 4);
    json_t *event = NULL;
    if (lc_event_load_string(p[0].text, p[0].len, "fuzz", &event, NULL) == LC_OK) {
        lc_event_source source = lc_event_detect(event);
        lc_event_params all = {.count = (int)(p[1].len % 5), .body = p[1].text,
                               .method = p[2].len % 2 ? "POST" : NULL, .path = p[2].text,
                               .bucket = p[3].len % 2 ? p[3].text : NULL, .key = p[3].text};
        for (int s = 1; s < LC__SOURCE_COUNT; s++) { /* every source's rules on this sample */
            unsigned takes = lc_event_params_of((lc_event_source)s);
            lc_event_params params = all, *given = &params;
            if (!(takes & LC_PARAM_COUNT))
                params.count = 0;
            if (!(takes & LC_PARAM_BODY))
                params.body = NULL;
            if (!(takes & LC_PARAM_ROUTE))
                params.method = params.path = NULL;
            if (!(takes & LC_PARAM_OBJECT))
                params.bucket = params.key = NULL;
            if (p[0].len % 3 == 0)
                given = &all; /* and the refusals */
            json_t *fresh = NULL;
            if (lc_event_generate((lc_event_source)s, event, given, &fresh, NULL) == LC_OK) {
                (void)lc_event_detect(fresh);
                (void)lc_event_assign_synced(&fresh, p[3].text, NULL);
                json_decref(fresh);
            }
        }
        (void)source;
        json_decref(event);
    }
    fuzz_free(p, 4);
    return 0;
}
