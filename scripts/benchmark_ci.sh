#!/usr/bin/env bash
# Runs the benchmarks, compares them with this machine's baseline, reports, and
# keeps the baseline up to date on the main branch (docs/BASELINES.md).
set -euo pipefail

usage() {
    cat <<'EOF'
usage: scripts/benchmark_ci.sh [--help]
       scripts/benchmark_ci.sh --ab BASE_REF

--ab BASE_REF: the gate of a pull request against its base. Builds
liblatent at BASE_REF in a separate work tree (git worktree), measures it
against this tree's build with `latentbench ab` (both loaded in one process,
alternating blocks: the machine's drift cancels) and writes
$LB_OUTPUT_DIR/ab.h5 and ab_report.md; exits as `ab` does (0, 1 regression,
2 improvement). Baselines are not touched: use them for trends on main and
across machines (docs/REGRESSION.md).

Runs a suite, compares it with the latest baseline of this machine and
writes a report. No baseline yet: the run becomes the baseline. On the main
branch a passing comparison updates the baseline (auto_update_main), unless
baseline_management.require_approval is set (then use update_baseline.sh).
On a regression the config's regression_actions run: an issue body
(create_issue) and a webhook notification (notify_team); their failure is
only a warning.

exit status: 0 no significant change, an improvement, or a new baseline;
1 regression (unless regression_actions.fail_ci = false); otherwise the
status of the latentbench command that failed (64 usage, 65 bad data, ...).

environment:
  LATENTBENCH        latentbench binary (default: latentbench on PATH, else ./build/release/latentbench)
  LB_SUITE           suite name or file (default: ci)
  LB_ROUNDS          rounds of the run (default: 30; docs/REGRESSION.md, "Rounds")
  LB_AB_ARGS         more options for `latentbench ab` with --ab (e.g. "--quick --filter knn")
  LB_RUN_ARGS        more options for `latentbench run`, split on whitespace (e.g. "--quick")
  LB_CONFIG          regression config (default: bench/regression_config.toml when present)
  LB_BASELINE_DIR    baseline directory (default: the config's, else benches/baselines)
  LB_BASELINE_NAME   baseline name (default: main)
  LB_OUTPUT_DIR      where outputs go (default: target/latentbench):
                     current.h5, comparison.md, benchmark_report.md, issue_body.md
  LB_BRANCH          branch name (default: $GITHUB_REF_NAME, $CI_COMMIT_BRANCH, git branch --show-current)
  LB_MAIN_BRANCH     the branch whose baseline is kept (default: main)
  LB_CONTEXT         text for notifications (default: branch, commit and CI run URL)
  LB_NOTIFY_TIMEOUT  webhook timeout in seconds (default: 10)
With $GITHUB_OUTPUT set, status, exit_status, report, baseline and issue_body
are written there; with $GITHUB_STEP_SUMMARY, the comparison is appended to it.
EOF
}

ab_ref=
case "${1:-}" in
-h | --help) usage; exit 0 ;;
--ab)
    if [ -z "${2:-}" ] || [ -n "${3:-}" ]; then echo "benchmark_ci.sh: --ab takes one BASE_REF (see --help)" >&2; exit 64; fi
    ab_ref=$2 ;;
"") ;;
*) echo "benchmark_ci.sh: unexpected argument '$1' (see --help)" >&2; exit 64 ;;
esac

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The pull request's gate: this build against BASE_REF's, interleaved.
run_ab() {
    local ref=$1 out=${LB_OUTPUT_DIR:-target/latentbench} tmp base_lib head_lib rc=0
    if ! git rev-parse --verify --quiet "$ref^{commit}" >/dev/null; then
        echo "benchmark_ci.sh: --ab: '$ref' is not a commit of this repository" >&2
        exit 66
    fi
    tmp=$(mktemp -d)
    # shellcheck disable=SC2064  # expand now: the paths are fixed
    trap "git worktree remove --force '$tmp/base' >/dev/null 2>&1; rm -rf '$tmp'" EXIT
    echo "Building liblatent at $ref..."
    git worktree add --detach --quiet "$tmp/base" "$ref"
    cmake -S "$tmp/base" -B "$tmp/build" -DCMAKE_BUILD_TYPE=Release -DLATENTBENCH_BUILD_TESTS=OFF \
        -DLATENTBENCH_BUILD_EXAMPLES=OFF >/dev/null
    cmake --build "$tmp/build" --target latent -j"$(nproc)" >/dev/null
    base_lib=$(find "$tmp/build" -maxdepth 1 -name 'liblatent.so.*.*' | head -n 1)
    head_lib=$("$LB" --version | sed -n 's/.*liblatent [^,]*, \(.*\))$/\1/p')
    if [ -z "$base_lib" ] || [ -z "$head_lib" ]; then
        echo "benchmark_ci.sh: --ab: no library built at $ref, or none beside $LB" >&2
        exit 66
    fi
    mkdir -p "$out"
    local cfg=()
    if [ -n "${LB_CONFIG-}" ]; then cfg=(--config "$LB_CONFIG"); elif [ -f bench/regression_config.toml ]; then cfg=(--config bench/regression_config.toml); fi
    read -r -a ab_args <<<"${LB_AB_ARGS:-}"
    echo "Measuring $ref against this build..."
    "$LB" ab --baseline-lib "$base_lib" --candidate-lib "$head_lib" --suite "${LB_SUITE:-ci}" "${cfg[@]}" \
        "${ab_args[@]}" -o "$out/ab.h5" --report "$out/ab_report.md" || rc=$?
    case $rc in
    0) echo "✅ No significant performance change against $ref" ;;
    1) echo "❌ Performance regression against $ref!" ;;
    2) echo "✅ Performance improvement against $ref" ;;
    *) echo "benchmark_ci.sh: ab failed with status $rc" >&2 ;;
    esac
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$out/ab_report.md" ]; then cat "$out/ab_report.md" >>"$GITHUB_STEP_SUMMARY"; fi
    exit "$rc"
}

detect_branch() {
    if [ -n "${LB_BRANCH:-}" ]; then
        printf '%s\n' "$LB_BRANCH"
    elif [ -n "${GITHUB_REF_NAME:-}" ]; then
        printf '%s\n' "$GITHUB_REF_NAME"
    elif [ -n "${CI_COMMIT_BRANCH:-}" ]; then
        printf '%s\n' "$CI_COMMIT_BRANCH"
    elif command -v git >/dev/null 2>&1 && git rev-parse --git-dir >/dev/null 2>&1; then
        git branch --show-current 2>/dev/null || true
    fi
}

lb_find_binary benchmark_ci.sh
if [ -n "$ab_ref" ]; then run_ab "$ab_ref"; fi
SUITE=${LB_SUITE:-ci}
ROUNDS=${LB_ROUNDS:-30}
NAME=${LB_BASELINE_NAME:-main}
OUT=${LB_OUTPUT_DIR:-target/latentbench}
MAIN_BRANCH=${LB_MAIN_BRANCH:-main}
NOTIFY_TIMEOUT=${LB_NOTIFY_TIMEOUT:-10}
CONFIG=${LB_CONFIG-}
if [ -z "${LB_CONFIG+set}" ] && [ -f bench/regression_config.toml ]; then
    CONFIG=bench/regression_config.toml
fi
read -r -a run_args <<<"${LB_RUN_ARGS:-}"
cfg=()
if [ -n "$CONFIG" ]; then cfg=(--config "$CONFIG"); fi
dir=()
if [ -n "${LB_BASELINE_DIR:-}" ]; then dir=(--dir "$LB_BASELINE_DIR"); fi

branch=$(detect_branch)
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
context=${LB_CONTEXT:-"branch ${branch:-unknown}, commit $commit"}
if [ -z "${LB_CONTEXT:-}" ] && [ -n "${GITHUB_RUN_ID:-}" ]; then
    context="$context, ${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY:-}/actions/runs/$GITHUB_RUN_ID"
fi

# The config's actions and baseline policy, as key=value lines.
policy=$("$LB" baseline config "${cfg[@]}" "${dir[@]}")
get() { printf '%s\n' "$policy" | sed -n "s/^$1=//p"; }
fail_ci=$(get fail_ci)
create_issue=$(get create_issue)
auto_update=$(get auto_update_main)
require_approval=$(get require_approval)

mkdir -p "$OUT"
current="$OUT/current.h5"
report="$OUT/benchmark_report.md"
issue="$OUT/issue_body.md"
rm -f "$OUT/comparison.md" "$report" "$issue"

echo "Running benchmarks (suite $SUITE)..."
"$LB" run --suite "$SUITE" --rounds "$ROUNDS" "${run_args[@]}" -o "$current"

echo "Comparing with baseline..."
status=no_change
rc=0
found=
if baseline=$("$LB" baseline show --path-only --results "$current" --name "$NAME" "${dir[@]}" "${cfg[@]}" 2>"$OUT/show.err"); then
    # the newest by name may be damaged or truncated: take the newest that reads
    found=$(lb_newest_valid benchmark_ci.sh "$baseline") ||
        echo "benchmark_ci.sh: warning: no baseline in $(dirname "$baseline") reads; starting a new one" >&2
else
    show_rc=$?
    if [ "$show_rc" -ne 66 ]; then
        cat "$OUT/show.err" >&2
        exit "$show_rc"
    fi
fi
if [ -n "$found" ]; then
    baseline=$found
    echo "Baseline: $baseline"
    # earlier baselines of this machine and name estimate the run-to-run drift
    # (those that read: one damaged file must not fail the comparison)
    history=()
    for f in "$(dirname "$baseline")"/*.h5; do
        if [ -f "$f" ] && [ "$f" != "$baseline" ] && [ "${#history[@]}" -lt 40 ] && lb_readable "$f"; then
            history+=(--history "$f")
        fi
    done
    "$LB" compare "$baseline" "$current" "${cfg[@]}" "${history[@]}" --report "$OUT/comparison.md" || rc=$?
    case $rc in
    0) echo "✅ No significant performance change" ;;
    1) status=regression; echo "❌ Performance regression detected!" ;;
    2) status=improvement; echo "✅ Performance improvement detected!" ;;
    *) echo "benchmark_ci.sh: compare failed with status $rc" >&2; exit "$rc" ;;
    esac
else
    echo "No baseline found, creating new baseline..."
    "$LB" baseline save "$current" --name "$NAME" "${dir[@]}" "${cfg[@]}"
    baseline=$("$LB" baseline show --path-only --results "$current" --name "$NAME" "${dir[@]}" "${cfg[@]}")
    status=created
fi
rm -f "$OUT/show.err"

if [ "$status" = regression ]; then
    # Notifications never change the outcome: a failure is a warning.
    notify_args=(--results "$current" --baseline "$baseline" "${cfg[@]}" --context "$context" --timeout "$NOTIFY_TIMEOUT")
    if [ "$create_issue" = true ]; then notify_args+=(--issue-body "$issue"); fi
    "$LB" baseline notify "${notify_args[@]}" || echo "warning: notification failed (status $?)" >&2
fi

echo "Generating benchmark report..."
report_rc=0
if [ "$status" = created ]; then
    "$LB" report "$current" --format md -o "$report" || report_rc=$?
else
    "$LB" report "$current" --baseline "$baseline" "${cfg[@]}" --format md -o "$report" || report_rc=$?
fi
[ "$report_rc" -eq 0 ] || echo "benchmark_ci.sh: report failed with status $report_rc" >&2

# After the report: saving may prune the baseline the report was made against.
if [ "$status" = no_change ] || [ "$status" = improvement ]; then
    if [ "$branch" != "$MAIN_BRANCH" ]; then
        echo "Branch '${branch:-unknown}' is not $MAIN_BRANCH: baseline left as it is"
    elif [ "$require_approval" = true ]; then
        echo "Baseline update needs approval: scripts/update_baseline.sh $current"
    elif [ "$auto_update" = true ]; then
        echo "Updating the $MAIN_BRANCH baseline..."
        "$LB" baseline save "$current" --name "$NAME" "${dir[@]}" "${cfg[@]}"
    else
        echo "auto_update_main is off: baseline left as it is"
    fi
fi

exit_status=0
if [ "$status" = regression ]; then
    if [ "$fail_ci" = true ]; then
        exit_status=1
    else
        echo "warning: regression_actions.fail_ci is off: not failing" >&2
    fi
elif [ "$report_rc" -ne 0 ]; then
    exit_status=$report_rc
fi

if [ -n "${GITHUB_OUTPUT:-}" ]; then
    {
        echo "status=$status"
        echo "exit_status=$exit_status"
        echo "report=$report"
        echo "baseline=$baseline"
        if [ -f "$issue" ]; then echo "issue_body=$issue"; fi
    } >>"$GITHUB_OUTPUT"
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$OUT/comparison.md" ]; then
    cat "$OUT/comparison.md" >>"$GITHUB_STEP_SUMMARY"
fi
echo "Done! ($status)"
exit "$exit_status"
