/* lambdacheck: writing the results of a run: the terminal, JUnit XML, JSON; and reading JSON
 * reports back, to merge the reports of shards of one suite. */
#ifndef LAMBDACHECK_REPORT_H
#define LAMBDACHECK_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "lambdacheck/runner.h"

/* Lines of a failed case's log printed on the terminal unless verbose. */
#define LC_REPORT_LOG_LINES 40
/* Bytes of a case's log kept in JUnit and JSON reports (the end of it). */
#define LC_REPORT_LOG_BYTES (64u * 1024)

/* One progress line for a finished case ("PASS library/case (12 ms)"), then, for a failure, one
 * indented line per failed check naming it and the function's log (its last
 * LC_REPORT_LOG_LINES lines; all of it when verbose). Checks the target could not make are
 * named too. colour: ANSI colours (for a terminal). */
void lc_report_case(FILE *out, const lc_case_result *r, bool colour, bool verbose);

/* "Ran N cases in 1.23 s", a line counting checks that could not be made (when there are any),
 * and, alone on the last line, "N passed, N failed". */
void lc_report_summary(FILE *out, const lc_run *run);

/* JUnit XML: one testsuite per library; each case a testcase whose classname is its library,
 * with one failure element listing every failed check, an error element when it could not
 * run, and its log in system-out. The report's folder is created when missing. Errors name
 * the file. */
lc_status lc_report_junit(const lc_run *run, const char *path, lc_error *err);

/* {"passed": N, "failed": N, "durationMs": ..., "cases": [{"id", "library", "case", "path",
 *  "description", "passed", "durationMs", "requestId", "error", "checks": [{"check", "state":
 *  "passed" | "failed" | "not-checked", "passed", "message"}], "log"}]}. The report's folder is
 * created when missing. */
lc_status lc_report_json(const lc_run *run, const char *path, lc_error *err);

/* Reads a JSON report written by lc_report_json and appends its cases to run (its duration is
 * added to the run's). Errors name the file and what is wrong with it. */
lc_status lc_report_read_json(const char *path, lc_run *run, lc_error *err);

#endif
