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
#include "train/checkpoint_dir.h"
#include "train/cpu/parallel.h"
#include "train/run.h"
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
  // With `start`, the ranks continue from it (a checkpoint's full state).
  static void train_ranks(int world, const TrainConfig& cfg, const std::string& file,
                          const TrainState* start = nullptr) {
    const auto outcomes = coll::testing::run_ranks(world, [&](RankEnv& env) {
      cpu::set_cpu_threads(1);
      auto comm = coll::make_ucx_communicator(env.store(), env.rank(), env.size());
      {
        Trainer t(cfg, *shard_, start ? *start : initial_state(cfg), comm.get());
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

// A checkpoint written by 4 sharded ranks (train::run: each rank gathers the full state
// for the save, and writes its 1/4 of the file set) holds plain data parallel's weights
// at that step, and resumes on 2 sharded ranks as on 2 plain ones (load_state scatters
// it into the new world's shards).
TEST_F(ShardedDataParallel, ACheckpointOfFourShardedRanksResumesOnTwo) {
  const std::string ck = dir_->file("ck4");
  TrainConfig written = config("tiny", true);
  written.steps = 2;
  {
    const auto outcomes = coll::testing::run_ranks(4, [&](RankEnv& env) {
      cpu::set_cpu_threads(1);
      auto comm = coll::make_ucx_communicator(env.store(), env.rank(), env.size());
      {
        RunOptions o;
        o.config = written;
        o.checkpoints.dir = ck;
        o.log_every = 100;
        run(o, *shard_, comm.get(), {}, &env.store());
      }
      comm.reset();  // collective
    });
    coll::testing::expect_all_ok(outcomes);
  }
  if (HasFailure()) return;
  const auto found = load_latest_checkpoint(ck, written, 2, [](const std::string&, const std::string&) {});
  ASSERT_TRUE(found.has_value());
  const TrainState& at2 = found->checkpoint.state;
  ASSERT_EQ(at2.step, 2);
  const auto n = at2.params.size();

  const auto max_diff = [&](const std::vector<float>& a, const std::vector<float>& b) {
    double d = 0;
    for (std::size_t i = 0; i < n; ++i) d = std::max(d, std::fabs(double(a[i]) - b[i]));
    return d;
  };
  TrainConfig plain2 = config("tiny", false);
  plain2.steps = 2;
  train_ranks(4, plain2, dir_->file("plain4.bin"));
  const double at_write = max_diff(at2.params, read(dir_->file("plain4.bin"), n));
  std::printf("checkpoint at step 2 vs plain x4: max diff %.3g\n", at_write);
  EXPECT_LE(at_write, 1e-5);

  train_ranks(2, config("tiny", true), dir_->file("resumed_sharded.bin"), &at2);
  train_ranks(2, config("tiny", false), dir_->file("resumed_plain.bin"), &at2);
  if (HasFailure()) return;
  const double resumed = max_diff(read(dir_->file("resumed_sharded.bin"), n), read(dir_->file("resumed_plain.bin"), n));
  std::printf("resumed on 2 ranks to step %lld, sharded vs plain: max diff %.3g\n",
              static_cast<long long>(kSteps), resumed);
  EXPECT_LE(resumed, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Ranks, ShardedDataParallel,
                         ::testing::Values(Case{"tiny", 2}, Case{"tiny", 4}, Case{"tiny-xielu", 2},
                                           Case{"tiny-xielu", 4}));

}  // namespace
}  // namespace cairn::train
