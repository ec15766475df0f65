// Residual connection on the GPU; CPU reference and math train/cpu/residual.h. The
// stream and its gradient stay f32 (as under PyTorch autocast, where the residual sum
// of an f32 stream and a bf16 branch is f32).
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

namespace cairn::train::cuda {

// y = x + r over count values; y may alias x or r.
void residual_add_forward(const float* x, const float* r, std::int64_t count, float* y,
                          cudaStream_t stream);
// dstream += dbranch.
void residual_add_backward(const float* dbranch, std::int64_t count, float* dstream,
                           cudaStream_t stream);

}  // namespace cairn::train::cuda
