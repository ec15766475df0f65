#!/usr/bin/env bash
# Cairn's UCX all_reduce vs Open MPI's MPI_Allreduce, 2 ranks on
# this host, 1 KiB - 256 MiB, in one mpirun; writes the table to docs/bench-ucx-vs-mpi.md.
# Usage: scripts/bench-ucx-vs-mpi.sh [BUILD_DIR] [extra bench_ucx_vs_mpi flags]
# BUILD_DIR defaults to build/ (configured by scripts/build.sh). Ranks: CAIRN_BENCH_RANKS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
ranks=${CAIRN_BENCH_RANKS:-2}
binary="$build/bin/bench_ucx_vs_mpi"
if [ ! -x "$binary" ]; then
  echo "bench-ucx-vs-mpi: $binary is missing; build it with: cmake --build $build --target bench_ucx_vs_mpi" >&2
  exit 2
fi
flags=(-np "$ranks" --bind-to none)
# Open MPI refuses root unless told; CI containers and this VM run as root.
if [ "$(id -u)" -eq 0 ]; then flags+=(--allow-run-as-root); fi
# More ranks than cores would make both libraries' numbers meaningless: say so, but run.
if [ "$ranks" -gt "$(nproc)" ]; then
  echo "bench-ucx-vs-mpi: $ranks ranks on $(nproc) cores: results are oversubscribed" >&2
  flags+=(--oversubscribe)
fi
exec mpirun "${flags[@]}" "$binary" --output docs/bench-ucx-vs-mpi.md "$@"
