/* Point estimates of one sample set: location, spread, percentiles, slope, and
 * Tukey's outlier classes. */
#include <math.h>
#include <string.h>

#include "latentbench/alloc.h"
#include "stats_internal.h"

int lb__stats_check_finite(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return LB_EDATA;
    return LB_OK;
}

static int lb__stats_check(const double *x, size_t n)
{
    LB__RETURN_IF(!x || n == 0, LB_EUSAGE);
    return lb__stats_check_finite(x, n);
}

/* A checked copy of x for the estimators that reorder their input. */
static int lb__stats_copy(const double *x, size_t n, double **copy)
{
    LB__FORWARD(lb__stats_check(x, n));
    LB__RETURN_IF(n > SIZE_MAX / sizeof(double), LB_ENOMEM);
    double *c = lb_malloc(n * sizeof *c);
    LB__RETURN_IF(!c, LB_ENOMEM);
    memcpy(c, x, n * sizeof *c);
    *copy = c;
    return LB_OK;
}

int lb_stats_mean(const double *x, size_t n, double *out)
{
    LB__RETURN_IF(!out, LB_EUSAGE);
    LB__FORWARD(lb__stats_check(x, n));
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += x[i];
    *out = sum / (double)n;
    return LB_OK;
}

int lb_stats_std_dev(const double *x, size_t n, double *out)
{
    double mean;
    LB__RETURN_IF(!out, LB_EUSAGE);
    LB__FORWARD(lb_stats_mean(x, n, &mean));
    if (n == 1) {
        *out = NAN;
        return LB_OK;
    }
    /* Two passes: the one-pass sum of squares cancels badly for timings, whose
     * spread is tiny next to their magnitude. */
    double ss = 0;
    for (size_t i = 0; i < n; i++) ss += (x[i] - mean) * (x[i] - mean);
    *out = sqrt(ss / (double)(n - 1));
    return LB_OK;
}

int lb_stats_median(const double *x, size_t n, double *out)
{
    double *c = NULL;
    LB__RETURN_IF(!out, LB_EUSAGE);
    LB__FORWARD(lb__stats_copy(x, n, &c));
    *out = lb__stats_median_select(c, n);
    lb_free(c);
    return LB_OK;
}

double lb__stats_mad_sorted(const double *s, size_t n, double med, double *dev)
{
    for (size_t i = 0; i < n; i++) dev[i] = fabs(s[i] - med);
    return LB_STATS_MAD_SCALE * lb__stats_median_select(dev, n);
}

int lb_stats_mad(const double *x, size_t n, double *out)
{
    double *c = NULL;
    LB__RETURN_IF(!out, LB_EUSAGE);
    LB__FORWARD(lb__stats_copy(x, n, &c));
    double med = lb__stats_median_select(c, n);
    /* The deviations overwrite the copy: the order of x does not matter here. */
    for (size_t i = 0; i < n; i++) c[i] = fabs(c[i] - med);
    *out = LB_STATS_MAD_SCALE * lb__stats_median_select(c, n);
    lb_free(c);
    return LB_OK;
}

int lb_stats_min_max(const double *x, size_t n, double *min, double *max)
{
    LB__RETURN_IF(!min || !max, LB_EUSAGE);
    LB__FORWARD(lb__stats_check(x, n));
    double lo = x[0], hi = x[0];
    for (size_t i = 1; i < n; i++) {
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
    }
    *min = lo;
    *max = hi;
    return LB_OK;
}

int lb_stats_percentile(const double *x, size_t n, double p, double *out)
{
    double *c = NULL;
    LB__RETURN_IF(!out || !(p >= 0 && p <= 100), LB_EUSAGE);
    LB__FORWARD(lb__stats_copy(x, n, &c));
    /* p / 100 as numpy computes it, so the virtual index matches to the bit. */
    *out = lb__stats_quantile_select(c, n, p / 100);
    lb_free(c);
    return LB_OK;
}

int lb_stats_slope(const double *ns_per_iter, const uint64_t *iterations, size_t n,
                   double *out)
{
    LB__RETURN_IF(!out || !iterations, LB_EUSAGE);
    LB__FORWARD(lb__stats_check(ns_per_iter, n));
    double sxy = 0, sxx = 0;
    for (size_t i = 0; i < n; i++) {
        LB__RETURN_IF(iterations[i] == 0, LB_EDATA);
        double x = (double)iterations[i];
        double y = ns_per_iter[i] * x; /* total time of the sample */
        sxy += x * y;
        sxx += x * x;
    }
    *out = sxy / sxx;
    return LB_OK;
}

void lb__stats_tukey_sorted(const double *s, size_t n, lb_stats_tukey *out)
{
    lb_stats_tukey t = {0};
    t.q1 = lb__stats_quantile_sorted(s, n, 0.25);
    t.q3 = lb__stats_quantile_sorted(s, n, 0.75);
    t.iqr = t.q3 - t.q1;
    t.low_severe = t.q1 - 3.0 * t.iqr;
    t.low_mild = t.q1 - 1.5 * t.iqr;
    t.high_mild = t.q3 + 1.5 * t.iqr;
    t.high_severe = t.q3 + 3.0 * t.iqr;
    /* Strict comparisons, as Criterion: a value on a fence is not beyond it. */
    for (size_t i = 0; i < n; i++) {
        double v = s[i];
        if (v < t.low_severe)
            t.n_low_severe++;
        else if (v < t.low_mild)
            t.n_low_mild++;
        else if (v > t.high_severe)
            t.n_high_severe++;
        else if (v > t.high_mild)
            t.n_high_mild++;
    }
    t.mild = t.n_low_mild + t.n_high_mild;
    t.severe = t.n_low_severe + t.n_high_severe;
    *out = t;
}

int lb_stats_tukey_fences(const double *x, size_t n, lb_stats_tukey *out)
{
    double *c = NULL;
    LB__RETURN_IF(!out, LB_EUSAGE);
    LB__FORWARD(lb__stats_copy(x, n, &c));
    lb__stats_sort(c, n);
    lb__stats_tukey_sorted(c, n, out);
    lb_free(c);
    return LB_OK;
}
