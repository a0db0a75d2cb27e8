"""Units for axes and tables: one scale per axis, chosen from the data, as the
C tool's summaries do (docs/EXPORTS.md: ns, µs, ms, s; memory in powers of 1000)."""

import math

import numpy as np

TIME_UNITS = [("ns", 1.0), ("µs", 1e3), ("ms", 1e6), ("s", 1e9)]
BYTE_UNITS = [("B", 1.0), ("kB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12)]
RATE_UNITS = [("", 1.0), ("k", 1e3), ("M", 1e6), ("G", 1e9)]


def _pick(values, units):
    v = np.asarray([x for x in np.ravel(values) if np.isfinite(x) and x > 0], dtype=float)
    if v.size == 0:
        return units[0]
    ref = float(np.median(v))
    best = units[0]
    for name, scale in units:
        if ref >= scale:
            best = (name, scale)
    return best


def time_unit(values_ns):
    """(name, divisor) for times in nanoseconds: the unit that keeps the median
    of the values at 1 or above."""
    return _pick(values_ns, TIME_UNITS)


def byte_unit(values):
    return _pick(values, BYTE_UNITS)


def rate_unit(values):
    return _pick(values, RATE_UNITS)


def fmt_time(ns):
    if ns is None or not math.isfinite(ns):
        return "-"
    name, scale = time_unit([ns])
    v = ns / scale
    return f"{v:.1f} {name}" if v >= 10 else f"{v:.2f} {name}"


def fmt_bytes(b):
    if b is None or not math.isfinite(b):
        return "-"
    if b == 0:
        return "0 B"
    name, scale = byte_unit([b])
    v = b / scale
    return f"{v:.0f} {name}" if name == "B" else (f"{v:.1f} {name}" if v >= 10 else f"{v:.2f} {name}")


def fmt_rate(x, what="elem"):
    if x is None or not math.isfinite(x) or x <= 0:
        return "-"
    name, scale = rate_unit([x])
    v = x / scale
    return (f"{v:.1f}" if v >= 10 else f"{v:.2f}") + f" {name}{what}/s"


def fmt_pct(x, signed=True):
    if x is None or not math.isfinite(x):
        return "-"
    return f"{x:+.1f}%" if signed else f"{x:.1f}%"


def spans_decades(values, ratio=10.0):
    """True when the positive finite values span at least `ratio` (a decade):
    such an axis is drawn on a log scale."""
    v = [x for x in np.ravel(values) if np.isfinite(x) and x > 0]
    return len(v) > 1 and max(v) / min(v) >= ratio
