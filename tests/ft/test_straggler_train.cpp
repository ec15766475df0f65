// The straggler detector in whole `cairn train` jobs of 4 host ranks under `cairn launch`
// (issue 19, done-when 1, CI part): a rank slowed by 25 % is named (rank, section,
// percent, type compute) within 10 steps; a rank whose communication is slowed is typed
// link; the control file's thresholds reach every rank; 2,000 clean steps raise no alert.
//
// How steps are counted, and why: a fail-slow starts during a run (GREYHOUND, ATC'25),
// and the detector judges each rank by its change from its own baseline (ft/straggler/
// baseline.h), because 4 ranks time-sharing 2 vCPUs split into placement groups up to
// 1.7x apart in CPU time, more than the 25 % to find. So the slowdown starts at step S
// (0-based), the first step after the baseline is set: 2 warmup steps, then 3 baseline
// windows of 3 steps (indices 2-10), S = 11. "Within 10 steps" counts from S, the
// slowed step 1, to the step whose window raised the alert: windows are 3 steps, a rank
// must be out of line in 3 in a row (the windows ending at 13, 16, 19: the 9th step at
// the earliest). The z cut is 2.5, not Iglewicz and Hoaglin's 3.5: with 4 ranks the MAD
// is the median of 4 deviations. The static bar (a rank slow from the start, on the
// plain score) is 1.0 here, above the 1.7x placement spread of this box; production
// keeps 0.5 (docs/ft.md).
//
// The guard is narrow: the compute, static-bar and clean-run tests skip, after the job and
// saying so, only when processes
// of normal priority other than the job took more than a quarter of the host's CPU time
// while it ran (contended_reason: they make real stragglers); an idle box and a nice-19
// hog run the test (measured pass rates: docs/ft.md).
#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "common/text_file.h"
#include "tests/ft/straggler_job.h"

namespace cairn::ft::test {
namespace {

constexpr int kRanks = 4;
constexpr int kWarmup = 2;
constexpr int kEvery = 2;
constexpr int kBaselineWindows = 4;
constexpr int kSlowFrom = kWarmup + kBaselineWindows * kEvery;  // 10: the first step after the baseline
constexpr int kSteps = kSlowFrom + 12;                            // room for the 10 steps and one window more
const std::string kDetector =
    " --straggler-every 2 --straggler-warmup 2 --straggler-baseline-windows 4 --straggler-hysteresis 3 "
    "--straggler-threshold 2.5 --straggler-min-slowdown 0.15 --straggler-static-slowdown 1.0 ";
const std::string kSlowRank2 = "--inject slow-compute:rank=2,factor=1.25,from=" + std::to_string(kSlowFrom) + " ";

TEST(StragglerTrain, ARankSlowedBy25PercentIsNamedComputeWithinTenSteps) {
  if (const std::string why = shared_cpus_reason(kRanks); !why.empty()) GTEST_SKIP() << why;
  const TempDir dir("straggler_compute");
  const std::string shard = make_shard(dir);
  if (shard.empty()) GTEST_SKIP() << "the fortunes package is missing: run scripts/deps.sh";
  const std::string events = dir.file("events.jsonl"), hooked = dir.file("hook.json"), metrics = dir.file("m.prom");
  const JobOutput job = run_job(dir, shard, kRanks, kSteps,
                                kDetector + kSlowRank2 + "--straggler-events " + events + " --straggler-metrics " +
                                    metrics + " --straggler-hook 'cat>" + hooked + "'");
  std::cout << "[ timing ] 4 ranks, " << kSteps << " steps, slow-compute from step " << kSlowFrom << ": " << job.seconds
            << " s, others' share " << job.others_share << "\n";
  if (const std::string why = contended_reason(job); !why.empty()) GTEST_SKIP() << why;
  ASSERT_EQ(job.code, 0) << job.text;
  const auto alerts = read_events(events);
  ASSERT_FALSE(alerts.empty()) << "no alert\n" << job.text << read_text_file(metrics, true);
  const Json& a = alerts.front();
  EXPECT_EQ(a["schema"], "cairn.straggler_alert");
  EXPECT_EQ(a["rank"], 2) << dump_all(alerts);
  EXPECT_EQ(a["type"], "compute") << dump_all(alerts);
  EXPECT_EQ(a["section"], "forward_backward") << dump_all(alerts);
  EXPECT_EQ(a["gpu_bus_id"], "none");
  EXPECT_FALSE(a["host"].get<std::string>().empty());
  EXPECT_EQ(a["cause"], "none");
  const double percent = a["slowdown_percent"].get<double>();
  // 25 % more CPU work on rank 2's thread, measured as its change against its own
  // baseline and the others' (docs/ft.md: the measured spread).
  std::cout << "[ figure ] named at step " << a["step"] << ", " << percent << " %\n";
  EXPECT_GT(percent, 12) << dump_all(alerts);
  EXPECT_LT(percent, 50) << dump_all(alerts);
  EXPECT_EQ(a["details"]["from_start"], false) << dump_all(alerts);
  const int since = a["step"].get<int>() - kSlowFrom + 1;  // step S is the 1st slowed step
  EXPECT_GE(since, 1) << "an alert before the slowdown began\n" << dump_all(alerts);
  EXPECT_LE(since, 10) << "named " << since << " steps after the slowdown began\n" << dump_all(alerts);
  for (const auto& e : alerts) EXPECT_EQ(e["rank"], 2) << dump_all(alerts);
  // Rank 0 printed one line; the hook read the same JSON; the metrics count the alert.
  EXPECT_NE(job.text.find("straggler: rank 2 ("), std::string::npos) << job.text;
  EXPECT_NE(job.text.find("compute-slow in forward_backward"), std::string::npos) << job.text;
  const Json hook = parse_json(read_text_file(hooked), hooked);  // the hook ran while training went on
  EXPECT_EQ(hook["rank"], 2);
  const std::string prom = read_text_file(metrics);
  EXPECT_NE(prom.find("cairn_straggler_alerts_total " + std::to_string(alerts.size()) + "\n"), std::string::npos)
      << prom;
  EXPECT_NE(prom.find("cairn_straggler_score{rank=\"3\""), std::string::npos) << prom;
}

// A rank slow from its first step has the slowdown in its baseline, so no change shows:
// the plain score across ranks against the static bar (1.0 here, above the VM's 1.7x
// placement spread) names it. 2.5x: past that bar by the spread's margin.
TEST(StragglerTrain, ARankSlowFromTheStartIsNamedOnTheStaticBar) {
  if (const std::string why = shared_cpus_reason(kRanks); !why.empty()) GTEST_SKIP() << why;
  const TempDir dir("straggler_from_start");
  const std::string shard = make_shard(dir);
  if (shard.empty()) GTEST_SKIP() << "the fortunes package is missing: run scripts/deps.sh";
  const std::string events = dir.file("events.jsonl");
  const JobOutput job = run_job(dir, shard, kRanks, kSteps,
                                kDetector + "--inject slow-compute:rank=1,factor=2.5 --straggler-events " + events);
  std::cout << "[ timing ] 4 ranks, " << kSteps << " steps, slow-compute from the start: " << job.seconds
            << " s, others' share " << job.others_share << "\n";
  if (const std::string why = contended_reason(job); !why.empty()) GTEST_SKIP() << why;
  ASSERT_EQ(job.code, 0) << job.text;
  const auto alerts = read_events(events);
  ASSERT_FALSE(alerts.empty()) << "no alert\n" << job.text;
  const Json& a = alerts.front();
  EXPECT_EQ(a["rank"], 1) << dump_all(alerts);
  EXPECT_EQ(a["type"], "compute") << dump_all(alerts);
  EXPECT_EQ(a["details"]["from_start"], true) << dump_all(alerts);
  EXPECT_GT(a["slowdown_percent"].get<double>(), 100) << dump_all(alerts);
  for (const auto& e : alerts) EXPECT_EQ(e["rank"], 1) << dump_all(alerts);
}

TEST(StragglerTrain, ARankWhoseCommunicationIsSlowedIsTypedLink) {
  if (const std::string why = busy_host_reason(); !why.empty()) GTEST_SKIP() << why;
  const TempDir dir("straggler_link");
  const std::string shard = make_shard(dir);
  if (shard.empty()) GTEST_SKIP() << "the fortunes package is missing: run scripts/deps.sh";
  const std::string events = dir.file("events.jsonl");
  const JobOutput job = run_job(dir, shard, kRanks, 14,
                                kDetector + "--straggler-sniff-kib 256 --inject slow-link:rank=1,factor=3 "
                                            "--straggler-events " + events);
  std::cout << "[ timing ] 4 ranks, 14 steps, slow-link: " << job.seconds << " s\n";
  ASSERT_EQ(job.code, 0) << job.text;
  const auto alerts = read_events(events);
  ASSERT_FALSE(alerts.empty()) << "no alert\n" << job.text;
  const Json& a = alerts.front();
  EXPECT_EQ(a["rank"], 1) << dump_all(alerts);
  EXPECT_EQ(a["type"], "link") << dump_all(alerts);
  EXPECT_EQ(a["peer"], -1) << "both of its ring neighbours' exchanges are slow\n" << dump_all(alerts);
  EXPECT_EQ(a["details"]["left"], 0);
  EXPECT_EQ(a["details"]["right"], 2);
  EXPECT_GT(a["slowdown_percent"].get<double>(), 100) << dump_all(alerts);
  for (const auto& e : alerts) EXPECT_NE(e["type"], "compute") << dump_all(alerts);
}

TEST(StragglerTrain, RankZerosControlFileThresholdsReachEveryRank) {
  if (const std::string why = busy_host_reason(); !why.empty()) GTEST_SKIP() << why;
  const TempDir dir("straggler_control");
  const std::string shard = make_shard(dir);
  if (shard.empty()) GTEST_SKIP() << "the fortunes package is missing: run scripts/deps.sh";
  const std::string events = dir.file("events.jsonl"), control = dir.file("control"), metrics = dir.file("m.prom");
  write_file_atomically(control, "# a 25 % straggler is tolerated here\nmin_slowdown=0.6\nhysteresis=4\n");
  const JobOutput job = run_job(dir, shard, kRanks, kSteps,
                                kDetector + kSlowRank2 + "--straggler-events " + events + " --straggler-control " + control + " --straggler-metrics " + metrics);
  ASSERT_EQ(job.code, 0) << job.text;
  EXPECT_TRUE(read_events(events).empty()) << dump_all(read_events(events));
  const std::string prom = read_text_file(metrics);
  EXPECT_NE(prom.find("cairn_straggler_threshold{name=\"min_slowdown\"} 0.6\n"), std::string::npos) << prom;
  EXPECT_NE(prom.find("cairn_straggler_threshold{name=\"hysteresis\"} 4\n"), std::string::npos) << prom;
}

// The clean run: 2,000 steps of 4 real ranks, all but the first 2 judged (999 windows).
TEST(StragglerTrain, TwoThousandCleanStepsRaiseNoAlert) {
  if (const std::string why = shared_cpus_reason(kRanks); !why.empty()) GTEST_SKIP() << why;
  const TempDir dir("straggler_clean");
  const std::string shard = make_shard(dir);
  if (shard.empty()) GTEST_SKIP() << "the fortunes package is missing: run scripts/deps.sh";
  const std::string events = dir.file("events.jsonl"), metrics = dir.file("m.prom");
  const JobOutput job =
      run_job(dir, shard, kRanks, 2000, kDetector + "--straggler-events " + events + " --straggler-metrics " + metrics);
  std::cout << "[ timing ] 4 ranks, 2000 clean steps: " << job.seconds << " s, others' share " << job.others_share
            << "\n";
  if (const std::string why = contended_reason(job); !why.empty()) GTEST_SKIP() << why;
  ASSERT_EQ(job.code, 0) << job.text;
  EXPECT_TRUE(read_events(events).empty()) << dump_all(read_events(events)) << job.text;
  const std::string prom = read_text_file(metrics);
  std::cout << prom.substr(prom.find("# HELP cairn_straggler_threshold")) << "\n";
  EXPECT_NE(prom.find("cairn_straggler_alerts_total 0\n"), std::string::npos) << prom;
  EXPECT_NE(prom.find("cairn_straggler_windows_total 999\n"), std::string::npos) << prom;
}

// One rank alone (a job of one): no peer, so no alert, but its own noise floor and the
// detector's cost are measured and reported (the one-GPU measurement runs this with
// --device cuda, where the sections come from CUDA events).
TEST(StragglerTrain, OneRankAloneReportsItsNoiseFloorAndItsCost) {
  const TempDir dir("straggler_alone");
  const std::string shard = make_shard(dir);
  if (shard.empty()) GTEST_SKIP() << "the fortunes package is missing: run scripts/deps.sh";
  const std::string metrics = dir.file("m.prom"), out = dir.file("out.txt");
  const std::string words = "env -i PATH=/usr/bin:/bin " + kCairn + " train --data " + shard +
                            " --preset tiny --batch 1 --seq-len 16 --threads 1 --device cpu --steps 40"
                            " --log-every 1000000 --straggler-every 4 --straggler-metrics " + metrics;
  const int status = std::system((words + " >" + out + " 2>&1").c_str());
  const std::string text = read_text_file(out, true);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text;
  EXPECT_NE(text.find("one rank alone has no peer to compare with"), std::string::npos) << text;
  // 40 steps, 2 warm-up, windows of 4: 9 windows.
  EXPECT_NE(text.find("straggler detector: 9 windows"), std::string::npos) << text;
  EXPECT_NE(text.find("0 alerts"), std::string::npos) << text;
  EXPECT_NE(text.find("noise floor"), std::string::npos) << text;
  const std::string prom = read_text_file(metrics);
  EXPECT_NE(prom.find("cairn_straggler_alerts_total 0\n"), std::string::npos) << prom;
  const std::string key = "cairn_straggler_noise_floor_ratio{section=\"forward_backward\"} ";
  const auto at = prom.find(key);
  ASSERT_NE(at, std::string::npos) << prom;
  const double floor = std::stod(prom.substr(at + key.size()));
  EXPECT_GT(floor, 0) << prom;  // a host's step times always vary a little
  EXPECT_LT(floor, 1) << prom;
}

}  // namespace
}  // namespace cairn::ft::test
