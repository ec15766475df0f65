#include "ft/sdc/sum_bound.h"

#include <cmath>
#include <limits>

namespace cairn::ft {

double gamma_bound(double k, double u) {
  const double ku = k * u;
  return ku >= 1 ? std::numeric_limits<double>::infinity() : ku / (1 - ku);
}

double reduction_sum_bound(double inputs_abs_sum, double result_abs_sum, int ranks, std::size_t chunk) {
  const double u32 = std::ldexp(1.0, -24), u64 = std::ldexp(1.0, -53);
  const double r = ranks, c = static_cast<double>(chunk);
  const double g = gamma_bound(r - 1, u32);
  const double f32_part = (g + u32 * (1 + g)) * inputs_abs_sum / r + c * std::ldexp(1.0, -150);
  const double f64_part = gamma_bound(c + r + 2, u64) * (2 * inputs_abs_sum / r + 2 * result_abs_sum);
  return f32_part + f64_part;
}

}  // namespace cairn::ft
