#include "lambdacheck/report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "lambdacheck/json_util.h"

#define GREEN "\033[32m"
#define RED "\033[31m"
#define PLAIN "\033[0m"

/* --- the terminal ------------------------------------------------------------------------------ */

/* Where the last n lines of text start. */
static const char *last_lines(const char *text, size_t n)
{
    const char *p = text + strlen(text);
    if (p > text && p[-1] == '\n')
        p--;
    for (; p > text; p--)
        if (p[-1] == '\n' && --n == 0)
            break;
    return p;
}

static void print_log(FILE *out, const char *log, bool verbose)
{
    if (log == NULL || log[0] == '\0')
        return;
    const char *from = verbose ? log : last_lines(log, LC_REPORT_LOG_LINES);
    fprintf(out, "    log%s:\n", from == log ? "" : " (its last lines; --verbose prints all)");
    /* a carriage return is a line break too: Lambda's Python runtime joins a traceback's lines
       with \r (one CloudWatch event), which in a terminal would overwrite the error line */
    for (const char *p = from; *p;) {
        size_t n = strcspn(p, "\r\n");
        fprintf(out, "      | %.*s\n", (int)n, p);
        p += n + (p[n] == '\r' && p[n + 1] == '\n') + (p[n] != '\0');
    }
}

/* The verdicts that neither passed plainly nor failed: not checked, warned, turned off. */
static const char *aside_label(lc_check_state s)
{
    switch (s) {
    case LC_CHECK_NOT_CHECKED: return "not checked";
    case LC_CHECK_WARNED: return "warning";
    case LC_CHECK_OFF: return "turned off";
    default: return NULL;
    }
}

/* The label a verdict is shown with beside the case, or NULL when it is not. */
static const char *label_of(const lc_verdict *v)
{
    return v->state == LC_CHECK_PASSED && v->note ? "note" : aside_label(v->state);
}

static void print_asides(FILE *out, const lc_case_result *r)
{
    for (size_t i = 0; i < r->verdicts.count; i++) {
        const lc_verdict *v = &r->verdicts.items[i];
        if (v->state == LC_CHECK_OFF) /* the message begins "turned off: " */
            fprintf(out, "    %s: %s\n", v->check, v->message);
        else if (label_of(v))
            fprintf(out, "    %s: %s: %s\n", label_of(v), v->check, v->message);
    }
}

/* The AWS calls of a case, one line each: its name, parameters and how it was answered. */
static void print_calls(FILE *out, const char *calls_text)
{
    json_t *calls = calls_text ? json_loads(calls_text, 0, NULL) : NULL;
    if (json_array_size(calls))
        fprintf(out, "    AWS calls made (%zu):\n", json_array_size(calls));
    size_t i;
    const json_t *c;
    json_array_foreach(calls, i, c) {
        char *params = lc_json_brief(json_object_get(c, "params"), 300);
        const char *host = json_string_value(json_object_get(c, "host"));
        const json_t *stub = json_object_get(c, "stub");
        const char *code = json_string_value(json_object_get(json_object_get(c, "error"), "code"));
        fprintf(out, "      [%zu] %s %s -> %lld", i, json_string_value(json_object_get(c, "call")),
                host ? host : params ? params : "",
                (long long)json_integer_value(json_object_get(c, "status")));
        if (json_is_integer(stub))
            fprintf(out, " (stub aws[%lld]%s%s)", (long long)json_integer_value(stub),
                    code ? " error " : "", code ? code : "");
        else if (json_object_get(c, "unstubbed"))
            fputs(" (no stub)", out);
        else if (host)
            fputs(" (refused)", out);
        else if (json_object_get(c, "problem"))
            fprintf(out, " (%s)", json_string_value(json_object_get(c, "problem")));
        fputc('\n', out);
        free(params);
    }
    json_decref(calls);
}

void lc_report_case(FILE *out, const lc_case_result *r, bool colour, bool verbose)
{
    if (r->skipped) {
        fprintf(out, "SKIP %s: %s\n", r->id, r->error);
        return;
    }
    fprintf(out, "%s%s%s %s (%.0f ms)\n", colour ? (r->passed ? GREEN : RED) : "",
            r->passed ? "PASS" : "FAIL", colour ? PLAIN : "", r->id, r->duration_ms);
    if (r->error[0])
        fprintf(out, "    error: %s\n", r->error);
    for (size_t i = 0; i < r->verdicts.count; i++)
        if (r->verdicts.items[i].state == LC_CHECK_FAILED)
            fprintf(out, "    %s: %s\n", r->verdicts.items[i].check, r->verdicts.items[i].message);
    print_asides(out, r);
    if (!r->passed || verbose)
        print_calls(out, r->aws_calls);
    if (!r->passed)
        print_log(out, r->log, verbose);
}

static size_t count_state(const lc_run *run, lc_check_state state)
{
    size_t n = 0;
    for (size_t i = 0; i < lc_run_count(run); i++)
        n += lc_verdicts_count(&lc_run_case(run, i)->verdicts, state);
    return n;
}

void lc_report_summary(FILE *out, const lc_run *run)
{
    size_t failed = lc_run_failed(run), total = lc_run_count(run);
    size_t unchecked = count_state(run, LC_CHECK_NOT_CHECKED);
    size_t warned = count_state(run, LC_CHECK_WARNED), off = count_state(run, LC_CHECK_OFF);
    fprintf(out, "Ran %zu case%s in %.2f s\n", total, total == 1 ? "" : "s",
            lc_run_duration_ms(run) / 1000.0);
    if (unchecked)
        fprintf(out, "%zu check%s could not be made on this target (listed as \"not checked\")\n",
                unchecked, unchecked == 1 ? "" : "s");
    if (warned)
        fprintf(out, "%zu check%s passed with a warning (listed as \"warning\")\n", warned,
                warned == 1 ? "" : "s");
    if (off)
        fprintf(out, "%zu check%s turned off by the cases or their functions (listed as "
                     "\"turned off\")\n",
                off, off == 1 ? "" : "s");
    size_t skipped = lc_run_skipped(run);
    if (skipped)
        fprintf(out, "%zu case%s skipped (listed as SKIP): %s\n", skipped,
                skipped == 1 ? "" : "s", "they stub or assert AWS calls, which this target "
                                         "cannot show");
    fprintf(out, "%zu passed, %zu failed%s\n", total - failed - skipped, failed,
            skipped ? ", some skipped" : "");
}

/* --- files ------------------------------------------------------------------------------------- */

/* Creates the folders above path that are missing. */
static void make_parents(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0755);
            *p = '/';
        }
}

static FILE *open_report(const char *path, const char *what, lc_error *err)
{
    make_parents(path);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        lc_error_set(err, LC_EIO, path, 0, 0, "cannot write the %s report: %s", what,
                     strerror(errno));
    return f;
}

/* The end of a log kept in reports, valid UTF-8 (caller frees). */
static char *report_log(const char *log)
{
    size_t n = log ? strlen(log) : 0;
    const char *from = n > LC_REPORT_LOG_BYTES ? log + n - LC_REPORT_LOG_BYTES : (log ? log : "");
    return lc_utf8_sanitize(strdup(from));
}

/* --- JUnit XML ---------------------------------------------------------------------------------- */

static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '<')
            fputs("&lt;", f);
        else if (c == '>')
            fputs("&gt;", f);
        else if (c == '&')
            fputs("&amp;", f);
        else if (c == '"')
            fputs("&quot;", f);
        else if (c == '\r')
            fputs("&#xd;", f);
        else if (c < 0x20 && c != '\n' && c != '\t')
            fputc('?', f); /* XML 1.0 has no way to write the other control characters */
        else
            fputc(c, f);
    }
}

static void junit_failure(FILE *f, const lc_case_result *r)
{
    size_t failed = lc_verdicts_failed(&r->verdicts);
    if (failed == 0)
        return;
    fprintf(f, "      <failure message=\"%zu check%s failed:", failed, failed == 1 ? "" : "s");
    for (size_t i = 0, k = 0; i < r->verdicts.count; i++)
        if (r->verdicts.items[i].state == LC_CHECK_FAILED) {
            fputs(k++ ? ", " : " ", f);
            xml_text(f, r->verdicts.items[i].check);
        }
    fputs("\" type=\"", f);
    for (size_t i = 0; i < r->verdicts.count; i++)
        if (r->verdicts.items[i].state == LC_CHECK_FAILED) {
            xml_text(f, r->verdicts.items[i].check);
            break;
        }
    fputs("\">", f);
    for (size_t i = 0; i < r->verdicts.count; i++)
        if (r->verdicts.items[i].state == LC_CHECK_FAILED) {
            xml_text(f, r->verdicts.items[i].check);
            fputs(": ", f);
            xml_text(f, r->verdicts.items[i].message);
            fputs("\n", f);
        }
    fputs("</failure>\n", f);
}

static bool has_asides(const lc_case_result *r)
{
    for (size_t i = 0; i < r->verdicts.count; i++)
        if (label_of(&r->verdicts.items[i]))
            return true;
    return false;
}

/* Warnings and turned-off checks as the testcase's properties (the form pytest's JUnit files
 * use), so that CI tools show what was not held against the case. */
static void junit_properties(FILE *f, const lc_case_result *r)
{
    bool any = false;
    for (size_t i = 0; i < r->verdicts.count; i++) {
        const lc_verdict *v = &r->verdicts.items[i];
        if (v->state != LC_CHECK_WARNED && v->state != LC_CHECK_OFF)
            continue;
        fputs(any ? "" : "      <properties>\n", f);
        any = true;
        fprintf(f, "        <property name=\"%s:", v->state == LC_CHECK_OFF ? "turned-off" : "warning");
        xml_text(f, v->check);
        fputs("\" value=\"", f);
        xml_text(f, v->message);
        fputs("\"/>\n", f);
    }
    if (any)
        fputs("      </properties>\n", f);
}

/* The same lines the terminal shows, first in the case's output. */
static void junit_asides(FILE *f, const lc_case_result *r)
{
    for (size_t i = 0; i < r->verdicts.count; i++) {
        const lc_verdict *v = &r->verdicts.items[i];
        if (label_of(v) == NULL)
            continue;
        if (v->state != LC_CHECK_OFF) {
            xml_text(f, label_of(v));
            fputs(": ", f);
        }
        xml_text(f, v->check);
        fputs(": ", f);
        xml_text(f, v->message);
        fputs("\n", f);
    }
}

static void junit_case(FILE *f, const lc_case_result *r)
{
    fputs("    <testcase classname=\"", f);
    xml_text(f, r->library);
    fputs("\" name=\"", f);
    xml_text(f, r->name);
    fprintf(f, "\" time=\"%.3f\">\n", r->duration_ms / 1000.0);
    if (r->skipped) {
        fputs("      <skipped message=\"", f);
        xml_text(f, r->error);
        fputs("\"/>\n    </testcase>\n", f);
        return;
    }
    if (r->error[0]) {
        fputs("      <error message=\"", f);
        xml_text(f, r->error);
        fputs("\"/>\n", f);
    }
    junit_failure(f, r);
    junit_properties(f, r);
    char *log = report_log(r->log);
    bool calls = r->aws_calls && strcmp(r->aws_calls, "[]") != 0;
    if ((log && log[0]) || has_asides(r) || calls) {
        fputs("      <system-out>", f);
        junit_asides(f, r);
        if (calls) {
            fputs("AWS calls made: ", f);
            xml_text(f, r->aws_calls);
            fputs("\n", f);
        }
        xml_text(f, log ? log : "");
        fputs("</system-out>\n", f);
    }
    free(log);
    fputs("    </testcase>\n", f);
}

static bool library_seen_before(const lc_run *run, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(lc_run_case(run, j)->library, lc_run_case(run, i)->library) == 0)
            return true;
    return false;
}

static void junit_suite(FILE *f, const lc_run *run, const char *library)
{
    size_t tests = 0, failures = 0, errors = 0, skipped = 0;
    double ms = 0;
    for (size_t i = 0; i < lc_run_count(run); i++) {
        const lc_case_result *r = lc_run_case(run, i);
        if (strcmp(r->library, library) != 0)
            continue;
        tests++;
        ms += r->duration_ms;
        skipped += r->skipped;
        errors += r->error[0] != '\0' && !r->skipped;
        failures += !r->passed && r->error[0] == '\0';
    }
    fputs("  <testsuite name=\"", f);
    xml_text(f, library);
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
            tests, failures, errors, skipped, ms / 1000.0);
    for (size_t i = 0; i < lc_run_count(run); i++)
        if (strcmp(lc_run_case(run, i)->library, library) == 0)
            junit_case(f, lc_run_case(run, i));
    fputs("  </testsuite>\n", f);
}

lc_status lc_report_junit(const lc_run *run, const char *path, lc_error *err)
{
    FILE *f = open_report(path, "JUnit", err);
    if (f == NULL)
        return LC_EIO;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"lambdacheck\" "
               "tests=\"%zu\" failures=\"%zu\" time=\"%.3f\">\n",
            lc_run_count(run), lc_run_failed(run), lc_run_duration_ms(run) / 1000.0);
    for (size_t i = 0; i < lc_run_count(run); i++)
        if (!library_seen_before(run, i))
            junit_suite(f, run, lc_run_case(run, i)->library);
    fputs("</testsuites>\n", f);
    if (fclose(f) != 0)
        return lc_error_set(err, LC_EIO, path, 0, 0, "cannot write: %s", strerror(errno));
    return LC_OK;
}

/* --- JSON ----------------------------------------------------------------------------------------- */

/* Indexed by lc_check_state. */
static const char *const state_names[] = {"passed", "failed", "not-checked", "warned", "off"};
#define N_STATES (sizeof state_names / sizeof *state_names)

static json_t *case_json(const lc_case_result *r)
{
    json_t *checks = json_array();
    for (size_t i = 0; i < r->verdicts.count; i++) {
        const lc_verdict *v = &r->verdicts.items[i];
        json_t *item = json_pack("{s:s, s:s, s:b, s:s}", "check", v->check, "state",
                                 state_names[v->state], "passed",
                                 v->state == LC_CHECK_PASSED || v->state == LC_CHECK_WARNED,
                                 "message", v->message);
        if (item && v->note)
            json_object_set_new(item, "note", json_true());
        json_array_append_new(checks, item);
    }
    char *log = report_log(r->log);
    json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:f, s:s, s:s?, s:o, s:s}", "id", r->id,
                          "library", r->library, "case", r->name, "path", r->path, "description",
                          r->description, "passed", r->passed, "durationMs", r->duration_ms,
                          "requestId", r->request_id, "error", r->error[0] ? r->error : NULL,
                          "checks", checks, "log", log ? log : "");
    free(log);
    if (c && r->skipped)
        json_object_set_new(c, "skipped", json_true());
    json_t *calls = r->aws_calls ? json_loads(r->aws_calls, 0, NULL) : NULL;
    if (c && calls)
        json_object_set_new(c, "awsCalls", calls);
    else
        json_decref(calls);
    return c;
}

lc_status lc_report_json(const lc_run *run, const char *path, lc_error *err)
{
    json_t *cases = json_array();
    for (size_t i = 0; i < lc_run_count(run); i++) {
        json_t *c = case_json(lc_run_case(run, i));
        if (c == NULL || json_array_append_new(cases, c) != 0) {
            json_decref(cases);
            return lc_error_set(err, LC_ENOMEM, path, 0, 0, "cannot build the JSON report of %s",
                                lc_run_case(run, i)->id);
        }
    }
    size_t failed = lc_run_failed(run), skipped = lc_run_skipped(run);
    json_t *doc = json_pack("{s:I, s:I, s:I, s:f, s:o}", "passed",
                            (json_int_t)(lc_run_count(run) - failed - skipped), "failed",
                            (json_int_t)failed, "skipped", (json_int_t)skipped, "durationMs",
                            lc_run_duration_ms(run), "cases", cases);
    FILE *f = open_report(path, "JSON", err);
    int rc = f ? json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : -1;
    json_decref(doc);
    if (f && (fputc('\n', f), fclose(f)) != 0)
        rc = -1;
    if (rc != 0)
        return lc_error_set(err, LC_EIO, path, 0, 0, "cannot write the JSON report");
    return LC_OK;
}

/* --- reading a JSON report back ------------------------------------------------------------------ */

static void copy_string(char *dst, size_t size, const json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    snprintf(dst, size, "%s", v ? v : "");
}

static lc_status read_checks(const json_t *checks, lc_case_result *r, const char *source,
                             lc_error *err)
{
    size_t i;
    json_t *c;
    json_array_foreach(checks, i, c)
    {
        const char *state = json_string_value(json_object_get(c, "state"));
        const char *check = json_string_value(json_object_get(c, "check"));
        const char *message = json_string_value(json_object_get(c, "message"));
        int s = -1;
        for (int k = 0; state && k < (int)N_STATES; k++)
            if (strcmp(state, state_names[k]) == 0)
                s = k;
        if (s < 0 || !check || !message)
            return lc_error_set(err, LC_EJSON, source, 0, 0,
                                "%s: checks[%zu] needs check, state and message", r->id, i);
        size_t before = r->verdicts.count;
        if (s == LC_CHECK_NOT_CHECKED)
            lc_verdicts_not_checked(&r->verdicts, check, "%s", message);
        else if (s == LC_CHECK_WARNED)
            lc_verdicts_warn(&r->verdicts, check, "%s", message);
        else if (json_is_true(json_object_get(c, "note")))
            lc_verdicts_note(&r->verdicts, check, "%s", message);
        else
            lc_verdicts_add(&r->verdicts, check, s == LC_CHECK_PASSED, "%s", message);
        if (r->verdicts.count == before)
            return lc_error_set(err, LC_ENOMEM, source, 0, 0, "out of memory");
        if (s == LC_CHECK_OFF) /* the message already says why */
            r->verdicts.items[r->verdicts.count - 1].state = LC_CHECK_OFF;
    }
    return LC_OK;
}

static lc_status read_case(const json_t *c, lc_run *run, const char *source, lc_error *err)
{
    lc_case_result r = {0};
    if (!json_is_string(json_object_get(c, "id")) || !json_is_boolean(json_object_get(c, "passed")))
        return lc_error_set(err, LC_EJSON, source, 0, 0, "a case needs an id and passed");
    copy_string(r.id, sizeof r.id, c, "id");
    copy_string(r.library, sizeof r.library, c, "library");
    copy_string(r.name, sizeof r.name, c, "case");
    copy_string(r.path, sizeof r.path, c, "path");
    copy_string(r.description, sizeof r.description, c, "description");
    copy_string(r.request_id, sizeof r.request_id, c, "requestId");
    copy_string(r.error, sizeof r.error, c, "error");
    r.passed = json_is_true(json_object_get(c, "passed"));
    r.skipped = json_is_true(json_object_get(c, "skipped"));
    const json_t *calls = json_object_get(c, "awsCalls");
    r.aws_calls = calls ? json_dumps(calls, JSON_COMPACT) : NULL;
    r.duration_ms = json_number_value(json_object_get(c, "durationMs"));
    r.log = (char *)json_string_value(json_object_get(c, "log"));
    lc_status st = read_checks(json_object_get(c, "checks"), &r, source, err);
    if (st == LC_OK && lc_run_append(run, &r) != LC_OK)
        st = lc_error_set(err, LC_ENOMEM, source, 0, 0, "out of memory");
    lc_verdicts_clear(&r.verdicts);
    free(r.aws_calls);
    return st;
}

lc_status lc_report_read_json(const char *path, lc_run *run, lc_error *err)
{
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (doc == NULL)
        return lc_error_set(err, jerr.line > 0 ? LC_EJSON : LC_ENOTFOUND, path, jerr.line,
                            jerr.column, "%s", jerr.text);
    json_t *cases = json_object_get(doc, "cases");
    lc_status st = json_is_array(cases)
                       ? LC_OK
                       : lc_error_set(err, LC_EJSON, path, 0, 0,
                                      "not a lambdacheck JSON report (it has no cases list)");
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c)
    {
        if (st == LC_OK)
            st = read_case(c, run, path, err);
    }
    if (st == LC_OK)
        lc_run_add_duration(run, json_number_value(json_object_get(doc, "durationMs")));
    json_decref(doc);
    return st;
}
