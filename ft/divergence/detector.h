// The divergence detector (docs/monitoring.md, "Divergence"): any loop hands it each
// step's loss and gradient norm; it returns the alerts they raise. A NaN or an infinity
// is an alert at once (no warm-up: the step cannot be judged against anything and the
// run is lost); a spike is judged by each series' SpikeWatch. Pure judgement, no output:
// DivergenceAlarm (alarm.h) raises what it returns.
#pragma once

#include <cstdint>
#include <vector>

#include "ft/divergence/alert.h"
#include "ft/divergence/divergence_options.h"
#include "ft/divergence/spike_watch.h"

namespace cairn::ft {

class DivergenceDetector {
 public:
  explicit DivergenceDetector(const SpikeThresholds& t);
  // Step `step` (0-based) ended with this loss and gradient norm. A gradient norm of 0 is
  // not judged (a step whose update a layer refused measured none).
  std::vector<DivergenceAlert> observe(std::int64_t step, double loss, double grad_norm);
  const SpikeWatch& loss() const { return loss_; }
  const SpikeWatch& grad_norm() const { return grad_norm_; }

 private:
  SpikeWatch loss_, grad_norm_;
};

}  // namespace cairn::ft
