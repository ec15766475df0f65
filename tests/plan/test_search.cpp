// train/plan/search: the layouts it keeps fit, are ranked by predicted step time, and
// cover the space the docs promise (docs/plan.md, "Search").
#include "train/plan/search.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace cairn::train::plan {
namespace {

SearchSpace space(std::int64_t gpus, std::int64_t batch) {
  SearchSpace s;
  s.gpus = gpus, s.global_batch = batch, s.seq_len = 4096;
  s.optimizer = Optimizer::ademamix, s.recompute = Recompute::selective;
  s.rate = {ComputeRate::Kind::tflops, 450};
  return s;
}

TEST(PlanSearch, GpuMemoryOfTheNodePresets) {
  EXPECT_EQ(gpu_memory_bytes("gh200-alps"), 96'000'000'000LL);
  EXPECT_EQ(gpu_memory_bytes("dgx-h100"), 80'000'000'000LL);
  EXPECT_EQ(gpu_memory_bytes("pcie-only"), 80'000'000'000LL);
  EXPECT_THROW(gpu_memory_bytes("no-such-node"), Error);
}

TEST(PlanSearch, Apertus70bOnAlpsFitsRankedAndWithinTheNode) {
  const ModelConfig c = preset("apertus-70b");
  const SearchResult r = search_layouts(c, topology::cluster_preset("gh200-alps", 1024), space(4096, 4096));
  ASSERT_FALSE(r.fitting.empty());
  EXPECT_GT(r.considered, static_cast<std::int64_t>(r.fitting.size()));  // some do not fit 96 GB
  bool published = false;
  for (std::size_t i = 0; i < r.fitting.size(); ++i) {
    const Candidate& k = r.fitting[i];
    EXPECT_LE(k.memory.total(), r.gpu_memory_bytes);
    EXPECT_LE(k.layout.tp, 4);
    EXPECT_EQ(k.layout.gpus(), 4096);
    if (i > 0) {
      EXPECT_LE(r.fitting[i - 1].time.step_s, k.time.step_s);
    }
    published = published || (k.layout.tp == 4 && k.layout.pp == 8 && k.layout.micro_batch == 1);
  }
  EXPECT_TRUE(published) << "TP 4 x PP 8 x DP 128, the run's own layout, fits 96 GB";
  // Pure data parallelism cannot hold 70B's weights and gradients (4 bytes x 70.6 B).
  for (const Candidate& k : r.fitting) EXPECT_FALSE(k.layout.tp == 1 && k.layout.pp == 1);
}

TEST(PlanSearch, PinnedFlagsArePinnedAndImpossibleOnesRefused) {
  const ModelConfig c = preset("apertus-70b");
  SearchSpace s = space(4096, 4096);
  s.tp = 4, s.pp = 8, s.virtual_stages = 5;
  const SearchResult r = search_layouts(c, topology::cluster_preset("gh200-alps", 1024), s);
  ASSERT_FALSE(r.fitting.empty());
  for (const Candidate& k : r.fitting) {
    EXPECT_EQ(k.layout.tp, 4);
    EXPECT_EQ(k.layout.pp, 8);
    EXPECT_EQ(k.layout.virtual_stages, 5);
  }
  s.tp = 3;  // divides neither 64 nor 8 heads
  EXPECT_THROW(search_layouts(c, topology::cluster_preset("gh200-alps", 1024), s), Error);
  SearchSpace odd = space(4094, 4096);
  EXPECT_THROW(search_layouts(c, topology::cluster_preset("gh200-alps", 1024), odd), Error);
}

TEST(PlanSearch, NothingFitsWhenTheModelIsTooBigForTheGpus) {
  const SearchResult r = search_layouts(preset("apertus-70b"), topology::cluster_preset("gh200-alps", 1), space(4, 16));
  EXPECT_TRUE(r.fitting.empty());
  ASSERT_TRUE(r.least_memory.has_value());
  EXPECT_GT(r.least_memory->memory.total(), r.gpu_memory_bytes);
}

}  // namespace
}  // namespace cairn::train::plan
