// Softmax cross-entropy over a vocabulary, mean over the counted tokens. A target < 0
// is ignored (left out of the sum and the count: masking, e.g. Goldfish loss).
//   lse_i  = log sum_v exp(z_iv)          (max-subtracted: stable for large logits)
//   loss   = (1/N) sum_i (lse_i - z_i,t_i)
//   dz_iv  = dloss/N * (exp(z_iv - lse_i) - [v == t_i]),  0 for ignored rows
#pragma once

#include <cstdint>

namespace cairn::train::cpu {

// N, the targets >= 0 among n; a target >= vocab throws cairn::Error naming the row.
// (The CUDA loss runs this same check on the host before its kernels.)
std::int64_t count_targets(const std::int32_t* targets, std::int64_t n, std::int64_t vocab);

// logits: [n, vocab]; targets: [n] in [0, vocab) or < 0 (ignored); lse: [n] (output).
// Returns the mean loss (0 when every target is ignored); *counted gets N if non-null.
// A target >= vocab throws cairn::Error naming the row.
template <typename T>
T cross_entropy_forward(const T* logits, const std::int32_t* targets, std::int64_t n,
                        std::int64_t vocab, T* lse, std::int64_t* counted = nullptr);

// dlogits: [n, vocab], overwritten; may alias logits. dloss is the upstream gradient of
// the mean loss (1 for training).
template <typename T>
void cross_entropy_backward(const T* logits, const std::int32_t* targets, const T* lse,
                            std::int64_t n, std::int64_t vocab, T dloss, T* dlogits);

}  // namespace cairn::train::cpu
