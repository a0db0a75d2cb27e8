#!/usr/bin/env bash
# End-to-end checks of scripts/benchmark_ci.sh, update_baseline.sh and
# generate_report.sh against the real binary, with tiny runs of one benchmark.
# Needs LATENTBENCH (the binary), LB_SCRIPTS (scripts/), LB_NOTIFY_SERVER
# (tests/notify_server.py) and python3. The webhook goes to a server on
# 127.0.0.1 that this test starts, never anywhere else.
#
# Outcomes are made deterministic through memory, not time: time thresholds are
# set out of reach (1000%), and the baseline's recorded peak memory is scaled
# (scale_peak) so that the same run reads as four times the memory, or a
# quarter of it, which the memory threshold (20%) always catches. (A different
# workload, e.g. --workload-scale, is no longer comparable: compare refuses it.)
set -u
LB=${LATENTBENCH:?set LATENTBENCH to the latentbench binary}
SCRIPTS=${LB_SCRIPTS:?set LB_SCRIPTS to the scripts directory}
SERVER=${LB_NOTIFY_SERVER:?set LB_NOTIFY_SERVER to tests/notify_server.py}
work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { # check NAME COMMAND...: passes when the command succeeds
    local name=$1
    shift
    if "$@"; then ok "$name"; else bad "$name"; fi
}

# run_ci NAME WANT: benchmark_ci.sh's exit status, output in ci.out / ci.err
run_ci() {
    local name=$1 want=$2 got=0
    bash "$SCRIPTS/benchmark_ci.sh" >ci.out 2>ci.err || got=$?
    if [ "$got" -eq "$want" ]; then
        ok "$name: exit $want"
    else
        bad "$name: exit $got, want $want"
        sed 's/^/    /' ci.out ci.err | tail -n 30
    fi
}
# scale_peak FILE FACTOR: multiplies every row's recorded peak memory in FILE.
scale_peak() {
    /usr/bin/python3 - "$1" "$2" <<'PYEOF'  # Debian's python3-h5py
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    rows = f["benchmarks"][...]
    rows["peak_bytes"] = (rows["peak_bytes"] * float(sys.argv[2])).astype(rows["peak_bytes"].dtype)
    f["benchmarks"][...] = rows
PYEOF
}
latest_baseline() { "$LB" baseline show --path-only --dir "$work/baselines"; }
count_baselines() { find "$work/baselines" -name '*.h5' 2>/dev/null | wc -l; }
has() { grep -q -- "$2" "$1"; }

# Nothing of a real CI run may leak in.
unset GITHUB_OUTPUT GITHUB_STEP_SUMMARY GITHUB_REF_NAME GITHUB_RUN_ID CI_COMMIT_BRANCH SLACK_WEBHOOK_URL LB_CONTEXT
export LATENTBENCH=$LB LB_SUITE=ci LB_OUTPUT_DIR=$work/out LB_BASELINE_DIR=$work/baselines LB_BASELINE_NAME=main
quick='--filter ^knn_search/dim_128/10$ --warm-up-time 0.05 --measurement-time 0.1 --sample-size 10 --resamples 2000 --quiet'

write_config() { # write_config FILE FAIL_CI REQUIRE_APPROVAL
    cat >"$1" <<EOF
[thresholds]
default = 1000.0
[thresholds.latency]
knn_search = 1000.0
add_embedding = 1000.0
attention = 1000.0
[thresholds.throughput]
batch_operations = 1000.0
parallel_search = 1000.0
[thresholds.memory]
peak_usage = 20.0
allocation_count = 25.0
[regression_actions]
fail_ci = $2
create_issue = true
notify_team = true
[regression_actions.notifications]
slack_webhook = "\${LATENTBENCH_WEBHOOK_TEST}"
[baseline_management]
auto_update_main = true
require_approval = $3
keep_history = true
max_history_count = 3
directory = "$work/config-baselines"
EOF
}
write_config strict.toml true false
write_config lenient.toml false false
write_config approval.toml true true
export LB_CONFIG=$work/strict.toml

# ---- help and usage ----------------------------------------------------------
for s in benchmark_ci update_baseline generate_report; do
    if bash "$SCRIPTS/$s.sh" --help | grep -q '^usage: scripts/'"$s"'.sh'; then ok "$s --help"; else bad "$s --help"; fi
    got=0
    bash "$SCRIPTS/$s.sh" --frobnicate >/dev/null 2>&1 || got=$?
    if [ "$got" -eq 64 ]; then ok "$s: bad option is 64"; else bad "$s: bad option exit $got"; fi
done

# ---- no baseline: created ----------------------------------------------------
export LB_BRANCH=feature LB_RUN_ARGS="$quick"
run_ci "first run" 0
check "first run: creates the baseline" has ci.out "No baseline found, creating new baseline"
check "first run: one baseline file" test "$(count_baselines)" -eq 1
check "first run: report written" test -s out/benchmark_report.md
check "first run: no issue body" test ! -e out/issue_body.md
path_only=$("$LB" baseline show --path-only --results out/current.h5 --dir "$work/baselines")
check "baseline show --path-only finds it" test -f "$path_only"

# ---- same code on a branch: compared, no change, baseline kept ---------------
run_ci "branch run" 0
check "branch run: no change" has ci.out "No significant performance change"
check "branch run: comparison written" test -s out/comparison.md
check "branch run: baseline not updated off main" test "$(count_baselines)" -eq 1
check "branch run: says why" has ci.out "is not main"

# ---- on main: updated after a passing compare --------------------------------
export LB_BRANCH=main
run_ci "main run" 0
check "main run: baseline updated" test "$(count_baselines)" -eq 2

# ---- a regression: exit 1, issue body, webhook; never updated ----------------
python3 "$SERVER" "$work/port" "$work/hook.json" 120 &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
export LATENTBENCH_WEBHOOK_TEST="http://127.0.0.1:$port/hook/secret"
# the baseline says a quarter of the memory: the same run is a regression
scale_peak "$(latest_baseline)" 0.25
export GITHUB_OUTPUT=$work/gh_output LB_CONTEXT="test run"
run_ci "regression" 1
unset GITHUB_OUTPUT
check "regression: reported" has ci.out "Performance regression detected"
check "regression: issue body" has out/issue_body.md "^# Performance regression: 1 benchmark slower"
check "regression: issue body names the row" has out/issue_body.md "knn_search/dim_128/10"
check "regression: webhook got the summary" python3 - "$work/hook.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "regression" and d["exit_status"] == 1, d
assert d["counts"]["regression"] == 1 and d["context"] == "test run", d
assert d["regressions"][0]["id"] == "knn_search/dim_128/10", d
assert d["regressions"][0]["memory"] == "regression", d
assert d["text"].startswith("latentbench: performance regression detected"), d
PYEOF
check "regression: baseline not updated" test "$(count_baselines)" -eq 2
check "regression: report still written" test -s out/benchmark_report.md
check "regression: GITHUB_OUTPUT status" has gh_output "^status=regression$"
check "regression: GITHUB_OUTPUT issue body" has gh_output "^issue_body=.*issue_body.md$"

# ---- fail_ci off, nobody listening: warnings, success ------------------------
dead=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
export LATENTBENCH_WEBHOOK_TEST="http://127.0.0.1:$dead/hook" LB_CONFIG=$work/lenient.toml LB_NOTIFY_TIMEOUT=3
run_ci "regression, fail_ci off, dead webhook" 0
check "dead webhook: a warning line" has ci.err "warning: webhook 127.0.0.1:$dead"
check "fail_ci off: says so" has ci.err "fail_ci is off"
check "fail_ci off: still not updated" test "$(count_baselines)" -eq 2
unset LB_NOTIFY_TIMEOUT

# ---- the webhook's timeout: only the notify step is timed --------------------
# The server's /slow answers after 5 s; `baseline notify --timeout 1` must give
# up at its own timeout, well before. Only this one command is timed, so a slow
# machine's benchmark runs cannot fail the check.
if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
rm -f "$work/port"
python3 "$SERVER" "$work/port" "$work/hook.json" 60 &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
base=$("$LB" baseline show --path-only --results out/current.h5 --dir "$work/baselines")
t0=$EPOCHREALTIME
got=0
"$LB" baseline notify --results out/current.h5 --baseline "$base" --config "$work/lenient.toml" --always \
    --webhook "http://127.0.0.1:$(cat "$work/port")/slow" --timeout 1 >notify.out 2>notify.err || got=$?
ms=$(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 ))
check "slow webhook: notify gives up at its 1 s timeout (${ms} ms, server answers at 5000)" test "$ms" -lt 5000
check "slow webhook: notify still exits 0" test "$got" -eq 0
check "slow webhook: a warning line" has notify.err "warning: webhook"

# ---- improvement: a baseline that says four times the memory ----------------
got=0
bash "$SCRIPTS/update_baseline.sh" >upd.out 2>&1 || got=$?
check "update_baseline.sh: exit 0" test "$got" -eq 0
check "update_baseline.sh: saved and shown" has upd.out "^path: "
check "update_baseline.sh: one more file" test "$(count_baselines)" -eq 3
export LB_CONFIG=$work/approval.toml
before=$(latest_baseline)
scale_peak "$before" 4
run_ci "improvement, approval required" 0
check "improvement: reported" has ci.out "Performance improvement detected"
check "approval: not updated" has ci.out "needs approval"
check "approval: same baseline" test "$("$LB" baseline show --path-only --dir "$work/baselines")" = "$before"
export LB_CONFIG=$work/strict.toml
run_ci "improvement on main" 0
after=$("$LB" baseline show --path-only --dir "$work/baselines")
check "improvement on main: new latest" test "$after" != "$before"
check "history capped at max_history_count" test "$(count_baselines)" -eq 3

# ---- generate_report.sh ------------------------------------------------------
rep=$(bash "$SCRIPTS/generate_report.sh" 2>rep.err)
check "generate_report.sh: md" test -s "$rep"
rep=$(LB_REPORT_FORMAT=json bash "$SCRIPTS/generate_report.sh" 2>rep.err)
check "generate_report.sh: json path" test "${rep##*.}" = json
check "generate_report.sh: valid json" python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$rep"
got=0
LB_REPORT_FORMAT=pdf bash "$SCRIPTS/generate_report.sh" >/dev/null 2>&1 || got=$?
check "generate_report.sh: bad format is 64" test "$got" -eq 64

# ---- the config's directory, bad inputs --------------------------------------
got=0
(unset LB_BASELINE_DIR && bash "$SCRIPTS/update_baseline.sh" out/current.h5 >/dev/null 2>&1) || got=$?
check "config directory used without LB_BASELINE_DIR" test "$got" -eq 0 -a -d "$work/config-baselines"
echo "not a results file" >garbage.h5
got=0
bash "$SCRIPTS/update_baseline.sh" garbage.h5 >/dev/null 2>&1 || got=$?
check "corrupt results: 65" test "$got" -eq 65
got=0
bash "$SCRIPTS/update_baseline.sh" missing.h5 >/dev/null 2>&1 || got=$?
check "missing results: 66" test "$got" -eq 66
got=0
"$LB" baseline show --path-only --dir "$work/empty" >/dev/null 2>&1 || got=$?
check "no baseline: show --path-only is 66" test "$got" -eq 66
printf '[thresholds\n' >broken.toml
got=0
LB_CONFIG=$work/broken.toml bash "$SCRIPTS/benchmark_ci.sh" >/dev/null 2>&1 || got=$?
check "broken config: 65" test "$got" -eq 65

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
