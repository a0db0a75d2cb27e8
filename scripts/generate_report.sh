#!/usr/bin/env bash
# Writes the benchmark report of a results file, against this machine's
# baseline when there is one (docs/BASELINES.md).
set -euo pipefail

usage() {
    cat <<'EOF'
usage: scripts/generate_report.sh [--help] [RESULTS.h5]

Writes the report of RESULTS.h5 (default: $LB_OUTPUT_DIR/current.h5). The
Markdown report compares against $LB_BASELINE when set, else the latest
baseline of the machine that produced RESULTS.h5 (none: no comparison); the
other formats export RESULTS.h5 alone. Prints the report's path.

environment:
  LATENTBENCH        latentbench binary (default: latentbench on PATH, else ./build/release/latentbench)
  LB_CONFIG          regression config (default: bench/regression_config.toml when present)
  LB_BASELINE        baseline results file (default: looked up)
  LB_BASELINE_DIR    baseline directory (default: the config's, else benches/baselines)
  LB_BASELINE_NAME   baseline name (default: main)
  LB_OUTPUT_DIR      output directory (default: target/latentbench)
  LB_REPORT_FORMAT   md, json, csv, toml or gbench (default: md)
  LB_REPORT_FILE     report path (default: $LB_OUTPUT_DIR/benchmark_report.<ext>)
EOF
}

results=
for arg in "$@"; do
    case $arg in
    -h | --help) usage; exit 0 ;;
    -*) echo "generate_report.sh: unknown option '$arg' (see --help)" >&2; exit 64 ;;
    *)
        if [ -n "$results" ]; then
            echo "generate_report.sh: one results file only (see --help)" >&2
            exit 64
        fi
        results=$arg
        ;;
    esac
done

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lb_find_binary generate_report.sh
OUT=${LB_OUTPUT_DIR:-target/latentbench}
NAME=${LB_BASELINE_NAME:-main}
FORMAT=${LB_REPORT_FORMAT:-md}
case $FORMAT in
md | json | csv | toml) ext=$FORMAT ;;
gbench) ext=json ;;
*) echo "generate_report.sh: LB_REPORT_FORMAT '$FORMAT' is not md, json, csv, toml or gbench" >&2; exit 64 ;;
esac
results=${results:-$OUT/current.h5}
report=${LB_REPORT_FILE:-$OUT/benchmark_report.$ext}
CONFIG=${LB_CONFIG-}
if [ -z "${LB_CONFIG+set}" ] && [ -f bench/regression_config.toml ]; then
    CONFIG=bench/regression_config.toml
fi
cfg=()
if [ -n "$CONFIG" ]; then cfg=(--config "$CONFIG"); fi
dir=()
if [ -n "${LB_BASELINE_DIR:-}" ]; then dir=(--dir "$LB_BASELINE_DIR"); fi

# Only the Markdown report compares; the data formats export RESULTS alone.
baseline=${LB_BASELINE:-}
if [ "$FORMAT" != md ]; then
    baseline=
elif [ -z "$baseline" ]; then
    rc=0
    baseline=$("$LB" baseline show --path-only --results "$results" --name "$NAME" "${dir[@]}" "${cfg[@]}") || rc=$?
    if [ "$rc" -eq 66 ]; then
        echo "generate_report.sh: no baseline for this machine: report without comparison" >&2
        baseline=
    elif [ "$rc" -ne 0 ]; then
        exit "$rc"
    fi
fi

mkdir -p "$(dirname "$report")"
base_args=()
if [ -n "$baseline" ]; then base_args=(--baseline "$baseline" "${cfg[@]}"); fi
"$LB" report "$results" "${base_args[@]}" --format "$FORMAT" -o "$report"
printf '%s\n' "$report"
