/* lambdacheck events: detect the source of event files; list and show the bundled samples. */
#include <dirent.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static const char events_usage[] =
    "usage: lambdacheck events detect FILE...\n"
    "       lambdacheck events list\n"
    "       lambdacheck events show SOURCE[/NAME]\n"
    "       lambdacheck events generate SOURCE[/NAME] [--count N] [--body TEXT] [--method M]\n"
    "                                   [--path P] [--bucket B] [--key K] [--set PATH=VALUE]...\n"
    "       lambdacheck events filter (--pattern JSON | --filter-criteria FILE |\n"
    "                                  --template FILE [--function NAME])... FILE\n"
    "\n"
    "detect  prints FILE<TAB>SOURCE for each file (SOURCE is 'unknown' when no service matches);\n"
    "        a file that cannot be read as JSON prints FILE<TAB>error: <reason> and makes the\n"
    "        exit status 1. '-' reads standard input.\n"
    "list    prints SOURCE<TAB>NAME<TAB>PATH for each bundled sample event.\n"
    "show    prints a bundled sample: the first of SOURCE, or SOURCE/NAME.\n"
    "generate prints a valid event of SOURCE, made from its first sample (or sample NAME),\n"
    "        with fresh ids and timestamps: --count records in a batch, --body for the request\n"
    "        or message body, --method and --path for HTTP sources, --bucket and --key for S3,\n"
    "        and --set PATH=VALUE for any field\n"
    "        (e.g. --set Records[0].messageAttributes.kind.stringValue=test). An option the\n"
    "        source does not take is refused; 'events generate SOURCE --help' lists its own.\n";

/* True when args (after the verb) ask for help: "--help" or "-h" anywhere before "--". */
static bool wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

static int detect_one(const char *file)
{
    lc_error err = {0};
    json_t *event = NULL;
    lc_status st = strcmp(file, "-") == 0 ? lc_event_load_stream(stdin, "<stdin>", &event, &err)
                                          : lc_event_load_file(file, &event, &err);
    if (st != LC_OK) {
        /* the file name already leads the line; give line and column without repeating it */
        if (err.line > 0)
            printf("%s\terror: line %d, column %d: %s\n", file, err.line, err.column,
                   err.message);
        else
            printf("%s\terror: %s\n", file, err.message);
        return CLI_FAILED;
    }
    printf("%s\t%s\n", file, lc_event_source_name(lc_event_detect(event)));
    json_decref(event);
    return CLI_OK;
}

static int events_detect(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(events_usage, stdout);
        return CLI_OK;
    }
    if (argc < 2)
        return cli_usage_error("events ", "events detect needs at least one FILE");
    int first = 1;
    for (; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
        if (strcmp(argv[first], "--") == 0) {
            first++;
            break;
        }
        return cli_usage_error("events ", "unknown option '%s'", argv[first]);
    }
    if (first >= argc)
        return cli_usage_error("events ", "events detect needs at least one FILE");
    int status = CLI_OK;
    for (int i = first; i < argc; i++)
        if (detect_one(argv[i]) != CLI_OK)
            status = CLI_FAILED;
    return status;
}

static int is_json_file(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

static int is_subdir(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/* Calls visit(source, name, path) for each sample in the bundled events folder, in name order;
 * stops at the first non-zero return and returns it. -1 when the folder cannot be read. */
static int each_sample(int (*visit)(const char *, const char *, const char *, void *), void *arg)
{
    char root[4096];
    snprintf(root, sizeof root, "%s/events", cli_data_dir());
    struct dirent **sources;
    int ns = scandir(root, &sources, is_subdir, alphasort);
    if (ns < 0) {
        fprintf(stderr, "lambdacheck: %s: cannot read the bundled events folder (set "
                        "LAMBDACHECK_DATA_DIR to the fixtures folder)\n", root);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < ns; i++) {
        char dir[4096 + 256];
        snprintf(dir, sizeof dir, "%s/%s", root, sources[i]->d_name);
        struct dirent **files;
        int nf = rc == 0 ? scandir(dir, &files, is_json_file, alphasort) : -1;
        for (int j = 0; j < nf; j++) {
            char path[8192], name[256];
            snprintf(path, sizeof path, "%s/%s", dir, files[j]->d_name);
            snprintf(name, sizeof name, "%.*s", (int)strlen(files[j]->d_name) - 5,
                     files[j]->d_name);
            if (rc == 0)
                rc = visit(sources[i]->d_name, name, path, arg);
            free(files[j]);
        }
        if (nf >= 0)
            free(files);
        free(sources[i]);
    }
    free(sources);
    return rc;
}

static int print_sample(const char *source, const char *name, const char *path, void *arg)
{
    (void)arg;
    printf("%s\t%s\t%s\n", source, name, path);
    return 0;
}

typedef struct {
    char source[256];
    char name[256]; /* "" = the first sample of the source */
    char path[8192];
} sample_query;

static int find_sample(const char *source, const char *name, const char *path, void *arg)
{
    sample_query *q = arg;
    if (strcmp(source, q->source) != 0 || (q->name[0] && strcmp(name, q->name) != 0))
        return 0;
    snprintf(q->path, sizeof q->path, "%s", path);
    return 1;
}

/* SOURCE or SOURCE/NAME as a query. */
static sample_query query_of(const char *word)
{
    sample_query q = {0};
    const char *slash = strchr(word, '/');
    snprintf(q.source, sizeof q.source, "%.*s", slash ? (int)(slash - word) : (int)strlen(word),
             word);
    if (slash)
        snprintf(q.name, sizeof q.name, "%s", slash + 1);
    return q;
}

static int events_show(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(events_usage, stdout);
        return CLI_OK;
    }
    if (argc != 2)
        return cli_usage_error("events ", "events show needs exactly one SOURCE[/NAME]");
    sample_query q = query_of(argv[1]);
    int rc = each_sample(find_sample, &q);
    if (rc < 0)
        return CLI_FAILED;
    if (rc == 0) {
        fprintf(stderr, "lambdacheck: no bundled sample '%s' (see 'lambdacheck events list')\n",
                argv[1]);
        return CLI_FAILED;
    }
    lc_error err = {0};
    json_t *event = NULL;
    if (lc_event_load_file(q.path, &event, &err) != LC_OK) {
        cli_print_error(&err);
        return CLI_FAILED;
    }
    json_dumpf(event, stdout, JSON_ENCODE_ANY | JSON_INDENT(2));
    putchar('\n');
    json_decref(event);
    return CLI_OK;
}

typedef struct {
    lc_event_params params;
    const char *sets[64];
    int n_sets;
} generate_args;

static int generate_option(generate_args *g, int opt, const char *arg)
{
    long n;
    switch (opt) {
    case 'c':
        if ((n = cli_parse_number("events ", "--count", arg, 1, 10000)) < 0)
            return CLI_USAGE;
        g->params.count = (int)n;
        return CLI_OK;
    case 'b': g->params.body = arg; return CLI_OK;
    case 'm': g->params.method = arg; return CLI_OK;
    case 'p': g->params.path = arg; return CLI_OK;
    case 'B': g->params.bucket = arg; return CLI_OK;
    case 'k': g->params.key = arg; return CLI_OK;
    case 's':
        if (g->n_sets == 64)
            return cli_usage_error("events ", "at most 64 --set assignments");
        g->sets[g->n_sets++] = arg;
        return CLI_OK;
    default:
        return cli_usage_error("events ", "unknown option");
    }
}

static int print_generated(const generate_args *g, lc_event_source source, const char *path)
{
    lc_error err = {0};
    json_t *sample = NULL, *event = NULL;
    lc_status st = lc_event_load_file(path, &sample, &err);
    if (st == LC_OK)
        st = lc_event_generate(source, sample, &g->params, &event, &err);
    for (int i = 0; st == LC_OK && i < g->n_sets; i++)
        st = lc_event_assign_synced(&event, g->sets[i], &err);
    json_decref(sample);
    if (st != LC_OK) {
        json_decref(event);
        cli_print_error(&err);
        return st == LC_EINVAL ? CLI_USAGE : CLI_FAILED;
    }
    json_dumpf(event, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    putchar('\n');
    json_decref(event);
    return CLI_OK;
}

/* What --body means for source. */
static const char *body_meaning(lc_event_source source)
{
    switch (source) {
    case LC_SOURCE_SQS: return "each record's body (md5OfBody follows)";
    case LC_SOURCE_SNS: return "each record's Sns.Message";
    case LC_SOURCE_KINESIS: return "each record's kinesis.data (base64-encoded for you)";
    case LC_SOURCE_FIREHOSE:
    case LC_SOURCE_MQ: return "each record's data (base64-encoded for you)";
    case LC_SOURCE_KAFKA: return "each record's value (base64-encoded for you)";
    case LC_SOURCE_CLOUDWATCH_LOGS:
        return "each log event's message (inside awslogs.data, compressed for you)";
    case LC_SOURCE_EVENTBRIDGE: return "the detail, a JSON object";
    default: return "the request body (isBase64Encoded becomes false)";
    }
}

/* "events generate SOURCE --help": the options that source takes. */
static int generate_help(lc_event_source source)
{
    unsigned takes = lc_event_params_of(source);
    const char *name = lc_event_source_name(source);
    printf("usage: lambdacheck events generate %s [OPTION]... [--set PATH=VALUE]...\n\n"
           "Prints a %s event built from the bundled sample (see 'lambdacheck events show %s')\n"
           "with fresh ids and timestamps (the earliest is now).\n\n",
           name, name, name);
    if (takes & LC_PARAM_COUNT)
        printf("  --count N          records in the batch (1 to 10000)\n");
    if (takes & LC_PARAM_BODY)
        printf("  --body TEXT        %s\n", body_meaning(source));
    if (takes & LC_PARAM_ROUTE)
        printf("  --method M         the HTTP method\n"
               "  --path P           the request path%s\n",
               source == LC_SOURCE_APIGATEWAY_REST
                   ? " (also resource, requestContext.path and .resourcePath)"
                   : "");
    if (takes & LC_PARAM_OBJECT)
        printf("  --bucket B         the bucket\n"
               "  --key K            the object key (URL-encoded as S3 writes it)\n");
    printf("  --set PATH=VALUE   any field, VALUE as JSON when it parses as JSON, else a string%s\n",
           source == LC_SOURCE_APIGATEWAY_REST || source == LC_SOURCE_ALB
               ? ";\n                     headers.X and queryStringParameters.X keep their\n"
                 "                     multiValue maps in step"
               : "");
    return CLI_OK;
}

/* The SOURCE word of "events generate" arguments (NULL if none): the first word that is neither
 * an option nor an option's value. */
static const char *generate_source_word(int argc, char **argv)
{
    static const char *const with_value[] = {"--count", "--body", "--method", "--path",
                                             "--bucket", "--key", "--set"};
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-')
            return argv[i];
        for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++)
            if (strcmp(argv[i], with_value[k]) == 0)
                i++;
    }
    return NULL;
}

static int events_generate(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        const char *word = generate_source_word(argc, argv);
        lc_event_source source =
            word ? lc_event_source_from_name(query_of(word).source) : LC_SOURCE_UNKNOWN;
        if (source != LC_SOURCE_UNKNOWN)
            return generate_help(source);
        fputs(events_usage, stdout);
        return CLI_OK;
    }
    static const struct option options[] = {
        {"count", required_argument, NULL, 'c'}, {"body", required_argument, NULL, 'b'},
        {"method", required_argument, NULL, 'm'}, {"path", required_argument, NULL, 'p'},
        {"bucket", required_argument, NULL, 'B'}, {"key", required_argument, NULL, 'k'},
        {"set", required_argument, NULL, 's'}, {NULL, 0, NULL, 0}};
    generate_args g = {0};
    opterr = 0;
    optind = 1;
    int opt, rc;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (opt == '?')
            return cli_usage_error("events ", "unknown option '%s'", argv[optind - 1]);
        if ((rc = generate_option(&g, opt, optarg)) != CLI_OK)
            return rc;
    }
    if (optind != argc - 1)
        return cli_usage_error("events ", "events generate needs one SOURCE");
    sample_query q = query_of(argv[optind]);
    lc_event_source source = lc_event_source_from_name(q.source);
    if (source == LC_SOURCE_UNKNOWN)
        return cli_usage_error("events ", "unknown source '%s' (see 'lambdacheck events list')",
                               q.source);
    rc = each_sample(find_sample, &q);
    if (rc <= 0) {
        if (rc == 0)
            fprintf(stderr, "lambdacheck: no bundled sample '%s' to generate from (see "
                            "'lambdacheck events list')\n", argv[optind]);
        return CLI_FAILED;
    }
    return print_generated(&g, source, q.path);
}

/* --- filter ---------------------------------------------------------------------------------- */

typedef struct {
    lc_event_filter *filters[LC_FILTER_MAX];
    size_t n;
} filter_set;

static int add_filter(filter_set *fs, const char *pattern, const char *where)
{
    if (fs->n == LC_FILTER_MAX)
        return cli_usage_error("events ", "at most %d filters: Lambda takes five, ten with a "
                                          "raised quota", LC_FILTER_MAX);
    lc_error err = {0};
    if (lc_event_filter_parse(pattern, where, &fs->filters[fs->n], &err) != LC_OK)
        return cli_usage_error("events ", "%s", err.message);
    fs->n++;
    return CLI_OK;
}

/* {"Filters": [{"Pattern": "..."}]} from a file, each pattern added. */
static int add_criteria(filter_set *fs, const char *path)
{
    lc_error err = {0};
    json_t *doc = NULL;
    if (lc_event_load_file(path, &doc, &err) != LC_OK) {
        cli_print_error(&err);
        return CLI_USAGE;
    }
    const json_t *list = json_object_get(doc, "Filters");
    int rc = json_is_array(list) ? CLI_OK
                                 : cli_usage_error("events ", "%s: a FilterCriteria is "
                                                              "{\"Filters\": [{\"Pattern\": ...}]}",
                                                   path);
    size_t i;
    const json_t *f;
    json_array_foreach(list, i, f) {
        const json_t *pattern = json_object_get(f, "Pattern");
        char where[600];
        snprintf(where, sizeof where, "%s: Filters[%zu].Pattern", path, i);
        if (rc == CLI_OK && !json_is_string(pattern))
            rc = cli_usage_error("events ", "%s must be a string (the pattern's JSON text)", where);
        if (rc == CLI_OK)
            rc = add_filter(fs, json_string_value(pattern), where);
    }
    json_decref(doc);
    return rc;
}

/* The FilterCriteria of a template function's mapping for the event's source: the function
 * named, else the only one whose mapping of that source filters. */
static int add_template_filters(filter_set *fs, const char *path, const char *function,
                                const json_t *event)
{
    lc_template *t = NULL;
    lc_error err = {0};
    if (lc_template_load(path, NULL, &t, &err) != LC_OK) {
        cli_print_error(&err);
        return CLI_USAGE;
    }
    const json_t *records = json_object_get(event, "Records");
    const json_t *first = json_is_array(records) ? json_array_get(records, 0) : event;
    const char *es = json_string_value(json_object_get(first, "eventSource"));
    const char *source = es && strncmp(es, "aws:", 4) == 0 ? es + 4 : "";
    const lc_template_function *chosen = NULL;
    size_t candidates = 0;
    for (size_t i = 0; i < lc_template_function_count(t); i++) {
        const lc_template_function *f = lc_template_function_at(t, i);
        bool named = function && strcmp(f->name, function) == 0;
        bool filters = json_array_size(json_object_get(json_object_get(f->event_sources, source),
                                                       "filters")) > 0;
        if (named || (!function && filters)) {
            chosen = f;
            candidates++;
        }
    }
    int rc = CLI_OK;
    if (chosen == NULL || (function == NULL && candidates > 1))
        rc = cli_usage_error("events ", "%s: %s", path,
                             chosen ? "several functions filter this source: choose one with "
                                      "--function"
                             : function ? "no such function"
                                        : "no function's mapping of this event's source filters");
    const json_t *patterns = chosen ? json_object_get(json_object_get(chosen->event_sources, source),
                                                      "filters")
                                    : NULL;
    if (rc == CLI_OK && json_array_size(patterns) == 0)
        rc = cli_usage_error("events ", "%s: %s's mapping of %s has no FilterCriteria", path,
                             chosen->name, source[0] ? source : "this source");
    size_t i;
    const json_t *p;
    json_array_foreach(patterns, i, p) {
        char where[600];
        snprintf(where, sizeof where, "%s: %s: FilterCriteria.Filters[%zu].Pattern", path,
                 chosen->name, i);
        if (rc == CLI_OK)
            rc = add_filter(fs, json_string_value(p), where);
    }
    lc_template_free(t);
    return rc;
}

/* One record: which filter lets it through, or why none does. True when one does. */
static bool filter_record(const filter_set *fs, const json_t *record, size_t index)
{
    bool json_data = false;
    json_t *view = lc_event_filter_view(record, &json_data);
    const char *source = json_string_value(json_object_get(record, "eventSource"));
    const char *id = json_string_value(json_object_get(record, "messageId"));
    if (id == NULL)
        id = json_string_value(json_object_get(record, "eventID"));
    for (size_t i = 0; i < fs->n; i++) {
        lc_error err = {0};
        char where[40];
        snprintf(where, sizeof where, "filter %zu", i + 1);
        if (lc_event_filter_check_source(fs->filters[i], source, where, &err) != LC_OK) {
            printf("record %zu: %s\n", index, err.message);
            json_decref(view);
            return false;
        }
    }
    printf("record %zu%s%s%s: ", index, id ? " (" : "", id ? id : "", id ? ")" : "");
    for (size_t i = 0; i < fs->n; i++)
        if (lc_event_filter_match(fs->filters[i], view, NULL)) {
            printf("sent to the function: filter %zu matches\n", i + 1);
            json_decref(view);
            return true;
        }
    bool sqs = source && strcmp(source, "aws:sqs") == 0;
    printf("filtered out (%s)\n", sqs ? "SQS deletes it" : "the mapping skips it");
    for (size_t i = 0; i < fs->n; i++) {
        lc_buf why;
        lc_buf_init(&why, 1000);
        lc_event_filter_match(fs->filters[i], view, &why);
        printf("  filter %zu: %s\n", i + 1, why.data ? why.data : "does not hold");
        lc_buf_free(&why);
    }
    json_decref(view);
    return false;
}

static int events_filter(int argc, char **argv)
{
    if (wants_help(argc, argv)) {
        fputs(events_usage, stdout);
        return CLI_OK;
    }
    static const struct option options[] = {{"pattern", required_argument, NULL, 'p'},
                                            {"filter-criteria", required_argument, NULL, 'f'},
                                            {"template", required_argument, NULL, 't'},
                                            {"function", required_argument, NULL, 'F'},
                                            {NULL, 0, NULL, 0}};
    const char *template = NULL, *function = NULL;
    filter_set fs = {.n = 0};
    opterr = 0;
    optind = 1;
    int opt, rc = CLI_OK;
    while (rc == CLI_OK && (opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        char where[64];
        snprintf(where, sizeof where, "--pattern %zu", fs.n + 1);
        rc = opt == 'p'   ? add_filter(&fs, optarg, where)
             : opt == 'f' ? add_criteria(&fs, optarg)
             : opt == 't' ? (template = optarg, CLI_OK)
             : opt == 'F' ? (function = optarg, CLI_OK)
                          : cli_usage_error("events ", "unknown option '%s'", argv[optind - 1]);
    }
    if (rc == CLI_OK && fs.n == 0 && template == NULL)
        rc = cli_usage_error("events ", "events filter needs a --pattern, --filter-criteria or "
                                        "--template");
    if (rc == CLI_OK && function && template == NULL)
        rc = cli_usage_error("events ", "--function names a function of --template");
    if (rc == CLI_OK && optind != argc - 1)
        rc = cli_usage_error("events ", "events filter needs one event FILE ('-' for stdin)");
    json_t *event = NULL;
    lc_error err = {0};
    if (rc == CLI_OK &&
        (strcmp(argv[optind], "-") == 0 ? lc_event_load_stream(stdin, "<stdin>", &event, &err)
                                         : lc_event_load_file(argv[optind], &event, &err)) != LC_OK) {
        cli_print_error(&err);
        rc = CLI_FAILED;
    }
    if (rc == CLI_OK && template)
        rc = add_template_filters(&fs, template, function, event);
    if (rc == CLI_OK) {
        const json_t *records = json_object_get(event, "Records");
        size_t i;
        const json_t *r;
        if (json_is_array(records)) {
            json_array_foreach(records, i, r)
                if (!filter_record(&fs, r, i))
                    rc = CLI_FAILED;
        } else if (!filter_record(&fs, event, 0))
            rc = CLI_FAILED;
    }
    json_decref(event);
    for (size_t i = 0; i < fs.n; i++)
        lc_event_filter_free(fs.filters[i]);
    return rc;
}

int cli_events(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(
            "events ", "missing events command (detect, list, show, generate or filter)");
    const char *verb = argv[1];
    if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
        fputs(events_usage, stdout);
        return CLI_OK;
    }
    if (strcmp(verb, "detect") == 0)
        return events_detect(argc - 1, argv + 1);
    if (strcmp(verb, "list") == 0) {
        if (wants_help(argc - 1, argv + 1)) {
            fputs(events_usage, stdout);
            return CLI_OK;
        }
        if (argc != 2)
            return cli_usage_error("events ", "events list takes no arguments");
        return each_sample(print_sample, NULL) < 0 ? CLI_FAILED : CLI_OK;
    }
    if (strcmp(verb, "show") == 0)
        return events_show(argc - 1, argv + 1);
    if (strcmp(verb, "generate") == 0)
        return events_generate(argc - 1, argv + 1);
    if (strcmp(verb, "filter") == 0)
        return events_filter(argc - 1, argv + 1);
    if (verb[0] == '-')
        return cli_usage_error("events ", "unknown option '%s'", verb);
    return cli_usage_error("events ", "unknown events command '%s'", verb);
}
