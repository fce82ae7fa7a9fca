/* Private to the library: YAML documents read into JSON values (libyaml), for templates.
 *
 * CloudFormation's short-form tags become their long forms: `!Ref X` is {"Ref": "X"},
 * `!GetAtt A.B` is {"Fn::GetAtt": ["A", "B"]}, `!Sub ...` is {"Fn::Sub": ...}, and so on.
 * Plain scalars stay strings (CloudFormation reads "1.10" and "true" as the text they are;
 * properties that want numbers convert them), except null, ~ and an empty value, which are null.
 * Anchors and aliases are followed.
 */
#ifndef LC_YAML_JSON_H
#define LC_YAML_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "lambdacheck/error.h"

/* The first document of text (len bytes) as a JSON value. Errors name source with the line and
 * column (1-based) of the problem: YAML syntax, an unknown tag, a key that is not a scalar, an
 * alias to no anchor. Caller owns the result (json_decref). */
json_t *lc__yaml_load(const char *text, size_t len, const char *source, lc_error *err);

#endif
