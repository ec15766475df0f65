// SwiGLU (Shazeer 2020, "GLU Variants Improve Transformer"): out = silu(g) * u, where the
// fused up projection yields [g; u] per row (torch_llama.py: up(x).chunk(2, -1), so g is
// the first ffn columns of each row and u the next ffn).
//   silu(g)  = g * sigmoid(g)
//   silu'(g) = sigmoid(g) * (1 + g * (1 - sigmoid(g)))
//   dg = dout * u * silu'(g),  du = dout * silu(g)
#pragma once

#include <cstdint>

namespace cairn::train::cpu {

// gu: [n, 2*ffn]; out: [n, ffn].
template <typename T>
void swiglu_forward(const T* gu, std::int64_t n, std::int64_t ffn, T* out);

// dgu: [n, 2*ffn], overwritten.
template <typename T>
void swiglu_backward(const T* dout, const T* gu, std::int64_t n, std::int64_t ffn, T* dgu);

}  // namespace cairn::train::cpu
