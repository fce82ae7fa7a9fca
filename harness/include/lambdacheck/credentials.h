/* lambdacheck: AWS credentials and region for signing requests to deployed functions (spec 4.6).
 *
 * Keys come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else from the
 * shared credentials file (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials), section
 * [profile]. The region comes from AWS_REGION, AWS_DEFAULT_REGION, else the config file
 * (AWS_CONFIG_FILE, default ~/.aws/config), section [profile NAME] or [default]. The profile is
 * the one given, else AWS_PROFILE, else "default".
 */
#ifndef LAMBDACHECK_CREDENTIALS_H
#define LAMBDACHECK_CREDENTIALS_H

#include "lambdacheck/error.h"

typedef struct {
    char access_key_id[128];
    char secret_access_key[256];
    char session_token[4096]; /* "" when none */
    char region[64];          /* "" when none was found */
    char source[1024];        /* where the keys came from: "environment" or a file path */
} lc_credentials;

/* Fills *out. LC_ENOTFOUND (naming the places looked at) when no keys are found; the region is
 * looked up either way. profile may be NULL. */
lc_status lc_credentials_load(const char *profile, lc_credentials *out, lc_error *err);

#endif
