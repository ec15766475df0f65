// The checkpoint policy of a training run (train/checkpoint_policy.h), called directly:
// a fresh run refuses a directory that holds checkpoints; a resume starts from the
// newest whole checkpoint and passes over a damaged newer one; which steps are due;
// only rank 0 writes the loss log and locks the directory, and a job needs its store; a resume
// refuses a directory of only damaged checkpoints unless starting over; keep-N pruning;
// and a run resumed at its last step trains nothing (train::run).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/text_file.h"
#include "tests/train/fortunes_shard_suite.h"
#include "train/checkpoint_dir.h"
#include "train/checkpoint_policy.h"
#include "train/cpu/parallel.h"
#include "train/data/text_shard.h"
#include "train/data/token_shard.h"
#include "train/run.h"

namespace cairn::train {
namespace {

namespace fs = std::filesystem;

TrainState state_at(const TrainConfig& c, std::int64_t step) {
  TrainState s = initial_state(c);
  s.step = step;
  return s;
}

std::vector<std::int64_t> steps_in(const std::string& dir) {
  std::vector<std::int64_t> steps;
  for (const auto& f : list_checkpoints(dir)) steps.push_back(f.step);
  return steps;
}

// A suite with the fortunes corpus as one byte shard, and one CPU thread (bitwise runs).
class CheckpointPolicyTest : public test::FortunesShardSuite {
 protected:
  static TrainConfig config(std::int64_t steps) { return tiny_run(steps, 5, 1); }
};

TEST_F(CheckpointPolicyTest, BadOptionsNameTheFlag) {
  CheckpointOptions o;
  o.every = -1;
  EXPECT_THROW(check_checkpoint_options(o), Error);
  o = {};
  o.keep = 0;
  EXPECT_THROW(check_checkpoint_options(o), Error);
  o = {};
  o.resume = true;  // and no directory
  try {
    check_checkpoint_options(o);
    FAIL() << "--resume without --checkpoint-dir was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--checkpoint-dir"), std::string::npos) << e.what();
  }
}

TEST_F(CheckpointPolicyTest, FreshRunRefusesADirectoryHoldingCheckpoints) {
  test::TempDir dir("ckpt_policy_refuse");
  const TrainConfig c = config(6);
  CheckpointOptions o;
  o.dir = dir.file("run");
  {  // An empty (or missing) directory is a fresh start at step 0. (Scoped: the starting
     // point holds the directory's lock until it goes.)
    const StartingPoint fresh = starting_point(o, c, 0, 1);
    EXPECT_EQ(fresh.state.step, 0);
    EXPECT_TRUE(fresh.resumed_from.empty());
    EXPECT_EQ(fresh.state.params, initial_state(c).params);
  }

  save_checkpoint(o.dir, c, state_at(c, 4));
  try {
    starting_point(o, c, 0, 1);
    FAIL() << "a fresh run took a directory holding a run's checkpoints";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(o.dir), std::string::npos) << what;
    EXPECT_NE(what.find("step 4"), std::string::npos) << what;
    EXPECT_NE(what.find("--resume"), std::string::npos) << what;
  }
  EXPECT_EQ(steps_in(o.dir), (std::vector<std::int64_t>{4}));  // left as it was
}

TEST_F(CheckpointPolicyTest, ResumePicksTheNewestWholeCheckpointAndSkipsACorruptNewerOne) {
  test::TempDir dir("ckpt_policy_resume");
  const TrainConfig c = config(10);
  CheckpointOptions o;
  o.dir = dir.file("run");
  o.resume = true;
  {
    const StartingPoint none = starting_point(o, c, 0, 2);
    EXPECT_TRUE(none.nothing_to_resume);
    EXPECT_EQ(none.state.step, 0);
  }

  for (std::int64_t step : {2, 4, 6}) save_checkpoint(o.dir, c, state_at(c, step), 3);
  const std::string newest = checkpoint_path(o.dir, 6);
  std::string bytes = read_text_file(newest, true);
  bytes.resize(bytes.size() - 100);  // the tail never reached the disk
  std::ofstream(newest, std::ios::binary | std::ios::trunc) << bytes;

  // Rank 1 of the job reads past it too, and leaves the directory alone.
  const StartingPoint other = starting_point(o, c, 1, 2);
  EXPECT_EQ(other.state.step, 4);
  EXPECT_TRUE(fs::exists(newest));

  const StartingPoint start = starting_point(o, c, 0, 2);
  EXPECT_FALSE(start.nothing_to_resume);
  EXPECT_EQ(start.resumed_from, checkpoint_path(o.dir, 4));
  EXPECT_EQ(start.state.step, 4);
  ASSERT_EQ(start.passed_over.size(), 1u);
  EXPECT_NE(start.passed_over[0].find(newest), std::string::npos) << start.passed_over[0];
  EXPECT_FALSE(fs::exists(newest));  // moved aside by rank 0
  EXPECT_EQ(steps_in(o.dir), (std::vector<std::int64_t>{2, 4}));
}

TEST_F(CheckpointPolicyTest, RankZeroLocksTheDirectoryForAsLongAsItsStartingPointLives) {
  test::TempDir dir("ckpt_policy_lock");
  const TrainConfig c = config(6);
  CheckpointOptions o;
  o.dir = dir.file("run");
  {
    const StartingPoint first = starting_point(o, c, 0, 1);
    ASSERT_TRUE(first.lock);
    EXPECT_TRUE(first.lock->warning().empty()) << first.lock->warning();
    const std::string record = read_text_file(o.dir + "/" + kCheckpointLockName, true);
    EXPECT_NE(record.find("pid " + std::to_string(::getpid())), std::string::npos) << record;
    try {
      starting_point(o, c, 0, 1);
      FAIL() << "a second run took a locked directory";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("--checkpoint-dir " + o.dir + " is in use by pid " + std::to_string(::getpid())),
                std::string::npos) << what;
      EXPECT_NE(what.find("give each run its own directory"), std::string::npos) << what;
    }
    // The other ranks of the job take no lock.
    EXPECT_FALSE(starting_point(o, c, 1, 2).lock);
  }
  EXPECT_TRUE(starting_point(o, c, 0, 1).lock);  // released with the first
}

TEST_F(CheckpointPolicyTest, ResumeRefusesADirectoryOfOnlyDamagedCheckpointsUnlessStartingOver) {
  test::TempDir dir("ckpt_policy_damaged");
  const TrainConfig c = config(6);
  CheckpointOptions o;
  o.dir = dir.file("run");
  o.resume = true;
  for (std::int64_t step : {2, 4}) {
    save_checkpoint(o.dir, c, state_at(c, step), 3);
    fs::resize_file(checkpoint_path(o.dir, step), 50);
  }
  std::vector<std::string> told;
  for (int attempt = 0; attempt < 2; ++attempt) {  // the second finds them moved aside
    try {
      starting_point(o, c, 0, 1, [&](const std::string& why) { told.push_back(why); });
      FAIL() << "resumed from a directory of damaged checkpoints";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("--checkpoint-dir " + o.dir + ": no whole checkpoint to resume: 2 damaged"),
                std::string::npos) << what;
      EXPECT_NE(what.find("--start-over"), std::string::npos) << what;
    }
  }
  EXPECT_TRUE(told.empty()) << "a refusal is its one line";
  o.start_over = true;
  const StartingPoint start = starting_point(o, c, 0, 1);
  EXPECT_TRUE(start.nothing_to_resume);
  EXPECT_EQ(start.state.step, 0);

  o.resume = false;  // --start-over means nothing without --resume
  EXPECT_THROW(check_checkpoint_options(o), Error);
}

TEST_F(CheckpointPolicyTest, DueEveryNStepsAndAtTheEnd) {
  CheckpointOptions o;
  o.dir = "unused";
  o.every = 5;
  std::vector<std::int64_t> due;
  for (std::int64_t s = 1; s <= 12; ++s)
    if (checkpoint_due(o, s, 12)) due.push_back(s);
  EXPECT_EQ(due, (std::vector<std::int64_t>{5, 10, 12}));

  o.every = 0;  // only at the end
  due.clear();
  for (std::int64_t s = 1; s <= 12; ++s)
    if (checkpoint_due(o, s, 12)) due.push_back(s);
  EXPECT_EQ(due, (std::vector<std::int64_t>{12}));

  o.dir.clear();  // no directory: never
  for (std::int64_t s = 1; s <= 12; ++s) EXPECT_FALSE(checkpoint_due(o, s, 12)) << s;
}

// Every rank writes its shard (tests/ft/test_checkpoint_job.cpp runs a job of real
// ranks); only rank 0 the loss log; and a job's ranks cannot agree on a commit without
// the job's store, which is refused before the first step rather than at the first save.
TEST_F(CheckpointPolicyTest, OnlyRankZeroWritesTheLossLogAndAJobNeedsItsStore) {
  test::TempDir dir("ckpt_policy_rank");
  const TrainConfig c = config(2);
  for (int rank : {1, 0}) {
    CheckpointOptions o;
    o.loss_log = dir.file("loss" + std::to_string(rank) + ".log");
    Trainer t(c, *shard_);
    CheckpointPolicy policy(o, c, t.state().step, rank, 2);
    while (t.state().step < c.steps) EXPECT_TRUE(policy.after_step(t, t.step()).empty());
    EXPECT_EQ(fs::exists(o.loss_log), rank == 0);
  }
  CheckpointOptions o;
  o.dir = dir.file("run");
  try {
    CheckpointPolicy policy(o, c, 0, 1, 2);
    FAIL() << "a rank of a job without its store took checkpoints";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("rendezvous store"), std::string::npos) << e.what();
  }
}

TEST_F(CheckpointPolicyTest, KeepsTheNewestN) {
  test::TempDir dir("ckpt_policy_keep");
  const TrainConfig c = config(5);
  CheckpointOptions o;
  o.dir = dir.file("run");
  o.every = 1;
  o.keep = 2;
  Trainer t(c, *shard_);
  prepare_checkpoint_dir(o.dir);  // as starting_point() does for a run
  CheckpointPolicy policy(o, c, 0, 0, 1);
  while (t.state().step < c.steps) {
    const StepResult r = t.step();
    policy.after_step(t, r);
    policy.finish();  // the save in the background reaches its verdict
    const std::int64_t s = t.state().step;
    const std::vector<std::int64_t> newest = s == 1 ? std::vector<std::int64_t>{1} : std::vector<std::int64_t>{s - 1, s};
    EXPECT_EQ(steps_in(o.dir), newest);
  }
}

TEST_F(CheckpointPolicyTest, ResumeAtTheLastStepTrainsNothing) {
  test::TempDir dir("ckpt_policy_done");
  RunOptions o;
  o.config = config(3);
  o.checkpoints.dir = dir.file("run");
  o.checkpoints.loss_log = dir.file("loss.log");
  const RunResult first = run(o, *shard_);
  EXPECT_EQ(first.final_step, 3);
  EXPECT_GT(first.tokens_per_s, 0);
  EXPECT_EQ(steps_in(o.checkpoints.dir), (std::vector<std::int64_t>{3}));
  const std::string log = read_text_file(o.checkpoints.loss_log, true);

  o.checkpoints.resume = true;
  ::testing::internal::CaptureStdout();
  const RunResult again = run(o, *shard_);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(again.final_step, 3);
  EXPECT_EQ(again.seconds, 0);
  EXPECT_EQ(again.tokens_per_s, 0);
  EXPECT_NE(out.find("resuming from " + checkpoint_path(o.checkpoints.dir, 3) + " (step 3 of 3)"),
            std::string::npos) << out;
  EXPECT_NE(out.find("nothing to train: already at step 3"), std::string::npos) << out;
  EXPECT_EQ(out.find("checkpoint " + o.checkpoints.dir), std::string::npos) << out;  // none written
  EXPECT_EQ(read_text_file(o.checkpoints.loss_log, true), log);
}

}  // namespace
}  // namespace cairn::train
