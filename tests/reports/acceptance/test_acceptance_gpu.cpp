// The per-GPU rates of acceptance on a real GPU: a bf16 GEMM and a device copy that reach
// a sane share of the device's datasheet and never exceed it (label gpu; skips without
// one or in a build without CUDA).
#include <iostream>

#include <gtest/gtest.h>

#include "probe/cuda_devices.h"
#include "reports/acceptance/gpu_rates.h"

namespace cairn::acceptance {
namespace {

TEST(AcceptanceGpu, GemmAndCopyRatesAreWithinTheDatasheet) {
  if (!gpu_rates_built()) GTEST_SKIP() << "built without CUDA";
  if (probe::visible_cuda_device_count() < 1) GTEST_SKIP() << "no GPU visible";
  GpuRates rates(0);
  const double gemm = rates.sample_gemm_tflop_s(), copy = rates.sample_copy_gb_s();
  std::cout << "[ rates ] " << rates.device_name() << ": bf16 GEMM " << gemm << " TFLOP/s, device copy " << copy
            << " GB/s\n";
  EXPECT_GT(gemm, 1.0);
  EXPECT_GT(copy, 10.0);
  if (const auto sheet = datasheet_for(rates.device_name())) {
    std::cout << "[ rates ] datasheet " << sheet->bf16_tflop_s << " TFLOP/s, " << sheet->memory_gb_s << " GB/s: "
              << gemm / sheet->bf16_tflop_s << " and " << copy / sheet->memory_gb_s << " of it\n";
    EXPECT_LT(gemm, 1.05 * sheet->bf16_tflop_s);
    EXPECT_LT(copy, 1.05 * sheet->memory_gb_s);
    EXPECT_GT(gemm, 0.5 * sheet->bf16_tflop_s) << "a healthy Hopper's cuBLASLt reaches ~80 % (KINDS.md: 788-798)";
    EXPECT_GT(copy, 0.6 * sheet->memory_gb_s);
  }
}

}  // namespace
}  // namespace cairn::acceptance
