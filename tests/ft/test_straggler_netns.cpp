// The straggler detector types a slow link as link (issue 19, done-when 1): 4 `cairn
// train` ranks, one per host of a network-namespace cluster (tests/support/
// netns_cluster.h: every link 100 Mbit/s with tc tbf), rank 2's three links cut to a
// quarter with tc. Every rank's ring all-reduce slows alike (no rank stands out in the
// scores), so it is the sniff test's exchanges, 1 MiB each way over each ring edge, that
// find it: both of rank 2's edges take ~4x the others'. Needs root (skips with the reason
// otherwise); label netns.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/ft/straggler_job.h"
#include "tests/support/netns_cluster.h"

namespace cairn::ft::test {
namespace {

namespace netns = cairn::test::netns;
constexpr const char* kPrefix = "cairn-strag-";
constexpr int kHosts = 4;
constexpr int kSlowRank = 2;

TEST(StragglerNetns, ARankWhoseLinkIsSlowedWithTcIsTypedLink) {
  if (const std::string why = netns::missing_prerequisite(kPrefix); !why.empty()) GTEST_SKIP() << why;
  netns::remove_stale_namespaces(kPrefix);
  const TempDir dir("straggler_netns");
  const std::string shard = make_shard(dir);
  if (shard.empty()) GTEST_SKIP() << "the fortunes package is missing: run scripts/deps.sh";
  netns::Cluster cluster(kPrefix, kHosts, "100mbit");
  for (int peer = 0; peer < kHosts; ++peer)
    if (peer != kSlowRank) cluster.throttle(kSlowRank, peer, "25mbit");
  const std::string events = dir.file("events.jsonl");
  const auto t0 = std::chrono::steady_clock::now();
  const auto runs = netns::run_ranks(
      cluster, dir.path,
      [&](int k) {
        std::vector<std::string> argv = {kCairn, "train", "--data", shard, "--preset", "tiny", "--batch", "1",
                                         "--seq-len", "16", "--threads", "1", "--backend", "ucx", "--steps", "11",
                                         "--log-every", "1000", "--straggler-every", "3", "--straggler-warmup", "2",
                                         "--straggler-hysteresis", "2", "--straggler-sniff-kib", "1024"};
        if (k == 0) argv.insert(argv.end(), {"--straggler-events", events});
        else argv.insert(argv.end(), {"--straggler"});
        return argv;
      },
      std::chrono::seconds(150));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << runs[0].out << "[ timing ] 4 netns ranks, 11 steps: " << seconds << " s\n";
  for (std::size_t k = 0; k < runs.size(); ++k) ASSERT_EQ(runs[k].exit_code, 0) << netns::describe(runs);
  const auto alerts = read_events(events);
  ASSERT_FALSE(alerts.empty()) << "no alert\n" << netns::describe(runs);
  const Json& a = alerts.front();
  EXPECT_EQ(a["rank"], kSlowRank) << dump_all(alerts);
  EXPECT_EQ(a["type"], "link") << dump_all(alerts);
  EXPECT_EQ(a["host"], "host2") << dump_all(alerts);
  EXPECT_EQ(a["peer"], -1) << "both ring neighbours' exchanges are slow\n" << dump_all(alerts);
  EXPECT_EQ(a["details"]["left"], 1);
  EXPECT_EQ(a["details"]["right"], 3);
  EXPECT_GT(a["slowdown_percent"].get<double>(), 150) << "a quarter of the rate: ~300 %\n" << dump_all(alerts);
  for (const auto& e : alerts) EXPECT_EQ(e["type"], "link") << dump_all(alerts);
  EXPECT_NE(runs[0].out.find("straggler: rank 2 (host host2, gpu none) link-slow"), std::string::npos) << runs[0].out;
}

}  // namespace
}  // namespace cairn::ft::test
