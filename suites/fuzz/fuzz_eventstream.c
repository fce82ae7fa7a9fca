/* Fuzz target: reading an event stream (what InvokeWithResponseStream answers, from any endpoint)
 * fed in pieces of the sizes the input's first byte chooses. Every message read is also written
 * back and read again: the two must agree. */
#include "fuzz.h"

#include "lambdacheck/lambdacheck.h"

static void reread(const lc_eventstream_message *m)
{
    lc_buf out;
    lc_buf_init(&out, 0);
    if (lc_eventstream_write(&out, m->headers, m->n_headers, m->payload, m->payload_len) == LC_OK) {
        lc_eventstream_reader r;
        lc_eventstream_reader_init(&r);
        lc_eventstream_message again;
        if (lc_eventstream_feed(&r, out.data, out.len) != LC_OK ||
            lc_eventstream_next(&r, &again, NULL) != LC_OK || again.payload_len != m->payload_len ||
            again.n_headers != m->n_headers)
            abort();
        lc_eventstream_reader_free(&r);
    }
    lc_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t step = (size_t)data[0] % 64 + 1;
    lc_eventstream_reader r;
    lc_eventstream_reader_init(&r);
    for (size_t at = 1; at < size; at += step) {
        size_t n = size - at < step ? size - at : step;
        if (lc_eventstream_feed(&r, data + at, n) != LC_OK)
            break;
        lc_eventstream_message m;
        lc_error err = {0};
        lc_status st;
        while ((st = lc_eventstream_next(&r, &m, &err)) == LC_OK)
            reread(&m);
        if (st != LC_ENOTFOUND)
            break;
    }
    lc_eventstream_reader_free(&r);
    return 0;
}
