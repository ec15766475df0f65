// The divergence detector (ft/divergence/) on a real loss trace: a clean tiny run
// recorded with `cairn train --loss-log` (tests/fixtures/divergence/README.md) raises
// nothing; the same trace with a spike injected raises one alert, at that step, of that
// kind; NaN/Inf raises at once; warm-up, the least ratio and the cooldown hold.
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ft/divergence/alert.h"
#include "ft/divergence/detector.h"

namespace cairn::ft {
namespace {

struct Step {
  long step = 0;  // 1-based
  double loss = 0, grad_norm = 0;
};

std::vector<Step> recorded_trace() {
  std::vector<Step> trace;
  std::FILE* f = std::fopen(CAIRN_SOURCE_DIR "/tests/fixtures/divergence/tiny-batch8-seq64-300-steps.loss", "r");
  if (!f) return trace;
  Step s;
  double lr = 0;
  while (std::fscanf(f, "%ld %lf %lf %lf", &s.step, &s.loss, &s.grad_norm, &lr) == 4) trace.push_back(s);
  std::fclose(f);
  return trace;
}

std::vector<DivergenceAlert> replay(const std::vector<Step>& trace, const SpikeThresholds& t = {}) {
  DivergenceDetector d(t);
  std::vector<DivergenceAlert> all;
  for (const Step& s : trace)
    for (auto& a : d.observe(s.step - 1, s.loss, s.grad_norm)) all.push_back(a);
  return all;
}

std::string listed(const std::vector<DivergenceAlert>& alerts) {
  std::string out;
  for (const auto& a : alerts) out += alert_line(a) + "\n";
  return out;
}

class RecordedTrace : public ::testing::Test {
 protected:
  void SetUp() override {
    trace_ = recorded_trace();
    ASSERT_EQ(trace_.size(), 300u) << "the recorded trace is missing or short";
  }
  std::vector<Step> trace_;
};

TEST_F(RecordedTrace, TheCleanRunRaisesNothing) {
  const auto alerts = replay(trace_);
  EXPECT_TRUE(alerts.empty()) << listed(alerts);
}

TEST_F(RecordedTrace, ALossSpikeLastingThreeStepsIsOneAlertAtItsFirstStep) {
  for (int i = 200; i < 203; ++i) trace_[i].loss *= 1.6;  // steps 201-203
  const auto alerts = replay(trace_);
  ASSERT_EQ(alerts.size(), 1u) << listed(alerts);
  const DivergenceAlert& a = alerts.front();
  EXPECT_EQ(a.kind, DivergenceKind::loss_spike);
  EXPECT_EQ(a.step, 201);
  EXPECT_EQ(a.metric, "loss");
  EXPECT_DOUBLE_EQ(a.value, trace_[200].loss);
  EXPECT_GT(a.z, 6);
  EXPECT_NEAR(a.ratio, a.value / a.median, 1e-12);
  EXPECT_GT(a.ratio, 1.25);
  EXPECT_EQ(a.samples, 64);
}

TEST_F(RecordedTrace, AGradientNormSpikeIsAGradNormAlert) {
  trace_[249].grad_norm *= 8;  // step 250
  const auto alerts = replay(trace_);
  ASSERT_EQ(alerts.size(), 1u) << listed(alerts);
  EXPECT_EQ(alerts[0].kind, DivergenceKind::grad_norm_spike);
  EXPECT_EQ(alerts[0].step, 250);
  EXPECT_GT(alerts[0].ratio, 5);
}

TEST_F(RecordedTrace, ASpikeBelowTheLeastRatioIsNotAnAlert) {
  trace_[200].loss *= 1.15;  // far past the noise in z, but not 25 % above the median
  const auto alerts = replay(trace_);
  EXPECT_TRUE(alerts.empty()) << listed(alerts);
}

TEST_F(RecordedTrace, TwoSpikesWithinTheCooldownAreOneAlertAndFarApartTwo) {
  auto near = trace_;
  near[200].loss *= 1.6;
  near[205].loss *= 1.6;  // 5 steps on, within the 16-step cooldown
  EXPECT_EQ(replay(near).size(), 1u) << listed(replay(near));
  auto far = trace_;
  far[200].loss *= 1.6;
  far[250].loss *= 1.6;
  const auto alerts = replay(far);
  ASSERT_EQ(alerts.size(), 2u) << listed(alerts);
  EXPECT_EQ(alerts[1].step, 251);
}

TEST_F(RecordedTrace, NothingIsJudgedDuringTheWarmUpButNaNIsAtOnce) {
  auto early = trace_;
  early[3].loss *= 10;  // step 4: the window holds 3 values, fewer than the 16 of the warm-up
  EXPECT_TRUE(replay(early).empty()) << listed(replay(early));
  auto nan = trace_;
  nan[2].loss = std::numeric_limits<double>::quiet_NaN();
  nan.resize(3);
  const auto alerts = replay(nan);
  ASSERT_EQ(alerts.size(), 1u) << listed(alerts);
  EXPECT_EQ(alerts[0].kind, DivergenceKind::non_finite);
  EXPECT_EQ(alerts[0].step, 3);
  EXPECT_EQ(alerts[0].metric, "loss");
}

TEST_F(RecordedTrace, AnInfiniteGradientNormIsNonFinite) {
  trace_[150].grad_norm = std::numeric_limits<double>::infinity();
  trace_.resize(151);
  const auto alerts = replay(trace_);
  ASSERT_EQ(alerts.size(), 1u) << listed(alerts);
  EXPECT_EQ(alerts[0].kind, DivergenceKind::non_finite);
  EXPECT_EQ(alerts[0].metric, "grad_norm");
  EXPECT_GT(alerts[0].median, 0) << "the baseline it broke from";
  const Json j = alert_json(alerts[0]);
  EXPECT_EQ(j["schema"], "cairn.divergence_alert");
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["kind"], "non_finite");
  EXPECT_TRUE(j["value"].is_null());
  EXPECT_EQ(j["value_text"], "inf");
  EXPECT_EQ(j["step"], 151);
}

TEST(DivergenceAlert, JsonHoldsTheSchemaAndEveryNumber) {
  const DivergenceAlert a{120, DivergenceKind::loss_spike, "loss", 7.5, 3.0, 0.1, 15.2, 2.5, 64};
  const Json j = alert_json(a);
  EXPECT_EQ(j["schema"], "cairn.divergence_alert");
  EXPECT_EQ(j["kind"], "loss_spike");
  EXPECT_EQ(j["step"], 120);
  EXPECT_DOUBLE_EQ(j["value"].get<double>(), 7.5);
  EXPECT_DOUBLE_EQ(j["median"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(j["z"].get<double>(), 15.2);
  EXPECT_DOUBLE_EQ(j["ratio"].get<double>(), 2.5);
  EXPECT_NE(alert_line(a).find("step 120"), std::string::npos) << alert_line(a);
}

}  // namespace
}  // namespace cairn::ft
