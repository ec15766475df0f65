// AdamW on the GPU; the CPU reference and the math are train/optim/adamw.h. f32 master
// weights and moments; each update also writes the bf16 working copy the GEMMs read.
// The arithmetic is the CPU's, operation for operation, with IEEE round-to-nearest
// intrinsics (no fused multiply-adds), so one step matches the reference bitwise.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

#include "train/cuda/bf16.h"
#include "train/optim/adamw.h"
#include "train/parameter_layout.h"

namespace cairn::train::cuda {

// One update of count elements at 1-based step t; params_bf16[i] = bf16(params[i]).
void adamw_update(float* params, const float* grads, float* m, float* v, std::int64_t count,
                  const AdamWHyper& h, std::int64_t step, double weight_decay,
                  bf16* params_bf16, cudaStream_t stream);

// A whole model: each layout entry with its own decay (padding is left alone).
void adamw_step(const ParameterLayout& layout, float* params, const float* grads, float* m,
                float* v, const AdamWHyper& h, std::int64_t step, bf16* params_bf16,
                cudaStream_t stream);

}  // namespace cairn::train::cuda
