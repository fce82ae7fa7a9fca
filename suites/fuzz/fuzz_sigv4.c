/* Fuzz target: checking a SigV4 Authorization header and its canonical request.
 * Input: "METHOD PATH[?QUERY]" line, header lines, a blank line, then the body. */
#include "fuzz.h"

#include <strings.h>

#include "lambdacheck/lambdacheck.h"

typedef struct {
    char *names[32];
    char *values[32];
    int n;
} headers;

static const char *lookup(void *ctx, const char *name)
{
    headers *h = ctx;
    for (int i = 0; i < h->n; i++)
        if (strcasecmp(h->names[i], name) == 0)
            return h->values[i];
    return NULL;
}

static const char *header_at(void *ctx, size_t i, const char **value)
{
    headers *h = ctx;
    if ((int)i >= h->n)
        return NULL;
    *value = h->values[i];
    return h->names[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char *body = strstr(text, "\n\n");
    if (body)
        *body = '\0', body += 2;
    char *line = strtok(text, "\n");
    char method[16] = "POST", path[1024] = "/";
    char *query = "";
    if (line && sscanf(line, "%15s %1023s", method, path) >= 1) {
        char *q = strchr(path, '?');
        if (q)
            *q = '\0', query = q + 1;
    }
    headers h = {.n = 0};
    while ((line = strtok(NULL, "\n")) && h.n < 32) {
        char *colon = strchr(line, ':');
        if (colon == NULL)
            continue;
        *colon = '\0';
        h.names[h.n] = line;
        h.values[h.n++] = colon + 1 + (colon[1] == ' ');
    }
    lc_sigv4_request req = {method, path, query, lookup, &h, body ? body : "",
                            body ? strlen(body) : 0, NULL, header_at};
    lc_sigv4_key key = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1",
                        "lambda", 1795777200000LL, 0};
    const char *type = NULL;
    (void)lc_sigv4_verify(&req, &key, &type, NULL);
    free(text);
    return 0;
}
