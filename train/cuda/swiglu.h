// SwiGLU on the GPU; CPU reference and math train/cpu/swiglu.h: out = silu(g) * u with
// [g; u] the two halves of each row of the fused up projection. bf16 in and out.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

#include "train/cuda/bf16.h"

namespace cairn::train::cuda {

// gu: [n, 2*ffn]; out: [n, ffn].
void swiglu_forward(const bf16* gu, std::int64_t n, std::int64_t ffn, bf16* out,
                    cudaStream_t stream);
// dout: [n, ffn]; dgu: [n, 2*ffn], overwritten.
void swiglu_backward(const bf16* dout, const bf16* gu, std::int64_t n, std::int64_t ffn,
                     bf16* dgu, cudaStream_t stream);

}  // namespace cairn::train::cuda
