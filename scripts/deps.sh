#!/usr/bin/env bash
# Installs the Debian 12 packages that building and testing latentbench need.
# Run as root; safe to repeat.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  build-essential cmake pkg-config check libomp-dev >/dev/null
