#!/usr/bin/python3
"""Figures (PNG and SVG), one self-contained HTML page and a Markdown summary
from a latentbench results file, optionally against a baseline, over a
baseline history, and with runs at other rank counts.

    /usr/bin/python3 analysis/report.py RESULTS.h5 -o OUTDIR [--baseline B.h5]
        [--history DIR] [--scaling R.h5]... [--samples REGEX]

`latentbench report RESULTS.h5 --format html -o OUTDIR` runs this script.
Needs Debian's python3-h5py, -numpy, -matplotlib and -scipy. Exit status:
0 ok, 64 usage, 65 invalid input, 66 input missing, 70 internal error
(a Python module missing included), 74 output not writable; every error is
one line on stderr. docs/ANALYSIS.md describes the figures and the methods.
"""

import importlib.util
import os
import sys

EX_SOFTWARE = 70


def _main():
    sys.dont_write_bytecode = True  # leave the source tree or the install alone
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    # find_spec looks without importing: matplotlib and scipy are imported
    # only once the inputs are known to be good, so a bad file fails fast
    for module, package in (("numpy", "python3-numpy"), ("h5py", "python3-h5py"),
                            ("matplotlib", "python3-matplotlib"), ("scipy", "python3-scipy")):
        if importlib.util.find_spec(module) is None:
            print(f"report.py: needs the Python module {module} (Debian: apt-get install {package}); "
                  f"running {sys.executable}", file=sys.stderr)
            return EX_SOFTWARE
    from lbanalysis.cli import main
    return main(sys.argv[1:])


if __name__ == "__main__":
    try:
        status = _main()
    except KeyboardInterrupt:
        print("report.py: interrupted", file=sys.stderr)
        status = 130
    except BrokenPipeError:
        status = 74
    except Exception as e:  # a bug: still one line, never a traceback
        print(f"report.py: internal error: {type(e).__name__}: {e}", file=sys.stderr)
        status = EX_SOFTWARE
    sys.exit(status)
