// The single-rank CPU training loop: data loader -> CpuModel<float> forward/backward ->
// global-norm clipping -> AdamW. Everything a resumed run needs is explicit state
// (TrainState: step, flat f32 weights and both moment buffers); the data position and
// every random choice are functions of (seed, step), so nothing else has to be saved.
// Data parallelism slots in between backward and clipping (an all-reduce of `grads`).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "train/config.h"
#include "train/data/loader.h"
#include "train/device_model.h"
#include "train/model_cpu.h"
#include "train/optim/adamw.h"
#include "train/optim/lr_schedule.h"

namespace cairn::train {

struct TrainConfig {
  ModelConfig model;
  std::int64_t steps = 100;
  std::int64_t batch = 8;     // sequences per step
  std::int64_t seq_len = 0;   // 0: the model's context
  std::uint64_t seed = 0;     // weights and data order
  AdamWHyper adamw;           // adamw.lr is the peak of the schedule
  std::int64_t warmup_steps = 0;
  double min_lr_ratio = 0.1;
  double grad_clip = 1.0;     // global-norm threshold; <= 0: off
  Device device = Device::cpu;  // cuda: weights, gradients and moments live on the GPU
};

// Flat buffers in ParameterLayout order: what a checkpoint holds.
struct TrainState {
  std::int64_t step = 0;  // optimizer steps taken
  std::vector<float> params, m, v;
};

struct StepResult {
  std::int64_t step = 0;  // 0-based index of the step just taken
  double loss = 0;
  double grad_norm = 0;   // before clipping
  double lr = 0;
  std::int64_t tokens = 0;
  double seconds = 0;     // wall time of the step, data wait included
};

class Trainer {
 public:
  // Initialises weights from cfg.seed. shard must outlive the trainer.
  Trainer(const TrainConfig& cfg, const TokenShard& shard);
  ~Trainer();

  StepResult step();  // one optimizer step on the next batch
  // state().step is always current; on a GPU the weights and moments in it are those of
  // the last sync_state(), which copies them back from the device (before a checkpoint).
  const TrainState& state() const { return state_; }
  void sync_state();
  const TrainConfig& config() const { return cfg_; }
  // Mean loss of the current weights on `batches` batches drawn with another seed.
  double evaluate(std::int64_t batches);

 private:
  TrainConfig cfg_;
  const TokenShard& shard_;
  TrainState state_;
  std::vector<float> grads_;
  std::unique_ptr<CpuModel<float>> model_;    // Device::cpu
  std::unique_ptr<DeviceModel> device_model_;  // Device::cuda
  std::unique_ptr<DataLoader> loader_;
};

// Runs cfg.steps steps, calling on_step after each.
void train(const TrainConfig& cfg, const TokenShard& shard,
           const std::function<void(const StepResult&)>& on_step);

}  // namespace cairn::train
