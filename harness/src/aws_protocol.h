/* Private to the library: the wire protocols of the AWS services the local AWS endpoint answers
 * (aws_endpoint.c). Pure functions, no I/O: a request as received becomes a call (which service,
 * which operation, its parameters as JSON), and a stub's answer written as JSON becomes a response
 * in the protocol the caller spoke, so that the caller's SDK parses it as AWS's own.
 *
 * How a request names its call:
 *   service    the SigV4 credential scope (Authorization header, or X-Amz-Credential of a
 *              presigned URL): .../<region>/<service>/aws4_request
 *   operation  JSON protocols: X-Amz-Target "<prefix>.<Operation>"; query protocol: the form's
 *              Action; REST protocols (S3, Lambda): the method and the path
 * Sources: the AWS JSON 1.0/1.1, query and REST-XML protocol specifications of Smithy
 * (https://smithy.io/2.0/aws/protocols/index.html) and the services' API references. */
#ifndef LC_AWS_PROTOCOL_H
#define LC_AWS_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "http_server.h"

typedef enum {
    LC__AWS_JSON,      /* awsJson1_0 / awsJson1_1: POST /, X-Amz-Target, JSON both ways */
    LC__AWS_QUERY,     /* awsQuery: a form with Action; answers in XML */
    LC__AWS_REST_XML,  /* S3 */
    LC__AWS_REST_JSON, /* Lambda */
} lc__aws_protocol;

typedef struct {
    const char *name;          /* the signing name, also IAM's prefix: "dynamodb", "states" */
    const char *model;         /* the model's folder name ("stepfunctions"), for botocore */
    const char *api_version;   /* the model's API version ("2012-08-10") */
    lc__aws_protocol protocol; /* the protocol its current SDKs speak */
    const char *target_prefix; /* JSON protocols: X-Amz-Target's prefix; else NULL */
    const char *json_version;  /* JSON protocols: "1.0" or "1.1"; else NULL */
    const char *xmlns;         /* XML answers: the namespace; else NULL */
    const char *operations;    /* " Op1 Op2 ... ": every operation of the service's model */
} lc__aws_service;

/* Lookups in the table (aws_services.c). NULL when unknown. */
const lc__aws_service *lc__aws_service_named(const char *name);
const lc__aws_service *lc__aws_service_by_target(const char *prefix, size_t len);
bool lc__aws_service_has(const lc__aws_service *s, const char *operation);
size_t lc__aws_service_count(void);
const lc__aws_service *lc__aws_service_at(size_t i);

/* Whether lambdacheck can tell this operation from its request: every operation of the JSON and
 * query protocols; for S3 and Lambda the ones listed in lc__aws_rest_operations. */
bool lc__aws_operation_supported(const lc__aws_service *s, const char *operation);
/* The REST operations told apart, as a sentence ("GetObject, PutObject, ..."). */
const char *lc__aws_rest_operations(const lc__aws_service *s);

/* Largest body kept of a call (an S3 object): more is refused with 413 by the server. */
#define LC__AWS_MAX_BODY (16u * 1024 * 1024)

/* One call, as read from its request. */
typedef struct {
    char scope[40];                 /* the scope the endpoint URL's path names ("/_lc/<scope>/..."),
                                       "" when none */
    char service_name[64];          /* as signed; "" when unsigned */
    const lc__aws_service *service; /* NULL when unknown */
    lc__aws_protocol protocol;      /* the one the request speaks (SQS: JSON or query) */
    char json_version[4];           /* of a JSON request: "1.0" / "1.1" */
    char operation[128];            /* "" when it could not be told */
    char call[200];                 /* "service:Operation" ("" when not told) */
    json_t *params;                 /* owned: an object (never NULL after lc__aws_read) */
    char problem[512];              /* why the call cannot be answered as asked ("" when it can):
                                       unsigned, unknown service, a body that does not parse, ... */
} lc__aws_call;

/* Reads req into call (cleared first). Never fails: what cannot be understood is said in
 * call->problem. call->params is owned: lc__aws_call_clear frees it. */
void lc__aws_read(const lc__http_request *req, lc__aws_call *call);
void lc__aws_call_clear(lc__aws_call *call);

/* A few identifying parameters of the call, as "TableName=orders, Key.id.S=42" (for messages);
 * "" when it has none. Writes at most size bytes. */
void lc__aws_call_brief(const lc__aws_call *call, char *out, size_t size);

/* An answer ready to send. */
typedef struct {
    int status;
    char *headers[12]; /* owned "Name: value" lines, NULL-terminated */
    char *body;        /* owned */
    size_t body_len;
} lc__aws_answer;

void lc__aws_answer_clear(lc__aws_answer *a);

/* The answer of a stub's "respond" (an object; NULL as {}), in the call's protocol. */
void lc__aws_render_result(const lc__aws_call *call, const json_t *respond, const char *request_id,
                           lc__aws_answer *out);

/* An error answer: status 0 picks the one the service uses for code. */
void lc__aws_render_error(const lc__aws_call *call, int status, const char *code,
                          const char *message, const char *request_id, lc__aws_answer *out);

/* The result a stub's respond gives for this call, with what the SDKs check filled in where the
 * stub leaves it out: SQS's MD5OfMessageBody / MD5OfBody (the JavaScript SDK verifies them) of
 * SendMessage, SendMessageBatch and ReceiveMessage. A new reference; respond NULL is {}. */
json_t *lc__aws_complete_result(const lc__aws_call *call, const json_t *respond);

/* The name in names (" A B C ") closest to given, fewer than limit edits away (letters compared
 * without case), into out; false, out "", when none is. */
bool lc__aws_closest(const char *names, const char *given, size_t limit, char *out, size_t size);

/* The members of an operation's result, " A B C " (aws_outputs.c); NULL when not known. */
const char *lc__aws_output_members(const char *service, const char *operation);

/* Whether a stub's respond fits the call's operation: NULL when it does, else why not (a static
 * sentence). S3 GetObject's BodyBase64 must be base64, and so on. */
const char *lc__aws_respond_problem(const lc__aws_service *s, const char *operation,
                                    const json_t *respond);

#endif
