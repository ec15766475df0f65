#include "train/cpu/linear.h"

#include "train/cpu/gemm.h"

namespace cairn::train::cpu {

template <typename T>
void linear_forward(const T* x, const T* W, std::int64_t n, std::int64_t in,
                    std::int64_t out, T* y) {
  gemm_nt(x, W, n, out, in, y);  // y[n, out] = x[n, in] W[out, in]^T
}

template <typename T>
void linear_backward(const T* dy, const T* x, const T* W, std::int64_t n, std::int64_t in,
                     std::int64_t out, T* dx, T* dW) {
  if (dx) gemm_nn(dy, W, n, in, out, dx);  // dx[n, in] = dy[n, out] W[out, in]
  gemm_tn_acc(dy, x, out, in, n, dW);      // dW[out, in] += dy[n, out]^T x[n, in]
}

template void linear_forward<float>(const float*, const float*, std::int64_t, std::int64_t,
                                    std::int64_t, float*);
template void linear_forward<double>(const double*, const double*, std::int64_t,
                                     std::int64_t, std::int64_t, double*);
template void linear_backward<float>(const float*, const float*, const float*, std::int64_t,
                                     std::int64_t, std::int64_t, float*, float*);
template void linear_backward<double>(const double*, const double*, const double*,
                                      std::int64_t, std::int64_t, std::int64_t, double*,
                                      double*);

}  // namespace cairn::train::cpu
