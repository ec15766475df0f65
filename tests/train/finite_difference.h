// Central finite differences in double, the yardstick for every backward pass:
//   dL/dx_i ~ (L(x + h e_i) - L(x - h e_i)) / (2h),  error O(h^2) + O(eps_f64 / h).
// With h = 1e-5 both terms are ~1e-10 relative for the smooth ops checked here, so an
// analytic gradient within 1e-6 of the numeric one (relative to the gradient's largest
// entry) is right, and a wrong term (a missing factor, a dropped path) is far outside it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

namespace cairn::train::test {

inline constexpr double kFdStep = 1e-5;
inline constexpr double kFdRelTolerance = 1e-6;

// Largest |analytic - numeric| over the checked coordinates, divided by the largest
// |numeric| (floored at 1e-12 so an all-zero gradient cannot pass by division).
struct FdResult {
  double max_abs_error = 0;
  double max_abs_grad = 0;
  double rel_error() const { return max_abs_error / std::max(max_abs_grad, 1e-12); }
};

// Perturbs x[i] for each i in `coords` (all of x when empty) and compares with
// analytic[i]. loss() must read x.
inline FdResult finite_difference_check(std::vector<double>& x, const std::vector<double>& analytic,
                                        const std::function<double()>& loss,
                                        std::vector<std::size_t> coords = {}) {
  if (coords.empty())
    for (std::size_t i = 0; i < x.size(); ++i) coords.push_back(i);
  FdResult r;
  for (std::size_t i : coords) {
    const double saved = x[i];
    x[i] = saved + kFdStep;
    const double up = loss();
    x[i] = saved - kFdStep;
    const double down = loss();
    x[i] = saved;
    const double numeric = (up - down) / (2 * kFdStep);
    r.max_abs_error = std::max(r.max_abs_error, std::abs(analytic[i] - numeric));
    r.max_abs_grad = std::max(r.max_abs_grad, std::abs(numeric));
  }
  return r;
}

inline std::vector<double> random_vector(std::size_t n, std::mt19937_64& rng, double scale = 1.0) {
  std::normal_distribution<double> dist(0.0, scale);
  std::vector<double> v(n);
  for (auto& e : v) e = dist(rng);
  return v;
}

inline double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace cairn::train::test
