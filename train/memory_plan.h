// How much memory a training run needs, and whether this rank has it, before anything
// is allocated: every size from the model's shape and batch x seq-len computed with
// overflow checks, set against what the host (MemAvailable, RLIMIT_AS, the cgroup's
// memory limit) or the GPU (cudaMemGetInfo) can still give. The needs count the
// buffers the models allocate (train/model_cpu.cpp, train/model_cuda.cpp) and leave out
// small scratch, so a refusal is never wrong; a run that fits by a hair may still fail
// on an allocation, which run() reports as one line (train/run.cpp).
#pragma once

#include <cstdint>
#include <string>

#include "common/host_memory.h"
#include "train/trainer.h"

namespace cairn::train {

// Bytes one rank needs in one place (host or GPU memory).
struct MemoryNeed {
  std::int64_t weights = 0;      // f32 master weights (GPU: and their bf16 copy)
  std::int64_t gradients = 0;
  std::int64_t moments = 0;      // AdamW m and v
  std::int64_t activations = 0;  // what backward keeps for batch x seq_len tokens, and scratch
  std::int64_t total() const { return weights + gradients + moments + activations; }
};

struct MemoryPlan {
  MemoryNeed host;    // CPU runs: everything; GPU runs: the host copy of weights and moments
  MemoryNeed device;  // GPU runs only
};

// cfg with seq_len resolved (> 0) and a validated model. cairn::Error naming --batch and
// --seq-len when a size overflows 64 bits.
MemoryPlan memory_plan(const TrainConfig& cfg);

// cairn::Error, one line naming the model, batch x seq-len, the need broken down and what
// is available, when the plan does not fit (the GPU part only when a GPU is visible).
// Otherwise the same facts for the progress output: "memory: 12.9 MB of host memory
// (weights ..., activations ...) of 23.6 GB available (MemAvailable)".
std::string require_memory_fits(const TrainConfig& cfg);

// "1.23 GB", "456 MB", "789 kB", "12 bytes" (powers of 1000, as df -H).
std::string format_bytes(std::int64_t bytes);

}  // namespace cairn::train
