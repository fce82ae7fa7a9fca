/* lambdacheck: where the files it ships are, wherever it was installed or moved.
 *
 * The bundled runtime clients and the sample events live in an installed tree's
 * share/lambdacheck/ (runtime/python/, runtime/node/, events/), found relative to the running
 * program (<prefix>/bin/...) or to the shared library (<prefix>/lib/...), so a moved prefix still
 * works; else in the source tree the build was made from (a build that is not installed), while
 * it exists; else under the prefix the build was configured with.
 */
#ifndef LAMBDACHECK_INSTALL_H
#define LAMBDACHECK_INSTALL_H

typedef enum {
    LC_BUNDLED_PYTHON_RUNTIME, /* the Python runtime client; $LAMBDACHECK_RUNTIME_DIR overrides */
    LC_BUNDLED_NODE_RUNTIME,   /* the Node.js runtime client; $LAMBDACHECK_NODE_RUNTIME_DIR */
    LC_BUNDLED_DATA,           /* the folder holding events/ (sample events);
                                  $LAMBDACHECK_DATA_DIR overrides */
} lc_bundled;

/* The folder of a kind of bundled files (absolute when found; the override as given). Borrowed,
 * static; never NULL (the source tree's path when nothing else exists). */
const char *lc_bundled_dir(lc_bundled what);

#endif
