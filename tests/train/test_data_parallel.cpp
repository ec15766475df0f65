// Data-parallel training over UCX host ranks (forked processes, tests/collectives'
// harness): two ranks of batch B end with the weights one rank reaches with batch 2B,
// ranks are weighted by the targets they count, and two ranks train `tiny` on real text
// well below the unigram entropy.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "collectives/backends/ucx/ucx_communicator.h"
#include "common/error.h"
#include "tests/support/rank_harness.h"
#include "tests/train/train_test_util.h"
#include "train/cpu/parallel.h"
#include "train/data_parallel.h"
#include "train/trainer.h"

namespace cairn::train {
namespace {

using coll::testing::RankEnv;

class DataParallelTraining : public test::FortunesShardTest {
 protected:
  static TrainConfig config(std::int64_t batch, std::int64_t steps, std::int64_t seq_len) {
    TrainConfig c = fortunes_config("tiny", steps);
    c.batch = batch;
    c.seq_len = seq_len;
    return c;
  }
  // Runs `steps` steps of cfg on each of `world` forked UCX ranks (one CPU thread each:
  // the ranks share the box). Each rank notes "loss <step> <loss>" and, with eval_batches,
  // "eval <loss>", and writes its final weights to rank<r>.bin.
  static std::vector<coll::testing::RankOutcome> train_ranks(int world, const TrainConfig& cfg,
                                                             std::int64_t eval_batches = 0) {
    return coll::testing::run_ranks(world, [&](RankEnv& env) {
      cpu::set_cpu_threads(1);
      auto comm = coll::make_ucx_communicator(env.store(), env.rank(), env.size());
      {
        Trainer t(cfg, *shard_, comm.get());
        char line[64];
        while (t.state().step < cfg.steps) {
          const StepResult r = t.step();
          std::snprintf(line, sizeof line, "loss %lld %.17g", static_cast<long long>(r.step), r.loss);
          env.note(line);
        }
        if (eval_batches > 0) {
          std::snprintf(line, sizeof line, "eval %.17g", t.evaluate(eval_batches));
          env.note(line);
        }
        const auto& p = t.state().params;
        std::ofstream(weights_file(env.rank()), std::ios::binary)
            .write(reinterpret_cast<const char*>(p.data()), static_cast<std::streamsize>(p.size() * sizeof(float)));
      }
      comm.reset();  // collective
    });
  }
  static std::string weights_file(int rank) { return dir_->file("rank" + std::to_string(rank) + ".bin"); }
  static std::vector<float> read_weights(int rank, std::size_t n) {
    std::vector<float> w(n);
    std::ifstream in(weights_file(rank), std::ios::binary);
    in.read(reinterpret_cast<char*>(w.data()), static_cast<std::streamsize>(n * sizeof(float)));
    EXPECT_EQ(in.gcount(), static_cast<std::streamsize>(n * sizeof(float))) << "rank " << rank << "'s weights";
    return w;
  }
  static double note_value(const std::string& note) { return std::stod(note.substr(note.rfind(' ') + 1)); }
};

TEST_F(DataParallelTraining, TwoRanksEndWithTheWeightsOfOneRankOnTheGlobalBatch) {
  constexpr std::int64_t kSteps = 8, kBatch = 4, kSeqLen = 32;
  // The reference: one rank, no communicator, the global batch. Its threads (loader,
  // kernels) have ended when the trainer goes, before the ranks are forked.
  std::vector<double> losses;
  TrainState one;
  {
    Trainer t(config(2 * kBatch, kSteps, kSeqLen), *shard_);
    while (t.state().step < kSteps) losses.push_back(t.step().loss);
    one = t.state();
  }
  const auto outcomes = train_ranks(2, config(kBatch, kSteps, kSeqLen));
  coll::testing::expect_all_ok(outcomes);
  if (HasFailure()) return;

  const std::size_t n = one.params.size();
  const std::vector<float> w0 = read_weights(0, n), w1 = read_weights(1, n);
  // Every rank received the same all-reduced bits and took the same step.
  EXPECT_TRUE(w0 == w1) << "the two ranks' weights differ";

  // Against one rank: the gradients agree only to rounding (the sums over the batch run
  // in another order: two halves of B rows, then their average), and AdamW's
  // m / sqrt(v) can pass that on at the size of the update itself for entries whose
  // gradient is mostly cancellation. So the bound is relative to how far training moved
  // the weights: the largest difference below 1e-3 of the largest change and the RMS
  // difference below 1e-5 of the RMS change (seen: ~3e-5 and ~4e-7). A rank stepping on
  // its own gradient, or reading the other rank's rows, misses by the change itself.
  // (Adam hides a uniformly mis-scaled gradient; the weighting is checked below.)
  std::vector<float> init(n);
  {
    Trainer t0(config(2 * kBatch, kSteps, kSeqLen), *shard_);
    init = t0.state().params;
  }
  double max_diff = 0, max_change = 0, sq_diff = 0, sq_change = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = std::fabs(double(w0[i]) - one.params[i]), c = std::fabs(double(one.params[i]) - init[i]);
    max_diff = std::max(max_diff, d);
    max_change = std::max(max_change, c);
    sq_diff += d * d;
    sq_change += c * c;
  }
  std::cout << "2 ranks vs 1 rank after " << kSteps << " steps: max |diff| " << max_diff << " (max change "
            << max_change << "), RMS diff " << std::sqrt(sq_diff / n) << " (RMS change " << std::sqrt(sq_change / n)
            << ")\n";
  EXPECT_GT(max_change, 0);
  EXPECT_LT(max_diff, 1e-3 * max_change);
  EXPECT_LT(std::sqrt(sq_diff), 1e-5 * std::sqrt(sq_change));

  // The loss each rank reports is the global batch's mean, as one rank computes it.
  for (const auto& o : outcomes) {
    const auto notes = coll::testing::notes_with(o, "loss ");
    ASSERT_EQ(notes.size(), losses.size()) << "rank " << o.rank;
    for (std::size_t s = 0; s < notes.size(); ++s)
      EXPECT_NEAR(note_value(notes[s]), losses[s], 1e-5 * losses[s]) << "rank " << o.rank << " step " << s;
  }
}

// A learning rate that blows the weights up (tiny reaches a NaN gradient norm within a
// few steps at 1e4): every rank stops at the same step, before applying it, so none is
// left in a collective the others have abandoned.
TEST_F(DataParallelTraining, ADivergingRunStopsEveryRankAtTheSameStep) {
  TrainConfig cfg = config(2, 50, 16);
  cfg.adamw.lr = 1e4;
  cfg.warmup_steps = 0;
  const auto outcomes = coll::testing::run_ranks(2, [&](RankEnv& env) {
    cpu::set_cpu_threads(1);
    auto comm = coll::make_ucx_communicator(env.store(), env.rank(), env.size());
    {
      Trainer t(cfg, *shard_, comm.get());
      try {
        while (t.state().step < cfg.steps) t.step();
        env.fail("trained all 50 steps at lr 1e4 without diverging");
      } catch (const CheckFailed& e) {
        env.note("diverged " + std::to_string(t.state().step) + " " + e.what());
      }
    }
    comm.reset();  // collective: both ranks must still be here
  });
  coll::testing::expect_all_ok(outcomes);
  if (HasFailure()) return;
  const auto first = coll::testing::notes_with(outcomes[0], "diverged ");
  const auto second = coll::testing::notes_with(outcomes[1], "diverged ");
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(first[0], second[0]) << "both ranks stop at the same step with the same reason";
  // The step not applied: the message names step N + 1 of a state still at N.
  const std::int64_t taken = std::stoll(first[0]);
  EXPECT_NE(first[0].find("at step " + std::to_string(taken + 1) + " "), std::string::npos) << first[0];
}

// The reduction hooks of a data-parallel step, as a checksummed-gradient layer would use
// them: called in order around the all-reduce, the ranks' gradients differ before it
// (each its own rows) and are the same bits after it.
TEST_F(DataParallelTraining, ReductionHooksSeeEachRanksGradientsThenTheSameOnes) {
  const TrainConfig cfg = config(2, 2, 32);
  const auto outcomes = coll::testing::run_ranks(2, [&](RankEnv& env) {
    cpu::set_cpu_threads(1);
    auto comm = coll::make_ucx_communicator(env.store(), env.rank(), env.size());
    {
      Trainer t(cfg, *shard_, comm.get());
      // The sum of the gradients' bits: equal bits give equal sums.
      auto bits = [](Model& m) {
        std::uint64_t sum = 0;
        const float* g = m.gradients();
        for (std::int64_t i = 0; i < m.layout().total_elements(); ++i) {
          std::uint32_t u;
          std::memcpy(&u, &g[i], sizeof u);
          sum = sum * 31 + u;
        }
        return sum;
      };
      std::string order;
      t.hooks().after_backward.emplace_back([&](std::int64_t, Model&) { order += "b"; });
      t.hooks().before_reduce.emplace_back([&](std::int64_t s, Model& m) {
        order += "<";
        env.note("before " + std::to_string(s) + " " + std::to_string(bits(m)));
      });
      t.hooks().after_reduce.emplace_back([&](std::int64_t s, Model& m) {
        order += ">";
        env.note("after " + std::to_string(s) + " " + std::to_string(bits(m)));
      });
      t.hooks().after_step.emplace_back([&](const StepResult&) { order += "."; });
      while (t.state().step < cfg.steps) t.step();
      env.expect(order == "b<>.b<>.", "hook order " + order);
    }
    comm.reset();  // collective
  });
  coll::testing::expect_all_ok(outcomes);
  if (HasFailure()) return;
  for (const char* when : {"before ", "after "}) {
    const auto r0 = coll::testing::notes_with(outcomes[0], when), r1 = coll::testing::notes_with(outcomes[1], when);
    ASSERT_EQ(r0.size(), 2u) << when;
    ASSERT_EQ(r1.size(), 2u) << when;
    for (std::size_t s = 0; s < 2; ++s) {
      if (std::string(when) == "after ")
        EXPECT_EQ(r0[s], r1[s]) << "the ranks' reduced gradients differ at step " << s;
      else
        EXPECT_NE(r0[s], r1[s]) << "the ranks' own gradients are the same at step " << s;
    }
  }
}

// Ranks that count different targets (ignored ones left out) are weighted by their
// counts: rank 0 has 3 targets at mean loss 2 with gradient (1, 2), rank 1 has 1 target
// at loss 6 with gradient (5, 10). The global mean loss is (3*2 + 6) / 4 = 3 and its
// gradient (3*(1, 2) + (5, 10)) / 4 = (2, 4), exactly in float.
TEST(DataParallel, WeightsRanksByTheTargetsTheyCount) {
  const auto outcomes = coll::testing::run_ranks(2, [](RankEnv& env) {
    auto comm = coll::make_ucx_communicator(env.store(), env.rank(), env.size());
    {
      DataParallel dp(*comm);
      const std::int32_t targets[2][4] = {{7, -1, 3, 0}, {-1, -1, 9, -1}};
      const std::int64_t counted = counted_targets(targets[env.rank()], 4);
      env.expect(counted == (env.rank() == 0 ? 3 : 1), "counted " + std::to_string(counted));
      const auto g = dp.reduce_loss(env.rank() == 0 ? 2.0 : 6.0, counted);
      env.expect(g.mean == 3.0 && g.counted == 4, "global loss " + std::to_string(g.mean));
      env.expect(g.weight == (env.rank() == 0 ? 1.5 : 0.5), "weight " + std::to_string(g.weight));
      std::vector<float> grads = env.rank() == 0 ? std::vector<float>{1, 2} : std::vector<float>{5, 10};
      dp.average_gradients(grads.data(), grads.size(), g.weight);
      env.expect(grads == std::vector<float>{2, 4}, "gradient " + std::to_string(grads[0]) + ", " +
                                                        std::to_string(grads[1]));
      // No target counted anywhere: loss 0 and nothing to weigh (no division by zero).
      const auto none = dp.reduce_loss(0.0, 0);
      env.expect(none.mean == 0 && none.counted == 0 && none.weight == 0, "an empty global batch");
    }
    comm.reset();
  });
  coll::testing::expect_all_ok(outcomes);
}

TEST_F(DataParallelTraining, TwoRanksLearnRealTextWellBelowUnigramEntropy) {
  if (test::kSanitized) GTEST_SKIP() << "hundreds of steps under a sanitizer take minutes; the plain build checks this";
  const double h = test::unigram_entropy_nats(*shard_);
  constexpr std::int64_t kSteps = 250;
  const auto outcomes = train_ranks(2, config(8, kSteps, 64), 8);  // global batch 16
  coll::testing::expect_all_ok(outcomes);
  if (HasFailure()) return;
  std::vector<double> evals;
  for (const auto& o : outcomes) {
    const auto e = coll::testing::notes_with(o, "eval ");
    ASSERT_EQ(e.size(), 1u) << "rank " << o.rank;
    evals.push_back(std::stod(e[0]));
  }
  EXPECT_EQ(evals[0], evals[1]) << "the ranks disagree on the global eval loss";
  const auto losses = coll::testing::notes_with(outcomes[0], "loss ");
  std::cout << "tiny on fortunes, 2 ranks x batch 8: loss " << note_value(losses.front()) << " at step 1, "
            << note_value(losses.back()) << " at step " << kSteps << ", eval " << evals[0] << " (unigram entropy "
            << h << ")\n";
  EXPECT_LT(evals[0], 0.8 * h) << "not well below the unigram entropy " << h;
}

}  // namespace
}  // namespace cairn::train
