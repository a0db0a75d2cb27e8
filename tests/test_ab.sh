#!/usr/bin/env bash
# latentbench ab end to end: an A/A run of two copies of one build passes, a
# build made 25% slower fails the gate, bad libraries are refused with one
# line. Needs LATENTBENCH, LB_SLOW25 (the test wrapper built 25% slower),
# MPIEXEC and /usr/bin/python3 with h5py.
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
export OMP_NUM_THREADS=1
# Verdicts are timings: under AddressSanitizer (instrumented loads, a slower
# allocator) they say little about the gate. There the commands run and their
# files are checked, and the verdicts only in uninstrumented builds.
timed=1
if nm -D "$LB" 2>/dev/null | grep -q __asan_init; then timed=0; fi
# expect_verdict NAME STATUS -- command: STATUS where timings count, else any gate status
expect_verdict() {
    local name=$1 want=$2
    shift 3
    if [ "$timed" -eq 1 ]; then expect "$name" "$want" "" -- "$@"; return; fi
    "$@" >out.txt 2>err.txt
    local got=$?
    if [ "$got" -le 2 ]; then ok "$name (sanitizer build: exit $got, verdict not checked)"
    else bad "$name: exit $got ($(head -c 300 err.txt))"; fi
}
lib=$("$LB" --version | sed -n 's/.*liblatent [^,]*, \(.*\))$/\1/p')
if [ -f "$lib" ]; then ok "default build found: $lib"; else bad "no default build in: $("$LB" --version)"; fi
cp "$lib" liblatent-a.so
cp "$lib" liblatent-b.so
short=(--warm-up-time 0.05 --measurement-time 0.4 --quiet)
cases='^(knn_search/dim_128/10|attention_computation/dim_64/Flash)$'

# A/A: two loaded copies of one build, nothing flagged
expect_verdict "A/A of two copies" 0 -- "$LB" ab --baseline-lib ./liblatent-a.so --candidate-lib ./liblatent-b.so \
    --suite ci --filter "$cases" "${short[@]}" -o aa.h5 --report aa.md
if [ "$timed" -eq 0 ] || { grep -q "NoChange" out.txt && ! grep -q "^Regression" out.txt; }; then ok "A/A verdicts"
else bad "A/A: $(cat out.txt)"; fi
if $PY - aa.h5 "$timed" <<'PYEOF'; then ok "A/A file: both libraries, the rounds and the paired statistics"; else bad "A/A file content"; fi
import sys, h5py, math
f = h5py.File(sys.argv[1], "r")
s = lambda v: v.decode() if isinstance(v, bytes) else v
a = f.attrs
assert s(a["kind"]) == "ab" and int(a["schema_version"]) == 3
assert s(a["library"]).endswith("liblatent-b.so") and s(a["base_library"]).endswith("liblatent-a.so")
assert s(a["library_hash"]) == s(a["base_library_hash"])  # one build, two files
ab = f["ab"][:]
assert len(ab) == 2 and len(f["base_benchmarks"]) == 2 and len(f["benchmarks"]) == 2
for i, r in enumerate(ab):
    assert r["rounds"] >= 10 and r["block_iters"] >= 1
    assert r["ratio_ci_low"] <= r["ratio"] <= r["ratio_ci_high"]
    if sys.argv[2] == "1":
        assert 0.8 < r["ratio"] < 1.25, r["ratio"]
        assert s(r["verdict"]) == "NoChange"
    assert s(r["memory_verdict"]) == "Same"
    p = f["ab_pairs/%d" % i][:]
    assert len(p) == r["rounds"] and (p["a_ns"] > 0).all() and (p["b_ns"] > 0).all()
    assert abs(int(p["b_first"].sum()) - len(p) / 2) <= 0.5  # ABBA: balanced
PYEOF
if grep -q "knn_search/dim_128/10" aa.md; then ok "Markdown report written"; else bad "aa.md: $(head -c 300 aa.md)"; fi

# a build that is 25% slower in every timed call is a regression
if [ -n "${LB_SLOW25:-}" ]; then
    expect_verdict "candidate 25% slower" 1 -- "$LB" ab --baseline-lib ./liblatent-a.so --candidate-lib "$LB_SLOW25" \
        --suite ci --filter "$cases" "${short[@]}" --threshold 5 -o slow.h5
    n=$(grep -c "^Regression" out.txt)
    if [ "$n" -eq 2 ] || [ "$timed" -eq 0 ]; then ok "both rows flagged"; else bad "$n rows flagged: $(cat out.txt)"; fi
    # and the other way round, an improvement: exit 2
    expect_verdict "candidate 25% faster" 2 -- "$LB" ab --baseline-lib "$LB_SLOW25" --candidate-lib ./liblatent-a.so \
        --suite ci --filter '^knn_search/dim_128/10$' "${short[@]}" --threshold 5 -o fast.h5
fi

# refused before anything runs, one line each
expect "the same file twice" 64 "one loaded copy" -- "$LB" ab --baseline-lib ./liblatent-a.so --candidate-lib ./liblatent-a.so -o x.h5
expect "missing candidate" 66 "nosuch.so" -- "$LB" ab --baseline-lib ./liblatent-a.so --candidate-lib ./nosuch.so -o x.h5
echo "not a library" >notlib.so
expect "not a library" 65 "notlib.so: not a loadable library" -- "$LB" ab --baseline-lib ./notlib.so --candidate-lib ./liblatent-b.so -o x.h5
if [ -n "${LB_NOT_LATENT:-}" ]; then
    expect "a library without the API" 65 "lacks the symbol lt_" -- "$LB" ab --baseline-lib ./liblatent-a.so --candidate-lib "$LB_NOT_LATENT" -o x.h5
fi
expect "no libraries" 64 "--baseline-lib" -- "$LB" ab --suite ci
expect "bad order" 64 "--order" -- "$LB" ab --baseline-lib a --candidate-lib b --order sideways
if [ ! -e x.h5 ]; then ok "nothing written after a refusal"; else bad "x.h5 written"; fi

# under MPI each case runs on one rank with both builds there; one file
"$MPIEXEC" --allow-run-as-root --oversubscribe -np 2 "$LB" ab --baseline-lib ./liblatent-a.so --candidate-lib ./liblatent-b.so \
    --suite ci --filter "$cases" "${short[@]}" --node-concurrency 2 -o mpi.h5 >mpi_out.txt 2>mpi_err.txt
st=$?
if [ $st -eq 0 ] && $PY -c "
import h5py; f = h5py.File('mpi.h5'); b = f['benchmarks'][:]
assert len(f['ab']) == 2 and sorted(b['measured_rank'].tolist()) == [0, 1], b['measured_rank']"; then
    ok "np 2: the cases split over the ranks, one A/B file"
else
    bad "np 2: exit $st $(tail -3 mpi_err.txt)"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
