/* JSON: the results file as one document, laid out like the HDF5 file (root
 * metadata, benchmarks, samples, ranks). NaN and infinities are not JSON
 * numbers: they are written as null. */
#include "export_internal.h"

#include "latentbench/error.h"

#include <inttypes.h>
#include <string.h>

static void put_key(FILE *out, const char *indent, const char *key)
{
    fprintf(out, "%s\"%s\": ", indent, key);
}

static void meta_str(FILE *out, const char *key, const char *v)
{
    put_key(out, "  ", key);
    lb__put_json_cstr(out, v);
    fputs(",\n", out);
}

static void put_row(FILE *out, const lb_row *row)
{
    fputs("    {", out);
    for (size_t i = 0; i < lb__row_nfields; i++) {
        const lb__field *f = &lb__row_fields[i];
        const char *p = (const char *)row + f->off;
        fprintf(out, "%s\"%s\": ", i ? ", " : "", f->name);
        switch (f->type) {
        case LB__F_STR: {
            size_t n;
            const char *s = lb__field_str(row, f, &n);
            lb__put_json_str(out, s, n);
            break;
        }
        case LB__F_I64: fprintf(out, "%" PRId64, *(const int64_t *)p); break;
        case LB__F_U64: fprintf(out, "%" PRIu64, *(const uint64_t *)p); break;
        case LB__F_F64: lb__put_json_double(out, *(const double *)p); break;
        }
    }
    fputc('}', out);
}

int lb__export_json(FILE *out, const lb_results *r)
{
    const lb_meta *m = &r->meta;
    fputs("{\n", out);
    meta_str(out, "schema", LB_SCHEMA);
    fprintf(out, "  \"schema_version\": %d,\n", LB_SCHEMA_VERSION);
    meta_str(out, "tool_version", m->tool_version);
    meta_str(out, "git_commit", m->git_commit);
    meta_str(out, "created", m->created);
    meta_str(out, "hostname", m->hostname);
    meta_str(out, "machine", m->machine);
    fprintf(out, "  \"mpi_ranks\": %" PRId64 ",\n  \"omp_threads\": %" PRId64 ",\n", m->mpi_ranks, m->omp_threads);
    meta_str(out, "compiler", m->compiler);
    meta_str(out, "build_type", m->build_type);
    meta_str(out, "command_line", m->command_line);
    put_key(out, "  ", "timer_resolution_ns");
    lb__put_json_double(out, m->timer_resolution_ns);
    fputs(",\n", out);
    put_key(out, "  ", "timer_overhead_ns");
    lb__put_json_double(out, m->timer_overhead_ns);
    fputs(",\n", out);

    fputs("  \"benchmarks\": [", out);
    for (size_t i = 0; i < r->nrows; i++) {
        fputs(i ? ",\n" : "\n", out);
        put_row(out, &r->rows[i]);
    }
    fputs(r->nrows ? "\n  ],\n" : "],\n", out);

    /* one entry per row, in row order, columns as in /samples/<i> */
    fputs("  \"samples\": [", out);
    for (size_t i = 0; i < r->nrows; i++) {
        size_t n = lb__nsamples(r, i);
        const lb_sample *s = n ? r->samples[i] : NULL;
        fprintf(out, "%s    {\"row\": %zu, \"id\": ", i ? ",\n" : "\n", i);
        size_t idn;
        const char *id = lb__field_str(&r->rows[i], &lb__row_fields[0], &idn);
        lb__put_json_str(out, id, idn);
        fputs(", \"iterations\": [", out);
        for (size_t j = 0; j < n; j++) fprintf(out, "%s%" PRIu64, j ? ", " : "", s[j].iterations);
        fputs("], \"ns_per_iter\": [", out);
        for (size_t j = 0; j < n; j++) {
            if (j) fputs(", ", out);
            lb__put_json_double(out, s[j].ns_per_iter);
        }
        fputs("], \"round\": [", out);
        for (size_t j = 0; j < n; j++) fprintf(out, "%s%" PRIu64, j ? ", " : "", s[j].round);
        fputs("]}", out);
    }
    fputs(r->nrows ? "\n  ],\n" : "],\n", out);

    fputs("  \"ranks\": [", out);
    for (size_t i = 0; i < r->nranks; i++) {
        const lb_rank_row *k = &r->ranks[i];
        const char *nul = memchr(k->hostname, '\0', sizeof k->hostname);
        fprintf(out, "%s    {\"rank\": %" PRId64 ", \"hostname\": ", i ? ",\n" : "\n", k->rank);
        lb__put_json_str(out, k->hostname, nul ? (size_t)(nul - k->hostname) : sizeof k->hostname);
        fprintf(out, ", \"cores\": %" PRId64 ", \"peak_bytes\": %" PRIu64 ", \"rss_peak_bytes\": %" PRIu64 "}",
                k->cores, k->peak_bytes, k->rss_peak_bytes);
    }
    fputs(r->nranks ? "\n  ]\n}\n" : "]\n}\n", out);
    return LB_OK;
}
