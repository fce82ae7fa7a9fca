/* The options that describe a function, shared by the commands that run one (invoke, serve). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

long cli_parse_number(const char *command, const char *option, const char *text, long min,
                      long max)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || v < min || v > max) {
        cli_usage_error(command, "%s takes a whole number from %ld to %ld, not '%s'", option, min,
                        max, text);
        return -1;
    }
    return v;
}

static int add_env(cli_function_args *a, const char *command, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    if (eq == NULL || eq == assignment)
        return cli_usage_error(command, "--env takes KEY=VALUE, not '%s'", assignment);
    char key[256];
    snprintf(key, sizeof key, "%.*s", (int)(eq - assignment), assignment);
    json_object_set_new(a->env, key, json_string(eq + 1));
    return CLI_OK;
}

int cli_function_option(cli_function_args *a, const char *command, int opt, const char *arg)
{
    long v;
    switch (opt) {
    case OPT_HANDLER: a->fn.handler = arg; return CLI_OK;
    case OPT_CODE: a->fn.code_dir = arg; return CLI_OK;
    case OPT_FUNCTION_NAME: a->fn.name = arg; return CLI_OK;
    case OPT_PYTHON: a->fn.python = arg; return CLI_OK;
    case OPT_RUNTIME_COMMAND: a->fn.runtime_command = arg; return CLI_OK;
    case OPT_ENV: return add_env(a, command, arg);
    case OPT_TIMEOUT:
        if ((v = cli_parse_number(command, "--timeout", arg, 1, 900)) < 0)
            return CLI_USAGE;
        a->fn.timeout_ms = v * 1000;
        return CLI_OK;
    case OPT_TIMEOUT_MS:
        if ((v = cli_parse_number(command, "--timeout-ms", arg, 1, LC_TIMEOUT_MAX_MS)) < 0)
            return CLI_USAGE;
        a->fn.timeout_ms = v;
        return CLI_OK;
    case OPT_MEMORY:
        if ((v = cli_parse_number(command, "--memory", arg, LC_MEMORY_MIN_MB,
                                  LC_MEMORY_MAX_MB)) < 0)
            return CLI_USAGE;
        a->fn.memory_mb = v;
        return CLI_OK;
    case OPT_HOST_PACKAGES: a->fn.host_packages = true; return CLI_OK;
    case OPT_CREDENTIALS:
        if (strcmp(arg, "host") != 0 && strcmp(arg, "dummy") != 0)
            return cli_usage_error(command, "--credentials takes host or dummy, not '%s'", arg);
        a->host_credentials = strcmp(arg, "host") == 0;
        return CLI_OK;
    case OPT_LOG_FORMAT: a->fn.log_format = arg; return CLI_OK;
    case OPT_APP_LOG_LEVEL: a->fn.application_log_level = arg; return CLI_OK;
    case OPT_SYSTEM_LOG_LEVEL: a->fn.system_log_level = arg; return CLI_OK;
    case OPT_CONCURRENCY:
        if ((v = cli_parse_number(command, "--concurrency", arg, 1, 1000)) < 0)
            return CLI_USAGE;
        a->fn.concurrency = (int)v;
        return CLI_OK;
    default:
        return CLI_NOT_MINE;
    }
}

int cli_load_host_credentials(lc_credentials *out)
{
    lc_error err = {0};
    if (lc_credentials_load(NULL, out, &err) == LC_OK)
        return CLI_OK;
    cli_print_error(&err);
    return CLI_FAILED;
}

int cli_make_function(cli_function_args *a, lc_function **out)
{
    lc_error err = {0};
    if (a->host_credentials) {
        if (cli_load_host_credentials(&a->creds) != CLI_OK)
            return CLI_FAILED;
        a->fn.access_key_id = a->creds.access_key_id;
        a->fn.secret_access_key = a->creds.secret_access_key;
        a->fn.session_token = a->creds.session_token;
    }
    if (lc_function_new(&a->fn, out, &err) == LC_OK)
        return CLI_OK;
    cli_print_error(&err);
    /* a missing interpreter is a broken machine, not a bad command line */
    return err.status == LC_ESPAWN ? CLI_FAILED : CLI_USAGE;
}
