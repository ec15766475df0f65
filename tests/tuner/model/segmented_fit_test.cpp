// The piecewise alpha-beta fit on synthetic two-regime surfaces (test inputs with known
// coefficients, shaped like a transport that switches protocol at a message size).
#include "tuner/model/segmented_fit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tuner/model/calibration.h"
#include "tuner/model/host_model.h"

namespace cairn::tuner {
namespace {

// Below 64 KiB: 2 us + n / 10 GB/s; from 64 KiB: 30 us + n / 4 GB/s.
double two_regimes(double n) { return n < 65536 ? 2 + n / 10e3 : 30 + n / 4e3; }

TEST(SegmentedFit, OneLineStaysOneSegment) {
  std::vector<SizeTime> p;
  for (double n = 1024; n <= 1 << 26; n *= 2) p.push_back({n, 5 + n / 20e3});
  const SegmentedFit f = fit_segments(p);
  ASSERT_EQ(f.segments.size(), 1u);
  EXPECT_NEAR(f.segments[0].fit.alpha_us, 5, 1e-9);
}

TEST(SegmentedFit, FindsTheRegimeChangeAndPredictsBothSides) {
  std::vector<SizeTime> p;
  for (double n = 1024; n <= 1 << 26; n *= 2) p.push_back({n, two_regimes(n)});
  const SegmentedFit f = fit_segments(p);
  ASSERT_EQ(f.segments.size(), 2u);
  EXPECT_DOUBLE_EQ(f.segments[0].to_x, 32768);
  EXPECT_DOUBLE_EQ(f.segments[1].from_x, 65536);
  EXPECT_NEAR(f.segments[1].fit.alpha_us, 30, 1e-6);
  EXPECT_NEAR(f.predict_us(4096), two_regimes(4096), 1e-9);
  EXPECT_NEAR(f.predict_us(1 << 24), two_regimes(1 << 24), 1e-6);
  // One line over both regimes misses by far more.
  const AlphaBetaFit line = fit_alpha_beta(p);
  EXPECT_GT(std::fabs(line.predict_us(1 << 20) - two_regimes(1 << 20)) / two_regimes(1 << 20), 0.05);
}

TEST(SegmentedFit, HeldOutErrorOfAHostFamilyWithTwoRegimes) {
  // ring all_reduce at 4 ranks, the bytes of one step (1.5 n / 6) in two regimes: the
  // held-out sizes (every other one) fall on their regime's side of the geometric
  // midpoint between the fitted segments, so they are predicted within 1 %.
  std::vector<Sample> s;
  for (double n = 4096; n <= 1 << 28; n *= 2) {
    const HostShape h = host_shape("ucx:ring", "all_reduce", 4);
    s.push_back({"ucx:ring", "all_reduce", n, 4, 1, h.steps * two_regimes(h.bytes_factor * n / h.steps)});
  }
  const HoldoutReport r = holdout_error(s);
  EXPECT_LT(r.median_abs_rel_error, 0.01);
}

TEST(SegmentedFit, NoUsablePointsGivesNoSegments) {
  std::vector<SizeTime> p = {{1024, 0}};
  EXPECT_FALSE(fit_segments(p).valid());
}

}  // namespace
}  // namespace cairn::tuner
