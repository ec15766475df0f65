// The CPU training loop on real text: `tiny` must push the loss well below the unigram
// entropy of the corpus (what a model that ignores context can reach), within a bounded
// number of steps; and runs must be bitwise reproducible, whatever the thread count.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <iostream>

#include "tests/train/train_test_util.h"
#include "train/cpu/parallel.h"
#include "train/trainer.h"

namespace cairn::train {
namespace {

// Sanitizer builds run the loop ~15x slower. They check memory and thread safety, which
// the short reproducibility test below exercises on the same code (loader thread,
// threaded kernels, optimizer); convergence is checked by the plain build.
using test::kSanitized;

// CPU seconds the 300 steps may take: ~20 on one core of a 2020s x86 (AVX2 GEMM), so 90
// leaves room for a slower box. CPU time, not wall time: a busy machine stretches the
// wall clock, not the work.
constexpr double kCpuBudgetSeconds = 90;

double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

using test::unigram_entropy_nats;

class FortunesTraining : public test::FortunesShardTest {
 protected:
  static TrainConfig config(const char* preset_name, std::int64_t steps) { return fortunes_config(preset_name, steps); }
};

TEST_F(FortunesTraining, TinyLossFallsWellBelowUnigramEntropy) {
  if (kSanitized) GTEST_SKIP() << "300 training steps under a sanitizer take minutes; the plain build checks convergence";
  const double h = unigram_entropy_nats(*shard_);
  EXPECT_GT(h, 2.5);  // English bytes: ~4.4 bits
  EXPECT_LT(h, 3.5);
  const std::int64_t steps = 300;
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  Trainer t(config("tiny", steps), *shard_);
  const double initial = t.evaluate(4);
  double first_loss = 0, last_loss = 0;
  while (t.state().step < steps) {
    const auto r = t.step();
    if (r.step == 0) first_loss = r.loss;
    last_loss = r.loss;
    ASSERT_TRUE(std::isfinite(r.loss)) << "step " << r.step;
  }
  const double final_loss = t.evaluate(8);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  std::cout << "tiny on fortunes: unigram entropy " << h << " nats; loss " << initial << " at init, "
            << first_loss << " at step 1, " << last_loss << " at step " << steps << ", eval " << final_loss
            << "; " << seconds << " s wall, " << cpu << " s CPU, " << steps * 16 * 64 / seconds
            << " tokens/s\n";
  EXPECT_NEAR(initial, std::log(256.0), 0.1) << "untrained: uniform over bytes";
  EXPECT_LT(final_loss, 0.8 * h) << "not well below the unigram entropy " << h;
  EXPECT_LT(cpu, kCpuBudgetSeconds) << "the CPU loop got slower";
}

TEST_F(FortunesTraining, XieluVariantLearnsToo) {
  if (kSanitized) GTEST_SKIP() << "120 training steps under a sanitizer take minutes; the plain build checks convergence";
  const double h = unigram_entropy_nats(*shard_);
  Trainer t(config("tiny-xielu", 120), *shard_);
  while (t.state().step < 120) t.step();
  const double loss = t.evaluate(4);
  std::cout << "tiny-xielu on fortunes: eval loss " << loss << " after 120 steps (unigram entropy " << h << ")\n";
  EXPECT_LT(loss, h);
}

TEST_F(FortunesTraining, RunsAreBitwiseReproducibleForAnyThreadCount) {
  auto run = [&](int threads) {
    cpu::set_cpu_threads(threads);
    Trainer t(config("tiny", 4), *shard_);
    std::vector<double> losses;
    while (t.state().step < 4) losses.push_back(t.step().loss);
    cpu::set_cpu_threads(0);
    return std::make_pair(losses, t.state());
  };
  const auto [l1, s1] = run(1);
  const auto [l3, s3] = run(3);
  EXPECT_EQ(l1, l3);
  EXPECT_EQ(s1.step, 4);
  EXPECT_TRUE(s1.params == s3.params) << "weights differ between 1 and 3 threads";
  EXPECT_TRUE(s1.m == s3.m && s1.v == s3.v) << "optimizer state differs";
}

}  // namespace
}  // namespace cairn::train
