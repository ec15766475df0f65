#include "ft/checkpoint/staging.h"

#include <cstdlib>
#include <new>
#include <utility>

#include "common/error.h"

#if defined(CAIRN_HAVE_CUDA)
#include <cuda_runtime_api.h>
#endif

namespace cairn::ft {
namespace {

constexpr std::size_t kAlignment = 4096;  // page-aligned: what O_DIRECT and DMA like

std::string mib(std::size_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB"; }

}  // namespace

bool can_pin_host_memory() {
#if defined(CAIRN_HAVE_CUDA)
  return true;
#else
  return false;
#endif
}

StagingSlab::StagingSlab(std::size_t bytes, bool pinned) : bytes_(bytes) {
  if (bytes == 0) return;
#if defined(CAIRN_HAVE_CUDA)
  if (pinned) {
    void* p = nullptr;
    const cudaError_t e = cudaHostAlloc(&p, bytes, cudaHostAllocDefault);
    if (e != cudaSuccess)
      throw Error("cannot pin " + mib(bytes) + " of host memory to stage checkpoints (" + cudaGetErrorString(e) +
                  "): give a smaller --checkpoint-staging-mb");
    data_ = static_cast<char*>(p);
    pinned_ = true;
    return;
  }
#else
  (void)pinned;
#endif
  const std::size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  data_ = static_cast<char*>(std::aligned_alloc(kAlignment, rounded));
  if (!data_)
    throw Error("cannot allocate " + mib(bytes) + " of host memory to stage checkpoints: give a smaller "
                "--checkpoint-staging-mb");
}

StagingSlab& StagingSlab::operator=(StagingSlab&& o) noexcept {
  if (this != &o) {
    release();
    data_ = std::exchange(o.data_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
    pinned_ = std::exchange(o.pinned_, false);
  }
  return *this;
}

StagingSlab::~StagingSlab() { release(); }

void StagingSlab::release() {
  if (!data_) return;
#if defined(CAIRN_HAVE_CUDA)
  if (pinned_) {
    cudaFreeHost(data_);
    data_ = nullptr;
    return;
  }
#endif
  std::free(data_);
  data_ = nullptr;
}

}  // namespace cairn::ft
