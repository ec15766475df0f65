// RMSNorm with a learned gain (Zhang & Sennrich 2019), over the last dimension d:
//   r_i = 1 / sqrt(mean_j x_ij^2 + eps)          (saved for backward, one per row)
//   y_ij = x_ij * r_i * w_j
// Backward, with g_ij = dy_ij * w_j:
//   dx_ij = r_i * (g_ij - x_ij * r_i^2 * mean_k(g_ik * x_ik))
//   dw_j += sum_i dy_ij * x_ij * r_i
#pragma once

#include <cstdint>

namespace cairn::train::cpu {

// x, y: [n, d] (y may alias x); w: [d]; rstd: [n] (output, the r_i above).
template <typename T>
void rmsnorm_forward(const T* x, const T* w, std::int64_t n, std::int64_t d, T eps, T* y,
                     T* rstd);

// dx: [n, d], overwritten (may alias dy); dw: [d], accumulated (+=).
template <typename T>
void rmsnorm_backward(const T* dy, const T* x, const T* w, const T* rstd, std::int64_t n,
                      std::int64_t d, T* dx, T* dw);

}  // namespace cairn::train::cpu
