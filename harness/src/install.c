#include "lambdacheck/install.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Set by the build: the configured prefix's share/lambdacheck and the source tree's folders. */
#ifndef LAMBDACHECK_INSTALL_SHARE
#define LAMBDACHECK_INSTALL_SHARE "/usr/local/share/lambdacheck"
#endif
#ifndef LAMBDACHECK_SOURCE_DIR
#define LAMBDACHECK_SOURCE_DIR "."
#endif

static const struct {
    const char *variable;  /* the override */
    const char *installed; /* below share/lambdacheck */
    const char *source;    /* below the source tree */
} kinds[] = {
    [LC_BUNDLED_PYTHON_RUNTIME] = {"LAMBDACHECK_RUNTIME_DIR", "runtime/python",
                                   "harness/runtime/python"},
    [LC_BUNDLED_NODE_RUNTIME] = {"LAMBDACHECK_NODE_RUNTIME_DIR", "runtime/node",
                                 "harness/runtime/node"},
    [LC_BUNDLED_DATA] = {"LAMBDACHECK_DATA_DIR", ".", "fixtures"},
};

#define KINDS (sizeof kinds / sizeof *kinds)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char found[KINDS][PATH_MAX];

static bool is_folder(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* <file's folder>/../share/lambdacheck, when it exists. */
static bool share_beside(const char *file, char *out, size_t size)
{
    char real[PATH_MAX];
    if (file == NULL || realpath(file, real) == NULL)
        return false;
    char *slash = strrchr(real, '/');
    if (slash == NULL)
        return false;
    *slash = '\0';
    return (size_t)snprintf(out, size, "%s/../share/lambdacheck", real) < size && is_folder(out);
}

/* The share/lambdacheck an installed program or library sits beside; "" when there is none. */
static void share_of_this_install(char *out, size_t size)
{
    Dl_info info;
    if (share_beside("/proc/self/exe", out, size))
        return;
    if (dladdr((void *)lc_bundled_dir, &info) && share_beside(info.dli_fname, out, size))
        return;
    out[0] = '\0';
}

/* kind k below share (installed layout) into found[k]; false when it is not there. */
static bool installed_at(const char *share, size_t k)
{
    char candidate[PATH_MAX + 32];
    snprintf(candidate, sizeof candidate, "%s/%s", share, kinds[k].installed);
    return share[0] && is_folder(candidate) && realpath(candidate, found[k]);
}

/* In order: the override; beside the program or library; the source tree the build was made
 * from, while it exists; the prefix the build was configured with. */
static void find_all(void)
{
    char share[PATH_MAX], source[PATH_MAX];
    share_of_this_install(share, sizeof share);
    for (size_t k = 0; k < KINDS; k++) {
        const char *given = getenv(kinds[k].variable);
        if (given && given[0]) {
            snprintf(found[k], sizeof found[k], "%s", given);
            continue;
        }
        if (installed_at(share, k))
            continue;
        bool fits = (size_t)snprintf(source, sizeof source, "%s/%s", LAMBDACHECK_SOURCE_DIR,
                                     kinds[k].source) < sizeof source;
        if (fits && is_folder(source) && realpath(source, found[k]))
            continue;
        if (installed_at(LAMBDACHECK_INSTALL_SHARE, k))
            continue;
        memcpy(found[k], source, sizeof source);
    }
}

const char *lc_bundled_dir(lc_bundled what)
{
    pthread_once(&once, find_all);
    return (unsigned)what < KINDS ? found[what] : found[LC_BUNDLED_DATA];
}
