#include "train/cpu/qk_norm.h"

#include "train/cpu/rmsnorm.h"

namespace cairn::train::cpu {

template <typename T>
void qk_norm_forward(const T* x, const T* w, std::int64_t n, std::int64_t heads,
                     std::int64_t head_dim, T eps, T* y, T* rstd) {
  rmsnorm_forward(x, w, n * heads, head_dim, eps, y, rstd);
}

template <typename T>
void qk_norm_backward(const T* dy, const T* x, const T* w, const T* rstd, std::int64_t n,
                      std::int64_t heads, std::int64_t head_dim, T* dx, T* dw) {
  rmsnorm_backward(dy, x, w, rstd, n * heads, head_dim, dx, dw);
}

#define CAIRN_INSTANTIATE(T)                                                             \
  template void qk_norm_forward<T>(const T*, const T*, std::int64_t, std::int64_t,       \
                                   std::int64_t, T, T*, T*);                             \
  template void qk_norm_backward<T>(const T*, const T*, const T*, const T*, std::int64_t, \
                                    std::int64_t, std::int64_t, T*, T*);
CAIRN_INSTANTIATE(float)
CAIRN_INSTANTIATE(double)
#undef CAIRN_INSTANTIATE

}  // namespace cairn::train::cpu
