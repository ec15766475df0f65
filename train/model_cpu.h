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
#include "train/unit_params.h"

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

  // The same passes with the weights and gradients fetched unit by unit (ShardLayout's
  // units, unit_begins() in the flat buffer): what sharded data parallel drives. Forward
  // asks for each unit's weights once, in order; backward asks again for every unit but
  // the embedding (its backward reads no weights), tail first, and hands each unit's
  // gradient back as soon as it is complete. loss_scale multiplies the loss gradient.
  T forward(UnitParams<T>& units, const std::int32_t* inputs, const std::int32_t* targets);
  void backward(UnitParams<T>& units, T loss_scale = T(1));
  const std::vector<std::int64_t>& unit_begins() const { return unit_begins_; }

  // Logits of the last forward, [batch*seq_len, vocab] (overwritten by backward).
  const T* logits() const;

 private:
  struct Activations;
  ModelConfig config_;
  ParameterLayout layout_;
  std::int64_t batch_;
  std::int64_t seq_len_;
  cpu::RopeTable<T> rope_;
  std::vector<std::int64_t> unit_begins_;  // embedding, layers.0 .. layers.<n-1>, tail
  std::int64_t head_ = 0, final_norm_ = 0;  // in the tail unit
  std::unique_ptr<Activations> act_;
};

}  // namespace cairn::train
