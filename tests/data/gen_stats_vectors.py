#!/usr/bin/python3
"""Reference vectors for tests/test_stats.c, computed once with numpy/scipy.

    /usr/bin/python3 tests/data/gen_stats_vectors.py > tests/data/stats_vectors.h

Every input is drawn from a seeded numpy Generator, so rerunning the script
reproduces the header byte for byte (for the same numpy/scipy versions).

Four kinds of expectations:
  * point estimates (numpy): mean, median, std (ddof=1), MAD * 1.4826,
    min, max, percentiles 5/25/75/95 (method "linear"), Tukey counts with
    strict comparisons, OLS slope through the origin;
  * Mann-Whitney U and two-sided p (scipy.stats.mannwhitneyu, method
    "asymptotic", use_continuity=True);
  * bootstrap intervals from an independent Python model of the C resampler
    (splitmix64 -> xoshiro256**, Lemire bounded draws into the sorted sample,
    numpy "linear" percentiles): these must agree to rounding;
  * bootstrap intervals from scipy.stats.bootstrap(method="percentile") with
    100,000 resamples and its own RNG: these agree only statistically, so the
    test compares them with a loose tolerance;
  * paired A/B statistics of log ratios: the Wilcoxon signed-rank test
    (scipy.stats.wilcoxon, zero_method="wilcox", method "exact" or "approx"
    with correction=True, every alternative); the Hodges-Lehmann estimate and
    bounds from a brute-force sort of all Walsh averages, with the order
    statistic k from the exact signed-rank distribution computed here in
    integers (checked against scipy's own distribution and the textbook
    critical values) or from its normal approximation (scipy.special.ndtri);
    the normal quantile itself (ndtri); and the seeded A/B round order from a
    model of the C code on the same xoshiro256** model.
"""
import fractions
import math
import warnings
import sys

import numpy as np
import scipy
import scipy.special as sp
import scipy.stats as st
from scipy.stats import _morestats

MAD_SCALE = 1.4826
MASK64 = (1 << 64) - 1

# ---- Model of the C resampler (src/stats/stats_internal.h, stats_bootstrap.c) --


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return state, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK64


class Xoshiro256ss:
    def __init__(self, seed):
        self.s = []
        for _ in range(4):
            seed, v = splitmix64(seed)
            self.s.append(v)

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & MASK64, 7) * 9) & MASK64
        t = (s[1] << 17) & MASK64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def below(self, bound):
        m = (self.next() >> 32) * bound
        if (m & 0xFFFFFFFF) < bound:
            t = ((1 << 32) - bound) % bound
            while (m & 0xFFFFFFFF) < t:
                m = (self.next() >> 32) * bound
        return m >> 32


def model_bootstrap(x, resamples, seed, conf):
    """Mean and median intervals exactly as lb__stats_resample draws them."""
    s = sorted(float(v) for v in x)
    n = len(s)
    rng = Xoshiro256ss(seed)
    means, medians = [], []
    for _ in range(resamples):
        total = 0.0
        idx = []
        for _ in range(n):
            j = rng.below(n)
            idx.append(j)
            total += s[j]  # same order of additions as the C loop
        means.append(total / n)
        idx.sort()
        k1, k2 = (n - 1) // 2, n // 2
        medians.append(s[idx[k1]] if k1 == k2 else (s[idx[k1]] + s[idx[k2]]) / 2)
    alpha = (1 - conf) / 2
    q = lambda d: (float(np.quantile(d, alpha)), float(np.quantile(d, 1 - alpha)))
    return q(np.array(means)), q(np.array(medians))


def model_bootstrap_diff(a, b, resamples, seed, conf):
    sa = sorted(float(v) for v in a)
    sb = sorted(float(v) for v in b)
    rng = Xoshiro256ss(seed)
    dist = []
    for _ in range(resamples):
        ta = 0.0
        for _ in range(len(sa)):
            ta += sa[rng.below(len(sa))]
        tb = 0.0
        for _ in range(len(sb)):
            tb += sb[rng.below(len(sb))]
        dist.append(100 * ((tb / len(sb)) / (ta / len(sa)) - 1))
    alpha = (1 - conf) / 2
    d = np.array(dist)
    return float(np.quantile(d, alpha)), float(np.quantile(d, 1 - alpha))


# ---- Inputs -----------------------------------------------------------------


def gen(seed):
    return np.random.Generator(np.random.PCG64(seed))


def fence_edges():
    # Quartiles are exactly 4 and 6 (iqr 2): fences at -2, 1, 9, 12. Values on a
    # fence are not beyond it; -2.5 and 12.5 are severe, -2, 0.99 and 12 mild.
    return np.array([-2.5, -2.0, 0.99, 1.0] + [4.0] * 20 + [6.0] * 20 + [9.0, 12.0, 12.5])


def estimator_cases():
    cases = []
    g = gen(101)
    x = g.normal(1000.0, 30.0, 100)
    cases.append(("normal100", x, g.integers(1, 1000, 100)))

    g = gen(102)
    x = g.lognormal(np.log(500.0), 0.05, 100)
    x[[3, 17, 50]] = [900.0, 1400.0, 2500.0]  # high mild/severe
    x[[8, 70]] = [300.0, 420.0]               # low severe/mild
    cases.append(("lognormal_outliers", x, g.integers(1, 50, 100)))

    g = gen(103)
    x = np.round(g.normal(200.0, 3.0, 60))    # many ties
    cases.append(("ties60", x, g.integers(10, 20, 60)))

    g = gen(104)
    x = 50.0 + g.exponential(5.0, 51)          # odd n, skewed
    cases.append(("exponential51", x, g.integers(1, 5, 51)))

    # Linear sampling as Criterion does it: iterations d, 2d, ..., 100d, total
    # time = 25 ns/iter * iterations + fixed overhead + noise.
    g = gen(105)
    iters = np.arange(1, 101) * 7
    total = 25.0 * iters + 400.0 + g.normal(0.0, 40.0, 100)
    cases.append(("linear_sampling", total / iters, iters))

    g = gen(106)
    cases.append(("tiny3", g.normal(10.0, 1.0, 3), np.array([1, 2, 3])))
    cases.append(("pair2", np.array([3.5, 1.25]), np.array([4, 8])))
    cases.append(("single1", np.array([42.0]), np.array([5])))
    cases.append(("fence_edges", fence_edges(), np.ones(47, dtype=np.int64)))
    return cases


def mw_cases():
    cases = []
    g = gen(201)
    cases.append(("shifted", g.normal(100.0, 5.0, 40), g.normal(103.0, 5.0, 50)))
    g = gen(202)
    cases.append(("ties", np.round(g.normal(10.0, 2.0, 30)), np.round(g.normal(11.0, 2.0, 35))))
    g = gen(203)
    x = g.normal(0.0, 1.0, 25)
    cases.append(("identical", x, x.copy()))
    cases.append(("separated", np.arange(1.0, 21.0), np.arange(101.0, 121.0)))
    cases.append(("small", np.array([1.0, 2.0]), np.array([3.0])))
    cases.append(("all_tied", np.array([5.0, 5.0, 5.0]), np.array([5.0, 5.0])))
    g = gen(204)
    cases.append(("heavy", g.lognormal(0.0, 1.0, 100), g.lognormal(0.1, 1.0, 100)))
    g = gen(205)
    cases.append(("b_smaller", g.normal(10.0, 1.0, 12), g.normal(8.0, 1.0, 9)))
    return cases


# ---- Paired A/B statistics ------------------------------------------------------

EXACT_MAX_N = 50
ALTS = ("two-sided", "greater", "less")
C_ALT = {"two-sided": "LB_STATS_TWO_SIDED", "greater": "LB_STATS_GREATER",
         "less": "LB_STATS_LESS"}


def signrank_counts(n):
    """c[w]: sign patterns of ranks 1..n whose positive ranks sum to w (ints)."""
    c = [1]
    for m in range(1, n + 1):
        nc = c + [0] * m
        for w, v in enumerate(c):
            nc[w + m] += v
        c = nc
    return c


def check_signrank_counts():
    # Against scipy's own distribution (probabilities, exact dyadic values) ...
    for n in range(0, EXACT_MAX_N + 1):
        c = signrank_counts(n)
        pmf = _morestats._get_wilcoxon_distr(n)
        assert len(pmf) == len(c)
        assert all(fractions.Fraction(float(p)) == fractions.Fraction(v, 2 ** n)
                   for p, v in zip(pmf, c))
    # ... and the textbook tables of two-sided 5% critical values (Hollander &
    # Wolfe; reject when min(W+, W-) <= T): the largest T with P(W <= T) <= 0.025.
    for n, t in ((10, 8), (20, 52), (30, 137), (50, 434)):
        c = signrank_counts(n)
        assert sum(c[:t + 1]) * 40 <= 2 ** n < sum(c[:t + 2]) * 40


def log_ratio(g, n, shift, spread, outliers=0):
    """Per-round ln(time_B / time_A) of two skewed timings with common noise."""
    base = g.lognormal(np.log(1000.0), 0.02, n)
    ta = base * g.lognormal(0.0, spread, n)
    tb = base * np.exp(shift) * g.lognormal(0.0, spread, n)
    if outliers:
        idx = g.choice(n, outliers, replace=False)
        tb[idx] *= 1.0 + g.exponential(0.5, outliers)  # an interrupt hits B
    return np.log(tb / ta)


def paired_cases():
    cases = []
    g = gen(601)
    cases.append(("n1", np.array([0.031])))
    cases.append(("n2", np.array([0.012, -0.027])))
    cases.append(("n5", log_ratio(g, 5, 0.003, 0.01)))
    cases.append(("n10", log_ratio(g, 10, 0.005, 0.01)))
    cases.append(("n10_all_positive", np.abs(log_ratio(g, 10, 0.0, 0.01)) + 1e-4))
    cases.append(("n20_outliers", log_ratio(g, 20, 0.005, 0.01, outliers=3)))
    cases.append(("n30_null", log_ratio(g, 30, 0.0, 0.01)))
    cases.append(("n50", log_ratio(g, 50, -0.003, 0.01)))
    cases.append(("n51", log_ratio(g, 51, 0.003, 0.01)))
    cases.append(("n200_outliers", log_ratio(g, 200, 0.002, 0.01, outliers=15)))
    # Ties in |x| (including +a against -a) and zeros, from coarse timers.
    cases.append(("ties12", np.array([0.01, -0.01, 0.02, 0.02, 0.03, -0.01, 0.05, 0.02,
                                      -0.03, 0.04, 0.01, 0.06])))
    cases.append(("zeros15", np.round(log_ratio(g, 15, 0.004, 0.006), 3)))
    cases.append(("one_zero5", np.array([0.02, -0.01, 0.0, 0.035, 0.011])))
    cases.append(("ties_zeros200", np.round(log_ratio(g, 200, 0.001, 0.004), 3)))
    for name, x in cases:
        ax = np.abs(x[x != 0])
        clean = len(np.unique(ax)) == len(ax) and np.all(x != 0)
        if name.startswith(("ties", "zeros", "one_zero")):
            assert not clean, name
        else:
            assert clean, name
    return cases


def wilcoxon_ref(x, alt, method):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = st.wilcoxon(x, zero_method="wilcox", correction=True, alternative=alt,
                        method=method)
        # W+ (scipy's statistic for one-sided alternatives).
        wp = st.wilcoxon(x, zero_method="wilcox", correction=True, alternative="greater",
                         method=method).statistic
    used = int(np.sum(x != 0))
    if alt == "two-sided":
        assert r.statistic == min(wp, used * (used + 1) / 2 - wp)
    return float(wp), float(r.pvalue)


def hl_ref(x, conf, alt, exact):
    """Brute force: every Walsh average, sorted; k from the signed-rank law."""
    n = len(x)
    iu = np.triu_indices(n)
    walsh = np.sort((np.add.outer(x, x) / 2)[iu])
    total = n * (n + 1) // 2
    assert len(walsh) == total
    est = float(np.median(walsh))
    alpha = 1 - conf
    target = alpha / 2 if alt == "two-sided" else alpha
    if exact:
        c = signrank_counts(n)
        want = fractions.Fraction(target) * 2 ** n
        cum, q = 0, 0
        while True:
            cum += c[q]
            if cum >= want:
                break
            q += 1
        k = max(q, 1)
        # P(W <= k - 1): the centre lies below w_(k) (R's achieved alpha).
        tail = float(fractions.Fraction(sum(c[:k]), 2 ** n))
    else:
        mu = n * (n + 1) / 4
        sigma = math.sqrt(n * (n + 1) * (2 * n + 1) / 24)
        z = -float(sp.ndtri(target))
        kd = mu - 0.5 - sigma * z
        # Far from an integer, so a last-bit difference in z cannot move k.
        assert abs(kd - round(kd)) > 1e-9, (n, conf, alt)
        kmax = (total + 1) // 2 if alt == "two-sided" else total
        k = min(max(math.ceil(kd), 1), kmax)
        tail = float(st.norm.cdf((k - 0.5 - mu) / sigma))
    achieved = 1 - 2 * tail if alt == "two-sided" else 1 - tail
    lo = float(walsh[k - 1]) if alt != "less" else -math.inf
    hi = float(walsh[total - k]) if alt != "greater" else math.inf
    return est, lo, hi, achieved, k


def ab_order_model(n, seed, random_mode):
    if not random_mode:
        return [i % 2 for i in range(n)]
    rng = Xoshiro256ss(seed)
    ba = n // 2
    if n % 2:
        ba += rng.next() >> 63
    out = []
    for i in range(n):
        is_ba = rng.below(n - i) < ba
        ba -= is_ba
        out.append(int(is_ba))
    return out


def emit_paired(w, out):
    check_signrank_counts()
    w("/* ---- Paired A/B statistics ---- */")
    w("")
    w("typedef struct {")
    w("    const char *name;")
    w("    size_t n;")
    w("    const double *x;")
    w("    size_t n_used;")
    w("    int exact;          /* the path LB_STATS_AUTO takes */")
    w("    double w_plus;")
    w("    double p_auto[3];   /* two-sided, greater, less, by the auto path */")
    w("    double p_approx[3]; /* method approx, correction=True */")
    w("} sv_wilcoxon;")
    w("")
    rows = []
    cases = paired_cases()
    for name, x in cases:
        n = len(x)
        used = int(np.sum(x != 0))
        ax = np.abs(x[x != 0])
        exact = n <= EXACT_MAX_N and used == n and len(np.unique(ax)) == n
        p_auto, p_apx = [], []
        wp = None
        for alt in ALTS:
            wpa, pa = wilcoxon_ref(x, alt, "approx")
            p_apx.append(pa)
            if exact:
                wpe, pe = wilcoxon_ref(x, alt, "exact")
                # scipy's own "auto" takes the same path here.
                assert wilcoxon_ref(x, alt, "auto") == (wpe, pe)
                assert wpe == wpa
                p_auto.append(pe)
            else:
                p_auto.append(pa)
            wp = wpa
        w(darr(f"sv_wx_{name}", x))
        rows.append(f'    {{"{name}", {n}, sv_wx_{name}, {used}, {int(exact)}, {fmt(wp)}, '
                    f"{{{', '.join(fmt(v) for v in p_auto)}}}, "
                    f"{{{', '.join(fmt(v) for v in p_apx)}}}}},")
    w("")
    w("static const sv_wilcoxon sv_wilcoxon_cases[] = {")
    out.extend(rows)
    w("};")
    w("")

    w("typedef struct {")
    w("    const char *name;")
    w("    size_t n;")
    w("    const double *x;")
    w("    double confidence;")
    w("    int alternative;    /* lb_stats_alternative */")
    w("    int exact;          /* 1: LB_STATS_EXACT, 0: LB_STATS_APPROX */")
    w("    double estimate, lo, hi, achieved;")
    w("    uint64_t k;")
    w("} sv_hodges_lehmann;")
    w("")
    rows = []
    levels = ((0.95, "two-sided"), (0.90, "two-sided"), (0.99, "two-sided"),
              (0.95, "greater"), (0.95, "less"), (0.80, "greater"), (0.80, "less"))
    for name, x in cases:
        n = len(x)
        for exact in ((1, 0) if n <= EXACT_MAX_N else (0,)):
            for conf, alt in levels:
                if not exact and n < 10:
                    continue  # the normal approximation of tiny n: covered by n >= 10
                est, lo, hi, ach, k = hl_ref(x, conf, alt, exact)
                rows.append(f'    {{"{name}", {n}, sv_wx_{name}, {fmt(conf)}, {C_ALT[alt]}, '
                            f"{exact}, {fmt(est)}, {cfmt(lo)}, {cfmt(hi)}, {fmt(ach)}, "
                            f"UINT64_C({k})}},")
    # Past the exact limit the normal k can miss the exact k by a few ranks in
    # the far tail (the signed-rank law has lighter tails than the normal), but
    # the exact coverage of the approximate interval stays within 0.0025 of the
    # exact interval's and at most 0.001 below the level asked for
    # (docs/STATISTICS.md has the table).
    for n in (51, 100, 200, 500):
        c = signrank_counts(n)
        for conf, alt in levels:
            ke = hl_ref(np.arange(1.0, n + 1), conf, alt, True)[4]
            ka = hl_ref(np.arange(1.0, n + 1), conf, alt, False)[4]
            cover = [float(1 - (2 if alt == "two-sided" else 1)
                           * fractions.Fraction(sum(c[:k]), 2 ** n)) for k in (ke, ka)]
            assert abs(cover[1] - cover[0]) < 0.0025 and cover[1] > conf - 0.001, \
                (n, conf, alt, ke, ka, cover)
    w("static const sv_hodges_lehmann sv_hodges_lehmann_cases[] = {")
    out.extend(rows)
    w("};")
    w("")

    # Normal quantile (scipy.special.ndtri).
    ps = [1e-300, 1e-20, 1e-10, 1e-5, 0.001, 0.01, 0.02424, 0.02425, 0.025, 0.05, 0.1,
          0.3, 0.5, 0.7, 0.9, 0.975, 0.999, 1 - 1e-10]
    w(f"static const double sv_ppf_p[{len(ps)}] = {{{', '.join(fmt(v) for v in ps)}}};")
    w(f"static const double sv_ppf_z[{len(ps)}] = "
      f"{{{', '.join(fmt(sp.ndtri(v)) for v in ps)}}};")
    w("")

    # A/B round order: '0' AB, '1' BA.
    w("typedef struct {")
    w("    size_t n;")
    w("    uint64_t seed;")
    w("    const char *order; /* '0': AB, '1': BA */")
    w("} sv_ab_order;")
    w("")
    rows = []
    for n in (1, 2, 3, 7, 10, 33, 64):
        for seed in (0, 1, 42, MASK64):
            o = ab_order_model(n, seed, True)
            assert sum(o) in (n // 2, (n + 1) // 2)
            rows.append(f'    {{{n}, UINT64_C({seed}), "{"".join(map(str, o))}"}},')
    w("static const sv_ab_order sv_ab_order_random[] = {")
    out.extend(rows)
    w("};")
    w("")


def cfmt(v):
    if math.isinf(v):
        return "INFINITY" if v > 0 else "-INFINITY"
    return fmt(v)


# ---- Output -------------------------------------------------------------------


def fmt(v):
    v = float(v)
    if np.isnan(v):
        return "NAN"
    r = repr(v)
    return r if ("." in r or "e" in r or "inf" in r) else r + ".0"


def darr(name, x):
    vals = ", ".join(fmt(v) for v in x)
    return f"static const double {name}[{len(x)}] = {{{vals}}};"


def uarr(name, x):
    vals = ", ".join(f"UINT64_C({int(v)})" for v in x)
    return f"static const uint64_t {name}[{len(x)}] = {{{vals}}};"


def tukey(x):
    q1, q3 = np.percentile(x, [25, 75])
    iqr = q3 - q1
    ls, lm, hm, hs = q1 - 3.0 * iqr, q1 - 1.5 * iqr, q3 + 1.5 * iqr, q3 + 3.0 * iqr
    return (int(np.sum(x < ls)), int(np.sum((x >= ls) & (x < lm))),
            int(np.sum((x > hm) & (x <= hs))), int(np.sum(x > hs)))


def main():
    out = []
    w = out.append
    w("/* Generated by tests/data/gen_stats_vectors.py; do not edit.")
    w(f" * numpy {np.__version__}, scipy {scipy.__version__}. */")
    w("#ifndef LATENTBENCH_TESTS_STATS_VECTORS_H")
    w("#define LATENTBENCH_TESTS_STATS_VECTORS_H")
    w("")
    w("#include <math.h>")
    w("#include <stddef.h>")
    w("#include <stdint.h>")
    w("")
    w("#define SV_MAD_SCALE " + fmt(MAD_SCALE))
    w("")

    # Estimators.
    w("typedef struct {")
    w("    const char *name;")
    w("    size_t n;")
    w("    const double *x;")
    w("    const uint64_t *iterations;")
    w("    double mean, median, std_dev, mad, min, max, p5, q1, q3, p95, slope;")
    w("    size_t low_severe, low_mild, high_mild, high_severe;")
    w("} sv_estimates;")
    w("")
    rows = []
    for name, x, iters in estimator_cases():
        x = np.asarray(x, dtype=np.float64)
        iters = np.asarray(iters, dtype=np.int64)
        w(darr(f"sv_x_{name}", x))
        w(uarr(f"sv_it_{name}", iters))
        med = np.median(x)
        mad = np.median(np.abs(x - med)) * MAD_SCALE
        # scipy's MAD with the same scale must agree (guards the formula above).
        assert abs(st.median_abs_deviation(x, scale=1 / MAD_SCALE) - mad) <= 1e-12 * max(1, mad)
        std = np.std(x, ddof=1) if len(x) > 1 else float("nan")
        p5, q1, q3, p95 = np.percentile(x, [5, 25, 75, 95])
        xi = iters.astype(np.float64)
        slope = np.sum(xi * (x * xi)) / np.sum(xi * xi)
        ls, lm, hm, hs = tukey(x)
        vals = [np.mean(x), med, std, mad, np.min(x), np.max(x), p5, q1, q3, p95, slope]
        rows.append(f'    {{"{name}", {len(x)}, sv_x_{name}, sv_it_{name}, '
                    + ", ".join(fmt(v) for v in vals) + f", {ls}, {lm}, {hm}, {hs}}},")
    w("")
    w("static const sv_estimates sv_estimate_cases[] = {")
    out.extend(rows)
    w("};")
    w("")

    # Mann-Whitney.
    w("typedef struct {")
    w("    const char *name;")
    w("    size_t na, nb;")
    w("    const double *a, *b;")
    w("    double u, p;")
    w("} sv_mann_whitney;")
    w("")
    rows = []
    for name, a, b in mw_cases():
        r = st.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic",
                            use_continuity=True)
        w(darr(f"sv_mwa_{name}", a))
        w(darr(f"sv_mwb_{name}", b))
        rows.append(f'    {{"{name}", {len(a)}, {len(b)}, sv_mwa_{name}, sv_mwb_{name}, '
                    f"{fmt(r.statistic)}, {fmt(r.pvalue)}}},")
    w("")
    w("static const sv_mann_whitney sv_mann_whitney_cases[] = {")
    out.extend(rows)
    w("};")
    w("")

    # RNG known answers: first outputs of xoshiro256** after splitmix64 seeding.
    # The model is first checked against published values: splitmix64's first
    # output for seed 0, and xoshiro256** from state {1, 2, 3, 4} (the test
    # vector of the rand_xoshiro crate).
    _, sm0 = splitmix64(0)
    assert sm0 == 0xE220A8397B1DCDAF
    r = Xoshiro256ss(0)
    r.s = [1, 2, 3, 4]
    assert [r.next() for _ in range(4)] == [11520, 0, 1509978240, 1215971899390074240]
    for seed in (0, 12345):
        r = Xoshiro256ss(seed)
        vals = ", ".join(f"UINT64_C(0x{r.next():016x})" for _ in range(6))
        w(f"static const uint64_t sv_rng_seed{seed}[6] = {{{vals}}};")
    r = Xoshiro256ss(7)
    draws = [r.below(b) for b in (1, 2, 3, 10, 100, 1000, 4294967295, 4294967296) for _ in range(4)]
    w("static const uint64_t sv_rng_below_bounds[8] = {1, 2, 3, 10, 100, 1000, "
      "UINT64_C(4294967295), UINT64_C(4294967296)};")
    w(f"static const uint32_t sv_rng_below_seed7[32] = {{{', '.join(str(d) for d in draws)}}};")
    w("")

    # Bootstrap, exact model of the C resampler.
    w("typedef struct {")
    w("    const char *name;")
    w("    size_t n;")
    w("    const double *x;")
    w("    size_t resamples;")
    w("    uint64_t seed;")
    w("    double confidence;")
    w("    double mean_lo, mean_hi, median_lo, median_hi;")
    w("} sv_bootstrap_model;")
    w("")
    rows = []
    g = gen(301)
    model_inputs = [
        ("odd25", g.normal(100.0, 10.0, 25), 2000, 42, 0.95),
        ("even24", np.round(g.normal(50.0, 4.0, 24), 1), 2000, 7, 0.95),
        ("skew31_90", 10.0 + g.exponential(3.0, 31), 1500, 123456789, 0.90),
        ("single1", np.array([3.25]), 50, 1, 0.95),
    ]
    for name, x, b, seed, conf in model_inputs:
        (mlo, mhi), (dlo, dhi) = model_bootstrap(x, b, seed, conf)
        w(darr(f"sv_bm_{name}", x))
        rows.append(f'    {{"{name}", {len(x)}, sv_bm_{name}, {b}, UINT64_C({seed}), {fmt(conf)}, '
                    f"{fmt(mlo)}, {fmt(mhi)}, {fmt(dlo)}, {fmt(dhi)}}},")
    w("")
    w("static const sv_bootstrap_model sv_bootstrap_model_cases[] = {")
    out.extend(rows)
    w("};")
    w("")

    w("typedef struct {")
    w("    const char *name;")
    w("    size_t na, nb;")
    w("    const double *a, *b;")
    w("    size_t resamples;")
    w("    uint64_t seed;")
    w("    double confidence, lo, hi;")
    w("} sv_bootstrap_diff;")
    w("")
    g = gen(302)
    a = g.normal(100.0, 5.0, 15)
    b = g.normal(110.0, 6.0, 18)
    lo, hi = model_bootstrap_diff(a, b, 1500, 99, 0.95)
    w(darr("sv_bd_model_a", a))
    w(darr("sv_bd_model_b", b))
    w("static const sv_bootstrap_diff sv_bootstrap_diff_model = {")
    w(f'    "model", {len(a)}, {len(b)}, sv_bd_model_a, sv_bd_model_b, 1500, UINT64_C(99), 0.95, '
      f"{fmt(lo)}, {fmt(hi)}}};")
    w("")

    # Bootstrap, scipy.stats.bootstrap with its own RNG (statistical agreement).
    w("#define SV_SCIPY_RESAMPLES 100000")
    w("")
    w("typedef struct {")
    w("    const char *name;")
    w("    size_t n;")
    w("    const double *x;")
    w("    double mean_lo, mean_hi, median_lo, median_hi;")
    w("} sv_bootstrap_scipy;")
    w("")
    rows = []
    for name, x, _ in estimator_cases()[:4]:
        rm = st.bootstrap((x,), np.mean, n_resamples=100000, method="percentile",
                          confidence_level=0.95, vectorized=True, batch=5000,
                          random_state=np.random.Generator(np.random.PCG64(401)))
        rd = st.bootstrap((x,), np.median, n_resamples=100000, method="percentile",
                          confidence_level=0.95, vectorized=True, batch=5000,
                          random_state=np.random.Generator(np.random.PCG64(402)))
        ci_m, ci_d = rm.confidence_interval, rd.confidence_interval
        rows.append(f'    {{"{name}", {len(x)}, sv_x_{name}, {fmt(ci_m.low)}, {fmt(ci_m.high)}, '
                    f"{fmt(ci_d.low)}, {fmt(ci_d.high)}}},")
    w("static const sv_bootstrap_scipy sv_bootstrap_scipy_cases[] = {")
    out.extend(rows)
    w("};")
    w("")

    def rel_change(a, b, axis=-1):
        return 100 * (np.mean(b, axis=axis) / np.mean(a, axis=axis) - 1)

    rows = []
    g = gen(303)
    diff_inputs = [
        ("slower", g.normal(1000.0, 20.0, 100), g.normal(1030.0, 25.0, 100), 11),
        ("same", g.normal(500.0, 10.0, 60), g.normal(500.0, 10.0, 80), 12),
    ]
    for name, a, b, seed in diff_inputs:
        r = st.bootstrap((a, b), rel_change, n_resamples=100000, method="percentile",
                         confidence_level=0.95, vectorized=True, batch=5000,
                         random_state=np.random.Generator(np.random.PCG64(500 + seed)))
        ci = r.confidence_interval
        w(darr(f"sv_bd_{name}_a", a))
        w(darr(f"sv_bd_{name}_b", b))
        rows.append(f'    {{"{name}", {len(a)}, {len(b)}, sv_bd_{name}_a, sv_bd_{name}_b, '
                    f"SV_SCIPY_RESAMPLES, UINT64_C({seed}), 0.95, {fmt(ci.low)}, {fmt(ci.high)}}},")
    w("")
    w("static const sv_bootstrap_diff sv_bootstrap_diff_scipy_cases[] = {")
    out.extend(rows)
    w("};")
    w("")
    emit_paired(w, out)
    w("#endif")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
