/* Statistics of benchmark samples (lb_stats_ prefix), Criterion's choices.
 *
 * Input is one value per sample: the time of one iteration in nanoseconds
 * (ns_per_iter), and, for linear sampling, the iteration count of each sample.
 * Every definition (percentile interpolation, quartiles, MAD scale, bootstrap
 * RNG and percentile method, Mann-Whitney normal approximation, signed-rank
 * test, Hodges-Lehmann bounds, A/B round order) is written out
 * in docs/STATISTICS.md and checked against numpy/scipy in tests/test_stats.c.
 *
 * Conventions of every function here:
 *   - returns LB_OK, or a negative LB_* code and leaves the outputs untouched;
 *   - LB_EUSAGE for a NULL pointer, n == 0 or an out-of-range parameter;
 *   - LB_EDATA for a NaN or infinite input value (and the few data rules below);
 *   - LB_ENOMEM when scratch cannot be allocated (all through lb_malloc, once per
 *     call, never inside a resampling loop);
 *   - inputs are read only, never reordered; results do not depend on the order
 *     of the samples except for the last bits of sums.
 * All functions are reentrant: no global state, the RNG lives on the stack. */
#ifndef LATENTBENCH_STATS_H
#define LATENTBENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LB_STATS_DEFAULT_RESAMPLES  100000
#define LB_STATS_DEFAULT_CONFIDENCE 0.95
#define LB_STATS_DEFAULT_SEED       UINT64_C(0x6c62737461747331) /* "lbstats1" */
/* MAD scale: 1 / Phi^-1(3/4), so the MAD estimates sigma for normal data. */
#define LB_STATS_MAD_SCALE          1.4826

/* The statistic a one-sample bootstrap resamples. */
typedef enum {
    LB_STATS_MEAN = 0,
    LB_STATS_MEDIAN = 1
} lb_stats_statistic;

/* Tukey fences around the quartiles q1, q3 (numpy "linear" quantiles) with
 * iqr = q3 - q1. A value x is
 *   low severe  when x < low_severe  = q1 - 3.0 iqr,
 *   low mild    when low_severe  <= x < low_mild  = q1 - 1.5 iqr,
 *   high mild   when high_mild   <  x <= high_severe, high_mild = q3 + 1.5 iqr,
 *   high severe when x > high_severe = q3 + 3.0 iqr.
 * Outliers are counted, never removed. */
typedef struct {
    double q1, q3, iqr;
    double low_severe, low_mild, high_mild, high_severe; /* the four fences */
    size_t n_low_severe, n_low_mild, n_high_mild, n_high_severe;
    size_t mild, severe;                                  /* low + high */
} lb_stats_tukey;

/* Everything the harness reports for one benchmark, from one call. */
typedef struct {
    size_t   n;             /* samples */
    uint64_t iterations;    /* sum of the iteration counts; 0 without them */
    double   mean, median, std_dev, mad, min, max;
    double   p5, p95;       /* percentiles 5 and 95 (numpy "linear") */
    double   slope;         /* OLS through the origin; NaN without iteration counts */
    /* Bootstrap percentile intervals at `confidence`; NaN when resamples == 0. */
    double   mean_ci_low, mean_ci_high;
    double   median_ci_low, median_ci_high;
    double   confidence;
    size_t   resamples;
    uint64_t seed;
    lb_stats_tukey outliers;
} lb_stats_summary;

/* ---- Point estimates ------------------------------------------------------- */

/* Arithmetic mean of x[0..n). LB_EUSAGE (NULL, n == 0), LB_EDATA (non-finite). */
int lb_stats_mean(const double *x, size_t n, double *out);

/* Sample standard deviation with Bessel's correction (divides by n - 1), from
 * the two-pass sum of squared deviations. *out is NaN for n == 1 (undefined).
 * LB_EUSAGE, LB_EDATA. */
int lb_stats_std_dev(const double *x, size_t n, double *out);

/* Median: the middle order statistic, or the mean of the two middle ones when n
 * is even (numpy.median). Uses a copy and selection, O(n).
 * LB_EUSAGE, LB_EDATA, LB_ENOMEM. */
int lb_stats_median(const double *x, size_t n, double *out);

/* Median absolute deviation from the median, times LB_STATS_MAD_SCALE:
 * 1.4826 * median(|x_i - median(x)|). LB_EUSAGE, LB_EDATA, LB_ENOMEM. */
int lb_stats_mad(const double *x, size_t n, double *out);

/* Smallest and largest value. LB_EUSAGE, LB_EDATA. */
int lb_stats_min_max(const double *x, size_t n, double *min, double *max);

/* Percentile p in [0, 100] with linear interpolation between order statistics
 * (numpy.percentile, method "linear"): with s sorted ascending, h = (n-1) p/100,
 * result = s[floor h] + (h - floor h) (s[floor h + 1] - s[floor h]).
 * LB_EUSAGE (also p outside [0, 100] or NaN), LB_EDATA, LB_ENOMEM. */
int lb_stats_percentile(const double *x, size_t n, double p, double *out);

/* Slope of the least-squares line through the origin of total time against
 * iterations (linear sampling): x_i = iterations[i], y_i = ns_per_iter[i] x_i,
 * slope = sum(x y) / sum(x x), in ns per iteration.
 * LB_EUSAGE (NULL, n == 0), LB_EDATA (non-finite time, or an iteration count
 * of 0). */
int lb_stats_slope(const double *ns_per_iter, const uint64_t *iterations, size_t n,
                   double *out);

/* Tukey fences at 1.5 and 3 IQR and the outlier counts in each class (see
 * lb_stats_tukey). LB_EUSAGE, LB_EDATA, LB_ENOMEM. */
int lb_stats_tukey_fences(const double *x, size_t n, lb_stats_tukey *out);

/* ---- Bootstrap and tests ----------------------------------------------------- */

/* Bootstrap percentile confidence interval of the mean or the median of x.
 * `resamples` resamples of size n are drawn with replacement by xoshiro256**
 * seeded through splitmix64 from `seed`; [*lo, *hi] are the (1-confidence)/2
 * and (1+confidence)/2 quantiles (numpy "linear") of the resampled statistic.
 * Deterministic for a given (multiset of x, resamples, seed) on every platform.
 * Cost O(n log n + resamples n) time, O(n + resamples) memory.
 * LB_EUSAGE (NULL, n == 0 or n > UINT32_MAX, resamples == 0, confidence
 * outside (0, 1), unknown statistic), LB_EDATA, LB_ENOMEM. */
int lb_stats_bootstrap(const double *x, size_t n, lb_stats_statistic stat,
                       size_t resamples, uint64_t seed, double confidence,
                       double *lo, double *hi);

/* Bootstrap percentile confidence interval of the relative change of the mean
 * from a (baseline) to b (candidate), in percent: 100 (mean(b) / mean(a) - 1).
 * Each resample draws na values from a and then nb values from b, independently
 * and with replacement, from the same RNG as lb_stats_bootstrap.
 * Every value of a must be > 0 so that no resampled mean of a is 0 (timings).
 * LB_EUSAGE (NULL, na or nb == 0 or > UINT32_MAX, resamples == 0, confidence
 * outside (0, 1)), LB_EDATA (non-finite value, a value of a <= 0), LB_ENOMEM. */
int lb_stats_bootstrap_diff(const double *a, size_t na, const double *b, size_t nb,
                            size_t resamples, uint64_t seed, double confidence,
                            double *lo, double *hi);

/* Two-sided Mann-Whitney U test of a against b, as
 * scipy.stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic",
 * use_continuity=True): *u is U of a (rank sum of a with average ranks for ties,
 * minus na (na+1)/2); *p = 2 sf((max(U, na nb - U) - na nb/2 - 0.5) / sigma),
 * sigma^2 = na nb/12 ((N+1) - sum(t^3 - t) / (N (N-1))), N = na + nb, t the
 * sizes of the groups of tied values, clipped to [0, 1]; p = 1 when every value
 * is tied. LB_EUSAGE (NULL, na or nb == 0), LB_EDATA, LB_ENOMEM. */
int lb_stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
                          double *u, double *p);

/* ---- Paired A/B statistics ------------------------------------------------------
 * Two builds A and B measured in alternating blocks, one round = one block of
 * each; the input of the paired functions is the per-round log ratio
 * x_i = ln(time_B,i / time_A,i) (> 0: B slower in that round). The statistic is
 * the sign and rank of each x_i, so one round disturbed by an interrupt counts
 * as one rank, not as its size. docs/STATISTICS.md, "Paired A/B statistics". */

/* The alternative hypothesis about the centre (median) of x, as scipy's
 * `alternative`: GREATER = B slower than A. */
typedef enum {
    LB_STATS_TWO_SIDED = 0,
    LB_STATS_GREATER = 1,
    LB_STATS_LESS = 2
} lb_stats_alternative;

/* How the signed-rank null distribution is evaluated. AUTO picks EXACT when it
 * applies (see each function), APPROX otherwise. */
typedef enum {
    LB_STATS_AUTO = 0,
    LB_STATS_EXACT = 1,  /* the exact distribution of W+, n <= LB_STATS_EXACT_MAX_N */
    LB_STATS_APPROX = 2  /* the normal approximation */
} lb_stats_method;

/* Largest n for the exact signed-rank distribution (scipy's and R's limit; the
 * counts stay exact integers in a double well past it). */
#define LB_STATS_EXACT_MAX_N 50

typedef struct {
    double w_plus;  /* W+: sum of the (average) ranks of |x_i| over the x_i > 0 */
    double p;       /* p-value for the alternative, in [0, 1] */
    size_t n_used;  /* the x_i != 0 that were ranked (zeros are dropped) */
    int    exact;   /* 1: p from the exact distribution; 0: normal approximation */
} lb_stats_wilcoxon_result;

/* Wilcoxon signed-rank test of x[0..n) against 0. Zeros are dropped (scipy's
 * zero_method="wilcox"); the rest are ranked by |x| with average ranks for ties.
 *   EXACT:  p from the exact distribution of W+ (2^-n_used times the number of
 *           sign patterns), as scipy.stats.wilcoxon(x, alternative=alt,
 *           method="exact"); needs n <= LB_STATS_EXACT_MAX_N (else LB_EUSAGE)
 *           and no zero and no tie in |x| (else LB_EDATA: W+ would not follow
 *           that distribution).
 *   APPROX: normal approximation with tie and continuity corrections, as
 *           scipy.stats.wilcoxon(x, zero_method="wilcox", correction=True,
 *           alternative=alt, method="approx").
 *   AUTO:   EXACT when n <= LB_STATS_EXACT_MAX_N with no zero and no tie,
 *           APPROX otherwise (scipy 1.10's "auto" would use its exact branch
 *           with ties, which truncates a non-integer W+; scipy >= 1.15 runs a
 *           permutation test there, and names APPROX "asymptotic").
 * out->w_plus is W+ for every alternative (scipy reports min(W+, W-) for
 * two-sided: W- = n_used (n_used + 1)/2 - W+). When every x is 0 (scipy raises)
 * there is no evidence either way: w_plus 0, p 1, n_used 0, exact 0.
 * LB_EUSAGE (NULL, n == 0, unknown alternative or method, EXACT past
 * LB_STATS_EXACT_MAX_N), LB_EDATA (non-finite x; EXACT with a zero or a tie),
 * LB_ENOMEM. */
int lb_stats_wilcoxon(const double *x, size_t n, lb_stats_alternative alt,
                      lb_stats_method method, lb_stats_wilcoxon_result *out);

typedef struct {
    double estimate;   /* Hodges-Lehmann: median of the Walsh averages */
    double lo, hi;     /* confidence bounds; -INFINITY / +INFINITY on an open side */
    double achieved;   /* coverage of [lo, hi] under the null distribution used:
                        * exact, or its normal approximation; below the requested
                        * confidence only when n is too small to reach it */
    uint64_t k;        /* lo is the k-th smallest of the N = n(n+1)/2 Walsh
                        * averages and hi the (N + 1 - k)-th (1-based) */
    int exact;         /* 1: k from the exact distribution; 0: normal approx. */
} lb_stats_hl_result;

/* Hodges-Lehmann estimate of the centre of x[0..n) and its distribution-free
 * confidence bounds (Hollander & Wolfe; on the exact path the interval of R's
 * wilcox.test(x, conf.int=TRUE)).
 * The Walsh averages are (x_i + x_j)/2 for i <= j, N = n(n+1)/2 of them, w_(1)
 * <= ... <= w_(N); every x is used, zeros included. estimate is their median
 * (numpy.median of the N values). With alpha = 1 - confidence and W the
 * signed-rank statistic of n values under the null:
 *   TWO_SIDED: k = max(1, smallest q with P(W <= q) >= alpha/2), [w_(k), w_(N+1-k)];
 *   GREATER:   k = max(1, smallest q with P(W <= q) >= alpha), [w_(k), +inf)
 *              (the lower bound at level 1 - alpha);
 *   LESS:      the same k, (-inf, w_(N+1-k)] (the upper bound).
 * EXACT (n <= LB_STATS_EXACT_MAX_N, else LB_EUSAGE) takes P from the exact
 * distribution, as R's qsignrank; APPROX from its continuity-corrected normal
 * approximation, k = ceil(n(n+1)/4 - 1/2 - z sqrt(n(n+1)(2n+1)/24)) with z the
 * upper alpha/2 (alpha) normal quantile; AUTO is EXACT for n <= 50. Ties do not
 * change the choice: the bounds are order statistics either way.
 * The Walsh averages are never stored: each order statistic is found by a
 * bisection over the doubles that counts the averages below a value in O(n) on
 * the sorted x, so the cost is O(n log n + 64 n) per order statistic and
 * O(n) memory. n <= UINT32_MAX (N fits in 64 bits).
 * LB_EUSAGE (NULL, n == 0 or > UINT32_MAX, confidence outside (0, 1), unknown
 * alternative or method, EXACT past LB_STATS_EXACT_MAX_N), LB_EDATA
 * (non-finite x), LB_ENOMEM. */
int lb_stats_hodges_lehmann(const double *x, size_t n, double confidence,
                            lb_stats_alternative alt, lb_stats_method method,
                            lb_stats_hl_result *out);

/* Which build runs first in one round of an A/B measurement. */
typedef enum {
    LB_STATS_ROUND_AB = 0,  /* A, then B */
    LB_STATS_ROUND_BA = 1   /* B, then A */
} lb_stats_ab_round;

typedef enum {
    LB_STATS_ORDER_ABBA = 0,   /* AB, BA, AB, BA, ...; the seed is not used */
    LB_STATS_ORDER_RANDOM = 1  /* a seeded, balanced random order */
} lb_stats_ab_mode;

/* Fills out[0..n_rounds) with lb_stats_ab_round values so that a drift (warm-up,
 * thermal, frequency) or a first-runs-slower effect falls on A and B alike.
 * Balanced in both modes: ceil(n/2) rounds of one order and floor(n/2) of the
 * other. ABBA: round i is AB for even i, BA for odd i. RANDOM: xoshiro256**
 * seeded by splitmix64 from `seed` (the bootstrap's generator); when n is odd
 * the top bit of its first output gives the extra round to BA (1) or AB (0);
 * then round i is BA with probability (BA rounds left) / (rounds left), one
 * bounded draw per round, so every balanced sequence is equally likely. Pure:
 * the same (n_rounds, seed, mode) gives the same order on every platform.
 * LB_EUSAGE (NULL out, n_rounds == 0, RANDOM with n_rounds > UINT32_MAX,
 * unknown mode). */
int lb_stats_ab_order(size_t n_rounds, uint64_t seed, lb_stats_ab_mode mode,
                      unsigned char *out);

/* ---- Summary ------------------------------------------------------------------ */

/* Fills *out with every estimate above for one benchmark. iterations may be
 * NULL (flat sampling: slope NaN, iterations 0). The mean and median intervals
 * come from the same resamples, so they equal lb_stats_bootstrap's for the same
 * seed. resamples == 0 skips the bootstrap (intervals NaN, confidence unchecked).
 * LB_EUSAGE (NULL ns_per_iter or out, n == 0; when resampling also n > UINT32_MAX
 * or confidence outside (0, 1)), LB_EDATA (non-finite time, iteration count 0),
 * LB_ENOMEM. */
int lb_stats_summarize(const double *ns_per_iter, const uint64_t *iterations, size_t n,
                       size_t resamples, uint64_t seed, double confidence,
                       lb_stats_summary *out);

#ifdef __cplusplus
}
#endif
#endif
