// Rotary position embedding (Su et al. 2021, RoFormer) on interleaved pairs, as
// peers/torch_llama.py: the pair (x[2p], x[2p+1]) of every head at position t turns by
// the angle t * theta^(-2p/head_dim):
//   y[2p]   = x[2p] cos - x[2p+1] sin
//   y[2p+1] = x[2p] sin + x[2p+1] cos
// Backward is the inverse (transposed) rotation:
//   dx[2p]   =  dy[2p] cos + dy[2p+1] sin
//   dx[2p+1] = -dy[2p] sin + dy[2p+1] cos
// Rows are tokens of packed sequences of length seq_len: row i sits at t = i % seq_len.
#pragma once

#include <cstdint>
#include <vector>

namespace cairn::train::cpu {

// cos/sin of every (position, pair), each [seq_len, head_dim/2]; computed in double and
// rounded to T once.
template <typename T>
struct RopeTable {
  std::int64_t seq_len = 0;
  std::int64_t head_dim = 0;
  std::vector<T> cos;
  std::vector<T> sin;
};

template <typename T>
RopeTable<T> make_rope_table(std::int64_t seq_len, std::int64_t head_dim, double theta);

// x, y: [n, heads, head_dim] with n a multiple of table.seq_len; y may alias x.
template <typename T>
void rope_forward(const T* x, std::int64_t n, std::int64_t heads, const RopeTable<T>& table,
                  T* y);

// dx may alias dy.
template <typename T>
void rope_backward(const T* dy, std::int64_t n, std::int64_t heads,
                   const RopeTable<T>& table, T* dx);

}  // namespace cairn::train::cpu
