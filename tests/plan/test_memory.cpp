// Per-GPU memory of train/plan/memory against figures worked by hand (docs/plan.md).
#include "train/plan/memory.h"

#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"

namespace cairn::train::plan {
namespace {

Layout apertus_layout() {  // FIELD.md: TP 4 x PP 8 x DP 128, 4096 x 4096 tokens per step
  Layout l;
  l.tp = 4, l.pp = 8, l.dp = 128, l.micro_batch = 1, l.global_batch = 4096, l.seq_len = 4096;
  return l;
}

TEST(PlanMemory, ParameterCountsAreTrainsOwn) {
  // Per layer: 2 d norm gains + (a + 2 kv) hd d + d^2 + up*ffn*d + ffn*d (+ 2 hd QK-norm,
  // + 2 xIELU scalars); 8192: 2*8192 + 10240*8192 + 8192^2 + 2*43008*8192 + 2*128 + 2.
  EXPECT_EQ(parameters_per_layer(preset("apertus-70b")), 855'654'658);
  EXPECT_EQ(parameters_per_layer(preset("apertus-8b")), 218'112'258);
  EXPECT_EQ(parameters_per_layer(preset("llama3-70b")), 855'654'400);
  for (const char* name : {"apertus-70b", "apertus-8b", "llama3-70b"}) {
    const ModelConfig c = preset(name);
    EXPECT_EQ(c.n_layers * parameters_per_layer(c) + 2 * embedding_parameters(c) + c.d_model, parameter_count(c))
        << name;
  }
}

TEST(PlanMemory, Apertus70bAtItsPublishedLayout) {
  const GpuMemory m = gpu_memory(preset("apertus-70b"), apertus_layout(), Optimizer::ademamix, Recompute::selective);
  // 10 layers x 855,654,658 / 4 + 131072 x 8192 / 4 (embedding on the first stage).
  EXPECT_EQ(m.parameters, 2'139'136'645LL + 268'435'456);
  EXPECT_EQ(m.weight_bytes, 2 * m.parameters);
  EXPECT_EQ(m.gradient_bytes, 2 * m.parameters);
  EXPECT_EQ(m.optimizer_bytes, 16 * m.parameters / 128);  // master + 3 AdEMAMix moments, f32
  // 34 s b h / t = 34 x 4096 x 8192 / 4 per layer; 10 layers x min(p = 8, m = 32) in flight.
  EXPECT_EQ(m.activation_bytes, 10LL * 8 * 285'212'672);
  EXPECT_LT(m.total(), 96LL * 1000 * 1000 * 1000);
}

TEST(PlanMemory, AdamWKeepsAQuarterLessStateThanAdEMAMix) {
  const ModelConfig c = preset("apertus-70b");
  const GpuMemory adamw = gpu_memory(c, apertus_layout(), Optimizer::adamw, Recompute::selective);
  const GpuMemory ademamix = gpu_memory(c, apertus_layout(), Optimizer::ademamix, Recompute::selective);
  EXPECT_EQ(adamw.optimizer_bytes * 16, ademamix.optimizer_bytes * 12);
}

TEST(PlanMemory, ActivationsPerLayerFollowKorthikanti) {
  const ModelConfig c = preset("llama3-70b");
  Layout l;
  l.tp = 8, l.seq_len = 8192, l.micro_batch = 1;
  const double sbh = 8192.0 * 8192.0;
  EXPECT_DOUBLE_EQ(activation_bytes_per_layer(c, l, Recompute::none), sbh * (34 + 5 * 64 * 8192.0 / 8192) / 8);
  EXPECT_DOUBLE_EQ(activation_bytes_per_layer(c, l, Recompute::selective), 34 * sbh / 8);
  EXPECT_DOUBLE_EQ(activation_bytes_per_layer(c, l, Recompute::full), 2 * sbh / 8);
}

TEST(PlanMemory, InterleavingAddsItsFactor) {
  Layout l = apertus_layout();
  l.virtual_stages = 5;  // 80 layers = 8 stages x 5 chunks of 2
  const GpuMemory m = gpu_memory(preset("apertus-70b"), l, Optimizer::ademamix, Recompute::selective);
  EXPECT_EQ(m.activation_bytes, std::llround(10.0 * 8 * (1 + 7.0 / 40) * 285'212'672));
}

TEST(PlanMemory, RefusesLayoutsThatDoNotDivide) {
  const ModelConfig c = preset("apertus-70b");
  Layout l = apertus_layout();
  l.tp = 3;
  EXPECT_THROW(validate_layout(c, l), Error);
  l = apertus_layout();
  l.pp = 7;
  EXPECT_THROW(validate_layout(c, l), Error);
  l = apertus_layout();
  l.global_batch = 100;
  EXPECT_THROW(validate_layout(c, l), Error);
  EXPECT_THROW(parse_optimizer("sgd", "--optimizer"), Error);
  EXPECT_THROW(parse_recompute("some", "--recompute"), Error);
}

}  // namespace
}  // namespace cairn::train::plan
