#!/usr/bin/env bash
# Quick start, step 2: install, build (ci preset) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset ci > /dev/null
cmake --build --preset ci -j "$(nproc)"
ctest --preset ci
