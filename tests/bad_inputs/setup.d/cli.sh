#!/usr/bin/env bash
# Fixtures of the command-line and data-loss rows (docs/BAD-INPUTS.md, O and D):
# one good results file of a tiny run, a symbolic link and a hard link to it
# (and results/latest.h5, the default output, as a link to it),
# a FIFO, a directory, a tiny regression config. Runs with cwd = $G;
# latentbench on PATH.
set -euo pipefail
F=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p cli/dir
latentbench run --suite "$F/cli/tiny.toml" --quick --warm-up-time 0.01 --measurement-time 0.05 --quiet \
    -o cli/good.h5 >/dev/null
ln -sf good.h5 cli/link.h5
ln -f cli/good.h5 cli/hard.h5
mkdir -p cli/results && ln -sf ../good.h5 cli/results/latest.h5 # the default output, a link to good.h5
rm -f cli/fifo && mkfifo cli/fifo
printf '[regression_detection]\ndefault_threshold = 10\n' >cli/config.toml
