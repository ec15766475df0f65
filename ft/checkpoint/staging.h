// The host memory a checkpoint is staged in before its background write: one slab of
// `bytes`, cut into equal chunks that the copy fills and the writer empties. On a CUDA
// build, with pinned set, the slab is page-locked (cudaHostAlloc), so a copy from the GPU
// runs at full PCIe speed and overlaps compute on a side stream; otherwise plain memory.
// --checkpoint-staging-mb bounds `bytes` (docs/checkpoint-format.md).
#pragma once

#include <cstddef>
#include <string>

namespace cairn::ft {

class StagingSlab {
 public:
  StagingSlab() = default;
  // cairn::Error naming the size if the memory cannot be had (pinned memory is scarcer
  // than pageable: the fix is a smaller --checkpoint-staging-mb).
  StagingSlab(std::size_t bytes, bool pinned);
  ~StagingSlab();
  StagingSlab(StagingSlab&& o) noexcept { *this = std::move(o); }
  StagingSlab& operator=(StagingSlab&& o) noexcept;
  StagingSlab(const StagingSlab&) = delete;
  StagingSlab& operator=(const StagingSlab&) = delete;

  char* data() const { return data_; }
  std::size_t size() const { return bytes_; }
  bool pinned() const { return pinned_; }

 private:
  void release();
  char* data_ = nullptr;
  std::size_t bytes_ = 0;
  bool pinned_ = false;
};

// Whether this build can pin host memory (a CUDA build).
bool can_pin_host_memory();

}  // namespace cairn::ft
