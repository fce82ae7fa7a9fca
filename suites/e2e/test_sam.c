/* SAM projects as they are, end to end: `invoke --template`, `serve --template` and `check` of a
 * library whose functions come from a template (fixtures/projects/sam-app, laid out as sam init
 * lays a project out, with Globals, a layer, intrinsic tags and an env-vars file); layers,
 * region and account of a manifest's own functions. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <jansson.h>

#include "lambdacheck/buf.h"

#include "../common/scratch.h"
#include "background.h"
#include "run_cli.h"
#include "suites.h"

#define SAM_APP LC_FIXTURES_DIR "/projects/sam-app"
#define TEMPLATE SAM_APP "/template.yaml"
#define EVENT SAM_APP "/events/event.json"
#define PROBES LC_FIXTURES_DIR "/functions/probes"
#define MANAGED LC_FIXTURES_DIR "/functions/managed"

static cli_result run(const char *const *args)
{
    return run_cli(args, NULL, NULL, 60000);
}

/* The body the hello world function answered, parsed. */
static json_t *body_of(const char *payload)
{
    json_t *response = json_loads(payload, 0, NULL);
    json_t *body = json_loads(json_string_value(json_object_get(response, "body")), 0, NULL);
    json_decref(response);
    ck_assert_msg(json_is_object(body), "no body in %s", payload);
    return body;
}

static void ck_body_has(const json_t *body, const char *key, const char *value)
{
    const char *got = json_string_value(json_object_get(body, key));
    ck_assert_msg(got && strcmp(got, value) == 0, "%s is %s, wanted %s", key, got ? got : "null",
                  value);
}

/* --- invoke ---------------------------------------------------------------------------------------- */

START_TEST(invoke_runs_a_template_function_with_its_layer_and_variables)
{
    cli_result r = run((const char *[]){"invoke", "--template", TEMPLATE, "--function-name",
                                        "HelloWorldFunction", EVENT, NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    json_t *body = body_of(r.out);
    ck_body_has(body, "message", "Hello from us-east-1 (dev)!"); /* the layer's module */
    ck_body_has(body, "stage", "dev");
    ck_body_has(body, "table", "orders");
    ck_body_has(body, "log_level", "DEBUG");
    ck_body_has(body, "path_parts", "123456789012/orders");
    json_decref(body);
    cli_result_free(&r);
}
END_TEST

START_TEST(invoke_takes_parameters_env_vars_region_and_account)
{
    cli_result r = run((const char *[]){
        "invoke", "--template", TEMPLATE, "--function-name", "HelloWorldFunction",
        "--parameter-overrides", "Stage=prod", "--parameter-overrides",
        "ParameterKey=TableName,ParameterValue=big-table", "--env-vars", SAM_APP "/env.json",
        "--region", "eu-north-1", "--account", "210987654321", EVENT, NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    json_t *body = body_of(r.out);
    ck_body_has(body, "message", "Hello from eu-north-1 (prod)!");
    ck_body_has(body, "log_level", "WARN");
    ck_body_has(body, "stage", "local");         /* env.json's HelloWorldFunction section */
    ck_body_has(body, "table", "orders-local");  /* env.json's Parameters section */
    ck_body_has(body, "path_parts", "210987654321/big-table");
    ck_body_has(body, "prod_only", "yes");
    ck_body_has(body, "self_arn", "arn:aws:lambda:eu-north-1:210987654321:function:"
                                  "HelloWorldFunction");
    ck_assert(json_is_null(json_object_get(body, "undeclared")));
    ck_assert_contains(r.err, "function HelloWorldFunction does not declare UNDECLARED");
    json_decref(body);
    cli_result_free(&r);
}
END_TEST

START_TEST(invoke_explains_what_a_template_cannot_give)
{
    cli_result r = run((const char *[]){"invoke", "--template", TEMPLATE, NULL});
    ck_assert_int_eq(r.status, 2);
    ck_assert_contains(r.err, "has 3 functions: choose one with --function-name "
                              "(HelloWorldFunction, InlineFunction, PublishedLayerFunction)");
    cli_result_free(&r);
    r = run((const char *[]){"invoke", "--template", TEMPLATE, "--function-name", "Nope", NULL});
    ck_assert_int_eq(r.status, 2);
    ck_assert_contains(r.err, "has no function Nope");
    cli_result_free(&r);
    r = run((const char *[]){"invoke", "--template", TEMPLATE, "--function-name",
                             "PublishedLayerFunction", NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.err, "function PublishedLayerFunction cannot run here: layer "
                              "arn:aws:lambda:us-east-1:123456789012:layer:published:3");
    cli_result_free(&r);
    r = run((const char *[]){"invoke", "--template", SAM_APP "/env.json", NULL});
    ck_assert_int_eq(r.status, 2);
    ck_assert_contains(r.err, "not a SAM or CloudFormation template: it has no Resources");
    cli_result_free(&r);
}
END_TEST

/* --- serve ----------------------------------------------------------------------------------------- */

START_TEST(serve_serves_every_function_of_a_template)
{
    background bg = {0};
    bg_start(&bg, (const char *[]){cli_path(), "serve", "--template", TEMPLATE, "--port-file",
                                   "{port_file}", NULL});
    const char *url = bg_url(&bg);
    cli_result r = run((const char *[]){"invoke", "--endpoint-url", url, "--function-name",
                                        "InlineFunction", NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    ck_assert_str_eq(r.out, "{\"inline\": true, \"stage\": \"dev\"}\n");
    cli_result_free(&r);
    r = run((const char *[]){"invoke", "--endpoint-url", url, "--function-name",
                             "HelloWorldFunction", EVENT, NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    cli_result_free(&r);
    r = run((const char *[]){"invoke", "--endpoint-url", url, "--function-name",
                             "PublishedLayerFunction", NULL});
    ck_assert_int_eq(r.status, 1); /* not served: the Invoke API's 404 */
    ck_assert_contains(r.err, "ResourceNotFoundException");
    cli_result_free(&r);
    ck_assert_int_eq(bg_stop(&bg), 0);
}
END_TEST

/* A function with AutoPublishAlias answers to that alias as a qualifier (a streaming project of
 * serverless-patterns is called by :live); another qualifier is still not found. */
START_TEST(serve_answers_to_a_functions_auto_publish_alias)
{
    char *dir = scratch_dir("alias");
    scratch_write(dir, "template.yaml",
                  "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                  "      CodeUri: " PROBES "\n      Handler: probes.echo\n"
                  "      Runtime: python3.11\n      AutoPublishAlias: live\n");
    char template[600];
    snprintf(template, sizeof template, "%s/template.yaml", dir);
    background bg = {0};
    bg_start(&bg, (const char *[]){cli_path(), "serve", "--template", template, "--port-file",
                                   "{port_file}", NULL});
    const char *names[] = {"Fn:live", "Fn:$LATEST", "Fn"};
    for (int i = 0; i < 3; i++) {
        cli_result r = run((const char *[]){"invoke", "--endpoint-url", bg_url(&bg),
                                            "--function-name", names[i], "--payload", "[1]",
                                            NULL});
        ck_assert_msg(r.status == 0, "%s: exit %d: %s%s", names[i], r.status, r.out, r.err);
        ck_assert_str_eq(r.out, "[1]\n");
        cli_result_free(&r);
    }
    cli_result r = run((const char *[]){"invoke", "--endpoint-url", bg_url(&bg),
                                        "--function-name", "Fn:prod", NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.err, "ResourceNotFoundException");
    cli_result_free(&r);
    ck_assert_int_eq(bg_stop(&bg), 0);
    scratch_remove(dir);
}
END_TEST

/* --- tenant isolation (spec 10) --------------------------------------------------------------------- */

/* A template function with TenancyConfig, written into dir; the template's path in out. */
static void tenancy_template(const char *dir, char *out, size_t size)
{
    scratch_write(dir, "template.yaml",
                  "Resources:\n  Tenanted:\n    Type: AWS::Serverless::Function\n"
                  "    Properties:\n      CodeUri: " PROBES "\n      Handler: probes.tenant_memory\n"
                  "      Runtime: python3.11\n      TenancyConfig:\n"
                  "        TenantIsolationMode: PER_TENANT\n"
                  "  Plain:\n    Type: AWS::Lambda::Function\n    Properties:\n"
                  "      Code: " PROBES "\n      Handler: probes.tenant_memory\n"
                  "      Runtime: python3.11\n");
    snprintf(out, size, "%s/template.yaml", dir);
}

/* serve takes TenancyConfig from the template; invoke --endpoint-url sends --tenant-id; the
 * refusals are Lambda's 400s, and SAM CLI's peer case (a tenant for a function without tenancy)
 * is one of them. */
START_TEST(serve_isolates_tenants_of_a_template_function_with_tenancy)
{
    char *dir = scratch_dir("tenancy");
    char template[600];
    tenancy_template(dir, template, sizeof template);
    background bg = {0};
    bg_start(&bg, (const char *[]){cli_path(), "serve", "--template", template, "--port-file",
                                   "{port_file}", NULL});
    const char *url = bg_url(&bg);
    const char *tenants[] = {"blue", "green", "blue"};
    const char *want[] = {"[\"blue\"]", "[\"green\"]", "[\"blue\", \"blue\"]"};
    for (int i = 0; i < 3; i++) {
        cli_result r = run((const char *[]){"invoke", "--endpoint-url", url, "--function-name",
                                            "Tenanted", "--tenant-id", tenants[i], NULL});
        ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
        ck_assert_contains(r.out, want[i]);
        cli_result_free(&r);
    }
    cli_result r = run((const char *[]){"invoke", "--endpoint-url", url, "--function-name",
                                        "Tenanted", NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.err, "400 InvalidParameterValueException: The invoked function is "
                              "enabled with tenancy configuration.");
    cli_result_free(&r);
    r = run((const char *[]){"invoke", "--endpoint-url", url, "--function-name", "Plain",
                             "--tenant-id", "blue", NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.err, "400 InvalidParameterValueException: The invoked function is not "
                              "enabled with tenancy configuration.");
    cli_result_free(&r);
    r = run((const char *[]){"invoke", "--endpoint-url", url, "--function-name", "Tenanted",
                             "--tenant-id", "no#hash", NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.err, "Member must satisfy regular expression pattern");
    cli_result_free(&r);
    ck_assert_int_eq(bg_stop(&bg), 0);
    scratch_remove(dir);
}
END_TEST

START_TEST(invoke_runs_a_function_with_tenancy_locally)
{
    cli_result r = run((const char *[]){"invoke", "--handler", "probes.tenant_memory", "--code",
                                        PROBES, "--tenancy", "PER_TENANT", "--tenant-id",
                                        "org/42", NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "\"tenant\": \"org/42\"");
    cli_result_free(&r);
    r = run((const char *[]){"invoke", "--handler", "probes.tenant_memory", "--code", PROBES,
                             "--tenancy", "PER_TENANT", NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.err, "enabled with tenancy configuration");
    cli_result_free(&r);
    r = run((const char *[]){"invoke", "--handler", "probes.tenant_memory", "--code", PROBES,
                             "--tenant-id", "", NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.err, "Member must have length between 1 and 256");
    cli_result_free(&r);
    r = run((const char *[]){"invoke", "--handler", "probes.echo", "--code", PROBES,
                             "--tenancy", "PER_FUNCTION", NULL});
    ck_assert_int_eq(r.status, 2);
    ck_assert_contains(r.err, "--tenancy takes PER_TENANT, not 'PER_FUNCTION'");
    cli_result_free(&r);
}
END_TEST

/* The bundled Node.js client gives the tenant as context.tenantId, as AWS's client does
 * (https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation-context.html). */
START_TEST(a_node_handler_reads_context_tenant_id)
{
    cli_result r = run((const char *[]){"invoke", "--handler", "probes.contextDump", "--code",
                                        LC_FIXTURES_DIR "/functions/node-probes", "--runtime",
                                        "nodejs20.x", "--tenancy", "PER_TENANT", "--tenant-id",
                                        "blue", NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "\"tenantId\":\"blue\"");
    cli_result_free(&r);
}
END_TEST

/* A manifest's "tenancy" and a case's "tenantId", for the case and per invocation; a case of a
 * function with tenancy that names no tenant is refused by the Invoke API, as on Lambda. */
START_TEST(check_runs_cases_for_their_tenants)
{
    char *dir = scratch_dir("tenancy-check");
    scratch_write(dir, "lambdacheck.json",
                  "{\"functions\": {\"t\": {\"handler\": \"probes.tenant_memory\", \"code\": \""
                  PROBES "\", \"tenancy\": \"PER_TENANT\"}}, \"cases\": [\"cases\"]}");
    scratch_write(dir, "cases/one/case.json",
                  "{\"function\": \"t\", \"tenantId\": \"blue\", \"expect\": "
                  "{\"payloadContains\": {\"tenant\": \"blue\"}}}");
    scratch_write(dir, "cases/sequence/case.json",
                  "{\"function\": \"t\", \"tenantId\": \"blue\", \"invocations\": ["
                  "{\"expect\": {\"payloadContains\": {\"seen\": [\"blue\"]}}},"
                  "{\"tenantId\": \"green\", \"expect\": {\"payloadContains\": "
                  "{\"seen\": [\"green\"]}}},"
                  "{\"expect\": {\"payloadContains\": {\"seen\": [\"blue\", \"blue\"]}}}]}");
    char report[700];
    snprintf(report, sizeof report, "%s/report.json", dir);
    cli_result r = run((const char *[]){"check", "--json", report, dir, NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    cli_result_free(&r);
    /* tenant_memory answers with its pid: two fresh environments differ, nothing to compare */
    json_t *doc = json_load_file(report, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    char *text = json_dumps(doc, JSON_COMPACT);
    ck_assert_contains(text, "{\"check\":\"tenant-isolated\",\"state\":\"not-checked\"");
    ck_assert_contains(text, "answers differently in two fresh environments");
    free(text);
    json_decref(doc);
    scratch_write(dir, "cases/none/case.json", "{\"function\": \"t\"}");
    r = run((const char *[]){"check", dir, NULL});
    ck_assert_int_ne(r.status, 0);
    ck_assert_contains(r.out, "enabled with tenancy configuration");
    cli_result_free(&r);
    scratch_write(dir, "cases/none/case.json", "{\"function\": \"t\", \"tenantId\": \"a|b\"}");
    r = run((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 3);
    ck_assert_contains(r.err, "tenantId: 1 validation error detected");
    cli_result_free(&r);
    scratch_write(dir, "lambdacheck.json",
                  "{\"functions\": {\"t\": {\"handler\": \"probes.tenant_memory\", \"code\": \""
                  PROBES "\", \"tenancy\": \"SHARED\"}}, \"cases\": [\"cases\"]}");
    r = run((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 3);
    ck_assert_contains(r.err, "tenancy must be PER_TENANT");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* --- check ----------------------------------------------------------------------------------------- */

START_TEST(check_runs_a_sam_project_with_a_manifest_naming_its_template)
{
    cli_result r = run((const char *[]){"check", SAM_APP, NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "PASS sam-app/hello");
    ck_assert_contains(r.out, "PASS sam-app/inline");
    ck_assert_contains(r.out, "PASS sam-app/layer-and-variables");
    ck_assert_contains(r.err, "note: ");
    ck_assert_contains(r.err, "template function PublishedLayerFunction cannot run here");
    cli_result_free(&r);
}
END_TEST

/* The manifest's entries override a template function by name; a case naming a function that
 * cannot run is a problem before anything runs. */
START_TEST(manifest_entries_override_template_functions)
{
    char *dir = scratch_dir("sam");
    scratch_write(dir, "lambdacheck.json",
                  "{\"template\": \"" TEMPLATE "\", \"parameters\": {\"Stage\": \"prod\"},"
                  " \"functions\": {\"PublishedLayerFunction\": {\"handler\": \"app.lambda_handler\","
                  " \"code\": \"" SAM_APP "/hello_world\", \"layers\": [\"" SAM_APP
                  "/layers/shared\"], \"environment\": {\"GREETING\": \"Hi\", \"STAGE\": \"x\","
                  " \"TABLE_NAME\": \"t\", \"LOG_LEVEL\": \"l\", \"QUEUE_URL\": \"q\","
                  " \"SELF_ARN\": \"s\", \"FIRST_ZONE\": \"f\", \"PATH_PARTS\": \"p\"}}},"
                  " \"cases\": [\".\"]}");
    scratch_write(dir, "published/case.json",
                  "{\"function\": \"PublishedLayerFunction\", \"expect\": {\"bodyContains\":"
                  " {\"message\": \"Hi!\", \"stage\": \"x\"}}}");
    /* exists with Stage=prod; it declares none of the hello world's variables */
    scratch_write(dir, "prod/case.json",
                  "{\"function\": \"ProdOnlyFunction\", \"event\": {},"
                  " \"expect\": {\"errorType\": \"KeyError\"}}");
    cli_result r = run((const char *[]){"check", dir, NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    cli_result_free(&r);
    scratch_write(dir, "lambdacheck.json", "{\"template\": \"" TEMPLATE "\", \"cases\": [\".\"]}");
    r = run((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 3);
    ck_assert_contains(r.err, "published/case.json: function PublishedLayerFunction cannot run "
                              "here: layer arn:aws:lambda");
    ck_assert_contains(r.err, "prod/case.json: function \"ProdOnlyFunction\" is not declared");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* A manifest's own function: layers as Lambda's /opt, its region and account. */
START_TEST(a_manifest_function_has_layers_region_and_account)
{
    char *dir = scratch_dir("layers");
    scratch_write(dir, "layer/python/from_layer.py", "VALUE = 'from the layer'\n");
    scratch_write(dir, "layer/bin/tool", "#!/bin/sh\n");
    scratch_write(dir, "code/app.py",
                  "import os, from_layer\n"
                  "def handler(event, context):\n"
                  "    return [from_layer.VALUE, os.environ['AWS_REGION'],\n"
                  "            context.invoked_function_arn, os.environ['PATH'].endswith('/layer/bin'),\n"
                  "            os.environ['LD_LIBRARY_PATH'].endswith('/layer/lib')]\n");
    scratch_write(dir, "lambdacheck.json",
                  "{\"functions\": {\"fn\": {\"handler\": \"app.handler\", \"code\": \"code\","
                  " \"layers\": [\"layer\"], \"region\": \"sa-east-1\","
                  " \"account\": \"555555555555\"}}, \"cases\": [\"cases\"]}");
    scratch_write(dir, "cases/one/case.json",
                  "{\"function\": \"fn\", \"expect\": {\"payload\": [\"from the layer\", "
                  "\"sa-east-1\", \"arn:aws:lambda:sa-east-1:555555555555:function:fn\", true, "
                  "true]}}");
    cli_result r = run((const char *[]){"check", dir, NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    cli_result_free(&r);
    scratch_write(dir, "lambdacheck.json",
                  "{\"functions\": {\"fn\": {\"handler\": \"app.handler\", \"code\": \"code\","
                  " \"layers\": [\"no-such-layer\"]}}, \"cases\": [\"cases\"]}");
    r = run((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 3);
    ck_assert_contains(r.err, "functions.fn: layer folder");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* --- real projects' shapes (fixtures/projects) --------------------------------------------------- */

#define SAM_SQS LC_FIXTURES_DIR "/projects/sam-sqs"
#define PARTIAL_BATCH LC_FIXTURES_DIR "/projects/queue-partial-batch"

/* sam init's SQS template: no CodeUri, no FunctionResponseTypes, a handler answering "done".
 * Lambda ignores that answer and deletes the batch, so the case passes and says why. */
START_TEST(a_sam_init_queue_consumer_runs_unchanged_and_its_answer_is_ignored)
{
    cli_result r = run((const char *[]){"check", SAM_SQS, NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "PASS sam-sqs/returns-done");
    ck_assert_contains(r.out, "PASS sam-sqs/throws-on-poison");
    ck_assert_contains(r.out, "    note: sqs-response: the response is ignored: "
                              "ReportBatchItemFailures is off for this function's sqs event "
                              "source");
    cli_result_free(&r);
}
END_TEST

/* The mapping is an EventSourceMapping resource with ReportBatchItemFailures: the answer is
 * judged (an id of the batch passes; extra keys are a warning). A mapping without the setting
 * (the same project, the resource's FunctionResponseTypes dropped) ignores a bad answer that the
 * mapping with it fails. */
START_TEST(a_partial_batch_consumer_is_judged_by_its_mapping)
{
    cli_result r = run((const char *[]){"check", PARTIAL_BATCH, NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "PASS queue-partial-batch/one-message-fails");
    ck_assert_contains(r.out, "warning: sqs-response: Lambda reads only batchItemFailures, and "
                              "the response also has \"processingInfo\"");
    ck_assert_contains(r.out, "3 checks passed with a warning");
    /* drained through the template's mapping and queue: BatchSize 10, VisibilityTimeout 60,
       maxReceiveCount 3 */
    ck_assert_contains(r.out, "PASS queue-partial-batch/drains-the-queue");
    ck_assert_contains(r.out, "3 invocations: 3 deleted, 0 filtered out, 1 in the dead-letter "
                              "queue, 0 left in the queue, 1 received more than once; 180 s of "
                              "queue time skipped");
    cli_result_free(&r);
    char *dir = scratch_dir("mapping");
    scratch_write(dir, "lambdacheck.json",
                  "{\"template\": \"" PARTIAL_BATCH "/template.yaml\", \"cases\": [\".\"]}");
    scratch_write(dir, "bad/case.json",
                  "{\"function\": \"OrdersConsumer\", \"event\": \"sample:sqs/batch\","
                  " \"eventSet\": [\"Records[0].messageId=\\\"\\\"\", \"Records[0].body=x\"]}");
    r = run((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.out, "FAIL lc_mapping_");
    ck_assert_contains(r.out, "sqs-response: SQS would retry the whole batch: "
                              "batchItemFailures[0].itemIdentifier is missing or empty");
    cli_result_free(&r);
    scratch_write(dir, "bad/case.json",
                  "{\"function\": \"OrdersConsumer\", \"event\": \"sample:sqs/batch\","
                  " \"eventSource\": {\"functionResponseTypes\": []},"
                  " \"eventSet\": [\"Records[0].messageId=\\\"\\\"\", \"Records[0].body=x\"]}");
    r = run((const char *[]){"check", dir, NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* A contract turned off by a function or a case is listed with its reason, in the terminal and
 * in the JUnit file; one turned off without a reason, or by a name no contract has, is refused. */
START_TEST(a_contract_is_turned_off_by_name_with_its_reason)
{
    char *dir = scratch_dir("off");
    char junit[600];
    snprintf(junit, sizeof junit, "%s/junit.xml", dir);
    scratch_write(dir, "lambdacheck.json",
                  "{\"functions\": {\"bad-proxy\": {\"handler\": \"probes.bad_proxy_response\","
                  " \"code\": \"" PROBES "\", \"contracts\": {\"apigateway-rest-response\":"
                  " \"not behind a proxy integration\"}}}, \"cases\": [\".\"]}");
    scratch_write(dir, "a/case.json",
                  "{\"function\": \"bad-proxy\", \"event\": \"sample:apigateway-rest/get\"}");
    cli_result r = run((const char *[]){"check", "--junit", junit, dir, NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "apigateway-rest-response: turned off: not behind a proxy "
                              "integration (it would have failed: API Gateway would answer 502");
    ck_assert_contains(r.out, "1 check turned off by the cases or their functions");
    cli_result_free(&r);
    lc_buf xml;
    lc_buf_init(&xml, 0);
    ck_assert_int_eq(lc_buf_read_file(&xml, junit, NULL), LC_OK);
    ck_assert_contains(xml.data, "<property name=\"turned-off:apigateway-rest-response\" "
                                 "value=\"turned off: not behind a proxy integration");
    lc_buf_free(&xml);
    /* the same case without the function's setting fails by name */
    scratch_write(dir, "a/case.json",
                  "{\"function\": \"bad-proxy\", \"event\": \"sample:apigateway-rest/get\","
                  " \"contracts\": {\"apigateway-rest-response\": \"\"}}");
    r = run((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 3);
    ck_assert_contains(r.err, "contracts.apigateway-rest-response must be the reason it is "
                              "turned off");
    cli_result_free(&r);
    scratch_write(dir, "a/case.json",
                  "{\"function\": \"bad-proxy\", \"event\": \"sample:apigateway-rest/get\","
                  " \"contracts\": {\"payload\": \"not a contract\"}}");
    r = run((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 3);
    ck_assert_contains(r.err, "contracts.payload: no built-in contract has that name");
    cli_result_free(&r);
    scratch_write(dir, "lambdacheck.json",
                  "{\"functions\": {\"bad-proxy\": {\"handler\": \"probes.bad_proxy_response\","
                  " \"code\": \"" PROBES "\"}}, \"cases\": [\".\"]}");
    scratch_write(dir, "a/case.json",
                  "{\"function\": \"bad-proxy\", \"event\": \"sample:apigateway-rest/get\"}");
    r = run((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.out, "/a (");
    ck_assert_contains(r.out, "FAIL lc_off_");
    ck_assert_contains(r.out, "apigateway-rest-response: API Gateway would answer 502 (Malformed "
                              "Lambda proxy response)");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* What a template lacks, the command line or the manifest gives: --code and "code" cure a plain
 * function without Code, "handler" one without Handler. */
START_TEST(overrides_cure_what_a_template_function_lacks)
{
    char *dir = scratch_dir("cure");
    scratch_write(dir, "template.yaml",
                  "Resources:\n"
                  "  NoCode:\n    Type: AWS::Lambda::Function\n    Properties:\n"
                  "      Handler: probes.echo\n      Runtime: python3.11\n"
                  "  NoHandler:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                  "      CodeUri: " PROBES "\n      Runtime: python3.11\n");
    char template[600];
    snprintf(template, sizeof template, "%s/template.yaml", dir);
    cli_result r = run((const char *[]){"invoke", "--template", template, "--function-name",
                                        "NoCode", "--payload", "{\"a\": 1}", NULL});
    ck_assert_int_ne(r.status, 0);
    ck_assert_contains(r.err, "function NoCode cannot run here: it has no Code");
    cli_result_free(&r);
    r = run((const char *[]){"invoke", "--template", template, "--function-name", "NoCode",
                             "--code", PROBES, "--payload", "{\"a\": 1}", NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "{\"a\": 1}");
    cli_result_free(&r);
    r = run((const char *[]){"invoke", "--template", template, "--function-name", "NoHandler",
                             "--handler", "probes.echo", "--payload", "[2]", NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "[2]");
    cli_result_free(&r);
    scratch_write(dir, "lambdacheck.json",
                  "{\"template\": \"template.yaml\", \"functions\": {\"NoCode\": {\"code\": \""
                  PROBES "\"}, \"NoHandler\": {\"handler\": \"probes.echo\"}}, \"cases\": [\".\"]}");
    scratch_write(dir, "code/case.json",
                  "{\"function\": \"NoCode\", \"eventJson\": 1, \"expect\": {\"payload\": 1}}");
    scratch_write(dir, "handler/case.json",
                  "{\"function\": \"NoHandler\", \"eventJson\": 2, \"expect\": {\"payload\": 2}}");
    r = run((const char *[]){"check", dir, NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* A case's eventSource is laid over its template's mapping, not in place of it: the queue's
 * VisibilityTimeout (60) and maxReceiveCount (3) still hold when the case names only the response
 * types. */
START_TEST(a_cases_event_source_is_laid_over_the_templates_mapping)
{
    char *dir = scratch_dir("layered");
    scratch_write(dir, "lambdacheck.json",
                  "{\"template\": \"" PARTIAL_BATCH "/template.yaml\", \"cases\": [\".\"]}");
    scratch_write(dir, "c/case.json",
                  "{\"function\": \"OrdersConsumer\", \"eventSource\": "
                  "{\"functionResponseTypes\": [\"ReportBatchItemFailures\"]}, "
                  "\"sqs\": {\"messages\": [{\"id\": \"bad\", \"body\": \"not json\"}]}, "
                  "\"expect\": {\"mapping\": {\"deadLetter\": [{\"id\": \"bad\", "
                  "\"receiveCount\": 3}]}}}");
    cli_result r = run((const char *[]){"check", dir, NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "180 s of queue time skipped");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* Every project of fixtures/projects (small look-alikes of real SAM projects: sam init's layout
 * and SQS template, serverless-patterns' and serverless-snippets' partial batch consumers of a
 * queue and of a stream, a nodejs24.x ES module with the
 * SDK Lambda ships and a layer) passes as it is. */
START_TEST(every_look_alike_of_a_real_project_passes_as_it_is)
{
    static const char *const projects[] = {"sam-app",        "sam-sqs",
                                           "queue-partial-batch", "stream-partial-batch",
                                           "node24-esm-sdk", "orders-api-dynamodb",
                                           "http-front"};
    for (size_t i = 0; i < sizeof projects / sizeof *projects; i++) {
        char path[600];
        snprintf(path, sizeof path, LC_FIXTURES_DIR "/projects/%s", projects[i]);
        cli_result r = run((const char *[]){"check", path, NULL});
        ck_assert_msg(r.status == 0, "%s: exit %d: %s%s", projects[i], r.status, r.out, r.err);
        ck_assert_contains(r.out, " 0 failed");
        cli_result_free(&r);
    }
}
END_TEST

/* A template's SQS event with FilterCriteria: a case whose records the filters drop gets a
 * warning naming them (Lambda deletes them before any invocation), one whose records pass does
 * not; events filter --template applies the same filters; a pattern Lambda refuses is a problem
 * of the library. */
START_TEST(a_mappings_filter_criteria_are_applied_to_the_cases_records)
{
    char *dir = scratch_dir("filters");
#define FILTERED_TEMPLATE                                                                          \
    "Transform: AWS::Serverless-2016-10-31\nResources:\n  Queue:\n    Type: AWS::SQS::Queue\n"      \
    "  Consumer:\n    Type: AWS::Serverless::Function\n    Properties:\n"                          \
    "      CodeUri: " PROBES "\n      Handler: probes.returns_none\n      Runtime: python3.11\n"    \
    "      Events:\n        Orders:\n          Type: SQS\n          Properties:\n"                  \
    "            Queue: !GetAtt Queue.Arn\n            FilterCriteria:\n              Filters:\n"    \
    "                - Pattern: '%s'\n"
    scratch_write(dir, "template.yaml", FILTERED_TEMPLATE, "{\"body\": {\"status\": [\"open\"]}}");
    scratch_write(dir, "lambdacheck.json", "{\"template\": \"template.yaml\", \"cases\": [\"c\"]}");
    scratch_write(dir, "c/dropped/case.json", "{\"function\": \"Consumer\", \"event\": \"sample:sqs\"}");
    scratch_write(dir, "c/open/case.json",
                  "{\"function\": \"Consumer\", \"eventJson\": {\"Records\": [{\"eventSource\": "
                  "\"aws:sqs\", \"messageId\": \"m1\", \"body\": \"{\\\"status\\\": \\\"open\\\"}\"}]}}");
    cli_result r = run((const char *[]){"check", dir, NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "warning: event-filters: 2 of 2 records would not reach the function: "
                              "its mapping's FilterCriteria drop them (Lambda deletes them): "
                              "record 0 (filter 1: body.status: absent, which none of [\"open\"] "
                              "allows)");
    char *open_block = strstr(r.out, "PASS ");
    ck_assert_ptr_nonnull(open_block);
    ck_assert_msg(strstr(strstr(r.out, "/open ("), "event-filters") == NULL, "%s", r.out);
    cli_result_free(&r);
    char templ[600], event[600];
    snprintf(templ, sizeof templ, "%s/template.yaml", dir);
    snprintf(event, sizeof event, "%s/event.json", dir);
    cli_result sample = run((const char *[]){"events", "show", "sqs", NULL});
    scratch_write(dir, "event.json", "%s", sample.out);
    cli_result_free(&sample);
    r = run((const char *[]){"events", "filter", "--template", templ, event, NULL});
    ck_assert_int_eq(r.status, 1);
    ck_assert_contains(r.out, "filtered out (SQS deletes it)\n  filter 1: body.status: absent");
    cli_result_free(&r);
    scratch_write(dir, "template.yaml", FILTERED_TEMPLATE, "{\"body\": [{\"wildcard\": \"x*\"}]}");
    r = run((const char *[]){"check", dir, NULL});
    ck_assert_int_eq(r.status, 3);
    ck_assert_contains(r.err, "functions.Consumer.eventSources.sqs.filters[0]: body[0]: \"wildcard\" "
                              "is not an operator of Lambda's event filtering");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* An arm64 function runs on this machine's architecture, with a note saying what that means. */
START_TEST(an_arm64_function_runs_here_with_a_note)
{
    char *dir = scratch_dir("arch");
    scratch_write(dir, "template.yaml",
                  "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                  "      CodeUri: " PROBES "\n      Handler: probes.echo\n"
                  "      Runtime: python3.11\n      Architectures: [arm64]\n");
    scratch_write(dir, "lambdacheck.json", "{\"template\": \"template.yaml\", \"cases\": [\"c\"]}");
    scratch_write(dir, "c/a/case.json", "{\"function\": \"Fn\", \"eventJson\": 1, "
                                        "\"expect\": {\"payload\": 1}}");
    cli_result r = run((const char *[]){"check", dir, NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    struct utsname u;
    uname(&u);
    if (strcmp(u.machine, "aarch64") != 0)
        ck_assert_contains(r.err, "function Fn runs on arm64 on Lambda and on this machine's");
    else
        ck_assert_ptr_null(strstr(r.err, "runs on arm64 on Lambda"));
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

/* --- Lambda Managed Instances ------------------------------------------------------------------- */

/* A SAM capacity provider and two functions on it, SAM's and CloudFormation's spelling. */
static void managed_template(const char *dir, const char *concurrency, char *out, size_t size)
{
    scratch_write(dir, "template.yaml",
                  "Transform: AWS::Serverless-2016-10-31\nResources:\n"
                  "  Provider:\n    Type: AWS::Serverless::CapacityProvider\n    Properties:\n"
                  "      VpcConfig:\n        SubnetIds: [subnet-1]\n"
                  "        SecurityGroupIds: [sg-1]\n"
                  "  Managed:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                  "      CodeUri: " MANAGED "\n      Handler: managed.info\n"
                  "      Runtime: python3.12\n      CapacityProviderConfig:\n"
                  "        Arn: !GetAtt Provider.Arn\n"
                  "        PerExecutionEnvironmentMaxConcurrency: %s\n"
                  "  Plain:\n    Type: AWS::Lambda::Function\n    Properties:\n"
                  "      Code: " MANAGED "\n      Handler: managed.info\n      Runtime: python3.12\n"
                  "      MemorySize: 4096\n      CapacityProviderConfig:\n"
                  "        LambdaManagedInstancesCapacityProviderConfig:\n"
                  "          CapacityProviderArn: !GetAtt Provider.Arn\n",
                  concurrency);
    snprintf(out, size, "%s/template.yaml", dir);
}

START_TEST(a_capacity_provider_puts_a_template_function_on_managed_instances)
{
    char *dir = scratch_dir("managed");
    char template[600];
    managed_template(dir, "3", template, sizeof template);
    cli_result r = run((const char *[]){"invoke", "--template", template, "--function-name",
                                        "Managed", NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "\"max_concurrency\": \"3\"");
    ck_assert_contains(r.out, "\"initialization_type\": \"lambda-managed-instances\"");
    ck_assert_contains(r.out, "\"memory\": \"2048\""); /* no MemorySize: Managed Instances' least */
    cli_result_free(&r);
    /* no concurrency given: Python's 16 per vCPU, two vCPUs in 4 GB at 2 GB each */
    r = run((const char *[]){"invoke", "--template", template, "--function-name", "Plain", NULL});
    ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
    ck_assert_contains(r.out, "\"max_concurrency\": \"32\"");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

START_TEST(a_capacity_provider_concurrency_outside_lambdas_range_is_named)
{
    char *dir = scratch_dir("managed");
    char template[600];
    managed_template(dir, "0", template, sizeof template);
    cli_result r = run((const char *[]){"invoke", "--template", template, "--function-name",
                                        "Managed", NULL});
    ck_assert_int_ne(r.status, 0);
    ck_assert_contains(r.err, "PerExecutionEnvironmentMaxConcurrency must be a whole number "
                              "from 1 to 1600");
    cli_result_free(&r);
    scratch_remove(dir);
}
END_TEST

typedef struct {
    const char *url;
    cli_result r;
} parallel_call;

static void *call_serve(void *arg)
{
    parallel_call *c = arg;
    c->r = run((const char *[]){"invoke", "--endpoint-url", c->url, "--function-name", "Managed",
                                "--payload", "{\"sleep_ms\": 500}", NULL});
    return NULL;
}

/* serve runs invocations that arrive together in one Managed Instances environment, in
 * processes of their own. */
START_TEST(serve_runs_calls_at_once_in_one_managed_environment)
{
    char *dir = scratch_dir("managed");
    char template[600];
    managed_template(dir, "3", template, sizeof template);
    background bg = {0};
    bg_start(&bg, (const char *[]){cli_path(), "serve", "--template", template, "--port-file",
                                   "{port_file}", NULL});
    parallel_call calls[3];
    pthread_t threads[3];
    for (int i = 0; i < 3; i++) {
        calls[i].url = bg_url(&bg);
        pthread_create(&threads[i], NULL, call_serve, &calls[i]);
    }
    json_int_t pids[3];
    double latest_start = 0, earliest_end = 1e18;
    for (int i = 0; i < 3; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_msg(calls[i].r.status == 0, "exit %d: %s", calls[i].r.status, calls[i].r.err);
        json_t *p = json_loads(calls[i].r.out, 0, NULL);
        pids[i] = json_integer_value(json_object_get(p, "pid"));
        double start = json_real_value(json_object_get(p, "start"));
        double end = json_real_value(json_object_get(p, "end"));
        latest_start = start > latest_start ? start : latest_start;
        earliest_end = end < earliest_end ? end : earliest_end;
        json_decref(p);
        cli_result_free(&calls[i].r);
    }
    ck_assert(pids[0] != pids[1] && pids[1] != pids[2] && pids[0] != pids[2]);
    ck_assert_msg(latest_start < earliest_end, "the calls did not run at once");
    char *log = NULL;
    ck_assert_int_eq(bg_stop_with_log(&bg, &log), 0);
    size_t cold = 0; /* one environment: one cold start */
    for (const char *p = log; (p = strstr(p, " cold\n")) != NULL; p++)
        cold++;
    ck_assert_msg(cold == 1, "%zu cold starts:\n%s", cold, log);
    free(log);
    scratch_remove(dir);
}
END_TEST

Suite *sam_suite(void)
{
    Suite *s = suite_create("sam");
    TCase *invoke = tcase_create("invoke");
    tcase_set_timeout(invoke, 120);
    tcase_add_test(invoke, invoke_runs_a_template_function_with_its_layer_and_variables);
    tcase_add_test(invoke, invoke_takes_parameters_env_vars_region_and_account);
    tcase_add_test(invoke, invoke_explains_what_a_template_cannot_give);
    tcase_add_test(invoke, invoke_runs_a_function_with_tenancy_locally);
    tcase_add_test(invoke, a_node_handler_reads_context_tenant_id);
    tcase_add_test(invoke, a_capacity_provider_puts_a_template_function_on_managed_instances);
    tcase_add_test(invoke, a_capacity_provider_concurrency_outside_lambdas_range_is_named);
    suite_add_tcase(s, invoke);
    TCase *serve = tcase_create("serve");
    tcase_set_timeout(serve, 120);
    tcase_add_test(serve, serve_serves_every_function_of_a_template);
    tcase_add_test(serve, serve_answers_to_a_functions_auto_publish_alias);
    tcase_add_test(serve, serve_isolates_tenants_of_a_template_function_with_tenancy);
    tcase_add_test(serve, serve_runs_calls_at_once_in_one_managed_environment);
    suite_add_tcase(s, serve);
    TCase *check = tcase_create("check");
    tcase_set_timeout(check, 120);
    tcase_add_test(check, check_runs_a_sam_project_with_a_manifest_naming_its_template);
    tcase_add_test(check, check_runs_cases_for_their_tenants);
    tcase_add_test(check, manifest_entries_override_template_functions);
    tcase_add_test(check, a_manifest_function_has_layers_region_and_account);
    tcase_add_test(check, a_sam_init_queue_consumer_runs_unchanged_and_its_answer_is_ignored);
    tcase_add_test(check, a_partial_batch_consumer_is_judged_by_its_mapping);
    tcase_add_test(check, a_contract_is_turned_off_by_name_with_its_reason);
    tcase_add_test(check, overrides_cure_what_a_template_function_lacks);
    tcase_add_test(check, a_cases_event_source_is_laid_over_the_templates_mapping);
    tcase_add_test(check, every_look_alike_of_a_real_project_passes_as_it_is);
    tcase_add_test(check, an_arm64_function_runs_here_with_a_note);
    tcase_add_test(check, a_mappings_filter_criteria_are_applied_to_the_cases_records);
    suite_add_tcase(s, check);
    return s;
}
