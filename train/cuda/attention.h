// Causal grouped-query attention on the GPU, flash-attention style (Dao et al. 2022,
// FlashAttention; Dao 2023, FlashAttention-2): the T x T score matrix is never stored.
// The math and the CPU reference are train/cpu/attention.h.
//   forward: tiles of 32 keys stream past 32 query rows; each row keeps a running max
//     m, a running sum l and an unnormalised output (online softmax, Milakov & Gimelshein
//     2018): m' = max(m, max_j s_j), l' = l e^(m-m') + sum_j e^(s_j-m'),
//     o' = o e^(m-m') + sum_j e^(s_j-m') v_j;  at the end o / l and lse = m + log l.
//   backward recomputes P_ij = exp(s_ij - lse_i) from the saved lse, with
//     D_i = do_i . o_i,  dS_ij = P_ij (do_i . v_j - D_i) / sqrt(hd),
//   in two passes that need no atomics (deterministic): dq per query tile (over keys),
//   then dk, dv per key tile (over the group's heads and the later queries).
// bf16 storage, f32 arithmetic (SIMT, no tensor cores yet: correct first), head_dim
// up to 256.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

#include "train/cpu/attention.h"
#include "train/cuda/bf16.h"

namespace cairn::train::cuda {

// q, o: [batch*seq_len, heads, head_dim]; k, v: [batch*seq_len, kv_heads, head_dim];
// lse: [batch, heads, seq_len] f32 (output, saved for backward).
void attention_forward(const bf16* q, const bf16* k, const bf16* v,
                       const cpu::AttentionShape& s, bf16* o, float* lse, cudaStream_t stream);

// dq, dk, dv shaped as q, k, v; overwritten.
void attention_backward(const bf16* dout, const bf16* q, const bf16* k, const bf16* v,
                        const bf16* o, const float* lse, const cpu::AttentionShape& s,
                        bf16* dq, bf16* dk, bf16* dv, cudaStream_t stream);

}  // namespace cairn::train::cuda
