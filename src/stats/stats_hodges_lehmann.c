/* Hodges-Lehmann estimate and distribution-free confidence bounds: order
 * statistics of the Walsh averages (x_i + x_j)/2, i <= j.
 *
 * The N = n(n+1)/2 averages are never stored. On the sorted sample they form
 * rows that increase along j and whose ends move left as i grows, so the
 * number of averages <= v is one two-pointer walk, O(n). The k-th smallest
 * average is then the smallest double v with count(<= v) >= k, found by
 * bisection over the doubles in their integer order: at most 64 walks, exact
 * (it returns one of the averages, not an interpolation), O(n) memory, and no
 * limit on n from an n^2 array. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "latentbench/alloc.h"
#include "stats_internal.h"

/* (a + b)/2 without overflow; equal to fl(a + b)/2 whenever the halves are
 * exact (everything but subnormals), and, like it, monotone in a and b. */
static inline double lb__stats_walsh(double a, double b)
{
    return 0.5 * a + 0.5 * b;
}

/* Finite doubles in the order of their values as unsigned integers. */
static inline uint64_t lb__stats_key(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return (u >> 63) ? ~u : (u | (UINT64_C(1) << 63));
}

static inline double lb__stats_unkey(uint64_t k)
{
    uint64_t u = (k >> 63) ? (k & ~(UINT64_C(1) << 63)) : ~k;
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* Number of Walsh averages of sorted s[0..n) that are <= v. Row i holds
 * j = i..n-1; its averages <= v are a prefix [i, j_i), and j_i never grows
 * with i because s[i] only grows. */
static uint64_t lb__stats_walsh_count_le(const double *s, size_t n, double v)
{
    uint64_t count = 0;
    size_t j = n;
    for (size_t i = 0; i < n; i++) {
        while (j > i && lb__stats_walsh(s[i], s[j - 1]) > v) j--;
        if (j <= i) break; /* (s[i] + s[i])/2 > v, and the later diagonals are larger */
        count += j - i;
    }
    return count;
}

/* The k-th smallest (1-based, 1 <= k <= N) Walsh average of sorted s[0..n). */
static double lb__stats_walsh_order(const double *s, size_t n, uint64_t k)
{
    /* Every average lies between the smallest and the largest diagonal one
     * (monotone rounding); min/max with s guards subnormal halving. */
    double first = lb__stats_walsh(s[0], s[0]), last = lb__stats_walsh(s[n - 1], s[n - 1]);
    uint64_t lo = lb__stats_key(first < s[0] ? first : s[0]);
    uint64_t hi = lb__stats_key(last > s[n - 1] ? last : s[n - 1]);
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (lb__stats_walsh_count_le(s, n, lb__stats_unkey(mid)) >= k)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lb__stats_unkey(lo) + 0.0; /* -0.0 and +0.0 count alike: report +0.0 */
}

/* k = max(1, smallest q with P(W <= q) >= target) and P(W <= k - 1), from the
 * exact counts: target 2^n is exact, so is the comparison. The centre lies
 * below w_(k) exactly when fewer than k averages are <= it, and that count is
 * distributed as W. */
static uint64_t lb__stats_hl_k_exact(size_t n, double target, double *tail)
{
    double c[LB__SIGNRANK_MAX_SIZE];
    lb__stats_signrank_counts(n, c);
    double want = ldexp(target, (int)n), cum = 0;
    size_t q = 0;
    for (;; q++) {
        cum += c[q];
        if (cum >= want) break; /* reached by q = N at the latest: target < 1 */
    }
    size_t k = q ? q : 1;
    double below = 0; /* P(W <= k - 1): the chance that w_(k) lies above the centre */
    for (size_t v = 0; v < k; v++) below += c[v];
    *tail = ldexp(below, -(int)n);
    return k;
}

/* The same from the continuity-corrected normal approximation of W:
 * P(W <= q) ~ Phi((q + 1/2 - mu) / sigma), solved for q and rounded up. */
static uint64_t lb__stats_hl_k_approx(size_t n, double target, uint64_t kmax, double *tail)
{
    double dn = (double)n;
    double mu = dn * (dn + 1) / 4;
    double sigma = sqrt(dn * (dn + 1) * (2 * dn + 1) / 24);
    double z = -lb__stats_norm_ppf(target);
    double kd = ceil(mu - 0.5 - sigma * z);
    uint64_t k = kd < 1 ? 1 : kd > (double)kmax ? kmax : (uint64_t)kd;
    *tail = lb__stats_norm_cdf(((double)k - 0.5 - mu) / sigma);
    return k;
}

int lb_stats_hodges_lehmann(const double *x, size_t n, double confidence,
                            lb_stats_alternative alt, lb_stats_method method,
                            lb_stats_hl_result *out)
{
    LB__RETURN_IF(!x || !out || n == 0 || n > UINT32_MAX, LB_EUSAGE);
    LB__RETURN_IF(!(confidence > 0 && confidence < 1), LB_EUSAGE);
    LB__RETURN_IF(alt != LB_STATS_TWO_SIDED && alt != LB_STATS_GREATER && alt != LB_STATS_LESS,
                  LB_EUSAGE);
    LB__RETURN_IF(method != LB_STATS_AUTO && method != LB_STATS_EXACT &&
                      method != LB_STATS_APPROX,
                  LB_EUSAGE);
    LB__RETURN_IF(method == LB_STATS_EXACT && n > LB_STATS_EXACT_MAX_N, LB_EUSAGE);
    LB__FORWARD(lb__stats_check_finite(x, n));
    LB__RETURN_IF(n > SIZE_MAX / sizeof(double), LB_ENOMEM);
    double *s = lb_malloc(n * sizeof *s);
    LB__RETURN_IF(!s, LB_ENOMEM);
    memcpy(s, x, n * sizeof *s);
    lb__stats_sort(s, n);

    uint64_t nn = (uint64_t)n, total = nn * (nn + 1) / 2; /* n <= 2^32 - 1: fits */
    lb_stats_hl_result r;
    if (total % 2)
        r.estimate = lb__stats_walsh_order(s, n, total / 2 + 1);
    else
        r.estimate = lb__stats_walsh(lb__stats_walsh_order(s, n, total / 2),
                                     lb__stats_walsh_order(s, n, total / 2 + 1));

    double alpha = 1 - confidence;
    int two = alt == LB_STATS_TWO_SIDED;
    double target = two ? alpha / 2 : alpha, tail;
    r.exact = method == LB_STATS_EXACT || (method == LB_STATS_AUTO && n <= LB_STATS_EXACT_MAX_N);
    /* Two-sided needs k <= N + 1 - k; the exact k never passes the median of
     * W, and the approximation is clamped to it. */
    r.k = r.exact ? lb__stats_hl_k_exact(n, target, &tail)
                  : lb__stats_hl_k_approx(n, target, two ? (total + 1) / 2 : total, &tail);
    r.achieved = two ? 1 - 2 * tail : 1 - tail;
    r.lo = alt == LB_STATS_LESS ? -INFINITY : lb__stats_walsh_order(s, n, r.k);
    r.hi = alt == LB_STATS_GREATER ? INFINITY : lb__stats_walsh_order(s, n, total + 1 - r.k);
    lb_free(s);
    *out = r;
    return LB_OK;
}
