#include "train/optim/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace cairn::train {

double learning_rate(const LrSchedule& s, std::int64_t step) {
  if (step < s.warmup_steps)
    return s.peak * static_cast<double>(step + 1) / static_cast<double>(s.warmup_steps);
  const double min_lr = s.peak * s.min_lr_ratio;
  const std::int64_t span = std::max<std::int64_t>(1, s.total_steps - s.warmup_steps);
  const double p = std::clamp(static_cast<double>(step - s.warmup_steps) / static_cast<double>(span), 0.0, 1.0);
  return min_lr + (s.peak - min_lr) * 0.5 * (1.0 + std::cos(3.141592653589793 * p));
}

}  // namespace cairn::train
