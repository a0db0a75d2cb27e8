/* Wilcoxon signed-rank test of paired log ratios against 0: the exact null
 * distribution for small samples without zeros or ties, the normal
 * approximation with tie and continuity corrections otherwise (scipy's
 * wilcoxon, zero_method="wilcox"). */
#include <math.h>
#include <stdlib.h>

#include "latentbench/alloc.h"
#include "stats_internal.h"

void lb__stats_signrank_counts(size_t n, double *c)
{
    /* Adding rank m to the ranks 1..m-1: a pattern either leaves m negative
     * (W+ unchanged) or makes it positive (W+ + m). In place, downwards. */
    size_t top = 0;
    c[0] = 1;
    for (size_t m = 1; m <= n; m++) {
        size_t ntop = top + m;
        for (size_t w = top + 1; w <= ntop; w++) c[w] = 0;
        for (size_t w = ntop + 1; w-- > m;) c[w] += c[w - m];
        top = ntop;
    }
}

static int lb__stats_cmp_abs(const void *pa, const void *pb)
{
    double a = fabs(*(const double *)pa), b = fabs(*(const double *)pb);
    return (a > b) - (a < b);
}

static int lb__stats_check_alt(lb_stats_alternative alt, lb_stats_method method)
{
    LB__RETURN_IF(alt != LB_STATS_TWO_SIDED && alt != LB_STATS_GREATER && alt != LB_STATS_LESS,
                  LB_EUSAGE);
    LB__RETURN_IF(method != LB_STATS_AUTO && method != LB_STATS_EXACT &&
                      method != LB_STATS_APPROX,
                  LB_EUSAGE);
    return LB_OK;
}

/* Exact p of the integer W+ among m ranks: tail counts over 2^m, all exact. */
static double lb__stats_signrank_exact_p(size_t m, size_t w, lb_stats_alternative alt)
{
    double c[LB__SIGNRANK_MAX_SIZE];
    lb__stats_signrank_counts(m, c);
    size_t top = m * (m + 1) / 2;
    double lower = 0, upper = 0; /* #{W <= w}, #{W >= w} */
    for (size_t v = 0; v <= w; v++) lower += c[v];
    for (size_t v = w; v <= top; v++) upper += c[v];
    double scale = ldexp(1.0, -(int)m);
    double p;
    if (alt == LB_STATS_GREATER)
        p = upper * scale;
    else if (alt == LB_STATS_LESS)
        p = lower * scale;
    else
        p = 2 * (lower < upper ? lower : upper) * scale;
    return p > 1 ? 1 : p;
}

/* scipy's normal approximation, term for term: T is min(W+, W-) for two sides
 * and W+ for one; the continuity correction moves T half a step towards the
 * mean (two-sided) or against the alternative (one-sided). */
static double lb__stats_signrank_approx_p(size_t m, double w_plus, double ties,
                                          lb_stats_alternative alt)
{
    double c = (double)m;
    double mn = c * (c + 1) * 0.25;
    double se = c * (c + 1) * (2 * c + 1);
    se -= 0.5 * ties;
    se = sqrt(se / 24);
    double t = w_plus, d;
    if (alt == LB_STATS_TWO_SIDED) {
        double w_minus = c * (c + 1) / 2 - w_plus;
        if (w_minus < t) t = w_minus;
        d = t > mn ? 0.5 : t < mn ? -0.5 : 0;
    } else {
        d = alt == LB_STATS_LESS ? -0.5 : 0.5;
    }
    double z = (t - mn - d) / se;
    if (alt == LB_STATS_TWO_SIDED) return 2 * lb__stats_norm_sf(fabs(z));
    return alt == LB_STATS_GREATER ? lb__stats_norm_sf(z) : lb__stats_norm_cdf(z);
}

int lb_stats_wilcoxon(const double *x, size_t n, lb_stats_alternative alt,
                      lb_stats_method method, lb_stats_wilcoxon_result *out)
{
    LB__RETURN_IF(!x || !out || n == 0, LB_EUSAGE);
    LB__FORWARD(lb__stats_check_alt(alt, method));
    LB__RETURN_IF(method == LB_STATS_EXACT && n > LB_STATS_EXACT_MAX_N, LB_EUSAGE);
    LB__FORWARD(lb__stats_check_finite(x, n));
    LB__RETURN_IF(n > SIZE_MAX / sizeof(double), LB_ENOMEM);
    double *d = lb_malloc(n * sizeof *d);
    LB__RETURN_IF(!d, LB_ENOMEM);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (x[i] != 0) d[m++] = x[i];
    qsort(d, m, sizeof *d, lb__stats_cmp_abs);

    /* Average (1-based) ranks of |x| over each run of ties; W+ is a sum of
     * halves of integers, exact in a double. ties = sum t (t^2 - 1). */
    double w_plus = 0, ties = 0;
    for (size_t i = 0; i < m;) {
        size_t j = i + 1;
        while (j < m && fabs(d[j]) == fabs(d[i])) j++;
        double rank = ((double)i + (double)j + 1) / 2;
        size_t pos = 0;
        for (size_t k = i; k < j; k++) pos += d[k] > 0;
        w_plus += rank * (double)pos;
        double t = (double)(j - i);
        ties += t * (t * t - 1);
        i = j;
    }
    lb_free(d);

    int clean = m == n && ties == 0;
    LB__RETURN_IF(method == LB_STATS_EXACT && !clean, LB_EDATA);
    int exact = method == LB_STATS_EXACT ||
                (method == LB_STATS_AUTO && clean && n <= LB_STATS_EXACT_MAX_N);
    lb_stats_wilcoxon_result r = {w_plus, 1, m, exact};
    if (m == 0) {
        r.exact = 0; /* every x is 0: no evidence either way */
    } else if (exact) {
        r.p = lb__stats_signrank_exact_p(m, (size_t)w_plus, alt);
    } else {
        r.p = lb__stats_signrank_approx_p(m, w_plus, ties, alt);
    }
    *out = r;
    return LB_OK;
}
