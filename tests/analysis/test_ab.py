"""A/B files (`latentbench ab`): the reader checks them as the C reader does,
and the report draws their paired comparison (the ratio per benchmark, the
rounds of chosen ids), tables it in the page and the Markdown summary, and
names both libraries. The files are written by the latentbench under test:
an A/A run of two copies of the default library, and, where the build has
it, a run against liblatent_slow25.so (25% slower) under a 5% threshold."""

import json
import os
import re
import shutil
import subprocess

import h5py
import numpy as np
import pytest

from conftest import colours, latentbench, report

FILTER = "^(knn_search/dim_128/10|attention_computation/dim_64/Flash)$"
AB = ["ab", "--suite", "ci", "--filter", FILTER, "--warm-up-time", "0.05", "--measurement-time", "0.3", "--quiet"]
UNIT = re.compile(r"\(([^()]+)\)\s*$")
TABLE_HEAD = ["benchmark", "baseline (A) median", "candidate (B) median", "ratio B / A", "CI", "p (one-sided)",
              "threshold", "verdict", "memory", "rounds", "rounds repeated"]


def default_library():
    """The library `latentbench --version` names: 'latentbench X (liblatent Y, /path)'."""
    out = subprocess.run([latentbench(), "--version"], capture_output=True, text=True, timeout=60).stdout
    m = re.search(r"\(liblatent [^,]+, (.+)\)\s*$", out.strip())
    assert m, f"--version: {out!r}"
    return m.group(1)


def run_ab(baseline, candidate, out, *extra):
    p = subprocess.run([latentbench(), *AB, "--baseline-lib", baseline, "--candidate-lib", candidate, *extra,
                        "-o", out], capture_output=True, text=True, timeout=300)
    # 0 no change, 1 a regression, 2 improvements only: all write the file
    assert p.returncode in (0, 1, 2), f"latentbench ab: exit {p.returncode}\n{p.stderr}"
    assert os.path.isfile(out)
    return p


@pytest.fixture(scope="module")
def ab_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("ab")
    lib = default_library()
    a, b = str(d / "A.so"), str(d / "B.so")
    shutil.copy(lib, a)
    shutil.copy(lib, b)
    f = {"dir": str(d), "A": a, "B": b, "aa": str(d / "aa.h5")}
    run_ab(a, b, f["aa"])
    slow = os.path.join(os.path.dirname(os.path.realpath(latentbench())), "liblatent_slow25.so")
    if os.path.isfile(slow):
        f["slow_lib"], f["slow"] = slow, str(d / "slow.h5")
        run_ab(a, slow, f["slow"], "--threshold", "5")
    return f


@pytest.fixture(scope="module")
def aa_report(ab_files, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("aa_report"))
    p = report(ab_files["aa"], "-o", out)
    assert p.returncode == 0, p.stderr
    return out


@pytest.fixture(scope="module")
def slow_report(ab_files, tmp_path_factory):
    if "slow" not in ab_files:
        pytest.skip("the build has no liblatent_slow25.so")
    out = str(tmp_path_factory.mktemp("slow_report"))
    p = report(ab_files["slow"], "-o", out)
    assert p.returncode == 0, p.stderr
    return out


def manifest(out):
    with open(os.path.join(out, "figures.json"), encoding="utf-8") as fh:
        return json.load(fh)


def read(out, name):
    with open(os.path.join(out, name), encoding="utf-8") as fh:
        return fh.read()


def raw(path):
    """The file's /ab rows, /base_benchmarks and /benchmarks medians and pairs, by h5py alone."""
    with h5py.File(path, "r") as f:
        ab = f["ab"][()]
        pairs = [f[f"ab_pairs/{i}"][()] for i in range(len(ab))]
        return (ab, f["base_benchmarks"]["median_ns"], f["benchmarks"]["median_ns"], pairs,
                {k: f.attrs[k].decode() for k in ("library", "library_hash", "base_library", "base_library_hash")})


# ---- the reader -----------------------------------------------------------------

def test_reader_gives_the_file(ab_files):
    from lbanalysis import results
    res = results.open_file(ab_files["aa"])
    ab, base_med, cand_med, pairs, attrs = raw(ab_files["aa"])
    assert res.kind == "ab" and len(res.ab) == len(res.rows) == len(res.base_rows) == len(res.pairs) == 2
    for i, a in enumerate(res.ab):
        assert a["id"] == ab["id"][i].decode() == res.rows[i]["id"] == res.base_rows[i]["id"]
        assert a["ratio"] == ab["ratio"][i] and a["verdict"] == ab["verdict"][i].decode()
        assert res.base_rows[i]["median_ns"] == base_med[i] and res.rows[i]["median_ns"] == cand_med[i]
        assert list(res.pairs[i]["b_ns"]) == list(pairs[i]["b_ns"])
        assert list(res.pairs[i]["b_first"]) == list(pairs[i]["b_first"])
    for k, v in attrs.items():
        assert res.attrs[k] == v
    assert os.path.realpath(res.attrs["base_library"]) == os.path.realpath(ab_files["A"])
    # a plain results file is read as before and an A/B file is no baseline
    with pytest.raises(results.AnalysisError, match="not a results file"):
        results.read_results(ab_files["aa"])


def corrupt_ab_row(f):
    rows = f["ab"][()]
    rows["id"][1] = b"someone/else"
    f["ab"][...] = rows


def corrupt_base_row(f):
    rows = f["base_benchmarks"][()]
    rows["id"][0] = b"someone/else"
    f["base_benchmarks"][...] = rows


def drop_ab_row(f):
    rows = f["ab"][()]
    del f["ab"]
    f.create_dataset("ab", data=rows[:1])


def drop_ab(f):
    del f["ab"]


def as_results(f):
    f.attrs["kind"] = "results"


def pairs_of_another(f):
    f["ab_pairs/1"].attrs["id"] = "someone/else"


def drop_pairs(f):
    del f["ab_pairs/1"]


def drop_base_library(f):
    del f.attrs["base_library"]


def pairs_member_missing(f):
    rows = f["ab_pairs/0"][()]
    attrs = dict(f["ab_pairs/0"].attrs)
    del f["ab_pairs/0"]
    f.create_dataset("ab_pairs/0", data=rows[["round", "a_ns", "b_ns"]])
    f["ab_pairs/0"].attrs.update(attrs)


@pytest.mark.parametrize("damage,words", [
    (corrupt_ab_row, ["'/ab' row 1 is 'someone/else'", "'/benchmarks' row 1"]),
    (corrupt_base_row, ["'/base_benchmarks' row 0 is 'someone/else'"]),
    (drop_ab_row, ["'/ab' has 1 rows", "'/benchmarks' has 2"]),
    (drop_ab, ["'/ab' is missing", "kind is 'ab'"]),
    (as_results, ["'/ab' is present", "kind is 'results'"]),
    (pairs_of_another, ["'/ab_pairs/1'", "someone/else"]),
    (drop_pairs, ["'/ab_pairs/1'", "missing"]),
    (drop_base_library, ["'base_library' is missing"]),
    (pairs_member_missing, ["'/ab_pairs/0'", "'b_first'"]),
])
def test_a_corrupted_ab_file_is_one_error(ab_files, tmp_path, damage, words):
    path = str(tmp_path / "bad.h5")
    shutil.copy(ab_files["aa"], path)
    with h5py.File(path, "r+") as f:
        damage(f)
    p = report(path, "-o", str(tmp_path / "o"))
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 65, p.stderr
    assert len(lines) == 1 and "Traceback" not in p.stderr, p.stderr
    assert lines[0].startswith(f"report.py: {path}: "), lines[0]
    for w in words:
        assert w in lines[0], lines[0]
    assert not os.path.exists(tmp_path / "o" / "index.html")


# ---- the report -----------------------------------------------------------------

def check_figures(out):
    m = manifest(out)
    assert m["kind"] == "ab"
    figs = {f["name"]: f for f in m["figures"]}
    assert list(figs)[:2] == ["ab_ratio", "ab_rounds"], list(figs)
    assert "samples" in {s["name"] for s in m["skipped"]}
    for name in ("ab_ratio", "ab_rounds"):
        f = figs[name]
        assert f["section"] == "ab" and f["ids"]
        for kind in ("png", "svg"):
            assert os.path.getsize(os.path.join(out, f["files"][kind])) > 2000
        assert colours(os.path.join(out, f["files"]["png"])) > 8, name
        svg = read(out, f["files"]["svg"])
        for ax in f["axes"]:
            for axis in ("x", "y"):
                label = ax[f"{axis}label"]
                assert label.strip(), f"{name}: no {axis} label"
                assert label in svg, f"{name}: '{label}' is not text in the SVG"
                if not ax[f"{axis}_categorical"]:
                    assert UNIT.search(label), f"{name}: '{label}' has no unit"
    ratio = figs["ab_ratio"]["axes"][0]
    assert ratio["xlabel"].startswith("time ratio B / A") and ratio["y_categorical"]
    assert all(ax["ylabel"].startswith("time ratio B / A") and ax["xlabel"].startswith("round")
               for ax in figs["ab_rounds"]["axes"])
    return figs


def check_page(out, path, figs):
    text = read(out, "index.html")
    ab, base_med, cand_med, pairs, attrs = raw(path)
    for name, f in figs.items():
        assert f'id="fig-{name}"' in text and f'href="#fig-{name}"' in text
        assert f'href="{f["files"]["png"]}"' in text and f'href="{f["files"]["svg"]}"' in text
        for fn in f["files"].values():
            assert os.path.isfile(os.path.join(out, fn))
    for v in attrs.values():
        assert str(v) in text
    for label in ("baseline liblatent (A)", "candidate liblatent (B)", "baseline hash", "candidate hash"):
        assert label in text
    section = re.search(r'<section id="ab">.*?</section>', text, re.S).group(0)
    assert 'class="sortable"' in section and 'href="#ab"' in text
    head = re.findall(r"<th>(.*?)</th>", section)
    assert [h for h in head if h != "figures"] == [h if h != "CI" else head[4] for h in TABLE_HEAD]
    assert head[4].endswith("CI")
    for i in range(len(ab)):
        row = re.search(rf'<tr id="ab-{i}">(.*?)</tr>', section).group(1)
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        a = {k: (ab[k][i].decode() if isinstance(ab[k][i], bytes) else ab[k][i]) for k in ab.dtype.names}
        assert cells[0] == a["id"]
        assert f'data-v="{float(base_med[i])!r}"' in row and f'data-v="{float(cand_med[i])!r}"' in row
        assert cells[3] == f"{a['ratio']:.3f}"
        assert cells[4] == f"[{a['ratio_ci_low']:.3f}, {a['ratio_ci_high']:.3f}]"
        p = a["p_slower"] if a["ratio"] >= 1 else a["p_faster"]
        assert f'data-v="{float(p)!r}"' in row, "p is one-sided in the direction of the ratio"
        assert cells[6] == f"{a['threshold_pct']:g}%" and cells[7] == a["verdict"]
        assert cells[8].startswith(a["memory_verdict"]) and cells[9] == str(a["rounds"])
        assert cells[10] == str(a.get("rounds_repeated", 0))
        assert 'href="#fig-ab_ratio"' in cells[11]
    # every internal link lands
    ids = set(re.findall(r'id="([^"]+)"', text))
    for h in re.findall(r'href="#([^"]+)"', text):
        assert h in ids, h
    md = read(out, "summary.md")
    assert "## A/B: candidate against baseline" in md
    for v in attrs.values():
        assert str(v) in md
    for f in figs.values():
        assert f"]({f['files']['png']})" in md
    for a_id in ab["id"]:
        assert f"`{a_id.decode()}`" in md
    return text, md


def test_aa_report(ab_files, aa_report):
    figs = check_figures(aa_report)
    check_page(aa_report, ab_files["aa"], figs)


def test_regression_report(ab_files, slow_report):
    figs = check_figures(slow_report)
    text, md = check_page(slow_report, ab_files["slow"], figs)
    ab = raw(ab_files["slow"])[0]
    verdicts = [v.decode() for v in ab["verdict"]]
    assert "Regression" in verdicts, f"liblatent_slow25.so under a 5% threshold: {verdicts}"
    assert '<td class="Regression">Regression</td>' in text and "**Regression**" in md
    # regressions first, at the top of the ratio figure
    assert figs["ab_ratio"]["ids"][-1] == ab["id"][verdicts.index("Regression")].decode() \
        or verdicts.count("Regression") > 1
    # log x exactly when the ratios drawn span more than a factor 3
    vals = [v for a in ab for v in (a["ratio_ci_low"], a["ratio_ci_high"], a["ratio"],
                                    1 + a["threshold_pct"] / 100, 1 - a["threshold_pct"] / 200)]
    want = "log" if max(vals) / min(vals) > 3 else "linear"
    assert figs["ab_ratio"]["axes"][0]["xscale"] == want


def test_ratio_figure_draws_the_file(ab_files):
    """Dot, CI bar and threshold ticks at the file's values, coloured by verdict."""
    from lbanalysis import ab as AB, plotting as P, results
    path = ab_files.get("slow", ab_files["aa"])
    res = results.open_file(path)
    fig = AB.ratio_figure(res)
    ax = fig.fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    lines = ax.get_lines()
    for a in res.ab:
        y = next(i for i, lab in enumerate(labels) if lab.split("  [")[0] == a["id"])
        at = [l for l in lines if len(l.get_ydata()) == 1 and l.get_ydata()[0] == y]
        gid = {l.get_gid(): l for l in at if l.get_gid()}
        assert gid["threshold"].get_xdata()[0] == pytest.approx(1 + a["threshold_pct"] / 100)
        assert gid["improvement_line"].get_xdata()[0] == pytest.approx(1 - a["threshold_pct"] / 200)
        assert gid["ratio"].get_xdata()[0] == a["ratio"]
        assert gid["ratio"].get_color() == P.VERDICT_COLORS[AB.time_verdict(a)]
        bar = next(c for c in ax.collections if c.get_gid() == "ci" and c.get_segments()[0][0][1] == y)
        seg = bar.get_segments()[0]
        assert sorted([seg[0][0], seg[1][0]]) == pytest.approx([a["ratio_ci_low"], a["ratio_ci_high"]])
    P.plt.close(fig.fig)


def test_rounds_figure_draws_the_pairs(ab_files):
    """The per-round ratios are b_ns / a_ns of /ab_pairs, split by which block ran first."""
    from lbanalysis import ab as AB, plotting as P, results
    res = results.open_file(ab_files["aa"])
    fig = AB.rounds_figure(res, "knn_search")
    assert fig.ids == ["knn_search/dim_128/10"]
    ax = fig.fig.axes[0]
    i = next(j for j, a in enumerate(res.ab) if a["id"] == "knn_search/dim_128/10")
    p = res.pairs[i]
    pts = [c.get_offsets() for c in ax.collections if len(c.get_offsets())]
    assert len(pts) == 2, "one cloud per order"
    for b_first, off in zip((0, 1), pts):
        sel = p["b_first"] == b_first
        assert np.allclose(off[:, 0], p["round"][sel])
        assert np.allclose(off[:, 1], p["b_ns"][sel] / p["a_ns"][sel])
    P.plt.close(fig.fig)


def test_latentbench_report_html_draws_an_ab_file(ab_files, tmp_path):
    out = tmp_path / "html"
    p = subprocess.run([latentbench(), "report", ab_files["aa"], "--format", "html", "-o", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert (out / "ab_ratio.png").stat().st_size > 0 and (out / "ab_rounds.svg").stat().st_size > 0


def test_ab_usage_errors(ab_files, tmp_path):
    p = report(ab_files["aa"], "-o", str(tmp_path / "o"), "--samples", "^nothing$")
    assert p.returncode == 64 and p.stderr.count("\n") == 1 and "matches no benchmark id" in p.stderr
    p = report(ab_files["aa"], "-o", str(tmp_path / "o"), "--baseline", ab_files["aa"])
    assert p.returncode == 65 and p.stderr.count("\n") == 1 and "not a results file" in p.stderr
