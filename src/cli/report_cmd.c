/* report: renders a results file as Markdown, JSON, CSV, the design's TOML or
 * Google Benchmark JSON (docs/EXPORTS.md); with --baseline, the Markdown is the
 * comparison against that baseline. --format html runs analysis/report.py
 * (docs/ANALYSIS.md) for figures and a self-contained HTML page. Rank 0 alone
 * writes; the others agree on its status. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "latentbench/error.h"
#include "latentbench/fileio.h"
#include "latentbench/export.h"
#include "latentbench/gate.h"

#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* Options after "--" that --format html hands to report.py unchanged. */
#define MAX_PASS 32

typedef struct {
    const char *input, *baseline, *config, *output, *history;
    lb_export_format format;
    int html;
    const char *pass[MAX_PASS];
    int npass;
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
        else if (strcmp(a, "--history") == 0 && has_value) o->history = argv[++i];
        else if (strcmp(a, "--") == 0) {
            if (argc - i - 1 > MAX_PASS)
                return lb_errorf(err, errlen, LB_EUSAGE, "report: at most %d options after '--'", MAX_PASS);
            while (++i < argc) o->pass[o->npass++] = argv[i];
        } else if (a[0] == '-' && a[1] != '\0')
            return lb_errorf(err, errlen, LB_EUSAGE, "report: unknown option or missing value '%s'", a);
        else if (o->input)
            return lb_errorf(err, errlen, LB_EUSAGE, "report: one results file expected, got '%s' and '%s'",
                             o->input, a);
        else o->input = a;
    }
    if (!o->input) return lb_errorf(err, errlen, LB_EUSAGE, "report: RESULTS.h5 is required");
    o->html = format && strcmp(format, "html") == 0;
    if (o->html) {
        if (!o->output) return lb_errorf(err, errlen, LB_EUSAGE, "report: --format html needs -o DIR");
        if (o->config && !o->baseline)
            return lb_errorf(err, errlen, LB_EUSAGE, "report: --config applies only with --baseline");
        return LB_OK;
    }
    if (o->history || o->npass)
        return lb_errorf(err, errlen, LB_EUSAGE, "report: --history and '--' apply only to --format html");
    if (format && lb_export_parse_format(format, &o->format) != LB_OK)
        return lb_errorf(err, errlen, LB_EUSAGE,
                         "report: --format must be md, json, csv, toml, gbench or html, got '%s'", format);
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

/* ---- --format html: analysis/report.py --------------------------------------- */

static int readable(const char *path)
{
    return access(path, R_OK) == 0;
}

/* report.py: $LATENTBENCH_ANALYSIS; else installed beside the binary
 * (<prefix>/bin/latentbench -> <prefix>/share/latentbench/analysis/report.py);
 * else in the source tree this file was compiled from. */
static int find_script(char *path, size_t len, char *err, size_t errlen)
{
    const char *env = getenv("LATENTBENCH_ANALYSIS");
    if (env && *env) {
        snprintf(path, len, "%s", env);
        if (readable(path)) return LB_OK;
        return lb_errorf(err, errlen, LB_EINTERNAL, "report: LATENTBENCH_ANALYSIS=%s: %s", env, strerror(errno));
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            if ((size_t)snprintf(path, len, "%s/../share/latentbench/analysis/report.py", exe) < len &&
                readable(path))
                return LB_OK;
        }
    }
    /* __FILE__ is the absolute path CMake compiled: <source>/src/cli/report_cmd.c */
    static const char tail[] = "src/cli/report_cmd.c";
    const char *file = __FILE__;
    size_t fl = strlen(file), tl = sizeof tail - 1;
    if (file[0] == '/' && fl > tl && strcmp(file + fl - tl, tail) == 0 &&
        (size_t)snprintf(path, len, "%.*sanalysis/report.py", (int)(fl - tl), file) < len && readable(path))
        return LB_OK;
    return lb_errorf(err, errlen, LB_EINTERNAL,
                     "report: analysis/report.py not found (install latentbench, or set LATENTBENCH_ANALYSIS)");
}

/* The exit status of report.py as a code; it has printed its own error line. */
static int script_status(int status)
{
    switch (status) {
    case 0: return LB_OK;
    case 64: return LB_EUSAGE;
    case 65: return LB_EDATA;
    case 66: return LB_ENOINPUT;
    case 74: return LB_EIO;
    default: return LB_EINTERNAL;
    }
}

static int report_html(const report_opts *o, char *err, size_t errlen)
{
    /* the files are checked here first, so their errors read as every report's */
    lb_results r;
    int rc = lb_results_read(o->input, &r, err, errlen);
    if (rc) return rc;
    lb_results_free(&r);
    if (o->baseline) {
        if ((rc = lb_results_read(o->baseline, &r, err, errlen))) return rc;
        lb_results_free(&r);
    }
    char script[PATH_MAX];
    if ((rc = find_script(script, sizeof script, err, errlen))) return rc;
    const char *python = getenv("LATENTBENCH_PYTHON");
    if (!python || !*python) python = "/usr/bin/python3";

    const char *args[16 + MAX_PASS];
    int n = 0;
    args[n++] = python;
    args[n++] = script;
    args[n++] = o->input;
    args[n++] = "-o";
    args[n++] = o->output;
    if (o->baseline) { args[n++] = "--baseline"; args[n++] = o->baseline; }
    if (o->config) { args[n++] = "--config"; args[n++] = o->config; }
    if (o->history) { args[n++] = "--history"; args[n++] = o->history; }
    for (int i = 0; i < o->npass; i++) args[n++] = o->pass[i];
    args[n] = NULL;

    fflush(NULL);
    pid_t pid;
    int e = posix_spawn(&pid, python, NULL, NULL, (char *const *)args, environ);
    if (e) return lb_errorf(err, errlen, LB_EINTERNAL, "report: %s: %s (the html report needs Python 3)", python,
                            strerror(e));
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return lb_errorf(err, errlen, LB_EINTERNAL, "report: waitpid: %s", strerror(errno));
    }
    if (WIFSIGNALED(status))
        return lb_errorf(err, errlen, LB_EINTERNAL, "report: %s ended by signal %d", script, WTERMSIG(status));
    return script_status(WEXITSTATUS(status));
}

int lb_cmd_report(int argc, char **argv, const lb_cluster *cl)
{
    char err[LB_ERRLEN] = "";
    report_opts o;
    int rc = parse_args(argc, argv, &o, err, sizeof err);
    if (rc == LB_OK && cl->rank == 0) rc = o.html ? report_html(&o, err, sizeof err) : report(&o, err, sizeof err);
    /* report.py prints its own line: err stays empty then */
    if (rc != LB_OK && err[0]) lb_report(cl, err);
    return lb_cluster_agree_status(cl, rc, NULL);
}
