// Sharded data parallel (ZeRO-3, train/model_cpu_sharded.h) over UCX host ranks (forked
// processes): 2 and 4 ranks of `tiny` and `tiny-xielu` end with the weights plain data
// parallel reaches on the same ranks, while each rank holds ~1/R of the weights,
// gradients and AdamW moments plain data parallel holds.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "collectives/backends/ucx/ucx_communicator.h"
#include "tests/support/rank_harness.h"
#include "tests/train/train_test_util.h"
#include "train/cpu/parallel.h"
#include "train/model_cpu_sharded.h"
#include "train/trainer.h"

namespace cairn::train {
namespace {

using coll::testing::RankEnv;

struct Case {
  const char* preset;
  int world;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.preset << " x" << c.world; }

class ShardedDataParallel : public test::FortunesShardTest, public ::testing::WithParamInterface<Case> {
 protected:
  static constexpr std::int64_t kSteps = 5;
  static TrainConfig config(const char* preset, bool shard) {
    TrainConfig c = fortunes_config(preset, kSteps);
    c.batch = 2;
    c.seq_len = 16;
    c.shard = shard;
    return c;
  }
  // Trains cfg on `world` forked UCX ranks; rank 0 writes the final full weights (a
  // sharded run gathers them: sync_state() is collective) to `file` and notes the bytes
  // of state the trainer held ("held <state> <working>").
  static void train_ranks(int world, const TrainConfig& cfg, const std::string& file) {
    const auto outcomes = coll::testing::run_ranks(world, [&](RankEnv& env) {
      cpu::set_cpu_threads(1);
      auto comm = coll::make_ucx_communicator(env.store(), env.rank(), env.size());
      {
        Trainer t(cfg, *shard_, comm.get());
        while (t.state().step < cfg.steps) t.step();
        t.sync_state();
        if (auto* s = dynamic_cast<ShardedCpuModel*>(&t.model())) {
          const auto held = s->held_bytes();
          env.note("held " + std::to_string(held.state) + " " + std::to_string(held.working));
        }
        if (env.rank() == 0) {
          const auto& p = t.state().params;
          std::ofstream(file, std::ios::binary)
              .write(reinterpret_cast<const char*>(p.data()), static_cast<std::streamsize>(p.size() * sizeof(float)));
        }
      }
      comm.reset();  // collective
    });
    coll::testing::expect_all_ok(outcomes);
    for (const auto& o : outcomes)
      for (const auto& n : o.notes) notes_.push_back(n);
  }
  static std::vector<float> read(const std::string& file, std::size_t n) {
    std::vector<float> w(n);
    std::ifstream in(file, std::ios::binary);
    in.read(reinterpret_cast<char*>(w.data()), static_cast<std::streamsize>(n * sizeof(float)));
    EXPECT_EQ(in.gcount(), static_cast<std::streamsize>(n * sizeof(float))) << file;
    return w;
  }
  static inline std::vector<std::string> notes_;
};

TEST_P(ShardedDataParallel, EndsWithPlainDataParallelsWeightsHoldingOneRthOfTheState) {
  const Case c = GetParam();
  const std::string plain_file = dir_->file("plain.bin"), sharded_file = dir_->file("sharded.bin");
  notes_.clear();
  train_ranks(c.world, config(c.preset, false), plain_file);
  train_ranks(c.world, config(c.preset, true), sharded_file);
  if (HasFailure()) return;

  const ParameterLayout layout(preset(c.preset));
  const auto n = static_cast<std::size_t>(layout.total_elements());
  std::vector<float> init;
  {
    Trainer t0(config(c.preset, false), *shard_);
    init = t0.state().params;
  }
  const std::vector<float> plain = read(plain_file, n), sharded = read(sharded_file, n);
  // Not bitwise: the reduce-scatter of each unit and plain's one all-reduce of the whole
  // buffer may add the ranks' gradients in another order (and the clip's squared norm is
  // summed shard by shard), and AdamW's m / sqrt(v) passes a last-bit difference on at
  // the size of the update for entries whose gradient is mostly cancellation. So the
  // bound is relative to how far training moved the weights, as plain data parallel's
  // own test: a rank stepping on a wrong shard misses by the change itself.
  double max_diff = 0, max_change = 0;
  for (std::size_t i = 0; i < n; ++i) {
    max_diff = std::max(max_diff, std::fabs(double(sharded[i]) - plain[i]));
    max_change = std::max(max_change, std::fabs(double(plain[i]) - init[i]));
  }
  std::printf("%s x%d: max |sharded - plain| %.3g, max change %.3g\n", c.preset, c.world, max_diff, max_change);
  EXPECT_GT(max_change, 0.0);
  EXPECT_LE(max_diff, 1e-3 * max_change);

  // Every rank held 1/R of plain's four buffers (weights, gradients, m, v), up to the
  // padding of each unit to a multiple of R.
  const ShardLayout shards(layout, c.world);
  const double plain_bytes = 4.0 * static_cast<double>(n) * sizeof(float);
  ASSERT_EQ(notes_.size(), static_cast<std::size_t>(c.world));
  for (const auto& note : notes_) {
    long long state = 0, working = 0;
    ASSERT_EQ(std::sscanf(note.c_str(), "held %lld %lld", &state, &working), 2) << note;
    EXPECT_EQ(state, 4 * shards.local_elements() * static_cast<long long>(sizeof(float)));
    const double padding = 4.0 * static_cast<double>(shards.units().size()) * c.world * sizeof(float);
    EXPECT_LE(static_cast<double>(state) * c.world, plain_bytes + padding);
    std::printf("  rank state %lld bytes = %.4f of plain's %.0f (working buffers %lld)\n", state,
                static_cast<double>(state) / plain_bytes, plain_bytes, working);
  }
}

INSTANTIATE_TEST_SUITE_P(Ranks, ShardedDataParallel,
                         ::testing::Values(Case{"tiny", 2}, Case{"tiny", 4}, Case{"tiny-xielu", 2},
                                           Case{"tiny-xielu", 4}));

}  // namespace
}  // namespace cairn::train
