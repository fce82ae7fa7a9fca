/* lambdacheck: a place where functions run, behind one interface.
 *
 * Local: the embedded emulator, started in-process with its Invoke API on an ephemeral loopback
 * port, reached through the same libcurl client as a deployed function. Remote: any Invoke API
 * endpoint (deployed functions, another emulator). What only the emulator can see (the journal:
 * a discarded async result, cold starts, the runtime's raw posts) is read in-process on the local
 * target; on a remote target there is none.
 */
#ifndef LAMBDACHECK_TARGET_H
#define LAMBDACHECK_TARGET_H

#include <stdbool.h>

#include "lambdacheck/client.h"
#include "lambdacheck/emulator.h"
#include "lambdacheck/error.h"

typedef struct lc_target lc_target;

/* A local target: a new emulator and its Invoke API server. Caller frees with lc_target_free(). */
lc_status lc_target_new_local(lc_target **out, lc_error *err);

/* A remote target reached with these client options (endpoint, signing, region). */
lc_status lc_target_new_remote(const lc_client_options *opt, lc_target **out, lc_error *err);

/* Stops everything the target started. NULL is a no-op. */
void lc_target_free(lc_target *t);

bool lc_target_is_local(const lc_target *t);

/* The local target's emulator (borrowed until free), for functions and the journal; NULL for a
 * remote target. */
lc_emulator *lc_target_emulator(lc_target *t);

/* The endpoint URL the target's client calls. Borrowed until free. */
const char *lc_target_endpoint(const lc_target *t);

/* Invokes through the Invoke API, on either kind of target (see lc_client_invoke). Thread-safe:
 * each call takes a client (a connection) of its own from a pool. */
lc_status lc_target_invoke(lc_target *t, const lc_invoke_request *req, lc_invoke_response *resp,
                           lc_error *err);

#endif
