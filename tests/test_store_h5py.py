#!/usr/bin/python3
"""Reads the files written by `test_store --write DIR` with h5py and checks
every attribute, field name, type and value against the fixtures in
tests/test_store.c (same formulas). Usage: test_store_h5py.py RESULTS DATASET.
Exits 1 and lists every mismatch when anything differs."""

import math
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
]
NUMPY_KIND = {"S": "S", "i": "<i8", "u": "<u8", "f": "<f8"}

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
}
ROOT_INT = {"schema_version": 1, "mpi_ranks": 2, "omp_threads": 8, "nodes": 2, "node_concurrency": 4,
            "complete": 0}
ROOT_FLOAT = {"timer_resolution_ns": 1.0, "timer_overhead_ns": 23.5, "makespan_s": 12.5,
              "ideal_makespan_s": 10.25, "predicted_makespan_s": 11.75}

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)


def expected_row(i):
    row = {}
    for p, (name, kind, _) in enumerate(ROW_FIELDS):
        if kind == "S":
            row[name] = f"{name}-{i}"
        elif kind == "i":
            row[name] = (i * 1000 + p) * (-1 if i == 2 else 1)
        elif kind == "u":
            row[name] = 2**63 + i * 1000 + p
        else:
            row[name] = i * 1000 + p + 0.25
    row["id"] = ["".join(chr(97 + j % 26) for j in range(LB_ID_LEN - 1)),
                 "knn_search/dim_128/10", "attention_computation/dim_64/Standard"][i]
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


def check_results(path):
    with h5py.File(path, "r") as f:
        want = set(ROOT_STR) | set(ROOT_INT) | set(ROOT_FLOAT)
        check(set(f.attrs) == want, f"root attributes {sorted(f.attrs)} != {sorted(want)}")
        for k, v in ROOT_STR.items():
            got = f.attrs.get(k)
            check(type(got) is str, f"attribute {k} reads as {type(got).__name__}, not str")
            check(got == v, f"attribute {k} = {got!r}, expected {v!r}")
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
        check(set(f.keys()) == {"benchmarks", "samples", "ranks"}, f"root holds {sorted(f.keys())}")

        b = f["benchmarks"]
        check(b.ndim == 1 and b.shape == (3,), f"/benchmarks shape {b.shape}")
        names = [n for n, _, _ in ROW_FIELDS]
        check(list(b.dtype.names) == names, f"/benchmarks fields {b.dtype.names}")
        for name, kind, size in ROW_FIELDS:
            dt = b.dtype[name]
            want_dt = np.dtype(f"S{size}") if kind == "S" else np.dtype(NUMPY_KIND[kind])
            check(dt == want_dt, f"/benchmarks field {name} is {dt}, expected {want_dt}")
        rows = b[()]
        for i in range(3):
            want_row = expected_row(i)
            for name, kind, _ in ROW_FIELDS:
                got = rows[i][name]
                got = got.decode("utf-8") if kind == "S" else (float(got) if kind == "f" else int(got))
                check(same(got, want_row[name]), f"/benchmarks[{i}].{name} = {got!r}, expected {want_row[name]!r}")

        s = f["samples"]
        check(sorted(s.keys()) == ["0", "1", "2"], f"/samples holds {sorted(s.keys())}")
        for i, n in enumerate((0, 3, 5)):
            d = s[str(i)]
            check(list(d.dtype.names) == ["iterations", "ns_per_iter", "round"], f"/samples/{i} fields {d.dtype.names}")
            check(d.dtype["iterations"] == np.uint64 and d.dtype["ns_per_iter"] == np.float64 and
                  d.dtype["round"] == np.uint64, f"/samples/{i} types {d.dtype}")
            check(d.shape == (n,), f"/samples/{i} shape {d.shape}, expected ({n},)")
            rid = d.attrs.get("id")
            check(type(rid) is str and rid == expected_row(i)["id"], f"/samples/{i} id {rid!r}")
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
        check(type(dist) is str and dist == "angular", f"distance attribute {dist!r}")
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
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    check_results(sys.argv[1])
    check_dataset(sys.argv[2])
    for msg in failures:
        print("FAIL:", msg, file=sys.stderr)
    print(f"test_store_h5py: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
