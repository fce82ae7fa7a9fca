#include "lambdacheck/credentials.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] ? v : NULL;
}

static void copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

/* Reads key from [section] of an INI-style file into out; false when absent. */
static bool ini_value(const char *path, const char *section, const char *key, char *out,
                      size_t size)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    char line[4096];
    bool in_section = false, found = false;
    while (!found && fgets(line, sizeof line, f)) {
        char *t = trim(line);
        if (*t == '#' || *t == ';' || *t == '\0')
            continue;
        if (*t == '[') {
            char *end = strchr(t, ']');
            if (end)
                *end = '\0';
            in_section = strcmp(trim(t + 1), section) == 0;
            continue;
        }
        char *eq = strchr(t, '=');
        if (!in_section || eq == NULL)
            continue;
        *eq = '\0';
        if (strcmp(trim(t), key) == 0) {
            copy(out, size, trim(eq + 1));
            found = true;
        }
    }
    fclose(f);
    return found;
}

static void aws_file(const char *variable, const char *name, char *out, size_t size)
{
    const char *given = env(variable);
    const char *home = env("HOME");
    if (given)
        copy(out, size, given);
    else
        snprintf(out, size, "%s/.aws/%s", home ? home : "", name);
}

static void load_region(const char *profile, lc_credentials *c)
{
    const char *region = env("AWS_REGION");
    if (region == NULL)
        region = env("AWS_DEFAULT_REGION");
    if (region) {
        copy(c->region, sizeof c->region, region);
        return;
    }
    char path[1024], section[300];
    aws_file("AWS_CONFIG_FILE", "config", path, sizeof path);
    if (strcmp(profile, "default") == 0)
        snprintf(section, sizeof section, "default");
    else
        snprintf(section, sizeof section, "profile %s", profile);
    ini_value(path, section, "region", c->region, sizeof c->region);
}

lc_status lc_credentials_load(const char *profile, lc_credentials *out, lc_error *err)
{
    memset(out, 0, sizeof *out);
    if (profile == NULL)
        profile = env("AWS_PROFILE") ? env("AWS_PROFILE") : "default";
    load_region(profile, out);
    if (env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY")) {
        copy(out->access_key_id, sizeof out->access_key_id, env("AWS_ACCESS_KEY_ID"));
        copy(out->secret_access_key, sizeof out->secret_access_key, env("AWS_SECRET_ACCESS_KEY"));
        copy(out->session_token, sizeof out->session_token, env("AWS_SESSION_TOKEN"));
        copy(out->source, sizeof out->source, "environment");
        return LC_OK;
    }
    char path[1024];
    aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials", path, sizeof path);
    if (ini_value(path, profile, "aws_access_key_id", out->access_key_id,
                  sizeof out->access_key_id) &&
        ini_value(path, profile, "aws_secret_access_key", out->secret_access_key,
                  sizeof out->secret_access_key)) {
        ini_value(path, profile, "aws_session_token", out->session_token,
                  sizeof out->session_token);
        copy(out->source, sizeof out->source, path);
        return LC_OK;
    }
    return lc_error_set(err, LC_ENOTFOUND, path, 0, 0,
                        "no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not "
                        "set, and profile [%s] of %s has no keys",
                        profile, path);
}
