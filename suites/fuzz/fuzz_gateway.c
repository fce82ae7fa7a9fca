/* Fuzz target: the gateway's request handling, driven in-process: raw bytes to an API's port
 * (routing, stages, CORS preflights, authorizers, event building) and, since the functions
 * answer with the request's own body, any response to map back (statusCode, headers, cookies,
 * base64 bodies, malformed proxy responses). The first byte chooses the front: a REST API, an
 * HTTP API, or a function URL; an Authorization header reaches an authorizer that answers with
 * it. */
#include "fuzz.h"
#include "fuzz_net.h"

#include <stdio.h>
#include <string.h>

#include "lambdacheck/lambdacheck.h"

#define GW LC_FIXTURES_DIR "/functions/gateway"

static lc_emulator *em;
static lc_gateway *gw;
static uint16_t ports[3];

static void add_function(const char *name, const char *handler)
{
    lc_function_config c = {.name = name, .handler = handler, .code_dir = GW, .timeout_ms = 1000,
                            .concurrency = 4};
    lc_function *fn;
    if (lc_function_new(&c, &fn, NULL) != LC_OK || lc_emulator_add_function(em, fn, NULL) != LC_OK)
        abort();
}

static const char model_text[] =
    "{\"apis\": [{\"name\": \"Rest\", \"type\": \"REST\", \"stage\": \"s\","
    " \"binaryMediaTypes\": [\"image/*\"], \"stageVariables\": {\"v\": \"1\"},"
    " \"cors\": {\"allowOrigins\": [\"https://a.example\"], \"allowMethods\": [\"GET\"]},"
    " \"authorizers\": {\"T\": {\"function\": \"auth\", \"type\": \"TOKEN\","
    "   \"identitySource\": [\"method.request.header.Authorization\"]},"
    "  \"R\": {\"function\": \"auth\", \"type\": \"REQUEST\","
    "   \"identitySource\": [\"method.request.header.Authorization\", "
    "\"method.request.querystring.q\"]}},"
    " \"routes\": [{\"method\": \"ANY\", \"path\": \"/{proxy+}\", \"function\": \"answer\"},"
    "  {\"method\": \"POST\", \"path\": \"/a/{b}/c\", \"function\": \"answer\"},"
    "  {\"method\": \"GET\", \"path\": \"/t\", \"function\": \"answer\", \"authorizer\": \"T\"},"
    "  {\"method\": \"GET\", \"path\": \"/r\", \"function\": \"answer\", \"authorizer\": \"R\"}]},"
    " {\"name\": \"Http\", \"type\": \"HTTP\","
    "  \"cors\": {\"allowOrigins\": [\"*\"], \"allowMethods\": [\"*\"], \"allowHeaders\": [\"*\"]},"
    "  \"authorizers\": {\"S\": {\"function\": \"auth\", \"type\": \"REQUEST\","
    "   \"identitySource\": [\"$request.header.Authorization\"], \"payloadFormatVersion\": \"2.0\","
    "   \"simpleResponses\": true}},"
    "  \"routes\": [{\"method\": \"GET\", \"path\": \"/s\", \"function\": \"answer\", "
    "\"authorizer\": \"S\"},"
    "   {\"method\": \"POST\", \"path\": \"/v1\", \"function\": \"answer\", "
    "\"payloadFormatVersion\": \"1.0\"},"
    "   {\"path\": \"$default\", \"function\": \"answer\"}]}],"
    " \"functionUrls\": [{\"function\": \"answer\", \"cors\": {\"allowOrigins\": [\"*\"]}}]}";

static uint16_t port_of(const json_t *url)
{
    const char *s = json_string_value(url);
    return (uint16_t)atoi(strrchr(s, ':') + 1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (lc_emulator_new(NULL, &em, NULL) != LC_OK)
        abort();
    add_function("answer", "gw.answer");
    add_function("auth", "gw.answer_authorizer");
    json_t *model = json_loads(model_text, 0, NULL);
    lc_error err = {0};
    if (model == NULL || lc_gateway_start(em, model, NULL, &gw, &err) != LC_OK) {
        fprintf(stderr, "fuzz_gateway: %s\n", err.message);
        abort();
    }
    json_decref(model);
    json_t *ep = lc_gateway_endpoints(gw);
    ports[0] = port_of(json_object_get(json_object_get(ep, "apis"), "Rest"));
    ports[1] = port_of(json_object_get(json_object_get(ep, "apis"), "Http"));
    ports[2] = port_of(json_object_get(json_object_get(ep, "functionUrls"), "answer"));
    json_decref(ep);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    fuzz_exchange(ports[data[0] % 3], data + 1, size - 1, 3000);
    return 0;
}
