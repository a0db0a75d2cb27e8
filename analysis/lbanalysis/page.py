"""The report's two documents: one self-contained HTML page (figures inline as
PNG data, tables sortable by a few lines of inline script, nothing fetched) and
a Markdown summary that links the figure files next to it.

Both render a Report, which cli.py fills. For an A/B file (`latentbench ab`)
they add its paired comparison: both libraries in the metadata, and a table
(HTML) and a section (Markdown) of every row's ratio and verdict."""

import base64
import html
import math
import os
from dataclasses import dataclass, field

from .units import fmt_bytes, fmt_pct, fmt_rate, fmt_time


@dataclass
class FigureEntry:
    name: str
    title: str
    caption: str
    files: dict      # {"png": "NAME.png", "svg": "NAME.svg"}
    ids: list
    section: str
    axes: list


@dataclass
class Report:
    results: object                 # Results
    outdir: str
    figures: list = field(default_factory=list)   # FigureEntry
    skipped: list = field(default_factory=list)   # Skipped
    baseline: object = None         # Results
    changes: list = None            # compare.Change
    comparison_source: object = None
    history: object = None          # history.History
    warnings: list = field(default_factory=list)


META = [
    ("machine", "machine"), ("hostname", "host"), ("git_commit", "commit"), ("created", "finished (UTC)"),
    ("tool_version", "latentbench"), ("compiler", "compiler"), ("build_type", "build type"),
    ("mpi_ranks", "MPI ranks"), ("nodes", "nodes"), ("omp_threads", "OpenMP threads per rank"),
    ("shard", "shard"), ("scaling", "scaling"), ("timer_resolution_ns", "timer resolution (ns)"),
    ("timer_overhead_ns", "timer overhead (ns)"), ("library", "liblatent measured"),
    ("library_hash", "liblatent hash (FNV-1a 64)"), ("command_line", "command line"),
]


# An A/B file: /benchmarks and `library` are the candidate's; the baseline's
# library is named beside it.
AB_LABELS = {"library": "candidate liblatent (B)", "library_hash": "candidate hash (FNV-1a 64)"}
AB_BEFORE = [("base_library", "baseline liblatent (A)"), ("base_library_hash", "baseline hash (FNV-1a 64)")]


def is_ab(res):
    return getattr(res, "kind", "results") == "ab"


def meta_rows(res):
    out = []
    if is_ab(res):
        out.append(("file", "A/B: the candidate build (B) against the baseline build (A), measured interleaved "
                            "in one process (latentbench ab)"))
    meta = list(META)
    if is_ab(res):
        at = meta.index(("library", "liblatent measured"))
        meta = meta[:at] + AB_BEFORE + [(k, AB_LABELS.get(k, lab)) for k, lab in meta[at:]]
    for key, label in meta:
        v = res.attrs.get(key)
        if v in ("", None):
            continue
        if isinstance(v, float):
            v = f"{v:g}"
        out.append((label, str(v)))
    if not res.attrs.get("complete", 1):
        out.append(("complete", f"no: {res.attrs.get('failure') or 'the run stopped early'}"))
    return out


def _num(v):
    return "" if v is None or (isinstance(v, float) and not math.isfinite(v)) else repr(float(v))


def _figures_of(report):
    """benchmark id -> [figure names] for the results figures."""
    out = {}
    for f in report.figures:
        if f.section == "results":
            for i in f.ids:
                out.setdefault(i, []).append(f)
    return out


def _pct_of_bound(res, r):
    """"% of bound" of a row (docs/PROBE.md): "-" without a bound."""
    p = res.pct_of_bound(r)
    return "-" if p is None else (f"{p:.2f}%" if p < 9.95 else f"{p:.1f}%")


def _has_bounds(res):
    return any(r["bound_ns"] > 0 for r in res.rows)


def _throughput(r):
    if r["throughput_elements"] > 0:
        return fmt_rate(r["throughput_elements"])
    if r["throughput_bytes"] > 0:
        return fmt_rate(r["throughput_bytes"], "B")
    return "-"


# ---- HTML ---------------------------------------------------------------------

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:0;background:#fafafa}
main{max-width:1200px;margin:0 auto;padding:1em 1.5em 3em;background:#fff}
h1{font-size:1.6em;margin:.4em 0 .2em}h2{margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}
h3{margin:.2em 0}nav a{margin-right:1em}
table{border-collapse:collapse;font-size:13px;margin:.6em 0}
th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.sortable th{cursor:pointer;user-select:none;background:#f3f3f3;position:sticky;top:0}
table.sortable th:hover{background:#e6eef7}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
tr:target{background:#fff3bf}figure:target{outline:3px solid #ffd43b}
figure{margin:1.2em 0 2em;padding:.5em;border:1px solid #eee}
figure img{max-width:100%;height:auto;display:block}
figcaption{font-size:13px;color:#444;margin-top:.4em}
.meta th{font-weight:600;white-space:nowrap}.meta td{font-family:ui-monospace,monospace;font-size:12px}
.Regression{color:#c62828;font-weight:600}.Improvement{color:#2e7d32;font-weight:600}
.warn{background:#fff3e0;border-left:4px solid #ef6c00;padding:.4em .8em}
code{font-size:12px}.wrap{overflow-x:auto}
"""

# Sorting: click (or Enter on) a header; numbers by their data-v, text otherwise;
# cells without a value sort last either way.
SCRIPT = """
(function () {
  'use strict';
  function key(cell) {
    var v = cell.getAttribute('data-v');
    if (v !== null) { return v === '' ? null : parseFloat(v); }
    return cell.textContent.trim().toLowerCase();
  }
  function sortBy(table, col, th) {
    var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
    Array.prototype.forEach.call(th.parentNode.cells, function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[col]), y = key(b.cells[col]);
      if (x === null || y === null) { return x === y ? 0 : (x === null ? 1 : -1); }
      if (typeof x === 'number' && typeof y === 'number') { return dir * (x - y); }
      return dir * String(x).localeCompare(String(y));
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.tabIndex = 0;
      th.title = 'sort';
      th.addEventListener('click', function () { sortBy(table, col, th); });
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter') { sortBy(table, col, th); } });
    });
  });
}());
"""


def _e(s):
    return html.escape(str(s), quote=True)


def _td(text, v=None, cls=None):
    attrs = ""
    if v is not None and not isinstance(v, str):  # text cells sort by their text
        attrs += f' data-v="{_e(_num(v))}"'
    if cls:
        attrs += f' class="{cls}"'
    return f"<td{attrs}>{text}</td>"


def _table(cls, head, rows):
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    return f'<div class="wrap"><table class="{cls}"><thead><tr>{th}</tr></thead><tbody>\n' + "\n".join(rows) + \
        "\n</tbody></table></div>"


def write_html(report, path):
    res = report.results
    row_anchor = {}
    for r in res.rows:
        row_anchor.setdefault(r["id"], f"row-{r['index']}")
    cmp_anchor = {c.id: f"cmp-{i}" for i, c in enumerate(report.changes or [])}
    hist_anchor = {s.id: f"hist-{i}" for i, s in enumerate(report.history.series)} if report.history else {}
    ab_anchor = {}
    for i, a in enumerate(res.ab if is_ab(res) else []):
        ab_anchor.setdefault(a["id"], f"ab-{i}")
    anchors = {"results": row_anchor, "comparison": cmp_anchor, "history": hist_anchor, "ab": ab_anchor}
    parts = []
    title = _title(res)
    parts.append(f"<h1>{_e(title)}</h1>")
    nav = [("run", "Run"), ("figures", "Figures")]
    if is_ab(res):
        nav.append(("ab", "A/B comparison"))
    nav.append(("benchmarks", "Benchmarks"))
    if report.changes is not None:
        nav.append(("comparison", "Baseline against current"))
    if report.history is not None:
        nav.append(("history", "History"))
    if report.skipped:
        nav.append(("not-drawn", "Not drawn"))
    parts.append("<nav>" + "".join(f'<a href="#{a}">{_e(t)}</a>' for a, t in nav) + "</nav>")
    for w in report.warnings:
        parts.append(f'<p class="warn">{_e(w)}</p>')

    parts.append('<section id="run"><h2>Run</h2><table class="meta">')
    for label, v in meta_rows(res):
        parts.append(f"<tr><th>{_e(label)}</th><td>{_e(v)}</td></tr>")
    parts.append("</table>")
    if report.baseline is not None:
        parts.append("<p>Baseline: <code>" + _e(report.baseline.path) + "</code>, commit <code>" +
                     _e(report.baseline.attrs["git_commit"]) + "</code> on " + _e(report.baseline.attrs["machine"]) +
                     ", finished " + _e(report.baseline.attrs["created"]) + ".</p>")
    parts.append("</section>")

    parts.append('<section id="figures"><h2>Figures</h2>')
    if report.figures:
        parts.append("<ul>" + "".join(f'<li><a href="#fig-{_e(f.name)}">{_e(f.title)}</a></li>'
                                      for f in report.figures) + "</ul>")
    for f in report.figures:
        with open(os.path.join(report.outdir, f.files["png"]), "rb") as fh:
            data = base64.b64encode(fh.read()).decode("ascii")
        links = " · ".join(f'<a href="{_e(fn)}">{k.upper()}</a>' for k, fn in f.files.items())
        amap = anchors.get(f.section, {})
        rows = [f'<a href="#{amap[i]}">{_e(i)}</a>' for i in f.ids if i in amap]
        rowlist = (f"<details><summary>{len(rows)} rows in this figure</summary>" + ", ".join(rows) +
                   "</details>") if rows else ""
        parts.append(f'<figure id="fig-{_e(f.name)}" data-figure="{_e(f.name)}"><h3>{_e(f.title)}</h3>'
                     f'<img src="data:image/png;base64,{data}" alt="{_e(f.title)}">'
                     f"<figcaption>{_e(f.caption)} Files: {links}.{rowlist}</figcaption></figure>")
    parts.append("</section>")

    if is_ab(res):
        parts.append(_ab_html(report, row_anchor))

    figs_of = _figures_of(report)
    bounded = _has_bounds(res)
    head = ["benchmark", "suite", "median", "95% CI of the mean", "MAD", "samples", "rounds", "throughput",
            "peak memory", "allocations"] + (["% of bound"] if bounded else []) + ["note", "figures"]
    rows = []
    for r in res.rows:
        ci = f"[{fmt_time(r['ci_low_ns'])}, {fmt_time(r['ci_high_ns'])}]"
        figs = " ".join(f'<a href="#fig-{_e(f.name)}">{_e(f.name)}</a>' for f in figs_of.get(r["id"], []))
        if r["id"] in cmp_anchor:
            figs += f' <a href="#{cmp_anchor[r["id"]]}">change</a>'
        if r["id"] in ab_anchor:
            figs += f' <a href="#{ab_anchor[r["id"]]}">A/B</a>'
        anchor = f"row-{r['index']}"
        rows.append(f'<tr id="{anchor}">' + "".join([
            _td(_e(r["id"]), r["id"]), _td(_e(r["suite"])),
            _td(_e(fmt_time(r["median_ns"])), r["median_ns"], "n"), _td(_e(ci), r["ci_low_ns"], "n"),
            _td(_e(fmt_time(r["mad_ns"])), r["mad_ns"], "n"), _td(str(r["samples"]), r["samples"], "n"),
            _td(str(r["rounds"]), r["rounds"], "n"),
            _td(_e(_throughput(r)), r["throughput_elements"] or r["throughput_bytes"] or None, "n"),
            _td(_e(fmt_bytes(r["peak_bytes"])), r["peak_bytes"], "n"),
            _td(str(r["allocations"]), r["allocations"], "n")] +
            ([_td(_e(_pct_of_bound(res, r)), res.pct_of_bound(r), "n")] if bounded else []) +
            [_td(_e(r["note"])), _td(figs)]) + "</tr>")
    whose = (" The candidate's (B) rows: in an A/B file each sample is one of its blocks."
             if is_ab(res) else "")
    parts.append(f'<section id="benchmarks"><h2>Benchmarks</h2><p>{len(res.rows)} rows; click a column to sort. '
                 f"Times are per iteration; the CI is the 95% bootstrap interval of the mean.{_e(whose)}</p>")
    parts.append(_table("sortable", head, rows) + "</section>")

    if report.changes is not None:
        parts.append(_comparison_html(report, row_anchor))
    if report.history is not None:
        parts.append(_history_html(report))
    if report.skipped:
        parts.append('<section id="not-drawn"><h2>Not drawn</h2><ul>')
        for s in report.skipped:
            parts.append(f"<li><strong>{_e(s.title)}</strong>: {_e(s.reason)}.</li>")
        parts.append("</ul></section>")

    body = "\n".join(parts)
    doc = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
           f'<meta name="viewport" content="width=device-width, initial-scale=1">'
           f"<title>{_e(title)}</title><style>{CSS}</style></head>\n<body><main>\n{body}\n"
           f'<footer><p>Written by analysis/report.py from <code>{_e(res.path)}</code> '
           f"(docs/ANALYSIS.md).</p></footer></main>\n<script>{SCRIPT}</script>\n</body></html>\n")
    _write(path, doc)


def _title(res):
    kind = "A/B" if is_ab(res) else "results"
    return f"latentbench {kind}: {os.path.basename(res.path)}"


def _p(p):
    return "-" if not math.isfinite(p) else ("<0.001" if p < 0.001 else f"{p:.3f}")


def _ab_html(report, row_anchor):
    from . import ab
    res = report.results
    n = ab.counts(res.ab)
    conf = ab._confidence(res.ab)
    figs = {}
    for f in report.figures:
        if f.section == "ab":
            for i in f.ids:
                figs.setdefault(i, []).append(f)
    out = ['<section id="ab"><h2>A/B comparison</h2>']
    out.append(f"<p>Candidate B <code>{_e(res.attrs['library'])}</code> ({_e(res.attrs['library_hash'])}) against "
               f"baseline A <code>{_e(res.attrs['base_library'])}</code> ({_e(res.attrs['base_library_hash'])}), "
               "measured in alternating blocks in one process: "
               f'<span class="Regression">{n["Regression"]} regressions</span>, '
               f'<span class="Improvement">{n["Improvement"]} improvements</span>, {n["NoChange"]} no change. '
               "The medians are each build's over its blocks; the ratio B / A is the Hodges–Lehmann estimate of "
               f"the per-round ratios, with its two-sided {_e(conf)} CI; p is the one-sided Wilcoxon signed-rank "
               "p in the direction of the ratio (B slower when the ratio is 1 or above, B faster below). A "
               "regression: the one-sided lower bound above 1 + threshold; an improvement: the upper bound below "
               "1 − threshold/2; memory (peak and allocations per iteration) is compared exactly "
               "(docs/REGRESSION.md). The verdicts are the file's.</p>")
    head = ["benchmark", "baseline (A) median", "candidate (B) median", "ratio B / A", f"{conf} CI", "p (one-sided)",
            "threshold", "verdict", "memory", "rounds", "rounds repeated", "figures"]
    rows = []
    for i, a in enumerate(res.ab):
        base, cand = res.base_rows[i], res.rows[i]
        ok = math.isfinite(a["ratio_ci_low"]) and math.isfinite(a["ratio_ci_high"])
        ci = f"[{a['ratio_ci_low']:.3f}, {a['ratio_ci_high']:.3f}]" if ok else "-"
        p = ab.p_directed(a)
        direction = "slower" if not a["ratio"] < 1.0 else "faster"
        mem = a["memory_verdict"]
        note = ab.memory_note(a)
        links = " ".join(f'<a href="#fig-{_e(f.name)}">{_e(f.name)}</a>' for f in figs.get(a["id"], []))
        if a["id"] in row_anchor:
            links += f' <a href="#{row_anchor[a["id"]]}">row</a>'
        rows.append(f'<tr id="ab-{i}">' + "".join([
            _td(_e(a["id"]), a["id"]),
            _td(_e(fmt_time(base["median_ns"])), base["median_ns"], "n"),
            _td(_e(fmt_time(cand["median_ns"])), cand["median_ns"], "n"),
            _td(f"{a['ratio']:.3f}" if math.isfinite(a["ratio"]) else "-", a["ratio"], "n"),
            _td(_e(ci), a["ratio_ci_low"], "n"),
            _td(_e(_p(p)) + (f" <small>({direction})</small>" if math.isfinite(p) else ""), p, "n"),
            _td(f"{a['threshold_pct']:g}%", a["threshold_pct"], "n"),
            _td(_e(a["verdict"]), a["verdict"], a["verdict"]),
            _td(_e(mem + (f": {note}" if note else ""))),
            _td(str(a["rounds"]), a["rounds"], "n"),
            _td(str(a["rounds_repeated"]), a["rounds_repeated"], "n"),
            _td(links)]) + "</tr>")
    out.append(_table("sortable", head, rows))
    out.append("</section>")
    return "\n".join(out)


def _comparison_html(report, row_anchor):
    from .compare import counts
    n = counts(report.changes)
    src = report.comparison_source
    out = ['<section id="comparison"><h2>Baseline against current</h2>']
    out.append(f"<p>{_e(src.cur_label)} against {_e(src.base_label)}: "
               f'<span class="Regression">{n["Regression"]} regressions</span>, '
               f'<span class="Improvement">{n["Improvement"]} improvements</span>, {n["NoChange"]} no change, '
               f'{n["NewBenchmark"]} new, {n["Missing"]} missing. Change of the median time; the mean\'s change '
               "and its 95% CI (of round medians when both runs have rounds); p of the two-sided Mann-Whitney test; the gate's rules (docs/REGRESSION.md). "
               "<code>latentbench compare</code> is the gate: a row on a rule's edge can differ.</p>")
    head = ["benchmark", "verdict", "baseline", "current", "median change", "mean change", "95% CI (mean)", "p",
            "threshold",
            "drift floor", "peak memory", "allocations", "figure"]
    rows = []
    for i, c in enumerate(report.changes):
        ci = "-" if not math.isfinite(c.ci_low_pct) else f"[{c.ci_low_pct:+.1f}%, {c.ci_high_pct:+.1f}%]"
        p = "-" if not math.isfinite(c.p_value) else ("<0.001" if c.p_value < 0.001 else f"{c.p_value:.3f}")
        link = f'<a href="#fig-comparison">figure</a>'
        if c.id in row_anchor:
            link += f' <a href="#{row_anchor[c.id]}">row</a>'
        rows.append(f'<tr id="cmp-{i}">' + "".join([
            _td(_e(c.id), c.id), _td(_e(c.verdict), c.verdict, c.verdict),
            _td(_e(fmt_time(c.base_median_ns)), c.base_median_ns, "n"),
            _td(_e(fmt_time(c.cur_median_ns)), c.cur_median_ns, "n"),
            _td(_e(fmt_pct(c.median_change_pct)), c.median_change_pct, "n"),
            _td(_e(fmt_pct(c.mean_change_pct)), c.mean_change_pct, "n"), _td(_e(ci), c.ci_low_pct, "n"),
            _td(_e(p), c.p_value, "n"), _td(f"{c.threshold_pct:g}%", c.threshold_pct, "n"),
            _td(_e(fmt_pct(c.noise_pct, False)), c.noise_pct, "n"),
            _td(_e(fmt_pct(c.peak_change_pct)), c.peak_change_pct, "n"),
            _td(_e(fmt_pct(c.alloc_change_pct)), c.alloc_change_pct, "n"), _td(link)]) + "</tr>")
    out.append(_table("sortable", head, rows))
    out.append("</section>")
    return "\n".join(out)


def _history_html(report):
    h = report.history
    out = ['<section id="history"><h2>History</h2>']
    out.append(f"<p>{len(h.files)} runs from <code>{_e(h.dir)}</code>, metric <code>{_e(h.metric)}</code>. "
               "Change points by binary segmentation on the log values (docs/ANALYSIS.md).</p>")
    head = ["benchmark", "runs", "change points", "shifts", "latest / first", "figure"]
    rows = []
    for i, s in enumerate(h.series):
        shifts = []
        for cp in s.change_points:
            before = next(m for a, b, m in s.segments if b == cp)
            after = next(m for a, b, m in s.segments if a == cp)
            when = h.files[s.runs[cp]].attrs["created"]
            shifts.append(f"{100 * (math.exp(after - before) - 1):+.1f}% at {when}")
        ratio = s.values[-1] / s.values[0]
        rows.append(f'<tr id="hist-{i}">' + "".join([
            _td(_e(s.id), s.id), _td(str(len(s.values)), len(s.values), "n"),
            _td(str(len(s.change_points)), len(s.change_points), "n"), _td(_e("; ".join(shifts) or "-")),
            _td(f"{ratio:.3f}", ratio, "n"), _td('<a href="#fig-history">figure</a>')]) + "</tr>")
    out.append(_table("sortable", head, rows))
    out.append("</section>")
    return "\n".join(out)


# ---- Markdown -----------------------------------------------------------------

def _md(s):
    return str(s).replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`").replace("\n", " ")


def write_markdown(report, path):
    res = report.results
    lines = [f"# {_title(res)}", ""]
    for w in report.warnings:
        lines += [f"> **Warning:** {_md(w)}", ""]
    lines += ["| | |", "|---|---|"]
    lines += [f"| {_md(k)} | {_md(v)} |" for k, v in meta_rows(res)]
    lines += ["", "## Figures", ""]
    for f in report.figures:
        lines += [f"### {f.title}", "", f"![{_md(f.title)}]({f.files['png']})", "", f.caption, ""]
    if report.skipped:
        lines += ["Not drawn:", ""]
        lines += [f"- {s.title}: {s.reason}." for s in report.skipped]
        lines += [""]
    if is_ab(res):
        lines += _ab_markdown(res)
    if report.changes is not None:
        from .compare import counts
        n = counts(report.changes)
        src = report.comparison_source
        lines += ["## Baseline against current", "",
                  f"{src.cur_label} against {src.base_label}: **{n['Regression']} regressions**, "
                  f"{n['Improvement']} improvements, {n['NoChange']} no change, {n['NewBenchmark']} new, "
                  f"{n['Missing']} missing.", ""]
        flagged = [c for c in report.changes if c.verdict in ("Regression", "Improvement")]
        if flagged:
            lines += ["| benchmark | verdict | baseline | current | median change | mean change | 95% CI (mean) "
                      "| threshold |",
                      "|---|---|---:|---:|---:|---:|---:|---:|"]
            for c in flagged:
                lines.append(f"| `{_md(c.id)}` | {c.verdict} | {fmt_time(c.base_median_ns)} | "
                             f"{fmt_time(c.cur_median_ns)} | {fmt_pct(c.median_change_pct)} | "
                             f"{fmt_pct(c.mean_change_pct)} | "
                             f"[{c.ci_low_pct:+.1f}%, {c.ci_high_pct:+.1f}%] | {c.threshold_pct:g}% |")
            lines += [""]
    if report.history is not None:
        h = report.history
        cps = [(s, cp) for s in h.series for cp in s.change_points]
        lines += ["## History", "", f"{len(h.files)} runs in `{_md(h.dir)}`, metric `{h.metric}`: "
                  f"{len(cps)} change points.", ""]
        if cps:
            lines += ["| benchmark | change point (first run after it) | shift |", "|---|---|---:|"]
            for s, cp in cps:
                before = next(m for a, b, m in s.segments if b == cp)
                after = next(m for a, b, m in s.segments if a == cp)
                lines.append(f"| `{_md(s.id)}` | {h.files[s.runs[cp]].attrs['created']} | "
                             f"{100 * (math.exp(after - before) - 1):+.1f}% |")
            lines += [""]
    bounded = _has_bounds(res)
    lines += ["## Benchmarks", "",
              "| benchmark | median | 95% CI of the mean | throughput | peak memory |" +
              (" % of bound |" if bounded else "") + " note |",
              "|:---|---:|---:|---:|---:|" + ("---:|" if bounded else "") + ":---|"]
    for r in res.rows:
        pct = f" {_pct_of_bound(res, r)} |" if bounded else ""
        lines.append(f"| {_md(r['id'])} | {fmt_time(r['median_ns'])} | [{fmt_time(r['ci_low_ns'])}, "
                     f"{fmt_time(r['ci_high_ns'])}] | {_throughput(r)} | {fmt_bytes(r['peak_bytes'])} |{pct} "
                     f"{_md(r['note'])} |")
    lines += ["", "Full report: [index.html](index.html).", ""]
    _write(path, "\n".join(lines))


def _ab_markdown(res):
    from . import ab
    n = ab.counts(res.ab)
    conf = ab._confidence(res.ab)
    lines = ["## A/B: candidate against baseline", "",
             f"Candidate B `{_md(res.attrs['library'])}` ({_md(res.attrs['library_hash'])}) against baseline A "
             f"`{_md(res.attrs['base_library'])}` ({_md(res.attrs['base_library_hash'])}), interleaved in one "
             f"process: **{n['Regression']} regressions**, {n['Improvement']} improvements, {n['NoChange']} no "
             f"change. Ratio B / A: Hodges–Lehmann estimate of the per-round ratios, {conf} CI; p: one-sided "
             "Wilcoxon signed-rank in the direction of the ratio.", "",
             f"| benchmark | verdict | baseline (A) | candidate (B) | ratio B / A | {conf} CI | p | threshold | "
             "memory | rounds |",
             "|:---|:---|---:|---:|---:|---:|---:|---:|:---|---:|"]
    for i, a in enumerate(res.ab):
        note = ab.memory_note(a)
        rounds = f"{a['rounds']}" + (f" ({a['rounds_repeated']} repeated)" if a["rounds_repeated"] else "")
        verdict = f"**{a['verdict']}**" if a["verdict"] != "NoChange" else a["verdict"]
        lines.append(f"| `{_md(a['id'])}` | {verdict} | {fmt_time(res.base_rows[i]['median_ns'])} | "
                     f"{fmt_time(res.rows[i]['median_ns'])} | {a['ratio']:.3f} | "
                     f"[{a['ratio_ci_low']:.3f}, {a['ratio_ci_high']:.3f}] | {_p(ab.p_directed(a))} | "
                     f"{a['threshold_pct']:g}% | {a['memory_verdict']}{_md(': ' + note) if note else ''} | "
                     f"{rounds} |")
    return lines + [""]


def _write(path, text):
    """Writes through a temporary file and a rename, so a reader never sees half a page."""
    tmp = f"{path}.tmp.{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
