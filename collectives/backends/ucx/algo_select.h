// Defaults of the host algorithm knobs and the automatic choice of algorithm.
#pragma once

#include <cstddef>

#include "collectives/backends/communicator.h"
#include "collectives/backends/ucx/algorithms.h"

namespace cairn::coll::detail {

// Defaults for knobs left at 0 in AlgoConfig (docs/ucx_backend.md).
inline constexpr std::size_t kDefaultChunkBytes = 128 << 10;
inline constexpr int kDefaultDepth = 2;
inline constexpr int kDefaultChannels = 1;
// Channel numbers are part of the tag; the tree uses two per channel.
inline constexpr int kMaxChannels = 16;
inline constexpr int kMaxDepth = 64;

Knobs resolve_knobs(const AlgoConfig& c);

// all_reduce with Algorithm::automatic: recursive halving/doubling while the latency of
// 2(N-1) ring steps dominates, the ring once the buffer is large enough that bandwidth
// does (both move the same bytes per rank). The threshold scales with the rank count.
Algorithm choose_all_reduce(const AlgoConfig& c, std::size_t bytes, int size);

// reduce and broadcast: `ring` means the pipelined chain; `automatic` and `rhd` the
// double binary tree.
Algorithm choose_rooted(const AlgoConfig& c);

}  // namespace cairn::coll::detail
