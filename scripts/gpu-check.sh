#!/usr/bin/env bash
# For the GPU machine: `cairn bench --backend nccl` runs every
# collective on one GPU with the data check on (zero #wrong), and, where nccl-tests is
# built there (NCCL_TESTS_DIR=its build/ folder), its *_perf binaries run beside it with
# the same flags; both tables are printed, then the out-of-place columns side by side.
# On one GPU busbw is 0 for all_reduce, reduce_scatter, all_gather and alltoall (factor
# (n-1)/n), so the comparison shows time and algbw as well.
#
# Usage: scripts/gpu-check.sh BUILD_DIR
#   NCCL_TESTS_DIR  nccl-tests' build/ (all_reduce_perf ...), optional
#   CAIRN_LIB_DIR   shared libraries carried with the binary (libucp.so.0 ...), prepended
#                   to LD_LIBRARY_PATH; default: .devlibs if present
#   GPU_CHECK_FLAGS sweep flags (default: -b 8 -e 1G -f 2 -c 1)
#   GPU_CHECK_OUT   folder for the tables (default: a temporary one)
# Exit: 0 all clean, 1 a wrong element or a failed run, 2 missing pieces.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: scripts/gpu-check.sh BUILD_DIR}
cairn="$build/bin/cairn"
[ -x "$cairn" ] || { echo "gpu-check: $cairn is missing; build with CUDA first" >&2; exit 2; }
libs=${CAIRN_LIB_DIR:-}
[ -z "$libs" ] && [ -d .devlibs ] && libs=$PWD/.devlibs
if [ -n "$libs" ]; then
  export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  [ -d "$libs/ucx" ] && export UCX_MODULE_DIR="$libs/ucx"
fi
if ldd "$cairn" | grep -q "not found"; then
  echo "gpu-check: $cairn misses shared libraries (set CAIRN_LIB_DIR):" >&2
  ldd "$cairn" | grep "not found" >&2
  exit 2
fi
read -r -a flags <<< "${GPU_CHECK_FLAGS:--b 8 -e 1G -f 2 -c 1}"
out=${GPU_CHECK_OUT:-$(mktemp -d)}
mkdir -p "$out"
ops=(all_reduce reduce_scatter all_gather broadcast reduce alltoall sendrecv)
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
echo "NCCL_NVLS_ENABLE=${NCCL_NVLS_ENABLE-(unset)}  tables in $out"

status=0
for op in "${ops[@]}"; do
  echo "=== cairn bench --backend nccl --op $op ${flags[*]}"
  "$cairn" bench --backend nccl --op "$op" "${flags[@]}" > "$out/cairn_$op.txt"
  rc=$?
  cat "$out/cairn_$op.txt"
  [ $rc -eq 0 ] || { echo "gpu-check: cairn bench $op exited $rc" >&2; status=1; }
  if [ -n "${NCCL_TESTS_DIR:-}" ]; then
    echo "=== $NCCL_TESTS_DIR/${op}_perf ${flags[*]} -g 1"
    "$NCCL_TESTS_DIR/${op}_perf" "${flags[@]}" -g 1 > "$out/nccl_tests_$op.txt"
    rc=$?
    cat "$out/nccl_tests_$op.txt"
    [ $rc -eq 0 ] || { echo "gpu-check: ${op}_perf exited $rc" >&2; status=1; }
  fi
done

# Data lines: size count type redop root | time algbw busbw #wrong | time algbw busbw #wrong.
echo "=== #wrong (out-of-place + in-place, summed over rows; N/A not counted)"
for op in "${ops[@]}"; do
  awk -v op="$op" '!/^#/ && NF >= 12 { w += ($9 == "N/A" ? 0 : $9) + ($13 == "N/A" ? 0 : $13); n++ }
    END { printf "%-15s %3d rows  %d wrong\n", op, n, w; exit (w > 0 || n == 0) }' "$out/cairn_$op.txt" || status=1
done

if [ -n "${NCCL_TESTS_DIR:-}" ]; then
  echo "=== out-of-place, sizes >= 1 MiB: cairn vs nccl-tests (ratio: cairn algbw / nccl-tests algbw)"
  for op in "${ops[@]}"; do
    echo "--- $op"
    printf "%12s  %10s %8s %8s  %10s %8s %8s  %6s\n" size cairn_us algbw busbw nccl_us algbw busbw ratio
    awk 'FNR == NR { if (!/^#/ && NF >= 12) { t[$1] = $6; a[$1] = $7; b[$1] = $8 } next }
      !/^#/ && NF >= 12 && $1 >= 1048576 && ($1 in t) {
        printf "%12s  %10s %8s %8s  %10s %8s %8s  %6.2f\n", $1, t[$1], a[$1], b[$1], $6, $7, $8, ($7 > 0 ? a[$1] / $7 : 0) }' \
      "$out/cairn_$op.txt" "$out/nccl_tests_$op.txt"
    grep -h "Avg bus bandwidth" "$out/cairn_$op.txt" "$out/nccl_tests_$op.txt" | sed 's/^/    /'
  done
fi
exit $status
