// Copies between tensor forms the CUDA model needs and the CPU model does not: f32 to
// bf16 (the working copy of the weights, the stream gradient entering a bf16 GEMM), and
// the fused [q | k | v] projection rows split into three tensors and merged back (the
// CPU model's split_qkv / merge_qkv, train/model_cpu.cpp).
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

#include "train/cuda/bf16.h"

namespace cairn::train::cuda {

// y[i] = bf16(x[i]), round to nearest even.
void convert_to_bf16(const float* x, std::int64_t count, bf16* y, cudaStream_t stream);

// qkv: [n, qd + 2 kvd] rows [q | k | v]; q: [n, qd]; k, v: [n, kvd].
void split_qkv(const bf16* qkv, std::int64_t n, std::int64_t qd, std::int64_t kvd, bf16* q,
               bf16* k, bf16* v, cudaStream_t stream);
void merge_qkv(const bf16* q, const bf16* k, const bf16* v, std::int64_t n, std::int64_t qd,
               std::int64_t kvd, bf16* qkv, cudaStream_t stream);

}  // namespace cairn::train::cuda
