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
#include <strings.h>
#include <sys/stat.h>
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

static const lb_opt report_table[] = {
    LB_OPT_C("--format", "md|json|csv|toml|gbench|html",
             "the output format (default: from -o's extension .md .json .csv .toml, else md; html: -o DIR)"),
    LB_OPT_S("--output", "-o", "FILE", "write to FILE (atomically) instead of stdout; html: the directory"),
    LB_OPT_S("--baseline", NULL, "FILE", "md or html: the comparison against this earlier results file"),
    LB_OPT_S("--config", NULL, "FILE", "with --baseline: the regression_config.toml"),
    LB_OPT_S("--history", NULL, "DIR", "html: a directory of earlier results files, for trends"),
};

const lb_cmd_spec lb_spec_report = {
    "report", "RESULTS.h5 [OPTIONS] [-- options of analysis/report.py]", "render a results file (md, json, csv, toml, gbench, html)",
    "Renders a results file as Markdown, JSON, CSV, the design's TOML or Google Benchmark JSON\n"
    "(docs/EXPORTS.md); with --baseline the Markdown is the comparison. --format html -o DIR runs\n"
    "analysis/report.py for figures and a self-contained page; what follows '--' is handed to it.",
    report_table, LB_NOPTS(report_table), 1, 1, 1};

/* The format an output's extension asks for; -1 when it names none. */
static int format_of_extension(const char *path, int *html)
{
    *html = 0;
    size_t n = strlen(path);
    if (n && path[n - 1] == '/') return *html = 1, -1;
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash)) return -1;
    static const struct {
        const char *ext;
        lb_export_format f;
    } ext[] = {{".md", LB_EXPORT_MD}, {".markdown", LB_EXPORT_MD}, {".json", LB_EXPORT_JSON},
               {".csv", LB_EXPORT_CSV}, {".toml", LB_EXPORT_TOML}};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        if (!strcasecmp(dot, ext[i].ext)) return (int)ext[i].f;
    return -2; /* an extension, not one of ours */
}

static int parse_args(const lb_args *a, report_opts *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->format = LB_EXPORT_MD;
    o->input = a->pos[0];
    o->baseline = lb_args_str(a, "--baseline", NULL);
    o->config = lb_args_str(a, "--config", NULL);
    o->output = lb_args_str(a, "--output", NULL);
    o->history = lb_args_str(a, "--history", NULL);
    if (a->npass > MAX_PASS) return lb_errorf(err, errlen, LB_EUSAGE, "report: at most %d options after '--'", MAX_PASS);
    for (size_t i = 0; i < a->npass; i++) o->pass[o->npass++] = a->pass[i];
    if (o->output && !*o->output) return lb_errorf(err, errlen, LB_EUSAGE, "report: -o: the file name is empty");
    /* md|json|csv|toml|gbench|html: the export formats' order, then html */
    static const lb_export_format formats[] = {LB_EXPORT_MD, LB_EXPORT_JSON, LB_EXPORT_CSV, LB_EXPORT_TOML,
                                               LB_EXPORT_GBENCH};
    if (lb_args_count(a, "--format")) {
        uint64_t k = lb_args_uint(a, "--format", 0);
        if (k == 5) o->html = 1;
        else o->format = formats[k];
    } else if (o->output) { /* the extension says what the file is: x.json is never Markdown */
        int html, f = format_of_extension(o->output, &html);
        if (html) o->html = 1;
        else if (f >= 0) o->format = (lb_export_format)f;
        else if (f == -2) {
            const char *dot = strrchr(o->output, '.');
            if (!strcasecmp(dot, ".html") || !strcasecmp(dot, ".htm"))
                return lb_errorf(err, errlen, LB_EUSAGE, "report: the html report is a directory: --format html -o DIR");
            if (!strcasecmp(dot, ".h5") || !strcasecmp(dot, ".hdf5"))
                return lb_errorf(err, errlen, LB_EUSAGE,
                                 "report: -o %s would be a results file's name: give --format or another name",
                                 o->output);
        }
    }
    if (o->html) {
        if (!o->output) return lb_errorf(err, errlen, LB_EUSAGE, "report: --format html needs -o DIR");
        if (o->config && !o->baseline)
            return lb_errorf(err, errlen, LB_EUSAGE, "report: --config applies only with --baseline");
        return LB_OK;
    }
    if (o->history || o->npass)
        return lb_errorf(err, errlen, LB_EUSAGE, "report: --history and '--' apply only to --format html");
    if (o->baseline && o->format != LB_EXPORT_MD)
        return lb_errorf(err, errlen, LB_EUSAGE, "report: --baseline needs --format md, not %s",
                         lb_export_format_name(o->format));
    if (o->config && !o->baseline)
        return lb_errorf(err, errlen, LB_EUSAGE, "report: --config applies only with --baseline");
    return LB_OK;
}

int lb_check_report(const lb_args *a, char *err, size_t errlen)
{
    report_opts o;
    return parse_args(a, &o, err, errlen);
}

/* Before anything is read: the output can be written and is none of the
 * inputs (report x.h5 -o x.h5 would replace the results by their report). */
static int check_output(const report_opts *o, char *err, size_t errlen)
{
    if (!o->output || o->html) return LB_OK;
    int rc = lb_check_output(o->output, err, errlen);
    if (!rc) rc = lb_cli_output_not_input("report", o->output, "results file", o->input, err, errlen);
    if (!rc) rc = lb_cli_output_not_input("report", o->output, "--baseline file", o->baseline, err, errlen);
    if (!rc) rc = lb_cli_output_not_input("report", o->output, "--config file", o->config, err, errlen);
    return rc;
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
        if (rc) lb_gate_name_files(err, errlen, o->baseline, o->input);
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

int lb_cmd_report(const lb_args *a, const lb_cluster *cl)
{
    char err[LB_ERRLEN] = "";
    report_opts o;
    int rc = parse_args(a, &o, err, sizeof err);
    /* no --format and -o an existing directory: the html report */
    struct stat st;
    if (!rc && !lb_args_count(a, "--format") && o.output && !o.html && stat(o.output, &st) == 0 && S_ISDIR(st.st_mode)) {
        o.html = 1;
    }
    if (!rc && cl->rank == 0) rc = check_output(&o, err, sizeof err);
    if (rc == LB_OK && cl->rank == 0) rc = o.html ? report_html(&o, err, sizeof err) : report(&o, err, sizeof err);
    /* report.py prints its own line: err stays empty then */
    if (rc != LB_OK && err[0]) lb_report(cl, err);
    return lb_cluster_agree_status(cl, rc, NULL);
}
