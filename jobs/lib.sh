# Shared by the Slurm job scripts of jobs/ (sourced, not run; jobs/README.md).
# shellcheck shell=bash
# shellcheck disable=SC2034  # LB, LB_COMMIT, LB_RUN_DIR are the callers' variables
#
# sbatch runs a copy of the script from slurmd's spool directory, so the
# scripts find this file, the suites and the build through LB_ROOT: the
# checkout they were submitted from (SLURM_SUBMIT_DIR), unless set.

# Loads the site's modules (LB_MODULES, space-separated) when `module` exists.
lb_job_modules() {
    [ -n "${LB_MODULES:-}" ] || return 0
    if ! command -v module >/dev/null 2>&1 && [ -r /etc/profile.d/modules.sh ]; then
        # shellcheck disable=SC1091
        . /etc/profile.d/modules.sh
    fi
    local m
    for m in $LB_MODULES; do module load "$m"; done
}

# Sets LB (the binary: LB_BIN, else latentbench on PATH, else LB_ROOT's
# build/release or build), LB_COMMIT (LB_ROOT's commit, "-dirty" when it has
# changes, "nogit" outside git) and LB_RUN_DIR (LB_RUN_DIR if set, else
# LB_RUNS/NAME-JOBID-COMMIT; LB_RUNS defaults to LB_ROOT/runs), creates the
# directory and records the job in it (job.txt). Exits 66 without a binary.
lb_job_setup() {
    local name=$1 job
    lb_job_modules
    if [ -n "${LB_BIN:-}" ]; then
        LB=$LB_BIN
    elif command -v latentbench >/dev/null 2>&1; then
        LB=$(command -v latentbench)
    elif [ -x "$LB_ROOT/build/release/latentbench" ]; then
        LB=$LB_ROOT/build/release/latentbench
    elif [ -x "$LB_ROOT/build/latentbench" ]; then
        LB=$LB_ROOT/build/latentbench
    else
        echo "$name: no latentbench binary: set LB_BIN (or submit from a checkout with build/release)" >&2
        exit 66
    fi
    LB_COMMIT=${LB_COMMIT:-$(git -C "$LB_ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo nogit)}
    if [ "$LB_COMMIT" != nogit ] && [ -n "$(git -C "$LB_ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
        LB_COMMIT=$LB_COMMIT-dirty
    fi
    # an array's tasks share the directory of the array's job id
    job=${SLURM_ARRAY_JOB_ID:-${SLURM_JOB_ID:-local$$}}
    LB_RUN_DIR=${LB_RUN_DIR:-${LB_RUNS:-$LB_ROOT/runs}/$name-$job-$LB_COMMIT}
    mkdir -p "$LB_RUN_DIR"
    {
        echo "job=${SLURM_JOB_ID:-} array_job=${SLURM_ARRAY_JOB_ID:-} array_task=${SLURM_ARRAY_TASK_ID:-}"
        echo "nodes=${SLURM_JOB_NODELIST:-} ntasks=${SLURM_NTASKS:-} cpus_per_task=${SLURM_CPUS_PER_TASK:-}"
        echo "commit=$LB_COMMIT binary=$LB"
        echo "started=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    } >>"$LB_RUN_DIR/job.txt"
    echo "$name: run directory $LB_RUN_DIR"
}

# Prints --resume when the journal of results file $1 is there: a run of the
# same output was stopped (walltime, scancel, a node failure) and this one
# measures only what is missing. `run` refuses --resume with other arguments.
lb_resume_args() {
    if lb_has_journal "$1"; then
        echo "--resume"
    fi
}

# Whether results file $1 has a journal: FILE.journal, rank 0's (under matrix
# sharding the other ranks' FILE.journal.RANK beside it, which rank 0 reads).
lb_has_journal() {
    [ -e "$1.journal" ]
}

# Runs "$@" in the background and waits for it, so that the script survives
# the SIGTERM Slurm sends at the walltime (or on scancel) to every process of
# the job: the ranks stop, write what they measured, and the script still
# reports where it is. Returns the command's status.
lb_job_step() {
    local pid rc
    lb_signalled=0
    trap 'lb_signalled=1; echo "latentbench job: SIGTERM: waiting for the ranks to write what they measured" >&2' TERM
    "$@" &
    pid=$!
    while :; do
        lb_signalled=0
        rc=0
        wait "$pid" || rc=$?
        # a trapped signal ends `wait` early; waiting again returns the
        # command's own status once it has ended
        [ "$lb_signalled" = 1 ] || break
    done
    trap - TERM
    return "$rc"
}

# Prints where the results of output $1 are after status $2, and what to do next.
lb_job_report() {
    local out=$1 rc=$2 name=$3
    if [ "$rc" -eq 0 ] || { [ "$rc" -le 2 ] && [ -e "$out" ]; }; then
        echo "$name: results $out"
    elif [ "$rc" -ge 128 ] && [ -e "$out" ]; then
        echo "$name: results $out (incomplete: stopped by signal $((rc - 128)))"
        if lb_has_journal "$out"; then
            echo "$name: to measure the rest, submit again with LB_RUN_DIR=$LB_RUN_DIR (the run resumes from its journal)"
        fi
    elif lb_has_journal "$out"; then
        echo "$name: no results file (status $rc), but a journal: submit again with LB_RUN_DIR=$LB_RUN_DIR to resume"
    else
        echo "$name: failed with status $rc; see the job's output"
    fi
    echo "finished=$(date -u +%Y-%m-%dT%H:%M:%SZ) status=$rc" >>"$LB_RUN_DIR/job.txt"
}
