// Flagging on matrices of known values: a healthy fabric flags nothing, one slow pair is
// flagged alone, a slow rank flags all its pairs and is named as their common rank; the
// expected-rate rule, the tables' width and the JSON report.
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "collectives/measure/pairs/analysis.h"
#include "common/error.h"

namespace cairn::coll::pairs {
namespace {

std::vector<Participant> ranks_on_hosts(int n) {
  std::vector<Participant> ps;
  for (int r = 0; r < n; ++r) ps.push_back({r, "node" + std::to_string(r)});
  return ps;
}

// Every pair at `gb_s` with a small spread (pair (i, j) differs by up to 4 %), latency 3 us.
PairsMatrix uniform(int n, double gb_s) {
  PairsMatrix m(ranks_on_hosts(n));
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) m.set(i, j, gb_s * (1.0 - 0.01 * ((i + 2 * j) % 5)), 3.0 + 0.1 * j);
  return m;
}

TEST(PairsAnalysis, WarnsWhenAHostRunsMoreParticipantsThanCpus) {
  const std::vector<Participant> ps{{0, "vm"}, {1, "vm"}, {2, "vm"}, {3, "other"}};
  EXPECT_EQ(crowded_host_warning(ps, "vm", 4), "");
  EXPECT_EQ(crowded_host_warning(ps, "vm", 3), "");
  EXPECT_EQ(crowded_host_warning(ps, "other", 1), "");
  EXPECT_EQ(crowded_host_warning(ps, "vm", 2),
            "warning: 3 participants share the 2 CPU(s) of host vm: pairs measured at the same time compete for "
            "them, so their rates are not comparable; start at most 2 rank(s) there or measure with --per-node\n");
}

TEST(PairsAnalysis, MedianOfOddAndEvenCounts) {
  EXPECT_DOUBLE_EQ(median_of({5.0}), 5.0);
  EXPECT_DOUBLE_EQ(median_of({9.0, 1.0, 5.0}), 5.0);
  EXPECT_DOUBLE_EQ(median_of({9.0, 1.0, 4.0, 6.0}), 5.0);
  EXPECT_DOUBLE_EQ(median_of({1.0, 1.0, 100.0, 1.0, 1.0}), 1.0) << "one stall does not move it";
  EXPECT_THROW(median_of({}), Error);
}

TEST(PairsAnalysis, HealthyFabricFlagsNothing) {
  for (int n : {2, 3, 4, 8, 17}) {
    const auto m = uniform(n, 24.0);
    const Verdict v = analyze(m, {});
    EXPECT_TRUE(v.healthy()) << n << " ranks: " << flagged_lines(m, v);
    EXPECT_NEAR(v.median_bandwidth_gb_s, 24.0, 1.0);
    EXPECT_FALSE(v.common.has_value());
  }
}

TEST(PairsAnalysis, OneSlowPairIsFlaggedAlone) {
  auto m = uniform(8, 24.0);
  m.set(2, 5, 2.4, 3.0);  // a tenth
  const Verdict v = analyze(m, {});
  ASSERT_EQ(v.flagged.size(), 1u) << flagged_lines(m, v);
  EXPECT_EQ(v.flagged[0].i, 2);
  EXPECT_EQ(v.flagged[0].j, 5);
  EXPECT_DOUBLE_EQ(v.flagged[0].bandwidth_gb_s, 2.4);
  EXPECT_NEAR(v.flagged[0].limit_gb_s, 0.5 * v.median_bandwidth_gb_s, 1e-12);
  EXPECT_FALSE(v.common.has_value()) << "one pair has no common rank to blame";
  const std::string lines = flagged_lines(m, v);
  EXPECT_NE(lines.find("slow pair r2 (node2) <-> r5 (node5)"), std::string::npos) << lines;
}

TEST(PairsAnalysis, PairJustAboveTheThresholdIsNotFlagged) {
  auto m = uniform(4, 10.0);
  for (int i = 0; i < 4; ++i)
    for (int j = i + 1; j < 4; ++j) m.set(i, j, 10.0, 1.0);
  m.set(0, 3, 5.01, 1.0);
  EXPECT_TRUE(analyze(m, {0.5, {}}).healthy());
  m.set(0, 3, 4.99, 1.0);
  EXPECT_EQ(analyze(m, {0.5, {}}).flagged.size(), 1u);
  EXPECT_TRUE(analyze(m, {0.4, {}}).healthy()) << "a lower --threshold tolerates it";
}

TEST(PairsAnalysis, SlowRankFlagsAllItsPairsAndIsNamed) {
  auto m = uniform(8, 24.0);
  for (int j = 0; j < 8; ++j)
    if (j != 6) m.set(6, j, 3.0 + 0.1 * j, 9.0);
  const Verdict v = analyze(m, {});
  ASSERT_EQ(v.flagged.size(), 7u) << flagged_lines(m, v);
  for (const auto& f : v.flagged) EXPECT_TRUE(f.i == 6 || f.j == 6);
  ASSERT_TRUE(v.common.has_value());
  EXPECT_EQ(*v.common, 6);
  EXPECT_NE(flagged_lines(m, v).find("all 7 slow pairs include r6 (node6)"), std::string::npos);

  // Four ranks: half the pairs are slow, the median falls between, still below 0.5 of it.
  auto m4 = uniform(4, 24.0);
  for (int j = 0; j < 3; ++j) m4.set(j, 3, 2.4, 9.0);
  const Verdict v4 = analyze(m4, {});
  EXPECT_EQ(v4.flagged.size(), 3u) << flagged_lines(m4, v4);
  ASSERT_TRUE(v4.common.has_value());
  EXPECT_EQ(*v4.common, 3);
}

TEST(PairsAnalysis, TwoUnrelatedSlowPairsHaveNoCommonRank) {
  auto m = uniform(8, 24.0);
  m.set(0, 1, 2.0, 3.0);
  m.set(4, 7, 2.0, 3.0);
  const Verdict v = analyze(m, {});
  EXPECT_EQ(v.flagged.size(), 2u);
  EXPECT_FALSE(v.common.has_value());
}

TEST(PairsAnalysis, ExpectedRateFlagsAUniformlySlowFabric) {
  const auto m = uniform(4, 10.0);
  EXPECT_TRUE(analyze(m, {}).healthy()) << "against its own median it looks fine";
  const Verdict v = analyze(m, {0.5, 50.0});
  EXPECT_EQ(v.flagged.size(), 6u);
  for (const auto& f : v.flagged) {
    EXPECT_DOUBLE_EQ(f.limit_gb_s, 25.0);
    EXPECT_NE(f.reason.find("expected 50 GB/s"), std::string::npos) << f.reason;
  }
  EXPECT_TRUE(analyze(m, {0.5, 19.0}).healthy()) << "10 GB/s is above 0.5 x 19";
}

TEST(PairsAnalysis, RejectsBadRulesAndUnmeasuredPairs) {
  const auto m = uniform(4, 10.0);
  EXPECT_THROW(analyze(m, {0.0, {}}), Error);
  EXPECT_THROW(analyze(m, {1.5, {}}), Error);
  EXPECT_THROW(analyze(m, {0.5, -1.0}), Error);
  PairsMatrix holes(ranks_on_hosts(3));
  holes.set(0, 1, 1.0, 1.0);
  holes.set(0, 2, 1.0, 1.0);
  try {
    analyze(holes, {});
    FAIL() << "an unmeasured pair passed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("r1 (node1) <-> r2 (node2) was never measured"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(analyze(PairsMatrix(ranks_on_hosts(1)), {}), Error);
  EXPECT_THROW(holes.set(1, 1, 1.0, 1.0), Error);
  EXPECT_THROW(holes.set(0, 3, 1.0, 1.0), Error);
}

std::size_t widest_line(const std::string& text) {
  std::istringstream is(text);
  std::size_t widest = 0;
  for (std::string line; std::getline(is, line);) widest = std::max(widest, line.size());
  return widest;
}

TEST(PairsAnalysis, TablesFitOneHundredColumns) {
  for (int n : {2, 4, 9, 10, 33}) {
    auto m = uniform(n, 123.456);
    m.set(0, n - 1, 0.00012345, 12345.6);
    std::vector<Participant> ps = ranks_on_hosts(n);
    ps[1].host = std::string(80, 'h');  // a very long host name is clipped
    PairsMatrix named(ps);
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j) named.set(i, j, m.bandwidth_gb_s(i, j), m.latency_us(i, j));
    const Verdict v = analyze(named, {});
    EXPECT_LE(widest_line(format_matrices(named, v)), 100u) << n << " ranks";
    EXPECT_LE(widest_line(format_pair_table(named, v)), 100u) << n << " ranks";
  }
}

TEST(PairsAnalysis, MatrixShowsValuesAndMarksFlaggedCells) {
  auto m = uniform(4, 10.0);
  m.set(1, 2, 1.0, 3.0);
  const Verdict v = analyze(m, {});
  const std::string text = format_matrices(m, v);
  // Row 1, column 2 and row 2, column 1 hold "1*"; the diagonal holds ".".
  EXPECT_NE(text.find("       1*"), std::string::npos) << text;
  EXPECT_EQ(text.find("0*"), std::string::npos) << text;
  const std::string table = format_pair_table(m, v);
  EXPECT_NE(table.find("SLOW"), std::string::npos);
  EXPECT_EQ(table.find("SLOW"), table.rfind("SLOW")) << "exactly one pair is marked\n" << table;
}

TEST(PairsAnalysis, JsonCarriesSchemaMatricesAndFlags) {
  auto m = uniform(4, 10.0);
  m.set(0, 2, 1.0, 7.0);
  const FlagRule rule{0.5, {}};
  const Verdict v = analyze(m, rule);
  const Json doc = to_json(m, v, rule, Json{{"backend", "ucx"}});
  EXPECT_NO_THROW(require_schema(doc, "cairn.pairs", 2, "test"));
  EXPECT_EQ(doc["run"]["backend"], "ucx");
  ASSERT_EQ(doc["bandwidth_gb_s"].size(), 4u);
  EXPECT_TRUE(doc["bandwidth_gb_s"][1][1].is_null());
  EXPECT_DOUBLE_EQ(doc["bandwidth_gb_s"][2][0].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(doc["latency_us"][0][2].get<double>(), 7.0);
  EXPECT_EQ(doc["pairs"].size(), 6u);
  ASSERT_EQ(doc["flagged"].size(), 1u);
  EXPECT_EQ(doc["flagged"][0]["i"], 0);
  EXPECT_EQ(doc["flagged"][0]["j"], 2);
  EXPECT_FALSE(doc["healthy"].get<bool>());
  EXPECT_TRUE(doc["common"].is_null());
  EXPECT_TRUE(doc["expect_gb_s"].is_null());
  EXPECT_EQ(doc["participants"][3]["host"], "node3");
  // Survives a text round trip.
  EXPECT_EQ(Json::parse(doc.dump()), doc);
}

}  // namespace
}  // namespace cairn::coll::pairs
