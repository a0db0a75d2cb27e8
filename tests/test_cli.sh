#!/usr/bin/env bash
# End-to-end checks of the latentbench command line: exit codes, one-line
# errors, atomic results files, MPI ranks and verify. Needs LATENTBENCH (the
# binary), MPIEXEC (mpirun) and /usr/bin/python3 with h5py and numpy.
set -u
LB=${LATENTBENCH:?set LATENTBENCH to the latentbench binary}
MPIEXEC=${MPIEXEC:-mpirun}
PY=/usr/bin/python3
LB_TESTS=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
# shellcheck source=tests/cli_lib.sh
. "$LB_TESTS/cli_lib.sh"

expect usage 64 "^usage: latentbench" -- "$LB"
expect "--version" 0 "" -- "$LB" --version
expect "unknown command" 64 "unknown command 'frobnicate'" -- "$LB" frobnicate
expect "unknown suite" 66 "unknown suite 'nosuch'" -- "$LB" list --suite nosuch
expect "bad regex" 64 "--filter" -- "$LB" list --filter '('
printf 'suite = "x"\n[[group]]\nname = "g"\nop = "knn"\nid = "g/{k}"\n[group.params]\nk = [1, "two"]\n' >bad.toml
expect "malformed suite file" 65 "bad.toml:[0-9]+:[0-9]+: " -- "$LB" list --suite ./bad.toml
expect "bad option value" 64 "--sample-size" -- "$LB" run --sample-size 1
expect "bad rounds" 64 "--rounds" -- "$LB" run --rounds 0

n=$("$LB" list --suite matrix | wc -l)
if [ "$n" -eq 480 ]; then ok "list matrix: 480"; else bad "list matrix: $n ids"; fi
n=$("$LB" list --suite critical_path | wc -l)
if [ "$n" -eq 18 ]; then ok "list critical_path: 18"; else bad "list critical_path: $n ids"; fi

# unwritable output: exit 74, nothing written
expect "unwritable output" 74 "no/such/dir/out.h5" -- "$LB" run --quick --suite ci --filter '^latent_space_creation' -o no/such/dir/out.h5
if [ ! -e no/such/dir ]; then ok "no partial output"; else bad "something was written"; fi
mkdir ro.h5
expect "output is a directory" 74 "ro.h5" -- "$LB" run --quick --suite ci --filter '^latent_space_creation' -o ro.h5

# a short single-node run writes one readable file
quick=(--warm-up-time 0.05 --measurement-time 0.1 --sample-size 10 --resamples 2000 --quiet)
expect "single-node run" 0 "" -- "$LB" run "${quick[@]}" --suite ci --filter '^(latent_space_creation|knn_search/dim_128/10$)' -o one.h5
if grep -q 'knn_search/dim_128/10' out.txt; then ok "summary printed"; else bad "summary lacks the row: $(cat out.txt)"; fi
if $PY - one.h5 <<'PYEOF'; then ok "results read back with h5py"; else bad "results file content"; fi
import sys, h5py
f = h5py.File(sys.argv[1], "r")
assert f.attrs["schema"] in (b"latentbench-results", "latentbench-results"), f.attrs["schema"]
assert int(f.attrs["mpi_ranks"]) == 1
b = f["benchmarks"][:]
ids = [x.decode() for x in b["id"]]
assert ids == ["latent_space_creation/64", "knn_search/dim_128/10"], ids
r = b[1]
assert r["dimension"] == 128 and r["k"] == 10 and r["dataset_size"] == 10000
assert r["samples"] == 10 and len(f["samples/1"]) == 10
assert 0 < r["min_ns"] <= r["median_ns"] <= r["max_ns"]
assert r["ci_low_ns"] <= r["mean_ns"] <= r["ci_high_ns"]
assert r["peak_bytes"] >= 10000 * 128 * 4, r["peak_bytes"]
assert r["throughput_elements"] > 0
PYEOF
# the file names the library file measured: the build beside the binary by default
if $PY -c "
import h5py, os; a = h5py.File('one.h5').attrs
lib = a['library']; lib = lib.decode() if isinstance(lib, bytes) else lib
h = a['library_hash']; h = h.decode() if isinstance(h, bytes) else h
assert os.path.basename(lib).startswith('liblatent.so') and os.path.getsize(lib) == a['library_size'], lib
assert len(h) == 16 and int(h, 16) >= 0, h"; then ok "library path, size and hash recorded"; else bad "library attributes"; fi
# --lib: another copy of the build is measured and named; bad libraries are refused before anything runs
lib=$($PY -c "import h5py; v = h5py.File('one.h5').attrs['library']; print(v.decode() if isinstance(v, bytes) else v)")
cp "$lib" liblatent-copy.so  # not copy.so: Python would import it as the module "copy"
expect "--lib a copy" 0 "" -- "$LB" run "${quick[@]}" --suite ci --filter '^latent_space_creation' --lib ./liblatent-copy.so -o copy.h5
if $PY -c "
import h5py, os; a = h5py.File('copy.h5').attrs; b = h5py.File('one.h5').attrs
s = lambda v: v.decode() if isinstance(v, bytes) else v
assert s(a['library']) != s(b['library']) and os.path.basename(s(a['library'])) == 'liblatent-copy.so', a['library']
assert a['library_hash'] == b['library_hash']"; then ok "the copy recorded, same build hash"; else bad "copy attributes"; fi
expect "--lib missing" 66 "nosuch.so" -- "$LB" run --quick --lib ./nosuch.so -o x.h5
echo "not a library" >text.so
expect "--lib not a library" 65 "text.so: not a loadable library" -- "$LB" run --quick --lib ./text.so -o x.h5
if [ -n "${LB_NOT_LATENT:-}" ]; then
    expect "--lib lacks the API" 65 "lacks the symbol lt_version_string" -- "$LB" run --quick --lib "$LB_NOT_LATENT" -o x.h5
fi
if [ ! -e x.h5 ]; then ok "no output after a refused library"; else bad "x.h5 written"; fi

# the file names the commit that was built (written at build time, not at configure time)
if [ -n "${LB_SOURCE_DIR:-}" ] && want=$(git -C "$LB_SOURCE_DIR" describe --always --dirty --abbrev=12 2>/dev/null); then
    got=$($PY -c "import h5py; v = h5py.File('one.h5').attrs['git_commit']; print(v.decode() if isinstance(v, bytes) else v)")
    # the tree may have changed since the build (an edit while tests run): compare the commit part
    if [ "${got%-dirty}" = "${want%-dirty}" ]; then ok "git_commit is the built commit ($got)"; else bad "git_commit $got, tree at $want"; fi
fi

# rounds: every round measures every benchmark again, on a fresh op; the
# samples carry their round, at least 5 a round
rq=(--warm-up-time 0.03 --measurement-time 0.15 --sample-size 10 --resamples 2000)
expect "run in rounds" 0 "" -- "$LB" run "${rq[@]}" --rounds 3 --suite ci --filter '^(latent_space_creation|knn_search/dim_128/10$)' -o rounds.h5
# not a terminal: a line per benchmark in the first round, one per later round, then the count
if grep -q 'round 1/3 \[2/2\] knn_search/dim_128/10' err.txt && grep -q '^round 3/3 (elapsed' err.txt &&
    grep -q '2 benchmarks x 3 rounds' err.txt && [ "$(wc -l <err.txt)" -eq 5 ]; then
    ok "progress: a line per benchmark, then per round"
else
    bad "progress: $(cat err.txt)"
fi
if $PY - rounds.h5 <<'PYEOF'; then ok "rounds stored per sample"; else bad "rounds file content"; fi
import sys, h5py
f = h5py.File(sys.argv[1], "r")
b = f["benchmarks"][:]
assert (b["rounds"] == 3).all(), b["rounds"]
for i in range(2):
    s = f["samples/%d" % i][:]
    assert s["round"].tolist() == [0] * 5 + [1] * 5 + [2] * 5, s["round"]
    assert b[i]["samples"] == 15
PYEOF

# run --baseline gates the new run against a file (0, 1 or 2: timings here are
# noise); --history needs --baseline, and a missing history file is exit 66
# after the results are safely written
f2=(--suite ci --filter '^knn_search/dim_128/10$' -o gated.h5)
"$LB" run "${rq[@]}" --rounds 5 --quiet "${f2[@]}" --baseline rounds.h5 --history rounds.h5 >out.txt 2>err.txt
st=$?
if [ $st -le 2 ] && grep -q '^baseline: ' out.txt && grep -Eq '^(NoChange|Regression|Improvement) +knn_search/dim_128/10 ' out.txt; then
    ok "run --baseline --history: gated (exit $st)"
else
    bad "run --baseline: exit $st, $(cat out.txt err.txt)"
fi
expect "--history without --baseline" 64 "--history needs --baseline" -- "$LB" run --history rounds.h5
expect "missing history file" 66 "nosuch.h5" -- "$LB" run "${rq[@]}" --quiet "${f2[@]}" --baseline rounds.h5 --history nosuch.h5
if [ -f gated.h5 ]; then ok "results kept when the gate cannot run"; else bad "gated.h5 missing"; fi

# the ci suite under two MPI ranks, matrix-sharded (the default): one file with
# every row once, in the single-rank order, each measured by one of the ranks
export OMP_NUM_THREADS=1
"$LB" list --suite ci >ci_ids.txt
"$MPIEXEC" --allow-run-as-root --oversubscribe -np 2 "$LB" run --quick --rounds 2 --resamples 2000 --quiet --suite ci --node-concurrency 2 -o mpi.h5 >mpi_out.txt 2>mpi_err.txt
st=$?
nfiles=$(find . -maxdepth 1 -name 'mpi.h5*' | wc -l)
if [ $st -eq 0 ] && [ "$nfiles" -eq 1 ]; then ok "mpirun -np 2: one file"; else bad "mpirun -np 2: exit $st, $nfiles files, $(tail -3 mpi_err.txt)"; fi
if $PY - mpi.h5 ci_ids.txt <<'PYEOF'; then ok "mpi file: every ci row once, in order, with its rank and host"; else bad "mpi file content"; fi
import sys, h5py
f = h5py.File(sys.argv[1], "r")
ids = open(sys.argv[2]).read().split("\n")[:-1]
assert int(f.attrs["mpi_ranks"]) == 2
assert f.attrs["shard"] == b"matrix" or f.attrs["shard"] == "matrix", f.attrs["shard"]
assert int(f.attrs["complete"]) == 1 and int(f.attrs["node_concurrency"]) == 2
assert sorted(f["ranks"]["rank"].tolist()) == [0, 1]
b = f["benchmarks"][:]
assert [x.decode() for x in b["id"]] == ids, "rows not in the list's order"
assert (b["ranks"] == 1).all() and (b["rounds"] == 2).all()
assert set(b["measured_rank"].tolist()) == {0, 1}, b["measured_rank"]
assert all(len(h) > 0 for h in b["host"])
assert (b["peak_bytes_sum"] == b["peak_bytes"]).all()
assert f.attrs["makespan_s"] > 0 and f.attrs["ideal_makespan_s"] > 0
PYEOF
if grep -q "makespan" mpi_out.txt; then ok "summary reports the makespan"; else bad "no makespan in: $(tail -5 mpi_out.txt)"; fi
# by default one rank of a node measures at a time: on one node, rank 0 takes every case
"$MPIEXEC" --allow-run-as-root --oversubscribe -np 2 "$LB" run "${quick[@]}" --suite ci --filter '^knn_search' -o mpi1.h5 >/dev/null 2>mpi_err.txt
st=$?
if [ $st -eq 0 ] && $PY -c "import h5py; b = h5py.File('mpi1.h5')['benchmarks'][:]; assert len(b) > 0 and (b['measured_rank'] == 0).all(), b['measured_rank']"; then
    ok "node concurrency 1: one rank of the node measures"
else
    bad "node concurrency 1: exit $st $(tail -3 mpi_err.txt)"
fi
unset OMP_NUM_THREADS

# verify: a small ann-benchmarks file with exact neighbours, then a wrong one
$PY - <<'PYEOF'
import h5py, numpy as np
rng = np.random.default_rng(7)
train = rng.uniform(-1, 1, (500, 24)).astype(np.float32)
test = rng.uniform(-1, 1, (20, 24)).astype(np.float32)
d = np.sqrt(((test[:, None, :].astype(np.float64) - train[None, :, :]) ** 2).sum(-1))
nb = np.argsort(d, axis=1, kind="stable")[:, :100].astype(np.int32)
dist = np.take_along_axis(d, nb, 1).astype(np.float32)
# wrong.h5: ground truth that disagrees with the exact search (ids shifted,
# distances halved), as a corrupted or mismatched file would
for name, neigh, dd in (("good.h5", nb, dist), ("wrong.h5", (nb + 1) % 500, dist * 0.5)):
    with h5py.File(name, "w") as f:
        f["train"], f["test"], f["neighbors"], f["distances"] = train, test, neigh, dd
        f.attrs["distance"] = "euclidean"
with h5py.File("nolayout.h5", "w") as f:
    f["train"] = train
    f.attrs["distance"] = "euclidean"
PYEOF
expect "verify exact neighbours" 0 "" -- "$LB" verify --dataset good.h5 --k 10
if grep -q 'recall@10 = 1.000000' out.txt; then ok "recall 1.0 printed"; else bad "verify output: $(cat out.txt)"; fi
expect "verify wrong neighbours" 1 "below 1.0" -- "$LB" verify --dataset wrong.h5 --k 10
expect "verify wrong layout" 65 "nolayout.h5" -- "$LB" verify --dataset nolayout.h5
expect "verify missing file" 66 "missing.h5" -- "$LB" verify --dataset missing.h5
expect "run on a dataset" 0 "" -- "$LB" run "${quick[@]}" --suite ci --filter '^knn_search/dim_128/10$' --dataset good.h5 -o ds.h5
if $PY -c "import h5py; b = h5py.File('ds.h5')['benchmarks'][0]; assert b['dimension'] == 24 and b['dataset_size'] == 500, b"; then
    ok "dataset rows used"
else
    bad "dataset run content"
fi

# one option parser for every command: each command's --help names every option it takes
help_has() { # command words... -- options...
    local words=() o missing=""
    while [ "$1" != "--" ]; do words+=("$1"); shift; done
    shift
    "$LB" help "${words[@]}" >help.txt 2>&1 || { bad "help ${words[*]}: exit $?"; return; }
    for o in "$@"; do grep -q -- "^  .*$o" help.txt || missing="$missing $o"; done
    if [ -z "$missing" ]; then ok "help ${words[*]} lists its options"; else bad "help ${words[*]} lacks$missing"; fi
}
help_has run -- --suite --filter --output --quick --warm-up-time --measurement-time --sample-size --budget --rounds \
    --seed --resamples --dataset --shard --node-concurrency --max-memory --workload-scale --scaling-reference \
    --weak-scaling --baseline --config --history --lib --quiet
help_has ab -- --baseline-lib --candidate-lib --threshold --report --block-ms --order --confidence
help_has compare -- --config --threshold --report --strict-machine --history
help_has report -- --format --output --baseline --config --history
help_has baseline prune -- --dir --config --name --keep
help_has baseline notify -- --results --baseline --issue-body --webhook --context --timeout --always
help_has verify -- --dataset --k --metric --shard --lib
if "$LB" compare --help | grep -q '^usage: latentbench compare BASELINE.h5 CURRENT.h5'; then ok "compare --help is compare's"; else bad "compare --help"; fi
expect "-h as a value is a value" 66 "unknown suite '-h'" -- "$LB" list --suite -h
expect "--opt=value" 0 "" -- "$LB" list --suite=critical_path
expect "missing value" 64 "run: missing value for --suite" -- "$LB" run --suite
expect "did you mean" 64 "did you mean --rounds" -- "$LB" run --rouns 3
expect "no silent wrap" 64 "--seed: '-1'" -- "$LB" run --seed -1
expect "warm-up 1e308" 64 "--warm-up-time: '1e308' is not a number in 0..86400 s" -- "$LB" run --warm-up-time 1e308

# parse first, start MPI only to measure: with MPI unable to start, every
# command that does not measure still works, and usage errors are one line
for c in "--help" "run --help" "help baseline" "list --suite critical_path" "report one.h5 --format csv" \
    "compare one.h5 one.h5" "baseline config"; do
    # shellcheck disable=SC2086
    if OMPI_MCA_pml=nonexistent "$LB" $c >/dev/null 2>err.txt; then ok "no MPI for: $c"; else bad "needs MPI: $c: $(head -3 err.txt)"; fi
done
expect "usage error before MPI" 64 "--rounds: '0'" -- env OMPI_MCA_pml=nonexistent "$LB" run --rounds 0

# data loss: the run's output is never one of its inputs, and outputs are
# checked before anything is measured (no progress line printed)
cp one.h5 base.h5
expect "-o is the baseline" 64 "is also the --baseline file" -- "$LB" run --quick --suite ci --baseline base.h5 -o base.h5
ln -s base.h5 base-link.h5
expect "-o is the baseline via a link" 64 "same file as the --baseline file base.h5" -- "$LB" run --quick --suite ci --baseline base.h5 -o base-link.h5
if cmp -s one.h5 base.h5; then ok "baseline untouched"; else bad "baseline changed"; fi
expect "report -o is its input" 64 "same file as the results file" -- "$LB" report base.h5 --format json -o base-link.h5
expect "report: format from the extension" 0 "" -- "$LB" report one.h5 -o r.json
if $PY -c "import json; json.load(open('r.json'))"; then ok "r.json is JSON"; else bad "r.json: $(head -c 80 r.json)"; fi
expect "report: format in any case" 0 "" -- "$LB" report one.h5 --format CSV -o r.txt
if head -1 r.txt | grep -q '^id,'; then ok "--format CSV is csv"; else bad "r.txt: $(head -c 80 r.txt)"; fi
mkfifo fifo
expect "FIFO as --config" 66 "fifo: not a regular file \(a FIFO\)" -- timeout 20 "$LB" compare one.h5 one.h5 --config fifo
expect "/dev/zero as --config" 66 "/dev/zero: not a regular file" -- timeout 20 "$LB" compare one.h5 one.h5 --config /dev/zero

# the output's directory vanishes while measuring: the summary is still
# printed, then one error line, exit 74
mkdir vanish
(sleep 3; rm -rf vanish) &
"$LB" run --suite ci --filter '^latent_space_creation' --warm-up-time 3 --measurement-time 4 --quiet -o vanish/x.h5 >out.txt 2>err.txt
st=$?
wait
if [ $st -eq 74 ] && grep -q '^latent_space_creation/64 ' out.txt && [ "$(grep -c '^latentbench: ' err.txt)" -eq 1 ]; then
    ok "write failure at the end: summary, then the error"
else
    bad "write failure at the end: exit $st, $(cat out.txt err.txt)"
fi

# an interrupted run exits 128 + the signal, never 1 (a regression)
"$LB" run --suite critical_path --quick --quiet -o int.h5 >/dev/null 2>int_err.txt &
pid=$!
sleep 2
kill -TERM "$pid"
wait "$pid"
st=$?
if [ $st -eq 143 ] && grep -q 'SIGTERM' int_err.txt; then ok "SIGTERM: exit 143"; else bad "SIGTERM: exit $st, $(cat int_err.txt)"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
