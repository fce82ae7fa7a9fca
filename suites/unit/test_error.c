#include <string.h>

#include "lambdacheck/error.h"
#include "suites.h"

START_TEST(names_and_texts_come_from_one_table)
{
    ck_assert_int_eq(LC_OK, 0);
    ck_assert_str_eq(lc_errname(LC_EJSON), "LC_EJSON");
    ck_assert_str_eq(lc_strerror(LC_EJSON), "malformed JSON");
    ck_assert_str_eq(lc_errname(LC_ETOOLARGE), "LC_ETOOLARGE");
    ck_assert_str_eq(lc_strerror(LC_OK), "success");
}
END_TEST

START_TEST(out_of_range_statuses_are_named_unknown)
{
    ck_assert_str_eq(lc_errname((lc_status)9999), "LC_UNKNOWN");
    ck_assert_str_eq(lc_strerror((lc_status)-1), "unknown status");
}
END_TEST

START_TEST(first_error_wins)
{
    lc_error err = {0};
    ck_assert_int_eq(lc_error_set(&err, LC_EJSON, "a.json", 3, 7, "bad %s", "thing"), LC_EJSON);
    ck_assert_int_eq(lc_error_set(&err, LC_EIO, "b.json", 1, 1, "later"), LC_EIO);
    ck_assert_int_eq(err.status, LC_EJSON);
    ck_assert_str_eq(err.message, "bad thing");
    ck_assert_str_eq(err.source, "a.json");
    ck_assert_int_eq(err.line, 3);
    ck_assert_int_eq(err.column, 7);
}
END_TEST

START_TEST(a_null_error_is_allowed)
{
    ck_assert_int_eq(lc_error_set(NULL, LC_EINVAL, NULL, 0, 0, "x"), LC_EINVAL);
    lc_error_clear(NULL);
}
END_TEST

START_TEST(format_leaves_out_unset_parts)
{
    lc_error err = {0};
    char out[256];
    lc_error_set(&err, LC_EJSON, "ev.json", 2, 5, "unexpected token");
    ck_assert_str_eq(lc_error_format(&err, out, sizeof out), "ev.json:2:5: unexpected token");
    lc_error_clear(&err);
    lc_error_set(&err, LC_ENOTFOUND, "missing.json", 0, 0, "cannot open file");
    ck_assert_str_eq(lc_error_format(&err, out, sizeof out), "missing.json: cannot open file");
    lc_error_clear(&err);
    lc_error_set(&err, LC_EINVAL, NULL, 0, 0, "plain");
    ck_assert_str_eq(lc_error_format(&err, out, sizeof out), "plain");
}
END_TEST

START_TEST(long_messages_are_truncated_not_overflowed)
{
    lc_error err = {0};
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    lc_error_set(&err, LC_EINVAL, big, 0, 0, "%s", big);
    ck_assert_uint_eq(strlen(err.message), sizeof err.message - 1);
    ck_assert_uint_eq(strlen(err.source), sizeof err.source - 1);
}
END_TEST

Suite *error_suite(void)
{
    Suite *s = suite_create("error");
    TCase *core = tcase_create("core");
    tcase_add_test(core, names_and_texts_come_from_one_table);
    tcase_add_test(core, out_of_range_statuses_are_named_unknown);
    tcase_add_test(core, first_error_wins);
    tcase_add_test(core, a_null_error_is_allowed);
    tcase_add_test(core, format_leaves_out_unset_parts);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, long_messages_are_truncated_not_overflowed);
    suite_add_tcase(s, limits);
    return s;
}
