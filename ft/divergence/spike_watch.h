// One series of a run (the loss, or the gradient norm) watched for spikes: each value is
// judged against the median and MAD of the last `window` values before it (robust_stats.h:
// a median and a MAD are not moved by the spike they are to find, as a mean and a
// standard deviation would be), then joins them. A spike is a value whose modified
// z-score is past the cut AND whose ratio to the median is past the series' least ratio:
// the z-score alone would flag a tiny wobble of a very quiet series, the ratio alone a
// noisy one's ordinary step. Only upward spikes count (a falling loss is training).
// Hysteresis: once a spike is raised, the series raises no other until it has been back
// within bounds for a step AND `cooldown` steps have passed, so one spike is one alert.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

namespace cairn::ft {

struct SpikeVerdict {
  double value = 0, median = 0, mad = 0, z = 0, ratio = 0;
  int samples = 0;       // values the median was taken of
  bool spike = false;    // out of bounds now
  bool alert = false;    // and not already alerted (hysteresis, cooldown)
};

class SpikeWatch {
 public:
  SpikeWatch(int window, int warmup, double z_cut, double min_ratio, int cooldown);
  // The value of 0-based step `step` (finite; the caller handles NaN/Inf): its verdict
  // once the window holds `warmup` values, else nullopt (the value still joins).
  std::optional<SpikeVerdict> observe(std::int64_t step, double value);
  const std::optional<SpikeVerdict>& last() const { return last_; }

 private:
  int window_, warmup_;
  double z_cut_, min_ratio_;
  int cooldown_;
  std::deque<double> recent_;
  bool in_spike_ = false;           // alerted, and not back within bounds since
  std::int64_t quiet_until_ = -1;   // no alert before this step
  std::optional<SpikeVerdict> last_;
};

}  // namespace cairn::ft
