#!/usr/bin/env bash
# Distributed runs end to end under mpirun with 1, 2 and 3 ranks: the shard
# modes' files, verify over sharded data, and rank failures that end the job
# within seconds with the completed rows written. Needs LATENTBENCH, MPIEXEC
# LB_SLOW0 (a test build of liblatent that fails on request) and
# /usr/bin/python3 with h5py and numpy.
set -u
LB=${LATENTBENCH:?set LATENTBENCH to the latentbench binary}
MPIEXEC=${MPIEXEC:-mpirun}
LB_SLOW0=${LB_SLOW0:?set LB_SLOW0 to the test build of liblatent (liblatent_slow0.so)}
PY=/usr/bin/python3
LB_TESTS=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
# shellcheck source=tests/cli_lib.sh
. "$LB_TESTS/cli_lib.sh"
export OMP_NUM_THREADS=1
mpi() { "$MPIEXEC" --allow-run-as-root --oversubscribe "$@"; }
quick=(--warm-up-time 0.02 --measurement-time 0.05 --sample-size 5 --resamples 1000 --quiet)
# every operation, metric and attention type once, small
filter='^(latent_space_creation|add_embedding|batch_add_embeddings|knn_search/dim_128/10$|parallel_knn_search/8$|distance_comparison/(Cosine|Hyperbolic)|attention_computation)'

"$LB" list --suite ci --filter "$filter" >ids.txt

for np in 1 2 3; do
    # matrix: every case exactly once over the measuring ranks, in list order
    mpi -np $np "$LB" run "${quick[@]}" --suite ci --filter "$filter" --node-concurrency $np -o m$np.h5 >m_out.txt 2>m_err.txt
    st=$?
    if [ $st -eq 0 ] && $PY - m$np.h5 ids.txt $np <<'PYEOF'; then ok "np $np matrix: every row once, in order, measured by its rank"; else bad "np $np matrix: exit $st $(tail -3 m_err.txt)"; fi
import sys, h5py
f = h5py.File(sys.argv[1], "r"); np_ = int(sys.argv[3])
ids = open(sys.argv[2]).read().split("\n")[:-1]
b = f["benchmarks"][:]
assert [x.decode() for x in b["id"]] == ids
assert int(f.attrs["complete"]) == 1 and int(f.attrs["mpi_ranks"]) == np_
want = "matrix" if np_ > 1 else "none"
s = f.attrs["shard"]; s = s.decode() if isinstance(s, bytes) else s
assert s == want, s
if np_ > 1:
    assert set(b["measured_rank"].tolist()) == set(range(np_)), b["measured_rank"]
assert (b["samples"] >= 5).all() and (b["median_ns"] > 0).all()
r = f["ranks"][:]
assert sorted(r["rank"].tolist()) == list(range(np_)) and (r["rss_peak_bytes"] > 0).all()
if np_ > 1:  # each rank's liblatent peak over the run is that of the largest case it measured
    for x in r:
        mine = [row["peak_bytes"] for row in b if row["measured_rank"] == x["rank"]]
        assert x["peak_bytes"] == max(mine), (x, mine)
PYEOF

    # data: every case over all ranks at once; the row's time is the slowest rank's
    mpi -np $np "$LB" run "${quick[@]}" --shard data --suite ci --filter "$filter" -o d$np.h5 >d_out.txt 2>d_err.txt
    st=$?
    if [ $st -eq 0 ] && $PY - d$np.h5 ids.txt $np <<'PYEOF'; then ok "np $np data: rows over all ranks, min <= mean <= max, communication share"; else bad "np $np data: exit $st $(tail -3 d_err.txt)"; fi
import sys, h5py, math
f = h5py.File(sys.argv[1], "r"); np_ = int(sys.argv[3])
ids = open(sys.argv[2]).read().split("\n")[:-1]
b = f["benchmarks"][:]
assert [x.decode() for x in b["id"]] == ids
assert (b["ranks"] == np_).all() and (b["measured_rank"] == -1).all()
assert (b["rank_min_ns"] <= b["rank_mean_ns"] * (1 + 1e-9)).all()
assert (b["rank_mean_ns"] <= b["rank_max_ns"] * (1 + 1e-9)).all()
assert (b["peak_bytes_sum"] >= b["peak_bytes"]).all()
assert (b["comm_fraction"] >= 0).all() and (b["comm_fraction"] < 1).all()
knn = [i for i, x in enumerate(b["id"]) if x.startswith(b"knn_search")]
if np_ > 1:
    assert all(b["comm_fraction"][i] > 0 for i in knn), b["comm_fraction"]
PYEOF

    # verify over sharded train rows gives the exact answer
    if [ $np -eq 1 ]; then
        $PY - <<'PYEOF'
import h5py, numpy as np
rng = np.random.default_rng(11)
train = rng.uniform(-1, 1, (1001, 16)).astype(np.float32)
test = rng.uniform(-1, 1, (13, 16)).astype(np.float32)
d = np.sqrt(((test[:, None, :].astype(np.float64) - train[None, :, :]) ** 2).sum(-1))
nb = np.argsort(d, axis=1, kind="stable")[:, :100].astype(np.int32)
dist = np.take_along_axis(d, nb, 1).astype(np.float32)
for name, neigh in (("good.h5", nb), ("wrong.h5", (nb + 1) % 1001)):
    with h5py.File(name, "w") as f:
        f["train"], f["test"], f["neighbors"], f["distances"] = train, test, neigh, dist
        f.attrs["distance"] = "euclidean"
PYEOF
    fi
    mpi -np $np "$LB" verify --shard data --dataset good.h5 --k 10 >v_out.txt 2>v_err.txt
    st=$?
    if [ $st -eq 0 ] && grep -q 'recall@10 = 1.000000' v_out.txt && [ "$(grep -c recall v_out.txt)" -eq 1 ]; then
        ok "np $np verify --shard data: recall 1.0, printed once"
    else
        bad "np $np verify --shard data: exit $st $(cat v_out.txt v_err.txt | head -c 400)"
    fi
    expect "np $np verify --shard data, wrong ground truth" 1 "below 1.0" -- mpi -np $np "$LB" verify --shard data --dataset wrong.h5 --k 10
    expect "np $np verify --shard data, missing file" 66 "missing.h5" -- mpi -np $np "$LB" verify --shard data --dataset missing.h5
    mpi -np $np "$LB" run "${quick[@]}" --shard data --suite ci --filter '^knn_search/dim_128/10$' --dataset good.h5 -o dd$np.h5 >/dev/null 2>dd_err.txt
    st=$?
    if [ $st -eq 0 ] && $PY -c "import h5py; b = h5py.File('dd$np.h5')['benchmarks'][0]; assert b['dataset_size'] == 1001 and b['dimension'] == 16, b"; then
        ok "np $np data run on a dataset: every rank's slice, the whole shape recorded"
    else
        bad "np $np data run on a dataset: exit $st $(tail -3 dd_err.txt)"
    fi
done

# --shard none: every rank measures every case; the spread over ranks is kept
mpi -np 2 "$LB" run "${quick[@]}" --shard none --suite ci --filter '^knn_search/dim_128/10$' -o n2.h5 >/dev/null 2>n_err.txt
st=$?
if [ $st -eq 0 ] && $PY -c "
import h5py; f = h5py.File('n2.h5'); b = f['benchmarks'][:]
assert f.attrs['shard'] in (b'none', 'none') and (b['ranks'] == 2).all() and (b['measured_rank'] == -1).all()
assert (b['rank_min_ns'] <= b['rank_median_ns']).all() and (b['rank_median_ns'] <= b['rank_max_ns']).all()"; then
    ok "np 2 shard none: both ranks measured every row"
else
    bad "np 2 shard none: exit $st $(tail -3 n_err.txt)"
fi

expect "bad --shard" 64 "--shard" -- mpi -np 2 "$LB" run --shard rows
expect "--node-concurrency with data" 64 "node-concurrency" -- mpi -np 2 "$LB" run --shard data --node-concurrency 2
expect "bad --max-memory" 64 "max-memory" -- mpi -np 2 "$LB" run --max-memory 12Q

# A rank that runs out of memory on a case: the others must not hang, rank 0
# writes the rows completed before it, marked incomplete, and names the rank.
cat >grow.toml <<'EOF'
suite = "grow"
[[group]]
name = "grow"
op = "knn"
id = "grow/{dataset_size}"
[group.params]
dimension = 128
k = 10
dataset_size = [1000, 2000, 400000]
EOF
# a failure mid-run: the test build of liblatent refuses to add 150,000 rows
# or more on rank 1 (LB_SLOW_FAIL_ROWS), whose half of grow/400000 is 200,000
start=$(date +%s)
expect "data: rank 1 fails mid-run" 70 "rank 1 .*grow/400000" -- \
    mpi -np 1 "$LB" run "${quick[@]}" --lib "$LB_SLOW0" --shard data --suite ./grow.toml -o fail.h5 : \
        -np 1 -x LB_SLOW_FAIL_ROWS=150000 "$LB" run "${quick[@]}" --lib "$LB_SLOW0" --shard data --suite ./grow.toml -o fail.h5
took=$(($(date +%s) - start))
if [ "$took" -le 20 ]; then ok "data failure ends in ${took}s"; else bad "data failure took ${took}s"; fi
if $PY -c "
import h5py; f = h5py.File('fail.h5'); b = f['benchmarks'][:]
assert int(f.attrs['complete']) == 0, 'not marked incomplete'
fl = f.attrs['failure']; fl = fl.decode() if isinstance(fl, bytes) else fl
assert 'rank 1' in fl and 'grow/400000' in fl, fl
assert [x.decode() for x in b['id']] == ['grow/1000', 'grow/2000'], b['id']"; then
    ok "data failure: the completed rows written, marked incomplete, with the cause"
else
    bad "data failure: file content"
fi
if ls fail.h5.* >/dev/null 2>&1; then bad "temporary files left"; else ok "no temporary file left"; fi

# matrix: rank 0 fails on the case it measures first while rank 1 measures;
# rank 1 hears of it between samples and stops, no row is complete
echo keep >mfail.h5
start=$(date +%s)
expect "matrix: rank 0 fails mid-run" 70 "rank 0 .*grow/400000" -- \
    mpi -np 1 -x LB_SLOW_FAIL_ROWS=150000 "$LB" run --lib "$LB_SLOW0" --warm-up-time 0.5 --measurement-time 20 --quiet --suite ./grow.toml --node-concurrency 2 -o mfail.h5 : \
        -np 1 "$LB" run --lib "$LB_SLOW0" --warm-up-time 0.5 --measurement-time 20 --quiet --suite ./grow.toml --node-concurrency 2 -o mfail.h5
took=$(($(date +%s) - start))
if [ "$took" -le 15 ]; then ok "matrix failure ends in ${took}s, not after rank 1's 40 s share"; else bad "matrix failure took ${took}s"; fi
if [ "$(cat mfail.h5)" = keep ]; then ok "matrix failure with no complete row leaves the output alone"; else bad "output replaced"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
