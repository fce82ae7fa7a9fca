/* The local AWS endpoint: scopes of stubs and calls, a loopback server, and the proxy that
 * refuses SDKs which ignore the endpoint. See lambdacheck/aws_endpoint.h. */
#include "lambdacheck/aws_endpoint.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws_protocol.h"
#include "http_server.h"
#include "lambdacheck/buf.h"
#include "lambdacheck/context.h"
#include "lambdacheck/json_util.h"

#define DEFAULT_HINT "add one to the case's \"aws\" list, or pass --aws-endpoint"
#define MAX_SCOPES 4096
#define MAX_KEPT_BYTES (32u * 1024 * 1024) /* of recorded parameters, per scope */
#define MAX_TUNNELS 64
#define TUNNEL_IDLE_MS 60000

/* --- stubs, checked -------------------------------------------------------------------------- */

/* The closest operation of s to op, into out ("" when none is close). */
static void closest_operation(const lc__aws_service *s, const char *op, char *out, size_t size)
{
    lc__aws_closest(s->operations, op, 4, out, size);
}

static void known_services(char *out, size_t size)
{
    lc_buf b;
    lc_buf_init(&b, size - 1);
    for (size_t i = 0; i < lc__aws_service_count(); i++)
        lc_buf_printf(&b, "%s%s", i ? ", " : "", lc__aws_service_at(i)->name);
    snprintf(out, size, "%s", b.data ? b.data : "");
    lc_buf_free(&b);
}

/* The service a misspelt or SDK-named service prefix means, or NULL. */
static const char *closest_service(const char *given)
{
    static const struct {
        const char *sdk, *iam;
    } aliases[] = {{"stepfunctions", "states"}, {"sfn", "states"},
                   {"eventbridge", "events"},   {"secrets-manager", "secretsmanager"},
                   {"lambda-invoke", "lambda"}, {"dynamo", "dynamodb"},
                   {"ddb", "dynamodb"},         {"kinesis-firehose", "firehose"}};
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcasecmp(aliases[i].sdk, given) == 0)
            return aliases[i].iam;
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < lc__aws_service_count(); i++) {
        size_t d = lc_name_distance(given, lc__aws_service_at(i)->name);
        if (d < best_d) {
            best_d = d;
            best = lc__aws_service_at(i)->name;
        }
    }
    return best;
}

static lc_status check_call(const char *call, const char *source, const char *where, bool stubbed,
                            lc_error *err)
{
    const char *colon = strchr(call, ':');
    char service[64], names[400], near[128];
    if (colon == NULL || colon == call || colon[1] == '\0' ||
        (size_t)(colon - call) >= sizeof service)
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%s.call \"%.200s\" is not SERVICE:Operation (\"dynamodb:GetItem\")",
                            where, call);
    snprintf(service, sizeof service, "%.*s", (int)(colon - call), call);
    const lc__aws_service *s = lc__aws_service_named(service);
    if (s == NULL) {
        known_services(names, sizeof names);
        const char *near_name = closest_service(service);
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%s.call: lambdacheck does not know the service \"%s\"%s%s%s (it "
                            "knows %s: the prefixes of IAM's actions)",
                            where, service, near_name ? " (did you mean " : "",
                            near_name ? near_name : "", near_name ? "?)" : "", names);
    }
    if (!lc__aws_service_has(s, colon + 1)) {
        closest_operation(s, colon + 1, near, sizeof near);
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%s.call: %s has no operation \"%.100s\"%s%s%s", where, service,
                            colon + 1, near[0] ? " (did you mean " : "", near, near[0] ? "?)" : "");
    }
    if (stubbed && !lc__aws_operation_supported(s, colon + 1))
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%s.call: lambdacheck cannot tell %s from its request; the %s "
                            "operations it stubs are %s",
                            where, call, service, lc__aws_rest_operations(s));
    return LC_OK;
}

lc_status lc_aws_call_validate(const char *call, const char *source, const char *where,
                               lc_error *err)
{
    char at[200];
    snprintf(at, sizeof at, "%s", where);
    size_t n = strlen(at);
    if (n > 5 && strcmp(at + n - 5, ".call") == 0) /* check_call adds it */
        at[n - 5] = '\0';
    return check_call(call, source, at, false, err);
}

static lc_status check_error(const json_t *e, const char *source, const char *where, lc_error *err)
{
    static const char *const keys[] = {"code", "message", "status"};
    const char *k;
    const json_t *v;
    if (!json_is_object(e))
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%s.error must be an object: {\"code\": ..., \"message\": ...}", where);
    json_object_foreach((json_t *)e, k, v)
    {
        bool known = false;
        for (size_t i = 0; i < 3; i++)
            known |= strcmp(k, keys[i]) == 0;
        if (!known)
            return lc_error_set(err, LC_EINVAL, source, 0, 0,
                                "%s.error.%s: unknown field (code, message, status)", where, k);
    }
    const json_t *code = json_object_get(e, "code"), *msg = json_object_get(e, "message");
    const json_t *status = json_object_get(e, "status");
    if (!json_is_string(code) || json_string_length(code) == 0 || json_string_length(code) > 200)
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%s.error.code must be the error's code, a string "
                            "(\"ResourceNotFoundException\")",
                            where);
    if (msg && !json_is_string(msg))
        return lc_error_set(err, LC_EINVAL, source, 0, 0, "%s.error.message must be a string",
                            where);
    if (status && (!json_is_integer(status) || json_integer_value(status) < 400 ||
                   json_integer_value(status) > 599))
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%s.error.status must be an HTTP error status (400 to 599)", where);
    return LC_OK;
}

static lc_status check_stub(const json_t *stub, const char *source, const char *where,
                            lc_error *err)
{
    static const char *const keys[] = {"call", "match", "respond", "error", "times", "description"};
    if (!json_is_object(stub))
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%s must be an object: {\"call\": \"service:Operation\", ...}", where);
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)stub, k, v)
    {
        bool known = false;
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            known |= strcmp(k, keys[i]) == 0;
        if (!known)
            return lc_error_set(err, LC_EINVAL, source, 0, 0,
                                "%s.%s: unknown field (call, match, respond, error, times, "
                                "description)",
                                where, k);
    }
    const json_t *call = json_object_get(stub, "call");
    if (!json_is_string(call))
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%s.call is missing: every stub names its call, "
                            "\"service:Operation\"",
                            where);
    lc_status st = check_call(json_string_value(call), source, where, true, err);
    if (st != LC_OK)
        return st;
    const json_t *match = json_object_get(stub, "match");
    if (match && !json_is_object(match))
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%s.match must be an object: a subset of the call's parameters", where);
    const json_t *respond = json_object_get(stub, "respond"),
                 *error = json_object_get(stub, "error");
    if (respond && error)
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%s has both respond and error: a stub answers one way", where);
    if (error && (st = check_error(error, source, where, err)) != LC_OK)
        return st;
    const char *name = json_string_value(call), *colon = strchr(name, ':');
    char service[64];
    snprintf(service, sizeof service, "%.*s", (int)(colon - name), name);
    const char *why =
        respond ? lc__aws_respond_problem(lc__aws_service_named(service), colon + 1, respond)
                : NULL;
    if (why)
        return lc_error_set(err, LC_EINVAL, source, 0, 0, "%s: %s", where, why);
    const json_t *times = json_object_get(stub, "times");
    if (times && (!json_is_integer(times) || json_integer_value(times) < 1))
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%s.times must be a positive integer (the calls it answers)", where);
    const json_t *d = json_object_get(stub, "description");
    if (d && !json_is_string(d))
        return lc_error_set(err, LC_EINVAL, source, 0, 0, "%s.description must be a string", where);
    return LC_OK;
}

lc_status lc_aws_stubs_validate(const json_t *stubs, const char *source, const char *where,
                                lc_error *err)
{
    if (!json_is_array(stubs))
        return lc_error_set(err, LC_EINVAL, source, 0, 0,
                            "%s must be a list of stubs: [{\"call\": \"service:Operation\", ...}]",
                            where);
    size_t i;
    const json_t *stub;
    json_array_foreach(stubs, i, stub)
    {
        char at[160];
        snprintf(at, sizeof at, "%s[%zu]", where, i);
        lc_status st = check_stub(stub, source, at, err);
        if (st != LC_OK)
            return st;
    }
    return LC_OK;
}

lc_status lc_aws_stubs_load(const char *path, json_t **out, lc_error *err)
{
    *out = NULL;
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL)
        return lc_error_set(err, errno == ENOENT && jerr.line == -1 ? LC_ENOTFOUND : LC_EINVAL,
                            path, jerr.line > 0 ? jerr.line : 0, jerr.column > 0 ? jerr.column : 0,
                            "the stubs file cannot be read as JSON: %s", jerr.text);
    json_t *list =
        json_is_object(doc) ? json_incref(json_object_get(doc, "aws")) : json_incref(doc);
    json_decref(doc);
    if (list == NULL)
        return lc_error_set(err, LC_EINVAL, path, 0, 0,
                            "a stubs file is a list of stubs, or an object with one as \"aws\"");
    lc_status st = lc_aws_stubs_validate(list, path, "aws", err);
    if (st != LC_OK) {
        json_decref(list);
        return st;
    }
    *out = list;
    return LC_OK;
}

/* --- scopes ---------------------------------------------------------------------------------- */

typedef struct {
    char id[LC_AWS_SCOPE_SIZE];
    char label[200];
    json_t *stubs;     /* owned list */
    size_t *used;      /* answers given, per stub */
    json_t *calls;     /* owned list of records */
    size_t seen;       /* calls seen, kept or not */
    size_t kept_bytes; /* of the kept parameters, roughly */
    char *data_dir;    /* owned: botocore's rewritten endpoint rules, or NULL */
} scope;

struct lc_aws_endpoint {
    lc__http_server *server;
    char url[64];
    char hint[300];
    void (*on_call)(void *ctx, const char *scope, const json_t *call);
    void *ctx;
    pthread_mutex_t mu;
    scope **scopes; /* [0] is the default scope */
    size_t n_scopes;
    unsigned long next_id;
    /* botocore's rules for the services outside the table, one folder per botocore data folder */
    char *shared_for[4]; /* owned: the data folders */
    char *shared_dir[4]; /* owned: their rules (NULL when they could not be written) */
    /* tunnels */
    pthread_cond_t tunnels_done;
    size_t tunnels;
    bool no_tunnels;
    int stop_pipe[2];
};

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void free_scope(scope *s)
{
    if (s == NULL)
        return;
    json_decref(s->stubs);
    json_decref(s->calls);
    free(s->used);
    if (s->data_dir) {
        nftw(s->data_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(s->data_dir);
    }
    free(s);
}

static scope *new_scope(const json_t *stubs, const char *label)
{
    scope *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->stubs = stubs ? json_deep_copy(stubs) : json_array();
    s->used = calloc(json_array_size(s->stubs) + 1, sizeof *s->used);
    s->calls = json_array();
    snprintf(s->label, sizeof s->label, "%s", label ? label : "");
    if (s->stubs == NULL || s->used == NULL || s->calls == NULL) {
        free_scope(s);
        return NULL;
    }
    return s;
}

/* The scope of id (locked), or NULL. */
static scope *find_scope(lc_aws_endpoint *ep, const char *id)
{
    for (size_t i = 0; i < ep->n_scopes; i++)
        if (strcmp(ep->scopes[i]->id, id) == 0)
            return ep->scopes[i];
    return NULL;
}

lc_status lc_aws_endpoint_open(lc_aws_endpoint *ep, const json_t *stubs, const char *label,
                               char id[LC_AWS_SCOPE_SIZE], lc_error *err)
{
    scope *s = new_scope(stubs, label);
    if (s == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    pthread_mutex_lock(&ep->mu);
    scope **grown =
        ep->n_scopes < MAX_SCOPES ? realloc(ep->scopes, (ep->n_scopes + 1) * sizeof *grown) : NULL;
    if (grown) {
        ep->scopes = grown;
        snprintf(s->id, sizeof s->id, "s%lx", ++ep->next_id);
        ep->scopes[ep->n_scopes++] = s;
        snprintf(id, LC_AWS_SCOPE_SIZE, "%s", s->id);
    }
    pthread_mutex_unlock(&ep->mu);
    if (grown == NULL) {
        free_scope(s);
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0,
                            "the AWS endpoint has %d scopes open: no more", MAX_SCOPES);
    }
    return LC_OK;
}

void lc_aws_endpoint_close(lc_aws_endpoint *ep, const char *id)
{
    if (ep == NULL || id == NULL || id[0] == '\0')
        return;
    scope *gone = NULL;
    pthread_mutex_lock(&ep->mu);
    for (size_t i = 1; i < ep->n_scopes; i++)
        if (strcmp(ep->scopes[i]->id, id) == 0) {
            gone = ep->scopes[i];
            memmove(&ep->scopes[i], &ep->scopes[i + 1],
                    (ep->n_scopes - i - 1) * sizeof *ep->scopes);
            ep->n_scopes--;
            break;
        }
    pthread_mutex_unlock(&ep->mu);
    free_scope(gone);
}

lc_status lc_aws_endpoint_set_default(lc_aws_endpoint *ep, const json_t *stubs, lc_error *err)
{
    scope *s = new_scope(stubs, "");
    if (s == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    pthread_mutex_lock(&ep->mu);
    scope *old = ep->scopes[0];
    ep->scopes[0] = s;
    pthread_mutex_unlock(&ep->mu);
    free_scope(old);
    return LC_OK;
}

json_t *lc_aws_endpoint_calls(lc_aws_endpoint *ep, const char *id, size_t from)
{
    json_t *out = json_array();
    pthread_mutex_lock(&ep->mu);
    scope *s = find_scope(ep, id ? id : "");
    for (size_t i = from; s && out && i < json_array_size(s->calls); i++)
        json_array_append_new(out, json_deep_copy(json_array_get(s->calls, i)));
    pthread_mutex_unlock(&ep->mu);
    return out;
}

size_t lc_aws_endpoint_call_count(lc_aws_endpoint *ep, const char *id)
{
    pthread_mutex_lock(&ep->mu);
    scope *s = find_scope(ep, id ? id : "");
    size_t n = s ? s->seen : 0;
    pthread_mutex_unlock(&ep->mu);
    return n;
}

/* --- answering a call --------------------------------------------------------------------------
 */

/* Why stub i does not answer call (locked), into why; true when it does. */
static bool stub_answers(const scope *s, size_t i, const lc__aws_call *call, lc_buf *why)
{
    const json_t *stub = json_array_get(s->stubs, i);
    if (strcmp(json_string_value(json_object_get(stub, "call")), call->call) != 0)
        return false;
    json_int_t times = json_integer_value(json_object_get(stub, "times"));
    if (times && s->used[i] >= (size_t)times) {
        lc_buf_printf(why, "%saws[%zu] has answered its %lld call%s", why->len ? "; " : "", i,
                      (long long)times, times == 1 ? "" : "s");
        return false;
    }
    const json_t *match = json_object_get(stub, "match");
    if (match == NULL)
        return true;
    lc_buf diff;
    lc_buf_init(&diff, 300);
    bool ok = lc_json_match(match, call->params, LC_JSON_SUBSET, &diff);
    if (!ok)
        lc_buf_printf(why, "%saws[%zu].match: %s", why->len ? "; " : "", i,
                      diff.data ? diff.data : "differs");
    lc_buf_free(&diff);
    return ok;
}

/* The record of a call, before its answer is known. */
static json_t *new_record(const lc__aws_call *call, const scope *s)
{
    json_t *r = json_object();
    json_object_set_new(r, "call", json_string(call->call[0] ? call->call : "?"));
    bool keep = s && s->kept_bytes < MAX_KEPT_BYTES && json_array_size(s->calls) < LC_AWS_MAX_CALLS;
    json_object_set(r, "params", keep ? call->params : json_null());
    if (!keep)
        json_object_set_new(r, "paramsDropped", json_true());
    return r;
}

static size_t roughly(const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    size_t n = text ? strlen(text) : 0;
    free(text);
    return n;
}

static void keep_record(scope *s, json_t *record)
{
    s->seen++;
    if (json_array_size(s->calls) < LC_AWS_MAX_CALLS) {
        s->kept_bytes += roughly(json_object_get(record, "params"));
        json_array_append(s->calls, record);
    }
}

static void send_answer(lc_aws_endpoint *ep, lc__http_request *req, lc__aws_answer *a)
{
    lc__http_respond(ep->server, req, a->status, (const char *const *)a->headers, a->body,
                     a->body_len, free);
    a->body = NULL;
    lc__aws_answer_clear(a);
}

/* Answers call from the scope's stubs (locked), filling record. */
static void answer_from_stubs(lc_aws_endpoint *ep, scope *s, const lc__aws_call *call,
                              const char *request_id, json_t *record, lc__aws_answer *a)
{
    lc_buf why;
    lc_buf_init(&why, 700);
    for (size_t i = 0; s && i < json_array_size(s->stubs); i++)
        if (stub_answers(s, i, call, &why)) {
            s->used[i]++;
            const json_t *stub = json_array_get(s->stubs, i);
            const json_t *error = json_object_get(stub, "error");
            json_object_set_new(record, "stub", json_integer((json_int_t)i));
            if (error) {
                const char *code = json_string_value(json_object_get(error, "code"));
                const char *msg = json_string_value(json_object_get(error, "message"));
                lc__aws_render_error(call,
                                     (int)json_integer_value(json_object_get(error, "status")),
                                     code, msg ? msg : "", request_id, a);
                json_object_set_new(
                    record, "error",
                    json_pack("{s:s, s:s}", "code", code, "message", msg ? msg : ""));
            } else {
                json_t *result = lc__aws_complete_result(call, json_object_get(stub, "respond"));
                lc__aws_render_result(call, result, request_id, a);
                json_decref(result);
            }
            lc_buf_free(&why);
            return;
        }
    char brief[300], message[1400];
    lc__aws_call_brief(call, brief, sizeof brief);
    snprintf(message, sizeof message, "lambdacheck: no stub for %s%s%s%s%s%s; %s", call->call,
             brief[0] ? " (" : "", brief, brief[0] ? ")" : "", why.len ? " matches: " : "",
             why.len ? why.data : "", s ? ep->hint : "the case it came from has ended");
    lc__aws_render_error(call, 400, "LambdacheckNoStub", message, request_id, a);
    json_object_set_new(record, "unstubbed", json_true());
    json_object_set_new(record, "error",
                        json_pack("{s:s, s:s}", "code", "LambdacheckNoStub", "message", message));
    lc_buf_free(&why);
}

static void notify(lc_aws_endpoint *ep, const char *scope_id, json_t *record)
{
    if (ep->on_call)
        ep->on_call(ep->ctx, scope_id, record);
    json_decref(record);
}

static void answer_call(lc_aws_endpoint *ep, lc__http_request *req)
{
    lc__aws_call call;
    lc__aws_read(req, &call);
    char request_id[37];
    lc_uuid4(request_id);
    lc__aws_answer a;
    pthread_mutex_lock(&ep->mu);
    scope *s = find_scope(ep, call.scope);
    json_t *record = new_record(&call, s);
    if (req->over_cap) {
        char message[300];
        snprintf(message, sizeof message,
                 "lambdacheck's AWS endpoint keeps bodies of up to %u MB: this one has %zu bytes",
                 LC__AWS_MAX_BODY / (1024 * 1024), req->body_size);
        lc__aws_render_error(&call, 413, "RequestEntityTooLarge", message, request_id, &a);
        json_object_set_new(record, "problem", json_string(message));
    } else if (call.problem[0]) {
        char message[700];
        snprintf(message, sizeof message, "lambdacheck: %s", call.problem);
        lc__aws_render_error(&call, 400, "LambdacheckBadRequest", message, request_id, &a);
        json_object_set_new(record, "problem", json_string(call.problem));
    } else
        answer_from_stubs(ep, s, &call, request_id, record, &a);
    json_object_set_new(record, "status", json_integer(a.status));
    if (s)
        keep_record(s, record);
    pthread_mutex_unlock(&ep->mu);
    lc__aws_call_clear(&call);
    send_answer(ep, req, &a);
    notify(ep, call.scope, record);
}

/* --- the proxy: SDKs that ignore the endpoint ------------------------------------------------- */

/* True for a host of AWS's public endpoints. */
static bool aws_host(const char *host, size_t len)
{
    static const char *const suffixes[] = {".amazonaws.com", ".amazonaws.com.cn", ".api.aws",
                                           ".on.aws"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t n = strlen(suffixes[i]);
        if ((len > n && strncasecmp(host + len - n, suffixes[i], n) == 0) ||
            (len == n - 1 && strncasecmp(host, suffixes[i] + 1, n - 1) == 0))
            return true;
    }
    return false;
}

/* The scope a CONNECT names in its Proxy-Authorization (Basic, "<scope>:"). */
static void proxy_scope(const lc__http_request *req, char *out, size_t size)
{
    out[0] = '\0';
    const char *auth = lc__http_header(req, "Proxy-Authorization");
    if (auth == NULL || strncasecmp(auth, "Basic ", 6) != 0)
        return;
    lc_buf b;
    lc_buf_init(&b, 256);
    if (lc_buf_base64_decode(&b, auth + 6, strlen(auth + 6)) == LC_OK && b.data) {
        size_t n = strcspn(b.data, ":");
        if (n < size)
            snprintf(out, size, "%.*s", (int)n, b.data);
    }
    lc_buf_free(&b);
}

static void write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

static void refuse_tunnel(lc_aws_endpoint *ep, lc__http_request *req, const char *host)
{
    char scope_id[LC_AWS_SCOPE_SIZE], message[700], head[1200];
    proxy_scope(req, scope_id, sizeof scope_id);
    snprintf(message, sizeof message,
             "lambdacheck refused a connection to %.200s: the SDK ignored AWS_ENDPOINT_URL, or "
             "the code calls AWS over HTTPS itself, and would have reached AWS; use an SDK that "
             "honours it (boto3 1.28 or later, the AWS SDK for JavaScript v3), pass its endpoint "
             "to the client, or stub what the code fetches",
             host);
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 403 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     message, strlen(message));
    json_t *record =
        json_pack("{s:s, s:s, s:i}", "call", "CONNECT", "refused", message, "status", 403);
    json_object_set_new(record, "host", json_string(host));
    pthread_mutex_lock(&ep->mu);
    scope *s = find_scope(ep, scope_id);
    if (s)
        keep_record(s, record);
    pthread_mutex_unlock(&ep->mu);
    int fd = lc__http_detach(ep->server, req);
    if (fd >= 0) {
        write_all(fd, head, (size_t)n);
        write_all(fd, message, strlen(message));
        close(fd);
    }
    notify(ep, scope_id, record);
}

typedef struct {
    lc_aws_endpoint *ep;
    int client;
    char host[256];
    char port[8];
} tunnel;

static int dial(const char *host, const char *port)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return -1;
    int fd = -1;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

/* Copies bytes both ways until either side closes, the endpoint stops, or it idles too long. */
static void relay(tunnel *t, int upstream)
{
    char buf[16384];
    for (;;) {
        struct pollfd p[3] = {
            {t->client, POLLIN, 0}, {upstream, POLLIN, 0}, {t->ep->stop_pipe[0], POLLIN, 0}};
        int n = poll(p, 3, TUNNEL_IDLE_MS);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || p[2].revents)
            return;
        for (int i = 0; i < 2; i++)
            if (p[i].revents) {
                ssize_t got = recv(p[i].fd, buf, sizeof buf, 0);
                if (got <= 0)
                    return;
                write_all(i == 0 ? upstream : t->client, buf, (size_t)got);
            }
    }
}

static void *tunnel_main(void *arg)
{
    tunnel *t = arg;
    int up = dial(t->host, t->port);
    static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
    static const char bad[] = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
                              "Connection: close\r\n\r\n";
    if (up < 0)
        write_all(t->client, bad, sizeof bad - 1);
    else {
        write_all(t->client, ok, sizeof ok - 1);
        relay(t, up);
        close(up);
    }
    close(t->client);
    lc_aws_endpoint *ep = t->ep;
    free(t);
    pthread_mutex_lock(&ep->mu);
    ep->tunnels--;
    pthread_cond_broadcast(&ep->tunnels_done);
    pthread_mutex_unlock(&ep->mu);
    return NULL;
}

static void open_tunnel(lc_aws_endpoint *ep, lc__http_request *req, const char *target)
{
    tunnel *t = calloc(1, sizeof *t);
    const char *colon = strrchr(target, ':');
    pthread_mutex_lock(&ep->mu);
    bool room = ep->tunnels < MAX_TUNNELS;
    if (room && t)
        ep->tunnels++;
    pthread_mutex_unlock(&ep->mu);
    if (t == NULL || !room || colon == NULL || (size_t)(colon - target) >= sizeof t->host ||
        strlen(colon + 1) >= sizeof t->port) {
        if (t && room) {
            pthread_mutex_lock(&ep->mu);
            ep->tunnels--;
            pthread_mutex_unlock(&ep->mu);
        }
        free(t);
        lc__http_respond(ep->server, req, room ? 400 : 503, NULL, "", 0, NULL);
        return;
    }
    t->ep = ep;
    snprintf(t->host, sizeof t->host, "%.*s", (int)(colon - target), target);
    snprintf(t->port, sizeof t->port, "%s", colon + 1);
    t->client = lc__http_detach(ep->server, req);
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (t->client < 0 || pthread_create(&th, &attr, tunnel_main, t) != 0) {
        if (t->client >= 0)
            close(t->client);
        free(t);
        pthread_mutex_lock(&ep->mu);
        ep->tunnels--;
        pthread_mutex_unlock(&ep->mu);
    }
    pthread_attr_destroy(&attr);
}

static void on_connect(lc_aws_endpoint *ep, lc__http_request *req)
{
    const char *target = req->target;
    const char *colon = strrchr(target, ':');
    size_t host_len = colon ? (size_t)(colon - target) : strlen(target);
    if (aws_host(target, host_len) || ep->no_tunnels)
        refuse_tunnel(ep, req, target);
    else
        open_tunnel(ep, req, target);
}

/* --- the server --------------------------------------------------------------------------------
 */

static void on_request(void *ctx, lc__http_request *req)
{
    lc_aws_endpoint *ep = ctx;
    if (strcmp(req->method, "CONNECT") == 0)
        on_connect(ep, req);
    else
        answer_call(ep, req);
}

static void error_body(void *ctx, int status, const char *message, lc_buf *body,
                       const char **content_type)
{
    (void)ctx;
    (void)status;
    json_t *e = json_pack("{s:s, s:s}", "__type", "LambdacheckBadRequest", "message", "");
    char text[600];
    snprintf(text, sizeof text, "lambdacheck's AWS endpoint: %s", message);
    json_object_set_new(e, "message", json_string(text));
    char *dump = json_dumps(e, JSON_COMPACT);
    if (dump)
        lc_buf_puts(body, dump);
    free(dump);
    json_decref(e);
    *content_type = "application/x-amz-json-1.0";
}

lc_status lc_aws_endpoint_start(const lc_aws_endpoint_options *opt, lc_aws_endpoint **out,
                                lc_error *err)
{
    *out = NULL;
    lc_aws_endpoint *ep = calloc(1, sizeof *ep);
    if (ep == NULL)
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    pthread_mutex_init(&ep->mu, NULL);
    pthread_cond_init(&ep->tunnels_done, NULL);
    ep->stop_pipe[0] = ep->stop_pipe[1] = -1;
    snprintf(ep->hint, sizeof ep->hint, "%s", opt && opt->hint ? opt->hint : DEFAULT_HINT);
    ep->on_call = opt ? opt->on_call : NULL;
    ep->no_tunnels = opt && opt->no_tunnels;
    ep->ctx = opt ? opt->ctx : NULL;
    ep->scopes = calloc(1, sizeof *ep->scopes);
    if (ep->scopes == NULL || (ep->scopes[0] = new_scope(NULL, "")) == NULL ||
        pipe2(ep->stop_pipe, O_CLOEXEC) != 0) {
        lc_aws_endpoint_free(ep);
        return lc_error_set(err, LC_ENOMEM, NULL, 0, 0, "out of memory");
    }
    ep->n_scopes = 1;
    lc__http_config config = {.max_body = LC__AWS_MAX_BODY,
                              .request_timeout_ms = 30000,
                              .idle_timeout_ms = 120000,
                              .on_request = on_request,
                              .error_body = error_body,
                              .ctx = ep};
    lc_status st = lc__http_server_start(&config, &ep->server, err);
    if (st != LC_OK) {
        lc_aws_endpoint_free(ep);
        return st;
    }
    snprintf(ep->url, sizeof ep->url, "http://127.0.0.1:%u",
             (unsigned)lc__http_server_port(ep->server));
    *out = ep;
    return LC_OK;
}

void lc_aws_endpoint_free(lc_aws_endpoint *ep)
{
    if (ep == NULL)
        return;
    lc__http_server_free(ep->server);
    if (ep->stop_pipe[1] >= 0) {
        ssize_t ignored = write(ep->stop_pipe[1], "x", 1);
        (void)ignored;
    }
    pthread_mutex_lock(&ep->mu);
    while (ep->tunnels > 0)
        pthread_cond_wait(&ep->tunnels_done, &ep->mu);
    pthread_mutex_unlock(&ep->mu);
    for (size_t i = 0; i < ep->n_scopes; i++)
        free_scope(ep->scopes[i]);
    free(ep->scopes);
    for (size_t i = 0; i < 4; i++) {
        if (ep->shared_dir[i])
            nftw(ep->shared_dir[i], remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(ep->shared_dir[i]);
        free(ep->shared_for[i]);
    }
    if (ep->stop_pipe[0] >= 0)
        close(ep->stop_pipe[0]);
    if (ep->stop_pipe[1] >= 0)
        close(ep->stop_pipe[1]);
    pthread_cond_destroy(&ep->tunnels_done);
    pthread_mutex_destroy(&ep->mu);
    free(ep);
}

const char *lc_aws_endpoint_url(const lc_aws_endpoint *ep)
{
    return ep->url;
}

/* --- the variables ------------------------------------------------------------------------------
 */

static bool write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    bool ok = f && fputs(text, f) >= 0;
    if (f)
        ok = fclose(f) == 0 && ok;
    return ok;
}

/* A new folder for rules under $TMPDIR, into dir; false when it cannot be made. */
static bool rules_folder(char *dir, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, size, "%s/lambdacheck-aws-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(dir) != NULL;
}

/* Writes dir/model/version/endpoint-rule-set-1.json: a rule set that answers base whatever the
 * parameters (S3's puts the bucket in the path, as path-style addressing does). */
static bool write_rule_set(const char *dir, const char *model, const char *version,
                           const char *base, bool s3)
{
    char path[4400], text[1800];
    snprintf(path, sizeof path, "%s/%s", dir, model);
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return false;
    snprintf(path, sizeof path, "%s/%s/%s", dir, model, version);
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return false;
    char bucket_rule[600] = "";
    if (s3)
        snprintf(bucket_rule, sizeof bucket_rule,
                 "{\"conditions\": [{\"fn\": \"isSet\", \"argv\": [{\"ref\": \"Bucket\"}]}], "
                 "\"endpoint\": {\"url\": \"%s/{Bucket}\", \"properties\": {}, \"headers\": {}}, "
                 "\"type\": \"endpoint\"}, ",
                 base);
    snprintf(
        text, sizeof text,
        "{\"version\": \"1.0\", \"parameters\": {"
        "\"Region\": {\"builtIn\": \"AWS::Region\", \"required\": false, \"type\": \"String\"}%s}, "
        "\"rules\": [%s{\"conditions\": [], \"endpoint\": {\"url\": \"%s\", "
        "\"properties\": {}, \"headers\": {}}, \"type\": \"endpoint\"}]}\n",
        s3 ? ", \"Bucket\": {\"required\": false, \"type\": \"String\"}" : "", bucket_rule, base);
    snprintf(path, sizeof path, "%s/%s/%s/endpoint-rule-set-1.json", dir, model, version);
    return write_text(path, text);
}

/* The rules of every service of the table, answering base (a scope's URL). */
static char *write_rules(const char *base)
{
    char dir[4096];
    if (!rules_folder(dir, sizeof dir))
        return NULL;
    bool ok = true;
    for (size_t i = 0; ok && i < lc__aws_service_count(); i++) {
        const lc__aws_service *s = lc__aws_service_at(i);
        ok = write_rule_set(dir, s->model, s->api_version, base, strcmp(s->name, "s3") == 0);
    }
    if (!ok) {
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        return NULL;
    }
    return strdup(dir);
}

static bool in_table(const char *model)
{
    for (size_t i = 0; i < lc__aws_service_count(); i++)
        if (strcmp(lc__aws_service_at(i)->model, model) == 0)
            return true;
    return false;
}

static int visible(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/* The rules of every other service in a botocore data folder (each of its API versions),
 * answering the endpoint with no scope: the endpoint refuses them at once, naming the service. */
static char *write_shared_rules(const char *data, const char *base)
{
    char dir[4096];
    if (!rules_folder(dir, sizeof dir))
        return NULL;
    struct dirent **models = NULL;
    int n = scandir(data, &models, visible, alphasort);
    bool ok = n >= 0;
    for (int i = 0; i < n; i++) {
        char versions_at[4400];
        snprintf(versions_at, sizeof versions_at, "%s/%s", data, models[i]->d_name);
        struct dirent **versions = NULL;
        int m =
            in_table(models[i]->d_name) ? 0 : scandir(versions_at, &versions, visible, alphasort);
        for (int j = 0; j < m; j++) {
            if (ok && isdigit((unsigned char)versions[j]->d_name[0]))
                ok = write_rule_set(dir, models[i]->d_name, versions[j]->d_name, base, false);
            free(versions[j]);
        }
        free(versions);
        free(models[i]);
    }
    free(models);
    if (!ok) {
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        return NULL;
    }
    return strdup(dir);
}

/* The shared rules for a botocore data folder (locked), written on first use. */
static const char *shared_rules(lc_aws_endpoint *ep, const char *data)
{
    size_t i = 0;
    for (; i < 4 && ep->shared_for[i]; i++)
        if (strcmp(ep->shared_for[i], data) == 0)
            return ep->shared_dir[i];
    if (i == 4 || (ep->shared_for[i] = strdup(data)) == NULL)
        return NULL;
    ep->shared_dir[i] = write_shared_rules(data, ep->url);
    return ep->shared_dir[i];
}

json_t *lc_aws_endpoint_variables(lc_aws_endpoint *ep, const char *id, const char *botocore_data,
                                  const json_t *theirs)
{
    char base[128], proxy[160];
    const char *port = strrchr(ep->url, ':') + 1;
    bool named = id && id[0];
    snprintf(base, sizeof base, "%s%s%s", ep->url, named ? "/_lc/" : "", named ? id : "");
    /* the scope as the proxy's user: botocore and urllib send Proxy-Authorization only when the
       URL has both a user and a password */
    snprintf(proxy, sizeof proxy, "http://%s%s127.0.0.1:%s", named ? id : "",
             named ? ":lambdacheck@" : "", port);
    json_t *vars = json_pack("{s:s, s:s, s:s, s:s, s:s}", "AWS_ENDPOINT_URL", base, "HTTPS_PROXY",
                             proxy, "https_proxy", proxy, "NO_PROXY", "127.0.0.1,localhost,::1",
                             "no_proxy", "127.0.0.1,localhost,::1");
    if (vars && botocore_data && !json_object_get(theirs, "AWS_DATA_PATH")) {
        pthread_mutex_lock(&ep->mu);
        scope *s = find_scope(ep, id ? id : "");
        if (s && s->data_dir == NULL)
            s->data_dir = write_rules(base);
        const char *shared = shared_rules(ep, botocore_data);
        char paths[8400];
        snprintf(paths, sizeof paths, "%s%s%s", s && s->data_dir ? s->data_dir : "",
                 s && s->data_dir && shared ? ":" : "", shared ? shared : "");
        if (paths[0])
            json_object_set_new(vars, "AWS_DATA_PATH", json_string(paths));
        pthread_mutex_unlock(&ep->mu);
    }
    const char *name;
    json_t *value;
    void *tmp;
    json_object_foreach_safe(vars, tmp, name, value) if (json_object_get(theirs, name))
        json_object_del(vars, name);
    return vars;
}
