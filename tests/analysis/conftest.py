"""Results files for the analysis tests, written once per session by the
latentbench under test ($LATENTBENCH, set by ctest) with tiny measurement
times: the figures need the shapes of real files, not good numbers."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
REPORT = os.path.join(ROOT, "analysis", "report.py")
PYTHON = "/usr/bin/python3"
sys.path.insert(0, os.path.join(ROOT, "analysis"))

QUICK = ["--warm-up-time", "0.02", "--measurement-time", "0.05", "--sample-size", "5", "--resamples", "1000",
         "--quiet"]

# One run over several built-in suites: every figure of one file has rows.
MULTI_SUITES = ["latency", "memory", "throughput", "flash_attention", "distance_comparison", "ci"]
MULTI_FILTER = ("^(knn_search/dim_128/(10|100|1000)$|flash_vs_standard/.*/(256|1024)$"
                "|memory_flash_vs_standard/.*/(512|1024)$|memory_scaling/(1000|10000)$|memory_by_dimension/(64|256)$"
                "|batch_add_embeddings/(1|32)$|parallel_knn_search/(1|8)$|distance_comparison/.*@dim_128/"
                "|attention_computation/dim_64/)")
SMALL_FILTER = "^(knn_search/dim_128/10$|attention_computation/dim_64/(Standard|Flash)$)"
SHARD_FILTER = "^(knn_search/dim_128/10$|parallel_knn_search/32$)"


def colours(path):
    """Distinct colours of a PNG (a blank image has one)."""
    import matplotlib.image as mpimg
    import numpy as np
    img = mpimg.imread(path)
    if img.dtype != np.uint8:
        img = np.round(img * 255).astype(np.uint8)
    if img.ndim == 2:
        img = img[..., None]
    packed = np.zeros(img.shape[:2], dtype=np.uint32)
    for ch in range(img.shape[2]):
        packed = (packed << 8) | img[..., ch]
    return len(np.unique(packed))


def latentbench():
    exe = os.environ.get("LATENTBENCH") or shutil.which("latentbench")
    if not exe:
        pytest.fail("set LATENTBENCH to the latentbench binary (ctest does)")
    return exe


def mpiexec():
    exe = os.environ.get("MPIEXEC") or shutil.which("mpirun")
    if not exe:
        pytest.fail("set MPIEXEC to mpirun (ctest does)")
    return exe


def run_tool(*args, cwd=None):
    p = subprocess.run([latentbench(), *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"latentbench {' '.join(args)}: exit {p.returncode}\n{p.stderr}"
    return p


def suite_args(suites):
    out = []
    for s in suites:
        out += ["--suite", s]
    return out


def report(*args, cwd=None):
    """Runs report.py; returns the CompletedProcess (exit status not checked)."""
    return subprocess.run([PYTHON, REPORT, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="session")
def files(tmp_path_factory):
    """Paths of the session's results files:
    multi    several suites, 3 rounds
    base/cur a small run and the same cases on liblatent_slow25.so (a build 25% slower), when the
             build has it
    p1/p2    data-sharded runs on 1 and 2 ranks (p2 has parallel_efficiency)
    history  a baseline directory with 3 saved runs of the machine
    """
    d = tmp_path_factory.mktemp("results")
    f = {k: str(d / f"{k}.h5") for k in ("multi", "base", "cur", "p1", "p2")}
    run_tool("run", *suite_args(MULTI_SUITES), "--filter", MULTI_FILTER, "--rounds", "3", *QUICK, "-o", f["multi"])
    run_tool("run", "--suite", "ci", "--filter", SMALL_FILTER, *QUICK, "-o", f["base"])
    slow = os.path.join(os.path.dirname(os.path.realpath(latentbench())), "liblatent_slow25.so")
    lib = ["--lib", slow] if os.path.isfile(slow) else []
    run_tool("run", "--suite", "ci", "--filter", SMALL_FILTER, *lib, *QUICK, "-o", f["cur"])
    mpi = [mpiexec(), "--allow-run-as-root", "--oversubscribe"]
    shard = ["run", "--suite", "ci", "--filter", SHARD_FILTER, "--shard", "data", *QUICK]
    for np_, out, extra in ((1, f["p1"], []), (2, f["p2"], ["--scaling-reference", f["p1"]])):
        p = subprocess.run([*mpi, "-np", str(np_), latentbench(), *shard, *extra, "-o", out],
                           capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stderr
    hist = d / "baselines"
    for i in range(3):
        run_tool("run", "--suite", "ci", "--filter", SMALL_FILTER, *QUICK, "-o", str(d / f"h{i}.h5"))
        run_tool("baseline", "save", str(d / f"h{i}.h5"), "--dir", str(hist))
    f["history"] = str(hist)
    f["dir"] = str(d)
    return f


@pytest.fixture(scope="session")
def full_report(files, tmp_path_factory):
    """report.py on the multi file with every option: (outdir, process)."""
    out = tmp_path_factory.mktemp("report")
    p = report(files["multi"], "-o", str(out), "--baseline", files["base"], "--history", files["history"],
               "--scaling", files["p1"], "--scaling", files["p2"])
    assert p.returncode == 0, p.stderr
    return str(out), p
