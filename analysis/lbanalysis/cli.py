"""report.py's command line: read, draw, write (docs/ANALYSIS.md)."""

import argparse
import json
import math
import os
import sys
import warnings

from .errors import EX_DATAERR, EX_IOERR, EX_USAGE, AnalysisError
from .results import open_file, read_results

METRICS = ("median_ns", "mean_ns", "min_ns", "slope_ns", "peak_bytes", "avg_bytes", "rss_peak_bytes",
           "allocations", "throughput_elements", "throughput_bytes")  # history.METRICS, without matplotlib

USAGE = ("report.py RESULTS.h5|AB.h5 -o OUTDIR [--baseline B.h5 [--config C.toml] [--threshold PCT]] "
         "[--history DIR [--history-name NAME] [--history-metric FIELD]] [--scaling R.h5]... [--samples REGEX]")


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise AnalysisError(EX_USAGE, message)


def parse(argv):
    p = Parser(prog="report.py", usage=USAGE, description=(
        "Figures (PNG and SVG), one self-contained HTML page and a Markdown summary from a latentbench "
        "results file, or from an A/B file of latentbench ab with its paired comparison. Exit status: 0 ok, "
        "64 usage, 65 invalid input (another schema, a damaged or truncated file, an empty suite), 66 input "
        "missing, 70 internal error, 74 output not writable."))
    p.add_argument("results", metavar="RESULTS.h5", help="a results file, or an A/B file (latentbench ab)")
    p.add_argument("-o", "--output", metavar="OUTDIR", required=True, help="directory for the report (created)")
    p.add_argument("--baseline", metavar="B.h5", help="draw the change of every benchmark against this file")
    p.add_argument("--config", metavar="C.toml", help="regression_config.toml for the thresholds")
    p.add_argument("--threshold", metavar="PCT", type=float, help="replaces thresholds.default")
    p.add_argument("--history", metavar="DIR",
                   help="a directory of earlier results files, or the baseline directory (docs/BASELINES.md)")
    p.add_argument("--history-name", metavar="NAME", default="main", help="baseline name in DIR (main)")
    p.add_argument("--history-metric", metavar="FIELD", default="median_ns",
                   help=f"field to follow: {', '.join(METRICS)} (median_ns)")
    p.add_argument("--scaling", metavar="R.h5", action="append", default=[],
                   help="a run of the same study at another rank count (repeatable)")
    p.add_argument("--samples", metavar="REGEX",
                   help="ids whose raw samples (and, in an A/B file, rounds) to draw (default: one per group)")
    a = p.parse_args(argv)
    if (a.config or a.threshold is not None) and not a.baseline:
        raise AnalysisError(EX_USAGE, "--config and --threshold apply only with --baseline")
    if a.threshold is not None and not (math.isfinite(a.threshold) and a.threshold > 0):
        raise AnalysisError(EX_USAGE, f"--threshold must be a percentage above 0, got {a.threshold:g}")
    return a


def _outdir(path):
    try:
        os.makedirs(path, exist_ok=True)
    except FileExistsError:
        raise AnalysisError(EX_IOERR, f"{path}: exists and is not a directory")
    except OSError as e:
        raise AnalysisError(EX_IOERR, f"{path}: {e.strerror or e}")
    if not os.access(path, os.W_OK | os.X_OK):
        raise AnalysisError(EX_IOERR, f"{path}: Permission denied")


def run(argv):
    a = parse(argv)
    res = open_file(a.results)  # a results file, or an A/B file: the candidate's run and the comparison
    if not res.rows:
        raise AnalysisError(EX_DATAERR, f"{a.results}: holds no benchmarks (an empty suite): nothing to report")
    base = read_results(a.baseline) if a.baseline else None
    scaling = [read_results(p) for p in a.scaling]
    # matplotlib and scipy load only now: a bad input is refused without them
    from . import ab, compare, figures, history, page
    from . import plotting as P
    thresholds = compare.load_thresholds(a.config, a.threshold) if base else None
    _outdir(a.output)

    report = page.Report(results=res, outdir=a.output, baseline=base)
    if not res.attrs["complete"]:
        report.warnings.append(f"{a.results}: incomplete run: {res.attrs['failure'] or 'stopped early'}")
    if res.kind == "ab":
        # the paired comparison first: it is what the file is for. Its samples
        # are the candidate's blocks, drawn with the baseline's in the rounds figure.
        drawn = ab.build_all(res, a.samples) + figures.build_all(
            figures.Context(res, scaling, a.samples), {figures.sample_distributions: ab.samples_skipped()})
    else:
        drawn = figures.build_all(figures.Context(res, scaling, a.samples))

    hist = None
    if a.history:
        hist = history.load(a.history, res, a.history_metric, a.history_name)
        report.history = hist
        report.warnings += hist.warnings
    if base is not None:
        source = compare.from_results(base, res)
        floors = {}
        if hist is not None:
            here = {os.path.realpath(base.path), os.path.realpath(res.path)}
            floors = compare.drift_floors(source, [f for f in hist.files if os.path.realpath(f.path) not in here])
        changes = compare.compare(source, thresholds, floors)
        report.changes, report.comparison_source = changes, source
        if source.base_machine != source.cur_machine:
            report.warnings.append(f"the machines differ: baseline '{source.base_machine}', "
                                   f"current '{source.cur_machine}'")
        drawn.append(compare.figure(source, changes, thresholds))
    if hist is not None:
        drawn.append(history.figure(hist, res))

    manifest = {"results": a.results, "kind": res.kind, "figures": [], "skipped": []}
    for d in drawn:
        if isinstance(d, P.Skipped):
            report.skipped.append(d)
            manifest["skipped"].append({"name": d.name, "title": d.title, "reason": d.reason})
            continue
        try:
            files, axes = P.save(d, a.output)
        except OSError as e:
            raise AnalysisError(EX_IOERR, f"{os.path.join(a.output, d.name)}.png: {e.strerror or e}")
        report.figures.append(page.FigureEntry(d.name, d.title, d.caption, files, d.ids, d.section, axes))
        manifest["figures"].append({"name": d.name, "title": d.title, "caption": d.caption, "files": files,
                                    "section": d.section, "ids": d.ids, "axes": axes})
    for name, writer in (("summary.md", page.write_markdown), ("index.html", page.write_html)):
        path = os.path.join(a.output, name)
        try:
            writer(report, path)
        except OSError as e:
            raise AnalysisError(EX_IOERR, f"{path}: {e.strerror or e}")
    path = os.path.join(a.output, "figures.json")
    try:
        page._write(path, json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    except OSError as e:
        raise AnalysisError(EX_IOERR, f"{path}: {e.strerror or e}")
    for w in report.warnings:
        print(f"report.py: warning: {w}", file=sys.stderr)
    print(f"report: {os.path.join(a.output, 'index.html')} ({len(report.figures)} figures, "
          f"{len(report.skipped)} not drawn)")
    return 0


def main(argv):
    warnings.simplefilter("ignore")  # numpy/matplotlib chatter is no error line
    try:
        return run(argv)
    except AnalysisError as e:
        print(f"report.py: {e}", file=sys.stderr)
        return e.status
