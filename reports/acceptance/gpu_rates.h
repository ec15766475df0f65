// Per-GPU rates of acceptance: a bf16 matrix product through cuBLASLt (the trainer's
// train/cuda/gemm.h) and a device-to-device copy, each timed with CUDA events, beside the
// device's datasheet rates. Built with CUDA only (gpu_rates_built() says); the header has
// no CUDA types, so the acceptance library compiles either way.
#pragma once

#include <memory>
#include <optional>
#include <string>

namespace cairn::acceptance {

// The vendor's datasheet figures of a GPU model: dense bf16 matrix rate and memory
// bandwidth (H100 SXM 989 TFLOP/s and 3.35 TB/s; H200 989 and 4.8 TB/s).
struct GpuDatasheet {
  const char* model;
  double bf16_tflop_s;
  double memory_gb_s;
};
// By a substring of the device's name ("H200" before "H100"); none for other models.
std::optional<GpuDatasheet> datasheet_for(const std::string& device_name);

bool gpu_rates_built();

class GpuRates {
 public:
  // Allocates on `device` (3 x 128 MiB of matrices with random bf16 values, 2 x 1 GiB to
  // copy) and warms both up. Throws cairn::Error naming the device and the reason.
  explicit GpuRates(int device);
  ~GpuRates();
  GpuRates(const GpuRates&) = delete;
  GpuRates& operator=(const GpuRates&) = delete;

  std::string device_name() const;
  // 10 products of 8192^3 (2 x 8192^3 FLOP each), in 10^12 FLOP/s.
  double sample_gemm_tflop_s();
  // 5 copies of 1 GiB, counting the bytes read and written (as KINDS.md measures), 10^9 B/s.
  double sample_copy_gb_s();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cairn::acceptance
