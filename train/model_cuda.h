// The whole decoder on one GPU, forward to the loss and backward into a flat gradient
// buffer, with the same ParameterLayout, the same per-layer order and the same math as
// CpuModel (train/model_cpu.h), op by op through train/cuda/.
//
// Precision, as PyTorch autocast (peers/torch_llama.py): f32 master weights and a bf16
// working copy of the whole flat buffer; matrices enter cuBLASLt in bf16 with f32
// accumulation; the residual stream and its gradient are f32, and the two projections
// that write into it (attn.o, mlp.down) produce f32; every other activation is stored
// in bf16 and computed in f32. Norm gains, xIELU scalars and embedding rows are read
// from the f32 master. Gradients are f32.
//
// Built only with CAIRN_CUDA; the trainer reaches it through Model (train/model.h).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <cuda_runtime.h>

#include "train/config.h"
#include "train/cpu/attention.h"
#include "train/cuda/bf16.h"
#include "train/cuda/device_buffer.h"
#include "train/cuda/embedding.h"
#include "train/cuda/gemm.h"
#include "train/cuda/rope.h"
#include "train/cuda/stream.h"
#include "train/model.h"
#include "train/parameter_layout.h"
#include "train/train_state.h"

namespace cairn::train {

class CudaModel final : public Model {
 public:
  // Allocates weights, gradients, moments and every activation for batch x seq_len
  // tokens (seq_len <= context) on the current GPU.
  CudaModel(const ModelConfig& c, std::int64_t batch, std::int64_t seq_len);
  ~CudaModel() override;
  CudaModel(const CudaModel&) = delete;
  CudaModel& operator=(const CudaModel&) = delete;

  const ModelConfig& config() const { return config_; }
  const ParameterLayout& layout() const override { return layout_; }
  std::int64_t batch() const { return batch_; }
  std::int64_t seq_len() const { return seq_len_; }

  // Model: the state through a host copy, uploaded by load_state().
  void load_state(TrainState s) override;
  const TrainState& state() const override { return host_; }
  void sync_state() override;
  DeviceState device_state() override;
  bool gradients_on_device() const override { return true; }
  float* gradients() override { return grads_.get(); }
  void* stream() override { return stream_.get(); }
  void set_gradients(const float* grads) override;
  void get_gradients(float* grads) override;
  double forward_backward(const std::int32_t* inputs, const std::int32_t* targets) override;
  double loss(const std::int32_t* inputs, const std::int32_t* targets) override;
  double clip_grad_norm(double max_norm) override;
  void optimizer_step(const AdamWHyper& h) override;

  // The device buffers directly: flat f32, layout().total_elements() elements.
  void set_parameters(const float* params);  // also refreshes the bf16 copy
  void get_parameters(float* params);
  void set_optimizer_state(const float* m, const float* v);
  void get_optimizer_state(float* m, float* v);
  // One AdamW update at 1-based step `step`, leaving state().step alone.
  void adamw_step(const AdamWHyper& h, std::int64_t step);

  // The steps of forward_backward, as CpuModel has them. inputs, targets: host ids
  // (checked against the vocabulary here). Returns the mean loss.
  float forward(const std::int32_t* inputs, const std::int32_t* targets);
  void zero_gradients();
  void backward();  // accumulates (+=) the last forward's gradients
  // Logits of the last forward, [batch*seq_len, vocab], as f32 (overwritten by backward).
  std::vector<float> logits();

 private:
  struct Layer;
  ModelConfig config_;
  ParameterLayout layout_;
  std::int64_t batch_, seq_len_, tokens_;
  cpu::AttentionShape shape_;
  std::int64_t counted_ = 0;  // targets in the loss of the last forward
  bool have_forward_ = false;
  TrainState host_;  // the host copy state() returns

  cuda::Stream stream_;  // before every buffer, so it is destroyed (and waited for) last
  cuda::Blas blas_;
  cuda::DeviceRopeTable rope_;
  cuda::TokenRows token_rows_;
  cuda::DeviceBuffer<float> params_, grads_, m_, v_;
  cuda::DeviceBuffer<cuda::bf16> params_bf16_;
  cuda::DeviceBuffer<std::int32_t> inputs_, targets_;
  std::vector<Layer> layers_;
  cuda::DeviceBuffer<float> x_final_, rstd_final_, lse_ce_, row_loss_, loss_;
  cuda::DeviceBuffer<cuda::bf16> h_final_, logits_;
  // Scratch shared by the layers: forward's fused qkv (backward's dqkv), the f32
  // branch output, the stream gradient and a second f32 [N, d], and bf16 gradients.
  cuda::DeviceBuffer<cuda::bf16> qkv_;
  cuda::DeviceBuffer<float> branch_, dx_, dtmp_;
  cuda::DeviceBuffer<cuda::bf16> dy16_, dh_, dact_, dup_, dq_, dk_, dv_;
};

}  // namespace cairn::train
