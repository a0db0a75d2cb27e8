# A private Slurm cluster on this machine for the job scripts' test (sourced;
# tests/slurm/test_slurm.sh): munged, slurmctld and two virtual nodes n1 and n2
# (two slurmd on one host), everything under one directory, on free ports.
# Nothing system-wide is read or written: munged gets its own key and socket,
# the Slurm commands find the cluster through SLURM_CONF.
# shellcheck shell=bash

# lb_slurm_up DIR: writes DIR/slurm.conf and starts the daemons. Sets and exports
# SLURM_CONF. Returns non-zero (with the daemons' logs on stderr) when the nodes
# are not idle within 20 s. Run lb_slurm_down DIR afterwards in every case.
lb_slurm_up() {
    local d=$1 host ports pc p1 p2 n
    host=$(hostname)
    chmod 755 "$d"
    mkdir -p "$d/munge" "$d/msock" "$d/ctld" "$d/spool/n1" "$d/spool/n2" "$d/spool/tmp-n1" "$d/spool/tmp-n2"
    # munged refuses a key others can read and a socket directory others cannot enter
    head -c 1024 /dev/urandom >"$d/munge/munge.key"
    chmod 700 "$d/munge"
    chmod 400 "$d/munge/munge.key"
    chown -R munge:munge "$d/munge" "$d/msock"
    chmod 755 "$d/msock"
    runuser -u munge -- munged --key-file="$d/munge/munge.key" --socket="$d/msock/munge.socket" \
        --pid-file="$d/msock/munged.pid" --log-file="$d/munge/munged.log" --seed-file="$d/munge/seed" || return 1

    ports=$(/usr/bin/python3 -c '
import socket
s = [socket.socket() for _ in range(3)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))')
    read -r pc p1 p2 <<<"$ports"

    # Two virtual nodes share one host: Open MPI's shared-memory transport
    # would have both nodes' local rank 0 create the same segment
    # (/dev/shm/vader_segment.HOST.JOB.0) and crash each other, and a
    # per-node directory does not reach ranks that mpirun starts (they get
    # mpirun's environment). So the ranks talk over TCP on loopback (which Open
    # MPI leaves out by default), and each node's tasks get their own TMPDIR.
    # A TaskProlog sets this for every task: the job scripts stay as a user
    # submits them.
    cat >"$d/task_prolog.sh" <<PROLOG
#!/bin/sh
echo "export TMPDIR=$d/spool/tmp-\$SLURMD_NODENAME"
echo "export OMPI_MCA_btl=self,tcp"
echo "export OMPI_MCA_btl_tcp_if_include=lo"
echo "export OMPI_MCA_oob_tcp_if_include=lo"
PROLOG
    chmod 755 "$d/task_prolog.sh"
    : >"$d/plugstack.conf"
    cat >"$d/slurm.conf" <<CONF
# written by tests/slurm/cluster.sh
ClusterName=lbtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$pc
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/msock/munge.socket
StateSaveLocation=$d/ctld
SlurmctldPidFile=$d/ctld/slurmctld.pid
SlurmctldLogFile=$d/ctld/slurmctld.log
SlurmdSpoolDir=$d/spool/%n
SlurmdPidFile=$d/spool/slurmd-%n.pid
SlurmdLogFile=$d/spool/slurmd-%n.log
TmpFS=$d/spool/tmp-%n
PlugStackConfig=$d/plugstack.conf
TaskProlog=$d/task_prolog.sh
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=pmix
MinJobAge=5
KillWait=5
SchedulerParameters=sched_interval=1,bf_interval=1
DependencyParameters=kill_invalid_depend
SlurmdParameters=config_overrides
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=n1 NodeHostname=$host NodeAddr=127.0.0.1 Port=$p1 CPUs=4 RealMemory=1000 State=UNKNOWN
NodeName=n2 NodeHostname=$host NodeAddr=127.0.0.1 Port=$p2 CPUs=4 RealMemory=1000 State=UNKNOWN
PartitionName=lb Nodes=n[1-2] Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF=$d/slurm.conf
    slurmctld -i -c -f "$SLURM_CONF" || return 1
    for n in n1 n2; do slurmd -f "$SLURM_CONF" -N "$n" || return 1; done
    for _ in $(seq 100); do
        if [ "$(sinfo -h -o '%T' 2>/dev/null)" = idle ]; then return 0; fi
        sleep 0.2
    done
    echo "slurm: the nodes are not idle after 20 s:" >&2
    sinfo >&2 || true
    tail -n 20 "$d/ctld/slurmctld.log" "$d"/spool/slurmd-n*.log >&2 || true
    return 1
}

# lb_slurm_down DIR: cancels the cluster's jobs, then stops the daemons this
# cluster started, by the pids in their pid files, and the job steps its slurmd
# left behind (TERM, then KILL after 5 s).
lb_slurm_down() {
    local d=$1 f pid pids=()
    if [ -e "$d/slurm.conf" ] && [ -e "$d/ctld/slurmctld.pid" ]; then
        SLURM_CONF=$d/slurm.conf timeout 5 scancel --full --quiet --user="$(id -un)" 2>/dev/null || true
    fi
    for f in "$d"/spool/slurmd-n1.pid "$d"/spool/slurmd-n2.pid "$d/ctld/slurmctld.pid" "$d/msock/munged.pid"; do
        [ -s "$f" ] || continue
        pid=$(cat "$f")
        case $pid in '' | *[!0-9]*) continue ;; esac
        pids+=("$pid")
    done
    # job steps left running (slurmstepd detaches from its slurmd): ours are
    # the ones with a file of this cluster's directory open (the node's log)
    for f in /proc/[0-9]*/comm; do
        [ "$(cat "$f" 2>/dev/null)" = slurmstepd ] || continue
        pid=${f#/proc/}
        pid=${pid%/comm}
        if find "/proc/$pid/fd" -lname "$d/*" -print -quit 2>/dev/null | grep -q .; then pids+=("$pid"); fi
    done
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 50); do
        local alive=0
        for pid in "${pids[@]}"; do if kill -0 "$pid" 2>/dev/null; then alive=1; fi; done
        [ "$alive" = 1 ] || return 0
        sleep 0.1
    done
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}
