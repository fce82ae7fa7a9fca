/* Shared by the fuzz targets: splitting one input into parts. Each target is a libFuzzer
 * program (clang -fsanitize=fuzzer,address,undefined) over one input surface of the library. */
#ifndef LC_FUZZ_H
#define LC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* libFuzzer's entry points, defined by each target (declared for -Wmissing-prototypes). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parts of an input are separated by this line (the dictionaries hold it). */
#define FUZZ_SEPARATOR "\n@@\n"

typedef struct {
    char *text; /* NUL-terminated copy (the bytes may hold NULs too) */
    size_t len;
} fuzz_part;

/* Splits data into up to n parts at FUZZ_SEPARATOR; missing parts are empty. Free with
 * fuzz_free(). */
static inline void fuzz_split(const uint8_t *data, size_t size, fuzz_part *parts, size_t n)
{
    const char *p = (const char *)data, *end = p + size;
    for (size_t i = 0; i < n; i++) {
        const char *cut = i + 1 < n ? memmem(p, (size_t)(end - p), FUZZ_SEPARATOR, 4) : NULL;
        size_t len = cut ? (size_t)(cut - p) : (size_t)(end - p);
        parts[i].text = malloc(len + 1);
        memcpy(parts[i].text, p, len);
        parts[i].text[len] = '\0';
        parts[i].len = len;
        p = cut ? cut + 4 : end;
    }
}

static inline void fuzz_free(fuzz_part *parts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(parts[i].text);
}

#endif
