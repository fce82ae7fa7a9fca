/* Which boto3 and botocore a Python function gets here, next to what Lambda's runtime ships. */
#include "lambdacheck/function.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lambdacheck/buf.h"
#include "spawn.h"

/* AWS documents that the Python runtimes include boto3 and botocore at a version that "depends on
 * the runtime version and your AWS Region", and no fixed version per runtime:
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html#python-sdk-included */
#define LAMBDA_SDK_PAGE "https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html"

/* botocore releases before this one ignore the service-specific endpoint variables
 * (AWS_ENDPOINT_URL_<SERVICE>) that local endpoints rely on. */
#define ENDPOINT_URL_BOTOCORE_MAJOR 1
#define ENDPOINT_URL_BOTOCORE_MINOR 31

/* The __version__ a package's __init__.py assigns, into out; false when there is none. */
static bool package_version(const char *dir, const char *package, char *out, size_t size)
{
    char path[PATH_MAX + 64], line[256];
    snprintf(path, sizeof path, "%s/%s/__init__.py", dir, package);
    FILE *f = fopen(path, "r");
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f)) {
        char version[64];
        found = (sscanf(line, "__version__ = '%63[^']'", version) == 1 ||
                 sscanf(line, "__version__ = \"%63[^\"]\"", version) == 1) &&
                (size_t)snprintf(out, size, "%s", version) < size;
    }
    if (f)
        fclose(f);
    return found;
}

/* --- the interpreter's site-packages, asked once per interpreter ------------------------------ */

#define SITE_CACHE 8

static pthread_mutex_t site_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char interpreter[PATH_MAX];
    char *folders; /* "\n"-separated, owned; kept for the process's life */
} site_cache[SITE_CACHE];
static int site_next;

/* The interpreter's site-packages folders (site.getsitepackages() and the user's), "\n"-
 * separated; "" when it cannot tell. Caller frees. */
static char *ask_site_folders(const char *interpreter)
{
    char *argv[] = {(char *)interpreter, "-S", "-c",
                    "import site\n"
                    "print('\\n'.join(site.getsitepackages() + [site.getusersitepackages()]))",
                    NULL};
    lc_buf out;
    lc_buf_init(&out, 65536);
    int status = 0;
    bool ok = lc__run_capture(argv, 30000, &out, &status, NULL) == LC_OK && WIFEXITED(status) &&
              WEXITSTATUS(status) == 0;
    char *text = strdup(ok && out.data ? out.data : "");
    lc_buf_free(&out);
    return text;
}

static char *site_folders(const char *interpreter)
{
    pthread_mutex_lock(&site_mu);
    for (int i = 0; i < SITE_CACHE; i++)
        if (site_cache[i].folders && strcmp(site_cache[i].interpreter, interpreter) == 0) {
            char *copy = strdup(site_cache[i].folders);
            pthread_mutex_unlock(&site_mu);
            return copy;
        }
    pthread_mutex_unlock(&site_mu);
    char *folders = ask_site_folders(interpreter);
    pthread_mutex_lock(&site_mu);
    int slot = site_next++ % SITE_CACHE;
    free(site_cache[slot].folders);
    snprintf(site_cache[slot].interpreter, sizeof site_cache[slot].interpreter, "%s", interpreter);
    site_cache[slot].folders = folders ? strdup(folders) : NULL;
    pthread_mutex_unlock(&site_mu);
    return folders;
}

/* --- where the function's import of boto3 lands -------------------------------------------- */

/* The folder, in the order the bundled client searches (code folder, layers last first, the
 * interpreter's site-packages), holding package, into from; false when none does. */
static bool package_folder(const lc_function *fn, const char *package, char *from, size_t size)
{
    char version_text[64], dir[PATH_MAX + 80];
    if (package_version(lc_function_code_dir(fn), package, version_text, sizeof version_text))
        return (size_t)snprintf(from, size, "%s", lc_function_code_dir(fn)) < size;
    /* every layer's python/lib/pythonX.Y/site-packages, then every layer's python/, the last
       layer first */
    const char *version = lc_runtime_version(lc_function_runtime(fn));
    char *const *layers = lc_function_layers(fn);
    size_t n = 0;
    while (layers && layers[n])
        n++;
    for (size_t pass = 0; pass < 2; pass++)
        for (size_t i = n; i > 0; i--) {
            if (pass == 0)
                snprintf(dir, sizeof dir, "%s/python/lib/python%s/site-packages", layers[i - 1],
                         version);
            else
                snprintf(dir, sizeof dir, "%s/python", layers[i - 1]);
            if (package_version(dir, package, version_text, sizeof version_text))
                return (size_t)snprintf(from, size, "%s", dir) < size;
        }
    char *folders = site_folders(lc_function_interpreter(fn)), *save = NULL;
    bool found = false;
    for (char *f = folders ? strtok_r(folders, "\n", &save) : NULL; f && !found;
         f = strtok_r(NULL, "\n", &save))
        found = package_version(f, package, version_text, sizeof version_text) &&
                (size_t)snprintf(from, size, "%s", f) < size;
    free(folders);
    return found;
}

static bool predates_endpoint_urls(const char *botocore)
{
    int major = 0, minor = 0;
    return sscanf(botocore, "%d.%d", &major, &minor) == 2 &&
           (major < ENDPOINT_URL_BOTOCORE_MAJOR ||
            (major == ENDPOINT_URL_BOTOCORE_MAJOR && minor < ENDPOINT_URL_BOTOCORE_MINOR));
}

bool lc_function_old_botocore_data(const lc_function *fn, char *out, size_t size)
{
    if (lc_runtime_family_of(lc_function_runtime(fn)) != LC_FAMILY_PYTHON ||
        lc_function_interpreter(fn) == NULL)
        return false;
    char from[PATH_MAX + 80] = "", version[64] = "";
    return package_folder(fn, "botocore", from, sizeof from) &&
           package_version(from, "botocore", version, sizeof version) &&
           predates_endpoint_urls(version) &&
           (size_t)snprintf(out, size, "%s/botocore/data", from) < size;
}

bool lc_function_python_sdk(const lc_function *fn, char *out, size_t size)
{
    if (lc_runtime_family_of(lc_function_runtime(fn)) != LC_FAMILY_PYTHON ||
        lc_function_interpreter(fn) == NULL)
        return false;
    char from[PATH_MAX + 80] = "", core_from[PATH_MAX + 80] = "";
    char boto3[64] = "", botocore[64] = "?";
    const char *runtime = lc_runtime_name(lc_function_runtime(fn));
    if (!package_folder(fn, "boto3", from, sizeof from)) {
        snprintf(out, size,
                 "no boto3: neither the function, its layers nor %s have it; Lambda's %s ships "
                 "boto3 and botocore (%s)",
                 lc_function_interpreter(fn), runtime, LAMBDA_SDK_PAGE);
        return true;
    }
    package_version(from, "boto3", boto3, sizeof boto3);
    if (package_folder(fn, "botocore", core_from, sizeof core_from))
        package_version(core_from, "botocore", botocore, sizeof botocore);
    snprintf(out, size,
             "boto3 %s, botocore %s, from %s; Lambda's %s ships its own, updated by AWS (%s)%s",
             boto3, botocore, from, runtime, LAMBDA_SDK_PAGE,
             predates_endpoint_urls(botocore)
                 ? "; this botocore predates 1.31 and ignores AWS_ENDPOINT_URL_<SERVICE>"
                 : "");
    return true;
}
