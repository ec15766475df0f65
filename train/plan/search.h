// The layout search of `cairn plan` (docs/plan.md, "Search"): every TP x PP x DP x
// virtual stages x micro-batch of a model on N GPUs of a node type that the memory model
// says fits one GPU, ranked by predicted step time (step_time.h).
// - TP: divisors of the query and KV heads, at most the GPUs of a node (NVLink).
// - PP: divisors of the layers that leave DP = gpus / (TP PP) whole.
// - virtual stages v: divisors of the layers per stage; v > 1 needs m a multiple of p
//   (Megatron-LM's interleaved schedule).
// - micro-batch b: 1, 2, 4, ... up to max_micro_batch, b DP dividing the global batch.
// Fits: GpuMemory::total() <= the node preset's GPU memory, nothing held back for the
// CUDA context, NCCL's buffers or the allocator's fragmentation (say so; see gpu_memory_bytes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "topology/cluster.h"
#include "train/plan/memory.h"
#include "train/plan/step_time.h"

namespace cairn::train::plan {

// Memory of one GPU of the node preset, bytes (10^9): GH200 96 GB HBM3 (FIELD.md), H100
// SXM and PCIe 80 GB. Throws cairn::Error naming the node type if its GPU is not known.
std::int64_t gpu_memory_bytes(const std::string& node_type);

struct SearchSpace {
  std::int64_t gpus = 0;
  std::int64_t global_batch = 0;  // sequences
  std::int64_t seq_len = 0;
  Optimizer optimizer = Optimizer::adamw;
  Recompute recompute = Recompute::selective;
  ComputeRate rate;
  std::string rate_flag = "--gpu-tflops";
  DpOptions dp_options;
  // Pinned where given, enumerated where not.
  std::optional<std::int64_t> tp, pp, virtual_stages, micro_batch;
  std::int64_t max_micro_batch = 8;
};

struct Candidate {
  Layout layout;
  GpuMemory memory;
  StepTime time;
};

struct SearchResult {
  std::int64_t gpu_memory_bytes = 0;
  std::int64_t considered = 0;       // layouts that divide evenly
  std::vector<Candidate> fitting;    // ranked by step time, fastest first
  std::optional<Candidate> least_memory;  // of all considered, for the refusal when none fits
};

// Throws cairn::Error (naming the flag) for GPUs that are not a whole number of nodes, a
// pinned value no layout can take, or a rate that is not positive.
SearchResult search_layouts(const ModelConfig& c, const topology::ClusterSpec& cluster, const SearchSpace& space);

}  // namespace cairn::train::plan
