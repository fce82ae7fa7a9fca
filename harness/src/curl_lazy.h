/* Private to the library: libcurl, loaded when first needed.
 *
 * Mapping libcurl and the libraries it pulls in (TLS, Kerberos, LDAP, ...) costs a process about
 * 13 ms at start on a small machine; the commands that never call an endpoint over HTTP (a local
 * invoke, serve) start without it. The client (client.c) is its only user.
 */
#ifndef LC_CURL_LAZY_H
#define LC_CURL_LAZY_H

#include <curl/curl.h>

#include "lambdacheck/error.h"

/* The libcurl functions the client calls. */
typedef struct {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *handle, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *handle);
    CURLcode (*easy_getinfo)(CURL *handle, CURLINFO info, ...);
    void (*easy_reset)(CURL *handle);
    void (*easy_cleanup)(CURL *handle);
    const char *(*easy_strerror)(CURLcode code);
    char *(*easy_escape)(CURL *handle, const char *text, int length);
    void (*free)(void *p);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *text);
    void (*slist_free_all)(struct curl_slist *list);
} lc__curl_api;

/* libcurl's functions, loaded (and globally initialised) once per process. NULL, with err
 * naming the library and why, when it cannot be loaded. */
const lc__curl_api *lc__curl(lc_error *err);

#endif
