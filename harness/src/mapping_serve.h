/* Private to invoke_server.c: lambdacheck's own request to run an event source mapping into a
 * served function, so that a team's integration tests can push messages or records and see what
 * Lambda's mapping would do with the function's answers (README, "Queues and streams").
 *
 * The request body is the object a case gives for its source (mapping_case.h): for "sqs"
 * {"messages": [...], settings...}, for "kinesis" and "dynamodb" {"records": [...], settings...}.
 * The body may also give "eventSource", the mapping's own settings as a case gives them
 * ({"functionResponseTypes": [...], "filters": [...]}). The settings are the body's own, over its
 * eventSource, over the function's mapping for that source (its template's Events or
 * EventSourceMapping and queue, or its manifest's eventSources). Each request is a queue
 * or stream of its own, run until it is drained or the run's bound is reached; each batch is a
 * synchronous invocation of the function, as a poller makes it.
 */
#ifndef LC_MAPPING_SERVE_H
#define LC_MAPPING_SERVE_H

#include <stddef.h>

#include <jansson.h>

#include "lambdacheck/emulator.h"
#include "lambdacheck/error.h"

/* Told of each batch once the function has answered it (r borrowed for the call). */
typedef void (*lc__mapping_batch_done)(void *data, const char *source, const lc_result *r);

typedef struct {
    lc_emulator *em;                 /* borrowed */
    const lc_function *fn;           /* the function the mapping invokes (borrowed, one of em's) */
    const char *source;              /* "sqs", "kinesis" or "dynamodb" */
    const char *sandbox;             /* run in this sandbox of em; NULL: the shared pool */
    lc__mapping_batch_done on_batch; /* may be NULL */
    void *data;                      /* on_batch's */
} lc__mapping_request;

/* True when source names a source a mapping can drain. */
bool lc__mapping_serve_source_known(const char *source);

/* Runs rq's mapping over body (len bytes of JSON). *answer (a new reference) is
 * {"function": name, "source": source, "settings": {the mapping's settings as run}, and the
 * outcome's fields (sqs_mapping.h, stream_mapping.h)}. LC_EJSON for a body that is not JSON
 * (err gives the line and column); LC_EINVAL for one not of the source's shape, or settings out
 * of Lambda's bounds (err names the field); LC_ENOTFOUND for a sandbox that is not open;
 * otherwise the emulator's own error. */
lc_status lc__mapping_serve(const lc__mapping_request *rq, const char *body, size_t len,
                            json_t **answer, lc_error *err);

#endif
