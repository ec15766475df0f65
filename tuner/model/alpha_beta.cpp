#include "tuner/model/alpha_beta.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace cairn::tuner {
namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

// Weighted least squares of t = a + b n with weights 1 / t^2 (relative error), solved in
// closed form; `fix_a` / `fix_b` pin one coefficient at 0 (the constrained optimum when
// the free solution is negative).
void solve(std::span<const SizeTime> p, bool fix_a, bool fix_b, double& a, double& b) {
  double s00 = 0, s01 = 0, s11 = 0, r0 = 0, r1 = 0;
  for (const SizeTime& q : p) {
    const double w = 1.0 / (q.time_us * q.time_us);
    s00 += w;
    s01 += w * q.bytes;
    s11 += w * q.bytes * q.bytes;
    r0 += w * q.time_us;
    r1 += w * q.time_us * q.bytes;
  }
  a = b = 0;
  if (fix_a && fix_b) return;
  if (fix_a) {
    b = s11 > 0 ? r1 / s11 : 0;
  } else if (fix_b) {
    a = s00 > 0 ? r0 / s00 : 0;
  } else {
    const double det = s00 * s11 - s01 * s01;
    if (std::fabs(det) <= 1e-300 * std::max(1.0, s00 * s11)) {
      a = s00 > 0 ? r0 / s00 : 0;  // all points at one size: a constant
      return;
    }
    a = (r0 * s11 - r1 * s01) / det;
    b = (s00 * r1 - s01 * r0) / det;
  }
}

}  // namespace

AlphaBetaFit fit_alpha_beta(std::span<const SizeTime> points) {
  std::vector<SizeTime> p;
  for (const SizeTime& q : points)
    if (q.time_us > 0 && std::isfinite(q.time_us) && q.bytes >= 0 && std::isfinite(q.bytes)) p.push_back(q);
  AlphaBetaFit fit;
  if (p.empty()) return fit;
  double a = 0, b = 0;
  if (p.size() == 1) {
    if (p[0].bytes > 0) b = p[0].time_us / p[0].bytes;
    else a = p[0].time_us;
  } else {
    solve(p, false, false, a, b);
    if (a < 0) solve(p, true, false, a, b);
    if (b < 0) solve(p, false, true, a, b);
  }
  fit.alpha_us = std::max(a, 0.0);
  fit.beta_us_per_byte = std::max(b, 0.0);
  fit.points = static_cast<int>(p.size());
  std::vector<double> errors;
  for (const SizeTime& q : p) errors.push_back(std::fabs(fit.predict_us(q.bytes) - q.time_us) / q.time_us);
  fit.median_rel_error = median(errors);
  return fit;
}

}  // namespace cairn::tuner
