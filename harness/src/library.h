/* Private to the runner module: a loaded handler library, shared by library.c (loading and
 * checking manifests and case files) and runner.c (running the cases). */
#ifndef LC_LIBRARY_H
#define LC_LIBRARY_H

#include <limits.h>
#include <stdbool.h>

#include <jansson.h>

#include "lambdacheck/function.h"
#include "lambdacheck/runner.h"

/* One invocation of a case. */
typedef struct {
    char *event;          /* the event as compact JSON text (owned) */
    char type[16];        /* RequestResponse, Event or DryRun */
    bool stream;          /* "stream": true: InvokeWithResponseStream */
    char *client_context; /* compact JSON text (owned), or NULL */
    char *tenant_id;      /* "tenantId" (X-Amz-Tenant-Id) of a function with tenancy (owned), or
                             NULL */
    const json_t *expect; /* borrowed from the case's spec; NULL: none */
    const json_t *http;   /* an HTTP request to one of the library's APIs instead of an
                             invocation: {"api", "method", "path", "headers", "body"}, checked
                             (borrowed from the spec); NULL: an invocation */
    char http_api[256];   /* the API or function URL it goes to: its "api", or the library's
                             only one */
    char *http_body;      /* its body as bytes (owned; NULL: none) */
    struct lc__mapping_case *mapping; /* a mapping run into the function instead of an
                             invocation: the case's "sqs", "kinesis" or "dynamodb", read and
                             checked once (mapping_case.h; owned, borrowing from the case's
                             spec); NULL: none */
    size_t http_body_len;
} lc__step;

typedef struct {
    char id[640];         /* "library/name" */
    char name[512];       /* the case folder's path below its cases folder */
    char path[1024];      /* the case.json */
    char description[512];
    char function[65];
    json_t *spec;               /* the case.json; owns what steps and environment borrow */
    const json_t *environment;  /* variables for this case's environments, or NULL */
    const json_t *event_source; /* the case's "eventSource" mapping settings, or NULL */
    json_t *contracts;          /* contracts turned off: its function's, then its own (owned) */
    json_t *aws_stubs;          /* stubs for its AWS calls: its "aws", its "awsStubsFile", then
                                   the manifest's (owned list, validated; may be empty) */
    bool uses_aws;              /* it has stubs, or an expectation on its AWS calls */
    lc__step *steps;            /* one, or the case's "invocations" */
    size_t n_steps;
    bool selected;
} lc__case;

typedef struct {
    char name[65];
    lc_runtime runtime;  /* the declared or resolved runtime; UNKNOWN when not known */
    lc_function *fn;     /* built for local runs; NULL otherwise */
    char *problem;       /* a template's function that cannot run here: why (owned); a case
                            that names it is a problem, the others run */
    json_t *event_sources; /* its "eventSources" (settings.h), or NULL (owned) */
    json_t *contracts;   /* its "contracts" turned off, or NULL (owned) */
    bool host_credentials; /* it runs with the host's AWS keys: its calls reach AWS */
    char foreign_arch[16]; /* its template's architecture when this machine has another, else
                              "" */
} lc__function;

struct lc_library {
    char name[128];
    char manifest[PATH_MAX];
    char dir[PATH_MAX];  /* the manifest's folder */
    char folders[2048];  /* where cases were looked for */
    lc__function *functions;
    size_t n_functions, cap_functions;
    lc__case *cases;
    size_t n_cases;
    char **problems;
    size_t n_problems;
    char **notes;        /* what the user may want to know but that stops nothing */
    size_t n_notes;
    json_t *env_vars;    /* the manifest's "envVars" file, or NULL */
    json_t *aws_stubs;   /* the manifest's "aws" and "awsStubsFile" stubs (owned list) */
    char aws_endpoint[512]; /* the manifest's "awsEndpoint", or "" */
    json_t *http;        /* the gateway model (gateway.h): its template's APIs and function URLs,
                            then the manifest's "http" (owned; empty lists when none) */
    const char *template_path; /* while a template's function (no manifest entry of its own) is
                                  built: the template, named in its errors (borrowed) */
};

/* The library's function of that name, or NULL. */
const lc__function *lc__library_function(const lc_library *lib, const char *name);

#endif
