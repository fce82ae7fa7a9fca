/* The local AWS endpoint, driven over HTTP as the SDKs drive it: each protocol's calls are read
 * (service, operation, parameters), answered by the first matching stub in that protocol's shape,
 * or refused at once with a client error naming the call; stubs are checked before they are
 * used; hostile requests get clear errors. The real SDKs against it: suites/e2e/test_aws.c. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "../common/http_test.h"
#include "../common/scratch.h"
#include "lambdacheck/aws_endpoint.h"
#include "lambdacheck/buf.h"
#include "lambdacheck/json_util.h"
#include "suites.h"

/* The string at path in v ("" when there is none). */
static const char *str_at(const json_t *v, const char *path)
{
    const char *s = json_string_value(lc_json_get_path(v, path));
    return s ? s : "";
}

static lc_aws_endpoint *ep;
static unsigned port;

static unsigned port_of(const lc_aws_endpoint *e)
{
    return (unsigned)atoi(strrchr(lc_aws_endpoint_url(e), ':') + 1);
}

static void start(void)
{
    lc_error err = {0};
    ck_assert_int_eq(lc_aws_endpoint_start(NULL, &ep, &err), LC_OK);
    port = port_of(ep);
}

static void stop(void)
{
    lc_aws_endpoint_free(ep);
    ep = NULL;
}

/* A validated list of stubs from JSON text. */
static json_t *stubs_of(const char *text)
{
    json_t *s = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(s);
    lc_error err = {0};
    ck_assert_msg(lc_aws_stubs_validate(s, "test", "aws", &err) == LC_OK, "%s", err.message);
    return s;
}

/* Opens a scope with these stubs; its path prefix goes to prefix. */
static void open_scope(const char *stubs_text, char id[LC_AWS_SCOPE_SIZE], char *prefix,
                       size_t size)
{
    json_t *stubs = stubs_text ? stubs_of(stubs_text) : NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_aws_endpoint_open(ep, stubs, "test/case", id, &err), LC_OK);
    json_decref(stubs);
    snprintf(prefix, size, "/_lc/%s", id);
}

#define AUTH(service)                                                                              \
    "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261202/us-east-1/" service           \
    "/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123abcd"

/* A JSON-protocol call of service (its X-Amz-Target) to the scope's prefix. */
static http_reply json_call(const char *prefix, const char *service, const char *target,
                            const char *body)
{
    char auth[300], tgt[200];
    snprintf(auth, sizeof auth,
             "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261202/us-east-1/%s/"
             "aws4_request, SignedHeaders=host, Signature=00",
             service);
    snprintf(tgt, sizeof tgt, "X-Amz-Target: %s", target);
    const char *headers[] = {auth, tgt, "Content-Type: application/x-amz-json-1.0", NULL};
    char path[200];
    snprintf(path, sizeof path, "%s/", prefix);
    return http_call(port, "POST", path, body, strlen(body), headers, 0);
}

/* The scope's calls (caller frees). */
static json_t *calls_of(const char *id)
{
    json_t *calls = lc_aws_endpoint_calls(ep, id, 0);
    ck_assert_ptr_nonnull(calls);
    return calls;
}

static json_t *body_json(const http_reply *r)
{
    json_t *v = json_loads(r->body, 0, NULL);
    ck_assert_msg(v != NULL, "not JSON: %s", r->body);
    return v;
}

/* --- core ------------------------------------------------------------------------------------ */

START_TEST(a_json_call_is_read_and_answered_by_its_stub)
{
    char id[LC_AWS_SCOPE_SIZE], prefix[64], ct[100];
    open_scope("[{\"call\": \"dynamodb:GetItem\", \"respond\": {\"Item\": {\"id\": {\"S\": \"42\"}}}}]",
               id, prefix, sizeof prefix);
    http_reply r = json_call(prefix, "dynamodb", "DynamoDB_20120810.GetItem",
                             "{\"TableName\": \"orders\", \"Key\": {\"id\": {\"S\": \"42\"}}}");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(http_header(&r, "Content-Type", ct, sizeof ct), "application/x-amz-json-1.0");
    json_t *body = body_json(&r);
    ck_assert_str_eq(str_at(body, "Item.id.S"), "42");
    json_decref(body);
    http_reply_free(&r);
    json_t *calls = calls_of(id);
    ck_assert_int_eq(json_array_size(calls), 1);
    json_t *c = json_array_get(calls, 0);
    ck_assert_str_eq(json_string_value(json_object_get(c, "call")), "dynamodb:GetItem");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(c, "params"), "TableName")),
                     "orders");
    ck_assert_int_eq(json_integer_value(json_object_get(c, "stub")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "status")), 200);
    json_decref(calls);
}
END_TEST

START_TEST(the_first_stub_that_matches_answers)
{
    char id[LC_AWS_SCOPE_SIZE], prefix[64];
    open_scope("[{\"call\": \"dynamodb:GetItem\", \"match\": {\"Key\": {\"id\": {\"S\": \"7\"}}},"
               "  \"respond\": {\"Item\": {\"n\": {\"S\": \"seven\"}}}},"
               " {\"call\": \"dynamodb:GetItem\", \"respond\": {\"Item\": {\"n\": {\"S\": \"any\"}}}},"
               " {\"call\": \"dynamodb:GetItem\", \"respond\": {\"Item\": {\"n\": {\"S\": \"never\"}}}}]",
               id, prefix, sizeof prefix);
    http_reply a = json_call(prefix, "dynamodb", "DynamoDB_20120810.GetItem",
                             "{\"TableName\": \"t\", \"Key\": {\"id\": {\"S\": \"7\"}}}");
    http_reply b = json_call(prefix, "dynamodb", "DynamoDB_20120810.GetItem",
                             "{\"TableName\": \"t\", \"Key\": {\"id\": {\"S\": \"8\"}}}");
    ck_assert_ptr_nonnull(strstr(a.body, "seven"));
    ck_assert_ptr_nonnull(strstr(b.body, "any"));
    http_reply_free(&a);
    http_reply_free(&b);
}
END_TEST

START_TEST(a_stub_answers_as_many_times_as_it_says)
{
    char id[LC_AWS_SCOPE_SIZE], prefix[64];
    open_scope("[{\"call\": \"sqs:SendMessage\", \"times\": 1, \"respond\": {\"MessageId\": \"m1\"}}]",
               id, prefix, sizeof prefix);
    const char *send = "{\"QueueUrl\": \"q\", \"MessageBody\": \"hi\"}";
    http_reply a = json_call(prefix, "sqs", "AmazonSQS.SendMessage", send);
    http_reply b = json_call(prefix, "sqs", "AmazonSQS.SendMessage", send);
    ck_assert_int_eq(a.status, 200);
    ck_assert_int_eq(b.status, 400);
    ck_assert_ptr_nonnull(strstr(b.body, "aws[0] has answered its 1 call"));
    http_reply_free(&a);
    http_reply_free(&b);
}
END_TEST

START_TEST(an_unstubbed_call_is_a_client_error_naming_it_and_how_to_stub_it)
{
    char id[LC_AWS_SCOPE_SIZE], prefix[64], type[100];
    open_scope(NULL, id, prefix, sizeof prefix);
    http_reply r = json_call(prefix, "dynamodb", "DynamoDB_20120810.GetItem",
                             "{\"TableName\": \"orders\", \"Key\": {\"id\": {\"S\": \"1\"}}}");
    ck_assert_int_eq(r.status, 400); /* a client error: the SDKs do not retry it */
    ck_assert_str_eq(http_header(&r, "x-amzn-ErrorType", type, sizeof type), "LambdacheckNoStub");
    json_t *body = body_json(&r);
    ck_assert_str_eq(json_string_value(json_object_get(body, "__type")), "LambdacheckNoStub");
    const char *msg = json_string_value(json_object_get(body, "message"));
    ck_assert_ptr_nonnull(strstr(msg, "lambdacheck: no stub for dynamodb:GetItem (TableName=orders"));
    ck_assert_ptr_nonnull(strstr(msg, "add one to the case's \"aws\" list, or pass --aws-endpoint"));
    json_decref(body);
    http_reply_free(&r);
    json_t *calls = calls_of(id);
    ck_assert(json_is_true(json_object_get(json_array_get(calls, 0), "unstubbed")));
    json_decref(calls);
}
END_TEST

START_TEST(a_stub_that_does_not_match_says_where_it_differs)
{
    char id[LC_AWS_SCOPE_SIZE], prefix[64];
    open_scope("[{\"call\": \"dynamodb:GetItem\", \"match\": {\"Key\": {\"id\": {\"S\": \"42\"}}}}]",
               id, prefix, sizeof prefix);
    http_reply r = json_call(prefix, "dynamodb", "DynamoDB_20120810.GetItem",
                             "{\"TableName\": \"orders\", \"Key\": {\"id\": {\"S\": \"7\"}}}");
    ck_assert_int_eq(r.status, 400);
    ck_assert_msg(strstr(r.body, "aws[0].match: $.Key.id.S: expected \\\"42\\\", got \\\"7\\\""),
                  "%s", r.body);
    http_reply_free(&r);
}
END_TEST

START_TEST(stubbed_errors_take_each_protocols_shape)
{
    char id[LC_AWS_SCOPE_SIZE], prefix[64], v[200];
    open_scope("[{\"call\": \"sqs:SendMessage\", \"error\": {\"code\": "
               "\"AWS.SimpleQueueService.NonExistentQueue\", \"message\": \"no queue\"}},"
               " {\"call\": \"sns:Publish\", \"error\": {\"code\": \"NotFound\", \"message\": \"no topic\"}},"
               " {\"call\": \"s3:GetObject\", \"error\": {\"code\": \"NoSuchKey\", \"message\": \"gone\"}}]",
               id, prefix, sizeof prefix);
    http_reply sqs = json_call(prefix, "sqs", "AmazonSQS.SendMessage", "{\"QueueUrl\": \"q\"}");
    ck_assert_int_eq(sqs.status, 400);
    ck_assert_str_eq(http_header(&sqs, "x-amzn-query-error", v, sizeof v),
                     "AWS.SimpleQueueService.NonExistentQueue;Sender");
    http_reply_free(&sqs);

    char path[200];
    snprintf(path, sizeof path, "%s/", prefix);
    const char *sns_h[] = {AUTH("sns"), "Content-Type: application/x-www-form-urlencoded", NULL};
    const char *form = "Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3A1&Message=hi";
    http_reply sns = http_call(port, "POST", path, form, strlen(form), sns_h, 0);
    ck_assert_int_eq(sns.status, 404); /* NotFound answers 404, as S3's does */
    ck_assert_ptr_nonnull(strstr(sns.body, "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/"
                                           "2010-03-31/\"><Error><Type>Sender</Type><Code>NotFound"
                                           "</Code><Message>no topic</Message>"));
    http_reply_free(&sns);

    snprintf(path, sizeof path, "%s/bucket/a/b.txt", prefix);
    const char *s3_h[] = {AUTH("s3"), NULL};
    http_reply s3 = http_call(port, "GET", path, NULL, 0, s3_h, 0);
    ck_assert_int_eq(s3.status, 404);
    ck_assert_ptr_nonnull(strstr(s3.body, "<Error><Code>NoSuchKey</Code><Message>gone</Message>"));
    http_reply_free(&s3);
}
END_TEST

START_TEST(query_calls_are_unflattened_and_answered_in_xml)
{
    char id[LC_AWS_SCOPE_SIZE], prefix[64], path[200];
    open_scope("[{\"call\": \"sns:Publish\", \"match\": {\"MessageAttributes\": {\"kind\": "
               "{\"StringValue\": \"order\"}}}, \"respond\": {\"MessageId\": \"m-1\"}}]",
               id, prefix, sizeof prefix);
    snprintf(path, sizeof path, "%s/", prefix);
    const char *h[] = {AUTH("sns"), "Content-Type: application/x-www-form-urlencoded", NULL};
    const char *form = "Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A1%3At"
                       "&Message=hello+world&MessageAttributes.entry.1.Name=kind"
                       "&MessageAttributes.entry.1.Value.DataType=String"
                       "&MessageAttributes.entry.1.Value.StringValue=order";
    http_reply r = http_call(port, "POST", path, form, strlen(form), h, 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(strstr(r.body, "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">"
                                 "<PublishResult><MessageId>m-1</MessageId></PublishResult>"),
                  "%s", r.body);
    http_reply_free(&r);
    json_t *calls = calls_of(id);
    json_t *params = json_object_get(json_array_get(calls, 0), "params");
    ck_assert_str_eq(json_string_value(json_object_get(params, "Message")), "hello world");
    /* the API's shapes, as the JSON protocols send them: a map of name to value */
    ck_assert_str_eq(str_at(params, "MessageAttributes.kind.StringValue"), "order");
    ck_assert_str_eq(str_at(params, "MessageAttributes.kind.DataType"), "String");
    json_decref(calls);
}
END_TEST

/* SQS under an SDK that speaks its query protocol (botocore before 1.31): flattened lists and
 * maps both ways, as the SQS API reference shows them. */
START_TEST(sqs_query_calls_take_the_api_shapes_both_ways)
{
    char id[LC_AWS_SCOPE_SIZE], prefix[64], path[200];
    open_scope("[{\"call\": \"sqs:SendMessageBatch\", \"match\": {\"Entries\": [{\"Id\": \"a\", "
               "\"MessageAttributes\": {\"kind\": {\"StringValue\": \"order\"}}}, {\"Id\": \"b\"}]},"
               " \"respond\": {\"Successful\": [{\"Id\": \"a\", \"MessageId\": \"m-a\"}], \"Failed\": "
               "[{\"Id\": \"b\", \"Code\": \"X\", \"SenderFault\": true}]}},"
               " {\"call\": \"sqs:ReceiveMessage\", \"respond\": {\"Messages\": [{\"MessageId\": \"m\", "
               "\"Body\": \"hi\", \"Attributes\": {\"ApproximateReceiveCount\": \"1\"}}]}}]",
               id, prefix, sizeof prefix);
    snprintf(path, sizeof path, "%s/", prefix);
    const char *h[] = {AUTH("sqs"), "Content-Type: application/x-www-form-urlencoded", NULL};
    const char *batch = "Action=SendMessageBatch&Version=2012-11-05&QueueUrl=q"
                        "&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=x"
                        "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=kind"
                        "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=order"
                        "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String"
                        "&SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=y";
    http_reply r = http_call(port, "POST", path, batch, strlen(batch), h, 0);
    ck_assert_msg(r.status == 200, "%s", r.body);
    ck_assert_msg(strstr(r.body, "<SendMessageBatchResult><SendMessageBatchResultEntry><Id>a</Id>"
                                 "<MessageId>m-a</MessageId><MD5OfMessageBody>"), "%s", r.body);
    ck_assert_ptr_nonnull(strstr(r.body, "<BatchResultErrorEntry><Id>b</Id>"));
    http_reply_free(&r);
    const char *receive = "Action=ReceiveMessage&Version=2012-11-05&QueueUrl=q&AttributeName.1=All";
    r = http_call(port, "POST", path, receive, strlen(receive), h, 0);
    ck_assert_msg(strstr(r.body, "<Message><MessageId>m</MessageId><Body>hi</Body><Attribute><Name>"
                                 "ApproximateReceiveCount</Name><Value>1</Value></Attribute>"),
                  "%s", r.body);
    http_reply_free(&r);
    json_t *calls = calls_of(id);
    ck_assert_str_eq(str_at(json_object_get(json_array_get(calls, 1), "params"), "AttributeNames[0]"),
                     "All");
    json_decref(calls);
}
END_TEST

START_TEST(sns_maps_are_entries_of_key_and_value)
{
    char id[LC_AWS_SCOPE_SIZE], prefix[64], path[200];
    open_scope("[{\"call\": \"sns:GetTopicAttributes\", \"respond\": {\"Attributes\": "
               "{\"TopicArn\": \"arn:t\", \"Owner\": \"1\"}}}]", id, prefix, sizeof prefix);
    snprintf(path, sizeof path, "%s/", prefix);
    const char *h[] = {AUTH("sns"), "Content-Type: application/x-www-form-urlencoded", NULL};
    const char *form = "Action=GetTopicAttributes&Version=2010-03-31&TopicArn=arn:t";
    http_reply r = http_call(port, "POST", path, form, strlen(form), h, 0);
    ck_assert_msg(strstr(r.body, "<GetTopicAttributesResult><Attributes><entry><key>TopicArn</key>"
                                 "<value>arn:t</value></entry><entry><key>Owner</key><value>1</value>"
                                 "</entry></Attributes></GetTopicAttributesResult>"), "%s", r.body);
    http_reply_free(&r);
}
END_TEST

START_TEST(s3_object_calls_are_told_apart_and_answered)
{
    char id[LC_AWS_SCOPE_SIZE], prefix[64], path[200], v[100];
    open_scope("[{\"call\": \"s3:GetObject\", \"respond\": {\"Body\": \"hello\", \"ContentType\": "
               "\"text/plain\", \"Metadata\": {\"owner\": \"ada\"}}},"
               " {\"call\": \"s3:PutObject\", \"respond\": {\"ETag\": \"\\\"abc\\\"\"}},"
               " {\"call\": \"s3:HeadObject\", \"respond\": {\"BodyBase64\": \"AAEC\"}},"
               " {\"call\": \"s3:DeleteObject\"},"
               " {\"call\": \"s3:ListObjectsV2\", \"respond\": {\"Contents\": [{\"Key\": \"a\", "
               "\"Size\": 1}, {\"Key\": \"b\", \"Size\": 2}]}}]",
               id, prefix, sizeof prefix);
    const char *h[] = {AUTH("s3"), "Content-Type: text/plain", "x-amz-meta-Owner: ada", NULL};
    snprintf(path, sizeof path, "%s/bkt/dir/a%%20b.txt", prefix);
    http_reply get = http_call(port, "GET", path, NULL, 0, h, 0);
    ck_assert_int_eq(get.status, 200);
    ck_assert_str_eq(get.body, "hello");
    ck_assert_str_eq(http_header(&get, "x-amz-meta-owner", v, sizeof v), "ada");
    http_reply put = http_call(port, "PUT", path, "\x01\x02", 2, h, 0);
    ck_assert_str_eq(http_header(&put, "ETag", v, sizeof v), "\"abc\"");
    http_reply head = http_call(port, "HEAD", path, NULL, 0, h, 0);
    ck_assert_str_eq(http_header(&head, "Content-Length", v, sizeof v), "3");
    http_reply del = http_call(port, "DELETE", path, NULL, 0, h, 0);
    ck_assert_int_eq(del.status, 204);
    snprintf(path, sizeof path, "%s/bkt?list-type=2&prefix=a", prefix);
    http_reply list = http_call(port, "GET", path, NULL, 0, h, 0);
    ck_assert_msg(strstr(list.body, "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                                    "<Contents><Key>a</Key><Size>1</Size></Contents>"
                                    "<Contents><Key>b</Key><Size>2</Size></Contents>"),
                  "%s", list.body);
    ck_assert_ptr_nonnull(strstr(list.body, "<KeyCount>2</KeyCount>"));
    http_reply_free(&get);
    http_reply_free(&put);
    http_reply_free(&head);
    http_reply_free(&del);
    http_reply_free(&list);
    json_t *calls = calls_of(id);
    const char *names[] = {"s3:GetObject", "s3:PutObject", "s3:HeadObject", "s3:DeleteObject",
                           "s3:ListObjectsV2"};
    ck_assert_int_eq(json_array_size(calls), 5);
    for (size_t i = 0; i < 5; i++)
        ck_assert_str_eq(json_string_value(json_object_get(json_array_get(calls, i), "call")),
                         names[i]);
    json_t *put_params = json_object_get(json_array_get(calls, 1), "params");
    ck_assert_str_eq(json_string_value(json_object_get(put_params, "Key")), "dir/a b.txt");
    ck_assert_str_eq(json_string_value(json_object_get(put_params, "BodyBase64")), "AQI=");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(put_params, "Metadata"),
                                                       "owner")), "ada");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_array_get(calls, 4),
                                                                       "params"), "Prefix")), "a");
    json_decref(calls);
}
END_TEST

START_TEST(an_aws_chunked_upload_is_decoded)
{
    char id[LC_AWS_SCOPE_SIZE], prefix[64], path[200];
    open_scope("[{\"call\": \"s3:PutObject\"}]", id, prefix, sizeof prefix);
    const char *h[] = {AUTH("s3"), "Content-Encoding: aws-chunked",
                       "x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER", NULL};
    const char *body = "5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n";
    snprintf(path, sizeof path, "%s/bkt/k", prefix);
    http_reply r = http_call(port, "PUT", path, body, strlen(body), h, 0);
    ck_assert_int_eq(r.status, 200);
    http_reply_free(&r);
    json_t *calls = calls_of(id);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_array_get(calls, 0),
                                                                       "params"), "Body")),
                     "hello world");
    json_decref(calls);
}
END_TEST

START_TEST(a_lambda_invoke_answers_its_payload_and_function_error)
{
    char id[LC_AWS_SCOPE_SIZE], prefix[64], path[200], v[100];
    open_scope("[{\"call\": \"lambda:Invoke\", \"match\": {\"FunctionName\": \"billing\"}, "
               "\"respond\": {\"Payload\": {\"errorMessage\": \"no\"}, \"FunctionError\": \"Unhandled\"}}]",
               id, prefix, sizeof prefix);
    const char *h[] = {AUTH("lambda"), "X-Amz-Invocation-Type: RequestResponse", NULL};
    snprintf(path, sizeof path, "%s/2015-03-31/functions/billing/invocations", prefix);
    http_reply r = http_call(port, "POST", path, "{\"a\": 1}", 8, h, 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(http_header(&r, "X-Amz-Function-Error", v, sizeof v), "Unhandled");
    ck_assert_str_eq(r.body, "{\"errorMessage\":\"no\"}");
    http_reply_free(&r);
    json_t *calls = calls_of(id);
    json_t *params = json_object_get(json_array_get(calls, 0), "params");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(params, "Payload"), "a")), 1);
    json_decref(calls);
}
END_TEST

START_TEST(sqs_answers_get_the_md5_the_sdks_verify)
{
    char id[LC_AWS_SCOPE_SIZE], prefix[64];
    open_scope("[{\"call\": \"sqs:SendMessage\", \"respond\": {\"MessageId\": \"m\"}}]", id, prefix,
               sizeof prefix);
    http_reply r = json_call(prefix, "sqs", "AmazonSQS.SendMessage",
                             "{\"QueueUrl\": \"q\", \"MessageBody\": \"hello\"}");
    /* md5("hello") */
    ck_assert_ptr_nonnull(strstr(r.body, "\"MD5OfMessageBody\":\"5d41402abc4b2a76b9719d911017c592\""));
    http_reply_free(&r);
}
END_TEST

START_TEST(scopes_keep_their_calls_apart)
{
    char a[LC_AWS_SCOPE_SIZE], b[LC_AWS_SCOPE_SIZE], pa[64], pb[64];
    open_scope("[{\"call\": \"sts:GetCallerIdentity\", \"respond\": {\"Account\": \"111\"}}]", a,
               pa, sizeof pa);
    open_scope(NULL, b, pb, sizeof pb);
    http_reply r = json_call(pa, "dynamodb", "DynamoDB_20120810.ListTables", "{}");
    http_reply_free(&r);
    r = json_call(pb, "dynamodb", "DynamoDB_20120810.ListTables", "{}");
    http_reply_free(&r);
    r = json_call(pb, "dynamodb", "DynamoDB_20120810.ListTables", "{}");
    http_reply_free(&r);
    ck_assert_int_eq(lc_aws_endpoint_call_count(ep, a), 1);
    ck_assert_int_eq(lc_aws_endpoint_call_count(ep, b), 2);
    lc_aws_endpoint_close(ep, a);
    r = json_call(pa, "dynamodb", "DynamoDB_20120810.ListTables", "{}"); /* after its case */
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body, "the case it came from has ended"));
    http_reply_free(&r);
    ck_assert_int_eq(lc_aws_endpoint_call_count(ep, a), 0);
}
END_TEST

/* A file's text (caller frees), NULL when it cannot be read. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char *text = calloc(1, 65536);
    size_t n = fread(text, 1, 65535, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

START_TEST(the_variables_point_every_sdk_at_the_scope)
{
    char id[LC_AWS_SCOPE_SIZE], prefix[64], want[200], path[8600];
    open_scope(NULL, id, prefix, sizeof prefix);
    /* a botocore data folder: a service of the table and one outside it */
    char *data = scratch_dir("botocore");
    scratch_write(data, "ec2/2016-11-15/service-2.json", "{}");
    scratch_write(data, "dynamodb/2012-08-10/service-2.json", "{}");
    json_t *vars = lc_aws_endpoint_variables(ep, id, data, NULL);
    snprintf(want, sizeof want, "%s%s", lc_aws_endpoint_url(ep), prefix);
    ck_assert_str_eq(json_string_value(json_object_get(vars, "AWS_ENDPOINT_URL")), want);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(vars, "HTTPS_PROXY")), id));
    ck_assert_str_eq(json_string_value(json_object_get(vars, "NO_PROXY")), "127.0.0.1,localhost,::1");
    /* the scope's rules for the table's services, then the shared ones for every other */
    char dirs[4200];
    snprintf(dirs, sizeof dirs, "%s", json_string_value(json_object_get(vars, "AWS_DATA_PATH")));
    char *colon = strchr(dirs, ':');
    ck_assert_ptr_nonnull(colon);
    *colon = '\0';
    const char *own = dirs, *shared = colon + 1;
    snprintf(path, sizeof path, "%s/dynamodb/2012-08-10/endpoint-rule-set-1.json", own);
    char *text = slurp(path);
    ck_assert_ptr_nonnull(text);
    json_t *ruleset = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(ruleset); /* a rule set botocore can read */
    json_decref(ruleset);
    ck_assert_ptr_nonnull(strstr(text, want));
    free(text);
    snprintf(path, sizeof path, "%s/s3/2006-03-01/endpoint-rule-set-1.json", own);
    text = slurp(path);
    ck_assert_ptr_nonnull(strstr(text, "{Bucket}"));
    free(text);
    snprintf(path, sizeof path, "%s/ec2/2016-11-15/endpoint-rule-set-1.json", shared);
    text = slurp(path);
    ck_assert_ptr_nonnull(text);
    char bare[200];
    snprintf(bare, sizeof bare, "\"url\": \"%s\"", lc_aws_endpoint_url(ep));
    ck_assert_msg(strstr(text, bare), "%s", text);
    free(text);
    snprintf(path, sizeof path, "%s/dynamodb", shared);
    struct stat st;
    ck_assert_int_ne(stat(path, &st), 0); /* the table's services are the scope's */
    char kept[4300];
    snprintf(kept, sizeof kept, "%s", own);
    json_decref(vars);
    /* a variable the function sets itself is left out */
    json_t *theirs = json_pack("{s:s}", "HTTPS_PROXY", "http://proxy.example:3128");
    vars = lc_aws_endpoint_variables(ep, id, NULL, theirs);
    ck_assert_ptr_null(json_object_get(vars, "HTTPS_PROXY"));
    ck_assert_ptr_null(json_object_get(vars, "AWS_DATA_PATH"));
    ck_assert_ptr_nonnull(json_object_get(vars, "AWS_ENDPOINT_URL"));
    json_decref(vars);
    json_decref(theirs);
    lc_aws_endpoint_close(ep, id);
    ck_assert_int_ne(stat(kept, &st), 0); /* removed with its scope */
    scratch_remove(data);
}
END_TEST

/* A raw exchange: sends text, reads until the peer closes or n bytes came. */
static char *raw(const char *text, size_t want)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(send(fd, text, strlen(text), 0), (ssize_t)strlen(text));
    char *out = calloc(1, 8192);
    size_t got = 0;
    ssize_t n;
    while (got < want && (n = recv(fd, out + got, 8191 - got, 0)) > 0)
        got += (size_t)n;
    close(fd);
    return out;
}

START_TEST(a_tunnel_to_an_aws_host_is_refused_at_once_and_recorded)
{
    char id[LC_AWS_SCOPE_SIZE], prefix[64], req[600];
    open_scope(NULL, id, prefix, sizeof prefix);
    /* Proxy-Authorization Basic "<scope>:" names the scope, as HTTPS_PROXY's user does */
    char cred[64], b64[128];
    snprintf(cred, sizeof cred, "%s:", id);
    lc_buf b;
    lc_buf_init(&b, 0);
    lc_buf_base64_encode(&b, cred, strlen(cred));
    snprintf(b64, sizeof b64, "%s", b.data);
    lc_buf_free(&b);
    snprintf(req, sizeof req,
             "CONNECT dynamodb.us-east-1.amazonaws.com:443 HTTP/1.1\r\n"
             "Host: dynamodb.us-east-1.amazonaws.com:443\r\nProxy-Authorization: Basic %s\r\n\r\n",
             b64);
    char *out = raw(req, 8191);
    ck_assert_msg(strncmp(out, "HTTP/1.1 403 lambdacheck refused a connection to "
                               "dynamodb.us-east-1.amazonaws.com:443", 85) == 0, "%s", out);
    free(out);
    json_t *calls = calls_of(id);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(calls, 0), "host")),
                     "dynamodb.us-east-1.amazonaws.com:443");
    json_decref(calls);
}
END_TEST

static int echo_listener = -1;

static void *echo_once(void *arg)
{
    (void)arg;
    int c = accept(echo_listener, NULL, NULL);
    char buf[64];
    ssize_t n = recv(c, buf, sizeof buf, 0);
    if (n > 0)
        send(c, buf, (size_t)n, 0);
    close(c);
    return NULL;
}

START_TEST(a_tunnel_to_another_host_is_relayed)
{
    echo_listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    ck_assert_int_eq(bind(echo_listener, (struct sockaddr *)&a, sizeof a), 0);
    listen(echo_listener, 1);
    getsockname(echo_listener, (struct sockaddr *)&a, &len);
    pthread_t t;
    pthread_create(&t, NULL, echo_once, NULL);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in e = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&e, sizeof e), 0);
    char req[200], buf[256] = "";
    snprintf(req, sizeof req, "CONNECT 127.0.0.1:%u HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
             (unsigned)ntohs(a.sin_port));
    send(fd, req, strlen(req), 0);
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    ck_assert_int_gt(n, 0);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
    send(fd, "ping", 4, 0);
    memset(buf, 0, sizeof buf);
    n = recv(fd, buf, sizeof buf - 1, 0);
    ck_assert_str_eq(buf, "ping");
    close(fd);
    pthread_join(t, NULL);
    close(echo_listener);
}
END_TEST

/* --- errors ------------------------------------------------------------------------------------ */

START_TEST(an_unsigned_request_gets_a_clear_error)
{
    char id[LC_AWS_SCOPE_SIZE], prefix[64], path[100];
    open_scope(NULL, id, prefix, sizeof prefix);
    snprintf(path, sizeof path, "%s/", prefix);
    http_reply r = http_call(port, "POST", path, "{}", 2, NULL, 0);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body, "LambdacheckBadRequest"));
    ck_assert_ptr_nonnull(strstr(r.body, "the request is not signed"));
    http_reply_free(&r);
    json_t *calls = calls_of(id);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(json_array_get(calls, 0),
                                                                   "problem")), "not signed"));
    json_decref(calls);
}
END_TEST

START_TEST(garbled_requests_get_clear_errors)
{
    char id[LC_AWS_SCOPE_SIZE], prefix[64], path[100];
    open_scope(NULL, id, prefix, sizeof prefix);
    snprintf(path, sizeof path, "%s/", prefix);
    struct {
        const char *headers[4];
        const char *body;
        const char *says;
    } cases[] = {
        {{"Authorization: AWS4-HMAC-SHA256 Credential=garbage, Signature=1", NULL}, "{}",
         "is not KEY/DATE/REGION/SERVICE/aws4_request"},
        {{"Authorization: Basic Zm9vOmJhcg==", NULL}, "{}", "is not SigV4"},
        {{AUTH("quantumdb"), "X-Amz-Target: Q.Go", NULL}, "{}",
         "lambdacheck: cannot stub calls to the AWS service \\\"quantumdb\\\" (the signature's "
         "scope): it stubs dynamodb, sqs, s3"},
        {{AUTH("dynamodb"), "X-Amz-Target: DynamoDB_20120810.GetItem", NULL}, "[1, 2]",
         "the body is not a JSON object"},
        {{AUTH("dynamodb"), "X-Amz-Target: DynamoDB_20120810.GetItem", NULL}, "{\"a\": ",
         "the body is not a JSON object"},
        {{AUTH("dynamodb"), "X-Amz-Target: DynamoDB_20120810.Explode", NULL}, "{}",
         "dynamodb has no operation Explode"},
        {{AUTH("dynamodb"), "X-Amz-Target: AmazonSQS.SendMessage", NULL}, "{}",
         "is not an operation of dynamodb"},
        {{AUTH("dynamodb"), "X-Amz-Target: nodot", NULL}, "{}", "is not PREFIX.Operation"},
        {{AUTH("sns"), "Content-Type: application/x-www-form-urlencoded", NULL}, "Version=1",
         "has no Action"},
        {{AUTH("sns"), "Content-Type: text/plain", NULL}, "", "names no operation"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        http_reply r = http_call(port, "POST", path, cases[i].body, strlen(cases[i].body),
                                 cases[i].headers, 0);
        ck_assert_msg(r.status == 400 && strstr(r.body, cases[i].says), "case %zu: %ld %s", i,
                      r.status, r.body);
        http_reply_free(&r);
    }
    const char *s3[] = {AUTH("s3"), NULL};
    snprintf(path, sizeof path, "%s/bkt?acl", prefix);
    http_reply r = http_call(port, "GET", path, NULL, 0, s3, 0);
    ck_assert_ptr_nonnull(strstr(r.body, "cannot tell which S3 operation"));
    http_reply_free(&r);
    const char *lambda[] = {AUTH("lambda"), NULL};
    snprintf(path, sizeof path, "%s/2015-03-31/event-source-mappings/", prefix);
    r = http_call(port, "GET", path, NULL, 0, lambda, 0);
    ck_assert_ptr_nonnull(strstr(r.body, "cannot tell which Lambda operation"));
    http_reply_free(&r);
}
END_TEST

/* Found by fuzz_aws_endpoint: a query key that is not UTF-8 freed the structure being built
 * (a use after free), and an error code that is not UTF-8 leaked its answer. */
START_TEST(bytes_that_are_not_utf8_are_kept_safely)
{
    char id[LC_AWS_SCOPE_SIZE], prefix[64], path[100];
    open_scope(NULL, id, prefix, sizeof prefix);
    snprintf(path, sizeof path, "%s/", prefix);
    const char *h[] = {AUTH("sns"), "Content-Type: application/x-www-form-urlencoded", NULL};
    const char *form = "Action=Publish&%FF.1.a=v&a.%FE.1=w&b.1.%FF=%FE";
    http_reply r = http_call(port, "POST", path, form, strlen(form), h, 0);
    ck_assert_int_eq(r.status, 400); /* no stub */
    http_reply_free(&r);
    const char *bad[] = {AUTH("dynamodb"), "X-Amz-Target: \xff\xfe.Get\xff", NULL};
    r = http_call(port, "POST", path, "{}", 2, bad, 0);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body, "LambdacheckBadRequest"));
    http_reply_free(&r);
    json_t *calls = calls_of(id);
    ck_assert_int_eq(json_array_size(calls), 2);
    for (size_t i = 0; i < 2; i++) /* named, in UTF-8 */
        ck_assert_ptr_nonnull(json_string_value(json_object_get(json_array_get(calls, i), "call")));
    char *text = json_dumps(calls, 0);
    ck_assert_ptr_nonnull(text);
    free(text);
    json_decref(calls);
}
END_TEST

/* The message lc_aws_stubs_validate gives for stubs (JSON text). */
static void refused(const char *text, const char *says)
{
    json_t *s = json_loads(text, 0, NULL);
    ck_assert_msg(s != NULL, "bad test JSON: %s", text);
    lc_error err = {0};
    ck_assert_int_eq(lc_aws_stubs_validate(s, "cases/x/case.json", "aws", &err), LC_EINVAL);
    ck_assert_msg(strstr(err.message, says), "%s: %s", text, err.message);
    ck_assert_str_eq(err.source, "cases/x/case.json");
    json_decref(s);
}

START_TEST(bad_stubs_are_refused_naming_the_stub)
{
    refused("{}", "aws must be a list of stubs");
    refused("[1]", "aws[0] must be an object");
    refused("[{\"respond\": {}}]", "aws[0].call is missing");
    refused("[{\"call\": \"GetItem\"}]", "aws[0].call \"GetItem\" is not SERVICE:Operation");
    refused("[{\"call\": \"dynamo:GetItem\"}]",
            "aws[0].call: lambdacheck does not know the service \"dynamo\" (did you mean dynamodb?) "
            "(it knows dynamodb, sqs");
    refused("[{\"call\": \"stepfunctions:StartExecution\"}]", "(did you mean states?)");
    refused("[{\"call\": \"SNS:Publish\"}]", "(did you mean sns?)");
    refused("[{\"call\": \"dynamodb:GetItme\"}]",
            "aws[0].call: dynamodb has no operation \"GetItme\" (did you mean GetItem?)");
    refused("[{\"call\": \"s3:CreateBucket\"}]", "lambdacheck cannot tell s3:CreateBucket from its "
                                                  "request; the s3 operations it stubs are GetObject");
    refused("[{}, {\"call\": \"sqs:SendMessage\", \"match\": \"QueueUrl\"}]", "aws[0].call is missing");
    refused("[{\"call\": \"sqs:SendMessage\", \"match\": \"QueueUrl\"}]",
            "aws[0].match must be an object");
    refused("[{\"call\": \"sqs:SendMessage\", \"respond\": \"ok\"}]",
            "aws[0]: respond must be an object: the operation's result, written as JSON");
    refused("[{\"call\": \"sqs:SendMessage\", \"respond\": {}, \"error\": {\"code\": \"X\"}}]",
            "has both respond and error");
    refused("[{\"call\": \"sqs:SendMessage\", \"error\": {\"message\": \"m\"}}]",
            "aws[0].error.code must be the error's code");
    refused("[{\"call\": \"sqs:SendMessage\", \"error\": {\"code\": \"X\", \"status\": 200}}]",
            "aws[0].error.status must be an HTTP error status");
    refused("[{\"call\": \"sqs:SendMessage\", \"times\": 0}]", "aws[0].times must be a positive");
    refused("[{\"call\": \"sqs:SendMessage\", \"answer\": {}}]", "aws[0].answer: unknown field");
    refused("[{\"call\": \"s3:GetObject\", \"respond\": {\"BodyBase64\": \"!!\"}}]",
            "respond.BodyBase64 is not base64");
    refused("[{\"call\": \"s3:GetObject\", \"respond\": {\"Body\": 5}}]", "respond.Body must be a string");
    refused("[{\"call\": \"lambda:Invoke\", \"respond\": {\"StatusCode\": 500}}]",
            "respond.StatusCode must be 200, 202 or 204");
    refused("[{\"call\": \"dynamodb:Scan\", \"respond\": {\"items\": []}}]",
            "aws[0]: respond.items: Scan's result has no member items (did you mean Items?)");
    refused("[{\"call\": \"sqs:SendMessage\", \"respond\": {\"MessageID\": \"m\"}}]",
            "(did you mean MessageId?)");
    refused("[{\"call\": \"dynamodb:GetItem\", \"respond\": {\"Item\": {\"id\": \"42\"}}}]",
            "aws[0]: respond.Item is not an item of AttributeValues: DynamoDB's wire has type "
            "descriptors");
    refused("[{\"call\": \"dynamodb:Query\", \"respond\": {\"Items\": [{\"id\": {\"Q\": \"1\"}}]}}]",
            "respond.Items holds an item that is not of AttributeValues");
    /* and the right shapes pass, nested ones and members outside the 2022 models included */
    json_t *ok = json_loads("[{\"call\": \"dynamodb:Query\", \"respond\": {\"Items\": [{\"id\": {\"S\": "
                            "\"1\"}, \"tags\": {\"SS\": [\"a\"]}, \"m\": {\"M\": {\"x\": {\"N\": \"1\"}}}, "
                            "\"l\": {\"L\": [{\"BOOL\": true}, {\"NULL\": true}]}}], \"Count\": 1, "
                            "\"SomeNewMember\": 1}}]", 0, NULL);
    lc_error err = {0};
    ck_assert_msg(lc_aws_stubs_validate(ok, "c", "aws", &err) == LC_OK, "%s", err.message);
    json_decref(ok);
}
END_TEST

START_TEST(a_stubs_file_that_is_not_json_is_named)
{
    char *dir = scratch_dir("stubs");
    char path[600];
    snprintf(path, sizeof path, "%s", scratch_write(dir, "stubs.json", "[{\"call\": "));
    json_t *out = NULL;
    lc_error err = {0};
    ck_assert_int_eq(lc_aws_stubs_load(path, &out, &err), LC_EINVAL);
    ck_assert_str_eq(err.source, path);
    ck_assert_ptr_nonnull(strstr(err.message, "the stubs file cannot be read as JSON"));
    lc_error missing = {0};
    ck_assert_int_eq(lc_aws_stubs_load("/nonexistent/stubs.json", &out, &missing), LC_ENOTFOUND);
    ck_assert_str_eq(missing.source, "/nonexistent/stubs.json");
    scratch_remove(dir);
}
END_TEST

/* --- limits ------------------------------------------------------------------------------------ */

START_TEST(a_huge_body_is_refused_and_a_deep_one_is_an_error)
{
    char id[LC_AWS_SCOPE_SIZE], prefix[64];
    open_scope(NULL, id, prefix, sizeof prefix);
    size_t n = 20u * 1024 * 1024;
    char *big = malloc(n);
    memset(big, 'a', n);
    http_reply r = json_call(prefix, "dynamodb", "DynamoDB_20120810.PutItem", "{}");
    http_reply_free(&r);
    char auth[200];
    snprintf(auth, sizeof auth, "%s", AUTH("s3"));
    const char *h[] = {auth, NULL};
    char path[100];
    snprintf(path, sizeof path, "%s/bkt/big", prefix);
    r = http_call(port, "PUT", path, big, n, h, 0);
    ck_assert_int_eq(r.status, 413);
    ck_assert_ptr_nonnull(strstr(r.body, "lambdacheck's AWS endpoint"));
    http_reply_free(&r);
    free(big);
    size_t depth = 100000;
    char *deep = malloc(depth + 1);
    memset(deep, '[', depth);
    deep[depth] = '\0';
    r = json_call(prefix, "dynamodb", "DynamoDB_20120810.PutItem", deep);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body, "the body is not a JSON object"));
    http_reply_free(&r);
    free(deep);
}
END_TEST

START_TEST(calls_past_the_cap_are_counted_not_kept)
{
    char id[LC_AWS_SCOPE_SIZE], prefix[64];
    open_scope("[{\"call\": \"sqs:SendMessage\"}]", id, prefix, sizeof prefix);
    for (int i = 0; i < LC_AWS_MAX_CALLS + 5; i++) {
        http_reply r = json_call(prefix, "sqs", "AmazonSQS.SendMessage", "{\"QueueUrl\": \"q\"}");
        ck_assert_int_eq(r.status, 200);
        http_reply_free(&r);
    }
    ck_assert_int_eq(lc_aws_endpoint_call_count(ep, id), LC_AWS_MAX_CALLS + 5);
    json_t *calls = calls_of(id);
    ck_assert_int_eq(json_array_size(calls), LC_AWS_MAX_CALLS);
    json_decref(calls);
}
END_TEST

Suite *aws_endpoint_suite(void)
{
    Suite *s = suite_create("aws_endpoint");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, start, stop);
    tcase_add_test(core, a_json_call_is_read_and_answered_by_its_stub);
    tcase_add_test(core, the_first_stub_that_matches_answers);
    tcase_add_test(core, a_stub_answers_as_many_times_as_it_says);
    tcase_add_test(core, an_unstubbed_call_is_a_client_error_naming_it_and_how_to_stub_it);
    tcase_add_test(core, a_stub_that_does_not_match_says_where_it_differs);
    tcase_add_test(core, stubbed_errors_take_each_protocols_shape);
    tcase_add_test(core, query_calls_are_unflattened_and_answered_in_xml);
    tcase_add_test(core, sqs_query_calls_take_the_api_shapes_both_ways);
    tcase_add_test(core, sns_maps_are_entries_of_key_and_value);
    tcase_add_test(core, s3_object_calls_are_told_apart_and_answered);
    tcase_add_test(core, an_aws_chunked_upload_is_decoded);
    tcase_add_test(core, a_lambda_invoke_answers_its_payload_and_function_error);
    tcase_add_test(core, sqs_answers_get_the_md5_the_sdks_verify);
    tcase_add_test(core, scopes_keep_their_calls_apart);
    tcase_add_test(core, the_variables_point_every_sdk_at_the_scope);
    tcase_add_test(core, a_tunnel_to_an_aws_host_is_refused_at_once_and_recorded);
    tcase_add_test(core, a_tunnel_to_another_host_is_relayed);
    suite_add_tcase(s, core);
    TCase *errors = tcase_create("errors");
    tcase_add_checked_fixture(errors, start, stop);
    tcase_add_test(errors, an_unsigned_request_gets_a_clear_error);
    tcase_add_test(errors, garbled_requests_get_clear_errors);
    tcase_add_test(errors, bytes_that_are_not_utf8_are_kept_safely);
    tcase_add_test(errors, bad_stubs_are_refused_naming_the_stub);
    tcase_add_test(errors, a_stubs_file_that_is_not_json_is_named);
    suite_add_tcase(s, errors);
    TCase *limits = tcase_create("limits");
    tcase_add_checked_fixture(limits, start, stop);
    tcase_set_timeout(limits, 60);
    tcase_add_test(limits, a_huge_body_is_refused_and_a_deep_one_is_an_error);
    tcase_add_test(limits, calls_past_the_cap_are_counted_not_kept);
    suite_add_tcase(s, limits);
    return s;
}
