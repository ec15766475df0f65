// ShardLayout: the units cover the flat buffer exactly, every rank's local buffer has the
// same length (~1/R of the whole), and scattering then gathering every rank's shards
// gives the buffer back element for element.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "common/error.h"
#include "train/config.h"
#include "train/shard_layout.h"

namespace cairn::train {
namespace {

TEST(ShardLayout, UnitsCoverTheBufferInForwardOrder) {
  const auto c = preset("tiny");
  const ParameterLayout layout(c);
  const ShardLayout s(layout, 4);
  ASSERT_EQ(static_cast<std::int64_t>(s.units().size()), c.n_layers + 2);
  EXPECT_EQ(s.units().front().name, "embedding");
  EXPECT_EQ(s.units()[1].name, "layers.0");
  EXPECT_EQ(s.units().back().name, "tail");
  std::int64_t next = 0;
  for (const auto& u : s.units()) {
    EXPECT_EQ(u.begin, next) << u.name;
    EXPECT_GE(u.shard * 4, u.elements) << u.name;
    EXPECT_LT(u.shard * 4 - u.elements, 4) << u.name;
    next = u.begin + u.elements;
  }
  EXPECT_EQ(next, layout.total_elements());
}

TEST(ShardLayout, ScatterThenGatherIsTheIdentityAtEveryWorld) {
  const ParameterLayout layout(preset("tiny-xielu"));
  std::vector<float> full(layout.total_elements());
  std::iota(full.begin(), full.end(), 1.0f);
  for (std::int64_t world : {1, 2, 3, 4}) {
    const ShardLayout s(layout, world);
    // ~1/R: at most R-1 elements of padding a unit.
    const auto units = static_cast<std::int64_t>(s.units().size());
    EXPECT_LE(s.local_elements() * world, layout.total_elements() + (world - 1) * units);
    std::vector<float> back(full.size(), 0.0f), local(s.local_elements());
    for (std::int64_t r = 0; r < world; ++r) {
      s.scatter_to_local(full.data(), r, local.data());
      s.gather_from_local(local.data(), r, back.data());
    }
    EXPECT_EQ(back, full) << "world " << world;
  }
}

// The runs of every rank's local buffer, mapped back to the flat buffer, cover each
// entry once with that entry's weight decay: the sharded optimizer's mask.
TEST(ShardLayout, LocalRunsAreTheDecayMaskOfEachShard) {
  const ParameterLayout layout(preset("tiny-xielu"));
  std::vector<float> decay(layout.total_elements(), -3.0f);  // -3: alignment between entries
  for (const auto& e : layout.entries())
    std::fill_n(decay.begin() + e.offset, e.numel(), e.weight_decay ? 1.0f : 0.0f);
  for (std::int64_t world : {1, 3, 4}) {
    const ShardLayout s(layout, world);
    std::vector<float> back(decay.size(), -2.0f);
    for (std::int64_t r = 0; r < world; ++r) {
      std::vector<float> local(s.local_elements(), -3.0f);  // -3: no run (alignment, padding)
      for (const LocalRun& run : s.local_runs(layout, r))
        std::fill_n(local.begin() + run.local_begin, run.count, run.weight_decay ? 1.0f : 0.0f);
      s.gather_from_local(local.data(), r, back.data());
    }
    const auto miss = std::mismatch(back.begin(), back.end(), decay.begin()).first - back.begin();
    EXPECT_EQ(miss, static_cast<std::ptrdiff_t>(back.size()))
        << "world " << world << ": element " << miss << " is " << back[miss] << ", expected " << decay[miss];
    EXPECT_GE(s.max_unit_elements(), s.units().front().shard * world);
  }
}

TEST(ShardLayout, RefusesAWorldBelowOne) {
  EXPECT_THROW(ShardLayout(ParameterLayout(preset("tiny")), 0), Error);
}

}  // namespace
}  // namespace cairn::train
