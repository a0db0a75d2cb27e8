#!/usr/bin/env bash
# The scaling study (docs/CLUSTER.md): strong and weak scaling of data-sharded
# kNN and attention, the merge alone as the rank count grows, and the
# matrix-sharded critical_path suite against one rank. One thread per rank.
#
#   scripts/scaling.sh [OUTDIR]            (default: scaling/)
#
# Environment: LB_SCALING_RANKS ("1 2": strong/weak rank counts),
# LB_MERGE_RANKS ("1 2 4 8": the merge, oversubscribed past the cores),
# LB_SCALING_OPTS (measurement options, default "--warm-up-time 1
# --measurement-time 3"), MPIEXEC (mpirun), LATENTBENCH (the binary).
# Writes one results file per run (parallel_efficiency in each row against
# the one-rank run) and OUTDIR/summary.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
lb_find_binary scaling.sh
out=${1:-scaling}
mkdir -p "$out"
MPIEXEC=${MPIEXEC:-mpirun}
read -r -a ranks <<<"${LB_SCALING_RANKS:-1 2}"
read -r -a merge_ranks <<<"${LB_MERGE_RANKS:-1 2 4 8}"
read -r -a opts <<<"${LB_SCALING_OPTS:---warm-up-time 1 --measurement-time 3}"
cores=$(nproc)
export OMP_NUM_THREADS=1
mpi() { "$MPIEXEC" --allow-run-as-root --oversubscribe "$@"; }
bind() { if [ "$1" -le "$cores" ]; then echo "--bind-to core"; else echo "--bind-to none"; fi; }

for kind in strong weak; do
    for p in "${ranks[@]}"; do
        extra=()
        [ "$kind" = weak ] && extra+=(--workload-scale "$p")
        if [ "$p" != "${ranks[0]}" ]; then
            extra+=(--scaling-reference "$out/${kind}_p${ranks[0]}.h5")
            [ "$kind" = weak ] && extra+=(--weak-scaling)
        fi
        echo "== $kind scaling, $p rank(s)" >&2
        # shellcheck disable=SC2046  # bind's words are options
        mpi -np "$p" $(bind "$p") "$LB" run "${opts[@]}" --quiet --suite scaling --filter "^${kind}_" --shard data \
            "${extra[@]}" -o "$out/${kind}_p$p.h5" >/dev/null
    done
done

for p in "${merge_ranks[@]}"; do
    echo "== merge alone, $p rank(s)" >&2
    # shellcheck disable=SC2046
    mpi -np "$p" $(bind "$p") "$LB" run "${opts[@]}" --quiet --suite scaling --filter '^merge/' --shard data \
        -o "$out/merge_p$p.h5" >/dev/null
done

# matrix sharding: the critical_path suite on one rank, then on two measuring together
wall() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N); awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
echo "== critical_path, 1 rank" >&2
w1=$(wall mpi -np 1 "$LB" run --quick --quiet --suite critical_path -o "$out/matrix_p1.h5")
echo "== critical_path, 2 ranks, --node-concurrency 2" >&2
# shellcheck disable=SC2046
w2=$(wall mpi -np 2 $(bind 2) "$LB" run --quick --quiet --suite critical_path --node-concurrency 2 -o "$out/matrix_p2.h5")

# the machine's memory bandwidth with 1 and 2 threads, in this run: the bound
# of the bandwidth-bound kNN scans whatever the ranks do
kb=$(dirname "$LB")/latent_kernel_bench
bw="not measured (latent_kernel_bench not found)"
if [ -x "$kb" ]; then bw=$(OMP_NUM_THREADS=2 "$kb" bandwidth | grep triad | tr -s ' ' | paste -sd ';'); fi

/usr/bin/python3 - "$out" "$w1" "$w2" "${ranks[*]}" "${merge_ranks[*]}" "$bw" <<'PYEOF' | tee "$out/summary.md"
import sys, math, h5py
out, w1, w2 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
ranks, mranks = sys.argv[4].split(), sys.argv[5].split()
def rows(path):
    with h5py.File(path, "r") as f:
        return f["benchmarks"][:], dict(f.attrs)
print("# Scaling study\n")
print(f"Memory bandwidth in this run (STREAM triad): {sys.argv[6]}\n")
for kind in ("strong", "weak"):
    print(f"## {kind} scaling (data sharding, 1 thread per rank)\n")
    print("| benchmark | ranks | median | slowest / fastest rank | communication | efficiency |")
    print("|---|---|---|---|---|---|")
    for p in ranks:
        b, _ = rows(f"{out}/{kind}_p{p}.h5")
        for r in b:
            eff = r["parallel_efficiency"] if p != ranks[0] else 1.0
            print(f"| {r['id'].decode()} | {p} | {r['median_ns']/1e6:.3f} ms | "
                  f"{r['rank_max_ns']/max(r['rank_min_ns'],1):.2f} | {100*r['comm_fraction']:.1f}% | {100*eff:.1f}% |")
    print()
print("## The merge alone (MPI_Reduce with the top-k operation, lists of 100)\n")
print("| ranks | 1 list | 256 lists | 256 lists / log2(P) |")
print("|---|---|---|---|")
for p in mranks:
    b, _ = rows(f"{out}/merge_p{p}.h5")
    one, many = b[0]["median_ns"] / 1e3, b[1]["median_ns"] / 1e3
    lg = math.log2(int(p))
    print(f"| {p} | {one:.2f} µs | {many:.1f} µs | {many/lg:.1f} µs |" if lg else f"| {p} | {one:.2f} µs | {many:.1f} µs | - |")
_, a2 = rows(f"{out}/matrix_p2.h5")
print("\n## Matrix sharding: critical_path --quick\n")
print(f"1 rank: {w1:.1f} s; 2 ranks (--node-concurrency 2): {w2:.1f} s = {w2/w1:.2f}x "
      f"(measuring phase {a2['makespan_s']:.1f} s; schedule predicted {a2['predicted_makespan_s']:.1f} s, "
      f"ideal {a2['ideal_makespan_s']:.1f} s)")
PYEOF
