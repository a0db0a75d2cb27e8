#!/usr/bin/env bash
# The main job: install dependencies, build (Release), run the ci suite
# single-node, write results/latest.h5 and print the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DLATENTBENCH_BUILD_TESTS=OFF -DLATENTBENCH_SANITIZE= -DLATENTBENCH_FUZZ=OFF >/dev/null
cmake --build build/release -j"$(nproc)" >/dev/null
# the default output, results/latest.h5: its directory is made by the run itself
./build/release/latentbench run --suite ci --quick --rounds 30
