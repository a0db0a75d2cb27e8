/*
 * The store module: results files and ann-benchmarks datasets.
 *
 * Round trips compare every field against a field table written independently
 * of the library's; malformed files are built with HDF5 directly. The random
 * round trip prints its seed (set LB_STORE_SEED to replay one).
 *
 * `test_store --write DIR` writes DIR/results.h5, DIR/ab.h5 (the A/B fixture)
 * and DIR/dataset.h5 from the fixtures below, for tests/test_store_h5py.py to
 * read back with h5py.
 */
#define _XOPEN_SOURCE 700

#include <check.h>
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/results.h"

#include "results_raw.h"
#include "scratch.h"

/* A fixed-length string attribute, as schema_version 3 writes every string
 * (replacing one of that name). */
static void put_str_attr(hid_t loc, const char *name, const char *value)
{
    if (H5Aexists(loc, name) > 0) ck_assert_int_ge(H5Adelete(loc, name), 0);
    hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR);
    ck_assert_int_ge(H5Tset_size(t, strlen(value) + 1), 0);
    hid_t a = H5Acreate2(loc, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(a, 0);
    ck_assert_int_ge(H5Awrite(a, t, value), 0);
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
}

/* String attribute name of obj, fixed- or variable-length, into out; returns
 * whether it was variable-length. */
static int get_str_attr(hid_t obj, const char *name, char *out, size_t len)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), t = H5Aget_type(a);
    ck_assert_int_ge(a, 0);
    int var = H5Tis_variable_str(t) > 0;
    if (var) {
        char *v = NULL;
        ck_assert_int_ge(H5Aread(a, t, &v), 0);
        snprintf(out, len, "%s", v);
        H5free_memory(v);
    } else {
        size_t n = H5Tget_size(t);
        char *v = calloc(n + 1, 1);
        ck_assert_int_ge(H5Aread(a, t, v), 0);
        snprintf(out, len, "%s", v);
        free(v);
    }
    H5Tclose(t);
    H5Aclose(a);
    return var;
}

/* ---- scratch directory per test ------------------------------------------ */

static void dir_setup(void)
{
    lbt_scratch_make("lb_store");
}

static void dir_teardown(void)
{
    lbt_scratch_remove();
    /* Every test frees what the library allocated for it. */
    ck_assert_uint_eq(lb_alloc_current(), 0);
}

static void assert_error_line(const char *err, const char *path, const char *expect)
{
    size_t n = strlen(path);
    ck_assert_msg(strncmp(err, path, n) == 0 && err[n] == ':' && err[n + 1] == ' ',
                  "error does not start with \"%s: \": %s", path, err);
    ck_assert_msg(!strchr(err, '\n'), "error spans lines: %s", err);
    if (expect) ck_assert_msg(strstr(err, expect), "error lacks \"%s\": %s", expect, err);
}

static void copy_prefix(const char *from, const char *to, long len)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    ck_assert_ptr_nonnull(in);
    ck_assert_ptr_nonnull(out);
    for (long i = 0; i < len; i++) {
        int ch = fgetc(in);
        ck_assert_int_ne(ch, EOF);
        fputc(ch, out);
    }
    fclose(in);
    ck_assert_int_eq(fclose(out), 0);
}

static long file_size(const char *p)
{
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    return (long)st.st_size;
}

/* ---- field table of lb_row, kept apart from the library's ---------------- */

typedef enum { K_STR, K_I64, K_U64, K_F64 } kind;
typedef struct {
    const char *name;
    size_t      off, size;
    kind        k;
} tfield;

#define TF(k, m) {#m, offsetof(lb_row, m), sizeof(((lb_row *)0)->m), k}
static const tfield row_f[] = {
    TF(K_STR, id),          TF(K_STR, suite),           TF(K_STR, group),
    TF(K_STR, op),          TF(K_I64, dimension),       TF(K_I64, k),
    TF(K_I64, dataset_size), TF(K_I64, batch_size),     TF(K_I64, seq_len),
    TF(K_I64, num_heads),   TF(K_I64, num_experts),     TF(K_STR, metric),
    TF(K_STR, attention),   TF(K_I64, samples),         TF(K_I64, iterations),
    TF(K_F64, mean_ns),     TF(K_F64, median_ns),       TF(K_F64, std_dev_ns),
    TF(K_F64, mad_ns),      TF(K_F64, min_ns),          TF(K_F64, max_ns),
    TF(K_F64, ci_low_ns),   TF(K_F64, ci_high_ns),      TF(K_F64, slope_ns),
    TF(K_I64, outliers_mild), TF(K_I64, outliers_severe), TF(K_F64, throughput_elements),
    TF(K_F64, throughput_bytes), TF(K_U64, peak_bytes), TF(K_U64, avg_bytes),
    TF(K_U64, allocations), TF(K_U64, rss_peak_bytes),  TF(K_I64, ranks),
    TF(K_F64, rank_min_ns), TF(K_F64, rank_median_ns),  TF(K_F64, rank_max_ns),
    TF(K_STR, note),        TF(K_I64, rounds),              TF(K_I64, measured_rank),
    TF(K_STR, host),        TF(K_U64, peak_bytes_sum),      TF(K_U64, rss_peak_bytes_sum),
    TF(K_F64, rank_mean_ns), TF(K_F64, comm_fraction),      TF(K_F64, parallel_efficiency),
    TF(K_STR, impl),        TF(K_F64, bound_ns),            TF(K_STR, bound_kind),
};
/* The members added for distributed runs (optional: older files lack them). */
static const char *const dist_members[] = {"measured_rank",  "host",          "peak_bytes_sum",
                                           "rss_peak_bytes_sum", "rank_mean_ns", "comm_fraction",
                                           "parallel_efficiency"};
#define NDIST_MEMBERS (sizeof dist_members / sizeof dist_members[0])
#define NROW_F (sizeof row_f / sizeof row_f[0])

/* lb_ab_row and lb_ab_pair (A/B files), in struct order. */
#define TFA(k, m) {#m, offsetof(lb_ab_row, m), sizeof(((lb_ab_row *)0)->m), k}
static const tfield ab_f[] = {
    TFA(K_STR, id),            TFA(K_I64, rounds),        TFA(K_I64, block_iters),
    TFA(K_STR, order),         TFA(K_F64, ratio),         TFA(K_F64, ratio_ci_low),
    TFA(K_F64, ratio_ci_high), TFA(K_F64, ratio_upper),   TFA(K_F64, ratio_lower),
    TFA(K_F64, confidence),    TFA(K_F64, p_slower),      TFA(K_F64, p_faster),
    TFA(K_F64, log_ratio_mad), TFA(K_F64, threshold_pct), TFA(K_STR, verdict),
    TFA(K_U64, peak_bytes_a),  TFA(K_U64, peak_bytes_b),  TFA(K_U64, allocations_a),
    TFA(K_U64, allocations_b), TFA(K_STR, memory_verdict), TFA(K_I64, rounds_repeated),
};
#define NAB_F (sizeof ab_f / sizeof ab_f[0])
#define TFP(k, m) {#m, offsetof(lb_ab_pair, m), sizeof(((lb_ab_pair *)0)->m), k}
static const tfield pair_f[] = {TFP(K_U64, round), TFP(K_I64, b_first), TFP(K_F64, a_ns), TFP(K_F64, b_ns)};
#define NPAIR_F (sizeof pair_f / sizeof pair_f[0])

static int same_double(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

/* Every field of table tf in records a and b (row `row` of what in ctx). */
static void assert_rec_equal(const tfield *tf, size_t nf, const void *a, const void *b, size_t row,
                             const char *ctx)
{
    const char *pa = (const char *)a, *pb = (const char *)b;
    for (size_t p = 0; p < nf; p++) {
        const tfield *f = &tf[p];
        const char *x = pa + f->off, *y = pb + f->off;
        switch (f->k) {
        case K_STR:
            ck_assert_msg(strncmp(x, y, f->size) == 0, "%s: row %zu %s: \"%.*s\" != \"%.*s\"", ctx, row,
                          f->name, (int)f->size, x, (int)f->size, y);
            break;
        case K_I64: {
            int64_t u, v;
            memcpy(&u, x, 8);
            memcpy(&v, y, 8);
            ck_assert_msg(u == v, "%s: row %zu %s: %lld != %lld", ctx, row, f->name, (long long)u,
                          (long long)v);
        } break;
        case K_U64: {
            uint64_t u, v;
            memcpy(&u, x, 8);
            memcpy(&v, y, 8);
            ck_assert_msg(u == v, "%s: row %zu %s: %llu != %llu", ctx, row, f->name,
                          (unsigned long long)u, (unsigned long long)v);
        } break;
        case K_F64: {
            double u, v;
            memcpy(&u, x, 8);
            memcpy(&v, y, 8);
            ck_assert_msg(same_double(u, v) && signbit(u) == signbit(v), "%s: row %zu %s: %.17g != %.17g",
                          ctx, row, f->name, u, v);
        } break;
        }
    }
}

static void assert_rows_equal(const lb_row *a, const lb_row *b, size_t row, const char *ctx)
{
    assert_rec_equal(row_f, NROW_F, a, b, row, ctx);
}

/* Metadata of lb_meta by name, kept apart from the library's tables. */
#define MS(m) {#m, offsetof(lb_meta, m)}
static const struct {
    const char *name;
    size_t      off;
} meta_s[] = {MS(tool_version), MS(git_commit), MS(created),      MS(hostname), MS(machine), MS(compiler),
              MS(build_type),   MS(command_line), MS(shard),      MS(failure),  MS(scaling), MS(library),
              MS(library_hash)},
  meta_i[] = {MS(mpi_ranks), MS(omp_threads), MS(nodes), MS(node_concurrency), MS(complete), MS(library_size)},
  meta_d[] = {MS(timer_resolution_ns), MS(timer_overhead_ns), MS(makespan_s), MS(ideal_makespan_s),
              MS(predicted_makespan_s)};
#define NELEM(a) (sizeof a / sizeof a[0])

static void assert_meta_equal(const lb_meta *x, const lb_meta *y, const char *ctx)
{
    for (size_t i = 0; i < NELEM(meta_s); i++) {
        const char *u = *(char *const *)((const char *)x + meta_s[i].off);
        const char *v = *(char *const *)((const char *)y + meta_s[i].off);
        ck_assert_msg(v != NULL, "%s: meta %s read as NULL", ctx, meta_s[i].name);
        ck_assert_msg(strcmp(u ? u : "", v) == 0, "%s: meta %s: \"%s\" != \"%s\"", ctx, meta_s[i].name,
                      u ? u : "(null)", v);
    }
    for (size_t i = 0; i < NELEM(meta_i); i++) {
        int64_t u, v;
        memcpy(&u, (const char *)x + meta_i[i].off, 8);
        memcpy(&v, (const char *)y + meta_i[i].off, 8);
        ck_assert_msg(u == v, "%s: meta %s: %lld != %lld", ctx, meta_i[i].name, (long long)u, (long long)v);
    }
    for (size_t i = 0; i < NELEM(meta_d); i++) {
        double u, v;
        memcpy(&u, (const char *)x + meta_d[i].off, 8);
        memcpy(&v, (const char *)y + meta_d[i].off, 8);
        ck_assert_msg(same_double(u, v), "%s: meta %s: %.17g != %.17g", ctx, meta_d[i].name, u, v);
    }
    /* the version expected: x's when set, else the one every write gives */
    ck_assert_int_eq(y->schema_version, x->schema_version ? x->schema_version : LB_SCHEMA_VERSION);
}

/* The A/B parts: all absent from a plain file, every field equal in an A/B one. */
static void assert_ab_equal(const lb_results *a, const lb_results *b, const char *ctx)
{
    if (!a->ab) {
        ck_assert_msg(!b->ab && !b->base_rows && !b->pairs && !b->npairs && !b->base_library &&
                          !b->base_library_hash,
                      "%s: a plain file read with A/B parts", ctx);
        return;
    }
    ck_assert_msg(b->ab != NULL, "%s: an A/B file read without ab", ctx);
    ck_assert_str_eq(b->base_library, a->base_library ? a->base_library : "");
    ck_assert_str_eq(b->base_library_hash, a->base_library_hash ? a->base_library_hash : "");
    char c[128];
    for (size_t i = 0; i < a->nrows; i++) {
        snprintf(c, sizeof c, "%s base_rows", ctx);
        assert_rows_equal(&a->base_rows[i], &b->base_rows[i], i, c);
        snprintf(c, sizeof c, "%s ab", ctx);
        assert_rec_equal(ab_f, NAB_F, &a->ab[i], &b->ab[i], i, c);
        size_t na = a->npairs ? a->npairs[i] : 0;
        ck_assert_msg(na == b->npairs[i], "%s: row %zu: %zu pairs, read %zu", ctx, i, na, b->npairs[i]);
        if (!na) ck_assert_ptr_null(b->pairs[i]);
        snprintf(c, sizeof c, "%s pairs of row %zu", ctx, i);
        for (size_t j = 0; j < na; j++) assert_rec_equal(pair_f, NPAIR_F, &a->pairs[i][j], &b->pairs[i][j], j, c);
    }
}

static void assert_results_equal(const lb_results *a, const lb_results *b, const char *ctx)
{
    assert_meta_equal(&a->meta, &b->meta, ctx);

    ck_assert_uint_eq(a->nrows, b->nrows);
    for (size_t i = 0; i < a->nrows; i++) {
        assert_rows_equal(&a->rows[i], &b->rows[i], i, ctx);
        size_t na = a->nsamples ? a->nsamples[i] : 0;
        ck_assert_msg(na == b->nsamples[i], "%s: row %zu: %zu samples, read %zu", ctx, i, na,
                      b->nsamples[i]);
        for (size_t j = 0; j < na; j++) {
            ck_assert_msg(a->samples[i][j].iterations == b->samples[i][j].iterations &&
                              same_double(a->samples[i][j].ns_per_iter, b->samples[i][j].ns_per_iter) &&
                              a->samples[i][j].round == b->samples[i][j].round,
                          "%s: sample %zu of row %zu differs", ctx, j, i);
        }
    }
    ck_assert_uint_eq(a->nranks, b->nranks);
    for (size_t i = 0; i < a->nranks; i++) {
        const lb_rank_row *u = &a->ranks[i], *v = &b->ranks[i];
        ck_assert_int_eq(u->rank, v->rank);
        ck_assert_str_eq(u->hostname, v->hostname);
        ck_assert_int_eq(u->cores, v->cores);
        ck_assert_uint_eq(u->peak_bytes, v->peak_bytes);
        ck_assert_uint_eq(u->rss_peak_bytes, v->rss_peak_bytes);
    }
    ck_assert_uint_eq(a->nbounds, b->nbounds);
    for (size_t i = 0; i < a->nbounds; i++) {
        const lb_bound *u = &a->bounds[i], *v = &b->bounds[i];
        ck_assert_str_eq(u->kind, v->kind);
        ck_assert_str_eq(u->isa, v->isa);
        ck_assert_int_eq(u->threads, v->threads);
        ck_assert_uint_eq(u->bytes, v->bytes);
        ck_assert_msg(same_double(u->value, v->value), "%s: bound %zu value %g != %g", ctx, i, u->value, v->value);
        ck_assert_str_eq(u->unit, v->unit);
    }
    assert_ab_equal(a, b, ctx);
}

/* ---- the known results file (also read by test_store_h5py.py) ----------- */

enum { FX_ROWS = 3, FX_RANKS = 2, FX_MAX_SAMPLES = 5, FX_MAX_PAIRS = 4 };

typedef struct {
    lb_results  r;
    lb_row      rows[FX_ROWS];
    lb_sample   s[FX_ROWS][FX_MAX_SAMPLES];
    lb_sample  *sp[FX_ROWS];
    size_t      ns[FX_ROWS];
    lb_rank_row ranks[FX_RANKS];
    lb_bound    bounds[2];
    /* the A/B fixture's (fixture_init_ab) */
    lb_row      base_rows[FX_ROWS];
    lb_ab_row   ab[FX_ROWS];
    lb_ab_pair  pairs[FX_ROWS][FX_MAX_PAIRS];
    lb_ab_pair *pp[FX_ROWS];
    size_t      np[FX_ROWS];
} fixture;

static char fx_tool[] = "0.1.0", fx_commit[] = "0123456789abcdef0123456789abcdef01234567",
            fx_created[] = "2024-05-06T07:08:09Z", fx_host[] = "bench-node-01",
            fx_machine[] = "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz; 64 cores; avx512",
            fx_compiler[] = "GNU 12.2.0", fx_build[] = "Release",
            fx_cmd[] = "latentbench run --suite ci -o r\xc3\xa9sultats.h5", fx_shard[] = "matrix",
            fx_failure[] = "rank 1 (node-1): out of memory", fx_scaling[] = "strong",
            fx_lib[] = "/opt/lb/b/liblatent.so.0.1.0", fx_lib_hash[] = "0123456789abcdef",
            fx_base_lib[] = "/opt/lb/a/liblatent.so.0.1.0", fx_base_lib_hash[] = "fedcba9876543210";

/* Field p of record i of table tf: strings "<prefix><field>-<i>", integers
 * i*1000+p+add (negated in record 2), unsigned 2^63+i*1000+p+add, doubles
 * i*1000+p+add+0.25. */
static void fill_rec(const tfield *tf, size_t nf, void *rec, size_t i, size_t add, const char *prefix)
{
    char *base = rec;
    for (size_t p = 0; p < nf; p++) {
        const tfield *f = &tf[p];
        int64_t iv = (int64_t)(i * 1000 + p + add) * (i == 2 ? -1 : 1);
        uint64_t uv = (UINT64_C(1) << 63) + i * 1000 + p + add;
        double dv = (double)(i * 1000 + p + add) + 0.25;
        switch (f->k) {
        case K_STR: snprintf(base + f->off, f->size, "%s%s-%zu", prefix, f->name, i); break;
        case K_I64: memcpy(base + f->off, &iv, 8); break;
        case K_U64: memcpy(base + f->off, &uv, 8); break;
        case K_F64: memcpy(base + f->off, &dv, 8); break;
        }
    }
}

/* Rows by fill_rec, then the special cases. */
static void fixture_init(fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    for (size_t i = 0; i < FX_ROWS; i++) fill_rec(row_f, NROW_F, &fx->rows[i], i, 0, "");
    for (size_t j = 0; j < LB_ID_LEN - 1; j++) fx->rows[0].id[j] = (char)('a' + j % 26);
    fx->rows[0].id[LB_ID_LEN - 1] = '\0';
    strcpy(fx->rows[1].id, "knn_search/dim_128/10");
    strcpy(fx->rows[2].id, "attention_computation/dim_64/Standard");
    fx->rows[0].metric[0] = '\0';
    fx->rows[1].slope_ns = NAN;
    strcpy(fx->rows[2].note, "budget: 12 of 100 samples \xc2\xb5");

    const size_t ns[FX_ROWS] = {0, 3, 5};
    for (size_t i = 0; i < FX_ROWS; i++) {
        fx->ns[i] = ns[i];
        for (size_t j = 0; j < ns[i]; j++)
            fx->s[i][j] = (lb_sample){(j + 1) * (i + 1) * 10, 100.0 * (double)i + (double)j + 0.5, j % 3};
        fx->sp[i] = ns[i] ? fx->s[i] : NULL;
    }
    for (size_t k = 0; k < FX_RANKS; k++) {
        lb_rank_row *rr = &fx->ranks[k];
        rr->rank = (int64_t)k;
        snprintf(rr->hostname, sizeof rr->hostname, "node-%zu", k);
        rr->cores = 8 + (int64_t)k;
        rr->peak_bytes = (UINT64_C(1) << 40) + k;
        rr->rss_peak_bytes = (UINT64_C(1) << 33) + k;
    }
    lb_meta *m = &fx->r.meta;
    m->schema_version = LB_SCHEMA_VERSION;
    m->tool_version = fx_tool;
    m->git_commit = fx_commit;
    m->created = fx_created;
    m->hostname = fx_host;
    m->machine = fx_machine;
    m->compiler = fx_compiler;
    m->build_type = fx_build;
    m->command_line = fx_cmd;
    m->mpi_ranks = 2;
    m->omp_threads = 8;
    m->timer_resolution_ns = 1.0;
    m->timer_overhead_ns = 23.5;
    m->shard = fx_shard;
    m->failure = fx_failure;
    m->scaling = fx_scaling;
    m->nodes = 2;
    m->node_concurrency = 4;
    m->complete = 0;
    m->makespan_s = 12.5;
    m->ideal_makespan_s = 10.25;
    m->predicted_makespan_s = 11.75;
    m->library = fx_lib;
    m->library_hash = fx_lib_hash;
    m->library_size = 123456;
    fx->r.rows = fx->rows;
    fx->r.nrows = FX_ROWS;
    fx->r.samples = fx->sp;
    fx->r.nsamples = fx->ns;
    fx->r.ranks = fx->ranks;
    fx->r.nranks = FX_RANKS;
    fx->bounds[0] = (lb_bound){"read_mem", "avx512", 2, UINT64_C(1) << 28, 1.25e10, "B/s"};
    fx->bounds[1] = (lb_bound){"fma", "avx2", 1, 0, 6.4e10, "flop/s"};
    fx->r.bounds = fx->bounds;
    fx->r.nbounds = 2;
}

/* The A/B fixture: the plain one as the candidate, and the baseline's rows by
 * fill_rec with add 500 and prefix "base-" (ids those of the rows), the A/B
 * rows by fill_rec (ids those of the rows, then the special cases), and pair j
 * of row i {j, (i+j)%2, 10i+j+0.5, 10i+j+0.75} with 2, 0 and 4 pairs. */
static void fixture_init_ab(fixture *fx)
{
    fixture_init(fx);
    static const char *const order[FX_ROWS] = {"abba", "random", "abba"},
                             *const verdict[FX_ROWS] = {"Regression", "Improvement", "NoChange"},
                             *const memory[FX_ROWS] = {"Same", "More", "Less"};
    const size_t np[FX_ROWS] = {2, 0, 4};
    for (size_t i = 0; i < FX_ROWS; i++) {
        fill_rec(row_f, NROW_F, &fx->base_rows[i], i, 500, "base-");
        memcpy(fx->base_rows[i].id, fx->rows[i].id, LB_ID_LEN);
        fill_rec(ab_f, NAB_F, &fx->ab[i], i, 0, "");
        memcpy(fx->ab[i].id, fx->rows[i].id, LB_ID_LEN);
        strcpy(fx->ab[i].order, order[i]);
        strcpy(fx->ab[i].verdict, verdict[i]);
        strcpy(fx->ab[i].memory_verdict, memory[i]);
        fx->np[i] = np[i];
        for (size_t j = 0; j < np[i]; j++)
            fx->pairs[i][j] = (lb_ab_pair){j, (int64_t)((i + j) % 2), 10.0 * (double)i + (double)j + 0.5,
                                           10.0 * (double)i + (double)j + 0.75};
        fx->pp[i] = np[i] ? fx->pairs[i] : NULL;
    }
    fx->ab[1].log_ratio_mad = NAN;
    fx->r.base_rows = fx->base_rows;
    fx->r.ab = fx->ab;
    fx->r.pairs = fx->pp;
    fx->r.npairs = fx->np;
    fx->r.base_library = fx_base_lib;
    fx->r.base_library_hash = fx_base_lib_hash;
}

static void write_fixture(const char *path)
{
    fixture fx;
    fixture_init(&fx);
    char err[512] = "";
    int rc = lb_results_write(path, &fx.r, err, sizeof err);
    ck_assert_msg(rc == LB_OK, "lb_results_write: %s", err);
}

static void write_fixture_ab(const char *path)
{
    fixture fx;
    fixture_init_ab(&fx);
    char err[512] = "";
    int rc = lb_results_write(path, &fx.r, err, sizeof err);
    ck_assert_msg(rc == LB_OK, "lb_results_write: %s", err);
}

/* The known dataset: n=5, d=3, q=2, kn=4. */
enum { DX_N = 5, DX_D = 3, DX_Q = 2, DX_KN = 4 };

static void dataset_fixture(lb_dataset *ds, float *train, float *test, int32_t *nb, float *dist)
{
    for (size_t i = 0; i < DX_N; i++)
        for (size_t j = 0; j < DX_D; j++) train[i * DX_D + j] = (float)i + 0.125f * (float)j;
    for (size_t i = 0; i < DX_Q; i++)
        for (size_t j = 0; j < DX_D; j++) test[i * DX_D + j] = 100.0f + (float)i + 0.25f * (float)j;
    for (size_t i = 0; i < DX_Q; i++)
        for (size_t j = 0; j < DX_KN; j++) {
            nb[i * DX_KN + j] = (int32_t)((i * 3 + j) % DX_N);
            dist[i * DX_KN + j] = (float)i + 0.5f * (float)j;
        }
    *ds = (lb_dataset){.n = DX_N, .q = DX_Q, .d = DX_D, .kn = DX_KN, .train = train, .test = test,
                       .distances = dist, .neighbors = nb, .distance = "angular"};
}

/* ---- results: round trips ------------------------------------------------ */

/* The root attribute kind of path, read with HDF5 directly. */
static void assert_kind(const char *path, const char *want)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    char v[64];
    ck_assert_int_eq(get_str_attr(f, "kind", v, sizeof v), 0); /* fixed-length from version 3 */
    ck_assert_str_eq(v, want);
    H5Fclose(f);
}

START_TEST(test_roundtrip_fixture)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "r.h5");
    fixture fx;
    fixture_init(&fx);
    ck_assert_int_eq(lb_results_write(path, &fx.r, err, sizeof err), LB_OK);
    ck_assert_int_eq(lbt_count_entries(lbt_scratch_dir(), "r.h5.tmp"), 0);
    lb_results back;
    int rc = lb__results_read_unchecked(path, &back, err, sizeof err);
    ck_assert_msg(rc == LB_OK, "read: %s", err);
    assert_results_equal(&fx.r, &back, "fixture");
    /* Spot checks that do not go through the shared comparison. */
    ck_assert_uint_eq(strlen(back.rows[0].id), LB_ID_LEN - 1);
    ck_assert(isnan(back.rows[1].slope_ns));
    ck_assert_ptr_null(back.samples[0]);
    ck_assert_uint_eq(back.nsamples[0], 0);
    ck_assert_uint_eq(back.samples[2][4].iterations, 150);
    ck_assert_str_eq(back.rows[2].note, "budget: 12 of 100 samples \xc2\xb5");
    ck_assert_int_eq(back.rows[2].measured_rank, -2038);
    ck_assert_str_eq(back.rows[1].host, "host-1");
    ck_assert_uint_eq(back.rows[0].rss_peak_bytes_sum, (UINT64_C(1) << 63) + 41);
    ck_assert_double_eq(back.rows[1].parallel_efficiency, 1044.25);
    ck_assert_str_eq(back.meta.shard, "matrix");
    ck_assert_str_eq(back.meta.failure, "rank 1 (node-1): out of memory");
    ck_assert_str_eq(back.meta.scaling, "strong");
    ck_assert_int_eq(back.meta.nodes, 2);
    ck_assert_int_eq(back.meta.node_concurrency, 4);
    ck_assert_int_eq(back.meta.complete, 0);
    ck_assert_double_eq(back.meta.predicted_makespan_s, 11.75);
    ck_assert_str_eq(back.meta.library, fx_lib);
    ck_assert_int_eq(back.meta.library_size, 123456);
    /* a plain file: kind "results", no A/B parts */
    ck_assert_int_eq(back.meta.schema_version, LB_SCHEMA_VERSION);
    assert_kind(path, "results");
    ck_assert_ptr_null(back.ab);
    ck_assert_ptr_null(back.base_rows);
    ck_assert_ptr_null(back.pairs);
    ck_assert_ptr_null(back.npairs);
    ck_assert_ptr_null(back.base_library);
    ck_assert_ptr_null(back.base_library_hash);
    lb_results_free(&back);
    ck_assert_ptr_null(back.rows);
    ck_assert_ptr_null(back.meta.shard);
    lb_results_free(&back); /* twice is harmless */
}
END_TEST

/* The A/B fixture comes back field by field: rows, baseline rows, A/B rows,
 * pairs and both libraries. */
START_TEST(test_roundtrip_ab)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "ab.h5");
    fixture fx;
    fixture_init_ab(&fx);
    ck_assert_int_eq(lb_results_write(path, &fx.r, err, sizeof err), LB_OK);
    ck_assert_int_eq(lbt_count_entries(lbt_scratch_dir(), "ab.h5.tmp"), 0);
    assert_kind(path, "ab");
    lb_results back;
    int rc = lb__results_read_unchecked(path, &back, err, sizeof err);
    ck_assert_msg(rc == LB_OK, "read: %s", err);
    assert_results_equal(&fx.r, &back, "A/B fixture");
    /* Spot checks that do not go through the shared comparison. */
    ck_assert_int_eq(back.meta.schema_version, LB_SCHEMA_VERSION);
    ck_assert_str_eq(back.base_library, "/opt/lb/a/liblatent.so.0.1.0");
    ck_assert_str_eq(back.base_library_hash, "fedcba9876543210");
    ck_assert_str_eq(back.meta.library, "/opt/lb/b/liblatent.so.0.1.0");
    ck_assert_str_eq(back.base_rows[2].id, "attention_computation/dim_64/Standard");
    ck_assert_str_eq(back.base_rows[1].suite, "base-suite-1");
    ck_assert_double_eq(back.base_rows[1].median_ns, 1516.25);
    ck_assert_str_eq(back.ab[0].id, back.rows[0].id);
    ck_assert_str_eq(back.ab[1].order, "random");
    ck_assert_str_eq(back.ab[0].verdict, "Regression");
    ck_assert_str_eq(back.ab[2].memory_verdict, "Less");
    ck_assert_double_eq(back.ab[1].ratio, 1004.25);
    ck_assert(isnan(back.ab[1].log_ratio_mad));
    ck_assert_int_eq(back.ab[2].rounds, -2001);
    ck_assert_uint_eq(back.ab[0].allocations_b, (UINT64_C(1) << 63) + 18);
    ck_assert_uint_eq(back.npairs[0], 2);
    ck_assert_uint_eq(back.npairs[1], 0);
    ck_assert_ptr_null(back.pairs[1]);
    ck_assert_uint_eq(back.npairs[2], 4);
    ck_assert_uint_eq(back.pairs[2][3].round, 3);
    ck_assert_int_eq(back.pairs[2][3].b_first, 1);
    ck_assert_double_eq(back.pairs[2][3].a_ns, 23.5);
    ck_assert_double_eq(back.pairs[2][3].b_ns, 23.75);
    lb_results_free(&back);
    ck_assert_ptr_null(back.ab);
    ck_assert_ptr_null(back.pairs);
    ck_assert_ptr_null(back.base_library);
    lb_results_free(&back);
}
END_TEST

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static double rng_double(uint64_t *s)
{
    static const double special[] = {0.0, -0.0, INFINITY, -INFINITY, 5e-324, 1.7976931348623157e308};
    uint64_t v = rng_next(s);
    if (v % 16 == 0) return special[(v >> 4) % 6];
    if (v % 16 == 1) return NAN;
    return ldexp((double)(int64_t)rng_next(s), (int)(v >> 8) % 200 - 100);
}

/* Rewrites dataset path of f without member field, as files written before
 * that field existed have it (attribute "id" kept). */
static void drop_member(hid_t f, const char *path, const char *field)
{
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT), ft = H5Dget_type(d), sp = H5Dget_space(d);
    ck_assert_int_ge(d, 0);
    ck_assert_int_ge(H5Tget_member_index(ft, field), 0);
    hid_t nt = H5Tcreate(H5T_COMPOUND, H5Tget_size(ft));
    size_t off = 0;
    for (int i = 0; i < H5Tget_nmembers(ft); i++) {
        char *name = H5Tget_member_name(ft, (unsigned)i);
        if (strcmp(name, field) != 0) {
            hid_t mt = H5Tget_member_type(ft, (unsigned)i);
            ck_assert_int_ge(H5Tinsert(nt, name, off, mt), 0);
            off += H5Tget_size(mt);
            H5Tclose(mt);
        }
        H5free_memory(name);
    }
    H5Tpack(nt);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    void *buf = calloc((size_t)(n ? n : 1), H5Tget_size(nt));
    ck_assert_int_ge(H5Dread(d, nt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), 0);
    char id[LB_ID_LEN] = "";
    int has_id = H5Aexists(d, "id") > 0;
    if (has_id) get_str_attr(d, "id", id, sizeof id);
    H5Dclose(d);
    ck_assert_int_ge(H5Ldelete(f, path, H5P_DEFAULT), 0);
    d = H5Dcreate2(f, path, nt, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(d, 0);
    ck_assert_int_ge(H5Dwrite(d, nt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), 0);
    if (has_id) put_str_attr(d, "id", id);
    free(buf);
    H5Dclose(d);
    H5Sclose(sp);
    H5Tclose(nt);
    H5Tclose(ft);
}

/* Files written before rounds existed lack rows' `rounds` and samples' `round`:
 * they read, with 0 there, and everything else intact. */
START_TEST(test_read_before_rounds)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "old.h5");
    fixture fx;
    fixture_init(&fx);
    for (size_t i = 0; i < FX_ROWS; i++) {
        fx.rows[i].rounds = 0;
        for (size_t j = 0; j < fx.ns[i]; j++) fx.s[i][j].round = 0;
    }
    ck_assert_int_eq(lb_results_write(path, &fx.r, err, sizeof err), LB_OK);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    drop_member(f, "benchmarks", "rounds");
    for (size_t i = 0; i < FX_ROWS; i++) {
        char name[32];
        snprintf(name, sizeof name, "samples/%zu", i);
        drop_member(f, name, "round");
    }
    H5Fclose(f);
    lb_results back;
    int rc = lb__results_read_unchecked(path, &back, err, sizeof err);
    ck_assert_msg(rc == LB_OK, "read: %s", err);
    assert_results_equal(&fx.r, &back, "before rounds");
    lb_results_free(&back);
}
END_TEST

/* Root attributes of distributed runs, absent from files written before them. */
static const char *const dist_attrs[] = {"shard",           "failure",    "scaling",
                                         "nodes",           "node_concurrency", "complete",
                                         "makespan_s",      "ideal_makespan_s", "predicted_makespan_s"};

/* Files written before distributed runs lack the rows' distributed members and
 * the root attributes above: they read with the documented defaults (shard
 * "none", one node, complete) and everything else intact. */
START_TEST(test_read_before_distributed)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "old.h5");
    fixture fx;
    fixture_init(&fx);
    ck_assert_int_eq(lb_results_write(path, &fx.r, err, sizeof err), LB_OK);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    for (size_t k = 0; k < NDIST_MEMBERS; k++) drop_member(f, "benchmarks", dist_members[k]);
    for (size_t k = 0; k < NELEM(dist_attrs); k++) ck_assert_int_ge(H5Adelete(f, dist_attrs[k]), 0);
    H5Fclose(f);

    for (size_t i = 0; i < FX_ROWS; i++) {
        lb_row *row = &fx.rows[i];
        row->measured_rank = 0;
        row->host[0] = '\0';
        row->peak_bytes_sum = row->rss_peak_bytes_sum = 0;
        row->rank_mean_ns = row->comm_fraction = row->parallel_efficiency = 0;
    }
    static char none[] = "none", empty[] = "";
    lb_meta *m = &fx.r.meta;
    m->shard = none;
    m->failure = m->scaling = empty;
    m->nodes = 1;
    m->node_concurrency = 0;
    m->complete = 1;
    m->makespan_s = m->ideal_makespan_s = m->predicted_makespan_s = 0;

    lb_results back;
    int rc = lb__results_read_unchecked(path, &back, err, sizeof err);
    ck_assert_msg(rc == LB_OK, "read: %s", err);
    assert_results_equal(&fx.r, &back, "before distributed runs");
    lb_results_free(&back);
}
END_TEST

/* Files written before the rows' impl and bound and before /bounds: impl
 * reads "liblatent", no bound, no /bounds. */
START_TEST(test_read_before_bounds)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "old.h5");
    fixture fx;
    fixture_init(&fx);
    ck_assert_int_eq(lb_results_write(path, &fx.r, err, sizeof err), LB_OK);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    static const char *const members[] = {"impl", "bound_ns", "bound_kind"};
    for (size_t k = 0; k < NELEM(members); k++) drop_member(f, "benchmarks", members[k]);
    ck_assert_int_ge(H5Ldelete(f, "bounds", H5P_DEFAULT), 0);
    H5Fclose(f);
    for (size_t i = 0; i < FX_ROWS; i++) {
        strcpy(fx.rows[i].impl, LB_IMPL_DEFAULT);
        fx.rows[i].bound_ns = 0;
        fx.rows[i].bound_kind[0] = '\0';
    }
    fx.r.bounds = NULL;
    fx.r.nbounds = 0;
    lb_results back;
    int rc = lb__results_read_unchecked(path, &back, err, sizeof err);
    ck_assert_msg(rc == LB_OK, "read: %s", err);
    assert_results_equal(&fx.r, &back, "before bounds");
    ck_assert_ptr_null(back.bounds);
    lb_results_free(&back);
}
END_TEST

/* Random values in every field of table tf of the zeroed record rec. */
static void random_rec(uint64_t *s, const tfield *tf, size_t nf, void *rec)
{
    char *base = rec;
    for (size_t p = 0; p < nf; p++) {
        const tfield *f = &tf[p];
        uint64_t v = rng_next(s);
        if (f->k == K_STR) {
            size_t len = v % f->size; /* up to size - 1 */
            for (size_t j = 0; j < len; j++) base[f->off + j] = (char)(32 + rng_next(s) % 95);
        } else if (f->k == K_F64) {
            double d = rng_double(s);
            memcpy(base + f->off, &d, 8);
        } else {
            memcpy(base + f->off, &v, 8);
        }
    }
}

START_TEST(test_roundtrip_random)
{
    const char *env = getenv("LB_STORE_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    uint64_t s = seed;
    char ctx[64];
    snprintf(ctx, sizeof ctx, "LB_STORE_SEED=%llu", (unsigned long long)seed);
    fprintf(stderr, "test_roundtrip_random: %s\n", ctx);

    size_t nrows = 1 + rng_next(&s) % 40, nranks = rng_next(&s) % 5;
    lb_results r;
    memset(&r, 0, sizeof r);
    r.rows = calloc(nrows, sizeof *r.rows);
    r.samples = calloc(nrows, sizeof *r.samples);
    r.nsamples = calloc(nrows, sizeof *r.nsamples);
    r.ranks = calloc(nranks + 1, sizeof *r.ranks);
    r.nrows = nrows;
    r.nranks = nranks;
    for (size_t i = 0; i < nrows; i++) {
        random_rec(&s, row_f, NROW_F, &r.rows[i]);
        if (!r.rows[i].impl[0]) strcpy(r.rows[i].impl, LB_IMPL_DEFAULT); /* "" reads as the default */
        r.nsamples[i] = rng_next(&s) % 20;
        r.samples[i] = r.nsamples[i] ? calloc(r.nsamples[i], sizeof **r.samples) : NULL;
        for (size_t j = 0; j < r.nsamples[i]; j++)
            r.samples[i][j] = (lb_sample){rng_next(&s), rng_double(&s), rng_next(&s) % 1000};
    }
    for (size_t k = 0; k < nranks; k++) {
        r.ranks[k] = (lb_rank_row){(int64_t)k, "", (int64_t)(rng_next(&s) % 256), rng_next(&s), rng_next(&s)};
        snprintf(r.ranks[k].hostname, LB_HOST_LEN, "h%llx", (unsigned long long)rng_next(&s));
    }
    /* Half the files are A/B: random baseline and A/B rows with the rows' ids. */
    int ab = rng_next(&s) % 2;
    if (ab) {
        r.base_rows = calloc(nrows, sizeof *r.base_rows);
        r.ab = calloc(nrows, sizeof *r.ab);
        r.pairs = calloc(nrows, sizeof *r.pairs);
        r.npairs = calloc(nrows, sizeof *r.npairs);
        for (size_t i = 0; i < nrows; i++) {
            random_rec(&s, row_f, NROW_F, &r.base_rows[i]);
            if (!r.base_rows[i].impl[0]) strcpy(r.base_rows[i].impl, LB_IMPL_DEFAULT);
            random_rec(&s, ab_f, NAB_F, &r.ab[i]);
            memcpy(r.base_rows[i].id, r.rows[i].id, LB_ID_LEN);
            memcpy(r.ab[i].id, r.rows[i].id, LB_ID_LEN);
            r.npairs[i] = rng_next(&s) % 12;
            r.pairs[i] = r.npairs[i] ? calloc(r.npairs[i], sizeof **r.pairs) : NULL;
            for (size_t j = 0; j < r.npairs[i]; j++) random_rec(&s, pair_f, NPAIR_F, &r.pairs[i][j]);
        }
        r.base_library = (char *)"base";
        r.base_library_hash = (char *)"0000000000000000";
    }
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "random.h5");
    ck_assert_msg(lb_results_write(path, &r, err, sizeof err) == LB_OK, "%s: %s", ctx, err);
    lb_results back;
    ck_assert_msg(lb__results_read_unchecked(path, &back, err, sizeof err) == LB_OK, "%s: %s", ctx, err);
    assert_results_equal(&r, &back, ctx);
    lb_results_free(&back);
    for (size_t i = 0; i < nrows; i++) free(r.samples[i]);
    free(r.samples);
    free(r.nsamples);
    free(r.rows);
    free(r.ranks);
    for (size_t i = 0; ab && i < nrows; i++) free(r.pairs[i]);
    free(r.pairs);
    free(r.npairs);
    free(r.base_rows);
    free(r.ab);
}
END_TEST

START_TEST(test_roundtrip_empty)
{
    lb_results r;
    memset(&r, 0, sizeof r); /* no rows, no ranks, NULL strings */
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "empty.h5");
    ck_assert_int_eq(lb_results_write(path, &r, err, sizeof err), LB_OK);
    lb_results back;
    ck_assert_msg(lb__results_read_unchecked(path, &back, err, sizeof err) == LB_OK, "%s", err);
    ck_assert_uint_eq(back.nrows, 0);
    ck_assert_uint_eq(back.nranks, 0);
    ck_assert_ptr_null(back.rows);
    ck_assert_str_eq(back.meta.hostname, "");
    ck_assert_str_eq(back.meta.shard, ""); /* NULL is written as "", not as the default */
    ck_assert_int_eq(back.meta.complete, 0);
    ck_assert_int_eq(back.meta.schema_version, LB_SCHEMA_VERSION);
    ck_assert_ptr_null(back.ab);
    lb_results_free(&back);

    /* An A/B file without rows is still A/B when read back. */
    lb_ab_row none;
    r.ab = &none;
    ck_assert_int_eq(lb_results_write(path, &r, err, sizeof err), LB_OK);
    assert_kind(path, "ab");
    ck_assert_msg(lb__results_read_unchecked(path, &back, err, sizeof err) == LB_OK, "%s", err);
    ck_assert_ptr_nonnull(back.ab);
    ck_assert_ptr_null(back.base_rows);
    ck_assert_str_eq(back.base_library, "");
    ck_assert_str_eq(back.base_library_hash, "");
    lb_results_free(&back);
}
END_TEST

START_TEST(test_overwrite)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "r.h5");
    write_fixture(path);
    fixture fx;
    fixture_init(&fx);
    fx.r.nrows = 1;
    strcpy(fx.rows[0].id, "only/one");
    ck_assert_int_eq(lb_results_write(path, &fx.r, err, sizeof err), LB_OK);
    lb_results back;
    ck_assert_int_eq(lb__results_read_unchecked(path, &back, err, sizeof err), LB_OK);
    ck_assert_uint_eq(back.nrows, 1);
    ck_assert_str_eq(back.rows[0].id, "only/one");
    lb_results_free(&back);
    ck_assert_int_eq(lbt_count_entries(lbt_scratch_dir(), "r.h5.tmp"), 0);
}
END_TEST

/* ---- results: atomic writes --------------------------------------------- */

START_TEST(test_write_missing_dir)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "nope/r.h5");
    fixture fx;
    fixture_init(&fx);
    ck_assert_int_eq(lb_results_write(path, &fx.r, err, sizeof err), LB_EIO);
    assert_error_line(err, path, "No such file or directory");
    ck_assert_int_eq(lbt_count_entries(lbt_scratch_dir(), ""), 0);
}
END_TEST

START_TEST(test_write_onto_directory)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "sub");
    ck_assert_int_eq(mkdir(path, 0700), 0);
    fixture fx;
    fixture_init(&fx);
    ck_assert_int_eq(lb_results_write(path, &fx.r, err, sizeof err), LB_EIO);
    assert_error_line(err, path, NULL);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_int_eq(lbt_count_entries(path, ""), 0); /* still empty */
    ck_assert_int_eq(lbt_count_entries(lbt_scratch_dir(), "sub.tmp"), 0);
}
END_TEST

static void assert_is_fixture(const char *path)
{
    fixture fx;
    fixture_init(&fx);
    char err[512] = "";
    lb_results back;
    ck_assert_msg(lb__results_read_unchecked(path, &back, err, sizeof err) == LB_OK, "old file damaged: %s", err);
    assert_results_equal(&fx.r, &back, "old file");
    lb_results_free(&back);
}

/* Someone else's file at our temporary name is neither used nor removed. */
START_TEST(test_write_tmp_taken)
{
    char path[600], tmp[700], err[512] = "";
    lbt_path(path, sizeof path, "r.h5");
    write_fixture(path);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    ck_assert_int_eq(mkdir(tmp, 0700), 0);
    fixture fx;
    fixture_init(&fx);
    fx.r.nrows = 1;
    ck_assert_int_eq(lb_results_write(path, &fx.r, err, sizeof err), LB_EIO);
    assert_error_line(err, path, "File exists");
    assert_is_fixture(path);
    struct stat st;
    ck_assert_int_eq(stat(tmp, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
}
END_TEST

/* A write that fails half way (the file size limit stops it with EFBIG) leaves
 * the previous file as it was and no temporary file. */
START_TEST(test_write_fails_midway)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "r.h5");
    write_fixture(path);
    fixture fx;
    fixture_init(&fx);
    enum { BIG = 20000 };
    lb_sample *big = calloc(BIG, sizeof *big);
    for (size_t j = 0; j < BIG; j++) big[j] = (lb_sample){j + 1, (double)j, j / 100};
    for (size_t i = 0; i < FX_ROWS; i++) {
        fx.sp[i] = big;
        fx.ns[i] = BIG;
    }
    struct rlimit old, lim;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 64 * 1024;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = lb_results_write(path, &fx.r, err, sizeof err);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);
    free(big);
    ck_assert_int_eq(rc, LB_EIO);
    assert_error_line(err, path, "File too large");
    assert_is_fixture(path);
    ck_assert_int_eq(lbt_count_entries(lbt_scratch_dir(), "r.h5.tmp"), 0);
}
END_TEST

START_TEST(test_write_inconsistent)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "r.h5");
    lb_results r;
    memset(&r, 0, sizeof r);
    r.nrows = 2; /* rows missing */
    ck_assert_int_eq(lb_results_write(path, &r, err, sizeof err), LB_EINTERNAL);
    assert_error_line(err, path, NULL);
    ck_assert_int_eq(lbt_count_entries(lbt_scratch_dir(), "r.h5"), 0);

    /* A/B results the reader would refuse, or that cannot be written */
    static const char *const expect[] = {
        "A/B results with rows but no baseline rows",
        "A/B pairs of row 0 counted but missing",
        "A/B pairs of row 2 counted but missing",
        "A/B row 1 is 'other/id' in base_rows but 'knn_search/dim_128/10' in the rows",
        "A/B row 2 is 'other/id' in ab but 'attention_computation/dim_64/Standard' in the rows",
    };
    for (size_t k = 0; k < NELEM(expect); k++) {
        fixture fx;
        fixture_init_ab(&fx);
        switch (k) {
        case 0: fx.r.base_rows = NULL; break;
        case 1: fx.r.pairs = NULL; break;
        case 2: fx.pp[2] = NULL; break;
        case 3: strcpy(fx.base_rows[1].id, "other/id"); break;
        case 4: strcpy(fx.ab[2].id, "other/id"); break;
        }
        ck_assert_int_eq(lb_results_write(path, &fx.r, err, sizeof err), LB_EINTERNAL);
        assert_error_line(err, path, expect[k]);
        ck_assert_int_eq(lbt_count_entries(lbt_scratch_dir(), "r.h5"), 0);
    }
    /* A plain file ignores the A/B members, whatever they hold. */
    fixture fx;
    fixture_init_ab(&fx);
    fx.r.ab = NULL;
    fx.r.base_rows = NULL;
    fx.pp[2] = NULL;
    ck_assert_msg(lb_results_write(path, &fx.r, err, sizeof err) == LB_OK, "%s", err);
    assert_kind(path, "results");
}
END_TEST

/* ---- results: reading bad files ----------------------------------------- */

START_TEST(test_read_missing)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "absent.h5");
    lb_results r;
    ck_assert_int_eq(lb__results_read_unchecked(path, &r, err, sizeof err), LB_ENOINPUT);
    assert_error_line(err, path, "No such file or directory");
    ck_assert_ptr_null(r.rows);
}
END_TEST

START_TEST(test_read_not_hdf5)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "noise.h5");
    const size_t sizes[] = {0, 1, 7, 100, 4096};
    uint64_t s = 42;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        FILE *f = fopen(path, "wb");
        for (size_t i = 0; i < sizes[k]; i++) fputc((int)(rng_next(&s) & 0xff), f);
        fclose(f);
        lb_results r;
        ck_assert_int_eq(lb__results_read_unchecked(path, &r, err, sizeof err), LB_EDATA);
        assert_error_line(err, path, "not an HDF5 file");
    }
}
END_TEST

START_TEST(test_read_truncated)
{
    char path[600], cut[600], err[512] = "";
    lbt_path(path, sizeof path, "r.h5");
    lbt_path(cut, sizeof cut, "cut.h5");
    write_fixture(path);
    long size = file_size(path);
    for (long k = 1; k <= 8; k++) {
        long len = k < 8 ? size * k / 8 : size - 1;
        copy_prefix(path, cut, len);
        lb_results r;
        ck_assert_int_eq(lb__results_read_unchecked(cut, &r, err, sizeof err), LB_EDATA);
        assert_error_line(err, cut, NULL);
        ck_assert_ptr_null(r.rows);
    }
}
END_TEST

/* The file format checksums every object header: damage to any of them (types,
 * shapes, attributes) must give LB_EDATA, never garbage or a crash in HDF5. */
START_TEST(test_read_damaged_headers)
{
    char path[600], bad[600], err[512] = "";
    lbt_path(path, sizeof path, "r.h5");
    lbt_path(bad, sizeof bad, "bad.h5");
    if (_i) write_fixture_ab(path);
    else write_fixture(path);
    long size = file_size(path);
    unsigned char *img = malloc((size_t)size);
    FILE *f = fopen(path, "rb");
    ck_assert_int_eq(fread(img, 1, (size_t)size, f), size);
    fclose(f);
    int headers = 0;
    for (long at = 0; at + 16 < size; at++) {
        if (memcmp(img + at, "OHDR", 4) != 0) continue;
        headers++;
        img[at + 12] ^= 0x5a;
        f = fopen(bad, "wb");
        ck_assert_int_eq(fwrite(img, 1, (size_t)size, f), size);
        fclose(f);
        img[at + 12] ^= 0x5a;
        lb_results r;
        int rc = lb__results_read_unchecked(bad, &r, err, sizeof err);
        ck_assert_msg(rc == LB_EDATA, "header at %ld: read gave %d (%s)", at, rc, err);
        assert_error_line(err, bad, NULL);
    }
    /* root, /benchmarks, /samples, three /samples/<i>, /ranks; A/B files add
     * /base_benchmarks, /ab, /ab_pairs and three /ab_pairs/<i> */
    ck_assert_int_ge(headers, _i ? 13 : 7);
    free(img);
}
END_TEST

/* Edits of a valid file, each of which must make it unreadable. */

static void put_num_attr(hid_t loc, const char *name, hid_t type, const void *v)
{
    if (H5Aexists(loc, name) > 0) ck_assert_int_ge(H5Adelete(loc, name), 0);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, type, s, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(a, 0);
    ck_assert_int_ge(H5Awrite(a, type, v), 0);
    H5Aclose(a);
    H5Sclose(s);
}

static void replace_benchmarks(hid_t f, hid_t type, int rank)
{
    ck_assert_int_ge(H5Ldelete(f, "benchmarks", H5P_DEFAULT), 0);
    hsize_t dims[2] = {FX_ROWS, 2};
    hid_t s = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(f, "benchmarks", type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(d, 0);
    H5Dclose(d);
    H5Sclose(s);
}

static void m_no_schema(hid_t f) { ck_assert_int_ge(H5Adelete(f, "schema"), 0); }
static void m_schema_other(hid_t f) { put_str_attr(f, "schema", "other-results"); }
static void m_version_next(hid_t f)
{
    int v = LB_SCHEMA_VERSION + 1;
    put_num_attr(f, "schema_version", H5T_NATIVE_INT, &v);
}
static void m_version_0(hid_t f)
{
    int v = 0;
    put_num_attr(f, "schema_version", H5T_NATIVE_INT, &v);
}
static void m_kind_other(hid_t f) { put_str_attr(f, "kind", "baseline"); }
static void m_kind_int(hid_t f)
{
    int v = 1;
    put_num_attr(f, "kind", H5T_NATIVE_INT, &v);
}
static void m_kind_ab(hid_t f) { put_str_attr(f, "kind", "ab"); }
static void m_version_str(hid_t f) { put_str_attr(f, "schema_version", "1"); }
static void m_no_version(hid_t f) { ck_assert_int_ge(H5Adelete(f, "schema_version"), 0); }
static void m_schema_array(hid_t f)
{
    ck_assert_int_ge(H5Adelete(f, "schema"), 0);
    hsize_t two = 2;
    hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate_simple(1, &two, NULL);
    H5Tset_size(t, H5T_VARIABLE);
    const char *v[2] = {LB_SCHEMA, LB_SCHEMA};
    hid_t a = H5Acreate2(f, "schema", t, s, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(H5Awrite(a, t, v), 0);
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
}
static void m_no_hostname(hid_t f) { ck_assert_int_ge(H5Adelete(f, "hostname"), 0); }
static void m_mpi_ranks_float(hid_t f)
{
    double v = 2.0;
    put_num_attr(f, "mpi_ranks", H5T_NATIVE_DOUBLE, &v);
}
static void m_shard_int(hid_t f)
{
    int v = 1;
    put_num_attr(f, "shard", H5T_NATIVE_INT, &v);
}
static void m_nodes_float(hid_t f)
{
    double v = 2.0;
    put_num_attr(f, "nodes", H5T_NATIVE_DOUBLE, &v);
}
static void m_complete_str(hid_t f) { put_str_attr(f, "complete", "1"); }
static void m_makespan_str(hid_t f) { put_str_attr(f, "makespan_s", "12.5"); }
static void m_no_benchmarks(hid_t f) { ck_assert_int_ge(H5Ldelete(f, "benchmarks", H5P_DEFAULT), 0); }
static void m_benchmarks_int(hid_t f) { replace_benchmarks(f, H5T_STD_I32LE, 1); }
static void m_benchmarks_group(hid_t f)
{
    ck_assert_int_ge(H5Ldelete(f, "benchmarks", H5P_DEFAULT), 0);
    hid_t g = H5Gcreate2(f, "benchmarks", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(g, 0);
    H5Gclose(g);
}
static hid_t compound_without(const char *skip, const char *as_int)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, NROW_F * 8 + 1024);
    size_t off = 0;
    for (size_t p = 0; p < NROW_F; p++) {
        const tfield *f = &row_f[p];
        if (skip && !strcmp(f->name, skip)) continue;
        hid_t mt = H5Tcopy(f->k == K_F64 ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64);
        if (f->k == K_STR && !(as_int && !strcmp(f->name, as_int))) {
            H5Tclose(mt);
            mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, 16);
        }
        ck_assert_int_ge(H5Tinsert(t, f->name, off, mt), 0);
        off += H5Tget_size(mt);
        H5Tclose(mt);
    }
    H5Tpack(t);
    return t;
}
static void m_benchmarks_no_field(hid_t f)
{
    hid_t t = compound_without("mean_ns", NULL);
    replace_benchmarks(f, t, 1);
    H5Tclose(t);
}
static void m_benchmarks_id_int(hid_t f)
{
    hid_t t = compound_without(NULL, "id");
    replace_benchmarks(f, t, 1);
    H5Tclose(t);
}
static void m_benchmarks_host_int(hid_t f)
{
    hid_t t = compound_without(NULL, "host");
    replace_benchmarks(f, t, 1);
    H5Tclose(t);
}
static void m_benchmarks_vlen_id(hid_t f)
{
    hid_t t = compound_without("id", NULL), v = H5Tcopy(H5T_C_S1);
    H5Tset_size(v, H5T_VARIABLE);
    hid_t t2 = H5Tcreate(H5T_COMPOUND, H5Tget_size(t) + sizeof(char *));
    for (int i = 0; i < H5Tget_nmembers(t); i++) {
        char *name = H5Tget_member_name(t, (unsigned)i);
        hid_t mt = H5Tget_member_type(t, (unsigned)i);
        H5Tinsert(t2, name, H5Tget_member_offset(t, (unsigned)i), mt);
        H5Tclose(mt);
        H5free_memory(name);
    }
    H5Tinsert(t2, "id", H5Tget_size(t), v);
    replace_benchmarks(f, t2, 1);
    H5Tclose(t2);
    H5Tclose(v);
    H5Tclose(t);
}
static void m_benchmarks_2d(hid_t f)
{
    hid_t t = compound_without(NULL, NULL);
    replace_benchmarks(f, t, 2);
    H5Tclose(t);
}
static void m_no_samples(hid_t f) { ck_assert_int_ge(H5Ldelete(f, "samples", H5P_DEFAULT), 0); }
static void m_no_sample_1(hid_t f) { ck_assert_int_ge(H5Ldelete(f, "samples/1", H5P_DEFAULT), 0); }
static void m_sample_1_other_id(hid_t f)
{
    hid_t d = H5Dopen2(f, "samples/1", H5P_DEFAULT);
    put_str_attr(d, "id", "someone/else");
    H5Dclose(d);
}
static void m_sample_1_no_field(hid_t f)
{
    ck_assert_int_ge(H5Ldelete(f, "samples/1", H5P_DEFAULT), 0);
    hsize_t n = 3;
    hid_t s = H5Screate_simple(1, &n, NULL), t = H5Tcreate(H5T_COMPOUND, 8);
    H5Tinsert(t, "iterations", 0, H5T_STD_U64LE);
    hid_t d = H5Dcreate2(f, "samples/1", t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(d, 0);
    H5Dclose(d);
    H5Tclose(t);
    H5Sclose(s);
}
static void m_no_ranks(hid_t f) { ck_assert_int_ge(H5Ldelete(f, "ranks", H5P_DEFAULT), 0); }

static const struct {
    const char *what;
    void (*edit)(hid_t f);
    const char *expect;
} bad_results[] = {
    {"schema missing", m_no_schema, "not a latentbench results file"},
    {"other schema", m_schema_other, "schema is 'other-results', expected 'latentbench-results'"},
    {"schema_version 4", m_version_next, "schema_version 4 is not supported (this build reads 1 to 3)"},
    {"schema_version 0", m_version_0, "schema_version 0 is not supported"},
    {"kind unknown", m_kind_other, "root attribute 'kind' is 'baseline', expected 'results' or 'ab'"},
    {"kind an integer", m_kind_int, "root attribute 'kind' is not a string"},
    {"kind ab without /ab", m_kind_ab, "/ab is missing (the file's kind is 'ab')"},
    {"schema_version a string", m_version_str, "root attribute 'schema_version' is not an integer"},
    {"schema_version missing", m_no_version, "root attribute 'schema_version' is missing"},
    {"schema an array", m_schema_array, "root attribute 'schema' is not a single value"},
    {"hostname missing", m_no_hostname, "root attribute 'hostname' is missing"},
    {"mpi_ranks a double", m_mpi_ranks_float, "root attribute 'mpi_ranks' is not an integer"},
    {"shard an integer", m_shard_int, "root attribute 'shard' is not a string"},
    {"nodes a double", m_nodes_float, "root attribute 'nodes' is not an integer"},
    {"complete a string", m_complete_str, "root attribute 'complete' is not an integer"},
    {"makespan_s a string", m_makespan_str, "root attribute 'makespan_s' is not a number"},
    {"/benchmarks missing", m_no_benchmarks, "/benchmarks is missing"},
    {"/benchmarks integers", m_benchmarks_int, "/benchmarks is not a compound dataset"},
    {"/benchmarks a group", m_benchmarks_group, "/benchmarks is not a dataset"},
    {"/benchmarks without mean_ns", m_benchmarks_no_field, "/benchmarks has no field 'mean_ns'"},
    {"/benchmarks id an integer", m_benchmarks_id_int, "field 'id' of /benchmarks is not a string"},
    {"/benchmarks host an integer", m_benchmarks_host_int, "field 'host' of /benchmarks is not a string"},
    {"/benchmarks id variable-length", m_benchmarks_vlen_id, "field 'id' of /benchmarks is not a fixed-length string"},
    {"/benchmarks 2-D", m_benchmarks_2d, "/benchmarks is not one-dimensional"},
    {"/samples missing", m_no_samples, "/samples is missing"},
    {"/samples/1 missing", m_no_sample_1, "/samples/1 is missing"},
    {"/samples/1 of another row", m_sample_1_other_id, "/samples/1 belongs to 'someone/else'"},
    {"/samples/1 without ns_per_iter", m_sample_1_no_field, "/samples/1 has no field 'ns_per_iter'"},
    {"/ranks missing", m_no_ranks, "/ranks is missing"},
};

START_TEST(test_read_malformed)
{
    size_t i = (size_t)_i;
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "bad.h5");
    write_fixture(path);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    bad_results[i].edit(f);
    ck_assert_int_ge(H5Fclose(f), 0);
    lb_results r;
    int rc = lb__results_read_unchecked(path, &r, err, sizeof err);
    ck_assert_msg(rc == LB_EDATA, "%s: read gave %d (%s)", bad_results[i].what, rc, err);
    assert_error_line(err, path, bad_results[i].expect);
    ck_assert_ptr_null(r.rows);
    ck_assert_ptr_null(r.meta.hostname);
}
END_TEST

/* A version-1 file (no kind, no A/B parts) reads as before, with its version. */
START_TEST(test_read_version_1)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "v1.h5");
    write_fixture(path);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    int v = 1;
    put_num_attr(f, "schema_version", H5T_NATIVE_INT, &v);
    ck_assert_int_ge(H5Adelete(f, "kind"), 0);
    ck_assert_int_ge(H5Fclose(f), 0);
    fixture fx;
    fixture_init(&fx);
    fx.r.meta.schema_version = 1;
    lb_results back;
    int rc = lb__results_read_unchecked(path, &back, err, sizeof err);
    ck_assert_msg(rc == LB_OK, "read: %s", err);
    ck_assert_int_eq(back.meta.schema_version, 1);
    assert_results_equal(&fx.r, &back, "version 1");
    ck_assert_ptr_null(back.ab);
    lb_results_free(&back);
}
END_TEST

/* ---- A/B files: edits of a valid one, each of which must make it unreadable */

/* Sets the id of row `row` of compound dataset path. */
static void set_row_id(hid_t f, const char *path, size_t row, const char *id)
{
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    ck_assert_int_ge(d, 0);
    hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
    int idx = H5Tget_member_index(t, "id");
    ck_assert_int_ge(idx, 0);
    size_t size = H5Tget_size(t), off = H5Tget_member_offset(t, (unsigned)idx);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    ck_assert_int_gt(n, (hssize_t)row);
    char *buf = calloc((size_t)n, size);
    ck_assert_int_ge(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), 0);
    memset(buf + row * size + off, 0, LB_ID_LEN);
    memcpy(buf + row * size + off, id, strlen(id));
    ck_assert_int_ge(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), 0);
    free(buf);
    H5Sclose(sp);
    H5Tclose(t);
    H5Dclose(d);
}

/* Rewrites compound dataset path without its last row. */
static void drop_last_row(hid_t f, const char *path)
{
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    ck_assert_int_ge(d, 0);
    hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
    hsize_t n = (hsize_t)H5Sget_simple_extent_npoints(sp);
    ck_assert_uint_gt(n, 0);
    char *buf = calloc((size_t)n, H5Tget_size(t));
    ck_assert_int_ge(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), 0);
    H5Dclose(d);
    H5Sclose(sp);
    ck_assert_int_ge(H5Ldelete(f, path, H5P_DEFAULT), 0);
    n--;
    sp = H5Screate_simple(1, &n, NULL);
    d = H5Dcreate2(f, path, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(d, 0);
    if (n) ck_assert_int_ge(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), 0);
    free(buf);
    H5Dclose(d);
    H5Sclose(sp);
    H5Tclose(t);
}

static void ab_no_pairs_1(hid_t f) { ck_assert_int_ge(H5Ldelete(f, "ab_pairs/1", H5P_DEFAULT), 0); }
static void ab_no_pairs(hid_t f) { ck_assert_int_ge(H5Ldelete(f, "ab_pairs", H5P_DEFAULT), 0); }
static void ab_pairs_2_other_id(hid_t f)
{
    hid_t d = H5Dopen2(f, "ab_pairs/2", H5P_DEFAULT);
    put_str_attr(d, "id", "someone/else");
    H5Dclose(d);
}
static void ab_pairs_0_no_field(hid_t f) { drop_member(f, "ab_pairs/0", "b_ns"); }
static void ab_row_1_other_id(hid_t f) { set_row_id(f, "ab", 1, "someone/else"); }
static void ab_base_row_2_other_id(hid_t f) { set_row_id(f, "base_benchmarks", 2, "someone/else"); }
static void ab_short(hid_t f) { drop_last_row(f, "ab"); }
static void ab_base_short(hid_t f) { drop_last_row(f, "base_benchmarks"); }
static void ab_no_ab(hid_t f) { ck_assert_int_ge(H5Ldelete(f, "ab", H5P_DEFAULT), 0); }
static void ab_no_base(hid_t f) { ck_assert_int_ge(H5Ldelete(f, "base_benchmarks", H5P_DEFAULT), 0); }
static void ab_no_verdict(hid_t f) { drop_member(f, "ab", "verdict"); }
static void ab_kind_results(hid_t f) { put_str_attr(f, "kind", "results"); }
static void ab_no_kind(hid_t f) { ck_assert_int_ge(H5Adelete(f, "kind"), 0); }
static void ab_no_base_library(hid_t f) { ck_assert_int_ge(H5Adelete(f, "base_library"), 0); }
static void ab_base_library_int(hid_t f)
{
    int v = 1;
    put_num_attr(f, "base_library_hash", H5T_NATIVE_INT, &v);
}

static const struct {
    const char *what;
    void (*edit)(hid_t f);
    const char *expect;
} bad_ab[] = {
    {"/ab_pairs/1 missing", ab_no_pairs_1, "/ab_pairs/1 is missing"},
    {"/ab_pairs missing", ab_no_pairs, "/ab_pairs is missing"},
    {"/ab_pairs/2 of another row", ab_pairs_2_other_id,
     "/ab_pairs/2 belongs to 'someone/else' but row 2 is 'attention_computation/dim_64/Standard'"},
    {"/ab_pairs/0 without b_ns", ab_pairs_0_no_field, "/ab_pairs/0 has no field 'b_ns'"},
    {"/ab row of another id", ab_row_1_other_id,
     "/ab row 1 is 'someone/else' but /benchmarks row 1 is 'knn_search/dim_128/10'"},
    {"/base_benchmarks row of another id", ab_base_row_2_other_id,
     "/base_benchmarks row 2 is 'someone/else' but /benchmarks row 2 is 'attention_computation/dim_64/Standard'"},
    {"/ab a row short", ab_short, "/ab has 2 rows but /benchmarks has 3"},
    {"/base_benchmarks a row short", ab_base_short, "/base_benchmarks has 2 rows but /benchmarks has 3"},
    {"/ab missing", ab_no_ab, "/ab is missing (the file's kind is 'ab')"},
    {"/base_benchmarks missing", ab_no_base, "/base_benchmarks is missing"},
    {"/ab without verdict", ab_no_verdict, "/ab has no field 'verdict'"},
    {"kind results with /ab", ab_kind_results, "/ab is present but the file's kind is 'results'"},
    {"kind missing with /ab", ab_no_kind, "/ab is present but the file's kind is 'results'"},
    {"base_library missing", ab_no_base_library, "root attribute 'base_library' is missing"},
    {"base_library_hash an integer", ab_base_library_int, "root attribute 'base_library_hash' is not a string"},
};

START_TEST(test_read_malformed_ab)
{
    size_t i = (size_t)_i;
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "bad.h5");
    write_fixture_ab(path);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    bad_ab[i].edit(f);
    ck_assert_int_ge(H5Fclose(f), 0);
    lb_results r;
    int rc = lb__results_read_unchecked(path, &r, err, sizeof err);
    ck_assert_msg(rc == LB_EDATA, "%s: read gave %d (%s)", bad_ab[i].what, rc, err);
    assert_error_line(err, path, bad_ab[i].expect);
    ck_assert_ptr_null(r.rows);
    ck_assert_ptr_null(r.ab);
    ck_assert_ptr_null(r.base_rows);
    ck_assert_ptr_null(r.pairs);
    ck_assert_ptr_null(r.base_library);
}
END_TEST

/* Another writer's layout: members in reverse order, longer ASCII strings,
 * 32-bit integers, big-endian numbers and a member we do not know. The reader
 * matches by name, converts, and ignores the rest. */
START_TEST(test_read_foreign_layout)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "foreign.h5");
    write_fixture(path);
    fixture fx;
    fixture_init(&fx);

    hid_t ft = H5Tcreate(H5T_COMPOUND, 4096), mt = H5Tcreate(H5T_COMPOUND, sizeof(lb_row));
    size_t off = 0;
    for (size_t q = NROW_F; q-- > 0;) {
        const tfield *f = &row_f[q];
        hid_t a, b; /* file and memory member types */
        if (f->k == K_STR) {
            a = H5Tcopy(H5T_C_S1);
            H5Tset_size(a, f->size + 40);
            H5Tset_strpad(a, H5T_STR_NULLPAD);
            b = H5Tcopy(H5T_C_S1);
            H5Tset_size(b, f->size);
        } else if (f->k == K_F64) {
            a = H5Tcopy(H5T_IEEE_F64BE);
            b = H5Tcopy(H5T_NATIVE_DOUBLE);
        } else if (f->k == K_U64) {
            a = H5Tcopy(H5T_STD_U64BE);
            b = H5Tcopy(H5T_NATIVE_UINT64);
        } else {
            a = H5Tcopy(H5T_STD_I32LE);
            b = H5Tcopy(H5T_NATIVE_INT64);
        }
        ck_assert_int_ge(H5Tinsert(ft, f->name, off, a), 0);
        ck_assert_int_ge(H5Tinsert(mt, f->name, f->off, b), 0);
        off += H5Tget_size(a);
        H5Tclose(a);
        H5Tclose(b);
    }
    ck_assert_int_ge(H5Tinsert(ft, "added_later", off, H5T_IEEE_F64LE), 0);
    H5Tpack(ft);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    ck_assert_int_ge(H5Ldelete(f, "benchmarks", H5P_DEFAULT), 0);
    hsize_t n = FX_ROWS;
    hid_t s = H5Screate_simple(1, &n, NULL);
    hid_t d = H5Dcreate2(f, "benchmarks", ft, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(d, 0);
    ck_assert_int_ge(H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, fx.rows), 0);
    H5Dclose(d);
    H5Sclose(s);
    H5Tclose(mt);
    H5Tclose(ft);
    H5Fclose(f);

    lb_results back;
    ck_assert_msg(lb__results_read_unchecked(path, &back, err, sizeof err) == LB_OK, "%s", err);
    for (size_t i = 0; i < FX_ROWS; i++) assert_rows_equal(&fx.rows[i], &back.rows[i], i, "foreign");
    lb_results_free(&back);
}
END_TEST

/* A string that fills its whole field in the file (another writer's, or the
 * caller's unterminated one) comes back cut by one and terminated. */
START_TEST(test_full_length_strings)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "full.h5");
    fixture fx;
    fixture_init(&fx);
    memset(fx.rows[1].suite, 's', LB_NAME_LEN); /* no terminator */
    ck_assert_int_eq(lb_results_write(path, &fx.r, err, sizeof err), LB_OK);
    lb_results back;
    ck_assert_msg(lb__results_read_unchecked(path, &back, err, sizeof err) == LB_OK, "%s", err);
    ck_assert_uint_eq(strlen(back.rows[1].suite), LB_NAME_LEN - 1);
    ck_assert_str_eq(back.rows[1].id, "knn_search/dim_128/10");
    lb_results_free(&back);
}
END_TEST

/* ---- datasets ----------------------------------------------------------- */

START_TEST(test_dataset_roundtrip)
{
    float train[DX_N * DX_D], test[DX_Q * DX_D], dist[DX_Q * DX_KN];
    int32_t nb[DX_Q * DX_KN];
    lb_dataset ds, back;
    dataset_fixture(&ds, train, test, nb, dist);
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "ds.h5");
    ck_assert_msg(lb_dataset_write(path, &ds, err, sizeof err) == LB_OK, "%s", err);
    ck_assert_int_eq(lbt_count_entries(lbt_scratch_dir(), "ds.h5.tmp"), 0);
    ck_assert_msg(lb_dataset_read(path, &back, err, sizeof err) == LB_OK, "%s", err);
    ck_assert_uint_eq(back.n, DX_N);
    ck_assert_uint_eq(back.q, DX_Q);
    ck_assert_uint_eq(back.d, DX_D);
    ck_assert_uint_eq(back.kn, DX_KN);
    ck_assert_str_eq(back.distance, "angular");
    ck_assert_mem_eq(back.train, train, sizeof train);
    ck_assert_mem_eq(back.test, test, sizeof test);
    ck_assert_mem_eq(back.neighbors, nb, sizeof nb);
    ck_assert_mem_eq(back.distances, dist, sizeof dist);
    ck_assert_uint_eq(back.row0, 0);
    ck_assert_uint_eq(back.n_total, DX_N);
    lb_dataset_free(&back);
    ck_assert_ptr_null(back.train);

    strcpy(ds.distance, "cosine");
    ck_assert_int_eq(lb_dataset_write(path, &ds, err, sizeof err), LB_EINTERNAL);
    assert_error_line(err, path, "cosine");
}
END_TEST

/* Every split of the fixture's train rows into 1..n+3 parts: the parts follow
 * each other, their concatenation is train, each part carries the whole test,
 * neighbors and distances, and with more parts than rows the surplus are empty. */
START_TEST(test_dataset_parts)
{
    float train[DX_N * DX_D], test[DX_Q * DX_D], dist[DX_Q * DX_KN], joined[DX_N * DX_D];
    int32_t nb[DX_Q * DX_KN];
    lb_dataset ds;
    dataset_fixture(&ds, train, test, nb, dist);
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "ds.h5");
    ck_assert_msg(lb_dataset_write(path, &ds, err, sizeof err) == LB_OK, "%s", err);
    for (size_t nparts = 1; nparts <= DX_N + 3; nparts++) {
        size_t next = 0, empty = 0;
        memset(joined, 0, sizeof joined);
        for (size_t part = 0; part < nparts; part++) {
            lb_dataset p;
            int rc = lb_dataset_read_part(path, part, nparts, &p, err, sizeof err);
            ck_assert_msg(rc == LB_OK, "part %zu of %zu: %s", part, nparts, err);
            ck_assert_msg(p.row0 == next && p.row0 == DX_N * part / nparts &&
                              p.n == DX_N * (part + 1) / nparts - p.row0,
                          "part %zu of %zu: rows %zu + %zu, expected from %zu", part, nparts, p.row0, p.n,
                          next);
            ck_assert_uint_eq(p.n_total, DX_N);
            ck_assert_uint_eq(p.q, DX_Q);
            ck_assert_uint_eq(p.d, DX_D);
            ck_assert_uint_eq(p.kn, DX_KN);
            ck_assert_str_eq(p.distance, "angular");
            if (p.n == 0) {
                ck_assert_ptr_null(p.train);
                empty++;
            } else {
                memcpy(joined + p.row0 * DX_D, p.train, p.n * DX_D * sizeof *p.train);
            }
            ck_assert_mem_eq(p.test, test, sizeof test);
            ck_assert_mem_eq(p.neighbors, nb, sizeof nb);
            ck_assert_mem_eq(p.distances, dist, sizeof dist);
            next += p.n;
            lb_dataset_free(&p);
        }
        ck_assert_uint_eq(next, DX_N);
        ck_assert_mem_eq(joined, train, sizeof train);
        ck_assert_uint_eq(empty, nparts > DX_N ? nparts - DX_N : 0);
    }
}
END_TEST

START_TEST(test_dataset_bad_part)
{
    float train[DX_N * DX_D], test[DX_Q * DX_D], dist[DX_Q * DX_KN];
    int32_t nb[DX_Q * DX_KN];
    lb_dataset ds;
    dataset_fixture(&ds, train, test, nb, dist);
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "ds.h5");
    ck_assert_msg(lb_dataset_write(path, &ds, err, sizeof err) == LB_OK, "%s", err);
    static const struct {
        size_t      part, nparts;
        const char *expect;
    } bad[] = {
        {1, 1, "part 1 does not exist: parts are 0..0"},
        {DX_N, DX_N, "part 5 does not exist: parts are 0..4"},
        {SIZE_MAX, 3, "does not exist: parts are 0..2"},
        {0, 0, "cannot read part 0 of 0 parts"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lb_dataset p;
        err[0] = '\0';
        ck_assert_int_eq(lb_dataset_read_part(path, bad[i].part, bad[i].nparts, &p, err, sizeof err),
                         LB_EINTERNAL);
        assert_error_line(err, path, bad[i].expect);
        ck_assert_ptr_null(p.train);
        ck_assert_ptr_null(p.test);
    }
}
END_TEST

START_TEST(test_dataset_missing)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "absent.h5");
    lb_dataset ds;
    ck_assert_int_eq(lb_dataset_read(path, &ds, err, sizeof err), LB_ENOINPUT);
    assert_error_line(err, path, NULL);
    ck_assert_int_eq(lb_dataset_read(lbt_scratch_dir(), &ds, err, sizeof err), LB_ENOINPUT);
}
END_TEST

/* ann-benchmarks files built directly with HDF5: n=6, d=4, q=3, kn=5 unless a
 * case says otherwise. Values are written as doubles and converted by HDF5 to
 * each dataset's file type. */
enum { RN = 6, RD = 4, RQ = 3, RKN = 5 };

typedef struct {
    const char *what;
    const char *distance;     /* NULL: attribute left out */
    int         distance_kind; /* 0 variable-length, 1 fixed-length string, 2 integer */
    const char *skip;         /* dataset left out */
    const char *one_d;        /* dataset written flat */
    const char *retype;       /* dataset written as retype_to */
    hid_t (*retype_to)(void);
    const char *reshape;      /* dataset written as rows x cols */
    hsize_t     rows, cols;
    int         bad_neighbor; /* neighbors[1][2] = n */
    int         train_chunks; /* train in one-row chunks with Fletcher-32 checksums */
    int         rc;
    const char *expect;
} dcase;

static hid_t t_f64be(void) { return H5T_IEEE_F64BE; }
static hid_t t_i32(void) { return H5T_STD_I32LE; }
static hid_t t_i64(void) { return H5T_STD_I64LE; }
static hid_t t_f32(void) { return H5T_IEEE_F32LE; }

static double dval(int which, size_t r, size_t c, size_t n)
{
    switch (which) {
    case 0: return (double)r * 10 + (double)c + 0.5;
    case 1: return 100 + (double)r * 10 + (double)c + 0.25;
    case 2: return (double)((r + c) % n);
    default: return (double)r + 0.5 * (double)c;
    }
}

static void make_dataset(const char *path, const dcase *dc)
{
    static const char *names[4] = {"train", "test", "neighbors", "distances"};
    const hsize_t shape[4][2] = {{RN, RD}, {RQ, RD}, {RQ, RKN}, {RQ, RKN}};
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    for (int w = 0; w < 4; w++) {
        const char *name = names[w];
        if (dc->skip && !strcmp(dc->skip, name)) continue;
        hsize_t dims[2] = {shape[w][0], shape[w][1]};
        if (dc->reshape && !strcmp(dc->reshape, name)) {
            dims[0] = dc->rows;
            dims[1] = dc->cols;
        }
        hid_t ftype = w == 2 ? H5T_STD_I32LE : H5T_IEEE_F32LE;
        if (dc->retype && !strcmp(dc->retype, name)) ftype = dc->retype_to();
        size_t count = (size_t)(dims[0] * dims[1]);
        double *v = calloc(count + 1, sizeof *v);
        for (size_t r = 0; r < dims[0]; r++)
            for (size_t c = 0; c < dims[1]; c++) v[r * dims[1] + c] = dval(w, r, c, RN);
        if (w == 2 && dc->bad_neighbor) v[1 * dims[1] + 2] = RN;
        int flat = dc->one_d && !strcmp(dc->one_d, name);
        hsize_t flat_dims[1] = {count};
        hid_t s = flat ? H5Screate_simple(1, flat_dims, NULL) : H5Screate_simple(2, dims, NULL);
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        if (w == 0 && dc->train_chunks) {
            hsize_t chunk[2] = {1, dims[1]};
            ck_assert_int_ge(H5Pset_chunk(dcpl, 2, chunk), 0);
            ck_assert_int_ge(H5Pset_fletcher32(dcpl), 0);
        }
        hid_t d = H5Dcreate2(f, name, ftype, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
        ck_assert_int_ge(d, 0);
        if (count) ck_assert_int_ge(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v), 0);
        H5Dclose(d);
        H5Pclose(dcpl);
        H5Sclose(s);
        free(v);
    }
    if (dc->distance_kind == 2) {
        int v = 1;
        put_num_attr(f, "distance", H5T_NATIVE_INT, &v);
    } else if (dc->distance && dc->distance_kind == 1) {
        hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR);
        H5Tset_size(t, strlen(dc->distance));
        H5Tset_strpad(t, H5T_STR_NULLPAD);
        hid_t a = H5Acreate2(f, "distance", t, s, H5P_DEFAULT, H5P_DEFAULT);
        ck_assert_int_ge(H5Awrite(a, t, dc->distance), 0);
        H5Aclose(a);
        H5Sclose(s);
        H5Tclose(t);
    } else if (dc->distance) {
        lbt_put_vstr_attr(f, "distance", dc->distance);
    }
    ck_assert_int_ge(H5Fclose(f), 0);
}

static const dcase dataset_cases[] = {
    {.what = "valid", .distance = "euclidean", .rc = LB_OK},
    {.what = "fixed-length distance", .distance = "angular", .distance_kind = 1, .rc = LB_OK},
    {.what = "big-endian double train", .distance = "euclidean", .retype = "train",
     .retype_to = t_f64be, .rc = LB_OK},
    {.what = "int64 neighbors", .distance = "euclidean", .retype = "neighbors", .retype_to = t_i64,
     .rc = LB_OK},
    {.what = "no test", .distance = "euclidean", .skip = "test", .rc = LB_EDATA,
     .expect = "dataset 'test' is missing"},
    {.what = "no neighbors", .distance = "euclidean", .skip = "neighbors", .rc = LB_EDATA,
     .expect = "dataset 'neighbors' is missing"},
    {.what = "1-D train", .distance = "euclidean", .one_d = "train", .rc = LB_EDATA,
     .expect = "dataset 'train' has 1 dimensions, expected 2"},
    {.what = "d mismatch", .distance = "euclidean", .reshape = "test", .rows = RQ, .cols = RD + 1,
     .rc = LB_EDATA, .expect = "dataset 'test' has 5 columns but 'train' has 4"},
    {.what = "integer train", .distance = "euclidean", .retype = "train", .retype_to = t_i32,
     .rc = LB_EDATA, .expect = "dataset 'train' holds integer values, expected floating-point"},
    {.what = "float neighbors", .distance = "euclidean", .retype = "neighbors", .retype_to = t_f32,
     .rc = LB_EDATA, .expect = "dataset 'neighbors' holds floating-point values, expected integer"},
    {.what = "neighbors rows", .distance = "euclidean", .reshape = "neighbors", .rows = RQ - 1,
     .cols = RKN, .rc = LB_EDATA, .expect = "dataset 'neighbors' has 2 rows but 'test' has 3"},
    {.what = "distances shape", .distance = "euclidean", .reshape = "distances", .rows = RQ,
     .cols = RKN - 1, .rc = LB_EDATA, .expect = "dataset 'distances' is 3 x 4 but 'neighbors' is 3 x 5"},
    {.what = "empty train", .distance = "euclidean", .reshape = "train", .rows = 0, .cols = RD,
     .rc = LB_EDATA, .expect = "dataset 'train' is empty"},
    {.what = "neighbor out of range", .distance = "euclidean", .bad_neighbor = 1, .rc = LB_EDATA,
     .expect = "dataset 'neighbors' holds 6 at [1][2]"},
    {.what = "unknown distance", .distance = "jaccard", .rc = LB_EDATA,
     .expect = "root attribute 'distance' is 'jaccard', expected 'euclidean' or 'angular'"},
    {.what = "no distance", .rc = LB_EDATA, .expect = "root attribute 'distance' is missing"},
    {.what = "integer distance", .distance_kind = 2, .rc = LB_EDATA,
     .expect = "root attribute 'distance' is not a string"},
};

START_TEST(test_dataset_layouts)
{
    const dcase *dc = &dataset_cases[_i];
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "ann.h5");
    make_dataset(path, dc);
    lb_dataset ds, part;
    /* A part read checks the same things and fails the same way. */
    int prc = lb_dataset_read_part(path, 1, 2, &part, err, sizeof err);
    ck_assert_msg(prc == dc->rc, "%s: part read got %d (%s)", dc->what, prc, err);
    if (prc != LB_OK) {
        assert_error_line(err, path, dc->expect);
        ck_assert_ptr_null(part.train);
    }
    int rc = lb_dataset_read(path, &ds, err, sizeof err);
    ck_assert_msg(rc == dc->rc, "%s: got %d (%s)", dc->what, rc, err);
    if (rc != LB_OK) {
        assert_error_line(err, path, dc->expect);
        ck_assert_ptr_null(ds.train);
        return;
    }
    ck_assert_uint_eq(part.row0, RN / 2);
    ck_assert_uint_eq(part.n, RN - RN / 2);
    ck_assert_uint_eq(part.n_total, RN);
    ck_assert_mem_eq(part.train, ds.train + part.row0 * RD, part.n * RD * sizeof *ds.train);
    ck_assert_mem_eq(part.neighbors, ds.neighbors, RQ * RKN * sizeof *ds.neighbors);
    lb_dataset_free(&part);
    ck_assert_uint_eq(ds.n, RN);
    ck_assert_uint_eq(ds.d, RD);
    ck_assert_uint_eq(ds.q, RQ);
    ck_assert_uint_eq(ds.kn, RKN);
    ck_assert_str_eq(ds.distance, dc->distance);
    float *arr[4] = {ds.train, ds.test, NULL, ds.distances};
    const size_t cols[4] = {RD, RD, RKN, RKN}, rows[4] = {RN, RQ, RQ, RQ};
    for (int w = 0; w < 4; w++)
        for (size_t r = 0; r < rows[w]; r++)
            for (size_t c = 0; c < cols[w]; c++) {
                double want = dval(w, r, c, RN);
                double got = w == 2 ? (double)ds.neighbors[r * cols[w] + c] : (double)arr[w][r * cols[w] + c];
                ck_assert_msg(got == want, "%s: array %d [%zu][%zu] = %g, want %g", dc->what, w, r, c, got, want);
            }
    lb_dataset_free(&ds);
}
END_TEST

/* The rows outside a part are never read: train is stored in one-row chunks
 * with Fletcher-32 checksums and the chunk of row 0 is damaged. Parts without
 * row 0 read; the part holding it, and the whole train, fail. */
START_TEST(test_dataset_part_reads_only_its_rows)
{
#if H5_VERSION_GE(1, 10, 5)
    static const dcase dc = {.what = "checksummed", .distance = "euclidean", .train_chunks = 1};
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "chunked.h5");
    make_dataset(path, &dc);
    lb_dataset ds;
    ck_assert_msg(lb_dataset_read(path, &ds, err, sizeof err) == LB_OK, "%s", err);
    lb_dataset_free(&ds);

    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), d = H5Dopen2(f, "train", H5P_DEFAULT);
    hsize_t at[2] = {0, 0}, size = 0;
    haddr_t addr = HADDR_UNDEF;
    unsigned mask = 0;
    ck_assert_int_ge(H5Dget_chunk_info_by_coord(d, at, &mask, &addr, &size), 0);
    H5Dclose(d);
    H5Fclose(f);
    ck_assert_uint_gt(size, 4);
    FILE *fp = fopen(path, "r+b");
    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(fseek(fp, (long)addr, SEEK_SET), 0);
    int ch = fgetc(fp);
    ck_assert_int_ne(ch, EOF);
    ck_assert_int_eq(fseek(fp, (long)addr, SEEK_SET), 0);
    fputc(ch ^ 0x5a, fp);
    ck_assert_int_eq(fclose(fp), 0);

    for (size_t part = 0; part < 3; part++) {
        int rc = lb_dataset_read_part(path, part, 3, &ds, err, sizeof err);
        if (part == 0) {
            ck_assert_msg(rc == LB_EDATA, "part 0 (damaged row 0): got %d", rc);
            assert_error_line(err, path, "cannot read dataset 'train'");
            continue;
        }
        ck_assert_msg(rc == LB_OK, "part %zu: %s", part, err);
        ck_assert_uint_eq(ds.row0, RN * part / 3);
        ck_assert_double_eq(ds.train[0], dval(0, ds.row0, 0, RN));
        lb_dataset_free(&ds);
    }
    ck_assert_int_eq(lb_dataset_read(path, &ds, err, sizeof err), LB_EDATA);
    assert_error_line(err, path, "cannot read dataset 'train'");
#endif
}
END_TEST

START_TEST(test_dataset_not_hdf5)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "text.h5");
    FILE *f = fopen(path, "w");
    fputs("train,test\n1,2\n", f);
    fclose(f);
    lb_dataset ds;
    ck_assert_int_eq(lb_dataset_read(path, &ds, err, sizeof err), LB_EDATA);
    assert_error_line(err, path, "not an HDF5 file");
    /* A results file is HDF5 but not a dataset. */
    lbt_path(path, sizeof path, "r.h5");
    write_fixture(path);
    ck_assert_int_eq(lb_dataset_read(path, &ds, err, sizeof err), LB_EDATA);
    assert_error_line(err, path, "root attribute 'distance' is missing");
}
END_TEST

/* ---- version 3: fixed-length strings, checksums, checked values ---------- */

/* A small run as `latentbench run` writes it: every value possible. */
typedef struct {
    lb_results r;
    lb_row     rows[2];
    lb_sample  s[2][4000], *sp[2];
    size_t     ns[2];
    lb_rank_row rank;
} valid_run;

static void valid_init(valid_run *v, size_t nsamples)
{
    memset(v, 0, sizeof *v);
    for (size_t i = 0; i < 2; i++) {
        lb_row *w = &v->rows[i];
        snprintf(w->id, sizeof w->id, "knn_search/dim_128/%zu", i + 1);
        strcpy(w->op, "knn");
        w->dimension = 128;
        w->samples = (int64_t)nsamples;
        w->iterations = (int64_t)nsamples * 10;
        w->mean_ns = w->median_ns = w->min_ns = w->max_ns = 100.0;
        w->slope_ns = NAN;
        w->ranks = 1;
        w->rounds = 1;
        w->measured_rank = -1;
        for (size_t j = 0; j < nsamples; j++) v->s[i][j] = (lb_sample){10, 12345.678 + (double)j, 0};
        v->sp[i] = v->s[i];
        v->ns[i] = nsamples;
    }
    v->rank = (lb_rank_row){0, "node-0", 4, 1000, 2000};
    lb_meta *m = &v->r.meta;
    m->tool_version = "0.1.0";
    m->machine = "cpu; 4 cores; avx2";
    m->shard = "none";
    m->mpi_ranks = m->omp_threads = m->nodes = m->complete = 1;
    m->knobs = "LATENT_ISA=avx2 OMP_NUM_THREADS=2";
    v->r.rows = v->rows;
    v->r.nrows = 2;
    v->r.samples = v->sp;
    v->r.nsamples = v->ns;
    v->r.ranks = &v->rank;
    v->r.nranks = 1;
}

static unsigned char *slurp(const char *path, long *size)
{
    *size = file_size(path);
    unsigned char *img = malloc((size_t)*size + 1);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fread(img, 1, (size_t)*size, f), *size);
    fclose(f);
    return img;
}

static long count_sig(const unsigned char *img, long size, const char *sig)
{
    long n = 0;
    for (long at = 0; at + 4 <= size; at++) n += memcmp(img + at, sig, 4) == 0;
    return n;
}

/* Every string is fixed-length and everything sits in checksummed object
 * headers: no global heap (GCOL), fractal heap (FRHP) or v2 B-tree (BTHD),
 * whatever the number of rows and root attributes. */
START_TEST(test_v3_no_heaps)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, _i ? "ab.h5" : "r.h5");
    if (_i) write_fixture_ab(path);
    else write_fixture(path);
    long size;
    unsigned char *img = slurp(path, &size);
    ck_assert_int_eq(count_sig(img, size, "GCOL"), 0);
    ck_assert_int_eq(count_sig(img, size, "FRHP"), 0);
    ck_assert_int_eq(count_sig(img, size, "BTHD"), 0);
    free(img);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    char v[256];
    ck_assert_int_eq(get_str_attr(f, "schema", v, sizeof v), 0);
    ck_assert_int_eq(get_str_attr(f, "machine", v, sizeof v), 0);
    ck_assert_int_eq(get_str_attr(f, "failure", v, sizeof v), 0);
    hid_t d = H5Dopen2(f, "samples/1", H5P_DEFAULT);
    ck_assert_int_eq(get_str_attr(d, "id", v, sizeof v), 0);
    ck_assert_str_eq(v, "knn_search/dim_128/10");
    H5Dclose(d);
    H5Fclose(f);
    lb_results back;
    ck_assert_int_eq(lb__results_read_unchecked(path, &back, err, sizeof err), LB_OK);
    ck_assert_int_eq(back.meta.schema_version, 3);
    lb_results_free(&back);
}
END_TEST

/* Rewrites every fixed-length string attribute of obj as variable-length, as
 * versions 1 and 2 wrote them. */
static void attrs_to_vlen(hid_t loc)
{
    char names[64][64];
    int n = 0;
    hid_t obj = H5Iget_type(loc) == H5I_FILE ? H5Gopen2(loc, "/", H5P_DEFAULT) : loc; /* a file has no attributes */
    int na = H5Aget_num_attrs(obj);
    ck_assert_int_gt(na, 0);
    for (int i = 0; i < na && n < 64; i++) {
        hid_t a = H5Aopen_by_idx(obj, ".", H5_INDEX_NAME, H5_ITER_INC, (hsize_t)i, H5P_DEFAULT, H5P_DEFAULT);
        hid_t t = H5Aget_type(a);
        if (H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) == 0)
            H5Aget_name(a, sizeof names[n], names[n]), n++;
        H5Tclose(t);
        H5Aclose(a);
    }
    for (int i = 0; i < n; i++) {
        char v[1024];
        get_str_attr(obj, names[i], v, sizeof v);
        lbt_put_vstr_attr(obj, names[i], v);
    }
    if (obj != loc) H5Gclose(obj);
}

/* A version-2 file, variable-length text attributes and all, still reads; the
 * same strings in a version-3 file are refused (damage or another writer). */
START_TEST(test_read_version_2_vlen)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "v2.h5");
    write_fixture(path);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    attrs_to_vlen(f);
    for (size_t i = 0; i < FX_ROWS; i++) {
        char name[32];
        snprintf(name, sizeof name, "samples/%zu", i);
        hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
        attrs_to_vlen(d);
        H5Dclose(d);
    }
    int v = 2;
    put_num_attr(f, "schema_version", H5T_NATIVE_INT, &v);
    ck_assert_int_ge(H5Fclose(f), 0);
    fixture fx;
    fixture_init(&fx);
    fx.r.meta.schema_version = 2;
    lb_results back;
    int rc = lb__results_read_unchecked(path, &back, err, sizeof err);
    ck_assert_msg(rc == LB_OK, "read: %s", err);
    ck_assert_int_eq(back.meta.schema_version, 2);
    assert_results_equal(&fx.r, &back, "version 2");
    lb_results_free(&back);

    f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    v = 3;
    put_num_attr(f, "schema_version", H5T_NATIVE_INT, &v);
    ck_assert_int_ge(H5Fclose(f), 0);
    ck_assert_int_eq(lb__results_read_unchecked(path, &back, err, sizeof err), LB_EDATA);
    assert_error_line(err, path, "is a variable-length string (this file's version stores fixed-length ones)");
}
END_TEST

/* knobs: written and read back; absent (older files) reads as "". */
START_TEST(test_knobs)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "k.h5");
    static valid_run v;
    valid_init(&v, 3);
    ck_assert_int_eq(lb_results_write(path, &v.r, err, sizeof err), LB_OK);
    lb_results back;
    ck_assert_msg(lb_results_read(path, &back, err, sizeof err) == LB_OK, "%s", err);
    ck_assert_str_eq(back.meta.knobs, "LATENT_ISA=avx2 OMP_NUM_THREADS=2");
    lb_results_free(&back);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(H5Adelete(f, "knobs"), 0);
    H5Fclose(f);
    ck_assert_msg(lb_results_read(path, &back, err, sizeof err) == LB_OK, "%s", err);
    ck_assert_str_eq(back.meta.knobs, "");
    lb_results_free(&back);
}
END_TEST

/* Values no run produces: each is refused by lb_results_read with one line. */
static void v_samples_neg(valid_run *v) { v->rows[1].samples = -5; }
static void v_samples_count(valid_run *v) { v->rows[0].samples = 4; }
static void v_dim_neg(valid_run *v) { v->rows[0].dimension = -128; }
static void v_median_neg(valid_run *v) { v->rows[1].median_ns = -1.0; }
static void v_mean_inf(valid_run *v) { v->rows[1].mean_ns = INFINITY; }
static void v_sample_nan(valid_run *v) { v->s[1][2].ns_per_iter = NAN; }
static void v_empty_id(valid_run *v) { v->rows[1].id[0] = '\0'; }
static void v_shard(valid_run *v) { v->r.meta.shard = "diagonal"; }
static void v_scaling(valid_run *v) { v->r.meta.scaling = "sideways"; }
static void v_complete(valid_run *v) { v->r.meta.complete = 7; }
static void v_ranks(valid_run *v) { v->r.meta.mpi_ranks = -2; }
static void v_makespan(valid_run *v) { v->r.meta.makespan_s = NAN; }
static void v_cores(valid_run *v) { v->rank.cores = -1; }
static void v_measured_rank(valid_run *v) { v->rows[0].measured_rank = -7; }
static void v_bound_kind(valid_run *v)
{
    strcpy(v->rows[1].bound_kind, "roofline");
    v->rows[1].bound_ns = 5;
}
static void v_bound_alone(valid_run *v) { v->rows[0].bound_ns = 5; }
static lb_bound v_bad_bound = {"read_mem", "avx2", 1, 1024, -1.0, "B/s"};
static void v_bounds(valid_run *v)
{
    v->r.bounds = &v_bad_bound;
    v->r.nbounds = 1;
}

static const struct {
    void (*edit)(valid_run *v);
    const char *expect;
} bad_values[] = {
    {v_samples_neg, "/benchmarks row 1 ('knn_search/dim_128/2'): samples is -5, not a count"},
    {v_samples_count, "/benchmarks row 0 ('knn_search/dim_128/1'): samples is 4 but /samples/0 holds 3"},
    {v_dim_neg, "/benchmarks row 0 ('knn_search/dim_128/1'): dimension is -128, not a count"},
    {v_median_neg, "/benchmarks row 1 ('knn_search/dim_128/2'): median_ns is -1"},
    {v_mean_inf, "/benchmarks row 1 ('knn_search/dim_128/2'): mean_ns is inf"},
    {v_sample_nan, "/samples/1 entry 2: ns_per_iter is nan"},
    {v_empty_id, "/benchmarks row 1 ('') has an empty id"},
    {v_shard, "root attribute 'shard' is 'diagonal', expected none, matrix or data"},
    {v_scaling, "root attribute 'scaling' is 'sideways', expected strong, weak or empty"},
    {v_complete, "root attribute 'complete' is 7, expected 0 or 1"},
    {v_ranks, "root attribute 'mpi_ranks' is -2, not a count"},
    {v_makespan, "root attribute 'makespan_s' is nan"},
    {v_cores, "/ranks row 0: rank 0, cores -1"},
    {v_measured_rank, "measured_rank is -7"},
    {v_bound_kind, "bound_kind is 'roofline', expected read_mem, read_hot, fma or empty"},
    {v_bound_alone, "bound_ns 5 does not go with bound_kind ''"},
    {v_bounds, "/bounds row 0: kind 'read_mem', threads 1, value -1, unit 'B/s'"},
};

START_TEST(test_read_bad_values)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "v.h5");
    static valid_run v;
    valid_init(&v, 3);
    lb_results r;
    if (_i == 0) { /* the unedited run reads */
        ck_assert_int_eq(lb_results_write(path, &v.r, err, sizeof err), LB_OK);
        ck_assert_msg(lb_results_read(path, &r, err, sizeof err) == LB_OK, "%s", err);
        lb_results_free(&r);
    }
    bad_values[_i].edit(&v);
    ck_assert_int_eq(lb_results_write(path, &v.r, err, sizeof err), LB_OK);
    ck_assert_int_eq(lb_results_read(path, &r, err, sizeof err), LB_EDATA);
    assert_error_line(err, path, bad_values[_i].expect);
    ck_assert_ptr_null(r.rows);
}
END_TEST

/* An A/B row's words and probabilities are checked too. */
START_TEST(test_read_bad_ab_values)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "ab.h5");
    static valid_run v;
    valid_init(&v, 3);
    lb_row base[2];
    lb_ab_row ab[2];
    memcpy(base, v.rows, sizeof base);
    memset(ab, 0, sizeof ab);
    for (size_t i = 0; i < 2; i++) {
        strcpy(ab[i].id, v.rows[i].id);
        strcpy(ab[i].order, "abba");
        strcpy(ab[i].verdict, "NoChange");
        strcpy(ab[i].memory_verdict, "Same");
        ab[i].ratio = 1.0;
        ab[i].confidence = 0.99;
    }
    v.r.base_rows = base;
    v.r.ab = ab;
    lb_results r;
    ck_assert_int_eq(lb_results_write(path, &v.r, err, sizeof err), LB_OK);
    ck_assert_msg(lb_results_read(path, &r, err, sizeof err) == LB_OK, "%s", err);
    lb_results_free(&r);
    strcpy(ab[1].verdict, "Maybe");
    ck_assert_int_eq(lb_results_write(path, &v.r, err, sizeof err), LB_OK);
    ck_assert_int_eq(lb_results_read(path, &r, err, sizeof err), LB_EDATA);
    assert_error_line(err, path, "/ab row 1 ('knn_search/dim_128/2'): verdict is 'Maybe'");
    strcpy(ab[1].verdict, "NoChange");
    ab[0].p_slower = 1.5;
    ck_assert_int_eq(lb_results_write(path, &v.r, err, sizeof err), LB_OK);
    ck_assert_int_eq(lb_results_read(path, &r, err, sizeof err), LB_EDATA);
    assert_error_line(err, path, "/ab row 0 ('knn_search/dim_128/1'): a probability is 1.5");
}
END_TEST

/* A table over LB__COMPACT_MAX bytes is chunked with Fletcher32: a flipped
 * byte of its data is an error, not a wrong number. A small one lives in its
 * checksummed object header: the same. */
START_TEST(test_data_checksums)
{
    char path[600], bad[600], err[512] = "";
    lbt_path(path, sizeof path, "big.h5");
    lbt_path(bad, sizeof bad, "bad.h5");
    static valid_run v;
    valid_init(&v, _i ? 4000 : 3); /* 4000 samples x 24 bytes: chunked */
    ck_assert_int_eq(lb_results_write(path, &v.r, err, sizeof err), LB_OK);
    long size;
    unsigned char *img = slurp(path, &size);
    double want = 12345.678 + 2.0;
    long at = -1;
    for (long k = 0; k + 8 <= size && at < 0; k++)
        if (memcmp(img + k, &want, 8) == 0) at = k;
    ck_assert_int_ge(at, 0);
    img[at + 3] ^= 0x10;
    FILE *f = fopen(bad, "wb");
    ck_assert_int_eq(fwrite(img, 1, (size_t)size, f), size);
    fclose(f);
    free(img);
    lb_results r;
    ck_assert_int_eq(lb_results_read(bad, &r, err, sizeof err), LB_EDATA);
    assert_error_line(err, bad, NULL);
}
END_TEST

/* An extent larger than the file could hold is refused before any allocation
 * (a chunked dataset whose chunks were never written takes no room). */
START_TEST(test_read_huge_extent)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "huge.h5");
    write_fixture(path);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "ranks", H5P_DEFAULT), t = H5Dget_type(d);
    H5Dclose(d);
    ck_assert_int_ge(H5Ldelete(f, "ranks", H5P_DEFAULT), 0);
    hsize_t dims[1] = {(hsize_t)1 << 40}, chunk[1] = {1024};
    hid_t sp = H5Screate_simple(1, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, chunk);
    d = H5Dcreate2(f, "ranks", t, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ck_assert_int_ge(d, 0);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(sp);
    H5Tclose(t);
    H5Fclose(f);
    lb_results r;
    ck_assert_int_eq(lb__results_read_unchecked(path, &r, err, sizeof err), LB_EDATA);
    assert_error_line(err, path, "/ranks claims 1099511627776 rows of");
}
END_TEST

/* Versions 1 and 2 (and h5py's ann-benchmarks files) keep text in the global
 * heap, which HDF5 1.10 trusts: a heap object claiming more bytes than its
 * collection holds made H5HG_read copy from outside it (SIGSEGV); a zero size
 * made the decoder loop for ever. The reader checks the heap first. */
static void damage_heap(const char *path, uint64_t size)
{
    long n;
    unsigned char *img = slurp(path, &n);
    long at = -1;
    for (long k = 0; k + 8 <= n && at < 0; k++)
        if (memcmp(img + k, "GCOL\1\0\0\0", 8) == 0) at = k;
    ck_assert_msg(at >= 0, "%s: no global heap in %ld bytes (%ld GCOL)", path, n, count_sig(img, n, "GCOL"));
    for (int i = 0; i < 8; i++) img[at + 16 + 8 + i] = (unsigned char)(size >> (8 * i));
    FILE *f = fopen(path, "wb");
    ck_assert_int_eq(fwrite(img, 1, (size_t)n, f), n);
    fclose(f);
    free(img);
}

START_TEST(test_damaged_global_heap)
{
    char path[600], err[512] = "";
    lbt_path(path, sizeof path, "heap.h5");
    const uint64_t size = _i % 2 ? 0 : UINT64_C(1) << 40;
    if (_i < 2) { /* a version-2 results file */
        write_fixture(path);
        hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
        attrs_to_vlen(f);
        int v = 2;
        put_num_attr(f, "schema_version", H5T_NATIVE_INT, &v);
        ck_assert_int_ge(H5Fclose(f), 0);
        damage_heap(path, size);
        lb_results r;
        ck_assert_int_eq(lb_results_read(path, &r, err, sizeof err), LB_EDATA);
    } else { /* an ann-benchmarks dataset with a variable-length distance, as h5py writes it */
        float train[DX_N * DX_D], test[DX_Q * DX_D], dist[DX_Q * DX_KN];
        int32_t nb[DX_Q * DX_KN];
        lb_dataset ds;
        dataset_fixture(&ds, train, test, nb, dist);
        ck_assert_msg(lb_dataset_write(path, &ds, err, sizeof err) == LB_OK, "%s", err);
        hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
        lbt_put_vstr_attr(f, "distance", "angular");
        ck_assert_int_ge(H5Fclose(f), 0);
        lb_dataset back;
        ck_assert_msg(lb_dataset_read(path, &back, err, sizeof err) == LB_OK, "%s", err); /* sound: reads */
        lb_dataset_free(&back);
        damage_heap(path, size);
        ck_assert_int_eq(lb_dataset_read(path, &back, err, sizeof err), LB_EDATA);
    }
    assert_error_line(err, path, "runs past its collection (the file is damaged)");
}
END_TEST

/* ---- main --------------------------------------------------------------- */

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *rt = tcase_create("roundtrip");
    tcase_add_checked_fixture(rt, dir_setup, dir_teardown);
    tcase_add_test(rt, test_roundtrip_fixture);
    tcase_add_test(rt, test_roundtrip_ab);
    tcase_add_test(rt, test_read_version_1);
    tcase_add_test(rt, test_roundtrip_random);
    tcase_add_test(rt, test_roundtrip_empty);
    tcase_add_test(rt, test_overwrite);
    tcase_add_test(rt, test_read_foreign_layout);
    tcase_add_test(rt, test_full_length_strings);
    tcase_add_test(rt, test_read_before_rounds);
    tcase_add_test(rt, test_read_before_distributed);
    tcase_add_test(rt, test_read_before_bounds);
    suite_add_tcase(s, rt);

    TCase *at = tcase_create("atomic");
    tcase_add_checked_fixture(at, dir_setup, dir_teardown);
    tcase_add_test(at, test_write_missing_dir);
    tcase_add_test(at, test_write_onto_directory);
    tcase_add_test(at, test_write_tmp_taken);
    tcase_add_test(at, test_write_fails_midway);
    tcase_add_test(at, test_write_inconsistent);
    suite_add_tcase(s, at);

    TCase *bad = tcase_create("bad_input");
    tcase_add_checked_fixture(bad, dir_setup, dir_teardown);
    tcase_add_test(bad, test_read_missing);
    tcase_add_test(bad, test_read_not_hdf5);
    tcase_add_test(bad, test_read_truncated);
    tcase_add_loop_test(bad, test_read_damaged_headers, 0, 2); /* plain, A/B */
    tcase_add_loop_test(bad, test_read_malformed, 0, (int)(sizeof bad_results / sizeof bad_results[0]));
    tcase_add_loop_test(bad, test_read_malformed_ab, 0, (int)NELEM(bad_ab));
    suite_add_tcase(s, bad);

    TCase *v3 = tcase_create("version_3");
    tcase_add_checked_fixture(v3, dir_setup, dir_teardown);
    tcase_add_loop_test(v3, test_v3_no_heaps, 0, 2); /* plain, A/B */
    tcase_add_test(v3, test_read_version_2_vlen);
    tcase_add_test(v3, test_knobs);
    tcase_add_loop_test(v3, test_read_bad_values, 0, (int)NELEM(bad_values));
    tcase_add_test(v3, test_read_bad_ab_values);
    tcase_add_loop_test(v3, test_data_checksums, 0, 2); /* compact, chunked */
    tcase_add_test(v3, test_read_huge_extent);
    tcase_add_loop_test(v3, test_damaged_global_heap, 0, 4); /* results, dataset x huge, zero size */
    suite_add_tcase(s, v3);

    TCase *ds = tcase_create("dataset");
    tcase_add_checked_fixture(ds, dir_setup, dir_teardown);
    tcase_add_test(ds, test_dataset_roundtrip);
    tcase_add_test(ds, test_dataset_parts);
    tcase_add_test(ds, test_dataset_bad_part);
    tcase_add_test(ds, test_dataset_part_reads_only_its_rows);
    tcase_add_test(ds, test_dataset_missing);
    tcase_add_loop_test(ds, test_dataset_layouts, 0, (int)(sizeof dataset_cases / sizeof dataset_cases[0]));
    tcase_add_test(ds, test_dataset_not_hdf5);
    suite_add_tcase(s, ds);
    return s;
}

/* Writes the fixtures for test_store_h5py.py. */
static int write_files(const char *dir)
{
    char path[4096], err[512] = "";
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: %s\n", dir, strerror(errno));
        return 1;
    }
    fixture fx;
    fixture_init(&fx);
    snprintf(path, sizeof path, "%s/results.h5", dir);
    int rc = lb_results_write(path, &fx.r, err, sizeof err);
    if (rc == LB_OK) {
        fixture_init_ab(&fx);
        snprintf(path, sizeof path, "%s/ab.h5", dir);
        rc = lb_results_write(path, &fx.r, err, sizeof err);
    }
    if (rc == LB_OK) {
        float train[DX_N * DX_D], test[DX_Q * DX_D], dist[DX_Q * DX_KN];
        int32_t nb[DX_Q * DX_KN];
        lb_dataset ds;
        dataset_fixture(&ds, train, test, nb, dist);
        snprintf(path, sizeof path, "%s/dataset.h5", dir);
        rc = lb_dataset_write(path, &ds, err, sizeof err);
    }
    if (rc != LB_OK) fprintf(stderr, "%s\n", err);
    return rc == LB_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    /* No HDF5 free-list caching: freed blocks go back to malloc at once, so
     * LeakSanitizer sees the one block HDF5 really loses (tests/lsan.supp)
     * rather than everything left on that block's free list. */
    H5set_free_list_limits(0, 0, 0, 0, 0, 0);
    int status;
    if (argc == 3 && strcmp(argv[1], "--write") == 0) {
        status = write_files(argv[2]);
    } else {
        SRunner *sr = srunner_create(store_suite());
        srunner_run_all(sr, CK_NORMAL);
        status = srunner_ntests_failed(sr) == 0 ? 0 : 1;
        srunner_free(sr);
    }
    /* Releases HDF5's free lists so LeakSanitizer sees only real leaks. */
    H5close();
    return status;
}
