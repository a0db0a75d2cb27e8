#!/usr/bin/env bash
# Fixtures of the results-file rows (docs/BAD-INPUTS.md, "Results files" R..):
# a tiny --quick run and copies of it truncated, emptied, edited with h5py
# (another schema, a future schema_version, a table of the wrong type or
# without a member, impossible values) or damaged byte by byte (a checksummed
# header; the global heap of a version-2 file, the class that crashed HDF5
# 1.10 in H5HG_read), and baseline stores holding some of them as the newest
# baseline. Runs with cwd = $G; latentbench on PATH.
set -euo pipefail
mkdir -p results
cd results
latentbench run --suite ci --filter '^add_embedding/128$' --quick --warm-up-time 0.01 --measurement-time 0.05 \
    --quiet -o good.h5 >/dev/null
size=$(stat -c %s good.h5)
head -c $((size / 2)) good.h5 >trunc.h5
: >empty.h5
printf 'id,median_ns\nknn_search/dim_128/10,1234\n' >text.h5

/usr/bin/python3 - <<'PYEOF'
import shutil

import h5py
import numpy as np


def edited(dst, edit, src="good.h5"):
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        edit(f)


def fixed(obj, name, value):  # as schema_version 3 stores strings
    del obj.attrs[name]
    obj.attrs[name] = np.bytes_(value)


def set_member(f, member, value):
    b = f["benchmarks"]
    rows = b[...]
    rows[member][0] = value
    b[...] = rows


def replace_benchmarks(f, data):
    del f["benchmarks"]
    f.create_dataset("benchmarks", data=data)


def without_median(f):
    rows = f["benchmarks"][...]
    keep = [n for n in rows.dtype.names if n != "median_ns"]
    replace_benchmarks(f, rows[keep].copy())


def to_version_2(f):
    """Text attributes variable-length, as versions 1 and 2 wrote them."""
    for obj in [f] + [f["samples"][k] for k in f["samples"]]:
        for name in list(obj.attrs):
            v = obj.attrs[name]
            if isinstance(v, bytes):
                del obj.attrs[name]
                obj.attrs[name] = v.decode()  # h5py writes str variable-length
    f.attrs["schema_version"] = np.int32(2)


with h5py.File("other.h5", "w") as f:  # HDF5, but no results schema
    f.create_dataset("train", data=np.zeros((4, 2), dtype=np.float32))
edited("future.h5", lambda f: f.attrs.__setitem__("schema_version", np.int32(99)))
edited("schema.h5", lambda f: fixed(f, "schema", "ann-benchmarks"))
edited("inttable.h5", lambda f: replace_benchmarks(f, np.arange(4, dtype=np.int32)))
edited("nomedian.h5", without_median)
edited("negsamples.h5", lambda f: set_member(f, "samples", -5))
edited("nancount.h5", lambda f: set_member(f, "samples", 999))
edited("negmedian.h5", lambda f: set_member(f, "median_ns", -1.0))
edited("shard.h5", lambda f: fixed(f, "shard", "diagonal"))
edited("kindab.h5", lambda f: fixed(f, "kind", "ab"))
edited("vlen3.h5", lambda f: f.attrs.__setitem__("machine", "cpu; 2 cores; avx2"))  # variable-length in version 3
edited("v2.h5", to_version_2)

# A version-2 file whose first global heap object claims 2^40 bytes: HDF5 1.10
# copies that much from the heap (SIGSEGV in H5HG_read) unless the reader
# checks the heap first.
img = bytearray(open("v2.h5", "rb").read())
at = img.find(b"GCOL\x01\x00\x00\x00")
assert at >= 0, "v2.h5 has no global heap"
obj = at + 16
assert int.from_bytes(img[obj:obj + 2], "little") == 1, "first heap object is not object 1"
img[obj + 8:obj + 16] = (1 << 40).to_bytes(8, "little")
open("heap.h5", "wb").write(img)

# The same class in an ann-benchmarks dataset (written by h5py, so its root
# attribute distance is variable-length): the heap object claims 2^40 bytes.
with h5py.File("ann_ok.h5", "w") as f:
    rng = np.random.default_rng(1)
    f["train"] = rng.random((20, 4), dtype=np.float32)
    f["test"] = rng.random((2, 4), dtype=np.float32)
    f["neighbors"] = np.tile(np.arange(5, dtype=np.int32), (2, 1))
    f["distances"] = np.ones((2, 5), dtype=np.float32)
    f.attrs["distance"] = "euclidean"
img = bytearray(open("ann_ok.h5", "rb").read())
at = img.find(b"GCOL\x01\x00\x00\x00")
assert at >= 0, "ann_ok.h5 has no global heap"
img[at + 16 + 8:at + 16 + 16] = (1 << 40).to_bytes(8, "little")
open("ann_heap.h5", "wb").write(img)

# One byte of /benchmarks' object header changed: its checksum no longer matches.
img = bytearray(open("good.h5", "rb").read())
with h5py.File("good.h5", "r") as f:
    addr = h5py.h5o.get_info(f["benchmarks"].id).addr
assert img[addr:addr + 4] == b"OHDR"
img[addr + 40] ^= 0x5A
open("header.h5", "wb").write(img)
PYEOF

# Baseline stores whose newest baseline is a damaged file (save refuses one, so
# the good file is saved and then overwritten).
for bad in heap trunc negsamples; do
    latentbench baseline save good.h5 --dir "store_$bad" >/dev/null
    cp "$bad.h5" store_"$bad"/*/*/*.h5
done
