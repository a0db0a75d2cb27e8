#!/usr/bin/env bash
# Valgrind memcheck over the main job (ctest label "memcheck"; docs/CHECKS.md):
# `latentbench run --suite ci --quick`, single-node, as scripts/main.sh runs it,
# with the shortest warm-up and measurement times so that every case of the
# suite is prepared, measured over two rounds and written, in a couple of
# minutes under valgrind. Fails on any memcheck error (invalid read or write,
# use of uninitialised memory, bad free) and on any definite or indirect leak;
# the suppressions file lists the only blocks excused (Open MPI's and the
# runtime loader's). LATENT_ISA=avx2: valgrind cannot decode AVX-512.
# LATENTBENCH_PROBE=0: the hardware probe (docs/PROBE.md) reads hundreds of MiB
# in a forked child, minutes under valgrind; test_probe covers it natively.
#
# usage: tests/memcheck/run.sh LATENTBENCH_BINARY WORK_DIR    (exit 77: no valgrind, skipped)
set -euo pipefail
bin=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v valgrind >/dev/null; then
  echo "memcheck: valgrind not found (scripts/deps.sh installs it); skipped"
  exit 77
fi
rm -rf "$work"
mkdir -p "$work"
cd "$work"
supp=(--suppressions="$here/latentbench.supp")
[ -f /usr/share/openmpi/openmpi-valgrind.supp ] && supp+=(--suppressions=/usr/share/openmpi/openmpi-valgrind.supp)

start=$(date +%s)
rc=0
LATENT_ISA=avx2 OMP_NUM_THREADS=2 LATENTBENCH_CHECK_LEAKS=1 LATENTBENCH_PROBE=0 \
  valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \
    --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
    --track-origins=no --num-callers=40 "${supp[@]}" --log-file=valgrind.log \
    "$bin" run --suite ci --quick --rounds 2 --warm-up-time 0.001 --measurement-time 0.001 \
    --sample-size 2 -o memcheck.h5 > run.out 2> run.err || rc=$?
secs=$(($(date +%s) - start))
summary=$(grep "ERROR SUMMARY" valgrind.log | tail -n 1 | sed 's/^==[0-9]*== //')
if [ "$rc" -ne 0 ] || [ ! -s memcheck.h5 ] || ! grep -q "ERROR SUMMARY: 0 errors" valgrind.log; then
  cat run.err
  grep -v "^==[0-9]*== *$" valgrind.log | sed -n '/Invalid\|uninitialised\|Conditional\|lost in loss record\|Mismatched\|free/,+25p' | head -n 150
  echo "memcheck: FAILED (exit $rc, $summary, ${secs} s; full log: $work/valgrind.log)"
  exit 1
fi
echo "memcheck: latentbench run --suite ci --quick: $summary (${secs} s)"
