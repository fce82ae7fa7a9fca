/* Scratch folders for tests: made under /tmp, filled with files, removed whole. */
#ifndef LC_SCRATCH_H
#define LC_SCRATCH_H

/* Makes a new, empty folder /tmp/lc_<tag>_XXXXXX and returns its path (caller frees with
 * scratch_remove()). Fails the test when it cannot. */
char *scratch_dir(const char *tag);

/* Writes text to dir/relative, creating the folders on the way; returns the file's path in a
 * static buffer (overwritten by the next call). printf-style. */
const char *scratch_write(const char *dir, const char *relative, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Removes dir and everything in it, and frees the path. */
void scratch_remove(char *dir);

#endif
