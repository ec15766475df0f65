// `cairn pairs` finds one slow link in a 4-host cluster built from
// network namespaces, and finds nothing when no link is slow.
//
// The cluster is tests/support/netns_cluster.h's: every link at 100 Mbit/s (tc tbf on
// both of its ends, like a NIC's), the throttled link at a tenth of it. Transfers are
// 1 MiB, 84 ms on a healthy link: long enough that a rank the busy box leaves
// unscheduled for tens of milliseconds does not pass for a slow link (with 128 KiB,
// 10 ms, a healthy pair once measured a third of the median).
//
// Needs root, `ip netns`, veth and tc's tbf; skips with the reason otherwise.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/json_io.h"
#include "tests/support/netns_fixture.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
namespace netns = cairn::test::netns;

constexpr int kHosts = 4;
constexpr const char* kLineRate = "100mbit";  // every link
constexpr const char* kSlowRate = "10mbit";   // the throttled link: a tenth
constexpr const char* kPrefix = "cairn-pairs-";

// One `cairn pairs` rank per host; rank 0 writes the report.
std::vector<netns::RankRun> run_pairs(const netns::Cluster& cluster, const fs::path& dir,
                                      const std::vector<std::string>& extra_args) {
  const std::string cairn = std::string(CAIRN_BINARY_DIR) + "/bin/cairn";
  return netns::run_ranks(
      cluster, dir,
      [&](int k) {
        std::vector<std::string> argv = {cairn, "pairs", "--backend", "ucx", "--timeout-s", "30"};
        argv.insert(argv.end(), extra_args.begin(), extra_args.end());
        if (k == 0) argv.insert(argv.end(), {"--output", (dir / "pairs.json").string()});
        return argv;
      },
      std::chrono::seconds(90));
}

class PairsNetns : public netns::ClusterTest {
 protected:
  PairsNetns() : ClusterTest(kPrefix, kHosts, kLineRate) {}

  // Runs the 4 ranks and returns rank 0's JSON report, after checking every rank's exit.
  Json run(int want_exit) {
    const auto t0 = Clock::now();
    const auto runs = run_pairs(*cluster_, dir_, {"--bytes", "1M", "--iters", "5", "--warmup-iters", "1", "--latency-iters",
                                       "20"});
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    std::cout << runs[0].out << runs[0].err << "[ timing ] 4 ranks of cairn pairs: " << seconds << " s\n";
    for (std::size_t k = 0; k < runs.size(); ++k)
      EXPECT_EQ(runs[k].exit_code, want_exit) << "rank " << k << "\n" << netns::describe(runs);
    rank0_err_ = runs[0].err;
    return read_json_file((dir_ / "pairs.json").string());
  }

  std::string rank0_err_;
};

TEST_F(PairsNetns, HealthyClusterRaisesNoFlag) {
  const Json doc = run(0);
  require_schema(doc, "cairn.pairs", 2, "pairs.json");
  EXPECT_TRUE(doc["healthy"].get<bool>());
  EXPECT_TRUE(doc["flagged"].empty()) << doc["flagged"].dump();
  EXPECT_EQ(rank0_err_.find("slow pair"), std::string::npos) << rank0_err_;
  ASSERT_EQ(doc["pairs"].size(), 6u);
  // The line rate is what bounds every pair: within a factor of two of each other.
  const double median = doc["median_bandwidth_gb_s"].get<double>();
  for (const auto& p : doc["pairs"]) EXPECT_GT(p["bandwidth_gb_s"].get<double>(), 0.5 * median) << p.dump();
  EXPECT_LT(median, 0.0125 * 1.1) << "100 Mbit/s is 0.0125 GB/s: faster means the links were bypassed";
  EXPECT_GT(median, 0.0125 * 0.4);
}

TEST_F(PairsNetns, ThrottledLinkIsNamedExactly) {
  const std::string before = cluster_->tx_bytes(1, 2);
  cluster_->throttle(1, 2, kSlowRate);
  const Json doc = run(1);
  require_schema(doc, "cairn.pairs", 2, "pairs.json");
  EXPECT_FALSE(doc["healthy"].get<bool>());
  ASSERT_EQ(doc["flagged"].size(), 1u) << doc["flagged"].dump();
  EXPECT_EQ(doc["flagged"][0]["i"], 1);
  EXPECT_EQ(doc["flagged"][0]["j"], 2);
  EXPECT_TRUE(doc["common"].is_null());
  EXPECT_NE(rank0_err_.find("slow pair r1 (host1) <-> r2 (host2)"), std::string::npos) << rank0_err_;
  // About a tenth of the others, and the traffic did cross the 1-2 veth.
  const double slow = doc["bandwidth_gb_s"][1][2].get<double>();
  const double median = doc["median_bandwidth_gb_s"].get<double>();
  EXPECT_LT(slow, 0.25 * median);
  EXPECT_GT(slow, 0.05 * median);
  EXPECT_GT(std::stoll(cluster_->tx_bytes(1, 2)) - std::stoll(before), 6 * (1 << 20));
}

}  // namespace
}  // namespace cairn
