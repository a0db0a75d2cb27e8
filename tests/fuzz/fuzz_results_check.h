/* What both results-file fuzz targets check on a file: it reads as LB_OK or
 * LB_EDATA with one error line, and what reads as LB_OK is safe for the code
 * that trusts it (the comparison and its views, run on the file against
 * itself), with no allocation left behind. Included by one source each. */
#ifndef LB_FUZZ_RESULTS_CHECK_H
#define LB_FUZZ_RESULTS_CHECK_H
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/gate.h"
#include "latentbench/results.h"

static void lb_fuzz_check_results(const char *target, const char *path)
{
    size_t before = lb_alloc_current();
    lb_results r;
    memset(&r, 0, sizeof r);
    char err[1024] = "";
    int rc = lb_results_read(path, &r, err, sizeof err);
    if (getenv("LB_FUZZ_VERBOSE")) fprintf(stderr, "  read: %d %s\n", rc, err); /* for triage */
    if (rc == LB_OK) {
        lb_gate_config c;
        lb_gate_config_defaults(&c);
        c.resamples = 50; /* enough to run the bootstrap's code, fast enough to fuzz */
        lb_comparison cmp;
        memset(&cmp, 0, sizeof cmp);
        char cerr[1024] = "";
        int crc = lb_gate_compare(&r, &r, &c, &cmp, cerr, sizeof cerr);
        if (crc == LB_OK) {
            FILE *sink = fopen("/dev/null", "w");
            if (sink) {
                lb_gate_write_markdown(sink, &cmp);
                lb_gate_print_terminal(sink, &cmp, false);
                fclose(sink);
            }
            lb_comparison_free(&cmp);
        } else if (crc != LB_EDATA) {
            lb_fuzz_fail(target, "unexpected error code from the comparison", cerr);
        }
        lb_gate_config_free(&c);
        lb_results_free(&r);
    } else if (rc != LB_EDATA) {
        lb_fuzz_fail(target, "unexpected error code", err);
    } else if (!err[0] || strchr(err, '\n')) {
        lb_fuzz_fail(target, "the error is not one line", err);
    }
    if (lb_alloc_current() != before) lb_fuzz_fail(target, "memory leaked", NULL);
}

#endif
