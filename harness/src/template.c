#include "lambdacheck/template.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/runtime.h"
#include "intrinsics.h"
#include "yaml_json.h"

#define MAX_TEMPLATE (16u * 1024 * 1024)

typedef struct {
    lc_template_function pub;
    char *problem;
    const char *problem_part;
    char *code_dir;
    json_t *props;  /* the resolved properties; the strings of pub point into it */
    json_t *environment;
    json_t *event_sources;
    char **layers;
} entry;

struct lc_template {
    char *path;
    char dir[PATH_MAX];
    json_t *doc;
    json_t *parameters;
    json_t *conditions; /* evaluated so far */
    lc__cfn_scope scope;
    char region[64], account[32];
    entry *entries;
    size_t n, cap;
    char *names;
};

/* --- reading ---------------------------------------------------------------------------------- */

static json_t *parse(const char *path, const lc_buf *text, lc_error *err)
{
    size_t i = 0;
    while (i < text->len && isspace((unsigned char)text->data[i]))
        i++;
    if (i < text->len && text->data[i] == '{') {
        json_error_t jerr;
        json_t *doc = json_loadb(text->data, text->len, 0, &jerr);
        if (doc == NULL)
            lc_error_set(err, LC_EINVAL, path, jerr.line, jerr.column, "%s", jerr.text);
        return doc;
    }
    return lc__yaml_load(text->data ? text->data : "", text->len, path, err);
}

/* Parameters' values: the overrides, else the Defaults; list types as arrays. */
static json_t *parameter_values(const json_t *doc, const json_t *overrides)
{
    json_t *values = json_object();
    const char *name;
    json_t *decl;
    json_object_foreach(json_object_get(doc, "Parameters"), name, decl)
    {
        const json_t *given = json_object_get(overrides, name);
        char *text = lc__cfn_text(given ? given : json_object_get(decl, "Default"));
        if (text == NULL)
            continue;
        const char *type = json_string_value(json_object_get(decl, "Type"));
        if (type && (strcmp(type, "CommaDelimitedList") == 0 || strncmp(type, "List<", 5) == 0)) {
            json_t *list = json_array();
            for (char *save = NULL, *part = strtok_r(text, ",", &save); part;
                 part = strtok_r(NULL, ",", &save))
                json_array_append_new(list, json_string(part));
            json_object_set_new(values, name, list);
        } else {
            json_object_set_new(values, name, json_string(text));
        }
        free(text);
    }
    return values;
}

/* --- Globals ---------------------------------------------------------------------------------- */

static bool intrinsic(const json_t *v)
{
    if (!json_is_object(v) || json_object_size(v) != 1)
        return false;
    const char *key = json_object_iter_key(json_object_iter((json_t *)v));
    return strcmp(key, "Ref") == 0 || strncmp(key, "Fn::", 4) == 0;
}

/* SAM's merge of a Globals value with a resource's own (a new reference). */
static json_t *merge_global(const json_t *global, const json_t *local)
{
    if (global == NULL || local == NULL)
        return json_deep_copy(local ? local : global);
    if (intrinsic(global) || intrinsic(local))
        return json_deep_copy(local);
    if (json_is_object(global) && json_is_object(local)) {
        json_t *out = json_deep_copy(global);
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)local, key, v)
            json_object_set_new(out, key, merge_global(json_object_get(global, key), v));
        return out;
    }
    if (json_is_array(global) && json_is_array(local)) {
        json_t *out = json_deep_copy(global);
        json_array_extend(out, (json_t *)local);
        return out;
    }
    return json_deep_copy(local);
}

/* --- a function --------------------------------------------------------------------------------- */

static void set_problem(entry *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_problem(entry *e, const char *fmt, ...)
{
    if (e->problem)
        return;
    e->problem_part = NULL;
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    e->problem = strdup(text);
}

static bool is_folder(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* path relative to the template's folder, resolved; NULL when it is not a folder. */
static char *folder(const lc_template *t, const char *path)
{
    char joined[PATH_MAX * 2], real[PATH_MAX];
    snprintf(joined, sizeof joined, "%s%s%s", path[0] == '/' ? "" : t->dir,
             path[0] == '/' ? "" : "/", path);
    return is_folder(joined) && realpath(joined, real) ? strdup(real) : NULL;
}

static bool is_archive(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && (strcmp(dot, ".zip") == 0 || strcmp(dot, ".jar") == 0);
}

static void inline_folder(const lc_template *t, const char *name, char *out, size_t size);
static bool make_folders(const char *path);

/* A CodeUri that names one file of code (src/app.py): the package SAM makes of it holds that
 * file alone, at its root; so does a folder of the cache the file is copied into. NULL when path
 * is not a regular file, or with e's problem set when the copy fails. */
static char *single_file(lc_template *t, entry *e, const char *path)
{
    char joined[PATH_MAX * 2], dir[PATH_MAX], target[PATH_MAX * 3 + 8];
    snprintf(joined, sizeof joined, "%s%s%s", path[0] == '/' ? "" : t->dir,
             path[0] == '/' ? "" : "/", path);
    struct stat st;
    if (stat(joined, &st) != 0 || !S_ISREG(st.st_mode))
        return NULL;
    char name[200];
    snprintf(name, sizeof name, "%s.code", e->pub.name);
    inline_folder(t, name, dir, sizeof dir);
    const char *base = strrchr(joined, '/') ? strrchr(joined, '/') + 1 : joined;
    snprintf(target, sizeof target, "%s/%s", dir, base);
    FILE *in = fopen(joined, "rb"), *out = make_folders(dir) ? fopen(target, "wb") : NULL;
    char buf[65536];
    size_t n;
    bool ok = in && out;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    ok = ok && !ferror(in);
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        ok = false;
    if (!ok) {
        set_problem(e, "cannot copy %s's one file of code to %s: %s", e->pub.name, target,
                    strerror(errno));
        return NULL;
    }
    return strdup(dir);
}

/* A folder of code named by a template (CodeUri, Code, ContentUri, Content). */
static char *code_folder(lc_template *t, entry *e, const char *what, const json_t *v)
{
    const char *path = json_string_value(v);
    if (path == NULL) {
        set_problem(e, "%s in S3 (or another object) is not supported: lambdacheck runs code from "
                       "a folder; give the folder's path",
                    what);
        return NULL;
    }
    if (is_archive(path)) {
        set_problem(e, "%s %s is an archive, which is not supported: give the folder it was made "
                       "from",
                    what, path);
        return NULL;
    }
    char *found = folder(t, path);
    if (found == NULL && (found = single_file(t, e, path)) == NULL && e->problem == NULL)
        set_problem(e, "%s %s is not a folder (relative to %s)", what, path, t->dir);
    return found;
}

/* A problem that giving the part (a manifest field, a command's option) cures. */
static void set_part_problem(entry *e, const char *part, const char *text)
{
    bool had = e->problem != NULL;
    set_problem(e, "%s", text);
    if (!had)
        e->problem_part = part;
}

/* Code that is not a folder: curable by giving one. */
static char *function_code_folder(lc_template *t, entry *e, const char *what, const json_t *v)
{
    bool had = e->problem != NULL;
    char *dir = code_folder(t, e, what, v);
    if (!had && e->problem)
        e->problem_part = "code";
    return dir;
}

/* Where inline code goes: a folder per template and function under the user's cache
 * ($XDG_CACHE_HOME or ~/.cache, lambdacheck/inline), kept between runs so that the functions
 * made from it outlive the template; else under /tmp. */
static void inline_folder(const lc_template *t, const char *name, char *out, size_t size)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char base[PATH_MAX / 2];
    if (xdg && xdg[0] == '/')
        snprintf(base, sizeof base, "%s/lambdacheck/inline", xdg);
    else if (home && home[0] == '/')
        snprintf(base, sizeof base, "%s/.cache/lambdacheck/inline", home);
    else
        snprintf(base, sizeof base, "/tmp/lambdacheck-inline-%d", (int)getuid());
    unsigned long hash = 5381; /* the template's folder tells two projects apart */
    for (const char *p = t->dir; *p; p++)
        hash = hash * 33 + (unsigned char)*p;
    snprintf(out, size, "%s/%08lx/%s", base, hash & 0xffffffffUL, name);
}

/* mkdir -p */
static bool make_folders(const char *path)
{
    char part[PATH_MAX];
    snprintf(part, sizeof part, "%s", path);
    for (char *p = part + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(part, 0700) != 0 && errno != EEXIST)
                return false;
            *p = '/';
        }
    return mkdir(part, 0700) == 0 || errno == EEXIST;
}

/* InlineCode / Code.ZipFile written where the runtime finds it: index.py or index.js. */
static char *inline_code(lc_template *t, entry *e, const char *code, const char *runtime)
{
    bool node = runtime && lc_runtime_family_of(lc_runtime_from_name(runtime)) == LC_FAMILY_NODE;
    char dir[PATH_MAX], file[PATH_MAX + 16], tmp[PATH_MAX + 32];
    inline_folder(t, e->pub.name, dir, sizeof dir);
    snprintf(file, sizeof file, "%s/index.%s", dir, node ? "js" : "py");
    snprintf(tmp, sizeof tmp, "%s.%d", file, (int)getpid());
    FILE *f = make_folders(dir) ? fopen(tmp, "w") : NULL;
    bool written = f && fputs(code, f) >= 0;
    if ((f && fclose(f) != 0) || !written || rename(tmp, file) != 0) {
        set_problem(e, "cannot write its inline code to %s: %s", file, strerror(errno));
        unlink(tmp);
        return NULL;
    }
    return strdup(dir);
}

static bool packaged_as_image(const json_t *props)
{
    const char *type = json_string_value(json_object_get(props, "PackageType"));
    return (type && strcmp(type, "Image") == 0) || json_object_get(props, "ImageUri");
}

static void find_code(lc_template *t, entry *e, bool serverless)
{
    const json_t *p = e->props;
    const char *runtime = json_string_value(json_object_get(p, "Runtime"));
    if (packaged_as_image(p) || json_object_get(json_object_get(p, "Code"), "ImageUri")) {
        set_problem(e, "PackageType Image is not supported: lambdacheck runs functions from "
                       "folders of code, not container images");
        e->problem_part = "code";
        return;
    }
    const json_t *code = json_object_get(p, serverless ? "CodeUri" : "Code");
    const char *inline_text = json_string_value(
        serverless ? json_object_get(p, "InlineCode") : json_object_get(code, "ZipFile"));
    if (inline_text)
        e->code_dir = inline_code(t, e, inline_text, runtime);
    else if (code)
        e->code_dir = function_code_folder(t, e, serverless ? "CodeUri" : "Code", code);
    else if (serverless) /* SAM's default CodeUri is ".": the template's own folder */
        e->code_dir = strdup(t->dir);
    else
        set_part_problem(e, "code", "it has no Code");
}

/* Seconds or MB: a number, or a string of one. -1 when it is neither. */
static long whole_number(const json_t *v)
{
    if (json_is_integer(v))
        return (long)json_integer_value(v);
    const char *s = json_string_value(v);
    char *end;
    long n = s ? strtol(s, &end, 10) : -1;
    return s && *s && *end == '\0' ? n : -1;
}

static void find_sizes(entry *e)
{
    const json_t *timeout = json_object_get(e->props, "Timeout");
    const json_t *memory = json_object_get(e->props, "MemorySize");
    /* sam local takes a missing or 0 value as the default (FunctionConfig: "value or default") */
    long seconds = timeout ? whole_number(timeout) : 3, mb = memory ? whole_number(memory) : 128;
    seconds = seconds == 0 ? 3 : seconds;
    mb = mb == 0 ? 128 : mb;
    if (seconds < 0)
        set_problem(e, "Timeout must be a whole number of seconds");
    if (mb < 0)
        set_problem(e, "MemorySize must be a whole number of MB");
    e->pub.timeout_ms = seconds > 0 ? seconds * 1000 : 3000;
    e->pub.memory_mb = mb > 0 ? mb : 128;
}

/* CapacityProviderConfig puts the function on Lambda Managed Instances: SAM's {Arn,
 * PerExecutionEnvironmentMaxConcurrency, ExecutionEnvironmentMemoryGiBPerVCpu}
 * (sam-resource-function.html) or CloudFormation's {LambdaManagedInstancesCapacityProviderConfig:
 * {CapacityProviderArn, ...}}. The concurrency is 1-1600
 * (API_LambdaManagedInstancesCapacityProviderConfig.html); without it, the runtime's default per
 * vCPU, with a vCPU per ExecutionEnvironmentMemoryGiBPerVCpu (default 2) GiB of memory. */
static void find_capacity_provider(entry *e)
{
    const json_t *c = json_object_get(e->props, "CapacityProviderConfig");
    if (c == NULL)
        return;
    const json_t *inner = json_object_get(c, "LambdaManagedInstancesCapacityProviderConfig");
    if (inner)
        c = inner;
    if (json_object_get(e->props, "MemorySize") == NULL)
        e->pub.memory_mb = LC_MANAGED_MEMORY_MB;
    const json_t *given = json_object_get(c, "PerExecutionEnvironmentMaxConcurrency");
    long n = given ? whole_number(given) : 0;
    if (given && (n < 1 || n > LC_MAX_CONCURRENCY)) {
        set_problem(e, "CapacityProviderConfig.PerExecutionEnvironmentMaxConcurrency must be a whole "
                       "number from 1 to 1600");
        return;
    }
    if (!given) {
        const json_t *ratio = json_object_get(c, "ExecutionEnvironmentMemoryGiBPerVCpu");
        double gib = json_is_number(ratio) ? json_number_value(ratio) : 2.0;
        long vcpus = gib > 0 ? (long)((double)e->pub.memory_mb / 1024.0 / gib) : 1;
        n = (long)lc_runtime_managed_concurrency_per_vcpu(lc_runtime_from_name(e->pub.runtime)) *
            (vcpus > 1 ? vcpus : 1);
        if (n == 0)
            n = 1; /* a runtime without a documented default runs one at a time */
    }
    e->pub.max_concurrency = (int)n;
}

static void find_environment(entry *e)
{
    e->environment = json_object();
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(json_object_get(e->props, "Environment"), "Variables"),
                        key, v)
    {
        char *text = lc__cfn_text(v);
        if (text == NULL)
            set_problem(e, "environment variable %s is not a single value", key);
        else
            json_object_set_new(e->environment, key, json_string(text));
        free(text);
    }
}

/* A LayerVersion of the template: its folder; NULL (problem set) otherwise. */
static char *layer_folder(lc_template *t, entry *e, const char *name)
{
    const json_t *res = json_object_get(json_object_get(t->doc, "Resources"), name);
    const char *type = json_string_value(json_object_get(res, "Type"));
    bool sam = type && strcmp(type, "AWS::Serverless::LayerVersion") == 0;
    if (!sam && !(type && strcmp(type, "AWS::Lambda::LayerVersion") == 0)) {
        bool had = e->problem != NULL;
        set_problem(e, "layer %s is not a layer of this template: lambdacheck cannot fetch "
                       "published layers; give its folder in a lambdacheck.json's \"layers\"",
                    name);
        if (!had)
            e->problem_part = "layers";
        return NULL;
    }
    lc_error err = {0};
    json_t *props = lc__cfn_resolve(&t->scope, json_object_get(res, "Properties"), &err);
    char *dir = NULL;
    if (props == NULL)
        set_problem(e, "layer %s: %s", name, err.message);
    else
        dir = code_folder(t, e, sam ? "ContentUri" : "Content",
                          json_object_get(props, sam ? "ContentUri" : "Content"));
    json_decref(props);
    return dir;
}

static void find_layers(lc_template *t, entry *e)
{
    const json_t *list = json_object_get(e->props, "Layers");
    size_t n = json_array_size(list);
    e->layers = calloc(n + 1, sizeof *e->layers);
    size_t k = 0;
    for (size_t i = 0; e->layers && i < n; i++) {
        const char *name = json_string_value(json_array_get(list, i));
        char *dir = name ? layer_folder(t, e, name) : NULL;
        if (name == NULL)
            set_problem(e, "Layers must list layers");
        if (dir)
            e->layers[k++] = dir;
    }
    e->pub.layers = (const char *const *)e->layers;
}

static const char *prop_string(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static int included(lc_template *t, const json_t *res, lc_error *err);

/* Architectures: one entry (SAM CLI refuses a list of two, which Globals and a function's own
 * make when both give one); x86_64 by default (samcli Function.architecture). */
static void find_architecture(entry *e)
{
    const json_t *list = json_object_get(e->props, "Architectures");
    e->pub.architecture = "x86_64";
    if (list == NULL)
        return;
    if (!json_is_array(list) || json_array_size(list) != 1 ||
        !json_is_string(json_array_get(list, 0)))
        set_problem(e, "Architectures must be a list of one architecture (x86_64 or arm64)");
    else
        e->pub.architecture = json_string_value(json_array_get(list, 0));
}

/* --- event sources ------------------------------------------------------------------------------ */

/* Records that a queue or stream (source "sqs", "kinesis", "dynamodb") invokes the function, with
 * the mapping's FunctionResponseTypes, FilterCriteria, BatchSize and
 * MaximumBatchingWindowInSeconds (props: the event's or the mapping's Properties), and for a
 * queue or stream the template declares, what it says (queue: source_of's, taken; may be
 * NULL). */
static void add_event_source(entry *e, const char *source, const json_t *props, json_t *queue)
{
    const json_t *response_types = json_object_get(props, "FunctionResponseTypes");
    const json_t *filter_criteria = json_object_get(props, "FilterCriteria");
    json_t *settings = json_object_get(e->event_sources, source);
    if (settings == NULL) {
        settings = json_pack("{s:[]}", "functionResponseTypes");
        json_object_set_new(e->event_sources, source, settings);
    }
    /* the mapping's numbers (a stream's retry limit and record age may be -1: none) */
    const char *sizes[][2] = {{"BatchSize", "batchSize"},
                              {"MaximumBatchingWindowInSeconds", "maximumBatchingWindowInSeconds"},
                              {"MaximumRetryAttempts", "maximumRetryAttempts"},
                              {"MaximumRecordAgeInSeconds", "maximumRecordAgeInSeconds"},
                              {"ParallelizationFactor", "parallelizationFactor"},
                              {"TumblingWindowInSeconds", "tumblingWindowInSeconds"}};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        const json_t *v = json_object_get(props, sizes[i][0]);
        long n = whole_number(v);
        const char *text = json_string_value(v);
        if (n >= 0 || (json_is_integer(v) && json_integer_value(v) == -1) ||
            (text && strcmp(text, "-1") == 0))
            json_object_set_new(settings, sizes[i][1], json_integer(n >= 0 ? n : -1));
    }
    long concurrency = whole_number(json_object_get(json_object_get(props, "ScalingConfig"),
                                                    "MaximumConcurrency"));
    if (concurrency >= 0)
        json_object_set_new(settings, "maximumConcurrency", json_integer(concurrency));
    const json_t *bisect = json_object_get(props, "BisectBatchOnFunctionError");
    const char *bisect_text = json_string_value(bisect);
    if (json_is_boolean(bisect) || (bisect_text && strcmp(bisect_text, "true") == 0))
        json_object_set_new(settings, "bisectBatchOnFunctionError",
                            json_boolean(json_is_true(bisect) || bisect_text != NULL));
    if (queue && strcmp(source, "sqs") == 0) {
        json_object_set_new(settings, "queue", queue);
    } else if (queue) { /* a stream's: its shards */
        json_object_update(settings, queue);
        json_decref(queue);
    }
    /* FilterCriteria: {Filters: [{Pattern: "..."}]}; a pattern written as YAML (an object) is
       kept as its JSON text */
    size_t k;
    const json_t *filter;
    json_array_foreach(json_object_get(filter_criteria, "Filters"), k, filter) {
        const json_t *pattern = json_object_get(filter, "Pattern");
        json_t *list = json_object_get(settings, "filters");
        if (list == NULL)
            json_object_set_new(settings, "filters", list = json_array());
        if (json_is_string(pattern))
            json_array_append(list, (json_t *)pattern);
        else if (pattern) {
            char *text = json_dumps(pattern, JSON_COMPACT);
            json_array_append_new(list, json_string(text ? text : ""));
            free(text);
        }
    }
    json_t *types = json_object_get(settings, "functionResponseTypes");
    size_t i;
    json_t *type;
    json_array_foreach(response_types, i, type)
    {
        bool have = false;
        size_t j;
        json_t *seen;
        json_array_foreach(types, j, seen) have = have || json_equal(seen, type);
        if (!have && json_is_string(type))
            json_array_append(types, type);
    }
}

/* The source an event of a SAM function's Events is, by its Type; NULL for the others. */
static const char *pull_source(const char *type)
{
    static const char *const map[][2] = {{"SQS", "sqs"}, {"Kinesis", "kinesis"},
                                         {"DynamoDB", "dynamodb"}};
    for (size_t i = 0; type && i < sizeof map / sizeof *map; i++)
        if (strcmp(type, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}


/* The source an EventSourceArn stands for: an ARN's service, or, for the placeholder of a
 * GetAtt ("Queue.Arn", "Table.StreamArn"), the type of the resource it names. */
static const char *arn_source(const lc_template *t, const char *arn)
{
    static const char *const services[][2] = {{":sqs:", "sqs"}, {":kinesis:", "kinesis"},
                                              {":dynamodb:", "dynamodb"}};
    static const char *const types[][2] = {{"AWS::SQS::Queue", "sqs"},
                                           {"AWS::Kinesis::Stream", "kinesis"},
                                           {"AWS::DynamoDB::Table", "dynamodb"},
                                           {"AWS::DynamoDB::GlobalTable", "dynamodb"}};
    if (arn == NULL)
        return NULL;
    if (strncmp(arn, "arn:", 4) == 0) {
        for (size_t i = 0; i < sizeof services / sizeof *services; i++)
            if (strstr(arn, services[i][0]))
                return services[i][1];
        return NULL;
    }
    char logical[256];
    snprintf(logical, sizeof logical, "%.*s", (int)strcspn(arn, "."), arn);
    const char *type = prop_string(json_object_get(json_object_get(t->doc, "Resources"), logical),
                                   "Type");
    for (size_t i = 0; type && i < sizeof types / sizeof *types; i++)
        if (strcmp(type, types[i][0]) == 0)
            return types[i][1];
    return NULL;
}

/* The attributes of the queue an SQS mapping reads, when the template declares it (arn is the
 * placeholder of a GetAtt, "Queue.Arn"): {"visibilityTimeout", "fifo", "maxReceiveCount"}, those
 * its AWS::SQS::Queue gives (VisibilityTimeout, FifoQueue, RedrivePolicy.maxReceiveCount); NULL
 * when it gives none or is not the template's. */
static json_t *queue_of(lc_template *t, const char *arn)
{
    if (arn == NULL || strncmp(arn, "arn:", 4) == 0)
        return NULL;
    char logical[256];
    snprintf(logical, sizeof logical, "%.*s", (int)strcspn(arn, "."), arn);
    const json_t *res = json_object_get(json_object_get(t->doc, "Resources"), logical);
    const char *type = prop_string(res, "Type");
    if (type == NULL || strcmp(type, "AWS::SQS::Queue") != 0)
        return NULL;
    lc_error err = {0};
    json_t *props = lc__cfn_resolve(&t->scope, json_object_get(res, "Properties"), &err);
    json_t *out = json_object();
    long visibility = whole_number(json_object_get(props, "VisibilityTimeout"));
    long receives = whole_number(json_object_get(json_object_get(props, "RedrivePolicy"),
                                                 "maxReceiveCount"));
    const json_t *fifo = json_object_get(props, "FifoQueue");
    const char *fifo_text = json_string_value(fifo);
    if (visibility >= 0)
        json_object_set_new(out, "visibilityTimeout", json_integer(visibility));
    if (receives >= 0)
        json_object_set_new(out, "maxReceiveCount", json_integer(receives));
    if (json_is_boolean(fifo) || (fifo_text && (strcmp(fifo_text, "true") == 0 ||
                                                strcmp(fifo_text, "false") == 0)))
        json_object_set_new(out, "fifo",
                            json_boolean(json_is_true(fifo) ||
                                         (fifo_text && strcmp(fifo_text, "true") == 0)));
    json_decref(props);
    if (json_object_size(out) == 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* The ShardCount of the Kinesis stream a mapping reads, when the template declares it (arn is a
 * GetAtt's placeholder, "Stream.Arn"); -1 otherwise. */
static long shards_of(lc_template *t, const char *arn)
{
    if (arn == NULL || strncmp(arn, "arn:", 4) == 0)
        return -1;
    char logical[256];
    snprintf(logical, sizeof logical, "%.*s", (int)strcspn(arn, "."), arn);
    const json_t *res = json_object_get(json_object_get(t->doc, "Resources"), logical);
    const char *type = prop_string(res, "Type");
    if (type == NULL || strcmp(type, "AWS::Kinesis::Stream") != 0)
        return -1;
    lc_error err = {0};
    json_t *props = lc__cfn_resolve(&t->scope, json_object_get(res, "Properties"), &err);
    long n = whole_number(json_object_get(props, "ShardCount"));
    json_decref(props);
    return n > 0 ? n : -1;
}

/* What the template says of the source an event or mapping reads (its queue's attributes, its
 * stream's shards), for add_event_source; NULL when nothing. */
static json_t *source_of(lc_template *t, const char *source, const char *arn)
{
    if (strcmp(source, "sqs") == 0)
        return queue_of(t, arn);
    long shards = strcmp(source, "kinesis") == 0 ? shards_of(t, arn) : -1;
    return shards > 0 ? json_pack("{s:I}", "shards", (json_int_t)shards) : NULL;
}

static void find_events(lc_template *t, entry *e)
{
    e->event_sources = json_object();
    const char *name;
    json_t *event;
    json_object_foreach(json_object_get(e->props, "Events"), name, event)
    {
        const char *source = pull_source(prop_string(event, "Type"));
        const json_t *props = json_object_get(event, "Properties");
        if (source)
            add_event_source(e, source, props,
                             source_of(t, source,
                                       prop_string(props, strcmp(source, "sqs") == 0 ? "Queue"
                                                                                     : "Stream")));
    }
}

/* The function an EventSourceMapping's FunctionName names: a logical id (Ref), a function's ARN
 * (GetAtt Arn), either with a qualifier. */
static entry *mapped_function(lc_template *t, const char *name)
{
    const char *at = name ? strstr(name, ":function:") : NULL;
    const char *start = at ? at + strlen(":function:") : name;
    for (size_t i = 0; start && i < t->n; i++) {
        size_t n = strlen(t->entries[i].pub.name);
        if (strncmp(start, t->entries[i].pub.name, n) == 0 && (start[n] == '\0' || start[n] == ':'))
            return &t->entries[i];
    }
    return NULL;
}

/* AWS::Lambda::EventSourceMapping resources, added to the functions they name. */
static void find_mappings(lc_template *t)
{
    const char *name;
    json_t *res;
    json_object_foreach(json_object_get(t->doc, "Resources"), name, res)
    {
        const char *type = prop_string(res, "Type");
        lc_error err = {0};
        if (type == NULL || strcmp(type, "AWS::Lambda::EventSourceMapping") != 0 ||
            included(t, res, &err) != 1)
            continue;
        json_t *props = lc__cfn_resolve(&t->scope, json_object_get(res, "Properties"), &err);
        entry *e = mapped_function(t, prop_string(props, "FunctionName"));
        const char *source = arn_source(t, prop_string(props, "EventSourceArn"));
        if (e && source && e->event_sources)
            add_event_source(e, source, props,
                             source_of(t, source, prop_string(props, "EventSourceArn")));
        json_decref(props);
    }
}

/* SnapStart: {ApplyOn: PublishedVersions | None} (sam-resource-function.html,
 * aws-properties-lambda-function-snapstart.html); it applies to published versions, which is what
 * lambdacheck runs (README, "SnapStart"). */
static void find_snapstart(entry *e)
{
    const json_t *s = json_object_get(e->props, "SnapStart");
    if (s == NULL)
        return;
    const char *apply = prop_string(s, "ApplyOn");
    if (apply && strcmp(apply, "PublishedVersions") == 0)
        e->pub.snapstart = true;
    else if (apply == NULL || strcmp(apply, "None") != 0)
        set_problem(e, "SnapStart.ApplyOn must be PublishedVersions or None, not %s",
                    apply ? apply : "missing");
}

static void describe(lc_template *t, entry *e, bool serverless)
{
    const json_t *p = e->props;
    e->pub.handler = prop_string(p, "Handler");
    e->pub.runtime = prop_string(p, "Runtime");
    find_code(t, e, serverless);
    find_sizes(e);
    find_environment(e);
    find_layers(t, e);
    const json_t *logging = json_object_get(p, "LoggingConfig");
    e->pub.log_format = prop_string(logging, "LogFormat");
    e->pub.application_log_level = prop_string(logging, "ApplicationLogLevel");
    e->pub.system_log_level = prop_string(logging, "SystemLogLevel");
    e->pub.alias = prop_string(p, "AutoPublishAlias");
    /* TenancyConfig: {TenantIsolationMode: PER_TENANT} on AWS::Serverless::Function and
     * AWS::Lambda::Function (https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation.html) */
    e->pub.tenancy = prop_string(json_object_get(p, "TenancyConfig"), "TenantIsolationMode");
    find_architecture(e);
    find_capacity_provider(e);
    find_snapstart(e);
    if (e->pub.handler == NULL)
        set_part_problem(e, "handler", "it has no Handler");
    if (e->pub.runtime == NULL)
        set_part_problem(e, "runtime", "it has no Runtime");
    find_events(t, e);
}

static entry *new_entry(lc_template *t, const char *name)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        entry *grown = realloc(t->entries, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        t->entries = grown;
        t->cap = cap;
    }
    entry *e = &t->entries[t->n++];
    memset(e, 0, sizeof *e);
    e->pub.name = name;
    return e;
}

static bool is_function_type(const char *type, bool *serverless)
{
    *serverless = type && strcmp(type, "AWS::Serverless::Function") == 0;
    return *serverless || (type && strcmp(type, "AWS::Lambda::Function") == 0);
}

/* A resource's Condition: true when it has none. -1 with err set when it cannot be evaluated. */
static int included(lc_template *t, const json_t *res, lc_error *err)
{
    const char *cond = prop_string(res, "Condition");
    return cond ? lc__cfn_condition(&t->scope, cond, err) : 1;
}

/* CloudFormation's logical ids: letters and digits (and they name folders here). */
static bool valid_logical_id(const char *name)
{
    if (name[0] == '\0' || strlen(name) > 255)
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p))
            return false;
    return true;
}

/* The properties a function runs with: one that cannot be resolved is a problem of the
 * function. What it does not run with (Policies, Role, Tags, ...) and an event that cannot be
 * resolved are left out instead, as sam local's resolver leaves them (a parameter without a value
 * that only a policy names does not stop the function). */
static bool run_property(const char *key)
{
    static const char *const keys[] = {"Handler", "Runtime", "CodeUri", "Code", "InlineCode",
                                       "Timeout", "MemorySize", "Environment", "Layers",
                                       "LoggingConfig", "PackageType", "ImageUri", NULL};
    for (const char *const *k = keys; *k; k++)
        if (strcmp(*k, key) == 0)
            return true;
    return false;
}

static json_t *resolve_events(lc_template *t, const json_t *events)
{
    json_t *out = json_object();
    const char *name;
    json_t *event;
    json_object_foreach((json_t *)events, name, event)
    {
        lc_error err = {0};
        json_t *resolved = lc__cfn_resolve(&t->scope, event, &err);
        if (resolved == lc__cfn_no_value())
            json_decref(resolved);
        else if (resolved)
            json_object_set_new(out, name, resolved);
    }
    return out;
}

static json_t *resolve_properties(lc_template *t, entry *e, const json_t *props)
{
    json_t *out = json_object();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)props, key, v)
    {
        lc_error err = {0};
        json_t *resolved = strcmp(key, "Events") == 0 ? resolve_events(t, v)
                                                       : lc__cfn_resolve(&t->scope, v, &err);
        if (resolved == lc__cfn_no_value())
            json_decref(resolved);
        else if (resolved)
            json_object_set_new(out, key, resolved);
        else if (run_property(key))
            set_problem(e, "%s: %s", key, err.message);
    }
    return out;
}

static void add_function(lc_template *t, const char *name, const json_t *res, bool serverless)
{
    lc_error err = {0};
    int in = included(t, res, &err);
    if (in == 0)
        return;
    entry *e = new_entry(t, name);
    if (e == NULL)
        return;
    if (!valid_logical_id(name)) {
        set_problem(e, "its logical id is not letters and digits, as CloudFormation requires");
        return;
    }
    if (in < 0) {
        set_problem(e, "its Condition: %s", err.message);
        return;
    }
    const json_t *globals = serverless ? json_object_get(json_object_get(t->doc, "Globals"),
                                                         "Function")
                                       : NULL;
    json_t *merged = merge_global(globals, json_object_get(res, "Properties"));
    if (merged == NULL)
        merged = json_object();
    e->props = resolve_properties(t, e, merged);
    json_decref(merged);
    describe(t, e, serverless);
}

static void finish_entries(lc_template *t)
{
    lc_buf names;
    lc_buf_init(&names, 0);
    for (size_t i = 0; i < t->n; i++) {
        entry *e = &t->entries[i];
        e->pub.problem = e->problem;
        e->pub.problem_part = e->problem ? e->problem_part : NULL;
        e->pub.code_dir = e->code_dir;
        e->pub.environment = e->environment;
        if (e->event_sources == NULL) /* a function refused before it was described */
            e->event_sources = json_object();
        e->pub.event_sources = e->event_sources;
        if (e->props == NULL)
            e->props = json_object();
        e->pub.properties = e->props;
        lc_buf_printf(&names, "%s%s", i ? ", " : "", e->pub.name);
    }
    t->names = lc_buf_take(&names);
}

/* --- loading ------------------------------------------------------------------------------------- */

static lc_status read_template(lc_template *t, lc_error *err)
{
    lc_buf text;
    lc_buf_init(&text, MAX_TEMPLATE);
    lc_status st = lc_buf_read_file(&text, t->path, err);
    if (st == LC_OK) {
        t->doc = parse(t->path, &text, err);
        st = t->doc ? LC_OK : LC_EINVAL;
    }
    lc_buf_free(&text);
    if (st == LC_OK && !json_is_object(json_object_get(t->doc, "Resources")))
        st = lc_error_set(err, LC_EINVAL, t->path, 0, 0,
                          "not a SAM or CloudFormation template: it has no Resources");
    return st;
}

static void set_folder(lc_template *t)
{
    char real[PATH_MAX];
    const char *path = realpath(t->path, real) ? real : t->path;
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(t->dir, sizeof t->dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    else
        snprintf(t->dir, sizeof t->dir, ".");
}

lc_status lc_template_load(const char *path, const lc_template_options *opt, lc_template **out,
                           lc_error *err)
{
    *out = NULL;
    lc_template *t = calloc(1, sizeof *t);
    if (t == NULL || (t->path = strdup(path)) == NULL) {
        free(t);
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    }
    lc_status st = read_template(t, err);
    if (st != LC_OK) {
        lc_template_free(t);
        return st;
    }
    set_folder(t);
    snprintf(t->region, sizeof t->region, "%s", opt && opt->region ? opt->region : "us-east-1");
    snprintf(t->account, sizeof t->account, "%s",
             opt && opt->account ? opt->account : "123456789012");
    t->parameters = parameter_values(t->doc, opt ? opt->parameters : NULL);
    t->conditions = json_object();
    t->scope = (lc__cfn_scope){.template = t->doc, .parameters = t->parameters,
                               .region = t->region, .account = t->account,
                               .conditions = t->conditions};
    const char *name;
    json_t *res;
    json_object_foreach(json_object_get(t->doc, "Resources"), name, res)
    {
        bool serverless;
        if (is_function_type(prop_string(res, "Type"), &serverless))
            add_function(t, name, res, serverless);
    }
    find_mappings(t);
    finish_entries(t);
    *out = t;
    return LC_OK;
}

/* --- the rest --------------------------------------------------------------------------------- */

void lc_template_free(lc_template *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++) {
        entry *e = &t->entries[i];
        free(e->problem);
        free(e->code_dir);
        json_decref(e->props);
        json_decref(e->environment);
        json_decref(e->event_sources);
        for (char **l = e->layers; l && *l; l++)
            free(*l);
        free(e->layers);
    }
    free(t->entries);
    free(t->names);
    json_decref(t->parameters);
    json_decref(t->conditions);
    json_decref(t->doc);
    free(t->path);
    free(t);
}

const char *lc_template_path(const lc_template *t) { return t->path; }
size_t lc_template_function_count(const lc_template *t) { return t->n; }

const lc_template_function *lc_template_function_at(const lc_template *t, size_t i)
{
    return i < t->n ? &t->entries[i].pub : NULL;
}

const lc_template_function *lc_template_find(const lc_template *t, const char *name)
{
    for (size_t i = 0; name && i < t->n; i++)
        if (strcmp(t->entries[i].pub.name, name) == 0)
            return &t->entries[i].pub;
    return NULL;
}

/* Resources (not functions) resolved on demand: only the gateway asks for them. */
json_t *lc_template_resources(const lc_template *t, const char *type)
{
    json_t *out = json_object();
    const char *kind = strcmp(type, "AWS::Serverless::Api") == 0       ? "Api"
                       : strcmp(type, "AWS::Serverless::HttpApi") == 0 ? "HttpApi"
                                                                        : NULL;
    const json_t *globals = kind ? lc_template_globals(t, kind) : NULL;
    const char *name;
    json_t *res;
    json_object_foreach(json_object_get(t->doc, "Resources"), name, res)
    {
        const char *rtype = prop_string(res, "Type");
        lc_error err = {0};
        if (rtype == NULL || strcmp(rtype, type) != 0 ||
            included((lc_template *)t, res, &err) != 1)
            continue;
        json_t *merged = merge_global(globals, json_object_get(res, "Properties"));
        json_t *props = merged ? lc__cfn_resolve(&t->scope, merged, &err) : NULL;
        json_decref(merged);
        if (props == NULL || props == lc__cfn_no_value())
            props = json_object();
        json_object_set_new(out, name, props);
    }
    return out;
}

const json_t *lc_template_globals(const lc_template *t, const char *kind)
{
    return json_object_get(json_object_get(t->doc, "Globals"), kind);
}

const char *lc_template_function_names(const lc_template *t)
{
    return t->names ? t->names : "";
}

/* --- --env-vars files ------------------------------------------------------------------------- */

lc_status lc_env_vars_load(const char *path, json_t **out, lc_error *err)
{
    *out = NULL;
    lc_buf text;
    lc_buf_init(&text, MAX_TEMPLATE);
    lc_status st = lc_buf_read_file(&text, path, err);
    json_error_t jerr;
    json_t *doc = st == LC_OK ? json_loadb(text.data, text.len, 0, &jerr) : NULL;
    lc_buf_free(&text);
    if (st != LC_OK)
        return st;
    if (doc == NULL)
        return lc_error_set(err, LC_EJSON, path, jerr.line, jerr.column, "%s", jerr.text);
    const char *key;
    json_t *section;
    json_object_foreach(doc, key, section)
    {
        if (!json_is_object(section)) {
            /* The message quotes the key, which lives in doc: format before freeing it. */
            lc_error_set(err, LC_EINVAL, path, 0, 0,
                         "%s must be an object of variables (SAM's --env-vars format: "
                         "{\"Parameters\": {...}, \"LogicalId\": {...}})",
                         key);
            json_decref(doc);
            return LC_EINVAL;
        }
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        return lc_error_set(err, LC_EINVAL, path, 0, 0,
                            "must be an object: {\"Parameters\": {...}, \"LogicalId\": {...}}");
    }
    *out = doc;
    return LC_OK;
}

json_t *lc_env_vars_apply(const json_t *file, const char *function, const json_t *variables,
                          lc_buf *ignored)
{
    json_t *out = variables ? json_deep_copy(variables) : json_object();
    const json_t *sections[] = {json_object_get(file, "Parameters"),
                                function ? json_object_get(file, function) : NULL};
    for (size_t i = 0; i < 2; i++) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)sections[i], key, v)
        {
            char *text = lc__cfn_text(v);
            if (json_object_get(variables, key) && text)
                json_object_set_new(out, key, json_string(text));
            else if (ignored && i == 1)
                lc_buf_printf(ignored, "%s%s", ignored->len ? ", " : "", key);
            free(text);
        }
    }
    return out;
}

void lc_template_function_config(const lc_template_function *f, lc_function_config *c)
{
    c->name = f->name;
    c->handler = f->handler;
    c->runtime = f->runtime;
    c->code_dir = f->code_dir;
    c->timeout_ms = f->timeout_ms;
    c->memory_mb = f->memory_mb;
    c->environment = f->environment;
    c->layers = f->layers;
    c->log_format = f->log_format;
    c->application_log_level = f->application_log_level;
    c->system_log_level = f->system_log_level;
    c->alias = f->alias;
    c->tenancy = f->tenancy;
    c->max_concurrency = f->max_concurrency;
    c->snapstart = f->snapstart;
    c->event_sources = f->event_sources;
}
