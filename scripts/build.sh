#!/usr/bin/env bash
# Configures and builds Cairn into build/ (or $CAIRN_BUILD_DIR). Extra arguments go to
# CMake's configure step, e.g. -DCAIRN_CUDA=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${CAIRN_BUILD_DIR:-build}
jobs=${CAIRN_JOBS:-$(nproc)}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=${CAIRN_BUILD_TYPE:-RelWithDebInfo} "$@"
cmake --build "$build" -j "$jobs"
