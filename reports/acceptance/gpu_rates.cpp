#include "reports/acceptance/gpu_rates.h"

#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

#include "common/error.h"
#include "train/cuda/bf16.h"
#include "train/cuda/check.h"
#include "train/cuda/device_buffer.h"
#include "train/cuda/gemm.h"

namespace cairn::acceptance {
namespace {

namespace tc = train::cuda;

constexpr std::int64_t kSide = 8192;
constexpr int kGemmsPerSample = 10;
constexpr std::size_t kCopyBytes = std::size_t{1} << 30;
constexpr int kCopiesPerSample = 5;

// Random data: a product of zeros draws less power and ran 13 % faster (KINDS.md).
std::vector<tc::bf16> random_bf16(std::int64_t count, std::uint64_t seed) {
  std::vector<float> x(static_cast<std::size_t>(count));
  std::uint64_t s = seed;
  for (float& v : x) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;  // Knuth's MMIX LCG
    v = static_cast<float>(static_cast<double>(s >> 40) / double(1ULL << 24) - 0.5);
  }
  return tc::to_bf16(x);
}

// Milliseconds between two events around `work` on `stream`.
template <typename Work>
float timed_ms(cudaStream_t stream, cudaEvent_t start, cudaEvent_t stop, Work&& work) {
  CAIRN_CUDA_CHECK(cudaEventRecord(start, stream));
  work();
  CAIRN_CUDA_CHECK(cudaEventRecord(stop, stream));
  CAIRN_CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0;
  CAIRN_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  return ms;
}

}  // namespace

bool gpu_rates_built() { return true; }

struct GpuRates::State {
  int device = 0;
  std::string name;
  cudaStream_t stream = nullptr;
  cudaEvent_t start = nullptr, stop = nullptr;
  tc::Blas blas;
  tc::DeviceBuffer<tc::bf16> a, b, c;
  tc::DeviceBuffer<unsigned char> from, to;

  ~State() {
    if (start) (void)cudaEventDestroy(start);
    if (stop) (void)cudaEventDestroy(stop);
    if (stream) (void)cudaStreamDestroy(stream);
  }
};

GpuRates::GpuRates(int device) {
  CAIRN_CUDA_CHECK(cudaSetDevice(device));
  state_ = std::make_unique<State>();
  State& s = *state_;
  s.device = device;
  cudaDeviceProp prop{};
  CAIRN_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  s.name = prop.name;
  CAIRN_CUDA_CHECK(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking));
  CAIRN_CUDA_CHECK(cudaEventCreate(&s.start));
  CAIRN_CUDA_CHECK(cudaEventCreate(&s.stop));
  const std::int64_t n = kSide * kSide;
  s.a = tc::DeviceBuffer<tc::bf16>(n);
  s.b = tc::DeviceBuffer<tc::bf16>(n);
  s.c = tc::DeviceBuffer<tc::bf16>(n);
  s.a.upload(random_bf16(n, 1));
  s.b.upload(random_bf16(n, 2));
  s.from = tc::DeviceBuffer<unsigned char>(static_cast<std::int64_t>(kCopyBytes));
  s.to = tc::DeviceBuffer<unsigned char>(static_cast<std::int64_t>(kCopyBytes));
  CAIRN_CUDA_CHECK(cudaMemset(s.from.get(), 0x5a, kCopyBytes));
  // Warm-up: the heuristic's plan, the clocks.
  for (int i = 0; i < 3; ++i) s.blas.gemm_nt(s.a.get(), s.b.get(), kSide, kSide, kSide, s.c.get(), tc::OutType::bfloat16, s.stream);
  CAIRN_CUDA_CHECK(cudaMemcpyAsync(s.to.get(), s.from.get(), kCopyBytes, cudaMemcpyDeviceToDevice, s.stream));
  CAIRN_CUDA_CHECK(cudaStreamSynchronize(s.stream));
}

GpuRates::~GpuRates() = default;

std::string GpuRates::device_name() const { return state_->name; }

double GpuRates::sample_gemm_tflop_s() {
  State& s = *state_;
  CAIRN_CUDA_CHECK(cudaSetDevice(s.device));
  const float ms = timed_ms(s.stream, s.start, s.stop, [&] {
    for (int i = 0; i < kGemmsPerSample; ++i)
      s.blas.gemm_nt(s.a.get(), s.b.get(), kSide, kSide, kSide, s.c.get(), tc::OutType::bfloat16, s.stream);
  });
  const double flop = 2.0 * double(kSide) * double(kSide) * double(kSide) * kGemmsPerSample;
  return flop / (ms * 1e-3) / 1e12;
}

double GpuRates::sample_copy_gb_s() {
  State& s = *state_;
  CAIRN_CUDA_CHECK(cudaSetDevice(s.device));
  const float ms = timed_ms(s.stream, s.start, s.stop, [&] {
    for (int i = 0; i < kCopiesPerSample; ++i)
      CAIRN_CUDA_CHECK(cudaMemcpyAsync(s.to.get(), s.from.get(), kCopyBytes, cudaMemcpyDeviceToDevice, s.stream));
  });
  return 2.0 * double(kCopyBytes) * kCopiesPerSample / (ms * 1e-3) / 1e9;
}

}  // namespace cairn::acceptance
