// train/plan/step_time against figures worked from its formulas (docs/plan.md, "Step
// time"): compute from the given rate, the bubble, TP/DP/PP costed on groups of their shape.
#include "train/plan/step_time.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "train/flops.h"
#include "tuner/model/predict.h"

namespace cairn::train::plan {
namespace {

Layout layout(std::int64_t tp, std::int64_t pp, std::int64_t dp, std::int64_t batch, std::int64_t v = 1) {
  Layout l;
  l.tp = tp, l.pp = pp, l.dp = dp, l.micro_batch = 1, l.global_batch = batch, l.seq_len = 4096, l.virtual_stages = v;
  return l;
}

ComputeRate tflops(double x) { return {ComputeRate::Kind::tflops, x}; }

TEST(PlanStepTime, ComputeIsTokensTimesFlopsOverTheGivenRate) {
  const ModelConfig c = preset("apertus-8b");
  const Layout l = layout(1, 1, 4, 16);  // one gh200-alps node, DP 4
  const StepTime t = predict_step_time(c, l, Recompute::selective, tflops(400), topology::cluster_preset("gh200-alps", 1));
  EXPECT_DOUBLE_EQ(t.tokens_per_gpu, 16.0 * 4096 / 4);
  EXPECT_DOUBLE_EQ(t.compute_s, 16384.0 * training_flops_per_token(c, 4096) / 400e12);
  EXPECT_EQ(t.bubble_s, 0);
  EXPECT_EQ(t.tp_s, 0);
  EXPECT_EQ(t.pp_s, 0);
  EXPECT_GT(t.dp_exposed_s, 0);
  EXPECT_LE(t.dp_exposed_s, t.dp_total_s);
  EXPECT_NEAR(t.step_s, t.compute_s + t.dp_exposed_s, 1e-12);
  EXPECT_NEAR(t.tokens_per_gpu_s, t.tokens_per_gpu / t.step_s, 1e-9);
  EXPECT_NEAR(t.mfu, t.tokens_per_gpu_s * t.flops_per_token / kH100DenseBf16Flops, 1e-12);
  // Full recomputation runs the forward twice; a tokens/s rate is taken as it is.
  const StepTime full = predict_step_time(c, l, Recompute::full, tflops(400), topology::cluster_preset("gh200-alps", 1));
  EXPECT_NEAR(full.compute_s, t.compute_s * 4.0 / 3.0, 1e-12);
  const StepTime tok = predict_step_time(c, l, Recompute::selective, {ComputeRate::Kind::tokens_per_gpu_s, 2048},
                                         topology::cluster_preset("gh200-alps", 1));
  EXPECT_DOUBLE_EQ(tok.compute_s, 16384.0 / 2048);
}

TEST(PlanStepTime, BubbleAndTpAreOnTheCriticalPath) {
  const ModelConfig c = preset("apertus-70b");
  const topology::ClusterSpec alps = topology::cluster_preset("gh200-alps", 64);
  const Layout l = layout(4, 8, 8, 256, 2);  // 256 GPUs, m = 32
  const StepTime t = predict_step_time(c, l, Recompute::selective, tflops(450), alps);
  EXPECT_NEAR(t.bubble_s, t.compute_s * 7.0 / (32 * 2), 1e-12);
  // TP: one node's four GPUs; each call as NCCL's model prices it on that group.
  double tp = 0;
  for (const CommCost& k : t.comm)
    if (k.call.group == "tp") {
      EXPECT_EQ(k.group_nodes, 1);
      EXPECT_EQ(k.group_ranks_per_node, 4);
      const double call =
          tuner::predict_group(alps, k.call.collective, static_cast<std::size_t>(k.call.bytes), 1, 4).time_us * 1e-6;
      EXPECT_DOUBLE_EQ(k.time_per_call_s, call);
      tp += call * static_cast<double>(k.call.count);
    } else if (k.call.group == "dp") {
      EXPECT_EQ(k.group_nodes, 8);  // one GPU on each of DP nodes
      EXPECT_EQ(k.group_ranks_per_node, 1);
    } else {
      EXPECT_EQ(k.algorithm, "p2p/network");
      // 4096 x 8192 / 4 bf16 values at 25 GB/s (200 Gb/s per GPU) dominate the latency.
      EXPECT_NEAR(k.time_per_call_s, 16777216.0 / 25e9, 1e-4);
    }
  EXPECT_NEAR(t.tp_s, tp, 1e-9);
  EXPECT_GT(t.tp_s, 0);
  EXPECT_NEAR(t.step_s, t.compute_s + t.bubble_s + t.tp_s + t.pp_s + t.dp_exposed_s, 1e-12);
  // More virtual stages shrink the bubble, nothing else.
  const StepTime v1 = predict_step_time(c, layout(4, 8, 8, 256, 1), Recompute::selective, tflops(450), alps);
  EXPECT_NEAR(v1.bubble_s, 2 * t.bubble_s, 1e-12);
}

TEST(PlanStepTime, ADpGroupInsideANodeRunsOverNvlink) {
  // TP 2 on a 4-GPU node: DP groups have 2 GPUs on each node.
  const StepTime t = predict_step_time(preset("apertus-8b"), layout(2, 1, 8, 64), Recompute::selective, tflops(400),
                                       topology::cluster_preset("gh200-alps", 4));
  for (const CommCost& k : t.comm)
    if (k.call.group == "dp") {
      EXPECT_EQ(k.group_nodes, 4);
      EXPECT_EQ(k.group_ranks_per_node, 2);
    }
}

TEST(PlanStepTime, ABadRateOrShapeIsRefused) {
  const ModelConfig c = preset("apertus-8b");
  const topology::ClusterSpec one = topology::cluster_preset("gh200-alps", 1);
  EXPECT_THROW(predict_step_time(c, layout(1, 1, 4, 16), Recompute::none, tflops(0), one), Error);
  EXPECT_THROW(predict_step_time(c, layout(1, 1, 4, 16), Recompute::none, tflops(-3), one), Error);
  EXPECT_THROW(predict_step_time(c, layout(1, 1, 8, 16), Recompute::none, tflops(400), one), Error);  // 8 GPUs, 1 node
}

}  // namespace
}  // namespace cairn::train::plan

namespace cairn::train::plan {
namespace {

TEST(PlanStepTime, GroupsThatReduceAtOnceShareTheNodesNics) {
  // 128 nodes x 1 GPU: alone it may use all 4 NICs of a node; four such groups at once
  // (TP 4's four DP groups) get one NIC each, about 25 GB/s.
  const topology::ClusterSpec alps = topology::cluster_preset("gh200-alps", 128);
  const double bytes = 256e6;
  const double alone = tuner::predict_group(alps, "reduce_scatter", 256'000'000, 128, 1, 1).time_us * 1e-6;
  const double shared = tuner::predict_group(alps, "reduce_scatter", 256'000'000, 128, 1, 4).time_us * 1e-6;
  EXPECT_GT(shared, 2.0 * alone);
  EXPECT_GT(shared, bytes * 127 / 128 / 25e9);  // no faster than one 200 Gb/s NIC
  EXPECT_LT(shared, 2.0 * bytes / 25e9);
  EXPECT_THROW(tuner::predict_group(alps, "reduce_scatter", 1024, 128, 1, 0), Error);
  EXPECT_THROW(tuner::predict_group(alps, "reduce_scatter", 1024, 129, 1, 1), Error);
}

}  // namespace
}  // namespace cairn::train::plan
