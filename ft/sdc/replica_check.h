// Megatron's parameter check: every N steps the data-parallel replicas compare one XXH3-64
// of their parameters (an all-gather of 8 bytes a rank), so a replica whose weights went
// their own way (a flip in its optimizer's memory, a step it alone skipped) is named
// rather than training on silently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "collectives/backends/communicator.h"

namespace cairn::ft {

struct ReplicaVerdict {
  bool agree = true;
  std::uint64_t majority = 0;   // the hash most ranks hold (ties: the lowest rank's)
  std::vector<int> differing;   // ranks whose hash is not the majority's, ascending
};

// The verdict from every rank's hash (pure; rank order).
ReplicaVerdict judge_replicas(const std::vector<std::uint64_t>& hashes);

// Collective over the replicas in `comm`.
ReplicaVerdict compare_replicas(coll::Communicator& comm, const float* params, std::size_t n);

}  // namespace cairn::ft
