#!/usr/bin/env bash
# Fixtures of the gate's rows (docs/BAD-INPUTS.md, "Comparing" C.., "Secrets
# and terminal" K..): tiny --quick runs of the suites in tests/bad_inputs/gate/
# (the same ids, one workload field changed each), and copies edited with h5py
# (a duplicate id, escape sequences in an id and in the machine string).
# Runs with cwd = $G; latentbench on PATH.
set -euo pipefail
F=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p gate
quick() { # suite output [env...]
    latentbench run --suite "$F/gate/$1.toml" --quick --warm-up-time 0.01 --measurement-time 0.05 --quiet \
        -o "gate/$2.h5" >/dev/null
}
quick tiny a
quick dim dim
quick k k
quick metric metric
quick other other
OMP_NUM_THREADS=2 quick tiny threads2
latentbench run --suite "$F/gate/tiny.toml" --quick --warm-up-time 0.01 --measurement-time 0.05 --quiet \
    --workload-scale 2 -o gate/size.h5 >/dev/null

/usr/bin/python3 - <<'PYEOF'
import shutil
import h5py
import numpy as np

EVIL_ID = b"gate_knn/\x1b]0;pwned\x07/64"
EVIL_MACHINE = b"cpu\x1b]0;pwned\x07; 2 cores\r"


def set_attr(obj, name, value):
    del obj.attrs[name]
    obj.attrs[name] = np.bytes_(value)  # fixed-length, as the schema stores strings


def set_id(f, row, value):
    b = f["benchmarks"]
    rows = b[...]
    rows["id"][row] = value
    b[...] = rows
    set_attr(f["samples"][str(row)], "id", value)


def edited(src, dst, edit):
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        edit(f)


# row 2 takes row 1's id: one id twice in a file
edited("gate/a.h5", "gate/dup.h5", lambda f: set_id(f, 1, f["benchmarks"]["id"][0]))
# an id with an OSC sequence (retitles a terminal) on both sides, workloads differing
edited("gate/a.h5", "gate/evil_id.h5", lambda f: set_id(f, 0, EVIL_ID))
edited("gate/dim.h5", "gate/evil_id_dim.h5", lambda f: set_id(f, 0, EVIL_ID))
# a machine string with escape sequences
edited("gate/a.h5", "gate/evil_machine.h5", lambda f: set_attr(f, "machine", EVIL_MACHINE))
PYEOF
