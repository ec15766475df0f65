// Owning device memory: one cudaMalloc per buffer, freed by the destructor, moved but
// never copied. Copies to and from the host go through the legacy default stream, so
// they wait for kernels queued on any blocking stream (what model_cuda creates).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <cuda_runtime.h>

#include "common/error.h"
#include "train/cuda/check.h"

namespace cairn::train::cuda {

template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::int64_t count) : count_(count) {
    if (count < 0) throw Error("device buffer: negative size " + std::to_string(count));
    if (count == 0) return;
    const cudaError_t status = cudaMalloc(reinterpret_cast<void**>(&ptr_), bytes());
    if (status != cudaSuccess) {
      (void)cudaGetLastError();  // clear it, or the next check_launch would report it
      throw Error("GPU memory: cannot allocate " + std::to_string(bytes()) + " bytes (" +
                  cudaGetErrorString(status) +
                  "); use a smaller batch or sequence length, or a GPU with more memory");
    }
  }
  ~DeviceBuffer() {
    if (ptr_) (void)cudaFree(ptr_);  // no throw from a destructor; a fault shows elsewhere
  }
  DeviceBuffer(DeviceBuffer&& o) noexcept
      : ptr_(std::exchange(o.ptr_, nullptr)), count_(std::exchange(o.count_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      if (ptr_) (void)cudaFree(ptr_);
      ptr_ = std::exchange(o.ptr_, nullptr);
      count_ = std::exchange(o.count_, 0);
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* get() { return ptr_; }
  const T* get() const { return ptr_; }
  std::int64_t size() const { return count_; }
  std::size_t bytes() const { return static_cast<std::size_t>(count_) * sizeof(T); }

  // Host -> device for count elements starting at element offset.
  void upload(const T* host, std::int64_t count, std::int64_t offset = 0) {
    check_range(count, offset);
    if (count > 0)
      CAIRN_CUDA_CHECK(cudaMemcpy(ptr_ + offset, host, static_cast<std::size_t>(count) * sizeof(T),
                                  cudaMemcpyHostToDevice));
  }
  void upload(const std::vector<T>& host) { upload(host.data(), static_cast<std::int64_t>(host.size())); }

  void download(T* host, std::int64_t count, std::int64_t offset = 0) const {
    check_range(count, offset);
    if (count > 0)
      CAIRN_CUDA_CHECK(cudaMemcpy(host, ptr_ + offset, static_cast<std::size_t>(count) * sizeof(T),
                                  cudaMemcpyDeviceToHost));
  }
  std::vector<T> to_host() const {
    std::vector<T> out(static_cast<std::size_t>(count_));
    download(out.data(), count_);
    return out;
  }

  // Every byte set to `byte` (0: zeros; 0xff: NaN in f32 and bf16, the tests' poison).
  void fill_bytes(int byte) {
    if (count_ > 0) CAIRN_CUDA_CHECK(cudaMemset(ptr_, byte, bytes()));
  }

 private:
  void check_range(std::int64_t count, std::int64_t offset) const {
    if (count < 0 || offset < 0 || offset + count > count_)
      throw Error("device buffer: copy of " + std::to_string(count) + " elements at offset " +
                  std::to_string(offset) + " does not fit its " + std::to_string(count_));
  }
  T* ptr_ = nullptr;
  std::int64_t count_ = 0;
};

}  // namespace cairn::train::cuda
