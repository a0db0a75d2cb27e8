/* Text from untrusted places (suite files, results files, the command line)
 * on its way to a terminal or a one-line message. */
#ifndef LATENTBENCH_TEXT_H
#define LATENTBENCH_TEXT_H
#include <stddef.h>

/* The candidate closest to word by edit distance (insertions, deletions,
 * substitutions and swaps of neighbours, case ignored), or NULL when none is
 * close enough to be a likely misspelling: distance at most 1 for words of up
 * to 4 characters, 2 up to 8, 3 beyond. For "did you mean" hints. */
const char *lb_suggest(const char *word, const char *const *cands, size_t n);

/* Copies src into dst (always NUL-terminated, truncated with "..." when it
 * does not fit) with every byte a terminal could act on made visible: control
 * characters (C0, DEL, and the C1 range of UTF-8) and invalid UTF-8 become
 * \xHH escapes, so an id or a host name read from a file cannot move the
 * cursor, retitle the window or forge a line. Valid printable UTF-8 is kept.
 * Returns dst. */
char *lb_sanitize(char *dst, size_t len, const char *src);

#endif
