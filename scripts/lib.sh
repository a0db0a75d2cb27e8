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

# Prints the newest baseline that reads as a results file, among the file that
# `latentbench baseline show --path-only` named ($2, the newest by name) and
# the older ones beside it; warns about each newer one skipped (damaged,
# truncated, another schema). `baseline save` stores only complete runs, so a
# file that reads is a complete baseline. Returns 1 when none reads.
lb_newest_valid() {
    local script=$1 newest=$2 f line err
    err=$(mktemp)
    while IFS= read -r f; do
        if "$LB" report "$f" --format json >/dev/null 2>"$err"; then
            rm -f "$err"
            printf '%s\n' "$f"
            return 0
        fi
        line=$(grep -m 1 '^latentbench: ' "$err" || true)
        echo "$script: warning: skipping baseline ${line#latentbench: }" >&2
    done < <(find "$(dirname "$newest")" -maxdepth 1 -type f -name '*.h5' | LC_ALL=C sort -r)
    rm -f "$err"
    return 1
}

# Whether file $1 reads as a results file (quietly).
lb_readable() { "$LB" report "$1" --format json >/dev/null 2>&1; }
