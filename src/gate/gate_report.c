/* The two views of a comparison: Markdown for a pull-request comment and a
 * table for the terminal. Both depend only on the comparison, so the same
 * files give the same text (the golden test relies on it). */
#include "latentbench/error.h"
#include "latentbench/gate.h"
#include "latentbench/text.h"
#include "latentbench/units.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Times as every output prints them (latentbench/units.h). */
static void fmt_time(char *buf, size_t len, double ns)
{
    lb_units_time(buf, len, ns);
}

static void fmt_pct(char *buf, size_t len, double pct)
{
    if (fabs(pct) >= 1e9) pct = copysign(INFINITY, pct); /* keeps cells short */
    if (isnan(pct)) snprintf(buf, len, "-");
    else if (isinf(pct)) snprintf(buf, len, "%s", pct > 0 ? "from 0" : "to 0");
    else snprintf(buf, len, "%+.1f%%", pct == 0 ? 0.0 : pct); /* no "-0.0%" */
}

static void fmt_ci(char *buf, size_t len, const lb_comparison_row *r)
{
    char lo[24], hi[24];
    if (isnan(r->ci_low_pct)) {
        snprintf(buf, len, "-");
        return;
    }
    fmt_pct(lo, sizeof lo, r->ci_low_pct);
    fmt_pct(hi, sizeof hi, r->ci_high_pct);
    snprintf(buf, len, "[%s, %s]", lo, hi);
}

static void fmt_p(char *buf, size_t len, double p)
{
    if (isnan(p)) snprintf(buf, len, "-");
    else if (p < 0.001) snprintf(buf, len, "<0.001");
    else snprintf(buf, len, "%.3f", p);
}

static void fmt_mem(char *buf, size_t len, const lb_comparison_row *r)
{
    char pk[24], al[24];
    if (isnan(r->peak_change_pct)) {
        snprintf(buf, len, "-");
        return;
    }
    fmt_pct(pk, sizeof pk, r->peak_change_pct);
    fmt_pct(al, sizeof al, r->alloc_change_pct);
    snprintf(buf, len, "%s / %s", pk, al);
}

/* The cells every view shows for a row, formatted once. */
typedef struct {
    char base[32], cur[32], change[32], mean[32], ci[64], p[16], thr[16], mem[64];
} cells;

static void row_cells(const lb_comparison_row *r, cells *c)
{
    fmt_time(c->base, sizeof c->base, r->base ? r->base_median_ns : NAN);
    fmt_time(c->cur, sizeof c->cur, r->cur ? r->cur_median_ns : NAN);
    if (r->base && !r->cur) fmt_time(c->base, sizeof c->base, r->base->median_ns);
    if (r->cur && !r->base) fmt_time(c->cur, sizeof c->cur, r->cur->median_ns);
    fmt_pct(c->change, sizeof c->change, r->median_change_pct);
    fmt_pct(c->mean, sizeof c->mean, r->mean_change_pct);
    fmt_ci(c->ci, sizeof c->ci, r);
    fmt_p(c->p, sizeof c->p, r->p_value);
    snprintf(c->thr, sizeof c->thr, "%g%%", r->threshold_pct);
    fmt_mem(c->mem, sizeof c->mem, r);
}

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static void counts_line(FILE *out, const lb_comparison *cmp, int bold)
{
    const size_t *k = cmp->counts;
    const char *b = bold && k[LB_VERDICT_REGRESSION] ? "**" : "";
    fprintf(out, "%s%zu %s%s, %zu %s, %zu no change, %zu new, %zu missing", b, k[LB_VERDICT_REGRESSION],
            plural(k[LB_VERDICT_REGRESSION], "regression", "regressions"), b, k[LB_VERDICT_IMPROVEMENT],
            plural(k[LB_VERDICT_IMPROVEMENT], "improvement", "improvements"), k[LB_VERDICT_NO_CHANGE],
            k[LB_VERDICT_NEW], k[LB_VERDICT_MISSING]);
}

/* ---- Markdown ----------------------------------------------------------------- */

/* Text from a results file inside a table cell: sanitised (the report may be
 * printed to a terminal), '|' would end the cell, newlines the row. */
static void md_text(FILE *out, const char *raw)
{
    char flat[384], safe[4 * sizeof flat + 8]; /* line breaks flattened first, the rest made visible */
    size_t n = 0;
    for (; raw[n] && n + 1 < sizeof flat; n++) flat[n] = raw[n] == '\n' || raw[n] == '\r' ? ' ' : raw[n];
    flat[n] = '\0';
    const char *s = lb_sanitize(safe, sizeof safe, flat);
    for (; *s; s++) {
        if (*s == '|') fputs("\\|", out);
        else if (*s == '\n' || *s == '\r') fputc(' ', out);
        else if (*s == '`') fputc('\'', out);
        else fputc(*s, out);
    }
}

static void md_table_head(FILE *out)
{
    fputs("| benchmark | verdict | baseline (median) | current (median) | median change | mean change "
          "| 95% CI of the mean change | p | threshold | memory (peak / allocs) |\n"
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
          out);
}

static void md_row(FILE *out, const lb_comparison_row *r)
{
    cells c;
    row_cells(r, &c);
    fputs("| `", out);
    md_text(out, r->id);
    const char *em = r->verdict == LB_VERDICT_REGRESSION ? "**" : "";
    fprintf(out, "` | %s%s%s | %s | %s | %s | %s | %s | %s | %s | %s |\n", em, lb_verdict_name(r->verdict), em, c.base,
            c.cur, c.change, c.mean, c.ci, c.p, c.thr, c.mem);
}

int lb_gate_write_markdown(FILE *out, const lb_comparison *cmp)
{
    fputs("## Benchmark comparison\n\n", out);
    counts_line(out, cmp, 1);
    fputs(".\n\n| | baseline | current |\n|---|---|---|\n| commit | `", out);
    md_text(out, cmp->base_commit[0] ? cmp->base_commit : "unknown");
    fputs("` | `", out);
    md_text(out, cmp->cur_commit[0] ? cmp->cur_commit : "unknown");
    fputs("` |\n| machine | ", out);
    md_text(out, cmp->base_machine);
    fputs(" | ", out);
    md_text(out, cmp->cur_machine);
    fputs(" |\n\n", out);
    if (cmp->machine_differs)
        fputs("> **Warning:** the two files come from different machines; their timings may not be comparable.\n\n",
              out);

    size_t flagged = cmp->counts[LB_VERDICT_REGRESSION] + cmp->counts[LB_VERDICT_IMPROVEMENT];
    if (flagged) {
        fputs("### Regressions and improvements\n\n", out);
        md_table_head(out);
        for (lb_verdict v = LB_VERDICT_REGRESSION; v <= LB_VERDICT_IMPROVEMENT; v++)
            for (size_t i = 0; i < cmp->nrows; i++)
                if (cmp->rows[i].verdict == v) md_row(out, &cmp->rows[i]);
        fputc('\n', out);
    } else {
        fputs("No significant change.\n\n", out);
    }
    size_t compared = 0, rounds = 0;
    for (size_t i = 0; i < cmp->nrows; i++) {
        compared += cmp->rows[i].base && cmp->rows[i].cur;
        rounds += cmp->rows[i].by_rounds;
    }
    fputs("Median change: of the median time. Mean change: of the mean time, with its 95% bootstrap interval "
          "(the CI). p: two-sided Mann-Whitney U test",
          out);
    if (!rounds) fputs(" on the raw samples.\n\n", out);
    else if (rounds == compared) fputs("; mean change, CI and p over the medians of the runs' rounds.\n\n", out);
    else
        fprintf(out, "; mean change, CI and p over the medians of the rounds for the %zu %s measured in rounds on "
                     "both sides, over the raw samples for the rest.\n\n",
                rounds, plural(rounds, "benchmark", "benchmarks"));
    fprintf(out, "<details>\n<summary>All %zu %s</summary>\n\n", cmp->nrows, plural(cmp->nrows, "benchmark", "benchmarks"));
    md_table_head(out);
    for (size_t i = 0; i < cmp->nrows; i++) md_row(out, &cmp->rows[i]);
    fputs("\n</details>\n", out);
    return ferror(out) ? LB_EIO : LB_OK;
}

/* ---- terminal ----------------------------------------------------------------- */

/* Display width in characters (UTF-8: "µs" is one column, two bytes). */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void cell(FILE *out, const char *s, size_t w, int left)
{
    size_t n = width(s);
    if (!left)
        for (size_t i = n; i < w; i++) fputc(' ', out);
    fputs(s, out);
    if (left)
        for (size_t i = n; i < w; i++) fputc(' ', out);
}

static const char *colour_of(lb_verdict v)
{
    switch (v) {
    case LB_VERDICT_REGRESSION: return "\033[1;31m";
    case LB_VERDICT_IMPROVEMENT: return "\033[1;32m";
    case LB_VERDICT_NEW: return "\033[36m";
    case LB_VERDICT_MISSING: return "\033[33m";
    default: return "";
    }
}

void lb_gate_print_terminal(FILE *out, const lb_comparison *cmp, bool color)
{
    /* ids, machines and commits come from files: sanitised before they reach a terminal */
    char id[4 * LB_ID_LEN + 8], bm[4 * 384 + 8], cm[4 * 384 + 8], bc[4 * 64 + 8], cc[4 * 64 + 8];
    size_t w = strlen("benchmark");
    for (size_t i = 0; i < cmp->nrows; i++) {
        size_t n = width(lb_sanitize(id, sizeof id, cmp->rows[i].id));
        if (n > w) w = n;
    }
    lb_sanitize(bm, sizeof bm, cmp->base_machine);
    lb_sanitize(cm, sizeof cm, cmp->cur_machine);
    lb_sanitize(bc, sizeof bc, cmp->base_commit[0] ? cmp->base_commit : "unknown");
    lb_sanitize(cc, sizeof cc, cmp->cur_commit[0] ? cmp->cur_commit : "unknown");
    fprintf(out, "baseline: %s  %s\ncurrent:  %s  %s\n", bc, bm, cc, cm);
    if (cmp->machine_differs) fputs("warning: the machines differ; timings may not be comparable\n", out);
    cell(out, "verdict", 12, 1);
    fputs("  ", out); cell(out, "benchmark", w, 1);
    fputs("  ", out); cell(out, "baseline", 9, 0);
    fputs("  ", out); cell(out, "current", 9, 0);
    fputs("  ", out); cell(out, "median", 7, 0);
    fputs("  ", out); cell(out, "mean", 7, 0);
    fputs("  ", out); cell(out, "95% CI of mean", 17, 0);
    fputs("  ", out); cell(out, "p", 6, 0);
    fputs("  ", out); cell(out, "thr", 4, 0);
    fputs("  peak / allocs\n", out);
    for (size_t i = 0; i < cmp->nrows; i++) {
        const lb_comparison_row *r = &cmp->rows[i];
        cells c;
        row_cells(r, &c);
        const char *on = color ? colour_of(r->verdict) : "";
        fputs(on, out);
        cell(out, lb_verdict_name(r->verdict), 12, 1);
        if (*on) fputs("\033[0m", out);
        fputs("  ", out); cell(out, lb_sanitize(id, sizeof id, r->id), w, 1);
        fputs("  ", out); cell(out, c.base, 9, 0);
        fputs("  ", out); cell(out, c.cur, 9, 0);
        fputs("  ", out); cell(out, c.change, 7, 0);
        fputs("  ", out); cell(out, c.mean, 7, 0);
        fputs("  ", out); cell(out, c.ci, 17, 0);
        fputs("  ", out); cell(out, c.p, 6, 0);
        fputs("  ", out); cell(out, c.thr, 4, 0);
        fprintf(out, "  %s\n", c.mem);
    }
    counts_line(out, cmp, 0);
    fputs("\nchange: median (of the medians), mean (of the means, the change the CI is about)\n", out);
}
