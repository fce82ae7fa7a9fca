#include "lambdacheck/json_util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static bool numbers_equal(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b))
        return json_integer_value(a) == json_integer_value(b);
    return json_number_value(a) == json_number_value(b);
}

bool lc_json_equal(const json_t *a, const json_t *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (json_is_number(a) && json_is_number(b))
        return numbers_equal(a, b);
    return json_equal((json_t *)a, (json_t *)b) != 0;
}

char *lc_json_brief(const json_t *value, size_t max)
{
    if (value == NULL)
        return strdup("nothing");
    char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
    if (text == NULL)
        return strdup("(unprintable)");
    if (max >= 4 && strlen(text) > max)
        strcpy(text + max - 3, "...");
    return text;
}

lc_status lc_json_path_key(lc_buf *path, const char *key)
{
    bool plain = key[0] != '\0' && !isdigit((unsigned char)key[0]);
    for (const char *p = key; *p && plain; p++)
        plain = isalnum((unsigned char)*p) || *p == '_' || *p == '-';
    if (plain)
        return lc_buf_printf(path, ".%s", key);
    json_t *s = json_string(key);
    char *quoted = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
    json_decref(s);
    lc_status st = quoted ? lc_buf_printf(path, "[%s]", quoted) : LC_ENOMEM;
    free(quoted);
    return st;
}

/* --- matching ------------------------------------------------------------------------------ */

typedef struct {
    lc_json_mode mode;
    lc_buf path; /* the path of the value being compared */
    lc_buf *why; /* where the first difference goes; may be NULL */
} matcher;

static bool report(matcher *m, const json_t *expected, const json_t *actual, const char *note)
{
    if (m->why == NULL)
        return false;
    char *e = lc_json_brief(expected, 200);
    char *a = lc_json_brief(actual, 200);
    lc_buf_printf(m->why, "%s: expected %s, got %s%s", m->path.data ? m->path.data : "$", e, a,
                  note ? note : "");
    free(e);
    free(a);
    return false;
}

static bool match_value(matcher *m, const json_t *expected, const json_t *actual);

static bool match_child(matcher *m, const char *key, size_t index, const json_t *e,
                        const json_t *a, const char *note)
{
    size_t mark = m->path.len;
    if (key)
        lc_json_path_key(&m->path, key);
    else
        lc_buf_printf(&m->path, "[%zu]", index);
    bool ok = (e && a) ? match_value(m, e, a) : report(m, e, a, note);
    m->path.len = mark;
    m->path.data[mark] = '\0';
    return ok;
}

static bool match_object(matcher *m, const json_t *expected, const json_t *actual)
{
    const char *key;
    json_t *e;
    json_object_foreach((json_t *)expected, key, e)
    {
        json_t *a = json_object_get(actual, key);
        if (!match_child(m, key, 0, e, a, a ? NULL : " (key missing)"))
            return false;
    }
    if (m->mode == LC_JSON_SUBSET)
        return true;
    json_t *a;
    json_object_foreach((json_t *)actual, key, a)
    {
        if (json_object_get(expected, key) == NULL)
            return match_child(m, key, 0, NULL, a, " (unexpected key)");
    }
    return true;
}

static bool match_array(matcher *m, const json_t *expected, const json_t *actual)
{
    size_t ne = json_array_size(expected), na = json_array_size(actual);
    size_t common = ne < na ? ne : na;
    for (size_t i = 0; i < common; i++)
        if (!match_child(m, NULL, i, json_array_get(expected, i), json_array_get(actual, i), NULL))
            return false;
    if (ne == na)
        return true;
    char note[64];
    snprintf(note, sizeof note, " (expected %zu elements, got %zu)", ne, na);
    return match_child(m, NULL, common, json_array_get(expected, common),
                       json_array_get(actual, common), note);
}

static bool match_value(matcher *m, const json_t *expected, const json_t *actual)
{
    if (json_is_number(expected) && json_is_number(actual))
        return numbers_equal(expected, actual) || report(m, expected, actual, NULL);
    if (json_typeof(expected) != json_typeof(actual))
        return report(m, expected, actual, NULL);
    if (json_is_object(expected))
        return match_object(m, expected, actual);
    if (json_is_array(expected))
        return match_array(m, expected, actual);
    return json_equal((json_t *)expected, (json_t *)actual) || report(m, expected, actual, NULL);
}

bool lc_json_match(const json_t *expected, const json_t *actual, lc_json_mode mode, lc_buf *why)
{
    matcher m = {.mode = mode, .why = why};
    lc_buf_init(&m.path, 0);
    lc_buf_puts(&m.path, "$");
    bool ok = (expected && actual) ? match_value(&m, expected, actual)
                                   : (expected == actual || report(&m, expected, actual, NULL));
    lc_buf_free(&m.path);
    return ok;
}

/* --- merge patch (RFC 7396) ---------------------------------------------------------------- */

json_t *lc_json_merge_patch(json_t *target, const json_t *patch)
{
    if (!json_is_object(patch)) {
        json_decref(target);
        return json_deep_copy(patch);
    }
    if (!json_is_object(target)) {
        json_decref(target);
        target = json_object();
        if (target == NULL)
            return NULL;
    }
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)patch, key, value)
    {
        if (json_is_null(value)) {
            json_object_del(target, key);
            continue;
        }
        json_t *current = json_incref(json_object_get(target, key));
        json_t *merged = lc_json_merge_patch(current, value);
        if (merged == NULL || json_object_set_new(target, key, merged) != 0) {
            json_decref(target);
            return NULL;
        }
    }
    return target;
}

/* --- path assignment ----------------------------------------------------------------------- */

typedef struct {
    bool is_index;
    size_t index;
    char key[256];
} path_step;

/* Reads one step at *p (a key up to '.', '[' or the end, or an [N] index) and advances *p. */
static lc_status next_step(const char **p, path_step *step, const char *path, lc_error *err)
{
    const char *s = *p;
    memset(step, 0, sizeof *step);
    if (*s == '[') {
        char *end;
        unsigned long long n = strtoull(s + 1, &end, 10);
        if (end == s + 1 || *end != ']')
            return lc_error_set(err, LC_EINVAL, path, 0, (int)(s - path) + 1,
                                "expected an array index like [0] in path '%s'", path);
        step->is_index = true;
        step->index = (size_t)n;
        *p = end + 1;
        return LC_OK;
    }
    size_t n = 0;
    while (*s && *s != '.' && *s != '[') {
        if (s[0] == '\\' && s[1] == '.')
            s++;
        if (n + 1 >= sizeof step->key)
            return lc_error_set(err, LC_EINVAL, path, 0, 0, "key too long in path '%s'", path);
        step->key[n++] = *s++;
    }
    if (n == 0)
        return lc_error_set(err, LC_EINVAL, path, 0, (int)(s - path) + 1,
                            "empty key in path '%s'", path);
    if (!lc_utf8_valid(step->key, n)) /* jansson refuses such a key: refuse it before */
        return lc_error_set(err, LC_EINVAL, path, 0, (int)(*p - path) + 1,
                            "a key in path '%s' is not valid UTF-8", path);
    *p = s;
    return LC_OK;
}

/* Returns the borrowed child of parent at step, creating an empty object when missing. */
static json_t *step_into(json_t *parent, const path_step *step, const char *path, lc_error *err)
{
    if (step->is_index) {
        if (!json_is_array(parent) || step->index >= json_array_size(parent)) {
            lc_error_set(err, LC_EINVAL, path, 0, 0,
                         "path '%s' indexes [%zu], which is not an existing array element", path,
                         step->index);
            return NULL;
        }
        return json_array_get(parent, step->index);
    }
    if (!json_is_object(parent)) {
        lc_error_set(err, LC_EINVAL, path, 0, 0, "path '%s' goes through a %s, not an object",
                     path, json_is_array(parent) ? "list" : "scalar");
        return NULL;
    }
    json_t *child = json_object_get(parent, step->key);
    if (child == NULL) {
        child = json_object();
        if (json_object_set_new(parent, step->key, child) != 0) { /* it freed child */
            lc_error_set(err, LC_ENOMEM, path, 0, 0, "cannot set a key of path '%s'", path);
            return NULL;
        }
    }
    return child;
}

static lc_status set_step(json_t *parent, const path_step *step, json_t *value, const char *path,
                          lc_error *err)
{
    if (!step->is_index) {
        if (!json_is_object(parent)) {
            json_decref(value);
            return lc_error_set(err, LC_EINVAL, path, 0, 0,
                                "path '%s' sets a key on a value that is not an object", path);
        }
        return json_object_set_new(parent, step->key, value) == 0 ? LC_OK : LC_ENOMEM;
    }
    size_t size = json_array_size(parent);
    if (!json_is_array(parent) || step->index > size) {
        json_decref(value);
        return lc_error_set(err, LC_EINVAL, path, 0, 0,
                            "path '%s' sets [%zu] but the list has %zu elements", path,
                            step->index, size);
    }
    int rc = step->index == size ? json_array_append_new(parent, value)
                                 : json_array_set_new(parent, step->index, value);
    return rc == 0 ? LC_OK : LC_ENOMEM;
}

#define MAX_PATH_STEPS 64

/* Splits a whole path into steps before anything is changed, so a bad path changes nothing. */
static lc_status parse_path(const char *path, path_step *steps, size_t *count, lc_error *err)
{
    const char *p = path;
    *count = 0;
    while (*p) {
        if (*count == MAX_PATH_STEPS)
            return lc_error_set(err, LC_EINVAL, path, 0, 0, "path '%s' has more than %d steps",
                                path, MAX_PATH_STEPS);
        lc_status st = next_step(&p, &steps[*count], path, err);
        if (st != LC_OK)
            return st;
        (*count)++;
        if (*p == '.' && p[1] == '\0')
            return lc_error_set(err, LC_EINVAL, path, 0, (int)(p - path) + 1,
                                "empty key in path '%s'", path);
        if (*p == '.')
            p++;
    }
    return LC_OK;
}

/* True when every step but the last can be walked without creating anything in a non-object or
 * indexing past an array; the last step is checked by set_step. */
static bool walkable(const json_t *node, const path_step *steps, size_t count)
{
    for (size_t i = 0; i + 1 < count && node; i++) {
        if (steps[i].is_index) {
            if (!json_is_array(node) || steps[i].index >= json_array_size(node))
                return false;
            node = json_array_get(node, steps[i].index);
        } else {
            if (!json_is_object(node))
                return false;
            node = json_object_get(node, steps[i].key);
        }
    }
    return true; /* a missing object on the way is created as {} */
}

lc_status lc_json_set_path(json_t **root, const char *path, json_t *value, lc_error *err)
{
    if (value == NULL)
        return lc_error_set(err, LC_ENOMEM, path, 0, 0, "out of memory");
    if (path[0] == '\0') {
        json_decref(*root);
        *root = value;
        return LC_OK;
    }
    path_step *steps = malloc(MAX_PATH_STEPS * sizeof *steps);
    size_t count = 0;
    lc_status st = steps ? parse_path(path, steps, &count, err) : LC_ENOMEM;
    if (st == LC_OK && *root == NULL)
        *root = json_object();
    json_t *node = *root;
    for (size_t i = 0; st == LC_OK && i + 1 < count; i++) {
        if (i == 0 && !walkable(node, steps, count))
            st = lc_error_set(err, LC_EINVAL, path, 0, 0,
                              "path '%s' goes through a value that is not an object, or past "
                              "the end of a list",
                              path);
        else if ((node = step_into(node, &steps[i], path, err)) == NULL)
            st = err && err->status ? err->status : LC_ENOMEM;
    }
    if (st == LC_OK)
        st = set_step(node, &steps[count - 1], value, path, err);
    else
        json_decref(value);
    free(steps);
    return st;
}

const json_t *lc_json_get_path(const json_t *root, const char *path)
{
    path_step *steps = malloc(MAX_PATH_STEPS * sizeof *steps);
    size_t count = 0;
    const json_t *node = steps && parse_path(path, steps, &count, NULL) == LC_OK ? root : NULL;
    for (size_t i = 0; node && i < count; i++)
        node = steps[i].is_index ? json_array_get(node, steps[i].index)
                                 : json_object_get(node, steps[i].key);
    free(steps);
    return node;
}

/* --- UTF-8 ---------------------------------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0 when there is none. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || len > n || (len == 2 && c < 0xC2) || (len == 4 && c > 0xF4))
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if (len == 3 && ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0)))
        return 0; /* overlong, or a surrogate */
    if (len == 4 && ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90)))
        return 0;
    return len;
}

bool lc_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_sequence(p + i, n - i);
        if (len == 0)
            return false;
        i += len;
    }
    return true;
}

char *lc_utf8_sanitize(char *s)
{
    unsigned char *p = (unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t len = utf8_sequence(p + i, n - i);
        if (len == 0) {
            p[i] = '?';
            len = 1;
        }
        i += len;
    }
    return s;
}

/* --- validating without a tree ---------------------------------------------------------------------- */

typedef struct {
    const char *p, *end, *start;
    const char *source;
    lc_error *err;
} scanner;

static lc_status scan_error(scanner *sc, const char *what)
{
    int line = 1, column = 1;
    for (const char *q = sc->start; q < sc->p; q++, column++)
        if (*q == '\n')
            line++, column = 0;
    char found[32];
    if (sc->p >= sc->end)
        snprintf(found, sizeof found, "the end of the text");
    else if ((unsigned char)*sc->p >= 0x20 && (unsigned char)*sc->p < 0x7f)
        snprintf(found, sizeof found, "'%c'", *sc->p);
    else
        snprintf(found, sizeof found, "byte 0x%02x", (unsigned char)*sc->p);
    return lc_error_set(sc->err, LC_EJSON, sc->source ? sc->source : "<string>", line, column,
                        "%s expected, found %s (byte %zu)", what, found,
                        (size_t)(sc->p - sc->start));
}

static void skip_blank(scanner *sc)
{
    while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\t' || *sc->p == '\n' || *sc->p == '\r'))
        sc->p++;
}

static bool scan_literal(scanner *sc, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, word, n) != 0)
        return false;
    sc->p += n;
    return true;
}

static size_t digits(scanner *sc)
{
    const char *from = sc->p;
    while (sc->p < sc->end && *sc->p >= '0' && *sc->p <= '9')
        sc->p++;
    return (size_t)(sc->p - from);
}

static lc_status scan_number(scanner *sc)
{
    if (sc->p < sc->end && *sc->p == '-')
        sc->p++;
    if (sc->p < sc->end && *sc->p == '0')
        sc->p++;
    else if (digits(sc) == 0)
        return scan_error(sc, "a digit");
    if (sc->p < sc->end && *sc->p == '.') {
        sc->p++;
        if (digits(sc) == 0)
            return scan_error(sc, "a digit after the decimal point");
    }
    if (sc->p < sc->end && (*sc->p == 'e' || *sc->p == 'E')) {
        sc->p++;
        if (sc->p < sc->end && (*sc->p == '+' || *sc->p == '-'))
            sc->p++;
        if (digits(sc) == 0)
            return scan_error(sc, "a digit of the exponent");
    }
    return LC_OK;
}

static lc_status scan_string(scanner *sc)
{
    sc->p++; /* the opening quote */
    while (sc->p < sc->end) {
        unsigned char c = (unsigned char)*sc->p;
        if (c == '"') {
            sc->p++;
            return LC_OK;
        }
        if (c < 0x20)
            return scan_error(sc, "a character of a string (control characters are escaped)");
        if (c == '\\') {
            sc->p++;
            if (sc->p >= sc->end || !strchr("\"\\/bfnrtu", *sc->p))
                return scan_error(sc, "an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)");
            if (*sc->p++ == 'u') {
                for (int i = 0; i < 4; i++, sc->p++)
                    if (sc->p >= sc->end || !isxdigit((unsigned char)*sc->p))
                        return scan_error(sc, "four hexadecimal digits after \\u");
            }
            continue;
        }
        size_t n = c < 0x80 ? 1 : utf8_sequence((const unsigned char *)sc->p,
                                                (size_t)(sc->end - sc->p));
        if (n == 0)
            return scan_error(sc, "valid UTF-8");
        sc->p += n;
    }
    return scan_error(sc, "the end of the string (\")");
}

/* The containers open around the value being scanned: a bit per level, set for an object. */
typedef struct {
    unsigned char *bits;
    size_t depth, cap;
} nesting;

static bool push(nesting *n, bool object)
{
    if (n->depth == n->cap * 8) {
        size_t cap = n->cap ? n->cap * 2 : 64;
        unsigned char *bits = realloc(n->bits, cap);
        if (bits == NULL)
            return false;
        memset(bits + n->cap, 0, cap - n->cap);
        n->bits = bits;
        n->cap = cap;
    }
    if (object)
        n->bits[n->depth / 8] |= (unsigned char)(1u << (n->depth % 8));
    else
        n->bits[n->depth / 8] &= (unsigned char)~(1u << (n->depth % 8));
    n->depth++;
    return true;
}

static bool in_object(const nesting *n)
{
    size_t d = n->depth - 1;
    return (n->bits[d / 8] >> (d % 8)) & 1;
}

/* A scalar, or the opening of a container (pushed). */
static lc_status scan_value_start(scanner *sc, nesting *n, bool *opened)
{
    *opened = false;
    skip_blank(sc);
    if (sc->p >= sc->end)
        return scan_error(sc, "a value");
    switch (*sc->p) {
    case '{':
    case '[':
        *opened = true;
        if (!push(n, *sc->p++ == '{'))
            return lc_error_set(sc->err, LC_ENOMEM, sc->source, 0, 0, "out of memory");
        return LC_OK;
    case '"': return scan_string(sc);
    case 't': return scan_literal(sc, "true") ? LC_OK : scan_error(sc, "a value");
    case 'f': return scan_literal(sc, "false") ? LC_OK : scan_error(sc, "a value");
    case 'n': return scan_literal(sc, "null") ? LC_OK : scan_error(sc, "a value");
    default:
        if (*sc->p == '-' || (*sc->p >= '0' && *sc->p <= '9'))
            return scan_number(sc);
        return scan_error(sc, "a value");
    }
}

/* In an object, before a value: "key" : */
static lc_status scan_key(scanner *sc)
{
    skip_blank(sc);
    if (sc->p >= sc->end || *sc->p != '"')
        return scan_error(sc, "a key (a string)");
    lc_status st = scan_string(sc);
    skip_blank(sc);
    if (st == LC_OK && (sc->p >= sc->end || *sc->p++ != ':'))
        return sc->p--, scan_error(sc, "':' after the key");
    return st;
}

/* After a value inside containers: ',' (another item) or the closing of one or more levels. */
static lc_status scan_after_value(scanner *sc, nesting *n, bool *more)
{
    *more = false;
    while (n->depth > 0) {
        skip_blank(sc);
        char close = in_object(n) ? '}' : ']';
        if (sc->p < sc->end && *sc->p == ',') {
            sc->p++;
            *more = true;
            return in_object(n) ? scan_key(sc) : LC_OK;
        }
        if (sc->p >= sc->end || *sc->p != close)
            return scan_error(sc, close == '}' ? "',' or '}'" : "',' or ']'");
        sc->p++;
        n->depth--;
    }
    return LC_OK;
}

/* Just after an opening: an empty container closes at once, else the first item starts. */
static lc_status scan_first_item(scanner *sc, nesting *n, bool *empty)
{
    skip_blank(sc);
    char close = in_object(n) ? '}' : ']';
    *empty = sc->p < sc->end && *sc->p == close;
    if (*empty) {
        sc->p++;
        n->depth--;
        return LC_OK;
    }
    return in_object(n) ? scan_key(sc) : LC_OK;
}

/* Two states: a value is expected, or one was just read (and containers may close or go on). */
static lc_status scan_document(scanner *sc, nesting *n)
{
    bool want_value = true;
    for (;;) {
        lc_status st = LC_OK;
        if (want_value) {
            bool opened = false, empty = false;
            st = scan_value_start(sc, n, &opened);
            if (st == LC_OK && opened)
                st = scan_first_item(sc, n, &empty);
            want_value = opened && !empty;
        } else if (n->depth == 0) {
            return LC_OK;
        } else {
            bool more = false;
            st = scan_after_value(sc, n, &more);
            if (st == LC_OK && !more)
                return LC_OK; /* every container closed */
            want_value = true;
        }
        if (st != LC_OK)
            return st;
    }
}

lc_status lc_json_validate(const char *text, size_t len, const char *source, lc_error *err)
{
    scanner sc = {.p = text, .end = text + len, .start = text, .source = source, .err = err};
    nesting n = {0};
    lc_status st = scan_document(&sc, &n);
    free(n.bits);
    skip_blank(&sc);
    if (st == LC_OK && sc.p != sc.end)
        st = scan_error(&sc, "the end of the text after the value");
    return st;
}

size_t lc_name_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 99;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
            size_t best = diag + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}
