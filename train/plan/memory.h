// Memory one GPU needs for a layout of a model, before anything runs: the worst pipeline
// stage's share of parameters, gradients and optimizer state, and the activations its
// first stage keeps. Formulas (docs/plan.md):
// - Megatron-LM (Shoeybi et al. 2019): a stage holds L/p layers split t ways; the
//   embedding and the head are vocabulary-parallel (V d / t) on the end stages.
// - ZeRO stage 1 / Megatron's distributed optimizer (Rajbhandari et al. 2020):
//   2 + 2 + K bytes per parameter, bf16 weights and gradients whole, the K bytes of f32
//   optimizer state (master copy + moments: AdamW 12, AdEMAMix 16) split over DP.
// - Korthikanti et al. 2022, eq. 5: activations per layer per micro-batch with tensor and
//   sequence parallelism s b h (34 + 5 a s / h) / t bytes; selective recomputation keeps
//   34 s b h / t; full recomputation keeps the layer input, 2 s b h / t.
// - Narayanan et al. 2021: under 1F1B the first stage has min(p, m) micro-batches in
//   flight; interleaving over v virtual stages multiplies that by 1 + (p - 1) / (p v).
#pragma once

#include <cstdint>
#include <string_view>

#include "train/config.h"

namespace cairn::train::plan {

enum class Optimizer { adamw, ademamix };
enum class Recompute { none, selective, full };

// "adamw" | "ademamix", "none" | "selective" | "full"; cairn::Error naming `flag` else.
Optimizer parse_optimizer(std::string_view s, std::string_view flag);
Recompute parse_recompute(std::string_view s, std::string_view flag);

struct Layout {
  std::int64_t tp = 1, pp = 1, dp = 1;
  std::int64_t micro_batch = 1;     // sequences per micro-batch, b
  std::int64_t global_batch = 1;    // sequences per step, B
  std::int64_t seq_len = 0;         // s
  std::int64_t virtual_stages = 1;  // v, interleaved pipeline
  std::int64_t gpus() const { return tp * pp * dp; }
  // m = B / (b dp): micro-batches each pipeline runs per step.
  std::int64_t micro_batches() const { return global_batch / (micro_batch * dp); }
};

// cairn::Error naming the flag and the fix unless tp divides the query and KV heads,
// pp * v divides the layers, and b * dp divides the global batch; all must be >= 1.
void validate_layout(const ModelConfig& c, const Layout& l);

// Parameters of one transformer layer and of the embedding, from train's own count.
std::int64_t parameters_per_layer(const ModelConfig& c);
std::int64_t embedding_parameters(const ModelConfig& c);

struct GpuMemory {
  std::int64_t parameters = 0;        // on the worst stage (an end stage), elements
  std::int64_t weight_bytes = 0;      // bf16
  std::int64_t gradient_bytes = 0;    // bf16 (or f32, grad_bytes 4)
  std::int64_t optimizer_bytes = 0;   // f32 master + moments, split over DP
  std::int64_t activation_bytes = 0;  // first stage, with the chosen recomputation
  std::int64_t total() const { return weight_bytes + gradient_bytes + optimizer_bytes + activation_bytes; }
};

// Bytes of activations one layer keeps for one micro-batch (Korthikanti et al. 2022).
double activation_bytes_per_layer(const ModelConfig& c, const Layout& l, Recompute r);

// grad_bytes: 2 for bf16 gradient buffers, 4 for f32 ones (Megatron's --main-grads-dtype
// fp32: 2 + 4 + K bytes per parameter); cairn::Error for any other.
GpuMemory gpu_memory(const ModelConfig& c, const Layout& l, Optimizer o, Recompute r, int grad_bytes = 2);

}  // namespace cairn::train::plan
