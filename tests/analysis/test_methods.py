"""The methods behind the figures: change points, thresholds, and the
comparison against latentbench compare on the same two files."""

import math
import re
import subprocess

import numpy as np
import pytest

from conftest import latentbench
from lbanalysis import compare, history, results


def noisy(levels, n, sd, seed):
    rng = np.random.default_rng(seed)
    return list(np.concatenate([lv * np.exp(rng.normal(0, sd, n)) for lv in levels]))


def test_flat_series_rarely_has_a_change_point():
    # the permutation test's level is 1%: about 1 of 100 noise series
    found = sum(bool(history.detect(noisy([100.0], 30, 0.05, seed))[0]) for seed in range(100))
    assert found <= 4


@pytest.mark.parametrize("seed", range(20))
def test_one_step_is_found_where_it_is(seed):
    cps, segs = history.detect(noisy([100.0, 115.0], 12, 0.03, seed))
    assert cps == [12]
    assert math.exp(segs[1][2] - segs[0][2]) == pytest.approx(1.15, rel=0.05)


def test_two_steps_and_identical_values():
    assert history.detect(noisy([1.0, 2.0, 1.0], 8, 0.01, 1))[0] == [8, 16]
    assert history.detect([5.0] * 10)[0] == []
    assert history.detect([5.0] * 8 + [5.5] * 8)[0] == [8]     # 10% on a noiseless series
    assert history.detect([5.0] * 10 + [5.05] * 10)[0] == []   # 1%: below MIN_SHIFT
    assert history.detect([5.0, 9.0, 5.0])[0] == []            # too short to split


@pytest.mark.parametrize("at", [0, 1, 10, 19, 20])
def test_a_single_outlier_is_no_change_point(at):
    v = noisy([100.0], 21, 0.02, at)
    v[at] *= 3
    assert history.detect(v)[0] == []


def test_history_metrics_listed_once():
    from lbanalysis import cli
    assert tuple(history.METRICS) == cli.METRICS


def test_thresholds_as_the_gate_reads_them(tmp_path):
    t = compare.load_thresholds()
    assert t.for_id("knn_search/dim_128/10") == 5
    assert t.for_id("attention_computation/dim_64/Flash") == 12
    assert t.for_id("flash_vs_standard/Flash/256") == 12
    assert t.for_id("parallel_knn_search/8") == 10
    assert t.for_id("batch_attention/8") == 15
    assert t.for_id("memory_scaling/1000") == 10
    c = tmp_path / "c.toml"
    c.write_text('[thresholds]\ndefault = 15\n[thresholds.latency]\n"knn_search/dim_1024/*" = 8\n'
                 "attention = 20\n[thresholds.memory]\npeak_usage = 30\n")
    t = compare.load_thresholds(str(c))
    assert t.for_id("knn_search/dim_1024/10") == 8
    assert t.for_id("knn_search/dim_128/10") == 5        # the design's group, after the file's entries
    assert t.for_id("attention_computation/dim_64/MoE") == 20
    assert t.for_id("latent_space_creation/64") == 15
    assert t.peak == 30 and t.alloc == 25
    assert compare.load_thresholds(str(c), threshold=3).default == 3


ROW = re.compile(r"^\| `(?P<id>[^`]+)` \| \**(?P<verdict>\w+)\** \| [^|]+ \| [^|]+ \| (?P<change>[^|]+) \| "
                 r"(?P<mean>[^|]+) \| (?P<ci>[^|]+) \| (?P<p>[^|]+) \| (?P<t>[\d.]+)% \|")


def gate_rows(base, cur, tmp_path):
    md = tmp_path / "gate.md"
    p = subprocess.run([latentbench(), "compare", base, cur, "--report", str(md)], capture_output=True, text=True)
    assert p.returncode in (0, 1, 2), p.stderr
    text = md.read_text(encoding="utf-8").split("<details>", 1)[1]
    return {m["id"]: m for m in (ROW.match(line) for line in text.splitlines()) if m}


def near_edge(c):
    t = c.threshold_pct
    edges = [t, t * compare.NOISE_FRACTION, -t / 2, -t / 2 * compare.NOISE_FRACTION]
    tol = max(1.0, 0.05 * (c.ci_high_pct - c.ci_low_pct))
    return any(abs(b - e) < tol for b in (c.ci_low_pct, c.ci_high_pct) for e in edges)


@pytest.mark.parametrize("pair", [("base", "cur"), ("cur", "base"), ("base", "base"), ("base", "multi")])
def test_comparison_agrees_with_the_gate(files, tmp_path, pair):
    b, c = files[pair[0]], files[pair[1]]
    gate = gate_rows(b, c, tmp_path)
    changes = compare.compare(compare.from_results(results.read_results(b), results.read_results(c)),
                              compare.load_thresholds())
    assert {ch.id for ch in changes} == set(gate)
    for ch in changes:
        g = gate[ch.id]
        assert float(g["t"]) == ch.threshold_pct
        if ch.verdict in ("NewBenchmark", "Missing"):
            assert g["verdict"] == ch.verdict
            continue
        assert float(g["change"].strip().rstrip("%")) == pytest.approx(ch.median_change_pct, abs=0.051)
        p = g["p"].strip()
        if p == "<0.001":
            assert ch.p_value < 0.001
        else:
            assert float(p) == pytest.approx(ch.p_value, abs=0.0006)
        lo, hi = (float(x) for x in re.findall(r"[-+][\d.]+", g["ci"]))
        width = max(ch.ci_high_pct - ch.ci_low_pct, 1.0)
        assert abs(lo - ch.ci_low_pct) < 0.1 * width and abs(hi - ch.ci_high_pct) < 0.1 * width, ch.id
        if not near_edge(ch):
            assert g["verdict"] == ch.verdict, ch.id


def test_identical_files_show_no_change(files):
    r = results.read_results(files["base"])
    for ch in compare.compare(compare.from_results(r, r), compare.load_thresholds()):
        assert ch.verdict == "NoChange" and ch.median_change_pct == 0 and ch.p_value == 1.0


def test_history_orders_runs_and_finds_the_current_one(files):
    import os
    saved = results.read_results(os.path.join(files["dir"], "h2.h5"))   # baseline save copied it
    h = history.load(files["history"], saved)
    created = [f.attrs["created"] for f in h.files]
    assert created == sorted(created) and len(h.files) == 3 and h.files[-1] is saved
    older = results.read_results(files["base"])                          # finished before the history
    h = history.load(files["history"], older)
    assert len(h.files) == 4 and h.files[0] is older
    assert all(len(s.values) == 4 for s in h.series)
