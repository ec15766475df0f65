// The straggler detector's judgement on given statistics (ft/straggler/): the robust
// scores, the typing (compute first, a waiting rank is not a link), the hysteresis, the
// sniff test's link localisation, each rank's own baseline (a change from it is scored), the control file, and the alert's and metrics' forms.
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ft/straggler/alert.h"
#include "ft/straggler/baseline.h"
#include "ft/straggler/control_file.h"
#include "ft/straggler/metrics.h"
#include "ft/alerting/robust_stats.h"
#include "ft/straggler/scoring.h"
#include "ft/straggler/sniff.h"

namespace cairn::ft {
namespace {

constexpr auto kData = static_cast<std::size_t>(Section::data);
constexpr auto kCompute = static_cast<std::size_t>(Section::forward_backward);
constexpr auto kReduce = static_cast<std::size_t>(Section::reduce);
constexpr auto kColl = static_cast<std::size_t>(Section::collectives);

// A step of a healthy rank: 1 ms data, 10 ms compute, 5 ms reduce, 2 ms optimizer, 4.5 ms
// in collectives; `jitter` scales it all a little, as ranks differ.
SectionTimes healthy(double jitter = 1.0) { return {1e-3 * jitter, 10e-3 * jitter, 5e-3 * jitter, 2e-3 * jitter, 4.5e-3 * jitter}; }

TEST(StragglerStats, MedianAndMad) {
  EXPECT_DOUBLE_EQ(median_of({3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(median_of({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(median_of({}), 0);
  EXPECT_DOUBLE_EQ(mad_of({1, 2, 3, 4, 100}), 1);  // the outlier does not move it
}

TEST(StragglerStats, ModifiedZIsIglewiczHoaglinsWithAFlooredMad) {
  // 0.6745 (x - median) / MAD: median 10, MAD 1, x 15 -> 3.3725.
  EXPECT_NEAR(modified_z(15, 10, 1), 0.6745 * 5, 1e-12);
  // A MAD of 0 (every other rank alike) is floored at 2 % of the median, not divided by.
  EXPECT_NEAR(modified_z(10.1, 10, 0), 0.6745 * 0.1 / 0.2, 1e-12);
  EXPECT_TRUE(std::isfinite(modified_z(11, 10, 0)));
  EXPECT_DOUBLE_EQ(modified_z(0, 0, 0), 0);
  EXPECT_NEAR(slowdown_vs(12.5, {10, 10, 10}), 0.25, 1e-12);
}

// Four ranks whose forward_backward is `fb` (the other sections alike).
std::vector<SectionTimes> ranks_fb(std::vector<double> fb) {
  std::vector<SectionTimes> out;
  for (double f : fb) out.push_back(SectionTimes{1e-4, f, 1e-3, 1e-3, 1e-3});
  return out;
}
constexpr std::size_t kFb = static_cast<std::size_t>(Section::forward_backward);

// Placement's lasting spread is calibrated out: a rank 1.7x slower in every baseline
// window scores as its peers do, and a 25 % change after the baseline stands out.
TEST(StragglerBaseline, ALastingSpreadIsCalibratedOutAndAChangeStandsOut) {
  RankBaselines b(4, 3);
  const auto placed = ranks_fb({1.0e-3, 1.7e-3, 1.0e-3, 1.7e-3});
  for (int w = 0; w < 3; ++w) {
    EXPECT_FALSE(b.ready());
    b.learn(placed, {true, true, true, true});
  }
  ASSERT_TRUE(b.ready());
  EXPECT_NEAR(b.of(1)[kFb] / b.of(0)[kFb], 1.7, 1e-9);
  const WindowScores same = score_window(b.normalise(placed));
  for (std::size_t r = 0; r < 4; ++r) EXPECT_NEAR(same.ranks[r].slowdown[kFb], 0, 1e-9) << r;
  const auto slowed = ranks_fb({1.0e-3, 1.7e-3, 1.25e-3, 1.7e-3});  // rank 2 slowed by 25 %
  const WindowScores changed = score_window(b.normalise(slowed));
  EXPECT_NEAR(changed.ranks[2].slowdown[kFb], 0.25, 0.01);
  // Raw, the slow rank sits below the placement spread: the plain score cannot see it.
  EXPECT_LT(score_window(slowed).ranks[2].slowdown[kFb], 0);
}

// The baseline's median ignores one preempted window; later it follows a rank in line
// by the EWMA, not one out of line (a lasting slowdown is not absorbed), and rebase()
// takes the current level outright.
TEST(StragglerBaseline, MedianThenEwmaOnlyWhileInLineAndRebase) {
  RankBaselines b(4, 3);
  b.learn(ranks_fb({1e-3, 1e-3, 1e-3, 1e-3}), {});
  b.learn(ranks_fb({1e-3, 5e-3, 1e-3, 1e-3}), {});  // rank 1 preempted once
  b.learn(ranks_fb({1e-3, 1e-3, 1e-3, 1e-3}), {});
  EXPECT_NEAR(b.of(1)[kFb], 1.0, 1e-9);
  const auto slower = ranks_fb({1e-3, 1e-3, 2e-3, 1e-3});
  b.learn(slower, {true, true, false, true});
  EXPECT_NEAR(b.of(2)[kFb], 1.0, 1e-9);
  b.learn(slower, {true, true, true, true});
  EXPECT_NEAR(b.of(2)[kFb], 1.0 + kBaselineWeight * (2.0 - 1.0), 1e-9);
  b.rebase(slower, 2);
  EXPECT_NEAR(b.of(2)[kFb], 2.0, 1e-9);
}

TEST(StragglerScoring, AComputeSlowRankIsTypedComputeNotItsWaitingPeersLink) {
  // Rank 2 computes 25 % longer; the other three wait for it in the reduction (their
  // reduce and collectives rise by the difference, its own fall).
  std::vector<SectionTimes> ranks = {healthy(1.00), healthy(1.01), healthy(0.99), healthy(1.02)};
  ranks[2][kCompute] *= 1.25;
  for (int r : {0, 1, 3}) {
    ranks[static_cast<std::size_t>(r)][kReduce] += 2.5e-3;
    ranks[static_cast<std::size_t>(r)][kColl] += 2.5e-3;
  }
  const WindowScores w = score_window(ranks);
  const auto c = classify_window(w, StragglerThresholds{});
  ASSERT_TRUE(c[2].has_value());
  EXPECT_EQ(c[2]->type, VerdictType::compute);
  EXPECT_EQ(c[2]->section, Section::forward_backward);
  EXPECT_NEAR(c[2]->slowdown, 0.25, 0.03);
  EXPECT_GT(c[2]->z, 3.5);
  for (int r : {0, 1, 3}) EXPECT_FALSE(c[static_cast<std::size_t>(r)].has_value()) << "rank " << r;
}

TEST(StragglerScoring, TwoRanksOneSlowDoesNotMakeTheOtherALink) {
  std::vector<SectionTimes> ranks = {healthy(), healthy()};
  ranks[1][kCompute] *= 1.5;
  ranks[0][kReduce] += 5e-3;
  ranks[0][kColl] += 5e-3;
  const auto c = classify_window(score_window(ranks), StragglerThresholds{});
  ASSERT_TRUE(c[1].has_value());
  EXPECT_EQ(c[1]->type, VerdictType::compute);
  EXPECT_FALSE(c[0].has_value()) << "rank 0 only waited for rank 1";
}

TEST(StragglerScoring, DataWaitIsTypedData) {
  std::vector<SectionTimes> ranks = {healthy(), healthy(1.01), healthy(0.99), healthy()};
  ranks[1][kData] *= 4;
  const auto c = classify_window(score_window(ranks), StragglerThresholds{});
  ASSERT_TRUE(c[1].has_value());
  EXPECT_EQ(c[1]->type, VerdictType::data);
  EXPECT_EQ(c[1]->section, Section::data);
}

TEST(StragglerScoring, ARanksOwnCollectivesHighWithComputeInLineIsALinkCandidate) {
  std::vector<SectionTimes> ranks = {healthy(), healthy(1.01), healthy(0.99), healthy()};
  ranks[3][kColl] *= 2;
  const auto c = classify_window(score_window(ranks), StragglerThresholds{});
  ASSERT_TRUE(c[3].has_value());
  EXPECT_EQ(c[3]->type, VerdictType::link);
  EXPECT_EQ(c[3]->section, Section::collectives);
}

TEST(StragglerScoring, NoiseBelowTheLeastSlowdownRaisesNothing) {
  // 8 % off a perfectly quiet group: past the z cut (the floored MAD), below 10 %.
  std::vector<SectionTimes> ranks = {healthy(), healthy(), healthy(), healthy()};
  ranks[0][kCompute] *= 1.08;
  const WindowScores w = score_window(ranks);
  EXPECT_GT(w.ranks[0].z[kCompute], 2.5);
  EXPECT_FALSE(classify_window(w, StragglerThresholds{})[0].has_value());
  StragglerThresholds lower;
  lower.min_slowdown = 0.05;
  lower.z = 2.5;
  EXPECT_TRUE(classify_window(w, lower)[0].has_value()) << "the thresholds are what decides";
}

TEST(StragglerHysteresis, OneNoisyWindowRaisesNothing) {
  Hysteresis h(4);
  std::vector<std::optional<Candidate>> noisy(4), none(4);
  noisy[2] = Candidate{2, VerdictType::compute, Section::forward_backward, 9, 0.3};
  h.update(noisy);
  EXPECT_FALSE(h.suspect(2, 2));
  h.update(none);
  EXPECT_EQ(h.count(2), 0);
  h.update(noisy);
  EXPECT_FALSE(h.suspect(2, 2));
  h.update(noisy);
  EXPECT_TRUE(h.suspect(2, 2));
  EXPECT_EQ(h.count(2), 2);
  // A change of type starts again.
  std::vector<std::optional<Candidate>> data(4);
  data[2] = Candidate{2, VerdictType::data, Section::data, 9, 0.3};
  h.update(data);
  EXPECT_EQ(h.count(2), 1);
  h.reset(2);
  EXPECT_EQ(h.count(2), 0);
}

SniffTimes ring(std::vector<double> edges) {
  SniffTimes t;
  t.probe_s.assign(edges.size(), 1e-3);
  t.edge_s = std::move(edges);
  return t;
}

TEST(StragglerSniff, BothEdgesOfARankSlowNameItsLink) {
  // Edges k <-> k+1: 0-1, 1-2, 2-3, 3-0. Rank 2's link is 4x slow: edges 1-2 and 2-3.
  const auto f = find_slow_link(ring({10e-3, 40e-3, 41e-3, 10.5e-3}), 0.1);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->rank, 2);
  EXPECT_EQ(f->peer, -1);
  EXPECT_EQ(f->left, 1);
  EXPECT_EQ(f->right, 3);
  EXPECT_NEAR(f->slowdown, 40.0 / 10.25 - 1, 1e-9);
}

TEST(StragglerSniff, OneSlowEdgeNamesThePair) {
  const auto f = find_slow_link(ring({10e-3, 10e-3, 30e-3, 10e-3, 10e-3, 11e-3}), 0.1);  // 3x
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->rank, 2);
  EXPECT_EQ(f->peer, 3);
}

TEST(StragglerSniff, EvenExchangesAndSmallSpreadNameNothing) {
  EXPECT_FALSE(find_slow_link(ring({10e-3, 12e-3, 11e-3, 13e-3}), 0.1).has_value());
  // 70 % slower is within what one host's exchanges scatter (kLinkSlowdownFloor).
  EXPECT_FALSE(find_slow_link(ring({10e-3, 17e-3, 17e-3, 10e-3}), 0.1).has_value());
  EXPECT_FALSE(find_slow_link(ring({10e-3}), 0.1).has_value()) << "two ranks: no edge to compare with";
}

TEST(StragglerSniff, ProbeSlowdownIsAgainstTheOthers) {
  SniffTimes t;
  t.probe_s = {1e-3, 1e-3, 1.25e-3, 1.02e-3};
  EXPECT_NEAR(probe_slowdown(t, 2), 0.25, 1e-9);
  EXPECT_NEAR(probe_slowdown(t, 0), 1.0 / 1.02 - 1, 1e-9);
}

TEST(StragglerControl, KeyValueLinesChangeTheThresholds) {
  const auto u = parse_control("# the operator's\nthreshold=4\n\nmin_slowdown = 0.2\nhysteresis=3\n", StragglerThresholds{});
  EXPECT_TRUE(u.problems.empty());
  EXPECT_DOUBLE_EQ(u.thresholds.z, 4);
  EXPECT_DOUBLE_EQ(u.thresholds.min_slowdown, 0.2);
  EXPECT_EQ(u.thresholds.hysteresis, 3);
}

TEST(StragglerControl, ABadLineIsNamedAndTheRestApplies) {
  const auto u = parse_control("threshold=nan\nz=5\nhysteresis=2.5\nfoo=1\nno equals sign\nmin_slowdown=-1\n",
                               StragglerThresholds{});
  EXPECT_DOUBLE_EQ(u.thresholds.z, 5);
  EXPECT_EQ(u.thresholds.hysteresis, 2);
  EXPECT_DOUBLE_EQ(u.thresholds.min_slowdown, 0.10);
  ASSERT_EQ(u.problems.size(), 5u);
  EXPECT_NE(u.problems[0].find("line 1"), std::string::npos) << u.problems[0];
  EXPECT_NE(u.problems[2].find("unknown key"), std::string::npos) << u.problems[2];
  EXPECT_NE(u.problems[3].find("not key=value"), std::string::npos) << u.problems[3];
  // Control bytes in a line are quoted, never printed raw.
  const auto q = parse_control("\x1b[31m=1\n", StragglerThresholds{});
  ASSERT_EQ(q.problems.size(), 1u);
  EXPECT_EQ(q.problems[0].find('\x1b'), std::string::npos);
}

TEST(StragglerAlert, JsonAndLineNameRankHostBusSectionPercentAndType) {
  Alert a;
  a.step = 9;
  a.rank = 2;
  a.host = "node7";
  a.gpu_bus_id = "none";
  a.section = Section::forward_backward;
  a.type = VerdictType::compute;
  a.slowdown = 0.253;
  a.cause = "none";
  a.evidence = "forward_backward median 12.5 ms";
  const Json j = alert_json(a);
  EXPECT_EQ(j["schema"], "cairn.straggler_alert");
  EXPECT_EQ(j["rank"], 2);
  EXPECT_EQ(j["host"], "node7");
  EXPECT_EQ(j["gpu_bus_id"], "none");
  EXPECT_EQ(j["section"], "forward_backward");
  EXPECT_EQ(j["type"], "compute");
  EXPECT_NEAR(j["slowdown_percent"].get<double>(), 25.3, 1e-9);
  EXPECT_EQ(j["cause"], "none");
  const std::string line = alert_line(a);
  EXPECT_NE(line.find("rank 2 (host node7, gpu none) compute-slow in forward_backward, +25.3 % at step 10"),
            std::string::npos)
      << line;
}

TEST(StragglerMetrics, PrometheusTextHasScoresPerRankAndTheAlertsTotal) {
  std::vector<SectionTimes> ranks = {healthy(), healthy(), healthy()};
  const WindowScores w = score_window(ranks);
  const std::vector<std::string> hosts = {"a", "b\"quoted\"", "c"};
  MetricsSnapshot m;
  m.step = 41;
  m.scores = &w;
  m.hosts = &hosts;
  m.alerts = 3;
  const std::string text = render_metrics(m);
  EXPECT_NE(text.find("# TYPE cairn_straggler_score gauge"), std::string::npos);
  EXPECT_NE(text.find("cairn_straggler_score{rank=\"1\",host=\"b\\\"quoted\\\"\",section=\"data\"} 0"), std::string::npos)
      << text;
  EXPECT_NE(text.find("cairn_straggler_alerts_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("cairn_straggler_threshold{name=\"z\"} 3.5\n"), std::string::npos);
  EXPECT_NE(text.find("cairn_straggler_window_step 41\n"), std::string::npos);
}

}  // namespace
}  // namespace cairn::ft
