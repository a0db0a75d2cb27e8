/* Order statistics: sorting, selection, and numpy's "linear" quantiles. */
#include <math.h>
#include <stdlib.h>

#include "stats_internal.h"

static int lb__stats_cmp(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

void lb__stats_sort(double *v, size_t n)
{
    if (n > 1) qsort(v, n, sizeof *v, lb__stats_cmp);
}

#define LB__SWAP(a, b)   \
    do {                 \
        double t_ = (a); \
        (a) = (b);       \
        (b) = t_;        \
    } while (0)

/* Median-of-three quickselect with Hoare partitioning (Numerical Recipes'
 * select). Partitioning stops on values equal to the pivot, so the many ties
 * of a bootstrap distribution of medians split evenly instead of degrading to
 * O(n^2). A budget of lopsided rounds bounds the worst case: past it, the rest
 * of the range is sorted (O(n log n)). */
void lb__stats_select(double *v, size_t n, size_t k)
{
    if (n < 2) return;
    size_t l = 0, ir = n - 1;
    unsigned budget = 64;
    for (;;) {
        if (ir <= l + 1) {
            if (ir == l + 1 && v[ir] < v[l]) LB__SWAP(v[l], v[ir]);
            return;
        }
        if (budget == 0) {
            lb__stats_sort(v + l, ir - l + 1);
            return;
        }
        size_t width = ir - l;
        size_t mid = l + (ir - l) / 2;
        LB__SWAP(v[mid], v[l + 1]);
        if (v[l] > v[ir]) LB__SWAP(v[l], v[ir]);
        if (v[l + 1] > v[ir]) LB__SWAP(v[l + 1], v[ir]);
        if (v[l] > v[l + 1]) LB__SWAP(v[l], v[l + 1]);
        /* v[l] <= pivot <= v[ir] are the sentinels of the two scans. */
        size_t i = l + 1, j = ir;
        double a = v[l + 1];
        for (;;) {
            do i++; while (v[i] < a);
            do j--; while (v[j] > a);
            if (j < i) break;
            LB__SWAP(v[i], v[j]);
        }
        v[l + 1] = v[j];
        v[j] = a;
        if (j >= k) ir = j - 1;
        if (j <= k) l = i;
        /* k outside both halves: v[k] is the pivot or equal to it, already final. */
        if (ir < l || k < l || k > ir) return;
        /* A round that keeps more than 7/8 of the range counts against the budget. */
        if (ir - l > width - width / 8) budget--;
    }
}

/* numpy's _lerp: the two branches keep the result inside [a, b]. */
static double lb__stats_lerp(double a, double b, double g)
{
    double d = b - a;
    return g >= 0.5 ? b - d * (1 - g) : a + d * g;
}

/* numpy's "linear" virtual index h = (n-1) q: the order statistic below it and
 * the interpolation weight. */
static size_t lb__stats_vindex(size_t n, double q, double *g)
{
    double h = (double)(n - 1) * q;
    double f = floor(h);
    if (f >= (double)(n - 1)) {
        *g = 0;
        return n - 1;
    }
    *g = h - f;
    return (size_t)f;
}

double lb__stats_quantile_sorted(const double *s, size_t n, double q)
{
    double g;
    size_t i = lb__stats_vindex(n, q, &g);
    if (i + 1 >= n) return s[n - 1];
    return lb__stats_lerp(s[i], s[i + 1], g);
}

static double lb__stats_min(const double *v, size_t n)
{
    double m = v[0];
    for (size_t i = 1; i < n; i++)
        if (v[i] < m) m = v[i];
    return m;
}

static double lb__stats_max(const double *v, size_t n)
{
    double m = v[0];
    for (size_t i = 1; i < n; i++)
        if (v[i] > m) m = v[i];
    return m;
}

double lb__stats_quantile_select(double *v, size_t n, double q)
{
    double g;
    size_t i = lb__stats_vindex(n, q, &g);
    lb__stats_select(v, n, i);
    if (i + 1 >= n) return v[i];
    /* After selection the next order statistic is the smallest value above i. */
    return lb__stats_lerp(v[i], lb__stats_min(v + i + 1, n - i - 1), g);
}

double lb__stats_median_sorted(const double *s, size_t n)
{
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

double lb__stats_median_select(double *v, size_t n)
{
    size_t k = n / 2;
    lb__stats_select(v, n, k);
    if (n % 2) return v[k];
    return (lb__stats_max(v, k) + v[k]) / 2;
}
