#include "lambdacheck/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_text[] = {
#define LC__STATUS_TEXT(name, text) text,
    LC_STATUS_MAP(LC__STATUS_TEXT)
#undef LC__STATUS_TEXT
};

static const char *const status_name[] = {
#define LC__STATUS_NAME(name, text) "LC_" #name,
    LC_STATUS_MAP(LC__STATUS_NAME)
#undef LC__STATUS_NAME
};

const char *lc_strerror(lc_status status)
{
    if ((int)status < 0 || status >= LC__STATUS_COUNT)
        return "unknown status";
    return status_text[status];
}

const char *lc_errname(lc_status status)
{
    if ((int)status < 0 || status >= LC__STATUS_COUNT)
        return "LC_UNKNOWN";
    return status_name[status];
}

lc_status lc_error_set(lc_error *err, lc_status status, const char *source, int line, int column,
                       const char *fmt, ...)
{
    if (err == NULL || err->status != LC_OK || status == LC_OK)
        return status;
    err->status = status;
    snprintf(err->source, sizeof err->source, "%s", source ? source : "");
    err->line = line;
    err->column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return status;
}

char *lc_error_format(const lc_error *err, char *out, size_t size)
{
    if (size == 0)
        return out;
    out[0] = '\0';
    if (err == NULL)
        return out;
    const char *msg = err->message[0] ? err->message : lc_strerror(err->status);
    if (err->source[0] && err->line > 0 && err->column > 0)
        snprintf(out, size, "%s:%d:%d: %s", err->source, err->line, err->column, msg);
    else if (err->source[0] && err->line > 0)
        snprintf(out, size, "%s:%d: %s", err->source, err->line, msg);
    else if (err->source[0])
        snprintf(out, size, "%s: %s", err->source, msg);
    else
        snprintf(out, size, "%s", msg);
    return out;
}

void lc_error_clear(lc_error *err)
{
    if (err != NULL)
        memset(err, 0, sizeof *err);
}
