/* The probe: a row's bound from hand-made bounds (exact formulas), and a
 * quick probe of this machine (finite, positive, the ISAs ordered). */
#include "latentbench/probe.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Two threads: hot 1e11 B/s at 64 KiB, 4e10 at 1 MiB (the cache); memory
 * 1e10; FMA 1e11 flop/s (avx2). One thread: half of each. */
static const lb_bound fx[] = {
    {"read_hot", "avx2", 2, 64 << 10, 1e11, "B/s"},   {"read_hot", "avx2", 2, 1 << 20, 4e10, "B/s"},
    {"read_mem", "avx2", 2, 1 << 28, 1e10, "B/s"},    {"triad", "avx2", 2, 1 << 28, 1.2e10, "B/s"},
    {"fma", "avx2", 2, 0, 1e11, "flop/s"},            {"fma", "scalar", 2, 0, 2.5e10, "flop/s"},
    {"read_hot", "avx2", 1, 64 << 10, 5e10, "B/s"},   {"read_hot", "avx2", 1, 1 << 20, 2e10, "B/s"},
    {"read_mem", "avx2", 1, 1 << 28, 5e9, "B/s"},     {"fma", "avx2", 1, 0, 5e10, "flop/s"},
};
#define NFX (sizeof fx / sizeof fx[0])

static lb_row row_of(const char *op, int64_t d, int64_t n, int64_t batch)
{
    lb_row r;
    memset(&r, 0, sizeof r);
    snprintf(r.op, sizeof r.op, "%s", op);
    snprintf(r.attention, sizeof r.attention, "Standard");
    r.dimension = d;
    r.dataset_size = n;
    r.batch_size = batch;
    r.median_ns = 1000;
    return r;
}

/* kNN over 10000 x 128 floats: 5.12 MB > the 1 MiB cache, memory at 1e10
 * B/s: 512 us; 2.56 Mflop at 1e11: 25.6 us. Read-bound. */
START_TEST(knn_reads_memory)
{
    lb_row r = row_of("knn", 128, 10000, 0);
    ck_assert_int_eq(lb_probe_row_bound(fx, NFX, 2, "avx2", 0, 1, &r), 1);
    ck_assert_double_eq_tol(r.bound_ns, 5.12e6 / 1e10 * 1e9, 1e-6);
    ck_assert_str_eq(r.bound_kind, "read_mem");
    r.median_ns = 1024000;
    ck_assert_double_eq_tol(lb_row_pct_of_bound(&r), 50.0, 1e-9);
    /* one thread: half the bandwidth, twice the bound */
    ck_assert_int_eq(lb_probe_row_bound(fx, NFX, 1, "avx2", 0, 1, &r), 1);
    ck_assert_double_eq_tol(r.bound_ns, 5.12e6 / 5e9 * 1e9, 1e-6);
}
END_TEST

/* 128 x 64 floats = 32 KiB: below the curve's first point, its bandwidth. At
 * 256 KiB: log-log between (64 KiB, 1e11) and (1 MiB, 4e10), t = 0.5. */
START_TEST(knn_hot_interpolated)
{
    lb_row r = row_of("knn", 64, 128, 0);
    ck_assert_int_eq(lb_probe_row_bound(fx, NFX, 2, "avx2", 0, 1, &r), 1);
    ck_assert_str_eq(r.bound_kind, "read_hot");
    ck_assert_double_eq_tol(r.bound_ns, 32768.0 / 1e11 * 1e9, 1e-9);
    r = row_of("knn", 64, 1024, 0); /* 256 KiB */
    ck_assert_int_eq(lb_probe_row_bound(fx, NFX, 2, "avx2", 0, 1, &r), 1);
    double bw = sqrt(1e11 * 4e10);
    ck_assert_double_eq_tol(r.bound_ns, 262144.0 / bw * 1e9, 1e-6);
    const char *kind;
    ck_assert_double_eq_tol(lb_probe_bandwidth(fx, NFX, 2, 1 << 20, &kind), 4e10, 1);
    ck_assert_str_eq(kind, "read_hot");
    ck_assert_double_eq_tol(lb_probe_bandwidth(fx, NFX, 2, (1 << 20) + 1, &kind), 1e10, 1);
    ck_assert_str_eq(kind, "read_mem");
}
END_TEST

/* A batch of 64 queries over 10000 x 128: the stored data once (5.12 MB +
 * the queries' 32 KiB from memory: 515 us) against 2 x 10000 x 128 x 64 =
 * 163.84 Mflop at 1e11: 1638 us. FMA-bound; scalar's peak is 4x lower. */
START_TEST(knn_batch_fma)
{
    lb_row r = row_of("knn_batch", 128, 10000, 64);
    ck_assert_int_eq(lb_probe_row_bound(fx, NFX, 2, "avx2", 0, 1, &r), 1);
    ck_assert_str_eq(r.bound_kind, "fma");
    ck_assert_double_eq_tol(r.bound_ns, 2.0 * 10000 * 128 * 64 / 1e11 * 1e9, 1e-6);
    ck_assert_int_eq(lb_probe_row_bound(fx, NFX, 2, "scalar", 0, 1, &r), 1);
    ck_assert_double_eq_tol(r.bound_ns, 2.0 * 10000 * 128 * 64 / 2.5e10 * 1e9, 1e-6);
    lb_probe_work w;
    ck_assert_int_eq(lb_probe_row_work(&r, 0, 1, &w), 1);
    ck_assert_double_eq_tol(w.bytes, 10000.0 * 128 * 4 + 64.0 * 128 * 4, 1e-9);
}
END_TEST

/* Attention stores seq_len rows: 4 flops per element. MoE with 8 experts,
 * top 2: a quarter of the rows and of the flops, plus the gate (2 x 8 x d);
 * data sharding over 4 ranks: a quarter of the rows per rank. */
START_TEST(attention_and_moe)
{
    lb_row r = row_of("attention", 64, 0, 0);
    r.seq_len = 4096;
    lb_probe_work w;
    ck_assert_int_eq(lb_probe_row_work(&r, 0, 1, &w), 1);
    ck_assert_double_eq_tol(w.bytes, 4096.0 * 64 * 4, 1e-9);
    ck_assert_double_eq_tol(w.flops, 4.0 * 4096 * 64, 1e-9);
    snprintf(r.attention, sizeof r.attention, "MoE");
    r.num_experts = 8;
    ck_assert_int_eq(lb_probe_row_work(&r, 2, 1, &w), 1);
    ck_assert_double_eq_tol(w.bytes, 4096.0 * 64 * 4 / 4, 1e-9);
    ck_assert_double_eq_tol(w.flops, 4.0 * 4096 * 64 / 4 + 2.0 * 8 * 64, 1e-9);
    ck_assert_int_eq(lb_probe_row_work(&r, 0, 4, &w), 1); /* default top 2, 4 ranks */
    ck_assert_double_eq_tol(w.bytes, 1024.0 * 64 * 4 / 4, 1e-9);
    /* a batch of 16 touches every expert's rows once */
    lb_row b = row_of("attention_batch", 64, 0, 16);
    b.seq_len = 4096;
    snprintf(b.attention, sizeof b.attention, "MoE");
    b.num_experts = 8;
    ck_assert_int_eq(lb_probe_row_work(&b, 2, 1, &w), 1);
    ck_assert_double_eq_tol(w.working_set, 4096.0 * 64 * 4, 1e-9);
    ck_assert_double_eq_tol(w.flops, 16 * (4.0 * 4096 * 64 / 4 + 2.0 * 8 * 64), 1e-6);
}
END_TEST

/* Rows that are not kNN or attention, or lack a shape or the bounds they
 * need, get no bound. */
START_TEST(no_bound)
{
    static const char *const ops[] = {"noop", "create", "add", "add_batch", "build", "attention_build", "knn_merge"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        lb_row r = row_of(ops[i], 128, 1000, 8);
        r.bound_ns = 5;
        ck_assert_int_eq(lb_probe_row_bound(fx, NFX, 2, "avx2", 0, 1, &r), 0);
        ck_assert(r.bound_ns == 0 && r.bound_kind[0] == '\0');
        ck_assert(isnan(lb_row_pct_of_bound(&r)));
    }
    lb_row r = row_of("knn", 0, 1000, 0);
    ck_assert_int_eq(lb_probe_row_bound(fx, NFX, 2, "avx2", 0, 1, &r), 0);
    r = row_of("knn", 128, 1000, 0);
    ck_assert_int_eq(lb_probe_row_bound(fx, NFX, 3, "avx2", 0, 1, &r), 0);  /* no bounds at 3 threads */
    ck_assert_int_eq(lb_probe_row_bound(fx, NFX, 2, "avx512", 0, 1, &r), 0); /* no avx512 peak */
    ck_assert_int_eq(lb_probe_row_bound(NULL, 0, 2, "avx2", 0, 1, &r), 0);
}
END_TEST

static int finite_pos(double v) { return v > 0 && isfinite(v); }

/* One quick probe on two threads: every value finite and positive, every
 * kind there for both counts (the hot curve at two threads only), within the
 * last-level cache. */
START_TEST(quick_probe_values)
{
    lb_probe_opts o = {2, NULL, 0, NULL, 0};
    lb_probe_result r;
    char err[256] = "";
    ck_assert_msg(lb_probe_run(&o, &r, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_gt(r.nbounds, 4);
    ck_assert_uint_gt(r.llc_bytes, 0);
    ck_assert_uint_ge(r.mem_bytes, r.llc_bytes);
    int seen[2][4] = {{0}};
    static const char *const kinds[] = {"read_mem", "read_hot", "triad", "fma"};
    for (size_t i = 0; i < r.nbounds; i++) {
        const lb_bound *b = &r.bounds[i];
        ck_assert_msg(finite_pos(b->value), "%s at %lld threads: %g", b->kind, (long long)b->threads, b->value);
        ck_assert(b->threads == 1 || b->threads == 2);
        for (int k = 0; k < 4; k++)
            if (!strcmp(b->kind, kinds[k])) seen[b->threads - 1][k] = 1;
        ck_assert_str_eq(b->unit, !strcmp(b->kind, "fma") ? "flop/s" : "B/s");
        if (!strcmp(b->kind, "read_hot")) ck_assert(b->bytes <= r.llc_bytes);
    }
    for (int t = 0; t < 2; t++)
        for (int k = 0; k < 4; k++)
            ck_assert_msg(seen[t][k] == !(t == 0 && k == 1), "%s at %d threads: %d", kinds[k], t + 1, seen[t][k]);
    fprintf(stderr, "quick probe: %zu bounds in %.2f s\n", r.nbounds, r.seconds);
    lb_probe_free(&r);
    lb_probe_free(NULL);
}
END_TEST

/* The full probe's FMA peaks on one thread: AVX-512 above AVX2 above scalar,
 * where the CPU has them (only the FMA part: the ISA asked for is scalar, so
 * the memory kernels are cheap SSE; the buffer is still allocated). A peak is
 * what the CPU can do, and on a shared VM one probe can be descheduled through
 * a whole ISA's measurement (AVX2 once read 2.0e10 against scalar's 2.3e10,
 * a third of its usual value): up to three probes, each peak the best of them
 * (lb_probe_keep_best, as run does). A kernel that ran narrower than its ISA
 * stays below in every probe. */
START_TEST(fma_peaks_ordered)
{
    lb_probe_opts o = {1, "scalar", 1, NULL, 0};
    lb_probe_result r, again;
    char err[256] = "";
    double scalar = 0, avx2 = 0, avx512 = 0;
    ck_assert_msg(lb_probe_run(&o, &r, err, sizeof err) == 0, "%s", err);
    for (int attempt = 1;; attempt++) {
        scalar = lb_probe_peak(r.bounds, r.nbounds, 1, "scalar");
        avx2 = lb_probe_peak(r.bounds, r.nbounds, 1, "avx2");
        avx512 = lb_probe_peak(r.bounds, r.nbounds, 1, "avx512");
        int ordered = (!lb_probe_isa_supported("avx2") || avx2 > scalar) &&
                      (!lb_probe_isa_supported("avx512") || (avx512 > scalar && avx512 > avx2));
        if (ordered || attempt == 3) break;
        ck_assert_msg(lb_probe_run(&o, &again, err, sizeof err) == 0, "%s", err);
        lb_probe_keep_best(r.bounds, r.nbounds, again.bounds, again.nbounds);
        lb_probe_free(&again);
    }
    ck_assert(finite_pos(scalar));
    fprintf(stderr, "fma peaks, one thread: scalar %.3g, avx2 %.3g, avx512 %.3g flop/s\n", scalar, avx2, avx512);
    if (lb_probe_isa_supported("avx2")) ck_assert(avx2 > scalar);
    else ck_assert(avx2 == 0);
    if (lb_probe_isa_supported("avx512")) {
        ck_assert(avx512 > scalar);
        ck_assert(avx512 > avx2);
    }
    lb_probe_free(&r);
}
END_TEST

/* The rows' working sets become read_hot points of their own: those within
 * the LLC (rounded down to 64 bytes), not those past it, and not one within
 * 2% of a point already there (1 MiB + 1 KiB beside the grid's 1 MiB). */
START_TEST(hot_points_at_row_sizes)
{
    uint64_t llc = lb_probe_llc_bytes();
    if (llc < ((uint64_t)8 << 20)) return; /* the sizes below need a cache of 8 MiB */
    const uint64_t at[] = {100000, (uint64_t)3 << 20, (1 << 20) + 1024, llc * 2, 100000};
    lb_probe_opts o = {1, NULL, 0, at, sizeof at / sizeof *at};
    lb_probe_result r;
    char err[256] = "";
    ck_assert_msg(lb_probe_run(&o, &r, err, sizeof err) == 0, "%s", err);
    int n100k = 0, n3m = 0, nnear = 0;
    for (size_t i = 0; i < r.nbounds; i++) {
        const lb_bound *b = &r.bounds[i];
        if (strcmp(b->kind, "read_hot")) continue;
        ck_assert_msg(b->bytes <= llc, "read_hot at %llu bytes, past the cache (%llu)", (unsigned long long)b->bytes,
                      (unsigned long long)llc);
        n100k += b->bytes == 100000 / 64 * 64;
        n3m += b->bytes == (uint64_t)3 << 20;
        nnear += b->bytes == ((1 << 20) + 1024) / 64 * 64;
        ck_assert(finite_pos(b->value));
    }
    ck_assert_int_eq(n100k, 1);
    ck_assert_int_eq(n3m, 1);
    ck_assert_int_eq(nnear, 0);
    /* a row of that size reads at its own point, not between its neighbours */
    const char *kind = NULL;
    double at100k = 0;
    for (size_t i = 0; i < r.nbounds; i++)
        if (!strcmp(r.bounds[i].kind, "read_hot") && r.bounds[i].bytes == 100000 / 64 * 64) at100k = r.bounds[i].value;
    double bw = lb_probe_bandwidth(r.bounds, r.nbounds, 1, 100000 / 64 * 64, &kind);
    ck_assert_msg(fabs(bw - at100k) <= 1e-9 * at100k, "%g against the point's %g", bw, at100k);
    ck_assert_str_eq(kind, "read_hot");
    lb_probe_free(&r);
}
END_TEST

START_TEST(bad_options)
{
    lb_probe_result r;
    char err[256] = "";
    lb_probe_opts o = {0, NULL, 0, NULL, 0};
    ck_assert_int_ne(lb_probe_run(&o, &r, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "threads"));
    ck_assert_int_eq(lb_probe_isa_supported("sse9"), 0);
    ck_assert_int_eq(lb_probe_isa_supported("scalar"), 1);
}
END_TEST

/* Two probes merged: a bound keeps the higher value of the same kind, ISA,
 * threads and bytes; nothing else is matched, lowered or added. */
START_TEST(keep_best_of_two)
{
    lb_bound a[NFX], b[NFX + 2];
    memcpy(a, fx, sizeof fx);
    memcpy(b, fx, sizeof fx);
    b[0].value = 2e11;         /* read_hot 2 threads 64 KiB: raised */
    b[1].value = 1e10;         /* lower: kept */
    b[4].value = NAN;          /* fma avx2 2 threads: a NaN never raises */
    b[9].value = 9e10;         /* fma avx2 1 thread: raised */
    b[6].threads = 3;          /* read_hot 1 thread 64 KiB: another count, no match */
    b[6].value = 1e12;
    b[NFX] = (lb_bound){"read_hot", "avx2", 2, 128 << 10, 1e13, "B/s"}; /* another size */
    b[NFX + 1] = (lb_bound){"read_hot", "avx512", 2, 64 << 10, 1e13, "B/s"}; /* another ISA */
    ck_assert_uint_eq(lb_probe_keep_best(a, NFX, b, NFX + 2), 2);
    for (size_t i = 0; i < NFX; i++) {
        double want = i == 0 ? 2e11 : i == 9 ? 9e10 : fx[i].value;
        ck_assert_msg(a[i].value == want, "bound %zu: %g, want %g", i, a[i].value, want);
        ck_assert_str_eq(a[i].kind, fx[i].kind);
        ck_assert_int_eq(a[i].threads, fx[i].threads);
    }
    ck_assert_uint_eq(lb_probe_keep_best(a, NFX, NULL, 0), 0);
    /* order does not matter: the same merge from src in reverse */
    lb_bound c[NFX], r[NFX + 2];
    memcpy(c, fx, sizeof fx);
    for (size_t i = 0; i < NFX + 2; i++) r[i] = b[NFX + 1 - i];
    ck_assert_uint_eq(lb_probe_keep_best(c, NFX, r, NFX + 2), 2);
    ck_assert_msg(memcmp(a, c, sizeof a) == 0, "merge depends on the order of src");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("probe");
    TCase *f = tcase_create("formula");
    tcase_add_test(f, knn_reads_memory);
    tcase_add_test(f, knn_hot_interpolated);
    tcase_add_test(f, knn_batch_fma);
    tcase_add_test(f, attention_and_moe);
    tcase_add_test(f, no_bound);
    tcase_add_test(f, bad_options);
    tcase_add_test(f, keep_best_of_two);
    suite_add_tcase(s, f);
    TCase *m = tcase_create("measure");
    tcase_set_timeout(m, 120);
    tcase_add_test(m, quick_probe_values);
    tcase_add_test(m, fma_peaks_ordered);
    tcase_add_test(m, hot_points_at_row_sizes);
    suite_add_tcase(s, m);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
