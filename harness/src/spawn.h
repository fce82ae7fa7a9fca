/* Private to the library: starting child processes without a shell.
 *
 * Children are forked by one long-lived spawner thread, so that PR_SET_PDEATHSIG (which fires when
 * the forking *thread* ends) kills them only when the harness itself goes away. Each child gets
 * its own process group, so lc__kill_group() reaches what it started too.
 */
#ifndef LC_SPAWN_H
#define LC_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "lambdacheck/buf.h"
#include "lambdacheck/error.h"

typedef struct {
    char *const *argv; /* argv[0] is an absolute path or a name looked up in the parent's PATH */
    char *const *envp; /* the child's whole environment; NULL: the parent's */
    const char *cwd;   /* NULL: the parent's */
    int output_fd;     /* becomes the child's stdout and stderr; -1: /dev/null */
    int inherit_fd;    /* > 2: becomes the child's descriptor 3 (the only one past stdio); 0: none */
} lc__spawn_options;

/* Starts a child. *pid gets its pid, *pidfd a pidfd for poll() (caller closes), or -1 where the
 * kernel (or valgrind) has no pidfd_open: then use lc__exited(). Errors name the program and the
 * reason (not found, not executable, ...). */
lc_status lc__spawn(const lc__spawn_options *opt, pid_t *pid, int *pidfd, lc_error *err);

/* Starts a child as a copy of a template process (fast_start.h) listening on control_fd: the
 * template clones itself as a child of this process, with opt->envp as its whole environment and
 * opt->output_fd as its stdout and stderr (opt->argv and opt->cwd are the template's). The child
 * is registered as lc__spawn's are. LC_ESPAWN when the template does not answer within
 * timeout_ms or refuses (it is then of no further use). */
lc_status lc__spawn_from_template(int control_fd, const lc__spawn_options *opt, int timeout_ms,
                                  pid_t *pid, int *pidfd, lc_error *err);

/* True when the child has ended (it is not reaped: lc__kill_group() still collects it). */
bool lc__exited(pid_t pid);

/* Sends SIGTERM to the child, gives it grace_ms to exit (a runtime may save data, as coverage.py
 * does), then SIGKILLs its group and reaps it; returns the wait status. pidfd may be -1. */
int lc__stop_group(pid_t pid, int pidfd, int grace_ms);

/* SIGKILLs everything below the child (it is its descendants' subreaper), in whatever session or
 * group they are; the child itself is left. Returns how many it killed. */
size_t lc__kill_descendants(pid_t pid);

/* After lc__kill_descendants: SIGKILLs the child's group, reaps the child, and (left_some: that
 * call killed some) reaps what it left; returns the child's wait status. */
int lc__finish_group(pid_t pid, bool left_some);

/* When this process is a subreaper (PR_SET_CHILD_SUBREAPER: the command sets it), kills and reaps
 * its children that lc__spawn did not start: orphans of a runtime that died before what it
 * started. Done by lc__kill_group. */
void lc__kill_orphans(void);

/* SIGKILLs everything the child started (whatever session or group it moved to: the child is
 * their subreaper), then its process group, and reaps the child; returns its wait status. */
int lc__kill_group(pid_t pid);

/* Runs argv to completion (parent environment), collecting its stdout+stderr in out (capped by
 * out's max), killing it after timeout_ms. *status gets the wait status. */
lc_status lc__run_capture(char *const *argv, int timeout_ms, lc_buf *out, int *status,
                          lc_error *err);

/* Finds name in PATH (unless it contains a '/'); caller frees. NULL when not found. */
char *lc__which(const char *name);

/* A malloc'd, NULL-terminated envp from a JSON object of strings; free with lc__strv_free(). */
char **lc__envp_from_json(const json_t *env);
/* Splits a command line into words as a POSIX shell does, without running one: blanks separate
 * words; '...' keeps everything literally; "..." keeps everything but \" \\ \$ \` escapes;
 * a backslash outside quotes keeps the next character. No variables, globs or ~ are expanded.
 * *out is a malloc'd, NULL-terminated argv (free with lc__strv_free()) with extra appended when
 * not NULL. LC_EINVAL for an empty command or an unterminated quote (naming its column). */
lc_status lc__argv_split(const char *command, const char *extra, char ***out, lc_error *err);
void lc__strv_free(char **v);

#endif
