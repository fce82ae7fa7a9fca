#include "scratch.h"

#include <check.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *scratch_dir(const char *tag)
{
    char *dir = malloc(PATH_MAX);
    ck_assert_ptr_nonnull(dir);
    snprintf(dir, PATH_MAX, "/tmp/lc_%s_XXXXXX", tag);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    return dir;
}

const char *scratch_write(const char *dir, const char *relative, const char *fmt, ...)
{
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, relative);
    for (char *p = path + strlen(dir) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

void scratch_remove(char *dir)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(dir);
}
