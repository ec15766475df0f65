#include "train/cpu/attention.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/error.h"
#include "train/cpu/parallel.h"

namespace cairn::train::cpu {
namespace {

void check_shape(const AttentionShape& s) {
  if (s.batch <= 0 || s.seq_len <= 0 || s.heads <= 0 || s.kv_heads <= 0 || s.head_dim <= 0 ||
      s.heads % s.kv_heads != 0)
    throw Error("attention: bad shape (batch " + std::to_string(s.batch) + ", seq_len " +
                std::to_string(s.seq_len) + ", heads " + std::to_string(s.heads) +
                ", kv_heads " + std::to_string(s.kv_heads) + ", head_dim " +
                std::to_string(s.head_dim) + "); kv_heads must divide heads");
}

template <typename T>
T dot(const T* a, const T* b, std::int64_t n) {
  T s = 0;
  for (std::int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

// Row pointers into [batch*seq_len, heads, head_dim] tensors.
struct Index {
  std::int64_t seq_len, heads, kv_heads, hd;
  std::int64_t q(std::int64_t b, std::int64_t t, std::int64_t h) const {
    return ((b * seq_len + t) * heads + h) * hd;
  }
  std::int64_t kv(std::int64_t b, std::int64_t t, std::int64_t g) const {
    return ((b * seq_len + t) * kv_heads + g) * hd;
  }
};

}  // namespace

template <typename T>
void attention_forward(const T* q, const T* k, const T* v, const AttentionShape& s, T* o,
                       T* lse) {
  check_shape(s);
  const Index ix{s.seq_len, s.heads, s.kv_heads, s.head_dim};
  const std::int64_t group = s.heads / s.kv_heads, hd = s.head_dim, T_ = s.seq_len;
  const T scale = T(1) / std::sqrt(static_cast<T>(hd));
  const double work = 2.0 * static_cast<double>(T_ * T_ * hd);
  parallel_for(s.batch * s.heads, work, [&](std::int64_t bh0, std::int64_t bh1) {
    std::vector<T> p(static_cast<std::size_t>(T_));
    for (std::int64_t bh = bh0; bh < bh1; ++bh) {
      const std::int64_t b = bh / s.heads, h = bh % s.heads, g = h / group;
      for (std::int64_t i = 0; i < T_; ++i) {
        const T* qi = q + ix.q(b, i, h);
        T mx = -INFINITY;
        for (std::int64_t j = 0; j <= i; ++j) {
          p[j] = dot(qi, k + ix.kv(b, j, g), hd) * scale;
          mx = std::max(mx, p[j]);
        }
        T sum = 0;
        for (std::int64_t j = 0; j <= i; ++j) {
          p[j] = std::exp(p[j] - mx);
          sum += p[j];
        }
        T* oi = o + ix.q(b, i, h);
        std::fill(oi, oi + hd, T(0));
        for (std::int64_t j = 0; j <= i; ++j) {
          const T w = p[j] / sum;
          const T* vj = v + ix.kv(b, j, g);
          for (std::int64_t d = 0; d < hd; ++d) oi[d] += w * vj[d];
        }
        lse[(b * s.heads + h) * T_ + i] = mx + std::log(sum);
      }
    }
  });
}

template <typename T>
void attention_backward(const T* dout, const T* q, const T* k, const T* v, const T* o,
                        const T* lse, const AttentionShape& s, T* dq, T* dk, T* dv) {
  check_shape(s);
  const Index ix{s.seq_len, s.heads, s.kv_heads, s.head_dim};
  const std::int64_t group = s.heads / s.kv_heads, hd = s.head_dim, T_ = s.seq_len;
  const T scale = T(1) / std::sqrt(static_cast<T>(hd));
  const double work = 8.0 * static_cast<double>(group * T_ * T_ * hd);
  // One thread owns a (batch, kv head): it alone writes that group's dk, dv and its
  // heads' dq, visiting heads and positions in a fixed order (deterministic sums).
  parallel_for(s.batch * s.kv_heads, work, [&](std::int64_t bg0, std::int64_t bg1) {
    for (std::int64_t bg = bg0; bg < bg1; ++bg) {
      const std::int64_t b = bg / s.kv_heads, g = bg % s.kv_heads;
      for (std::int64_t t = 0; t < T_; ++t) {
        std::fill_n(dk + ix.kv(b, t, g), hd, T(0));
        std::fill_n(dv + ix.kv(b, t, g), hd, T(0));
      }
      for (std::int64_t h = g * group; h < (g + 1) * group; ++h) {
        for (std::int64_t i = 0; i < T_; ++i) {
          const T* qi = q + ix.q(b, i, h);
          const T* doi = dout + ix.q(b, i, h);
          T* dqi = dq + ix.q(b, i, h);
          std::fill(dqi, dqi + hd, T(0));
          const T l = lse[(b * s.heads + h) * T_ + i];
          const T D = dot(doi, o + ix.q(b, i, h), hd);
          for (std::int64_t j = 0; j <= i; ++j) {
            const T* kj = k + ix.kv(b, j, g);
            const T* vj = v + ix.kv(b, j, g);
            const T P = std::exp(dot(qi, kj, hd) * scale - l);
            const T dS = P * (dot(doi, vj, hd) - D) * scale;
            T* dkj = dk + ix.kv(b, j, g);
            T* dvj = dv + ix.kv(b, j, g);
            for (std::int64_t d = 0; d < hd; ++d) {
              dqi[d] += dS * kj[d];
              dkj[d] += dS * qi[d];
              dvj[d] += P * doi[d];
            }
          }
        }
      }
    }
  });
}

#define CAIRN_INSTANTIATE(T)                                                                  \
  template void attention_forward<T>(const T*, const T*, const T*, const AttentionShape&, T*, \
                                     T*);                                                     \
  template void attention_backward<T>(const T*, const T*, const T*, const T*, const T*,       \
                                      const T*, const AttentionShape&, T*, T*, T*);
CAIRN_INSTANTIATE(float)
CAIRN_INSTANTIATE(double)
#undef CAIRN_INSTANTIATE

}  // namespace cairn::train::cpu
