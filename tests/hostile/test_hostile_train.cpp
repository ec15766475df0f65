// Hostile cases of `cairn train`'s hyperparameters and resources: every numeric flag
// given a value it cannot train with is refused before anything starts, naming the flag,
// the value and the range; a run that diverges stops at that step with exit 1 and writes
// no checkpoint of it, alone and data parallel; a run that cannot fit in memory is
// refused before it allocates, saying how much it needs and how much there is.
#include <cstdio>
#include <filesystem>
#include <regex>

#include "tests/hostile/train_args.h"

namespace cairn::hostile {
namespace {

struct BadValue {
  std::string flag, value, range;  // range: how the message states the allowed values
};

void PrintTo(const BadValue& b, std::ostream* os) { *os << b.flag << " " << b.value; }

class HostileTrainFlag : public ::testing::TestWithParam<BadValue> {};

TEST_P(HostileTrainFlag, IsRefusedNamingFlagValueAndRange) {
  const BadValue& b = GetParam();
  Sandbox box;
  const Outcome o = run(box, {.args = train_args({{b.flag, b.value}}), .timeout = std::chrono::seconds(10)});
  EXPECT_TRUE(refused(o, 2, "train", {b.flag + " " + b.value, b.range}));
}

INSTANTIATE_TEST_SUITE_P(
    Sweep, HostileTrainFlag,
    ::testing::Values(BadValue{"--lr", "nan", "finite and above 0"}, BadValue{"--lr", "inf", "finite and above 0"},
                      BadValue{"--lr", "0", "finite and above 0"}, BadValue{"--lr", "-1", "finite and above 0"},
                      BadValue{"--beta2", "2", "in [0, 1)"}, BadValue{"--beta2", "1", "in [0, 1)"},
                      BadValue{"--beta2", "nan", "in [0, 1)"}, BadValue{"--warmup", "-1", "at least 0"},
                      BadValue{"--grad-clip", "-1", "at least 0"}, BadValue{"--grad-clip", "nan", "at least 0"},
                      BadValue{"--grad-clip", "inf", "at least 0"}, BadValue{"--min-lr-ratio", "5", "from 0 to 1"},
                      BadValue{"--min-lr-ratio", "-1", "from 0 to 1"}, BadValue{"--min-lr-ratio", "nan", "from 0 to 1"},
                      BadValue{"--eval-batches", "-1", "at least 0"}, BadValue{"--weight-decay", "-1", "from 0 to 1"},
                      BadValue{"--weight-decay", "nan", "from 0 to 1"}, BadValue{"--weight-decay", "inf", "from 0 to 1"},
                      BadValue{"--steps", "0", "at least 1"}, BadValue{"--steps", "-1", "at least 1"},
                      BadValue{"--batch", "0", "at least 1"}, BadValue{"--batch", "-1", "at least 1"},
                      BadValue{"--seq-len", "65", "from 1 to the context"},
                      BadValue{"--seq-len", "-1", "from 1 to the context"}, BadValue{"--log-every", "0", "at least 1"},
                      BadValue{"--log-every", "-1", "at least 1"}, BadValue{"--threads", "-1", "from 0 to 4096"},
                      BadValue{"--threads", "100000", "from 0 to 4096"},
                      BadValue{"--checkpoint-every", "-1", "at least 0"},
                      BadValue{"--keep-checkpoints", "0", "at least 1"}));

// The step the divergence line names ("... at step 4 (lr ...").
int named_step(const std::string& err) {
  std::smatch m;
  return std::regex_search(err, m, std::regex("is -?(nan|inf) at step ([0-9]+) ")) ? std::stoi(m[2]) : -1;
}

std::string checkpoint(const Sandbox& box, int step) {
  char name[32];
  std::snprintf(name, sizeof name, "ck/step-%08d.ckpt", step);
  return box.path(name);
}

// A learning rate that is finite and accepted but makes `tiny` blow up within a few
// steps (found by trying: 1e4 reaches a NaN gradient norm at step 4).
std::vector<std::string> diverging_run(const std::string& checkpoints) {
  return train_args({{"--lr", "1e4"}, {"--warmup", "0"}, {"--batch", "2"}, {"--seq-len", "16"}, {"--steps", "50"}},
                    {"--checkpoint-dir", checkpoints, "--checkpoint-every", "1"});
}

TEST(HostileTrain, ADivergingRunStopsAtThatStepWithoutCheckpointingIt) {
  Sandbox box;
  const Outcome o = run(box, {.args = diverging_run(box.path("ck")), .timeout = std::chrono::seconds(20)});
  ASSERT_TRUE(refused(o, 1, "train", {"at step", "diverged", "--lr", "resume from the last checkpoint"}));
  const int step = named_step(o.err);
  ASSERT_GT(step, 1) << o.err;
  // Every step before it was checkpointed; the diverged one was not.
  EXPECT_TRUE(std::filesystem::exists(checkpoint(box, step - 1)));
  EXPECT_FALSE(std::filesystem::exists(checkpoint(box, step)));
}

TEST(HostileTrain, ADivergingDataParallelRunStopsEveryRankWithoutAHang) {
  Sandbox box;
  std::vector<std::string> args = {"launch", "-n", "2", "--", cairn_binary()};
  const auto train = diverging_run(box.path("ck"));
  args.insert(args.end(), train.begin(), train.end());
  const Outcome o = run(box, {.args = args, .timeout = std::chrono::seconds(30)});
  ASSERT_TRUE(ended_cleanly(o));
  EXPECT_EQ(o.exit_code, 1) << o.describe();
  const int step = named_step(o.err);
  EXPECT_GT(step, 1) << o.err;
  // Each rank that said so before the launcher stopped the job names the same step.
  const std::regex line("\\[rank [01]\\] cairn train: .* at step ([0-9]+) ");
  for (auto it = std::sregex_iterator(o.err.begin(), o.err.end(), line); it != std::sregex_iterator(); ++it)
    EXPECT_EQ(std::stoi((*it)[1]), step) << o.err;
  EXPECT_TRUE(std::filesystem::exists(checkpoint(box, step - 1)));
  EXPECT_FALSE(std::filesystem::exists(checkpoint(box, step)));
  EXPECT_LT(o.seconds, 20) << "the ranks must stop together, not by a collective's timeout";
}

// --shard splits the state over the ranks of a job: alone it is refused, not a no-op
// (a run that asked for 1/N of the memory and silently got all of it would mislead).
TEST(HostileTrain, ShardOnOneRankIsRefusedSayingItNeedsALaunchedJob) {
  Sandbox box;
  const Outcome o = run(box, {.args = train_args({}, {"--shard"}), .timeout = std::chrono::seconds(10)});
  EXPECT_TRUE(refused(o, 2, "train", {"--shard", "one rank", "cairn launch -n N"}));
}

std::vector<std::string> launched(int n, const std::vector<std::string>& train) {
  std::vector<std::string> args = {"launch", "-n", std::to_string(n), "--", cairn_binary()};
  args.insert(args.end(), train.begin(), train.end());
  return args;
}

// Checked gradients compare full gradients across ranks; a sharded rank has only its slice.
TEST(HostileTrain, ShardWithCheckedGradientsIsRefusedOnEveryRank) {
  Sandbox box;
  const Outcome o = run(box, {.args = launched(2, train_args({}, {"--shard", "--sdc"})), .timeout = std::chrono::seconds(30)});
  ASSERT_TRUE(ended_cleanly(o));
  EXPECT_NE(o.exit_code, 0) << o.describe();
  EXPECT_NE(o.err.find("--shard cannot run with checked gradients (--sdc)"), std::string::npos) << o.err;
}

TEST(HostileTrain, ShardOnTheGpuIsRefused) {
  Sandbox box;
  const Outcome o = run(box, {.args = launched(2, train_args({{"--device", "cuda"}, {"--backend", "ucx"}}, {"--shard"})),
                              .timeout = std::chrono::seconds(30)});
  ASSERT_TRUE(ended_cleanly(o));
  EXPECT_NE(o.exit_code, 0) << o.describe();
  EXPECT_NE(o.err.find("--shard runs the CPU model on host ranks: train with --device cpu"), std::string::npos) << o.err;
}

// A sharded run that diverges stops on every rank at the same step: the loss and the
// clip's norm are all-reduced, so no rank is left waiting in a gather.
TEST(HostileTrain, ADivergingShardedRunStopsEveryRankWithoutAHang) {
  Sandbox box;
  const auto train =
      train_args({{"--lr", "1e4"}, {"--warmup", "0"}, {"--batch", "2"}, {"--seq-len", "16"}, {"--steps", "50"}}, {"--shard"});
  const Outcome o = run(box, {.args = launched(2, train), .timeout = std::chrono::seconds(30)});
  ASSERT_TRUE(ended_cleanly(o));
  EXPECT_EQ(o.exit_code, 1) << o.describe();
  const int step = named_step(o.err);
  EXPECT_GT(step, 1) << o.err;
  const std::regex line("\\[rank [01]\\] cairn train: .* at step ([0-9]+) ");
  for (auto it = std::sregex_iterator(o.err.begin(), o.err.end(), line); it != std::sregex_iterator(); ++it)
    EXPECT_EQ(std::stoi((*it)[1]), step) << o.err;
  EXPECT_LT(o.seconds, 20) << "the ranks must stop together, not by a collective's timeout";
}

TEST(HostileTrain, AHugeBatchIsRefusedSayingWhatItNeedsAndWhatThereIs) {
  Sandbox box;
  const Outcome o = run(box, {.args = train_args({{"--batch", "1000000000"}, {"--seq-len", "64"}})});
  EXPECT_TRUE(refused(o, 2, "train", {"--batch 1000000000", "activations", "is available", "smaller"}));
}

TEST(HostileTrain, ABatchWhoseSizeOverflowsIsRefused) {
  Sandbox box;
  const Outcome o = run(box, {.args = train_args({{"--batch", "4611686018427387904"}, {"--seq-len", "64"}})});
  EXPECT_TRUE(refused(o, 2, "train", {"--batch 4611686018427387904", "64 bits"}));
}

TEST(HostileTrain, A70bModelOnTheCpuIsRefusedBeforeItAllocates) {
  Sandbox box;
  const Outcome o = run(box, {.args = train_args({{"--preset", "apertus-70b"}, {"--device", "cpu"}})});
  EXPECT_TRUE(refused(o, 2, "train", {"apertus-70b", "weights", "AdamW moments", "is available"}));
}

TEST(HostileTrain, AnAddressSpaceLimitIsCountedBeforeAllocating) {
  if (kAddressSanitizer) GTEST_SKIP() << "RLIMIT_AS means nothing under AddressSanitizer";
  Sandbox box;
  const Outcome o = run(box, {.args = train_args({{"--batch", "4096"}, {"--seq-len", "64"}}),
                              .max_address_bytes = 2LL << 30});
  EXPECT_TRUE(refused(o, 2, "train", {"--batch 4096", "RLIMIT_AS"}));
}

}  // namespace
}  // namespace cairn::hostile
