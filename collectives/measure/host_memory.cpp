#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>

#include <fmt/format.h>

#include "collectives/measure/memory.h"
#include "common/error.h"

namespace cairn::coll::bench {
namespace {

class SteadyTimer final : public Timer {
 public:
  void start() override { start_ = std::chrono::steady_clock::now(); }
  void stop() override { stop_ = std::chrono::steady_clock::now(); }
  double seconds() override { return std::chrono::duration<double>(stop_ - start_).count(); }

 private:
  std::chrono::steady_clock::time_point start_{}, stop_{};
};

class HostMemory final : public Memory {
 public:
  MemoryKind kind() const override { return MemoryKind::host; }
  std::string describe() const override { return "host memory"; }
  void* allocate(std::size_t bytes) override {
    // Page alignment: what UCX registers best, and no false sharing between buffers.
    constexpr std::size_t kAlign = 4096;
    const std::size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
    void* p = std::aligned_alloc(kAlign, rounded == 0 ? kAlign : rounded);
    if (!p) throw Error(fmt::format("could not allocate {} bytes of host memory for the benchmark; lower -e", bytes));
    return p;
  }
  void release(void* p) noexcept override { std::free(p); }
  void upload(void* dst, const void* src, std::size_t bytes) override {
    if (bytes) std::memcpy(dst, src, bytes);
  }
  void download(void* dst, const void* src, std::size_t bytes) override {
    if (bytes) std::memcpy(dst, src, bytes);
  }
  Stream stream() override { return nullptr; }
  std::unique_ptr<Timer> make_timer() override { return std::make_unique<SteadyTimer>(); }
};

}  // namespace

std::unique_ptr<Memory> make_host_memory() { return std::make_unique<HostMemory>(); }

std::unique_ptr<Memory> make_memory(MemoryKind kind, int device) {
  if (kind == MemoryKind::host) return make_host_memory();
#ifdef CAIRN_HAVE_CUDA
  return make_cuda_memory(device);
#else
  (void)device;
  throw Error("device memory needs a build with CUDA (CAIRN_CUDA=ON)");
#endif
}

}  // namespace cairn::coll::bench
