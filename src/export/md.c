/* Markdown: a heading with the run's provenance and one table row per
 * benchmark (the terminal summary's columns, GitHub-flavoured). An A/B file
 * adds a section comparing the candidate (the rows above) with the baseline. */
#include "export_internal.h"

#include "latentbench/error.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

static void meta_item(FILE *out, const char *label, const char *v)
{
    if (!v || !*v) return;
    fprintf(out, "- %s: ", label);
    lb__put_md_text(out, v, strlen(v));
    fputc('\n', out);
}

/* A string field of at most n bytes, NUL or not, as cell text. */
static void md_field(FILE *out, const char *s, size_t n)
{
    const char *nul = memchr(s, '\0', n);
    lb__put_md_text(out, s, nul ? (size_t)(nul - s) : n);
}

static void fmt_ratio(char *buf, size_t len, double v)
{
    if (isfinite(v)) snprintf(buf, len, "%.3f", v);
    else snprintf(buf, len, "-");
}

/* As the comparison report prints p-values. */
static void fmt_p(char *buf, size_t len, double p)
{
    if (isnan(p)) snprintf(buf, len, "-");
    else if (p < 0.001) snprintf(buf, len, "<0.001");
    else snprintf(buf, len, "%.3f", p);
}

/* The one-sided p-value in the direction the ratio points; the smaller of the
 * two when it points nowhere (1 or not a number). */
static double directed_p(const lb_ab_row *ab)
{
    if (ab->ratio > 1) return ab->p_slower;
    if (ab->ratio < 1) return ab->p_faster;
    return fmin(ab->p_slower, ab->p_faster);
}

static void build_item(FILE *out, const char *label, const char *lib, const char *hash)
{
    fprintf(out, "- %s: ", label);
    lb__put_md_text(out, lib && *lib ? lib : "unknown", strlen(lib && *lib ? lib : "unknown"));
    if (hash && *hash) {
        fputs(" (", out);
        lb__put_md_text(out, hash, strlen(hash));
        fputc(')', out);
    }
    fputc('\n', out);
}

/* "A/B: candidate against baseline": per row both medians, the ratio B/A with
 * its confidence interval, p, and the two verdicts. */
static void md_ab(FILE *out, const lb_results *r)
{
    fputs("\n## A/B: candidate against baseline\n\n", out);
    build_item(out, "baseline (A)", r->base_library, r->base_library_hash);
    build_item(out, "candidate (B)", r->meta.library, r->meta.library_hash);
    fputs("\n| benchmark | baseline median | candidate median | ratio B/A [CI] | p | verdict | memory |\n"
          "|:---|---:|---:|---:|---:|:---|:---|\n",
          out);
    int same_conf = 1;
    for (size_t i = 0; i < r->nrows; i++) {
        const lb_ab_row *ab = &r->ab[i];
        char a[32], b[32], ratio[32], lo[32], hi[32], p[16];
        lb__fmt_time(a, sizeof a, r->base_rows[i].median_ns);
        lb__fmt_time(b, sizeof b, r->rows[i].median_ns);
        fmt_ratio(ratio, sizeof ratio, ab->ratio);
        fmt_ratio(lo, sizeof lo, ab->ratio_ci_low);
        fmt_ratio(hi, sizeof hi, ab->ratio_ci_high);
        fmt_p(p, sizeof p, directed_p(ab));
        same_conf &= ab->confidence == r->ab[0].confidence;
        size_t n;
        const char *id = lb__field_str(&r->rows[i], &lb__row_fields[0], &n);
        fputs("| ", out);
        lb__put_md_text(out, id, n);
        /* a regression stands out, as in the comparison report */
        const char *em = strncmp(ab->verdict, "Regression", sizeof ab->verdict) == 0 ? "**" : "";
        fprintf(out, " | %s | %s | %s [%s, %s] | %s | %s", a, b, ratio, lo, hi, p, em);
        md_field(out, ab->verdict, sizeof ab->verdict);
        fprintf(out, "%s | ", em);
        md_field(out, ab->memory_verdict, sizeof ab->memory_verdict);
        fputs(" |\n", out);
    }
    fputs("\nRatio: the candidate's time per iteration over the baseline's, measured in alternating blocks "
          "(Hodges-Lehmann estimate over the rounds); CI: its ",
          out);
    if (same_conf && r->nrows && isfinite(r->ab[0].confidence))
        fprintf(out, "%g%% confidence interval", 100 * r->ab[0].confidence);
    else fputs("confidence interval, at each row's own confidence", out);
    fputs(". p: one-sided Wilcoxon signed-rank p-value in the ratio's direction. "
          "Memory: the candidate's peak and allocations against the baseline's, compared exactly.\n",
          out);
}

/* /bounds: what "% of bound" is measured against (docs/PROBE.md). */
static void md_bounds(FILE *out, const lb_results *r)
{
    fputs("\n## Hardware bounds (rank 0's node)\n\n| kind | isa | threads | working set | value |\n"
          "|:---|:---|---:|---:|---:|\n",
          out);
    for (size_t i = 0; i < r->nbounds; i++) {
        const lb_bound *b = &r->bounds[i];
        char ws[32] = "-", v[48];
        if (b->bytes) lb__fmt_bytes(ws, sizeof ws, (double)b->bytes);
        if (!strncmp(b->unit, "B/s", sizeof b->unit)) lb__fmt_bytes_rate(v, sizeof v, b->value);
        else snprintf(v, sizeof v, "%.3g Gflop/s", b->value * 1e-9);
        fputs("| ", out);
        md_field(out, b->kind, sizeof b->kind);
        fputs(" | ", out);
        md_field(out, b->isa, sizeof b->isa);
        fprintf(out, " | %" PRId64 " | %s | %s |\n", b->threads, ws, v);
    }
    fputs("\n% of bound: 100 x the row's bound per iteration (bytes it must read over the bandwidth for its "
          "working set, or its flops over the FMA peak, whichever is longer) over its median.\n",
          out);
}

int lb__export_md(FILE *out, const lb_results *r)
{
    const lb_meta *m = &r->meta;
    fputs("# Benchmark results\n\n", out);
    meta_item(out, "machine", m->machine);
    meta_item(out, "host", m->hostname);
    meta_item(out, "commit", m->git_commit);
    meta_item(out, "created", m->created);
    meta_item(out, "latentbench", m->tool_version);
    fprintf(out, "- MPI ranks: %" PRId64 ", OpenMP threads: %" PRId64 "\n\n", m->mpi_ranks, m->omp_threads);
    if (r->nrows == 0) {
        fputs("No benchmarks.\n", out);
        return LB_OK;
    }
    if (r->ab) fputs("Rows: the candidate build (B) of an A/B run.\n\n", out);
    int bounds = 0; /* the "% of bound" column only when some row has a bound (docs/PROBE.md) */
    for (size_t i = 0; i < r->nrows; i++) bounds |= r->rows[i].bound_ns > 0;
    fprintf(out, "| benchmark | median | mean | 95%% CI of the mean | throughput | peak memory |%s note |\n"
                 "|:---|---:|---:|---:|---:|---:|%s:---|\n",
            bounds ? " % of bound |" : "", bounds ? "---:|" : "");
    for (size_t i = 0; i < r->nrows; i++) {
        const lb_row *row = &r->rows[i];
        char med[32], mean[32], lo[32], hi[32], tp[96] = "-", eb[32], bb[32], mem[32];
        lb__fmt_time(med, sizeof med, row->median_ns);
        lb__fmt_time(mean, sizeof mean, row->mean_ns);
        lb__fmt_time(lo, sizeof lo, row->ci_low_ns);
        lb__fmt_time(hi, sizeof hi, row->ci_high_ns);
        lb__fmt_elem_rate(eb, sizeof eb, row->throughput_elements);
        lb__fmt_bytes_rate(bb, sizeof bb, row->throughput_bytes);
        if (row->throughput_elements > 0 && row->throughput_bytes > 0) snprintf(tp, sizeof tp, "%s (%s)", eb, bb);
        else if (row->throughput_elements > 0) snprintf(tp, sizeof tp, "%s", eb);
        else if (row->throughput_bytes > 0) snprintf(tp, sizeof tp, "%s", bb);
        lb__fmt_bytes(mem, sizeof mem, (double)row->peak_bytes);
        size_t n;
        const char *s = lb__field_str(row, &lb__row_fields[0], &n);
        fputs("| ", out);
        lb__put_md_text(out, s, n);
        fprintf(out, " | %s | %s | [%s, %s] | %s | %s | ", med, mean, lo, hi, tp, mem);
        if (bounds) {
            double p = lb_row_pct_of_bound(row);
            if (isnan(p)) fputs("- | ", out);
            else fprintf(out, "%.*f%% | ", p < 9.95 ? 2 : 1, p);
        }
        md_field(out, row->note, sizeof row->note);
        fputs(" |\n", out);
    }
    if (r->ab) md_ab(out, r);
    if (r->nbounds) md_bounds(out, r);
    return LB_OK;
}
