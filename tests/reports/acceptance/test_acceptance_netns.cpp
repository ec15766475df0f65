// `cairn acceptance` on a 4-host cluster of network namespaces (tests/support/
// netns_cluster.h): with one link throttled by tc to a tenth of the line rate and one
// rank's compute slowed by --inject, it rejects exactly that link and that node, five runs
// in a row; without the faults it accepts, five runs in a row (issue 21, done-when 1).
//
// The four "nodes" share this box's two cores, so their rates are judged at 0.6 of the
// fleet's median (the default is 0.8): with a compiler or fio running beside the test, a
// healthy node's multi-threaded GEMM measured 0.75 of the others' (one core taken from it
// for seconds), and the slowed node runs at a third.
//
// Needs root, `ip netns`, veth and tc's tbf; skips with the reason otherwise.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <set>
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
constexpr int kRuns = 5;
constexpr const char* kLineRate = "100mbit";
constexpr const char* kSlowRate = "10mbit";
constexpr const char* kPrefix = "cairn-accept-";

class AcceptanceNetns : public netns::ClusterTest {
 protected:
  AcceptanceNetns() : ClusterTest(kPrefix, kHosts, kLineRate) {}

  // One acceptance run over the 4 hosts; rank 0's report, after checking every exit.
  Json run(int want_exit, const std::vector<std::string>& extra) {
    const std::string cairn = std::string(CAIRN_BINARY_DIR) + "/bin/cairn";
    const fs::path report = dir_ / "acceptance.json";
    fs::remove(report);
    const auto t0 = Clock::now();
    const auto runs = netns::run_ranks(
        *cluster_, dir_,
        [&](int k) {
          std::vector<std::string> argv = {cairn, "acceptance", "--backend", "ucx", "--no-probe", "--timeout-s", "60",
                                           "--triad-bytes", "48M", "--pairs-bytes", "1M", "--pairs-iters", "5",
                                           "--bench-bytes", "256K", "--bench-iters", "3", "--fleet-fraction", "0.6"};
          argv.insert(argv.end(), extra.begin(), extra.end());
          if (k == 0) argv.insert(argv.end(), {"--output", report.string()});
          return argv;
        },
        std::chrono::seconds(150));
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    std::cout << runs[0].out << runs[0].err << "[ timing ] 4 ranks of cairn acceptance: " << seconds << " s\n";
    for (std::size_t k = 0; k < runs.size(); ++k)
      EXPECT_EQ(runs[k].exit_code, want_exit) << "rank " << k << "\n" << netns::describe(runs);
    return read_json_file(report.string());
  }

  static std::set<std::string> failed_nodes(const Json& doc) {
    std::set<std::string> out;
    for (const auto& n : doc["nodes"])
      if (n["verdict"] == "fail") out.insert(n["host"].get<std::string>());
    return out;
  }
  static std::set<std::string> failed_links(const Json& doc) {
    std::set<std::string> out;
    for (const auto& l : doc["links"]) out.insert(l["a"].get<std::string>() + "-" + l["b"].get<std::string>());
    return out;
  }

};

TEST_F(AcceptanceNetns, HealthyClusterIsAcceptedFiveTimesInARow) {
  for (int i = 0; i < kRuns; ++i) {
    const Json doc = run(0, {});
    require_schema(doc, "cairn.acceptance", 1, "acceptance.json");
    EXPECT_EQ(doc["verdict"], "accepted") << doc.dump(1);
    EXPECT_TRUE(failed_nodes(doc).empty()) << doc["nodes"].dump();
    EXPECT_TRUE(failed_links(doc).empty()) << doc["links"].dump();
    ASSERT_EQ(doc["hosts"].size(), 4u);
    if (HasFailure()) break;
  }
}

TEST_F(AcceptanceNetns, ThrottledLinkAndSlowedNodeAreRejectedExactlyFiveTimesInARow) {
  cluster_->throttle(1, 2, kSlowRate);
  for (int i = 0; i < kRuns; ++i) {
    const Json doc = run(1, {"--inject", "slow-compute:rank=3,factor=3"});
    EXPECT_EQ(doc["verdict"], "rejected");
    EXPECT_EQ(failed_nodes(doc), (std::set<std::string>{"host3"})) << doc["nodes"].dump();
    EXPECT_EQ(failed_links(doc), (std::set<std::string>{"host1-host2"})) << doc["links"].dump();
    // The slowed node fails on both of its rates, against the fleet.
    int rate_failures = 0;
    for (const auto& c : doc["checks"])
      if (c["host"] == "host3" && c["verdict"] == "fail") {
        ++rate_failures;
        EXPECT_EQ(c["threshold_from"], "fleet") << c.dump();
      }
    EXPECT_EQ(rate_failures, 2) << doc["checks"].dump(1);
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace cairn
