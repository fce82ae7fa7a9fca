/* AWS's event-stream framing (spec 8): what the emulator writes, the client reads back, however
 * the bytes are cut; damaged or hostile frames are refused by name. */
#include <check.h>
#include <string.h>

#include <zlib.h>

#include "lambdacheck/eventstream.h"
#include "suites.h"

static uint32_t be32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

/* The layout of one message, byte by byte: lengths, CRCs, a string header, the payload. */
START_TEST(a_message_is_laid_out_as_the_spec_says)
{
    lc_buf b;
    lc_buf_init(&b, 0);
    const lc_eventstream_header h[] = {{":event-type", "PayloadChunk"}};
    ck_assert_int_eq(lc_eventstream_write(&b, h, 1, "hi", 2), LC_OK);
    size_t headers = 1 + 11 + 1 + 2 + 12;
    ck_assert_uint_eq(b.len, 12 + headers + 2 + 4);
    ck_assert_uint_eq(be32(b.data), b.len);
    ck_assert_uint_eq(be32(b.data + 4), headers);
    ck_assert_uint_eq(be32(b.data + 8), crc32(0, (const Bytef *)b.data, 8));
    ck_assert_int_eq(b.data[12], 11);
    ck_assert(memcmp(b.data + 13, ":event-type", 11) == 0);
    ck_assert_int_eq(b.data[24], 7); /* a string */
    ck_assert_int_eq(b.data[25], 0);
    ck_assert_int_eq(b.data[26], 12);
    ck_assert(memcmp(b.data + 27, "PayloadChunk", 12) == 0);
    ck_assert(memcmp(b.data + 39, "hi", 2) == 0);
    ck_assert_uint_eq(be32(b.data + b.len - 4), crc32(0, (const Bytef *)b.data, b.len - 4));
    lc_buf_free(&b);
}
END_TEST

/* Messages written one after another read back whole, fed one byte at a time. */
START_TEST(messages_read_back_whatever_the_pieces)
{
    lc_buf b;
    lc_buf_init(&b, 0);
    ck_assert_int_eq(lc_eventstream_payload_chunk(&b, "first ", 6), LC_OK);
    ck_assert_int_eq(lc_eventstream_payload_chunk(&b, "", 0), LC_OK);
    ck_assert_int_eq(lc_eventstream_invoke_complete(&b, "TypeError", "{\"errorMessage\":\"x\"}",
                                                    "bG9n"),
                     LC_OK);
    lc_eventstream_reader r;
    lc_eventstream_reader_init(&r);
    lc_eventstream_message m;
    const char *want_types[] = {"PayloadChunk", "PayloadChunk", "InvokeComplete"};
    const char *want_payloads[] = {
        "first ", "", "{\"ErrorCode\":\"TypeError\",\"ErrorDetails\":\"{\\\"errorMessage\\\":\\\"x\\\"}\","
                      "\"LogResult\":\"bG9n\"}"};
    int read = 0;
    for (size_t i = 0; i < b.len; i++) {
        ck_assert_int_eq(lc_eventstream_feed(&r, b.data + i, 1), LC_OK);
        lc_status st;
        while ((st = lc_eventstream_next(&r, &m, NULL)) == LC_OK) {
            ck_assert_int_lt(read, 3);
            ck_assert_str_eq(lc_eventstream_header_value(&m, ":event-type"), want_types[read]);
            ck_assert_str_eq(lc_eventstream_header_value(&m, ":message-type"), "event");
            ck_assert_uint_eq(m.payload_len, strlen(want_payloads[read]));
            ck_assert(memcmp(m.payload, want_payloads[read], m.payload_len) == 0);
            read++;
        }
        ck_assert_int_eq(st, LC_ENOTFOUND);
    }
    ck_assert_int_eq(read, 3);
    lc_eventstream_reader_free(&r);
    lc_buf_free(&b);
}
END_TEST

/* A flipped bit in the prelude or the message, or a length that cannot be, is refused. */
START_TEST(damaged_messages_are_refused_by_name)
{
    lc_buf b;
    lc_buf_init(&b, 0);
    ck_assert_int_eq(lc_eventstream_payload_chunk(&b, "bytes", 5), LC_OK);
    const struct {
        size_t at;
        const char *says;
    } damage[] = {{2, "prelude fails its CRC"}, {b.len - 6, "message fails its CRC"}};
    for (size_t i = 0; i < 2; i++) {
        lc_eventstream_reader r;
        lc_eventstream_reader_init(&r);
        ck_assert_int_eq(lc_eventstream_feed(&r, b.data, b.len), LC_OK);
        r.pending.data[damage[i].at] ^= 0x10;
        lc_eventstream_message m;
        lc_error err = {0};
        ck_assert_int_eq(lc_eventstream_next(&r, &m, &err), LC_EPROTO);
        ck_assert_msg(strstr(err.message, damage[i].says) != NULL, "%s", err.message);
        lc_eventstream_reader_free(&r);
    }
    /* a prelude claiming more than 16 MiB, with a valid CRC */
    unsigned char huge[12] = {0x7f, 0, 0, 0, 0, 0, 0, 0};
    uint32_t c = (uint32_t)crc32(0, huge, 8);
    huge[8] = (unsigned char)(c >> 24), huge[9] = (unsigned char)(c >> 16);
    huge[10] = (unsigned char)(c >> 8), huge[11] = (unsigned char)c;
    lc_eventstream_reader r;
    lc_eventstream_reader_init(&r);
    lc_eventstream_feed(&r, huge, sizeof huge);
    lc_eventstream_message m;
    lc_error err = {0};
    ck_assert_int_eq(lc_eventstream_next(&r, &m, &err), LC_EPROTO);
    ck_assert_msg(strstr(err.message, "claims") != NULL, "%s", err.message);
    lc_eventstream_reader_free(&r);
    lc_buf_free(&b);
}
END_TEST

/* Names and values past what the framing can say are refused before anything is written. */
START_TEST(what_the_framing_cannot_carry_is_refused)
{
    char name[300], value[70000];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    memset(value, 'v', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    lc_buf b;
    lc_buf_init(&b, 0);
    ck_assert_int_eq(lc_eventstream_write(&b, &(lc_eventstream_header){name, "x"}, 1, NULL, 0),
                     LC_EINVAL);
    ck_assert_int_eq(lc_eventstream_write(&b, &(lc_eventstream_header){"n", value}, 1, NULL, 0),
                     LC_EINVAL);
    ck_assert_uint_eq(b.len, 0);
    lc_buf_free(&b);
}
END_TEST

Suite *eventstream_suite(void)
{
    Suite *s = suite_create("eventstream");
    TCase *core = tcase_create("core");
    tcase_add_test(core, a_message_is_laid_out_as_the_spec_says);
    tcase_add_test(core, messages_read_back_whatever_the_pieces);
    tcase_add_test(core, damaged_messages_are_refused_by_name);
    tcase_add_test(core, what_the_framing_cannot_carry_is_refused);
    suite_add_tcase(s, core);
    return s;
}
