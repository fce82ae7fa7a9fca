/* lambdacheck: coverage of Python handler code, measured with coverage.py while cases run.
 *
 * Every runtime process runs the bundled client under `coverage run --parallel-mode`; each
 * environment leaves its own data file (saved when the environment is shut down with SIGTERM),
 * and the report combines them all into an lcov tracefile and genhtml's HTML, the same shape as
 * the harness's own coverage report.
 */
#ifndef LAMBDACHECK_HANDLER_COVERAGE_H
#define LAMBDACHECK_HANDLER_COVERAGE_H

#include "lambdacheck/error.h"

typedef struct {
    char python[4096];   /* the interpreter that has coverage.py */
    char dir[4096];      /* the report folder: reports/coverage/handlers */
    char command[9000];  /* the runtime command to run functions with */
} lc_handler_coverage;

/* Checks that python (NULL: $LAMBDACHECK_PYTHON or python3) can import coverage, empties dir's
 * old data and fills *out. LC_ENOTFOUND, with the package to install in the message, when
 * coverage.py is missing. */
lc_status lc_handler_coverage_prepare(const char *python, const char *dir,
                                      lc_handler_coverage *out, lc_error *err);

/* Totals of a report. */
typedef struct {
    long lines;
    long covered;
    double percent;
} lc_coverage_totals;

/* Combines the data files, writes dir/handlers.info (lcov) and dir/index.html (genhtml), and
 * fills *totals. The bundled runtime client and installed packages (site- and dist-packages)
 * are left out: the report is about the handler library. */
lc_status lc_handler_coverage_report(const lc_handler_coverage *c, lc_coverage_totals *totals,
                                     lc_error *err);

#endif
