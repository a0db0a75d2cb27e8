/*
 * lb_stats: closed-form cases, numpy/scipy reference vectors
 * (tests/data/stats_vectors.h, from tests/data/gen_stats_vectors.py), an exact
 * Python model of the bootstrap resampler, statistical agreement with
 * scipy.stats.bootstrap, determinism, error codes and allocation balance; for
 * the paired A/B statistics: scipy.stats.wilcoxon, Hodges-Lehmann bounds from
 * a brute-force sort of the Walsh averages, the test/interval duality, textbook
 * critical values, and the seeded round order against a Python model.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "latentbench/alloc.h"
#include "latentbench/error.h"
#include "latentbench/stats.h"
#include "stats_internal.h"
#include "stats_vectors.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* |got - want| <= rel * max(1, |want|); NaN only matches NaN. */
#define ASSERT_REL(got, want, rel, what)                                                   \
    do {                                                                                   \
        double g_ = (got), w_ = (want);                                                    \
        if (isnan(w_))                                                                     \
            ck_assert_msg(isnan(g_), "%s: got %.17g, want NaN", (what), g_);               \
        else                                                                               \
            ck_assert_msg(fabs(g_ - w_) <= (rel) * fmax(1.0, fabs(w_)),                    \
                          "%s: got %.17g, want %.17g (diff %.3g)", (what), g_, w_, g_ - w_); \
    } while (0)

#define ASSERT_OK(expr)                                                             \
    do {                                                                            \
        int rc_ = (expr);                                                           \
        ck_assert_msg(rc_ == LB_OK, "%s -> %d (%s)", #expr, rc_, lb_strerror(rc_)); \
    } while (0)

#define TOL 1e-12

/* Seeded data for the cases that need more than the committed vectors. */
static void fill_normal(uint64_t seed, double mu, double sigma, double *x, size_t n)
{
    lb__stats_rng r;
    lb__stats_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        /* Box-Muller from two 53-bit uniforms in (0, 1]. */
        double u1 = ((double)(lb__stats_rng_next(&r) >> 11) + 1) * 0x1p-53;
        double u2 = (double)(lb__stats_rng_next(&r) >> 11) * 0x1p-53;
        x[i] = mu + sigma * sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- Internals: RNG and selection ------------------------------------------------ */

START_TEST(test_rng_known_answers)
{
    lb__stats_rng r;
    /* Published xoshiro256** vector: state {1, 2, 3, 4}. */
    r.s[0] = 1, r.s[1] = 2, r.s[2] = 3, r.s[3] = 4;
    static const uint64_t ref[4] = {11520, 0, 1509978240, UINT64_C(1215971899390074240)};
    for (int i = 0; i < 4; i++) ck_assert_uint_eq(lb__stats_rng_next(&r), ref[i]);

    uint64_t sm = 0;
    ck_assert_uint_eq(lb__stats_splitmix64(&sm), UINT64_C(0xe220a8397b1dcdaf));

    lb__stats_rng_seed(&r, 0);
    for (int i = 0; i < 6; i++) ck_assert_uint_eq(lb__stats_rng_next(&r), sv_rng_seed0[i]);
    lb__stats_rng_seed(&r, 12345);
    for (int i = 0; i < 6; i++) ck_assert_uint_eq(lb__stats_rng_next(&r), sv_rng_seed12345[i]);

    lb__stats_rng_seed(&r, 7);
    for (int b = 0; b < 8; b++)
        for (int i = 0; i < 4; i++) {
            uint32_t d = lb__stats_rng_below(&r, sv_rng_below_bounds[b]);
            ck_assert_uint_eq(d, sv_rng_below_seed7[4 * b + i]);
            ck_assert_uint_lt(d, sv_rng_below_bounds[b]);
        }
}
END_TEST

START_TEST(test_rng_below_uniform)
{
    /* Chi-square over 7 bins: a biased bounded draw shows up immediately. */
    lb__stats_rng r;
    lb__stats_rng_seed(&r, 2024);
    size_t bins[7] = {0};
    const size_t draws = 700000;
    for (size_t i = 0; i < draws; i++) bins[lb__stats_rng_below(&r, 7)]++;
    double chi2 = 0, e = (double)draws / 7;
    for (int i = 0; i < 7; i++) chi2 += ((double)bins[i] - e) * ((double)bins[i] - e) / e;
    ck_assert_msg(chi2 < 22.46, "chi2 %.2f over 6 dof (p < 0.001), seed 2024", chi2); /* fixed seed */
}
END_TEST

START_TEST(test_select_matches_sort)
{
    static const size_t sizes[] = {1, 2, 3, 4, 5, 7, 16, 17, 31, 100, 257, 1000};
    double *v = malloc(1000 * sizeof *v), *sorted = malloc(1000 * sizeof *sorted);
    ck_assert_ptr_nonnull(v);
    ck_assert_ptr_nonnull(sorted);
    for (size_t si = 0; si < NELEM(sizes); si++) {
        size_t n = sizes[si];
        /* layouts: random, few distinct values, sorted, reversed, all equal */
        for (int layout = 0; layout < 5; layout++) {
            uint64_t seed = 1000 * si + (uint64_t)layout;
            lb__stats_rng r;
            lb__stats_rng_seed(&r, seed);
            for (size_t i = 0; i < n; i++) {
                switch (layout) {
                case 0: sorted[i] = (double)(lb__stats_rng_next(&r) >> 11); break;
                case 1: sorted[i] = (double)lb__stats_rng_below(&r, 3); break;
                case 2: sorted[i] = (double)i; break;
                case 3: sorted[i] = (double)(n - i); break;
                default: sorted[i] = 1.5; break;
                }
            }
            memcpy(v, sorted, n * sizeof *v);
            qsort(sorted, n, sizeof *sorted, cmp_double);
            size_t step = n > 100 ? n / 37 : 1;
            for (size_t k = 0; k < n; k += step) {
                double *w = malloc(n * sizeof *w);
                ck_assert_ptr_nonnull(w);
                memcpy(w, v, n * sizeof *w);
                lb__stats_select(w, n, k);
                ck_assert_msg(w[k] == sorted[k], "n %zu layout %d k %zu seed %llu", n, layout, k,
                              (unsigned long long)seed);
                for (size_t i = 0; i < k; i++) ck_assert(w[i] <= w[k]);
                for (size_t i = k + 1; i < n; i++) ck_assert(w[i] >= w[k]);
                free(w);
            }
            double q = 0.37;
            memcpy(v, sorted, n * sizeof *v);
            ck_assert(lb__stats_quantile_select(v, n, q) ==
                      lb__stats_quantile_sorted(sorted, n, q));
        }
    }
    free(v);
    free(sorted);
}
END_TEST

/* ---- Closed forms ------------------------------------------------------------------ */

START_TEST(test_constant)
{
    double x[10];
    for (int i = 0; i < 10; i++) x[i] = 7.25;
    lb_stats_summary s;
    ASSERT_OK(lb_stats_summarize(x, NULL, 10, 1000, 1, 0.95, &s));
    ck_assert(s.mean == 7.25 && s.median == 7.25 && s.min == 7.25 && s.max == 7.25);
    ck_assert(s.std_dev == 0 && s.mad == 0);
    ck_assert(s.p5 == 7.25 && s.p95 == 7.25);
    ck_assert(s.mean_ci_low == 7.25 && s.mean_ci_high == 7.25);
    ck_assert(s.median_ci_low == 7.25 && s.median_ci_high == 7.25);
    ck_assert_uint_eq(s.outliers.mild + s.outliers.severe, 0);
    ck_assert(isnan(s.slope));
    ck_assert_uint_eq(s.iterations, 0);
    double u, p;
    ASSERT_OK(lb_stats_mann_whitney(x, 10, x, 4, &u, &p));
    ck_assert(u == 20 && p == 1);
}
END_TEST

START_TEST(test_one_to_n)
{
    /* x = 1..n: mean = median = (n+1)/2, var = n(n+1)/12, percentile p at
     * 1 + (n-1) p/100. The deviations from the median are 0,1,1,...,50,50
     * (n = 101, middle one 25) and 0.5,0.5,...,49.5,49.5 (n = 100, middle
     * pair 24.5 and 25.5), so MAD = 1.4826 * 25 both times. */
    static const size_t sizes[] = {100, 101};
    static const double mad_dev[] = {25, 25};
    double x[101];
    for (size_t t = 0; t < 2; t++) {
        size_t n = sizes[t];
        for (size_t i = 0; i < n; i++) x[n - 1 - i] = (double)(i + 1); /* descending input */
        double dn = (double)n, v;
        ASSERT_OK(lb_stats_mean(x, n, &v));
        ASSERT_REL(v, (dn + 1) / 2, TOL, "mean");
        ASSERT_OK(lb_stats_median(x, n, &v));
        ASSERT_REL(v, (dn + 1) / 2, TOL, "median");
        ASSERT_OK(lb_stats_std_dev(x, n, &v));
        ASSERT_REL(v, sqrt(dn * (dn + 1) / 12), TOL, "std");
        ASSERT_OK(lb_stats_mad(x, n, &v));
        ASSERT_REL(v, 1.4826 * mad_dev[t], TOL, "mad");
        static const double ps[] = {0, 5, 25, 50, 75, 95, 100};
        for (size_t k = 0; k < NELEM(ps); k++) {
            ASSERT_OK(lb_stats_percentile(x, n, ps[k], &v));
            ASSERT_REL(v, 1 + (dn - 1) * ps[k] / 100, TOL, "percentile");
        }
        double lo, hi;
        ASSERT_OK(lb_stats_min_max(x, n, &lo, &hi));
        ck_assert(lo == 1 && hi == dn);
        lb_stats_tukey t4;
        ASSERT_OK(lb_stats_tukey_fences(x, n, &t4));
        ASSERT_REL(t4.iqr, (dn - 1) / 2, TOL, "iqr");
        ck_assert_uint_eq(t4.mild + t4.severe, 0);
    }
}
END_TEST

START_TEST(test_symmetric)
{
    /* Symmetric around c: mean = median = c, percentiles mirror, Tukey counts
     * mirror, and a sample against its mirror image has U = na nb / 2, p = 1. */
    const double c = 250.0;
    double x[41], m[41];
    size_t n = 0;
    for (int i = -20; i <= 20; i++) {
        double d = (double)(i * i * i) / 400.0; /* heavy tails make outliers */
        x[n] = c + d;
        m[n] = c - d;
        n++;
    }
    lb_stats_summary s;
    ASSERT_OK(lb_stats_summarize(x, NULL, n, 2000, 5, 0.95, &s));
    ASSERT_REL(s.mean, c, TOL, "mean");
    ck_assert(s.median == c);
    ASSERT_REL(c - s.p5, s.p95 - c, TOL, "p5/p95 mirror");
    ASSERT_REL(c - s.outliers.q1, s.outliers.q3 - c, TOL, "quartiles mirror");
    ck_assert_uint_eq(s.outliers.n_low_mild, s.outliers.n_high_mild);
    ck_assert_uint_eq(s.outliers.n_low_severe, s.outliers.n_high_severe);
    ck_assert_uint_gt(s.outliers.mild + s.outliers.severe, 0);
    double u, p;
    ASSERT_OK(lb_stats_mann_whitney(x, n, m, n, &u, &p));
    ck_assert(u == (double)(n * n) / 2);
    ck_assert(p == 1);
}
END_TEST

START_TEST(test_known_mad)
{
    /* median 2, |x - 2| = {1,1,0,0,2,4,7}, whose median is 1. */
    static const double x[] = {1, 1, 2, 2, 4, 6, 9};
    double v;
    ASSERT_OK(lb_stats_mad(x, 7, &v));
    ck_assert(v == 1.4826);
    /* Even n: median 3.5, deviations {96.5,2.5,1.5,0.5,0.5,6.5}, median 2. */
    static const double y[] = {100, 1, 2, 3, 4, 10};
    ASSERT_OK(lb_stats_mad(y, 6, &v));
    ASSERT_REL(v, 2 * 1.4826, TOL, "mad even");
}
END_TEST

START_TEST(test_known_slope)
{
    /* Exactly linear totals: every sample takes 12.5 ns per iteration. */
    double t[50];
    uint64_t it[50];
    for (int i = 0; i < 50; i++) {
        it[i] = (uint64_t)(3 * (i + 1));
        t[i] = 12.5;
    }
    double v;
    ASSERT_OK(lb_stats_slope(t, it, 50, &v));
    ck_assert(v == 12.5);
    /* Totals 3 and 4 ns at 1 and 2 iterations: (1*3 + 2*4) / (1*1 + 2*2). */
    static const double npi[] = {3, 2};
    static const uint64_t its[] = {1, 2};
    ASSERT_OK(lb_stats_slope(npi, its, 2, &v));
    ASSERT_REL(v, 11.0 / 5.0, TOL, "slope 2 points");
    /* A fixed overhead per sample pulls the origin-constrained slope above
     * the per-iteration cost but below the per-sample mean. */
    for (int i = 0; i < 50; i++) t[i] = 12.5 + 100.0 / (double)it[i];
    ASSERT_OK(lb_stats_slope(t, it, 50, &v));
    double mean;
    ASSERT_OK(lb_stats_mean(t, 50, &mean));
    ck_assert(v > 12.5 && v < mean);
}
END_TEST

START_TEST(test_fence_edges)
{
    /* Quartiles 4 and 6, fences -2, 1, 9, 12: values on a fence stay inside. */
    double x[47];
    size_t n = 0;
    x[n++] = -2.5, x[n++] = -2.0, x[n++] = 0.99, x[n++] = 1.0;
    for (int i = 0; i < 20; i++) x[n++] = 4.0;
    for (int i = 0; i < 20; i++) x[n++] = 6.0;
    x[n++] = 9.0, x[n++] = 12.0, x[n++] = 12.5;
    lb_stats_tukey t;
    ASSERT_OK(lb_stats_tukey_fences(x, n, &t));
    ck_assert(t.q1 == 4 && t.q3 == 6 && t.iqr == 2);
    ck_assert(t.low_severe == -2 && t.low_mild == 1 && t.high_mild == 9 && t.high_severe == 12);
    ck_assert_uint_eq(t.n_low_severe, 1);
    ck_assert_uint_eq(t.n_low_mild, 2);
    ck_assert_uint_eq(t.n_high_mild, 1);
    ck_assert_uint_eq(t.n_high_severe, 1);
    ck_assert_uint_eq(t.mild, 3);
    ck_assert_uint_eq(t.severe, 2);
}
END_TEST

/* ---- numpy / scipy vectors ------------------------------------------------------------ */

START_TEST(test_vectors_estimators)
{
    const sv_estimates *c = &sv_estimate_cases[_i];
    size_t n = c->n;
    double v, lo, hi;
    char what[96];
#define NAMED(field) (snprintf(what, sizeof what, "%s %s", c->name, field), what)
    ASSERT_OK(lb_stats_mean(c->x, n, &v));
    ASSERT_REL(v, c->mean, TOL, NAMED("mean"));
    ASSERT_OK(lb_stats_median(c->x, n, &v));
    ASSERT_REL(v, c->median, TOL, NAMED("median"));
    ASSERT_OK(lb_stats_std_dev(c->x, n, &v));
    ASSERT_REL(v, c->std_dev, 1e-10, NAMED("std"));
    ASSERT_OK(lb_stats_mad(c->x, n, &v));
    ASSERT_REL(v, c->mad, TOL, NAMED("mad"));
    ASSERT_OK(lb_stats_min_max(c->x, n, &lo, &hi));
    ck_assert(lo == c->min && hi == c->max);
    ASSERT_OK(lb_stats_percentile(c->x, n, 5, &v));
    ASSERT_REL(v, c->p5, TOL, NAMED("p5"));
    ASSERT_OK(lb_stats_percentile(c->x, n, 25, &v));
    ASSERT_REL(v, c->q1, TOL, NAMED("p25"));
    ASSERT_OK(lb_stats_percentile(c->x, n, 75, &v));
    ASSERT_REL(v, c->q3, TOL, NAMED("p75"));
    ASSERT_OK(lb_stats_percentile(c->x, n, 95, &v));
    ASSERT_REL(v, c->p95, TOL, NAMED("p95"));
    ASSERT_OK(lb_stats_slope(c->x, c->iterations, n, &v));
    ASSERT_REL(v, c->slope, TOL, NAMED("slope"));
    lb_stats_tukey t;
    ASSERT_OK(lb_stats_tukey_fences(c->x, n, &t));
    ASSERT_REL(t.q1, c->q1, TOL, NAMED("q1"));
    ASSERT_REL(t.q3, c->q3, TOL, NAMED("q3"));
    ck_assert_msg(t.n_low_severe == c->low_severe && t.n_low_mild == c->low_mild &&
                      t.n_high_mild == c->high_mild && t.n_high_severe == c->high_severe,
                  "%s tukey: got %zu %zu %zu %zu, want %zu %zu %zu %zu", c->name, t.n_low_severe,
                  t.n_low_mild, t.n_high_mild, t.n_high_severe, c->low_severe, c->low_mild,
                  c->high_mild, c->high_severe);

    /* The summary gives the same numbers from one call. */
    lb_stats_summary s;
    ASSERT_OK(lb_stats_summarize(c->x, c->iterations, n, 0, 0, 0, &s));
    ck_assert_uint_eq(s.n, n);
    ASSERT_REL(s.mean, c->mean, TOL, NAMED("summary mean"));
    ASSERT_REL(s.median, c->median, TOL, NAMED("summary median"));
    ASSERT_REL(s.std_dev, c->std_dev, 1e-10, NAMED("summary std"));
    ASSERT_REL(s.mad, c->mad, TOL, NAMED("summary mad"));
    ck_assert(s.min == c->min && s.max == c->max);
    ASSERT_REL(s.p5, c->p5, TOL, NAMED("summary p5"));
    ASSERT_REL(s.p95, c->p95, TOL, NAMED("summary p95"));
    ASSERT_REL(s.slope, c->slope, TOL, NAMED("summary slope"));
    ck_assert_uint_eq(s.outliers.mild, c->low_mild + c->high_mild);
    ck_assert_uint_eq(s.outliers.severe, c->low_severe + c->high_severe);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) total += c->iterations[i];
    ck_assert_uint_eq(s.iterations, total);
    ck_assert(isnan(s.mean_ci_low) && isnan(s.median_ci_high));
#undef NAMED
}
END_TEST

START_TEST(test_vectors_mann_whitney)
{
    const sv_mann_whitney *c = &sv_mann_whitney_cases[_i];
    double u, p;
    ASSERT_OK(lb_stats_mann_whitney(c->a, c->na, c->b, c->nb, &u, &p));
    ck_assert_msg(u == c->u, "%s: U %.17g, want %.17g", c->name, u, c->u);
    ck_assert_msg(fabs(p - c->p) <= 1e-10 * c->p + 1e-300, "%s: p %.17g, want %.17g", c->name, p,
                  c->p);
    /* Swapping the samples mirrors U and keeps the two-sided p. */
    double u2, p2;
    ASSERT_OK(lb_stats_mann_whitney(c->b, c->nb, c->a, c->na, &u2, &p2));
    ck_assert(u2 == (double)c->na * (double)c->nb - u);
    ASSERT_REL(p2, p, 1e-14, c->name);
}
END_TEST

/* ---- Bootstrap -------------------------------------------------------------------------- */

START_TEST(test_bootstrap_model)
{
    /* The Python model draws the same indices: intervals agree to rounding. */
    const sv_bootstrap_model *c = &sv_bootstrap_model_cases[_i];
    double lo, hi;
    ASSERT_OK(lb_stats_bootstrap(c->x, c->n, LB_STATS_MEAN, c->resamples, c->seed, c->confidence,
                                 &lo, &hi));
    ASSERT_REL(lo, c->mean_lo, TOL, c->name);
    ASSERT_REL(hi, c->mean_hi, TOL, c->name);
    ASSERT_OK(lb_stats_bootstrap(c->x, c->n, LB_STATS_MEDIAN, c->resamples, c->seed,
                                 c->confidence, &lo, &hi));
    ASSERT_REL(lo, c->median_lo, TOL, c->name);
    ASSERT_REL(hi, c->median_hi, TOL, c->name);
    /* The summary shares one resampling pass between mean and median. */
    lb_stats_summary s;
    ASSERT_OK(lb_stats_summarize(c->x, NULL, c->n, c->resamples, c->seed, c->confidence, &s));
    ASSERT_REL(s.mean_ci_low, c->mean_lo, TOL, c->name);
    ASSERT_REL(s.mean_ci_high, c->mean_hi, TOL, c->name);
    ASSERT_REL(s.median_ci_low, c->median_lo, TOL, c->name);
    ASSERT_REL(s.median_ci_high, c->median_hi, TOL, c->name);
    ck_assert_uint_eq(s.resamples, c->resamples);
    ck_assert_uint_eq(s.seed, c->seed);
}
END_TEST

START_TEST(test_bootstrap_diff_model)
{
    const sv_bootstrap_diff *c = &sv_bootstrap_diff_model;
    double lo, hi;
    ASSERT_OK(lb_stats_bootstrap_diff(c->a, c->na, c->b, c->nb, c->resamples, c->seed,
                                      c->confidence, &lo, &hi));
    ASSERT_REL(lo, c->lo, TOL, "diff lo");
    ASSERT_REL(hi, c->hi, TOL, "diff hi");
}
END_TEST

START_TEST(test_bootstrap_deterministic)
{
    const sv_estimates *c = &sv_estimate_cases[0];
    double lo1, hi1, lo2, hi2, lo3, hi3;
    for (int stat = LB_STATS_MEAN; stat <= LB_STATS_MEDIAN; stat++) {
        ASSERT_OK(lb_stats_bootstrap(c->x, c->n, (lb_stats_statistic)stat, 5000, 77, 0.95, &lo1,
                                     &hi1));
        ASSERT_OK(lb_stats_bootstrap(c->x, c->n, (lb_stats_statistic)stat, 5000, 77, 0.95, &lo2,
                                     &hi2));
        ck_assert(lo1 == lo2 && hi1 == hi2);
        /* The order of the samples does not matter: resampling indexes the sorted copy. */
        double rev[100];
        for (size_t i = 0; i < c->n; i++) rev[i] = c->x[c->n - 1 - i];
        ASSERT_OK(lb_stats_bootstrap(rev, c->n, (lb_stats_statistic)stat, 5000, 77, 0.95, &lo2,
                                     &hi2));
        ck_assert(lo1 == lo2 && hi1 == hi2);
        /* Another seed gives another (close) interval. */
        ASSERT_OK(lb_stats_bootstrap(c->x, c->n, (lb_stats_statistic)stat, 5000, 78, 0.95, &lo3,
                                     &hi3));
        ck_assert(lo1 != lo3 || hi1 != hi3);
    }
    ASSERT_OK(lb_stats_bootstrap_diff(c->x, 60, c->x + 40, 60, 3000, 5, 0.9, &lo1, &hi1));
    ASSERT_OK(lb_stats_bootstrap_diff(c->x, 60, c->x + 40, 60, 3000, 5, 0.9, &lo2, &hi2));
    ck_assert(lo1 == lo2 && hi1 == hi2);
}
END_TEST

START_TEST(test_bootstrap_coverage_sanity)
{
    /* The interval holds the point estimate, grows with the confidence level,
     * and shrinks about as 1/sqrt(n): 100x the samples, about 1/10 the width. */
    for (size_t i = 0; i < NELEM(sv_estimate_cases); i++) {
        const sv_estimates *c = &sv_estimate_cases[i];
        lb_stats_summary s95, s99;
        ASSERT_OK(lb_stats_summarize(c->x, NULL, c->n, 4000, 3, 0.95, &s95));
        ASSERT_OK(lb_stats_summarize(c->x, NULL, c->n, 4000, 3, 0.99, &s99));
        ck_assert_msg(s95.mean_ci_low <= s95.mean && s95.mean <= s95.mean_ci_high, "%s", c->name);
        ck_assert_msg(s95.median_ci_low <= s95.median && s95.median <= s95.median_ci_high, "%s",
                      c->name);
        ck_assert(s99.mean_ci_low <= s95.mean_ci_low && s95.mean_ci_high <= s99.mean_ci_high);
        ck_assert(s99.median_ci_low <= s95.median_ci_low &&
                  s95.median_ci_high <= s99.median_ci_high);
    }
    static double big[2500];
    const uint64_t seed = 0x5eed;
    fill_normal(seed, 1000.0, 20.0, big, 2500);
    double w[2];
    for (int stat = LB_STATS_MEAN; stat <= LB_STATS_MEDIAN; stat++) {
        for (int k = 0; k < 2; k++) {
            double lo, hi;
            ASSERT_OK(lb_stats_bootstrap(big, k ? 2500 : 25, (lb_stats_statistic)stat, 5000, 9,
                                         0.95, &lo, &hi));
            w[k] = hi - lo;
        }
        /* The median of 25 values moves in steps between order statistics,
         * so its width ratio is rougher than the mean's. */
        double ratio = w[0] / w[1], lo_ok = stat == LB_STATS_MEAN ? 7 : 3;
        ck_assert_msg(ratio > lo_ok && ratio < 20, "stat %d width ratio %.2f (data seed %llu)",
                      stat, ratio, (unsigned long long)seed);
    }
    /* For the mean, width is close to 2 * 1.96 sigma / sqrt(n) (sigma = 20). */
    double lo, hi;
    ASSERT_OK(lb_stats_bootstrap(big, 2500, LB_STATS_MEAN, 20000, 9, 0.95, &lo, &hi));
    ck_assert_msg(fabs((hi - lo) / (2 * 1.96 * 20 / 50) - 1) < 0.1, "width %.4f", hi - lo);
}
END_TEST

/* Two correct resamplers disagree on the median interval by up to a step
 * between neighbouring order statistics: the bootstrap median only takes
 * (averages of) sample values. */
static double max_middle_gap(const double *x, size_t n)
{
    double *s = malloc(n * sizeof *s);
    ck_assert_ptr_nonnull(s);
    memcpy(s, x, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    double gap = 0;
    for (size_t i = (size_t)(0.3 * (double)n); i + 1 < n && i < (size_t)(0.7 * (double)n); i++)
        gap = fmax(gap, s[i + 1] - s[i]);
    free(s);
    return gap;
}

START_TEST(test_bootstrap_vs_scipy)
{
    const sv_bootstrap_scipy *c = &sv_bootstrap_scipy_cases[_i];
    lb_stats_summary s;
    ASSERT_OK(lb_stats_summarize(c->x, NULL, c->n, SV_SCIPY_RESAMPLES, LB_STATS_DEFAULT_SEED,
                                 0.95, &s));
    /* Monte Carlo error of a 2.5% quantile from 1e5 resamples is ~0.2% of the
     * width; 3% is far outside it but catches a wrong percentile or level. */
    double wm = c->mean_hi - c->mean_lo;
    ck_assert_msg(fabs(s.mean_ci_low - c->mean_lo) <= 0.03 * wm &&
                      fabs(s.mean_ci_high - c->mean_hi) <= 0.03 * wm,
                  "%s mean CI [%.10g, %.10g], scipy [%.10g, %.10g]", c->name, s.mean_ci_low,
                  s.mean_ci_high, c->mean_lo, c->mean_hi);
    double wd = c->median_hi - c->median_lo, tol = 0.05 * wd + max_middle_gap(c->x, c->n);
    ck_assert_msg(fabs(s.median_ci_low - c->median_lo) <= tol &&
                      fabs(s.median_ci_high - c->median_hi) <= tol,
                  "%s median CI [%.10g, %.10g], scipy [%.10g, %.10g], tol %.3g", c->name,
                  s.median_ci_low, s.median_ci_high, c->median_lo, c->median_hi, tol);
}
END_TEST

START_TEST(test_bootstrap_diff_vs_scipy)
{
    const sv_bootstrap_diff *c = &sv_bootstrap_diff_scipy_cases[_i];
    double lo, hi;
    ASSERT_OK(lb_stats_bootstrap_diff(c->a, c->na, c->b, c->nb, c->resamples, c->seed,
                                      c->confidence, &lo, &hi));
    double w = c->hi - c->lo;
    ck_assert_msg(fabs(lo - c->lo) <= 0.03 * w && fabs(hi - c->hi) <= 0.03 * w,
                  "%s diff CI [%.10g, %.10g], scipy [%.10g, %.10g]", c->name, lo, hi, c->lo, c->hi);
}
END_TEST

START_TEST(test_bootstrap_diff_direction)
{
    /* b = a * 1.25 with a tight spread: the change is +25% and the interval is
     * narrow around it; swapping gives -20%. */
    double a[200], b[200];
    fill_normal(31, 1000.0, 1.0, a, 200);
    for (int i = 0; i < 200; i++) b[i] = a[i] * 1.25;
    double lo, hi;
    ASSERT_OK(lb_stats_bootstrap_diff(a, 200, b, 200, 5000, 1, 0.95, &lo, &hi));
    ck_assert_msg(lo < 25 && hi > 25 && hi - lo < 0.1, "[%g, %g]", lo, hi);
    ASSERT_OK(lb_stats_bootstrap_diff(b, 200, a, 200, 5000, 1, 0.95, &lo, &hi));
    ck_assert_msg(lo < -20 && hi > -20 && hi - lo < 0.1, "[%g, %g]", lo, hi);
}
END_TEST

/* ---- Paired A/B statistics ------------------------------------------------------------- */

static const lb_stats_alternative ALTS[3] = {LB_STATS_TWO_SIDED, LB_STATS_GREATER,
                                             LB_STATS_LESS};

START_TEST(test_norm_ppf)
{
    for (size_t i = 0; i < NELEM(sv_ppf_p); i++) {
        double z = lb__stats_norm_ppf(sv_ppf_p[i]);
        ck_assert_msg(fabs(z - sv_ppf_z[i]) <= 4e-15 * fmax(1, fabs(sv_ppf_z[i])),
                      "ppf(%.17g) = %.17g, ndtri %.17g", sv_ppf_p[i], z, sv_ppf_z[i]);
        if (sv_ppf_p[i] <= 0.5) {
            /* dp/p = |z| dz in the tail: an ulp of z at z = -37 is 1e-13 of p. */
            double p = lb__stats_norm_cdf(z);
            ck_assert_msg(fabs(p - sv_ppf_p[i]) <= 4e-15 * (1 + z * z) * sv_ppf_p[i],
                          "cdf(ppf(%.17g)) = %.17g", sv_ppf_p[i], p);
        }
    }
    ck_assert(lb__stats_norm_ppf(0.5) == 0);
    ck_assert(isinf(lb__stats_norm_ppf(0)) && lb__stats_norm_ppf(0) < 0);
    ck_assert(isnan(lb__stats_norm_ppf(NAN)));
    ck_assert(lb__stats_norm_sf(1.5) == lb__stats_norm_cdf(-1.5));
}
END_TEST

START_TEST(test_signrank_counts)
{
    double c[LB__SIGNRANK_MAX_SIZE];
    /* n = 3: subsets of {1, 2, 3} by their sum 0..6. */
    static const double c3[7] = {1, 1, 1, 2, 1, 1, 1};
    lb__stats_signrank_counts(3, c);
    for (int w = 0; w < 7; w++) ck_assert(c[w] == c3[w]);
    for (size_t n = 0; n <= LB_STATS_EXACT_MAX_N; n++) {
        lb__stats_signrank_counts(n, c);
        size_t top = n * (n + 1) / 2;
        double total = 0;
        for (size_t w = 0; w <= top; w++) {
            ck_assert(c[w] == c[top - w]); /* symmetric about n(n+1)/4 */
            total += c[w];
        }
        ck_assert(total == ldexp(1.0, (int)n));
    }
    /* Textbook two-sided 5% critical values (Hollander & Wolfe): the largest T
     * with P(W <= T) <= 0.025. */
    static const size_t tn[4] = {10, 20, 30, 50}, tt[4] = {8, 52, 137, 434};
    for (int t = 0; t < 4; t++) {
        lb__stats_signrank_counts(tn[t], c);
        double cum = 0;
        for (size_t w = 0; w <= tt[t]; w++) cum += c[w];
        ck_assert(cum * 40 <= ldexp(1.0, (int)tn[t]));
        ck_assert((cum + c[tt[t] + 1]) * 40 > ldexp(1.0, (int)tn[t]));
    }
}
END_TEST

START_TEST(test_vectors_wilcoxon)
{
    const sv_wilcoxon *c = &sv_wilcoxon_cases[_i];
    char what[96];
    lb_stats_wilcoxon_result r;
    for (int a = 0; a < 3; a++) {
        ASSERT_OK(lb_stats_wilcoxon(c->x, c->n, ALTS[a], LB_STATS_AUTO, &r));
        ck_assert_msg(r.w_plus == c->w_plus, "%s W+ %.17g, want %.17g", c->name, r.w_plus,
                      c->w_plus);
        ck_assert_uint_eq(r.n_used, c->n_used);
        ck_assert_int_eq(r.exact, c->exact);
        snprintf(what, sizeof what, "%s auto p alt %d", c->name, a);
        if (c->exact) /* tail counts over 2^n on both sides: exactly equal */
            ck_assert_msg(r.p == c->p_auto[a], "%s: %.17g, want %.17g", what, r.p, c->p_auto[a]);
        else
            ASSERT_REL(r.p, c->p_auto[a], 1e-12, what);

        ASSERT_OK(lb_stats_wilcoxon(c->x, c->n, ALTS[a], LB_STATS_APPROX, &r));
        ck_assert(r.w_plus == c->w_plus && r.exact == 0);
        snprintf(what, sizeof what, "%s approx p alt %d", c->name, a);
        ASSERT_REL(r.p, c->p_approx[a], 1e-12, what);

        int rc = lb_stats_wilcoxon(c->x, c->n, ALTS[a], LB_STATS_EXACT, &r);
        if (c->exact) {
            ck_assert_int_eq(rc, LB_OK);
            ck_assert(r.exact == 1 && r.p == c->p_auto[a]);
        } else {
            ck_assert_int_eq(rc, c->n > LB_STATS_EXACT_MAX_N ? LB_EUSAGE : LB_EDATA);
        }
    }
    /* -x mirrors W+ and swaps the one-sided alternatives. */
    double *neg = malloc(c->n * sizeof *neg);
    ck_assert_ptr_nonnull(neg);
    for (size_t i = 0; i < c->n; i++) neg[i] = -c->x[c->n - 1 - i];
    double nu = (double)c->n_used;
    ASSERT_OK(lb_stats_wilcoxon(neg, c->n, LB_STATS_LESS, LB_STATS_AUTO, &r));
    ck_assert(r.w_plus == nu * (nu + 1) / 2 - c->w_plus);
    ASSERT_REL(r.p, c->p_auto[1], 1e-14, c->name);
    ASSERT_OK(lb_stats_wilcoxon(neg, c->n, LB_STATS_TWO_SIDED, LB_STATS_AUTO, &r));
    ASSERT_REL(r.p, c->p_auto[0], 1e-14, c->name);
    free(neg);
}
END_TEST

START_TEST(test_wilcoxon_closed_form)
{
    /* All of n positive: W+ = n(n+1)/2, P(W >= W+) = 2^-n exactly. */
    double x[50];
    lb_stats_wilcoxon_result r;
    for (size_t n = 1; n <= 50; n++) {
        for (size_t i = 0; i < n; i++) x[i] = 0.001 * (double)(n - i); /* distinct */
        ASSERT_OK(lb_stats_wilcoxon(x, n, LB_STATS_GREATER, LB_STATS_AUTO, &r));
        ck_assert(r.exact == 1);
        ck_assert(r.w_plus == (double)(n * (n + 1) / 2));
        ck_assert_msg(r.p == ldexp(1.0, -(int)n), "n %zu p %.17g", n, r.p);
        ASSERT_OK(lb_stats_wilcoxon(x, n, LB_STATS_LESS, LB_STATS_AUTO, &r));
        ck_assert(r.p == 1);
        ASSERT_OK(lb_stats_wilcoxon(x, n, LB_STATS_TWO_SIDED, LB_STATS_AUTO, &r));
        ck_assert(r.p == fmin(1, ldexp(1.0, 1 - (int)n)));
    }
    /* Every round equal: no evidence, p = 1 (scipy raises). */
    const double zeros[4] = {0, -0.0, 0, 0};
    for (int a = 0; a < 3; a++) {
        ASSERT_OK(lb_stats_wilcoxon(zeros, 4, ALTS[a], LB_STATS_AUTO, &r));
        ck_assert(r.w_plus == 0 && r.p == 1 && r.n_used == 0 && r.exact == 0);
    }
    /* The order of the rounds does not matter. */
    const sv_wilcoxon *c = &sv_wilcoxon_cases[NELEM(sv_wilcoxon_cases) - 1];
    double *rev = malloc(c->n * sizeof *rev);
    ck_assert_ptr_nonnull(rev);
    for (size_t i = 0; i < c->n; i++) rev[i] = c->x[c->n - 1 - i];
    lb_stats_wilcoxon_result r2;
    ASSERT_OK(lb_stats_wilcoxon(c->x, c->n, LB_STATS_TWO_SIDED, LB_STATS_AUTO, &r));
    ASSERT_OK(lb_stats_wilcoxon(rev, c->n, LB_STATS_TWO_SIDED, LB_STATS_AUTO, &r2));
    ck_assert(r.w_plus == r2.w_plus && r.p == r2.p);
    free(rev);
}
END_TEST

START_TEST(test_vectors_hodges_lehmann)
{
    const sv_hodges_lehmann *c = &sv_hodges_lehmann_cases[_i];
    lb_stats_method m = c->exact ? LB_STATS_EXACT : LB_STATS_APPROX;
    lb_stats_alternative alt = (lb_stats_alternative)c->alternative;
    lb_stats_hl_result r;
    ASSERT_OK(lb_stats_hodges_lehmann(c->x, c->n, c->confidence, alt, m, &r));
    /* Order statistics of the same doubles: equal, not close. */
    ck_assert_msg(r.estimate == c->estimate && r.lo == c->lo && r.hi == c->hi,
                  "%s conf %g alt %d exact %d: [%.17g %.17g %.17g], want [%.17g %.17g %.17g]",
                  c->name, c->confidence, c->alternative, c->exact, r.lo, r.estimate, r.hi,
                  c->lo, c->estimate, c->hi);
    ck_assert_msg(r.k == c->k, "%s conf %g alt %d: k %llu, want %llu", c->name, c->confidence,
                  c->alternative, (unsigned long long)r.k, (unsigned long long)c->k);
    ck_assert_int_eq(r.exact, c->exact);
    ASSERT_REL(r.achieved, c->achieved, 1e-12, c->name);
    /* AUTO takes the exact path up to LB_STATS_EXACT_MAX_N, the normal one past it. */
    if (c->exact == (c->n <= LB_STATS_EXACT_MAX_N)) {
        lb_stats_hl_result a;
        ASSERT_OK(lb_stats_hodges_lehmann(c->x, c->n, c->confidence, alt, LB_STATS_AUTO, &a));
        ck_assert(a.estimate == r.estimate && a.lo == r.lo && a.hi == r.hi &&
                  a.achieved == r.achieved && a.k == r.k && a.exact == r.exact);
    }
}
END_TEST

/* Every Walsh average of x, sorted: the definition, O(n^2). */
static double *walsh_sorted(const double *x, size_t n, size_t *total)
{
    *total = n * (n + 1) / 2;
    double *w = malloc(*total * sizeof *w);
    ck_assert_ptr_nonnull(w);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i; j < n; j++) w[m++] = 0.5 * x[i] + 0.5 * x[j];
    qsort(w, m, sizeof *w, cmp_double);
    return w;
}

START_TEST(test_hl_brute_force)
{
    static const size_t sizes[] = {1, 2, 3, 4, 7, 16, 49, 50, 51, 120, 333};
    static const double levels[] = {0.5, 0.8, 0.95, 0.999};
    double x[333];
    for (size_t si = 0; si < NELEM(sizes); si++) {
        size_t n = sizes[si];
        /* layouts: continuous, coarse (many ties), signed zeros, all equal, huge */
        for (int layout = 0; layout < 5; layout++) {
            uint64_t seed = 7000 + 10 * si + (uint64_t)layout;
            fill_normal(seed, 0.002, 0.01, x, n);
            for (size_t i = 0; i < n; i++) {
                if (layout == 1) x[i] = round(x[i] * 300) / 300;
                if (layout == 2) x[i] = i % 3 ? x[i] : (i % 2 ? -0.0 : 0.0);
                if (layout == 3) x[i] = -0.125;
                if (layout == 4) x[i] *= 1e306; /* (a + b)/2 would overflow */
            }
            size_t total;
            double *w = walsh_sorted(x, n, &total);
            double med = total % 2 ? w[total / 2] : 0.5 * w[total / 2 - 1] + 0.5 * w[total / 2];
            for (size_t li = 0; li < NELEM(levels); li++)
                for (int a = 0; a < 3; a++)
                    for (int m = LB_STATS_AUTO; m <= LB_STATS_APPROX; m++) {
                        if (m == LB_STATS_EXACT && n > LB_STATS_EXACT_MAX_N) continue;
                        lb_stats_hl_result r;
                        ASSERT_OK(lb_stats_hodges_lehmann(x, n, levels[li], ALTS[a],
                                                          (lb_stats_method)m, &r));
                        ck_assert_msg(r.estimate == med, "n %zu seed %llu: %.17g, want %.17g", n,
                                      (unsigned long long)seed, r.estimate, med);
                        ck_assert(r.k >= 1 && r.k <= total);
                        if (ALTS[a] == LB_STATS_TWO_SIDED) ck_assert(r.k <= total + 1 - r.k);
                        double lo = ALTS[a] == LB_STATS_LESS ? -INFINITY : w[r.k - 1];
                        double hi = ALTS[a] == LB_STATS_GREATER ? INFINITY : w[total - r.k];
                        ck_assert_msg(r.lo == lo && r.hi == hi,
                                      "n %zu seed %llu conf %g alt %d method %d k %llu: "
                                      "[%.17g, %.17g], want [%.17g, %.17g]",
                                      n, (unsigned long long)seed, levels[li], a, m,
                                      (unsigned long long)r.k, r.lo, r.hi, lo, hi);
                        ck_assert(r.lo <= r.estimate && r.estimate <= r.hi);
                    }
            free(w);
        }
    }
}
END_TEST

START_TEST(test_hl_textbook)
{
    /* x = 1..10: the Walsh averages are (i + j)/2; by sum 2, 3, 4, 5, 6 there
     * are 1, 1, 2, 2, 3 of them, so w_(9) = 3 and, by symmetry, w_(47) = 8.
     * k = 9 is the textbook C_alpha = T + 1 for T = 8 (two-sided 5%), with
     * coverage 1 - 2 P(W <= 8) = 1 - 50/1024. */
    double x[50];
    for (int i = 0; i < 10; i++) x[i] = i + 1;
    lb_stats_hl_result r;
    ASSERT_OK(lb_stats_hodges_lehmann(x, 10, 0.95, LB_STATS_TWO_SIDED, LB_STATS_AUTO, &r));
    ck_assert(r.exact == 1 && r.k == 9 && r.lo == 3 && r.hi == 8 && r.estimate == 5.5);
    ck_assert(r.achieved == 1 - 50.0 / 1024);
    /* k = T + 1 for the other table entries. */
    static const size_t tn[3] = {20, 30, 50};
    static const uint64_t tk[3] = {53, 138, 435};
    for (int t = 0; t < 3; t++) {
        fill_normal(40 + (uint64_t)t, 0, 1, x, tn[t]);
        ASSERT_OK(lb_stats_hodges_lehmann(x, tn[t], 0.95, LB_STATS_TWO_SIDED, LB_STATS_AUTO, &r));
        ck_assert_uint_eq(r.k, tk[t]);
        ck_assert(r.achieved >= 0.95);
    }
    /* Too few rounds for the level: the widest interval, and it says so. */
    ASSERT_OK(lb_stats_hodges_lehmann(x, 5, 0.95, LB_STATS_TWO_SIDED, LB_STATS_AUTO, &r));
    ck_assert(r.k == 1 && r.achieved == 1 - 2.0 / 32);
    ASSERT_OK(lb_stats_hodges_lehmann(x, 1, 0.95, LB_STATS_GREATER, LB_STATS_AUTO, &r));
    ck_assert(r.k == 1 && r.lo == x[0] && r.estimate == x[0] && isinf(r.hi) && r.achieved == 0.5);
}
END_TEST

START_TEST(test_hl_wilcoxon_duality)
{
    /* Exact path, continuous data (no zero, tie or zero Walsh average):
     * W+ = #{Walsh averages > 0}, and the test rejects at alpha exactly when
     * the bound at 1 - alpha excludes 0, for every alternative. */
    const double alpha = 0.05;
    size_t rejected = 0, kept = 0;
    double x[50];
    for (uint64_t seed = 1; seed <= 300; seed++) {
        size_t n = 6 + (size_t)(seed % 45);
        fill_normal(seed, 0.3 * (double)(seed % 7) / (double)n, 1.0, x, n);
        size_t total;
        double *w = walsh_sorted(x, n, &total);
        double above = 0;
        for (size_t i = 0; i < total; i++) above += w[i] > 0;
        free(w);
        lb_stats_wilcoxon_result t;
        lb_stats_hl_result h;
        for (int a = 0; a < 3; a++) {
            ASSERT_OK(lb_stats_wilcoxon(x, n, ALTS[a], LB_STATS_AUTO, &t));
            ASSERT_OK(lb_stats_hodges_lehmann(x, n, 1 - alpha, ALTS[a], LB_STATS_AUTO, &h));
            ck_assert(t.exact && h.exact);
            ck_assert_msg(t.w_plus == above, "seed %llu", (unsigned long long)seed);
            int excludes = h.lo > 0 || h.hi < 0;
            ck_assert_msg((t.p < alpha) == excludes,
                          "seed %llu n %zu alt %d: p %.6g, bounds [%.6g, %.6g]",
                          (unsigned long long)seed, n, a, t.p, h.lo, h.hi);
            if (excludes) rejected++;
            else kept++;
        }
    }
    ck_assert(rejected > 50 && kept > 50); /* both sides exercised */
}
END_TEST

START_TEST(test_hl_large_n)
{
    /* n = 100,000: N ~ 5e9 Walsh averages (past 2^32), never stored. A sample
     * symmetric about 0 has exactly symmetric averages: estimate 0, lo = -hi. */
    const size_t half = 50000, n = 2 * half;
    double *x = malloc(n * sizeof *x);
    ck_assert_ptr_nonnull(x);
    fill_normal(99, 0, 0.01, x, half);
    for (size_t i = 0; i < half; i++) x[half + i] = -x[i];
    size_t cur = lb_alloc_current(), peak = lb_alloc_peak();
    lb_stats_hl_result r;
    ASSERT_OK(lb_stats_hodges_lehmann(x, n, 0.95, LB_STATS_TWO_SIDED, LB_STATS_AUTO, &r));
    ck_assert(r.exact == 0);
    ck_assert(r.estimate == 0 && r.lo == -r.hi && r.lo < 0);
    /* Scratch is one sorted copy, O(n) (an n^2 array would be 40 GB). */
    size_t bound = cur + n * sizeof(double) + 4096;
    ck_assert_msg(lb_alloc_peak() <= (peak > bound ? peak : bound), "peak %zu", lb_alloc_peak());
    /* A shift moves everything by the shift (to rounding). */
    for (size_t i = 0; i < n; i++) x[i] += 0.25;
    lb_stats_hl_result s;
    ASSERT_OK(lb_stats_hodges_lehmann(x, n, 0.95, LB_STATS_TWO_SIDED, LB_STATS_AUTO, &s));
    ck_assert(s.k == r.k);
    ASSERT_REL(s.estimate, 0.25, 1e-15, "shifted estimate");
    ASSERT_REL(s.lo, r.lo + 0.25, 1e-15, "shifted lo");
    ASSERT_REL(s.hi, r.hi + 0.25, 1e-15, "shifted hi");
    free(x);
}
END_TEST

START_TEST(test_ab_order)
{
    unsigned char o[257];
    /* ABBA: AB, BA, AB, ... whatever the seed. */
    for (size_t n = 1; n <= 9; n++) {
        ASSERT_OK(lb_stats_ab_order(n, 12345, LB_STATS_ORDER_ABBA, o));
        for (size_t i = 0; i < n; i++)
            ck_assert_int_eq(o[i], i % 2 ? LB_STATS_ROUND_BA : LB_STATS_ROUND_AB);
    }
    /* RANDOM: the Python model of the same generator. */
    for (size_t c = 0; c < NELEM(sv_ab_order_random); c++) {
        const sv_ab_order *v = &sv_ab_order_random[c];
        ASSERT_OK(lb_stats_ab_order(v->n, v->seed, LB_STATS_ORDER_RANDOM, o));
        for (size_t i = 0; i < v->n; i++)
            ck_assert_msg(o[i] == (unsigned char)(v->order[i] - '0'), "n %zu seed %llu round %zu",
                          v->n, (unsigned long long)v->seed, i);
    }
    /* Balanced in both modes, deterministic, and seeds differ. */
    unsigned char again[257], prev[257];
    for (size_t n = 1; n <= 257; n++)
        for (uint64_t seed = 0; seed < 8; seed++)
            for (int mode = LB_STATS_ORDER_ABBA; mode <= LB_STATS_ORDER_RANDOM; mode++) {
                ASSERT_OK(lb_stats_ab_order(n, seed, (lb_stats_ab_mode)mode, o));
                ASSERT_OK(lb_stats_ab_order(n, seed, (lb_stats_ab_mode)mode, again));
                ck_assert(memcmp(o, again, n) == 0);
                size_t ba = 0;
                for (size_t i = 0; i < n; i++) {
                    ck_assert(o[i] == LB_STATS_ROUND_AB || o[i] == LB_STATS_ROUND_BA);
                    ba += o[i];
                }
                ck_assert_msg(ba == n / 2 || ba == (n + 1) / 2, "n %zu seed %llu mode %d: %zu BA",
                              n, (unsigned long long)seed, mode, ba);
                if (mode == LB_STATS_ORDER_RANDOM && n == 64) {
                    if (seed > 0) ck_assert_msg(memcmp(o, prev, n) != 0, "seed %llu",
                                                (unsigned long long)seed);
                    memcpy(prev, o, n);
                }
            }
}
END_TEST

START_TEST(test_ab_order_uniform)
{
    /* Over 20,000 seeds every balanced order of 8 rounds (C(8,4) = 70) turns
     * up about equally often, and of 7 rounds (C(7,3) + C(7,4) = 70) too, with
     * the extra round going to BA about half the time. */
    enum { SEEDS = 20000 };
    for (size_t n = 7; n <= 8; n++) {
        static size_t hits[256];
        memset(hits, 0, sizeof hits);
        size_t extra_ba = 0;
        for (uint64_t seed = 0; seed < SEEDS; seed++) {
            unsigned char o[8];
            ASSERT_OK(lb_stats_ab_order(n, seed, LB_STATS_ORDER_RANDOM, o));
            unsigned code = 0, ba = 0;
            for (size_t i = 0; i < n; i++) code |= (unsigned)o[i] << i, ba += o[i];
            hits[code]++;
            extra_ba += ba > n / 2;
        }
        double chi2 = 0, e = (double)SEEDS / 70;
        size_t cells = 0;
        for (unsigned code = 0; code < 256; code++) {
            unsigned ba = (unsigned)__builtin_popcount(code);
            if (code >> n) continue;
            if (ba != n / 2 && ba != (n + 1) / 2) {
                ck_assert_uint_eq(hits[code], 0);
                continue;
            }
            cells++;
            chi2 += ((double)hits[code] - e) * ((double)hits[code] - e) / e;
        }
        ck_assert_uint_eq(cells, 70);
        /* 69 dof: P(chi2 > 111.1) = 0.001; fixed seeds 0..19999. */
        ck_assert_msg(chi2 < 111.1, "n %zu chi2 %.1f", n, chi2);
        if (n == 7)
            ck_assert_msg(fabs((double)extra_ba / SEEDS - 0.5) < 0.015, "extra BA %zu", extra_ba);
    }
}
END_TEST

START_TEST(test_paired_errors)
{
    const double x[] = {0.01, -0.02, 0.03}, bad[] = {0.01, NAN, 0.02},
                 tied[] = {0.01, -0.01, 0.02}, zero[] = {0.01, 0.0, 0.02};
    double big[51];
    for (int i = 0; i < 51; i++) big[i] = 0.001 * (i + 1);
    lb_stats_wilcoxon_result w = {-99, -99, 99, 99};
    lb_stats_hl_result h;
    memset(&h, 0x5a, sizeof h);
    lb_stats_hl_result h0;
    memcpy(&h0, &h, sizeof h); /* every byte, padding included */

    ck_assert_int_eq(lb_stats_wilcoxon(NULL, 3, LB_STATS_TWO_SIDED, LB_STATS_AUTO, &w), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_wilcoxon(x, 0, LB_STATS_TWO_SIDED, LB_STATS_AUTO, &w), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_wilcoxon(x, 3, LB_STATS_TWO_SIDED, LB_STATS_AUTO, NULL), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_wilcoxon(x, 3, (lb_stats_alternative)3, LB_STATS_AUTO, &w),
                     LB_EUSAGE);
    ck_assert_int_eq(lb_stats_wilcoxon(x, 3, LB_STATS_LESS, (lb_stats_method)3, &w), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_wilcoxon(big, 51, LB_STATS_LESS, LB_STATS_EXACT, &w), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_wilcoxon(bad, 3, LB_STATS_LESS, LB_STATS_AUTO, &w), LB_EDATA);
    ck_assert_int_eq(lb_stats_wilcoxon(tied, 3, LB_STATS_LESS, LB_STATS_EXACT, &w), LB_EDATA);
    ck_assert_int_eq(lb_stats_wilcoxon(zero, 3, LB_STATS_LESS, LB_STATS_EXACT, &w), LB_EDATA);
    ck_assert(w.w_plus == -99 && w.p == -99 && w.n_used == 99); /* untouched */
    ASSERT_OK(lb_stats_wilcoxon(big, 50, LB_STATS_LESS, LB_STATS_EXACT, &w));
    ASSERT_OK(lb_stats_wilcoxon(tied, 3, LB_STATS_LESS, LB_STATS_AUTO, &w));
    ck_assert(w.exact == 0);

    ck_assert_int_eq(lb_stats_hodges_lehmann(NULL, 3, 0.95, LB_STATS_TWO_SIDED, LB_STATS_AUTO,
                                             &h), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_hodges_lehmann(x, 0, 0.95, LB_STATS_TWO_SIDED, LB_STATS_AUTO, &h),
                     LB_EUSAGE);
    ck_assert_int_eq(lb_stats_hodges_lehmann(x, 3, 0.95, LB_STATS_TWO_SIDED, LB_STATS_AUTO, NULL),
                     LB_EUSAGE);
    static const double confs[] = {0, 1, -0.5, 1.5, NAN, INFINITY};
    for (size_t i = 0; i < NELEM(confs); i++)
        ck_assert_int_eq(lb_stats_hodges_lehmann(x, 3, confs[i], LB_STATS_TWO_SIDED,
                                                 LB_STATS_AUTO, &h), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_hodges_lehmann(x, 3, 0.9, (lb_stats_alternative)-1, LB_STATS_AUTO,
                                             &h), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_hodges_lehmann(x, 3, 0.9, LB_STATS_LESS, (lb_stats_method)9, &h),
                     LB_EUSAGE);
    ck_assert_int_eq(lb_stats_hodges_lehmann(big, 51, 0.9, LB_STATS_LESS, LB_STATS_EXACT, &h),
                     LB_EUSAGE);
#if SIZE_MAX > UINT32_MAX
    /* Checked before x is read. */
    ck_assert_int_eq(lb_stats_hodges_lehmann(x, (size_t)UINT32_MAX + 1, 0.9, LB_STATS_LESS,
                                             LB_STATS_AUTO, &h), LB_EUSAGE);
#endif
    ck_assert_int_eq(lb_stats_hodges_lehmann(bad, 3, 0.9, LB_STATS_LESS, LB_STATS_AUTO, &h),
                     LB_EDATA);
    ck_assert(memcmp(&h, &h0, sizeof h) == 0); /* untouched */
    /* Ties and zeros are fine for the bounds, exact included. */
    ASSERT_OK(lb_stats_hodges_lehmann(tied, 3, 0.9, LB_STATS_TWO_SIDED, LB_STATS_EXACT, &h));
    ASSERT_OK(lb_stats_hodges_lehmann(zero, 3, 0.9, LB_STATS_TWO_SIDED, LB_STATS_EXACT, &h));

    unsigned char o[4] = {7, 7, 7, 7};
    ck_assert_int_eq(lb_stats_ab_order(4, 1, LB_STATS_ORDER_RANDOM, NULL), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_ab_order(0, 1, LB_STATS_ORDER_RANDOM, o), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_ab_order(4, 1, (lb_stats_ab_mode)2, o), LB_EUSAGE);
#if SIZE_MAX > UINT32_MAX
    ck_assert_int_eq(lb_stats_ab_order((size_t)UINT32_MAX + 1, 1, LB_STATS_ORDER_RANDOM, o),
                     LB_EUSAGE);
#endif
    ck_assert(o[0] == 7 && o[3] == 7);
}
END_TEST

/* ---- Errors and memory ---------------------------------------------------------------------- */

START_TEST(test_errors)
{
    static const double x[] = {1, 2, 3};
    static const uint64_t it[] = {1, 2, 3}, it0[] = {1, 0, 3};
    const double bad[] = {1, NAN, 3}, inf[] = {1, 2, INFINITY}, neg[] = {1, -2, 3};
    double v = -99, lo = -99, hi = -99, u = -99;
    lb_stats_summary s;
    lb_stats_tukey t;

    ck_assert_int_eq(lb_stats_mean(NULL, 3, &v), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_mean(x, 0, &v), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_mean(x, 3, NULL), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_mean(bad, 3, &v), LB_EDATA);
    ck_assert_int_eq(lb_stats_std_dev(inf, 3, &v), LB_EDATA);
    ck_assert_int_eq(lb_stats_median(x, 0, &v), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_median(bad, 3, &v), LB_EDATA);
    ck_assert_int_eq(lb_stats_mad(NULL, 3, &v), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_min_max(x, 3, &v, NULL), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_percentile(x, 3, -0.1, &v), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_percentile(x, 3, 100.1, &v), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_percentile(x, 3, NAN, &v), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_slope(x, NULL, 3, &v), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_slope(x, it0, 3, &v), LB_EDATA);
    ck_assert_int_eq(lb_stats_tukey_fences(x, 0, &t), LB_EUSAGE);
    ck_assert(v == -99); /* untouched on error */

    ck_assert_int_eq(lb_stats_bootstrap(x, 3, LB_STATS_MEAN, 0, 1, 0.95, &lo, &hi), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_bootstrap(x, 3, LB_STATS_MEAN, 10, 1, 1.0, &lo, &hi), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_bootstrap(x, 3, LB_STATS_MEAN, 10, 1, 0.0, &lo, &hi), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_bootstrap(x, 3, LB_STATS_MEAN, 10, 1, NAN, &lo, &hi), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_bootstrap(x, 3, (lb_stats_statistic)7, 10, 1, 0.9, &lo, &hi),
                     LB_EUSAGE);
    ck_assert_int_eq(lb_stats_bootstrap(x, 0, LB_STATS_MEAN, 10, 1, 0.9, &lo, &hi), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_bootstrap(x, 3, LB_STATS_MEAN, 10, 1, 0.9, NULL, &hi), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_bootstrap(bad, 3, LB_STATS_MEDIAN, 10, 1, 0.9, &lo, &hi), LB_EDATA);
    ck_assert_int_eq(lb_stats_bootstrap_diff(x, 3, x, 0, 10, 1, 0.9, &lo, &hi), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_bootstrap_diff(x, 3, x, 3, 0, 1, 0.9, &lo, &hi), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_bootstrap_diff(neg, 3, x, 3, 10, 1, 0.9, &lo, &hi), LB_EDATA);
    ck_assert_int_eq(lb_stats_bootstrap_diff(x, 3, inf, 3, 10, 1, 0.9, &lo, &hi), LB_EDATA);
    ck_assert(lo == -99 && hi == -99);
    /* Negative values are fine in b (and anywhere a mean of a is not divided by). */
    ASSERT_OK(lb_stats_bootstrap_diff(x, 3, neg, 3, 10, 1, 0.9, &lo, &hi));

    ck_assert_int_eq(lb_stats_mann_whitney(x, 0, x, 3, &u, &v), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_mann_whitney(x, 3, x, 3, NULL, &v), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_mann_whitney(x, 3, bad, 3, &u, &v), LB_EDATA);

    ck_assert_int_eq(lb_stats_summarize(NULL, it, 3, 10, 1, 0.95, &s), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_summarize(x, it, 0, 10, 1, 0.95, &s), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_summarize(x, it, 3, 10, 1, 1.5, &s), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_summarize(x, it, 3, 10, 1, 0.95, NULL), LB_EUSAGE);
    ck_assert_int_eq(lb_stats_summarize(bad, it, 3, 10, 1, 0.95, &s), LB_EDATA);
    ck_assert_int_eq(lb_stats_summarize(x, it0, 3, 10, 1, 0.95, &s), LB_EDATA);
    /* No resampling: the confidence level is not looked at. */
    ASSERT_OK(lb_stats_summarize(x, it, 3, 0, 1, 7.0, &s));
    ck_assert(isnan(s.mean_ci_low) && isnan(s.median_ci_low));

    /* n = 1: spread undefined (NaN), intervals collapse onto the value. */
    ASSERT_OK(lb_stats_summarize(x, it, 1, 100, 1, 0.95, &s));
    ck_assert(isnan(s.std_dev) && s.mad == 0 && s.mean_ci_low == 1 && s.median_ci_high == 1);
}
END_TEST

START_TEST(test_allocations_balanced)
{
    /* Every call returns what it took, on success and on error paths. */
    size_t before = lb_alloc_current();
    const sv_estimates *c = &sv_estimate_cases[1];
    lb_stats_summary s;
    double v, lo, hi, u;
    lb_stats_tukey t;
    ASSERT_OK(lb_stats_summarize(c->x, c->iterations, c->n, 1000, 1, 0.95, &s));
    ASSERT_OK(lb_stats_median(c->x, c->n, &v));
    ASSERT_OK(lb_stats_mad(c->x, c->n, &v));
    ASSERT_OK(lb_stats_percentile(c->x, c->n, 50, &v));
    ASSERT_OK(lb_stats_tukey_fences(c->x, c->n, &t));
    ASSERT_OK(lb_stats_bootstrap(c->x, c->n, LB_STATS_MEDIAN, 1000, 1, 0.95, &lo, &hi));
    ASSERT_OK(lb_stats_bootstrap_diff(c->x, c->n, c->x, c->n, 1000, 1, 0.95, &lo, &hi));
    ASSERT_OK(lb_stats_mann_whitney(c->x, c->n, c->x, 10, &u, &v));
    lb_stats_wilcoxon_result w;
    lb_stats_hl_result h;
    ASSERT_OK(lb_stats_wilcoxon(c->x, c->n, LB_STATS_TWO_SIDED, LB_STATS_AUTO, &w));
    ASSERT_OK(lb_stats_wilcoxon(c->x, 20, LB_STATS_GREATER, LB_STATS_AUTO, &w));
    ASSERT_OK(lb_stats_hodges_lehmann(c->x, c->n, 0.95, LB_STATS_TWO_SIDED, LB_STATS_AUTO, &h));
    ASSERT_OK(lb_stats_hodges_lehmann(c->x, 20, 0.95, LB_STATS_LESS, LB_STATS_AUTO, &h));
    const double tied[] = {1, -1};
    ck_assert_int_eq(lb_stats_wilcoxon(tied, 2, LB_STATS_LESS, LB_STATS_EXACT, &w), LB_EDATA);
    const double bad[] = {1, NAN};
    ck_assert_int_eq(lb_stats_summarize(bad, NULL, 2, 1000, 1, 0.95, &s), LB_EDATA);
    ck_assert_uint_eq(lb_alloc_current(), before);
}
END_TEST

START_TEST(test_defaults)
{
    /* The default configuration the harness uses runs and is reproducible. */
    const sv_estimates *c = &sv_estimate_cases[0];
    lb_stats_summary a, b;
    ASSERT_OK(lb_stats_summarize(c->x, c->iterations, c->n, LB_STATS_DEFAULT_RESAMPLES,
                                 LB_STATS_DEFAULT_SEED, LB_STATS_DEFAULT_CONFIDENCE, &a));
    ASSERT_OK(lb_stats_summarize(c->x, c->iterations, c->n, LB_STATS_DEFAULT_RESAMPLES,
                                 LB_STATS_DEFAULT_SEED, LB_STATS_DEFAULT_CONFIDENCE, &b));
    ck_assert(memcmp(&a, &b, sizeof a) == 0);
    ck_assert(a.confidence == 0.95 && a.resamples == 100000);
    double lo, hi;
    ASSERT_OK(lb_stats_bootstrap(c->x, c->n, LB_STATS_MEAN, LB_STATS_DEFAULT_RESAMPLES,
                                 LB_STATS_DEFAULT_SEED, LB_STATS_DEFAULT_CONFIDENCE, &lo, &hi));
    ck_assert(lo == a.mean_ci_low && hi == a.mean_ci_high);
    ASSERT_OK(lb_stats_bootstrap(c->x, c->n, LB_STATS_MEDIAN, LB_STATS_DEFAULT_RESAMPLES,
                                 LB_STATS_DEFAULT_SEED, LB_STATS_DEFAULT_CONFIDENCE, &lo, &hi));
    ck_assert(lo == a.median_ci_low && hi == a.median_ci_high);
}
END_TEST

static Suite *stats_suite(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("internals");
    tcase_add_test(tc, test_rng_known_answers);
    tcase_add_test(tc, test_rng_below_uniform);
    tcase_add_test(tc, test_select_matches_sort);
    suite_add_tcase(s, tc);

    tc = tcase_create("closed_form");
    tcase_add_test(tc, test_constant);
    tcase_add_test(tc, test_one_to_n);
    tcase_add_test(tc, test_symmetric);
    tcase_add_test(tc, test_known_mad);
    tcase_add_test(tc, test_known_slope);
    tcase_add_test(tc, test_fence_edges);
    suite_add_tcase(s, tc);

    tc = tcase_create("vectors");
    tcase_add_loop_test(tc, test_vectors_estimators, 0, (int)NELEM(sv_estimate_cases));
    tcase_add_loop_test(tc, test_vectors_mann_whitney, 0, (int)NELEM(sv_mann_whitney_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("bootstrap");
    tcase_add_loop_test(tc, test_bootstrap_model, 0, (int)NELEM(sv_bootstrap_model_cases));
    tcase_add_test(tc, test_bootstrap_diff_model);
    tcase_add_test(tc, test_bootstrap_deterministic);
    tcase_add_test(tc, test_bootstrap_coverage_sanity);
    tcase_add_loop_test(tc, test_bootstrap_vs_scipy, 0, (int)NELEM(sv_bootstrap_scipy_cases));
    tcase_add_loop_test(tc, test_bootstrap_diff_vs_scipy, 0,
                        (int)NELEM(sv_bootstrap_diff_scipy_cases));
    tcase_add_test(tc, test_bootstrap_diff_direction);
    suite_add_tcase(s, tc);

    tc = tcase_create("paired");
    tcase_add_test(tc, test_norm_ppf);
    tcase_add_test(tc, test_signrank_counts);
    tcase_add_loop_test(tc, test_vectors_wilcoxon, 0, (int)NELEM(sv_wilcoxon_cases));
    tcase_add_test(tc, test_wilcoxon_closed_form);
    tcase_add_loop_test(tc, test_vectors_hodges_lehmann, 0, (int)NELEM(sv_hodges_lehmann_cases));
    tcase_add_test(tc, test_hl_brute_force);
    tcase_add_test(tc, test_hl_textbook);
    tcase_add_test(tc, test_hl_wilcoxon_duality);
    tcase_add_test(tc, test_hl_large_n);
    tcase_add_test(tc, test_ab_order);
    tcase_add_test(tc, test_ab_order_uniform);
    tcase_add_test(tc, test_paired_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("api");
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_allocations_balanced);
    tcase_add_test(tc, test_defaults);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(stats_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
