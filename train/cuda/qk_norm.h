// QK-norm on the GPU; CPU reference train/cpu/qk_norm.h: RMSNorm over head_dim of every
// head of q (or k), one gain vector of length head_dim shared by the heads, i.e.
// rmsnorm over [n*heads, head_dim] rows (train/cuda/rmsnorm.h, bf16 in and out).
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

#include "train/cuda/bf16.h"

namespace cairn::train::cuda {

// x, y: [n, heads, head_dim] (y may alias x); w: [head_dim]; rstd: [n*heads].
void qk_norm_forward(const bf16* x, const float* w, std::int64_t n, std::int64_t heads,
                     std::int64_t head_dim, float eps, bf16* y, float* rstd,
                     cudaStream_t stream);

// dx overwritten (may alias dy); dw accumulated.
void qk_norm_backward(const bf16* dy, const bf16* x, const float* w, const float* rstd,
                      std::int64_t n, std::int64_t heads, std::int64_t head_dim, bf16* dx,
                      float* dw, cudaStream_t stream);

}  // namespace cairn::train::cuda
