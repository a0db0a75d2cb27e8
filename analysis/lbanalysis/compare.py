"""Baseline against current: the change of every benchmark with its confidence
interval and verdict, and the figure of it.

The numbers follow the regression gate (docs/REGRESSION.md, src/gate/) from the
same raw samples: change of the median, 95% bootstrap CI of the mean's change
(10,000 resamples, per round medians when both sides have 5 rounds or more),
two-sided Mann-Whitney p (scipy, method "asymptotic", as the gate's own
implementation is documented to match), the threshold of the id from
regression_config.toml, the four rules and the memory thresholds, and with a
history the run-to-run drift floor. The bootstrap draws its own random
numbers, so a CI bound can differ from `compare`'s in the last digit and a row
that sits exactly on a rule's edge can get the other verdict; `latentbench
compare` stays the gate.

Pairs come from a PairSource, which two results files make (`from_results`).
An A/B file carries its own paired statistics and verdicts; ab.py draws them
(docs/ANALYSIS.md).
"""

import fnmatch
import math
import os
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from . import plotting as P
from .errors import EX_DATAERR, EX_NOINPUT, AnalysisError
from .plotting import Figure, Skipped

ALPHA = 0.05
RESAMPLES = 10000
NOISE_FRACTION = 0.25
MEDIAN_FRACTION = 0.5
MIN_ROUNDS = 5
DRIFT_SIGMAS = 3.0
MIN_RUNS = 3
SEED = 0x6C62676174653031

# The design's groups and the ids each governs (docs/REGRESSION.md).
DESIGN_GROUPS = OrderedDict([
    (("latency", "knn_search"), (["knn_search/*"], 5.0)),
    (("latency", "add_embedding"), (["add_embedding/*"], 8.0)),
    (("latency", "attention"), (["attention_computation/*", "attention_comparison/*", "flash_vs_standard/*"], 12.0)),
    (("throughput", "batch_operations"), (["batch_add_embeddings/*", "batch_attention/*"], 15.0)),
    (("throughput", "parallel_search"), (["parallel_knn_search/*"], 10.0)),
])


@dataclass
class Thresholds:
    default: float = 10.0
    entries: list = field(default_factory=list)  # (pattern, percent), first match wins
    peak: float = 20.0
    alloc: float = 25.0
    source: str = "the design's defaults"

    def for_id(self, id_):
        for pattern, pct in self.entries:
            if fnmatch.fnmatchcase(id_, pattern):
                return pct
        return self.default


def _is_pattern(key):
    return any(c in key for c in "/*?[")


def load_thresholds(path=None, threshold=None):
    """The thresholds of regression_config.toml (or the design's), as the gate
    reads them: file entries in file order, then the design's groups the file
    does not set; --threshold replaces the default."""
    t = Thresholds()
    data = {}
    if path:
        import tomllib
        if not os.path.exists(path):
            raise AnalysisError(EX_NOINPUT, f"{path}: No such file or directory")
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as e:
            raise AnalysisError(EX_DATAERR, f"{path}: {e}")
        except OSError as e:
            raise AnalysisError(EX_NOINPUT, f"{path}: {e.strerror or e}")
        t.source = path
    th = data.get("thresholds", {})

    def number(v, where):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
            raise AnalysisError(EX_DATAERR, f"{path}: {where} must be a number greater than 0")
        return float(v)

    if "default" in th:
        t.default = number(th["default"], "thresholds.default")
    set_groups = set()
    for kind in ("latency", "throughput"):
        table = th.get(kind, {})
        if not isinstance(table, dict):
            raise AnalysisError(EX_DATAERR, f"{path}: thresholds.{kind} must be a table")
        for key, v in table.items():
            pct = number(v, f"thresholds.{kind}.{key}")
            if (kind, key) in DESIGN_GROUPS:
                set_groups.add((kind, key))
                t.entries += [(p, pct) for p in DESIGN_GROUPS[(kind, key)][0]]
            elif _is_pattern(key):
                t.entries.append((key, pct))
            # else: an unknown key, which the gate warns about and ignores
    for g, (patterns, pct) in DESIGN_GROUPS.items():
        if g not in set_groups:
            t.entries += [(p, pct) for p in patterns]
    mem = th.get("memory", {})
    if "peak_usage" in mem:
        t.peak = number(mem["peak_usage"], "thresholds.memory.peak_usage")
    if "allocation_count" in mem:
        t.alloc = number(mem["allocation_count"], "thresholds.memory.allocation_count")
    if threshold is not None:
        t.default = threshold
    return t


@dataclass
class Pair:
    """One benchmark on both sides; base or cur is None when one side lacks it."""
    id: str
    base: dict = None        # the /benchmarks row
    cur: dict = None
    base_samples: dict = None  # {"ns", "round", ...}
    cur_samples: dict = None


@dataclass
class PairSource:
    base_label: str
    cur_label: str
    base_machine: str
    cur_machine: str
    pairs: list
    kind: str = "two results files"


def from_results(base, cur):
    """Rows matched by id, in the current file's order, then the baseline's
    rows missing from it (a repeated id pairs with the next unused one)."""
    used, pairs = set(), []
    for r in cur.rows:
        j = next((b["index"] for b in base.rows if b["id"] == r["id"] and b["index"] not in used), None)
        if j is None:
            pairs.append(Pair(r["id"], cur=r, cur_samples=cur.samples[r["index"]]))
            continue
        used.add(j)
        pairs.append(Pair(r["id"], base.rows[j], r, base.samples[j], cur.samples[r["index"]]))
    for b in base.rows:
        if b["index"] not in used:
            pairs.append(Pair(b["id"], base=b, base_samples=base.samples[b["index"]]))
    return PairSource(base.label(), cur.label(), base.attrs["machine"], cur.attrs["machine"], pairs)


@dataclass
class Change:
    id: str
    verdict: str
    time_verdict: str = ""
    memory_verdict: str = ""
    base_median_ns: float = math.nan
    cur_median_ns: float = math.nan
    median_change_pct: float = math.nan
    mean_change_pct: float = math.nan
    ci_low_pct: float = math.nan
    ci_high_pct: float = math.nan
    p_value: float = math.nan
    threshold_pct: float = math.nan
    peak_change_pct: float = math.nan
    alloc_change_pct: float = math.nan
    noise_pct: float = math.nan
    by_rounds: bool = False


def _round_medians(s):
    rounds = np.asarray(s["round"])
    ns = np.asarray(s["ns"], dtype=float)
    keys = np.unique(rounds)
    if len(keys) < MIN_ROUNDS:
        return None
    return np.array([np.median(ns[rounds == k]) for k in keys])


def _bootstrap(a, b, rng):
    ia = rng.integers(0, len(a), size=(RESAMPLES, len(a)))
    ib = rng.integers(0, len(b), size=(RESAMPLES, len(b)))
    dist = 100.0 * (b[ib].mean(axis=1) / a[ia].mean(axis=1) - 1.0)
    lo, hi = np.percentile(dist, [2.5, 97.5])
    return float(lo), float(hi)


def _count_change(base, cur):
    if base == 0:
        return 0.0 if cur == 0 else math.inf
    return (cur - base) / base * 100.0


def _time_verdict(c):
    if not (c.p_value < ALPHA):
        return "NoChange"
    if math.isfinite(c.noise_pct) and abs(c.median_change_pct) <= c.noise_pct:
        return "NoChange"
    t = c.threshold_pct
    if (max(c.ci_high_pct, c.median_change_pct) >= t and c.ci_low_pct > t * NOISE_FRACTION
            and c.median_change_pct > t * MEDIAN_FRACTION):
        return "Regression"
    ti = t / 2
    if (min(c.ci_low_pct, c.median_change_pct) <= -ti and c.ci_high_pct < -ti * NOISE_FRACTION
            and c.median_change_pct < -ti * MEDIAN_FRACTION):
        return "Improvement"
    return "NoChange"


def drift_floors(source, history):
    """id -> run-to-run drift floor (percent) from the baseline's and the
    history's row medians, with at least MIN_RUNS of them (as the gate)."""
    out = {}
    for p in source.pairs:
        if p.base is None or p.cur is None:
            continue
        logs = [math.log(p.base["median_ns"])] if p.base["median_ns"] > 0 else []
        for h in history:
            r = next((r for r in h.rows if r["id"] == p.id), None)
            if r and r["median_ns"] > 0 and math.isfinite(r["median_ns"]):
                logs.append(math.log(r["median_ns"]))
        if len(logs) >= MIN_RUNS:
            sd = float(np.std(logs, ddof=1))
            out[p.id] = 100.0 * (math.exp(DRIFT_SIGMAS * math.sqrt(2.0) * sd) - 1.0)
    return out


def compare(source, thresholds, floors=None):
    """One Change per pair, in the source's order."""
    from scipy.stats import mannwhitneyu
    floors = floors or {}
    rng = np.random.default_rng(SEED)
    out = []
    for p in source.pairs:
        t = thresholds.for_id(p.id)
        if p.base is None or p.cur is None:
            v = "NewBenchmark" if p.base is None else "Missing"
            out.append(Change(p.id, v, v, v, threshold_pct=t,
                              cur_median_ns=p.cur["median_ns"] if p.cur else math.nan,
                              base_median_ns=p.base["median_ns"] if p.base else math.nan))
            continue
        a = np.asarray(p.base_samples["ns"], dtype=float)
        b = np.asarray(p.cur_samples["ns"], dtype=float)
        for side, x in (("baseline", a), ("current", b)):
            if len(x) == 0:
                raise AnalysisError(EX_DATAERR, f"{side}: benchmark '{p.id}' has no raw samples to compare")
            if not np.all(np.isfinite(x) & (x > 0)):
                raise AnalysisError(EX_DATAERR, f"{side}: benchmark '{p.id}' has a sample that is not a positive time")
        c = Change(p.id, "NoChange", threshold_pct=t, noise_pct=floors.get(p.id, math.nan))
        c.base_median_ns, c.cur_median_ns = float(np.median(a)), float(np.median(b))
        c.median_change_pct = (c.cur_median_ns - c.base_median_ns) / c.base_median_ns * 100.0
        ra, rb = _round_medians(p.base_samples), _round_medians(p.cur_samples)
        c.by_rounds = ra is not None and rb is not None
        ua, ub = (ra, rb) if c.by_rounds else (a, b)
        # the point estimate of the CI below: the change of the mean of the
        # values the bootstrap resamples, so it lies inside its own interval
        c.mean_change_pct = (ub.mean() - ua.mean()) / ua.mean() * 100.0
        c.ci_low_pct, c.ci_high_pct = _bootstrap(ua, ub, rng)
        if np.all(ua == ua[0]) and np.all(ub == ua[0]):
            c.p_value = 1.0  # identical constants: no difference to test
        else:
            c.p_value = float(mannwhitneyu(ua, ub, alternative="two-sided", method="asymptotic",
                                           use_continuity=True).pvalue)
        c.peak_change_pct = _count_change(p.base["peak_bytes"], p.cur["peak_bytes"])
        c.alloc_change_pct = _count_change(p.base["allocations"], p.cur["allocations"])
        c.time_verdict = _time_verdict(c)
        if c.peak_change_pct > thresholds.peak or c.alloc_change_pct > thresholds.alloc:
            c.memory_verdict = "Regression"
        elif c.peak_change_pct < -thresholds.peak or c.alloc_change_pct < -thresholds.alloc:
            c.memory_verdict = "Improvement"
        else:
            c.memory_verdict = "NoChange"
        vs = (c.time_verdict, c.memory_verdict)
        c.verdict = "Regression" if "Regression" in vs else "Improvement" if "Improvement" in vs else "NoChange"
        out.append(c)
    return out


def counts(changes):
    out = OrderedDict((k, 0) for k in ("Regression", "Improvement", "NoChange", "NewBenchmark", "Missing"))
    for c in changes:
        out[c.verdict] += 1
    return out


MAX_ROWS = 40


def figure(source, changes, thresholds):
    """Change of each benchmark's median (dot) with the CI of the mean's change
    (bar), coloured by the time verdict; the threshold T (red) and the
    improvement line T/2 (green) of each row drawn."""
    title = "Baseline against current"
    matched = [c for c in changes if c.verdict not in ("NewBenchmark", "Missing")]
    if not matched:
        return Skipped("comparison", title, "no benchmark id is in both files")
    order = {"Regression": 0, "Improvement": 1, "NoChange": 2}
    rows = sorted(matched, key=lambda c: (order[c.verdict], -abs(c.median_change_pct)))
    note = ""
    if len(rows) > MAX_ROWS:
        keep = [c for c in rows if c.verdict != "NoChange"]
        rest = [c for c in rows if c.verdict == "NoChange"][:max(MAX_ROWS - len(keep), 0)]
        note = (f" {len(rows) - len(keep) - len(rest)} rows without a verdict and the smallest changes are left "
                "out; the table has them all.")
        rows = keep + rest
    rows = rows[::-1]  # the first at the top
    fig, axes = P.new(width=9.5, height=1.4 + 0.28 * len(rows))
    ax = axes[0][0]
    y = np.arange(len(rows))
    vals = []
    for i, c in enumerate(rows):
        col = P.VERDICT_COLORS.get(c.time_verdict, P.VERDICT_COLORS["NoChange"])
        ax.plot([c.ci_low_pct, c.ci_high_pct], [i, i], color=col, linewidth=2.2, alpha=0.55,
                solid_capstyle="butt")
        ax.plot([c.median_change_pct], [i], "o", color=col, markersize=5)
        ax.plot([c.threshold_pct], [i], "|", color=P.VERDICT_COLORS["Regression"], markersize=11, mew=1.4)
        ax.plot([-c.threshold_pct / 2], [i], "|", color=P.VERDICT_COLORS["Improvement"], markersize=11, mew=1.4)
        if math.isfinite(c.noise_pct):
            ax.plot([c.noise_pct, -c.noise_pct], [i, i], "x", color="#555555", markersize=4)
        vals += [c.ci_low_pct, c.ci_high_pct, c.median_change_pct, c.threshold_pct, -c.threshold_pct / 2]
    ax.axvline(0, color="#333333", linewidth=0.8)
    labels = []
    for c in rows:
        lab = P.wrap(c.id, 60).replace("\n", " ")
        if c.memory_verdict in ("Regression", "Improvement"):
            lab += f"  [memory {c.memory_verdict.lower()}: peak {c.peak_change_pct:+.0f}%]"
        labels.append(lab)
    P.categorical(ax, "y", y, labels)
    for tick, c in zip(ax.get_yticklabels(), rows):
        tick.set_color(P.VERDICT_COLORS.get(c.verdict, "#000000") if c.verdict != "NoChange" else "#222222")
    ax.set_ylim(-0.7, len(rows) - 0.3)
    finite = [v for v in vals if math.isfinite(v)]
    span = max(abs(v) for v in finite) if finite else 10
    if span > 150:
        ax.set_xscale("symlog", linthresh=20)
        ax.set_xlabel("change of the median time against the baseline (%, symmetric log beyond ±20%)")
    else:
        ax.set_xlabel("change of the median time against the baseline (%)")
    ax.set_ylabel("benchmark")
    ax.grid(axis="y", visible=False)
    from matplotlib.lines import Line2D
    handles = [
        Line2D([], [], color=P.VERDICT_COLORS["Regression"], marker="o", linewidth=2.2, label="regression"),
        Line2D([], [], color=P.VERDICT_COLORS["Improvement"], marker="o", linewidth=2.2, label="improvement"),
        Line2D([], [], color=P.VERDICT_COLORS["NoChange"], marker="o", linewidth=2.2, label="no change"),
        Line2D([], [], color=P.VERDICT_COLORS["Regression"], marker="|", linestyle="", markersize=11, mew=1.4,
               label="threshold T"),
        Line2D([], [], color=P.VERDICT_COLORS["Improvement"], marker="|", linestyle="", markersize=11, mew=1.4,
               label="improvement line −T/2"),
    ]
    if any(math.isfinite(c.noise_pct) for c in rows):
        handles.append(Line2D([], [], color="#555555", marker="x", linestyle="", label="drift floor ± (history)"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    n = counts(changes)
    caption = (f"{source.cur_label} against {source.base_label}: dot, change of the median time; bar, 95% "
               "bootstrap CI of the change of the mean (over round medians when both sides have 5 rounds); "
               f"colour, the time verdict of the gate's rules (thresholds: {thresholds.source}). "
               f"{n['Regression']} regressions, {n['Improvement']} improvements, {n['NoChange']} no change, "
               f"{n['NewBenchmark']} new, {n['Missing']} missing." + note)
    if source.base_machine != source.cur_machine:
        caption += f" The machines differ: {source.base_machine} / {source.cur_machine}."
    return Figure("comparison", title, caption, fig, [c.id for c in rows], section="comparison")
