/* Every kernel of every ISA stamp against the scalar stamp, on the same seeded
 * inputs, for lengths that hit every tail: the SIMD paths must agree with the
 * reference within a float tolerance. The 16-lane portable stamp
 * (kern_wide16.c) runs the AVX-512 shapes here even without an AVX-512 CPU. */
#include "kernels.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const lt__kernels lt__table_wide16;

static uint64_t g_seed = 0x5eed;
static float urand(void)
{
    uint64_t z = (g_seed += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (float)((double)(z >> 40) / 8388608.0 - 1.0);
}

static const lt__kernels *tables[4];
static size_t ntables;

static void setup(void)
{
    ntables = 0;
#ifdef LT_HAVE_AVX2
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) tables[ntables++] = &lt__table_avx2;
#endif
#ifdef LT_HAVE_AVX512
    if (__builtin_cpu_supports("avx512f")) tables[ntables++] = &lt__table_avx512;
#endif
    tables[ntables++] = &lt__table_wide16;
}

/* |a - b| <= tol * max(1, scale): sums of n products of values in [-1, 1]. */
static void near(const char *what, const char *isa, size_t n, double a, double b, double scale)
{
    double tol = 2e-6 * sqrt((double)n + 1.0) * fmax(1.0, scale);
    ck_assert_msg(fabs(a - b) <= tol, "%s %s n=%zu: %.9g vs scalar %.9g (seed %llu)", what, isa, n, a, b,
                  (unsigned long long)g_seed);
}

static const size_t lens[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 256, 1000};
#define NLENS (sizeof lens / sizeof *lens)

START_TEST(pairwise)
{
    const lt__kernels *s = &lt__table_scalar;
    float a[1024], b[1024];
    for (size_t li = 0; li < NLENS; li++) {
        size_t n = lens[li];
        for (size_t i = 0; i < n; i++) { a[i] = urand(); b[i] = urand(); }
        for (size_t t = 0; t < ntables; t++) {
            const lt__kernels *k = tables[t];
            near("dot", k->name, n, k->dot(a, b, n), s->dot(a, b, n), 1.0);
            near("l2sq", k->name, n, k->l2sq(a, b, n), s->l2sq(a, b, n), 4.0);
            near("l1", k->name, n, k->l1(a, b, n), s->l1(a, b, n), 2.0);
        }
    }
}
END_TEST

START_TEST(scans_and_wsum)
{
    const lt__kernels *s = &lt__table_scalar;
    enum { ROWS = 13, MAXN = 300 };
    static float rows[ROWS * (MAXN + 5)], q[MAXN], w[ROWS], ref[ROWS], got[ROWS];
    static float acc_ref[MAXN], acc_got[MAXN];
    for (size_t li = 0; li < NLENS; li++) {
        size_t n = lens[li];
        if (n > MAXN) continue;
        size_t stride = n + 5; /* rows need not be padded for the kernels */
        for (size_t i = 0; i < ROWS * stride; i++) rows[i] = urand();
        for (size_t i = 0; i < n; i++) q[i] = urand();
        for (size_t r = 0; r < ROWS; r++) w[r] = fabsf(urand());
        for (size_t t = 0; t < ntables; t++) {
            const lt__kernels *k = tables[t];
            void (*sc[3])(const float *, const float *, size_t, size_t, size_t, float *) = {k->scan_dot, k->scan_l2sq,
                                                                                         k->scan_l1};
            void (*sr[3])(const float *, const float *, size_t, size_t, size_t, float *) = {s->scan_dot, s->scan_l2sq,
                                                                                         s->scan_l1};
            for (int f = 0; f < 3; f++)
                for (size_t count = 1; count <= ROWS; count += 4) {
                    sr[f](q, rows, count, stride, n, ref);
                    sc[f](q, rows, count, stride, n, got);
                    for (size_t r = 0; r < count; r++) near("scan", k->name, n, got[r], ref[r], 4.0);
                    /* long rows go through the pairwise kernel itself: the same sums bit
                     * for bit, so a change to either path that reorders them shows */
                    float (*pw[3])(const float *, const float *, size_t) = {k->dot, k->l2sq, k->l1};
                    if (n > 128)
                        for (size_t r = 0; r < count; r++)
                            ck_assert_msg(got[r] == pw[f](q, rows + r * stride, n),
                                          "%s: scan %d n=%zu row %zu: %.9g != pairwise %.9g", k->name, f, n, r,
                                          got[r], pw[f](q, rows + r * stride, n));
                }
            for (size_t i = 0; i < n; i++) acc_ref[i] = acc_got[i] = urand();
            s->wsum(rows, ROWS, stride, w, n, acc_ref);
            k->wsum(rows, ROWS, stride, w, n, acc_got);
            for (size_t i = 0; i < n; i++) near("wsum", k->name, ROWS, acc_got[i], acc_ref[i], 1.0);
        }
    }
}
END_TEST

START_TEST(softmax_pieces)
{
    const lt__kernels *s = &lt__table_scalar;
    float x[1000], wr[1000], wg[1000];
    for (size_t li = 0; li < NLENS; li++) {
        size_t n = lens[li];
        for (size_t i = 0; i < n; i++) x[i] = 40.0f * urand(); /* exp over a wide range */
        for (size_t t = 0; t < ntables; t++) {
            const lt__kernels *k = tables[t];
            ck_assert_float_eq(k->vmax(x, n), s->vmax(x, n));
            float m = s->vmax(x, n);
            double sr = s->exp_sub(x, n, m, wr), sg = k->exp_sub(x, n, m, wg);
            ck_assert_msg(fabs(sr - sg) <= 1e-6 * sr, "exp_sub sum %s n=%zu: %.9g vs %.9g", k->name, n, sg, sr);
            for (size_t i = 0; i < n; i++) {
                double e = exp((double)(x[i] - m)); /* the kernel exponentiates the float difference */
                ck_assert_msg(fabs(wg[i] - e) <= 2e-7 * e + 1e-37, "exp %s: %.9g vs %.9g", k->name, wg[i], e);
            }
        }
    }
}
END_TEST

START_TEST(gemm_micro_tile)
{
    for (size_t t = 0; t < ntables + 1; t++) {
        const lt__kernels *k = t < ntables ? tables[t] : &lt__table_scalar;
        unsigned mr = k->mr, nr = k->nr;
        for (size_t kc = 1; kc <= 70; kc += 23) {
            size_t ldb = nr + 3, ldc = nr + 5;
            float *a = malloc(kc * mr * sizeof *a), *b = malloc(kc * ldb * sizeof *b);
            float *c = malloc(mr * ldc * sizeof *c);
            double *want = malloc(mr * nr * sizeof *want);
            for (size_t i = 0; i < kc * mr; i++) a[i] = urand();
            for (size_t i = 0; i < kc * ldb; i++) b[i] = urand();
            for (int acc = 0; acc < 2; acc++) {
                for (size_t i = 0; i < mr * ldc; i++) c[i] = 0.5f;
                for (unsigned i = 0; i < mr; i++)
                    for (unsigned j = 0; j < nr; j++) {
                        double v = acc ? 0.5 : 0.0;
                        for (size_t p = 0; p < kc; p++) v += (double)a[p * mr + i] * b[p * ldb + j];
                        want[i * nr + j] = v;
                    }
                k->gemm_ukr(kc, a, mr, b, ldb, c, ldc, acc);
                for (unsigned i = 0; i < mr; i++)
                    for (unsigned j = 0; j < nr; j++)
                        near("gemm_ukr", k->name, kc, c[i * ldc + j], want[i * nr + j], 1.0);
                /* columns past nr are never written */
                for (unsigned i = 0; i < mr; i++)
                    for (size_t j = nr; j < ldc; j++) ck_assert_float_eq(c[i * ldc + j], 0.5f);
            }
            free(a); free(b); free(c); free(want);
        }
    }
}
END_TEST

/* The GEMM tile with A read in place from rows of any stride, with and
 * without accumulation and prefetch, against a double reference. */
START_TEST(gemm_rows_tile)
{
    for (size_t t = 0; t < ntables + 1; t++) {
        const lt__kernels *k = t < ntables ? tables[t] : &lt__table_scalar;
        unsigned mr = k->mr_rows, nr = k->nr;
        for (size_t kc = 1; kc <= 70; kc += 23) {
            size_t lda = kc + 7, ldc = nr + 5;
            float *a = malloc(2 * mr * lda * sizeof *a), *b = malloc(kc * nr * sizeof *b);
            float *c = malloc(mr * ldc * sizeof *c);
            for (size_t i = 0; i < 2 * mr * lda; i++) a[i] = urand();
            for (size_t i = 0; i < kc * nr; i++) b[i] = urand();
            for (int acc = 0; acc < 2; acc++) {
                for (size_t i = 0; i < mr * ldc; i++) c[i] = 0.5f;
                k->gemm_rows_ukr(kc, a, lda, b, c, ldc, acc, acc ? a + mr * lda : NULL);
                for (unsigned i = 0; i < mr; i++) {
                    for (unsigned j = 0; j < nr; j++) {
                        double v = acc ? 0.5 : 0.0;
                        for (size_t p = 0; p < kc; p++) v += (double)a[i * lda + p] * b[p * nr + j];
                        near("gemm_rows_ukr", k->name, kc, c[i * ldc + j], v, 1.0);
                    }
                    for (size_t j = nr; j < ldc; j++) ck_assert_float_eq(c[i * ldc + j], 0.5f);
                }
            }
            free(a); free(b); free(c);
        }
    }
}
END_TEST

/* The batch filter returns exactly the indices whose bound is <= the
 * threshold, in order, bound computed as the scalar stamp does. */
START_TEST(filter_hits)
{
    enum { NQ = 77 };
    float c[NQ], g[NQ], h[NQ], thr[NQ];
    uint32_t hits[NQ], ref[NQ];
    for (size_t t = 0; t < ntables + 1; t++) {
        const lt__kernels *k = t < ntables ? tables[t] : &lt__table_scalar;
        for (size_t nq = 1; nq <= NQ; nq += 19) {
            for (size_t i = 0; i < nq; i++) {
                c[i] = urand(); g[i] = urand(); h[i] = 1.0f + 0.1f * urand();
                thr[i] = i % 7 == 3 ? INFINITY : 0.5f * urand();
            }
            float ra = -2.0f, rb = 0.25f * urand(), rc = 1.0f;
            size_t nref = 0;
            for (size_t i = 0; i < nq; i++) {
                double bound = (double)ra * c[i] * h[i] + rb + (double)rc * g[i];
                /* bounds within rounding of the threshold may go either way */
                if (fabs(bound - thr[i]) < 1e-5) thr[i] = (float)bound + (bound > thr[i] ? 1e-3f : -1e-3f);
                if (bound <= thr[i]) ref[nref++] = (uint32_t)i;
            }
            size_t nh = k->filter(c, nq, ra, rb, rc, g, h, thr, hits);
            ck_assert_msg(nh == nref, "filter %s nq=%zu: %zu hits, expected %zu", k->name, nq, nh, nref);
            for (size_t i = 0; i < nh; i++) ck_assert_uint_eq(hits[i], ref[i]);
        }
    }
}
END_TEST

/* MultiHead scoring and weighted sums for head widths below, at and above a
 * vector, against the per-head scalar kernels. */
START_TEST(heads)
{
    const lt__kernels *s = &lt__table_scalar;
    /* dh = 8 is half a 16-lane vector (two heads a vector): h = 2, odd h, and
     * more than four pairs (the weighted sum's register block) */
    static const size_t shapes[][2] = {{64, 8},  {64, 4}, {256, 8}, {128, 8},  {128, 16}, {48, 3}, {96, 12},
                                       {8, 8},   {40, 5}, {16, 2},  {24, 3},   {80, 10},  {256, 32}};
    enum { ROWS = 11 };
    static float rows[ROWS * 300], q[300], w[32 * ROWS], got[32 * ROWS], acc_ref[300], acc_got[300];
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++) {
        size_t d = shapes[si][0], h = shapes[si][1], dh = d / h, stride = d + 3;
        for (size_t i = 0; i < ROWS * stride; i++) rows[i] = urand();
        memcpy(rows + 9 * stride, rows + 2 * stride, d * sizeof(float)); /* a tail row equal to a grouped one */
        for (size_t i = 0; i < d; i++) q[i] = urand();
        for (size_t i = 0; i < h * ROWS; i++) w[i] = fabsf(urand());
        for (size_t t = 0; t < ntables + 1; t++) {
            const lt__kernels *k = t < ntables ? tables[t] : s;
            k->scan_dot_heads(q, rows, ROWS, stride, d, h, got, ROWS);
            for (size_t j = 0; j < h; j++) /* equal rows score alike wherever they sit */
                ck_assert_msg(got[j * ROWS + 9] == got[j * ROWS + 2], "%s: scan_dot_heads d=%zu h=%zu head %zu: %.9g != %.9g",
                              k->name, d, h, j, got[j * ROWS + 9], got[j * ROWS + 2]);
            for (size_t j = 0; j < h; j++)
                for (size_t r = 0; r < ROWS; r++)
                    near("scan_dot_heads", k->name, dh, got[j * ROWS + r], s->dot(q + j * dh, rows + r * stride + j * dh, dh),
                         1.0);
            for (size_t i = 0; i < d; i++) acc_ref[i] = acc_got[i] = urand();
            for (size_t j = 0; j < h; j++) s->wsum(rows + j * dh, ROWS, stride, w + j * ROWS, dh, acc_ref + j * dh);
            k->wsum_heads(rows, ROWS, stride, w, ROWS, d, dh, acc_got);
            for (size_t i = 0; i < d; i++) near("wsum_heads", k->name, ROWS, acc_got[i], acc_ref[i], 1.0);
        }
    }
}
END_TEST

/* Column-wise max and exp of the batch softmax against the scalar stamp. */
START_TEST(softmax_columns)
{
    const lt__kernels *s = &lt__table_scalar;
    enum { ROWS = 37, COLS = 96 };
    static float S0[ROWS * COLS], Sr[ROWS * COLS], Sg[ROWS * COLS], mr_[COLS], mg[COLS], lr[COLS], lg[COLS];
    for (size_t i = 0; i < ROWS * COLS; i++) S0[i] = 20.0f * urand();
    for (size_t t = 0; t < ntables; t++) {
        const lt__kernels *k = tables[t];
        size_t cols = COLS / k->vw * k->vw;
        memcpy(Sr, S0, sizeof S0);
        memcpy(Sg, S0, sizeof S0);
        for (size_t i = 0; i < COLS; i++) {
            mr_[i] = mg[i] = i % 5 == 0 ? -INFINITY : urand();
            lr[i] = lg[i] = fabsf(urand());
        }
        s->max_cols(Sr, ROWS, cols, COLS, mr_);
        k->max_cols(Sg, ROWS, cols, COLS, mg);
        for (size_t i = 0; i < cols; i++) ck_assert_float_eq(mg[i], mr_[i]);
        s->exp_cols(Sr, ROWS, cols, COLS, mr_, lr);
        k->exp_cols(Sg, ROWS, cols, COLS, mg, lg);
        for (size_t i = 0; i < cols; i++) near("exp_cols sum", k->name, ROWS, lg[i], lr[i], lr[i]);
        for (size_t i = 0; i < ROWS * cols; i++)
            ck_assert_msg(fabs(Sg[i] - Sr[i]) <= 2e-7 * Sr[i] + 1e-37, "exp_cols %s: %.9g vs %.9g", k->name, Sg[i], Sr[i]);
    }
}
END_TEST

int main(void)
{
    setup();
    printf("kernel tables under test:");
    for (size_t t = 0; t < ntables; t++) printf(" %s", tables[t]->name);
    printf(" (against scalar)\n");
    Suite *s = suite_create("kernels");
    TCase *tc = tcase_create("isa");
    tcase_add_test(tc, pairwise);
    tcase_add_test(tc, scans_and_wsum);
    tcase_add_test(tc, softmax_pieces);
    tcase_add_test(tc, gemm_micro_tile);
    tcase_add_test(tc, gemm_rows_tile);
    tcase_add_test(tc, filter_hits);
    tcase_add_test(tc, heads);
    tcase_add_test(tc, softmax_columns);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
