/* One call for everything the harness reports about a benchmark: one sort, one
 * scratch allocation, one resampling pass shared by the mean and the median. */
#include <math.h>
#include <string.h>

#include "latentbench/alloc.h"
#include "stats_internal.h"

int lb_stats_summarize(const double *ns_per_iter, const uint64_t *iterations, size_t n,
                       size_t resamples, uint64_t seed, double confidence,
                       lb_stats_summary *out)
{
    LB__RETURN_IF(!ns_per_iter || !out || n == 0, LB_EUSAGE);
    if (resamples) {
        LB__RETURN_IF(n > UINT32_MAX, LB_EUSAGE);
        LB__RETURN_IF(!(confidence > 0 && confidence < 1), LB_EUSAGE);
    }
    lb_stats_summary s;
    memset(&s, 0, sizeof s);
    s.n = n;
    s.resamples = resamples;
    s.seed = seed;
    s.confidence = confidence;
    LB__FORWARD(lb_stats_mean(ns_per_iter, n, &s.mean));
    LB__FORWARD(lb_stats_std_dev(ns_per_iter, n, &s.std_dev));
    s.slope = NAN;
    if (iterations) {
        LB__FORWARD(lb_stats_slope(ns_per_iter, iterations, n, &s.slope));
        for (size_t i = 0; i < n; i++) s.iterations += iterations[i];
    }

    /* Layout: sorted copy (n), MAD deviations (n), two distributions
     * (resamples each), median counts (n uint32). */
    LB__RETURN_IF(n > SIZE_MAX / 64 || resamples > SIZE_MAX / 64, LB_ENOMEM);
    size_t doubles = 2 * n + 2 * resamples, words = resamples ? n : 0;
    double *sorted = lb_malloc(doubles * sizeof(double) + words * sizeof(uint32_t));
    LB__RETURN_IF(!sorted, LB_ENOMEM);
    double *dev = sorted + n;
    memcpy(sorted, ns_per_iter, n * sizeof *sorted);
    lb__stats_sort(sorted, n);

    s.min = sorted[0];
    s.max = sorted[n - 1];
    s.median = lb__stats_median_sorted(sorted, n);
    s.p5 = lb__stats_quantile_sorted(sorted, n, 5.0 / 100);
    s.p95 = lb__stats_quantile_sorted(sorted, n, 95.0 / 100);
    s.mad = lb__stats_mad_sorted(sorted, n, s.median, dev);
    lb__stats_tukey_sorted(sorted, n, &s.outliers);

    if (resamples) {
        double *mean_dist = dev + n, *median_dist = mean_dist + resamples;
        uint32_t *counts = (uint32_t *)(median_dist + resamples);
        lb__stats_resample(sorted, n, resamples, seed, mean_dist, median_dist, counts);
        lb__stats_interval(mean_dist, resamples, confidence, &s.mean_ci_low, &s.mean_ci_high);
        lb__stats_interval(median_dist, resamples, confidence, &s.median_ci_low,
                           &s.median_ci_high);
    } else {
        s.mean_ci_low = s.mean_ci_high = s.median_ci_low = s.median_ci_high = NAN;
    }
    lb_free(sorted);
    *out = s;
    return LB_OK;
}
