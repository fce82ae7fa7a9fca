/* Fuzz target: merge patches and path=value assignments applied to an event.
 * Input: EVENT @@ PATCH @@ ASSIGNMENTS (one per line). */
#include "fuzz.h"

#include "lambdacheck/lambdacheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_part p[3];
    fuzz_split(data, size, p, 3);
    json_t *event = json_loadb(p[0].text, p[0].len, JSON_DECODE_ANY, NULL);
    json_t *patch = json_loadb(p[1].text, p[1].len, JSON_DECODE_ANY, NULL);
    if (event == NULL)
        event = json_object();
    if (patch)
        lc_event_patch(&event, patch, NULL);
    for (char *line = strtok(p[2].text, "\n"); line; line = strtok(NULL, "\n")) {
        lc_error err = {0};
        lc_event_assign(&event, line, &err);
    }
    char *text = json_dumps(event, JSON_ENCODE_ANY);
    free(text);
    json_decref(patch);
    json_decref(event);
    fuzz_free(p, 3);
    return 0;
}
