#include "ft/alerting/robust_stats.h"

#include <algorithm>
#include <cmath>

namespace cairn::ft {

double median_of(std::vector<double> values) {
  if (values.empty()) return 0;
  const auto mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  const double lower = *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
  return 0.5 * (lower + upper);
}

double mad_of(const std::vector<double>& values) {
  const double m = median_of(values);
  std::vector<double> dev;
  dev.reserve(values.size());
  for (double v : values) dev.push_back(std::fabs(v - m));
  return median_of(std::move(dev));
}

double modified_z(double x, double median, double mad, double floor_fraction) {
  const double scale = std::max(mad, floor_fraction * std::fabs(median));
  if (!(scale > 0)) return 0;  // every value 0: nothing stands out
  return 0.6745 * (x - median) / scale;
}

double slowdown_vs(double x, const std::vector<double>& others) {
  const double m = median_of(others);
  if (!(m > 0)) return 0;
  return x / m - 1;
}

}  // namespace cairn::ft
