#!/usr/bin/env bash
# Set-up command 2: install dependencies, build, run every test. Extra arguments go to
# CMake's configure step. GPU tests skip with their reason where no GPU is present.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh -DCAIRN_WERROR=ON "$@"
ctest --test-dir "${CAIRN_BUILD_DIR:-build}" --output-on-failure -j "${CAIRN_TEST_JOBS:-2}"
