/* JSON: the results file as one document, laid out like the HDF5 file (root
 * metadata, benchmarks, samples, ranks; A/B files also base_benchmarks and
 * ab_pairs, and an "ab" object in each benchmark). NaN and infinities are not
 * JSON numbers: they are written as null. */
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

/* The members of rec, a record of table fields, without the braces. */
static void put_members(FILE *out, const void *rec, const lb__field *fields, size_t nf)
{
    for (size_t i = 0; i < nf; i++) {
        const lb__field *f = &fields[i];
        const char *p = (const char *)rec + f->off;
        fprintf(out, "%s\"%s\": ", i ? ", " : "", f->name);
        switch (f->type) {
        case LB__F_STR: {
            size_t n;
            const char *s = lb__field_str(rec, f, &n);
            lb__put_json_str(out, s, n);
            break;
        }
        case LB__F_I64: fprintf(out, "%" PRId64, *(const int64_t *)p); break;
        case LB__F_U64: fprintf(out, "%" PRIu64, *(const uint64_t *)p); break;
        case LB__F_F64: lb__put_json_double(out, *(const double *)p); break;
        case LB__F_PCT: lb__put_json_double(out, lb__row_pct(rec)); break;
        }
    }
}

/* Row i of rows (/benchmarks or /base_benchmarks); with ab, its "ab" object. */
static void put_row(FILE *out, const lb_results *r, const lb_row *rows, size_t i, int ab)
{
    fputs("    {", out);
    put_members(out, &rows[i], lb__row_fields, lb__row_nfields);
    if (ab) {
        lb__ab_view v = lb__ab_view_of(r, i);
        fputs(", \"ab\": {", out);
        put_members(out, &v, lb__ab_fields, lb__ab_nfields);
        fputc('}', out);
    }
    fputc('}', out);
}

static void put_rows(FILE *out, const lb_results *r, const char *key, const lb_row *rows, int ab)
{
    fprintf(out, "  \"%s\": [", key);
    for (size_t i = 0; i < r->nrows; i++) {
        fputs(i ? ",\n" : "\n", out);
        put_row(out, r, rows, i, ab);
    }
    fputs(r->nrows ? "\n  ],\n" : "],\n", out);
}

static void put_id(FILE *out, const lb_row *row)
{
    size_t idn;
    const char *id = lb__field_str(row, &lb__row_fields[0], &idn);
    lb__put_json_str(out, id, idn);
}

/* /ab_pairs/<i> like the samples: one entry per row, a list per column. */
static void put_pairs(FILE *out, const lb_results *r)
{
    fputs("  \"ab_pairs\": [", out);
    for (size_t i = 0; i < r->nrows; i++) {
        size_t n = r->npairs ? r->npairs[i] : 0;
        const lb_ab_pair *p = n ? r->pairs[i] : NULL;
        fprintf(out, "%s    {\"row\": %zu, \"id\": ", i ? ",\n" : "\n", i);
        put_id(out, &r->rows[i]);
        fputs(", \"round\": [", out);
        for (size_t j = 0; j < n; j++) fprintf(out, "%s%" PRIu64, j ? ", " : "", p[j].round);
        fputs("], \"b_first\": [", out);
        for (size_t j = 0; j < n; j++) fprintf(out, "%s%" PRId64, j ? ", " : "", p[j].b_first);
        fputs("], \"a_ns\": [", out);
        for (size_t j = 0; j < n; j++) {
            if (j) fputs(", ", out);
            lb__put_json_double(out, p[j].a_ns);
        }
        fputs("], \"b_ns\": [", out);
        for (size_t j = 0; j < n; j++) {
            if (j) fputs(", ", out);
            lb__put_json_double(out, p[j].b_ns);
        }
        fputs("]}", out);
    }
    fputs(r->nrows ? "\n  ],\n" : "],\n", out);
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
    meta_str(out, "kind", r->ab ? "ab" : "results");
    if (r->ab) {
        /* which builds were compared: the candidate is the run's library */
        meta_str(out, "library", m->library);
        meta_str(out, "library_hash", m->library_hash);
        meta_str(out, "base_library", r->base_library);
        meta_str(out, "base_library_hash", r->base_library_hash);
    }

    put_rows(out, r, "benchmarks", r->rows, r->ab != NULL);
    if (r->ab) put_rows(out, r, "base_benchmarks", r->base_rows, 0);

    /* one entry per row, in row order, columns as in /samples/<i> */
    fputs("  \"samples\": [", out);
    for (size_t i = 0; i < r->nrows; i++) {
        size_t n = lb__nsamples(r, i);
        const lb_sample *s = n ? r->samples[i] : NULL;
        fprintf(out, "%s    {\"row\": %zu, \"id\": ", i ? ",\n" : "\n", i);
        put_id(out, &r->rows[i]);
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
    if (r->ab) put_pairs(out, r);

    /* the hardware bounds of rank 0's node (docs/PROBE.md) */
    fputs("  \"bounds\": [", out);
    for (size_t i = 0; i < r->nbounds; i++) {
        const lb_bound *b = &r->bounds[i];
        fprintf(out, "%s    {\"kind\": ", i ? ",\n" : "\n");
        lb__put_json_str(out, b->kind, lb__strlen_max(b->kind, sizeof b->kind));
        fputs(", \"isa\": ", out);
        lb__put_json_str(out, b->isa, lb__strlen_max(b->isa, sizeof b->isa));
        fprintf(out, ", \"threads\": %" PRId64 ", \"bytes\": %" PRIu64 ", \"value\": ", b->threads, b->bytes);
        lb__put_json_double(out, b->value);
        fputs(", \"unit\": ", out);
        lb__put_json_str(out, b->unit, lb__strlen_max(b->unit, sizeof b->unit));
        fputc('}', out);
    }
    fputs(r->nbounds ? "\n  ],\n" : "],\n", out);

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
