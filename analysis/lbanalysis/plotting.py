"""The look shared by every figure, and what the report records about each
one's axes (figures.json) so that a test or a reader can check them."""

import math
import re
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import ticker  # noqa: E402
from matplotlib.category import StrCategoryFormatter  # noqa: E402

from .units import spans_decades  # noqa: E402

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000", "#999999"]
VERDICT_COLORS = {"Regression": "#C62828", "Improvement": "#2E7D32", "NoChange": "#757575"}
# One colour per attention type or metric in every figure.
NAMED_COLORS = {
    "Standard": PALETTE[0], "Flash": PALETTE[1], "MultiHead": PALETTE[2], "MoE": PALETTE[3],
    "Euclidean": PALETTE[0], "Cosine": PALETTE[1], "Manhattan": PALETTE[2], "Hyperbolic": PALETTE[3],
    "Dot": PALETTE[4],
}

matplotlib.rcParams.update({
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "font.size": 9.5,
    "axes.titlesize": 10,
    "axes.labelsize": 9.5,
    "legend.fontsize": 8.5,
    "legend.title_fontsize": 8.5,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",       # text stays text in the SVG: searchable, checkable
    "svg.hashsalt": "latentbench",  # stable ids: the same data gives the same SVG
    "lines.markersize": 5,
})


@dataclass
class Figure:
    """A drawn figure. `name` is the file stem (NAME.png, NAME.svg); `ids` the
    benchmark ids it shows (the HTML links rows and figures through them)."""
    name: str
    title: str
    caption: str
    fig: object
    ids: list = field(default_factory=list)
    section: str = "results"


@dataclass
class Skipped:
    """A figure not drawn, and why (the report says so)."""
    name: str
    title: str
    reason: str


def num(v):
    """A tick label: 1,000 / 250 / 0.5."""
    if v >= 1 and abs(v - round(v)) < 1e-9:
        return f"{int(round(v)):,}"
    return f"{v:g}"


def log_axis(ax, which, values, force=False):
    """Log scale when the values span a decade (or force); ticks at the values
    themselves when there are few of them (k, batch sizes, ranks), else at
    1-2-5 steps, labelled as plain numbers."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    vals = sorted({float(v) for v in values if v is not None and math.isfinite(v) and v > 0})
    if not (force or spans_decades(vals)):
        return False
    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    if 1 < len(vals) <= 8 and which == "x":
        axis.set_major_locator(ticker.FixedLocator(vals))
        axis.set_minor_locator(ticker.NullLocator())
    else:
        decades = math.log10(max(vals) / min(vals)) if vals else 0
        subs = (1.0, 2.0, 5.0) if decades <= 3 else (1.0,)
        axis.set_major_locator(ticker.LogLocator(base=10, subs=subs))
        axis.set_minor_locator(ticker.LogLocator(base=10, subs="auto", numticks=50))
        axis.set_minor_formatter(ticker.NullFormatter())
    axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: num(v)))
    return True


def wrap(text, width=30):
    """Breaks a benchmark id after '/' (or spaces) to fit width characters;
    a part longer than width is kept whole."""
    parts = re.findall(r"[^/ ]*(?:/|\s+|$)", text)
    lines, cur = [], ""
    for p in parts:
        if cur and len(cur) + len(p.rstrip()) > width:
            lines.append(cur.rstrip())
            cur = ""
        cur += p
    if cur.strip():
        lines.append(cur.rstrip())
    return "\n".join(lines) or text


def legend_outside(ax, **kw):
    """Legend right of the axes, so it never covers data."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, frameon=False, **kw)


def legend(ax, inside=3):
    """A few entries inside the axes where they cover least, more outside."""
    handles, labels = ax.get_legend_handles_labels()
    if len(handles) > inside:
        legend_outside(ax)
    elif handles:
        ax.legend(loc="best", frameon=False)


def new(nrows=1, ncols=1, width=6.4, height=4.2, **kw):
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False, **kw)
    return fig, axes


def categorical(ax, which, positions, labels):
    """Ticks that name things (metrics, types, ids, rounds) rather than measure
    them: such an axis needs no unit, and figures.json says so."""
    (ax.set_xticks if which == "x" else ax.set_yticks)(positions, labels)
    ax._lb_categorical = getattr(ax, "_lb_categorical", set()) | {which}


def _categorical(ax, which):
    if which in getattr(ax, "_lb_categorical", set()):
        return True
    fmt = (ax.xaxis if which == "x" else ax.yaxis).get_major_formatter()
    return isinstance(fmt, (ticker.FixedFormatter, StrCategoryFormatter))


def describe_axes(fig):
    """What figures.json records per visible axes: labels, scales, and whether
    an axis is categorical (names, not quantities: no unit expected)."""
    out = []
    for ax in fig.axes:
        if not ax.axison:
            continue
        out.append({
            "title": ax.get_title("left") or ax.get_title(),
            "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel(),
            "xscale": ax.get_xscale(), "yscale": ax.get_yscale(),
            "x_categorical": _categorical(ax, "x"), "y_categorical": _categorical(ax, "y"),
        })
    return out


def save(figure, outdir, svg=True):
    """Writes NAME.png (and NAME.svg); returns the file names and axes."""
    fig = figure.fig
    files = {"png": f"{figure.name}.png"}
    fig.savefig(f"{outdir}/{files['png']}", bbox_inches="tight", metadata={"Software": None})
    if svg:
        files["svg"] = f"{figure.name}.svg"
        fig.savefig(f"{outdir}/{files['svg']}", bbox_inches="tight", metadata={"Date": None})
    axes = describe_axes(fig)
    plt.close(fig)
    return files, axes
