/* What a person sees: progress on stderr, the summary table on stdout. */
#include "cli.h"
#include "latentbench/bench.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void lb_report(const lb_cluster *cl, const char *msg)
{
    if (!cl || cl->rank == 0) fprintf(stderr, "latentbench: %s\n", msg);
}

void lb_fmt_time(char *buf, size_t len, double ns)
{
    if (!isfinite(ns)) snprintf(buf, len, "-");
    else if (ns < 1e3) snprintf(buf, len, "%.1f ns", ns);
    else if (ns < 1e6) snprintf(buf, len, "%.2f µs", ns / 1e3);
    else if (ns < 1e9) snprintf(buf, len, "%.2f ms", ns / 1e6);
    else snprintf(buf, len, "%.3f s", ns / 1e9);
}

void lb_fmt_bytes(char *buf, size_t len, double b)
{
    if (b < 1e3) snprintf(buf, len, "%.0f B", b);
    else if (b < 1e6) snprintf(buf, len, "%.1f kB", b / 1e3);
    else if (b < 1e9) snprintf(buf, len, "%.1f MB", b / 1e6);
    else snprintf(buf, len, "%.2f GB", b / 1e9);
}

void lb_fmt_rate(char *buf, size_t len, double v, const char *unit)
{
    if (v <= 0 || !isfinite(v)) snprintf(buf, len, "-");
    else if (v < 1e3) snprintf(buf, len, "%.1f %s/s", v, unit);
    else if (v < 1e6) snprintf(buf, len, "%.1f K%s/s", v / 1e3, unit);
    else if (v < 1e9) snprintf(buf, len, "%.1f M%s/s", v / 1e6, unit);
    else snprintf(buf, len, "%.2f G%s/s", v / 1e9, unit);
}

void lb_progress_init(lb_progress *p, size_t total, unsigned rounds, int quiet)
{
    p->tty = isatty(STDERR_FILENO);
    p->quiet = quiet;
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
    char rnd[32] = "";
    if (p->rounds > 1) snprintf(rnd, sizeof rnd, "round %u/%u ", round + 1, p->rounds);
    if (p->tty)
        fprintf(stderr, "\r\033[K%s[%zu/%zu] %s  elapsed %.0fs  eta %.0fs", rnd, i + 1, p->total, id, el, eta);
    else
        fprintf(stderr, "%s[%zu/%zu] %s (elapsed %.1fs, eta %.0fs)\n", rnd, i + 1, p->total, id, el, eta);
    fflush(stderr);
}

void lb_progress_done(lb_progress *p)
{
    if (p->quiet) return;
    double el = (double)lb_clock_ns() * 1e-9 - p->start_s;
    if (p->tty) fprintf(stderr, "\r\033[K");
    if (p->rounds > 1) fprintf(stderr, "%zu benchmarks x %u rounds in %.1fs\n", p->total, p->rounds, el);
    else fprintf(stderr, "%zu benchmarks in %.1fs\n", p->total, el);
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

void lb_print_summary(FILE *out, const lb_results *r)
{
    int w = 9;
    for (size_t i = 0; i < r->nrows; i++) {
        int l = (int)strlen(r->rows[i].id);
        if (l > w) w = l;
    }
    cell(out, "benchmark", w, 1);
    fputs("  ", out); cell(out, "median", 11, 0);
    fputs("  ", out); cell(out, "95% CI of the mean", 26, 0);
    fputs("  ", out); cell(out, "throughput", 15, 0);
    fputs("  ", out); cell(out, "peak mem", 9, 0);
    fputc('\n', out);
    for (size_t i = 0; i < r->nrows; i++) {
        const lb_row *row = &r->rows[i];
        char med[32], lo[32], hi[32], ci[80], tp[32], mem[32];
        lb_fmt_time(med, sizeof med, row->median_ns);
        lb_fmt_time(lo, sizeof lo, row->ci_low_ns);
        lb_fmt_time(hi, sizeof hi, row->ci_high_ns);
        snprintf(ci, sizeof ci, "[%s, %s]", lo, hi);
        lb_fmt_rate(tp, sizeof tp, row->throughput_elements, "elem");
        lb_fmt_bytes(mem, sizeof mem, (double)row->peak_bytes);
        cell(out, row->id, w, 1);
        fputs("  ", out); cell(out, med, 11, 0);
        fputs("  ", out); cell(out, ci, 26, 0);
        fputs("  ", out); cell(out, tp, 15, 0);
        fputs("  ", out); cell(out, mem, 9, 0);
        if (row->note[0]) fprintf(out, "  %s", row->note);
        fputc('\n', out);
    }
    const lb_meta *m = &r->meta;
    if (m->mpi_ranks <= 1 || !m->shard) return;
    fprintf(out, "shard %s over %lld ranks on %lld node%s", m->shard, (long long)m->mpi_ranks, (long long)m->nodes,
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
