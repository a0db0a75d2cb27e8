#!/usr/bin/env bash
# Stores a results file as the newest baseline of its machine: the approval
# step when baseline_management.require_approval is set (docs/BASELINES.md).
set -euo pipefail

usage() {
    cat <<'EOF'
usage: scripts/update_baseline.sh [--help] [RESULTS.h5]

Saves RESULTS.h5 (default: $LB_OUTPUT_DIR/current.h5, as left by
benchmark_ci.sh) as the newest baseline of the machine that produced it,
prunes the history to the config's max_history_count, and shows the result.
The baseline directory is not committed: do that yourself if it is tracked.

environment:
  LATENTBENCH        latentbench binary (default: latentbench on PATH, else ./build/release/latentbench)
  LB_CONFIG          regression config (default: bench/regression_config.toml when present)
  LB_BASELINE_DIR    baseline directory (default: the config's, else benches/baselines)
  LB_BASELINE_NAME   baseline name (default: main)
  LB_OUTPUT_DIR      where benchmark_ci.sh left current.h5 (default: target/latentbench)
EOF
}

results=
for arg in "$@"; do
    case $arg in
    -h | --help) usage; exit 0 ;;
    -*) echo "update_baseline.sh: unknown option '$arg' (see --help)" >&2; exit 64 ;;
    *)
        if [ -n "$results" ]; then
            echo "update_baseline.sh: one results file only (see --help)" >&2
            exit 64
        fi
        results=$arg
        ;;
    esac
done

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lb_find_binary update_baseline.sh
NAME=${LB_BASELINE_NAME:-main}
results=${results:-${LB_OUTPUT_DIR:-target/latentbench}/current.h5}
CONFIG=${LB_CONFIG-}
if [ -z "${LB_CONFIG+set}" ] && [ -f bench/regression_config.toml ]; then
    CONFIG=bench/regression_config.toml
fi
cfg=()
if [ -n "$CONFIG" ]; then cfg=(--config "$CONFIG"); fi
dir=()
if [ -n "${LB_BASELINE_DIR:-}" ]; then dir=(--dir "$LB_BASELINE_DIR"); fi

"$LB" baseline save "$results" --name "$NAME" "${dir[@]}" "${cfg[@]}"
"$LB" baseline show --results "$results" --name "$NAME" "${dir[@]}" "${cfg[@]}"
