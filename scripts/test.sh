#!/usr/bin/env bash
# All tests: install dependencies, then build and run the Check suite twice,
# in Release and under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs="$(nproc)"

# tests ON explicitly: build/release may have been configured by main.sh without them
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DLATENTBENCH_BUILD_TESTS=ON >/dev/null
cmake --build build/release -j"$jobs" >/dev/null
ctest --test-dir build/release --output-on-failure --no-tests=error

cmake -S . -B build/sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLATENTBENCH_SANITIZE=address,undefined -DLATENTBENCH_BUILD_TESTS=ON >/dev/null
cmake --build build/sanitize -j"$jobs" >/dev/null
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build/sanitize --output-on-failure --no-tests=error
