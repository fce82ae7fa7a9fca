/* Fuzz target: reading a SAM or CloudFormation template (YAML or JSON, tags, anchors, Globals,
 * intrinsic functions, conditions) into functions, and applying an --env-vars file.
 * Input: TEMPLATE @@ ENV_VARS. */
#include "fuzz.h"

#include <stdio.h>
#include <unistd.h>

#include "lambdacheck/lambdacheck.h"

static char dir[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(dir, sizeof dir, "/tmp/lc_fuzz_template_XXXXXX");
    if (mkdtemp(dir) == NULL)
        abort();
    setenv("XDG_CACHE_HOME", dir, 1); /* inline code is written below it */
    return 0;
}

static const char *write_file(const char *name, const fuzz_part *part)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    fwrite(part->text, 1, part->len, f);
    fclose(f);
    return path;
}

/* Reads what a command would read of each function. */
static void use(const lc_template *t, const json_t *env_vars)
{
    for (size_t i = 0; i < lc_template_function_count(t); i++) {
        const lc_template_function *f = lc_template_function_at(t, i);
        volatile size_t n = strlen(f->name) + (f->problem ? strlen(f->problem) : 0) +
                            (f->handler ? strlen(f->handler) : 0) +
                            (f->code_dir ? strlen(f->code_dir) : 0);
        for (const char *const *l = f->layers; l && *l; l++)
            n += strlen(*l);
        (void)n;
        json_t *env = lc_env_vars_apply(env_vars, f->name, f->environment, NULL);
        json_decref(env);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_part p[2];
    fuzz_split(data, size, p, 2);
    json_t *overrides = json_pack("{s:s}", "Stage", "prod");
    lc_template_options opt = {.parameters = overrides};
    lc_template *t = NULL;
    json_t *env_vars = NULL;
    lc_env_vars_load(write_file("env.json", &p[1]), &env_vars, NULL);
    if (lc_template_load(write_file("template.yaml", &p[0]), &opt, &t, NULL) == LC_OK)
        use(t, env_vars);
    lc_template_free(t);
    json_decref(env_vars);
    json_decref(overrides);
    fuzz_free(p, 2);
    return 0;
}
