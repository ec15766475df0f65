// QK-norm (Dehghani et al. 2023, "Scaling Vision Transformers to 22B"; used by Apertus):
// RMSNorm over head_dim applied to every head of q (or k) separately, before RoPE, with
// one gain vector of length head_dim shared by all heads (Megatron's q_layernorm /
// k_layernorm). It is rmsnorm over rows of length head_dim:
//   x: [n, heads, head_dim] viewed as [n*heads, head_dim].
#pragma once

#include <cstdint>

namespace cairn::train::cpu {

// x, y: [n, heads, head_dim] (y may alias x); w: [head_dim]; rstd: [n*heads].
template <typename T>
void qk_norm_forward(const T* x, const T* w, std::int64_t n, std::int64_t heads,
                     std::int64_t head_dim, T eps, T* y, T* rstd);

// dx overwritten (may alias dy); dw accumulated (+=).
template <typename T>
void qk_norm_backward(const T* dy, const T* x, const T* w, const T* rstd, std::int64_t n,
                      std::int64_t heads, std::int64_t head_dim, T* dx, T* dw);

}  // namespace cairn::train::cpu
