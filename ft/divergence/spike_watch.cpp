#include "ft/divergence/spike_watch.h"

#include <vector>

#include "ft/alerting/robust_stats.h"

namespace cairn::ft {

SpikeWatch::SpikeWatch(int window, int warmup, double z_cut, double min_ratio, int cooldown)
    : window_(window), warmup_(warmup), z_cut_(z_cut), min_ratio_(min_ratio), cooldown_(cooldown) {}

std::optional<SpikeVerdict> SpikeWatch::observe(std::int64_t step, double value) {
  std::optional<SpikeVerdict> out;
  if (static_cast<int>(recent_.size()) >= warmup_) {
    const std::vector<double> values(recent_.begin(), recent_.end());
    SpikeVerdict v;
    v.value = value;
    v.samples = static_cast<int>(values.size());
    v.median = median_of(values);
    v.mad = mad_of(values);
    v.z = modified_z(value, v.median, v.mad);
    v.ratio = v.median > 0 ? value / v.median : 0;
    v.spike = v.z > z_cut_ && v.ratio >= min_ratio_;
    if (v.spike) {
      v.alert = !in_spike_ && step >= quiet_until_;
      if (v.alert) {
        in_spike_ = true;
        quiet_until_ = step + cooldown_;
      }
    } else {
      in_spike_ = false;
    }
    out = last_ = v;
  }
  recent_.push_back(value);
  if (static_cast<int>(recent_.size()) > window_) recent_.pop_front();
  return out;
}

}  // namespace cairn::ft
