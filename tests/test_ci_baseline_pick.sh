#!/usr/bin/env bash
# scripts/benchmark_ci.sh takes the newest baseline that reads, not the newest
# name: a damaged (truncated) and a foreign file named as newer baselines are
# skipped with a warning each, and the comparison runs against the good one.
# usage: test_ci_baseline_pick.sh LATENTBENCH SOURCE_DIR
set -uo pipefail
LB=$1
SRC=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
fails=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
export LATENTBENCH=$LB LB_SUITE=ci LB_ROUNDS=1 LB_BASELINE_DIR=$work/base LB_OUTPUT_DIR=$work/out LB_BRANCH=feature \
    LB_CONFIG='' LB_RUN_ARGS="--quick --warm-up-time 0.01 --measurement-time 0.05 --filter ^add_embedding/128$"
ci() { bash "$SRC/scripts/benchmark_ci.sh" >"$work/ci.out" 2>"$work/ci.err"; }

ci || bad "first run (creates the baseline) exited $?: $(cat ci.err)"
good=$(find base -name '*.h5' | head -n 1)
[ -n "$good" ] || { bad "no baseline saved"; exit 1; }
d=$(dirname "$good")
head -c 1000 "$good" >"$d/29991231T000000Z-00_damaged.h5"
printf 'not a results file\n' >"$d/29991231T000000Z-01_text.h5"
ci
rc=$?
[ "$rc" -le 2 ] || bad "second run exited $rc: $(cat ci.err)"
if grep -q "Baseline: .*/$(basename "$good")" ci.out; then ok "the good baseline was compared"; else
    bad "baseline chosen: $(grep Baseline: ci.out)"; fi
n=$(grep -c '^benchmark_ci.sh: warning: skipping baseline ' ci.err)
if [ "$n" -eq 2 ]; then ok "two warnings"; else bad "$n warnings: $(cat ci.err)"; fi
if grep -q "skipping baseline .*29991231T000000Z-00_damaged.h5: cannot open as HDF5: truncated file" ci.err; then
    ok "the warning names the file and the cause"; else bad "warning: $(cat ci.err)"; fi
echo "test_ci_baseline_pick: $fails failure(s)"
[ "$fails" -eq 0 ]
