// One training step on a rank: data loader -> Model forward/backward -> global-norm
// clipping -> AdamW, on the CPU or a GPU through one interface (train/model.h).
// Everything a resumed run needs is explicit state (TrainState: step, flat f32 weights
// and both moment buffers); the data position and every random choice are functions of
// (seed, step), so nothing else has to be saved.
// Data parallel (given a Communicator): each rank reads its own rows of the global batch
// and, between backward and clipping, the ranks average their gradients into those of
// the global mean loss (train/data_parallel.h), so every rank takes the same step.
// Sharded (cfg.shard), the model reduce-scatters the gradients itself during backward,
// so the ranks agree on the loss weights before forward instead.
// The whole run (checkpoints, progress, throughput) is train::run() (train/run.h).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "collectives/backends/communicator.h"
#include "train/config.h"
#include "train/data/loader.h"
#include "train/data_parallel.h"
#include "train/hooks.h"
#include "train/model.h"
#include "train/model_cpu_sharded.h"
#include "train/optim/adamw.h"
#include "train/train_state.h"

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
  double grad_clip = 1.0;     // global-norm threshold; 0: off
  Device device = Device::cpu;  // cuda: weights, gradients and moments live on the GPU
  // Sharded data parallel (ZeRO-3, train/model_cpu_sharded.h): the CPU model on host
  // ranks, each holding 1/R of the state. Needs a communicator.
  bool shard = false;
};

// Step 0 of a run: weights initialised from cfg.seed, both moments zero.
TrainState initial_state(const TrainConfig& cfg);

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

  // One optimizer step on the next batch, calling hooks() (all but on_checkpoint) on
  // the way.
  StepResult step();
  // state().step is always current; on a GPU the weights and moments in it are those of
  // the last sync_state(), which copies them back from the device (a checkpoint copies
  // them from model().device_state() instead).
  const TrainState& state() const { return model_->state(); }
  void sync_state() { model_->sync_state(); }
  Model& model() { return *model_; }
  const TrainConfig& config() const { return cfg_; }
  // Mean loss of the current weights on `batches` global batches drawn with another seed.
  double evaluate(std::int64_t batches);
  int world() const { return dp_ ? dp_->world() : 1; }
  TrainHooks& hooks() { return hooks_; }

 private:
  TrainConfig cfg_;
  const TokenShard& shard_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<DataLoader> loader_;
  std::unique_ptr<DataParallel> dp_;  // null: a single rank
  ShardedCpuModel* sharded_ = nullptr;  // model_ when cfg.shard
  std::vector<float> host_grads_;     // a GPU model's gradients on their way through a host communicator
  TrainHooks hooks_;
};

}  // namespace cairn::train
