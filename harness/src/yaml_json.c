#include "yaml_json.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* CloudFormation's short-form tags and the keys of their long forms. */
static const struct {
    const char *tag, *key;
} cfn_tags[] = {
    {"!Ref", "Ref"},
    {"!Condition", "Condition"},
    {"!GetAtt", "Fn::GetAtt"},
    {"!Sub", "Fn::Sub"},
    {"!Join", "Fn::Join"},
    {"!If", "Fn::If"},
    {"!Select", "Fn::Select"},
    {"!Split", "Fn::Split"},
    {"!FindInMap", "Fn::FindInMap"},
    {"!Base64", "Fn::Base64"},
    {"!ImportValue", "Fn::ImportValue"},
    {"!GetAZs", "Fn::GetAZs"},
    {"!Equals", "Fn::Equals"},
    {"!Not", "Fn::Not"},
    {"!And", "Fn::And"},
    {"!Or", "Fn::Or"},
    {"!Cidr", "Fn::Cidr"},
    {"!Transform", "Fn::Transform"},
    {"!Length", "Fn::Length"},
    {"!ToJsonString", "Fn::ToJsonString"},
};

typedef struct {
    json_t *value;  /* the container being filled */
    char *key;      /* in a mapping: the key waiting for its value */
    char *tag;      /* to apply when the container closes */
    char *anchor;   /* to register when the container closes */
} frame;

/* Values an alias may copy in, all aliases together: a document of a few bytes whose aliases
 * name aliases ("billion laughs") would otherwise take all memory. */
#define MAX_ALIASED_VALUES 1000000

/* Containers inside containers: templates nest a few levels, and what reads them (Globals'
 * merge, the intrinsic functions, jansson's copies) recurses; jansson's own parser stops JSON
 * at 2048, and YAML stops here, with the line and column of the container that goes too deep. */
#define MAX_DEPTH 512

typedef struct {
    const char *source;
    lc_error *err;
    size_t aliased; /* values copied in by aliases so far */
    frame *stack;
    size_t depth, cap;
    json_t *anchors; /* name -> value */
    json_t *root;
    bool failed;
} builder;

static void fail_at(builder *b, yaml_mark_t mark, const char *message)
{
    if (!b->failed)
        lc_error_set(b->err, LC_EINVAL, b->source, (int)mark.line + 1, (int)mark.column + 1, "%s",
                     message);
    b->failed = true;
}

/* The long form of a tagged value (takes value): {"Ref": value}, {"Fn::GetAtt": [A, B]}, ...
 * NULL after reporting an unknown tag. */
static json_t *apply_tag(builder *b, const char *tag, json_t *value, yaml_mark_t mark)
{
    if (tag == NULL || strcmp(tag, "!") == 0 || strncmp(tag, "tag:yaml.org,2002:", 18) == 0) {
        if (tag && strcmp(tag, "tag:yaml.org,2002:null") == 0) {
            json_decref(value);
            return json_null();
        }
        return value; /* a standard or non-specific tag: the value as it is */
    }
    for (size_t i = 0; i < sizeof cfn_tags / sizeof *cfn_tags; i++) {
        if (strcmp(tag, cfn_tags[i].tag) != 0)
            continue;
        const char *text = json_string_value(value);
        if (strcmp(tag, "!GetAtt") == 0 && text && strchr(text, '.')) {
            const char *dot = strchr(text, '.');
            json_t *pair = json_pack("[s#, s]", text, (int)(dot - text), dot + 1);
            json_decref(value);
            value = pair;
        }
        json_t *wrapped = json_object();
        json_object_set_new(wrapped, cfn_tags[i].key, value);
        return wrapped;
    }
    json_decref(value);
    char message[512];
    snprintf(message, sizeof message,
             "unknown tag %s (CloudFormation's short forms are !Ref, !GetAtt, !Sub, !Join, !If, "
             "!Select, !Split, !FindInMap, !Base64, !ImportValue, !GetAZs, !Equals, !Not, !And, "
             "!Or, !Condition, !Cidr)",
             tag);
    fail_at(b, mark, message);
    return NULL;
}

/* A plain scalar's value: null for null, ~ and nothing; otherwise its text. */
static json_t *scalar_value(const yaml_event_t *e)
{
    const char *text = (const char *)e->data.scalar.value;
    size_t len = e->data.scalar.length;
    bool plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (plain && (len == 0 || strcmp(text, "~") == 0 || strcmp(text, "null") == 0 ||
                  strcmp(text, "Null") == 0 || strcmp(text, "NULL") == 0))
        return json_null();
    return json_stringn(text, len);
}

static void add_to_parent(builder *b, json_t *value, yaml_mark_t mark)
{
    if (b->depth == 0) {
        if (b->root == NULL)
            b->root = value;
        else
            json_decref(value);
        return;
    }
    frame *f = &b->stack[b->depth - 1];
    if (json_is_array(f->value)) {
        json_array_append_new(f->value, value);
        return;
    }
    if (f->key == NULL) { /* a mapping key */
        if (json_is_string(value))
            f->key = strdup(json_string_value(value));
        else if (json_is_null(value))
            f->key = strdup("null");
        else
            fail_at(b, mark, "a mapping key must be a scalar");
        json_decref(value);
        return;
    }
    json_object_set_new(f->value, f->key, value);
    free(f->key);
    f->key = NULL;
}

static void remember_anchor(builder *b, const char *anchor, json_t *value)
{
    if (anchor)
        json_object_set(b->anchors, anchor, value);
}

static char *dup_or_null(const yaml_char_t *s)
{
    return s ? strdup((const char *)s) : NULL;
}

static void open_container(builder *b, json_t *value, const yaml_char_t *tag,
                           const yaml_char_t *anchor, yaml_mark_t mark)
{
    if (b->depth >= MAX_DEPTH) {
        json_decref(value);
        fail_at(b, mark, "nested more than 512 deep (a template nests a few levels)");
        return;
    }
    if (b->depth == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        frame *grown = realloc(b->stack, cap * sizeof *grown);
        if (grown == NULL) {
            json_decref(value);
            if (!b->failed)
                lc_error_set(b->err, LC_ENOMEM, b->source, 0, 0, "out of memory");
            b->failed = true;
            return;
        }
        b->stack = grown;
        b->cap = cap;
    }
    b->stack[b->depth++] = (frame){.value = value, .tag = dup_or_null(tag),
                                   .anchor = dup_or_null(anchor)};
}

static void close_container(builder *b, yaml_mark_t mark)
{
    frame f = b->stack[--b->depth];
    free(f.key);
    json_t *value = apply_tag(b, f.tag, f.value, mark);
    if (value) {
        remember_anchor(b, f.anchor, value);
        add_to_parent(b, value, mark);
    }
    free(f.tag);
    free(f.anchor);
}

static void on_scalar(builder *b, const yaml_event_t *e)
{
    json_t *value = apply_tag(b, (const char *)e->data.scalar.tag, scalar_value(e), e->start_mark);
    if (value == NULL)
        return;
    remember_anchor(b, (const char *)e->data.scalar.anchor, value);
    add_to_parent(b, value, e->start_mark);
}

/* The number of values in v (itself included), counting no further than limit. */
static size_t count_values(const json_t *v, size_t limit)
{
    size_t n = 1;
    const char *key;
    json_t *item;
    size_t i;
    if (json_is_object(v))
        json_object_foreach((json_t *)v, key, item)
        {
            if (n > limit)
                break;
            n += count_values(item, limit - n);
        }
    else if (json_is_array(v))
        json_array_foreach(v, i, item)
        {
            if (n > limit)
                break;
            n += count_values(item, limit - n);
        }
    return n;
}

/* How deep containers nest in v (a scalar: 0), counting no further than limit. */
static size_t depth_of(const json_t *v, size_t limit)
{
    size_t deepest = 0, i;
    const char *key;
    json_t *item;
    if (limit == 0 || !(json_is_object(v) || json_is_array(v)))
        return 0;
    if (json_is_object(v))
        json_object_foreach((json_t *)v, key, item)
        {
            size_t d = depth_of(item, limit - 1);
            deepest = d > deepest ? d : deepest;
        }
    else
        json_array_foreach(v, i, item)
        {
            size_t d = depth_of(item, limit - 1);
            deepest = d > deepest ? d : deepest;
        }
    return deepest + 1;
}

static void on_alias(builder *b, const yaml_event_t *e)
{
    const char *name = (const char *)e->data.alias.anchor;
    json_t *target = json_object_get(b->anchors, name);
    if (target) {
        b->aliased += count_values(target, MAX_ALIASED_VALUES);
        if (b->aliased > MAX_ALIASED_VALUES) {
            fail_at(b, e->start_mark, "aliases expand to more than a million values");
            return;
        }
    }
    if (target == NULL) {
        char message[300];
        snprintf(message, sizeof message, "alias *%.200s names no anchor before it", name);
        fail_at(b, e->start_mark, message);
        return;
    }
    if (b->depth + depth_of(target, MAX_DEPTH + 1) > MAX_DEPTH) {
        fail_at(b, e->start_mark, "an alias here nests its value more than 512 deep");
        return;
    }
    add_to_parent(b, json_deep_copy(target), e->start_mark);
}

/* One event; false at the end of the first document or on an error. */
static bool on_event(builder *b, const yaml_event_t *e)
{
    switch (e->type) {
    case YAML_SCALAR_EVENT: on_scalar(b, e); break;
    case YAML_ALIAS_EVENT: on_alias(b, e); break;
    case YAML_SEQUENCE_START_EVENT:
        open_container(b, json_array(), e->data.sequence_start.tag,
                       e->data.sequence_start.anchor, e->start_mark);
        break;
    case YAML_MAPPING_START_EVENT:
        open_container(b, json_object(), e->data.mapping_start.tag,
                       e->data.mapping_start.anchor, e->start_mark);
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: close_container(b, e->start_mark); break;
    case YAML_DOCUMENT_END_EVENT:
    case YAML_STREAM_END_EVENT: return false;
    default: break;
    }
    return !b->failed;
}

static void free_builder(builder *b)
{
    while (b->depth > 0) {
        frame *f = &b->stack[--b->depth];
        json_decref(f->value);
        free(f->key);
        free(f->tag);
        free(f->anchor);
    }
    free(b->stack);
    json_decref(b->anchors);
}

json_t *lc__yaml_load(const char *text, size_t len, const char *source, lc_error *err)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        lc_error_set(err, LC_ENOMEM, source, 0, 0, "out of memory");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    builder b = {.source = source, .err = err, .anchors = json_object()};
    for (;;) {
        yaml_event_t event;
        if (!yaml_parser_parse(&parser, &event)) {
            fail_at(&b, parser.problem_mark, parser.problem ? parser.problem : "not YAML");
            break;
        }
        bool more = on_event(&b, &event);
        yaml_event_delete(&event);
        if (!more || b.failed)
            break;
    }
    yaml_parser_delete(&parser);
    free_builder(&b);
    if (b.failed) {
        json_decref(b.root);
        return NULL;
    }
    if (b.root == NULL) {
        lc_error_set(err, LC_EINVAL, source, 1, 1, "the document is empty");
        return NULL;
    }
    return b.root;
}
