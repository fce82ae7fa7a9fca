#include "intrinsics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambdacheck/buf.h"

/* Conditions may name conditions; a cycle must end. */
#define MAX_DEPTH 64

static json_t *resolve(const lc__cfn_scope *s, const json_t *v, int depth, lc_error *err);

static pthread_once_t no_value_once = PTHREAD_ONCE_INIT;
static json_t *no_value;

static void make_no_value(void)
{
    no_value = json_object();
}

json_t *lc__cfn_no_value(void)
{
    pthread_once(&no_value_once, make_no_value);
    return no_value;
}

static json_t *fail(lc_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static json_t *fail(lc_error *err, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    lc_error_set(err, LC_EINVAL, NULL, 0, 0, "%s", message);
    return NULL;
}

char *lc__cfn_text(const json_t *v)
{
    char out[64];
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_integer(v))
        snprintf(out, sizeof out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(out, sizeof out, "%.17g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(out, sizeof out, "%s", json_is_true(v) ? "true" : "false");
    else
        return NULL;
    return strdup(out);
}

/* The name of an intrinsic function when v is one ({"Ref": ...}, {"Fn::X": ...}), else NULL. */
static const char *intrinsic_name(const json_t *v)
{
    if (!json_is_object(v) || json_object_size(v) != 1)
        return NULL;
    const char *key = json_object_iter_key(json_object_iter((json_t *)v));
    if (strcmp(key, "Ref") == 0 || strcmp(key, "Condition") == 0 || strncmp(key, "Fn::", 4) == 0)
        return key;
    return NULL;
}

/* --- Ref, GetAtt and Sub ------------------------------------------------------------------------ */

static const json_t *resource(const lc__cfn_scope *s, const char *name)
{
    return json_object_get(json_object_get(s->template, "Resources"), name);
}

static bool is_function(const json_t *res)
{
    const char *type = json_string_value(json_object_get(res, "Type"));
    return type && (strcmp(type, "AWS::Serverless::Function") == 0 ||
                    strcmp(type, "AWS::Lambda::Function") == 0);
}

/* A pseudo parameter's value, or NULL when name is not one. */
static json_t *pseudo(const lc__cfn_scope *s, const char *name)
{
    char text[256];
    if (strcmp(name, "AWS::NoValue") == 0)
        return json_incref(lc__cfn_no_value());
    if (strcmp(name, "AWS::Region") == 0)
        return json_string(s->region);
    if (strcmp(name, "AWS::AccountId") == 0)
        return json_string(s->account);
    if (strcmp(name, "AWS::StackName") == 0)
        return json_string("lambdacheck");
    if (strcmp(name, "AWS::Partition") == 0)
        return json_string("aws");
    if (strcmp(name, "AWS::URLSuffix") == 0)
        return json_string("amazonaws.com");
    if (strcmp(name, "AWS::NotificationARNs") == 0)
        return json_array();
    if (strcmp(name, "AWS::StackId") == 0) {
        snprintf(text, sizeof text,
                 "arn:aws:cloudformation:%s:%s:stack/lambdacheck/"
                 "00000000-0000-0000-0000-000000000000",
                 s->region, s->account);
        return json_string(text);
    }
    return NULL;
}

static json_t *ref(const lc__cfn_scope *s, const char *name, lc_error *err)
{
    json_t *v = pseudo(s, name);
    if (v)
        return v;
    if ((v = json_object_get(s->parameters, name)) != NULL)
        return json_deep_copy(v);
    if (json_object_get(json_object_get(s->template, "Parameters"), name))
        return fail(err, "parameter %s has no value: give it a Default, pass %s=VALUE with "
                         "--parameter-overrides, or set it in the manifest's \"parameters\"",
                    name, name);
    if (resource(s, name))
        return json_string(name); /* as sam local: a resource stands for its logical id */
    return fail(err, "Ref to %s: the template has no parameter or resource of that name", name);
}

static json_t *get_att(const lc__cfn_scope *s, const char *res, const char *attr)
{
    char text[600];
    if (strcmp(attr, "Arn") == 0 && is_function(resource(s, res)))
        snprintf(text, sizeof text, "arn:aws:lambda:%s:%s:function:%s", s->region, s->account,
                 res);
    else
        snprintf(text, sizeof text, "%s.%s", res, attr);
    return json_string(text);
}

static json_t *fn_get_att(const lc__cfn_scope *s, const json_t *arg, int depth, lc_error *err)
{
    json_t *args = resolve(s, arg, depth, err);
    const char *res = json_string_value(json_array_get(args, 0));
    const char *attr = json_string_value(json_array_get(args, 1));
    json_t *out = res && attr ? get_att(s, res, attr)
                              : args ? fail(err, "Fn::GetAtt takes [resource, attribute]")
                                     : NULL;
    json_decref(args);
    return out;
}

/* One ${...} of a Fn::Sub: its value as text, or NULL with err set. */
static char *sub_variable(const lc__cfn_scope *s, const char *name, const json_t *vars, int depth,
                          lc_error *err)
{
    json_t *v = NULL;
    const json_t *given = json_object_get(vars, name);
    const char *dot = strchr(name, '.');
    if (given)
        v = resolve(s, given, depth, err);
    else if (dot && strncmp(name, "AWS::", 5) != 0) {
        char res[256];
        snprintf(res, sizeof res, "%.*s", (int)(dot - name), name);
        v = get_att(s, res, dot + 1);
    } else {
        v = ref(s, name, err);
    }
    char *text = v ? lc__cfn_text(v) : NULL;
    if (v && text == NULL)
        lc_error_set(err, LC_EINVAL, NULL, 0, 0, "Fn::Sub: ${%s} is not a single value", name);
    json_decref(v);
    return text;
}

static json_t *fn_sub(const lc__cfn_scope *s, const json_t *arg, int depth, lc_error *err)
{
    const char *text = json_string_value(json_is_array(arg) ? json_array_get(arg, 0) : arg);
    const json_t *vars = json_is_array(arg) ? json_array_get(arg, 1) : NULL;
    if (text == NULL)
        return fail(err, "Fn::Sub takes a string or [string, {variables}]");
    lc_buf out;
    lc_buf_init(&out, 0);
    for (const char *p = text; *p;) {
        const char *open = strstr(p, "${");
        const char *close = open ? strchr(open, '}') : NULL;
        if (close == NULL) {
            lc_buf_puts(&out, p);
            break;
        }
        lc_buf_append(&out, p, (size_t)(open - p));
        char name[512];
        snprintf(name, sizeof name, "%.*s", (int)(close - open - 2), open + 2);
        if (name[0] == '!') { /* ${!Literal} is the text ${Literal} */
            lc_buf_printf(&out, "${%s}", name + 1);
        } else {
            char *value = sub_variable(s, name, vars, depth, err);
            if (value == NULL) {
                lc_buf_free(&out);
                return NULL;
            }
            lc_buf_puts(&out, value);
            free(value);
        }
        p = close + 1;
    }
    json_t *result = json_stringn(out.data ? out.data : "", out.len);
    lc_buf_free(&out);
    return result;
}

/* --- lists ------------------------------------------------------------------------------------ */

static json_t *fn_join(const lc__cfn_scope *s, const json_t *arg, int depth, lc_error *err)
{
    json_t *args = resolve(s, arg, depth, err);
    const char *delim = json_string_value(json_array_get(args, 0));
    json_t *items = json_array_get(args, 1);
    if (args && (delim == NULL || !json_is_array(items))) {
        json_decref(args);
        return fail(err, "Fn::Join takes [delimiter, [values]]");
    }
    lc_buf out;
    lc_buf_init(&out, 0);
    size_t i;
    json_t *item;
    bool ok = args != NULL;
    json_array_foreach(items, i, item)
    {
        char *text = lc__cfn_text(item);
        ok = ok && text != NULL;
        if (text)
            lc_buf_printf(&out, "%s%s", i ? delim : "", text);
        free(text);
    }
    json_t *result = ok ? json_stringn(out.data ? out.data : "", out.len) : NULL;
    if (args && !ok)
        fail(err, "Fn::Join: every value must be a single value");
    lc_buf_free(&out);
    json_decref(args);
    return result;
}

static json_t *fn_split(const lc__cfn_scope *s, const json_t *arg, int depth, lc_error *err)
{
    json_t *args = resolve(s, arg, depth, err);
    const char *delim = json_string_value(json_array_get(args, 0));
    const char *text = json_string_value(json_array_get(args, 1));
    json_t *out = NULL;
    if (delim && delim[0] && text) {
        out = json_array();
        size_t n = strlen(delim);
        for (const char *p = text;;) {
            const char *at = strstr(p, delim);
            json_array_append_new(out, json_stringn(p, at ? (size_t)(at - p) : strlen(p)));
            if (at == NULL)
                break;
            p = at + n;
        }
    } else if (args) {
        fail(err, "Fn::Split takes [delimiter, string]");
    }
    json_decref(args);
    return out;
}

static json_t *fn_select(const lc__cfn_scope *s, const json_t *arg, int depth, lc_error *err)
{
    json_t *args = resolve(s, arg, depth, err);
    json_t *index = json_array_get(args, 0), *list = json_array_get(args, 1), *out = NULL;
    char *text = lc__cfn_text(index);
    char *end = NULL;
    long i = text ? strtol(text, &end, 10) : -1;
    if (args && (text == NULL || *end || i < 0 || !json_is_array(list) ||
                 (size_t)i >= json_array_size(list)))
        fail(err, "Fn::Select takes [index, [values]] with the index within the list");
    else if (args)
        out = json_incref(json_array_get(list, (size_t)i));
    free(text);
    json_decref(args);
    return out;
}

static json_t *fn_find_in_map(const lc__cfn_scope *s, const json_t *arg, int depth,
                              lc_error *err)
{
    json_t *args = resolve(s, arg, depth, err);
    const char *map = json_string_value(json_array_get(args, 0));
    const char *top = json_string_value(json_array_get(args, 1));
    const char *second = json_string_value(json_array_get(args, 2));
    json_t *found = json_object_get(
        json_object_get(json_object_get(json_object_get(s->template, "Mappings"), map), top),
        second);
    json_t *out = NULL;
    if (found)
        out = json_deep_copy(found);
    else if (json_array_size(args) == 4) /* language extensions: a DefaultValue */
        out = json_deep_copy(json_object_get(json_array_get(args, 3), "DefaultValue"));
    if (out == NULL && args)
        fail(err, "Fn::FindInMap: the mapping %s has no such entry (%s)", map ? map : "?",
             top ? top : "?");
    json_decref(args);
    return out;
}

/* --- conditions --------------------------------------------------------------------------------- */

static bool same_value(const json_t *a, const json_t *b)
{
    char *x = lc__cfn_text(a), *y = lc__cfn_text(b);
    bool same = x && y ? strcmp(x, y) == 0 : json_equal((json_t *)a, (json_t *)b);
    free(x);
    free(y);
    return same;
}

/* A condition expression (Fn::Equals, Fn::Not, ..., Condition): 1, 0 or -1. */
static int truth(const lc__cfn_scope *s, const json_t *expr, int depth, lc_error *err)
{
    json_t *v = resolve(s, expr, depth, err);
    int t = json_is_boolean(v) ? json_is_true(v) : -1;
    if (v && t < 0) {
        char *text = lc__cfn_text(v);
        t = text && strcmp(text, "true") == 0 ? 1 : text && strcmp(text, "false") == 0 ? 0 : -1;
        if (t < 0)
            fail(err, "a condition must be true or false, not %s", text ? text : "a list");
        free(text);
    }
    json_decref(v);
    return t;
}

static json_t *fn_logic(const lc__cfn_scope *s, const char *fn, const json_t *arg, int depth,
                        lc_error *err)
{
    if (!json_is_array(arg))
        return fail(err, "%s takes a list", fn);
    if (strcmp(fn, "Fn::Equals") == 0) {
        json_t *args = resolve(s, arg, depth, err);
        json_t *out = args ? json_boolean(json_array_size(args) == 2 &&
                                          same_value(json_array_get(args, 0),
                                                     json_array_get(args, 1)))
                           : NULL;
        json_decref(args);
        return out;
    }
    bool and = strcmp(fn, "Fn::And") == 0, or = strcmp(fn, "Fn::Or") == 0;
    bool result = and;
    size_t i;
    json_t *item;
    json_array_foreach(arg, i, item)
    {
        int t = truth(s, item, depth, err);
        if (t < 0)
            return NULL;
        if (!and && !or)
            return json_boolean(!t); /* Fn::Not [condition] */
        result = and ? result && t : result || t;
    }
    return json_boolean(result);
}

/* A condition of the template at this depth of evaluation (a cycle ends at MAX_DEPTH). */
static int condition_at(const lc__cfn_scope *s, const char *name, int depth, lc_error *err)
{
    const json_t *known = json_object_get(s->conditions, name);
    if (known)
        return json_is_true(known);
    const json_t *expr = json_object_get(json_object_get(s->template, "Conditions"), name);
    if (expr == NULL) {
        fail(err, "condition %s is not in the template's Conditions", name);
        return -1;
    }
    int t = truth(s, expr, depth + 1, err);
    if (t >= 0 && s->conditions)
        json_object_set_new(s->conditions, name, json_boolean(t));
    return t;
}

int lc__cfn_condition(const lc__cfn_scope *s, const char *name, lc_error *err)
{
    return condition_at(s, name, 0, err);
}

static json_t *fn_if(const lc__cfn_scope *s, const json_t *arg, int depth, lc_error *err)
{
    const char *name = json_string_value(json_array_get(arg, 0));
    if (json_array_size(arg) != 3 || name == NULL)
        return fail(err, "Fn::If takes [condition, value if true, value if false]");
    int t = condition_at(s, name, depth, err);
    return t < 0 ? NULL : resolve(s, json_array_get(arg, t ? 1 : 2), depth, err);
}

/* --- the rest ----------------------------------------------------------------------------------- */

static json_t *fn_text_of(const lc__cfn_scope *s, const char *fn, const json_t *arg, int depth,
                          lc_error *err)
{
    json_t *v = resolve(s, arg, depth, err);
    json_t *out = NULL;
    char *text = v ? lc__cfn_text(v) : NULL;
    if (strcmp(fn, "Fn::Base64") == 0 && text) {
        lc_buf b64;
        lc_buf_init(&b64, 0);
        lc_buf_base64_encode(&b64, text, strlen(text));
        out = json_stringn(b64.data ? b64.data : "", b64.len);
        lc_buf_free(&b64);
    } else if (strcmp(fn, "Fn::ImportValue") == 0 && text) {
        lc_buf name;
        lc_buf_init(&name, 0);
        lc_buf_printf(&name, "ImportValue(%s)", text);
        out = json_string(name.data);
        lc_buf_free(&name);
    } else if (strcmp(fn, "Fn::GetAZs") == 0) {
        out = json_array();
        for (const char *z = "abc"; *z; z++) {
            char az[80];
            snprintf(az, sizeof az, "%s%c", s->region, *z);
            json_array_append_new(out, json_string(az));
        }
    } else if (strcmp(fn, "Fn::Length") == 0 && json_is_array(v)) {
        out = json_integer((json_int_t)json_array_size(v));
    } else if (strcmp(fn, "Fn::ToJsonString") == 0 && v) {
        char *dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
        out = json_string(dump ? dump : "null");
        free(dump);
    } else if (strcmp(fn, "Fn::Cidr") == 0 && v) {
        char *dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        lc_buf c;
        lc_buf_init(&c, 0);
        lc_buf_printf(&c, "Cidr(%s)", dump ? dump : "");
        out = json_string(c.data);
        lc_buf_free(&c);
        free(dump);
    } else if (v) {
        fail(err, "%s cannot be resolved here", fn);
    }
    free(text);
    json_decref(v);
    return out;
}

static json_t *intrinsic(const lc__cfn_scope *s, const char *fn, const json_t *arg, int depth,
                         lc_error *err)
{
    if (strcmp(fn, "Ref") == 0) {
        const char *name = json_string_value(arg);
        return name ? ref(s, name, err) : fail(err, "Ref takes a name");
    }
    if (strcmp(fn, "Condition") == 0) {
        const char *name = json_string_value(arg);
        int t = name ? condition_at(s, name, depth, err) : -1;
        return t < 0 ? NULL : json_boolean(t);
    }
    static const struct {
        const char *name;
        json_t *(*fn)(const lc__cfn_scope *, const json_t *, int, lc_error *);
    } table[] = {
        {"Fn::GetAtt", fn_get_att}, {"Fn::Sub", fn_sub},     {"Fn::Join", fn_join},
        {"Fn::Split", fn_split},    {"Fn::Select", fn_select}, {"Fn::FindInMap", fn_find_in_map},
        {"Fn::If", fn_if},
    };
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (strcmp(fn, table[i].name) == 0)
            return table[i].fn(s, arg, depth, err);
    if (strcmp(fn, "Fn::Equals") == 0 || strcmp(fn, "Fn::Not") == 0 ||
        strcmp(fn, "Fn::And") == 0 || strcmp(fn, "Fn::Or") == 0)
        return fn_logic(s, fn, arg, depth, err);
    if (strcmp(fn, "Fn::Transform") == 0)
        return fail(err, "%s (a macro) cannot be resolved without CloudFormation", fn);
    return fn_text_of(s, fn, arg, depth, err);
}

static json_t *resolve_container(const lc__cfn_scope *s, const json_t *v, int depth,
                                 lc_error *err)
{
    json_t *out = json_is_object(v) ? json_object() : json_array();
    const char *key;
    json_t *item;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, item)
        {
            json_t *r = resolve(s, item, depth, err);
            if (r == NULL) {
                json_decref(out);
                return NULL;
            }
            if (r == lc__cfn_no_value())
                json_decref(r);
            else
                json_object_set_new(out, key, r);
        }
        return out;
    }
    json_array_foreach(v, i, item)
    {
        json_t *r = resolve(s, item, depth, err);
        if (r == NULL) {
            json_decref(out);
            return NULL;
        }
        if (r == lc__cfn_no_value())
            json_decref(r);
        else
            json_array_append_new(out, r);
    }
    return out;
}

static json_t *resolve(const lc__cfn_scope *s, const json_t *v, int depth, lc_error *err)
{
    if (v == NULL)
        return NULL;
    if (depth > MAX_DEPTH)
        return fail(err, "intrinsic functions nested more than %d deep", MAX_DEPTH);
    const char *fn = intrinsic_name(v);
    if (fn)
        return intrinsic(s, fn, json_object_get(v, fn), depth + 1, err);
    if (json_is_object(v) || json_is_array(v))
        return resolve_container(s, v, depth + 1, err);
    return json_incref((json_t *)v);
}

json_t *lc__cfn_resolve(const lc__cfn_scope *scope, const json_t *value, lc_error *err)
{
    return resolve(scope, value, 0, err);
}
