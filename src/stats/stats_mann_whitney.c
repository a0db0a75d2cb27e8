/* Two-sided Mann-Whitney U test with the normal approximation, tie correction
 * and continuity correction, as scipy.stats.mannwhitneyu(method="asymptotic"). */
#include <math.h>
#include <stdlib.h>

#include "latentbench/alloc.h"
#include "stats_internal.h"

#define LB__SQRT1_2 0.70710678118654752440

typedef struct {
    double v;
    int from_a;
} lb__stats_tagged;

static int lb__stats_cmp_tagged(const void *pa, const void *pb)
{
    double a = ((const lb__stats_tagged *)pa)->v, b = ((const lb__stats_tagged *)pb)->v;
    return (a > b) - (a < b);
}

int lb_stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
                          double *u, double *p)
{
    LB__RETURN_IF(!a || !b || !u || !p || na == 0 || nb == 0, LB_EUSAGE);
    LB__FORWARD(lb__stats_check_finite(a, na));
    LB__FORWARD(lb__stats_check_finite(b, nb));
    LB__RETURN_IF(na > SIZE_MAX / 2 / sizeof(lb__stats_tagged) ||
                  nb > SIZE_MAX / 2 / sizeof(lb__stats_tagged), LB_ENOMEM);
    size_t n = na + nb;
    lb__stats_tagged *all = lb_malloc(n * sizeof *all);
    LB__RETURN_IF(!all, LB_ENOMEM);
    for (size_t i = 0; i < na; i++) all[i] = (lb__stats_tagged){a[i], 1};
    for (size_t i = 0; i < nb; i++) all[na + i] = (lb__stats_tagged){b[i], 0};
    qsort(all, n, sizeof *all, lb__stats_cmp_tagged);

    /* Rank sum of a with average (1-based) ranks over each run of ties; the
     * ranks are halves of integers, exact in double. */
    double r1 = 0, ties = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && all[j].v == all[i].v) j++;
        double rank = ((double)i + (double)j + 1) / 2;
        size_t in_a = 0;
        for (size_t k = i; k < j; k++) in_a += (size_t)all[k].from_a;
        r1 += rank * (double)in_a;
        double t = (double)(j - i);
        ties += t * t * t - t;
        i = j;
    }
    lb_free(all);

    double dna = (double)na, dnb = (double)nb, dn = (double)n;
    double u1 = r1 - dna * (dna + 1) / 2;
    double u2 = dna * dnb - u1;
    double umax = u1 > u2 ? u1 : u2;
    double mu = dna * dnb / 2;
    double var = dna * dnb / 12 * ((dn + 1) - ties / (dn * (dn - 1)));
    /* Continuity: subtract 0.5 because the survival function is evaluated at
     * U and the mass at U itself belongs to the p-value. */
    double num = umax - mu - 0.5;
    double pv;
    if (var > 0)
        pv = erfc(num / sqrt(var) * LB__SQRT1_2); /* 2 * normal sf(z) */
    else
        pv = 1; /* every value tied: no evidence either way */
    if (pv > 1) pv = 1;
    if (pv < 0) pv = 0;
    *u = u1;
    *p = pv;
    return LB_OK;
}
