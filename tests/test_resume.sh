#!/usr/bin/env bash
# The journal and run --resume (docs/RESULTS.md, "Journal"): a run killed with
# SIGKILL or stopped by SIGTERM, then resumed, gives a complete file with the
# ids of an uninterrupted run whose rows measured before the kill are the
# journaled ones, sample for sample; a torn journal tail resumes; other
# arguments, a garbage journal and a damaged one are refused; a journal left
# there blocks a plain run; alone and under mpirun (shard data and matrix).
# env: LATENTBENCH (binary), MPIEXEC (optional), LB_SOURCE_DIR
set -u
set -m # background jobs keep SIGINT/SIGTERM (see test_interrupt.sh)
LB=${LATENTBENCH:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
# shellcheck source=tests/cli_lib.sh
. "${LB_SOURCE_DIR:?}/tests/cli_lib.sh"

# 12 short cases (about 0.25 s each): a kill once 2 or 3 rows are journaled lands mid-run
cat >s.toml <<'EOF'
[[group]]
name = "knn"
op = "knn"
id = "knn/{dimension}/{k}"
[group.params]
dimension = [32, 48, 64, 80]
k = [1, 2, 3]
dataset_size = 2000
metric = "Euclidean"
EOF
loud=(--suite ./s.toml --warm-up-time 0.05 --measurement-time 0.15 --sample-size 10 --resamples 1000)
opts=("${loud[@]}" --quiet)

cat >check.py <<'EOF'
# ids FILE: "complete ids..."; journal J OUT: the journaled rows' samples (json);
# same FILE JSON: those rows' samples in FILE, bit for bit
import h5py, json, struct, sys
def samples(f):
    out = {}
    rows = f["benchmarks"]
    for i in range(len(rows)):
        rid = rows[i]["id"]
        rid = rid.decode() if isinstance(rid, bytes) else str(rid)
        out[rid] = [[int(s[0]), float(s[1]).hex(), int(s[2])] for s in f["samples"][str(i)][()]]
    return out
cmd = sys.argv[1]
if cmd == "ids":
    with h5py.File(sys.argv[2], "r") as f:
        ids = [r.decode() if isinstance(r, bytes) else str(r) for r in f["benchmarks"]["id"]]
        print(int(f.attrs["complete"]), " ".join(ids))
elif cmd in ("journal", "count"):
    d = open(sys.argv[2], "rb").read()
    assert d[:8] == b"LBJOURNL", "magic"
    v, hl, crc = struct.unpack_from("<III", d, 8)
    head = d[20:20 + hl].decode()
    rsize = int(head.split("records of ")[1].split(" ")[0])
    at, rows = 20 + hl, {}
    while at + 8 <= len(d):
        n, crc = struct.unpack_from("<II", d, at)
        if at + 8 + n > len(d): break
        p, q = d[at + 8:at + 8 + n], 0
        while q < n:
            index, ns, primary = struct.unpack_from("<QQq", p, q)
            rid = p[q + 24:q + 24 + 128].split(b"\0")[0].decode()
            ss = [list(struct.unpack_from("<QdQ", p, q + rsize + 24 * k)) for k in range(ns)]
            if primary: rows[rid] = [[a, b.hex(), c] for a, b, c in ss]
            q += rsize + 24 * ns
        at += 8 + n
    if cmd == "journal": json.dump(rows, open(sys.argv[3], "w"))
    print(len(rows))
elif cmd == "same":
    want = json.load(open(sys.argv[3]))
    with h5py.File(sys.argv[2], "r") as f:
        got = samples(f)
    bad = [i for i in want if got.get(i) != want[i]]
    print("ok" if not bad else "differ: " + " ".join(bad))
EOF
py() { /usr/bin/python3 check.py "$@"; }

# start "$@" in the background, send SIG to pid or pattern once JOURNAL holds ROWS rows (whatever
# the machine's load); sets rc and ms (signal to exit)
signal_at() {
    local sig=$1 rows=$2 journal=$3 target=$4 t
    shift 4
    "$@" >out.txt 2>err.txt &
    local pid=$!
    for ((t = 0; t < 1200; t++)); do
        [ "$(py count "$journal" 2>/dev/null || echo 0)" -ge "$rows" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    local t0
    t0=$(date +%s%N)
    if [ "$target" = self ]; then kill -s "$sig" "$pid"; else pkill "-$sig" -f "$target"; fi
    wait "$pid"
    rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
}

# time one command; sets rc and ms
timed() {
    local t0
    t0=$(date +%s%N)
    "$@" >out.txt 2>err.txt
    rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
}

timed "$LB" run "${opts[@]}" -o ref.h5
ref_ms=$ms
read -r _ ref_ids < <(py ids ref.h5)
if [ "$rc" -ne 0 ] || [ -e ref.h5.journal ]; then bad "uninterrupted run: exit $rc, journal left: $(ls)"
else ok "uninterrupted run: exit 0 in $ref_ms ms, no journal left"; fi

# resumed FILE NAME JSON: FILE complete, the reference's ids, the journaled rows kept, no journal left
resumed() {
    local file=$1 name=$2 json=$3 complete ids same
    read -r complete ids < <(py ids "$file")
    same=$(py same "$file" "$json")
    if [ "$rc" -ne 0 ]; then bad "$name: resume exit $rc ($(tail -2 err.txt))"
    elif [ "$complete" != 1 ] || [ "$ids" != "$ref_ids" ]; then bad "$name: complete=$complete ids '$ids'"
    elif [ "$same" != ok ]; then bad "$name: journaled rows $same"
    elif ls "$file".journal* >/dev/null 2>&1; then bad "$name: journal left after the resume"
    else ok "$name: complete, the reference's ids, $(cat "$json.n") journaled rows kept bit for bit ($ms ms)"; fi
}

# SIGKILL mid-run, then --resume
signal_at KILL 3 kill.h5.journal self "$LB" run "${opts[@]}" -o kill.h5
n=$(py journal kill.h5.journal kill.json) && echo "$n" >kill.json.n
if [ ! -e kill.h5.journal ] || [ "${n:-0}" -lt 1 ] || [ "$n" -ge 12 ]; then bad "SIGKILL: journal with ${n:-?} rows"
else ok "SIGKILL: the journal holds $n of 12 rows"; fi
expect "journal there, no --resume" 64 "kill.h5.journal: the journal of an interrupted run is there: pass --resume" \
    -- "$LB" run "${opts[@]}" -o kill.h5
sum=$(cksum <kill.h5.journal)
expect "--resume, other arguments" 64 "kill.h5.journal: --seed differs: the journal's run has '42', this one '7'" \
    -- "$LB" run "${opts[@]}" --seed 7 -o kill.h5 --resume
expect "--resume, other workload scale" 64 "kill.h5.journal: --workload-scale differs: the journal's run has '1', this one '0.5'" \
    -- "$LB" run "${opts[@]}" --workload-scale 0.5 -o kill.h5 --resume
cp s.toml s.orig && sed -i 's/dataset_size = 2000/dataset_size = 2001/' s.toml
expect "--resume, a suite file edited" 64 "kill.h5.journal: the benchmarks differ \(a suite file changed\)" \
    -- "$LB" run "${opts[@]}" -o kill.h5 --resume
mv s.orig s.toml
[ "$(cksum <kill.h5.journal)" = "$sum" ] || bad "a refused resume changed the journal"
timed "$LB" run "${loud[@]}" -o kill.h5 --resume
resumed kill.h5 "SIGKILL, --resume" kill.json
grep -q "resuming from kill.h5.journal: $n of 12 benchmarks already measured" err.txt ||
    bad "SIGKILL, --resume: no resuming line: $(head -2 err.txt)"
resume_ms=$ms

# SIGTERM: the rows so far written, marked incomplete, the journal kept; then --resume
signal_at TERM 3 term.h5.journal self "$LB" run "${opts[@]}" -o term.h5
term_ms=$ms
n=$(py journal term.h5.journal term.json) && echo "$n" >term.json.n
read -r complete ids < <(py ids term.h5)
if [ "$rc" -ne 143 ] || [ "$complete" != 0 ] || [ ! -e term.h5.journal ]; then
    bad "SIGTERM: exit $rc, complete=$complete, journal: $(ls term.h5.journal* 2>&1)"
elif [ "$(py same term.h5 term.json)" != ok ] || [ "$(wc -w <<<"$ids")" -ne "$n" ]; then
    bad "SIGTERM: the incomplete file's rows are not the journal's ($n)"
else ok "SIGTERM: exit 143 in $term_ms ms, $n rows written and journaled"; fi
timed "$LB" run "${opts[@]}" -o term.h5 --resume
resumed term.h5 "SIGTERM, --resume" term.json

# a torn tail: the last record cut short (a kill mid-write)
signal_at KILL 3 torn.h5.journal self "$LB" run "${opts[@]}" -o torn.h5
size=$(stat -c %s torn.h5.journal)
truncate -s $((size - 5)) torn.h5.journal
n=$(py journal torn.h5.journal torn.json) && echo "$n" >torn.json.n
timed "$LB" run "${opts[@]}" -o torn.h5 --resume
resumed torn.h5 "torn journal tail, --resume" torn.json

# damage: garbage, a record damaged before the end, no journal at all
signal_at KILL 3 dmg.h5.journal self "$LB" run "${opts[@]}" -o dmg.h5
head=$(( $(od -An -tu4 -j12 -N4 dmg.h5.journal) + 20 ))
printf '\377' | dd of=dmg.h5.journal bs=1 seek=$((head + 40)) conv=notrunc 2>/dev/null
expect "damaged record" 65 "dmg.h5.journal:$head: a damaged record \(checksum\)" -- "$LB" run "${opts[@]}" -o dmg.h5 --resume
echo "not a journal" >junk.h5.journal
expect "garbage journal" 65 "junk.h5.journal: not a latentbench journal" -- "$LB" run "${opts[@]}" -o junk.h5 --resume
expect "--resume, no journal" 66 "none.h5.journal: no journal to resume" -- "$LB" run "${opts[@]}" -o none.h5 --resume
ls none.h5 junk.h5 >/dev/null 2>&1 && bad "a refused resume wrote a results file"

if [ -n "${MPIEXEC:-}" ] && [ -x "${MPIEXEC}" ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    mpi=("$MPIEXEC" --oversubscribe -np 2)
    for shard in data matrix; do
        # SIGKILL to both ranks (a node lost, or KillWait over), then --resume under mpirun
        signal_at KILL 2 "m$shard.h5.journal" "^$LB run --suite ./s.toml" "${mpi[@]}" "$LB" run "${opts[@]}" --shard "$shard" -o "m$shard.h5"
        n=0
        for j in "m$shard".h5.journal*; do
            k=$(py journal "$j" "${j//./_}.json") && n=$((n + k))
        done
        /usr/bin/python3 -c 'import json,sys; d={}; [d.update(json.load(open(f))) for f in sys.argv[2:]]; json.dump(d, open(sys.argv[1], "w"))' \
            "m$shard.json" "m${shard}_h5_journal"*.json
        echo "$n" >"m$shard.json.n"
        if [ "$n" -lt 1 ]; then bad "mpirun --shard $shard, SIGKILL: nothing journaled"; fi
        timed "${mpi[@]}" "$LB" run "${opts[@]}" --shard "$shard" -o "m$shard.h5" --resume
        resumed "m$shard.h5" "mpirun -np 2 --shard $shard, SIGKILL, --resume" "m$shard.json"
    done
    # Slurm at the walltime: SIGTERM to every rank; the rows so far written, the journals kept
    signal_at TERM 2 mterm.h5.journal "^$LB run --suite ./s.toml" "${mpi[@]}" "$LB" run "${opts[@]}" --shard matrix -o mterm.h5
    term_mpi_ms=$ms
    read -r complete ids < <(py ids mterm.h5)
    py journal mterm.h5.journal mterm.json >mterm.json.n
    if [ "$complete" != 0 ] || [ ! -e mterm.h5.journal ]; then
        bad "mpirun --shard matrix, SIGTERM: complete=$complete, journals: $(ls mterm.h5.journal* 2>&1)"
    else ok "mpirun --shard matrix, SIGTERM: exit $rc in $term_mpi_ms ms, $(wc -w <<<"$ids") rows written, journals kept"; fi
    timed "${mpi[@]}" "$LB" run "${opts[@]}" --shard matrix -o mterm.h5 --resume
    resumed mterm.h5 "mpirun -np 2 --shard matrix, SIGTERM, --resume" mterm.json
fi

echo "uninterrupted run $ref_ms ms; SIGKILL + --resume: the resume took $resume_ms ms; SIGTERM to exit $term_ms ms"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
