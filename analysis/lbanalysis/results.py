"""Reading results files (docs/RESULTS.md) with h5py.

Only what the schema documents is read, by name, and checked the way the C
reader (lb_results_read) checks it, so a file the tool refuses is refused here
too, with one line naming the file and the cause.

A file says what it is in its root attributes `schema` and, from
schema_version 2 on, `kind` (absent: "results"); `open_file` picks the reader
registered for that pair with `@reader(schema, kind)`. Two are registered:
("latentbench-results", "results"), a run, read as a Results, and
("latentbench-results", "ab"), the paired run of `latentbench ab`, read as an
ABResults: the candidate's run as a Results (so every figure of a run draws
it) with the baseline's rows, the paired comparison and the rounds beside it.
The report decides what to draw from the object's `kind` (docs/ANALYSIS.md).
A file of another kind is refused with a line that says so.
"""

import os
from dataclasses import dataclass, field

import numpy as np

from .errors import EX_DATAERR, EX_NOINPUT, AnalysisError

try:  # h5py prints nothing itself, but be sure HDF5's error stack stays quiet
    import h5py
except ImportError as e:  # pragma: no cover - report.py checks first
    raise AnalysisError(70, "needs the Python module h5py (Debian: python3-h5py)") from e

RESULTS_SCHEMA = "latentbench-results"
# Versions whose plain results read alike: 2 added the root attribute `kind`
# and the parts of other kinds, which a plain results file does not have; 3
# stores every text attribute fixed-length (h5py gives bytes; _text decodes).
RESULTS_VERSIONS = (1, 2, 3)

# Root attributes: name -> class ("text", "int", "double").
ROOT_REQUIRED = {
    "schema": "text", "schema_version": "int", "tool_version": "text", "git_commit": "text",
    "created": "text", "hostname": "text", "machine": "text", "mpi_ranks": "int",
    "omp_threads": "int", "compiler": "text", "build_type": "text", "command_line": "text",
    "timer_resolution_ns": "double", "timer_overhead_ns": "double",
}
# Optional ones (distributed runs) with the value an absent one reads as.
ROOT_OPTIONAL = {
    "shard": ("text", "none"), "failure": ("text", ""), "scaling": ("text", ""),
    "nodes": ("int", 1), "node_concurrency": ("int", 0), "complete": ("int", 1),
    "makespan_s": ("double", 0.0), "ideal_makespan_s": ("double", 0.0),
    "predicted_makespan_s": ("double", 0.0), "library": ("text", ""), "library_hash": ("text", ""),
    "library_size": ("int", 0), "knobs": ("text", ""), "peers": ("text", ""),
}

# /benchmarks members: name -> class ("string", "integer", "number").
S, I, N = "string", "integer", "number"
ROW_REQUIRED = {
    "id": S, "suite": S, "group": S, "op": S, "dimension": I, "k": I, "dataset_size": I,
    "batch_size": I, "seq_len": I, "num_heads": I, "num_experts": I, "metric": S, "attention": S,
    "samples": I, "iterations": I, "mean_ns": N, "median_ns": N, "std_dev_ns": N, "mad_ns": N,
    "min_ns": N, "max_ns": N, "ci_low_ns": N, "ci_high_ns": N, "slope_ns": N,
    "outliers_mild": I, "outliers_severe": I, "throughput_elements": N, "throughput_bytes": N,
    "peak_bytes": I, "avg_bytes": I, "allocations": I, "rss_peak_bytes": I, "ranks": I,
    "rank_min_ns": N, "rank_median_ns": N, "rank_max_ns": N, "note": S,
}
ROW_OPTIONAL = {
    "rounds": (I, 0), "measured_rank": (I, 0), "host": (S, ""), "peak_bytes_sum": (I, 0),
    "rss_peak_bytes_sum": (I, 0), "rank_mean_ns": (N, 0.0), "comm_fraction": (N, 0.0),
    "parallel_efficiency": (N, 0.0), "impl": (S, "liblatent"), "bound_ns": (N, 0.0), "bound_kind": (S, ""),
}
# /bounds (optional: files before it have none): the hardware bounds of rank 0's node (docs/PROBE.md).
BOUND_REQUIRED = {"kind": S, "isa": S, "threads": I, "bytes": I, "value": N, "unit": S}
RANK_REQUIRED = {"rank": I, "hostname": S, "cores": I, "peak_bytes": I, "rss_peak_bytes": I}
SAMPLE_REQUIRED = {"iterations": I, "ns_per_iter": N}
SAMPLE_OPTIONAL = {"round": (I, 0)}
# A/B files (kind "ab"): root attributes naming the baseline, /ab and /ab_pairs/<i>.
AB_ROOT_REQUIRED = {"base_library": "text", "base_library_hash": "text"}
AB_REQUIRED = {
    "id": S, "rounds": I, "block_iters": I, "order": S, "ratio": N, "ratio_ci_low": N, "ratio_ci_high": N,
    "ratio_upper": N, "ratio_lower": N, "confidence": N, "p_slower": N, "p_faster": N, "log_ratio_mad": N,
    "threshold_pct": N, "verdict": S, "peak_bytes_a": I, "peak_bytes_b": I, "allocations_a": I,
    "allocations_b": I, "memory_verdict": S,
}
AB_OPTIONAL = {"rounds_repeated": (I, 0)}
PAIR_REQUIRED = {"round": I, "b_first": I, "a_ns": N, "b_ns": N}

_KINDS = {S: "SOU", I: "iu", N: "iuf"}


@dataclass(eq=False)  # a run is itself: compared by identity
class Results:
    """One results file: `attrs` (root attributes, optional ones filled in),
    `rows` (one dict per /benchmarks row, strings decoded), `samples` (per row a
    dict of arrays: ns (time per iteration), iterations, round) and `ranks`."""
    path: str
    attrs: dict
    rows: list
    samples: list
    ranks: list
    kind: str = field(default="results")
    bounds: list = field(default_factory=list)  # /bounds entries as dicts; [] in files before it

    def pct_of_bound(self, row):
        """100 x the row's bound over its median (docs/PROBE.md), or None without a bound."""
        return 100.0 * row["bound_ns"] / row["median_ns"] if row["bound_ns"] > 0 and row["median_ns"] > 0 else None

    def label(self):
        """Short name of the run for legends: commit and creation time."""
        commit = self.attrs["git_commit"][:12] or "?"
        return f"{commit} ({self.attrs['created']})"


@dataclass(eq=False)
class ABResults(Results):
    """An A/B file: the candidate's run (B) as a Results (`rows`, `samples`:
    /benchmarks and /samples, `attrs` with `base_library` and
    `base_library_hash` added), and beside it, one entry per row in the same
    order and with the same ids: `base_rows` (/base_benchmarks, the
    baseline's rows, A), `ab` (/ab, the paired comparison, strings decoded)
    and `pairs` (/ab_pairs/<i>: arrays round, b_first, a_ns, b_ns)."""
    base_rows: list = field(default_factory=list)
    ab: list = field(default_factory=list)
    pairs: list = field(default_factory=list)


READERS = {}


def reader(schema, kind):
    """Registers fn(path, h5py.File) -> object as the reader of files whose
    `schema` and `kind` attributes are these."""
    def register(fn):
        READERS[(schema, kind)] = fn
        return fn
    return register


def _fail(path, cause):
    raise AnalysisError(EX_DATAERR, f"{path}: {cause}")


def _text(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", errors="replace")
    if isinstance(v, np.ndarray) and v.shape == () and v.dtype.kind in "SO":
        return _text(v[()])
    return v


def _attr(path, attrs, name, cls):
    v = _text(attrs[name])
    if cls == "text":
        if not isinstance(v, str):
            _fail(path, f"root attribute '{name}' is not text")
        return v
    if isinstance(v, np.ndarray) and v.size == 1:
        v = v.reshape(())[()]
    if cls == "int":
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            _fail(path, f"root attribute '{name}' is not an integer")
        return int(v)
    if not isinstance(v, (int, float, np.integer, np.floating)):
        _fail(path, f"root attribute '{name}' is not a number")
    return float(v)


def _table(path, f, name, required, optional):
    """A 1-D compound dataset as {member: array}, checked by name and class."""
    obj = f.get(name)
    if obj is None:
        _fail(path, f"'/{name}' is missing")
    if not isinstance(obj, h5py.Dataset) or obj.dtype.names is None or obj.ndim != 1:
        _fail(path, f"'/{name}' is not a 1-D compound dataset")
    data = obj[()]
    names = set(obj.dtype.names)
    out = {}
    for member, cls in required.items():
        if member not in names:
            _fail(path, f"'/{name}' lacks the member '{member}'")
        out[member] = _member(path, name, data, member, cls)
    for member, (cls, default) in optional.items():
        if member in names:
            out[member] = _member(path, name, data, member, cls)
        else:
            out[member] = [default] * len(data) if cls == S else np.full(len(data), default)
    return len(data), out


def _member(path, name, data, member, cls):
    col = data[member]
    if col.dtype.kind not in _KINDS[cls]:
        _fail(path, f"'/{name}' member '{member}' is not a {cls}")
    if cls == S:
        return [_text(v).rstrip("\0") if isinstance(_text(v), str) else str(v) for v in col]
    return np.asarray(col, dtype=np.float64 if cls == N else np.int64)


def open_file(path):
    """Reads any supported file; raises AnalysisError (66 missing, 65 anything
    else wrong) with one line naming `path`."""
    if not os.path.exists(path):
        raise AnalysisError(EX_NOINPUT, f"{path}: No such file or directory")
    if os.path.isdir(path):
        raise AnalysisError(EX_NOINPUT, f"{path}: is a directory, not a results file")
    if not os.access(path, os.R_OK):
        raise AnalysisError(EX_NOINPUT, f"{path}: Permission denied")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        cause = str(e)
        if "file signature not found" in cause:
            _fail(path, "not an HDF5 file")
        cause = cause.replace("Unable to open file (", "").rstrip(")")
        cause = cause.replace("Unable to synchronously open file (", "")
        _fail(path, f"cannot open as HDF5: {cause}")
    with f:
        try:
            if "schema" not in f.attrs:
                _fail(path, "no 'schema' attribute: not a latentbench results file")
            schema = _text(f.attrs["schema"])
            kind = _text(f.attrs["kind"]) if "kind" in f.attrs else "results"
            if not isinstance(schema, str) or schema not in {s for s, _ in READERS}:
                known = ", ".join(sorted({s for s, _ in READERS}))
                _fail(path, f"schema '{schema}' is not one this report reads ({known})")
            fn = READERS.get((schema, kind))
            if fn is None:
                known = ", ".join(sorted(k for s, k in READERS if s == schema))
                _fail(path, f"kind '{kind}' is not one this report draws yet (it draws: {known})")
            return fn(path, f)
        except AnalysisError:
            raise
        except (OSError, KeyError, ValueError, TypeError, RuntimeError) as e:
            # a damaged object inside an HDF5 file that opened
            _fail(path, f"damaged or truncated: {str(e) or type(e).__name__}")


def read_results(path):
    """A results file (schema latentbench-results); another kind is an error."""
    obj = open_file(path)
    if getattr(obj, "kind", None) != "results":
        _fail(path, f"is a file of kind '{obj.kind}', not a results file")
    return obj


def _rows(n, cols):
    """Columns of a table as one dict per row (numbers as int or float)."""
    rows = []
    for i in range(n):
        row = {}
        for member, col in cols.items():
            v = col[i]
            row[member] = v if isinstance(v, str) else (float(v) if col.dtype.kind == "f" else int(v))
        row["index"] = i
        rows.append(row)
    return rows


def _row_sets(path, f, group, rows, required, optional):
    """/group/<i> for every row i: each a table whose attribute id is row i's."""
    if group not in f or not isinstance(f[group], h5py.Group):
        _fail(path, f"'/{group}' is missing")
    out = []
    for i, row in enumerate(rows):
        key = f"{group}/{i}"
        if key not in f:
            _fail(path, f"'/{key}' ({row['id']}) is missing")
        _, cols = _table(path, f, key, required, optional)
        sid = _text(f[key].attrs.get("id", ""))
        if sid != row["id"]:
            _fail(path, f"'/{key}' has id '{sid}', not its row's '{row['id']}'")
        out.append(cols)
    return out


def _parallel(path, name, n, ids, rows):
    """A table that runs beside /benchmarks: as many rows, the same id in each."""
    if n != len(rows):
        _fail(path, f"'/{name}' has {n} rows but '/benchmarks' has {len(rows)}")
    for i, (id_, row) in enumerate(zip(ids, rows)):
        if id_ != row["id"]:
            _fail(path, f"'/{name}' row {i} is '{id_}' but '/benchmarks' row {i} is '{row['id']}'")


@reader(RESULTS_SCHEMA, "results")
def _read_results(path, f):
    run = _read_run(path, f)
    if "ab" in f:
        _fail(path, "'/ab' is present but the file's kind is 'results'")
    return run


@reader(RESULTS_SCHEMA, "ab")
def _read_ab(path, f):
    """An A/B file, checked as the C reader checks it: the run's parts, then
    the baseline's attributes, /base_benchmarks and /ab with one row per
    /benchmarks row and the same ids, and /ab_pairs/<i> with row i's id."""
    run = _read_run(path, f)
    if "ab" not in f:
        _fail(path, "'/ab' is missing (the file's kind is 'ab')")
    attrs = dict(run.attrs)
    for name, cls in AB_ROOT_REQUIRED.items():
        if name not in f.attrs:
            _fail(path, f"root attribute '{name}' is missing")
        attrs[name] = _attr(path, f.attrs, name, cls)
    n, cols = _table(path, f, "base_benchmarks", ROW_REQUIRED, ROW_OPTIONAL)
    _parallel(path, "base_benchmarks", n, cols["id"], run.rows)
    base_rows = _rows(n, cols)
    n, cols = _table(path, f, "ab", AB_REQUIRED, AB_OPTIONAL)
    _parallel(path, "ab", n, cols["id"], run.rows)
    ab = _rows(n, cols)
    pairs = [{"round": c["round"], "b_first": c["b_first"], "a_ns": c["a_ns"], "b_ns": c["b_ns"]}
             for c in _row_sets(path, f, "ab_pairs", run.rows, PAIR_REQUIRED, {})]
    return ABResults(path=path, attrs=attrs, rows=run.rows, samples=run.samples, ranks=run.ranks, kind="ab",
                     bounds=run.bounds, base_rows=base_rows, ab=ab, pairs=pairs)


def _read_run(path, f):
    """What every kind of file holds: the root attributes, /benchmarks,
    /samples/<i> and /ranks."""
    attrs = {}
    for name, cls in ROOT_REQUIRED.items():
        if name not in f.attrs:
            _fail(path, f"root attribute '{name}' is missing")
        attrs[name] = _attr(path, f.attrs, name, cls)
    if attrs["schema_version"] not in RESULTS_VERSIONS:
        _fail(path, f"schema_version {attrs['schema_version']} is not one this report reads "
                    f"({', '.join(map(str, RESULTS_VERSIONS))})")
    for name, (cls, default) in ROOT_OPTIONAL.items():
        attrs[name] = _attr(path, f.attrs, name, cls) if name in f.attrs else default
    if attrs["shard"] == "":
        attrs["shard"] = "none"

    n, cols = _table(path, f, "benchmarks", ROW_REQUIRED, ROW_OPTIONAL)
    rows = _rows(n, cols)
    for r in rows:  # an empty impl is liblatent, as the C reader has it
        r["impl"] = r["impl"] or "liblatent"
    bounds = []
    if "bounds" in f:
        nb, bc = _table(path, f, "bounds", BOUND_REQUIRED, {})
        bounds = _rows(nb, bc)
    samples = [{"ns": sc["ns_per_iter"].astype(np.float64), "iterations": sc["iterations"], "round": sc["round"]}
               for sc in _row_sets(path, f, "samples", rows, SAMPLE_REQUIRED, SAMPLE_OPTIONAL)]

    m, rc = _table(path, f, "ranks", RANK_REQUIRED, {})
    ranks = [{k: (v[i] if isinstance(v, list) else int(v[i])) for k, v in rc.items()} for i in range(m)]
    return Results(path=path, attrs=attrs, rows=rows, samples=samples, ranks=ranks, bounds=bounds)
