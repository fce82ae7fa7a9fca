/* The contracts: built-in ones on any response, and each event source's response contract,
 * checked against the event that caused the response. */
#include <stdlib.h>
#include <string.h>

#include "lambdacheck/contracts.h"
#include "suites.h"

#define EV LC_FIXTURES_DIR "/events/"

typedef struct {
    const char *event;    /* a bundled sample */
    const char *response; /* the payload bytes ("" for none); need not be JSON */
    const char *fails;    /* NULL: must pass; "WARN <text>": passes with a warning holding the
                             text; else fails, with a part of the reason */
} row;

/* The rows judge queue and stream responses as a mapping with ReportBatchItemFailures would. */
static const lc_source_settings batch_on = {.report_batch_item_failures = true};

#define SQS_ID "059f36b4-87a3-44ab-83d2-661975793131"
#define KINESIS_SEQ "49590338271490256608559692538361571095921575989136588898"
#define FIREHOSE_ID "49546986683135544286507457936321625675700192471156785154"
#define S3B_INVOCATION "YXNkbGZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGtkaGZza2RmaAo"

static const row rows[] = {
    /* API Gateway REST (v1) */
    {EV "apigateway-rest/get.json", "{\"statusCode\": 200, \"body\": \"hi\"}", NULL},
    {EV "apigateway-rest/get.json",
     "{\"statusCode\": 200, \"headers\": {\"a\": \"b\"}, \"multiValueHeaders\": {\"c\": [\"d\"]}, "
     "\"isBase64Encoded\": false}", NULL},
    /* AWS's own API Gateway blueprint returns statusCode '200' and '400' as strings */
    {EV "apigateway-rest/get.json", "{\"statusCode\": \"200\", \"body\": \"hi\"}", NULL},
    {EV "apigateway-rest/get.json", "{\"statusCode\": \"OK\"}",
     "API Gateway would answer 502 (Malformed Lambda proxy response): statusCode must be an "
     "integer, got \"OK\""},
    {EV "apigateway-rest/get.json", "{\"body\": \"x\"}", "statusCode must be an integer, got nothing"},
    {EV "apigateway-rest/get.json", "\"plain\"", "the response must be a JSON object"},
    {EV "apigateway-rest/get.json", "{\"statusCode\": 200, \"body\": {\"a\": 1}}",
     "body must be a string (JSON-encode it), got an object"},
    {EV "apigateway-rest/get.json", "{\"statusCode\": 200, \"headers\": {\"n\": 1}}",
     "WARN headers.n must be a string, got an integer (AWS documents the format, not what API "
     "Gateway does otherwise)"},
    {EV "apigateway-rest/get.json", "{\"statusCode\": 200, \"multiValueHeaders\": {\"n\": \"x\"}}",
     "WARN multiValueHeaders.n must be a list of strings"},
    {EV "apigateway-rest/get.json", "{\"statusCode\": 200, \"isBase64Encoded\": \"no\"}",
     "WARN isBase64Encoded must be a boolean"},
    {EV "apigateway-rest/get.json", "{\"statusCode\": 200, \"message\": \"x\"}",
     "WARN unexpected key \"message\""},
    /* HTTP API 2.0 and function URLs: a value without statusCode is a 200 */
    {EV "apigateway-http/get.json", "{\"message\": \"inferred as 200\"}", NULL},
    {EV "apigateway-http/get.json", "\"text\"", NULL},
    {EV "apigateway-http/get.json", "{\"statusCode\": 201, \"cookies\": [\"a=b\"]}", NULL},
    {EV "apigateway-http/get.json", "{\"statusCode\": 200, \"cookies\": \"a=b\"}",
     "WARN cookies must be a list of strings"},
    {EV "apigateway-http/get.json", "{\"statusCode\": \"ok\"}",
     "API Gateway would answer 500 (Internal Server Error): statusCode must be an integer"},
    {EV "apigateway-http/get.json", "{\"statusCode\": 200, \"multiValueHeaders\": {}}",
     "WARN unexpected key \"multiValueHeaders\""},
    {EV "function-url/get.json", "{\"statusCode\": \"ok\"}",
     "WARN statusCode must be an integer, got \"ok\" (AWS documents the format, not what the "
     "function URL does otherwise)"},
    {EV "function-url/get.json", "[1, 2]", NULL},
    /* ALB */
    {EV "alb/get.json", "{\"statusCode\": 200, \"statusDescription\": \"200 OK\", \"headers\": "
                        "{\"content-type\": \"text/html\"}, \"body\": \"<p>hi</p>\"}", NULL},
    {EV "alb/get.json", "{\"statusCode\": 200, \"statusDescription\": 200}",
     "WARN statusDescription must be a string"},
    {EV "alb/get.json", "{\"statusCode\": 200, \"multiValueHeaders\": {\"a\": [\"b\"]}}",
     "WARN does not use multi-value headers, so the response must use headers"},
    {EV "alb/multi-value-headers.json", "{\"statusCode\": 200, \"headers\": {\"a\": \"b\"}}",
     "WARN sends multi-value headers, so the response must use multiValueHeaders"},
    {EV "alb/multi-value-headers.json", "{\"statusCode\": 200, \"multiValueHeaders\": {\"a\": [\"b\"]}}",
     NULL},
    /* REST authorizer */
    {EV "apigateway-authorizer/token.json",
     "{\"principalId\": \"u1\", \"policyDocument\": {\"Version\": \"2012-10-17\", \"Statement\": "
     "[{\"Action\": \"execute-api:Invoke\", \"Effect\": \"Allow\", \"Resource\": \"*\"}]}, "
     "\"context\": {\"tier\": \"gold\", \"n\": 1, \"ok\": true}}", NULL},
    {EV "apigateway-authorizer/token.json", "{\"policyDocument\": {}}",
     "WARN principalId (a string) is required"},
    {EV "apigateway-authorizer/token.json",
     "{\"principalId\": \"u\", \"policyDocument\": {\"Version\": \"2008-10-17\", \"Statement\": []}}",
     "WARN policyDocument.Version should be \"2012-10-17\""},
    {EV "apigateway-authorizer/token.json",
     "{\"principalId\": \"u\", \"policyDocument\": {\"Version\": \"2012-10-17\", \"Statement\": []}}",
     "WARN policyDocument.Statement must be a non-empty list"},
    {EV "apigateway-authorizer/token.json",
     "{\"principalId\": \"u\", \"policyDocument\": {\"Version\": \"2012-10-17\", \"Statement\": "
     "[{\"Action\": \"x\", \"Effect\": \"Maybe\", \"Resource\": \"*\"}]}}",
     "WARN Statement[0].Effect must be Allow or Deny"},
    {EV "apigateway-authorizer/token.json",
     "{\"principalId\": \"u\", \"policyDocument\": {\"Version\": \"2012-10-17\", \"Statement\": "
     "[{\"Effect\": \"Allow\", \"Resource\": \"*\"}]}}",
     "WARN Statement[0].Action is required"},
    {EV "apigateway-authorizer/token.json",
     "{\"principalId\": \"u\", \"policyDocument\": {\"Version\": \"2012-10-17\", \"Statement\": "
     "[{\"Action\": \"x\", \"Effect\": \"Allow\", \"Resource\": \"*\"}]}, \"context\": {\"o\": {}}}",
     "WARN context.o must be a string, number or boolean, got an object"},
    /* HTTP API authorizer */
    {EV "apigateway-http-authorizer/request.json", "{\"isAuthorized\": true, \"context\": {\"a\": 1}}",
     NULL},
    {EV "apigateway-http-authorizer/request.json", "{\"isAuthorized\": \"yes\"}",
     "isAuthorized must be a boolean"},
    {EV "apigateway-http-authorizer/request.json", "{\"nothing\": 1}", "principalId (a string) is required"},
    /* SQS, Kinesis, DynamoDB: partial batch responses */
    {EV "sqs/batch.json", "", NULL},
    {EV "sqs/batch.json", "null", NULL},
    {EV "sqs/batch.json", "{\"batchItemFailures\": []}", NULL},
    {EV "sqs/batch.json", "{\"batchItemFailures\": [{\"itemIdentifier\": \"" SQS_ID "\"}]}", NULL},
    {EV "sqs/batch.json", "{\"batchItemFailures\": [{\"itemIdentifier\": \"abc\"}]}",
     "SQS would retry the whole batch: itemIdentifier \"abc\" is not a messageId of this batch"},
    {EV "sqs/batch.json", "{\"batchItemFailures\": [{\"itemIdentifier\": \"\"}]}",
     "itemIdentifier is missing or empty"},
    {EV "sqs/batch.json", "{\"batchItemFailure\": []}",
     "WARN also has \"batchItemFailure\": without batchItemFailures the whole batch counts as "
     "processed"},
    /* AWS's serverless-patterns return more than batchItemFailures; an HTTP-shaped answer has no
       batchItemFailures at all (null: a complete success, as AWS documents) */
    {EV "sqs/batch.json", "{\"batchItemFailures\": [], \"processingInfo\": {\"n\": 1}}",
     "WARN Lambda reads only batchItemFailures, and the response also has \"processingInfo\""},
    {EV "sqs/batch.json", "{\"statusCode\": 200, \"body\": \"{}\"}",
     "WARN also has \"statusCode\", \"body\": without batchItemFailures"},
    {EV "sqs/batch.json", "{\"batchItemFailures\": null}", NULL},
    {EV "sqs/batch.json", "{}", NULL},
    {EV "sqs/batch.json", "{\"batchItemFailures\": [{\"itemId\": \"" SQS_ID "\"}]}",
     "SQS would retry the whole batch: batchItemFailures[0] has \"itemId\" but no itemIdentifier"},
    {EV "sqs/batch.json", "{\"batchItemFailures\": [{\"itemIdentifier\": null}]}",
     "itemIdentifier is missing or empty"},
    {EV "sqs/batch.json", "{\"batchItemFailures\": [\"" SQS_ID "\"]}",
     "WARN batchItemFailures[0] should be an object with itemIdentifier"},
    {EV "sqs/batch.json",
     "{\"batchItemFailures\": [{\"itemIdentifier\": \"" SQS_ID "\", \"reason\": \"x\"}]}",
     "WARN Lambda reads only itemIdentifier, and batchItemFailures[0] also has \"reason\""},
    {EV "sqs/batch.json", "{\"batchItemFailures\": {}}", "WARN batchItemFailures should be a list"},
    {EV "sqs/batch.json", "\"done\"", "WARN should be null or an object with batchItemFailures"},
    {EV "kinesis/stream.json", "{\"batchItemFailures\": [{\"itemIdentifier\": \"" KINESIS_SEQ "\"}]}",
     NULL},
    {EV "kinesis/stream.json", "{\"batchItemFailures\": [{\"itemIdentifier\": \"1\"}]}",
     "WARN itemIdentifier \"1\" is not a sequenceNumber of this batch (AWS documents no outcome"},
    {EV "kinesis/stream.json", "{\"batchItemFailures\": [{\"itemIdentifier\": \"\"}]}",
     "Kinesis would retry the whole batch: batchItemFailures[0].itemIdentifier is missing"},
    {EV "kinesis/stream.json", "[]", "WARN should be null or an object"},
    {EV "dynamodb/stream.json", "{\"batchItemFailures\": [{\"itemIdentifier\": \"222\"}]}", NULL},
    {EV "dynamodb/stream.json", "{\"batchItemFailures\": [{\"itemIdentifier\": \"333\"}]}",
     "WARN itemIdentifier \"333\" is not a SequenceNumber"},
    {EV "dynamodb/stream.json", "{\"batchItemFailures\": [{\"id\": \"222\"}]}",
     "DynamoDB Streams would retry the whole batch: batchItemFailures[0] has \"id\" but no "
     "itemIdentifier"},
    /* Firehose */
    {EV "firehose/transformation.json",
     "{\"records\": [{\"recordId\": \"" FIREHOSE_ID "\", \"result\": \"Ok\", \"data\": \"aGk=\"}]}", NULL},
    {EV "firehose/transformation.json", "{\"records\": []}",
     "Firehose would count a data transformation failure: record \"" FIREHOSE_ID "\" has no result"},
    {EV "firehose/transformation.json",
     "{\"records\": [{\"recordId\": \"x\", \"result\": \"Ok\", \"data\": \"aGk=\"}]}",
     "recordId \"x\" is not a record of this batch"},
    {EV "firehose/transformation.json",
     "{\"records\": [{\"recordId\": \"" FIREHOSE_ID "\", \"result\": \"Ok\", \"data\": \"aGk=\"}, "
     "{\"recordId\": \"" FIREHOSE_ID "\", \"result\": \"Ok\", \"data\": \"aGk=\"}]}",
     "is answered twice"},
    {EV "firehose/transformation.json",
     "{\"records\": [{\"recordId\": \"" FIREHOSE_ID "\", \"result\": \"Fine\", \"data\": \"aGk=\"}]}",
     "result must be Ok, Dropped or ProcessingFailed"},
    {EV "firehose/transformation.json",
     "{\"records\": [{\"recordId\": \"" FIREHOSE_ID "\", \"result\": \"Ok\", \"data\": \"not base64!\"}]}",
     "records[0].data must be base64"},
    {EV "firehose/transformation.json", "{\"recordz\": []}", "must be an object with a records list"},
    /* Cognito */
    {EV "cognito/pre-signup.json", "{\"nope\": 1}",
     "WARN return the event itself; its triggerSource is missing or changed (AWS documents the "
     "format, not what Cognito does otherwise)"},
    {EV "cognito/pre-signup.json", "null", "WARN return the event with response filled, not null"},
    /* SES */
    {EV "ses/receipt.json", "null", NULL},
    {EV "ses/receipt.json", "{\"disposition\": \"STOP_RULE\"}", NULL},
    {EV "ses/receipt.json", "{\"disposition\": \"STOP\"}",
     "WARN SES treats it as CONTINUE: disposition must be STOP_RULE, STOP_RULE_SET or CONTINUE"},
    /* S3 Batch Operations */
    {EV "s3-batch/job.json",
     "{\"invocationSchemaVersion\": \"1.0\", \"treatMissingKeysAs\": \"PermanentFailure\", "
     "\"invocationId\": \"" S3B_INVOCATION "\", \"results\": [{\"taskId\": \"dGFza2lkZ29lc2hlcmUK\", "
     "\"resultCode\": \"Succeeded\", \"resultString\": \"ok\"}]}", NULL},
    {EV "s3-batch/job.json", "{\"results\": []}",
     "WARN invocationSchemaVersion is required (AWS documents the format, not what S3 Batch "
     "Operations does otherwise)"},
    {EV "s3-batch/job.json", "{\"invocationSchemaVersion\": \"1.0\", \"invocationId\": \"other\"}",
     "WARN invocationId must be the event's"},
    {EV "s3-batch/job.json",
     "{\"invocationSchemaVersion\": \"1.0\", \"invocationId\": \"" S3B_INVOCATION "\", "
     "\"treatMissingKeysAs\": \"Maybe\", \"results\": []}",
     "WARN treatMissingKeysAs must be Succeeded, TemporaryFailure or PermanentFailure"},
    {EV "s3-batch/job.json",
     "{\"invocationSchemaVersion\": \"1.0\", \"invocationId\": \"" S3B_INVOCATION "\", \"results\": []}",
     "WARN results must be a non-empty list"},
    {EV "s3-batch/job.json",
     "{\"invocationSchemaVersion\": \"1.0\", \"invocationId\": \"" S3B_INVOCATION "\", \"results\": "
     "[{\"taskId\": \"dGFza2lkZ29lc2hlcmUK\", \"resultCode\": \"Done\"}]}",
     "WARN results[0].resultCode must be Succeeded"},
    {EV "s3-batch/job.json",
     "{\"invocationSchemaVersion\": \"1.0\", \"invocationId\": \"" S3B_INVOCATION "\", \"results\": "
     "[{\"taskId\": \"other\", \"resultCode\": \"Succeeded\"}]}",
     "WARN results[0].taskId is not a task of this job"},
    /* Lambda@Edge */
    {EV "lambda-edge/viewer-request.json",
     "{\"status\": \"302\", \"statusDescription\": \"Found\", \"headers\": {\"location\": "
     "[{\"key\": \"Location\", \"value\": \"https://example.com\"}]}}", NULL},
    {EV "lambda-edge/viewer-request.json", "{\"status\": 302}",
     "WARN status should be a string like \"200\", not a number"},
    {EV "lambda-edge/viewer-request.json", "{\"status\": \"999\"}",
     "CloudFront would answer 502 (invalid Lambda@Edge response): status must be a string like "
     "\"200\", between 200 and 599"},
    {EV "lambda-edge/viewer-request.json", "{\"status\": \"20x\"}", "between 200 and 599"},
    {EV "lambda-edge/viewer-request.json",
     "{\"status\": \"200\", \"headers\": {\"Content-Type\": [{\"key\": \"Content-Type\", \"value\": \"x\"}]}}",
     "WARN header name \"Content-Type\" must be lowercase"},
    {EV "lambda-edge/viewer-request.json", "{\"status\": \"200\", \"headers\": {\"a\": \"b\"}}",
     "headers.a must be a list of {key, value}"},
    {EV "lambda-edge/viewer-request.json", "[]", "return the request or a response object"},
    /* no response contract */
    {EV "s3/put.json", "\"anything\"", NULL},
    {EV "sns/notification.json", "", NULL},
    /* answers that are empty or not JSON: what each service does with them (these crashed
       check with a NULL response before) */
    {EV "apigateway-rest/get.json", "",
     "API Gateway would answer 502 (Malformed Lambda proxy response): the response is empty"},
    {EV "apigateway-rest/get.json", "hello",
     "API Gateway would answer 502 (Malformed Lambda proxy response): the response is not JSON"},
    {EV "apigateway-http/get.json", "hello",
     "WARN the response is not JSON: AWS documents how valid JSON without a statusCode is "
     "answered"},
    {EV "function-url/get.json", "", "WARN the response is empty: AWS documents how valid JSON"},
    {EV "alb/get.json", "<html>",
     "WARN the response is not JSON (AWS does not document what the load balancer does with it)"},
    {EV "apigateway-authorizer/token.json", "",
     "WARN the response is empty (AWS does not document what API Gateway does with it)"},
    {EV "apigateway-http-authorizer/request.json", "allow",
     "API Gateway would answer 500 (authorizer error): the response is not JSON"},
    {EV "sqs/batch.json", "ok", "SQS would retry the whole batch: the response is not JSON"},
    {EV "kinesis/stream.json", "", NULL},
    {EV "kinesis/stream.json", "ok", "WARN the response is not JSON (AWS does not document what "
                                     "Kinesis does with it)"},
    {EV "firehose/transformation.json", "",
     "Firehose would count a data transformation failure: the response is empty"},
    {EV "cognito/pre-signup.json", "",
     "WARN the response is empty (AWS does not document what Cognito does with it)"},
    {EV "ses/receipt.json", "", NULL},
    {EV "ses/receipt.json", "STOP", "WARN SES treats it as CONTINUE: the response is not JSON"},
    {EV "s3-batch/job.json", "x",
     "S3 Batch Operations would fail the job (Invalid JSON returned in Lambda payload): the "
     "response is not JSON"},
    {EV "lambda-edge/viewer-request.json", "",
     "CloudFront would answer 502 (invalid Lambda@Edge response): the response is empty"},
    {EV "s3/put.json", "\xff\xfe not text", NULL},
};

START_TEST(each_source_contract_rule)
{
    const row *r = &rows[_i];
    json_t *event = json_load_file(r->event, 0, NULL);
    ck_assert_ptr_nonnull(event);
    lc_verdicts v = {0};
    lc_source_contract_check(event, r->response, strlen(r->response), &batch_on, &v);
    ck_assert_uint_eq(v.count, 1);
    bool passed = v.items[0].state == LC_CHECK_PASSED;
    if (r->fails && strncmp(r->fails, "WARN ", 5) == 0)
        ck_assert_msg(v.items[0].state == LC_CHECK_WARNED && strstr(v.items[0].message, r->fails + 5),
                      "row %d (%s): wanted a warning \"%s\", got state %d: \"%s\"", _i,
                      v.items[0].check, r->fails + 5, v.items[0].state, v.items[0].message);
    else if (r->fails == NULL)
        ck_assert_msg(passed, "row %d (%s) failed: %s", _i, v.items[0].check, v.items[0].message);
    else
        ck_assert_msg(!passed && strstr(v.items[0].message, r->fails),
                      "row %d (%s): wanted \"%s\", got %s: \"%s\"", _i, v.items[0].check, r->fails,
                      passed ? "a pass" : "a failure", v.items[0].message);
    lc_verdicts_clear(&v);
    json_decref(event);
}
END_TEST

START_TEST(the_verdict_is_named_after_the_source)
{
    json_t *event = json_load_file(EV "sqs/batch.json", 0, NULL);
    lc_verdicts v = {0};
    ck_assert_int_eq(lc_source_contract_check(event, "", 0, &batch_on, &v), LC_SOURCE_SQS);
    ck_assert_str_eq(v.items[0].check, "sqs-response");
    ck_assert_str_eq(v.items[0].message, "an empty response is accepted");
    lc_verdicts_clear(&v);
    json_decref(event);
    /* an event from no known service has no contract, and no verdict */
    event = json_pack("{s:s}", "anything", "else");
    ck_assert_int_eq(lc_source_contract_check(event, "{}", 2, NULL, &v), LC_SOURCE_UNKNOWN);
    ck_assert_uint_eq(v.count, 0);
    lc_verdicts_clear(&v);
    json_decref(event);
}
END_TEST

START_TEST(a_cognito_trigger_must_return_its_event)
{
    json_t *event = json_load_file(EV "cognito/pre-signup.json", 0, NULL);
    json_t *response = json_deep_copy(event);
    json_object_set_new(json_object_get(response, "response"), "autoConfirmUser", json_true());
    char *text = json_dumps(response, JSON_COMPACT);
    lc_verdicts v = {0};
    lc_source_contract_check(event, text, strlen(text), NULL, &v);
    ck_assert_msg(v.items[0].state == LC_CHECK_PASSED, "%s", v.items[0].message);
    lc_verdicts_clear(&v);
    free(text);
    json_decref(response);
    json_decref(event);
}
END_TEST

/* The verdict of one event (JSON text) and response (text); the caller clears v. */
static lc_verdict verdict_of(const char *event_text, const char *response, lc_verdicts *v)
{
    json_t *event = json_loads(event_text, 0, NULL);
    ck_assert_ptr_nonnull(event);
    ck_assert_int_eq(lc_source_contract_check(event, response, strlen(response), NULL, v),
                     LC_SOURCE_COGNITO);
    json_decref(event);
    ck_assert_uint_eq(v->count, 1);
    return v->items[0];
}

#define TRIMMED_COGNITO(trigger)                                                                   \
    "{\"version\": \"1\", \"triggerSource\": \"" trigger "\", \"region\": \"us-east-1\", "             \
    "\"userPoolId\": \"us-east-1_abc\", \"userName\": \"ann\", \"request\": {}}"

/* SDK fixtures often leave out "response": returning such an event unchanged is what a
 * pass-through trigger does, and Cognito (which always sends one) accepts it. */
START_TEST(a_trimmed_cognito_event_returned_unchanged_passes)
{
    const char *event = TRIMMED_COGNITO("PreSignUp_SignUp");
    lc_verdicts v = {0};
    lc_verdict got = verdict_of(event, event, &v);
    ck_assert_msg(got.state == LC_CHECK_PASSED, "%s", got.message);
    lc_verdicts_clear(&v);
    /* but a response that is not the event is warned about, and so is a bad response key
       (AWS documents the shape Cognito wants, not what it does with another) */
    got = verdict_of(event, "{\"response\": {}}", &v);
    ck_assert_int_eq(got.state, LC_CHECK_WARNED);
    ck_assert_ptr_nonnull(strstr(got.message, "return the event itself"));
    lc_verdicts_clear(&v);
    got = verdict_of(event,
                     "{\"triggerSource\": \"PreSignUp_SignUp\", \"userPoolId\": \"us-east-1_abc\", "
                     "\"userName\": \"ann\", \"response\": 3}",
                     &v);
    ck_assert_int_eq(got.state, LC_CHECK_WARNED);
    ck_assert_ptr_nonnull(strstr(got.message, "response must be an object"));
    lc_verdicts_clear(&v);
}
END_TEST

/* Custom email and SMS senders deliver the message themselves: any response will do; other
 * triggers are warned about the same response. */
START_TEST(custom_sender_triggers_accept_any_response)
{
    static const char *const responses[] = {"", "null", "not json", "{\"x\": 1}"};
    lc_verdicts v = {0};
    for (size_t i = 0; i < sizeof responses / sizeof *responses; i++) {
        lc_verdict got = verdict_of(TRIMMED_COGNITO("CustomEmailSender_SignUp"), responses[i], &v);
        ck_assert_msg(got.state == LC_CHECK_PASSED, "'%s': %s", responses[i], got.message);
        ck_assert_ptr_nonnull(strstr(got.message, "custom sender"));
        lc_verdicts_clear(&v);
        got = verdict_of(TRIMMED_COGNITO("CustomSMSSender_ResendCode"), responses[i], &v);
        ck_assert_int_eq(got.state, LC_CHECK_PASSED);
        lc_verdicts_clear(&v);
        got = verdict_of(TRIMMED_COGNITO("PostConfirmation_ConfirmSignUp"), responses[i], &v);
        ck_assert_msg(got.state == LC_CHECK_WARNED,
                      "'%s' passed a post-confirmation trigger without a warning", responses[i]);
        lc_verdicts_clear(&v);
    }
}
END_TEST

/* --- the built-in contracts on any response -------------------------------------------------- */

typedef struct {
    const char *type;
    long status;
    const char *function_error;
    const char *payload;
    lc_runtime runtime;
    bool local;
    const lc_result *journal;
    const char *expect; /* JSON text, or NULL */
} seen;

static lc_verdicts builtin(seen s)
{
    lc_observation o = {.invocation_type = s.type, .status = s.status,
                        .function_error = s.function_error, .request_id = "req-1",
                        .payload = s.payload, .payload_len = strlen(s.payload),
                        .runtime = s.runtime, .local = s.local, .journal = s.journal};
    json_t *expect = s.expect ? json_loads(s.expect, 0, NULL) : NULL;
    lc_verdicts v = {0};
    lc_contracts_check(&o, expect, &v);
    json_decref(expect);
    return v;
}

static const lc_verdict *find(const lc_verdicts *v, const char *check)
{
    for (size_t i = 0; i < v->count; i++)
        if (strcmp(v->items[i].check, check) == 0)
            return &v->items[i];
    return NULL;
}

/* The state of a named verdict; -1 when there is none. */
static int state(const lc_verdicts *v, const char *check)
{
    const lc_verdict *it = find(v, check);
    return it ? (int)it->state : -1;
}

#define PY_ERROR(id)                                                                               \
    "{\"errorMessage\": \"x\", \"errorType\": \"E\", \"requestId\": \"" id "\", \"stackTrace\": []}"

START_TEST(an_error_must_carry_all_four_keys_and_the_request_id)
{
    lc_verdicts v = builtin((seen){"RequestResponse", 200, "Unhandled", PY_ERROR("req-1"),
                                   LC_RUNTIME_PYTHON3_12, false, NULL, NULL});
    ck_assert_int_eq(state(&v, "error-carries-request-id"), LC_CHECK_PASSED);
    ck_assert_int_eq(state(&v, "error-body-shape"), LC_CHECK_PASSED);
    lc_verdicts_clear(&v);
    v = builtin((seen){"RequestResponse", 200, "Unhandled",
                       "{\"errorMessage\": \"x\", \"errorType\": \"E\", \"stackTrace\": []}",
                       LC_RUNTIME_PYTHON3_12, false, NULL, NULL});
    ck_assert_str_eq(find(&v, "error-carries-request-id")->message,
                     "the error response has no requestId (it needs errorMessage, errorType, "
                     "requestId and stackTrace)");
    ck_assert_int_eq(state(&v, "error-body-shape"), LC_CHECK_FAILED);
    lc_verdicts_clear(&v);
    v = builtin((seen){"RequestResponse", 200, "Unhandled", PY_ERROR("other"),
                       LC_RUNTIME_PYTHON3_12, false, NULL, NULL});
    ck_assert_int_eq(state(&v, "error-carries-request-id"), LC_CHECK_FAILED);
    lc_verdicts_clear(&v);
    /* "" is right for an init error, which the journal tells apart */
    lc_result init = {.end = LC_END_INIT_ERROR}, invoke = {.end = LC_END_ERROR};
    v = builtin((seen){"RequestResponse", 200, "Unhandled", PY_ERROR(""), LC_RUNTIME_PYTHON3_12,
                       true, &init, NULL});
    ck_assert_int_eq(state(&v, "error-carries-request-id"), LC_CHECK_PASSED);
    lc_verdicts_clear(&v);
    v = builtin((seen){"RequestResponse", 200, "Unhandled", PY_ERROR(""), LC_RUNTIME_PYTHON3_12,
                       true, &invoke, NULL});
    ck_assert_int_eq(state(&v, "error-carries-request-id"), LC_CHECK_FAILED);
    lc_verdicts_clear(&v);
}
END_TEST

/* AWS's Node.js client answers {errorType, errorMessage, trace}: no requestId to demand. */
START_TEST(the_request_id_contract_is_the_python_runtimes)
{
    const char *node_error = "{\"errorType\": \"Error\", \"errorMessage\": \"boom\", \"trace\": []}";
    lc_verdicts v = builtin((seen){"RequestResponse", 200, "Unhandled", node_error,
                                   LC_RUNTIME_NODEJS20, false, NULL, "{\"errorType\": \"Error\"}"});
    ck_assert_int_eq(state(&v, "error-carries-request-id"), -1);
    ck_assert_int_eq(state(&v, "error-body-shape"), LC_CHECK_PASSED);
    ck_assert_int_eq(lc_verdicts_failed(&v), 0);
    lc_verdicts_clear(&v);
    /* a Node.js error without trace breaks its own runtime's shape, by name */
    v = builtin((seen){"RequestResponse", 200, "Unhandled",
                       "{\"errorType\": \"Error\", \"errorMessage\": \"boom\"}",
                       LC_RUNTIME_NODEJS20, false, NULL, "{\"errorType\": \"Error\"}"});
    ck_assert_str_eq(find(&v, "error-body-shape")->message,
                     "the error response has no trace (a nodejs20.x error has "
                     "errorType,errorMessage,trace)");
    lc_verdicts_clear(&v);
    /* a custom runtime posts what it likes */
    v = builtin((seen){"RequestResponse", 200, "Unhandled", "oops", LC_RUNTIME_PROVIDED_AL2023,
                       false, NULL, "{\"functionError\": \"Unhandled\"}"});
    ck_assert_int_eq(state(&v, "error-body-shape"), -1);
    ck_assert_int_eq(lc_verdicts_failed(&v), 0);
    lc_verdicts_clear(&v);
}
END_TEST

START_TEST(a_marshal_error_breaks_result_serializable)
{
    const char *py = "{\"errorMessage\": \"Unable to marshal response: x\", \"errorType\": "
                     "\"Runtime.MarshalError\", \"requestId\": \"req-1\", \"stackTrace\": []}";
    lc_verdicts v = builtin((seen){"RequestResponse", 200, "Unhandled", py,
                                   LC_RUNTIME_PYTHON3_11, false, NULL, NULL});
    ck_assert_int_eq(state(&v, "result-serializable"), LC_CHECK_FAILED);
    lc_verdicts_clear(&v);
    v = builtin((seen){"RequestResponse", 200, "Unhandled", py, LC_RUNTIME_PYTHON3_11, false,
                       NULL, "{\"errorType\": \"Runtime.MarshalError\"}"});
    ck_assert_int_eq(state(&v, "result-serializable"), LC_CHECK_PASSED);
    lc_verdicts_clear(&v);
    /* Node.js says it in the message */
    v = builtin((seen){"RequestResponse", 200, "Unhandled",
                       "{\"errorType\": \"Error\", \"errorMessage\": \"Unable to stringify response "
                       "body\", \"trace\": []}",
                       LC_RUNTIME_NODEJS20, false, NULL, NULL});
    ck_assert_int_eq(state(&v, "result-serializable"), LC_CHECK_FAILED);
    lc_verdicts_clear(&v);
    v = builtin((seen){"RequestResponse", 200, "", "{\"ok\": true}", LC_RUNTIME_NODEJS20, false,
                       NULL, NULL});
    ck_assert_str_eq(find(&v, "result-serializable")->message, "the result was serialized");
    lc_verdicts_clear(&v);
}
END_TEST

/* A case that expects nothing still fails when the function fails; one that expects the error
 * does not. */
START_TEST(an_unexpected_function_error_fails_the_case)
{
    lc_verdicts v = builtin((seen){"RequestResponse", 200, "Unhandled", PY_ERROR("req-1"),
                                   LC_RUNTIME_PYTHON3_11, false, NULL, NULL});
    ck_assert_int_eq(state(&v, "no-unexpected-error"), LC_CHECK_FAILED);
    ck_assert_ptr_nonnull(strstr(find(&v, "no-unexpected-error")->message,
                                 "the function failed: E: x"));
    lc_verdicts_clear(&v);
    v = builtin((seen){"RequestResponse", 200, "Unhandled", PY_ERROR("req-1"),
                       LC_RUNTIME_PYTHON3_11, false, NULL, "{\"errorType\": \"E\"}"});
    ck_assert_int_eq(state(&v, "no-unexpected-error"), LC_CHECK_PASSED);
    lc_verdicts_clear(&v);
    v = builtin((seen){"RequestResponse", 200, "", "null", LC_RUNTIME_PYTHON3_11, false, NULL,
                       NULL});
    ck_assert_str_eq(find(&v, "no-unexpected-error")->message, "the function did not fail");
    lc_verdicts_clear(&v);
    /* an Event's error is in the journal */
    lc_result failed = {.end = LC_END_ERROR, .function_error = "Unhandled",
                        .error_type = "ValueError"};
    v = builtin((seen){"Event", 202, "", "", LC_RUNTIME_PYTHON3_11, true, &failed, NULL});
    ck_assert_int_eq(state(&v, "no-unexpected-error"), LC_CHECK_FAILED);
    lc_verdicts_clear(&v);
}
END_TEST

/* The failure tells the reader how to expect it, in a sentence that reads. */
START_TEST(an_unexpected_error_says_how_a_case_expects_it)
{
    lc_verdicts v = builtin((seen){"RequestResponse", 200, "Unhandled", PY_ERROR("req-1"),
                                   LC_RUNTIME_PYTHON3_11, false, NULL, NULL});
    ck_assert_str_eq(find(&v, "no-unexpected-error")->message,
                     "the function failed: E: x (a case that expects this failure says so with "
                     "functionError, errorType or errorMessage)");
    lc_verdicts_clear(&v);
}
END_TEST

START_TEST(an_event_answer_must_be_202_and_empty)
{
    lc_verdicts v = builtin((seen){"Event", 202, "", "", LC_RUNTIME_PYTHON3_11, false, NULL, NULL});
    ck_assert_int_eq(state(&v, "async-accepted-empty"), LC_CHECK_PASSED);
    ck_assert_int_eq(state(&v, "no-unexpected-error"), LC_CHECK_NOT_CHECKED);
    lc_verdicts_clear(&v);
    /* a local target whose journal has no run of the request */
    v = builtin((seen){"Event", 202, "", "", LC_RUNTIME_PYTHON3_11, true, NULL, NULL});
    ck_assert_int_eq(state(&v, "async-result-discarded"), LC_CHECK_FAILED);
    lc_verdicts_clear(&v);
    lc_result ran = {.end = LC_END_RESPONSE};
    v = builtin((seen){"Event", 202, "", "", LC_RUNTIME_PYTHON3_11, true, &ran, NULL});
    ck_assert_int_eq(state(&v, "async-result-discarded"), LC_CHECK_PASSED);
    ck_assert_ptr_nonnull(strstr(find(&v, "async-result-discarded")->message,
                                 "the emulator ran the event"));
    lc_verdicts_clear(&v);
    v = builtin((seen){"Event", 200, "", "null", LC_RUNTIME_PYTHON3_11, false, NULL, NULL});
    ck_assert_str_eq(find(&v, "async-accepted-empty")->message,
                     "an Event invocation must answer 202 with an empty body, got 200 with 4 "
                     "bytes");
    lc_verdicts_clear(&v);
}
END_TEST

/* A passing check says what held; failure wording is for failures. */
START_TEST(a_passing_check_says_what_held)
{
    lc_verdicts v = builtin((seen){"RequestResponse", 200, "Unhandled", PY_ERROR("req-1"),
                                   LC_RUNTIME_PYTHON3_11, false, NULL, "{\"errorType\": \"E\"}"});
    for (size_t i = 0; i < v.count; i++) {
        ck_assert_int_eq(v.items[i].state, LC_CHECK_PASSED);
        ck_assert_msg(strstr(v.items[i].message, "no ") != v.items[i].message &&
                          strstr(v.items[i].message, "must") == NULL &&
                          strstr(v.items[i].message, "expected") == NULL,
                      "%s passed with \"%s\"", v.items[i].check, v.items[i].message);
    }
    lc_verdicts_clear(&v);
}
END_TEST

/* Without ReportBatchItemFailures Lambda ignores a queue or stream consumer's response (sam
 * init's SQS template returns "done"); with it, the same response is judged. */
START_TEST(batch_contracts_apply_only_with_report_batch_item_failures)
{
    static const char *const events[] = {EV "sqs/batch.json", EV "kinesis/stream.json",
                                         EV "dynamodb/stream.json"};
    const char *bad = "{\"batchItemFailures\": [{\"itemIdentifier\": \"\"}]}";
    for (size_t i = 0; i < 3; i++) {
        json_t *event = json_load_file(events[i], 0, NULL);
        lc_verdicts v = {0};
        lc_source_settings off = {0};
        lc_source_contract_check(event, bad, strlen(bad), &off, &v);
        lc_source_contract_check(event, bad, strlen(bad), NULL, &v);
        lc_source_contract_check(event, bad, strlen(bad), &batch_on, &v);
        ck_assert_uint_eq(v.count, 3);
        for (size_t k = 0; k < 2; k++) {
            ck_assert_int_eq(v.items[k].state, LC_CHECK_PASSED);
            ck_assert_ptr_nonnull(strstr(v.items[k].message, "the response is ignored: "
                                                             "ReportBatchItemFailures is off"));
        }
        ck_assert_int_eq(v.items[2].state, LC_CHECK_FAILED);
        ck_assert_ptr_nonnull(strstr(v.items[2].message, "itemIdentifier is missing or empty"));
        lc_verdicts_clear(&v);
        json_decref(event);
    }
}
END_TEST

START_TEST(contracts_are_known_by_name)
{
    static const char *const known[] = {"no-unexpected-error", "result-serializable",
                                        "error-body-shape", "error-carries-request-id",
                                        "async-accepted-empty", "async-result-discarded",
                                        "tenant-isolated", "sqs-response", "apigateway-rest-response",
                                        "lambda-edge-response"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        ck_assert_msg(lc_contract_known(known[i]), "%s", known[i]);
    static const char *const unknown[] = {"payload", "sqs", "-response", "nothing-response",
                                          "unknown-response", "", NULL};
    for (const char *const *u = unknown; *u; u++)
        ck_assert_msg(!lc_contract_known(*u), "%s", *u);
    ck_assert(!lc_contract_known(NULL));
}
END_TEST

/* A contract turned off keeps what it found, behind its reason; one that did not apply says so. */
START_TEST(a_turned_off_contract_says_why_and_what_it_found)
{
    lc_verdicts v = {0};
    lc_verdicts_add(&v, "invocations[0].sqs-response", false, "SQS would retry the whole batch");
    lc_verdicts_add(&v, "payload", false, "expected 1");
    lc_verdicts_turn_off(&v, 0, "sqs-response", "drained elsewhere");
    lc_verdicts_turn_off(&v, 0, "no-unexpected-error", "it fails on purpose");
    ck_assert_uint_eq(v.count, 3);
    ck_assert_int_eq(v.items[0].state, LC_CHECK_OFF);
    ck_assert_str_eq(v.items[0].message, "turned off: drained elsewhere (it would have failed: "
                                         "SQS would retry the whole batch)");
    ck_assert_int_eq(v.items[1].state, LC_CHECK_FAILED); /* an expectation is never turned off */
    ck_assert_str_eq(v.items[2].check, "no-unexpected-error");
    ck_assert_int_eq(v.items[2].state, LC_CHECK_OFF);
    ck_assert_str_eq(v.items[2].message, "turned off: it fails on purpose (it did not apply here)");
    ck_assert_uint_eq(lc_verdicts_failed(&v), 1);
    lc_verdicts_clear(&v);
}
END_TEST

Suite *contracts_suite(void)
{
    Suite *s = suite_create("contracts");
    TCase *sources = tcase_create("sources");
    tcase_add_loop_test(sources, each_source_contract_rule, 0, (int)(sizeof rows / sizeof *rows));
    tcase_add_test(sources, the_verdict_is_named_after_the_source);
    tcase_add_test(sources, a_cognito_trigger_must_return_its_event);
    tcase_add_test(sources, a_trimmed_cognito_event_returned_unchanged_passes);
    tcase_add_test(sources, custom_sender_triggers_accept_any_response);
    tcase_add_test(sources, batch_contracts_apply_only_with_report_batch_item_failures);
    tcase_add_test(sources, contracts_are_known_by_name);
    tcase_add_test(sources, a_turned_off_contract_says_why_and_what_it_found);
    suite_add_tcase(s, sources);
    TCase *builtins = tcase_create("built-in");
    tcase_add_test(builtins, an_error_must_carry_all_four_keys_and_the_request_id);
    tcase_add_test(builtins, the_request_id_contract_is_the_python_runtimes);
    tcase_add_test(builtins, a_marshal_error_breaks_result_serializable);
    tcase_add_test(builtins, an_unexpected_function_error_fails_the_case);
    tcase_add_test(builtins, an_unexpected_error_says_how_a_case_expects_it);
    tcase_add_test(builtins, an_event_answer_must_be_202_and_empty);
    tcase_add_test(builtins, a_passing_check_says_what_held);
    suite_add_tcase(s, builtins);
    return s;
}
