/* The results file: root attributes, /benchmarks, /samples/<i> and /ranks, as
 * laid out in results.h and docs/RESULTS.md. Compound members are matched by
 * name when reading, so the file's member order and string sizes are free. */
#define _POSIX_C_SOURCE 200809L

#include "latentbench/results.h"

#include <stdio.h>
#include <string.h>

#include "h5io.h"
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
    OPTIONAL(lb_row, F64, parallel_efficiency),
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

#define TABLE(T, f) {f, sizeof f / sizeof f[0], sizeof(T)}
static const lb__table row_table = TABLE(lb_row, row_fields);
static const lb__table sample_table = TABLE(lb_sample, sample_fields);
static const lb__table rank_table = TABLE(lb_rank_row, rank_fields);

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

static int write_meta(const lb__ctx *c, hid_t f, const lb_meta *m)
{
    int version = LB_SCHEMA_VERSION; /* the layout this code writes, whatever m says */
    int rc = lb__h5_put_str(c, f, "schema", LB_SCHEMA);
    if (!rc) rc = lb__h5_put_num(c, f, "schema_version", H5T_STD_I32LE, H5T_NATIVE_INT, &version);
    for (size_t i = 0; !rc && i < NMETA_STRS; i++)
        rc = lb__h5_put_str(c, f, meta_strs[i].name, *meta_str((lb_meta *)m, i));
    for (size_t i = 0; !rc && i < NMETA_NUMS; i++) {
        int is_int = meta_nums[i].is_int;
        rc = lb__h5_put_num(c, f, meta_nums[i].name, is_int ? H5T_STD_I64LE : H5T_IEEE_F64LE,
                            is_int ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, meta_num((lb_meta *)m, i));
    }
    return rc;
}

static int write_file(const lb__ctx *c, const lb_results *r)
{
    if (!r || (r->nrows && !r->rows) || (r->nranks && !r->ranks))
        return lb__fail(c, LB_EINTERNAL, "results with rows or ranks counted but missing");
    for (size_t i = 0; r->samples && r->nsamples && i < r->nrows; i++)
        if (r->nsamples[i] && !r->samples[i])
            return lb__fail(c, LB_EINTERNAL, "samples of row %zu counted but missing", i);

    lb__h5_out o;
    int rc = lb__h5_begin(c, &o);
    if (rc) return rc;
    hid_t g = H5I_INVALID_HID, d = H5I_INVALID_HID;
    if ((rc = write_meta(c, o.file, &r->meta)) ||
        (rc = lb__h5_put_table(c, o.file, "benchmarks", "/benchmarks", &row_table, r->rows, r->nrows,
                               NULL)))
        goto fail;
    if ((g = H5Gcreate2(o.file, "samples", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0) {
        rc = lb__fail_h5(c, LB_EIO, "cannot write /samples");
        goto fail;
    }
    for (size_t i = 0; i < r->nrows; i++) {
        char name[32], label[48], id[LB_ID_LEN + 1];
        snprintf(name, sizeof name, "%zu", i);
        snprintf(label, sizeof label, "/samples/%zu", i);
        /* The caller's id need not be terminated; the file's is cut like the field. */
        memcpy(id, r->rows[i].id, LB_ID_LEN);
        id[LB_ID_LEN - 1] = '\0';
        size_t n = r->samples && r->nsamples ? r->nsamples[i] : 0;
        if ((rc = lb__h5_put_table(c, g, name, label, &sample_table, n ? r->samples[i] : NULL, n, &d)) ||
            (rc = lb__h5_put_str(c, d, "id", id)))
            goto fail;
        lb__h5_close(&d);
    }
    lb__h5_close(&g);
    if ((rc = lb__h5_put_table(c, o.file, "ranks", "/ranks", &rank_table, r->ranks, r->nranks, NULL)))
        goto fail;
    return lb__h5_commit(c, &o);
fail:
    lb__h5_close(&d);
    lb__h5_close(&g);
    lb__h5_abort(&o);
    return rc;
}

static int read_meta(const lb__ctx *c, hid_t f, lb_meta *m)
{
    char *schema = NULL;
    int64_t version = 0;
    htri_t has = H5Aexists(f, "schema");
    if (has == 0) return lb__fail(c, LB_EDATA, "not a latentbench results file (no schema attribute)");
    int rc = lb__h5_get_str(c, f, "/", "schema", &schema);
    if (!rc && strcmp(schema, LB_SCHEMA) != 0)
        rc = lb__fail(c, LB_EDATA, "schema is '%s', expected '%s'", schema, LB_SCHEMA);
    lb_free(schema);
    if (!rc) rc = lb__h5_get_num(c, f, "/", "schema_version", H5T_NATIVE_INT64, &version);
    if (!rc && version != LB_SCHEMA_VERSION)
        rc = lb__fail(c, LB_EDATA, "schema_version %lld is not supported (this build reads %d)",
                      (long long)version, LB_SCHEMA_VERSION);
    if (rc) return rc;
    m->schema_version = (int)version;
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

static int read_samples(const lb__ctx *c, hid_t f, lb_results *r)
{
    htri_t ex = H5Lexists(f, "samples", H5P_DEFAULT);
    if (ex < 0) return lb__fail_h5(c, LB_EDATA, "cannot read /samples");
    if (ex == 0) return lb__fail(c, LB_EDATA, "/samples is missing");
    hid_t g = H5Gopen2(f, "samples", H5P_DEFAULT);
    if (g < 0) return lb__fail_h5(c, LB_EDATA, "/samples is not a group");
    int rc = LB_OK;
    if (r->nrows && (!(r->samples = lb_calloc(r->nrows, sizeof *r->samples)) ||
                     !(r->nsamples = lb_calloc(r->nrows, sizeof *r->nsamples))))
        rc = lb__fail(c, LB_ENOMEM, "out of memory reading /samples");
    for (size_t i = 0; !rc && i < r->nrows; i++) {
        char name[32], label[48], *id = NULL;
        snprintf(name, sizeof name, "%zu", i);
        snprintf(label, sizeof label, "/samples/%zu", i);
        void *rows;
        hid_t d;
        rc = lb__h5_get_table(c, g, name, label, &sample_table, &rows, &r->nsamples[i], &d);
        if (rc) break;
        r->samples[i] = rows;
        rc = lb__h5_get_str(c, d, label, "id", &id);
        if (!rc && strcmp(id, r->rows[i].id) != 0)
            rc = lb__fail(c, LB_EDATA, "%s belongs to '%s' but row %zu is '%s'", label, id, i,
                          r->rows[i].id);
        lb_free(id);
        lb__h5_close(&d);
    }
    lb__h5_close(&g);
    return rc;
}

static int read_file(const lb__ctx *c, lb_results *r)
{
    hid_t f;
    int rc = lb__h5_open(c, &f);
    if (rc) return rc;
    void *rows = NULL, *ranks = NULL;
    if (!(rc = read_meta(c, f, &r->meta)) &&
        !(rc = lb__h5_get_table(c, f, "benchmarks", "/benchmarks", &row_table, &rows, &r->nrows, NULL))) {
        r->rows = rows;
        if (!(rc = read_samples(c, f, r)) &&
            !(rc = lb__h5_get_table(c, f, "ranks", "/ranks", &rank_table, &ranks, &r->nranks, NULL)))
            r->ranks = ranks;
    }
    lb__h5_close(&f);
    return rc;
}

int lb_results_write(const char *path, const lb_results *r, char *err, size_t errlen)
{
    lb__ctx c = {path ? path : "(null)", err, errlen};
    if (!path) return lb__fail(&c, LB_EINTERNAL, "no path");
    lb__h5_quiet();
    return write_file(&c, r);
}

int lb_results_read(const char *path, lb_results *r, char *err, size_t errlen)
{
    lb__ctx c = {path ? path : "(null)", err, errlen};
    if (!r) return lb__fail(&c, LB_EINTERNAL, "no results to read into");
    memset(r, 0, sizeof *r);
    if (!path) return lb__fail(&c, LB_EINTERNAL, "no path");
    lb__h5_quiet();
    int rc = read_file(&c, r);
    if (rc) lb_results_free(r);
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
    memset(r, 0, sizeof *r);
}
