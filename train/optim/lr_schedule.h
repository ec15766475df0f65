// Learning rate at a step: linear warmup from 0 over warmup_steps, then cosine decay to
// min_lr_ratio * peak at total_steps (Loshchilov & Hutter 2017, without restarts).
//   warmup:  lr(s) = peak * (s + 1) / warmup_steps                    s < warmup_steps
//   decay:   lr(s) = min + (peak - min) * (1 + cos(pi * p)) / 2,      p = (s - w) / (S - w)
#pragma once

#include <cstdint>

namespace cairn::train {

struct LrSchedule {
  double peak = 1e-3;
  std::int64_t warmup_steps = 0;
  std::int64_t total_steps = 1;
  double min_lr_ratio = 0.1;
};

double learning_rate(const LrSchedule& s, std::int64_t step);  // step is 0-based

}  // namespace cairn::train
