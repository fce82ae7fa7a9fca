#include "lambdacheck/report.h"

#include <errno.h>
#include <string.h>

#include <jansson.h>

#define GREEN "\033[32m"
#define RED "\033[31m"
#define PLAIN "\033[0m"

void lc_report_case(FILE *out, const lc_case_result *r, bool colour)
{
    fprintf(out, "%s%s%s %s/%s (%.0f ms)\n", colour ? (r->passed ? GREEN : RED) : "",
            r->passed ? "PASS" : "FAIL", colour ? PLAIN : "", r->suite, r->name, r->duration_ms);
    if (r->error[0])
        fprintf(out, "    error: %s\n", r->error);
    for (size_t i = 0; i < r->verdicts.count; i++)
        if (!r->verdicts.items[i].passed)
            fprintf(out, "    %s: %s\n", r->verdicts.items[i].check,
                    r->verdicts.items[i].message);
}

void lc_report_summary(FILE *out, const lc_run *run)
{
    size_t failed = lc_run_failed(run), total = lc_run_count(run);
    fprintf(out, "Ran %zu case%s in %.2f s\n", total, total == 1 ? "" : "s",
            lc_run_duration_ms(run) / 1000.0);
    fprintf(out, "%zu passed, %zu failed\n", total - failed, failed);
}

/* --- JUnit XML -------------------------------------------------------------------------------- */

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

static size_t suite_failures(const lc_run *run, const char *suite, size_t *tests, double *ms)
{
    size_t failed = 0;
    *tests = 0;
    *ms = 0;
    for (size_t i = 0; i < lc_run_count(run); i++) {
        const lc_case_result *r = lc_run_case(run, i);
        if (strcmp(r->suite, suite) != 0)
            continue;
        (*tests)++;
        *ms += r->duration_ms;
        failed += !r->passed;
    }
    return failed;
}

static void junit_case(FILE *f, const lc_case_result *r)
{
    fputs("    <testcase classname=\"", f);
    xml_text(f, r->suite);
    fputs("\" name=\"", f);
    xml_text(f, r->name);
    fprintf(f, "\" time=\"%.3f\">\n", r->duration_ms / 1000.0);
    if (r->error[0]) {
        fputs("      <error message=\"", f);
        xml_text(f, r->error);
        fputs("\"/>\n", f);
    }
    for (size_t i = 0; i < r->verdicts.count; i++) {
        const lc_verdict *v = &r->verdicts.items[i];
        if (v->passed)
            continue;
        fputs("      <failure type=\"", f);
        xml_text(f, v->check);
        fputs("\" message=\"", f);
        xml_text(f, v->message);
        fputs("\"/>\n", f);
    }
    fputs("    </testcase>\n", f);
}

static bool seen_before(const lc_run *run, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(lc_run_case(run, j)->suite, lc_run_case(run, i)->suite) == 0)
            return true;
    return false;
}

lc_status lc_report_junit(const lc_run *run, const char *path, lc_error *err)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return lc_error_set(err, LC_EIO, path, 0, 0, "cannot write the JUnit report: %s",
                            strerror(errno));
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"lambdacheck\" "
               "tests=\"%zu\" failures=\"%zu\" time=\"%.3f\">\n",
            lc_run_count(run), lc_run_failed(run), lc_run_duration_ms(run) / 1000.0);
    for (size_t i = 0; i < lc_run_count(run); i++) {
        const char *suite = lc_run_case(run, i)->suite;
        if (seen_before(run, i))
            continue;
        size_t tests;
        double ms;
        size_t failed = suite_failures(run, suite, &tests, &ms);
        fputs("  <testsuite name=\"", f);
        xml_text(f, suite);
        fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" time=\"%.3f\">\n", tests, failed,
                ms / 1000.0);
        for (size_t j = i; j < lc_run_count(run); j++)
            if (strcmp(lc_run_case(run, j)->suite, suite) == 0)
                junit_case(f, lc_run_case(run, j));
        fputs("  </testsuite>\n", f);
    }
    fputs("</testsuites>\n", f);
    if (fclose(f) != 0)
        return lc_error_set(err, LC_EIO, path, 0, 0, "cannot write: %s", strerror(errno));
    return LC_OK;
}

/* --- JSON ----------------------------------------------------------------------------------------- */

static json_t *case_json(const lc_case_result *r)
{
    json_t *checks = json_array();
    for (size_t i = 0; i < r->verdicts.count; i++) {
        const lc_verdict *v = &r->verdicts.items[i];
        json_array_append_new(checks, json_pack("{s:s, s:b, s:s}", "check", v->check, "passed",
                                                v->passed, "message", v->message));
    }
    return json_pack("{s:s, s:s, s:s, s:b, s:f, s:s, s:s?, s:o}", "suite", r->suite, "case",
                     r->name, "path", r->path, "passed", r->passed, "durationMs", r->duration_ms,
                     "requestId", r->request_id, "error", r->error[0] ? r->error : NULL,
                     "checks", checks);
}

lc_status lc_report_json(const lc_run *run, const char *path, lc_error *err)
{
    json_t *cases = json_array();
    for (size_t i = 0; i < lc_run_count(run); i++)
        json_array_append_new(cases, case_json(lc_run_case(run, i)));
    size_t failed = lc_run_failed(run);
    json_t *doc = json_pack("{s:i, s:i, s:f, s:o}", "passed", (int)(lc_run_count(run) - failed),
                            "failed", (int)failed, "durationMs", lc_run_duration_ms(run), "cases",
                            cases);
    int rc = json_dump_file(doc, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (rc != 0)
        return lc_error_set(err, LC_EIO, path, 0, 0, "cannot write the JSON report");
    return LC_OK;
}
