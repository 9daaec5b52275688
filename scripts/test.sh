#!/usr/bin/env bash
# Quick start, step 2: install, build (ci preset) and run the whole test suite;
# then the sanitizer build (debug preset: address and undefined behaviour) of
# the physics and scanner unit tests and the CLI, run on those tests and on a
# small scan (run, resume, shards and merge, info, point, spectrum), so that a
# memory error cannot land unseen.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset ci > /dev/null
cmake --build --preset ci -j "$(nproc)"
ctest --preset ci

cmake --preset debug > /dev/null
cmake --build --preset debug -j "$(nproc)" --target physics_tests scanner_tests portalscan
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
build/debug/tests/physics_tests --gtest_brief=1
build/debug/tests/scanner_tests --gtest_brief=1
scan=$(mktemp -d)
trap 'rm -rf "$scan"' EXIT
portalscan=$PWD/build/debug/bin/portalscan
cat > "$scan/small.json" <<'JSON'
{
  "model": "hidden_kev_fermion",
  "parameters": {"M_N": 1e10, "y_e": 1e-2,
    "M_chi": {"range": [1e-6, 1e-4], "scale": "log", "points": 10},
    "f_L": {"range": [1e-3, 1.0], "scale": "log", "points": 10},
    "f_R": {"equal_to": "f_L"},
    "kappa": {"range": [1e-11, 1e-7], "scale": "log", "points": 10}},
  "constraints": ["default", "relic_abundance"],
  "output": {"keep": "all", "chunk_points": 64, "commit_seconds": 0}
}
JSON
cat > "$scan/lfv.json" <<'JSON'
{"model": "lfv_nsi", "options": {"mixing": "mass_matrix"},
 "parameters": {"mu": {"range": [1e-9, 1e-3], "scale": "log", "points": 200}},
 "output": {"chunk_points": 50}}
JSON
(
  cd "$scan"
  "$portalscan" run small.json -o small.h5 -j 2 > /dev/null
  "$portalscan" run small.json -o small.h5 --resume > /dev/null
  for k in 1 2; do "$portalscan" run small.json --shard $k/2 -o shard$k.h5 > /dev/null; done
  "$portalscan" merge -o merged.h5 shard1.h5 shard2.h5 > /dev/null
  "$portalscan" info merged.h5 --json > /dev/null
  "$portalscan" run lfv.json -o lfv.h5 > /dev/null
  "$portalscan" point hidden_kev_fermion --block all --json > /dev/null
  "$portalscan" spectrum cevns_sns --model hidden_kev_fermion --points 20 > /dev/null
)
echo "sanitizer build: physics and scanner unit tests and a small scan passed"
