// How sharded data parallel (ZeRO-3 / FSDP, Rajbhandari et al. 2020) splits the flat
// parameter buffer of ParameterLayout over R ranks. The buffer is cut into units in
// forward order: the embedding, each decoder layer, and the tail (final norm and head);
// a unit is what is all-gathered just before use and reduce-scattered after backward.
// Each unit of n elements is padded to P = ceil(n / R) * R and rank r owns its elements
// [r P/R, (r+1) P/R): every rank's shard of every unit has the same length, as
// all_gather and reduce_scatter need, and a rank's local buffer (weights, gradients,
// both AdamW moments) is the concatenation of its shards, sum_u P_u / R elements.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/parameter_layout.h"

namespace cairn::train {

struct ShardUnit {
  std::string name;              // "embedding", "layers.3", "tail"
  std::int64_t begin = 0;        // first element in the flat buffer
  std::int64_t elements = 0;     // n: elements of the flat buffer it covers
  std::int64_t shard = 0;        // P / R: elements each rank owns, padding included
  std::int64_t local_begin = 0;  // where this unit's shard starts in a rank's local buffer
};

// A run of one rank's local buffer that holds one layout entry's elements (padding
// left out): what the sharded optimizer steps with that entry's weight decay.
struct LocalRun {
  std::int64_t local_begin = 0;
  std::int64_t count = 0;
  bool weight_decay = false;
};

class ShardLayout {
 public:
  // world >= 1; cairn::Error otherwise.
  ShardLayout(const ParameterLayout& layout, std::int64_t world);

  std::int64_t world() const { return world_; }
  const std::vector<ShardUnit>& units() const { return units_; }
  // Elements of one rank's local buffer (the same on every rank).
  std::int64_t local_elements() const { return local_; }

  // Copies rank's shards of `full` (layout.total_elements()) into `local`
  // (local_elements()), zeros in the padding; and the inverse for one rank's part.
  void scatter_to_local(const float* full, std::int64_t rank, float* local) const;
  void gather_from_local(const float* local, std::int64_t rank, float* full) const;

  // rank's local buffer entry by entry (layout is the one this was built from), in
  // local order: the weight-decay mask of its shard.
  std::vector<LocalRun> local_runs(const ParameterLayout& layout, std::int64_t rank) const;
  // Elements of the largest padded unit (shard * world): a working buffer that holds any unit.
  std::int64_t max_unit_elements() const;

 private:
  std::int64_t world_;
  std::vector<ShardUnit> units_;
  std::int64_t local_ = 0;
};

}  // namespace cairn::train
