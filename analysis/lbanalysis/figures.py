"""The figures of one results file (and, for parallel efficiency, the files of
the same study at other rank counts).

Each builder picks its rows by operation and parameters (docs/SUITES.md), not
by suite name, so a suite of your own gets the same figures as the built-in
one it resembles; a row's `group` keeps different benchmarks of one operation
apart. A builder returns Figures, or a Skipped saying why there is nothing to
draw. BUILDERS lists them in the order of the report.
"""

import math
import re
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from . import plotting as P
from .plotting import Figure, Skipped
from .errors import EX_USAGE, AnalysisError
from .units import byte_unit, rate_unit, spans_decades, time_unit

# What one iteration of an operation is (docs/SUITES.md), for axis labels.
PER = {
    "knn": "query", "knn_batch": "batch", "attention": "query", "attention_batch": "batch",
    "add": "insertion", "add_batch": "batch", "build": "build", "attention_build": "build",
    "create": "create + destroy", "knn_merge": "merge",
}
METRIC_ORDER = ["Euclidean", "Cosine", "Manhattan", "Hyperbolic", "Dot"]
ATTENTION_ORDER = ["Standard", "Flash", "MultiHead", "MoE"]
MAX_SERIES = 8
PARAM_NAMES = {
    "group": "", "dimension": "d", "k": "k", "dataset_size": "n", "batch_size": "batch",
    "seq_len": "L", "metric": "", "attention": "", "variant": "",
}


@dataclass
class Context:
    results: object                 # Results
    scaling: list = field(default_factory=list)  # Results at other rank counts
    sample_pattern: str = None      # --samples REGEX

    @property
    def rows(self):
        """The rows, one per id (a run of overlapping suites keeps the first)."""
        seen, out = set(), []
        for r in self.results.rows:
            if r["id"] not in seen:
                seen.add(r["id"])
                out.append(r)
        return out

    def ns(self, row):
        return self.results.samples[row["index"]]["ns"]


# ---- helpers ------------------------------------------------------------------

def variant(row):
    """Attention type with its heads or experts, e.g. 'MultiHead, 8 heads'."""
    a = row["attention"] or "?"
    if a == "MultiHead" and row["num_heads"] > 0:
        return f"{a}, {row['num_heads']} heads"
    if a == "MoE" and row["num_experts"] > 0:
        return f"{a}, {row['num_experts']} experts"
    return a


def _variant_key(v):
    base = v.split(",")[0]
    order = ATTENTION_ORDER.index(base) if base in ATTENTION_ORDER else len(ATTENTION_ORDER)
    digits = re.findall(r"\d+", v)
    return (order, int(digits[0]) if digits else 0, v)


def _metric_key(m):
    return (METRIC_ORDER.index(m) if m in METRIC_ORDER else len(METRIC_ORDER), m)


def fmt_param(name, value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        v = P.num(value)
    else:
        v = str(value)
    label = PARAM_NAMES.get(name, name)
    return f"{label} = {v}" if label else v


def series_by(rows, keys, xkey, min_points=2):
    """Rows grouped by the values of `keys`, each series sorted by xkey and
    kept when it has min_points distinct x values."""
    groups = OrderedDict()
    for r in rows:
        k = tuple((name, r[name] if name != "variant" else variant(r)) for name in keys)
        groups.setdefault(k, []).append(r)
    out = OrderedDict()
    for k, rs in groups.items():
        rs = sorted(rs, key=lambda r: r[xkey])
        if len({r[xkey] for r in rs}) >= min_points:
            out[k] = rs
    return out


def varying(keys):
    """Names whose values differ between the series keys."""
    if not keys:
        return []
    names = [n for n, _ in next(iter(keys))]
    return [n for i, n in enumerate(names) if len({k[i][1] for k in keys}) > 1]


def series_label(key, names):
    parts = [fmt_param(n, v) for n, v in key if n in names]
    return ", ".join(parts) if parts else "all"


def limit_series(series, max_n=MAX_SERIES):
    """At most max_n series. With more, one parameter is left free (the one
    with most values) and the others are held at their middle value; returns
    (series, note, held) where the note (for the caption) says what was held and
    how many were left out, and held (for the panel's title) what was held."""
    if len(series) <= max_n:
        return series, "", ""
    keys = list(series)
    names = varying(keys)
    values = {n: sorted({dict(k)[n] for k in keys}, key=lambda v: (str(type(v)), v)) for n in names}
    free = max(names, key=lambda n: len(values[n]))
    held = {n: values[n][len(values[n]) // 2] for n in names if n != free}
    kept = OrderedDict((k, v) for k, v in series.items()
                       if all(dict(k)[n] == val for n, val in held.items()))
    if len(kept) > max_n:
        kept = OrderedDict(list(kept.items())[:max_n])
    note = (f" Showing {', '.join(fmt_param(n, v) for n, v in held.items())}"
            f"{' and' if held else ''} {len(kept)} of {len(series)} series; the rest are in the table.")
    return kept, note, ", ".join(fmt_param(n, v) for n, v in held.items())


def iqr_err(ctx, rows, scale):
    """Error bars: the 25th to 75th percentile of each row's samples around its
    median (what a reader needs to judge overlap; the CI of the mean is in the table)."""
    lo, hi = [], []
    for r in rows:
        ns = ctx.ns(r)
        med = r["median_ns"]
        if len(ns):
            q1, q3 = np.percentile(ns, [25, 75])
            lo.append(max(med - q1, 0) / scale)
            hi.append(max(q3 - med, 0) / scale)
        else:
            lo.append(0)
            hi.append(0)
    return np.array([lo, hi])


def _suites(rows):
    s = sorted({r["suite"] for r in rows})
    return ", ".join(s)


def _ids(rows):
    return [r["id"] for r in rows]


def _color(i, name=None):
    if name and name.split(",")[0] in P.NAMED_COLORS:
        return P.NAMED_COLORS[name.split(",")[0]]
    return P.PALETTE[i % len(P.PALETTE)]


def _int_ticks(ax, which, values):
    vals = sorted(set(values))
    axis = ax.xaxis if which == "x" else ax.yaxis
    if len(vals) <= 10:
        axis.set_major_locator(P.ticker.FixedLocator(vals))
        axis.set_minor_locator(P.ticker.NullLocator())
        axis.set_major_formatter(P.ticker.FuncFormatter(lambda v, _: P.num(v)))


def _grouped_bars(ax, groups, members, value, err=None, colors=None, log=None):
    """Bars of members within groups: groups is a list of labels, value(g, m)
    the height (None: no bar). Returns the bar containers per member."""
    n = max(len(members), 1)
    width = 0.8 / n
    x = np.arange(len(groups))
    out = {}
    for j, m in enumerate(members):
        hs, es, xs = [], [], []
        for i, g in enumerate(groups):
            h = value(g, m)
            if h is None:
                continue
            hs.append(h)
            xs.append(x[i] - 0.4 + width * (j + 0.5))
            es.append(err(g, m) if err else (0, 0))
        if not hs:
            continue
        yerr = np.array(es).T if err else None
        out[m] = ax.bar(xs, hs, width * 0.92, yerr=yerr, capsize=2 if err else 0, label=m,
                        color=(colors or {}).get(m, P.PALETTE[j % len(P.PALETTE)]),
                        error_kw={"elinewidth": 0.8, "ecolor": "#333333"})
    P.categorical(ax, "x", x, groups)
    ax.grid(axis="x", visible=False)
    if log is None:
        vals = [value(g, m) for g in groups for m in members if value(g, m)]
        log = spans_decades(vals)
    if log:
        lows = [value(g, m) - (err(g, m)[0] if err else 0) for g in groups for m in members if value(g, m)]
        highs = [value(g, m) + (err(g, m)[1] if err else 0) for g in groups for m in members if value(g, m)]
        P.log_axis(ax, "y", [v for v in lows + highs if v > 0], force=True)
    return out


# ---- builders -----------------------------------------------------------------

def knn_vs_k(ctx):
    title = "kNN latency against k"
    rows = [r for r in ctx.rows if r["op"] == "knn" and r["k"] > 0 and r["median_ns"] > 0]
    series = series_by(rows, ["group", "dimension", "dataset_size", "metric"], "k")
    if not series:
        return Skipped("knn_latency_vs_k", title, "no kNN rows (op knn) with two or more values of k")
    series, note, held = limit_series(series)
    names = varying(list(series)) or ["dimension"]
    shown = [r for rs in series.values() for r in rs]
    unit, scale = time_unit([r["median_ns"] for r in shown])
    fig, axes = P.new(width=6.2, height=4.2)
    ax = axes[0][0]
    for i, (key, rs) in enumerate(series.items()):
        ax.errorbar([r["k"] for r in rs], [r["median_ns"] / scale for r in rs], yerr=iqr_err(ctx, rs, scale),
                    marker="o", capsize=3, color=_color(i), label=series_label(key, names))
    P.log_axis(ax, "x", [r["k"] for r in shown], force=True)
    P.log_axis(ax, "y", [r["median_ns"] for r in shown], force=True)
    ax.set_xlabel("neighbours requested k (count)")
    ax.set_ylabel(f"median time per query ({unit})")
    if held:
        ax.set_title(held, loc="left")
    P.legend_outside(ax)
    caption = ("Median time of one kNN query against the number of neighbours requested, log-log; "
               "bars span the 25th to 75th percentile of the samples. Suites: " + _suites(shown) + "." + note)
    return Figure("knn_latency_vs_k", title, caption, fig, _ids(shown))


def distance_metrics(ctx):
    title = "Distance metrics compared"
    rows = [r for r in ctx.rows if r["op"] == "knn" and r["metric"] and r["median_ns"] > 0]
    groups = OrderedDict()
    for r in rows:
        groups.setdefault((r["group"], r["dimension"], r["k"], r["dataset_size"]), {})[r["metric"]] = r
    groups = OrderedDict((g, ms) for g, ms in groups.items() if len(ms) >= 2)
    if not groups:
        return Skipped("distance_metrics", title, "no kNN rows with two or more metrics at the same d, k and n")
    if len(groups) > 12:
        groups = OrderedDict(list(groups.items())[:12])
    metrics = sorted({m for ms in groups.values() for m in ms}, key=_metric_key)
    shown = [r for ms in groups.values() for r in ms.values()]
    unit, scale = time_unit([r["median_ns"] for r in shown])
    glabels = [f"d = {P.num(d)}\nk = {P.num(k)}, n = {P.num(n)}" for (_, d, k, n) in groups]
    if len({g[0] for g in groups}) > 1:
        glabels = [f"{g[0]}\n{lab}" for g, lab in zip(groups, glabels)]
    by_label = dict(zip(glabels, groups.values()))
    if len(groups) == 1:
        # one workload: the metrics themselves along x, the workload in the label
        only = next(iter(groups.values()))
        workload = glabels[0].replace("\n", ", ")
        glabels = metrics
        by_label = {m: {m: only[m]} for m in metrics if m in only}

    def value(g, m):
        r = by_label[g].get(m)
        return r["median_ns"] / scale if r else None

    def err(g, m):
        r = by_label[g][m]
        return tuple(iqr_err(ctx, [r], scale)[:, 0])

    fig, axes = P.new(width=max(5.5, 1.6 + 0.32 * len(shown)), height=4.0)
    ax = axes[0][0]
    colors = {m: _color(i, m) for i, m in enumerate(metrics)}
    if len(groups) == 1:
        present = [m for m in metrics if m in by_label]
        _grouped_bars(ax, present, ["bar"], lambda g, _m: value(g, g), lambda g, _m: err(g, g))
        for patch, m in zip(ax.patches, present):
            patch.set_facecolor(colors[m])
        ax.set_xlabel(f"distance metric ({workload})")
    else:
        _grouped_bars(ax, glabels, metrics, value, err, colors)
        ax.set_xlabel("workload: dimension d, neighbours k, rows n")
        P.legend_outside(ax, title="metric")
    ax.set_ylabel(f"median time per query ({unit})")
    fastest = min(shown, key=lambda r: r["median_ns"])
    slowest = max(shown, key=lambda r: r["median_ns"])
    caption = (f"Median kNN query time per distance metric; bars span the 25th to 75th percentile of the "
               f"samples. Fastest {fastest['metric']} ({fastest['id']}), slowest {slowest['metric']}, "
               f"{slowest['median_ns'] / fastest['median_ns']:.1f}× slower. Suites: {_suites(shown)}.")
    return Figure("distance_metrics", title, caption, fig, _ids(shown))


def attention_types(ctx):
    title = "Attention types compared"
    rows = [r for r in ctx.rows if r["op"] == "attention" and r["attention"] and r["median_ns"] > 0]
    groups = OrderedDict()
    for r in rows:
        groups.setdefault((r["group"], r["dimension"], r["seq_len"]), {})[variant(r)] = r
    groups = OrderedDict((g, vs) for g, vs in groups.items() if len(vs) >= 2)
    if not groups:
        return Skipped("attention_types", title, "no attention rows with two or more types at the same d and L")
    # A group of only Standard and Flash over several lengths is the next figure's.
    lengths = {}
    for (name, _, L) in groups:
        lengths.setdefault(name, set()).add(L)
    groups = OrderedDict((g, vs) for g, vs in groups.items()
                         if not (set(vs) <= {"Standard", "Flash"} and len(lengths[g[0]]) > 1))
    if not groups:
        return Skipped("attention_types", title,
                       "only Standard and Flash over several lengths: see Flash against Standard")
    variants = sorted({v for vs in groups.values() for v in vs}, key=_variant_key)
    shown = [r for vs in groups.values() for r in vs.values()]
    unit, scale = time_unit([r["median_ns"] for r in shown])
    multi_group = len({g[0] for g in groups}) > 1
    glabels = [(f"{g}\n" if multi_group else "") + f"d = {P.num(d)}\nL = {P.num(L)}" for (g, d, L) in groups]
    by_label = dict(zip(glabels, groups.values()))

    def value(g, m):
        r = by_label[g].get(m)
        return r["median_ns"] / scale if r else None

    def err(g, m):
        return tuple(iqr_err(ctx, [by_label[g][m]], scale)[:, 0])

    def speedup(g, m):
        vs = by_label[g]
        if m not in vs or "Standard" not in vs:
            return None
        return vs["Standard"]["median_ns"] / vs[m]["median_ns"]

    nbars = sum(len(vs) for vs in groups.values())
    fig, axes = P.new(2, 1, width=min(16, max(6.0, 2.2 + 0.30 * nbars)), height=6.6, sharex=True)
    colors = {v: P.PALETTE[i % len(P.PALETTE)] for i, v in enumerate(variants)}
    ax = axes[0][0]
    _grouped_bars(ax, glabels, variants, value, err, colors)
    ax.set_ylabel(f"median time per query ({unit})")
    ax.set_title("time (bars: 25th to 75th percentile of the samples)", loc="left")
    P.legend_outside(ax, title="attention")
    ax2 = axes[1][0]
    others = [v for v in variants if v != "Standard"]
    bars = _grouped_bars(ax2, glabels, others, speedup, None, colors, log=False)
    ax2.axhline(1.0, color="#333333", linewidth=0.9, linestyle="--")
    if nbars <= 30:
        for cont in bars.values():
            ax2.bar_label(cont, fmt="%.2f×", fontsize=7, padding=1)
    ax2.set_ylabel("speed-up over Standard (×)")
    ax2.set_title("speed-up: Standard's median time / the type's (above 1: faster)", loc="left")
    ax2.set_xlabel("dimension d, sequence length L")
    ax2.margins(y=0.15)
    best = max(((speedup(g, v), v, g) for g in glabels for v in others if speedup(g, v)),
               default=None, key=lambda t: t[0])
    caption = "Median time of one attention query per type, and its speed-up over Standard computed from the medians."
    if best:
        caption += f" Largest speed-up: {best[1]} at {best[2].replace(chr(10), ', ')}, {best[0]:.2f}×."
    caption += f" Suites: {_suites(shown)}."
    return Figure("attention_types", title, caption, fig, _ids(shown))


def _sweep(rows):
    """Standard/Flash series over seq_len, per dimension and group; only when
    both types have two or more lengths somewhere."""
    s = series_by(rows, ["attention", "dimension", "group"], "seq_len")
    types = {dict(k)["attention"] for k in s}
    return s if {"Standard", "Flash"} <= types else None


def flash_vs_standard(ctx):
    title = "Flash against Standard attention over sequence length"
    sel = [r for r in ctx.rows if r["attention"] in ("Standard", "Flash") and r["seq_len"] > 0]
    attn = _sweep([r for r in sel if r["op"] == "attention" and r["median_ns"] > 0])
    build = _sweep([r for r in sel if r["op"] == "attention_build" and r["peak_bytes"] > 0])
    time_src, time_op = (attn, "attention") if attn else (build, "attention_build")
    mem_src, mem_op = (build, "attention_build") if build else (attn, "attention")
    if not time_src and not mem_src:
        return Skipped("flash_vs_standard", title,
                       "no Standard and Flash attention rows with two or more sequence lengths each")
    fig, axes = P.new(1, 2, width=10.5, height=4.0)
    shown = []
    what = {"attention": "one attention query", "attention_build": "create, L adds, one attention, destroy"}
    ax = axes[0][0]
    if time_src:
        names = [n for n in varying(list(time_src)) if n != "attention"]
        rs_all = [r for rs in time_src.values() for r in rs]
        shown += rs_all
        unit, scale = time_unit([r["median_ns"] for r in rs_all])
        for i, (key, rs) in enumerate(time_src.items()):
            a = dict(key)["attention"]
            extra = series_label(key, names) if names else ""
            ax.errorbar([r["seq_len"] for r in rs], [r["median_ns"] / scale for r in rs],
                        yerr=iqr_err(ctx, rs, scale), marker="o", capsize=3,
                        color=_color(i, a), linestyle="-" if i < 2 else "--",
                        label=a + (f" ({extra})" if extra else ""))
        P.log_axis(ax, "x", [r["seq_len"] for r in rs_all], force=True)
        P.log_axis(ax, "y", [r["median_ns"] for r in rs_all], force=True)
        ax.set_ylabel(f"median time per {PER[time_op]} ({unit})")
        ax.set_title(f"time: {what[time_op]}", loc="left")
        P.legend(ax)
    else:
        ax.set_axis_off()
    ax.set_xlabel("sequence length L (keys)")
    ax = axes[0][1]
    if mem_src:
        names = [n for n in varying(list(mem_src)) if n != "attention"]
        rs_all = [r for rs in mem_src.values() for r in rs]
        shown += rs_all
        payload = {(r["seq_len"], r["dimension"]): r["seq_len"] * r["dimension"] * 4 for r in rs_all}
        unit, scale = byte_unit([r["peak_bytes"] for r in rs_all] + list(payload.values()))
        for i, (key, rs) in enumerate(mem_src.items()):
            a = dict(key)["attention"]
            extra = series_label(key, names) if names else ""
            ax.plot([r["seq_len"] for r in rs], [r["peak_bytes"] / scale for r in rs], marker="o",
                    color=_color(i, a), label=a + (f" ({extra})" if extra else ""))
        for d in sorted({r["dimension"] for r in rs_all}):
            Ls = sorted({r["seq_len"] for r in rs_all if r["dimension"] == d})
            ax.plot(Ls, [L * d * 4 / scale for L in Ls], color="#777777", linestyle=":",
                    label=f"raw keys L·d·4 B (d = {d})")
        P.log_axis(ax, "x", [r["seq_len"] for r in rs_all], force=True)
        P.log_axis(ax, "y", [r["peak_bytes"] for r in rs_all] + list(payload.values()))
        ax.set_ylabel(f"peak memory ({unit})")
        ax.set_title(f"memory: {mem_op} ({what[mem_op]})", loc="left")
        P.legend(ax)
        ax.set_xlabel("sequence length L (keys)")
    else:
        ax.set_axis_off()
    caption = ("Flash and Standard attention against the sequence length: median time (bars: 25th to 75th "
               "percentile of the samples) and liblatent's peak memory (peak_bytes), with the raw keys for "
               f"reference. Suites: {_suites(shown)}.")
    if not time_src or not mem_src:
        caption += " Only one of the two panels has data."
    return Figure("flash_vs_standard", title, caption, fig, _ids(shown))


def memory_scaling(ctx):
    title = "Memory against dataset size and dimension"
    rows = [r for r in ctx.rows if r["op"] == "build" and r["peak_bytes"] > 0 and r["dimension"] > 0]
    by_n = series_by(rows, ["group", "dimension"], "dataset_size")
    by_d = series_by(rows, ["group", "dataset_size"], "dimension")
    panels = [(s, x, lab) for s, x, lab in [(by_n, "dataset_size", "dataset size n (vectors)"),
                                            (by_d, "dimension", "dimension d (floats per vector)")] if s]
    if not panels:
        return Skipped("memory_scaling", title,
                       "no build rows (op build) with two or more dataset sizes or dimensions")
    fig, axes = P.new(1, len(panels), width=5.2 * len(panels) + 1.2, height=4.0)
    shown, notes = [], []
    for ax, (series, xkey, xlabel) in zip(axes[0], panels):
        series, note, held = limit_series(series)
        names = varying(list(series))
        rs_all = [r for rs in series.values() for r in rs]
        shown += rs_all
        notes.append(note)
        payload = [r["dataset_size"] * r["dimension"] * 4 for r in rs_all]
        unit, scale = byte_unit([r["peak_bytes"] for r in rs_all] + payload)
        for i, (key, rs) in enumerate(series.items()):
            c = _color(i)
            fixed = series_label(key, names) if names else fmt_param(*[kv for kv in key if kv[0] != "group"][0])
            ax.plot([r[xkey] for r in rs], [r["peak_bytes"] / scale for r in rs], marker="o", color=c,
                    label=f"peak ({fixed})")
            ax.plot([r[xkey] for r in rs], [r["dataset_size"] * r["dimension"] * 4 / scale for r in rs],
                    color=c, linestyle=":", label=f"raw n·d·4 B ({fixed})")
        P.log_axis(ax, "x", [r[xkey] for r in rs_all], force=spans_decades([r[xkey] for r in rs_all], 4))
        P.log_axis(ax, "y", [r["peak_bytes"] for r in rs_all] + payload)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(f"peak memory ({unit})")
        P.legend(ax)
        if held:
            ax.set_title(held, loc="left")
    ratios = [r["peak_bytes"] / (r["dataset_size"] * r["dimension"] * 4) for r in shown if r["dataset_size"]]
    caption = ("liblatent's peak memory (peak_bytes) while building a space, against the rows and the "
               "dimension; dotted: the raw payload of n·d float32 values.")
    if ratios:
        caption += f" Peak / payload: {min(ratios):.2f} to {max(ratios):.2f}."
    caption += f" Suites: {_suites(shown)}." + "".join(notes)
    return Figure("memory_scaling", title, caption, fig, _ids(shown))


def _rate(r):
    """Elements per second: the row's throughput, else (a group that declares
    none, such as matrix) its batch over the median time."""
    if r["throughput_elements"] > 0:
        return r["throughput_elements"]
    return r["batch_size"] * 1e9 / r["median_ns"] if r["median_ns"] > 0 else 0.0


THROUGHPUT_OPS = OrderedDict([("add_batch", "embeddings added"), ("knn_batch", "queries"),
                              ("attention_batch", "queries")])


def throughput_vs_batch(ctx):
    title = "Throughput against batch size"
    panels = []
    for op, what in THROUGHPUT_OPS.items():
        rows = [r for r in ctx.rows if r["op"] == op and r["batch_size"] > 0 and _rate(r) > 0]
        s = series_by(rows, ["group", "dimension", "k", "dataset_size", "seq_len", "attention"], "batch_size")
        if s:
            panels.append((op, what, s))
    if not panels:
        return Skipped("throughput_vs_batch", title,
                       "no batch rows (add_batch, knn_batch, attention_batch) with a throughput and two or "
                       "more batch sizes")
    fig, axes = P.new(1, len(panels), width=4.6 * len(panels) + 1.0, height=4.0)
    shown, notes = [], []
    for ax, (op, what, series) in zip(axes[0], panels):
        series, note, held = limit_series(series)
        if note:
            notes.append(f"{op}:{note}")
        names = varying(list(series))
        rs_all = [r for rs in series.values() for r in rs]
        shown += rs_all
        unit, scale = rate_unit([_rate(r) for r in rs_all])
        for i, (key, rs) in enumerate(series.items()):
            fixed = [kv for kv in key if kv[0] in ("dimension", "k", "dataset_size", "seq_len") and kv[1]]
            label = series_label(key, names) if names else ", ".join(fmt_param(*kv) for kv in fixed)
            ax.plot([r["batch_size"] for r in rs], [_rate(r) / scale for r in rs], marker="o",
                    color=_color(i), label=label)
        P.log_axis(ax, "x", [r["batch_size"] for r in rs_all], force=True)
        P.log_axis(ax, "y", [_rate(r) for r in rs_all])
        ax.set_xlabel("batch size (rows or queries per call)")
        ax.set_ylabel(f"throughput ({unit + ' ' if unit else ''}{what}/s)")
        ax.set_title(op + (f" ({held})" if held else ""), loc="left")
        P.legend(ax)
    caption = ("Elements per second at the median time (throughput_elements; batch size / median time for a "
               "group that declares no throughput) against the batch size, one panel per operation. Suites: "
               + _suites(shown) + "." + " ".join(notes))
    return Figure("throughput_vs_batch", title, caption, fig, _ids(shown))


BOUND_KINDS = {"read_mem": "memory bandwidth", "read_hot": "in-cache bandwidth", "fma": "FMA peak"}


def hardware_bound(ctx):
    """% of bound of each kNN and attention row (docs/PROBE.md): 100 x the
    least time the hardware needs for one iteration over its median."""
    title = "% of hardware bound"
    rows = [r for r in ctx.rows if ctx.results.pct_of_bound(r) is not None][:40]
    if not rows:
        return Skipped("hardware_bound", title,
                       "the results file records no hardware bounds (run measures them from this version on; "
                       "only kNN and attention rows have one), so the share of the hardware bound is not drawn")
    pct = [ctx.results.pct_of_bound(r) for r in rows]
    kinds = [k for k in BOUND_KINDS if any(r["bound_kind"] == k for r in rows)]
    fig, axes = P.new(1, 1, width=9.0, height=1.4 + 0.3 * len(rows))
    ax = axes[0][0]
    y = np.arange(len(rows))
    for i, k in enumerate(kinds):
        sel = [j for j, r in enumerate(rows) if r["bound_kind"] == k]
        ax.barh(y[sel], [pct[j] for j in sel], color=P.PALETTE[i], label=f"{k}: {BOUND_KINDS[k]}")
    for c in ax.containers:
        ax.bar_label(c, fmt="%.1f%%", fontsize=7, padding=2)
    ax.axvline(100, color="#333333", linestyle="--", linewidth=0.9)
    P.categorical(ax, "y", y, [r["id"] for r in rows])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.margins(x=0.15)
    ax.set_xlabel("share of the hardware bound (%)")
    ax.set_ylabel("benchmark (kNN and attention rows)")
    ax.set_title("100% = the hardware's limit (dashed); colour: what sets the bound", loc="left")
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    threads = sorted({b["threads"] for b in ctx.results.bounds}) or ["?"]
    caption = ("Each kNN and attention row's bound per iteration (bound_ns: the bytes it must read over the "
               "bandwidth for its working set, or its flops over the FMA peak, whichever is longer, measured on "
               f"rank 0's node at {max(threads)} threads) as a share of its median time. Low shares are "
               "expected for small cases (call overhead) and costly metrics; see docs/PROBE.md.")
    return Figure("hardware_bound", title, caption, fig, [r["id"] for r in rows])


def parallel_efficiency(ctx):
    title = "Parallel efficiency"
    points = OrderedDict()  # id -> {P: (efficiency, comm, scaling)}
    for res in [ctx.results] + list(ctx.scaling):
        p = res.attrs["mpi_ranks"]
        for r in res.rows:
            if r["parallel_efficiency"] > 0:
                points.setdefault(r["id"], {}).setdefault(p, (r["parallel_efficiency"],
                                                              r["comm_fraction"], res.attrs["scaling"]))
    # A one-rank run among the files is the reference of a study from one
    # rank: its efficiency is 100% by definition.
    for res in [ctx.results] + list(ctx.scaling):
        if res.attrs["mpi_ranks"] == 1:
            for r in res.rows:
                if r["id"] in points:
                    points[r["id"]].setdefault(1, (1.0, r["comm_fraction"], ""))
    if not points:
        return Skipped("parallel_efficiency", title,
                       "no row has parallel_efficiency (a run under --shard data with --scaling-reference "
                       "writes it)")
    ranks = sorted({p for pts in points.values() for p in pts})
    kinds = sorted({v[2] for pts in points.values() for v in pts.values() if v[2]})
    kind = "/".join(kinds) or "?"
    if len(ranks) >= 2:
        ids = sorted(points, key=lambda i: -len(points[i]))[:MAX_SERIES]
        fig, axes = P.new(1, 2, width=11.0, height=4.2)
        ax, ax2 = axes[0]
        for i, id_ in enumerate(ids):
            ps = sorted(points[id_])
            ax.plot(ps, [100 * points[id_][p][0] for p in ps], marker="o", color=_color(i), label=id_)
            ax2.plot(ps, [100 * points[id_][p][1] for p in ps], marker="o", color=_color(i))
        ax.axhline(100, color="#333333", linestyle="--", linewidth=0.9, label="ideal (100%)")
        for a in (ax, ax2):
            P.log_axis(a, "x", ranks, force=True)
            a.set_xlabel("MPI ranks P (processes)")
            a.set_ylim(bottom=0)
        ax.set_ylabel("parallel efficiency (%)")
        ax.set_title(f"{kind} scaling against the reference run", loc="left")
        ax2.set_ylabel("time in MPI communication (%)")
        ax2.set_title("share of the slowest rank's time in MPI", loc="left")
        handles, labels = ax.get_legend_handles_labels()
        ax2.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title="benchmark")
        caption = (f"Parallel efficiency ({kind} scaling, from each row's parallel_efficiency) against the "
                   f"number of ranks {', '.join(map(str, ranks))}, and the share of time spent in MPI "
                   "(comm_fraction).")
    else:
        p = ranks[0]
        ids = list(points)[:40]
        fig, axes = P.new(1, 2, width=11.0, height=1.2 + 0.32 * len(ids), sharey=True)
        ax, ax2 = axes[0]
        y = np.arange(len(ids))
        eff = [100 * points[i][p][0] for i in ids]
        comm = [100 * points[i][p][1] for i in ids]
        ax.barh(y, eff, color=P.PALETTE[0])
        ax.axvline(100, color="#333333", linestyle="--", linewidth=0.9)
        ax.bar_label(ax.containers[0], fmt="%.0f%%", fontsize=7, padding=2)
        ax2.barh(y, comm, color=P.PALETTE[1])
        ax2.bar_label(ax2.containers[0], fmt="%.0f%%", fontsize=7, padding=2)
        P.categorical(ax, "y", y, ids)
        ax.invert_yaxis()
        ax.set_xlabel("parallel efficiency (%)")
        ax2.set_xlabel("time in MPI communication (%)")
        ax.set_title(f"P = {p}, {kind} scaling (dashed: ideal)", loc="left")
        ax2.set_title("share of the slowest rank's time in MPI", loc="left")
        for a in (ax, ax2):
            a.grid(axis="y", visible=False)
            a.margins(x=0.15)
        caption = (f"Parallel efficiency of each row at P = {p} ({kind} scaling) and its share of time in MPI. "
                   "Give the runs at other rank counts with --scaling to draw efficiency against ranks.")
    return Figure("parallel_efficiency", title, caption, fig, list(points))


def sample_distributions(ctx):
    title = "Raw samples"
    rows = [r for r in ctx.rows if len(ctx.ns(r))]
    if ctx.sample_pattern:
        try:
            rx = re.compile(ctx.sample_pattern)
        except re.error as e:
            raise AnalysisError(EX_USAGE, f"--samples: '{ctx.sample_pattern}' is not a regular expression: {e}")
        chosen = [r for r in rows if rx.search(r["id"])]
        if not chosen:
            raise AnalysisError(EX_USAGE, f"--samples: '{ctx.sample_pattern}' matches no benchmark id with samples")
        chosen = chosen[:12]
    else:
        seen, chosen = set(), []
        for r in rows:
            if r["group"] not in seen:
                seen.add(r["group"])
                chosen.append(r)
        chosen = chosen[:8]
    if not chosen:
        return Skipped("samples", title, "no row has raw samples")
    ncols = min(4, len(chosen))
    nrows = math.ceil(len(chosen) / ncols)
    fig, axes = P.new(nrows, ncols, width=3.0 * ncols + 0.4, height=3.1 * nrows)
    rng = np.random.default_rng(7)
    any_rounds = False
    for ax, r in zip(axes.flat, chosen):
        s = ctx.results.samples[r["index"]]
        ns, rounds = s["ns"], s["round"]
        unit, scale = time_unit([r["median_ns"]])
        v = ns / scale
        R = np.unique(rounds)
        log = spans_decades(v)
        if len(np.unique(v)) > 2 and not log:
            # a violin's density is drawn in linear units: on a log axis a box is honest
            parts = ax.violinplot([v], positions=[0], widths=0.8, showextrema=False, showmedians=True)
            for b in parts["bodies"]:
                b.set_facecolor("#9ecae1")
                b.set_alpha(0.7)
        else:
            ax.boxplot([v], positions=[0], widths=0.5, showfliers=False,
                       medianprops={"color": "#1f77b4", "linewidth": 1.5})
        if len(R) > 1:
            any_rounds = True
            cmap = P.plt.get_cmap("viridis")
            for j, rd in enumerate(R):
                sel = v[rounds == rd]
                c = cmap(j / max(len(R) - 1, 1))
                ax.scatter(np.full(len(sel), j + 1.0) + rng.uniform(-0.18, 0.18, len(sel)), sel, s=9,
                           color=c, alpha=0.8, linewidths=0)
                ax.hlines(np.median(sel), j + 0.7, j + 1.3, color="#222222", linewidth=1.1)
            step = max(1, math.ceil(len(R) / 8))
            ticks = [0] + [j + 1 for j in range(0, len(R), step)]
            P.categorical(ax, "x", ticks, ["all"] + [str(int(R[j - 1])) for j in ticks[1:]])
            ax.set_xlabel("all samples, then each round")
        else:
            ax.scatter(rng.uniform(-0.12, 0.12, len(v)), v, s=9, color="#333333", alpha=0.6, linewidths=0)
            P.categorical(ax, "x", [0], [f"all {len(v)} samples"])
            ax.set_xlabel("samples (one round)")
        ax.grid(axis="x", visible=False)
        P.log_axis(ax, "y", v)
        ax.set_ylabel(f"time per iteration ({unit})")
        ax.set_title(P.wrap(r["id"], 34), fontsize=8)
    for ax in list(axes.flat)[len(chosen):]:
        ax.set_axis_off()
    fig.tight_layout()
    caption = ("The raw samples (time per iteration) behind chosen rows: violin (a box on a log axis) and "
               "median over all samples"
               + ("; then each round's samples, coloured by round, with the round's median as a bar"
                  if any_rounds else "") + ". Choose ids with --samples REGEX.")
    return Figure("samples", title, caption, fig, _ids(chosen))


# The figures of one results file, in report order.
BUILDERS = [
    knn_vs_k,
    distance_metrics,
    attention_types,
    flash_vs_standard,
    memory_scaling,
    throughput_vs_batch,
    hardware_bound,
    parallel_efficiency,
    sample_distributions,
]



def build_all(ctx, instead=None):
    """Every builder's figures in report order; `instead` maps a builder to
    what stands in its place (an A/B file draws its samples its own way)."""
    out = []
    for fn in BUILDERS:
        res = (instead or {}).get(fn) or fn(ctx)
        out.extend(res if isinstance(res, list) else [res])
    return out
