/* Runs the unit suites named on the command line (all of them without arguments). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"

static const struct {
    const char *name;
    Suite *(*make)(void);
} all_suites[] = {
#define LC__SUITE_ENTRY(name) {#name, name##_suite},
    LC_UNIT_SUITES(LC__SUITE_ENTRY)
#undef LC__SUITE_ENTRY
};

static Suite *find_suite(const char *name)
{
    for (size_t i = 0; i < sizeof all_suites / sizeof *all_suites; i++)
        if (strcmp(all_suites[i].name, name) == 0)
            return all_suites[i].make();
    return NULL;
}

int main(int argc, char **argv)
{
    SRunner *runner = NULL;
    size_t count = argc > 1 ? (size_t)argc - 1 : sizeof all_suites / sizeof *all_suites;
    for (size_t i = 0; i < count; i++) {
        Suite *s = argc > 1 ? find_suite(argv[i + 1]) : all_suites[i].make();
        if (s == NULL) {
            fprintf(stderr, "unit_tests: no suite named '%s'\n", argv[i + 1]);
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
