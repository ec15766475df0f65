// Signals a user or a scheduler sends: a training run interrupted at any moment ends
// promptly, leaves only whole checkpoints, and the next --resume continues from one; a
// launcher told to stop takes every rank it started down with it.
#include <signal.h>

#include <filesystem>
#include <thread>

#include "tests/hostile/hostile.h"
#include "tests/hostile/train_args.h"

namespace cairn::hostile {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::vector<std::string> checkpointing_run(const std::string& dir, int steps) {
  return train_args({{"--steps", std::to_string(steps)}, {"--seq-len", "16"}, {"--log-every", "1000"}},
                    {"--checkpoint-every", "1", "--checkpoint-dir", dir});
}

int count_files(const std::string& dir, const std::string& suffix) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) ++n;
  }
  return n;
}

// Waits until dir holds a checkpoint, or a few seconds pass.
bool wait_for_checkpoint(const std::string& dir) {
  for (auto until = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < until;) {
    if (count_files(dir, ".ckpt") > 0) return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

class InterruptedTraining : public ::testing::TestWithParam<int> {};

TEST_P(InterruptedTraining, EndsPromptlyAndResumesFromAWholeCheckpoint) {
  const int sig = GetParam();
  Sandbox box;
  const std::string dir = box.path("ckpt");
  Running r = start(box, {.args = checkpointing_run(dir, 1000000), .timeout = 30s});
  ASSERT_TRUE(wait_for_checkpoint(dir)) << "no checkpoint within 10 s";
  std::this_thread::sleep_for(30ms);  // land somewhere inside a later step or save
  const auto sent = std::chrono::steady_clock::now();
  ::kill(r.pid(), sig);
  const Outcome o = r.wait();
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
  ASSERT_FALSE(o.timed_out) << o.describe();
  EXPECT_LT(took, 5.0) << "took " << took << " s to stop";
  EXPECT_TRUE(o.signal == sig || o.exit_code != 0) << "an interrupted run must not report success: " << o.describe();
  EXPECT_EQ(o.left_running, 0) << o.describe();

  // The resumed run carries on from a whole checkpoint: none is damaged, it finishes.
  // --steps 1: the checkpoint is at least that far, so the resumed run has no step left
  // to take; it must neither crash nor find damage.
  std::vector<std::string> again = checkpointing_run(dir, 1);
  again.push_back("--resume");
  const Outcome resumed = run(box, {.args = again, .timeout = 30s});
  EXPECT_TRUE(ended_cleanly(resumed)) << resumed.describe();
  EXPECT_EQ(count_files(dir, ".corrupt"), 0) << "a signal damaged a committed checkpoint: " << resumed.err;
}

INSTANTIATE_TEST_SUITE_P(Signals, InterruptedTraining, ::testing::Values(SIGINT, SIGTERM, SIGHUP, SIGKILL),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return std::string(sigabbrev_np(p.param) ? sigabbrev_np(p.param) : "SIG");
                         });

TEST(HostileSignals, ATerminatedLauncherStopsEveryRank) {
  Sandbox box;
  std::vector<std::string> args = {"launch", "-n", "2", "--grace-s", "2", "--", cairn_binary()};
  for (const std::string& a : checkpointing_run(box.path("ckpt"), 1000000)) args.push_back(a);
  Running r = start(box, {.args = args, .timeout = 40s});
  ASSERT_TRUE(wait_for_checkpoint(box.path("ckpt"))) << "the job wrote no checkpoint within 10 s";
  ::kill(r.pid(), SIGTERM);  // the launcher alone, as a scheduler's scancel does
  const Outcome o = r.wait();
  ASSERT_FALSE(o.timed_out) << o.describe();
  EXPECT_LT(o.seconds, 40.0);
  EXPECT_NE(o.exit_code, 0) << "a terminated job must not report success: " << o.describe();
  EXPECT_EQ(o.left_running, 0) << "ranks outlived their launcher: " << o.describe();
}

}  // namespace
}  // namespace cairn::hostile
