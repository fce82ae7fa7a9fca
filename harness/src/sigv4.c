#include "lambdacheck/sigv4.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/context.h"

/* --- hashing ------------------------------------------------------------------------------------- */

static void hex(const unsigned char *bytes, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
}

static void sha256_hex(const void *data, size_t n, char out[65])
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(data, n, digest);
    hex(digest, sizeof digest, out);
}

static void hmac(const void *key, size_t key_len, const char *data, unsigned char out[32])
{
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)data, strlen(data), out, &len);
}

/* --- canonical forms ------------------------------------------------------------------------------ */

static bool unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

static void encode(lc_buf *out, const char *s, size_t n, bool keep_slash)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/'))
            lc_buf_append(out, &s[i], 1);
        else
            lc_buf_printf(out, "%%%02X", c);
    }
}

static int hexval(char c)
{
    return isdigit((unsigned char)c) ? c - '0' : (tolower((unsigned char)c) - 'a' + 10);
}

static void decode(lc_buf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
            isxdigit((unsigned char)s[i + 2])) {
            char c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            lc_buf_append(out, &c, 1);
            i += 2;
        } else {
            lc_buf_append(out, &s[i], 1);
        }
    }
}

/* mode 0: the path as sent; 1: decoded and encoded once; 2: that, encoded again. */
static void canonical_uri(lc_buf *out, const char *path, int mode)
{
    if (path == NULL || path[0] == '\0')
        path = "/";
    if (mode == 0) {
        lc_buf_puts(out, path);
        return;
    }
    lc_buf plain, once;
    lc_buf_init(&plain, 0);
    lc_buf_init(&once, 0);
    decode(&plain, path, strlen(path));
    encode(&once, plain.data ? plain.data : "", plain.len, true);
    if (mode == 1)
        lc_buf_append(out, once.data ? once.data : "", once.len);
    else
        encode(out, once.data ? once.data : "", once.len, true);
    lc_buf_free(&plain);
    lc_buf_free(&once);
}

typedef struct {
    char *name;
    char *value;
} param;

static int compare_params(const void *a, const void *b)
{
    const param *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

/* One "name=value" of a query, decoded then encoded the canonical way. */
static param canonical_param(const char *s, size_t n)
{
    const char *eq = memchr(s, '=', n);
    size_t name_len = eq ? (size_t)(eq - s) : n;
    lc_buf raw, enc;
    lc_buf_init(&raw, 0);
    lc_buf_init(&enc, 0);
    decode(&raw, s, name_len);
    encode(&enc, raw.data ? raw.data : "", raw.len, false);
    param p = {.name = lc_buf_take(&enc)};
    lc_buf_reset(&raw);
    if (eq)
        decode(&raw, eq + 1, n - name_len - 1);
    encode(&enc, raw.data ? raw.data : "", raw.len, false);
    p.value = lc_buf_take(&enc);
    lc_buf_free(&raw);
    return p;
}

static void canonical_query(lc_buf *out, const char *query)
{
    size_t count = 0, cap = 8;
    param *params = malloc(cap * sizeof *params);
    for (const char *p = query ? query : ""; *p;) {
        size_t n = strcspn(p, "&");
        if (n && count == cap)
            params = realloc(params, (cap *= 2) * sizeof *params);
        if (n)
            params[count++] = canonical_param(p, n);
        p += n + (p[n] == '&');
    }
    qsort(params, count, sizeof *params, compare_params);
    for (size_t i = 0; i < count; i++) {
        lc_buf_printf(out, "%s%s=%s", i ? "&" : "", params[i].name, params[i].value);
        free(params[i].name);
        free(params[i].value);
    }
    free(params);
}

/* "name:value\n" for each signed header, the value trimmed with inner runs of blanks folded. */
static lc_status canonical_headers(lc_buf *out, const lc_sigv4_request *req,
                                   const char *signed_headers, lc_error *err)
{
    for (const char *h = signed_headers; *h;) {
        size_t n = strcspn(h, ";");
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)n, h);
        const char *v = req->header(req->header_ctx, name);
        if (v == NULL)
            return lc_error_set(err, LC_EINVAL, NULL, 0, 0, "signed header %s is missing", name);
        lc_buf_printf(out, "%s:", name);
        while (*v == ' ' || *v == '\t')
            v++;
        for (bool blank = false; *v; v++) {
            bool is_blank = *v == ' ' || *v == '\t';
            if (!is_blank && blank)
                lc_buf_puts(out, " ");
            if (!is_blank)
                lc_buf_append(out, v, 1);
            blank = is_blank;
        }
        lc_buf_puts(out, "\n");
        h += n + (h[n] == ';');
    }
    return LC_OK;
}

/* --- signing ------------------------------------------------------------------------------------- */

static void signing_key(const lc_sigv4_scope *s, unsigned char key[32])
{
    char secret[300], date[9];
    snprintf(secret, sizeof secret, "AWS4%s", s->secret_access_key);
    snprintf(date, sizeof date, "%.8s", s->amz_date);
    unsigned char k1[32], k2[32], k3[32];
    hmac(secret, strlen(secret), date, k1);
    hmac(k1, 32, s->region, k2);
    hmac(k2, 32, s->service, k3);
    hmac(k3, 32, "aws4_request", key);
}

/* The hash of the body as received: a client's x-amz-content-sha256 (or UNSIGNED-PAYLOAD)
 * is not taken on trust, as the Lambda API does not. */
static void payload_hash(const lc_sigv4_request *req, char out[65])
{
    if (req->payload_sha256 && strlen(req->payload_sha256) == 64)
        memcpy(out, req->payload_sha256, 65);
    else
        sha256_hex(req->payload ? req->payload : "", req->payload_len, out);
}

lc_status lc_sigv4_signature(const lc_sigv4_request *req, const char *signed_headers,
                             const lc_sigv4_scope *scope, int double_encode, char out[65],
                             lc_error *err)
{
    lc_buf canon;
    lc_buf_init(&canon, 0);
    lc_buf_printf(&canon, "%s\n", req->method);
    canonical_uri(&canon, req->path, double_encode == 2 ? 2 : double_encode == 0 ? 0 : 1);
    lc_buf_puts(&canon, "\n");
    canonical_query(&canon, req->query);
    lc_buf_puts(&canon, "\n");
    lc_status st = canonical_headers(&canon, req, signed_headers, err);
    char body_hash[65], canon_hash[65];
    payload_hash(req, body_hash);
    lc_buf_printf(&canon, "\n%s\n%s", signed_headers, body_hash);
    sha256_hex(canon.data, canon.len, canon_hash);
    lc_buf_free(&canon);
    if (st != LC_OK)
        return st;
    char to_sign[512];
    snprintf(to_sign, sizeof to_sign, "AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s",
             scope->amz_date, scope->amz_date, scope->region, scope->service, canon_hash);
    unsigned char key[32], sig[32];
    signing_key(scope, key);
    hmac(key, 32, to_sign, sig);
    hex(sig, 32, out);
    return LC_OK;
}

/* --- verifying ----------------------------------------------------------------------------------- */

typedef struct {
    char access_key_id[128];
    char date[16];
    char region[64];
    char service[64];
    char signed_headers[1024];
    char signature[65];
} authorization;

static bool parse_authorization(const char *text, authorization *a)
{
    memset(a, 0, sizeof *a);
    const char *cred = strstr(text, "Credential=");
    const char *sh = strstr(text, "SignedHeaders=");
    const char *sig = strstr(text, "Signature=");
    if (strncmp(text, "AWS4-HMAC-SHA256 ", 17) != 0 || !cred || !sh || !sig)
        return false;
    int n = sscanf(cred + 11, "%127[^/]/%15[^/]/%63[^/]/%63[^/]/aws4_request", a->access_key_id,
                   a->date, a->region, a->service);
    int m = sscanf(sh + 14, "%1023[^, ]", a->signed_headers);
    int k = sscanf(sig + 10, "%64[0-9a-f]", a->signature);
    char after = k == 1 ? sig[10 + strlen(a->signature)] : 'x'; /* nothing may follow the hex */
    return n == 4 && m == 1 && k == 1 && strlen(a->signature) == 64 &&
           (after == '\0' || after == ',' || after == ' ');
}

static bool signs_header(const authorization *a, const char *name)
{
    size_t n = strlen(name);
    for (const char *h = a->signed_headers; *h;) {
        size_t len = strcspn(h, ";");
        if (len == n && strncasecmp(h, name, n) == 0)
            return true;
        h += len + (h[len] == ';');
    }
    return false;
}

/* Parses an ISO 8601 basic time, YYYYMMDDTHHMMSSZ, into epoch seconds. */
static bool parse_amz_date(const char *text, int64_t *out)
{
    struct tm tm = {0};
    if (text == NULL || strlen(text) != 16)
        return false;
    for (int i = 0; i < 16; i++)
        if (i == 8 ? text[i] != 'T' : i == 15 ? text[i] != 'Z' : !isdigit((unsigned char)text[i]))
            return false;
    if (sscanf(text, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6)
        return false;
    bool valid = tm.tm_mon >= 1 && tm.tm_mon <= 12 && tm.tm_mday >= 1 && tm.tm_mday <= 31 &&
                 tm.tm_hour < 24 && tm.tm_min < 60 && tm.tm_sec < 61;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = (int64_t)timegm(&tm);
    return valid;
}

static void format_amz_date(int64_t seconds, char out[17])
{
    time_t t = (time_t)seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static lc_status refuse(const char **type_out, const char *type, lc_error *err, lc_status st,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static lc_status refuse(const char **type_out, const char *type, lc_error *err, lc_status st,
                        const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (type_out)
        *type_out = type;
    return lc_error_set(err, st, NULL, 0, 0, "%s", message);
}

#define INCOMPLETE "IncompleteSignatureException"
#define INVALID "InvalidSignatureException"

/* The header's shape: parameters, signed headers, and a date that is a date. */
static lc_status check_shape(const lc_sigv4_request *req, authorization *a, int64_t *signed_at,
                             const char **type, lc_error *err)
{
    const char *text = req->header(req->header_ctx, "authorization");
    if (text == NULL)
        return refuse(type, "MissingAuthenticationTokenException", err, LC_ENOTFOUND,
                      "Missing Authentication Token");
    if (!parse_authorization(text, a))
        return refuse(type, INCOMPLETE, err, LC_EINVAL,
                      "Authorization header requires 'Credential', 'SignedHeaders' and "
                      "'Signature' parameters. Authorization=%.100s",
                      text);
    if (!signs_header(a, "host"))
        return refuse(type, INCOMPLETE, err, LC_EINVAL,
                      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    if (!signs_header(a, "x-amz-date"))
        return refuse(type, INCOMPLETE, err, LC_EINVAL,
                      "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.");
    const char *date = req->header(req->header_ctx, "x-amz-date");
    if (!parse_amz_date(date, signed_at))
        return refuse(type, INCOMPLETE, err, LC_EINVAL,
                      "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
    if (strncmp(date, a->date, 8) != 0 || strlen(a->date) != 8)
        return refuse(type, INVALID, err, LC_EPROTO,
                      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                      "date from HTTP: '%s' != '%.8s', from '%s'.",
                      a->date, date, date);
    return LC_OK;
}

/* Every x-amz-* header is signed, and those that say who signed when appear once. */
static lc_status check_listed_headers(const lc_sigv4_request *req, const authorization *a,
                                      const char **type, lc_error *err)
{
    static const char *const once[] = {"authorization", "x-amz-date", "x-amz-security-token",
                                       "x-amz-content-sha256", NULL};
    size_t seen[4] = {0};
    const char *value;
    for (size_t i = 0; req->header_at; i++) {
        const char *name = req->header_at(req->header_ctx, i, &value);
        if (name == NULL)
            break;
        for (size_t k = 0; once[k]; k++)
            if (strcasecmp(name, once[k]) == 0 && ++seen[k] > 1)
                return refuse(type, INCOMPLETE, err, LC_EINVAL,
                              "The request has more than one %s header.", name);
        if (strncasecmp(name, "x-amz-", 6) == 0 && !signs_header(a, name))
            return refuse(type, INCOMPLETE, err, LC_EINVAL,
                          "'%s' must be a 'SignedHeader' in the AWS Authorization.", name);
    }
    return LC_OK;
}

/* The credential's key, region and service, and the time of signing. */
static lc_status check_scope(const authorization *a, int64_t signed_at, const lc_sigv4_key *key,
                             const char **type, lc_error *err)
{
    const char *region = key->region ? key->region : "us-east-1";
    const char *service = key->service ? key->service : "lambda";
    if (strcmp(a->access_key_id, key->access_key_id) != 0)
        return refuse(type, "UnrecognizedClientException", err, LC_EINVAL,
                      "The security token included in the request is invalid.");
    if (strcmp(a->region, region) != 0)
        return refuse(type, INVALID, err, LC_EPROTO,
                      "Credential should be scoped to a valid region. This endpoint signs for "
                      "'%s', not '%s'.",
                      region, a->region);
    if (strcmp(a->service, service) != 0)
        return refuse(type, INVALID, err, LC_EPROTO,
                      "Credential should be scoped to correct service: '%s'. ", service);
    int64_t now = (key->now_ms ? key->now_ms : lc_now_ms()) / 1000;
    long window = key->window_s > 0 ? key->window_s : 900;
    char signed_text[17], limit[17], now_text[17];
    format_amz_date(signed_at, signed_text);
    format_amz_date(now, now_text);
    if (signed_at < now - window) {
        format_amz_date(now - window, limit);
        return refuse(type, INVALID, err, LC_EPROTO,
                      "Signature expired: %s is now earlier than %s (%s - %ld min.)", signed_text,
                      limit, now_text, window / 60);
    }
    if (signed_at > now + window) {
        format_amz_date(now + window, limit);
        return refuse(type, INVALID, err, LC_EPROTO,
                      "Signature not yet current: %s is still later than %s (%s + %ld min.)",
                      signed_text, limit, now_text, window / 60);
    }
    return LC_OK;
}

lc_status lc_sigv4_verify(const lc_sigv4_request *req, const lc_sigv4_key *key,
                          const char **error_type, lc_error *err)
{
    authorization a;
    int64_t signed_at = 0;
    lc_status st = check_shape(req, &a, &signed_at, error_type, err);
    if (st == LC_OK)
        st = check_listed_headers(req, &a, error_type, err);
    if (st == LC_OK)
        st = check_scope(&a, signed_at, key, error_type, err);
    if (st != LC_OK)
        return st;
    const char *date = req->header(req->header_ctx, "x-amz-date");
    lc_sigv4_scope scope = {key->access_key_id, key->secret_access_key, a.region, a.service, date};
    for (int mode = 0; mode <= 2; mode++) {
        char computed[65];
        lc_error mine = {0};
        if (lc_sigv4_signature(req, a.signed_headers, &scope, mode, computed, &mine) != LC_OK)
            return refuse(error_type, INCOMPLETE, err, LC_EINVAL, "%s", mine.message);
        if (strcmp(computed, a.signature) == 0)
            return LC_OK;
    }
    return refuse(error_type, INVALID, err, LC_EPROTO,
                  "The request signature we calculated does not match the signature you "
                  "provided. Check your AWS Secret Access Key and signing method. Consult the "
                  "service documentation for details.");
}
