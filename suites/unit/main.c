/* Runs the unit suites named on the command line (all of them without arguments). */
#include "../common/check_main.h"
#include "suites.h"

static const named_suite all_suites[] = {
#define LC__SUITE_ENTRY(name) {#name, name##_suite},
    LC_UNIT_SUITES(LC__SUITE_ENTRY)
#undef LC__SUITE_ENTRY
};

int main(int argc, char **argv)
{
    return run_named_suites(argc, argv, all_suites, sizeof all_suites / sizeof *all_suites);
}
