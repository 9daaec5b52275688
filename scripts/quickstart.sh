#!/usr/bin/env bash
# Quick start, step 1: install, build (release), and run the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release > /dev/null
cmake --build --preset release -j "$(nproc)"
echo
echo "== portalscan point hidden_kev_fermion (the default point of Chang & Ng's model) =="
build/release/bin/portalscan point hidden_kev_fermion
