/* Markdown: a heading with the run's provenance and one table row per
 * benchmark (the terminal summary's columns, GitHub-flavoured). */
#include "export_internal.h"

#include "latentbench/error.h"

#include <inttypes.h>
#include <string.h>

static void meta_item(FILE *out, const char *label, const char *v)
{
    if (!v || !*v) return;
    fprintf(out, "- %s: ", label);
    lb__put_md_text(out, v, strlen(v));
    fputc('\n', out);
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
    fputs("| benchmark | median | 95% CI of the mean | throughput | peak memory | note |\n"
          "|:---|---:|---:|---:|---:|:---|\n",
          out);
    for (size_t i = 0; i < r->nrows; i++) {
        const lb_row *row = &r->rows[i];
        char med[32], lo[32], hi[32], tp[96] = "-", eb[32], bb[32], mem[32];
        lb__fmt_time(med, sizeof med, row->median_ns);
        lb__fmt_time(lo, sizeof lo, row->ci_low_ns);
        lb__fmt_time(hi, sizeof hi, row->ci_high_ns);
        lb__fmt_elem_rate(eb, sizeof eb, row->throughput_elements);
        lb__fmt_bytes_rate(bb, sizeof bb, row->throughput_bytes);
        if (row->throughput_elements > 0 && row->throughput_bytes > 0) snprintf(tp, sizeof tp, "%s (%s)", eb, bb);
        else if (row->throughput_elements > 0) snprintf(tp, sizeof tp, "%s", eb);
        else if (row->throughput_bytes > 0) snprintf(tp, sizeof tp, "%s", bb);
        lb__fmt_mb(mem, sizeof mem, (double)row->peak_bytes);
        size_t n;
        const char *s = lb__field_str(row, &lb__row_fields[0], &n);
        fputs("| ", out);
        lb__put_md_text(out, s, n);
        fprintf(out, " | %s | [%s, %s] | %s | %s MB | ", med, lo, hi, tp, mem);
        const char *note = memchr(row->note, '\0', sizeof row->note);
        lb__put_md_text(out, row->note, note ? (size_t)(note - row->note) : sizeof row->note);
        fputs(" |\n", out);
    }
    return LB_OK;
}
