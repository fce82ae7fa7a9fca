/* lambdacheck: writing the results of a run: the terminal, JUnit XML, JSON. */
#ifndef LAMBDACHECK_REPORT_H
#define LAMBDACHECK_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "lambdacheck/runner.h"

/* One progress line for a finished case ("PASS suite/case (12 ms)"), then, for a failure, one
 * indented line per failed check naming it. colour: ANSI colours (for a terminal). */
void lc_report_case(FILE *out, const lc_case_result *r, bool colour);

/* "Ran N cases in 1.23 s" and, alone on the last line, "N passed, N failed". */
void lc_report_summary(FILE *out, const lc_run *run);

/* JUnit XML (testsuites > testsuite per suite > testcase, with failure elements). Errors name
 * the file. */
lc_status lc_report_junit(const lc_run *run, const char *path, lc_error *err);

/* {"passed": N, "failed": N, "durationMs": ..., "cases": [{suite, case, passed, durationMs,
 * requestId, error, checks: [{check, passed, message}]}]} */
lc_status lc_report_json(const lc_run *run, const char *path, lc_error *err);

#endif
