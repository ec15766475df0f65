// The divergence detector in whole `cairn train` runs: a clean run of 300 steps raises
// nothing; a real fault in the loop, a bit flip of a gradient's exponent (--inject
// bitflip, checked gradients off, so nothing repairs it), is raised as a gradient-norm
// spike at the flipped step: a log line, a cairn.divergence_alert JSON line and the
// hook. Element 131000 is in the last layers, whose gradient is never 0 (an embedding
// row of a byte the batch lacks is: its flip makes 2.0, no spike).
#include <string>

#include <gtest/gtest.h>

#include "common/text_file.h"
#include "tests/ft/straggler_job.h"

namespace cairn::ft::test {
namespace {

struct TrainRun {
  int code = -1;
  std::string out;
};

TrainRun train(const TempDir& dir, const std::string& shard, const std::string& extra) {
  const std::string out = dir.file("train.out");
  const int status = std::system(("env -i PATH=/usr/bin:/bin " + kCairn + " train --data " + shard +
                                  " --preset tiny --batch 8 --seq-len 64 --threads 1 --log-every 1000000 " + extra +
                                  " >" + out + " 2>&1")
                                     .c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text_or_empty(out)};
}

TEST(DivergenceTrain, ACleanRunOf300StepsRaisesNothing) {
  const TempDir dir("divergence_clean");
  const std::string shard = make_shard(dir);
  if (shard.empty()) GTEST_SKIP() << "the fortunes package is missing: run scripts/deps.sh";
  const std::string events = dir.file("events.jsonl");
  const TrainRun r = train(dir, shard, "--steps 300 --divergence-events " + events);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out.find("divergence:"), std::string::npos) << r.out;
  EXPECT_TRUE(read_events(events).empty()) << text_or_empty(events);
}

TEST(DivergenceTrain, AFlippedGradientExponentIsAGradNormSpikeAtThatStep) {
  const TempDir dir("divergence_flip");
  const std::string shard = make_shard(dir);
  if (shard.empty()) GTEST_SKIP() << "the fortunes package is missing: run scripts/deps.sh";
  const std::string events = dir.file("events.jsonl"), hooked = dir.file("hook.json");
  // 0-based step 150: the 151st, long after the 16-step warm-up, with a full window.
  const TrainRun r = train(dir, shard,
                      "--steps 160 --divergence-events " + events + " --divergence-hook 'cat >" + hooked +
                          "' --inject bitflip:rank=0,step=150,where=gradient,bit=30,element=131000");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto alerts = read_events(events);
  ASSERT_EQ(alerts.size(), 1u) << text_or_empty(events) << r.out;
  const Json& a = alerts.front();
  EXPECT_EQ(a["schema"], "cairn.divergence_alert");
  EXPECT_EQ(a["schema_version"], 1);
  EXPECT_EQ(a["kind"], "grad_norm_spike");
  EXPECT_EQ(a["step"], 151);
  EXPECT_GT(a["z"].get<double>(), 6);
  EXPECT_GT(a["ratio"].get<double>(), 1e6);  // the flipped exponent's top bit: 2^128 x the element
  EXPECT_NE(r.out.find("divergence: gradient-norm spike at step 151"), std::string::npos) << r.out;
  std::string hook;
  for (int i = 0; i < 100 && hook.empty(); ++i) {  // the hook runs in the background
    hook = text_or_empty(hooked);
    if (hook.empty()) ::usleep(50 * 1000);
  }
  EXPECT_NE(hook.find("\"grad_norm_spike\""), std::string::npos) << hook;
}

}  // namespace
}  // namespace cairn::ft::test
