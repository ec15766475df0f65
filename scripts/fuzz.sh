#!/usr/bin/env bash
# Bounded fuzzing of every libFuzzer target in tests/fuzz (CI's last step).
# Builds build-fuzz with clang and -DCAIRN_FUZZ=ON, then runs each target for
# CAIRN_FUZZ_SECONDS (default 60) seeded from tests/fuzz/corpus/<target>/ and the shared
# topology files. A crash leaves its input in build-fuzz/fuzz-findings/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${CAIRN_FUZZ_BUILD_DIR:-build-fuzz}
SECONDS_PER_TARGET=${CAIRN_FUZZ_SECONDS:-60}
JOBS=${CAIRN_JOBS:-2}

# Everything is built with libFuzzer's coverage hooks (fuzzer-no-link) and ASan+UBSan, so
# the parsers in the module libraries are what the fuzzer explores.
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_CUDA=OFF -DCAIRN_FUZZ=ON \
  -DCAIRN_SANITIZE=address,undefined -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link >/dev/null
targets=$(sed -n 's/^cairn_add_fuzzer(\([A-Za-z0-9_]*\).*/\1/p' tests/fuzz/CMakeLists.txt)
for t in $targets; do cmake --build "$BUILD" --target "$t" -j "$JOBS"; done

seeds=()
[ -d ../shared/topologies ] && seeds+=(../shared/topologies/nccl ../shared/topologies/hwloc)
mkdir -p "$BUILD/fuzz-findings"
for t in $targets; do
  work="$BUILD/fuzz-corpus/$t"
  mkdir -p "$work"
  corpus=("$work")
  [ -d "tests/fuzz/corpus/$t" ] && corpus+=("tests/fuzz/corpus/$t")
  echo "--- $t (${SECONDS_PER_TARGET}s)"
  log="$BUILD/fuzz-$t.log"
  if ! ASAN_OPTIONS=detect_leaks=1 "$BUILD/fuzz/$t" -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 \
      -artifact_prefix="$BUILD/fuzz-findings/$t-" -print_final_stats=1 "${corpus[@]}" "${seeds[@]}" >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz target $t failed; the input is in $BUILD/fuzz-findings/"
    exit 1
  fi
  grep -E "^(Done|stat::number_of_executed_units)" "$log" || tail -3 "$log"
done
