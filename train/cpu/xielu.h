// xIELU activation (Huang & Schlag 2024, arXiv 2411.13010; Apertus' MLP), with two
// trainable scalars per layer held as raw parameters a_p, a_n:
//   alpha_p = softplus(a_p),  alpha_n = beta + softplus(a_n),  beta = 0.5
//   x > 0:   y = alpha_p x^2 + beta x
//   x <= 0:  y = alpha_n (expm1(min(x, eps)) - x) + beta x,   eps = -1e-6
// The min() is Swiss AI Megatron's guard; the gradient follows that expression exactly
// (as autograd would): d/dx min(x, eps) is 1 for x < eps and 0 for eps <= x <= 0.
//   dy/dx       = 2 alpha_p x + beta                         (x > 0)
//               = alpha_n (exp(x) - 1) + beta                (x < eps)
//               = beta - alpha_n                             (eps <= x <= 0)
//   dy/dalpha_p = x^2 (x > 0);   dy/dalpha_n = expm1(min(x, eps)) - x (x <= 0)
//   dalpha/da   = sigmoid(a)     (softplus' = sigmoid)
// Both alphas start at 0.8: a_p = log(expm1(0.8)), a_n = log(expm1(0.8 - beta)).
#pragma once

#include <cstdint>

namespace cairn::train::cpu {

inline constexpr double kXieluBeta = 0.5;
inline constexpr double kXieluEps = -1e-6;
inline constexpr double kXieluAlphaInit = 0.8;

// Raw parameter values that give alpha_p = alpha_n = kXieluAlphaInit.
double xielu_initial_a_p();
double xielu_initial_a_n();

// x, y: [count] (y may alias x); a_p, a_n: the two raw scalars.
template <typename T>
void xielu_forward(const T* x, std::int64_t count, T a_p, T a_n, T* y);

// dx: [count], overwritten (may alias dy); da_p, da_n: accumulated (+=). The two scalar
// sums are taken in double in a fixed order.
template <typename T>
void xielu_backward(const T* dy, const T* x, std::int64_t count, T a_p, T a_n, T* dx,
                    T* da_p, T* da_n);

}  // namespace cairn::train::cpu
