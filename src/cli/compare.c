/* compare: the regression gate between two results files. Exit 0 no
 * significant change, 1 a regression, 2 improvements only (docs/REGRESSION.md).
 * Also the --history reader that run --baseline shares. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "latentbench/error.h"
#include "latentbench/fileio.h"
#include "latentbench/gate.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const char *base, *cur, *config, *report;
    const char *history[LB_MAX_HISTORY]; /* earlier baselines: the run-to-run drift floor */
    size_t nhistory;
    double threshold; /* NaN: from the configuration */
    int strict_machine;
} compare_opts;

static const lb_opt compare_table[] = {
    LB_OPT_S("--config", NULL, "FILE", "the regression_config.toml (thresholds, memory gate, actions)"),
    LB_OPT_D("--threshold", 0.001, 1000, "PCT", "one threshold in percent for every benchmark (overrides the config)"),
    LB_OPT_S("--report", NULL, "FILE", "also write the comparison as Markdown to FILE"),
    LB_OPT_F("--strict-machine", "a different machine fingerprint is an error, not a warning"),
    LB_OPT_SN("--history", LB_MAX_HISTORY, "FILE", "an earlier baseline, for the run-to-run drift floor"),
};

const lb_cmd_spec lb_spec_compare = {
    "compare", "BASELINE.h5 CURRENT.h5 [OPTIONS]", "the regression gate between two results files",
    "Compares every benchmark of CURRENT with BASELINE (docs/REGRESSION.md). Exit 0 no significant\n"
    "change, 1 a regression, 2 improvements and no regression.",
    compare_table, LB_NOPTS(compare_table), 2, 2, 0};

static int parse_args(const lb_args *a, compare_opts *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    (void)err, (void)errlen;
    o->base = a->pos[0];
    o->cur = a->pos[1];
    o->config = lb_args_str(a, "--config", NULL);
    o->report = lb_args_str(a, "--report", NULL);
    o->threshold = lb_args_count(a, "--threshold") ? lb_args_double(a, "--threshold", 0) : NAN;
    o->strict_machine = lb_args_count(a, "--strict-machine") > 0;
    o->nhistory = lb_args_all(a, "--history", o->history, LB_MAX_HISTORY);
    return LB_OK;
}

int lb_check_compare(const lb_args *a, char *err, size_t errlen)
{
    compare_opts o;
    return parse_args(a, &o, err, errlen);
}

/* The report is checked before anything is read: it must be writable and
 * none of the inputs. */
static int check_report(const compare_opts *o, char *err, size_t errlen)
{
    if (!o->report) return LB_OK;
    int rc = lb_check_output(o->report, err, errlen);
    if (rc == LB_EUSAGE) return lb_errorf(err, errlen, rc, "compare: --report: the file name is empty");
    if (!rc) rc = lb_cli_output_not_input("compare", o->report, "baseline", o->base, err, errlen);
    if (!rc) rc = lb_cli_output_not_input("compare", o->report, "current results", o->cur, err, errlen);
    if (!rc) rc = lb_cli_output_not_input("compare", o->report, "--config file", o->config, err, errlen);
    for (size_t i = 0; !rc && i < o->nhistory; i++)
        rc = lb_cli_output_not_input("compare", o->report, "--history file", o->history[i], err, errlen);
    return rc;
}

static int markdown_writer(FILE *out, void *cmp)
{
    return lb_gate_write_markdown(out, cmp);
}

/* The Markdown report, atomically: a reader never sees half a report. */
static int write_report(const char *path, const lb_comparison *cmp, char *err, size_t errlen)
{
    return lb_write_atomic(path, markdown_writer, (void *)cmp, err, errlen);
}

/* err from lb_gate_compare names the side; the user wants the file. */
static void name_side(char *err, size_t errlen, const compare_opts *o)
{
    const char *path = NULL;
    size_t skip = 0;
    if (!strncmp(err, "baseline", 8)) path = o->base, skip = 8;
    else if (!strncmp(err, "current", 7)) path = o->cur, skip = 7;
    if (!path) return;
    char msg[LB_ERRLEN];
    snprintf(msg, sizeof msg, "%s%s", path, err + skip);
    snprintf(err, errlen, "%s", msg);
}

int lb_cmd_compare(const lb_args *a, const lb_cluster *cl)
{
    compare_opts o;
    char err[LB_ERRLEN];
    int rc = parse_args(a, &o, err, sizeof err);
    if (!rc && cl->rank == 0) rc = check_report(&o, err, sizeof err);
    rc = lb_cluster_agree_status(cl, rc, NULL);
    if (rc) {
        lb_report(cl, err);
        return rc;
    }
    lb_gate_config cfg;
    lb_results base, cur;
    static lb_history hist; /* 64 results headers: off the stack */
    lb_comparison cmp;
    memset(&hist, 0, sizeof hist);
    memset(&base, 0, sizeof base);
    memset(&cur, 0, sizeof cur);
    memset(&cmp, 0, sizeof cmp);
    lb_gate_config_defaults(&cfg);
    if (o.config) rc = lb_gate_config_load(o.config, &cfg, cl->rank == 0 ? stderr : NULL, err, sizeof err);
    if (!rc && !isnan(o.threshold)) cfg.default_percent = o.threshold;
    if (!rc) rc = lb_results_read(o.base, &base, err, sizeof err);
    if (!rc) rc = lb_results_read(o.cur, &cur, err, sizeof err);
    if (!rc) rc = lb_history_read(&hist, o.history, o.nhistory, err, sizeof err);
    if (!rc) {
        rc = lb_gate_compare_history(&base, hist.p, hist.n, &cur, &cfg, &cmp, err, sizeof err);
        if (rc) name_side(err, sizeof err, &o);
    }
    for (int side = 0; !rc && side < 2 && cl->rank == 0; side++) { /* its missing rows will show as such */
        const lb_results *r = side ? &cur : &base;
        if (!r->meta.complete)
            fprintf(stderr, "latentbench: warning: %s: the run is incomplete (%s)\n", side ? o.cur : o.base,
                    r->meta.failure && *r->meta.failure ? r->meta.failure : "stopped early");
    }
    if (!rc && cmp.machine_differs) {
        char msg[LB_ERRLEN + 2 * sizeof cmp.cur_machine];
        snprintf(msg, sizeof msg, "%s: machine '%s' differs from the baseline's '%s'%s", o.cur, cmp.cur_machine,
                 cmp.base_machine, o.strict_machine ? " (--strict-machine)" : "");
        if (o.strict_machine) {
            lb_report(cl, msg);
            rc = LB_EDATA;
            goto out;
        }
        if (cl->rank == 0) fprintf(stderr, "latentbench: warning: %s\n", msg);
    }
    if (!rc && cl->rank == 0) {
        lb_gate_print_terminal(stdout, &cmp, isatty(STDOUT_FILENO));
        fflush(stdout);
        if (o.report) rc = write_report(o.report, &cmp, err, sizeof err);
    }
    if (rc) lb_report(cl, err);
    else rc = lb_gate_exit_status(&cmp);
out:
    lb_comparison_free(&cmp);
    lb_history_free(&hist);
    lb_results_free(&cur);
    lb_results_free(&base);
    lb_gate_config_free(&cfg);
    return rc;
}

int lb_history_read(lb_history *h, const char *const *paths, size_t n, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    if (n > LB_MAX_HISTORY) return lb_errorf(err, errlen, LB_EUSAGE, "at most %d --history files", LB_MAX_HISTORY);
    for (; h->n < n; h->n++) {
        int rc = lb_results_read(paths[h->n], &h->r[h->n], err, errlen);
        if (rc) {
            lb_history_free(h);
            return rc;
        }
        h->p[h->n] = &h->r[h->n];
    }
    return LB_OK;
}

void lb_history_free(lb_history *h)
{
    for (size_t i = 0; i < h->n; i++) lb_results_free(&h->r[i]);
    h->n = 0;
}
