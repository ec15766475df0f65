// The whole decoder on the CPU, forward to the loss and backward into a flat gradient
// buffer laid out by ParameterLayout. Templated on the float type: float trains, double
// checks gradients against finite differences.
//
// Per layer (pre-norm, as torch_llama.py; Apertus adds QK-norm and xIELU):
//   h = rmsnorm(x) ; [q k v] = h Wqkv^T ; q,k = qk_norm(q,k) if enabled ; q,k = rope(q,k)
//   x = x + attention(q, k, v) Wo^T
//   h = rmsnorm(x) ; x = x + down(act(up(h)))   act: swiglu on [g;u] | xielu
// Then logits = rmsnorm(x) Whead^T and loss = cross_entropy(logits, targets).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "train/config.h"
#include "train/cpu/attention.h"
#include "train/cpu/rope.h"
#include "train/parameter_layout.h"

namespace cairn::train {

template <typename T>
class CpuModel {
 public:
  // Activations for batch sequences of seq_len tokens (seq_len <= context) are
  // allocated once here.
  CpuModel(const ModelConfig& c, std::int64_t batch, std::int64_t seq_len);
  ~CpuModel();
  CpuModel(const CpuModel&) = delete;
  CpuModel& operator=(const CpuModel&) = delete;

  const ModelConfig& config() const { return config_; }
  const ParameterLayout& layout() const { return layout_; }
  std::int64_t batch() const { return batch_; }
  std::int64_t seq_len() const { return seq_len_; }

  // inputs, targets: [batch, seq_len] token ids (a target < 0 is left out of the loss).
  // params: layout().total_elements(). Saves the activations backward needs; returns
  // the mean loss.
  T forward(const T* params, const std::int32_t* inputs, const std::int32_t* targets);

  // Gradient of the last forward's loss, accumulated (+=) into grads (same layout).
  void backward(const T* params, T* grads);

  // Logits of the last forward, [batch*seq_len, vocab] (overwritten by backward).
  const T* logits() const;

 private:
  struct Activations;
  ModelConfig config_;
  ParameterLayout layout_;
  std::int64_t batch_;
  std::int64_t seq_len_;
  cpu::RopeTable<T> rope_;
  std::unique_ptr<Activations> act_;
};

}  // namespace cairn::train
