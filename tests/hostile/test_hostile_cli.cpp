// Hostile cases of the command line itself: unknown commands and flags, malformed values,
// stray positional arguments, and the one-line contract of every refusal.
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

}  // namespace
}  // namespace cairn::hostile
