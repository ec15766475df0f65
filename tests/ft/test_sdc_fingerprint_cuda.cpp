// The GPU fingerprint (ft/sdc/fingerprint.cu) against its CPU reference: the same hash,
// word sum and NaN/Inf count bit for bit, the float sums to rounding, at counts that
// leave a float4 tail; every single-bit flip of an element is found on the device; and
// its bandwidth beside a read-only kernel's over the same buffer (issue 19 asks >= 90 %;
// printed, not asserted: a shared GPU's timing is the lead's to judge).
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <iostream>
#include <random>
#include <vector>

#include "ft/sdc/bit_flips.h"
#include "ft/sdc/fingerprint.h"
#include "ft/sdc/fingerprint_cuda.h"

namespace cairn::ft {
namespace {

bool have_gpu() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

std::vector<float> gradient_like(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> e(-30, 2), s(0, 1);
  std::vector<float> x(n);
  for (float& v : x) v = static_cast<float>((s(rng) < 0.5 ? -1 : 1) * std::exp2(e(rng)));
  return x;
}

struct DeviceFloats {
  float* p = nullptr;
  explicit DeviceFloats(const std::vector<float>& h) {
    EXPECT_EQ(cudaMalloc(reinterpret_cast<void**>(&p), std::max<std::size_t>(1, h.size()) * sizeof(float)), cudaSuccess);
    EXPECT_EQ(cudaMemcpy(p, h.data(), h.size() * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
  }
  ~DeviceFloats() { cudaFree(p); }
};

TEST(SdcFingerprintCuda, MatchesTheCpuReference) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{1001}, std::size_t{131648},
                        std::size_t{(1 << 22) + 7}}) {
    std::vector<float> h = gradient_like(n, static_cast<unsigned>(n));
    if (n > 10) h[n / 2] = std::nanf("");
    const DeviceFloats d(h);
    const Fingerprint cpu = mixed_fingerprint(h.data(), n), gpu = device_fingerprint(d.p, n);
    EXPECT_EQ(gpu.xxh3, cpu.xxh3) << n << " elements";
    EXPECT_EQ(gpu.word_sum, cpu.word_sum) << n << " elements";
    EXPECT_EQ(gpu.nonfinite, cpu.nonfinite) << n << " elements";
    if (n > 10) continue;  // the NaN makes the float sums NaN
    EXPECT_NEAR(gpu.sum, cpu.sum, 1e-12 * (1 + cpu.abs_sum)) << n << " elements";
    EXPECT_NEAR(gpu.abs_sum, cpu.abs_sum, 1e-12 * (1 + cpu.abs_sum)) << n << " elements";
    // Run to run: the same bits.
    const Fingerprint again = device_fingerprint(d.p, n);
    EXPECT_EQ(std::memcmp(&again.sum, &gpu.sum, sizeof(double)), 0);
  }
}

TEST(SdcFingerprintCuda, FindsEverySingleBitFlipOnTheDevice) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  std::vector<float> h = gradient_like(4099, 5);
  const DeviceFloats d(h);
  const Fingerprint clean = device_fingerprint(d.p, h.size());
  for (std::size_t e : {std::size_t{0}, std::size_t{2048}, std::size_t{4098}})
    for (int bit = 0; bit < 32; ++bit) {
      float v = h[e];
      flip_bit(v, bit);
      ASSERT_EQ(cudaMemcpy(d.p + e, &v, sizeof v, cudaMemcpyHostToDevice), cudaSuccess);
      EXPECT_FALSE(same_bits(device_fingerprint(d.p, h.size()), clean)) << "element " << e << " bit " << bit;
      ASSERT_EQ(cudaMemcpy(d.p + e, &h[e], sizeof v, cudaMemcpyHostToDevice), cudaSuccess);
    }
}

TEST(SdcFingerprintCuda, BandwidthBesideAReadOnlyKernel) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  const std::size_t n = std::size_t{1} << 28;  // 1 GiB: far beyond L2
  float* d = nullptr;
  ASSERT_EQ(cudaMalloc(reinterpret_cast<void**>(&d), n * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMemset(d, 0x3c, n * sizeof(float)), cudaSuccess);
  const auto best_of = [&](auto&& f) {
    double best = 1e30;
    for (int rep = 0; rep < 10; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      f();
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return 4.0 * static_cast<double>(n) / best / 1e9;
  };
  unsigned sink = 0;
  const double read = best_of([&] { sink ^= device_read_only(d, n); });
  const double fp = best_of([&] { sink ^= static_cast<unsigned>(device_fingerprint(d, n).word_sum); });
  cudaFree(d);
  std::cout << "read-only kernel " << read << " GB/s, fingerprint " << fp << " GB/s (" << 100 * fp / read
            << " % of read) [" << sink << "]\n";
  EXPECT_GT(fp, 0);
}

}  // namespace
}  // namespace cairn::ft
