#include "curl_lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The soname of the libcurl this was built against (Debian: libcurl4-openssl-dev). */
#define LIBCURL "libcurl.so.4"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static lc__curl_api api;
static char failure[512];

/* Fills api from lib; false (failure set) when a symbol is missing. */
static int resolve(void *lib)
{
    static const struct {
        const char *name;
        size_t offset;
    } symbols[] = {
#define SYMBOL(field, name) {name, offsetof(lc__curl_api, field)}
        SYMBOL(global_init, "curl_global_init"),     SYMBOL(easy_init, "curl_easy_init"),
        SYMBOL(easy_setopt, "curl_easy_setopt"),     SYMBOL(easy_perform, "curl_easy_perform"),
        SYMBOL(easy_getinfo, "curl_easy_getinfo"),   SYMBOL(easy_reset, "curl_easy_reset"),
        SYMBOL(easy_cleanup, "curl_easy_cleanup"),   SYMBOL(easy_strerror, "curl_easy_strerror"),
        SYMBOL(easy_escape, "curl_easy_escape"),     SYMBOL(free, "curl_free"),
        SYMBOL(slist_append, "curl_slist_append"),   SYMBOL(slist_free_all, "curl_slist_free_all"),
#undef SYMBOL
    };
    for (size_t i = 0; i < sizeof symbols / sizeof *symbols; i++) {
        void *fn = dlsym(lib, symbols[i].name);
        if (fn == NULL) {
            snprintf(failure, sizeof failure, "%s has no %s", LIBCURL, symbols[i].name);
            return 0;
        }
        /* a function pointer stored through its slot's address (POSIX allows the conversion) */
        memcpy((char *)&api + symbols[i].offset, &fn, sizeof fn);
    }
    return 1;
}

static void load(void)
{
    void *lib = dlopen(LIBCURL, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        snprintf(failure, sizeof failure, "cannot load %s: %s", LIBCURL, dlerror());
        return;
    }
    if (!resolve(lib)) {
        dlclose(lib);
        return;
    }
    if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        snprintf(failure, sizeof failure, "%s did not initialise", LIBCURL);
}

const lc__curl_api *lc__curl(lc_error *err)
{
    pthread_once(&once, load);
    if (failure[0]) {
        lc_error_set(err, LC_EIO, NULL, 0, 0, "%s (Debian: apt-get install libcurl4)", failure);
        return NULL;
    }
    return &api;
}
