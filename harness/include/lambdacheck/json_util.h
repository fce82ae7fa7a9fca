/* lambdacheck: JSON comparison, first-difference reports, merge patch and path assignment.
 *
 * Comparison treats numbers by value (1 equals 1.0) and ignores object key order. A report of a
 * mismatch names the path of the first difference and both sides:
 *     $.body.message: expected "Hello John Smith!", got "Hi"
 */
#ifndef LAMBDACHECK_JSON_UTIL_H
#define LAMBDACHECK_JSON_UTIL_H

#include <stdbool.h>
#include <jansson.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/error.h"

typedef enum {
    LC_JSON_EQUAL,  /* same value: every key on both sides, every array the same length */
    LC_JSON_SUBSET, /* expected is contained in actual: objects may have extra keys at any depth;
                       arrays have the same length and match element by element */
} lc_json_mode;

/* True when a and b are the same JSON value (numbers by value, key order ignored).
 * Two NULL pointers are equal; NULL and a value are not. */
bool lc_json_equal(const json_t *a, const json_t *b);

/* True when expected matches actual in the given mode. On a mismatch, when why is not NULL, the
 * first difference is appended to it as "<path>: expected <x>, got <y>". */
bool lc_json_match(const json_t *expected, const json_t *actual, lc_json_mode mode, lc_buf *why);

/* Applies an RFC 7396 merge patch. Takes the reference to target (may be NULL) and returns a new
 * reference to the result (caller decrefs), NULL only when out of memory. patch is borrowed. */
json_t *lc_json_merge_patch(json_t *target, const json_t *patch);

/* Sets the value at path inside *root, creating missing objects on the way.
 * Path: keys separated by '.', array indexes as [N] ("Records[0].body", "a.b"); "\." is a literal
 * dot in a key. An index may address an existing element or the one past the end (append).
 * Takes the reference to value, also on failure. *root may be replaced (an empty path replaces it). */
lc_status lc_json_set_path(json_t **root, const char *path, json_t *value, lc_error *err);

/* The value at path inside root (paths as in lc_json_set_path; an empty path is root), borrowed
 * until root changes; NULL when it is absent or the path is not valid. */
const json_t *lc_json_get_path(const json_t *root, const char *path);

/* Renders a value compactly for messages, at most max bytes (then ending in "..."). Caller frees
 * with free(). A NULL value renders as "nothing". */
char *lc_json_brief(const json_t *value, size_t max);

/* Replaces, in place, every byte of s that is not part of a valid UTF-8 sequence with '?', so
 * that text made from raw bytes (payloads, logs, names from a request) can go into JSON. Returns
 * s. */
char *lc_utf8_sanitize(char *s);

/* Checks that len bytes of text are one JSON value (RFC 8259) without building it: numbers of
 * any size ("1E400", 30-digit integers), any nesting depth, escapes of any code unit (a lone
 * surrogate too), and valid UTF-8, as the Lambda service accepts them. LC_EJSON names the line,
 * column and what was expected; source names the text in err (NULL: "<string>"). */
lc_status lc_json_validate(const char *text, size_t len, const char *source, lc_error *err);

/* The Levenshtein distance between two names, letters compared without case, for "did you
 * mean" suggestions; names over 64 bytes are 99 apart. */
size_t lc_name_distance(const char *a, const char *b);

/* True when the n bytes at s are valid UTF-8 (no overlong forms, no surrogates). */
bool lc_utf8_valid(const char *s, size_t n);

/* Appends the JSONPath-like spelling of one object key to a path buffer: ".name" for plain
 * identifiers, otherwise ["quoted"]. */
lc_status lc_json_path_key(lc_buf *path, const char *key);

#endif
