#include "train/model_cpu_training.h"

#include <algorithm>
#include <utility>

#include "train/optim/grad_clip.h"

namespace cairn::train {

CpuTrainingModel::CpuTrainingModel(const ModelConfig& c, std::int64_t batch, std::int64_t seq_len)
    : model_(c, batch, seq_len), grads_(static_cast<std::size_t>(model_.layout().total_elements()), 0.0f) {}

void CpuTrainingModel::load_state(TrainState s) {
  check_state_fits(s, model_.layout(), model_.config());
  state_ = std::move(s);
}

void CpuTrainingModel::get_gradients(float* grads) { std::copy(grads_.begin(), grads_.end(), grads); }

void CpuTrainingModel::set_gradients(const float* grads) { std::copy(grads, grads + grads_.size(), grads_.begin()); }

double CpuTrainingModel::forward_backward(const std::int32_t* inputs, const std::int32_t* targets) {
  std::fill(grads_.begin(), grads_.end(), 0.0f);
  const double l = model_.forward(state_.params.data(), inputs, targets);
  model_.backward(state_.params.data(), grads_.data());
  return l;
}

double CpuTrainingModel::loss(const std::int32_t* inputs, const std::int32_t* targets) {
  return model_.forward(state_.params.data(), inputs, targets);
}

double CpuTrainingModel::clip_grad_norm(double max_norm) {
  return train::clip_grad_norm(grads_.data(), static_cast<std::int64_t>(grads_.size()), max_norm);
}

void CpuTrainingModel::optimizer_step(const AdamWHyper& h) {
  adamw_step(model_.layout(), state_.params.data(), grads_.data(), state_.m.data(), state_.v.data(), h,
             state_.step + 1);
  ++state_.step;
}

}  // namespace cairn::train
