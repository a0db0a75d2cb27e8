/* Fuzz target of the results-file reader: a mutated HDF5 file must read as
 * LB_OK or LB_EDATA with one error line, and what reads as LB_OK must be safe
 * for the code that trusts it (the comparison and its Markdown, run on the
 * file against itself). Crashes inside HDF5's own parsing of a file are out of
 * scope (docs/FUZZING.md); everything after the open is ours. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_results_check.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/gate.h"
#include "latentbench/results.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = lb_fuzz_write_file("results.h5", data, size);
    lb_fuzz_check_results("fuzz_results", path);
    return 0;
}
