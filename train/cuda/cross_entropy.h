// Softmax cross-entropy on the GPU; CPU reference and math train/cpu/cross_entropy.h:
//   lse_i = log sum_v exp(z_iv),  loss = (1/N) sum_i (lse_i - z_i,t_i)
//   dz_iv = dloss/N (exp(z_iv - lse_i) - [v == t_i]),  0 for ignored rows (t_i < 0)
// Logits are bf16 (the head GEMM's output); the log-softmax, the loss and its mean are
// f32 (the mean summed in double). One block per row; two passes over the row (max,
// then the sum), as the reference.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

#include "train/cuda/bf16.h"

namespace cairn::train::cuda {

// logits: [n, vocab]; targets: [n] on the device, checked on the host first with
// cpu::count_targets (train/cpu/cross_entropy.h), whose result is `counted`.
// lse: [n] (output, for backward); row_loss: [n] scratch; loss: device scalar, the mean.
void cross_entropy_forward(const bf16* logits, const std::int32_t* targets, std::int64_t n,
                           std::int64_t vocab, std::int64_t counted, float* lse,
                           float* row_loss, float* loss, cudaStream_t stream);

// dlogits: [n, vocab], overwritten; may alias logits. dloss: upstream gradient (1).
void cross_entropy_backward(const bf16* logits, const std::int32_t* targets, const float* lse,
                            std::int64_t n, std::int64_t vocab, std::int64_t counted,
                            float dloss, bf16* dlogits, cudaStream_t stream);

}  // namespace cairn::train::cuda
