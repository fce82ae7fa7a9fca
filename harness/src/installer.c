#include "lambdacheck/installer.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lambdacheck/buf.h"
#include "spawn.h"

/* npm fetching a Node.js binary (about 50 MB) on a slow line. */
#define NPM_TIMEOUT_MS (10 * 60 * 1000)
#define NPM_OUTPUT_CAP (256 * 1024)

bool lc_cache_dir(char *out, size_t size)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n = -1;
    if (xdg && xdg[0] == '/')
        n = snprintf(out, size, "%s/lambdacheck", xdg);
    else if (home && home[0] == '/')
        n = snprintf(out, size, "%s/.cache/lambdacheck", home);
    if (n < 0 || (size_t)n >= size) {
        if (size)
            out[0] = '\0';
        return false;
    }
    return true;
}

bool lc_installer_offline(void)
{
    const char *v = getenv("LAMBDACHECK_OFFLINE");
    return v && v[0] && strcmp(v, "0") != 0;
}

static bool exists(const char *folder, const char *file)
{
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/%s", folder, file);
    return access(path, F_OK) == 0;
}

/* mkdir -p for the cache folder. */
static int make_folders(const char *path)
{
    char part[PATH_MAX];
    snprintf(part, sizeof part, "%s", path);
    for (char *p = part + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(part, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(part, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static void remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The last line npm printed, for a message. */
static void last_line(const lc_buf *out, char *line, size_t size)
{
    const char *text = out->data ? out->data : "";
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        n--;
    size_t start = n;
    while (start && text[start - 1] != '\n')
        start--;
    snprintf(line, size, "%.*s", (int)(n - start), text + start);
}

/* npm install --prefix tmp <specs>: no shell, no install scripts, nothing saved. */
static lc_status run_npm(const char *npm, const lc_npm_piece *piece, const char *tmp, lc_error *err)
{
    size_t n_specs = 0;
    while (piece->specs[n_specs])
        n_specs++;
    const char *fixed[] = {npm,         "install",           "--prefix",         tmp,
                           "--no-save", "--no-package-lock", "--ignore-scripts", "--no-audit",
                           "--no-fund", "--loglevel=error"};
    size_t n_fixed = sizeof fixed / sizeof *fixed;
    char **argv = calloc(n_fixed + n_specs + 1, sizeof *argv);
    if (argv == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    memcpy(argv, fixed, sizeof fixed);
    for (size_t i = 0; i < n_specs; i++)
        argv[n_fixed + i] = (char *)piece->specs[i];
    lc_buf out;
    lc_buf_init(&out, NPM_OUTPUT_CAP);
    int status = 0;
    lc_error mine = {0};
    lc_status st = lc__run_capture(argv, NPM_TIMEOUT_MS, &out, &status, &mine);
    free(argv);
    char line[512];
    last_line(&out, line, sizeof line);
    lc_buf_free(&out);
    if (st != LC_OK)
        return lc_error_set(err, LC_ESPAWN, piece->folder, 0, 0, "npm did not run: %s",
                            mine.message);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return lc_error_set(err, LC_ESPAWN, piece->folder, 0, 0, "npm install %s failed: %s",
                            piece->specs[0], line[0] ? line : "(no output)");
    if (!exists(tmp, piece->proof))
        return lc_error_set(err, LC_ESPAWN, piece->folder, 0, 0, "npm install %s did not make %s",
                            piece->specs[0], piece->proof);
    return LC_OK;
}

/* Installs into a temporary folder beside final and renames it into place. Called holding the
 * lock; a folder another process renamed first is as good. */
static lc_status install_locked(const char *npm, const lc_npm_piece *piece, const char *root,
                                const char *final, lc_error *err)
{
    char tmp[PATH_MAX + 64];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s/.%s.tmp-XXXXXX", root, piece->folder) >= sizeof tmp ||
        mkdtemp(tmp) == NULL)
        return lc_error_set(err, LC_EIO, root, 0, 0, "cannot make a folder in %s: %s", root,
                            strerror(errno));
    fprintf(stderr, "lambdacheck: installing %s%s into %s (once: later runs use it)\n",
            piece->specs[0], piece->specs[1] ? " and the rest of its set" : "", final);
    lc_status st = run_npm(npm, piece, tmp, err);
    int renamed = st == LC_OK ? rename(tmp, final) : 0;
    int why = errno; /* before exists() looks, which sets errno of its own */
    if (st == LC_OK && renamed != 0 && !exists(final, piece->proof))
        st = lc_error_set(err, LC_EIO, final, 0, 0, "cannot rename %s to %s: %s", tmp, final,
                          strerror(why));
    remove_tree(tmp); /* gone after a rename; left over after a failure */
    return st;
}

static lc_status missing(const lc_npm_piece *piece, const char *final, const char *why,
                         lc_error *err)
{
    return lc_error_set(err, LC_ENOTFOUND, final, 0, 0,
                        "%s is not in lambdacheck's cache (%s), and %s: %s", piece->specs[0], final,
                        why, piece->supply);
}

/* The npm program: $LAMBDACHECK_NPM, else "npm" on PATH. Caller frees; NULL when none. */
static char *find_npm(void)
{
    const char *given = getenv("LAMBDACHECK_NPM");
    return lc__which(given && given[0] ? given : "npm");
}

static lc_status install(const lc_npm_piece *piece, const char *root, const char *final,
                         lc_error *err)
{
    char *npm = find_npm();
    if (npm == NULL)
        return missing(piece, final, "npm, which installs it once, is not on PATH", err);
    char lock[PATH_MAX + 8];
    snprintf(lock, sizeof lock, "%s.lock", final);
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    lc_status st = LC_OK;
    if (fd < 0 || flock(fd, LOCK_EX) != 0)
        st = lc_error_set(err, LC_EIO, lock, 0, 0, "cannot lock %s: %s", lock, strerror(errno));
    else if (!exists(final, piece->proof)) /* not installed meanwhile by another process */
        st = install_locked(npm, piece, root, final, err);
    if (fd >= 0)
        close(fd); /* releases the lock */
    free(npm);
    return st;
}

lc_status lc_npm_install(const lc_npm_piece *piece, char *out, size_t size, lc_error *err)
{
    char root[PATH_MAX];
    if (!lc_cache_dir(root, sizeof root))
        return lc_error_set(err, LC_ENOTFOUND, NULL, 0, 0,
                            "%s needs lambdacheck's cache, and neither XDG_CACHE_HOME nor HOME "
                            "is set: %s",
                            piece->specs[0], piece->supply);
    if ((size_t)snprintf(out, size, "%s/%s", root, piece->folder) >= size)
        return lc_error_set(err, LC_ERANGE, root, 0, 0, "the cache path %s is too long", root);
    if (exists(out, piece->proof))
        return LC_OK;
    if (lc_installer_offline())
        return missing(piece, out, "LAMBDACHECK_OFFLINE forbids installing it from npm", err);
    if (make_folders(root) != 0)
        return lc_error_set(err, LC_EIO, root, 0, 0, "cannot make %s: %s", root, strerror(errno));
    return install(piece, root, out, err);
}
