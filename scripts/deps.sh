#!/usr/bin/env bash
# Installs the Debian packages Cairn builds, tests and runs with. Idempotent; needs root
# (or sudo). CUDA and NCCL come from /usr/local/cuda where present, not from here.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config clang
  libhwloc-dev hwloc libibverbs-dev ibverbs-utils libucx-dev ucx-utils
  libboost-program-options-dev libfmt-dev nlohmann-json3-dev libpugixml-dev
  libzstd-dev libxxhash-dev libgtest-dev libgmock-dev libbenchmark-dev
  openmpi-bin libopenmpi-dev iproute2 fortunes fortunes-min bzip2 python3-pip
  zlib1g-dev chromium-headless-shell fonts-dejavu-core  # cairn report's test renders the page
  curl python3-prometheus-client  # the metrics endpoint's tests: scrape, and a real parser
  fio jq  # probe storage beside fio (bench/storage_vs_fio.sh)
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

# The cuDNN frontend (NVIDIA's header-only C++ API for cuDNN's graphs, here its fused
# attention) is not a Debian package: the pinned PyPI wheel's include/ folder goes into
# the git-ignored .deps/, where CMake looks for it (cmake/CairnCudnnFrontend.cmake). The
# headers are the same in every wheel of a version; one wheel is pinned with its hash.
cfe_version=1.32.0
cfe_wheel=nvidia_cudnn_frontend-${cfe_version}-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl
cfe_sha256=c6006556017a4d1c914c52a556c71b1267f2d6a0500f742e7b4edef539878df0
cfe_dir=.deps/cudnn-frontend-${cfe_version}
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f "$root/$cfe_dir/include/cudnn_frontend.h" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  if python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
      --platform manylinux_2_28_x86_64 -d "$tmp" "nvidia-cudnn-frontend==${cfe_version}"; then
    echo "${cfe_sha256}  $tmp/${cfe_wheel}" | sha256sum --check --quiet  # a changed wheel stops here
    mkdir -p "$root/$cfe_dir.partial"
    python3 - "$tmp/${cfe_wheel}" "$root/$cfe_dir.partial" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extractall(sys.argv[2], [n for n in z.namelist() if n.startswith("include/")])
PY
    rm -rf "${root:?}/$cfe_dir"
    mv "$root/$cfe_dir.partial" "$root/$cfe_dir"
    echo "cuDNN frontend ${cfe_version} headers in $cfe_dir/include"
  else
    # Optional: without it the build uses Cairn's own attention kernel and CMake says so.
    echo "deps.sh: could not fetch nvidia-cudnn-frontend==${cfe_version} from PyPI; the build will use" \
         "Cairn's attention kernel only (rerun scripts/deps.sh with network access for cuDNN's)" >&2
  fi
fi
