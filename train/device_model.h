// Where the model trains. On the CPU the trainer drives CpuModel<float> on host buffers;
// on a GPU it drives a DeviceModel, which keeps the f32 master weights, the gradients
// and both AdamW moments on the device (train/model_cuda.h) so a step moves only token
// ids in and the loss out. Host copies of the state are made on request (checkpoints,
// data-parallel reduction over a host communicator).
// This header builds in every configuration; make_cuda_model() says so plainly when
// the build has no CUDA or no GPU is visible.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "train/config.h"
#include "train/optim/adamw.h"
#include "train/parameter_layout.h"

namespace cairn::train {

enum class Device { cpu, cuda };
std::string_view to_string(Device d);
Device parse_device(std::string_view s);  // "cpu" | "cuda"; cairn::Error otherwise

// Built with CUDA and at least one GPU visible (CUDA_VISIBLE_DEVICES respected).
bool cuda_available();
// cuda when available, else cpu: `cairn train`'s default.
Device default_device();

class DeviceModel {
 public:
  virtual ~DeviceModel() = default;
  virtual const ParameterLayout& layout() const = 0;

  // Flat f32 buffers of layout().total_elements() elements, host <-> device.
  virtual void set_parameters(const float* params) = 0;
  virtual void get_parameters(float* params) = 0;
  virtual void set_optimizer_state(const float* m, const float* v) = 0;
  virtual void get_optimizer_state(float* m, float* v) = 0;
  virtual void set_gradients(const float* grads) = 0;
  virtual void get_gradients(float* grads) = 0;
  // The flat f32 gradients on the device and the stream (a cudaStream_t) the model's
  // work is queued on: what a device communicator all-reduces in place (data parallel).
  virtual float* device_gradients() = 0;
  virtual void* device_stream() = 0;

  // Zeroes the gradients, then forward and backward on one batch of [batch, seq_len]
  // token ids (a target < 0 is left out of the loss). Returns the mean loss.
  virtual double forward_backward(const std::int32_t* inputs, const std::int32_t* targets) = 0;
  // Forward only: the mean loss (evaluation).
  virtual double loss(const std::int32_t* inputs, const std::int32_t* targets) = 0;
  // Global-norm clipping of the gradients; returns the norm before clipping.
  virtual double clip_grad_norm(double max_norm) = 0;
  // One AdamW update at 1-based step `step` (per-entry weight decay as adamw_step).
  virtual void adamw_step(const AdamWHyper& h, std::int64_t step) = 0;
};

// The whole decoder on the current GPU for batches of batch x seq_len tokens.
std::unique_ptr<DeviceModel> make_cuda_model(const ModelConfig& c, std::int64_t batch,
                                             std::int64_t seq_len);

}  // namespace cairn::train
