#include "train/cpu/swiglu.h"

#include <cmath>

namespace cairn::train::cpu {
namespace {
template <typename T>
T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}
}  // namespace

template <typename T>
void swiglu_forward(const T* gu, std::int64_t n, std::int64_t ffn, T* out) {
  for (std::int64_t i = 0; i < n; ++i) {
    const T* g = gu + i * 2 * ffn;
    const T* u = g + ffn;
    T* o = out + i * ffn;
    for (std::int64_t j = 0; j < ffn; ++j) o[j] = g[j] * sigmoid(g[j]) * u[j];
  }
}

template <typename T>
void swiglu_backward(const T* dout, const T* gu, std::int64_t n, std::int64_t ffn, T* dgu) {
  for (std::int64_t i = 0; i < n; ++i) {
    const T* g = gu + i * 2 * ffn;
    const T* u = g + ffn;
    const T* d = dout + i * ffn;
    T* dg = dgu + i * 2 * ffn;
    T* du = dg + ffn;
    for (std::int64_t j = 0; j < ffn; ++j) {
      const T s = sigmoid(g[j]);
      const T silu = g[j] * s;
      const T dsilu = s * (T(1) + g[j] * (T(1) - s));
      dg[j] = d[j] * u[j] * dsilu;
      du[j] = d[j] * silu;
    }
  }
}

#define CAIRN_INSTANTIATE(T)                                                  \
  template void swiglu_forward<T>(const T*, std::int64_t, std::int64_t, T*); \
  template void swiglu_backward<T>(const T*, const T*, std::int64_t, std::int64_t, T*);
CAIRN_INSTANTIATE(float)
CAIRN_INSTANTIATE(double)
#undef CAIRN_INSTANTIATE

}  // namespace cairn::train::cpu
