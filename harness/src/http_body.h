/* Private to the library: collecting a request body in a libmicrohttpd access handler, with a
 * cap (the Runtime API and the Invoke API both need it). */
#ifndef LC_HTTP_BODY_H
#define LC_HTTP_BODY_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "lambdacheck/buf.h"

typedef struct {
    lc_buf body; /* the bytes kept, up to the cap */
    size_t size; /* the bytes received, kept or not: more than the cap means answer 413 */
} lc__http_body;

/* Call first in an access handler with its arguments. Returns true while the call is only about
 * the body (the handler then returns *result); false once the whole body is in, with *body set
 * for the handler to answer. */
bool lc__http_body_collect(void **con_cls, size_t cap, const char *data, size_t *data_size,
                           lc__http_body **body, enum MHD_Result *result);

/* The MHD_OPTION_NOTIFY_COMPLETED callback: frees the body. */
void lc__http_body_free(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode code);

#endif
