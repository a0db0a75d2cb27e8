/* Atomic file output for every writer of the harness: a reader sees the old
 * file or the complete new one, never half of one. */
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

#endif
