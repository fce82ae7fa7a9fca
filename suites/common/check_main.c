#include "check_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static Suite *find_suite(const named_suite *suites, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(suites[i].name, name) == 0)
            return suites[i].make();
    return NULL;
}

int run_named_suites(int argc, char **argv, const named_suite *suites, size_t n)
{
    SRunner *runner = NULL;
    size_t count = argc > 1 ? (size_t)argc - 1 : n;
    for (size_t i = 0; i < count; i++) {
        Suite *s = argc > 1 ? find_suite(suites, n, argv[i + 1]) : suites[i].make();
        if (s == NULL) {
            fprintf(stderr, "%s: no suite named '%s'\n", argv[0], argv[i + 1]);
            srunner_free(runner);
            return 2;
        }
        if (runner == NULL)
            runner = srunner_create(s);
        else
            srunner_add_suite(runner, s);
    }
    srunner_run_all(runner, CK_ENV);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
