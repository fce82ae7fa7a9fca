/* Fuzz target: case discovery over generated file trees, links included. Input: lines of
 *   D path          a folder
 *   C path          a case: path/case.json naming the library's function
 *   L path target   a symbolic link (the target is anything: "..", "/", "a/../..")
 * under a fresh library folder; paths are kept inside it (no "..", no leading '/'). The library
 * is loaded and checked whole; every case id must be unique, and the walk must stay inside the
 * folder (a link out of it is never followed: the tree here holds no more than 64 cases). */
#include "fuzz.h"

#include <ctype.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lambdacheck/lambdacheck.h"

static char dir[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(dir, sizeof dir, "/tmp/lc_fuzz_discovery_XXXXXX");
    if (mkdtemp(dir) == NULL)
        abort();
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    if (ftw->level > 0)
        remove(path);
    return 0;
}

/* Empties the library folder; links are removed, never followed. */
static void clear(void)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A path of the input kept inside the folder: letters, digits, '.', '_', '-' and '/', with no
 * ".." part and no leading '/'. */
static bool inside(const char *path)
{
    if (path[0] == '\0' || path[0] == '/' || strlen(path) > 200)
        return false;
    for (const char *c = path; *c; c++)
        if (!(isalnum((unsigned char)*c) || strchr("._-/", *c)))
            return false;
    return strstr(path, "..") == NULL;
}

static void make_parents(const char *full)
{
    char copy[512];
    snprintf(copy, sizeof copy, "%s", full);
    for (char *p = copy + strlen(dir) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(copy, 0755);
            *p = '/';
        }
}

static size_t cases_made;

static void apply(char *line)
{
    char op = line[0], path[256] = "", target[256] = "", full[512];
    if (line[0] == '\0' || line[1] != ' ' || sscanf(line + 2, "%255s %255s", path, target) < 1 ||
        !inside(path))
        return;
    snprintf(full, sizeof full, "%s/%s", dir, path);
    make_parents(full);
    if (op == 'D') {
        mkdir(full, 0755);
    } else if (op == 'C' && cases_made < 64) {
        mkdir(full, 0755);
        char file[600];
        snprintf(file, sizeof file, "%s/case.json", full);
        FILE *f = fopen(file, "w");
        if (f) {
            fputs("{\"function\": \"f\"}", f);
            fclose(f);
            cases_made++;
        }
    } else if (op == 'L' && target[0]) {
        (void)!symlink(target, full);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clear();
    cases_made = 0;
    char manifest[128];
    snprintf(manifest, sizeof manifest, "%s/lambdacheck.json", dir);
    FILE *m = fopen(manifest, "w");
    if (m == NULL)
        return 0;
    fputs("{\"functions\": {\"f\": {\"handler\": \"a.b\", \"code\": \".\"}}, \"cases\": [\".\"]}", m);
    fclose(m);
    char *text = strndup((const char *)data, size);
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save))
        apply(line);
    free(text);
    lc_library_options opt = {.data_dir = LC_FIXTURES_DIR};
    lc_library *lib = NULL;
    if (lc_library_load(dir, &opt, &lib, NULL) == LC_OK) {
        size_t n = lc_library_case_count(lib);
        if (n > cases_made) /* a case found twice, through a link, or outside the folder */
            abort();
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                if (strcmp(lc_library_case_id(lib, i), lc_library_case_id(lib, j)) == 0)
                    abort();
        lc_library_free(lib);
    }
    return 0;
}
