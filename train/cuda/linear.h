// Linear layer without bias on the GPU, PyTorch's convention as the CPU reference
// train/cpu/linear.h: W is [out, in] row-major.
//   forward:  y = x W^T      backward: dx = dy W,  dW += dy^T x
// bf16 activations and weights (the working copy), f32 accumulation; y is bf16 or f32
// (the branches that join the f32 residual stream are produced in f32); dW accumulates
// into the f32 gradient buffer.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

#include "train/cuda/gemm.h"

namespace cairn::train::cuda {

// x: [n, in]; W: [out, in]; y: [n, out] of type y_type.
void linear_forward(Blas& blas, const bf16* x, const bf16* W, std::int64_t n, std::int64_t in,
                    std::int64_t out, void* y, OutType y_type, cudaStream_t stream);

// dy: [n, out]; dx: [n, in] bf16, overwritten (nullptr: skipped); dW: [out, in] f32, +=.
void linear_backward(Blas& blas, const bf16* dy, const bf16* x, const bf16* W, std::int64_t n,
                     std::int64_t in, std::int64_t out, bf16* dx, float* dW,
                     cudaStream_t stream);

}  // namespace cairn::train::cuda
