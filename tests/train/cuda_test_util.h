// Shared pieces of the CUDA op tests: skip without a GPU, fresh random inputs each run
// (the seed is printed; CAIRN_TEST_SEED replays it), bf16 rounding so the CPU reference
// sees exactly the GPU's inputs, NaN-poisoned outputs, and the relative error
// ||out - ref|| / ||ref||.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include "common/env_knobs.h"
#include "train/cuda/bf16.h"
#include "train/cuda/device_buffer.h"

namespace cairn::train::test {

using cuda::bf16;
using cuda::DeviceBuffer;

// Tolerances: a bf16 output carries a rounding error of at most 2^-9 relative, about
// 2e-3 in norm; f32 outputs differ from the reference only in summation order.
inline constexpr double kBf16Tolerance = 1e-2;
inline constexpr double kF32Tolerance = 1e-5;

// Empty when a GPU is usable, else why not.
inline std::string why_no_gpu() {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    return std::string("cudaGetDeviceCount failed: ") + cudaGetErrorString(e);
  }
  if (n == 0) return "cudaGetDeviceCount found 0 devices";
  return "";
}

// Every CUDA test derives from this: skipped without a GPU, seeded afresh each run.
class CudaTest : public ::testing::Test {
 public:
  void SetUp() override {
    const std::string why = why_no_gpu();
    if (!why.empty()) GTEST_SKIP() << "no CUDA device: " << why;
    // CAIRN_TEST_SEED replays a failed run.
    const auto fixed = env::integer("CAIRN_TEST_SEED");
    seed_ = fixed ? static_cast<std::uint64_t>(*fixed) : std::random_device{}();
    rng_.seed(seed_);
    std::printf("random seed %llu (set CAIRN_TEST_SEED to replay)\n", static_cast<unsigned long long>(seed_));
  }
  // Normal(0, scale) values.
  std::vector<float> random(std::int64_t n, double scale = 1.0) {
    std::normal_distribution<double> dist(0.0, scale);
    std::vector<float> v(static_cast<std::size_t>(n));
    for (auto& e : v) e = static_cast<float>(dist(rng_));
    return v;
  }
  std::int32_t random_int(std::int32_t lo, std::int32_t hi) {  // in [lo, hi]
    return std::uniform_int_distribution<std::int32_t>(lo, hi)(rng_);
  }
  std::uint64_t seed_ = 0;
  std::mt19937_64 rng_;
};

// Values rounded through bf16, as the GPU will read them.
inline std::vector<float> round_bf16(const std::vector<float>& x) { return cuda::to_float(cuda::to_bf16(x)); }

template <typename T>
DeviceBuffer<T> to_device(const std::vector<T>& host) {
  DeviceBuffer<T> b(static_cast<std::int64_t>(host.size()));
  b.upload(host);
  return b;
}
inline DeviceBuffer<bf16> to_device_bf16(const std::vector<float>& host) { return to_device(cuda::to_bf16(host)); }

// An output buffer filled with NaN (all bits set, in f32 and bf16): an element the
// kernel fails to write fails the comparison.
template <typename T>
DeviceBuffer<T> poisoned(std::int64_t n) {
  DeviceBuffer<T> b(n);
  b.fill_bytes(0xff);
  return b;
}

inline std::vector<float> host_f32(const DeviceBuffer<float>& b) {
  if (cudaDeviceSynchronize() != cudaSuccess) ADD_FAILURE() << "a kernel faulted";
  return b.to_host();
}
inline std::vector<float> host_f32(const DeviceBuffer<bf16>& b) {
  if (cudaDeviceSynchronize() != cudaSuccess) ADD_FAILURE() << "a kernel faulted";
  return cuda::to_float(b.to_host());
}

// ||out - ref|| / ||ref||, in double; NaN anywhere in out gives NaN (fails any bound),
// and a zero reference gives +inf unless out is zero too. The reference's RMS is taken
// as at least floor_rms: a floor
// serves outputs that are exactly zero in exact arithmetic (attention's dq and dk over a
// one-token sequence, where the softmax has nothing to trade), where the plain ratio is
// 0/0 and rounding leaves the GPU a few ulps off zero.
inline double rel_error(const std::vector<float>& out, const std::vector<float>& ref, double floor_rms = 0) {
  if (out.size() != ref.size()) return INFINITY;
  double num = 0, den = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double d = static_cast<double>(out[i]) - static_cast<double>(ref[i]);
    num += d * d;
    den += static_cast<double>(ref[i]) * ref[i];
  }
  if (std::isnan(num)) return NAN;
  den = std::max(den, floor_rms * floor_rms * static_cast<double>(out.size()));
  if (den == 0) return num == 0 ? 0.0 : INFINITY;
  return std::sqrt(num / den);
}

}  // namespace cairn::train::test
