/* The results file: root attributes, /benchmarks, /samples/<i> and /ranks,
 * and in A/B files /base_benchmarks, /ab and /ab_pairs/<i>, as laid out in
 * results.h and docs/RESULTS.md. Compound members are matched by name when
 * reading, so the file's member order and string sizes are free. */
#define _POSIX_C_SOURCE 200809L

#include "latentbench/results.h"

#include <stdio.h>
#include <string.h>

#include "h5io.h"
#include "results_raw.h"
#include "latentbench/alloc.h"
#include "latentbench/error.h"

#define FIELD(T, kind, m) {#m, offsetof(T, m), sizeof(((T *)0)->m), LB__F_##kind, 0}
/* a field added after schema_version 1 files were written: absent reads as 0 */
#define OPTIONAL(T, kind, m) {#m, offsetof(T, m), sizeof(((T *)0)->m), LB__F_##kind, 1}

/* In the order of lb_row, which is the order of the members in the file. */
static const lb__field row_fields[] = {
    FIELD(lb_row, STR, id),          FIELD(lb_row, STR, suite),
    FIELD(lb_row, STR, group),       FIELD(lb_row, STR, op),
    FIELD(lb_row, I64, dimension),   FIELD(lb_row, I64, k),
    FIELD(lb_row, I64, dataset_size), FIELD(lb_row, I64, batch_size),
    FIELD(lb_row, I64, seq_len),     FIELD(lb_row, I64, num_heads),
    FIELD(lb_row, I64, num_experts), FIELD(lb_row, STR, metric),
    FIELD(lb_row, STR, attention),   FIELD(lb_row, I64, samples),
    FIELD(lb_row, I64, iterations),  FIELD(lb_row, F64, mean_ns),
    FIELD(lb_row, F64, median_ns),   FIELD(lb_row, F64, std_dev_ns),
    FIELD(lb_row, F64, mad_ns),      FIELD(lb_row, F64, min_ns),
    FIELD(lb_row, F64, max_ns),      FIELD(lb_row, F64, ci_low_ns),
    FIELD(lb_row, F64, ci_high_ns),  FIELD(lb_row, F64, slope_ns),
    FIELD(lb_row, I64, outliers_mild), FIELD(lb_row, I64, outliers_severe),
    FIELD(lb_row, F64, throughput_elements), FIELD(lb_row, F64, throughput_bytes),
    FIELD(lb_row, U64, peak_bytes),  FIELD(lb_row, U64, avg_bytes),
    FIELD(lb_row, U64, allocations), FIELD(lb_row, U64, rss_peak_bytes),
    FIELD(lb_row, I64, ranks),       FIELD(lb_row, F64, rank_min_ns),
    FIELD(lb_row, F64, rank_median_ns), FIELD(lb_row, F64, rank_max_ns),
    FIELD(lb_row, STR, note),        OPTIONAL(lb_row, I64, rounds),
    OPTIONAL(lb_row, I64, measured_rank), OPTIONAL(lb_row, STR, host),
    OPTIONAL(lb_row, U64, peak_bytes_sum), OPTIONAL(lb_row, U64, rss_peak_bytes_sum),
    OPTIONAL(lb_row, F64, rank_mean_ns), OPTIONAL(lb_row, F64, comm_fraction),
    OPTIONAL(lb_row, F64, parallel_efficiency), OPTIONAL(lb_row, STR, impl),
    OPTIONAL(lb_row, F64, bound_ns), OPTIONAL(lb_row, STR, bound_kind),
};

static const lb__field sample_fields[] = {
    FIELD(lb_sample, U64, iterations),
    FIELD(lb_sample, F64, ns_per_iter),
    OPTIONAL(lb_sample, U64, round),
};

static const lb__field rank_fields[] = {
    FIELD(lb_rank_row, I64, rank),       FIELD(lb_rank_row, STR, hostname),
    FIELD(lb_rank_row, I64, cores),      FIELD(lb_rank_row, U64, peak_bytes),
    FIELD(lb_rank_row, U64, rss_peak_bytes),
};

/* A/B files (schema_version 2): in the order of lb_ab_row and lb_ab_pair. */
static const lb__field ab_fields[] = {
    FIELD(lb_ab_row, STR, id),            FIELD(lb_ab_row, I64, rounds),
    FIELD(lb_ab_row, I64, block_iters),   FIELD(lb_ab_row, STR, order),
    FIELD(lb_ab_row, F64, ratio),         FIELD(lb_ab_row, F64, ratio_ci_low),
    FIELD(lb_ab_row, F64, ratio_ci_high), FIELD(lb_ab_row, F64, ratio_upper),
    FIELD(lb_ab_row, F64, ratio_lower),   FIELD(lb_ab_row, F64, confidence),
    FIELD(lb_ab_row, F64, p_slower),      FIELD(lb_ab_row, F64, p_faster),
    FIELD(lb_ab_row, F64, log_ratio_mad), FIELD(lb_ab_row, F64, threshold_pct),
    FIELD(lb_ab_row, STR, verdict),       FIELD(lb_ab_row, U64, peak_bytes_a),
    FIELD(lb_ab_row, U64, peak_bytes_b),  FIELD(lb_ab_row, U64, allocations_a),
    FIELD(lb_ab_row, U64, allocations_b), FIELD(lb_ab_row, STR, memory_verdict),
    OPTIONAL(lb_ab_row, I64, rounds_repeated),
};

static const lb__field bound_fields[] = {
    FIELD(lb_bound, STR, kind),    FIELD(lb_bound, STR, isa),   FIELD(lb_bound, I64, threads),
    FIELD(lb_bound, U64, bytes),   FIELD(lb_bound, F64, value), FIELD(lb_bound, STR, unit),
};

static const lb__field pair_fields[] = {
    FIELD(lb_ab_pair, U64, round), FIELD(lb_ab_pair, I64, b_first),
    FIELD(lb_ab_pair, F64, a_ns),  FIELD(lb_ab_pair, F64, b_ns),
};

#define TABLE(T, f) {f, sizeof f / sizeof f[0], sizeof(T)}
static const lb__table row_table = TABLE(lb_row, row_fields);
static const lb__table sample_table = TABLE(lb_sample, sample_fields);
static const lb__table rank_table = TABLE(lb_rank_row, rank_fields);
static const lb__table ab_table = TABLE(lb_ab_row, ab_fields);
static const lb__table pair_table = TABLE(lb_ab_pair, pair_fields);
static const lb__table bound_table = TABLE(lb_bound, bound_fields);

/* The oldest layout this build reads: version 1 lacks kind and the A/B parts,
 * and is otherwise the layout of version 2. */
#define OLDEST_VERSION 1
/* From this version on every string is fixed-length: a variable-length one
 * (whose value would come from HDF5's unchecksummed global heap) is refused. */
#define FIXED_STRINGS_VERSION 3

/* Root attribute kind: what the file holds. Absent (version 1) reads as plain. */
#define KIND_PLAIN "results"
#define KIND_AB "ab"

/* Root text attributes of A/B files only, stored in lb_results. */
static const struct {
    const char *name;
    size_t      offset;
} ab_strs[] = {
    {"base_library", offsetof(lb_results, base_library)},
    {"base_library_hash", offsetof(lb_results, base_library_hash)},
};
#define NAB_STRS (sizeof ab_strs / sizeof ab_strs[0])

static char **ab_str(lb_results *r, size_t i) { return (char **)((char *)r + ab_strs[i].offset); }

/* ---- one dataset per row ---------------------------------------------------
 * /samples/<i> and /ab_pairs/<i>: a group holding, for row i, a table named
 * "<i>" with attribute id = the row's id. get gives row i's entries; make
 * allocates the per-row arrays for nrows rows, put stores row i's. */
typedef struct {
    const char      *group;
    const lb__table *t;
    const void *(*get)(const lb_results *r, size_t i, size_t *n);
    int (*make)(lb_results *r);
    void (*put)(lb_results *r, size_t i, void *rows, size_t n);
} row_sets;

static const void *samples_get(const lb_results *r, size_t i, size_t *n)
{
    *n = r->samples && r->nsamples ? r->nsamples[i] : 0;
    return *n ? r->samples[i] : NULL;
}
static int samples_make(lb_results *r)
{
    return (r->samples = lb_calloc(r->nrows, sizeof *r->samples)) &&
           (r->nsamples = lb_calloc(r->nrows, sizeof *r->nsamples));
}
static void samples_put(lb_results *r, size_t i, void *rows, size_t n)
{
    r->samples[i] = rows;
    r->nsamples[i] = n;
}

static const void *pairs_get(const lb_results *r, size_t i, size_t *n)
{
    *n = r->npairs ? r->npairs[i] : 0;
    return *n ? r->pairs[i] : NULL;
}
static int pairs_make(lb_results *r)
{
    return (r->pairs = lb_calloc(r->nrows, sizeof *r->pairs)) &&
           (r->npairs = lb_calloc(r->nrows, sizeof *r->npairs));
}
static void pairs_put(lb_results *r, size_t i, void *rows, size_t n)
{
    r->pairs[i] = rows;
    r->npairs[i] = n;
}

static const row_sets samples_sets = {"samples", &sample_table, samples_get, samples_make, samples_put};
static const row_sets pairs_sets = {"ab_pairs", &pair_table, pairs_get, pairs_make, pairs_put};

/* Root attributes besides schema and schema_version. An attribute with a
 * default came after the first schema_version 1 files: a file without it reads
 * as the default, while one that is there must have the right type. */
static const struct {
    const char *name;
    size_t      offset;
    const char *dflt; /* NULL: required */
} meta_strs[] = {
    {"tool_version", offsetof(lb_meta, tool_version), NULL},
    {"git_commit", offsetof(lb_meta, git_commit), NULL},
    {"created", offsetof(lb_meta, created), NULL},
    {"hostname", offsetof(lb_meta, hostname), NULL},
    {"machine", offsetof(lb_meta, machine), NULL},
    {"compiler", offsetof(lb_meta, compiler), NULL},
    {"build_type", offsetof(lb_meta, build_type), NULL},
    {"command_line", offsetof(lb_meta, command_line), NULL},
    {"shard", offsetof(lb_meta, shard), "none"},
    {"failure", offsetof(lb_meta, failure), ""},
    {"scaling", offsetof(lb_meta, scaling), ""},
    {"library", offsetof(lb_meta, library), ""},
    {"library_hash", offsetof(lb_meta, library_hash), ""},
    {"knobs", offsetof(lb_meta, knobs), ""},
    {"peers", offsetof(lb_meta, peers), ""},
};
#define NMETA_STRS (sizeof meta_strs / sizeof meta_strs[0])

/* Integers are stored as int64 and must be integers in the file; doubles as
 * float64, and any number reads. dflt is the value of an optional attribute
 * that is absent (integer defaults are small, exact in a double). */
static const struct {
    const char *name;
    size_t      offset;
    int         is_int;
    int         optional;
    double      dflt;
} meta_nums[] = {
    {"mpi_ranks", offsetof(lb_meta, mpi_ranks), 1, 0, 0},
    {"omp_threads", offsetof(lb_meta, omp_threads), 1, 0, 0},
    {"timer_resolution_ns", offsetof(lb_meta, timer_resolution_ns), 0, 0, 0},
    {"timer_overhead_ns", offsetof(lb_meta, timer_overhead_ns), 0, 0, 0},
    {"nodes", offsetof(lb_meta, nodes), 1, 1, 1},
    {"node_concurrency", offsetof(lb_meta, node_concurrency), 1, 1, 0},
    {"complete", offsetof(lb_meta, complete), 1, 1, 1},
    {"makespan_s", offsetof(lb_meta, makespan_s), 0, 1, 0},
    {"ideal_makespan_s", offsetof(lb_meta, ideal_makespan_s), 0, 1, 0},
    {"predicted_makespan_s", offsetof(lb_meta, predicted_makespan_s), 0, 1, 0},
    {"library_size", offsetof(lb_meta, library_size), 1, 1, 0},
};
#define NMETA_NUMS (sizeof meta_nums / sizeof meta_nums[0])

static char **meta_str(lb_meta *m, size_t i) { return (char **)((char *)m + meta_strs[i].offset); }
static void *meta_num(lb_meta *m, size_t i) { return (char *)m + meta_nums[i].offset; }

static int write_meta(const lb__ctx *c, hid_t f, const lb_results *r)
{
    const lb_meta *m = &r->meta;
    int version = LB_SCHEMA_VERSION; /* the layout this code writes, whatever m says */
    int rc = lb__h5_put_str(c, f, "schema", LB_SCHEMA);
    if (!rc) rc = lb__h5_put_num(c, f, "schema_version", H5T_STD_I32LE, H5T_NATIVE_INT, &version);
    if (!rc) rc = lb__h5_put_str(c, f, "kind", r->ab ? KIND_AB : KIND_PLAIN);
    for (size_t i = 0; !rc && r->ab && i < NAB_STRS; i++)
        rc = lb__h5_put_str(c, f, ab_strs[i].name, *ab_str((lb_results *)r, i));
    for (size_t i = 0; !rc && i < NMETA_STRS; i++)
        rc = lb__h5_put_str(c, f, meta_strs[i].name, *meta_str((lb_meta *)m, i));
    for (size_t i = 0; !rc && i < NMETA_NUMS; i++) {
        int is_int = meta_nums[i].is_int;
        rc = lb__h5_put_num(c, f, meta_nums[i].name, is_int ? H5T_STD_I64LE : H5T_IEEE_F64LE,
                            is_int ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, meta_num((lb_meta *)m, i));
    }
    return rc;
}

/* The group s->group with one table per row. */
static int write_sets(const lb__ctx *c, hid_t f, const lb_results *r, const row_sets *s)
{
    char glabel[32];
    snprintf(glabel, sizeof glabel, "/%s", s->group);
    hid_t g;
    int rc = lb__h5_group(c, f, s->group, glabel, &g);
    if (rc) return rc;
    for (size_t i = 0; !rc && i < r->nrows; i++) {
        char name[32], label[64], id[LB_ID_LEN + 1];
        hid_t d = H5I_INVALID_HID;
        snprintf(name, sizeof name, "%zu", i);
        snprintf(label, sizeof label, "%s/%zu", glabel, i);
        /* The caller's id need not be terminated; the file's is cut like the field. */
        memcpy(id, r->rows[i].id, LB_ID_LEN);
        id[LB_ID_LEN - 1] = '\0';
        size_t n;
        const void *rows = s->get(r, i, &n);
        if (!(rc = lb__h5_put_table(c, g, name, label, s->t, rows, n, &d))) rc = lb__h5_put_str(c, d, "id", id);
        lb__h5_close(&d);
    }
    lb__h5_close(&g);
    return rc;
}

/* Ids as the file will hold them: cut to the field, terminated or not. */
static int same_id(const char *a, const char *b) { return strncmp(a, b, LB_ID_LEN - 1) == 0; }

/* What the reader would refuse, or what cannot be written at all, is the
 * caller's mistake: LB_EINTERNAL before anything is created. */
static int check_write(const lb__ctx *c, const lb_results *r)
{
    if (!r || (r->nrows && !r->rows) || (r->nranks && !r->ranks) || (r->nbounds && !r->bounds))
        return lb__fail(c, LB_EINTERNAL, "results with rows or ranks counted but missing");
    for (size_t i = 0; r->samples && r->nsamples && i < r->nrows; i++)
        if (r->nsamples[i] && !r->samples[i])
            return lb__fail(c, LB_EINTERNAL, "samples of row %zu counted but missing", i);
    if (!r->ab) return LB_OK;
    if (r->nrows && !r->base_rows)
        return lb__fail(c, LB_EINTERNAL, "A/B results with rows but no baseline rows");
    for (size_t i = 0; r->npairs && i < r->nrows; i++)
        if (r->npairs[i] && (!r->pairs || !r->pairs[i]))
            return lb__fail(c, LB_EINTERNAL, "A/B pairs of row %zu counted but missing", i);
    for (size_t i = 0; i < r->nrows; i++) {
        const char *other = !same_id(r->base_rows[i].id, r->rows[i].id) ? r->base_rows[i].id
                            : !same_id(r->ab[i].id, r->rows[i].id)      ? r->ab[i].id
                                                                         : NULL;
        if (other)
            return lb__fail(c, LB_EINTERNAL, "A/B row %zu is '%.*s' in %s but '%.*s' in the rows", i,
                            LB_ID_LEN - 1, other, other == r->ab[i].id ? "ab" : "base_rows", LB_ID_LEN - 1,
                            r->rows[i].id);
    }
    return LB_OK;
}

static int write_file(const lb__ctx *c, const lb_results *r)
{
    int rc = check_write(c, r);
    if (rc) return rc;
    lb__h5_out o;
    if ((rc = lb__h5_begin(c, &o))) return rc;
    if (!(rc = write_meta(c, o.file, r)) &&
        !(rc = lb__h5_put_table(c, o.file, "benchmarks", "/benchmarks", &row_table, r->rows, r->nrows, NULL)) &&
        !(rc = write_sets(c, o.file, r, &samples_sets)) &&
        !(rc = lb__h5_put_table(c, o.file, "ranks", "/ranks", &rank_table, r->ranks, r->nranks, NULL)) &&
        (!r->nbounds ||
         !(rc = lb__h5_put_table(c, o.file, "bounds", "/bounds", &bound_table, r->bounds, r->nbounds, NULL))) &&
        r->ab &&
        !(rc = lb__h5_put_table(c, o.file, "base_benchmarks", "/base_benchmarks", &row_table, r->base_rows,
                                r->nrows, NULL)) &&
        !(rc = lb__h5_put_table(c, o.file, "ab", "/ab", &ab_table, r->ab, r->nrows, NULL)))
        rc = write_sets(c, o.file, r, &pairs_sets);
    if (rc) {
        lb__h5_abort(&o); /* closes whatever is still open in the file */
        return rc;
    }
    return lb__h5_commit(c, &o);
}

/* c->fixed_strings is set from schema_version, read before any string so that
 * a version-3 file never has HDF5 read its global heap. */
static int read_meta(lb__ctx *c, hid_t f, lb_meta *m, int *is_ab)
{
    char *schema = NULL;
    int64_t version = 0;
    htri_t has = H5Aexists(f, "schema");
    if (has < 0) return lb__fail_h5(c, LB_EDATA, "cannot read root attribute 'schema'");
    if (has == 0) return lb__fail(c, LB_EDATA, "not a latentbench results file (no schema attribute)");
    int present = 0;
    int rc = lb__h5_has_attr(c, f, "/", "schema_version", &present);
    if (!rc && present && !(rc = lb__h5_get_num(c, f, "/", "schema_version", H5T_NATIVE_INT64, &version)))
        c->fixed_strings = version >= FIXED_STRINGS_VERSION;
    /* older files keep their text in the global heap: check it before HDF5 reads any */
    if (!rc && !c->fixed_strings) rc = lb__h5_check_global_heap(c, NULL, 0);
    if (rc) return rc;
    rc = lb__h5_get_str(c, f, "/", "schema", &schema);
    if (!rc && strcmp(schema, LB_SCHEMA) != 0)
        rc = lb__fail(c, LB_EDATA, "schema is '%s', expected '%s'", schema, LB_SCHEMA);
    lb_free(schema);
    if (!rc && !present) rc = lb__fail(c, LB_EDATA, "root attribute 'schema_version' is missing");
    if (!rc && (version < OLDEST_VERSION || version > LB_SCHEMA_VERSION))
        rc = lb__fail(c, LB_EDATA, "schema_version %lld is not supported (this build reads %d to %d)",
                      (long long)version, OLDEST_VERSION, LB_SCHEMA_VERSION);
    if (rc) return rc;
    m->schema_version = (int)version;
    char *kind = NULL;
    if (!(rc = lb__h5_has_attr(c, f, "/", "kind", &present)) && present &&
        !(rc = lb__h5_get_str(c, f, "/", "kind", &kind)) && strcmp(kind, KIND_PLAIN) != 0 &&
        strcmp(kind, KIND_AB) != 0)
        rc = lb__fail(c, LB_EDATA, "root attribute 'kind' is '%s', expected '" KIND_PLAIN "' or '" KIND_AB "'",
                      kind);
    *is_ab = kind && strcmp(kind, KIND_AB) == 0;
    lb_free(kind);
    if (rc) return rc;
    for (size_t i = 0; !rc && i < NMETA_STRS; i++) {
        int present = 1;
        if (meta_strs[i].dflt && (rc = lb__h5_has_attr(c, f, "/", meta_strs[i].name, &present))) break;
        if (present) rc = lb__h5_get_str(c, f, "/", meta_strs[i].name, meta_str(m, i));
        else if (!(*meta_str(m, i) = lb_strdup(meta_strs[i].dflt)))
            rc = lb__fail(c, LB_ENOMEM, "out of memory reading root attribute '%s'", meta_strs[i].name);
    }
    for (size_t i = 0; !rc && i < NMETA_NUMS; i++) {
        int present = 1;
        if (meta_nums[i].optional && (rc = lb__h5_has_attr(c, f, "/", meta_nums[i].name, &present))) break;
        if (present)
            rc = lb__h5_get_num(c, f, "/", meta_nums[i].name,
                                meta_nums[i].is_int ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, meta_num(m, i));
        else if (meta_nums[i].is_int)
            *(int64_t *)meta_num(m, i) = (int64_t)meta_nums[i].dflt;
        else
            *(double *)meta_num(m, i) = meta_nums[i].dflt;
    }
    return rc;
}

/* The group s->group: one table per row, each with its row's id. */
static int read_sets(const lb__ctx *c, hid_t f, lb_results *r, const row_sets *s)
{
    char glabel[32];
    snprintf(glabel, sizeof glabel, "/%s", s->group);
    htri_t ex = H5Lexists(f, s->group, H5P_DEFAULT);
    if (ex < 0) return lb__fail_h5(c, LB_EDATA, "cannot read %s", glabel);
    if (ex == 0) return lb__fail(c, LB_EDATA, "%s is missing", glabel);
    hid_t g = H5Gopen2(f, s->group, H5P_DEFAULT);
    if (g < 0) return lb__fail_h5(c, LB_EDATA, "%s is not a group", glabel);
    int rc = LB_OK;
    if (r->nrows && !s->make(r)) rc = lb__fail(c, LB_ENOMEM, "out of memory reading %s", glabel);
    for (size_t i = 0; !rc && i < r->nrows; i++) {
        char name[32], label[64], *id = NULL;
        snprintf(name, sizeof name, "%zu", i);
        snprintf(label, sizeof label, "%s/%zu", glabel, i);
        void *rows;
        size_t n;
        hid_t d;
        if ((rc = lb__h5_get_table(c, g, name, label, s->t, &rows, &n, &d))) break;
        s->put(r, i, rows, n);
        rc = lb__h5_get_str(c, d, label, "id", &id);
        if (!rc && strcmp(id, r->rows[i].id) != 0)
            rc = lb__fail(c, LB_EDATA, "%s belongs to '%s' but row %zu is '%s'", label, id, i, r->rows[i].id);
        lb_free(id);
        lb__h5_close(&d);
    }
    lb__h5_close(&g);
    return rc;
}

/* A table that runs parallel to /benchmarks: as many rows, the same ids. The
 * id is the first member of both lb_row and lb_ab_row. */
static int check_parallel(const lb__ctx *c, const char *label, const char *rows, size_t stride, size_t n,
                          const lb_results *r)
{
    if (n != r->nrows)
        return lb__fail(c, LB_EDATA, "%s has %zu rows but /benchmarks has %zu", label, n, r->nrows);
    for (size_t i = 0; i < n; i++) {
        const char *id = rows + i * stride;
        if (strcmp(id, r->rows[i].id) != 0)
            return lb__fail(c, LB_EDATA, "%s row %zu is '%s' but /benchmarks row %zu is '%s'", label, i, id, i,
                            r->rows[i].id);
    }
    return LB_OK;
}

/* The A/B parts: present exactly when kind is "ab". */
static int read_ab(const lb__ctx *c, hid_t f, lb_results *r, int is_ab)
{
    htri_t ex = H5Lexists(f, "ab", H5P_DEFAULT);
    if (ex < 0) return lb__fail_h5(c, LB_EDATA, "cannot read /ab");
    if (!is_ab)
        return ex ? lb__fail(c, LB_EDATA, "/ab is present but the file's kind is '" KIND_PLAIN "'") : LB_OK;
    if (!ex) return lb__fail(c, LB_EDATA, "/ab is missing (the file's kind is '" KIND_AB "')");
    int rc = LB_OK;
    for (size_t i = 0; !rc && i < NAB_STRS; i++) rc = lb__h5_get_str(c, f, "/", ab_strs[i].name, ab_str(r, i));
    void *base = NULL, *ab = NULL;
    size_t nbase = 0, nab = 0;
    if (rc || (rc = lb__h5_get_table(c, f, "base_benchmarks", "/base_benchmarks", &row_table, &base, &nbase, NULL)))
        return rc;
    r->base_rows = base;
    if ((rc = check_parallel(c, "/base_benchmarks", base, sizeof(lb_row), nbase, r)) ||
        (rc = lb__h5_get_table(c, f, "ab", "/ab", &ab_table, &ab, &nab, NULL)))
        return rc;
    /* ab != NULL marks the file A/B even when it has no rows */
    if (!ab && !(ab = lb_calloc(1, sizeof(lb_ab_row)))) return lb__fail(c, LB_ENOMEM, "out of memory reading /ab");
    r->ab = ab;
    if ((rc = check_parallel(c, "/ab", ab, sizeof(lb_ab_row), nab, r))) return rc;
    return read_sets(c, f, r, &pairs_sets);
}

/* Optional (within schema_version 3): a file without /bounds has none. */
static int read_bounds(const lb__ctx *c, hid_t f, lb_results *r)
{
    htri_t ex = H5Lexists(f, "bounds", H5P_DEFAULT);
    if (ex < 0) return lb__fail_h5(c, LB_EDATA, "cannot read /bounds");
    if (!ex) return LB_OK;
    void *b = NULL;
    int rc = lb__h5_get_table(c, f, "bounds", "/bounds", &bound_table, &b, &r->nbounds, NULL);
    r->bounds = b;
    return rc;
}

/* impl came after the first files: rows without it (or with it empty) are liblatent's. */
static void default_impl(lb_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        if (!rows[i].impl[0]) snprintf(rows[i].impl, sizeof rows[i].impl, "%s", LB_IMPL_DEFAULT);
}

static int read_file(lb__ctx *c, lb_results *r)
{
    hid_t f;
    int rc = lb__h5_open(c, &f);
    if (rc) return rc;
    void *rows = NULL, *ranks = NULL;
    int is_ab = 0;
    if (!(rc = read_meta(c, f, &r->meta, &is_ab)) &&
        !(rc = lb__h5_get_table(c, f, "benchmarks", "/benchmarks", &row_table, &rows, &r->nrows, NULL))) {
        r->rows = rows;
        if (!(rc = read_sets(c, f, r, &samples_sets)) &&
            !(rc = lb__h5_get_table(c, f, "ranks", "/ranks", &rank_table, &ranks, &r->nranks, NULL))) {
            r->ranks = ranks;
            if (!(rc = read_bounds(c, f, r))) rc = read_ab(c, f, r, is_ab);
        }
    }
    if (!rc) {
        default_impl(r->rows, r->nrows);
        default_impl(r->base_rows, r->nrows);
    }
    lb__h5_close(&f);
    return rc;
}

int lb_results_write(const char *path, const lb_results *r, char *err, size_t errlen)
{
    lb__ctx c = {path ? path : "(null)", err, errlen, 0};
    if (!path) return lb__fail(&c, LB_EINTERNAL, "no path");
    lb__h5_quiet();
    return write_file(&c, r);
}

int lb__results_read_unchecked(const char *path, lb_results *r, char *err, size_t errlen)
{
    lb__ctx c = {path ? path : "(null)", err, errlen, 0};
    if (!r) return lb__fail(&c, LB_EINTERNAL, "no results to read into");
    memset(r, 0, sizeof *r);
    if (!path) return lb__fail(&c, LB_EINTERNAL, "no path");
    lb__h5_quiet();
    int rc = read_file(&c, r);
    if (rc) lb_results_free(r);
    return rc;
}

int lb_results_read(const char *path, lb_results *r, char *err, size_t errlen)
{
    int rc = lb__results_read_unchecked(path, r, err, errlen);
    if (!rc && (rc = lb_results_check(r, path, err, errlen))) lb_results_free(r);
    return rc;
}

void lb_results_free(lb_results *r)
{
    if (!r) return;
    for (size_t i = 0; i < NMETA_STRS; i++) lb_free(*meta_str(&r->meta, i));
    for (size_t i = 0; r->samples && i < r->nrows; i++) lb_free(r->samples[i]);
    lb_free(r->samples);
    lb_free(r->nsamples);
    lb_free(r->rows);
    lb_free(r->ranks);
    for (size_t i = 0; i < NAB_STRS; i++) lb_free(*ab_str(r, i));
    for (size_t i = 0; r->pairs && i < r->nrows; i++) lb_free(r->pairs[i]);
    lb_free(r->pairs);
    lb_free(r->npairs);
    lb_free(r->base_rows);
    lb_free(r->ab);
    lb_free(r->bounds);
    memset(r, 0, sizeof *r);
}
