#!/usr/bin/env bash
# The job scripts of jobs/ on a real Slurm cluster brought up on this machine
# (tests/slurm/cluster.sh: munged, slurmctld, two virtual nodes n1 and n2).
# Submits each script with `sbatch --wait` inside `timeout` and checks the
# results files, not only the exit codes:
#   - single_node: a complete file; compare chained with afterok exits with the
#     gate's code; a compare chained after a failed job never runs;
#   - scaling: a job array over 1 and 2 ranks, data-sharded, the second with
#     parallel efficiency against the first;
#   - matrix, srun --mpi=pmix and mpirun: 4 ranks on 2 nodes, every row
#     measured by the first rank of a node (one measuring rank per node);
#   - a job with --time=1 killed at its walltime mid-suite: the completed rows
#     written marked incomplete, the journal kept; resubmitted into the same
#     run directory, it resumes and writes the whole file; the same for a
#     matrix run over 2 nodes cancelled mid-suite (every rank's journal).
# Exits 77 (skipped) without root or the Slurm and munge packages.
#
# Environment: LATENTBENCH (the binary), LB_SOURCE_DIR (the checkout),
# LB_SLURM_KEEP=1 keeps the cluster's directory for a look afterwards.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=${LB_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
LB=${LATENTBENCH:?set LATENTBENCH to the latentbench binary}

if [ "$(id -u)" != 0 ]; then
    echo "SKIP: the local Slurm cluster runs as root (SlurmUser=root)"
    exit 77
fi
for c in munged slurmctld slurmd sbatch srun scancel sinfo runuser; do
    if ! command -v "$c" >/dev/null 2>&1; then
        echo "SKIP: $c not installed (scripts/deps.sh installs slurmctld slurmd slurm-client munge)"
        exit 77
    fi
done
# shellcheck source=tests/slurm/cluster.sh
. "$here/cluster.sh"

t_start=$(date +%s.%N)
d=$(mktemp -d /tmp/lb-slurm.XXXXXX)
cleanup() {
    lb_slurm_down "$d"
    if [ "${LB_SLURM_KEEP:-0}" = 1 ]; then echo "kept $d"; else rm -rf "$d"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
py() { /usr/bin/python3 "$here/check_results.py" "$@"; }

t0=$(date +%s.%N)
if ! lb_slurm_up "$d"; then
    echo "FAIL: the Slurm cluster did not come up"
    exit 1
fi
echo "bring-up: $(since "$t0") s"

# what every job sees: the checkout, the binary, a private runs directory
export LB_ROOT=$src LB_BIN=$LB LB_RUNS=$d/runs OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tiny=$here/tiny.toml
quick="--warm-up-time 0.05 --measurement-time 0.2 --sample-size 10 --resamples 1000"
cd "$d" || exit 1

# sub NAME TIMEOUT SBATCH-ARGS... : sbatch --wait; sets jid and rc, prints the time
sub() {
    local name=$1 limit=$2 t
    shift 2
    t=$(date +%s.%N)
    rc=0
    jid=$(timeout "$limit" sbatch --wait --parsable --output="$d/$name.out" "$@") || rc=$?
    jid=${jid%%;*}
    echo "job $name ($jid): status $rc, $(since "$t") s"
}
# the run directory a job printed ("NAME: run directory DIR")
rundir() { sed -n 's/^[a-z]*: run directory //p' "$d/$1.out" | head -n 1; }

# 1. The walltime job, first, in the background: killed 60-90 s after it
#    starts (Slurm checks time limits every 30 s). The other jobs run meanwhile.
t_wall=$(date +%s.%N)
wall_args=(--time=1 --nodelist=n1)
long_opts="--warm-up-time 0.1 --measurement-time 1 --sample-size 10 --resamples 1000"
wall_jid=$(LB_SUITE=$here/long.toml LB_RUN_ARGS=$long_opts LB_THREADS=1 \
    sbatch --parsable --output="$d/wall.out" "${wall_args[@]}" "$src/jobs/single_node.sbatch")
wall_jid=${wall_jid%%;*}
echo "job wall ($wall_jid) submitted: --time=1"

# 2. single node, then compare chained with afterok (against itself: exit 0)
LB_SUITE=$tiny LB_RUN_ARGS=$quick LB_THREADS=1 sub single 60 --nodelist=n2 "$src/jobs/single_node.sbatch"
single_jid=$jid
[ "$rc" = 0 ] || fail "single_node exited $rc"
sdir=$(rundir single)
[[ $sdir == "$d/runs/single-$single_jid-"* ]] || fail "single_node's run directory '$sdir' is not named by job id and commit"
py complete "$sdir/results.h5" 8 1 || fail "single_node's results"
grep -q "^single: results $sdir/results.h5\$" "$d/single.out" || fail "single_node does not print where its results are"

LB_AFTER=$single_jid LB_BASELINE=$sdir/results.h5 LB_CONFIG='' sub compare 60 \
    --dependency=afterok:"$single_jid" "$src/jobs/compare.sbatch"
[ "$rc" = 0 ] || fail "compare (a run against itself) exited $rc, not 0"
cdir=$(rundir compare)
{ [ -s "$cdir/comparison.md" ] && [ -s "$cdir/report.md" ]; } || fail "compare wrote no comparison.md / report.md in '$cdir'"
grep -q "no significant change" "$d/compare.out" || fail "compare's verdict is missing"

# a compare after a failing job never runs (DependencyParameters=kill_invalid_depend);
# sbatch --wait then returns 0 for a job cancelled before it started: check files
LB_SUITE=no_such_suite sub bad 60 --nodelist=n2 "$src/jobs/single_node.sbatch"
bad_jid=$jid
[ "$rc" != 0 ] || fail "a run of a missing suite exited 0"
LB_AFTER=$bad_jid sub compare_after_bad 60 --dependency=afterok:"$bad_jid" "$src/jobs/compare.sbatch"
if [ -e "$d/compare_after_bad.out" ] || compgen -G "$d/runs/compare-$jid-*" >/dev/null; then
    fail "the compare chained after a failed job ran"
fi

# 3. the scaling study as a job array over 1 and 2 ranks (one after the other)
LB_SUITE=$tiny LB_FILTER='^knn' LB_RUN_ARGS=$quick sub "scaling-%a" 90 --array=1,2%1 --ntasks=2 --nodelist=n2 \
    "$src/jobs/scaling.sbatch"
[ "$rc" = 0 ] || fail "scaling exited $rc"
scdir=$(rundir scaling-1)
[[ $scdir == "$d/runs/scaling-$jid-"* ]] || fail "scaling's run directory '$scdir' is not named by the array's job id"
py scaling "$scdir/p1.h5" "$scdir/p2.h5" || fail "scaling's results"

# 4. the walltime kill: the completed rows written, marked incomplete
t=$(date +%s.%N)
while squeue -h -j "$wall_jid" 2>/dev/null | grep -q .; do
    if awk -v t="$(since "$t_wall")" 'BEGIN { exit !(t > 150) }'; then
        fail "the walltime job still runs after 150 s"
        scancel "$wall_jid"
        break
    fi
    sleep 1
done
echo "job wall ($wall_jid): ended after $(since "$t_wall") s"
wdir=$(rundir wall)
grep -q "incomplete: stopped by signal 15" "$d/wall.out" || fail "the walltime job does not report its incomplete results"
grep -q "DUE TO TIME LIMIT" "$d/wall.out" || fail "the walltime job was not ended by its time limit"
py incomplete "$wdir/results.h5" 100 || fail "the walltime job's incomplete file"
[ -e "$wdir/results.h5.journal" ] || fail "the walltime job left no journal"
cp "$wdir/results.h5" "$d/wall_incomplete.h5" 2>/dev/null

# 5. matrix-sharded over 2 nodes x 2 ranks: srun --mpi=pmix, then mpirun
for launcher in srun mpirun; do
    LB_LAUNCHER=$launcher LB_SUITE=$tiny LB_RUN_ARGS=$quick sub "matrix_$launcher" 60 \
        --nodes=2 --ntasks-per-node=2 --cpus-per-task=1 "$src/jobs/matrix.sbatch"
    [ "$rc" = 0 ] || fail "matrix ($launcher) exited $rc"
    py matrix "$(rundir "matrix_$launcher")/results.h5" 8 2 2 || fail "matrix ($launcher)'s results"
done

# 6. the walltime job resubmitted into its run directory: resumes, completes
LB_RUN_DIR=$wdir LB_SUITE=$here/long.toml LB_RUN_ARGS=$long_opts LB_THREADS=1 sub resume 90 \
    "$src/jobs/single_node.sbatch"
[ "$rc" = 0 ] || fail "the resumed run exited $rc"
grep -q "resuming from" "$d/resume.out" || fail "the resubmitted job did not resume"
py resumed "$d/wall_incomplete.h5" "$wdir/results.h5" 100 || fail "the resumed file"
[ ! -e "$wdir/results.h5.journal" ] || fail "the journal is still there after the complete run"

# 7. a matrix run over 2 nodes cancelled mid-suite (scancel: SIGTERM, as at the
#    walltime), resubmitted into its run directory: resumes from every rank's journal
t=$(date +%s.%N)
mopts="--warm-up-time 0.05 --measurement-time 0.3 --sample-size 10 --resamples 1000"
mfilter='^noop/([1-3]?[0-9]|40)$'
mjid=$(LB_SUITE=$here/long.toml LB_FILTER=$mfilter LB_RUN_ARGS=$mopts sbatch --parsable --output="$d/mcancel.out" \
    --nodes=2 --ntasks-per-node=1 "$src/jobs/matrix.sbatch")
mjid=${mjid%%;*}
for _ in $(seq 300); do
    mdir=$(rundir mcancel 2>/dev/null)
    # both measuring ranks have journaled a few rows
    if [ -n "$mdir" ] && [ -s "$mdir/results.h5.journal.1" ] && [ -s "$mdir/results.h5.journal" ]; then break; fi
    sleep 0.1
done
sleep 2
scancel "$mjid"
while squeue -h -j "$mjid" 2>/dev/null | grep -q .; do sleep 0.5; done
echo "job mcancel ($mjid): cancelled after $(since "$t") s"
grep -q "incomplete: stopped by signal 15" "$d/mcancel.out" || fail "the cancelled matrix job does not report its incomplete results"
py incomplete "$mdir/results.h5" 40 || fail "the cancelled matrix job's incomplete file"
cp "$mdir/results.h5" "$d/matrix_incomplete.h5" 2>/dev/null
LB_RUN_DIR=$mdir LB_SUITE=$here/long.toml LB_FILTER=$mfilter LB_RUN_ARGS=$mopts sub mresume 90 --nodes=2 --ntasks-per-node=1 \
    "$src/jobs/matrix.sbatch"
[ "$rc" = 0 ] || fail "the resumed matrix run exited $rc"
grep -q "resuming from" "$d/mresume.out" || fail "the resubmitted matrix job did not resume"
py resumed "$d/matrix_incomplete.h5" "$mdir/results.h5" 40 || fail "the resumed matrix file"

echo "total: $(since "$t_start") s"
if [ "$fails" != 0 ]; then
    for f in "$d"/*.out; do
        echo "---- $f"
        tail -n 30 "$f"
    done
    echo "$fails check(s) failed"
    exit 1
fi
echo "all Slurm job checks passed"
