// train::run() on one rank: it takes the steps a plain Trainer loop takes (the same
// losses, bitwise on the CPU), calls the hooks in order with the gradients in reach,
// tells of each checkpoint it writes, and reports throughput, steady state and the
// evaluation loss.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "tests/train/fortunes_shard_suite.h"
#include "train/checkpoint_dir.h"
#include "train/cpu/parallel.h"
#include "train/data/text_shard.h"
#include "train/data/token_shard.h"
#include "train/optim/grad_clip.h"
#include "train/run.h"

namespace cairn::train {
namespace {

class RunTest : public test::FortunesShardSuite {
 protected:
  static TrainConfig config(std::int64_t steps) { return tiny_run(steps, 9, 2); }
};

TEST_F(RunTest, TakesTheStepsOfATrainerLoopAndCallsTheHooksInOrder) {
  const TrainConfig c = config(5);
  std::vector<double> plain;
  double plain_eval = 0;
  {
    Trainer t(c, *shard_);
    while (t.state().step < c.steps) plain.push_back(t.step().loss);
    plain_eval = t.evaluate(2);
  }

  test::TempDir dir("train_run_hooks");
  RunOptions o;
  o.config = c;
  o.checkpoints.dir = dir.file("run");
  o.checkpoints.every = 2;
  o.log_every = 100;
  o.eval_batches = 2;
  std::vector<std::string> events;
  std::vector<double> losses;
  TrainHooks hooks;
  hooks.before_step.emplace_back([&](std::int64_t s) { events.push_back("before " + std::to_string(s)); });
  hooks.after_backward.emplace_back([&](std::int64_t s, Model& m) {
    // This rank's gradients, in host memory on the CPU, before clipping.
    ASSERT_FALSE(m.gradients_on_device());
    const double norm = global_norm(m.gradients(), m.layout().total_elements());
    EXPECT_TRUE(std::isfinite(norm) && norm > 0) << norm;
    events.push_back("backward " + std::to_string(s));
  });
  auto reduce = [&](std::int64_t, Model&) { events.push_back("reduce on one rank"); };
  hooks.before_reduce.emplace_back(reduce);
  hooks.after_reduce.emplace_back(reduce);
  hooks.after_step.emplace_back([&](const StepResult& r) {
    events.push_back("after " + std::to_string(r.step));
    losses.push_back(r.loss);
  });
  hooks.on_checkpoint.emplace_back([&](const CheckpointWritten& w) {
    EXPECT_EQ(w.path, checkpoint_path(o.checkpoints.dir, w.step));
    events.push_back("checkpoint " + std::to_string(w.step));
  });
  ::testing::internal::CaptureStdout();
  const RunResult r = run(o, *shard_, nullptr, hooks);
  const std::string out = ::testing::internal::GetCapturedStdout();

  EXPECT_EQ(losses, plain);  // bitwise: run() adds no work to a step
  const std::vector<std::string> expected_steps = {
      "before 0", "backward 0", "after 0", "before 1", "backward 1", "after 1", "before 2", "backward 2",
      "after 2",  "before 3",   "backward 3", "after 3", "before 4", "backward 4", "after 4"};
  // Saves are asynchronous: each checkpoint is told once committed, in order, after the
  // step it holds and at the latest by the end of the run.
  std::vector<std::string> steps, checkpoints;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].rfind("checkpoint ", 0) != 0) {
      steps.push_back(events[i]);
      continue;
    }
    checkpoints.push_back(events[i]);
    const std::int64_t held = std::stoll(events[i].substr(11));
    const auto after = std::find(events.begin(), events.end(), "after " + std::to_string(held - 1));
    EXPECT_LT(after - events.begin(), static_cast<std::ptrdiff_t>(i)) << events[i] << " told before its step";
  }
  EXPECT_EQ(steps, expected_steps);
  EXPECT_EQ(checkpoints, (std::vector<std::string>{"checkpoint 2", "checkpoint 4", "checkpoint 5"}));
  EXPECT_EQ(r.last_verified_step, 5);
  EXPECT_EQ(r.final_step, 5);
  EXPECT_GT(r.seconds, 0);
  EXPECT_GT(r.tokens_per_s, 0);
  EXPECT_GT(r.steady_tokens_per_s, 0);  // steps 3 and 4
  EXPECT_FALSE(r.mfu) << "MFU is against a GPU's peak: none for a CPU run";
  ASSERT_TRUE(r.eval_loss);
  EXPECT_EQ(*r.eval_loss, plain_eval);
  EXPECT_NE(out.find("trained to step 5 in "), std::string::npos) << out;
  EXPECT_NE(out.find("steady state (after 3 steps): "), std::string::npos) << out;
  EXPECT_NE(out.find("eval loss "), std::string::npos) << out;
}

TEST_F(RunTest, NoSteadyStateInTheFirstThreeSteps) {
  RunOptions o;
  o.config = config(3);
  ::testing::internal::CaptureStdout();
  const RunResult r = run(o, *shard_);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(r.final_step, 3);
  EXPECT_GT(r.tokens_per_s, 0);
  EXPECT_EQ(r.steady_tokens_per_s, 0);
  EXPECT_FALSE(r.eval_loss);
  EXPECT_EQ(out.find("steady state"), std::string::npos) << out;
}

TEST_F(RunTest, BadOptionsAreRefused) {
  RunOptions o;
  o.config = config(2);
  o.log_every = 0;
  EXPECT_THROW(run(o, *shard_), Error);
  o.log_every = 1;
  o.eval_batches = -1;
  EXPECT_THROW(run(o, *shard_), Error);
}

}  // namespace
}  // namespace cairn::train

namespace cairn::train {
namespace {

// A std::bad_alloc during the run (here thrown by a hook, as an allocation inside a step
// would) ends as one cairn::Error saying what the run was doing and what it needs.
TEST_F(RunTest, AnAllocationThatFailsAnywayNamesWhatWasBeingDone) {
  RunOptions o;
  o.config = config(3);
  o.log_every = 100;
  TrainHooks hooks;
  hooks.before_step.emplace_back([](std::int64_t step) {
    if (step == 1) throw std::bad_alloc();
  });
  ::testing::internal::CaptureStdout();
  try {
    run(o, *shard_, nullptr, std::move(hooks));
    ADD_FAILURE() << "expected an out-of-memory error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("out of memory during a training step"), std::string::npos) << msg;
    EXPECT_NE(msg.find("model \"tiny\" needs"), std::string::npos) << msg;
  }
  ::testing::internal::GetCapturedStdout();
}

// A run whose gradient goes NaN stops with CheckFailed naming the step, before the
// optimizer applies it: the state stays at the last good step.
TEST_F(RunTest, ADivergingRunStopsBeforeApplyingTheStep) {
  TrainConfig c = config(50);
  c.adamw.lr = 1e4;
  c.warmup_steps = 0;
  Trainer t(c, *shard_);
  std::int64_t good = -1;
  try {
    while (t.state().step < c.steps) {
      t.step();
      good = t.state().step;
    }
    ADD_FAILURE() << "lr 1e4 trained 50 steps without diverging";
  } catch (const CheckFailed& e) {
    EXPECT_EQ(t.state().step, good) << "the diverged step was applied";
    EXPECT_NE(std::string(e.what()).find("at step " + std::to_string(good + 1) + " "), std::string::npos) << e.what();
    for (float p : t.state().params) ASSERT_TRUE(std::isfinite(p)) << "a weight of the last good step is not finite";
  }
}

}  // namespace
}  // namespace cairn::train
