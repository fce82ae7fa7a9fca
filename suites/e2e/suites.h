/* The end-to-end suites: the lambdacheck command as a user runs it. */
#ifndef LC_E2E_SUITES_H
#define LC_E2E_SUITES_H

#include <check.h>

#define LC_E2E_SUITES(X) X(cli) X(invoke) X(serve) X(check) X(sam) X(aws) X(gateway)

#define LC__DECLARE_SUITE(name) Suite *name##_suite(void);
LC_E2E_SUITES(LC__DECLARE_SUITE)
#undef LC__DECLARE_SUITE

#endif
