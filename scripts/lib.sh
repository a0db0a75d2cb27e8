# Shared by the benchmark scripts (sourced, not run).
# shellcheck disable=SC2034  # LB is the caller's variable
# shellcheck shell=bash

# Sets LB to the latentbench binary: $LATENTBENCH, else the one on PATH, else
# this checkout's Release or plain build. Exits 66 when there is none.
lb_find_binary() {
    local script=$1 root
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    if [ -n "${LATENTBENCH:-}" ]; then
        LB=$LATENTBENCH
    elif command -v latentbench >/dev/null 2>&1; then
        LB=$(command -v latentbench)
    elif [ -x "$root/build/release/latentbench" ]; then
        LB=$root/build/release/latentbench
    elif [ -x "$root/build/latentbench" ]; then
        LB=$root/build/latentbench
    else
        echo "$script: no latentbench binary: set LATENTBENCH" >&2
        exit 66
    fi
}
