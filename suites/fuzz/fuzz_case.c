/* Fuzz target: loading a handler library: a manifest and one case file, checked whole.
 * Input: MANIFEST @@ CASE. The manifest's cases are kept to the library's own folders. */
#include "fuzz.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lambdacheck/lambdacheck.h"

static char dir[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(dir, sizeof dir, "/tmp/lc_fuzz_case_XXXXXX");
    if (mkdtemp(dir) == NULL)
        abort();
    char sub[128];
    snprintf(sub, sizeof sub, "%s/c", dir);
    mkdir(sub, 0755);
    return 0;
}

static void write_file(const char *name, const char *text, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    fwrite(text, 1, len, f);
    fclose(f);
}

/* The manifest as given, but with its cases folder "." (never a path out of the scratch dir). */
static char *confined(const fuzz_part *manifest, size_t *len)
{
    json_t *m = json_loadb(manifest->text, manifest->len, 0, NULL);
    if (!json_is_object(m)) {
        json_decref(m);
        *len = manifest->len;
        char *copy = malloc(manifest->len + 1);
        memcpy(copy, manifest->text, manifest->len + 1);
        return copy;
    }
    if (json_object_get(m, "cases"))
        json_object_set_new(m, "cases", json_pack("[s]", "."));
    char *text = json_dumps(m, 0);
    json_decref(m);
    *len = text ? strlen(text) : 0;
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_part p[2];
    fuzz_split(data, size, p, 2);
    size_t len;
    char *manifest = confined(&p[0], &len);
    write_file("lambdacheck.json", manifest ? manifest : "", len);
    write_file("c/case.json", p[1].text, p[1].len);
    lc_library_options opt = {.data_dir = LC_FIXTURES_DIR};
    lc_library *lib = NULL;
    if (lc_library_load(dir, &opt, &lib, NULL) == LC_OK) {
        for (size_t i = 0; i < lc_library_case_count(lib); i++)
            (void)lc_library_case_id(lib, i);
        lc_library_free(lib);
    }
    free(manifest);
    fuzz_free(p, 2);
    return 0;
}
