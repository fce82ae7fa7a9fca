/* Private to the event source mapping modules (sqs_mapping.c, stream_mapping.c): settings held to
 * the bounds AWS gives them, each refused by its name. */
#ifndef LC_BOUNDS_H
#define LC_BOUNDS_H

#include <stdbool.h>
#include <stddef.h>

#include "lambdacheck/error.h"

/* A setting: its value must be lo to hi, or else (when else_ok) exactly other: -1 for "no
 * limit", 0 for "none". */
typedef struct {
    const char *name;
    long value, lo, hi;
    bool else_ok;
    long other;
} lc__bound;

/* LC_OK when every setting is within its bounds; else LC_EINVAL naming the first that is not:
 * "maxReceiveCount: 1001 is out of bounds (1 to 1000)". */
static inline lc_status lc__check_bounds(const lc__bound *b, size_t n, const char *where,
                                         lc_error *err)
{
    for (size_t i = 0; i < n; i++) {
        bool other = b[i].else_ok && b[i].value == b[i].other;
        if (other || (b[i].value >= b[i].lo && b[i].value <= b[i].hi))
            continue;
        return lc_error_set(err, LC_EINVAL, where, 0, 0, "%s: %ld is out of bounds (%s%ld to %ld)",
                            b[i].name, b[i].value,
                            b[i].else_ok && b[i].other == -1 ? "-1, or " : "", b[i].lo, b[i].hi);
    }
    return LC_OK;
}

#endif
