// Hostile cases of `cairn bench` run the way a new user first runs it: alone, on one rank,
// asking for collectives that need a peer.
#include "tests/hostile/hostile.h"

#include "common/json_io.h"

namespace cairn::hostile {
namespace {

// The smallest sweep: one 8-byte size, one iteration, no warm-up.
const std::vector<std::string> kTinySweep = {"--backend", "ucx", "-b", "8", "-e", "8", "-n", "1", "-w", "0"};

std::vector<std::string> bench_args(std::initializer_list<std::string> extra) {
  std::vector<std::string> args = {"bench"};
  args.insert(args.end(), kTinySweep.begin(), kTinySweep.end());
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(HostileBench, OpAllOnOneRankSkipsSendrecvSayingSoInTheTable) {
  Sandbox box;
  const Outcome o = run(box, {.args = bench_args({"--op", "all"})});
  ASSERT_TRUE(succeeded(o));
  EXPECT_NE(o.out.find("# Skipped sendrecv_perf: needs at least 2 ranks, this run has 1"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("# Collective test concluded: alltoall_perf"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("# Collective test starting: sendrecv_perf"), std::string::npos) << o.out;
}

TEST(HostileBench, OpAllOnOneRankListsSendrecvAsSkippedInJson) {
  Sandbox box;
  const Outcome o = run(box, {.args = bench_args({"--op", "all", "--json"})});
  ASSERT_TRUE(succeeded(o));
  const Json doc = parse_json(o.out, "cairn bench --json");
  EXPECT_EQ(doc["collectives"].size(), 6u);
  ASSERT_EQ(doc["skipped"].size(), 1u) << doc.dump();
  EXPECT_EQ(doc["skipped"][0]["name"], "sendrecv");
  EXPECT_NE(doc["skipped"][0]["reason"].get<std::string>().find("2 ranks"), std::string::npos);
}

TEST(HostileBench, SendrecvAloneOnOneRankSaysToStartTwo) {
  Sandbox box;
  EXPECT_TRUE(refused(run(box, {.args = bench_args({"--op", "sendrecv"})}), 2, "bench",
                      {"--op sendrecv", "2 ranks", "cairn launch -n 2"}));
}

TEST(HostileBench, SendrecvInAListOnOneRankIsRefusedToo) {
  Sandbox box;
  EXPECT_TRUE(refused(run(box, {.args = bench_args({"--op", "all_reduce,sendrecv"})}), 2, "bench",
                      {"--op sendrecv", "cairn launch -n 2"}));
}

}  // namespace
}  // namespace cairn::hostile
