#include "tuner/model/alpha_beta.h"

#include <gtest/gtest.h>

#include <vector>

namespace cairn::tuner {
namespace {

// A synthetic measurement surface (a test input, not a model of a dependency): exact
// alpha + beta n over sizes from 1 KiB to 64 MiB.
std::vector<SizeTime> surface(double alpha, double beta) {
  std::vector<SizeTime> p;
  for (double n = 1024; n <= 64.0 * 1024 * 1024; n *= 4) p.push_back({n, alpha + beta * n});
  return p;
}

TEST(AlphaBeta, RecoversKnownLatencyAndBandwidth) {
  const AlphaBetaFit f = fit_alpha_beta(surface(12.5, 1.0 / 20e3));  // 12.5 us, 20 GB/s
  ASSERT_TRUE(f.valid());
  EXPECT_NEAR(f.alpha_us, 12.5, 1e-9 * 12.5);
  EXPECT_NEAR(f.beta_us_per_byte, 1.0 / 20e3, 1e-9 / 20e3);
  EXPECT_LT(f.median_rel_error, 1e-9);
}

TEST(AlphaBeta, NegativeInterceptIsPinnedAtZero) {
  // Times that would fit a negative latency: the fit is the best with alpha = 0.
  std::vector<SizeTime> p = {{1000, 0.5}, {2000, 1.5}, {4000, 3.5}};
  const AlphaBetaFit f = fit_alpha_beta(p);
  EXPECT_EQ(f.alpha_us, 0.0);
  EXPECT_GT(f.beta_us_per_byte, 0.0);
}

TEST(AlphaBeta, NoUsablePointsIsInvalid) {
  std::vector<SizeTime> p = {{1000, 0}, {2000, -1}};
  EXPECT_FALSE(fit_alpha_beta(p).valid());
}

}  // namespace
}  // namespace cairn::tuner
