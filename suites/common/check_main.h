/* The main() of the Check test programs: runs the suites named on the command line, or all. */
#ifndef LC_CHECK_MAIN_H
#define LC_CHECK_MAIN_H

#include <check.h>
#include <stddef.h>

typedef struct {
    const char *name;
    Suite *(*make)(void);
} named_suite;

/* Returns the process exit status: 0 when every test passed, 1 on failures, 2 for an unknown
 * suite name. */
int run_named_suites(int argc, char **argv, const named_suite *suites, size_t n);

#endif
