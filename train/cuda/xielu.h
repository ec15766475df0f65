// xIELU on the GPU; CPU reference and math train/cpu/xielu.h (alpha_p = softplus(a_p),
// alpha_n = 0.5 + softplus(a_n), Megatron's expm1(min(x, -1e-6)) guard). The raw scalars
// a_p, a_n are read on the device from the f32 master weights, so no host round trip.
// Their gradients are sums over every element, taken in double: per-block partials,
// then the blocks in order (deterministic, no atomics).
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

#include "train/cuda/bf16.h"

namespace cairn::train::cuda {

// x, y: [count] bf16 (y may alias x); a_p, a_n: device pointers to the raw scalars.
void xielu_forward(const bf16* x, std::int64_t count, const float* a_p, const float* a_n,
                   bf16* y, cudaStream_t stream);

// dx: [count] overwritten (may alias dy); da_p, da_n: device scalars, accumulated (+=).
void xielu_backward(const bf16* dy, const bf16* x, std::int64_t count, const float* a_p,
                    const float* a_n, bf16* dx, float* da_p, float* da_n, cudaStream_t stream);

}  // namespace cairn::train::cuda
