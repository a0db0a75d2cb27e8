"""latentbench report --format html runs analysis/report.py and passes its
exit status on."""

import os
import subprocess

import h5py
import shutil

from conftest import latentbench


def tool(*args, env=None):
    e = dict(os.environ, **(env or {}))
    return subprocess.run([latentbench(), *args], capture_output=True, text=True, timeout=300, env=e)


def test_html_report(files, tmp_path):
    out = tmp_path / "html"
    p = tool("report", files["p2"], "--format", "html", "-o", str(out), "--baseline", files["p1"],
             "--", "--scaling", files["p1"])
    assert p.returncode == 0, p.stderr
    for name in ("index.html", "summary.md", "figures.json", "parallel_efficiency.png", "comparison.svg"):
        assert (out / name).stat().st_size > 0, name


def test_html_errors(files, tmp_path):
    out = str(tmp_path / "html")
    p = tool("report", files["p2"], "--format", "html")
    assert p.returncode == 64 and "needs -o DIR" in p.stderr
    p = tool("report", str(tmp_path / "none.h5"), "--format", "html", "-o", out)
    assert p.returncode == 66 and len(p.stderr.splitlines()) == 1
    foreign = tmp_path / "foreign.h5"
    shutil.copy(files["p2"], foreign)
    with h5py.File(foreign, "r+") as f:
        f.attrs["schema"] = "something-else"
    p = tool("report", str(foreign), "--format", "html", "-o", out)
    assert p.returncode == 65 and len(p.stderr.splitlines()) == 1
    # an error of report.py itself: its one line, its status
    p = tool("report", files["p2"], "--format", "html", "-o", out, "--", "--samples", "^nothing$")
    assert p.returncode == 64 and p.stderr.startswith("report.py: ") and len(p.stderr.splitlines()) == 1
    p = tool("report", files["p2"], "--format", "html", "-o", out,
             env={"LATENTBENCH_ANALYSIS": str(tmp_path / "missing.py")})
    assert p.returncode == 70 and "LATENTBENCH_ANALYSIS" in p.stderr
    p = tool("report", files["p2"], "--format", "csv", "--history", str(tmp_path))
    assert p.returncode == 64
