#include "http_body.h"

#include <stdlib.h>

bool lc__http_body_collect(void **con_cls, size_t cap, const char *data, size_t *data_size,
                           lc__http_body **body, enum MHD_Result *result)
{
    lc__http_body *b = *con_cls;
    *result = MHD_YES;
    if (b == NULL) { /* the headers are in; the body, if any, comes next */
        b = calloc(1, sizeof *b);
        if (b == NULL) {
            *result = MHD_NO;
            return true;
        }
        lc_buf_init(&b->body, cap);
        *con_cls = b;
        return true;
    }
    if (*data_size > 0) {
        b->size += *data_size; /* past the cap, counted and dropped */
        if (b->size <= cap)
            lc_buf_append(&b->body, data, *data_size);
        else
            lc_buf_free(&b->body);
        *data_size = 0;
        return true;
    }
    *body = b;
    return false;
}

void lc__http_body_free(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)conn;
    (void)code;
    lc__http_body *b = *con_cls;
    if (b) {
        lc_buf_free(&b->body);
        free(b);
        *con_cls = NULL;
    }
}
