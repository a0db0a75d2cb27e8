"""Checks of the results files the Slurm jobs wrote (tests/slurm/test_slurm.sh).

  check_results.py complete FILE ROWS RANKS          a complete file of ROWS rows from RANKS ranks
  check_results.py scaling P1.h5 P2.h5               data-sharded, P2 with parallel efficiency
  check_results.py matrix FILE ROWS NODES PER_NODE    one measuring rank per node, rows from every node
  check_results.py incomplete FILE TOTAL             some but not all rows, complete = 0
  check_results.py resumed INCOMPLETE FULL TOTAL     every row; the rows measured before the kill kept

Prints what is wrong and exits 1; exits 0 when every check holds.
"""
import math
import sys

import h5py


def load(path):
    with h5py.File(path, "r") as f:
        return f["benchmarks"][:], dict(f.attrs), f["ranks"][:]


def s(v):
    return v.decode() if isinstance(v, bytes) else str(v)


errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)


def main(argv):
    what = argv[1]
    if what == "complete":
        b, a, r = load(argv[2])
        check(a["complete"] == 1, f"complete = {a['complete']}")
        check(len(b) == int(argv[3]), f"{len(b)} rows, expected {argv[3]}")
        check(a["mpi_ranks"] == int(argv[4]), f"mpi_ranks = {a['mpi_ranks']}")
        check(all(row["median_ns"] > 0 for row in b), "a row without a median")
    elif what == "scaling":
        b1, a1, _ = load(argv[2])
        b2, a2, r2 = load(argv[3])
        for a, p in ((a1, 1), (a2, 2)):
            check(a["complete"] == 1, f"P={p}: complete = {a['complete']}")
            check(a["mpi_ranks"] == p, f"P={p}: mpi_ranks = {a['mpi_ranks']}")
        check(s(a2["shard"]) == "data", f"P=2: shard = {s(a2['shard'])}")
        check(len(b1) == len(b2) == 2, f"rows: {len(b1)} and {len(b2)}, expected 2 each")
        check(len(r2) == 2, f"P=2: {len(r2)} rows in /ranks")
        for row in b2:
            e = row["parallel_efficiency"]
            check(math.isfinite(e) and e > 0, f"{s(row['id'])}: parallel_efficiency {e}")
            check(row["ranks"] == 2, f"{s(row['id'])}: measured by {row['ranks']} ranks")
    elif what == "matrix":
        b, a, r = load(argv[2])
        rows, nodes, per_node = int(argv[3]), int(argv[4]), int(argv[5])
        check(a["complete"] == 1, f"complete = {a['complete']}")
        check(s(a["shard"]) == "matrix", f"shard = {s(a['shard'])}")
        check(a["nodes"] == nodes, f"nodes = {a['nodes']}, expected {nodes}")
        check(a["mpi_ranks"] == nodes * per_node, f"mpi_ranks = {a['mpi_ranks']}")
        check(a["node_concurrency"] == 1, f"node_concurrency = {a['node_concurrency']}")
        check(len(b) == rows, f"{len(b)} rows, expected {rows}")
        check(sorted(int(x["rank"]) for x in r) == list(range(nodes * per_node)), "/ranks does not list every rank")
        # ranks are placed in blocks (--ntasks-per-node): rank q is on node q // per_node,
        # and with one measuring rank per node only each node's first rank measures
        measured = sorted({int(x["measured_rank"]) for x in b})
        leaders = [n * per_node for n in range(nodes)]
        check(measured == leaders, f"measuring ranks {measured}, expected one per node: {leaders}")
        check(len({int(x["measured_rank"]) // per_node for x in b}) == nodes, "rows not from every node")
    elif what == "incomplete":
        b, a, _ = load(argv[2])
        total = int(argv[3])
        check(a["complete"] == 0, f"complete = {a['complete']}")
        check(0 < len(b) < total, f"{len(b)} rows: expected some of {total}")
        check("SIGTERM" in s(a["failure"]), f"failure = {s(a['failure'])!r}")
    elif what == "resumed":
        bi, _, _ = load(argv[2])
        bf, af, _ = load(argv[3])
        total = int(argv[4])
        check(af["complete"] == 1, f"complete = {af['complete']}")
        check(len(bf) == total, f"{len(bf)} rows, expected {total}")
        ids = [s(x["id"]) for x in bf]
        check(len(set(ids)) == total, "a row twice")
        full = {s(x["id"]): x for x in bf}
        for row in bi:
            i = s(row["id"])
            # rows measured before the kill come from the journal, not measured again
            check(i in full and full[i]["median_ns"] == row["median_ns"], f"{i}: measured again after the resume")
    else:
        errors.append(f"unknown check {what}")
    for e in errors:
        print(f"{argv[1]} {argv[2]}: {e}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
