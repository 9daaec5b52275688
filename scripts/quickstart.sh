#!/usr/bin/env bash
# Quick start, step 1: install, build (release), and run the main job: the
# quick-start scan (scans/quickstart.json, 320 000 points of hidden_kev_fermion)
# into quickstart.h5, a summary of the file, and its exclusion plot (exclusion.png: the
# profile-likelihood allowed region in the chi mass - kinetic mixing plane, and the region each
# constraint excludes on its own; docs/plotting.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release > /dev/null
cmake --build --preset release -j "$(nproc)"
echo
build/release/bin/portalscan run scans/quickstart.json -o quickstart.h5 --force
echo
build/release/bin/portalscan info quickstart.h5
echo
build/release/bin/portalscan export quickstart.h5 --x M_chi --y epsilon --units x=keV -o exclusion.png
