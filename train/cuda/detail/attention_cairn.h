// Cairn's own attention kernels (attention.cu): the f32 SIMT flash-style forward and the
// two-pass backward that train/cuda/attention.h documents. attention.cpp dispatches to
// them (CAIRN_ATTENTION=cairn, or a shape cuDNN refuses); the contract is attention.h's.
#pragma once

#include <cuda_runtime.h>

#include "train/cpu/attention.h"
#include "train/cuda/bf16.h"

namespace cairn::train::cuda::detail {

void attention_forward_cairn(const bf16* q, const bf16* k, const bf16* v, const cpu::AttentionShape& s,
                             bf16* o, float* lse, cudaStream_t stream);

void attention_backward_cairn(const bf16* dout, const bf16* q, const bf16* k, const bf16* v, const bf16* o,
                              const float* lse, const cpu::AttentionShape& s, bf16* dq, bf16* dk, bf16* dv,
                              cudaStream_t stream);

}  // namespace cairn::train::cuda::detail
