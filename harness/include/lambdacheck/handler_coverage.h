/* lambdacheck: coverage of handler code while cases run: Python's measured with coverage.py,
 * Node.js's with V8's own (NODE_V8_COVERAGE).
 *
 * Every Python runtime process runs the bundled client under `coverage run --parallel-mode`;
 * every Node.js one writes V8's coverage on exit. Each environment leaves its own data (saved
 * when the environment is shut down with SIGTERM), and the report combines them all into lcov
 * tracefiles and one genhtml HTML report, the same shape as the harness's own coverage report.
 */
#ifndef LAMBDACHECK_HANDLER_COVERAGE_H
#define LAMBDACHECK_HANDLER_COVERAGE_H

#include "lambdacheck/error.h"

typedef struct {
    char python[4096];   /* an interpreter that imports coverage.py: it combines and reports */
    char package[4096];  /* that coverage.py's package folder ("" when none was found) */
    char tried[8300];    /* who could not import coverage.py ("python3 cannot import"), for
                            messages */
    char dir[4096];      /* the report folder: reports/coverage/handlers */
    char command[9000];  /* the runtime command to run Python functions with ("" without
                            coverage.py) */
    char sources[32768]; /* the code folders measured, one per line ("" until added) */
    char node_dir[4200]; /* where Node.js functions write V8's coverage: dir/v8 */
    char node_sources[32768]; /* the Node.js code folders measured, one per line */
} lc_handler_coverage;

/* Finds coverage.py: the first of python (NULL: $LAMBDACHECK_PYTHON or python3), then
 * /usr/bin/python3 (Debian's python3-coverage) that imports it. Every Python function then runs
 * its own interpreter under that coverage.py (lambdacheck_coverage.py: its pure-Python tracer
 * where the C tracer is another version's). Empties dir's old data and fills *out. coverage.py is
 * needed only once a Python source is added (see lc_handler_coverage_write_config): Node.js code
 * is measured without it. */
lc_status lc_handler_coverage_prepare(const char *python, const char *dir,
                                      lc_handler_coverage *out, lc_error *err);

/* Adds a code folder to measure: every Python file below it is in the report, at 0% when it
 * never ran (a module that failed at import). A folder already added, or NULL, is ignored. */
void lc_handler_coverage_add_source(lc_handler_coverage *c, const char *dir);

/* The same for a Node.js code folder: its .js, .mjs and .cjs files (node_modules left out). */
void lc_handler_coverage_add_node_source(lc_handler_coverage *c, const char *dir);

/* Writes the coverage configuration the runtimes read (done by prepare; again after adding
 * sources, before any function runs). LC_ENOTFOUND, with the package to install in the message,
 * when a Python source was added and the interpreter cannot import coverage.py. */
lc_status lc_handler_coverage_write_config(const lc_handler_coverage *c, lc_error *err);

/* Checks that interpreter (a Python function's) can run the coverage.py found by prepare;
 * LC_ESPAWN naming the interpreter and what failed otherwise. */
lc_status lc_handler_coverage_check_interpreter(const lc_handler_coverage *c,
                                                const char *interpreter, lc_error *err);

/* Totals of a report. */
typedef struct {
    long lines;
    long covered;
    double percent;
} lc_coverage_totals;

/* Combines the data files, writes dir/handlers.info (Python's lcov) and dir/node.info (Node.js's)
 * and dir/index.html (genhtml, of both), and fills *totals (of both). The bundled runtime
 * clients and installed packages (site- and dist-packages, node_modules) are left out: the
 * report is about the handler library. LC_ENOTFOUND when there is no data: no Python or
 * Node.js code ran (a custom-runtime library). */
lc_status lc_handler_coverage_report(const lc_handler_coverage *c, lc_coverage_totals *totals,
                                     lc_error *err);

#endif
