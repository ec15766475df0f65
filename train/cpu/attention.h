// Causal grouped-query attention (Ainslie et al. 2023), softmax(Q K^T / sqrt(hd)) V.
// Query head h reads key/value head h / (heads / kv_heads). Per batch b, head h, query
// position i (keys j <= i only):
//   s_ij = (q_i . k_j) / sqrt(hd)
//   lse_i = log sum_{j<=i} exp(s_ij)          (max-subtracted: stable for any scale)
//   P_ij = exp(s_ij - lse_i)
//   o_i = sum_{j<=i} P_ij v_j
// Only lse is saved (flash-attention style, O(T) memory); backward recomputes P:
//   dP_ij = do_i . v_j
//   D_i   = sum_j P_ij dP_ij = do_i . o_i
//   dS_ij = P_ij (dP_ij - D_i)
//   dq_i  = sum_j dS_ij k_j / sqrt(hd)
//   dk_j += dS_ij q_i / sqrt(hd),  dv_j += P_ij do_i   (summed over the heads of a group)
#pragma once

#include <cstdint>

namespace cairn::train::cpu {

struct AttentionShape {
  std::int64_t batch = 0;
  std::int64_t seq_len = 0;
  std::int64_t heads = 0;
  std::int64_t kv_heads = 0;  // divides heads
  std::int64_t head_dim = 0;
};

// q, o: [batch*seq_len, heads, head_dim]; k, v: [batch*seq_len, kv_heads, head_dim];
// lse: [batch, heads, seq_len] (output, saved for backward). o must not alias q, k, v.
template <typename T>
void attention_forward(const T* q, const T* k, const T* v, const AttentionShape& s, T* o,
                       T* lse);

// dq, dk, dv: shaped as q, k, v; overwritten.
template <typename T>
void attention_backward(const T* dout, const T* q, const T* k, const T* v, const T* o,
                        const T* lse, const AttentionShape& s, T* dq, T* dk, T* dv);

}  // namespace cairn::train::cpu
