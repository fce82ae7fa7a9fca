/* lambdacheck: Lambda's event filtering, the FilterCriteria of an event source mapping.
 *
 * A pattern is a JSON object shaped like the record it filters: each key names a field, and its
 * value is either a nested pattern (an object) or a list of rules, any one of which the field
 * must satisfy; every key of a pattern must hold. Rules: a literal (string, number, true, false,
 * null; "" for the empty string), {"equals-ignore-case": S}, {"prefix": S}, {"suffix": S},
 * {"anything-but": V or [V, ...]}, {"numeric": [OP, N]} or a range {"numeric": [">", A, "<=", B]},
 * {"exists": true|false}; "$or": [pattern, pattern, ...] holds when one of them does. A field
 * whose value is a list holds when one of its elements does. A mapping's filters are ORed: a
 * record reaches the function when one of them matches; SQS deletes the others, streams skip them.
 * Source: https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html
 *
 * Records are matched as Lambda sees them (lc_event_filter_view): an SQS body that is JSON is
 * matched as JSON, a Kinesis record's data is decoded from base64 (and matched as JSON when it is).
 *
 * Pure functions: no I/O. */
#ifndef LAMBDACHECK_EVENT_FILTER_H
#define LAMBDACHECK_EVENT_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/error.h"

/* Longest pattern Lambda takes, in characters (FilterCriteria's Pattern). */
#define LC_FILTER_PATTERN_MAX 4096
/* Filters a mapping may have: five by default, ten with a raised quota. */
#define LC_FILTER_MAX 10

typedef struct lc_event_filter lc_event_filter;

/* Parses and checks one pattern (JSON text): an object whose values are rule lists or patterns,
 * known operators with values of their types, numeric ranges whose bounds are in order, at most
 * LC_FILTER_PATTERN_MAX characters. Errors name where ("filters[0]") and the path in the pattern
 * ("body.status[1]"). Caller frees with lc_event_filter_free(). */
lc_status lc_event_filter_parse(const char *pattern, const char *where, lc_event_filter **out,
                                lc_error *err);

void lc_event_filter_free(lc_event_filter *f);

/* True when the record (as lc_event_filter_view gives it) matches. When it does not and why is
 * not NULL, why gets the first field that did not hold and how ("body.status: \"open\" is none
 * of [\"closed\"]"). */
bool lc_event_filter_match(const lc_event_filter *f, const json_t *record, lc_buf *why);

/* Whether Lambda takes the pattern for a mapping of this source (a record's eventSource, e.g.
 * "aws:kinesis"): a stream's data (Kinesis "data", DynamoDB "dynamodb") must be filtered with a
 * JSON object; Lambda refuses the mapping otherwise. LC_EINVAL naming where. */
lc_status lc_event_filter_check_source(const lc_event_filter *f, const char *event_source,
                                       const char *where, lc_error *err);

/* The record as Lambda's filters see it: for SQS (eventSource aws:sqs) a body that is a JSON
 * object or list is parsed; for Kinesis (aws:kinesis) the record's kinesis object, its data
 * decoded from base64 and parsed when it is JSON; any other record as it is. A JSON pattern for a
 * body or data that is not JSON, or a list of rules for one that is, matches nothing: Lambda
 * drops such records. A new reference. *data_is_json (may be NULL) says
 * whether the body or data was JSON. */
json_t *lc_event_filter_view(const json_t *record, bool *data_is_json);

/* Whether a mapping with these n filters sends the record (an event's record, as Lambda builds
 * it) to the function: true when n is 0 or one of them matches the record as Lambda sees it. */
bool lc_event_filter_any(const lc_event_filter *const *filters, size_t n, const json_t *record);

#endif
