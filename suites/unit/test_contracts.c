/* The contracts: built-in ones on any response, and each event source's response contract,
 * checked against the event that caused the response. */
#include <stdlib.h>
#include <string.h>

#include "lambdacheck/contracts.h"
#include "suites.h"

#define EV LC_FIXTURES_DIR "/events/"

typedef struct {
    const char *event;    /* a bundled sample */
    const char *response; /* JSON text, or NULL for no payload */
    const char *fails;    /* NULL: must pass; else a part of the reason */
} row;

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
    {EV "apigateway-rest/get.json", "{\"statusCode\": \"200\"}",
     "API Gateway would answer 502 (Malformed Lambda proxy response): statusCode must be an "
     "integer, got \"200\""},
    {EV "apigateway-rest/get.json", "{\"body\": \"x\"}", "statusCode must be an integer, got nothing"},
    {EV "apigateway-rest/get.json", "\"plain\"", "the response must be a JSON object"},
    {EV "apigateway-rest/get.json", "{\"statusCode\": 200, \"body\": {\"a\": 1}}",
     "body must be a string (JSON-encode it), got an object"},
    {EV "apigateway-rest/get.json", "{\"statusCode\": 200, \"headers\": {\"n\": 1}}",
     "headers.n must be a string, got an integer"},
    {EV "apigateway-rest/get.json", "{\"statusCode\": 200, \"multiValueHeaders\": {\"n\": \"x\"}}",
     "multiValueHeaders.n must be a list of strings"},
    {EV "apigateway-rest/get.json", "{\"statusCode\": 200, \"isBase64Encoded\": \"no\"}",
     "isBase64Encoded must be a boolean"},
    {EV "apigateway-rest/get.json", "{\"statusCode\": 200, \"message\": \"x\"}",
     "unexpected key \"message\""},
    /* HTTP API 2.0 and function URLs: a value without statusCode is a 200 */
    {EV "apigateway-http/get.json", "{\"message\": \"inferred as 200\"}", NULL},
    {EV "apigateway-http/get.json", "\"text\"", NULL},
    {EV "apigateway-http/get.json", "{\"statusCode\": 201, \"cookies\": [\"a=b\"]}", NULL},
    {EV "apigateway-http/get.json", "{\"statusCode\": 200, \"cookies\": \"a=b\"}",
     "API Gateway would answer 500: cookies must be a list of strings"},
    {EV "apigateway-http/get.json", "{\"statusCode\": 200, \"multiValueHeaders\": {}}",
     "unexpected key \"multiValueHeaders\""},
    {EV "function-url/get.json", "{\"statusCode\": \"ok\"}",
     "the function URL would answer 500: statusCode must be an integer"},
    {EV "function-url/get.json", "[1, 2]", NULL},
    /* ALB */
    {EV "alb/get.json", "{\"statusCode\": 200, \"statusDescription\": \"200 OK\", \"headers\": "
                        "{\"content-type\": \"text/html\"}, \"body\": \"<p>hi</p>\"}", NULL},
    {EV "alb/get.json", "{\"statusCode\": 200, \"statusDescription\": 200}",
     "statusDescription must be a string"},
    {EV "alb/get.json", "{\"statusCode\": 200, \"multiValueHeaders\": {\"a\": [\"b\"]}}",
     "does not use multi-value headers, so the response must use headers"},
    {EV "alb/multi-value-headers.json", "{\"statusCode\": 200, \"headers\": {\"a\": \"b\"}}",
     "sends multi-value headers, so the response must use multiValueHeaders"},
    {EV "alb/multi-value-headers.json", "{\"statusCode\": 200, \"multiValueHeaders\": {\"a\": [\"b\"]}}",
     NULL},
    /* REST authorizer */
    {EV "apigateway-authorizer/token.json",
     "{\"principalId\": \"u1\", \"policyDocument\": {\"Version\": \"2012-10-17\", \"Statement\": "
     "[{\"Action\": \"execute-api:Invoke\", \"Effect\": \"Allow\", \"Resource\": \"*\"}]}, "
     "\"context\": {\"tier\": \"gold\", \"n\": 1, \"ok\": true}}", NULL},
    {EV "apigateway-authorizer/token.json", "{\"policyDocument\": {}}",
     "API Gateway would answer 500 (authorizer configuration error): principalId (a string) is "
     "required"},
    {EV "apigateway-authorizer/token.json",
     "{\"principalId\": \"u\", \"policyDocument\": {\"Version\": \"2008-10-17\", \"Statement\": []}}",
     "policyDocument.Version must be \"2012-10-17\""},
    {EV "apigateway-authorizer/token.json",
     "{\"principalId\": \"u\", \"policyDocument\": {\"Version\": \"2012-10-17\", \"Statement\": []}}",
     "policyDocument.Statement must be a non-empty list"},
    {EV "apigateway-authorizer/token.json",
     "{\"principalId\": \"u\", \"policyDocument\": {\"Version\": \"2012-10-17\", \"Statement\": "
     "[{\"Action\": \"x\", \"Effect\": \"Maybe\", \"Resource\": \"*\"}]}}",
     "Statement[0].Effect must be Allow or Deny"},
    {EV "apigateway-authorizer/token.json",
     "{\"principalId\": \"u\", \"policyDocument\": {\"Version\": \"2012-10-17\", \"Statement\": "
     "[{\"Effect\": \"Allow\", \"Resource\": \"*\"}]}}",
     "Statement[0].Action is required"},
    {EV "apigateway-authorizer/token.json",
     "{\"principalId\": \"u\", \"policyDocument\": {\"Version\": \"2012-10-17\", \"Statement\": "
     "[{\"Action\": \"x\", \"Effect\": \"Allow\", \"Resource\": \"*\"}]}, \"context\": {\"o\": {}}}",
     "context.o must be a string, number or boolean, got an object"},
    /* HTTP API authorizer */
    {EV "apigateway-http-authorizer/request.json", "{\"isAuthorized\": true, \"context\": {\"a\": 1}}",
     NULL},
    {EV "apigateway-http-authorizer/request.json", "{\"isAuthorized\": \"yes\"}",
     "isAuthorized must be a boolean"},
    {EV "apigateway-http-authorizer/request.json", "{\"nothing\": 1}", "principalId (a string) is required"},
    /* SQS, Kinesis, DynamoDB: partial batch responses */
    {EV "sqs/batch.json", NULL, NULL},
    {EV "sqs/batch.json", "null", NULL},
    {EV "sqs/batch.json", "{\"batchItemFailures\": []}", NULL},
    {EV "sqs/batch.json", "{\"batchItemFailures\": [{\"itemIdentifier\": \"" SQS_ID "\"}]}", NULL},
    {EV "sqs/batch.json", "{\"batchItemFailures\": [{\"itemIdentifier\": \"abc\"}]}",
     "SQS would retry the whole batch: itemIdentifier \"abc\" is not a messageId of this batch"},
    {EV "sqs/batch.json", "{\"batchItemFailures\": [{\"itemIdentifier\": \"\"}]}",
     "itemIdentifier is missing or empty"},
    {EV "sqs/batch.json", "{\"batchItemFailure\": []}",
     "unexpected key \"batchItemFailure\" (the key is batchItemFailures)"},
    {EV "sqs/batch.json", "{\"batchItemFailures\": {}}", "batchItemFailures must be a list"},
    {EV "sqs/batch.json", "\"done\"", "must be null or an object with batchItemFailures"},
    {EV "kinesis/stream.json", "{\"batchItemFailures\": [{\"itemIdentifier\": \"" KINESIS_SEQ "\"}]}",
     NULL},
    {EV "kinesis/stream.json", "{\"batchItemFailures\": [{\"itemIdentifier\": \"1\"}]}",
     "Kinesis would retry the whole batch: itemIdentifier \"1\" is not a sequenceNumber"},
    {EV "dynamodb/stream.json", "{\"batchItemFailures\": [{\"itemIdentifier\": \"222\"}]}", NULL},
    {EV "dynamodb/stream.json", "{\"batchItemFailures\": [{\"itemIdentifier\": \"333\"}]}",
     "DynamoDB Streams would retry the whole batch: itemIdentifier \"333\" is not a SequenceNumber"},
    /* Firehose */
    {EV "firehose/transformation.json",
     "{\"records\": [{\"recordId\": \"" FIREHOSE_ID "\", \"result\": \"Ok\", \"data\": \"aGk=\"}]}", NULL},
    {EV "firehose/transformation.json", "{\"records\": []}",
     "Firehose would fail the whole batch: record \"" FIREHOSE_ID "\" has no result"},
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
     "Cognito would fail the request (InvalidLambdaResponseException): return the event itself"},
    {EV "cognito/pre-signup.json", "null", "return the event with response filled, not null"},
    /* SES */
    {EV "ses/receipt.json", "null", NULL},
    {EV "ses/receipt.json", "{\"disposition\": \"STOP_RULE\"}", NULL},
    {EV "ses/receipt.json", "{\"disposition\": \"STOP\"}",
     "SES would ignore the response: disposition must be STOP_RULE, STOP_RULE_SET or CONTINUE"},
    /* S3 Batch Operations */
    {EV "s3-batch/job.json",
     "{\"invocationSchemaVersion\": \"1.0\", \"treatMissingKeysAs\": \"PermanentFailure\", "
     "\"invocationId\": \"" S3B_INVOCATION "\", \"results\": [{\"taskId\": \"dGFza2lkZ29lc2hlcmUK\", "
     "\"resultCode\": \"Succeeded\", \"resultString\": \"ok\"}]}", NULL},
    {EV "s3-batch/job.json", "{\"results\": []}",
     "S3 Batch Operations would fail the task: invocationSchemaVersion is required"},
    {EV "s3-batch/job.json", "{\"invocationSchemaVersion\": \"1.0\", \"invocationId\": \"other\"}",
     "invocationId must be the event's"},
    {EV "s3-batch/job.json",
     "{\"invocationSchemaVersion\": \"1.0\", \"invocationId\": \"" S3B_INVOCATION "\", "
     "\"treatMissingKeysAs\": \"Maybe\", \"results\": []}",
     "treatMissingKeysAs must be Succeeded, TemporaryFailure or PermanentFailure"},
    {EV "s3-batch/job.json",
     "{\"invocationSchemaVersion\": \"1.0\", \"invocationId\": \"" S3B_INVOCATION "\", \"results\": []}",
     "results must be a non-empty list"},
    {EV "s3-batch/job.json",
     "{\"invocationSchemaVersion\": \"1.0\", \"invocationId\": \"" S3B_INVOCATION "\", \"results\": "
     "[{\"taskId\": \"dGFza2lkZ29lc2hlcmUK\", \"resultCode\": \"Done\"}]}",
     "results[0].resultCode must be Succeeded"},
    {EV "s3-batch/job.json",
     "{\"invocationSchemaVersion\": \"1.0\", \"invocationId\": \"" S3B_INVOCATION "\", \"results\": "
     "[{\"taskId\": \"other\", \"resultCode\": \"Succeeded\"}]}",
     "results[0].taskId is not a task of this job"},
    /* Lambda@Edge */
    {EV "lambda-edge/viewer-request.json",
     "{\"status\": \"302\", \"statusDescription\": \"Found\", \"headers\": {\"location\": "
     "[{\"key\": \"Location\", \"value\": \"https://example.com\"}]}}", NULL},
    {EV "lambda-edge/viewer-request.json", "{\"status\": 302}",
     "CloudFront would answer 502 (invalid Lambda@Edge response): status must be a string"},
    {EV "lambda-edge/viewer-request.json",
     "{\"status\": \"200\", \"headers\": {\"Content-Type\": [{\"key\": \"Content-Type\", \"value\": \"x\"}]}}",
     "header name \"Content-Type\" must be lowercase"},
    {EV "lambda-edge/viewer-request.json", "{\"status\": \"200\", \"headers\": {\"a\": \"b\"}}",
     "headers.a must be a list of {key, value}"},
    {EV "lambda-edge/viewer-request.json", "[]", "return the request or a response object"},
    /* no response contract */
    {EV "s3/put.json", "\"anything\"", NULL},
    {EV "sns/notification.json", NULL, NULL},
};

START_TEST(each_source_contract_rule)
{
    const row *r = &rows[_i];
    json_t *event = json_load_file(r->event, 0, NULL);
    ck_assert_ptr_nonnull(event);
    json_t *response = r->response ? json_loads(r->response, JSON_DECODE_ANY, NULL) : NULL;
    ck_assert_msg(r->response == NULL || response != NULL, "row %d: bad JSON", _i);
    lc_verdicts v = {0};
    lc_source_contract_check(event, response, &v);
    ck_assert_uint_eq(v.count, 1);
    if (r->fails == NULL)
        ck_assert_msg(v.items[0].passed, "row %d (%s) failed: %s", _i, v.items[0].check,
                      v.items[0].message);
    else
        ck_assert_msg(!v.items[0].passed && strstr(v.items[0].message, r->fails),
                      "row %d (%s): wanted \"%s\", got %s: \"%s\"", _i, v.items[0].check, r->fails,
                      v.items[0].passed ? "a pass" : "a failure", v.items[0].message);
    lc_verdicts_clear(&v);
    json_decref(response);
    json_decref(event);
}
END_TEST

START_TEST(the_verdict_is_named_after_the_source)
{
    json_t *event = json_load_file(EV "sqs/batch.json", 0, NULL);
    lc_verdicts v = {0};
    ck_assert_int_eq(lc_source_contract_check(event, NULL, &v), LC_SOURCE_SQS);
    ck_assert_str_eq(v.items[0].check, "sqs-response");
    lc_verdicts_clear(&v);
    json_decref(event);
}
END_TEST

START_TEST(a_cognito_trigger_must_return_its_event)
{
    json_t *event = json_load_file(EV "cognito/pre-signup.json", 0, NULL);
    json_t *response = json_deep_copy(event);
    json_object_set_new(json_object_get(response, "response"), "autoConfirmUser", json_true());
    lc_verdicts v = {0};
    lc_source_contract_check(event, response, &v);
    ck_assert_msg(v.items[0].passed, "%s", v.items[0].message);
    lc_verdicts_clear(&v);
    json_decref(response);
    json_decref(event);
}
END_TEST

/* --- the built-in contracts on any response -------------------------------------------------- */

static lc_verdicts builtin(const char *type, long status, const char *function_error,
                           const char *payload, const lc_result *journal)
{
    lc_observation o = {type, status, function_error, "req-1", payload, strlen(payload), NULL,
                        journal};
    lc_verdicts v = {0};
    lc_contracts_check(&o, NULL, &v);
    return v;
}

static const lc_verdict *find(const lc_verdicts *v, const char *check)
{
    for (size_t i = 0; i < v->count; i++)
        if (strcmp(v->items[i].check, check) == 0)
            return &v->items[i];
    return NULL;
}

START_TEST(an_error_must_carry_all_four_keys_and_the_request_id)
{
    lc_verdicts v = builtin("RequestResponse", 200, "Unhandled",
                            "{\"errorMessage\": \"x\", \"errorType\": \"E\", \"requestId\": "
                            "\"req-1\", \"stackTrace\": []}",
                            NULL);
    ck_assert(find(&v, "error-carries-request-id")->passed);
    lc_verdicts_clear(&v);
    v = builtin("RequestResponse", 200, "Unhandled",
                "{\"errorMessage\": \"x\", \"errorType\": \"E\", \"stackTrace\": []}", NULL);
    ck_assert_str_eq(find(&v, "error-carries-request-id")->message,
                     "the error response has no requestId (it needs errorMessage, errorType, "
                     "requestId and stackTrace)");
    lc_verdicts_clear(&v);
    v = builtin("RequestResponse", 200, "Unhandled",
                "{\"errorMessage\": \"x\", \"errorType\": \"E\", \"requestId\": \"other\", "
                "\"stackTrace\": []}",
                NULL);
    ck_assert(!find(&v, "error-carries-request-id")->passed);
    lc_verdicts_clear(&v);
    /* "" is right for an init error, which the journal tells apart */
    lc_result init = {.end = LC_END_INIT_ERROR}, invoke = {.end = LC_END_ERROR};
    const char *empty = "{\"errorMessage\": \"x\", \"errorType\": \"E\", \"requestId\": \"\", "
                        "\"stackTrace\": []}";
    v = builtin("RequestResponse", 200, "Unhandled", empty, &init);
    ck_assert(find(&v, "error-carries-request-id")->passed);
    lc_verdicts_clear(&v);
    v = builtin("RequestResponse", 200, "Unhandled", empty, &invoke);
    ck_assert(!find(&v, "error-carries-request-id")->passed);
    lc_verdicts_clear(&v);
}
END_TEST

START_TEST(a_marshal_error_breaks_result_serializable)
{
    lc_verdicts v = builtin("RequestResponse", 200, "Unhandled",
                            "{\"errorMessage\": \"Unable to marshal response: x\", \"errorType\": "
                            "\"Runtime.MarshalError\", \"requestId\": \"req-1\", \"stackTrace\": []}",
                            NULL);
    ck_assert(!find(&v, "result-serializable")->passed);
    lc_verdicts_clear(&v);
}
END_TEST

START_TEST(an_event_answer_must_be_202_and_empty)
{
    lc_verdicts v = builtin("Event", 202, "", "", NULL);
    ck_assert(find(&v, "async-accepted-empty")->passed);
    lc_verdicts_clear(&v);
    lc_result never_ran = {0}; /* a local target whose journal has no run of the request */
    v = builtin("Event", 202, "", "", &never_ran);
    ck_assert(!find(&v, "async-result-discarded")->passed);
    lc_verdicts_clear(&v);
    v = builtin("Event", 200, "", "null", NULL);
    ck_assert_str_eq(find(&v, "async-accepted-empty")->message,
                     "an Event invocation must answer 202 with an empty body, got 200 with 4 "
                     "bytes");
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
    suite_add_tcase(s, sources);
    TCase *builtins = tcase_create("built-in");
    tcase_add_test(builtins, an_error_must_carry_all_four_keys_and_the_request_id);
    tcase_add_test(builtins, a_marshal_error_breaks_result_serializable);
    tcase_add_test(builtins, an_event_answer_must_be_202_and_empty);
    suite_add_tcase(s, builtins);
    return s;
}
