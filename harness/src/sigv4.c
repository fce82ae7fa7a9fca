#include "lambdacheck/sigv4.h"

#include <ctype.h>
#include <stdbool.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambdacheck/buf.h"

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

static void payload_hash(const lc_sigv4_request *req, char out[65])
{
    const char *given = req->header(req->header_ctx, "x-amz-content-sha256");
    if (given && strlen(given) < 65)
        snprintf(out, 65, "%s", given);
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
    return n == 4 && m == 1 && k == 1 && strlen(a->signature) == 64;
}

lc_status lc_sigv4_verify(const lc_sigv4_request *req, const char *access_key_id,
                          const char *secret_access_key, lc_error *err)
{
    const char *text = req->header(req->header_ctx, "authorization");
    const char *date = req->header(req->header_ctx, "x-amz-date");
    if (text == NULL)
        return lc_error_set(err, LC_ENOTFOUND, NULL, 0, 0, "Missing Authentication Token");
    authorization a;
    if (!parse_authorization(text, &a) || date == NULL || strncmp(date, a.date, 8) != 0)
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "Authorization header requires 'Credential', 'SignedHeaders' and "
                            "'Signature' parameters and an X-Amz-Date of the credential's day.");
    if (strcmp(a.access_key_id, access_key_id) != 0)
        return lc_error_set(err, LC_EINVAL, NULL, 0, 0,
                            "The security token included in the request is invalid.");
    lc_sigv4_scope scope = {access_key_id, secret_access_key, a.region, a.service, date};
    for (int mode = 0; mode <= 2; mode++) {
        char computed[65];
        lc_status st = lc_sigv4_signature(req, a.signed_headers, &scope, mode, computed, err);
        if (st != LC_OK)
            return st;
        if (strcmp(computed, a.signature) == 0)
            return LC_OK;
    }
    return lc_error_set(err, LC_EPROTO, NULL, 0, 0,
                        "The request signature we calculated does not match the signature you "
                        "provided. Check your AWS Secret Access Key and signing method. Consult "
                        "the service documentation for details.");
}
