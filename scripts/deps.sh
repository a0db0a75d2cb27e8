#!/usr/bin/env bash
# Installs the Debian 12 packages that building and testing latentbench need.
# Run as root; safe to repeat.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  build-essential cmake pkg-config git ca-certificates \
  check libomp-dev clang libclang-rt-14-dev valgrind \
  openmpi-bin libopenmpi-dev \
  slurmctld slurmd slurm-client munge \
  libhdf5-dev libcurl4-openssl-dev shellcheck libfaiss-dev libopenblas-dev \
  python3 python3-h5py python3-numpy python3-matplotlib python3-scipy python3-pytest chromium >/dev/null
