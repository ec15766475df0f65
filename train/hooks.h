// Where other layers attach to a training run without a copy of the loop: a straggler
// detector times each step (before_step / after_step), checksummed gradients read them
// around the reduction (before_reduce / after_reduce, or after_backward on one rank), a
// hang watchdog arms before the reduction and disarms after it. Each list runs in the
// order its functions were added; an empty one costs nothing. Step hooks are called by
// Trainer::step(), on_checkpoint by train::run() on every rank (each writes a shard) when
// a checkpoint is committed, after a later step or at the end (saves are asynchronous).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "train/model.h"
#include "train/train_state.h"

namespace cairn::train {

// A checkpoint committed: its manifest durable, every shard read back whole.
struct CheckpointWritten {
  std::string path;       // the manifest
  std::int64_t step = 0;  // steps taken when it was written
  double seconds = 0;     // stall + write: from the save's start to its verdict
  double stall_seconds = 0;  // what training waited (the previous save, the state copied to staging)
  double wait_seconds = 0;   // the part of the stall spent waiting for the previous save's write
  double write_seconds = 0;  // in the background, while training went on
  std::uint64_t bytes = 0;   // this rank's shard on disk
};

struct TrainHooks {
  // `step` is the 0-based index of the step being taken; `model` holds its gradients:
  // this rank's after backward, the global mean's after the reduction.
  using StepHook = std::function<void(std::int64_t step)>;
  using GradientHook = std::function<void(std::int64_t step, Model& model)>;
  std::vector<StepHook> before_step;
  std::vector<GradientHook> after_backward;
  // Only in a data-parallel job: around the all-reduce of the loss and the gradients.
  std::vector<GradientHook> before_reduce, after_reduce;
  // Replaces the plain gradient all-reduce of a data-parallel job (checked gradients,
  // ft/sdc): called where DataParallel::average_gradients() would be, with this rank's
  // weight w_r (train/data_parallel.h), and leaves the global mean's gradients in the
  // model. Returns false to skip this step's update (a policy's answer to a fault it
  // could not repair). Empty: the plain all-reduce.
  std::function<bool(std::int64_t step, Model& model, double weight)> reduce_gradients;
  std::vector<std::function<void(const StepResult& r)>> after_step;
  // A step whose loss or gradient norm is not finite, just before the trainer stops the
  // run with it (train/run.h): what a divergence alert is raised from. `r` holds the
  // step, loss, gradient norm and lr; no update was applied.
  std::vector<std::function<void(const StepResult& r)>> on_non_finite;
  std::vector<std::function<void(const CheckpointWritten& c)>> on_checkpoint;
};

template <typename... Hook, typename... Args>
void notify(const std::vector<std::function<void(Hook...)>>& hooks, Args&&... args) {
  for (const auto& h : hooks) h(args...);
}

}  // namespace cairn::train
