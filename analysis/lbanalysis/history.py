"""A metric over a baseline directory's history, per benchmark, with change
points.

History: the results files of one machine and one baseline name
(docs/BASELINES.md: DIR/<machine key>/<name>/*.h5), ordered by the time each
run finished (`created`), then by file name. Given the top of a baseline
directory, the machine is found by its machine.txt, which must equal the
current file's `machine` attribute.

Change points: circular binary segmentation (Olshen et al., Biostatistics
2004) on the logarithms of the values (a change is a ratio, so it is the same
size at 1 µs and at 1 s). In a segment of m runs, the arc [i, j) whose mean
differs most from the rest's is found: the one with the largest gain
L·(m − L)/m · (mean inside − mean outside)², L = j − i, which is the drop of the
sum of squared deviations when the arc gets its own mean. An arc that touches
an end is one change (a step), one in the middle two (a regression that was
fixed, a slow stretch). It is kept when a permutation test says such a gain is
unlikely without a change (the same search over PERMUTATIONS shuffles of the
segment, fixed seed, reaches it in a share p < ALPHA of them) and the two means
differ by MIN_SHIFT or more; then every part is searched again. Every part
keeps MIN_SEGMENT runs or more. The test needs no noise model (benchmark
medians are skewed and heavy-tailed), and a single disturbed run is no change
point (MIN_SEGMENT is 2, and shuffles that move that run reach about the same gain).
"""

import math
import os
from dataclasses import dataclass, field

import numpy as np

from . import plotting as P
from .errors import EX_NOINPUT, EX_USAGE, AnalysisError
from .plotting import Figure, Skipped
from .results import read_results
from .units import byte_unit, rate_unit, time_unit

MIN_SEGMENT = 2
MIN_SHIFT = math.log(1.02)   # 2%: below this a shift is not worth a marker
ALPHA = 0.01
PERMUTATIONS = 499
SEED = 20240506
MAX_PANELS = 12

# Metrics one may follow (numeric /benchmarks fields), their unit kind and direction.
METRICS = {
    "median_ns": ("time", "median time per iteration"), "mean_ns": ("time", "mean time per iteration"),
    "min_ns": ("time", "fastest sample per iteration"), "slope_ns": ("time", "slope, time per iteration"),
    "peak_bytes": ("bytes", "peak memory"), "avg_bytes": ("bytes", "mean of the samples' peak memory"),
    "rss_peak_bytes": ("bytes", "process peak RSS"), "allocations": ("count", "allocations per iteration"),
    "throughput_elements": ("rate", "throughput"), "throughput_bytes": ("bytes/s", "throughput"),
}


@dataclass
class Series:
    id: str
    runs: list                  # indices into History.files
    values: list
    change_points: list = field(default_factory=list)  # index into values where a new segment starts
    segments: list = field(default_factory=list)       # (start, end, mean of log)


@dataclass
class History:
    dir: str
    files: list                 # Results, oldest first
    metric: str
    series: list
    warnings: list = field(default_factory=list)


def _find_files(dir_, machine, name):
    """The .h5 files of the history: DIR itself when it holds some, else
    DIR/<machine key>/<name> found through machine.txt."""
    if not os.path.isdir(dir_):
        raise AnalysisError(EX_NOINPUT, f"{dir_}: no such directory")
    direct = sorted(f for f in os.listdir(dir_) if f.endswith(".h5") and not f.startswith("."))
    if direct:
        return [os.path.join(dir_, f) for f in direct]
    for sub in sorted(os.listdir(dir_)):
        mt = os.path.join(dir_, sub, "machine.txt")
        if os.path.isfile(mt):
            with open(mt, encoding="utf-8", errors="replace") as fh:
                if fh.read().strip() == machine.strip():
                    d = os.path.join(dir_, sub, name)
                    if not os.path.isdir(d):
                        raise AnalysisError(EX_NOINPUT, f"{dir_}: no baseline named '{name}' for machine '{machine}'")
                    files = sorted(f for f in os.listdir(d) if f.endswith(".h5") and not f.startswith("."))
                    return [os.path.join(d, f) for f in files]
    raise AnalysisError(EX_NOINPUT, f"{dir_}: no results files, and no baselines for machine '{machine}'")


def _arc_gains(x):
    """Gains of every allowed arc [i, j) of the last axis of x: shape (..., m+1, m+1)."""
    m = x.shape[-1]
    c = np.concatenate([np.zeros(x.shape[:-1] + (1,)), np.cumsum(x - x.mean(axis=-1, keepdims=True), axis=-1)],
                       axis=-1)
    d = c[..., None, :] - c[..., :, None]          # d[i, j] = sum of x[i:j] - (j - i) * mean
    g = d * d * (m / _arc_len_product(m))
    return np.where(_arc_allowed(m), g, 0.0)


_CACHE = {}


def _arcs(m):
    if m not in _CACHE:
        i, j = np.meshgrid(np.arange(m + 1), np.arange(m + 1), indexing="ij")
        L = j - i
        ok = ((L >= MIN_SEGMENT) & (m - L >= MIN_SEGMENT) & ((i == 0) | (i >= MIN_SEGMENT))
              & ((j == m) | (m - j >= MIN_SEGMENT)))
        _CACHE[m] = (np.where(ok, L * (m - L), 1).astype(float), ok)
    return _CACHE[m]


def _arc_len_product(m):
    return _arcs(m)[0]


def _arc_allowed(m):
    return _arcs(m)[1]


def detect(values):
    """Change points of a positive series: (change point indices, segments as
    (start, end, mean of log))."""
    x = np.log(np.asarray(values, dtype=float))
    rng = np.random.default_rng(SEED)
    cps = []

    def split(lo, hi):
        seg = x[lo:hi]
        m = len(seg)
        if m < 2 * MIN_SEGMENT or np.ptp(seg) == 0:
            return
        gains = _arc_gains(seg)
        i, j = np.unravel_index(int(np.argmax(gains)), gains.shape)
        best = gains[i, j]
        if best <= 0:
            return
        inside = seg[i:j].mean()
        outside = np.concatenate([seg[:i], seg[j:]]).mean()
        if abs(inside - outside) < MIN_SHIFT:
            return
        # A first batch of shuffles settles most segments without a change:
        # once ALPHA * (1 + PERMUTATIONS) - 1 shuffles reach the gain, p >= ALPHA.
        enough = math.ceil(ALPHA * (1 + PERMUTATIONS)) - 1
        reached, done = 0, 0
        for batch in (99, PERMUTATIONS - 99):
            shuffled = rng.permuted(np.tile(seg, (batch, 1)), axis=1)
            top = _arc_gains(shuffled).reshape(batch, -1).max(axis=1)
            reached += int(np.count_nonzero(top >= best * (1 - 1e-12)))
            done += batch
            if reached >= enough:
                return
        if (1 + reached) / (1 + done) >= ALPHA:
            return
        cuts = [c for c in (i, j) if 0 < c < m]
        cps.extend(lo + c for c in cuts)
        bounds = [0] + cuts + [m]
        for a, b in zip(bounds, bounds[1:]):
            split(lo + a, lo + b)

    split(0, len(x))
    cps.sort()
    bounds = [0] + cps + [len(x)]
    segments = [(a, b, float(x[a:b].mean())) for a, b in zip(bounds, bounds[1:])]
    return cps, segments


def load(dir_, current, metric="median_ns", name="main"):
    """The history of `current`'s machine in dir_, with `current` appended as
    the last run when it is not one of the files already."""
    if metric not in METRICS:
        raise AnalysisError(EX_USAGE, f"--history-metric: '{metric}' is not one of {', '.join(METRICS)}")
    paths = _find_files(dir_, current.attrs["machine"], name)
    files, warnings = [], []
    for p in paths:
        try:
            files.append(read_results(p))
        except AnalysisError as e:
            warnings.append(f"{e}; left out of the history")
    # The current file is the last run unless it is one of the files already
    # (`baseline save` copies it byte for byte: same run, same attributes).
    def run_key(f):
        return tuple(f.attrs[k] for k in ("created", "git_commit", "hostname", "machine", "command_line"))
    files = [current if run_key(f) == run_key(current) else f for f in files]
    if current not in files:
        files.append(current)
    files.sort(key=lambda f: (f.attrs["created"], os.path.basename(f.path)))
    ids = []
    for f in files:
        for r in f.rows:
            if r["id"] not in ids:
                ids.append(r["id"])
    series = []
    for id_ in ids:
        runs, vals = [], []
        for i, f in enumerate(files):
            r = next((r for r in f.rows if r["id"] == id_), None)
            if r is not None and math.isfinite(float(r[metric])) and r[metric] > 0:
                runs.append(i)
                vals.append(float(r[metric]))
        if len(vals) >= 2:
            s = Series(id_, runs, vals)
            s.change_points, s.segments = detect(vals)
            series.append(s)
    return History(dir_, files, metric, series, warnings)


def _unit(metric, values):
    kind = METRICS[metric][0]
    if kind == "time":
        return time_unit(values)
    if kind == "bytes":
        return byte_unit(values)
    if kind == "bytes/s":
        u, s = byte_unit(values)
        return (f"{u}/s", s)
    if kind == "rate":
        u, s = rate_unit(values)
        return (f"{u}elements/s" if u else "elements/s", s)
    return ("count", 1.0)


def _run_labels(created):
    """Tick labels from ISO 8601 times: the date when it tells the runs apart,
    else month, day and time."""
    dates = [c[:10] for c in created]
    if len(set(dates)) == len(dates):
        return dates
    minutes = [c[5:16].replace("T", " ") for c in created]
    if len(set(minutes)) == len(minutes):
        return minutes
    return [c[5:19].replace("T", " ") for c in created]


def figure(hist, current=None):
    title = f"History of {hist.metric}"
    if len(hist.files) < 3:
        return Skipped("history", title, f"the history has {len(hist.files)} runs; change points need 3 or more")
    series = [s for s in hist.series if len(s.values) >= 3]
    if not series:
        return Skipped("history", title, "no benchmark is in 3 or more runs of the history")
    series.sort(key=lambda s: (-len(s.change_points), -(max(s.values) / min(s.values))))
    shown = series[:MAX_PANELS]
    ncols = min(3, len(shown))
    nrows = math.ceil(len(shown) / ncols)
    fig, axes = P.new(nrows, ncols, width=4.2 * ncols, height=3.0 * nrows + 0.3)
    labels = _run_labels([f.attrs["created"] for f in hist.files])
    for ax, s in zip(axes.flat, shown):
        unit, scale = _unit(hist.metric, s.values)
        v = np.asarray(s.values) / scale
        ax.plot(s.runs, v, marker="o", color=P.PALETTE[0], markersize=4, linewidth=1)
        for a, b, m in s.segments:
            ax.hlines(math.exp(m) / scale, s.runs[a] - 0.3, s.runs[b - 1] + 0.3, color="#444444", linewidth=1.4)
        for cp in s.change_points:
            x = (s.runs[cp - 1] + s.runs[cp]) / 2
            ax.axvline(x, color=P.VERDICT_COLORS["Regression"], linestyle="--", linewidth=1)
            before = next(m for a, b, m in s.segments if b == cp)
            after = next(m for a, b, m in s.segments if a == cp)
            ax.annotate(f"{100 * (math.exp(after - before) - 1):+.0f}%", (x, 1.0), xycoords=("data", "axes fraction"),
                        ha="center", va="bottom", fontsize=7.5, color=P.VERDICT_COLORS["Regression"])
        if current is not None and current in hist.files and hist.files.index(current) in s.runs:
            j = s.runs.index(hist.files.index(current))
            ax.plot([s.runs[j]], [v[j]], marker="*", color=P.PALETTE[1], markersize=11, linestyle="",
                    label="current")
        step = max(1, math.ceil(len(hist.files) / 6))
        ticks = list(range(0, len(hist.files), step))
        ax.set_xticks(ticks, [labels[i] for i in ticks], rotation=30, ha="right")
        ax.set_xlim(-0.5, len(hist.files) - 0.5)
        ax.set_xlabel("run (finish time, UTC)")
        P.log_axis(ax, "y", v)
        ax.set_ylabel(f"{METRICS[hist.metric][1]} ({unit})")
        ax.set_title(P.wrap(s.id, 40), fontsize=8, pad=12)
        ax._lb_categorical = {"x"}
    for ax in list(axes.flat)[len(shown):]:
        ax.set_axis_off()
    fig.tight_layout()
    n_cp = sum(len(s.change_points) for s in hist.series)
    caption = (f"{hist.metric} of each benchmark over {len(hist.files)} runs in {hist.dir} "
               f"(oldest first{'; star: the current file' if current is not None else ''}). Grey: segment means; "
               f"red dashes: change points found by binary segmentation on the log values, with the shift. "
               f"{n_cp} change points in {len(hist.series)} benchmarks.")
    if len(series) > len(shown):
        caption += f" Showing {len(shown)} of {len(series)} benchmarks, those with change points first."
    return Figure("history", title, caption, fig, [s.id for s in shown], section="history")
