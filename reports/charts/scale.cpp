#include "reports/charts/scale.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace cairn::reports {
namespace {

// Long double: the span of two huge doubles (1e308 and -1e308) does not overflow.
long double position(long double v, bool log) { return log ? std::log2(v) : v; }

}  // namespace

Scale::Scale(double lo, double hi, double px_lo, double px_hi, bool log)
    : lo_(lo), hi_(hi), px_lo_(px_lo), px_hi_(px_hi), log_(log) {
  if (!(hi_ > lo_)) {
    const double pad = lo_ == 0 ? 1 : std::abs(lo_) * 0.5;
    hi_ = lo_ + pad;
    if (!log_) lo_ -= pad;
  }
}

double Scale::operator()(double v) const {
  if (!std::isfinite(v) || (log_ && v <= 0)) return px_lo_;
  const long double a = position(lo_, log_), b = position(hi_, log_);
  const long double t = (position(v, log_) - a) / (b - a);
  return static_cast<double>(px_lo_ + t * (static_cast<long double>(px_hi_) - px_lo_));
}

Range value_range(const std::vector<double>& values, bool log, bool from_zero) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : values) {
    if (!std::isfinite(v) || (log && v <= 0)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (lo > hi) return log ? Range{1, 2} : Range{0, 1};
  if (log) {
    if (lo == hi) return {lo / 2, hi * 2};
    return {lo, hi};
  }
  if (from_zero && lo >= 0) lo = 0;
  if (lo == hi) {
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
    return {lo - pad, hi + pad};
  }
  // Headroom above the highest value, so that a curve does not run along the frame.
  const long double span = static_cast<long double>(hi) - lo;
  const long double top = hi + span * 0.05L;
  hi = top > std::numeric_limits<double>::max() ? std::numeric_limits<double>::max() : static_cast<double>(top);
  return {lo, hi};
}

std::vector<Tick> linear_ticks(double lo, double hi, int max_ticks) {
  std::vector<Tick> ticks;
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo) || max_ticks < 2) return ticks;
  const long double raw = (static_cast<long double>(hi) - lo) / (max_ticks - 1);
  const long double magnitude = std::pow(10.0L, std::floor(std::log10(raw)));
  long double step = magnitude;
  for (long double m : {1.0L, 2.0L, 5.0L, 10.0L}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  const long double first = std::ceil(lo / step) * step;
  for (int k = 0; k <= max_ticks + 1; ++k) {
    const long double v = first + k * step;
    if (v > hi + step * 1e-9L) break;
    const double d = std::abs(v) < step * 1e-9L ? 0.0 : static_cast<double>(v);
    ticks.push_back({d, format_value(d)});
  }
  return ticks;
}

std::vector<Tick> log2_ticks(double lo, double hi, int max_ticks, bool bytes) {
  std::vector<Tick> ticks;
  if (!(lo > 0) || !std::isfinite(hi) || !(hi >= lo) || max_ticks < 1) return ticks;
  const int first = static_cast<int>(std::ceil(std::log2(lo) - 1e-9));
  const int last = static_cast<int>(std::floor(std::log2(hi) + 1e-9));
  if (last < first) return ticks;
  int every = 1;
  while ((last - first) / every + 1 > max_ticks) every *= 2;
  for (int e = first; e <= last; ++e) {
    if ((e - first) % every != 0) continue;
    const double v = std::ldexp(1.0, e);
    ticks.push_back({v, bytes ? format_bytes(v) : format_value(v)});
  }
  return ticks;
}

std::string format_bytes(double bytes) {
  static const char* kSuffixes[] = {"", "K", "M", "G", "T", "P", "E"};
  if (!std::isfinite(bytes)) return format_value(bytes);
  int k = 0;
  double v = bytes;
  while (std::abs(v) >= 1024 && k < 6) {
    v /= 1024;
    ++k;
  }
  return format_value(v) + kSuffixes[k];
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  const double a = std::abs(v);
  if (a != 0 && (a < 1e-3 || a >= 1e6)) return fmt::format("{:.2e}", v);
  std::string s = fmt::format("{:.3g}", v);
  return s == "-0" ? "0" : s;
}

}  // namespace cairn::reports
