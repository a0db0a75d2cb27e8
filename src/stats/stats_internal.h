/* Internals of lb_stats shared by its files (lb__stats_ prefix): argument
 * checks, the RNG, selection and quantiles. The tests include this header to
 * check the RNG and selection directly. */
#ifndef LATENTBENCH_STATS_INTERNAL_H
#define LATENTBENCH_STATS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "latentbench/error.h"
#include "latentbench/stats.h"

/* One line per error path, as in the rest of the harness. */
#define LB__RETURN_IF(cond, code) \
    do {                          \
        if (cond) return (code);  \
    } while (0)
#define LB__FORWARD(expr)            \
    do {                             \
        int lb__rc_ = (expr);        \
        if (lb__rc_ < 0) return lb__rc_; \
    } while (0)

/* LB_EDATA unless every x[i] is finite. */
int lb__stats_check_finite(const double *x, size_t n);

/* ---- RNG: xoshiro256** seeded by splitmix64 ----------------------------------
 * Integer-only, so a seed gives the same stream on every platform. */
typedef struct {
    uint64_t s[4];
} lb__stats_rng;

static inline uint64_t lb__stats_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* splitmix64 expands the seed, so any seed (0 included) gives a nonzero state. */
static inline void lb__stats_rng_seed(lb__stats_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = lb__stats_splitmix64(&seed);
}

static inline uint64_t lb__stats_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t lb__stats_rng_next(lb__stats_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = lb__stats_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = lb__stats_rotl(s[3], 45);
    return result;
}

/* Uniform on [0, bound), bound in [1, 2^32], exactly (Lemire's multiply-shift
 * with rejection; the rejection test almost never fires, so no division in the
 * common path). Uses the upper 32 bits of one output. */
static inline uint32_t lb__stats_rng_below(lb__stats_rng *r, uint64_t bound)
{
    uint64_t m = (lb__stats_rng_next(r) >> 32) * bound;
    uint32_t low = (uint32_t)m;
    if (low < bound) {
        uint32_t t = (uint32_t)((UINT64_C(0x100000000) - bound) % bound);
        while (low < t) {
            m = (lb__stats_rng_next(r) >> 32) * bound;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

/* ---- Order statistics ---------------------------------------------------------- */

/* Sorts v[0..n) ascending (finite values). */
void lb__stats_sort(double *v, size_t n);

/* Reorders v[0..n) so that v[k] is the k-th smallest (0-based), everything
 * before it <= v[k] and everything after >= v[k]. Expected O(n); falls back to
 * sorting the remaining range when partitions keep coming out lopsided. */
void lb__stats_select(double *v, size_t n, size_t k);

/* numpy "linear" quantile q in [0, 1] of sorted s[0..n). */
double lb__stats_quantile_sorted(const double *s, size_t n, double q);

/* The same quantile of unsorted v[0..n), which it reorders; O(n). */
double lb__stats_quantile_select(double *v, size_t n, double q);

/* numpy.median of sorted s / of unsorted v (reordered). */
double lb__stats_median_sorted(const double *s, size_t n);
double lb__stats_median_select(double *v, size_t n);

/* ---- Shared pieces of the summary ------------------------------------------------ */

/* Fills the Tukey fences and counts from sorted s. */
void lb__stats_tukey_sorted(const double *s, size_t n, lb_stats_tukey *out);

/* MAD of sorted s with median med; dev is scratch for n doubles. */
double lb__stats_mad_sorted(const double *s, size_t n, double med, double *dev);

/* The resampling loop behind lb_stats_bootstrap and the summary: resamples of
 * sorted s[0..n) into mean_dist and/or median_dist (either may be NULL; the
 * draws are the same either way). counts: n uint32 scratch when median_dist. */
void lb__stats_resample(const double *s, size_t n, size_t resamples, uint64_t seed,
                        double *mean_dist, double *median_dist, uint32_t *counts);

/* Percentile interval at `confidence` of dist[0..m), which it reorders. */
void lb__stats_interval(double *dist, size_t m, double confidence, double *lo, double *hi);

/* ---- Normal distribution and the signed-rank null distribution -------------------- */

/* Standard normal quantile Phi^-1(p) for p in (0, 1): Acklam's rational
 * approximation refined by one Halley step on erfc, within a few ulp of
 * scipy.special.ndtri. Refines in the tail p lies in, so pass the small tail
 * probability (-ppf(a) rather than ppf(1 - a)) for an upper quantile. */
double lb__stats_norm_ppf(double p);

/* Phi(z) and 1 - Phi(z), each through erfc so that neither tail cancels. */
double lb__stats_norm_cdf(double z);
double lb__stats_norm_sf(double z);

/* Entries of the exact signed-rank distribution for n <= LB_STATS_EXACT_MAX_N. */
#define LB__SIGNRANK_SIZE(n) ((n) * ((n) + 1) / 2 + 1)
#define LB__SIGNRANK_MAX_SIZE LB__SIGNRANK_SIZE(LB_STATS_EXACT_MAX_N)

/* c[w], w = 0..n(n+1)/2: the number of the 2^n sign patterns of ranks 1..n
 * whose positive ranks sum to w; P(W+ = w) = c[w] 2^-n. Every count is an
 * integer below 2^50, exact in a double, so tail sums are exact too.
 * n <= LB_STATS_EXACT_MAX_N. */
void lb__stats_signrank_counts(size_t n, double *c);

#endif
