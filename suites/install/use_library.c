/* A program that uses lambdacheck as a C library, built against an installed (and moved) tree
 * by suites/install/test_install: it runs a Python handler once in the embedded emulator and
 * prints the payload. Its runtime client is found relative to the library. */
#include <stdio.h>
#include <string.h>

#include <lambdacheck/lambdacheck.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: use_library CODE_DIR HANDLER\n");
        return 2;
    }
    lc_function_config c = {.name = "greeting", .handler = argv[2], .code_dir = argv[1]};
    lc_function *fn = NULL;
    lc_emulator *em = NULL;
    lc_error err = {0};
    if (lc_function_new(&c, &fn, &err) != LC_OK || lc_emulator_new(NULL, &em, &err) != LC_OK ||
        lc_emulator_add_function(em, fn, &err) != LC_OK) {
        fprintf(stderr, "use_library: %s\n", err.message);
        return 1;
    }
    static const char event[] = "{\"first_name\": \"John\", \"last_name\": \"Smith\"}";
    lc_invoke_options opt = {.payload = event, .payload_len = strlen(event)};
    lc_result r;
    if (lc_emulator_invoke(em, "greeting", &opt, &r, &err) != LC_OK) {
        fprintf(stderr, "use_library: %s\n", err.message);
        return 1;
    }
    printf("lambdacheck %s: %.*s\n", lc_version(), (int)r.payload_len, r.payload);
    printf("runtime client: %s\n", lc_bundled_dir(LC_BUNDLED_PYTHON_RUNTIME));
    lc_result_clear(&r);
    lc_emulator_free(em);
    return 0;
}
