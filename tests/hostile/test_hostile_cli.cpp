// Hostile cases of the command line itself: unknown commands and flags, malformed values,
// stray positional arguments, and the one-line contract of every refusal; standard output
// that cannot be written.
#include "tests/hostile/device_nodes.h"
#include "tests/hostile/hostile.h"

namespace cairn::hostile {
namespace {

TEST(HostileCli, AnUnknownCommandIsOneLineNamingIt) {
  Sandbox box;
  EXPECT_TRUE(refused(run(box, {.args = {"frobnicate"}}), 2, "", {"frobnicate", "cairn --help"}));
}

TEST(HostileCli, AMalformedNumberNamesTheFlag) {
  Sandbox box;
  EXPECT_TRUE(refused(run(box, {.args = {"bench", "-n", "many"}}), 2, "bench", {"many"}));
}

TEST(HostileCli, AStrayPositionalArgumentIsAnError) {
  Sandbox box;
  // (`probe storage PATH` is a command of its own since issue 22: its stray word is another.)
  EXPECT_TRUE(refused(run(box, {.args = {"probe", "stray", "/nonexistent"}}), 2, "probe",
                      {"unexpected argument 'stray'", "cairn probe --help"}));
  EXPECT_TRUE(refused(run(box, {.args = {"bench", "--backend", "ucx", "extra-arg"}}), 2, "bench",
                      {"unexpected argument 'extra-arg'", "cairn bench --help"}));
  EXPECT_TRUE(refused(run(box, {.args = {"launch", "-n", "1", "stray", "--", "true"}}), 2, "launch", {"'stray'"}));
}

// Errors raised inside a command, not by the flag parser, carry main()'s prefix only.
TEST(HostileCli, ErrorsFromInsideACommandCarryThePrefixOnce) {
  Sandbox box;
  EXPECT_TRUE(refused(run(box, {.args = {"train", "--data", tiny_shard(), "--threads", "-1"}}), 2, "train",
                      {"--threads"}));
  EXPECT_TRUE(refused(run(box, {.args = {"train", "--data", tiny_shard(), "--keep-checkpoints", "0"}}), 2, "train",
                      {"--keep-checkpoints"}));
  EXPECT_TRUE(refused(run(box, {.args = {"probe", "--capture", box.path("cap"), "--from", box.path("x")}}), 2, "probe",
                      {"--capture", "--from"}));
}

// The last guard: whatever a message holds, it prints as one short line that keeps its
// head (the thing) and its tail (the fix).
TEST(HostileCli, AHugeOrManyLinedValueStaysOneShortLine) {
  Sandbox box;
  EXPECT_TRUE(refused(run(box, {.args = {"bench", "-n", std::string(100000, '7') + "x"}}), 2, "bench",
                      {"7777", "cairn bench --help"}));
  EXPECT_TRUE(refused(run(box, {.args = {"bench", "--op", "all\nreduce\n\x1b[2J"}}), 2, "bench",
                      {"--op", "all\\nreduce"}));
}

TEST(HostileCli, AFullStandardOutputFailsTheCommand) {
  Sandbox box;
  const std::string full = char_device(box, "full", kFullMinor);
  if (full.empty()) GTEST_SKIP() << "mknod is not allowed here";
  const std::string why = "cannot write to standard output: No space left on device";
  EXPECT_TRUE(refused(run(box, {.args = {"probe", "--json"}, .stdout_path = full}), 2, "probe", {why}));
  EXPECT_TRUE(refused(run(box, {.args = {"topo", "--cluster", "dgx-h100", "--nodes", "2", "--json"}, .stdout_path = full}),
                      2, "topo", {why}));
  EXPECT_TRUE(refused(run(box, {.args = {"topo", "--help"}, .stdout_path = full}), 2, "topo", {why}));
  // train prints its progress through stdio, not std::cout.
  EXPECT_TRUE(refused(run(box, {.args = {"train", "--data", tiny_shard(), "--steps", "1", "--batch", "1", "--seq-len", "8"},
                                .stdout_path = full}),
                      2, "train", {"cannot write to standard output"}));
  EXPECT_TRUE(refused(run(box, {.args = {"--version"}, .stdout_path = full}), 2, "", {why}));
  EXPECT_TRUE(is_char_device(full, kFullMinor));
}

}  // namespace
}  // namespace cairn::hostile
