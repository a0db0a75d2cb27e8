#!/usr/bin/python3
"""Parses every export that `test_export --write DIR` wrote with Python's own
readers (json, tomllib, csv) and checks the values, the TOML table paths and
Google Benchmark's field names and types, for the plain fixture (results.*)
and the A/B one (ab.*). Usage: test_export_py.py DIR"""
import csv
import json
import math
import sys
import tomllib

DIR = sys.argv[1]
NROWS = 11
WEIRD = 'we"ird\\back,slash|pipe`\n\x01\ufffd\u00b5'
IDS = [
    "knn_search/dim_128/10", "knn_search/dim_256/100", "batch_add_embeddings/32", "parallel_knn_search/32",
    "memory_scaling/10000", "attention_computation/dim_64/MultiHead { num_heads: 8 }", WEIRD,
    "knn_search/dim_128/10", "knn_search/dim_128/10", "memory_scaling/5000", "knn_search/dim_128/10x",
]
FIELDS = [
    "id", "suite", "group", "op", "dimension", "k", "dataset_size", "batch_size", "seq_len", "num_heads",
    "num_experts", "metric", "attention", "samples", "iterations", "mean_ns", "median_ns", "std_dev_ns", "mad_ns",
    "min_ns", "max_ns", "ci_low_ns", "ci_high_ns", "slope_ns", "outliers_mild", "outliers_severe",
    "throughput_elements", "throughput_bytes", "peak_bytes", "avg_bytes", "allocations", "rss_peak_bytes", "ranks",
    "rank_min_ns", "rank_median_ns", "rank_max_ns", "note", "rounds", "impl", "bound_ns", "bound_kind",
    "pct_of_bound",
]
STRINGS = {"id", "suite", "group", "op", "metric", "attention", "note", "impl", "bound_kind"}
FLOATS = {f for f in FIELDS if f.endswith("_ns") or f.startswith("throughput_")} | {"pct_of_bound"}
COMMAND_LINE = "latentbench run --filter 'a\"b\\c'"
# the keys of each row's A/B view, in order, with their types
AB_KEYS = [
    ("rounds", int), ("block_iters", int), ("order", str), ("baseline_median_ns", float),
    ("candidate_median_ns", float), ("ratio", float), ("ratio_ci_low", float), ("ratio_ci_high", float),
    ("ratio_upper", float), ("ratio_lower", float), ("confidence", float), ("p_slower", float),
    ("p_faster", float), ("log_ratio_mad", float), ("threshold_pct", float), ("verdict", str),
    ("peak_bytes_a", int), ("peak_bytes_b", int), ("allocations_a", int), ("allocations_b", int),
    ("memory_verdict", str),
]
VERDICTS = ["Regression", "Improvement"] + ["NoChange"] * (NROWS - 2)
MEDIANS = [44800, 123100, 3746, 1.5e9, 2.5e6, 999.96, 2.5, 50000, 60000, 1000, 1000]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def path(name):
    return f"{DIR}/{name}"


def no_constants(name):
    raise ValueError(f"{name} is not JSON")


def load_json(name):
    with open(path(name), encoding="utf-8") as f:
        return json.load(f, parse_constant=no_constants)


def check_json():
    d = load_json("results.json")
    check(d["schema"] == "latentbench-results" and d["schema_version"] == 3, "json: schema")
    check(d["kind"] == "results" and "base_benchmarks" not in d and "ab_pairs" not in d, "json: plain kind")
    check(d["command_line"] == COMMAND_LINE, f"json: command_line {d['command_line']!r}")
    check(d["mpi_ranks"] == 2 and d["omp_threads"] == 8 and d["timer_overhead_ns"] == 20.5, "json: meta numbers")
    rows = d["benchmarks"]
    check([r["id"] for r in rows] == IDS, f"json: ids {[r['id'] for r in rows]}")
    for r in rows:
        check(list(r) == FIELDS, f"json: fields of {r['id']!r}: {list(r)}")
        for k, v in r.items():
            if k in STRINGS:
                check(isinstance(v, str), f"json: {k} not a string")
            elif k in FLOATS:
                check(v is None or isinstance(v, (int, float)), f"json: {k} not a number")
            else:
                check(isinstance(v, int) and not isinstance(v, bool), f"json: {k} not an integer")
    r0 = rows[0]
    check(r0["mean_ns"] == 45200 and r0["median_ns"] == 44800 and r0["slope_ns"] is None, "json: row 0 values")
    check(r0["throughput_elements"] == 223214.28571428571, "json: doubles round-trip")
    check(rows[5]["rank_max_ns"] is None and rows[5]["rank_min_ns"] is None, "json: infinities as null")
    check(rows[4]["peak_bytes"] == 245000000 and rows[4]["allocations"] == 12543, "json: memory")
    check(rows[6]["note"] == 'budget: 12 of 100 samples, "quoted"', "json: note")
    s = d["samples"]
    check(len(s) == NROWS and [x["row"] for x in s] == list(range(NROWS)), "json: samples rows")
    check(s[0]["iterations"] == [100, 200, 300] and s[0]["ns_per_iter"] == [44000.5, 44800, None], "json: samples 0")
    check(s[0]["round"] == [0, 0, 1] and s[1]["round"] == [], "json: sample rounds")
    check(s[3]["ns_per_iter"] == [1.5e9, 1.6e9] and s[1]["iterations"] == [], "json: samples 1, 3")
    check(d["ranks"] == [
        {"rank": 0, "hostname": "node-a", "cores": 16, "peak_bytes": 245000000, "rss_peak_bytes": 300000000},
        {"rank": 1, "hostname": 'node-"b"', "cores": 16, "peak_bytes": 240000000, "rss_peak_bytes": 290000000},
    ], f"json: ranks {d['ranks']}")
    e = load_json("empty.json")
    check(e["benchmarks"] == [] and e["samples"] == [] and e["ranks"] == [], "json: empty")
    check(d["bounds"] == [] and e["bounds"] == [] and all(r["pct_of_bound"] is None for r in rows), "json: no bounds")


def tables(t, prefix=()):
    """Every table holding an id, with its path."""
    for k, v in t.items():
        if isinstance(v, dict):
            if "id" in v:
                yield prefix + (k,), v
            else:
                yield from tables(v, prefix + (k,))


def check_toml():
    with open(path("results.toml"), "rb") as f:
        t = tomllib.load(f)
    found = dict(tables({k: v for k, v in t.items() if k != "meta"}))
    expect = {
        ("latency", "dim_128", "k_10"): IDS[0],
        ("latency", "dim_256", "k_100"): IDS[1],
        ("throughput", "batch_32", "dim_256"): IDS[2],
        ("benchmarks", "parallel_knn_search/32"): IDS[3],
        ("memory", "dataset_10000", "dim_256"): IDS[4],
        ("benchmarks", IDS[5]): IDS[5],
        ("benchmarks", WEIRD): WEIRD,
        ("benchmarks", "knn_search/dim_128/10"): IDS[7],
        ("benchmarks", "knn_search/dim_128/10#2"): IDS[8],
        ("benchmarks", "memory_scaling/5000"): IDS[9],
        ("benchmarks", "knn_search/dim_128/10x"): IDS[10],
    }
    check({p: v["id"] for p, v in found.items()} == expect, f"toml: tables {sorted(found)}")
    lat = t["latency"]["dim_128"]["k_10"]
    check((lat["mean"], lat["std_dev"], lat["median"], lat["mad"]) == ("45.2 µs", "2.10 µs", "44.8 µs", "1.40 µs"),
          f"toml: latency {lat}")
    lat = t["latency"]["dim_256"]["k_100"]
    check((lat["mean"], lat["std_dev"], lat["median"], lat["mad"]) == ("124 µs", "5.30 µs", "123 µs", "3.20 µs"),
          f"toml: latency {lat}")
    tp = t["throughput"]["batch_32"]["dim_256"]
    check(tp["throughput"] == "2.51 GB/s" and tp["ops_per_sec"] == "8542", f"toml: throughput {tp}")
    mem = t["memory"]["dataset_10000"]["dim_256"]
    check((mem["peak_mb"], mem["average_mb"], mem["allocations"]) == ("245", "198", "12543"), f"toml: memory {mem}")
    check("throughput" not in t["benchmarks"]["memory_scaling/5000"], "toml: throughput only when declared")
    for p, v in found.items():
        for k in ("mean", "std_dev", "median", "mad", "peak_mb", "average_mb", "allocations"):
            check(isinstance(v.get(k), str), f"toml: {p} lacks {k}")
    m = t["meta"]
    check(m["schema"] == "latentbench-results" and m["schema_version"] == 3 and m["mpi_ranks"] == 2, "toml: meta")
    check(m["kind"] == "results", "toml: kind")
    check(m["command_line"] == COMMAND_LINE, "toml: command_line")
    with open(path("empty.toml"), "rb") as f:
        e = tomllib.load(f)
    check(list(e) == ["meta"], f"toml: empty {list(e)}")


def check_gbench():
    d = load_json("results.gbench.json")
    ctx = d["context"]
    types = {"date": str, "host_name": str, "executable": str, "num_cpus": int, "mhz_per_cpu": int,
             "cpu_scaling_enabled": bool, "caches": list, "load_avg": list, "library_build_type": str}
    for k, ty in types.items():
        check(isinstance(ctx.get(k), ty), f"gbench: context {k} missing or not {ty.__name__}")
    check(ctx["num_cpus"] == 16 and ctx["library_build_type"] == "release", "gbench: context values")
    b = d["benchmarks"]
    check(len(b) == 4 * NROWS, f"gbench: {len(b)} entries")
    common = {"name": str, "run_name": str, "run_type": str, "repetitions": int, "threads": int,
              "iterations": int, "real_time": (int, float), "cpu_time": (int, float), "time_unit": str}
    for e in b:
        for k, ty in common.items():
            check(isinstance(e.get(k), ty), f"gbench: {e.get('name')!r}: {k} missing or wrong type")
        check(e["time_unit"] in ("ns", "us", "ms", "s"), "gbench: time_unit")
        if e["run_type"] == "iteration":
            check(isinstance(e.get("repetition_index"), int), "gbench: repetition_index")
            check("aggregate_name" not in e, "gbench: aggregate_name on an iteration")
        else:
            check(e["run_type"] == "aggregate", f"gbench: run_type {e['run_type']}")
            check(e.get("aggregate_name") in ("mean", "median", "stddev"), "gbench: aggregate_name")
            check(e["name"] == e["run_name"] + "_" + e["aggregate_name"], f"gbench: aggregate name {e['name']!r}")
            check("repetition_index" not in e, "gbench: repetition_index on an aggregate")
    it = [e for e in b if e["run_type"] == "iteration"]
    check([e["name"] for e in it] == IDS, "gbench: iteration names")
    check(it[0]["real_time"] == 44800 and it[0]["iterations"] == 2100, "gbench: row 0 values")
    check(all(e["threads"] == 8 for e in b), "gbench: threads = the run's omp_threads")
    check(it[0]["items_per_second"] == 223214.28571428571 and "bytes_per_second" not in it[0], "gbench: rates 0")
    check(abs(it[2]["bytes_per_second"] - 2.34 * 2**30) < 1e-3 and it[2]["items_per_second"] == 8542,
          "gbench: rates 2")
    check(all(("items_per_second" in e) == (e["name"] in IDS[:4] and e["name"] != IDS[1]) for e in it[:4]),
          "gbench: items_per_second only with throughput")
    mean0 = next(e for e in b if e["name"] == IDS[0] + "_mean")
    check(mean0["real_time"] == 45200 and mean0["repetitions"] == 20, "gbench: mean aggregate")
    e = load_json("empty.gbench.json")
    check(e["benchmarks"] == [] and "context" in e, "gbench: empty")


def check_csv():
    with open(path("results.csv"), encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, strict=True))
    check(rows[0] == FIELDS, f"csv: header {rows[0]}")
    check(len(rows) == NROWS + 1, f"csv: {len(rows)} records")
    for r in rows[1:]:
        check(len(r) == len(FIELDS), f"csv: {len(r)} columns in {r[:1]}")
    recs = [dict(zip(FIELDS, r)) for r in rows[1:]]
    # CSV has no escapes: a control character is U+FFFD, never raw
    check([r["id"] for r in recs] == [i.replace("\x01", "\ufffd") for i in IDS], "csv: ids")
    check(float(recs[0]["throughput_elements"]) == 223214.28571428571, "csv: doubles round-trip")
    check(math.isnan(float(recs[0]["slope_ns"])) and float(recs[5]["rank_max_ns"]) == math.inf, "csv: nan, inf")
    check(recs[6]["note"] == 'budget: 12 of 100 samples, "quoted"', "csv: quoted note")
    check(int(recs[4]["peak_bytes"]) == 245000000, "csv: integers")
    with open(path("empty.csv"), encoding="utf-8", newline="") as f:
        check(list(csv.reader(f)) == [FIELDS], "csv: empty")


def md_cells(line):
    """Splits a GFM table row on unescaped pipes."""
    cells, cur, esc = [], "", False
    for ch in line.strip()[1:-1]:
        if esc:
            cur += ch
            esc = False
        elif ch == "\\":
            esc = True
        elif ch == "|":
            cells.append(cur.strip())
            cur = ""
        else:
            cur += ch
    cells.append(cur.strip())
    return cells


def check_md():
    with open(path("results.md"), encoding="utf-8") as f:
        lines = [l for l in f.read().split("\n") if l.startswith("|")]
    check(len(lines) == NROWS + 2, f"md: {len(lines)} table lines")
    body = [md_cells(l) for l in lines[2:]]
    check(all(len(c) == 7 for c in [md_cells(l) for l in lines]), "md: 7 cells in every line")
    check([c[0] for c in body] == [i.replace("\n", " ").replace("\x01", "\ufffd") for i in IDS], "md: ids")
    check(body[0][1:6] == ["44.8 µs", "45.2 µs", "[43.9 µs, 46.6 µs]", "223 kelem/s", "1.00 MB"], f"md: row 0 {body[0]}")
    with open(path("empty.md"), encoding="utf-8") as f:
        check("No benchmarks." in f.read(), "md: empty")


def check_ab_values(what, i, ab):
    """Row i's A/B view from any format (numbers already numbers)."""
    check(list(ab) == [k for k, _ in AB_KEYS], f"{what}: ab keys of row {i}: {list(ab)}")
    for k, ty in AB_KEYS:
        v = ab.get(k)
        ok = v is None if (k == "ratio" and i == 5 and what == "json") else \
            isinstance(v, (int, float) if ty is float else ty) and not isinstance(v, bool)
        if k == "peak_bytes_a" and i == 3 and what == "toml":
            ok = isinstance(v, float)  # beyond TOML's integers: written as a float
        check(ok, f"{what}: ab.{k} of row {i} is {v!r}")
    check(ab["verdict"] == VERDICTS[i], f"{what}: verdict of row {i}")
    check(ab["candidate_median_ns"] == MEDIANS[i], f"{what}: candidate median of row {i}")
    check(math.isclose(ab["baseline_median_ns"], MEDIANS[i] * 0.95, rel_tol=1e-15), f"{what}: baseline median {i}")
    check(ab["order"] == ('ab|ba, "x"' if i == 6 else ["abba", "random"][i % 2]), f"{what}: order of row {i}")
    check(ab["memory_verdict"] == ("More" if i == 1 else "Same"), f"{what}: memory verdict of row {i}")
    if i == 0:
        check((ab["ratio"], ab["ratio_ci_low"], ab["ratio_ci_high"], ab["p_slower"], ab["rounds"]) ==
              (1.0526315789473684, 1.031, 1.074, 0.0004, 30), f"{what}: row 0 {ab}")
    if i == 3:
        check(ab["peak_bytes_a"] == 2**64 - 1 if what != "toml" else ab["peak_bytes_a"] == float(2**64),
              f"{what}: peak_bytes_a of row 3 {ab['peak_bytes_a']!r}")
    if i == 5 and what != "json":
        check(math.isnan(ab["ratio"]), f"{what}: ratio of row 5 {ab['ratio']!r}")


def check_ab_json():
    d = load_json("ab.json")
    check(d["schema_version"] == 3 and d["kind"] == "ab", "ab json: kind")
    check((d["library"], d["library_hash"], d["base_library"], d["base_library_hash"]) ==
          ("/opt/b/liblatent.so", "b" * 16, "/opt/a/liblatent.so", "a" * 16), "ab json: libraries")
    rows = d["benchmarks"]
    check([r["id"] for r in rows] == IDS, "ab json: ids")
    for i, r in enumerate(rows):
        check(list(r) == FIELDS + ["ab"], f"ab json: fields of row {i}")
        check_ab_values("json", i, r["ab"])
    base = d["base_benchmarks"]
    check([r["id"] for r in base] == IDS, "ab json: baseline ids")
    check(all(list(r) == FIELDS for r in base), "ab json: baseline fields")
    check(all(math.isclose(r["median_ns"], MEDIANS[i] * 0.95, rel_tol=1e-15) for i, r in enumerate(base)),
          "ab json: baseline medians")
    p = d["ab_pairs"]
    check([x["row"] for x in p] == list(range(NROWS)) and [x["id"] for x in p] == IDS, "ab json: pairs rows")
    check(p[0] == {"row": 0, "id": IDS[0], "round": [0, 1, 2], "b_first": [0, 1, 1], "a_ns": [42000.5, 42100, None],
                   "b_ns": [44000.25, 44100, 44200]}, f"ab json: pairs 0 {p[0]}")
    check(all(x["round"] == [] for x in p[1:]), "ab json: pairs of the other rows")
    check(d["samples"] == load_json("results.json")["samples"], "ab json: samples as in the plain file")


def check_ab_csv():
    with open(path("ab.csv"), encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, strict=True))
    header = FIELDS + ["ab_" + k for k, _ in AB_KEYS]
    check(rows[0] == header, f"ab csv: header {rows[0]}")
    check(len(rows) == NROWS + 1 and all(len(r) == len(header) for r in rows), "ab csv: shape")
    for i, r in enumerate(rows[1:]):
        rec = dict(zip(header, r))
        check(rec["id"] == IDS[i].replace("\x01", "\ufffd"), f"ab csv: id {i}")
        ab = {}
        for k, ty in AB_KEYS:
            v = rec["ab_" + k]
            ab[k] = v if ty is str else (float(v) if ty is float else int(v))
        check_ab_values("csv", i, ab)


def check_ab_toml():
    with open(path("ab.toml"), "rb") as f:
        t = tomllib.load(f)
    m = t["meta"]
    check(m["kind"] == "ab" and m["base_library"] == "/opt/a/liblatent.so" and m["library"] == "/opt/b/liblatent.so",
          "ab toml: meta")
    found = dict(tables({k: v for k, v in t.items() if k != "meta"}))
    check(len(found) == NROWS, f"ab toml: {len(found)} tables")
    with open(path("results.toml"), "rb") as f:
        plain = dict(tables({k: v for k, v in tomllib.load(f).items() if k != "meta"}))
    check(sorted(found) == sorted(plain), "ab toml: the plain file's table paths")
    # each row's table, as check_toml expects them
    row_paths = [("latency", "dim_128", "k_10"), ("latency", "dim_256", "k_100"),
                 ("throughput", "batch_32", "dim_256"), ("benchmarks", "parallel_knn_search/32"),
                 ("memory", "dataset_10000", "dim_256"), ("benchmarks", IDS[5]), ("benchmarks", WEIRD),
                 ("benchmarks", "knn_search/dim_128/10"), ("benchmarks", "knn_search/dim_128/10#2"),
                 ("benchmarks", "memory_scaling/5000"), ("benchmarks", "knn_search/dim_128/10x")]
    for i, p in enumerate(row_paths):
        v = found.get(p, {})
        check(v.get("id") == IDS[i], f"ab toml: table {p} is not row {i}")
        check({k: x for k, x in v.items() if k != "ab"} == plain[p], f"ab toml: {p} differs from the plain file")
        check_ab_values("toml", i, v.get("ab", {}))


def ab_md_rows():
    with open(path("ab.md"), encoding="utf-8") as f:
        text = f.read()
    check("\n## A/B: candidate against baseline\n" in text, "ab md: heading")
    part = text.split("## A/B: candidate against baseline", 1)[-1]
    return [md_cells(l) for l in part.split("\n") if l.startswith("|")]


def check_ab_md():
    lines = ab_md_rows()
    check(len(lines) == NROWS + 2, f"ab md: {len(lines)} table lines")
    check(lines[0] == ["benchmark", "baseline median", "candidate median", "ratio B/A [CI]", "p", "verdict", "memory"],
          f"ab md: header {lines[0]}")
    check(all(len(c) == 7 for c in lines), "ab md: 7 cells in every line")
    body = lines[2:]
    check([c[0] for c in body] == [i.replace("\n", " ").replace("\x01", "\ufffd") for i in IDS], "ab md: ids")
    check(body[0][1:] == ["42.6 µs", "44.8 µs", "1.053 [1.031, 1.074]", "<0.001", "**Regression**", "Same"],
          f"ab md: row 0 {body[0]}")
    check(body[1][3:] == ["0.900 [0.880, 0.920]", "0.020", "Improvement", "More"], f"ab md: row 1 {body[1]}")
    check([c[5] for c in body[2:]] == ["NoChange"] * (NROWS - 2), "ab md: verdicts")


def check_ab_gbench():
    check(load_json("ab.gbench.json") == load_json("results.gbench.json"), "ab gbench: not the candidate's rows")


for fn in (check_json, check_toml, check_gbench, check_csv, check_md, check_ab_json, check_ab_csv, check_ab_toml,
           check_ab_md, check_ab_gbench):
    try:
        fn()
    except Exception as e:  # a parse error is a failure of that format, not of the script
        failures.append(f"{fn.__name__}: {type(e).__name__}: {e}")

for f in failures:
    print("FAIL:", f)
print(f"test_export_py: {len(failures)} failures")
sys.exit(1 if failures else 0)
