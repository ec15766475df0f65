// The Apertus 70B reproduction (FIELD.md; report arXiv 2509.14233 §6): 723 tokens/s per
// GPU on 4096 GH200 at TP 4 x PP 8 x DP 128, 4096 x 4096 tokens a step, AdEMAMix.
// Inputs, none fitted to 723:
// - virtual stages v = 5: the launch script (swiss-ai/pretrain-code,
//   pretraining/submit_apertus_70b.sh) gives --num-layers-per-virtual-pipeline-stage 2,
//   and a stage has 80 / 8 = 10 layers; micro-batch 1 (--micro-batch-size 1).
// - recompute "selective": the script recomputes nothing, but runs flash attention
//   (Transformer Engine), which keeps none of the s^2 attention activations; that is
//   Korthikanti's selective case (34 s b h / t) without its recompute cost.
// - DP as the script runs it: --main-grads-dtype fp32 (gradients reduce-scattered in f32)
//   and --ddp-bucket-size 10000000000 (one bucket per model chunk).
// - the single-GPU rate: 50 % of 989 TFLOP/s = 494.5 TFLOP/s, the middle of the ~45-55 %
//   MFU Megatron-LM reports for GEMM-bound dense bf16 layers on H100. An assumption, not
//   measured here (no GH200 was used).
// Result: 869.1 tokens/s per GPU, 20 % above 723 — outside 15 % (897.7 with Megatron's
// default bf16 gradients and buckets). The test pins the miss
// so a change to the model that moves it shows; docs/plan.md says why it misses.
#include <gtest/gtest.h>

#include "train/flops.h"
#include "train/plan/search.h"

namespace cairn::train::plan {
namespace {

constexpr double kReported = 723.0;  // tokens/s per GPU, report §6

StepTime apertus(double tflops, DpOptions dp = {4, 10'000'000'000LL}) {
  Layout l;
  l.tp = 4, l.pp = 8, l.dp = 128, l.micro_batch = 1, l.global_batch = 4096, l.seq_len = 4096, l.virtual_stages = 5;
  return predict_step_time(preset("apertus-70b"), l, Recompute::selective, {ComputeRate::Kind::tflops, tflops},
                           topology::cluster_preset("gh200-alps", 1024), "--gpu-tflops", dp);
}

TEST(PlanApertus, ItsLayoutFits96GbWithAdemamix) {
  SearchSpace s;
  s.gpus = 4096, s.global_batch = 4096, s.seq_len = 4096, s.optimizer = Optimizer::ademamix;
  s.tp = 4, s.pp = 8, s.virtual_stages = 5, s.micro_batch = 1, s.rate = {ComputeRate::Kind::tflops, 494.5};
  const SearchResult r = search_layouts(preset("apertus-70b"), topology::cluster_preset("gh200-alps", 1024), s);
  ASSERT_EQ(r.fitting.size(), 1u);
  EXPECT_LT(r.fitting[0].memory.total(), 96'000'000'000LL);
  // With the run's f32 main gradients: 2 more bytes per parameter, still well within 96 GB.
  s.dp_options.grad_bytes = 4;
  const SearchResult f32 = search_layouts(preset("apertus-70b"), topology::cluster_preset("gh200-alps", 1024), s);
  ASSERT_EQ(f32.fitting.size(), 1u);
  EXPECT_EQ(f32.fitting[0].memory.gradient_bytes, 4 * f32.fitting[0].memory.parameters);
  EXPECT_EQ(f32.fitting[0].memory.total() - r.fitting[0].memory.total(), 2 * r.fitting[0].memory.parameters);
  EXPECT_LT(f32.fitting[0].memory.total(), 96'000'000'000LL);
}

TEST(PlanApertus, PredictedThroughputAgainstThe723Reported) {
  const StepTime t = apertus(0.5 * kH100DenseBf16Flops / 1e12);
  const double ratio = t.tokens_per_gpu_s / kReported;
  // Within 15 % was the goal; the prediction misses it, overpredicting by about 20 %.
  // Documented, not hidden: if this fails because the ratio fell into 0.85..1.15, the
  // model got closer — update this test and docs/plan.md.
  EXPECT_GT(ratio, 1.15) << t.tokens_per_gpu_s << " tokens/s per GPU";
  EXPECT_LT(ratio, 1.30) << t.tokens_per_gpu_s << " tokens/s per GPU";
  // The breakdown it rests on: compute 4096 tokens x 433.3 GFLOP / 494.5 TFLOP/s = 3.59 s,
  // bubble 7 / (32 x 5) of it; TP, PP and DP exposed on top.
  EXPECT_NEAR(t.compute_s, 4096 * training_flops_per_token(preset("apertus-70b"), 4096) / 494.5e12, 1e-9);
  EXPECT_NEAR(t.bubble_s, t.compute_s * 7.0 / 160.0, 1e-9);
  EXPECT_GT(t.tp_s, 0);
  EXPECT_GT(t.pp_s, 0);
  EXPECT_GT(t.dp_exposed_s, 0);
  // f32 gradients and whole-chunk buckets expose more DP time than Megatron's defaults.
  const StepTime defaults = apertus(494.5, DpOptions{});
  EXPECT_GT(t.dp_exposed_s, defaults.dp_exposed_s);
  EXPECT_GT(defaults.tokens_per_gpu_s / kReported, 1.20);
  // At the low end of the cited range (45 %) it lands within 15 %; at the high end (55 %)
  // it is over a quarter above: the input rate dominates the answer.
  EXPECT_LT(apertus(0.45 * kH100DenseBf16Flops / 1e12).tokens_per_gpu_s / kReported, 1.15);
  EXPECT_GT(apertus(0.55 * kH100DenseBf16Flops / 1e12).tokens_per_gpu_s / kReported, 1.25);
}

}  // namespace
}  // namespace cairn::train::plan
