/* Fuzz target: the local AWS endpoint. The first byte chooses how:
 *   0  raw bytes to the endpoint's server, one connection (every protocol, CONNECT included:
 *      tunnels are refused, none reaches the network), into a scope whose stubs answer a few
 *      calls of each protocol
 *   1  the bytes as a request read in-process: METHOD, PATH, QUERY, then headers ("Name: value"
 *      lines), then the body, parts cut at "\n@@\n"; the call is read, summarised, and answered
 *      as a result and as an error in its protocol
 *   2  the bytes as a list of stubs: checked; when valid, a scope answers a fixed call with them */
#include "fuzz.h"
#include "fuzz_net.h"

#include <stdio.h>

#include <jansson.h>

#include "../../harness/src/aws_protocol.h"
#include "lambdacheck/lambdacheck.h"

static lc_aws_endpoint *ep;
static char scope[LC_AWS_SCOPE_SIZE];

static uint16_t port_of(const lc_aws_endpoint *e)
{
    return (uint16_t)atoi(strrchr(lc_aws_endpoint_url(e), ':') + 1);
}

static const char stubs_text[] =
    "[{\"call\": \"dynamodb:GetItem\", \"match\": {\"Key\": {\"id\": {\"S\": \"42\"}}},"
    "  \"respond\": {\"Item\": {\"id\": {\"S\": \"42\"}}}},"
    " {\"call\": \"sqs:SendMessage\", \"times\": 2, \"respond\": {\"MessageId\": \"m\"}},"
    " {\"call\": \"sqs:ReceiveMessage\", \"respond\": {\"Messages\": [{\"Body\": \"b\"}]}},"
    " {\"call\": \"sns:Publish\", \"respond\": {\"MessageId\": \"m\", \"List\": [1, {\"a\": \"<&>\"}]}},"
    " {\"call\": \"s3:GetObject\", \"respond\": {\"Body\": \"hello\", \"Metadata\": {\"a\": \"b\"}}},"
    " {\"call\": \"s3:ListObjectsV2\", \"respond\": {\"Contents\": [{\"Key\": \"a\"}]}},"
    " {\"call\": \"s3:ListBuckets\", \"respond\": {\"Buckets\": [{\"Name\": \"a\"}]}},"
    " {\"call\": \"lambda:Invoke\", \"respond\": {\"Payload\": [1], \"FunctionError\": \"Unhandled\"}},"
    " {\"call\": \"kms:Decrypt\", \"error\": {\"code\": \"InvalidCiphertextException\", \"status\": 400}}]";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    lc_aws_endpoint_options o = {.no_tunnels = true};
    json_t *stubs = json_loads(stubs_text, 0, NULL);
    if (stubs == NULL || lc_aws_stubs_validate(stubs, "fuzz", "aws", NULL) != LC_OK ||
        lc_aws_endpoint_start(&o, &ep, NULL) != LC_OK ||
        lc_aws_endpoint_open(ep, stubs, "fuzz", scope, NULL) != LC_OK)
        abort();
    json_decref(stubs);
    return 0;
}

/* Mode 1: a request built from the parts, read and answered without a server. */
static void read_in_process(const uint8_t *data, size_t size)
{
    fuzz_part parts[5];
    fuzz_split(data, size, parts, 5);
    lc__http_field fields[32];
    size_t n = 0;
    char *save = NULL;
    for (char *line = strtok_r(parts[3].text, "\n", &save); line && n < 32;
         line = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(line, ':');
        if (colon == NULL)
            continue;
        *colon = '\0';
        fields[n++] = (lc__http_field){line, colon[1] == ' ' ? colon + 2 : colon + 1};
    }
    lc__http_request req = {.method = parts[0].text, .target = parts[1].text,
                            .path = parts[1].text, .query = parts[2].text, .minor_version = 1,
                            .headers = fields, .n_headers = n};
    req.body.data = parts[4].text;
    req.body.len = parts[4].len;
    req.body_size = parts[4].len;
    lc__aws_call call;
    lc__aws_read(&req, &call);
    char brief[300];
    lc__aws_call_brief(&call, brief, sizeof brief);
    lc__aws_answer a;
    json_t *result = lc__aws_complete_result(&call, call.params);
    lc__aws_render_result(&call, result, "req", &a);
    lc__aws_answer_clear(&a);
    json_decref(result);
    lc__aws_render_error(&call, 0, brief[0] ? brief : "Code", call.problem, "req", &a);
    lc__aws_answer_clear(&a);
    if (call.service && call.operation[0])
        (void)lc__aws_respond_problem(call.service, call.operation, call.params);
    lc__aws_call_clear(&call);
    fuzz_free(parts, 5);
}

/* Mode 2: the bytes as stubs. */
static void stubs_from(const uint8_t *data, size_t size)
{
    json_t *stubs = json_loadb((const char *)data, size, 0, NULL);
    char id[LC_AWS_SCOPE_SIZE];
    if (stubs && lc_aws_stubs_validate(stubs, "fuzz", "aws", NULL) == LC_OK &&
        lc_aws_endpoint_open(ep, stubs, "fuzz", id, NULL) == LC_OK) {
        char request[600];
        int len = snprintf(request, sizeof request,
                           "POST /_lc/%s/ HTTP/1.1\r\nHost: x\r\nX-Amz-Target: "
                           "DynamoDB_20120810.GetItem\r\nAuthorization: AWS4-HMAC-SHA256 "
                           "Credential=A/20260101/us-east-1/dynamodb/aws4_request, Signature=0\r\n"
                           "Content-Length: 46\r\n\r\n{\"TableName\":\"t\",\"Key\":{\"id\":{\"S\":\"42\"}}}",
                           id);
        fuzz_exchange(port_of(ep), (const uint8_t *)request,
                      (size_t)len, 200);
        json_decref(lc_aws_endpoint_calls(ep, id, 0));
        lc_aws_endpoint_close(ep, id);
    }
    json_decref(stubs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0] % 3) {
    case 0:
        fuzz_exchange(port_of(ep), data + 1, size - 1, 200);
        break;
    case 1:
        read_in_process(data + 1, size - 1);
        break;
    default:
        stubs_from(data + 1, size - 1);
        break;
    }
    return 0;
}
