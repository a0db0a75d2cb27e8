/* Fuzz target of the regression config reader (regression_config.toml, which
 * a pull request may edit): any bytes give a configuration or one error line,
 * and a failed load leaves the caller's configuration as it was. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_file.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/gate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = lb_fuzz_write_file("config.toml", data, size);
    size_t before = lb_alloc_current();
    lb_gate_config c;
    lb_gate_config_defaults(&c);
    double default_percent = c.default_percent;
    FILE *warn = fopen("/dev/null", "w");
    char err[1024] = "";
    int rc = lb_gate_config_load(path, &c, warn, err, sizeof err);
    if (warn) fclose(warn);
    if (rc == LB_OK) {
        if (!(c.default_percent > 0) || !isfinite(c.default_percent))
            lb_fuzz_fail("fuzz_gate_config", "a loaded default threshold is not a positive number", NULL);
        for (size_t i = 0; i < c.nthresholds; i++)
            if (!(c.thresholds[i].percent > 0) || !isfinite(c.thresholds[i].percent))
                lb_fuzz_fail("fuzz_gate_config", "a loaded threshold is not a positive number", c.thresholds[i].source);
        if (!c.slack_webhook || !c.email || !c.baseline_dir)
            lb_fuzz_fail("fuzz_gate_config", "a loaded string is NULL", NULL);
        (void)lb_gate_threshold_for(&c, "knn_search/dim_128/10");
    } else if (rc != LB_EDATA) {
        lb_fuzz_fail("fuzz_gate_config", "unexpected error code", err);
    } else if (!err[0] || strchr(err, '\n')) {
        lb_fuzz_fail("fuzz_gate_config", "the error is not one line", err);
    } else if (c.default_percent != default_percent) {
        lb_fuzz_fail("fuzz_gate_config", "a failed load changed the configuration", err);
    }
    lb_gate_config_free(&c);
    if (lb_alloc_current() != before) lb_fuzz_fail("fuzz_gate_config", "memory leaked", NULL);
    return 0;
}
