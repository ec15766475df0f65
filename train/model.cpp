#include "train/model.h"

#include <string>

#include "common/error.h"
#include "probe/cuda_devices.h"
#include "train/model_cpu_training.h"

#if CAIRN_HAVE_CUDA
#include <cuda_runtime.h>

#include "train/model_cuda.h"
#endif

namespace cairn::train {

std::string_view to_string(Device d) { return d == Device::cuda ? "cuda" : "cpu"; }

Device parse_device(std::string_view s) {
  if (s == "cpu") return Device::cpu;
  if (s == "cuda") return Device::cuda;
  throw Error("--device \"" + std::string(s) + "\" is not a device (expected cpu or cuda)");
}

bool cuda_available() { return probe::visible_cuda_device_count() > 0; }

Device default_device() { return cuda_available() ? Device::cuda : Device::cpu; }

void check_state_fits(const TrainState& s, const ParameterLayout& layout, const ModelConfig& c) {
  const auto n = static_cast<std::size_t>(layout.total_elements());
  if (s.params.size() != n || s.m.size() != n || s.v.size() != n)
    throw Error("train: a resumed state must hold " + std::to_string(n) + " elements per buffer for model \"" +
                c.name + "\" (got " + std::to_string(s.params.size()) + ")");
}

std::unique_ptr<Model> make_model(Device device, const ModelConfig& c, std::int64_t batch,
                                  std::int64_t seq_len) {
  if (device == Device::cpu) return std::make_unique<CpuTrainingModel>(c, batch, seq_len);
#if CAIRN_HAVE_CUDA
  if (!cuda_available())
    throw Error("--device cuda: no GPU is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES), "
                "or train with --device cpu");
  return std::make_unique<CudaModel>(c, batch, seq_len);
#else
  throw Error("--device cuda: this cairn was built without CUDA (-DCAIRN_CUDA=OFF); rebuild "
              "with CUDA or train with --device cpu");
#endif
}

}  // namespace cairn::train
