#include "collectives/backends/ucx/algo_select.h"

#include <algorithm>

namespace cairn::coll::detail {

Knobs resolve_knobs(const AlgoConfig& c) {
  Knobs k;
  k.chunk_bytes = c.chunk_bytes ? c.chunk_bytes : kDefaultChunkBytes;
  k.channels = std::clamp(c.channels ? c.channels : kDefaultChannels, 1, kMaxChannels);
  k.depth = std::clamp(c.pipeline_depth ? c.pipeline_depth : kDefaultDepth, 1, kMaxDepth);
  return k;
}

Algorithm choose_all_reduce(const AlgoConfig& c, std::size_t bytes, int size) {
  if (c.algorithm != Algorithm::automatic) return c.algorithm;
  const std::size_t ring_from_bytes = std::size_t(32 << 10) * std::size_t(std::max(size, 1));
  return bytes < ring_from_bytes ? Algorithm::rhd : Algorithm::ring;
}

Algorithm choose_rooted(const AlgoConfig& c) {
  return c.algorithm == Algorithm::ring ? Algorithm::ring : Algorithm::tree;
}

}  // namespace cairn::coll::detail
