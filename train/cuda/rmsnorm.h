// RMSNorm on the GPU; the CPU reference and the math are train/cpu/rmsnorm.h:
//   r_i = 1 / sqrt(mean_j x_ij^2 + eps),  y_ij = x_ij r_i w_j
//   dx_ij = r_i (dy_ij w_j - x_ij r_i^2 mean_k(dy_ik w_k x_ik)),  dw_j += sum_i dy_ij x_ij r_i
// One warp per row, f32 arithmetic. X is float for the residual stream (its gradient is
// f32 too) and bf16 for QK-norm's heads. Gains are read from the f32 master weights.
// dw is summed without atomics: per-chunk column sums, then the chunks in order, so
// the result is deterministic.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

#include "train/cuda/bf16.h"

namespace cairn::train::cuda {

// x: [n, d]; w: [d]; y: [n, d] bf16 (may alias x when X is bf16); rstd: [n].
template <typename X>
void rmsnorm_forward(const X* x, const float* w, std::int64_t n, std::int64_t d, float eps,
                     bf16* y, float* rstd, cudaStream_t stream);

// dy: [n, d] bf16; dx: [n, d] overwritten (may alias dy when X is bf16); dw accumulated.
template <typename X>
void rmsnorm_backward(const bf16* dy, const X* x, const float* w, const float* rstd,
                      std::int64_t n, std::int64_t d, X* dx, float* dw, cudaStream_t stream);

}  // namespace cairn::train::cuda
