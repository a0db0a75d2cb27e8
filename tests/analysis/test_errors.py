"""Wrong input ends the report with one clear line on stderr and the
documented exit status, never a traceback."""

import os
import shutil

import h5py
import pytest

from conftest import report


def one_line(p, status, *words):
    lines = p.stderr.strip().splitlines()
    assert p.returncode == status, f"exit {p.returncode}, wanted {status}: {p.stderr}"
    assert len(lines) == 1, p.stderr
    assert "Traceback" not in p.stderr
    assert lines[0].startswith("report.py: "), lines[0]
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def copy(files, tmp_path, name="copy.h5"):
    dst = tmp_path / name
    shutil.copy(files["base"], dst)
    return str(dst)


def test_missing_file(tmp_path):
    one_line(report(str(tmp_path / "none.h5"), "-o", str(tmp_path / "o")), 66, "none.h5", "No such file")


def test_directory_as_input(tmp_path):
    one_line(report(str(tmp_path), "-o", str(tmp_path / "o")), 66, "directory")


def test_not_hdf5(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_text("this is not HDF5\n")
    one_line(report(str(bad), "-o", str(tmp_path / "o")), 65, "bad.h5", "not an HDF5 file")


def test_truncated(files, tmp_path):
    data = open(files["base"], "rb").read()
    cut = tmp_path / "cut.h5"
    cut.write_bytes(data[: len(data) // 3])
    one_line(report(str(cut), "-o", str(tmp_path / "o")), 65, "cut.h5")


def test_other_schema(files, tmp_path):
    path = copy(files, tmp_path)
    with h5py.File(path, "r+") as f:
        f.attrs["schema"] = "ann-benchmarks"
    one_line(report(path, "-o", str(tmp_path / "o")), 65, "schema 'ann-benchmarks'")


def test_no_schema(tmp_path):
    path = str(tmp_path / "plain.h5")
    with h5py.File(path, "w") as f:
        f.create_dataset("train", data=[[1.0, 2.0]])
    one_line(report(path, "-o", str(tmp_path / "o")), 65, "no 'schema' attribute")


def test_other_schema_version(files, tmp_path):
    path = copy(files, tmp_path)
    with h5py.File(path, "r+") as f:
        f.attrs["schema_version"] = 99
    one_line(report(path, "-o", str(tmp_path / "o")), 65, "schema_version 99")


def test_another_kind_of_file(files, tmp_path):
    path = copy(files, tmp_path)
    with h5py.File(path, "r+") as f:
        f.attrs["kind"] = "xyz"
    one_line(report(path, "-o", str(tmp_path / "o")), 65, "kind 'xyz'", "ab, results")
    # kind ab needs the A/B parts (tests/analysis/test_ab.py has the rest)
    with h5py.File(path, "r+") as f:
        f.attrs["kind"] = "ab"
    one_line(report(path, "-o", str(tmp_path / "o")), 65, "'/ab' is missing", "kind is 'ab'")


def test_member_missing(files, tmp_path):
    path = copy(files, tmp_path)
    with h5py.File(path, "r+") as f:
        rows = f["benchmarks"][()]
        names = [n for n in rows.dtype.names if n != "median_ns"]
        del f["benchmarks"]
        f.create_dataset("benchmarks", data=rows[names])
    one_line(report(path, "-o", str(tmp_path / "o")), 65, "'median_ns'")


def test_empty_suite(files, tmp_path):
    path = copy(files, tmp_path)
    with h5py.File(path, "r+") as f:
        dt = f["benchmarks"].dtype
        del f["benchmarks"]
        f.create_dataset("benchmarks", shape=(0,), dtype=dt)
        del f["samples"]
        f.create_group("samples")
    one_line(report(path, "-o", str(tmp_path / "o")), 65, "empty suite")


def test_samples_attached_to_the_wrong_row(files, tmp_path):
    path = copy(files, tmp_path)
    with h5py.File(path, "r+") as f:
        f["samples/0"].attrs["id"] = "someone/else"
    one_line(report(path, "-o", str(tmp_path / "o")), 65, "someone/else")


@pytest.mark.parametrize("args,words", [
    ([], ["required"]),
    (["-o", "OUT", "--bogus"], ["--bogus"]),
    (["-o", "OUT", "--config", "c.toml"], ["--config"]),
    (["-o", "OUT", "--baseline", "B", "--threshold", "-3"], ["--threshold"]),
    (["-o", "OUT", "--samples", "^no_such_id$"], ["matches no benchmark"]),
    (["-o", "OUT", "--samples", "(("], ["not a regular expression"]),
    (["-o", "OUT", "--history", "HIST", "--history-metric", "colour"], ["colour"]),
])
def test_usage(files, tmp_path, args, words):
    args = [a.replace("OUT", str(tmp_path / "o")).replace("HIST", files["history"]).replace("B", files["base"])
            if a in ("OUT", "HIST", "B") else a for a in args]
    one_line(report(files["base"], *args), 64, *words)


def test_missing_baseline_and_history(files, tmp_path):
    one_line(report(files["base"], "-o", str(tmp_path / "o"), "--baseline", str(tmp_path / "b.h5")), 66, "b.h5")
    one_line(report(files["base"], "-o", str(tmp_path / "o"), "--history", str(tmp_path / "nohist")), 66, "nohist")


def test_output_not_a_directory(files, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    one_line(report(files["base"], "-o", str(f)), 74, "not a directory")


def test_bad_config(files, tmp_path):
    c = tmp_path / "c.toml"
    c.write_text("[thresholds\ndefault = 1\n")
    one_line(report(files["base"], "-o", str(tmp_path / "o"), "--baseline", files["base"], "--config", str(c)),
             65, "c.toml")
    c.write_text("[thresholds]\ndefault = -1\n")
    one_line(report(files["base"], "-o", str(tmp_path / "o"), "--baseline", files["base"], "--config", str(c)),
             65, "thresholds.default")


def test_a_bad_file_in_the_history_is_left_out(files, tmp_path):
    hist = tmp_path / "hist"
    hist.mkdir()
    for i, name in enumerate(("base", "cur", "multi")):
        shutil.copy(files[name], hist / f"{i}.h5")
    (hist / "3.h5").write_text("junk")
    p = report(files["base"], "-o", str(tmp_path / "o"), "--history", str(hist))
    assert p.returncode == 0, p.stderr
    assert "3.h5" in p.stderr and "left out of the history" in p.stderr and "Traceback" not in p.stderr
    assert os.path.isfile(tmp_path / "o" / "history.png")
