#!/usr/bin/env bash
# Signals while measuring: SIGINT / SIGTERM stop a run within a second or two
# with 128 + the signal (never 1, the regression code) and keep the completed
# rows in a file marked incomplete; under mpirun, SIGTERM to every rank (what
# Slurm sends at the walltime) does the same, and a rank that crashes ends the
# job within seconds.
# env: LATENTBENCH (binary), MPIEXEC (optional)
set -u
# job control: a background job of a script otherwise starts with SIGINT
# ignored, which latentbench (rightly) leaves ignored
set -m
LB=${LATENTBENCH:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
# shellcheck source=tests/cli_lib.sh
. "${LB_SOURCE_DIR:?}/tests/cli_lib.sh"

# a suite of many short cases: the signal always lands mid-run
cat >long.toml <<'EOF'
[[group]]
name = "knn"
op = "knn"
id = "knn/{dimension}/{k}"
[group.params]
dimension = [32, 48, 64, 80, 96, 112, 128, 144]
k = [1, 2, 3, 4, 5, 6, 7, 8]
dataset_size = 2000
metric = "Euclidean"
EOF
opts=(--suite ./long.toml --warm-up-time 0.1 --measurement-time 0.3 --sample-size 10)

# complete, failure and the row count of a results file
meta() { /usr/bin/python3 - "$1" <<'EOF'
import h5py, sys
with h5py.File(sys.argv[1], "r") as f:
    a = f.attrs
    def s(v): return v.decode() if isinstance(v, bytes) else str(v)
    print(int(a["complete"]), len(f["benchmarks"]), s(a.get("failure", "")))
EOF
}

# start "$@" in the background, send SIG after DELAY s; sets rc and ms (signal to exit)
signal_after() {
    local sig=$1 delay=$2 target=$3
    shift 3
    "$@" >out.txt 2>err.txt &
    local pid=$!
    sleep "$delay"
    local t0
    t0=$(date +%s%N)
    if [ "$target" = self ]; then kill -s "$sig" "$pid"; else pkill "-$sig" -f "$target"; fi
    wait "$pid"
    rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
}

for sig in INT TERM; do
    want=$((128 + $(kill -l "$sig")))
    signal_after "$sig" 2 self "$LB" run "${opts[@]}" -o "$sig.h5"
    if [ "$rc" -ne "$want" ]; then bad "SIG$sig: exit $rc, want $want ($(tail -2 err.txt))"
    elif [ "$ms" -ge 3000 ]; then bad "SIG$sig: took $ms ms to stop"
    elif ! grep -q "interrupted by SIG$sig during .*; the completed rows are written, marked incomplete" err.txt; then
        bad "SIG$sig: stderr lacks the interruption line: $(tail -2 err.txt)"
    elif ! read -r complete n failure < <(meta "$sig.h5") || [ "$complete" != 0 ] || [ "$n" -lt 1 ] ||
         [[ $failure != *"interrupted by SIG$sig"* ]]; then
        bad "SIG$sig: results file: complete=${complete:-?} rows=${n:-?} failure='${failure:-}'"
    else ok "SIG$sig: exit $rc in $ms ms, $n rows kept, marked incomplete"; fi
    ls ./*.tmp* >/dev/null 2>&1 && bad "SIG$sig: a temporary file is left"
done

# a second signal while stopping is not caught
"$LB" run "${opts[@]}" -o twice.h5 >/dev/null 2>&1 &
pid=$!
sleep 1.5
kill -INT "$pid"; kill -INT "$pid"
wait "$pid"; rc=$?
if [ "$rc" -eq 130 ]; then ok "two SIGINTs: exit 130"; else bad "two SIGINTs: exit $rc"; fi

if [ -n "${MPIEXEC:-}" ] && [ -x "${MPIEXEC}" ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    mpi=("$MPIEXEC" --oversubscribe -np 2)
    # Slurm at the walltime: SIGTERM to every task
    signal_after TERM 3 "^$LB run --suite ./long.toml" "${mpi[@]}" "$LB" run "${opts[@]}" --shard data -o mterm.h5
    if [ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ]; then bad "mpirun, SIGTERM to the ranks: exit $rc"
    elif [ "$ms" -ge 5000 ]; then bad "mpirun, SIGTERM to the ranks: took $ms ms"
    elif ! read -r complete n failure < <(meta mterm.h5) || [ "$complete" != 0 ] || [[ $failure != *interrupted* ]]; then
        bad "mpirun, SIGTERM: results file: complete=${complete:-?} failure='${failure:-}'"
    else ok "mpirun, SIGTERM to the ranks: exit $rc in $ms ms, $n rows kept"; fi

    # a rank that crashes ends the job (the sanitizer builds keep their own handler)
    if ! nm -D "$LB" 2>/dev/null | grep -q __asan_init; then
        "${mpi[@]}" "$LB" run "${opts[@]}" --shard data -o crash.h5 >out.txt 2>err.txt &
        pid=$!
        sleep 3
        victim=$(pgrep -f "^$LB run --suite ./long.toml" | sort -n | tail -1)
        t0=$(date +%s%N)
        kill -SEGV "$victim"
        wait "$pid"; rc=$?
        ms=$((($(date +%s%N) - t0) / 1000000))
        if [ "$rc" -eq 0 ] || [ "$ms" -ge 10000 ]; then bad "crashed rank: exit $rc after $ms ms"
        elif ! grep -q "^latentbench: rank [01] (.*): killed by SIGSEGV; ending the job" err.txt; then
            bad "crashed rank: no line naming it: $(grep latentbench err.txt | head -3)"
        else ok "crashed rank: the job ended in $ms ms (exit $rc)"; fi
    fi
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
