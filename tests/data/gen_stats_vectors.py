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
    test compares them with a loose tolerance.
"""
import sys

import numpy as np
import scipy
import scipy.stats as st

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
    w("#endif")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
