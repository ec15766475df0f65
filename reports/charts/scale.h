// Axes: a value range mapped onto pixels, linear or logarithmic (base 2, for message
// sizes), and the ticks an axis labels.
#pragma once

#include <string>
#include <vector>

namespace cairn::reports {

struct Tick {
  double value = 0;
  std::string label;
};

class Scale {
 public:
  // [lo, hi] onto [px_lo, px_hi] (px_hi may be below px_lo: a y axis grows upwards). A log
  // scale needs lo > 0. An empty range (lo == hi) is widened so that it still maps.
  Scale(double lo, double hi, double px_lo, double px_hi, bool log);
  double operator()(double v) const;  // the pixel of v (a non-positive v on a log scale: px_lo)
  double lo() const { return lo_; }
  double hi() const { return hi_; }
  bool log() const { return log_; }

 private:
  double lo_, hi_, px_lo_, px_hi_;
  bool log_;
};

// The range the finite values in `values` span, padded as charts want it: {lo, hi} with
// lo < hi. from_zero: a linear axis of non-negative values starts at 0. Empty: {0, 1}
// (or {1, 2} for a log axis). Log: only positive values count.
struct Range {
  double lo = 0, hi = 1;
};
Range value_range(const std::vector<double>& values, bool log, bool from_zero);

// At most about `max_ticks` round values (1, 2 or 5 x 10^k apart) within [lo, hi].
std::vector<Tick> linear_ticks(double lo, double hi, int max_ticks);
// Powers of two within [lo, hi], every 2^k-th so that at most `max_ticks` remain, labelled
// as byte sizes (format_bytes) when bytes is set, else as plain numbers.
std::vector<Tick> log2_ticks(double lo, double hi, int max_ticks, bool bytes);

// 1024 -> "1K", 3 * 2^20 -> "3M", 100 -> "100": nccl-tests' size suffixes (2^10 steps).
std::string format_bytes(double bytes);
// Three significant digits, no exponent between 0.001 and 10^6 ("12.3", "0.0042", "2.1e+09").
std::string format_value(double v);

}  // namespace cairn::reports
