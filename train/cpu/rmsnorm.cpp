#include "train/cpu/rmsnorm.h"

#include <cmath>

#include "train/cpu/parallel.h"

namespace cairn::train::cpu {

template <typename T>
void rmsnorm_forward(const T* x, const T* w, std::int64_t n, std::int64_t d, T eps, T* y,
                     T* rstd) {
  parallel_for(n, 4.0 * static_cast<double>(d), [&](std::int64_t i0, std::int64_t i1) {
    for (std::int64_t i = i0; i < i1; ++i) {
      const T* xi = x + i * d;
      T ss = 0;
      for (std::int64_t j = 0; j < d; ++j) ss += xi[j] * xi[j];
      const T r = T(1) / std::sqrt(ss / static_cast<T>(d) + eps);
      rstd[i] = r;
      T* yi = y + i * d;
      for (std::int64_t j = 0; j < d; ++j) yi[j] = xi[j] * r * w[j];
    }
  });
}

template <typename T>
void rmsnorm_backward(const T* dy, const T* x, const T* w, const T* rstd, std::int64_t n,
                      std::int64_t d, T* dx, T* dw) {
  // dw is a sum over rows: taken sequentially so its order never depends on threads.
  for (std::int64_t i = 0; i < n; ++i) {
    const T* xi = x + i * d;
    const T* gi = dy + i * d;
    const T r = rstd[i];
    for (std::int64_t j = 0; j < d; ++j) dw[j] += gi[j] * xi[j] * r;
  }
  parallel_for(n, 6.0 * static_cast<double>(d), [&](std::int64_t i0, std::int64_t i1) {
    for (std::int64_t i = i0; i < i1; ++i) {
      const T* xi = x + i * d;
      const T* gi = dy + i * d;
      const T r = rstd[i];
      T dot = 0;  // sum_k (dy_k w_k) x_k
      for (std::int64_t j = 0; j < d; ++j) dot += gi[j] * w[j] * xi[j];
      const T c = dot * r * r / static_cast<T>(d);
      T* dxi = dx + i * d;
      for (std::int64_t j = 0; j < d; ++j) dxi[j] = r * (gi[j] * w[j] - xi[j] * c);
    }
  });
}

#define CAIRN_INSTANTIATE(T)                                                                 \
  template void rmsnorm_forward<T>(const T*, const T*, std::int64_t, std::int64_t, T, T*, T*); \
  template void rmsnorm_backward<T>(const T*, const T*, const T*, const T*, std::int64_t,    \
                                    std::int64_t, T*, T*);
CAIRN_INSTANTIATE(float)
CAIRN_INSTANTIATE(double)
#undef CAIRN_INSTANTIATE

}  // namespace cairn::train::cpu
