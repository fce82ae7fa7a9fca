#include "lambdacheck/handler_coverage.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/install.h"
#include "spawn.h"

#include <jansson.h>

#define RUN_TIMEOUT_MS 300000

/* Debian's interpreter, for which python3-coverage installs coverage.py. */
#define DEBIAN_PYTHON "/usr/bin/python3"
/* The bundled launcher of coverage.py under any interpreter (harness/runtime/python). */
#define COVERAGE_LAUNCHER "lambdacheck_coverage.py"

/* Runs argv; LC_OK only for exit status 0. out (may be NULL) gets its output. */
static lc_status run(char *const *argv, lc_buf *out, lc_error *err)
{
    lc_buf local;
    lc_buf_init(&local, 1 << 20);
    int status = 0;
    lc_status st = lc__run_capture(argv, RUN_TIMEOUT_MS, out ? out : &local, &status, err);
    if (st == LC_OK && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        st = lc_error_set(err, LC_ESPAWN, argv[0], 0, 0, "'%s %s' failed: %.300s", argv[0],
                          argv[1] ? argv[1] : "", out ? (out->data ? out->data : "")
                                                      : (local.data ? local.data : ""));
    lc_buf_free(&local);
    return st;
}

static lc_status make_dirs(const char *dir, lc_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return lc_error_set(err, LC_EIO, dir, 0, 0, "cannot create the report folder: %s",
                            strerror(errno));
    return LC_OK;
}

static void remove_old_data(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (strncmp(e->d_name, ".coverage", 9) == 0) {
            char path[8192];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    if (d)
        closedir(d);
}

/* Appends "<indent><dir>\n" to list unless it is there. */
static void add_line(char *list, size_t size, const char *indent, const char *dir)
{
    char line[4200];
    if (dir == NULL || snprintf(line, sizeof line, "%s%s\n", indent, dir) >= (int)sizeof line)
        return;
    if (strstr(list, line) == NULL && strlen(list) + strlen(line) < size)
        strcat(list, line);
}

void lc_handler_coverage_add_source(lc_handler_coverage *c, const char *dir)
{
    add_line(c->sources, sizeof c->sources, "    ", dir);
}

void lc_handler_coverage_add_node_source(lc_handler_coverage *c, const char *dir)
{
    add_line(c->node_sources, sizeof c->node_sources, "", dir);
}

/* Removes V8's files of an earlier run. */
static void remove_old_node_data(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".json")) {
            char path[8400];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    if (d)
        closedir(d);
}

static lc_status write_rcfile(const lc_handler_coverage *c, lc_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/coveragerc", c->dir);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return lc_error_set(err, LC_EIO, path, 0, 0, "cannot write: %s", strerror(errno));
    /* environments are shut down with SIGTERM, which the bundled client then turns into a
       normal exit, so that coverage saves its data (see lc_function_config.shutdown_grace_ms) */
    fprintf(f, "[run]\nparallel = True\ndata_file = %s/.coverage\n"
               "omit =\n    */lambdacheck_bootstrap.py\n    */lambdacheck_runtime.py\n"
               "    */site-packages/*\n    */dist-packages/*\n",
            c->dir);
    if (c->sources[0])
        fprintf(f, "source =\n%s", c->sources);
    /* a handler file that does not parse (a syntax-error probe) is left out of the report
       instead of failing it */
    fprintf(f, "[report]\nignore_errors = True\n");
    fclose(f);
    return LC_OK;
}

lc_status lc_handler_coverage_write_config(const lc_handler_coverage *c, lc_error *err)
{
    if (c->sources[0] && !c->command[0]) /* no interpreter could import coverage.py */
        return lc_error_set(
            err, LC_ENOTFOUND, c->python, 0, 0,
            "--coverage needs coverage.py for Python functions, and %s it: "
            "install it (Debian: apt-get install python3-coverage, for " DEBIAN_PYTHON
            ") or choose an interpreter that has it with --python",
            c->tried);
    return write_rcfile(c, err);
}

lc_status lc_handler_coverage_check_interpreter(const lc_handler_coverage *c,
                                                const char *interpreter, lc_error *err)
{
    char code[] = "import sys; sys.path.insert(0, sys.argv[1]); import coverage.cmdline";
    char folder[4200];
    snprintf(folder, sizeof folder, "%s/pylib", c->dir);
    char *argv[] = {(char *)interpreter, "-c", code, folder, NULL};
    lc_buf out;
    lc_buf_init(&out, 65536);
    lc_error mine = {0};
    lc_status st = run(argv, &out, &mine);
    lc_buf_free(&out);
    if (st != LC_OK)
        return lc_error_set(err, LC_ESPAWN, interpreter, 0, 0,
                            "--coverage: %s cannot run coverage.py from %s: %s", interpreter,
                            c->package, mine.message);
    return LC_OK;
}

/* True when some runtime saved coverage data in dir. */
static bool has_data(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    bool found = false;
    while (d && !found && (e = readdir(d)) != NULL)
        found = strncmp(e->d_name, ".coverage.", 10) == 0;
    if (d)
        closedir(d);
    return found;
}

/* The package folder of the coverage.py python imports, into out; false when it cannot. */
static bool coverage_package(const char *python, char *out, size_t size)
{
    char *argv[] = {(char *)python, "-c",
                    "import os, coverage; print(os.path.dirname(coverage.__file__))", NULL};
    lc_buf text;
    lc_buf_init(&text, 65536);
    lc_error ignored = {0};
    bool ok = run(argv, &text, &ignored) == LC_OK && text.data && text.data[0] == '/';
    if (ok)
        snprintf(out, size, "%.*s", (int)strcspn(text.data, "\n"), text.data);
    lc_buf_free(&text);
    return ok;
}

/* dir/pylib/coverage, a link to the package found: the one folder lambdacheck_coverage.py adds
 * to a function's sys.path. */
static lc_status link_package(const lc_handler_coverage *c, lc_error *err)
{
    char folder[4200], link[4300];
    snprintf(folder, sizeof folder, "%s/pylib", c->dir);
    snprintf(link, sizeof link, "%s/coverage", folder);
    lc_status st = make_dirs(folder, err);
    unlink(link);
    if (st == LC_OK && symlink(c->package, link) != 0)
        st = lc_error_set(err, LC_EIO, link, 0, 0, "cannot link coverage.py here: %s",
                          strerror(errno));
    return st;
}

lc_status lc_handler_coverage_prepare(const char *python, const char *dir,
                                      lc_handler_coverage *out, lc_error *err)
{
    memset(out, 0, sizeof *out);
    const char *env = getenv("LAMBDACHECK_PYTHON");
    snprintf(out->python, sizeof out->python, "%s",
             python ? python : (env && env[0] ? env : "python3"));
    snprintf(out->tried, sizeof out->tried, "%s cannot import", out->python);
    bool found = coverage_package(out->python, out->package, sizeof out->package);
    if (!found && python == NULL) {
        snprintf(out->tried, sizeof out->tried, "neither %s nor %s can import", out->python,
                 DEBIAN_PYTHON);
        found = coverage_package(DEBIAN_PYTHON, out->package, sizeof out->package);
        if (found)
            snprintf(out->python, sizeof out->python, "%s", DEBIAN_PYTHON);
    }
    char real[4096];
    lc_status st = make_dirs(dir, err);
    if (st != LC_OK)
        return st;
    snprintf(out->dir, sizeof out->dir, "%s", realpath(dir, real) ? real : dir);
    remove_old_data(out->dir);
    snprintf(out->node_dir, sizeof out->node_dir, "%s/v8", out->dir);
    if ((st = make_dirs(out->node_dir, err)) != LC_OK)
        return st;
    remove_old_node_data(out->node_dir);
    st = write_rcfile(out, err);
    if (st == LC_OK && found)
        st = link_package(out, err);
    if (st == LC_OK && found)
        snprintf(out->command, sizeof out->command,
                 "{python} %s/" COVERAGE_LAUNCHER " %s/pylib --rcfile=%s/coveragerc {bootstrap}",
                 lc_bundled_dir(LC_BUNDLED_PYTHON_RUNTIME), out->dir, out->dir);
    return st;
}

static void read_totals(const char *json_path, lc_coverage_totals *t)
{
    json_t *doc = json_load_file(json_path, 0, NULL);
    json_t *totals = json_object_get(doc, "totals");
    t->lines = (long)json_integer_value(json_object_get(totals, "num_statements"));
    t->covered = (long)json_integer_value(json_object_get(totals, "covered_lines"));
    t->percent = json_number_value(json_object_get(totals, "percent_covered"));
    json_decref(doc);
}

/* Python: coverage.py's data combined into dir/handlers.info, with its totals. */
static lc_status python_report(const lc_handler_coverage *c, char *info, size_t size,
                               lc_coverage_totals *totals, lc_error *err)
{
    char rc[4200], json[4200];
    snprintf(rc, sizeof rc, "--rcfile=%s/coveragerc", c->dir);
    snprintf(info, size, "%s/handlers.info", c->dir);
    snprintf(json, sizeof json, "%s/totals.json", c->dir);
    char *combine[] = {(char *)c->python, "-m", "coverage", "combine", rc, NULL};
    char *lcov[] = {(char *)c->python, "-m", "coverage", "lcov", rc, "-o", info, NULL};
    char *as_json[] = {(char *)c->python, "-m", "coverage", "json", rc, "-o", json, NULL};
    lc_status st = run(combine, NULL, err);
    if (st == LC_OK)
        st = run(lcov, NULL, err);
    if (st == LC_OK)
        st = run(as_json, NULL, err);
    if (st == LC_OK)
        read_totals(json, totals);
    return st;
}

/* True when some Node.js process wrote V8 coverage. */
static bool has_node_data(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    bool found = false;
    while (d && !found && (e = readdir(d)) != NULL)
        found = strstr(e->d_name, ".json") != NULL;
    if (d)
        closedir(d);
    return found;
}

/* Node.js: V8's data turned into dir/node.info by the bundled converter, with its totals. */
static lc_status node_report(const lc_handler_coverage *c, char *info, size_t size,
                             lc_coverage_totals *totals, lc_error *err)
{
    char converter[4200];
    snprintf(converter, sizeof converter, "%s/lambdacheck_coverage.mjs",
             lc_bundled_dir(LC_BUNDLED_NODE_RUNTIME));
    snprintf(info, size, "%s/node.info", c->dir);
    char *argv[260] = {"node", converter, (char *)c->node_dir, info};
    size_t n = 4;
    char sources[sizeof c->node_sources];
    snprintf(sources, sizeof sources, "%s", c->node_sources);
    for (char *save = NULL, *dir = strtok_r(sources, "\n", &save); dir && n < 258;
         dir = strtok_r(NULL, "\n", &save))
        argv[n++] = dir;
    argv[n] = NULL;
    lc_buf out;
    lc_buf_init(&out, 1 << 20);
    lc_status st = run(argv, &out, err);
    json_t *counts = st == LC_OK ? json_loads(out.data ? out.data : "", 0, NULL) : NULL;
    totals->lines = (long)json_integer_value(json_object_get(counts, "lines"));
    totals->covered = (long)json_integer_value(json_object_get(counts, "covered"));
    json_decref(counts);
    lc_buf_free(&out);
    return st;
}

lc_status lc_handler_coverage_report(const lc_handler_coverage *c, lc_coverage_totals *totals,
                                     lc_error *err)
{
    bool python = has_data(c->dir), node = c->node_dir[0] && has_node_data(c->node_dir);
    if (!python && !node)
        return lc_error_set(err, LC_ENOTFOUND, c->dir, 0, 0, "no Python or Node.js code ran");
    char python_info[4200], node_info[4200];
    lc_coverage_totals p = {0}, j = {0};
    lc_status st = python ? python_report(c, python_info, sizeof python_info, &p, err) : LC_OK;
    if (st == LC_OK && node)
        st = node_report(c, node_info, sizeof node_info, &j, err);
    char *html[] = {"genhtml", "--quiet", python ? python_info : node_info,
                    python && node ? node_info : NULL, NULL, NULL, NULL};
    size_t at = python && node ? 4 : 3;
    html[at] = "--output-directory";
    html[at + 1] = (char *)c->dir;
    if (st == LC_OK)
        st = run(html, NULL, err);
    totals->lines = p.lines + j.lines;
    totals->covered = p.covered + j.covered;
    totals->percent = totals->lines ? 100.0 * (double)totals->covered / (double)totals->lines : 0;
    return st;
}
