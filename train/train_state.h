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

// Where one step's wall time went on this rank (steady clock; on a GPU each section ends
// when its work is known done: the loss read back, the reduction waited for): what a
// straggler detector compares across ranks.
struct StepSections {
  double data_s = 0;              // waiting for the batch
  double forward_backward_s = 0;  // the model's forward and backward
  double reduce_s = 0;            // the loss and gradient reduction (0 on one rank)
  double optimizer_s = 0;         // clipping and the optimizer
};

struct StepResult {
  std::int64_t step = 0;  // 0-based index of the step just taken
  double loss = 0;        // mean over the global batch (every rank's counted targets)
  double grad_norm = 0;   // before clipping
  double lr = 0;
  std::int64_t tokens = 0;  // of the global batch
  double seconds = 0;     // wall time of the step, data wait included
  StepSections sections;
};

}  // namespace cairn::train
