#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time from its committed seed corpus
# and saved regressions; fails on any crash, leak, timeout or out-of-memory in
# our code.
# usage: run_fuzz.sh FUZZER NAME SECONDS ARTIFACT_DIR [libFuzzer flags...]
#
# New inputs go to a scratch corpus, never into the committed one. A failing
# input is left in ARTIFACT_DIR/NAME/ (copy it to tests/fuzz/regressions/NAME/
# once fixed). For the targets that feed HDF5 mutated bytes, a failure whose
# first real frame is inside libhdf5 (HDF5 decoding a corrupt file: out of
# scope, docs/FUZZING.md) does not fail the run: its input goes to
# ARTIFACT_DIR/NAME/hdf5/, a warning is printed, and fuzzing goes on for the
# rest of the time.
set -euo pipefail
fuzzer=$1 name=$2 seconds=$3 artifacts=$4
shift 4
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$artifacts/$name
mkdir -p "$out" "$work/corpus" "$work/new" "$work/tmp"
# The targets' scratch files too: a killed fuzzer cannot remove them itself.
export TMPDIR=$work/tmp
flags=(-timeout=5 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/new/")
if [ -f "$here/$name.dict" ]; then flags+=(-dict="$here/$name.dict"); fi
dirs=("$work/corpus" "$here/corpus/$name")
if [ -d "$here/regressions/$name" ]; then dirs+=("$here/regressions/$name"); fi

# The first stack frame of the first report that is not the sanitizer's,
# libFuzzer's, an interceptor's or libc's: where the failure really is.
first_real_frame() {
    awk '/^ *#0 / { on = 1 }
         on && !/^ *#[0-9]+ / { exit }
         on && !/ in (__sanitizer|fuzzer::|__asan|__interceptor_|__ubsan|__lsan)/ &&
               !/ in (malloc|calloc|realloc|free|memcpy|memmove|memset|strlen|abort|raise|gsignal) \(/ &&
               !/\/libc\.so| in __(mem|str)[a-z0-9_]* |sysdeps\// { print; exit }' "$1"
}

# Only these targets hand HDF5 bytes it has to decode; results_schema's files are well-formed.
case $name in results | dataset) hdf5_scope=yes ;; *) hdf5_scope=no ;; esac
deadline=$((SECONDS + seconds)) hdf5=0
while :; do
    left=$((deadline - SECONDS))
    [ "$left" -ge 3 ] || break
    rc=0
    "$fuzzer" "${flags[@]}" -max_total_time="$left" "$@" "${dirs[@]}" >"$work/log" 2>&1 || rc=$?
    [ "$rc" -ne 0 ] || break
    frame=$(first_real_frame "$work/log")
    if [[ "$frame" == *libhdf5* ]] && [ "$hdf5_scope" = yes ] && [ "$hdf5" -lt 20 ]; then
        hdf5=$((hdf5 + 1))
        mkdir -p "$out/hdf5"
        mv "$work"/new/* "$out/hdf5/" 2>/dev/null || true
        frame=$(sed -E 's/^ *#[0-9]+ 0x[0-9a-f]+ +//; s/ \(BuildId.*//' <<<"$frame")
        echo "warning: fuzz_$name: a failure inside HDF5 (out of scope; input kept in $out/hdf5/): $frame" >&2
        continue
    fi
    mv "$work"/new/* "$out/" 2>/dev/null || true
    tail -n 60 "$work/log"
    echo "run_fuzz.sh: fuzz_$name failed (status $rc); the input is in $out/" >&2
    exit 1
done
grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$work/log" || true
echo "fuzz_$name: ${seconds}s, no failure in our code; $hdf5 inside HDF5"
