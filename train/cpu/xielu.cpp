#include "train/cpu/xielu.h"

#include <algorithm>
#include <cmath>

namespace cairn::train::cpu {
namespace {
// softplus(a) = log(1 + e^a), written to stay finite for large |a|.
double softplus(double a) { return a > 0 ? a + std::log1p(std::exp(-a)) : std::log1p(std::exp(a)); }
double sigmoid(double a) { return 1.0 / (1.0 + std::exp(-a)); }
}  // namespace

double xielu_initial_a_p() { return std::log(std::expm1(kXieluAlphaInit)); }
double xielu_initial_a_n() { return std::log(std::expm1(kXieluAlphaInit - kXieluBeta)); }

template <typename T>
void xielu_forward(const T* x, std::int64_t count, T a_p, T a_n, T* y) {
  const T alpha_p = static_cast<T>(softplus(a_p));
  const T alpha_n = static_cast<T>(kXieluBeta + softplus(a_n));
  const T beta = static_cast<T>(kXieluBeta), eps = static_cast<T>(kXieluEps);
  for (std::int64_t i = 0; i < count; ++i) {
    const T v = x[i];
    y[i] = v > 0 ? alpha_p * v * v + beta * v
                 : alpha_n * (std::expm1(std::min(v, eps)) - v) + beta * v;
  }
}

template <typename T>
void xielu_backward(const T* dy, const T* x, std::int64_t count, T a_p, T a_n, T* dx,
                    T* da_p, T* da_n) {
  const T alpha_p = static_cast<T>(softplus(a_p));
  const T alpha_n = static_cast<T>(kXieluBeta + softplus(a_n));
  const T beta = static_cast<T>(kXieluBeta), eps = static_cast<T>(kXieluEps);
  double sum_p = 0, sum_n = 0;  // dL/dalpha_p, dL/dalpha_n
  for (std::int64_t i = 0; i < count; ++i) {
    const T v = x[i], g = dy[i];
    if (v > 0) {
      sum_p += static_cast<double>(g) * static_cast<double>(v) * static_cast<double>(v);
      dx[i] = g * (T(2) * alpha_p * v + beta);
    } else {
      const T em = std::expm1(std::min(v, eps));
      sum_n += static_cast<double>(g) * static_cast<double>(em - v);
      // d/dx [alpha_n (expm1(min(x, eps)) - x)]: min passes the gradient only for x < eps.
      dx[i] = g * (v < eps ? alpha_n * em + beta : beta - alpha_n);
    }
  }
  *da_p += static_cast<T>(sum_p * sigmoid(a_p));
  *da_n += static_cast<T>(sum_n * sigmoid(a_n));
}

#define CAIRN_INSTANTIATE(T)                                               \
  template void xielu_forward<T>(const T*, std::int64_t, T, T, T*);       \
  template void xielu_backward<T>(const T*, const T*, std::int64_t, T, T, T*, T*, T*);
CAIRN_INSTANTIATE(float)
CAIRN_INSTANTIATE(double)
#undef CAIRN_INSTANTIATE

}  // namespace cairn::train::cpu
