#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lambdacheck/buf.h"
#include "suites.h"

START_TEST(appends_and_stays_terminated)
{
    lc_buf b;
    lc_buf_init(&b, 0);
    ck_assert_int_eq(lc_buf_puts(&b, "hello"), LC_OK);
    ck_assert_int_eq(lc_buf_printf(&b, ", %s %d", "world", 42), LC_OK);
    ck_assert_str_eq(b.data, "hello, world 42");
    ck_assert_uint_eq(b.len, 15);
    lc_buf_free(&b);
}
END_TEST

START_TEST(binary_data_keeps_its_bytes)
{
    lc_buf b;
    lc_buf_init(&b, 0);
    ck_assert_int_eq(lc_buf_append(&b, "a\0b", 3), LC_OK);
    ck_assert_uint_eq(b.len, 3);
    ck_assert_int_eq(memcmp(b.data, "a\0b", 4), 0);
    lc_buf_free(&b);
}
END_TEST

START_TEST(the_cap_is_a_distinct_error_and_keeps_the_buffer)
{
    lc_buf b;
    lc_buf_init(&b, 8);
    ck_assert_int_eq(lc_buf_puts(&b, "12345678"), LC_OK);
    ck_assert_int_eq(lc_buf_puts(&b, "9"), LC_ETOOLARGE);
    ck_assert_int_eq(lc_buf_printf(&b, "%d", 9), LC_ETOOLARGE);
    ck_assert_str_eq(b.data, "12345678");
    lc_buf_free(&b);
}
END_TEST

START_TEST(take_hands_over_the_memory)
{
    lc_buf b;
    lc_buf_init(&b, 0);
    char *empty = lc_buf_take(&b);
    ck_assert_str_eq(empty, "");
    free(empty);
    lc_buf_puts(&b, "abc");
    char *s = lc_buf_take(&b);
    ck_assert_str_eq(s, "abc");
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    free(s);
}
END_TEST

START_TEST(reading_a_missing_file_names_it)
{
    lc_buf b;
    lc_error err = {0};
    lc_buf_init(&b, 0);
    ck_assert_int_eq(lc_buf_read_file(&b, "/nonexistent/event.json", &err), LC_ENOTFOUND);
    ck_assert_str_eq(err.source, "/nonexistent/event.json");
    ck_assert_ptr_nonnull(strstr(err.message, "No such file"));
    lc_buf_free(&b);
}
END_TEST

START_TEST(reading_a_file_over_the_cap_fails_with_toolarge)
{
    char path[] = "/tmp/lc_buf_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "0123456789", 10), 10);
    close(fd);
    lc_buf b;
    lc_error err = {0};
    lc_buf_init(&b, 4);
    lc_status st = lc_buf_read_file(&b, path, &err);
    unlink(path);
    ck_assert_int_eq(st, LC_ETOOLARGE);
    ck_assert_ptr_nonnull(strstr(err.message, "limit of 4 bytes"));
    lc_buf_free(&b);
}
END_TEST

/* What is not a regular file is refused without being read: a FIFO with no writer would block
 * forever, a folder is not a file. */
START_TEST(only_regular_files_are_read)
{
    char dir[] = "/tmp/lc_buf_XXXXXX", fifo[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    lc_buf b;
    lc_buf_init(&b, 0);
    lc_error err = {0};
    ck_assert_int_eq(lc_buf_read_file(&b, fifo, &err), LC_EIO);
    ck_assert_str_eq(err.message, "cannot read it: it is a FIFO, not a regular file");
    ck_assert_str_eq(err.source, fifo);
    lc_error_clear(&err);
    ck_assert_int_eq(lc_buf_read_file(&b, dir, &err), LC_EIO);
    ck_assert_str_eq(err.message, "cannot read it: it is a folder, not a file");
    lc_buf_free(&b);
    unlink(fifo);
    rmdir(dir);
}
END_TEST

Suite *buf_suite(void)
{
    Suite *s = suite_create("buf");
    TCase *core = tcase_create("core");
    tcase_add_test(core, appends_and_stays_terminated);
    tcase_add_test(core, binary_data_keeps_its_bytes);
    tcase_add_test(core, take_hands_over_the_memory);
    suite_add_tcase(s, core);
    TCase *errors = tcase_create("errors");
    tcase_add_test(errors, reading_a_missing_file_names_it);
    tcase_add_test(errors, only_regular_files_are_read);
    suite_add_tcase(s, errors);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, the_cap_is_a_distinct_error_and_keeps_the_buffer);
    tcase_add_test(limits, reading_a_file_over_the_cap_fails_with_toolarge);
    suite_add_tcase(s, limits);
    return s;
}
