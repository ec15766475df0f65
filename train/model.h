// Where the model trains, and the one interface the trainer drives there. On the CPU a
// CpuTrainingModel (train/model_cpu_training.h) runs CpuModel<float> on host buffers;
// on a GPU a CudaModel (train/model_cuda.h) keeps the f32 master weights, the gradients
// and both AdamW moments on the device, so a step moves only token ids in and the loss
// out. Host copies of the state are made on request (checkpoints), of the gradients
// when a host communicator reduces a GPU model's (train/data_parallel.h).
// This header builds in every configuration; make_model() says so plainly when the
// build has no CUDA or no GPU is visible.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "train/config.h"
#include "train/optim/adamw.h"
#include "train/parameter_layout.h"
#include "train/train_state.h"

namespace cairn::train {

enum class Device { cpu, cuda };
std::string_view to_string(Device d);
Device parse_device(std::string_view s);  // "cpu" | "cuda"; cairn::Error otherwise

// Built with CUDA and at least one GPU visible (CUDA_VISIBLE_DEVICES respected).
bool cuda_available();
// cuda when available, else cpu: `cairn train`'s default.
Device default_device();

class Model {
 public:
  virtual ~Model() = default;
  virtual const ParameterLayout& layout() const = 0;

  // The run's state in host memory: its step, weights and both moments, each buffer
  // layout().total_elements() long. load_state() starts training from `s` (a GPU
  // uploads it). On the CPU state() is the live buffers; a GPU's state() holds the
  // weights and moments of the last load_state() or sync_state(), which copies them
  // back from the device (before a checkpoint). state().step is always current.
  virtual void load_state(TrainState s) = 0;
  virtual const TrainState& state() const = 0;
  virtual void sync_state() = 0;
  // The weights and both moments where a GPU keeps them (device memory, f32, each
  // layout().total_elements() long), its queued work on them done: what a checkpoint
  // copies straight into pinned staging. Nulls on the CPU (state() is the live buffers).
  struct DeviceState {
    const float* params = nullptr;
    const float* m = nullptr;
    const float* v = nullptr;
  };
  virtual DeviceState device_state() { return {}; }

  // The flat f32 gradients where the model keeps them: device memory when
  // gradients_on_device(), else host memory. stream() is the cudaStream_t the model's
  // work is queued on (nullptr on the CPU): what a device communicator reduces them on.
  virtual bool gradients_on_device() const = 0;
  virtual float* gradients() = 0;
  virtual void* stream() = 0;
  // Host copies of the gradients, both ways (layout().total_elements() floats).
  virtual void get_gradients(float* grads) = 0;
  virtual void set_gradients(const float* grads) = 0;

  // Zeroes the gradients, then forward and backward on one batch of [batch, seq_len]
  // token ids (a target < 0 is left out of the loss). Returns the mean loss.
  virtual double forward_backward(const std::int32_t* inputs, const std::int32_t* targets) = 0;
  // Forward only: the mean loss (evaluation).
  virtual double loss(const std::int32_t* inputs, const std::int32_t* targets) = 0;
  // Global-norm clipping of the gradients; returns the norm before clipping.
  virtual double clip_grad_norm(double max_norm) = 0;
  // One AdamW update as step state().step + 1 (per-entry weight decay as adamw_step),
  // which state().step then is.
  virtual void optimizer_step(const AdamWHyper& h) = 0;
};

// Throws cairn::Error unless each of s's buffers holds layout.total_elements() floats:
// what load_state() checks, in both models.
void check_state_fits(const TrainState& s, const ParameterLayout& layout, const ModelConfig& c);

// The whole decoder for batches of batch x seq_len tokens on `device` (a GPU: the
// current one), holding no state until load_state().
std::unique_ptr<Model> make_model(Device device, const ModelConfig& c, std::int64_t batch,
                                  std::int64_t seq_len);

}  // namespace cairn::train
