// Hostile cases of `cairn train`'s hyperparameters and resources: every numeric flag
// given a value it cannot train with is refused before anything starts, naming the flag,
// the value and the range; a run that cannot fit in memory is refused before it
// allocates, saying how much it needs and how much there is.
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
