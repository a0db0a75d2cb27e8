#!/usr/bin/env bash
# latentbench run over a tiny peers suite (tests/data/peers_tiny.toml): each
# liblatent case and its faiss twin measured as a pair (same rounds, impl set on
# both rows, the ratio in the summary), a faiss case alone measured alone, the
# peer described in the file; the peer library found by default beside the
# binary and refused when missing. Needs LATENTBENCH, LB_SOURCE_DIR, LB_PEER_LIB
# (the built liblatent_faiss.so) and /usr/bin/python3 with h5py.
set -u
LB=${LATENTBENCH:?set LATENTBENCH to the latentbench binary}
SRC=${LB_SOURCE_DIR:?set LB_SOURCE_DIR}
PEER=${LB_PEER_LIB:?set LB_PEER_LIB to liblatent_faiss.so}
PY=/usr/bin/python3
LB_TESTS=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
# shellcheck source=tests/cli_lib.sh
. "$LB_TESTS/cli_lib.sh"

tiny="$SRC/tests/data/peers_tiny.toml"
quick=(--warm-up-time 0.05 --measurement-time 0.2 --sample-size 10 --resamples 2000 --quiet)

expect "peers run" 0 "" -- "$LB" run "${quick[@]}" --suite "$tiny" --peer-lib "$PEER" -o p.h5
if grep -Eq '^peers: faiss 1\.7\.3 IndexFlatL2/IP; ' out.txt; then ok "summary names the peer"; else bad "no peer line: $(cat out.txt)"; fi
for pair in 'peers/knn/Euclidean@dim_32/n_2000/faiss' 'peers/knn/Dot@dim_32/n_2000/faiss' \
    'peers/knn_batch/Euclidean@dim_32/n_1000/faiss'; do
    if grep -Eq "^$pair +[0-9]+\.[0-9]+ +\[[0-9.]+, [0-9.]+\] +faiss vs " out.txt; then ok "ratio of $pair"
    else bad "no ratio for $pair: $(cat out.txt)"; fi
done
if grep -q '^peers/knn/Cosine.*faiss vs' out.txt; then bad "a faiss case alone has a ratio"; else ok "alone: no ratio"; fi

# the file: impl on every row, pairs sharing their rounds, the peers attribute
"$PY" - p.h5 <<'PYEOF' && ok "rows: impl, paired rounds, peers attribute" || bad "rows of p.h5"
import sys, h5py
f = h5py.File(sys.argv[1], "r")
assert f.attrs["peers"].decode().startswith("faiss 1.7.3 IndexFlatL2/IP; "), f.attrs["peers"]
rows = {r["id"].decode(): (i, r) for i, r in enumerate(f["benchmarks"][:])}
assert len(rows) == 7, list(rows)
for rid, (i, r) in rows.items():
    want = rid.rsplit("/", 1)[1]
    assert r["impl"].decode() == want, (rid, r["impl"])
for stem in ("peers/knn/Euclidean@dim_32/n_2000", "peers/knn/Dot@dim_32/n_2000", "peers/knn_batch/Euclidean@dim_32/n_1000"):
    (ia, a), (ib, b) = rows[stem + "/liblatent"], rows[stem + "/faiss"]
    assert a["rounds"] == b["rounds"] == a["samples"] == b["samples"] >= 10, (stem, a["rounds"], b["samples"])
    sa, sb = f["samples/%d" % ia][:], f["samples/%d" % ib][:]
    assert list(sa["round"]) == list(range(len(sa))) == list(sb["round"]), stem
    assert (sa["iterations"] == sb["iterations"]).all(), stem  # one block size for both
alone = rows["peers/knn/Cosine@dim_16/n_500/faiss"][1]
assert alone["rounds"] == 1 and alone["samples"] == 10, (alone["rounds"], alone["samples"])
PYEOF

# --rounds: pairs are measured once (their blocks are the rounds); the rest as usual
expect "peers run --rounds 2" 0 "" -- "$LB" run "${quick[@]}" --rounds 2 --suite "$tiny" --filter '/n_2000/|Cosine' \
    --peer-lib "$PEER" -o r.h5
if grep -Eq '^peers/knn/Dot@dim_32/n_2000/faiss +[0-9.]+ +\[' out.txt; then ok "--rounds 2: ratio"; else bad "--rounds 2: $(cat out.txt)"; fi

# the default peer: beside the binary (a copy of the build tree's pair)
mkdir bin
cp "$LB" bin/latentbench
cp "$(dirname "$LB")"/liblatent.so.0 bin/
expect "no peer beside the binary" 66 "liblatent_faiss.so: no such file: this build has no FAISS peer" -- \
    bin/latentbench run "${quick[@]}" --suite "$tiny" -o d.h5
if [ ! -e d.h5 ]; then ok "nothing written without the peer"; else bad "d.h5 written without the peer"; fi
cp "$PEER" bin/liblatent_faiss.so
expect "peer beside the binary" 0 "" -- bin/latentbench run "${quick[@]}" --suite "$tiny" --filter 'Cosine' -o d.h5
expect "LATENTBENCH_PEER_LIB" 66 "nope.so" -- env LATENTBENCH_PEER_LIB=nope.so bin/latentbench run "${quick[@]}" \
    --suite "$tiny" --filter Cosine -o e.h5
# liblatent cases alone never load the peer
expect "no peer needed" 0 "" -- env LATENTBENCH_PEER_LIB=nope.so bin/latentbench run "${quick[@]}" --suite "$tiny" \
    --filter 'Dot.*liblatent' -o f.h5
expect "liblatent is no peer" 65 "not a peer library \\(it lacks lt_peer_describe\\)" -- \
    "$LB" run "${quick[@]}" --suite "$tiny" --filter Cosine --peer-lib bin/liblatent.so.0 -o g.h5
expect "ab refuses peers" 64 "ab compares two builds of liblatent" -- \
    "$LB" ab --baseline-lib bin/liblatent.so.0 --candidate-lib "$(dirname "$LB")"/liblatent.so.0 --suite "$tiny" -o ab.h5

echo "passed $pass, failed $fail"
[ "$fail" -eq 0 ]
