// The Model the trainer drives on the CPU: CpuModel<float> (forward and backward) on
// host buffers it owns (weights, gradients, both moments), global-norm clipping and
// AdamW (train/optim/). The state buffers are the live ones, so a checkpoint copies
// nothing back.
#pragma once

#include <cstdint>
#include <vector>

#include "train/model.h"
#include "train/model_cpu.h"

namespace cairn::train {

class CpuTrainingModel final : public Model {
 public:
  CpuTrainingModel(const ModelConfig& c, std::int64_t batch, std::int64_t seq_len);

  const ParameterLayout& layout() const override { return model_.layout(); }

  void load_state(TrainState s) override;
  const TrainState& state() const override { return state_; }
  void sync_state() override {}  // the state is the live buffers

  bool gradients_on_device() const override { return false; }
  float* gradients() override { return grads_.data(); }
  void* stream() override { return nullptr; }
  void get_gradients(float* grads) override;
  void set_gradients(const float* grads) override;

  double forward_backward(const std::int32_t* inputs, const std::int32_t* targets) override;
  double loss(const std::int32_t* inputs, const std::int32_t* targets) override;
  double clip_grad_norm(double max_norm) override;
  void optimizer_step(const AdamWHyper& h) override;

 private:
  CpuModel<float> model_;
  TrainState state_;
  std::vector<float> grads_;
};

}  // namespace cairn::train
