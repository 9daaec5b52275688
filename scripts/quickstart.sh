#!/usr/bin/env bash
# Quick start, step 1: install, build (release), and run the main job: the
# quick-start scan (scans/quickstart.json, 320 000 points of hidden_kev_fermion)
# into quickstart.h5, then a summary of the file.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release > /dev/null
cmake --build --preset release -j "$(nproc)"
echo
build/release/bin/portalscan run scans/quickstart.json -o quickstart.h5 --force
echo
build/release/bin/portalscan info quickstart.h5
