/* Servers started in the background by end-to-end tests: they announce readiness by writing their
 * port to a file (no sleeping on a guess) and die with the test (PR_SET_PDEATHSIG). */
#ifndef LC_BACKGROUND_H
#define LC_BACKGROUND_H

#include <sys/types.h>

typedef struct {
    pid_t pid;
    unsigned port;
    char port_file[64];
    char log_file[64];
} background;

/* Runs argv (argv[0] an absolute path) with stderr to b->log_file; "{port_file}" in argv is
 * replaced by the port file's path. Waits (bounded) until the port file holds a port; fails the
 * test when the program exits first or never writes it. */
void bg_start(background *b, const char *const *argv);

/* SIGTERM, wait, and return the exit status (128 + signal when killed). Removes the files. */
int bg_stop(background *b);

/* bg_stop, and *log gets what the server wrote to standard error (caller frees). */
int bg_stop_with_log(background *b, char **log);

/* "http://127.0.0.1:<port>" in a static buffer. */
const char *bg_url(const background *b);

#endif
