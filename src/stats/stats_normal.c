/* The standard normal distribution: tails through erfc and the quantile. */
#include <math.h>

#include "stats_internal.h"

#define LB__SQRT1_2 0.70710678118654752440
#define LB__SQRT2PI 2.50662827463100050242

double lb__stats_norm_cdf(double z)
{
    return 0.5 * erfc(-z * LB__SQRT1_2);
}

double lb__stats_norm_sf(double z)
{
    return 0.5 * erfc(z * LB__SQRT1_2);
}

/* Acklam's approximation, relative error below 1.15e-9, for the lower half. */
static double lb__stats_ppf_acklam(double p)
{
    static const double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                -2.759285104469687e+02, 1.383577518672690e+02,
                                -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                -1.556989798598866e+02, 6.680131188771972e+01,
                                -1.328068155288572e+01};
    static const double c[6] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                -2.400758277161838e+00, -2.549732539343734e+00,
                                4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[4] = {7.784695709041462e-03, 3.224671290700398e-01,
                                2.445134137142996e+00, 3.754408661907416e+00};
    if (p < 0.02425) {
        double q = sqrt(-2 * log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

double lb__stats_norm_ppf(double p)
{
    if (!(p > 0 && p < 1)) return p == 0 ? -INFINITY : p == 1 ? INFINITY : NAN;
    /* 1 - p is exact for p >= 0.5 (Sterbenz); refining against the lower
     * tail keeps the residual relative to the small probability. */
    if (p > 0.5) return -lb__stats_norm_ppf(1 - p);
    double x = lb__stats_ppf_acklam(p);
    /* One Halley step on f(x) = Phi(x) - p: cubic convergence takes the
     * 1e-9 start to rounding. */
    double e = lb__stats_norm_cdf(x) - p;
    double u = e * LB__SQRT2PI * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}
