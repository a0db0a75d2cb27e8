/* Google Benchmark's JSON reporter format, so that its tools/compare.py and
 * github-action-benchmark (tool: googlecpp) read latentbench results.
 *
 * Per row: one "iteration" entry named by the id whose real_time is the median
 * (the estimate latentbench gates on), then the aggregates <id>_mean,
 * <id>_median and <id>_stddev over the row's samples, as Google Benchmark
 * writes them for --benchmark_repetitions. Times are in ns. latentbench
 * measures wall-clock time only, so cpu_time repeats real_time. */
#include "export_internal.h"

#include "latentbench/error.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Google Benchmark prints doubles in full precision; NaN has no JSON form. */
static void key_double(FILE *out, const char *key, double v)
{
    fprintf(out, ",\n      \"%s\": ", key);
    lb__put_json_double(out, v);
}

/* Cores from the machine fingerprint "CPU; N cores; ISA", else rank 0's row. */
static int64_t num_cpus(const lb_results *r)
{
    const char *m = r->meta.machine;
    for (const char *p = m ? strstr(m, " cores") : NULL; p;) {
        const char *q = p;
        while (q > m && isdigit((unsigned char)q[-1])) q--;
        if (q < p) return strtoll(q, NULL, 10);
        p = strstr(p + 1, " cores");
    }
    for (size_t i = 0; i < r->nranks; i++)
        if (r->ranks[i].rank == 0) return r->ranks[i].cores;
    return 0;
}

static void put_name(FILE *out, const lb_row *row, const char *suffix)
{
    size_t n;
    const char *id = lb__field_str(row, &lb__row_fields[0], &n);
    char buf[LB_ID_LEN + 16];
    snprintf(buf, sizeof buf, "%.*s%s", (int)n, id, suffix);
    lb__put_json_cstr(out, buf);
}

/* The threads that ran each measurement: the run's OpenMP threads (a file
 * without the attribute, or with a nonsense value, reads as 1). */
static int64_t run_threads(const lb_results *r)
{
    return r->meta.omp_threads > 0 ? r->meta.omp_threads : 1;
}

static void put_entry(FILE *out, const lb_row *row, const char *aggregate, double ns, int first, int64_t threads)
{
    int64_t reps = row->samples > 0 ? row->samples : 1;
    fputs(first ? "\n    {\n" : ",\n    {\n", out);
    fputs("      \"name\": ", out);
    put_name(out, row, aggregate ? (strcmp(aggregate, "stddev") == 0 ? "_stddev"
                                    : strcmp(aggregate, "mean") == 0 ? "_mean" : "_median")
                                 : "");
    fputs(",\n      \"run_name\": ", out);
    put_name(out, row, "");
    fprintf(out, ",\n      \"run_type\": \"%s\"", aggregate ? "aggregate" : "iteration");
    fprintf(out, ",\n      \"repetitions\": %" PRId64, aggregate ? reps : 1);
    if (!aggregate) fputs(",\n      \"repetition_index\": 0", out);
    fprintf(out, ",\n      \"threads\": %" PRId64, threads);
    if (aggregate) fprintf(out, ",\n      \"aggregate_name\": \"%s\",\n      \"aggregate_unit\": \"time\"", aggregate);
    /* an aggregate's iterations are its repetitions, as Google Benchmark writes */
    fprintf(out, ",\n      \"iterations\": %" PRId64, aggregate ? reps : row->iterations);
    key_double(out, "real_time", ns);
    key_double(out, "cpu_time", ns);
    fputs(",\n      \"time_unit\": \"ns\"", out);
    if (!aggregate) {
        if (row->throughput_bytes > 0) key_double(out, "bytes_per_second", row->throughput_bytes);
        if (row->throughput_elements > 0) key_double(out, "items_per_second", row->throughput_elements);
        /* Google Benchmark's memory-manager fields */
        fprintf(out, ",\n      \"allocs_per_iter\": %" PRIu64 ",\n      \"max_bytes_used\": %" PRIu64,
                row->allocations, row->peak_bytes);
        /* user counters, as benchmark::State::counters writes them */
        if (row->bound_ns > 0) {
            key_double(out, "bound_ns", row->bound_ns);
            key_double(out, "pct_of_bound", lb_row_pct_of_bound(row));
        }
        const char *note = memchr(row->note, '\0', sizeof row->note);
        size_t n = note ? (size_t)(note - row->note) : sizeof row->note;
        if (n) {
            fputs(",\n      \"label\": ", out);
            lb__put_json_str(out, row->note, n);
        }
    }
    fputs("\n    }", out);
}

int lb__export_gbench(FILE *out, const lb_results *r)
{
    const lb_meta *m = &r->meta;
    char build[32] = "";
    for (size_t i = 0; m->build_type && m->build_type[i] && i + 1 < sizeof build; i++)
        build[i] = (char)tolower((unsigned char)m->build_type[i]);
    fputs("{\n  \"context\": {\n    \"date\": ", out);
    lb__put_json_cstr(out, m->created);
    fputs(",\n    \"host_name\": ", out);
    lb__put_json_cstr(out, m->hostname);
    fputs(",\n    \"executable\": \"latentbench\"", out);
    fprintf(out, ",\n    \"num_cpus\": %" PRId64, num_cpus(r));
    fputs(",\n    \"mhz_per_cpu\": 0", out); /* not recorded in the results file */
    fputs(",\n    \"cpu_scaling_enabled\": false", out);
    fputs(",\n    \"caches\": []", out);
    fputs(",\n    \"load_avg\": []", out);
    fputs(",\n    \"library_build_type\": ", out);
    lb__put_json_cstr(out, build);
    /* custom context, as benchmark::AddCustomContext adds it */
    fputs(",\n    \"latentbench_version\": ", out);
    lb__put_json_cstr(out, m->tool_version);
    fputs(",\n    \"git_commit\": ", out);
    lb__put_json_cstr(out, m->git_commit);
    fputs(",\n    \"machine\": ", out);
    lb__put_json_cstr(out, m->machine);
    fprintf(out, ",\n    \"mpi_ranks\": %" PRId64 ",\n    \"omp_threads\": %" PRId64, m->mpi_ranks,
            m->omp_threads);
    fputs("\n  },\n  \"benchmarks\": [", out);
    for (size_t i = 0; i < r->nrows; i++) {
        const lb_row *row = &r->rows[i];
        int64_t t = run_threads(r);
        put_entry(out, row, NULL, row->median_ns, i == 0, t);
        put_entry(out, row, "mean", row->mean_ns, 0, t);
        put_entry(out, row, "median", row->median_ns, 0, t);
        put_entry(out, row, "stddev", row->std_dev_ns, 0, t);
    }
    fputs(r->nrows ? "\n  ]\n}\n" : "]\n}\n", out);
    return LB_OK;
}
