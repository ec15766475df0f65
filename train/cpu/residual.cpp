#include "train/cpu/residual.h"

namespace cairn::train::cpu {

template <typename T>
void residual_add_forward(const T* x, const T* r, std::int64_t count, T* y) {
  for (std::int64_t i = 0; i < count; ++i) y[i] = x[i] + r[i];
}

template <typename T>
void residual_add_backward(const T* dbranch, std::int64_t count, T* dstream) {
  for (std::int64_t i = 0; i < count; ++i) dstream[i] += dbranch[i];
}

#define CAIRN_INSTANTIATE(T)                                                    \
  template void residual_add_forward<T>(const T*, const T*, std::int64_t, T*); \
  template void residual_add_backward<T>(const T*, std::int64_t, T*);
CAIRN_INSTANTIATE(float)
CAIRN_INSTANTIATE(double)
#undef CAIRN_INSTANTIATE

}  // namespace cairn::train::cpu
