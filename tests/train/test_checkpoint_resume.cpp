// End to end on the built `cairn train`: a run killed with SIGKILL
// after a checkpoint and resumed with --resume continues the loss curve of the
// uninterrupted run bitwise (its --loss-log, %.17g per step, ends up byte-identical) and
// ends with the same weights and moments.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/text_file.h"
#include "tests/train/fortunes_corpus.h"
#include "train/checkpoint.h"
#include "train/checkpoint_dir.h"
#include "train/data/text_shard.h"

extern char** environ;

namespace cairn::train {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kSteps = 60;
constexpr std::int64_t kEvery = 5;

std::vector<std::string> train_args(const test::TempDir& dir, const std::string& run) {
  return {std::string(CAIRN_BINARY_DIR) + "/bin/cairn", "train", "--data", dir.file("fortunes.bin"),
          "--preset", "tiny", "--device", "cpu", "--threads", "1", "--steps", std::to_string(kSteps),
          "--batch", "4", "--seq-len", "64", "--seed", "3", "--warmup", "10", "--log-every", "1000",
          "--checkpoint-dir", dir.file(run), "--loss-log", dir.file(run + ".log")};
}

// Starts `args` with stdout and stderr to `out`; returns its pid.
pid_t spawn(std::vector<std::string> args, const std::string& out) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(rc, 0) << "cannot start " << argv[0] << ": " << std::strerror(rc);
  return pid;
}

int run(const std::vector<std::string>& args, const std::string& out) {
  int status = 0;
  waitpid(spawn(args, out), &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::int64_t whole_lines(const std::string& path) {
  const std::string text = read_text_file(path, true);
  return static_cast<std::int64_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(CheckpointResumeCli, KilledRunResumesBitwise) {
  test::TempDir dir("ckpt_resume");
  const auto files = test::fortune_files();
  ASSERT_FALSE(files.empty()) << "the fortunes package is missing: run scripts/deps.sh";
  write_byte_shard(files, dir.file("fortunes.bin"), true);

  // Uninterrupted: one checkpoint, at the end.
  ASSERT_EQ(run(train_args(dir, "whole"), dir.file("whole.out")), 0) << read_text_file(dir.file("whole.out"), true);
  ASSERT_EQ(whole_lines(dir.file("whole.log")), kSteps);

  // Interrupted: checkpoints every kEvery steps; SIGKILL once one exists and the run is
  // a few steps past it (so the killed run has logged steps the resume must redo).
  auto args = train_args(dir, "killed");
  args.insert(args.end(), {"--checkpoint-every", std::to_string(kEvery)});
  const pid_t pid = spawn(args, dir.file("killed.out"));
  ASSERT_GT(pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (list_checkpoints(dir.file("killed")).empty() || whole_lines(dir.file("killed.log")) < 2 * kEvery + 3) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << read_text_file(dir.file("killed.out"), true);
    std::this_thread::sleep_for(1ms);
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the run ended before the kill";
  const auto left = list_checkpoints(dir.file("killed"));
  ASSERT_FALSE(left.empty());
  const std::int64_t resume_step = left.back().step;
  ASSERT_GT(resume_step, 0);
  ASSERT_LT(resume_step, kSteps) << "killed mid-run";
  const std::int64_t logged = whole_lines(dir.file("killed.log"));
  ASSERT_LT(logged, kSteps);

  // Resume with the same flags: it names its checkpoint and continues the curve.
  args.push_back("--resume");
  ASSERT_EQ(run(args, dir.file("resumed.out")), 0) << read_text_file(dir.file("resumed.out"), true);
  const std::string out = read_text_file(dir.file("resumed.out"));
  EXPECT_NE(out.find("resuming from " + checkpoint_path(dir.file("killed"), resume_step) + " (step " +
                     std::to_string(resume_step) + " of " + std::to_string(kSteps) + ")"),
            std::string::npos)
      << out;
  std::cout << "killed after " << logged << " logged steps, resumed from step " << resume_step << "\n";

  // The loss log: the killed run's lines up to the checkpoint, then the resumed run's;
  // byte for byte the uninterrupted run's.
  const std::string whole_log = read_text_file(dir.file("whole.log"));
  const std::string resumed_log = read_text_file(dir.file("killed.log"));
  EXPECT_EQ(resumed_log, whole_log);

  // The final weights and both moments, bit for bit (and the files, byte for byte).
  const std::string a = checkpoint_path(dir.file("whole"), kSteps), b = checkpoint_path(dir.file("killed"), kSteps);
  const Checkpoint ca = read_checkpoint(a), cb = read_checkpoint(b);
  ASSERT_EQ(ca.state.params.size(), cb.state.params.size());
  EXPECT_EQ(std::memcmp(ca.state.params.data(), cb.state.params.data(), ca.state.params.size() * 4), 0);
  EXPECT_EQ(std::memcmp(ca.state.m.data(), cb.state.m.data(), ca.state.m.size() * 4), 0);
  EXPECT_EQ(std::memcmp(ca.state.v.data(), cb.state.v.data(), ca.state.v.size() * 4), 0);
  EXPECT_TRUE(read_text_file(a) == read_text_file(b)) << a << " and " << b << " differ";
}

}  // namespace
}  // namespace cairn::train
