#include "train/cpu/rope.h"

#include <cmath>
#include <string>

#include "common/error.h"

namespace cairn::train::cpu {

template <typename T>
RopeTable<T> make_rope_table(std::int64_t seq_len, std::int64_t head_dim, double theta) {
  if (seq_len <= 0 || head_dim <= 0 || head_dim % 2 != 0 || theta <= 0)
    throw Error("rope: needs seq_len > 0, an even head_dim and theta > 0 (got seq_len " +
                std::to_string(seq_len) + ", head_dim " + std::to_string(head_dim) + ")");
  RopeTable<T> t;
  t.seq_len = seq_len;
  t.head_dim = head_dim;
  const std::int64_t half = head_dim / 2;
  t.cos.resize(static_cast<std::size_t>(seq_len * half));
  t.sin.resize(t.cos.size());
  for (std::int64_t pos = 0; pos < seq_len; ++pos)
    for (std::int64_t p = 0; p < half; ++p) {
      // inv_freq_p = theta^(-2p / head_dim)
      const double inv_freq = std::pow(theta, -2.0 * static_cast<double>(p) / static_cast<double>(head_dim));
      const double angle = static_cast<double>(pos) * inv_freq;
      t.cos[static_cast<std::size_t>(pos * half + p)] = static_cast<T>(std::cos(angle));
      t.sin[static_cast<std::size_t>(pos * half + p)] = static_cast<T>(std::sin(angle));
    }
  return t;
}

namespace {

// sign = +1 rotates forward, -1 applies the inverse rotation (the backward pass).
template <typename T>
void rotate(const T* x, std::int64_t n, std::int64_t heads, const RopeTable<T>& table, T sign,
            T* y) {
  if (n % table.seq_len != 0)
    throw Error("rope: " + std::to_string(n) + " rows are not whole sequences of " +
                std::to_string(table.seq_len));
  const std::int64_t hd = table.head_dim, half = hd / 2;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t pos = i % table.seq_len;
    const T* c = table.cos.data() + pos * half;
    const T* s = table.sin.data() + pos * half;
    for (std::int64_t h = 0; h < heads; ++h) {
      const T* xr = x + (i * heads + h) * hd;
      T* yr = y + (i * heads + h) * hd;
      for (std::int64_t p = 0; p < half; ++p) {
        const T x1 = xr[2 * p], x2 = xr[2 * p + 1], sn = sign * s[p];
        yr[2 * p] = x1 * c[p] - x2 * sn;
        yr[2 * p + 1] = x1 * sn + x2 * c[p];
      }
    }
  }
}

}  // namespace

template <typename T>
void rope_forward(const T* x, std::int64_t n, std::int64_t heads, const RopeTable<T>& table,
                  T* y) {
  rotate(x, n, heads, table, T(1), y);
}

template <typename T>
void rope_backward(const T* dy, std::int64_t n, std::int64_t heads,
                   const RopeTable<T>& table, T* dx) {
  rotate(dy, n, heads, table, T(-1), dx);  // rotation by -angle = transposed rotation
}

#define CAIRN_INSTANTIATE(T)                                                                 \
  template RopeTable<T> make_rope_table<T>(std::int64_t, std::int64_t, double);            \
  template void rope_forward<T>(const T*, std::int64_t, std::int64_t, const RopeTable<T>&, \
                                T*);                                                         \
  template void rope_backward<T>(const T*, std::int64_t, std::int64_t, const RopeTable<T>&, \
                                 T*);
CAIRN_INSTANTIATE(float)
CAIRN_INSTANTIATE(double)
#undef CAIRN_INSTANTIATE

}  // namespace cairn::train::cpu
