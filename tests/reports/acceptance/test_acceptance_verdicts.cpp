// The statistics behind acceptance verdicts, the verdict rule, and group testing over
// simulated nodes (issue 21, done-when 2: one slow node of 8 named in <= 6 runs).
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "common/error.h"
#include "reports/acceptance/acceptance.h"
#include "reports/acceptance/check.h"
#include "reports/acceptance/gpu_rates.h"
#include "reports/acceptance/group_testing.h"
#include "reports/acceptance/statistics.h"

namespace cairn::acceptance {
namespace {

TEST(AcceptanceStatistics, MedianIntervalFromOrderStatistics) {
  // Five samples: no pair reaches 95 %, so [min, max] at 1 - 2^-4.
  Summary s = summarize({5, 1, 4, 2, 3});
  EXPECT_EQ(s.median, 3);
  EXPECT_EQ(s.ci_low, 1);
  EXPECT_EQ(s.ci_high, 5);
  EXPECT_DOUBLE_EQ(s.confidence, 1 - 2.0 / 32);
  // Twenty samples: the 95 % interval is x(6)..x(15) (Conover's table, n = 20).
  std::vector<double> x;
  for (int i = 1; i <= 20; ++i) x.push_back(i);
  s = summarize(x);
  EXPECT_EQ(s.median, 10.5);
  EXPECT_EQ(s.ci_low, 6);
  EXPECT_EQ(s.ci_high, 15);
  EXPECT_GE(s.confidence, 0.95);
  EXPECT_NEAR(s.cv, std::sqrt(35.0) / 10.5, 1e-12);
  EXPECT_THROW(summarize({}), Error);
  EXPECT_THROW(summarize({1, NAN}), Error);
}

TEST(AcceptanceStatistics, PercentileRankCountsTiesHalf) {
  EXPECT_EQ(percentile_rank(3, {1, 2, 3, 4, 5}), 50);
  EXPECT_EQ(percentile_rank(0, {1, 2, 3}), 0);
  EXPECT_EQ(percentile_rank(9, {1, 2, 3}), 100);
}

Check rate(std::vector<double> samples, double threshold) {
  Check c;
  c.name = "memory_bandwidth";
  c.host = "n0";
  c.unit = "GB/s";
  c.samples = std::move(samples);
  c.threshold = Threshold{threshold, "fleet", "test"};
  judge(c);
  return c;
}

TEST(AcceptanceVerdict, FailsOnlyWhenTheWholeIntervalIsOnTheWrongSide) {
  EXPECT_EQ(rate({20, 21, 19, 20, 22}, 16).outcome, Outcome::pass);
  EXPECT_EQ(rate({10, 11, 9, 10, 12}, 16).outcome, Outcome::fail);
  // The median is below, but one sample reaches the threshold: more samples are needed.
  EXPECT_EQ(rate({10, 11, 9, 10, 17}, 16).outcome, Outcome::inconclusive);
  Check lower = rate({5, 5, 5}, 4);
  lower.higher_is_better = false;  // a latency: above the threshold is bad
  judge(lower);
  EXPECT_EQ(lower.outcome, Outcome::fail);
  Check none;
  none.samples = {1, 2, 3};
  judge(none);
  EXPECT_EQ(none.outcome, Outcome::pass);
  EXPECT_NE(none.evidence.find("no threshold"), std::string::npos);
}

// A healthy node with 5 % noise passes every one of 1000 verdicts against a threshold
// 20 % below its rate: the verdict does not flip.
TEST(AcceptanceVerdict, HealthyNoisyNodeNeverFlips) {
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(1.0, 0.05);
  for (int trial = 0; trial < 1000; ++trial) {
    std::vector<double> x;
    for (int i = 0; i < 5; ++i) x.push_back(20 * noise(rng));
    ASSERT_EQ(rate(x, 16).outcome, Outcome::pass) << trial;
  }
}

TEST(AcceptanceVerdict, StricterThresholdWins) {
  Check c;
  require_threshold(c, {10, "fleet", ""});
  require_threshold(c, {12, "spec", ""});
  require_threshold(c, {11, "baseline", ""});
  EXPECT_EQ(c.threshold->from, "spec");
}

// Simulated nodes: a ring all_reduce over a group runs at its slowest member's rate.
struct SimulatedCluster {
  std::vector<double> node_gb_s;
  int runs = 0;
  bool slow(const std::vector<int>& members, double threshold) {
    ++runs;
    double rate = 1e9;
    for (int m : members) rate = std::min(rate, node_gb_s[static_cast<std::size_t>(m)]);
    return rate < threshold;
  }
};

TEST(GroupTesting, OneSlowNodeOfEightIsNamedInSixRuns) {
  for (int bad = 0; bad < 8; ++bad) {
    SimulatedCluster sim{std::vector<double>(8, 100.0)};
    sim.node_gb_s[static_cast<std::size_t>(bad)] = 40;
    const Isolation iso = isolate_slow_nodes(8, [&](const std::vector<int>& g) { return sim.slow(g, 80); });
    EXPECT_EQ(iso.suspects, std::vector<int>{bad}) << iso.evidence;
    EXPECT_LE(iso.runs, 6) << iso.evidence;
    EXPECT_EQ(iso.runs, sim.runs);
    EXPECT_TRUE(iso.between.empty());
  }
}

TEST(GroupTesting, RunsGrowAsTwiceTheLogOfTheNodes) {
  for (int n : {4, 16, 64, 256}) {
    SimulatedCluster sim{std::vector<double>(static_cast<std::size_t>(n), 100.0)};
    sim.node_gb_s[static_cast<std::size_t>(n / 3)] = 10;
    const Isolation iso = isolate_slow_nodes(n, [&](const std::vector<int>& g) { return sim.slow(g, 80); });
    EXPECT_EQ(iso.suspects, std::vector<int>{n / 3});
    EXPECT_LE(iso.runs, 2 * static_cast<int>(std::lround(std::log2(n)))) << n;
  }
}

TEST(GroupTesting, TwoSlowNodesAreBothNamed) {
  SimulatedCluster sim{std::vector<double>(8, 100.0)};
  sim.node_gb_s[1] = sim.node_gb_s[6] = 30;
  const Isolation iso = isolate_slow_nodes(8, [&](const std::vector<int>& g) { return sim.slow(g, 80); });
  EXPECT_EQ(iso.suspects, (std::vector<int>{1, 6})) << iso.evidence;
}

// A slow link between the halves: every half is fine alone; no node is blamed.
TEST(GroupTesting, ASlowLinkBetweenHalvesBlamesNoNode) {
  int runs = 0;
  const Isolation iso = isolate_slow_nodes(8, [&](const std::vector<int>& g) {
    ++runs;
    const std::set<int> s(g.begin(), g.end());
    return s.count(2) && s.count(5);  // the 2-5 link
  });
  EXPECT_TRUE(iso.suspects.empty()) << iso.evidence;
  ASSERT_EQ(iso.between.size(), 1u);
  EXPECT_EQ(iso.between[0].first, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(iso.runs, 2);
  EXPECT_THROW(isolate_slow_nodes(1, [](const std::vector<int>&) { return true; }), Error);
}

// A --baseline that is not an acceptance report, or whose checks are malformed: one error
// naming the file and the entry, before anything is measured.
TEST(AcceptanceBaseline, MalformedReportsAreRefusedByName) {
  const auto path = std::filesystem::temp_directory_path() / ("cairn-baseline-" + std::to_string(::getpid()) + ".json");
  const auto refused = [&](const std::string& text) {
    std::ofstream(path) << text;
    try {
      read_baseline(path.string());
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const std::string head = R"({"schema": "cairn.acceptance", "schema_version": 1, )";
  EXPECT_NE(refused(R"({"schema": "cairn.pairs", "schema_version": 2})").find("cairn.acceptance"), std::string::npos);
  EXPECT_NE(refused(head + R"("checks": 3})").find("checks"), std::string::npos);
  EXPECT_NE(refused(head + R"("checks": [{"name": 7, "host": "n0"}]})").find("checks[0]"), std::string::npos);
  EXPECT_NE(refused(head + R"("checks": [{"name": "gemm", "host": "n0", "median": "fast"}]})").find("median"),
            std::string::npos);
  EXPECT_EQ(refused(head + R"("checks": [{"name": "gemm", "host": "n0", "median": 9.5}]})"), "accepted");
  std::filesystem::remove(path);
}

// Device names nest ("NVIDIA GH200 120GB" contains "H200"): each gets its own sheet.
TEST(AcceptanceDatasheet, NestedNamesGetTheirOwnRates) {
  EXPECT_EQ(datasheet_for("NVIDIA GH200 120GB")->memory_gb_s, 4000);
  EXPECT_EQ(datasheet_for("NVIDIA H200")->memory_gb_s, 4800);
  EXPECT_EQ(datasheet_for("NVIDIA H100 80GB HBM3")->memory_gb_s, 3350);
  EXPECT_EQ(datasheet_for("NVIDIA H100 PCIe")->bf16_tflop_s, 756);
  EXPECT_FALSE(datasheet_for("NVIDIA A100-SXM4-80GB"));
}

}  // namespace
}  // namespace cairn::acceptance
