// Sharded data parallel (ZeRO-3, Rajbhandari et al. 2020) of the CPU model on host
// ranks: each rank keeps only its shard (train/shard_layout.h) of the f32 weights, the
// gradients and both AdamW moments. Forward all-gathers each unit's weights into one
// working buffer just before the unit runs; backward gathers them again (the embedding
// excepted: its backward reads none) and reduce-scatters (avg) each unit's gradient into
// the local gradient shard as soon as CpuModel's backward hands the unit back. Clipping
// all-reduces the squared norm of the shards; AdamW steps the local shard, entry by
// entry with that entry's weight decay. The math is CpuModel's (train/unit_params.h).
//
// With N_r the targets rank r counted and N their sum (train/data_parallel.h), the loss
// gradient is scaled by w_r = R N_r / N before backward, so the reduce-scatter's average
// is the gradient of the global mean loss: the trainer all-reduces the counts first and
// calls set_loss_weight().
//
// The gather of the next unit runs while the current one computes (two weight buffers);
// each unit's reduce-scatter is still waited on before backward goes on (overlapping it
// too needs a second gradient buffer: the next step).
// state() holds the step; its weights and moments are the full ones only after
// sync_state(), which is collective here (every rank must call it), until
// drop_full_state(): a checkpoint gathers the full state for its save and drops it.
#pragma once

#include <cstdint>
#include <vector>

#include "collectives/backends/communicator.h"
#include "train/model.h"
#include "train/model_cpu.h"
#include "train/shard_layout.h"

namespace cairn::train {

class ShardedCpuModel final : public Model {
 public:
  // comm (a host communicator) must outlive the model; every rank builds the same one.
  ShardedCpuModel(const ModelConfig& c, std::int64_t batch, std::int64_t seq_len, coll::Communicator& comm);
  ~ShardedCpuModel() override;

  const ParameterLayout& layout() const override { return model_.layout(); }
  const ShardLayout& shards() const { return shards_; }

  // s holds the full state (layout-sized); this rank keeps its shards of it.
  void load_state(TrainState s) override;
  const TrainState& state() const override { return full_; }
  void sync_state() override;  // collective: all-gathers the weights and moments
  // Frees the full buffers sync_state() filled (after a checkpoint has staged them).
  void drop_full_state();

  // The local gradient shard (ShardLayout::local_elements()); the full gradients never
  // exist on one rank, so get_gradients/set_gradients throw cairn::Error.
  bool gradients_on_device() const override { return false; }
  float* gradients() override { return grads_.data(); }
  void* stream() override { return nullptr; }
  void get_gradients(float* grads) override;
  void set_gradients(const float* grads) override;

  // Collective (all of these below).
  void set_loss_weight(double w) { loss_weight_ = w; }
  double forward_backward(const std::int32_t* inputs, const std::int32_t* targets) override;
  double loss(const std::int32_t* inputs, const std::int32_t* targets) override;
  double clip_grad_norm(double max_norm) override;
  void optimizer_step(const AdamWHyper& h) override;

  // Bytes this rank holds: the local weights, gradients and moments, and the three
  // working buffers (two units' weights, one unit's gradient).
  struct HeldBytes {
    std::int64_t state = 0;
    std::int64_t working = 0;
  };
  HeldBytes held_bytes() const;

 private:
  class Units;
  CpuModel<float> model_;
  coll::Communicator& comm_;
  ShardLayout shards_;
  std::vector<LocalRun> runs_;            // this rank's decay mask
  TrainState full_;                       // step; full buffers after sync_state()
  std::vector<float> params_, grads_, m_, v_;  // local shards
  std::vector<float> work_[2], grad_work_;  // each one unit, padded: weights (double-buffered), gradient
  double loss_weight_ = 1.0;
};

}  // namespace cairn::train
