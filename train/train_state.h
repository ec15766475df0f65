// What a training run carries from step to step and reports after each: the state a
// checkpoint holds, and one step's result.
#pragma once

#include <cstdint>
#include <vector>

namespace cairn::train {

// Flat buffers in ParameterLayout order: what a checkpoint holds.
struct TrainState {
  std::int64_t step = 0;  // optimizer steps taken
  std::vector<float> params, m, v;
};

struct StepResult {
  std::int64_t step = 0;  // 0-based index of the step just taken
  double loss = 0;        // mean over the global batch (every rank's counted targets)
  double grad_norm = 0;   // before clipping
  double lr = 0;
  std::int64_t tokens = 0;  // of the global batch
  double seconds = 0;     // wall time of the step, data wait included
};

}  // namespace cairn::train
