#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/error_of.h"
#include "tuner/search/stats.h"

namespace cairn::tuner {
namespace {

TEST(SearchStats, SummaryHasMedianQuartilesAndSpread) {
  const std::vector<double> v = {5, 1, 4, 2, 3};
  const Summary s = summarize(v);
  EXPECT_EQ(s.n, 5);
  EXPECT_DOUBLE_EQ(s.median, 3);
  EXPECT_DOUBLE_EQ(s.p25, 2);
  EXPECT_DOUBLE_EQ(s.p75, 4);
  EXPECT_DOUBLE_EQ(s.spread, 2.0 / 3.0);
  EXPECT_EQ(summarize(std::vector<double>{}).n, 0);
}

TEST(SearchStats, RoundsNeededForCoverage) {
  EXPECT_EQ(min_rounds_for(0.95), 6);  // 1 - 2/2^6 = 0.969; 1 - 2/2^5 = 0.9375
  EXPECT_EQ(min_rounds_for(0.99), 8);  // 1 - 2/2^8 = 0.992
  EXPECT_NE(cairn::test::error_of([] { min_rounds_for(1.0); }).find("outside (0, 1)"), std::string::npos);
}

TEST(SearchStats, MedianIntervalUsesBinomialOrderStatistics) {
  std::vector<double> v;
  for (int i = 1; i <= 10; ++i) v.push_back(i);
  const MedianInterval m = median_interval(v, 0.95);
  // n = 10: P(B <= 1) = 11/1024 gives coverage 0.9785 at k = 2; k = 3 only 0.89.
  EXPECT_EQ(m.rank, 2);
  EXPECT_DOUBLE_EQ(m.low, 2);
  EXPECT_DOUBLE_EQ(m.high, 9);
  EXPECT_NEAR(m.coverage, 1 - 2 * 11.0 / 1024, 1e-12);
  EXPECT_FALSE(median_interval(std::vector<double>{1, 2, 3, 4, 5}, 0.95).valid());
}

TEST(SearchStats, ClearWinIsDeclared) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> z(0, 0.01);
  std::vector<double> d, c;
  for (int i = 0; i < 12; ++i) {
    d.push_back(110 * std::exp(z(rng)));
    c.push_back(100 * std::exp(z(rng)));
  }
  const NoiseVerdict v = noise_rule(d, c, 0.95);
  EXPECT_TRUE(v.winner);
  EXPECT_GT(v.speedup_low, 1.0);
  EXPECT_NEAR(v.speedup, 1.1, 0.03);
  EXPECT_GE(v.coverage, 0.95);
}

TEST(SearchStats, TooFewRoundsNeverWin) {
  const std::vector<double> d = {200, 200, 200, 200, 200}, c = {100, 100, 100, 100, 100};
  const NoiseVerdict v = noise_rule(d, c, 0.95);
  EXPECT_FALSE(v.winner);
  EXPECT_DOUBLE_EQ(v.speedup, 2.0);
}

TEST(SearchStats, BadInputsAreRefused) {
  EXPECT_NE(cairn::test::error_of([] { noise_rule(std::vector<double>{1, 2}, std::vector<double>{1}); }).find("same rounds"),
            std::string::npos);
  EXPECT_NE(cairn::test::error_of([] { noise_rule(std::vector<double>{1, 0}, std::vector<double>{1, 1}); }).find("round 1"),
            std::string::npos);
}

// Under no difference the rule declares a winner with probability P(B(12, 1/2) <= 2) =
// 79/4096 = 1.93 % (k = 3 at 12 rounds): measured over 20000 pairs of identical draws.
TEST(SearchStats, FalseWinnerRateMatchesAlpha) {
  std::mt19937_64 rng(2024);
  std::lognormal_distribution<double> noise(0, 0.05);
  int winners = 0;
  const int trials = 20000;
  double alpha = 0;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> d, c;
    for (int i = 0; i < 12; ++i) {
      d.push_back(100 * noise(rng));
      c.push_back(100 * noise(rng));
    }
    const NoiseVerdict v = noise_rule(d, c, 0.95);
    alpha = v.alpha;
    winners += v.winner;
  }
  EXPECT_NEAR(alpha, 79.0 / 4096, 1e-12);
  const double rate = double(winners) / trials;  // sd of the rate: 0.001
  EXPECT_GT(rate, 0.0155);
  EXPECT_LT(rate, 0.0235);
}

}  // namespace
}  // namespace cairn::tuner
