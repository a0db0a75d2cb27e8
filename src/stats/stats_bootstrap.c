/* Bootstrap percentile intervals of the mean, the median and the relative
 * change of the mean between two sample sets.
 *
 * Resampling always indexes the sorted sample, so the interval depends only on
 * the multiset of values, not on the order the samples were taken in, and the
 * median of a resample falls out of a histogram of the drawn indices: a
 * counting selection in O(n) with no data movement, cheaper than copying the
 * resample and running quickselect on it. */
#include <math.h>
#include <string.h>

#include "latentbench/alloc.h"
#include "stats_internal.h"

void lb__stats_resample(const double *s, size_t n, size_t resamples, uint64_t seed,
                        double *mean_dist, double *median_dist, uint32_t *counts)
{
    lb__stats_rng rng;
    lb__stats_rng_seed(&rng, seed);
    /* Order statistics that make up the median of n values. */
    size_t k1 = (n - 1) / 2, k2 = n / 2;
    for (size_t r = 0; r < resamples; r++) {
        double sum = 0;
        if (median_dist) {
            memset(counts, 0, n * sizeof *counts);
            for (size_t i = 0; i < n; i++) {
                uint32_t j = lb__stats_rng_below(&rng, n);
                counts[j]++;
                sum += s[j];
            }
            size_t i = 0, cum = counts[0];
            while (cum <= k1) cum += counts[++i];
            double a = s[i];
            while (cum <= k2) cum += counts[++i];
            median_dist[r] = k1 == k2 ? a : (a + s[i]) / 2;
        } else {
            for (size_t i = 0; i < n; i++) sum += s[lb__stats_rng_below(&rng, n)];
        }
        if (mean_dist) mean_dist[r] = sum / (double)n;
    }
}

void lb__stats_interval(double *dist, size_t m, double confidence, double *lo, double *hi)
{
    double alpha = (1 - confidence) / 2;
    *lo = lb__stats_quantile_select(dist, m, alpha);
    *hi = lb__stats_quantile_select(dist, m, 1 - alpha);
}

static int lb__stats_check_boot(size_t n, size_t resamples, double confidence)
{
    LB__RETURN_IF(n == 0 || n > UINT32_MAX || resamples == 0, LB_EUSAGE);
    LB__RETURN_IF(!(confidence > 0 && confidence < 1), LB_EUSAGE);
    return LB_OK;
}

/* One lb_malloc for the sorted copies and the resampled statistics; the
 * callers bound both counts by SIZE_MAX / 64, so the size cannot overflow. */
static void *lb__stats_scratch(size_t doubles, size_t words)
{
    return lb_malloc(doubles * sizeof(double) + words * sizeof(uint32_t));
}

int lb_stats_bootstrap(const double *x, size_t n, lb_stats_statistic stat,
                       size_t resamples, uint64_t seed, double confidence,
                       double *lo, double *hi)
{
    LB__RETURN_IF(!x || !lo || !hi, LB_EUSAGE);
    LB__RETURN_IF(stat != LB_STATS_MEAN && stat != LB_STATS_MEDIAN, LB_EUSAGE);
    LB__FORWARD(lb__stats_check_boot(n, resamples, confidence));
    LB__FORWARD(lb__stats_check_finite(x, n));
    LB__RETURN_IF(resamples > SIZE_MAX / 64 || n > SIZE_MAX / 64, LB_ENOMEM);
    int median = stat == LB_STATS_MEDIAN;
    double *s = lb__stats_scratch(n + resamples, median ? n : 0);
    LB__RETURN_IF(!s, LB_ENOMEM);
    double *dist = s + n;
    uint32_t *counts = median ? (uint32_t *)(dist + resamples) : NULL;
    memcpy(s, x, n * sizeof *s);
    lb__stats_sort(s, n);
    lb__stats_resample(s, n, resamples, seed, median ? NULL : dist, median ? dist : NULL,
                       counts);
    lb__stats_interval(dist, resamples, confidence, lo, hi);
    lb_free(s);
    return LB_OK;
}

int lb_stats_bootstrap_diff(const double *a, size_t na, const double *b, size_t nb,
                            size_t resamples, uint64_t seed, double confidence,
                            double *lo, double *hi)
{
    LB__RETURN_IF(!a || !b || !lo || !hi, LB_EUSAGE);
    LB__FORWARD(lb__stats_check_boot(na, resamples, confidence));
    LB__FORWARD(lb__stats_check_boot(nb, resamples, confidence));
    LB__FORWARD(lb__stats_check_finite(a, na));
    LB__FORWARD(lb__stats_check_finite(b, nb));
    for (size_t i = 0; i < na; i++) LB__RETURN_IF(!(a[i] > 0), LB_EDATA);
    size_t total = na + nb; /* both <= UINT32_MAX: no overflow */
    LB__RETURN_IF(resamples > SIZE_MAX / 64 || total > SIZE_MAX / 64, LB_ENOMEM);
    double *sa = lb__stats_scratch(total + resamples, 0);
    LB__RETURN_IF(!sa, LB_ENOMEM);
    double *sb = sa + na, *dist = sb + nb;
    memcpy(sa, a, na * sizeof *sa);
    memcpy(sb, b, nb * sizeof *sb);
    lb__stats_sort(sa, na);
    lb__stats_sort(sb, nb);

    lb__stats_rng rng;
    lb__stats_rng_seed(&rng, seed);
    for (size_t r = 0; r < resamples; r++) {
        double suma = 0, sumb = 0;
        for (size_t i = 0; i < na; i++) suma += sa[lb__stats_rng_below(&rng, na)];
        for (size_t i = 0; i < nb; i++) sumb += sb[lb__stats_rng_below(&rng, nb)];
        dist[r] = 100 * ((sumb / (double)nb) / (suma / (double)na) - 1);
    }
    lb__stats_interval(dist, resamples, confidence, lo, hi);
    lb_free(sa);
    return LB_OK;
}
