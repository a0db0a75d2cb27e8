#!/usr/bin/env bash
# Race check of liblatent's OpenMP kernels (ctest label "race"; docs/CHECKS.md).
# ThreadSanitizer with LLVM's OpenMP runtime (libomp) and its Archer tool, which
# tells TSan about OpenMP's synchronisation (barriers, reductions, task
# dependencies): GCC's libgomp is not instrumented, so TSan over it reports
# races that are not there. Builds the library and its kernel tests with clang
# -fsanitize=thread into WORK, checks that a planted race is reported, then runs
# the kNN, attention (standard, flash, multi-head, MoE; single and batch) and
# attention-state tests with 2 threads and LATENT_PAR_MIN=0, so that every
# call, however small, splits its work over the threads. Any report fails.
#
# usage: tests/race/run.sh SOURCE_DIR WORK_DIR     (exit 77: no clang/Archer, skipped)
set -euo pipefail
src=$1
work=$2
cc=${RACE_CC:-clang}
if ! command -v "$cc" >/dev/null; then
  echo "race: $cc not found (scripts/deps.sh installs it); skipped"
  exit 77
fi
archer=$(dirname "$(readlink -f "$(command -v "$cc")")")/../lib/libarcher.so
if [ ! -f "$archer" ]; then
  echo "race: $archer not found (libomp-dev); skipped"
  exit 77
fi
mkdir -p "$work"
log=$work/race.log
: > "$log"

# what every run gets: halt and exit 66 on the first report; libomp itself is
# not instrumented, Archer supplies its semantics
export OMP_TOOL_LIBRARIES=$archer
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 ignore_noninstrumented_modules=1 ${TSAN_OPTIONS:-}"
export OMP_NUM_THREADS=2 LATENT_PAR_MIN=0 OMP_WAIT_POLICY=passive
export CK_FORK=no CK_DEFAULT_TIMEOUT=0

"$cc" -g -O1 -fsanitize=thread -fopenmp "$src/tests/race/canary.c" -o "$work/canary"
if "$work/canary" > "$work/canary.log" 2>&1 || ! grep -q "WARNING: ThreadSanitizer: data race" "$work/canary.log"; then
  cat "$work/canary.log"
  echo "race: FAILED: the planted race was not reported: the detector is not working"
  exit 1
fi
echo "race: detector works (the planted race was reported)"

if [ ! -f "$work/build/CMakeCache.txt" ]; then
  cmake -S "$src" -B "$work/build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLATENTBENCH_SANITIZE=thread -DLATENTBENCH_BUILD_TESTS=ON -DLATENTBENCH_BUILD_EXAMPLES=OFF >> "$log" 2>&1 \
    || { tail -n 30 "$log"; echo "race: configure failed"; exit 1; }
fi
tests=(test_knn test_attention test_attn_state)
cmake --build "$work/build" --target "${tests[@]}" -j "${RACE_JOBS:-2}" >> "$log" 2>&1 \
  || { tail -n 30 "$log"; echo "race: build failed"; exit 1; }

status=0
for t in "${tests[@]}"; do
  start=$(date +%s)
  if "$work/build/tests/$t" > "$work/$t.log" 2>&1 && ! grep -q "ThreadSanitizer" "$work/$t.log"; then
    echo "race: $t: no race ($(($(date +%s) - start)) s, $OMP_NUM_THREADS threads)"
  else
    grep -A 40 "ThreadSanitizer" "$work/$t.log" | head -n 80 || tail -n 20 "$work/$t.log"
    echo "race: $t: FAILED (full log: $work/$t.log)"
    status=1
  fi
done
exit $status
