/* What a person sees: progress on stderr, the summary table on stdout. */
#include "cli.h"
#include "latentbench/bench.h"
#include "latentbench/text.h"
#include "latentbench/units.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void lb_report(const lb_cluster *cl, const char *msg)
{
    if (!cl || cl->rank == 0) fprintf(stderr, "latentbench: %s\n", msg);
}

/* The one unit style of every output (latentbench/units.h). */
void lb_fmt_time(char *buf, size_t len, double ns)
{
    lb_units_time(buf, len, ns);
}

void lb_fmt_bytes(char *buf, size_t len, double b)
{
    lb_units_bytes(buf, len, b);
}

void lb_fmt_rate(char *buf, size_t len, double v, const char *unit)
{
    lb_units_rate(buf, len, v, unit);
}

void lb_progress_init(lb_progress *p, size_t total, unsigned rounds, int quiet)
{
    p->tty = isatty(STDERR_FILENO);
    p->quiet = quiet;
    p->shown = 0;
    p->total = total;
    p->rounds = rounds ? rounds : 1;
    p->start_s = (double)lb_clock_ns() * 1e-9;
}

void lb_progress_step(lb_progress *p, unsigned round, size_t i, const char *id)
{
    if (p->quiet) return;
    double el = (double)lb_clock_ns() * 1e-9 - p->start_s;
    size_t done = (size_t)round * p->total + i, all = (size_t)p->rounds * p->total;
    double eta = done > 0 ? el / (double)done * (double)(all - done) : 0.0;
    char rnd[32] = "", shown[160];
    lb_sanitize(shown, sizeof shown, id); /* ids come from suite files */
    if (p->rounds > 1) snprintf(rnd, sizeof rnd, "round %u/%u ", round + 1, p->rounds);
    if (p->tty) {
        fprintf(stderr, "\r\033[K%s[%zu/%zu] %s  elapsed %.0fs  eta %.0fs", rnd, i + 1, p->total, shown, el, eta);
        p->shown = 1;
    } else if (round == 0) {
        /* a log gets a line per benchmark, not one per benchmark and round */
        fprintf(stderr, "%s[%zu/%zu] %s (elapsed %.1fs, eta %.0fs)\n", rnd, i + 1, p->total, shown, el, eta);
    } else if (i == 0) {
        fprintf(stderr, "round %u/%u (elapsed %.1fs, eta %.0fs)\n", round + 1, p->rounds, el, eta);
    }
    fflush(stderr);
}

void lb_progress_done(lb_progress *p, int ok)
{
    if (p->quiet) return;
    double el = (double)lb_clock_ns() * 1e-9 - p->start_s;
    if (p->shown) fprintf(stderr, "\r\033[K");
    p->shown = 0;
    if (!ok) return;
    const char *s = p->total == 1 ? "" : "s";
    if (p->rounds > 1) fprintf(stderr, "%zu benchmark%s x %u rounds in %.1fs\n", p->total, s, p->rounds, el);
    else fprintf(stderr, "%zu benchmark%s in %.1fs\n", p->total, s, el);
}

/* Pads to a width in characters, not bytes ("µs" is two bytes, one column). */
static void cell(FILE *out, const char *s, int width, int left)
{
    int cols = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) cols += (*p & 0xC0) != 0x80;
    int pad = width > cols ? width - cols : 0;
    if (!left) fprintf(out, "%*s", pad, "");
    fputs(s, out);
    if (left) fprintf(out, "%*s", pad, "");
}

/* One row a benchmark. The interval is the row's CI of the mean, so the mean
 * stands beside it (the median, the robust centre, has its own column). Ids,
 * notes and hosts come from a file: sanitised, they cannot drive the terminal. */
void lb_print_summary(FILE *out, const lb_results *r)
{
    int w = 9, bounds = 0; /* the "% of bound" column only when some row has a bound */
    for (size_t i = 0; i < r->nrows; i++) {
        bounds |= r->rows[i].bound_ns > 0;
        char id[LB_ID_LEN * 4 + 8];
        lb_sanitize(id, sizeof id, r->rows[i].id);
        int l = 0;
        for (const unsigned char *p = (const unsigned char *)id; *p; p++) l += (*p & 0xC0) != 0x80;
        if (l > w) w = l;
    }
    cell(out, "benchmark", w, 1);
    fputs("  ", out); cell(out, "median", 9, 0);
    fputs("  ", out); cell(out, "mean", 9, 0);
    fputs("  ", out); cell(out, "95% CI of the mean", 22, 0);
    fputs("  ", out); cell(out, "throughput", 14, 0);
    fputs("  ", out); cell(out, "peak mem", 8, 0);
    if (bounds) fputs("  ", out), cell(out, "% of bound", 10, 0);
    fputc('\n', out);
    for (size_t i = 0; i < r->nrows; i++) {
        const lb_row *row = &r->rows[i];
        char med[32], mean[32], lo[32], hi[32], ci[80], tp[32], mem[32], id[LB_ID_LEN * 4 + 8], note[LB_NOTE_LEN * 4 + 8];
        lb_fmt_time(med, sizeof med, row->median_ns);
        lb_fmt_time(mean, sizeof mean, row->mean_ns);
        lb_fmt_time(lo, sizeof lo, row->ci_low_ns);
        lb_fmt_time(hi, sizeof hi, row->ci_high_ns);
        snprintf(ci, sizeof ci, "[%s, %s]", lo, hi);
        lb_fmt_rate(tp, sizeof tp, row->throughput_elements, "elem");
        lb_fmt_bytes(mem, sizeof mem, (double)row->peak_bytes);
        cell(out, lb_sanitize(id, sizeof id, row->id), w, 1);
        fputs("  ", out); cell(out, med, 9, 0);
        fputs("  ", out); cell(out, mean, 9, 0);
        fputs("  ", out); cell(out, ci, 22, 0);
        fputs("  ", out); cell(out, tp, 14, 0);
        fputs("  ", out); cell(out, mem, 8, 0);
        if (bounds) { /* 100 x bound / median: how close to the hardware (docs/PROBE.md) */
            char pct[32];
            double p = lb_row_pct_of_bound(row);
            if (isnan(p)) snprintf(pct, sizeof pct, "-");
            else snprintf(pct, sizeof pct, "%.*f%%", p < 9.95 ? 2 : 1, p);
            fputs("  ", out), cell(out, pct, 10, 0);
        }
        if (row->note[0]) fprintf(out, "  %s", lb_sanitize(note, sizeof note, row->note));
        fputc('\n', out);
    }
    const lb_meta *m = &r->meta;
    if (m->mpi_ranks <= 1 || !m->shard) return;
    char shard[LB_NAME_LEN];
    lb_sanitize(shard, sizeof shard, m->shard);
    fprintf(out, "shard %s over %lld ranks on %lld node%s", shard, (long long)m->mpi_ranks, (long long)m->nodes,
            m->nodes == 1 ? "" : "s");
    if (strcmp(m->shard, "matrix") == 0)
        fprintf(out, ", %lld measuring per node: makespan %.1f s (schedule predicted %.1f s; ideal %.1f s)\n",
                (long long)m->node_concurrency, m->makespan_s, m->predicted_makespan_s, m->ideal_makespan_s);
    else
        fprintf(out, ": makespan %.1f s\n", m->makespan_s);
    if (strcmp(m->shard, "data") == 0 && r->nrows) {
        double lo = 1, hi = 0;
        for (size_t i = 0; i < r->nrows; i++) {
            double c = r->rows[i].comm_fraction;
            if (c < lo) lo = c;
            if (c > hi) hi = c;
        }
        fprintf(out, "communication: %.1f%% to %.1f%% of the ranks' time (row field comm_fraction)\n", 100 * lo, 100 * hi);
    }
}
