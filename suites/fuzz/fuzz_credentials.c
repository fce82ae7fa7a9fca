/* Fuzz target: the shared credentials and config files. Input: PROFILE @@ CREDENTIALS @@
 * CONFIG. */
#include "fuzz.h"

#include <stdio.h>
#include <unistd.h>

#include "lambdacheck/lambdacheck.h"

static char creds[64], config[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(creds, sizeof creds, "/tmp/lc_fuzz_creds_XXXXXX");
    snprintf(config, sizeof config, "/tmp/lc_fuzz_config_XXXXXX");
    close(mkstemp(creds));
    close(mkstemp(config));
    setenv("AWS_SHARED_CREDENTIALS_FILE", creds, 1);
    setenv("AWS_CONFIG_FILE", config, 1);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    unsetenv("AWS_PROFILE");
    return 0;
}

static void write_file(const char *path, const fuzz_part *part)
{
    FILE *f = fopen(path, "wb");
    fwrite(part->text, 1, part->len, f);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_part p[3];
    fuzz_split(data, size, p, 3);
    write_file(creds, &p[1]);
    write_file(config, &p[2]);
    lc_credentials c;
    (void)lc_credentials_load(p[0].len ? p[0].text : NULL, &c, NULL);
    fuzz_free(p, 3);
    return 0;
}
