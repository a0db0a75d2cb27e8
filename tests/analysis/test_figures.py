"""Every figure of the full report is drawn, non-empty, with labelled axes and
units, in PNG and SVG."""

import html
import json
import os
import re

from conftest import colours, report

EXPECTED = ["knn_latency_vs_k", "distance_metrics", "attention_types", "flash_vs_standard", "memory_scaling",
            "throughput_vs_batch", "hardware_bound", "parallel_efficiency", "samples", "comparison", "history"]
UNIT = re.compile(r"\(([^()]+)\)\s*$")


def manifest(outdir):
    with open(os.path.join(outdir, "figures.json"), encoding="utf-8") as fh:
        return json.load(fh)


def test_every_figure_is_drawn(full_report):
    out, _ = full_report
    m = manifest(out)
    names = [f["name"] for f in m["figures"]]
    assert names == [n for n in EXPECTED if n in names]
    assert sorted(names) == sorted(EXPECTED), f"missing: {set(EXPECTED) - set(names)}; skipped: {m['skipped']}"


def test_hardware_bound_skipped_without_bounds(files, tmp_path):
    """A file without bounds (written before run measured them): the figure is skipped, and said so."""
    import shutil
    import h5py
    old = str(tmp_path / "old.h5")
    shutil.copy(files["base"], old)
    with h5py.File(old, "r+") as f:
        rows = f["benchmarks"][()]
        rows["bound_ns"] = 0
        rows["bound_kind"] = b""
        f["benchmarks"][...] = rows
        del f["bounds"]
    out = tmp_path / "report"
    p = report(old, "-o", str(out))
    assert p.returncode == 0, p.stderr
    skipped = {s["name"]: s["reason"] for s in manifest(str(out))["skipped"]}
    assert "no hardware bounds" in skipped["hardware_bound"]
    with open(os.path.join(str(out), "index.html"), encoding="utf-8") as fh:
        assert "no hardware bounds" in fh.read()


def test_files_exist_and_are_not_blank(full_report):
    out, _ = full_report
    for f in manifest(out)["figures"]:
        assert set(f["files"]) == {"png", "svg"}
        for kind, name in f["files"].items():
            path = os.path.join(out, name)
            assert os.path.getsize(path) > 2000, path
        assert colours(os.path.join(out, f["files"]["png"])) > 8, f["name"]
        assert f["ids"], f"{f['name']} names no benchmark"


def test_png_small_enough_to_embed(full_report):
    out, _ = full_report
    for f in manifest(out)["figures"]:
        assert os.path.getsize(os.path.join(out, f["files"]["png"])) < 1_000_000


def test_axes_are_labelled_with_units(full_report):
    out, _ = full_report
    for f in manifest(out)["figures"]:
        assert f["axes"], f["name"]
        for ax in f["axes"]:
            where = f"{f['name']} / {ax['title'] or 'axes'}"
            assert ax["ylabel"].strip(), f"{where}: no y label"
            for axis in ("x", "y"):
                label = ax[f"{axis}label"]
                if not label:
                    # a panel that shares x with the one below carries no x label
                    assert axis == "x" and any(o["xlabel"] for o in f["axes"] if o is not ax), where
                    continue
                if not ax[f"{axis}_categorical"]:
                    assert UNIT.search(label), f"{where}: {axis} label '{label}' has no unit"


def test_log_scales_where_data_span_decades(full_report):
    out, _ = full_report
    figs = {f["name"]: f for f in manifest(out)["figures"]}
    knn = figs["knn_latency_vs_k"]["axes"][0]
    assert knn["xscale"] == "log" and knn["yscale"] == "log"
    mem = figs["memory_scaling"]["axes"][0]   # n from 1,000 to 10,000
    assert mem["xscale"] == "log"
    eff = figs["parallel_efficiency"]["axes"][0]
    assert eff["xlabel"].startswith("MPI ranks")


def test_svg_text_is_text(full_report):
    """Labels are text in the SVG (svg.fonttype none): searchable and checkable."""
    out, _ = full_report
    for f in manifest(out)["figures"]:
        with open(os.path.join(out, f["files"]["svg"]), encoding="utf-8") as fh:
            svg = fh.read()
        assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
        for ax in f["axes"]:
            for label in (ax["xlabel"], ax["ylabel"]):
                if label:
                    assert html.escape(label, quote=False).split("\n")[0] in svg, f"{f['name']}: '{label}'"


def test_attention_speedup_is_computed(files):
    """The speed-up over Standard comes from the medians in the file."""
    from lbanalysis import figures, results
    res = results.read_results(files["multi"])
    ctx = figures.Context(res)
    fig = figures.attention_types(ctx)
    ax = fig.fig.axes[1]
    rows = {figures.variant(r): r for r in res.rows if r["op"] == "attention" and r["dimension"] == 64}
    want = {v: rows["Standard"]["median_ns"] / r["median_ns"] for v, r in rows.items() if v != "Standard"}
    heights = sorted(round(p.get_height(), 9) for p in ax.patches)
    assert heights == sorted(round(v, 9) for v in want.values())
    figures.P.plt.close(fig.fig)


def test_efficiency_against_ranks(files):
    from lbanalysis import figures, results
    p1, p2 = results.read_results(files["p1"]), results.read_results(files["p2"])
    fig = figures.parallel_efficiency(figures.Context(p2, [p1]))
    ax = fig.fig.axes[0]
    lines = [l for l in ax.get_lines() if l.get_label() in fig.ids]
    assert lines and all(list(l.get_xdata()) == [1, 2] for l in lines)
    for l in lines:
        row = next(r for r in p2.rows if r["id"] == l.get_label())
        assert abs(l.get_ydata()[1] - 100 * row["parallel_efficiency"]) < 1e-9
    figures.P.plt.close(fig.fig)


def test_samples_show_rounds(full_report):
    out, _ = full_report
    s = next(f for f in manifest(out)["figures"] if f["name"] == "samples")
    assert all(ax["xlabel"] == "all samples, then each round" for ax in s["axes"])
