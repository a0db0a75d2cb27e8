#!/usr/bin/python3
"""Reads the files written by `test_store --write DIR` with h5py and checks
every attribute, field name, type and value against the fixtures in
tests/test_store.c (same formulas). Usage: test_store_h5py.py RESULTS DATASET
[AB]; AB (the A/B fixture) defaults to ab.h5 beside RESULTS.
Exits 1 and lists every mismatch when anything differs."""

import math
import os
import sys

import h5py
import numpy as np

LB_ID_LEN, LB_NAME_LEN, LB_NOTE_LEN, LB_HOST_LEN = 128, 48, 64, 64

# (name, kind, string size) in the order of lb_row; kinds: S string, i int64,
# u uint64, f float64.
ROW_FIELDS = [
    ("id", "S", LB_ID_LEN), ("suite", "S", LB_NAME_LEN), ("group", "S", LB_NAME_LEN),
    ("op", "S", LB_NAME_LEN), ("dimension", "i", 0), ("k", "i", 0), ("dataset_size", "i", 0),
    ("batch_size", "i", 0), ("seq_len", "i", 0), ("num_heads", "i", 0), ("num_experts", "i", 0),
    ("metric", "S", LB_NAME_LEN), ("attention", "S", LB_NAME_LEN), ("samples", "i", 0),
    ("iterations", "i", 0), ("mean_ns", "f", 0), ("median_ns", "f", 0), ("std_dev_ns", "f", 0),
    ("mad_ns", "f", 0), ("min_ns", "f", 0), ("max_ns", "f", 0), ("ci_low_ns", "f", 0),
    ("ci_high_ns", "f", 0), ("slope_ns", "f", 0), ("outliers_mild", "i", 0),
    ("outliers_severe", "i", 0), ("throughput_elements", "f", 0), ("throughput_bytes", "f", 0),
    ("peak_bytes", "u", 0), ("avg_bytes", "u", 0), ("allocations", "u", 0),
    ("rss_peak_bytes", "u", 0), ("ranks", "i", 0), ("rank_min_ns", "f", 0),
    ("rank_median_ns", "f", 0), ("rank_max_ns", "f", 0), ("note", "S", LB_NOTE_LEN), ("rounds", "i", 0),
    # distributed runs
    ("measured_rank", "i", 0), ("host", "S", LB_HOST_LEN), ("peak_bytes_sum", "u", 0),
    ("rss_peak_bytes_sum", "u", 0), ("rank_mean_ns", "f", 0), ("comm_fraction", "f", 0),
    ("parallel_efficiency", "f", 0),
    # the implementation and the row's hardware bound
    ("impl", "S", LB_NAME_LEN), ("bound_ns", "f", 0), ("bound_kind", "S", LB_NAME_LEN),
]
BOUND_FIELDS = [("kind", "S", LB_NAME_LEN), ("isa", "S", LB_NAME_LEN), ("threads", "i", 0), ("bytes", "u", 0),
                ("value", "f", 0), ("unit", "S", LB_NAME_LEN)]
BOUNDS = [{"kind": "read_mem", "isa": "avx512", "threads": 2, "bytes": 2**28, "value": 1.25e10, "unit": "B/s"},
          {"kind": "fma", "isa": "avx2", "threads": 1, "bytes": 0, "value": 6.4e10, "unit": "flop/s"}]
NUMPY_KIND = {"S": "S", "i": "<i8", "u": "<u8", "f": "<f8"}

# lb_ab_row and lb_ab_pair, in struct order (A/B files)
AB_FIELDS = [
    ("id", "S", LB_ID_LEN), ("rounds", "i", 0), ("block_iters", "i", 0), ("order", "S", LB_NAME_LEN),
    ("ratio", "f", 0), ("ratio_ci_low", "f", 0), ("ratio_ci_high", "f", 0), ("ratio_upper", "f", 0),
    ("ratio_lower", "f", 0), ("confidence", "f", 0), ("p_slower", "f", 0), ("p_faster", "f", 0),
    ("log_ratio_mad", "f", 0), ("threshold_pct", "f", 0), ("verdict", "S", LB_NAME_LEN),
    ("peak_bytes_a", "u", 0), ("peak_bytes_b", "u", 0), ("allocations_a", "u", 0), ("allocations_b", "u", 0),
    ("memory_verdict", "S", LB_NAME_LEN), ("rounds_repeated", "i", 0),
]
PAIR_FIELDS = [("round", "u", 0), ("b_first", "i", 0), ("a_ns", "f", 0), ("b_ns", "f", 0)]

ROOT_STR = {
    "schema": "latentbench-results",
    "tool_version": "0.1.0",
    "git_commit": "0123456789abcdef0123456789abcdef01234567",
    "created": "2024-05-06T07:08:09Z",
    "hostname": "bench-node-01",
    "machine": "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz; 64 cores; avx512",
    "compiler": "GNU 12.2.0",
    "build_type": "Release",
    "command_line": "latentbench run --suite ci -o r\u00e9sultats.h5",
    "shard": "matrix",
    "failure": "rank 1 (node-1): out of memory",
    "scaling": "strong",
    "library": "/opt/lb/b/liblatent.so.0.1.0",
    "library_hash": "0123456789abcdef",
    "kind": "results",
    "knobs": "",
    "peers": "",
}
ROOT_INT = {"schema_version": 3, "mpi_ranks": 2, "omp_threads": 8, "nodes": 2, "node_concurrency": 4,
            "complete": 0, "library_size": 123456}
AB_ROOT_STR = dict(ROOT_STR, kind="ab", base_library="/opt/lb/a/liblatent.so.0.1.0",
                   base_library_hash="fedcba9876543210")
ROOT_FLOAT = {"timer_resolution_ns": 1.0, "timer_overhead_ns": 23.5, "makespan_s": 12.5,
              "ideal_makespan_s": 10.25, "predicted_makespan_s": 11.75}

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)


def fill_rec(fields, i, add=0, prefix=""):
    """fill_rec of tests/test_store.c."""
    rec = {}
    for p, (name, kind, _) in enumerate(fields):
        if kind == "S":
            rec[name] = f"{prefix}{name}-{i}"
        elif kind == "i":
            rec[name] = (i * 1000 + p + add) * (-1 if i == 2 else 1)
        elif kind == "u":
            rec[name] = 2**63 + i * 1000 + p + add
        else:
            rec[name] = i * 1000 + p + add + 0.25
    return rec


ROW_IDS = ["".join(chr(97 + j % 26) for j in range(LB_ID_LEN - 1)),
           "knn_search/dim_128/10", "attention_computation/dim_64/Standard"]


def expected_base_row(i):
    row = fill_rec(ROW_FIELDS, i, 500, "base-")
    row["id"] = ROW_IDS[i]
    return row


def expected_ab_row(i):
    row = fill_rec(AB_FIELDS, i)
    row["id"] = ROW_IDS[i]
    row["order"] = ["abba", "random", "abba"][i]
    row["verdict"] = ["Regression", "Improvement", "NoChange"][i]
    row["memory_verdict"] = ["Same", "More", "Less"][i]
    if i == 1:
        row["log_ratio_mad"] = math.nan
    return row


def expected_pairs(i):
    return [{"round": j, "b_first": (i + j) % 2, "a_ns": 10 * i + j + 0.5, "b_ns": 10 * i + j + 0.75}
            for j in range((2, 0, 4)[i])]


def expected_row(i):
    row = fill_rec(ROW_FIELDS, i)
    row["id"] = ROW_IDS[i]
    if i == 0:
        row["metric"] = ""
    if i == 1:
        row["slope_ns"] = math.nan
    if i == 2:
        row["note"] = "budget: 12 of 100 samples \u00b5"
    return row


def same(a, b):
    if isinstance(b, float) and math.isnan(b):
        return isinstance(a, float) and math.isnan(a)
    return a == b


def check_table(d, label, fields, n, expected):
    """A 1-D compound dataset: member names, order and types, and every value."""
    check(d.ndim == 1 and d.shape == (n,), f"{label} shape {d.shape}, expected ({n},)")
    names = [name for name, _, _ in fields]
    check(list(d.dtype.names) == names, f"{label} fields {d.dtype.names}")
    for name, kind, size in fields:
        dt = d.dtype[name]
        want_dt = np.dtype(f"S{size}") if kind == "S" else np.dtype(NUMPY_KIND[kind])
        check(dt == want_dt, f"{label} field {name} is {dt}, expected {want_dt}")
    rows = d[()]
    for i in range(min(n, len(rows))):
        want_row = expected(i)
        for name, kind, _ in fields:
            got = rows[i][name]
            got = got.decode("utf-8") if kind == "S" else (float(got) if kind == "f" else int(got))
            check(same(got, want_row[name]), f"{label}[{i}].{name} = {got!r}, expected {want_row[name]!r}")


def check_results(path, ab=False):
    root_str = AB_ROOT_STR if ab else ROOT_STR
    with h5py.File(path, "r") as f:
        want = set(root_str) | set(ROOT_INT) | set(ROOT_FLOAT)
        check(set(f.attrs) == want, f"{path}: root attributes {sorted(f.attrs)} != {sorted(want)}")
        for k, v in root_str.items():
            # schema_version 3: fixed-length UTF-8, which h5py gives as bytes
            got = f.attrs.get(k)
            check(isinstance(got, bytes), f"attribute {k} reads as {type(got).__name__}, not bytes")
            check(f.attrs.get_id(k).get_type().is_variable_str() is False, f"attribute {k} is variable-length")
            check(got.decode("utf-8") == v, f"attribute {k} = {got!r}, expected {v!r}")
        for k, v in ROOT_INT.items():
            got = f.attrs.get(k)
            check(isinstance(got, np.integer), f"attribute {k} is {type(got).__name__}, not an integer")
            check(got == v, f"attribute {k} = {got!r}, expected {v}")
        for k in ROOT_INT:
            if k != "schema_version":
                check(f.attrs[k].dtype == np.int64, f"{k} is not int64")
        for k in ROOT_FLOAT:
            check(f.attrs[k].dtype == np.float64, f"{k} is not float64")
        for k, v in ROOT_FLOAT.items():
            got = f.attrs.get(k)
            check(isinstance(got, np.floating) and got == v, f"attribute {k} = {got!r}, expected {v}")
        want_keys = {"benchmarks", "samples", "ranks", "bounds"} | ({"base_benchmarks", "ab", "ab_pairs"} if ab else set())
        check(set(f.keys()) == want_keys, f"{path}: root holds {sorted(f.keys())}")

        check_table(f["benchmarks"], "/benchmarks", ROW_FIELDS, 3, expected_row)
        check_table(f["bounds"], "/bounds", BOUND_FIELDS, 2, lambda j: BOUNDS[j])
        if ab:
            check_table(f["base_benchmarks"], "/base_benchmarks", ROW_FIELDS, 3, expected_base_row)
            check_table(f["ab"], "/ab", AB_FIELDS, 3, expected_ab_row)
            p = f["ab_pairs"]
            check(sorted(p.keys()) == ["0", "1", "2"], f"/ab_pairs holds {sorted(p.keys())}")
            for i in range(3):
                want = expected_pairs(i)
                d = p[str(i)]
                check_table(d, f"/ab_pairs/{i}", PAIR_FIELDS, len(want), lambda j, w=want: w[j])
                rid = d.attrs.get("id")
                check(isinstance(rid, bytes) and rid.decode() == ROW_IDS[i], f"/ab_pairs/{i} id {rid!r}")

        s = f["samples"]
        check(sorted(s.keys()) == ["0", "1", "2"], f"/samples holds {sorted(s.keys())}")
        for i, n in enumerate((0, 3, 5)):
            d = s[str(i)]
            check(list(d.dtype.names) == ["iterations", "ns_per_iter", "round"], f"/samples/{i} fields {d.dtype.names}")
            check(d.dtype["iterations"] == np.uint64 and d.dtype["ns_per_iter"] == np.float64 and
                  d.dtype["round"] == np.uint64, f"/samples/{i} types {d.dtype}")
            check(d.shape == (n,), f"/samples/{i} shape {d.shape}, expected ({n},)")
            rid = d.attrs.get("id")
            check(isinstance(rid, bytes) and rid.decode() == expected_row(i)["id"], f"/samples/{i} id {rid!r}")
            for j, (it, ns, rnd) in enumerate(d[()]):
                check(int(it) == (j + 1) * (i + 1) * 10 and float(ns) == 100.0 * i + j + 0.5 and int(rnd) == j % 3,
                      f"/samples/{i}[{j}] = ({it}, {ns}, {rnd})")

        r = f["ranks"]
        fields = ["rank", "hostname", "cores", "peak_bytes", "rss_peak_bytes"]
        check(list(r.dtype.names) == fields, f"/ranks fields {r.dtype.names}")
        check(r.dtype["hostname"] == np.dtype(f"S{LB_HOST_LEN}"), f"/ranks hostname is {r.dtype['hostname']}")
        check(r.dtype["peak_bytes"] == np.uint64 and r.dtype["rank"] == np.int64, f"/ranks types {r.dtype}")
        check(r.shape == (2,), f"/ranks shape {r.shape}")
        for k, row in enumerate(r[()]):
            want = (k, f"node-{k}", 8 + k, 2**40 + k, 2**33 + k)
            got = (int(row["rank"]), row["hostname"].decode(), int(row["cores"]),
                   int(row["peak_bytes"]), int(row["rss_peak_bytes"]))
            check(got == want, f"/ranks[{k}] = {got}, expected {want}")


def check_dataset(path):
    n, d, q, kn = 5, 3, 2, 4
    with h5py.File(path, "r") as f:
        dist = f.attrs.get("distance")
        check(isinstance(dist, bytes) and dist == b"angular", f"distance attribute {dist!r}")  # fixed-length, as lb_dataset_write writes it
        want = {
            "train": (np.float32, np.array([[i + 0.125 * j for j in range(d)] for i in range(n)])),
            "test": (np.float32, np.array([[100 + i + 0.25 * j for j in range(d)] for i in range(q)])),
            "neighbors": (np.int32, np.array([[(i * 3 + j) % n for j in range(kn)] for i in range(q)])),
            "distances": (np.float32, np.array([[i + 0.5 * j for j in range(kn)] for i in range(q)])),
        }
        check(set(f.keys()) == set(want), f"dataset holds {sorted(f.keys())}")
        for name, (dtype, values) in want.items():
            a = f[name]
            check(a.dtype == dtype, f"{name} is {a.dtype}, expected {np.dtype(dtype)}")
            check(a.shape == values.shape, f"{name} shape {a.shape}, expected {values.shape}")
            if a.shape == values.shape:
                check(np.array_equal(a[()], values.astype(dtype)), f"{name} values differ")


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    ab = sys.argv[3] if len(sys.argv) == 4 else os.path.join(os.path.dirname(sys.argv[1]), "ab.h5")
    for fn, args in ((check_results, (sys.argv[1],)), (check_results, (ab, True)), (check_dataset, (sys.argv[2],))):
        try:
            fn(*args)
        except (KeyError, OSError) as e:  # a missing object is a mismatch, not a crash
            failures.append(f"{args[0]}: {type(e).__name__}: {e}")
    for msg in failures:
        print("FAIL:", msg, file=sys.stderr)
    print(f"test_store_h5py: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
