// Predicted time of one training step of a layout (docs/plan.md, "Step time"):
// - compute: tokens per GPU per step x training FLOPs per token (train/flops.h) / a
//   single-GPU rate given as an input, never assumed: either achieved TFLOP/s on this
//   model's layers, or tokens/s measured for this model on one GPU. Full recomputation
//   repeats the forward (x 4/3 of the FLOPs, 8N instead of 6N per token); selective
//   recomputation's extra attention work is left out (a few %, Korthikanti et al. 2022).
// - pipeline bubble: compute x (p - 1) / (m v) (Narayanan et al. 2021), so a pipelined
//   step computes for compute x (1 + (p - 1)/(m v)).
// - communication, per call from NCCL's cost model on a group of that shape
//   (tuner::predict_group): TP inside a node, on the critical path (not overlapped);
//   DP over one GPU per node per group (when TP x PP fills a node), reduce-scatter
//   overlapped with backward and all-gather with forward except one bucket of each
//   (Megatron's DDP bucket of max(40M, 1M x DP) parameters), and whatever exceeds the
//   backward (2/3 of compute) or forward (1/3) it hides behind; PP send/recv of each
//   micro-batch point to point, bytes / the per-GPU network rate + the network's latency
//   (NCCL has no cost model for p2p), counted in full (not overlapped: an upper bound).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "topology/cluster.h"
#include "train/plan/memory.h"
#include "train/plan/step_collectives.h"

namespace cairn::train::plan {

struct ComputeRate {
  enum class Kind { tflops, tokens_per_gpu_s };
  Kind kind = Kind::tflops;
  double value = 0;  // achieved TFLOP/s of one GPU, or tokens/s of one GPU
};
// "achieved 450 TFLOP/s per GPU (--gpu-tflops, input)" and the like.
std::string describe(const ComputeRate& r);

// How DP moves gradients (Megatron-LM's DDP config): bytes per gradient element in the
// reduce-scatter (2: bf16; 4: --main-grads-dtype fp32 / grad_reduce_in_fp32) and the
// bucket size in parameters (0: Megatron's default max(40M, 1M x DP)). A bucket never
// spans two model chunks, so with v virtual stages it is at most the chunk's parameters.
struct DpOptions {
  int grad_bytes = 2;
  std::int64_t bucket_parameters = 0;
};

struct CommCost {
  StepCollective call;
  std::string algorithm;    // NCCL's "Ring/Simple" etc.; "p2p" for sendrecv
  int group_nodes = 0;
  int group_ranks_per_node = 0;
  double time_per_call_s = 0;
  double total_s = 0;       // time_per_call x count
};

struct StepTime {
  double tokens_per_gpu = 0;       // per step
  double flops_per_token = 0;      // model FLOPs (train/flops.h), what MFU counts
  double compute_s = 0;            // without the bubble
  double bubble_s = 0;
  double tp_s = 0, pp_s = 0;       // exposed in full
  double dp_total_s = 0, dp_exposed_s = 0;
  double step_s = 0;
  double tokens_per_gpu_s = 0;
  double mfu = 0;                  // of kH100DenseBf16Flops
  std::vector<CommCost> comm;
  std::vector<std::string> assumptions;
};

// The cluster gives the node type and network; it must have gpus() / GPUs-per-node nodes.
// Throws cairn::Error for a rate that is not positive and finite (naming `rate_flag`), a
// layout validate_layout refuses, or a group the cluster cannot hold.
StepTime predict_step_time(const ModelConfig& c, const Layout& l, Recompute r, const ComputeRate& rate,
                           const topology::ClusterSpec& cluster, std::string_view rate_flag = "--gpu-tflops",
                           const DpOptions& dp_options = {});

}  // namespace cairn::train::plan
