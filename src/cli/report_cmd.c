/* report: renders a results file as Markdown, JSON, CSV, the design's TOML or
 * Google Benchmark JSON (docs/EXPORTS.md); with --baseline, the Markdown is the
 * comparison against that baseline. Rank 0 alone writes; the others agree on
 * its status. */
#include "cli.h"
#include "latentbench/error.h"
#include "latentbench/fileio.h"
#include "latentbench/export.h"
#include "latentbench/gate.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *input, *baseline, *config, *output;
    lb_export_format format;
} report_opts;

static int parse_args(int argc, char **argv, report_opts *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->format = LB_EXPORT_MD;
    const char *format = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (strcmp(a, "--baseline") == 0 && has_value) o->baseline = argv[++i];
        else if (strcmp(a, "--config") == 0 && has_value) o->config = argv[++i];
        else if (strcmp(a, "--format") == 0 && has_value) format = argv[++i];
        else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && has_value) o->output = argv[++i];
        else if (a[0] == '-' && a[1] != '\0')
            return lb_errorf(err, errlen, LB_EUSAGE, "report: unknown option or missing value '%s'", a);
        else if (o->input)
            return lb_errorf(err, errlen, LB_EUSAGE, "report: one results file expected, got '%s' and '%s'",
                             o->input, a);
        else o->input = a;
    }
    if (!o->input) return lb_errorf(err, errlen, LB_EUSAGE, "report: RESULTS.h5 is required");
    if (format && lb_export_parse_format(format, &o->format) != LB_OK)
        return lb_errorf(err, errlen, LB_EUSAGE, "report: --format must be md, json, csv, toml or gbench, got '%s'",
                         format);
    if (o->baseline && o->format != LB_EXPORT_MD)
        return lb_errorf(err, errlen, LB_EUSAGE, "report: --baseline needs --format md, not %s",
                         lb_export_format_name(o->format));
    if (o->config && !o->baseline)
        return lb_errorf(err, errlen, LB_EUSAGE, "report: --config applies only with --baseline");
    return LB_OK;
}

typedef struct {
    const lb_results *cur;
    lb_export_format  format;
    const lb_comparison *cmp; /* with --baseline */
} render_ctx;

static int render(FILE *out, void *p)
{
    const render_ctx *c = p;
    return c->cmp ? lb_gate_write_markdown(out, c->cmp) : lb_export_write(out, c->cur, c->format);
}

/* Renders to -o FILE atomically, or to stdout. */
static int emit(const report_opts *o, render_ctx *c, char *err, size_t errlen)
{
    if (o->output) return lb_write_atomic(o->output, render, c, err, errlen);
    errno = 0;
    int rc = render(stdout, c);
    int e = errno;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        e = errno ? errno : e;
        rc = rc ? rc : LB_EIO;
    }
    if (rc == LB_EIO) return lb_errorf(err, errlen, rc, "stdout: %s", e ? strerror(e) : "write error");
    if (rc) return lb_errorf(err, errlen, rc, "report: %s", lb_strerror(rc));
    return LB_OK;
}

static int report(const report_opts *o, char *err, size_t errlen)
{
    lb_results cur, base;
    int rc = lb_results_read(o->input, &cur, err, errlen);
    if (rc) return rc;
    render_ctx c = {&cur, o->format, NULL};
    if (!o->baseline) {
        rc = emit(o, &c, err, errlen);
        lb_results_free(&cur);
        return rc;
    }
    if ((rc = lb_results_read(o->baseline, &base, err, errlen))) {
        lb_results_free(&cur);
        return rc;
    }
    /* load starts from (and replaces) the defaults */
    lb_gate_config cfg;
    lb_gate_config_defaults(&cfg);
    if (o->config) rc = lb_gate_config_load(o->config, &cfg, stderr, err, errlen);
    if (rc == LB_OK) {
        lb_comparison cmp;
        memset(&cmp, 0, sizeof cmp);
        rc = lb_gate_compare(&base, &cur, &cfg, &cmp, err, errlen);
        if (rc == LB_OK) {
            c.cmp = &cmp;
            rc = emit(o, &c, err, errlen);
        }
        lb_comparison_free(&cmp);
    }
    lb_gate_config_free(&cfg);
    lb_results_free(&base);
    lb_results_free(&cur);
    return rc;
}

int lb_cmd_report(int argc, char **argv, const lb_cluster *cl)
{
    char err[LB_ERRLEN] = "";
    report_opts o;
    int rc = parse_args(argc, argv, &o, err, sizeof err);
    if (rc == LB_OK && cl->rank == 0) rc = report(&o, err, sizeof err);
    if (rc != LB_OK) lb_report(cl, err);
    return lb_cluster_agree_status(cl, rc, NULL);
}
