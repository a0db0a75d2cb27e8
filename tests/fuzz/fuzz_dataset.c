/* Fuzz target of the ann-benchmarks dataset reader (--dataset, a file users
 * download): a mutated HDF5 file must read whole and in parts as LB_OK or
 * LB_EDATA with one error line, and a read dataset must be as large as it
 * says. Crashes inside HDF5's own parsing are out of scope (docs/FUZZING.md). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_file.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/results.h"

static volatile float g_sink;

static void check(int rc, const lb_dataset *ds, const char *err)
{
    if (rc == LB_OK) {
        /* Touch the last element of each array: ASan catches a short one. */
        float s = 0;
        if (ds->n && ds->d) s += ds->train[ds->n * ds->d - 1];
        if (ds->q && ds->d) s += ds->test[ds->q * ds->d - 1];
        if (ds->q && ds->kn) s += ds->distances[ds->q * ds->kn - 1] + (float)ds->neighbors[ds->q * ds->kn - 1];
        g_sink = s;
        if (!memchr(ds->distance, '\0', sizeof ds->distance))
            lb_fuzz_fail("fuzz_dataset", "the distance name is not terminated", NULL);
    } else if (rc != LB_EDATA) {
        lb_fuzz_fail("fuzz_dataset", "unexpected error code", err);
    } else if (!err[0] || strchr(err, '\n')) {
        lb_fuzz_fail("fuzz_dataset", "the error is not one line", err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = lb_fuzz_write_file("dataset.h5", data, size);
    size_t before = lb_alloc_current();
    lb_dataset ds;
    char err[1024] = "";
    memset(&ds, 0, sizeof ds);
    check(lb_dataset_read(path, &ds, err, sizeof err), &ds, err);
    lb_dataset_free(&ds);
    memset(&ds, 0, sizeof ds);
    err[0] = '\0';
    check(lb_dataset_read_part(path, 1, 3, &ds, err, sizeof err), &ds, err);
    lb_dataset_free(&ds);
    if (lb_alloc_current() != before) lb_fuzz_fail("fuzz_dataset", "memory leaked", NULL);
    return 0;
}
