#include "lambdacheck/context.h"

#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

struct lc_context {
    char request_id[129];
    char function_name[65];
    char version[32];
    char qualifier[129]; /* "" = unqualified */
    char region[32];
    char account[13];
    char invoked_arn[512]; /* "" = derive */
    char function_arn[512];
    char qualified_arn[700]; /* function_arn plus ":qualifier" when invoked with one */
    long memory_mb;
    long timeout_ms;
    int64_t deadline_ms;
    char log_group[513];
    bool log_group_custom;
    char log_stream[513];
    char trace_id[256];
    char *client_context;   /* compact JSON text or NULL */
    char *cognito_identity; /* compact JSON text or NULL */
    char tenant_id[257];    /* "" = none */
};

/* --- randomness and time ------------------------------------------------------------------- */

/* The system's randomness: getrandom, falling back to /dev/urandom. */
static void system_random(void *out, size_t n)
{
    unsigned char *p = out;
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got <= 0)
            break;
        p += got;
        n -= (size_t)got;
    }
    if (n == 0)
        return;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, p, n) : -1;
    if (fd >= 0)
        close(fd);
    for (size_t i = got > 0 ? (size_t)got : 0; i < n; i++)
        p[i] = (unsigned char)rand();
}

/* xoshiro256** (Blackman and Vigna), one per thread, seeded from the system once: identifiers
 * need unpredictability between runs, not secrecy, and a system call per identifier costs the
 * warm path. */
static _Thread_local uint64_t prng[4];
static _Thread_local bool prng_seeded;

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* A forked copy must not repeat its parent's identifiers. */
static void reseed_after_fork(void)
{
    prng_seeded = false;
}

static pthread_once_t prng_atfork_once = PTHREAD_ONCE_INIT;

static void install_prng_atfork(void)
{
    pthread_atfork(NULL, NULL, reseed_after_fork);
}

static uint64_t prng_next(void)
{
    if (!prng_seeded) {
        pthread_once(&prng_atfork_once, install_prng_atfork);
        do
            system_random(prng, sizeof prng);
        while (!(prng[0] | prng[1] | prng[2] | prng[3]));
        prng_seeded = true;
    }
    uint64_t result = rotl(prng[1] * 5, 7) * 9, t = prng[1] << 17;
    prng[2] ^= prng[0];
    prng[3] ^= prng[1];
    prng[1] ^= prng[2];
    prng[0] ^= prng[3];
    prng[2] ^= t;
    prng[3] = rotl(prng[3], 45);
    return result;
}

void lc_random_bytes(void *out, size_t n)
{
    unsigned char *p = out;
    while (n > 0) {
        uint64_t v = prng_next();
        size_t k = n < sizeof v ? n : sizeof v;
        memcpy(p, &v, k);
        p += k;
        n -= k;
    }
}

static void random_hex(char *out, size_t digits)
{
    unsigned char bytes[64];
    size_t n = (digits + 1) / 2;
    lc_random_bytes(bytes, n);
    for (size_t i = 0; i < digits; i++)
        out[i] = "0123456789abcdef"[(bytes[i / 2] >> (i % 2 ? 0 : 4)) & 0xf];
    out[digits] = '\0';
}

void lc_uuid4(char out[37])
{
    unsigned char b[16];
    lc_random_bytes(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}

int64_t lc_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t lc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void lc_iso_timestamp(int64_t epoch_ms, char out[32])
{
    time_t seconds = (time_t)(epoch_ms / 1000);
    struct tm tm;
    gmtime_r(&seconds, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(epoch_ms % 1000));
}

/* --- validation ---------------------------------------------------------------------------- */

static bool all_chars(const char *s, const char *extra)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && strchr(extra, *s) == NULL)
            return false;
    return true;
}

static bool all_digits(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

static bool printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static bool is_region(const char *s)
{
    /* two lowercase letters, one or more "-word" parts, then "-<digits>": "us-east-1" */
    size_t n = strlen(s);
    if (n < 6 || !islower((unsigned char)s[0]) || !islower((unsigned char)s[1]) || s[2] != '-')
        return false;
    const char *dash = strrchr(s, '-');
    if (dash == s + 2 || !all_digits(dash + 1))
        return false;
    for (const char *p = s; p < dash; p++)
        if (!islower((unsigned char)*p) && *p != '-')
            return false;
    return true;
}

static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool is_trace_id(const char *s)
{
    /* Root=1-<8 hex>-<24 hex>, then optional ;Key=Value parts */
    if (strncmp(s, "Root=1-", 7) != 0 || strlen(s) < 7 + 8 + 1 + 24)
        return false;
    const char *t = s + 7;
    return is_hex(t, 8) && t[8] == '-' && is_hex(t + 9, 24) && (t[33] == '\0' || t[33] == ';') &&
           printable(s);
}

static lc_status copy_checked(char *dst, size_t size, const char *value, const char *what,
                              lc_error *err)
{
    if (value == NULL || value[0] == '\0')
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "%s must not be empty", what);
    if (strlen(value) >= size)
        return lc_error_set(err, LC_ERANGE, NULL, 0, 0, "%s is longer than %zu characters", what,
                            size - 1);
    if (!printable(value))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "%s contains a control character", what);
    memcpy(dst, value, strlen(value) + 1);
    return LC_OK;
}

/* --- derived values ------------------------------------------------------------------------ */

static const char *partition(const char *region)
{
    if (strncmp(region, "cn-", 3) == 0)
        return "aws-cn";
    if (strncmp(region, "us-gov-", 7) == 0)
        return "aws-us-gov";
    return "aws";
}

static void derive(lc_context *ctx)
{
    snprintf(ctx->function_arn, sizeof ctx->function_arn, "arn:%s:lambda:%s:%s:function:%s",
             partition(ctx->region), ctx->region, ctx->account, ctx->function_name);
    snprintf(ctx->qualified_arn, sizeof ctx->qualified_arn, "%s%s%s", ctx->function_arn,
             ctx->qualifier[0] ? ":" : "", ctx->qualifier);
    if (!ctx->log_group_custom)
        snprintf(ctx->log_group, sizeof ctx->log_group, "/aws/lambda/%s", ctx->function_name);
}

static void new_log_stream(lc_context *ctx)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char hex[33];
    random_hex(hex, 32);
    snprintf(ctx->log_stream, sizeof ctx->log_stream, "%04d/%02d/%02d/[%s]%s", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, ctx->version, hex);
}

static void new_trace_id(lc_context *ctx)
{
    char root[25], parent[17];
    random_hex(root, 24);
    random_hex(parent, 16);
    snprintf(ctx->trace_id, sizeof ctx->trace_id, "Root=1-%08llx-%s;Parent=%s;Sampled=0",
             (unsigned long long)(lc_now_ms() / 1000), root, parent);
}

/* --- lifecycle ----------------------------------------------------------------------------- */

lc_context *lc_context_new(void)
{
    lc_context *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL)
        return NULL;
    strcpy(ctx->function_name, "my-function");
    strcpy(ctx->version, "$LATEST");
    strcpy(ctx->region, "us-east-1");
    strcpy(ctx->account, "123456789012");
    ctx->memory_mb = 128;
    ctx->timeout_ms = 3000;
    derive(ctx);
    new_log_stream(ctx);
    lc_context_renew(ctx);
    lc_context_arm(ctx, lc_now_ms());
    return ctx;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

lc_context *lc_context_copy(const lc_context *ctx)
{
    lc_context *copy = malloc(sizeof *copy);
    if (copy == NULL)
        return NULL;
    *copy = *ctx;
    copy->client_context = dup_or_null(ctx->client_context);
    copy->cognito_identity = dup_or_null(ctx->cognito_identity);
    return copy;
}

void lc_context_free(lc_context *ctx)
{
    if (ctx == NULL)
        return;
    free(ctx->client_context);
    free(ctx->cognito_identity);
    free(ctx);
}

void lc_context_renew(lc_context *ctx)
{
    lc_uuid4(ctx->request_id);
    new_trace_id(ctx);
}

void lc_context_renew_log_stream(lc_context *ctx)
{
    new_log_stream(ctx);
}

void lc_context_arm(lc_context *ctx, int64_t now_ms)
{
    ctx->deadline_ms = now_ms + ctx->timeout_ms;
}

/* --- setters ------------------------------------------------------------------------------- */

lc_status lc_context_set_request_id(lc_context *ctx, const char *id, lc_error *err)
{
    if (id && !all_chars(id, "-_.:"))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "request id '%s' may contain only letters, digits and '-_.:'", id);
    return copy_checked(ctx->request_id, sizeof ctx->request_id, id, "request id", err);
}

lc_status lc_context_set_function_name(lc_context *ctx, const char *name, lc_error *err)
{
    if (name == NULL || name[0] == '\0' || strlen(name) > 64 || !all_chars(name, "-_"))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "function name '%s' must be 1-64 letters, digits, '-' or '_'",
                            name ? name : "");
    strcpy(ctx->function_name, name);
    derive(ctx);
    return LC_OK;
}

static bool is_version(const char *v)
{
    return strcmp(v, "$LATEST") == 0 || (all_digits(v) && strlen(v) < 20);
}

lc_status lc_context_set_version(lc_context *ctx, const char *version, lc_error *err)
{
    if (version == NULL || !is_version(version))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "function version '%s' must be $LATEST or a number",
                            version ? version : "");
    strcpy(ctx->version, version);
    return LC_OK;
}

lc_status lc_context_set_qualifier(lc_context *ctx, const char *qualifier, lc_error *err)
{
    if (qualifier == NULL) {
        ctx->qualifier[0] = '\0';
        derive(ctx);
        return LC_OK;
    }
    bool alias = qualifier[0] && strlen(qualifier) <= 128 && all_chars(qualifier, "-_");
    if (!alias && !is_version(qualifier))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "qualifier '%s' must be $LATEST, a version number or an alias of "
                            "letters, digits, '-' and '_'",
                            qualifier);
    strcpy(ctx->qualifier, qualifier);
    derive(ctx);
    return LC_OK;
}

lc_status lc_context_set_region(lc_context *ctx, const char *region, lc_error *err)
{
    if (region == NULL || strlen(region) >= sizeof ctx->region || !is_region(region))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "region '%s' is not a region name like us-east-1",
                            region ? region : "");
    strcpy(ctx->region, region);
    derive(ctx);
    return LC_OK;
}

lc_status lc_context_set_account(lc_context *ctx, const char *account, lc_error *err)
{
    if (account == NULL || strlen(account) != 12 || !all_digits(account))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "account '%s' must be twelve digits", account ? account : "");
    strcpy(ctx->account, account);
    derive(ctx);
    return LC_OK;
}

lc_status lc_context_set_invoked_arn(lc_context *ctx, const char *arn, lc_error *err)
{
    if (arn == NULL) {
        ctx->invoked_arn[0] = '\0';
        return LC_OK;
    }
    if (strncmp(arn, "arn:", 4) != 0 || strstr(arn, ":lambda:") == NULL)
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "invoked function ARN '%s' is not a Lambda ARN (arn:aws:lambda:...)",
                            arn);
    return copy_checked(ctx->invoked_arn, sizeof ctx->invoked_arn, arn, "invoked function ARN",
                        err);
}

lc_status lc_context_set_memory_mb(lc_context *ctx, long mb, lc_error *err)
{
    if (mb < LC_MEMORY_MIN_MB || mb > LC_MEMORY_MAX_MB)
        return lc_error_set(err, LC_ERANGE, NULL, 0, 0,
                            "memory size %ld MB is outside %d-%d MB", mb, LC_MEMORY_MIN_MB,
                            LC_MEMORY_MAX_MB);
    ctx->memory_mb = mb;
    return LC_OK;
}

lc_status lc_context_set_timeout(lc_context *ctx, long seconds, lc_error *err)
{
    if (seconds < 1 || seconds > LC_TIMEOUT_MAX_MS / 1000)
        return lc_error_set(err, LC_ERANGE, NULL, 0, 0, "timeout %ld s is outside 1-900 s",
                            seconds);
    ctx->timeout_ms = seconds * 1000;
    return LC_OK;
}

lc_status lc_context_set_timeout_ms(lc_context *ctx, long ms, lc_error *err)
{
    if (ms < 1 || ms > LC_TIMEOUT_MAX_MS)
        return lc_error_set(err, LC_ERANGE, NULL, 0, 0,
                            "timeout %ld ms is outside 1-900000 ms", ms);
    ctx->timeout_ms = ms;
    return LC_OK;
}

lc_status lc_context_set_deadline_ms(lc_context *ctx, int64_t deadline_ms, lc_error *err)
{
    if (deadline_ms <= 0)
        return lc_error_set(err, LC_ERANGE, NULL, 0, 0,
                            "deadline %lld ms must be a positive epoch time in milliseconds",
                            (long long)deadline_ms);
    ctx->deadline_ms = deadline_ms;
    return LC_OK;
}

lc_status lc_context_set_log_group(lc_context *ctx, const char *group, lc_error *err)
{
    lc_status st = copy_checked(ctx->log_group, sizeof ctx->log_group, group, "log group", err);
    if (st == LC_OK)
        ctx->log_group_custom = true;
    return st;
}

lc_status lc_context_set_log_stream(lc_context *ctx, const char *stream, lc_error *err)
{
    return copy_checked(ctx->log_stream, sizeof ctx->log_stream, stream, "log stream", err);
}

lc_status lc_context_set_trace_id(lc_context *ctx, const char *trace_id, lc_error *err)
{
    if (trace_id == NULL || !is_trace_id(trace_id))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "trace id '%s' is not of the form Root=1-<8 hex>-<24 hex>[;...]",
                            trace_id ? trace_id : "");
    return copy_checked(ctx->trace_id, sizeof ctx->trace_id, trace_id, "trace id", err);
}

/* Parses text as a JSON object, checks that each named key, when present, is of the given type,
 * and sets *compact to its compact form (caller frees). */
static lc_status checked_object(const char *text, const char *what, const char *const *keys,
                                json_type type, char **compact, lc_error *err)
{
    json_error_t jerr;
    json_t *obj = json_loads(text, 0, &jerr);
    if (obj == NULL)
        return lc_error_set(err, LC_EJSON, what, jerr.line, jerr.column, "%s is not JSON: %s",
                            what, jerr.text);
    lc_status st = LC_OK;
    if (!json_is_object(obj))
        st = lc_error_set(err, LC_EJSON, what, 0, 0, "%s must be a JSON object", what);
    for (; st == LC_OK && *keys; keys++) {
        json_t *v = json_object_get(obj, *keys);
        if (v && json_typeof(v) != type)
            st = lc_error_set(err, LC_EINVAL, what, 0, 0, "%s: \"%s\" must be a JSON %s", what,
                              *keys, type == JSON_OBJECT ? "object" : "string");
    }
    *compact = st == LC_OK ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    return st;
}

lc_status lc_context_set_client_context(lc_context *ctx, const char *json, lc_error *err)
{
    static const char *const keys[] = {"client", "custom", "env", NULL};
    char *compact = NULL;
    lc_status st =
        json ? checked_object(json, "client context", keys, JSON_OBJECT, &compact, err) : LC_OK;
    if (st != LC_OK)
        return st;
    free(ctx->client_context);
    ctx->client_context = compact;
    return LC_OK;
}

lc_status lc_context_set_cognito_identity(lc_context *ctx, const char *json, lc_error *err)
{
    static const char *const keys[] = {"cognitoIdentityId", "cognitoIdentityPoolId", NULL};
    char *compact = NULL;
    lc_status st =
        json ? checked_object(json, "Cognito identity", keys, JSON_STRING, &compact, err) : LC_OK;
    if (st != LC_OK)
        return st;
    free(ctx->cognito_identity);
    ctx->cognito_identity = compact;
    return LC_OK;
}

/* TenantId's constraints on Invoke (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html,
 * and ChainedInvokeOptions on the same API reference): 1 to 256 characters of
 * [a-zA-Z0-9._:/=+\-@ ]. */
static bool tenant_char(unsigned char c)
{
    return isalnum(c) || (c != '\0' && strchr("._:/=+-@ ", c) != NULL);
}

const char *lc_tenant_id_problem(const char *id, char *why, size_t size)
{
    size_t n = id ? strlen(id) : 0;
    size_t bad = 0;
    while (bad < n && tenant_char((unsigned char)id[bad]))
        bad++;
    /* Worded as Lambda words a failed constraint ("1 validation error detected: ...") */
    if (n == 0 || n > LC_TENANT_ID_MAX)
        snprintf(why, size, "1 validation error detected: Value '%.*s' at 'tenantId' failed to "
                 "satisfy constraint: Member must have length between 1 and %d",
                 n > 64 ? 64 : (int)n, n ? id : "", LC_TENANT_ID_MAX);
    else if (bad < n)
        snprintf(why, size, "1 validation error detected: Value '%.*s' at 'tenantId' failed to "
                 "satisfy constraint: Member must satisfy regular expression pattern: "
                 "[a-zA-Z0-9\\._:\\/=+\\-@ ]+", n > 64 ? 64 : (int)n, id);
    else
        return NULL;
    return why;
}

lc_status lc_context_set_tenant_id(lc_context *ctx, const char *tenant_id, lc_error *err)
{
    if (tenant_id == NULL) {
        ctx->tenant_id[0] = '\0';
        return LC_OK;
    }
    char why[256];
    if (lc_tenant_id_problem(tenant_id, why, sizeof why))
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "tenant id: %s", why);
    return copy_checked(ctx->tenant_id, sizeof ctx->tenant_id, tenant_id, "tenant id", err);
}

/* --- getters ------------------------------------------------------------------------------- */

const char *lc_context_request_id(const lc_context *ctx) { return ctx->request_id; }
const char *lc_context_function_name(const lc_context *ctx) { return ctx->function_name; }
const char *lc_context_version(const lc_context *ctx) { return ctx->version; }
const char *lc_context_qualifier(const lc_context *ctx)
{
    return ctx->qualifier[0] ? ctx->qualifier : NULL;
}
const char *lc_context_region(const lc_context *ctx) { return ctx->region; }
const char *lc_context_account(const lc_context *ctx) { return ctx->account; }
const char *lc_context_function_arn(const lc_context *ctx) { return ctx->function_arn; }
long lc_context_memory_mb(const lc_context *ctx) { return ctx->memory_mb; }
long lc_context_timeout_ms(const lc_context *ctx) { return ctx->timeout_ms; }
int64_t lc_context_deadline_ms(const lc_context *ctx) { return ctx->deadline_ms; }
const char *lc_context_log_group(const lc_context *ctx) { return ctx->log_group; }
const char *lc_context_log_stream(const lc_context *ctx) { return ctx->log_stream; }
const char *lc_context_trace_id(const lc_context *ctx) { return ctx->trace_id; }
const char *lc_context_client_context(const lc_context *ctx) { return ctx->client_context; }
const char *lc_context_cognito_identity(const lc_context *ctx) { return ctx->cognito_identity; }
const char *lc_context_tenant_id(const lc_context *ctx)
{
    return ctx->tenant_id[0] ? ctx->tenant_id : NULL;
}

const char *lc_context_invoked_arn(const lc_context *ctx)
{
    return ctx->invoked_arn[0] ? ctx->invoked_arn : ctx->qualified_arn;
}

/* --- rendering ----------------------------------------------------------------------------- */

static void set_str_if(json_t *obj, const char *key, const char *value)
{
    if (value && value[0])
        json_object_set_new(obj, key, json_string(value));
}

json_t *lc_context_runtime_headers(const lc_context *ctx)
{
    json_t *h = json_object();
    char deadline[32];
    snprintf(deadline, sizeof deadline, "%lld", (long long)ctx->deadline_ms);
    set_str_if(h, "Lambda-Runtime-Aws-Request-Id", ctx->request_id);
    set_str_if(h, "Lambda-Runtime-Deadline-Ms", deadline);
    set_str_if(h, "Lambda-Runtime-Invoked-Function-Arn", lc_context_invoked_arn(ctx));
    set_str_if(h, "Lambda-Runtime-Trace-Id", ctx->trace_id);
    set_str_if(h, "Lambda-Runtime-Client-Context", ctx->client_context);
    set_str_if(h, "Lambda-Runtime-Cognito-Identity", ctx->cognito_identity);
    set_str_if(h, "Lambda-Runtime-Aws-Tenant-Id", ctx->tenant_id);
    return h;
}

json_t *lc_context_environment(const lc_context *ctx)
{
    json_t *env = json_object();
    char memory[32];
    snprintf(memory, sizeof memory, "%ld", ctx->memory_mb);
    set_str_if(env, "AWS_REGION", ctx->region);
    set_str_if(env, "AWS_DEFAULT_REGION", ctx->region);
    set_str_if(env, "AWS_LAMBDA_FUNCTION_NAME", ctx->function_name);
    set_str_if(env, "AWS_LAMBDA_FUNCTION_VERSION", ctx->version);
    set_str_if(env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory);
    set_str_if(env, "AWS_LAMBDA_LOG_GROUP_NAME", ctx->log_group);
    set_str_if(env, "AWS_LAMBDA_LOG_STREAM_NAME", ctx->log_stream);
    set_str_if(env, "AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand");
    set_str_if(env, "TZ", ":UTC");
    set_str_if(env, "LANG", "en_US.UTF-8");
    return env;
}

static json_t *string_or_null(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_incref(v) : json_null();
}

static json_t *identity_json(const lc_context *ctx)
{
    json_t *parsed = ctx->cognito_identity ? json_loads(ctx->cognito_identity, 0, NULL) : NULL;
    json_t *identity = json_pack("{s:o, s:o}", "cognito_identity_id",
                                 string_or_null(parsed, "cognitoIdentityId"),
                                 "cognito_identity_pool_id",
                                 string_or_null(parsed, "cognitoIdentityPoolId"));
    json_decref(parsed);
    return identity;
}

static json_t *client_context_json(const lc_context *ctx)
{
    if (ctx->client_context == NULL)
        return json_null();
    json_t *cc = json_loads(ctx->client_context, 0, NULL);
    json_t *client = json_object_get(cc, "client");
    json_t *out = json_pack(
        "{s:O?, s:O?, s:{s:o, s:o, s:o, s:o, s:o}}", "custom", json_object_get(cc, "custom"),
        "env", json_object_get(cc, "env"), "client", "installation_id",
        string_or_null(client, "installation_id"), "app_title", string_or_null(client, "app_title"),
        "app_version_name", string_or_null(client, "app_version_name"), "app_version_code",
        string_or_null(client, "app_version_code"), "app_package_name",
        string_or_null(client, "app_package_name"));
    json_decref(cc);
    return out;
}

json_t *lc_context_to_json(const lc_context *ctx)
{
    char memory[32];
    snprintf(memory, sizeof memory, "%ld", ctx->memory_mb);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "aws_request_id",
                     ctx->request_id, "invoked_function_arn", lc_context_invoked_arn(ctx),
                     "function_name", ctx->function_name, "function_version", ctx->version,
                     "memory_limit_in_mb", memory, "log_group_name", ctx->log_group,
                     "log_stream_name", ctx->log_stream, "identity", identity_json(ctx),
                     "client_context", client_context_json(ctx), "tenant_id",
                     ctx->tenant_id[0] ? json_string(ctx->tenant_id) : json_null());
}

/* --- overrides from JSON ------------------------------------------------------------------- */

typedef lc_status (*string_setter)(lc_context *, const char *, lc_error *);
typedef lc_status (*long_setter)(lc_context *, long, lc_error *);

static const struct {
    const char *key;
    string_setter set;
} string_fields[] = {
    {"requestId", lc_context_set_request_id},
    {"functionName", lc_context_set_function_name},
    {"functionVersion", lc_context_set_version},
    {"qualifier", lc_context_set_qualifier},
    {"region", lc_context_set_region},
    {"account", lc_context_set_account},
    {"invokedFunctionArn", lc_context_set_invoked_arn},
    {"logGroupName", lc_context_set_log_group},
    {"logStreamName", lc_context_set_log_stream},
    {"traceId", lc_context_set_trace_id},
    {"tenantId", lc_context_set_tenant_id},
};

static const struct {
    const char *key;
    long_setter set;
} long_fields[] = {
    {"memoryMB", lc_context_set_memory_mb},
    {"timeout", lc_context_set_timeout},
    {"timeoutMs", lc_context_set_timeout_ms},
};

/* Re-labels an error from a setter with the key and source it came from. */
static lc_status relabel(lc_status st, lc_error *mine, const char *key, const char *source,
                         lc_error *err)
{
    if (st == LC_OK)
        return LC_OK;
    return lc_error_set(err, st, source, 0, 0, "context.%s: %s", key, mine->message);
}

static lc_status apply_object(lc_context *ctx, const char *key, json_t *value, lc_error *mine)
{
    if (!json_is_object(value))
        return lc_error_set(mine, LC_EINVAL, NULL, 0, 0, "must be a JSON object");
    char *text = json_dumps(value, JSON_COMPACT);
    lc_status st = strcmp(key, "clientContext") == 0
                       ? lc_context_set_client_context(ctx, text, mine)
                       : lc_context_set_cognito_identity(ctx, text, mine);
    free(text);
    return st;
}

static lc_status apply_one(lc_context *ctx, const char *key, json_t *value, lc_error *mine)
{
    for (size_t i = 0; i < sizeof string_fields / sizeof *string_fields; i++) {
        if (strcmp(key, string_fields[i].key) != 0)
            continue;
        if (!json_is_string(value))
            return lc_error_set(mine, LC_EINVAL, NULL, 0, 0, "must be a string");
        return string_fields[i].set(ctx, json_string_value(value), mine);
    }
    for (size_t i = 0; i < sizeof long_fields / sizeof *long_fields; i++) {
        if (strcmp(key, long_fields[i].key) != 0)
            continue;
        if (!json_is_integer(value))
            return lc_error_set(mine, LC_EINVAL, NULL, 0, 0, "must be an integer");
        return long_fields[i].set(ctx, (long)json_integer_value(value), mine);
    }
    if (strcmp(key, "deadlineMs") == 0)
        return json_is_integer(value)
                   ? lc_context_set_deadline_ms(ctx, json_integer_value(value), mine)
                   : lc_error_set(mine, LC_EINVAL, NULL, 0, 0, "must be an integer");
    if (strcmp(key, "clientContext") == 0 || strcmp(key, "identity") == 0)
        return apply_object(ctx, key, value, mine);
    return lc_error_set(mine, LC_EINVAL, NULL, 0, 0, "unknown context field");
}

lc_status lc_context_apply_json(lc_context *ctx, const json_t *overrides, const char *source,
                                lc_error *err)
{
    if (!json_is_object(overrides))
        return lc_error_set(err, LC_EINVAL, source, 0, 0, "context must be a JSON object");
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)overrides, key, value)
    {
        lc_error mine = {0};
        lc_status st = relabel(apply_one(ctx, key, value, &mine), &mine, key, source, err);
        if (st != LC_OK)
            return st;
    }
    return LC_OK;
}
