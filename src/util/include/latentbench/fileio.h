/* Files in and out: every input opened one checked way (regular files only,
 * never blocking on a FIFO, text inputs capped), outputs checked before the
 * work that produces them, and atomic output: a reader sees the old file or
 * the complete new one, never half of one. */
#ifndef LATENTBENCH_FILEIO_H
#define LATENTBENCH_FILEIO_H
#include <stddef.h>
#include <stdio.h>

/* Produces the content of an atomic file: writes to out, returns LB_OK or an
 * LB_E* code. */
typedef int (*lb_file_writer)(FILE *out, void *ctx);

/* Writes path atomically: writer(tmp, ctx) fills <path>.tmp.<pid> (created
 * exclusively in the same directory, mode 0666 less the umask), which is
 * flushed, fsync'ed and renamed over path. On any failure the temporary file
 * is removed, path is left as it was, and err holds one line "path: cause".
 * Returns LB_OK, LB_EIO for a file-system or stream error, or the writer's own
 * code. */
int lb_write_atomic(const char *path, lb_file_writer writer, void *ctx, char *err, size_t errlen);

/* The largest text input read whole (suite files, regression configs): far
 * above any real one, small enough that a wrong file is refused at once. */
#define LB_TEXT_INPUT_MAX ((size_t)16 << 20)

/* Opens an input file for reading, the one way every input of the harness is
 * opened: O_NONBLOCK for the open itself (a FIFO given by mistake must not
 * block), then a regular file is required (a directory, FIFO or device is
 * refused before anything is read) and the flag is cleared. max_bytes > 0
 * caps the size. Returns LB_OK with *fd open (caller closes), LB_ENOINPUT
 * (missing, unreadable, not a regular file) or LB_EDATA (over max_bytes),
 * err holding "path: cause". */
int lb_open_input(const char *path, size_t max_bytes, int *fd, char *err, size_t errlen);

/* Reads a text input whole through lb_open_input: *buf (lb_malloc'd, NUL
 * terminated, caller frees) holds *len bytes. Codes as lb_open_input, LB_EIO
 * for a read error, LB_ENOMEM. */
int lb_read_input(const char *path, size_t max_bytes, char **buf, size_t *len, char *err, size_t errlen);

/* Checks, before any work, that an output path can be written by
 * lb_write_atomic: a non-empty name (LB_EUSAGE), not an existing directory or
 * other non-regular file, in an existing directory this process may write
 * (LB_EIO). Touches nothing. */
int lb_check_output(const char *path, char *err, size_t errlen);

/* 1 when a and b name the same existing file (same device and inode, through
 * symbolic links and different spellings), else 0. */
int lb_same_file(const char *a, const char *b);

#endif
