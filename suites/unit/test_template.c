/* The template module: SAM and CloudFormation templates read into functions (spec section 9). */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/template.h"
#include "suites.h"

#define SAM_APP LC_FIXTURES_DIR "/projects/sam-app"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/lc_template_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char code[128];
    snprintf(code, sizeof code, "%s/src", dir);
    ck_assert_int_eq(mkdir(code, 0700), 0);
    snprintf(code, sizeof code, "%s/layer", dir);
    ck_assert_int_eq(mkdir(code, 0700), 0);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Writes text as dir/name and returns the path (static). */
static const char *write_file(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static lc_template *load_text(const char *text, const lc_template_options *opt)
{
    lc_template *t = NULL;
    lc_error err = {0};
    ck_assert_msg(lc_template_load(write_file("template.yaml", text), opt, &t, &err) == LC_OK,
                  "%s", err.message);
    return t;
}

static const lc_template_function *function(const lc_template *t, const char *name)
{
    const lc_template_function *f = lc_template_find(t, name);
    ck_assert_msg(f != NULL, "no function %s (there are: %s)", name, lc_template_function_names(t));
    return f;
}

static const char *variable(const lc_template_function *f, const char *name)
{
    return json_string_value(json_object_get(f->environment, name));
}

#define FUNCTION_HEAD                                                                              \
    "Resources:\n"                                                                                 \
    "  Fn:\n"                                                                                      \
    "    Type: AWS::Serverless::Function\n"                                                        \
    "    Properties:\n"                                                                            \
    "      CodeUri: src/\n"                                                                        \
    "      Handler: app.handler\n"                                                                 \
    "      Runtime: python3.11\n"

/* --- reading ------------------------------------------------------------------------------------- */

START_TEST(short_form_tags_become_the_long_forms)
{
    lc_template *t = load_text(
        "Parameters:\n  P: {Type: String, Default: v}\n" FUNCTION_HEAD
        "      Environment:\n        Variables:\n"
        "          REF: !Ref P\n"
        "          SUB: !Sub 'x-${P}'\n"
        "          JOIN: !Join ['-', [a, !Ref P]]\n"
        "          SELECT: !Select [1, [a, b]]\n"
        "          SPLIT: !Select [2, !Split [',', 'a,b,c']]\n"
        "          ATT: !GetAtt Table.StreamArn\n"
        "          B64: !Base64 hi\n"
        "          IMPORT: !ImportValue shared-vpc\n"
        "          AZ: !Select [0, !GetAZs '']\n"
        "          ANCHORED: &shared same\n"
        "          ALIAS: *shared\n"
        "          QUOTED: '1.10'\n"
        "          PLAIN: 1.10\n"
        "          YES: true\n",
        NULL);
    const lc_template_function *f = function(t, "Fn");
    ck_assert_ptr_null(f->problem);
    const char *want[][2] = {{"REF", "v"},      {"SUB", "x-v"},         {"JOIN", "a-v"},
                             {"SELECT", "b"},   {"SPLIT", "c"},         {"ATT", "Table.StreamArn"},
                             {"B64", "aGk="},   {"IMPORT", "ImportValue(shared-vpc)"},
                             {"AZ", "us-east-1a"}, {"ANCHORED", "same"}, {"ALIAS", "same"},
                             {"QUOTED", "1.10"}, {"PLAIN", "1.10"},   {"YES", "true"}};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        ck_assert_msg(variable(f, want[i][0]) && strcmp(variable(f, want[i][0]), want[i][1]) == 0,
                      "%s is %s, wanted %s", want[i][0], variable(f, want[i][0]), want[i][1]);
    lc_template_free(t);
}
END_TEST

START_TEST(an_unknown_tag_is_an_error_with_line_and_column)
{
    lc_template *t = NULL;
    lc_error err = {0};
    const char *path = write_file("template.yaml", FUNCTION_HEAD "      Timeout: !Rfe Nope\n");
    ck_assert_int_eq(lc_template_load(path, NULL, &t, &err), LC_EINVAL);
    ck_assert_int_eq(err.line, 8);
    ck_assert_int_eq(err.column, 16);
    ck_assert_msg(strncmp(err.message, "unknown tag !Rfe", 16) == 0, "%s", err.message);
    ck_assert_str_eq(err.source, path);
}
END_TEST

START_TEST(a_yaml_syntax_error_names_line_and_column)
{
    lc_template *t = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_template_load(write_file("template.yaml", "Resources:\n  Fn: [a, b\n"),
                                      NULL, &t, &err),
                     LC_EINVAL);
    ck_assert_int_eq(err.line, 3);
    ck_assert_ptr_nonnull(strstr(err.message, "did not find expected"));
}
END_TEST

/* A document of a few hundred bytes whose aliases name aliases ("billion laughs") is refused
 * before it takes the memory. */
START_TEST(aliases_that_expand_past_a_million_values_are_refused)
{
    lc_buf text;
    lc_buf_init(&text, 0);
    lc_buf_puts(&text, "a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (char c = 'b'; c <= 'l'; c++) {
        lc_buf_printf(&text, "%c: &%c [", c, c);
        for (int i = 0; i < 10; i++)
            lc_buf_printf(&text, "%s*%c", i ? ", " : "", c - 1);
        lc_buf_puts(&text, "]\n");
    }
    lc_buf_puts(&text, "Resources: {}\n");
    lc_template *t = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_template_load(write_file("template.yaml", text.data), NULL, &t, &err),
                     LC_EINVAL);
    ck_assert_str_eq(err.message, "aliases expand to more than a million values");
    lc_buf_free(&text);
}
END_TEST

/* A 100,000-deep flow sequence crashed invoke (stack overflow while merging Globals) after 39 s
 * of quadratic work: the depth is limited where the YAML is read, with line and column. */
START_TEST(a_template_nested_too_deep_is_refused_at_once_with_line_and_column)
{
    size_t n = 100000;
    lc_buf text;
    lc_buf_init(&text, 0);
    lc_buf_printf(&text, FUNCTION_HEAD "      Tags: ");
    for (size_t i = 0; i < n; i++)
        lc_buf_append(&text, "[", 1);
    for (size_t i = 0; i < n; i++)
        lc_buf_append(&text, "]", 1);
    lc_buf_append(&text, "\n", 1);
    lc_template *t = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_template_load(write_file("template.yaml", text.data), NULL, &t, &err),
                     LC_EINVAL);
    ck_assert_ptr_null(t);
    ck_assert_str_eq(err.message, "nested more than 512 deep (a template nests a few levels)");
    ck_assert_int_eq(err.line, 8);         /* the Tags line */
    ck_assert_int_ge(err.column, 13 + 500); /* about the 513th [ (libyaml's mark) */
    ck_assert_int_le(err.column, 13 + 512);
    lc_buf_free(&text);
    /* an alias may not carry a value past the limit either */
    err = (lc_error){0};
    lc_buf_init(&text, 0);
    lc_buf_printf(&text, "Deep: &deep ");
    for (int i = 0; i < 400; i++)
        lc_buf_append(&text, "[", 1);
    for (int i = 0; i < 400; i++)
        lc_buf_append(&text, "]", 1);
    lc_buf_printf(&text, "\nResources:\n  X: ");
    for (int i = 0; i < 200; i++)
        lc_buf_append(&text, "[", 1);
    lc_buf_printf(&text, "*deep");
    for (int i = 0; i < 200; i++)
        lc_buf_append(&text, "]", 1);
    lc_buf_append(&text, "\n", 1);
    ck_assert_int_eq(lc_template_load(write_file("template.yaml", text.data), NULL, &t, &err),
                     LC_EINVAL);
    ck_assert_msg(strstr(err.message, "an alias here nests its value more than 512 deep"), "%s",
                  err.message);
    lc_buf_free(&text);
}
END_TEST

START_TEST(json_templates_are_read_too)
{
    lc_template *t = NULL;
    lc_error err = {0};
    const char *path = write_file(
        "template.json",
        "{\"Resources\": {\"Fn\": {\"Type\": \"AWS::Lambda::Function\", \"Properties\": {"
        "\"Code\": \"src\", \"Handler\": \"app.handler\", \"Runtime\": \"python3.11\","
        "\"Timeout\": 30, \"MemorySize\": 256, \"Environment\": {\"Variables\": {\"N\": 5, "
        "\"R\": {\"Fn::Join\": [\":\", [{\"Ref\": \"AWS::Region\"}, {\"Ref\": \"AWS::AccountId\"}]]}}}}}}}");
    lc_template_options opt = {.region = "eu-west-1", .account = "111122223333"};
    ck_assert_msg(lc_template_load(path, &opt, &t, &err) == LC_OK, "%s", err.message);
    const lc_template_function *f = function(t, "Fn");
    ck_assert_ptr_null(f->problem);
    ck_assert_int_eq(f->timeout_ms, 30000);
    ck_assert_int_eq(f->memory_mb, 256);
    ck_assert_str_eq(variable(f, "N"), "5");
    ck_assert_str_eq(variable(f, "R"), "eu-west-1:111122223333");
    char src[128], real[PATH_MAX];
    snprintf(src, sizeof src, "%s/src", dir);
    ck_assert_str_eq(f->code_dir, realpath(src, real));
    lc_template_free(t);
}
END_TEST

START_TEST(a_file_without_resources_is_not_a_template)
{
    lc_template *t = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_template_load(write_file("template.yaml", "Foo: bar\n"), NULL, &t, &err),
                     LC_EINVAL);
    ck_assert_str_eq(err.message, "not a SAM or CloudFormation template: it has no Resources");
    ck_assert_int_eq(lc_template_load("/no/such/template.yaml", NULL, &t, &err), LC_ENOTFOUND);
}
END_TEST

/* --- Globals ----------------------------------------------------------------------------------- */

START_TEST(globals_merge_as_sam_merges_them)
{
    lc_template *t = load_text(
        "Globals:\n  Function:\n    Timeout: 10\n    MemorySize: 512\n    Runtime: python3.11\n"
        "    Handler: app.handler\n"
        "    Environment: {Variables: {A: global, B: global}}\n"
        "    Layers: [!Ref L1]\n"
        "Resources:\n"
        "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src\n"
        "      Timeout: 20\n      Environment: {Variables: {B: own, C: own}}\n"
        "      Layers: [!Ref L2]\n"
        "  Plain:\n    Type: AWS::Lambda::Function\n    Properties:\n      Code: src\n"
        "      Handler: app.h\n      Runtime: python3.11\n"
        "  L1:\n    Type: AWS::Serverless::LayerVersion\n    Properties: {ContentUri: layer}\n"
        "  L2:\n    Type: AWS::Lambda::LayerVersion\n    Properties: {Content: src}\n",
        NULL);
    const lc_template_function *f = function(t, "Fn");
    ck_assert_ptr_null(f->problem);
    ck_assert_int_eq(f->timeout_ms, 20000);         /* the function's own scalar */
    ck_assert_int_eq(f->memory_mb, 512);            /* the Globals' */
    ck_assert_str_eq(f->handler, "app.handler");
    ck_assert_str_eq(variable(f, "A"), "global");   /* maps merged key by key */
    ck_assert_str_eq(variable(f, "B"), "own");
    ck_assert_str_eq(variable(f, "C"), "own");
    ck_assert_ptr_nonnull(f->layers[0]);            /* lists: the Globals' first */
    ck_assert_ptr_nonnull(strstr(f->layers[0], "/layer"));
    ck_assert_ptr_nonnull(strstr(f->layers[1], "/src"));
    ck_assert_ptr_null(f->layers[2]);
    const lc_template_function *plain = function(t, "Plain"); /* not a SAM function: no Globals */
    ck_assert_int_eq(plain->timeout_ms, 3000);
    ck_assert_int_eq(plain->memory_mb, 128);
    ck_assert_int_eq(json_object_size(plain->environment), 0);
    lc_template_free(t);
}
END_TEST

/* SnapStart: {ApplyOn: PublishedVersions} on a function or in Globals turns it on, None leaves
 * it off, anything else is a problem naming the field. */
START_TEST(snapstart_is_read_from_the_function_or_its_globals)
{
    lc_template *t = load_text(
        "Globals:\n  Function:\n    SnapStart: {ApplyOn: PublishedVersions}\n"
        "Resources:\n"
        "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src\n"
        "      Handler: app.handler\n      Runtime: python3.12\n"
        "  Off:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src\n"
        "      Handler: app.handler\n      Runtime: python3.12\n"
        "      SnapStart: {ApplyOn: None}\n"
        "  Bad:\n    Type: AWS::Lambda::Function\n    Properties:\n      Code: src\n"
        "      Handler: app.handler\n      Runtime: python3.12\n"
        "      SnapStart: {ApplyOn: Always}\n",
        NULL);
    ck_assert(function(t, "Fn")->snapstart);
    ck_assert(!function(t, "Off")->snapstart);
    const lc_template_function *bad = function(t, "Bad");
    ck_assert(!bad->snapstart);
    ck_assert_msg(bad->problem && strstr(bad->problem, "SnapStart.ApplyOn must be "
                                                       "PublishedVersions or None, not Always"),
                  "%s", bad->problem);
    lc_template_free(t);
}
END_TEST

/* An intrinsic function on either side is taken whole from the function. */
START_TEST(an_intrinsic_in_globals_or_resource_replaces_the_other)
{
    lc_template *t = load_text(
        "Parameters:\n  Env: {Type: String, Default: d}\n"
        "Globals:\n  Function:\n    Environment: {Variables: {A: global}}\n"
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: src\n      Handler: a.b\n      Runtime: python3.11\n"
        "      Environment: !If [Never, {Variables: {X: x}}, {Variables: {Y: !Ref Env}}]\n"
        "Conditions:\n  Never: !Equals [a, b]\n",
        NULL);
    const lc_template_function *f = function(t, "Fn");
    ck_assert_ptr_null(f->problem);
    ck_assert_ptr_null(variable(f, "A"));
    ck_assert_str_eq(variable(f, "Y"), "d");
    lc_template_free(t);
}
END_TEST

/* --- intrinsic functions ---------------------------------------------------------------------------- */

START_TEST(parameters_conditions_and_mappings_resolve)
{
    json_t *overrides = json_pack("{s:s}", "Stage", "prod");
    lc_template_options opt = {.parameters = overrides, .region = "ap-south-1"};
    lc_template *t = load_text(
        "Parameters:\n  Stage: {Type: String, Default: dev}\n  List: {Type: CommaDelimitedList, "
        "Default: 'x,y'}\n"
        "Conditions:\n  Prod: !Equals [!Ref Stage, prod]\n  NotProd: !Not [!Condition Prod]\n"
        "  Both: !And [!Condition Prod, !Equals [1, 1]]\n  Either: !Or [!Condition NotProd, "
        "!Condition Both]\n"
        "Mappings:\n  M: {prod: {Size: '1024'}, dev: {Size: '128'}}\n" FUNCTION_HEAD
        "      MemorySize: !FindInMap [M, !Ref Stage, Size]\n"
        "      Environment:\n        Variables:\n"
        "          IF: !If [Prod, yes, no]\n          NOTPROD: !If [NotProd, yes, no]\n"
        "          BOTH: !If [Both, yes, no]\n          EITHER: !If [Either, yes, no]\n"
        "          LIST: !Join ['+', !Ref List]\n"
        "          GONE: !If [NotProd, here, !Ref AWS::NoValue]\n"
        "          LITERAL: !Sub '${!NotAVariable} ${AWS::Region} ${Extra}'\n"
        "          STACK: !Ref AWS::StackName\n"
        "          RES: !Ref Fn\n",
        &opt);
    json_decref(overrides);
    /* the variable map of a two-argument !Sub is not used above: tested below */
    const lc_template_function *f = lc_template_find(t, "Fn");
    ck_assert_ptr_nonnull(f);
    ck_assert_msg(f->problem && strstr(f->problem, "Extra"), "%s", f->problem);
    lc_template_free(t);
    overrides = json_pack("{s:s}", "Stage", "prod");
    opt.parameters = overrides;
    t = load_text(
        "Parameters:\n  Stage: {Type: String, Default: dev}\n  List: {Type: CommaDelimitedList, "
        "Default: 'x,y'}\n"
        "Conditions:\n  Prod: !Equals [!Ref Stage, prod]\n  NotProd: !Not [!Condition Prod]\n"
        "  Both: !And [!Condition Prod, !Equals [1, 1]]\n  Either: !Or [!Condition NotProd, "
        "!Condition Both]\n"
        "Mappings:\n  M: {prod: {Size: '1024'}, dev: {Size: '128'}}\n" FUNCTION_HEAD
        "      MemorySize: !FindInMap [M, !Ref Stage, Size]\n"
        "      Environment:\n        Variables:\n"
        "          IF: !If [Prod, yes, no]\n          NOTPROD: !If [NotProd, yes, no]\n"
        "          BOTH: !If [Both, yes, no]\n          EITHER: !If [Either, yes, no]\n"
        "          LIST: !Join ['+', !Ref List]\n"
        "          GONE: !If [NotProd, here, !Ref AWS::NoValue]\n"
        "          LITERAL: !Sub ['${!NotAVariable} ${AWS::Region} ${Extra}', {Extra: more}]\n"
        "          STACK: !Ref AWS::StackName\n"
        "          RES: !Ref Fn\n",
        &opt);
    json_decref(overrides);
    f = function(t, "Fn");
    ck_assert_msg(f->problem == NULL, "%s", f->problem);
    ck_assert_int_eq(f->memory_mb, 1024);
    const char *want[][2] = {{"IF", "yes"},     {"NOTPROD", "no"},
                             {"BOTH", "yes"},   {"EITHER", "yes"},
                             {"LIST", "x+y"},   {"LITERAL", "${NotAVariable} ap-south-1 more"},
                             {"STACK", "lambdacheck"}, {"RES", "Fn"}};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        ck_assert_msg(variable(f, want[i][0]) && strcmp(variable(f, want[i][0]), want[i][1]) == 0,
                      "%s is %s, wanted %s", want[i][0], variable(f, want[i][0]), want[i][1]);
    ck_assert_ptr_null(json_object_get(f->environment, "GONE")); /* AWS::NoValue */
    lc_template_free(t);
}
END_TEST

START_TEST(a_parameter_without_a_value_is_a_problem_naming_it)
{
    lc_template *t = load_text("Parameters:\n  Needed: {Type: String}\n" FUNCTION_HEAD
                               "      Environment: {Variables: {N: !Ref Needed}}\n",
                               NULL);
    const lc_template_function *f = function(t, "Fn");
    ck_assert_ptr_nonnull(f->problem);
    ck_assert_msg(strstr(f->problem, "parameter Needed has no value") &&
                      strstr(f->problem, "--parameter-overrides"),
                  "%s", f->problem);
    lc_template_free(t);
}
END_TEST

/* sam init's nodejs S3 template names a parameter without a Default only in its Policies: the
 * function runs, as under sam local. */
START_TEST(a_parameter_only_a_policy_names_does_not_stop_the_function)
{
    lc_template *t = load_text("Parameters:\n  Bucket: {Type: String}\n" FUNCTION_HEAD
                               "      Policies:\n        - S3ReadPolicy: {BucketName: !Ref Bucket}\n"
                               "      Events:\n        Put:\n          Type: S3\n"
                               "          Properties: {Bucket: !Ref Bucket}\n",
                               NULL);
    const lc_template_function *f = function(t, "Fn");
    ck_assert_msg(f->problem == NULL, "%s", f->problem);
    lc_template_free(t);
}
END_TEST

START_TEST(a_resource_whose_condition_is_false_is_left_out)
{
    lc_template *t = load_text("Conditions:\n  Never: !Equals [a, b]\n" FUNCTION_HEAD
                               "  Off:\n    Type: AWS::Serverless::Function\n    Condition: Never\n"
                               "    Properties: {CodeUri: src, Handler: a.b, Runtime: python3.11}\n",
                               NULL);
    ck_assert_uint_eq(lc_template_function_count(t), 1);
    ck_assert_ptr_null(lc_template_find(t, "Off"));
    lc_template_free(t);
}
END_TEST

/* --- code and layers ---------------------------------------------------------------------------------- */

START_TEST(what_cannot_run_here_is_a_problem_of_that_function)
{
    write_file("code.zip", "PK");
    lc_template *t = load_text(
        "Resources:\n"
        "  S3:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: {Bucket: b, Key: k}\n      Handler: a.b\n      Runtime: python3.11\n"
        "  Zip:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: code.zip\n      Handler: a.b\n      Runtime: python3.11\n"
        "  Image:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      PackageType: Image\n      ImageUri: repo:tag\n"
        "  Missing:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: nowhere/\n      Handler: a.b\n      Runtime: python3.11\n"
        "  Published:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: src\n      Handler: a.b\n      Runtime: python3.11\n"
        "      Layers: [arn:aws:lambda:us-east-1:123456789012:layer:x:1]\n"
        "  Fine:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: src\n      Handler: a.b\n      Runtime: python3.11\n",
        NULL);
    const char *want[][2] = {
        {"S3", "CodeUri in S3 (or another object) is not supported"},
        {"Zip", "CodeUri code.zip is an archive, which is not supported"},
        {"Image", "PackageType Image is not supported"},
        {"Missing", "CodeUri nowhere/ is not a folder"},
        {"Published", "is not a layer of this template: lambdacheck cannot fetch published layers"},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const lc_template_function *f = function(t, want[i][0]);
        ck_assert_msg(f->problem && strstr(f->problem, want[i][1]), "%s: %s", want[i][0],
                      f->problem ? f->problem : "(no problem)");
    }
    ck_assert_ptr_null(function(t, "Fine")->problem);
    lc_template_free(t);
}
END_TEST

/* CodeUri: src/function.py names one file: SAM packages that file alone, at the package's root
 * (two serverless-patterns projects write it so). */
START_TEST(a_code_uri_naming_one_file_runs_that_file_alone)
{
    char sub[300];
    snprintf(sub, sizeof sub, "%s/one", dir);
    mkdir(sub, 0700);
    write_file("one/function.py", "def handler(e, c):\n    return 1\n");
    write_file("one/other.py", "x = 1\n");
    lc_template *t = load_text(
        "Resources:\n"
        "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: one/function.py\n      Handler: function.handler\n      Runtime: python3.11\n",
        NULL);
    const lc_template_function *f = function(t, "Fn");
    ck_assert_msg(f->problem == NULL, "%s", f->problem);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/function.py", f->code_dir);
    ck_assert_int_eq(access(path, R_OK), 0);
    snprintf(path, sizeof path, "%s/other.py", f->code_dir);
    ck_assert_int_ne(access(path, F_OK), 0);
    lc_template_free(t);
}
END_TEST

START_TEST(inline_code_is_written_where_the_runtime_finds_it)
{
    lc_template *t = load_text(
        "Resources:\n"
        "  Sam:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Handler: index.handler\n      Runtime: python3.11\n"
        "      InlineCode: \"def handler(e, c):\\n    return 1\\n\"\n"
        "  Cfn:\n    Type: AWS::Lambda::Function\n    Properties:\n"
        "      Handler: index.handler\n      Runtime: nodejs20.x\n"
        "      Code: {ZipFile: 'exports.handler = async () => 2;'}\n",
        NULL);
    const lc_template_function *sam = function(t, "Sam"), *cfn = function(t, "Cfn");
    ck_assert_ptr_null(sam->problem);
    ck_assert_ptr_null(cfn->problem);
    char path[PATH_MAX + 16];
    lc_buf text;
    lc_buf_init(&text, 0);
    snprintf(path, sizeof path, "%s/index.py", sam->code_dir);
    ck_assert_int_eq(lc_buf_read_file(&text, path, NULL), LC_OK);
    ck_assert_str_eq(text.data, "def handler(e, c):\n    return 1\n");
    lc_buf_free(&text);
    snprintf(path, sizeof path, "%s/index.js", cfn->code_dir);
    ck_assert_int_eq(lc_buf_read_file(&text, path, NULL), LC_OK);
    ck_assert_str_eq(text.data, "exports.handler = async () => 2;");
    lc_buf_free(&text);
    lc_template_free(t);
}
END_TEST

/* A built project's template (sam build) names the built folders relative to itself. */
START_TEST(a_built_projects_template_works_like_any)
{
    char build[128];
    snprintf(build, sizeof build, "%s/.aws-sam", dir);
    ck_assert_int_eq(mkdir(build, 0700), 0);
    snprintf(build, sizeof build, "%s/.aws-sam/build", dir);
    ck_assert_int_eq(mkdir(build, 0700), 0);
    snprintf(build, sizeof build, "%s/.aws-sam/build/Fn", dir);
    ck_assert_int_eq(mkdir(build, 0700), 0);
    lc_template *t = NULL;
    lc_error err = {0};
    const char *path = write_file(".aws-sam/build/template.yaml",
                                  "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
                                  "    Properties: {CodeUri: Fn, Handler: a.b, Runtime: python3.11}\n");
    ck_assert_msg(lc_template_load(path, NULL, &t, &err) == LC_OK, "%s", err.message);
    const lc_template_function *f = function(t, "Fn");
    ck_assert_ptr_null(f->problem);
    ck_assert_ptr_nonnull(strstr(f->code_dir, "/.aws-sam/build/Fn"));
    lc_template_free(t);
}
END_TEST

START_TEST(logging_config_is_taken)
{
    lc_template *t = load_text(FUNCTION_HEAD "      LoggingConfig: {LogFormat: JSON, "
                                             "ApplicationLogLevel: DEBUG, SystemLogLevel: WARN}\n",
                               NULL);
    const lc_template_function *f = function(t, "Fn");
    ck_assert_str_eq(f->log_format, "JSON");
    ck_assert_str_eq(f->application_log_level, "DEBUG");
    ck_assert_str_eq(f->system_log_level, "WARN");
    lc_function_config c = {0};
    lc_template_function_config(f, &c);
    ck_assert_str_eq(c.name, "Fn");
    ck_assert_str_eq(c.log_format, "JSON");
    ck_assert_int_eq(c.timeout_ms, 3000);
    lc_template_free(t);
}
END_TEST

/* The sam init project of the fixtures: every kind of function it has. */
START_TEST(the_sam_app_fixture_loads)
{
    lc_template *t = NULL;
    lc_error err = {0};
    ck_assert_msg(lc_template_load(SAM_APP "/template.yaml", NULL, &t, &err) == LC_OK, "%s",
                  err.message);
    ck_assert_str_eq(lc_template_function_names(t),
                     "HelloWorldFunction, InlineFunction, PublishedLayerFunction");
    const lc_template_function *hello = function(t, "HelloWorldFunction");
    ck_assert_ptr_null(hello->problem);
    ck_assert_int_eq(hello->timeout_ms, 5000);
    ck_assert_str_eq(variable(hello, "GREETING"), "Hello from us-east-1 (dev)");
    ck_assert_ptr_nonnull(strstr(hello->layers[0], "layers/shared"));
    ck_assert_ptr_nonnull(function(t, "PublishedLayerFunction")->problem);
    lc_template_free(t);
}
END_TEST

/* --- --env-vars files --------------------------------------------------------------------------------- */

START_TEST(env_vars_files_apply_as_sam_local_applies_them)
{
    json_t *file = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_env_vars_load(write_file("env.json",
                                                 "{\"Parameters\": {\"A\": \"all\", \"B\": \"all\"},"
                                                 " \"Fn\": {\"B\": \"mine\", \"N\": 7, \"X\": \"x\"}}"),
                                      &file, &err),
                     LC_OK);
    json_t *declared = json_pack("{s:s, s:s, s:s, s:s}", "A", "a", "B", "b", "N", "n", "K", "k");
    lc_buf ignored;
    lc_buf_init(&ignored, 0);
    json_t *env = lc_env_vars_apply(file, "Fn", declared, &ignored);
    json_t *want = json_pack("{s:s, s:s, s:s, s:s}", "A", "all", "B", "mine", "N", "7", "K", "k");
    ck_assert_msg(json_equal(env, want), "%s", json_dumps(env, 0));
    ck_assert_str_eq(ignored.data, "X");
    json_decref(env);
    json_decref(want);
    lc_buf_free(&ignored);
    json_decref(declared);
    json_decref(file);
    ck_assert_int_eq(lc_env_vars_load(write_file("env.json", "{\"Fn\": [1]}"), &file, &err),
                     LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "Fn must be an object of variables"));
    ck_assert_int_eq(lc_env_vars_load(write_file("env.json", "{\"Fn\": "), &file, &err), LC_EJSON);
}
END_TEST

/* --- SAM CLI's defaults (samcli/lib/samlib/local_uri_plugin.py, local/lambdafn/config.py) --- */

START_TEST(a_function_without_code_uri_runs_the_template_folder)
{
    lc_template *t = load_text("Resources:\n"
                               "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                               "      Handler: app.handler\n      Runtime: nodejs22.x\n",
                               NULL);
    const lc_template_function *f = function(t, "Fn");
    ck_assert_msg(f->problem == NULL, "%s", f->problem);
    char real[PATH_MAX];
    ck_assert_ptr_nonnull(realpath(dir, real));
    ck_assert_str_eq(f->code_dir, real);
    lc_template_free(t);
}
END_TEST

START_TEST(timeout_and_memory_default_as_sam_local_does)
{
    lc_template *t = load_text(
        "Resources:\n"
        "  Unset:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: src\n      Handler: a.b\n      Runtime: python3.11\n"
        "  Zero:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: src\n      Handler: a.b\n      Runtime: python3.11\n"
        "      Timeout: 0\n      MemorySize: 0\n"
        "  Given:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: src\n      Handler: a.b\n      Runtime: python3.11\n"
        "      Timeout: '30'\n      MemorySize: 1024\n",
        NULL);
    const char *names[] = {"Unset", "Zero", "Given"};
    const long seconds[] = {3, 3, 30}, mb[] = {128, 128, 1024};
    for (size_t i = 0; i < 3; i++) {
        const lc_template_function *f = function(t, names[i]);
        ck_assert_msg(f->problem == NULL, "%s: %s", names[i], f->problem);
        ck_assert_int_eq(f->timeout_ms, seconds[i] * 1000);
        ck_assert_int_eq(f->memory_mb, mb[i]);
    }
    lc_template_free(t);
}
END_TEST

START_TEST(handler_and_runtime_come_from_globals)
{
    lc_template *t = load_text("Globals:\n  Function:\n    Handler: app.lambda_handler\n"
                               "    Runtime: python3.12\n    CodeUri: src\n"
                               "Resources:\n"
                               "  Fn:\n    Type: AWS::Serverless::Function\n"
                               "  Plain:\n    Type: AWS::Lambda::Function\n    Properties:\n"
                               "      Code: src\n",
                               NULL);
    const lc_template_function *f = function(t, "Fn");
    ck_assert_msg(f->problem == NULL, "%s", f->problem);
    ck_assert_str_eq(f->handler, "app.lambda_handler");
    ck_assert_str_eq(f->runtime, "python3.12");
    /* Globals are SAM's: a plain Lambda function gets none, and names the part it lacks */
    const lc_template_function *plain = function(t, "Plain");
    ck_assert_str_eq(plain->problem, "it has no Handler");
    ck_assert_str_eq(plain->problem_part, "handler");
    lc_template_free(t);
}
END_TEST

START_TEST(a_plain_function_without_code_names_the_part_that_cures_it)
{
    lc_template *t = load_text("Resources:\n"
                               "  Plain:\n    Type: AWS::Lambda::Function\n    Properties:\n"
                               "      Handler: a.b\n      Runtime: python3.11\n",
                               NULL);
    ck_assert_str_eq(function(t, "Plain")->problem, "it has no Code");
    ck_assert_str_eq(function(t, "Plain")->problem_part, "code");
    lc_template_free(t);
}
END_TEST

/* The mapping settings a function's queues and streams have, as the manifest's "eventSources". */
static char *event_sources(const lc_template *t, const char *name)
{
    return json_dumps(function(t, name)->event_sources, JSON_COMPACT | JSON_SORT_KEYS);
}

START_TEST(events_and_mappings_give_a_function_its_event_sources)
{
    lc_template *t = load_text(
        "Resources:\n"
        "  Queue:\n    Type: AWS::SQS::Queue\n"
        "  Table:\n    Type: AWS::DynamoDB::Table\n"
        "  Consumer:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: src\n      Handler: a.b\n      Runtime: python3.11\n"
        "      Events:\n"
        "        Messages:\n          Type: SQS\n          Properties:\n"
        "            Queue: !GetAtt Queue.Arn\n"
        "            FunctionResponseTypes: [ReportBatchItemFailures]\n"
        "        Api:\n          Type: Api\n          Properties: {Path: /, Method: get}\n"
        "  Streams:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: src\n      Handler: a.b\n      Runtime: python3.11\n"
        "      Events:\n"
        "        Records:\n          Type: Kinesis\n          Properties:\n"
        "            Stream: arn:aws:kinesis:us-east-1:123456789012:stream/s\n"
        "            StartingPosition: LATEST\n"
        "  Mapped:\n    Type: AWS::Lambda::Function\n    Properties:\n"
        "      Code: src\n      Handler: a.b\n      Runtime: python3.11\n"
        "  ByArn:\n    Type: AWS::Lambda::EventSourceMapping\n    Properties:\n"
        "      FunctionName: !GetAtt Mapped.Arn\n      EventSourceArn: !GetAtt Queue.Arn\n"
        "      FunctionResponseTypes: [ReportBatchItemFailures]\n"
        "  ByRef:\n    Type: AWS::Lambda::EventSourceMapping\n    Properties:\n"
        "      FunctionName: !Ref Mapped\n      EventSourceArn: !GetAtt Table.StreamArn\n"
        "      StartingPosition: TRIM_HORIZON\n",
        NULL);
    char *text = event_sources(t, "Consumer");
    ck_assert_str_eq(text, "{\"sqs\":{\"functionResponseTypes\":[\"ReportBatchItemFailures\"]}}");
    free(text);
    text = event_sources(t, "Streams");
    ck_assert_str_eq(text, "{\"kinesis\":{\"functionResponseTypes\":[]}}");
    free(text);
    text = event_sources(t, "Mapped");
    ck_assert_str_eq(text, "{\"dynamodb\":{\"functionResponseTypes\":[]},"
                           "\"sqs\":{\"functionResponseTypes\":[\"ReportBatchItemFailures\"]}}");
    free(text);
    lc_template_free(t);
}
END_TEST

/* An SQS mapping carries its BatchSize and batching window, and the attributes of the queue the
 * template declares (VisibilityTimeout, FifoQueue, RedrivePolicy.maxReceiveCount), written as
 * numbers or as strings of them; a queue the template does not declare (an ARN) gives none. */
START_TEST(an_sqs_mapping_carries_its_batch_size_and_its_queues_attributes)
{
    lc_template *t = load_text(
        "Resources:\n"
        "  Queue:\n    Type: AWS::SQS::Queue\n    Properties:\n"
        "      FifoQueue: 'true'\n      VisibilityTimeout: 45\n"
        "      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dead.Arn, maxReceiveCount: '4'}\n"
        "  Dead:\n    Type: AWS::SQS::Queue\n"
        "  Consumer:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: src\n      Handler: a.b\n      Runtime: python3.11\n"
        "      Events:\n"
        "        Messages:\n          Type: SQS\n          Properties:\n"
        "            Queue: !GetAtt Queue.Arn\n            BatchSize: 5\n"
        "            ScalingConfig: {MaximumConcurrency: 5}\n"
        "            MaximumBatchingWindowInSeconds: '2'\n"
        "  Elsewhere:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: src\n      Handler: a.b\n      Runtime: python3.11\n"
        "      Events:\n"
        "        Messages:\n          Type: SQS\n          Properties:\n"
        "            Queue: arn:aws:sqs:us-east-1:123456789012:other\n",
        NULL);
    char *text = event_sources(t, "Consumer");
    ck_assert_str_eq(text, "{\"sqs\":{\"batchSize\":5,\"functionResponseTypes\":[],"
                           "\"maximumBatchingWindowInSeconds\":2,\"maximumConcurrency\":5,"
                           "\"queue\":{\"fifo\":true,"
                           "\"maxReceiveCount\":4,\"visibilityTimeout\":45}}}");
    free(text);
    text = event_sources(t, "Elsewhere");
    ck_assert_str_eq(text, "{\"sqs\":{\"functionResponseTypes\":[]}}");
    free(text);
    lc_template_free(t);
}
END_TEST

/* A stream mapping carries its retry limit (-1: none), record age, bisect switch, parallelization
 * factor and tumbling window, and the ShardCount of the stream the template declares. */
START_TEST(a_stream_mapping_carries_its_retry_and_bisect_settings)
{
    lc_template *t = load_text(
        "Resources:\n"
        "  Stream:\n    Type: AWS::Kinesis::Stream\n    Properties: {ShardCount: 3}\n"
        "  Consumer:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: src\n      Handler: a.b\n      Runtime: python3.11\n"
        "      Events:\n"
        "        Records:\n          Type: Kinesis\n          Properties:\n"
        "            Stream: !GetAtt Stream.Arn\n"
        "            StartingPosition: LATEST\n            BatchSize: 50\n"
        "            MaximumRetryAttempts: -1\n            MaximumRecordAgeInSeconds: 3600\n"
        "            BisectBatchOnFunctionError: true\n            ParallelizationFactor: 2\n"
        "            TumblingWindowInSeconds: '60'\n",
        NULL);
    char *text = event_sources(t, "Consumer");
    ck_assert_str_eq(text, "{\"kinesis\":{\"batchSize\":50,\"bisectBatchOnFunctionError\":true,"
                           "\"functionResponseTypes\":[],\"maximumRecordAgeInSeconds\":3600,"
                           "\"maximumRetryAttempts\":-1,\"parallelizationFactor\":2,"
                           "\"shards\":3,\"tumblingWindowInSeconds\":60}}");
    free(text);
    lc_template_free(t);
}
END_TEST

/* Architectures: x86_64 by default; one entry; Globals and the function both giving one make a
 * list of two, which SAM CLI refuses. */
START_TEST(architectures_default_and_must_be_one)
{
    lc_template *t = load_text(
        "Resources:\n"
        "  Plain:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: src\n      Handler: a.b\n      Runtime: python3.11\n"
        "  Arm:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: src\n      Handler: a.b\n      Runtime: python3.11\n"
        "      Architectures: [arm64]\n",
        NULL);
    ck_assert_str_eq(function(t, "Plain")->architecture, "x86_64");
    ck_assert_str_eq(function(t, "Arm")->architecture, "arm64");
    lc_template_free(t);
    t = load_text("Globals:\n  Function:\n    Architectures: [x86_64]\n"
                  "Resources:\n"
                  "  Both:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                  "      CodeUri: src\n      Handler: a.b\n      Runtime: python3.11\n"
                  "      Architectures: [arm64]\n",
                  NULL);
    ck_assert_ptr_nonnull(strstr(function(t, "Both")->problem, "Architectures must be a list of "
                                                               "one architecture"));
    lc_template_free(t);
}
END_TEST

Suite *template_suite(void)
{
    Suite *s = suite_create("template");
    TCase *reading = tcase_create("reading");
    tcase_add_checked_fixture(reading, setup, teardown);
    tcase_add_test(reading, short_form_tags_become_the_long_forms);
    tcase_add_test(reading, an_unknown_tag_is_an_error_with_line_and_column);
    tcase_add_test(reading, a_yaml_syntax_error_names_line_and_column);
    tcase_add_test(reading, json_templates_are_read_too);
    tcase_add_test(reading, aliases_that_expand_past_a_million_values_are_refused);
    tcase_add_test(reading, a_template_nested_too_deep_is_refused_at_once_with_line_and_column);
    tcase_add_test(reading, a_file_without_resources_is_not_a_template);
    tcase_add_test(reading, the_sam_app_fixture_loads);
    suite_add_tcase(s, reading);
    TCase *globals = tcase_create("globals");
    tcase_add_checked_fixture(globals, setup, teardown);
    tcase_add_test(globals, globals_merge_as_sam_merges_them);
    tcase_add_test(globals, snapstart_is_read_from_the_function_or_its_globals);
    tcase_add_test(globals, an_intrinsic_in_globals_or_resource_replaces_the_other);
    suite_add_tcase(s, globals);
    TCase *intrinsics = tcase_create("intrinsics");
    tcase_add_checked_fixture(intrinsics, setup, teardown);
    tcase_add_test(intrinsics, parameters_conditions_and_mappings_resolve);
    tcase_add_test(intrinsics, a_parameter_without_a_value_is_a_problem_naming_it);
    tcase_add_test(intrinsics, a_parameter_only_a_policy_names_does_not_stop_the_function);
    tcase_add_test(intrinsics, a_resource_whose_condition_is_false_is_left_out);
    suite_add_tcase(s, intrinsics);
    TCase *code = tcase_create("code");
    tcase_add_checked_fixture(code, setup, teardown);
    tcase_add_test(code, what_cannot_run_here_is_a_problem_of_that_function);
    tcase_add_test(code, inline_code_is_written_where_the_runtime_finds_it);
    tcase_add_test(code, a_code_uri_naming_one_file_runs_that_file_alone);
    tcase_add_test(code, a_built_projects_template_works_like_any);
    tcase_add_test(code, logging_config_is_taken);
    tcase_add_test(code, env_vars_files_apply_as_sam_local_applies_them);
    suite_add_tcase(s, code);
    TCase *defaults = tcase_create("defaults");
    tcase_add_checked_fixture(defaults, setup, teardown);
    tcase_add_test(defaults, a_function_without_code_uri_runs_the_template_folder);
    tcase_add_test(defaults, timeout_and_memory_default_as_sam_local_does);
    tcase_add_test(defaults, handler_and_runtime_come_from_globals);
    tcase_add_test(defaults, a_plain_function_without_code_names_the_part_that_cures_it);
    tcase_add_test(defaults, events_and_mappings_give_a_function_its_event_sources);
    tcase_add_test(defaults, an_sqs_mapping_carries_its_batch_size_and_its_queues_attributes);
    tcase_add_test(defaults, a_stream_mapping_carries_its_retry_and_bisect_settings);
    tcase_add_test(defaults, architectures_default_and_must_be_one);
    suite_add_tcase(s, defaults);
    return s;
}
