#!/usr/bin/env bash
# Installs the Debian packages Cairn builds, tests and runs with. Idempotent; needs root
# (or sudo). CUDA and NCCL come from /usr/local/cuda where present, not from here.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config clang
  libhwloc-dev hwloc libibverbs-dev ibverbs-utils libucx-dev ucx-utils
  libboost-program-options-dev libfmt-dev nlohmann-json3-dev libpugixml-dev
  libzstd-dev libxxhash-dev libgtest-dev libgmock-dev libbenchmark-dev
  openmpi-bin libopenmpi-dev iproute2 fortunes fortunes-min bzip2
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
