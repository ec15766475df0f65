// The collectives of one step against hand counts, and the workload file `cairn tune` reads.
#include "train/plan/step_collectives.h"

#include <gtest/gtest.h>

#include "tuner/run/workload.h"

namespace cairn::train::plan {
namespace {

Layout apertus_layout() {
  Layout l;
  l.tp = 4, l.pp = 8, l.dp = 128, l.micro_batch = 1, l.global_batch = 4096, l.seq_len = 4096;
  return l;
}

TEST(PlanStepCollectives, Apertus70bHandCounts) {
  const auto list = step_collectives(preset("apertus-70b"), apertus_layout(), Recompute::selective);
  ASSERT_EQ(list.size(), 5u);
  const std::int64_t bsh2 = 1LL * 4096 * 8192 * 2;  // b s h bf16
  // tp: 4 per layer per micro-batch (2 fwd + 2 bwd), 10 layers, m = 4096 / 128 = 32.
  EXPECT_EQ(list[0].collective, "all_gather");
  EXPECT_EQ(list[0].bytes, bsh2);
  EXPECT_EQ(list[0].count, 4 * 10 * 32);
  EXPECT_EQ(list[1].collective, "reduce_scatter");
  EXPECT_EQ(list[1].group, "tp");
  // pp: b s h / t bf16, forward and back per micro-batch.
  EXPECT_EQ(list[2].collective, "sendrecv");
  EXPECT_EQ(list[2].bytes, bsh2 / 4);
  EXPECT_EQ(list[2].count, 2 * 32);
  // dp: the end stage's bf16 gradients and parameters, once a step.
  const std::int64_t params = 2'139'136'645LL + 268'435'456;
  EXPECT_EQ(list[3].collective, "reduce_scatter");
  EXPECT_EQ(list[3].bytes, 2 * params);
  EXPECT_EQ(list[4].collective, "all_gather");
  EXPECT_EQ(list[4].group, "dp");
}

TEST(PlanStepCollectives, FullRecomputationRepeatsTheForward) {
  const auto list = step_collectives(preset("apertus-70b"), apertus_layout(), Recompute::full);
  EXPECT_EQ(list[0].count, 6 * 10 * 32);
}

TEST(PlanStepCollectives, OneGpuIssuesNone) {
  Layout l;
  l.seq_len = 4096;
  EXPECT_TRUE(step_collectives(preset("apertus-8b"), l, Recompute::selective).empty());
}

TEST(PlanStepCollectives, TuneReadsTheWorkload) {
  const Json doc = to_workload_json(step_collectives(preset("apertus-70b"), apertus_layout(), Recompute::selective));
  ASSERT_EQ(doc["cells"].size(), 4u);  // sendrecv left out
  EXPECT_EQ(doc["cells"][0]["group"], "tp");
  EXPECT_EQ(doc["cells"][0]["count"], 4 * 10 * 32);
  const std::vector<tuner::Cell> cells = tuner::cells_from_workload_json(doc, "plan");
  ASSERT_EQ(cells.size(), 4u);
  for (const tuner::Cell& c : cells) EXPECT_EQ(c.dtype, coll::DataType::bf16);
}

}  // namespace
}  // namespace cairn::train::plan
