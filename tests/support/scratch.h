/* Support shared by the harness's Check tests: a scratch directory per test,
 * counting what a writer left in it, and the HDF5 edits that damaged-file
 * tests make. Every helper fails the running test through Check on error. */
#ifndef LB_TEST_SCRATCH_H
#define LB_TEST_SCRATCH_H

#include <hdf5.h>
#include <stddef.h>

/* Creates $TMPDIR/<prefix>_XXXXXX (/tmp when TMPDIR is unset) as the scratch
 * directory of the running test. */
void lbt_scratch_make(const char *prefix);
/* Removes the scratch directory and everything in it. */
void lbt_scratch_remove(void);
const char *lbt_scratch_dir(void);
/* "<scratch>/<name>" in buf; returns buf. */
const char *lbt_path(char *buf, size_t n, const char *name);
/* Entries of dir whose names start with prefix ("" counts all), "." and ".." not counted. */
int lbt_count_entries(const char *dir, const char *prefix);

/* Sets (replacing) a scalar variable-length string attribute. */
void lbt_put_vstr_attr(hid_t loc, const char *name, const char *value);

#endif
