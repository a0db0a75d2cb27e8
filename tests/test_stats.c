/*
 * lb_stats: closed-form cases, numpy/scipy reference vectors
 * (tests/data/stats_vectors.h, from tests/data/gen_stats_vectors.py), an exact
 * Python model of the bootstrap resampler, statistical agreement with
 * scipy.stats.bootstrap, determinism, error codes and allocation balance.
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
