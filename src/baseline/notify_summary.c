/* What a comparison tells people: the webhook's JSON and the issue body.
 * Built from lb_comparison's fields alone (no lb_gate calls), so the tests of
 * this file need no comparison engine. */
#define _POSIX_C_SOURCE 200809L

#include "latentbench/notify.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/fileio.h"
#include "latentbench/text.h"
#include "latentbench/units.h"

/* JSON's names for lb_verdict, in enum order. */
static const char *const verdict_key[] = {"no_change", "regression", "improvement", "new", "missing"};

static const char *vkey(lb_verdict v)
{
    return (unsigned)v < sizeof verdict_key / sizeof verdict_key[0] ? verdict_key[v] : "unknown";
}

int lb_notify_exit_status(const lb_comparison *cmp)
{
    if (cmp->counts[LB_VERDICT_REGRESSION]) return 1;
    return cmp->counts[LB_VERDICT_IMPROVEMENT] ? 2 : 0;
}

static const char *status_key(int status) { return status == 1 ? "regression" : status == 2 ? "improvement" : "no_change"; }

/* ---- a growing string ------------------------------------------------------ */

typedef struct {
    char  *p;
    size_t len, cap;
    int    oom;
} sbuf;

/* lb_write_atomic's writer for a finished buffer. */
static int put_buffer(FILE *out, void *ctx)
{
    const sbuf *b = ctx;
    return fwrite(b->p, 1, b->len, out) == b->len ? LB_OK : LB_EIO;
}

static void sb_putn(sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 1024;
        while (nc < b->len + n + 1) nc *= 2;
        char *np = lb_realloc(b->p, nc);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_put(sbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

__attribute__((format(printf, 2, 3))) static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) sb_putn(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A JSON string literal; control characters escaped, other bytes as they are. */
static void js_str(sbuf *b, const char *s)
{
    sb_put(b, "\"");
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"') sb_put(b, "\\\"");
        else if (*p == '\\') sb_put(b, "\\\\");
        else if (*p == '\n') sb_put(b, "\\n");
        else if (*p == '\t') sb_put(b, "\\t");
        else if (*p == '\r') sb_put(b, "\\r");
        else if (*p < 0x20 || *p == 0x7f) sb_printf(b, "\\u%04x", *p);
        else if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) sb_printf(b, "\\u%04x", p[1]), p++; /* C1 */
        else sb_putn(b, (const char *)p, 1);
    }
    sb_put(b, "\"");
}

static void js_num(sbuf *b, double v)
{
    if (isfinite(v)) sb_printf(b, "%.10g", v);
    else sb_put(b, "null");
}

static double median_of(const lb_row *r) { return r ? r->median_ns : NAN; }

static void js_row(sbuf *b, const lb_comparison_row *r)
{
    sb_put(b, "{\"id\":");
    js_str(b, r->id);
    sb_put(b, ",\"baseline_median_ns\":");
    js_num(b, median_of(r->base));
    sb_put(b, ",\"current_median_ns\":");
    js_num(b, median_of(r->cur));
    sb_put(b, ",\"median_change_pct\":");
    js_num(b, r->median_change_pct);
    sb_put(b, ",\"threshold_pct\":");
    js_num(b, r->threshold_pct);
    sb_put(b, ",\"p_value\":");
    js_num(b, r->p_value);
    sb_printf(b, ",\"time\":\"%s\",\"memory\":\"%s\"", vkey(r->time_verdict), vkey(r->memory_verdict));
    sb_put(b, ",\"peak_change_pct\":");
    js_num(b, r->peak_change_pct);
    sb_put(b, ",\"alloc_change_pct\":");
    js_num(b, r->alloc_change_pct);
    sb_put(b, "}");
}

/* Rows of verdict v, at most LB_NOTIFY_MAX_ROWS; returns how many were left out. */
static size_t js_rows(sbuf *b, const lb_comparison *cmp, lb_verdict v)
{
    size_t shown = 0, left = 0;
    sb_put(b, "[");
    for (size_t i = 0; i < cmp->nrows; i++) {
        if (cmp->rows[i].verdict != v) continue;
        if (shown == LB_NOTIFY_MAX_ROWS) {
            left++;
            continue;
        }
        if (shown++) sb_put(b, ",");
        js_row(b, &cmp->rows[i]);
    }
    sb_put(b, "]");
    return left;
}

static void summary_line(sbuf *b, const lb_comparison *cmp)
{
    const size_t *c = cmp->counts;
    sb_printf(b, "%zu regression%s, %zu improvement%s, %zu unchanged, %zu new, %zu missing",
              c[LB_VERDICT_REGRESSION], c[LB_VERDICT_REGRESSION] == 1 ? "" : "s", c[LB_VERDICT_IMPROVEMENT],
              c[LB_VERDICT_IMPROVEMENT] == 1 ? "" : "s", c[LB_VERDICT_NO_CHANGE], c[LB_VERDICT_NEW],
              c[LB_VERDICT_MISSING]);
}

char *lb_notify_summary_json(const lb_comparison *cmp, const char *context)
{
    sbuf b = {0}, text = {0};
    int status = lb_notify_exit_status(cmp);
    static const char *const headline[] = {"no significant performance change", "performance regression detected",
                                           "performance improvement detected"};
    sb_printf(&text, "latentbench: %s: ", headline[status]);
    summary_line(&text, cmp);
    sb_printf(&text, " (baseline %s, current %s)", cmp->base_commit, cmp->cur_commit);
    if (context && *context) sb_printf(&text, " - %s", context);

    sb_put(&b, "{\"text\":");
    js_str(&b, text.oom ? "" : text.p);
    lb_free(text.p);
    sb_printf(&b, ",\"status\":\"%s\",\"exit_status\":%d,\"context\":", status_key(status), status);
    js_str(&b, context);
    sb_put(&b, ",\"counts\":{");
    for (int v = 0; v < 5; v++) sb_printf(&b, "%s\"%s\":%zu", v ? "," : "", verdict_key[v], cmp->counts[v]);
    sb_put(&b, "},\"baseline\":{\"commit\":");
    js_str(&b, cmp->base_commit);
    sb_put(&b, ",\"machine\":");
    js_str(&b, cmp->base_machine);
    sb_put(&b, "},\"current\":{\"commit\":");
    js_str(&b, cmp->cur_commit);
    sb_put(&b, ",\"machine\":");
    js_str(&b, cmp->cur_machine);
    sb_printf(&b, "},\"machine_differs\":%s,\"regressions\":", cmp->machine_differs ? "true" : "false");
    size_t left = js_rows(&b, cmp, LB_VERDICT_REGRESSION);
    sb_put(&b, ",\"improvements\":");
    left += js_rows(&b, cmp, LB_VERDICT_IMPROVEMENT);
    sb_printf(&b, ",\"truncated\":%zu}", left);
    if (b.oom || text.oom) {
        lb_free(b.p);
        return NULL;
    }
    return b.p;
}

/* ---- the issue body -------------------------------------------------------- */

static void md_time(sbuf *b, double ns)
{
    char t[32];
    if (!isfinite(ns)) sb_put(b, "n/a");
    else sb_put(b, (lb_units_time(t, sizeof t, ns), t));
}

static void md_pct(sbuf *b, double pct)
{
    if (isfinite(pct)) sb_printf(b, "%+.1f%%", pct);
    else sb_put(b, "n/a");
}

/* Table cells: '|' would end the cell, '`' would open code; sanitised, as the
 * body may be printed (lb_sanitize). */
static void md_cell(sbuf *b, const char *raw)
{
    char flat[384], safe[4 * sizeof flat + 8]; /* line breaks flattened first, the rest made visible */
    size_t n = 0;
    for (; raw[n] && n + 1 < sizeof flat; n++) flat[n] = raw[n] == '\n' || raw[n] == '\r' ? ' ' : raw[n];
    flat[n] = '\0';
    const char *s = lb_sanitize(safe, sizeof safe, flat);
    for (; *s; s++) {
        if (*s == '|' || *s == '`' || *s == '\\') sb_putn(b, "\\", 1);
        if ((unsigned char)*s < 0x20 || *s == 0x7f) sb_put(b, " ");
        else sb_putn(b, s, 1);
    }
}

static void md_table(sbuf *b, const lb_comparison *cmp, lb_verdict v, const char *title)
{
    if (!cmp->counts[v]) return;
    sb_printf(b, "\n## %s (%zu)\n\n", title, cmp->counts[v]);
    sb_put(b, "| benchmark | baseline median | current median | median change | threshold | p | memory |\n"
              "|---|---:|---:|---:|---:|---:|---|\n");
    for (size_t i = 0; i < cmp->nrows; i++) {
        const lb_comparison_row *r = &cmp->rows[i];
        if (r->verdict != v) continue;
        sb_put(b, "| ");
        md_cell(b, r->id);
        sb_put(b, " | ");
        md_time(b, median_of(r->base));
        sb_put(b, " | ");
        md_time(b, median_of(r->cur));
        sb_put(b, " | ");
        md_pct(b, r->median_change_pct);
        sb_put(b, " | ");
        if (isfinite(r->threshold_pct)) sb_printf(b, "%.1f%%", r->threshold_pct);
        else sb_put(b, "n/a");
        if (isfinite(r->p_value)) sb_printf(b, " | %.3g | ", r->p_value);
        else sb_put(b, " | n/a | ");
        if (r->memory_verdict == v) {
            sb_put(b, "peak ");
            md_pct(b, r->peak_change_pct);
            sb_put(b, ", allocations ");
            md_pct(b, r->alloc_change_pct);
        } else {
            sb_put(b, "-");
        }
        sb_put(b, " |\n");
    }
}

static void md_code(sbuf *b, const char *raw)
{
    char safe[4 * 384 + 8];
    const char *s = lb_sanitize(safe, sizeof safe, raw);
    sb_put(b, "`");
    for (; *s; s++)
        if (*s != '`' && *s != '\n' && *s != '|') sb_putn(b, s, 1);
    sb_put(b, "`");
}

int lb_write_issue_body(const char *path, const lb_comparison *cmp, const char *context, char *err, size_t errlen)
{
    sbuf b = {0};
    int status = lb_notify_exit_status(cmp);
    size_t nreg = cmp->counts[LB_VERDICT_REGRESSION];
    if (status == 1)
        sb_printf(&b, "# Performance regression: %zu benchmark%s slower than the baseline\n\n", nreg,
                  nreg == 1 ? "" : "s");
    else
        sb_printf(&b, "# Benchmarks: %s\n\n", status == 2 ? "improvements, no regression" : "no significant change");
    if (context && *context) sb_printf(&b, "%s\n\n", context);
    sb_put(&b, "| | baseline | current |\n|---|---|---|\n| commit | ");
    md_code(&b, cmp->base_commit);
    sb_put(&b, " | ");
    md_code(&b, cmp->cur_commit);
    sb_put(&b, " |\n| machine | ");
    md_code(&b, cmp->base_machine);
    sb_put(&b, " | ");
    md_code(&b, cmp->cur_machine);
    sb_put(&b, " |\n\n");
    if (cmp->machine_differs)
        sb_put(&b, "**Warning:** the machines differ; timings may not be comparable.\n\n");
    sb_put(&b, "**Summary:** ");
    summary_line(&b, cmp);
    sb_put(&b, ".\n");
    md_table(&b, cmp, LB_VERDICT_REGRESSION, "Regressions");
    md_table(&b, cmp, LB_VERDICT_IMPROVEMENT, "Improvements");
    sb_put(&b, "\n<sub>Written by latentbench. A regression is a change beyond the benchmark's threshold "
               "that the significance test on the raw samples confirms.</sub>\n");
    if (b.oom) {
        lb_free(b.p);
        return lb_errorf(err, errlen, LB_ENOMEM, "%s: out of memory", path);
    }

    int rc = lb_write_atomic(path, put_buffer, &b, err, errlen);
    lb_free(b.p);
    return rc;
}
