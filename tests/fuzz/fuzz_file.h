/* What the file-reading fuzz targets share: the readers under test take a
 * path, so each input is written to a scratch file first. */
#ifndef LB_FUZZ_FILE_H
#define LB_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Writes data[0..size) to a file named `name` in this process's scratch
 * directory (made once under $TMPDIR or /tmp, removed at exit) and returns its
 * path. Aborts when the file cannot be written: a fuzz run that cannot feed
 * its input would otherwise pass while testing nothing. */
const char *lb_fuzz_write_file(const char *name, const uint8_t *data, size_t size);

/* Aborts with "fuzz_<target>: why" on stderr: the libFuzzer driver and the
 * replay driver both report an abort as a failure with the input saved. */
void lb_fuzz_fail(const char *target, const char *why, const char *detail);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
