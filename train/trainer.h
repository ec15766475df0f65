// The single-rank CPU training loop: data loader -> CpuModel<float> forward/backward ->
// global-norm clipping -> AdamW. Everything a resumed run needs is explicit state
// (TrainState: step, flat f32 weights and both moment buffers); the data position and
// every random choice are functions of (seed, step), so nothing else has to be saved.
// Data parallel (given a Communicator): each rank reads its own rows of the global batch
// and, between backward and clipping, the ranks average their gradients into those of
// the global mean loss (train/data_parallel.h), so every rank takes the same step.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "collectives/backends/communicator.h"
#include "train/config.h"
#include "train/data/loader.h"
#include "train/data_parallel.h"
#include "train/device_model.h"
#include "train/model_cpu.h"
#include "train/optim/adamw.h"
#include "train/optim/lr_schedule.h"

namespace cairn::train {

struct TrainConfig {
  ModelConfig model;
  std::int64_t steps = 100;
  std::int64_t batch = 8;     // sequences per step and rank
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

// Step 0 of a run: weights initialised from cfg.seed, both moments zero.
TrainState initial_state(const TrainConfig& cfg);

struct StepResult {
  std::int64_t step = 0;  // 0-based index of the step just taken
  double loss = 0;        // mean over the global batch (every rank's counted targets)
  double grad_norm = 0;   // before clipping
  double lr = 0;
  std::int64_t tokens = 0;  // of the global batch
  double seconds = 0;     // wall time of the step, data wait included
};

class Trainer {
 public:
  // Initialises weights from cfg.seed. shard must outlive the trainer. With a
  // communicator (which must outlive it too) the trainer is one rank of a data-parallel
  // job: step() and evaluate() are then collective, and every rank must be built with
  // the same config and shard.
  Trainer(const TrainConfig& cfg, const TokenShard& shard, coll::Communicator* comm = nullptr);
  // Continues from `start` (a checkpoint's state: its step, weights and moments, each
  // ParameterLayout-sized); the data loader serves from start.step on, so a run resumed
  // with the same config repeats the uninterrupted run bitwise (on the CPU).
  Trainer(const TrainConfig& cfg, const TokenShard& shard, TrainState start, coll::Communicator* comm = nullptr);
  ~Trainer();

  StepResult step();  // one optimizer step on the next batch
  // state().step is always current; on a GPU the weights and moments in it are those of
  // the last sync_state(), which copies them back from the device (before a checkpoint).
  const TrainState& state() const { return state_; }
  void sync_state();
  const TrainConfig& config() const { return cfg_; }
  // Mean loss of the current weights on `batches` global batches drawn with another seed.
  double evaluate(std::int64_t batches);
  int world() const { return dp_ ? dp_->world() : 1; }

 private:
  TrainConfig cfg_;
  const TokenShard& shard_;
  TrainState state_;
  std::vector<float> grads_;
  std::unique_ptr<CpuModel<float>> model_;    // Device::cpu
  std::unique_ptr<DeviceModel> device_model_;  // Device::cuda
  std::unique_ptr<DataLoader> loader_;
  std::unique_ptr<DataParallel> dp_;  // null: a single rank
};

// Runs cfg.steps steps, calling on_step after each.
void train(const TrainConfig& cfg, const TokenShard& shard,
           const std::function<void(const StepResult&)>& on_step, coll::Communicator* comm = nullptr);

}  // namespace cairn::train
