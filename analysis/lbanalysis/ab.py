"""A/B files (`latentbench ab`, docs/REGRESSION.md "Paired A/B"): the figures
of the paired comparison, drawn from the file's own numbers.

The tool measured both builds in one process, block after block, and wrote per
row the Hodges-Lehmann ratio B / A with its two-sided CI, the one-sided bounds
its verdict tests, the one-sided Wilcoxon p-values and the verdict (/ab), and
every round's two blocks (/ab_pairs/<i>). Nothing is recomputed here: the
figures and tables show what the gate decided, and why.
"""

import math
import re
from collections import OrderedDict

import numpy as np

from . import plotting as P
from .errors import EX_USAGE, AnalysisError
from .plotting import Figure, Skipped

MAX_ROWS = 40       # rows in the ratio figure (the table has every row)
MAX_PANELS = 8      # rounds panels by default; with --samples up to 12
LOG_SPAN = 3.0      # a ratio axis whose values span more than this is logarithmic
# Ticks of a logarithmic ratio axis: 1-2-5 over many decades, finer over few.
NICE_WIDE = [m * 10.0 ** e for e in range(-4, 4) for m in (1, 2, 5)]
NICE_NARROW = [m * 10.0 ** e for e in range(-3, 3) for m in (1, 1.5, 2, 3, 5, 7)]
ORDER_COLORS = {0: P.PALETTE[0], 1: P.PALETTE[1]}   # b_first 0: A's block first; 1: B's first
ORDER_MARKERS = {0: "o", 1: "^"}


def regression_line(a):
    """The ratio above which the one-sided lower bound makes a regression: 1 + T."""
    return 1.0 + a["threshold_pct"] / 100.0


def improvement_line(a):
    """The ratio below which the one-sided upper bound makes an improvement: 1 - T/2."""
    return 1.0 - a["threshold_pct"] / 200.0


def time_verdict(a):
    """The verdict of the time alone. The file's verdict is the row's; it is a
    regression also when memory grew past the gate's memory thresholds, and
    then the time may be no regression at all."""
    if a["verdict"] == "Regression" and not a["ratio_lower"] > regression_line(a):
        return "NoChange"
    return a["verdict"] if a["verdict"] in ("Regression", "Improvement") else "NoChange"


def p_directed(a):
    """The one-sided signed-rank p in the direction of the ratio: of B slower
    when the ratio is 1 or above, of B faster below."""
    return a["p_slower"] if not a["ratio"] < 1.0 else a["p_faster"]


def counts(ab_rows):
    out = OrderedDict((k, 0) for k in ("Regression", "Improvement", "NoChange"))
    for a in ab_rows:
        out[a["verdict"] if a["verdict"] in out else "NoChange"] += 1
    return out


def _pct(a, b):
    if a == 0:
        return "+inf%" if b else "+0%"
    return f"{100.0 * (b - a) / a:+.0f}%"


def memory_note(a):
    """'' when memory is the same, else what changed, e.g. 'peak +12%, allocations 3 → 4'."""
    if a["memory_verdict"] == "Same":
        return ""
    parts = []
    if a["peak_bytes_a"] != a["peak_bytes_b"]:
        parts.append(f"peak {_pct(a['peak_bytes_a'], a['peak_bytes_b'])}")
    if a["allocations_a"] != a["allocations_b"]:
        parts.append(f"allocations {a['allocations_a']} → {a['allocations_b']}")
    return ", ".join(parts)


def _confidence(rows):
    cs = sorted({a["confidence"] for a in rows if math.isfinite(a["confidence"])})
    return "/".join(f"{100 * c:g}%" for c in cs) or "?"


def ratio_axis(ax, which, values):
    """A ratio axis: logarithmic when the values span more than LOG_SPAN, with
    ticks at round ratios either way. Returns whether it is logarithmic."""
    vals = [float(v) for v in values if v is not None and math.isfinite(v) and v > 0]
    if not vals:
        return False
    lo, hi = min(vals), max(vals)
    if not hi / lo > LOG_SPAN:
        return False
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    nice = NICE_WIDE if math.log10(hi / lo) > 1.3 else NICE_NARROW
    # the limits reach the next round ratio when it is near, so the ends are labelled
    below = max((t for t in nice if t <= lo), default=lo)
    above = min((t for t in nice if t >= hi), default=hi)
    lim = (below / 1.04 if lo / below < 1.3 else lo / 1.08, above * 1.04 if above / hi < 1.3 else hi * 1.08)
    (ax.set_xlim if which == "x" else ax.set_ylim)(*lim)
    ticks = [t for t in nice if lim[0] <= t <= lim[1]]
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_locator(P.ticker.FixedLocator(ticks))
    axis.set_minor_locator(P.ticker.NullLocator())
    axis.set_major_formatter(P.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    return True


def _libraries(res):
    at = res.attrs
    return (f"Candidate B {at['library'] or '?'} ({at['library_hash'] or '?'}) against baseline A "
            f"{at['base_library'] or '?'} ({at['base_library_hash'] or '?'})")


def ratio_figure(res):
    """Per row: the ratio B / A (dot) and its two-sided CI (bar), the one-sided
    bound the verdict tests (caret), the row's threshold 1 + T (red tick) and
    improvement line 1 - T/2 (green tick); coloured by the time verdict."""
    name, title = "ab_ratio", "A/B: candidate / baseline time per benchmark"
    drawn = [a for a in res.ab if a["rounds"] > 0 and math.isfinite(a["ratio"]) and a["ratio"] > 0]
    if not drawn:
        return Skipped(name, title, "no row of /ab has rounds and a ratio")
    order = {"Regression": 0, "Improvement": 1, "NoChange": 2}
    rows = sorted(drawn, key=lambda a: (order.get(a["verdict"], 2), -abs(math.log(a["ratio"]))))
    note = ""
    if len(rows) > MAX_ROWS:
        keep = [a for a in rows if a["verdict"] != "NoChange"]
        rest = [a for a in rows if a["verdict"] == "NoChange"][:max(MAX_ROWS - len(keep), 0)]
        note = (f" {len(rows) - len(keep) - len(rest)} rows without a verdict and the ratios nearest 1 are left "
                "out; the table has them all.")
        rows = keep + rest
    if len(drawn) < len(res.ab):
        note += f" {len(res.ab) - len(drawn)} rows without rounds are in the table only."
    rows = rows[::-1]  # the first at the top
    fig, axes = P.new(width=9.5, height=1.5 + 0.3 * len(rows))
    ax = axes[0][0]
    vals = []
    red, green = P.VERDICT_COLORS["Regression"], P.VERDICT_COLORS["Improvement"]
    for i, a in enumerate(rows):
        col = P.VERDICT_COLORS[time_verdict(a)]
        lo, hi = a["ratio_ci_low"], a["ratio_ci_high"]
        eb = ax.errorbar([a["ratio"]], [i], xerr=[[max(a["ratio"] - lo, 0)], [max(hi - a["ratio"], 0)]], fmt="o",
                         color=col, ecolor=col, elinewidth=2.2, capsize=3, markersize=5, alpha=0.9)
        eb.lines[0].set_gid("ratio")
        eb.lines[2][0].set_gid("ci")
        if a["ratio"] >= 1.0:
            ax.plot([a["ratio_lower"]], [i + 0.22], ">", color=col, markersize=4.5)
        else:
            ax.plot([a["ratio_upper"]], [i + 0.22], "<", color=col, markersize=4.5)
        ax.plot([regression_line(a)], [i], "|", color=red, markersize=13, mew=1.6, gid="threshold")
        ax.plot([improvement_line(a)], [i], "|", color=green, markersize=13, mew=1.6, gid="improvement_line")
        vals += [lo, hi, a["ratio"], regression_line(a), improvement_line(a)]
    ax.axvline(1.0, color="#333333", linewidth=0.8)
    labels = []
    for a in rows:
        lab = P.wrap(a["id"], 60).replace("\n", " ")
        mem = memory_note(a)
        if mem:
            lab += f"  [memory {a['memory_verdict'].lower()}: {mem}]"
        labels.append(lab)
    P.categorical(ax, "y", np.arange(len(rows)), labels)
    for tick, a in zip(ax.get_yticklabels(), rows):
        tick.set_color(P.VERDICT_COLORS[a["verdict"]] if a["verdict"] in ("Regression", "Improvement")
                       else "#222222")
    ax.set_ylim(-0.7, len(rows) - 0.3)
    log = ratio_axis(ax, "x", vals)
    ax.set_xlabel("time ratio B / A, candidate / baseline (×" + (", log scale)" if log else ")"))
    ax.set_ylabel("benchmark")
    ax.grid(axis="y", visible=False)
    from matplotlib.lines import Line2D
    conf = _confidence(rows)
    handles = [
        Line2D([], [], color=red, marker="o", linewidth=2.2, label="regression"),
        Line2D([], [], color=green, marker="o", linewidth=2.2, label="improvement"),
        Line2D([], [], color=P.VERDICT_COLORS["NoChange"], marker="o", linewidth=2.2, label="no change"),
        Line2D([], [], color="#555555", marker=">", linestyle="", markersize=4.5,
               label="one-sided bound tested\n(▸ lower, ◂ upper)"),
        Line2D([], [], color=red, marker="|", linestyle="", markersize=13, mew=1.6, label="threshold 1 + T"),
        Line2D([], [], color=green, marker="|", linestyle="", markersize=13, mew=1.6,
               label="improvement line 1 − T/2"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              title=f"dot: ratio; bar: {conf} CI")
    n = counts(res.ab)
    caption = (f"{_libraries(res)}, measured interleaved in one process. Dot: the Hodges–Lehmann estimate of the "
               f"median per-round time ratio B / A (above 1: the candidate is slower); bar: its two-sided {conf} "
               "confidence interval; caret: the one-sided bound the verdict tests; ticks: the row's threshold "
               "1 + T (red) and improvement line 1 − T/2 (green). A row is a regression when its one-sided lower "
               "bound is above 1 + T, an improvement when its upper bound is below 1 − T/2; the colour is that "
               "time verdict, and a label names a memory change and takes the colour of the row's verdict. "
               f"{n['Regression']} regressions, {n['Improvement']} improvements, {n['NoChange']} no change."
               + (" The ratios span more than a factor 3: log scale." if log else "") + note)
    return Figure(name, title, caption, fig, [a["id"] for a in rows], section="ab")


def _chosen(res, pattern):
    with_rounds = [i for i, p in enumerate(res.pairs) if len(p["a_ns"])]
    if pattern:
        try:
            rx = re.compile(pattern)
        except re.error as e:
            raise AnalysisError(EX_USAGE, f"--samples: '{pattern}' is not a regular expression: {e}")
        chosen = [i for i in with_rounds if rx.search(res.ab[i]["id"])]
        if not chosen:
            raise AnalysisError(EX_USAGE, f"--samples: '{pattern}' matches no benchmark id with rounds")
        return chosen[:12]
    order = {"Regression": 0, "Improvement": 1}
    seen, out = set(), []
    for i in sorted(with_rounds, key=lambda i: order.get(res.ab[i]["verdict"], 2)):
        if res.ab[i]["id"] not in seen:
            seen.add(res.ab[i]["id"])
            out.append(i)
    return out[:MAX_PANELS]


def rounds_figure(res, pattern=None):
    """The raw rounds of chosen rows: b_ns / a_ns against the round, marked by
    which build's block ran first, with the row's estimate, CI and lines."""
    name, title = "ab_rounds", "A/B: the ratio in each round"
    chosen = _chosen(res, pattern)
    if not chosen:
        return Skipped(name, title, "no row has rounds in /ab_pairs")
    ncols = min(4, len(chosen))
    nrows = math.ceil(len(chosen) / ncols)
    fig, axes = P.new(nrows, ncols, width=3.3 * ncols + 1.8, height=3.2 * nrows)
    red, green = P.VERDICT_COLORS["Regression"], P.VERDICT_COLORS["Improvement"]
    any_log = False
    for ax, i in zip(axes.flat, chosen):
        a, p = res.ab[i], res.pairs[i]
        ok = (p["a_ns"] > 0) & np.isfinite(p["a_ns"]) & np.isfinite(p["b_ns"])
        x = np.asarray(p["round"])[ok]
        r = (p["b_ns"] / np.where(p["a_ns"] > 0, p["a_ns"], 1.0))[ok]
        first = np.asarray(p["b_first"])[ok]
        col = P.VERDICT_COLORS[time_verdict(a)]
        if math.isfinite(a["ratio_ci_low"]) and math.isfinite(a["ratio_ci_high"]):
            ax.axhspan(a["ratio_ci_low"], a["ratio_ci_high"], color=col, alpha=0.18, linewidth=0)
        if math.isfinite(a["ratio"]):
            ax.axhline(a["ratio"], color=col, linewidth=1.4)
        ax.axhline(1.0, color="#333333", linewidth=0.8)
        ax.axhline(regression_line(a), color=red, linewidth=1.0, linestyle="--")
        ax.axhline(improvement_line(a), color=green, linewidth=1.0, linestyle="--")
        meds = []
        for b in (0, 1):
            sel = first == b
            if sel.any():
                ax.scatter(x[sel], r[sel], s=12 if len(r) < 200 else 6, marker=ORDER_MARKERS[b],
                           color=ORDER_COLORS[b], alpha=0.75, linewidths=0, zorder=3)
                meds.append(f"{'B' if b else 'A'} first {np.median(r[sel]):.3f}")
        log = ratio_axis(ax, "y", list(r) + [a["ratio"], a["ratio_ci_low"], a["ratio_ci_high"],
                                             regression_line(a), improvement_line(a)])
        any_log |= log
        ax.set_xlabel("round (from 0, as measured)")
        ax.set_ylabel("time ratio B / A in the round (×" + (", log scale)" if log else ")"))
        verdict = a["verdict"] if a["verdict"] != "NoChange" else "no change"
        ax.set_title(P.wrap(a["id"], 38) + f"\n{verdict}: ratio {a['ratio']:.3f}, {len(r)} rounds, "
                     f"{a['order']}\nmedian: {'; '.join(meds)}", fontsize=8)
    for ax in list(axes.flat)[len(chosen):]:
        ax.set_axis_off()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    handles = [
        Line2D([], [], color=ORDER_COLORS[0], marker=ORDER_MARKERS[0], linestyle="", label="round: A's block first"),
        Line2D([], [], color=ORDER_COLORS[1], marker=ORDER_MARKERS[1], linestyle="", label="round: B's block first"),
        Line2D([], [], color="#555555", linewidth=1.4, label="Hodges–Lehmann ratio"),
        Patch(color="#555555", alpha=0.18, label=f"its {_confidence([res.ab[i] for i in chosen])} CI"),
        Line2D([], [], color=red, linestyle="--", label="threshold 1 + T"),
        Line2D([], [], color=green, linestyle="--", label="improvement line 1 − T/2"),
    ]
    axes[0][ncols - 1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    fig.tight_layout()
    caption = ("Each round's time ratio, the candidate's block over the baseline's in the same round (b_ns / a_ns "
               "of /ab_pairs), against the round: circles, rounds in which the baseline's block ran first; "
               "triangles, the candidate's. The line and band are the row's Hodges–Lehmann ratio and its CI, "
               "dashed the threshold 1 + T and the improvement line 1 − T/2; each title gives the median ratio of "
               "either order. Two clouds apart show an order effect (the second block of a round faster or "
               "slower), which the balanced order cancels in the estimate; a drift over the rounds falls on both "
               "builds alike. Choose ids with --samples REGEX (default: regressions and improvements first, up to "
               f"{MAX_PANELS})." + (" A panel whose ratios span more than a factor 3 is logarithmic." if any_log
                                    else ""))
    return Figure(name, title, caption, fig, [res.ab[i]["id"] for i in chosen], section="ab")


def samples_skipped():
    """What stands in for the raw samples figure of a run."""
    return Skipped("samples", "Raw samples", "in an A/B file each sample is one block of the candidate, one a "
                   "round; the rounds figure draws them against the baseline's blocks of the same round")


def build_all(res, pattern=None):
    """The A/B figures of an A/B file, in report order."""
    return [ratio_figure(res), rounds_figure(res, pattern)]
