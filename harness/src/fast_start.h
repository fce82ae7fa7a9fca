/* Private to the library: fresh Python environments at the cost of a fork.
 *
 * A fresh environment of the bundled Python client is a copy of a template process
 * (harness/runtime/python/lambdacheck_template.py): one per command line, working folder and
 * environment (without the values that differ between environments), started when a second
 * environment of those is needed (the first starts plainly, so one environment costs no more),
 * with exactly those, prepared up to the point where the client needs an environment's own values, and
 * then cloned as a child of this process for each environment. The copy takes the environment it
 * is given and goes on as a new process would; the README says what still tells it apart.
 *
 * Templates live while an emulator holds them (lc__fast_start_hold), at most LC_MAX_TEMPLATES at
 * once (the least recently used goes first), and die with this process. A template that fails,
 * dies or cannot copy itself on this machine is dropped and the caller starts the process itself:
 * a fast start is never a verdict's cause.
 */
#ifndef LC_FAST_START_H
#define LC_FAST_START_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lambdacheck/error.h"
#include "spawn.h"

#define LC_MAX_TEMPLATES 8

/* True when processes of argv can be copies of a template: fast starts are on and argv is the
 * bundled Python client's command. */
bool lc__fast_start_applies(char *const *argv);

/* Starts a child as opt says, as a copy of the template for opt without the variables named in
 * varying (NULL-terminated), starting that template first when there is none. LC_OK: *pid and
 * *pidfd as lc__spawn gives them. Any other status: nothing was started; start it with lc__spawn. */
lc_status lc__fast_start_spawn(const lc__spawn_options *opt, const char *const *varying,
                               pid_t *pid, int *pidfd, lc_error *err);

/* SnapStart: starts a child as opt says, restored from the function's snapshot: a template that
 * ran the function's init and its before-snapshot hooks (lambdacheck_runtime.snapshot), made
 * when the first environment needs it, with init_ms to do that, and copied for every environment
 * (the first too: all are restored from one snapshot); an init that takes more than memory_mb
 * makes no snapshot. The key leaves out only varying, and the
 * snapshot's init sees Lambda's own Runtime API address (127.0.0.1:9001). LC_OK: *pid and *pidfd
 * as lc__spawn gives them, *init_log (owned, or NULL when it printed nothing) what the
 * snapshot's init printed, *copy_ns when the copy began (the snapshot made, if it was). Any other status: nothing was started (an init that failed, a
 * template that died); start the process with lc__spawn, and it initialises and restores in
 * place, reporting its own errors. */
lc_status lc__fast_start_restore(const lc__spawn_options *opt, const char *const *varying,
                                 long init_ms, long memory_mb, pid_t *pid, int *pidfd,
                                 char **init_log, int64_t *copy_ns, lc_error *err);

/* An emulator's hold on the templates: the last release stops them all. */
void lc__fast_start_hold(void);
void lc__fast_start_release(void);

#endif
