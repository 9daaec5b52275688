#!/usr/bin/env bash
# Installs portalscan's build and run dependencies from Debian 12's archive (as root).
set -euo pipefail
packages=(
  g++ cmake make git
  libeigen3-dev libboost-dev libhdf5-dev hdf5-tools nlohmann-json3-dev libcli11-dev
  librandom123-dev libgtest-dev libbenchmark-dev
  libopenmpi-dev openmpi-bin
  python3 python3-matplotlib python3-h5py python3-pandas python3-yaml
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
