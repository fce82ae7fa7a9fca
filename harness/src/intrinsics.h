/* Private to the library: CloudFormation's intrinsic functions, resolved as far as a template
 * alone allows (the template module's helper).
 *
 * Resolved: Ref to a parameter (its value), to a pseudo parameter (the configured region and
 * account; AWS::StackName "lambdacheck"; AWS::NoValue removes the property) and to a resource
 * (its logical id, as sam local gives it); Fn::Sub, Fn::Join, Fn::Select, Fn::Split,
 * Fn::FindInMap, Fn::If with the template's Conditions (Fn::Equals, Fn::Not, Fn::And, Fn::Or,
 * Condition), Fn::Base64, Fn::GetAZs, Fn::Length, Fn::ToJsonString.
 * Placeholders, for what only a deployed stack knows: Fn::GetAtt of a function's Arn is the ARN it
 * would have; any other Fn::GetAtt is its text ("Table.Arn"); Fn::ImportValue is
 * "ImportValue(NAME)"; Fn::Cidr is "Cidr(...)".
 */
#ifndef LC_INTRINSICS_H
#define LC_INTRINSICS_H

#include <jansson.h>

#include "lambdacheck/error.h"

typedef struct {
    const json_t *template;   /* the whole template (Parameters, Mappings, Conditions, Resources) */
    const json_t *parameters; /* name -> value (a string, or an array for list types) */
    const char *region;
    const char *account;
    json_t *conditions;       /* condition name -> its value once evaluated (a cache that keeps
                                 conditions naming conditions from taking exponential time);
                                 NULL: none */
} lc__cfn_scope;

/* value with every intrinsic function resolved (a new reference). NULL, with err naming the
 * function and why, when one cannot be (a parameter without a value, a Ref to nothing, a
 * malformed function). AWS::NoValue gives lc__cfn_no_value(), which containers drop. */
json_t *lc__cfn_resolve(const lc__cfn_scope *scope, const json_t *value, lc_error *err);

/* The value AWS::NoValue stands for (borrowed, never freed). */
json_t *lc__cfn_no_value(void);

/* A condition of the template, evaluated: 1 true, 0 false, -1 with err set. */
int lc__cfn_condition(const lc__cfn_scope *scope, const char *name, lc_error *err);

/* A resolved scalar as a string: strings as they are, numbers and booleans as CloudFormation
 * writes them. Caller frees; NULL for anything else. */
char *lc__cfn_text(const json_t *value);

#endif
