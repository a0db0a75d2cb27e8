#!/usr/bin/env bash
# The main job: install dependencies, build (Release) and run the demo on
# random embeddings, printing kNN and attention results and the ISA in use.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DLATENTBENCH_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" >/dev/null
./build/release/latent_demo 100000 256 10 euclidean flash
