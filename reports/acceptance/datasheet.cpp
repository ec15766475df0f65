// The datasheet table (gpu_rates.h), and the CPU-only build's answer that no GPU rates
// were built.
#include <array>

#include "common/error.h"

#include "reports/acceptance/gpu_rates.h"

namespace cairn::acceptance {

std::optional<GpuDatasheet> datasheet_for(const std::string& device_name) {
  // NVIDIA's datasheets: dense (no sparsity) bf16 tensor rate and HBM bandwidth. Names
  // nest ("NVIDIA GH200 120GB" contains "H200", "NVIDIA H100 PCIe" "H100"): the longer
  // names come first.
  static constexpr std::array<GpuDatasheet, 5> kTable = {{
      {"GH200", 989.4, 4000},      // Alps' GH200: 96 GB HBM3 (../shared/FIELD.md)
      {"H200", 989.4, 4800},       // H200 SXM, 141 GB HBM3e
      {"H100 PCIe", 756.0, 2000},  // H100 PCIe, 80 GB HBM2e
      {"H100 NVL", 835.0, 3900},   // H100 NVL, 94 GB HBM3
      {"H100", 989.4, 3350},       // H100 SXM5, 80 GB HBM3
  }};
  for (const auto& d : kTable)
    if (device_name.find(d.model) != std::string::npos) return d;
  return std::nullopt;
}

#ifndef CAIRN_HAVE_CUDA
bool gpu_rates_built() { return false; }
struct GpuRates::State {};
GpuRates::GpuRates(int) { throw Error("this cairn was built without CUDA: no GPU rates"); }
GpuRates::~GpuRates() = default;
std::string GpuRates::device_name() const { return {}; }
double GpuRates::sample_gemm_tflop_s() { return 0; }
double GpuRates::sample_copy_gb_s() { return 0; }
#endif

}  // namespace cairn::acceptance
