// Where a benchmark's buffers live and how its time is taken: host memory and a steady
// clock for host backends (UCX), device memory and CUDA events on one stream for device
// backends (NCCL). The harness sees only this interface, so it builds without CUDA.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "collectives/backends/communicator.h"

namespace cairn::coll::bench {

// Times a batch of operations: start() before the first is issued, stop() once all have
// completed, seconds() for the span. A device timer records events on the memory's
// stream, so the span is the stream's; a host timer reads a steady clock.
class Timer {
 public:
  virtual ~Timer() = default;
  virtual void start() = 0;
  virtual void stop() = 0;
  virtual double seconds() = 0;
  // Waits for `pending` and stops the clock once they have completed. A host clock must
  // wait first; a device timer records its stop behind them on the stream and then
  // waits, so the host's polling of each request is not counted (nccl-tests syncs once).
  virtual void stop_after(std::vector<Request>& pending) {
    for (Request& r : pending) r.wait();
    stop();
  }
};

class Memory {
 public:
  virtual ~Memory() = default;
  virtual MemoryKind kind() const = 0;
  // One line for the device report: "host" or "NVIDIA H100 80GB HBM3 [0000:1b:00]".
  virtual std::string describe() const = 0;
  // Throws cairn::Error naming the size when the memory is exhausted.
  virtual void* allocate(std::size_t bytes) = 0;
  virtual void release(void* p) noexcept = 0;
  // Copies between this memory and the host; both complete before returning.
  virtual void upload(void* dst, const void* host_src, std::size_t bytes) = 0;
  virtual void download(void* host_dst, const void* src, std::size_t bytes) = 0;
  // The stream operations run on (nullptr for host memory).
  virtual Stream stream() = 0;
  virtual std::unique_ptr<Timer> make_timer() = 0;
};

// Owns one allocation of a Memory.
class Buffer {
 public:
  Buffer() = default;
  Buffer(Memory& memory, std::size_t bytes) : memory_(&memory), ptr_(memory.allocate(bytes)), bytes_(bytes) {}
  ~Buffer() { reset(); }
  Buffer(Buffer&& o) noexcept : memory_(o.memory_), ptr_(o.ptr_), bytes_(o.bytes_) { o.ptr_ = nullptr; }
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      reset();
      memory_ = o.memory_;
      ptr_ = o.ptr_;
      bytes_ = o.bytes_;
      o.ptr_ = nullptr;
    }
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  char* data() const { return static_cast<char*>(ptr_); }
  std::size_t bytes() const { return bytes_; }

 private:
  void reset() noexcept {
    if (ptr_) memory_->release(ptr_);
    ptr_ = nullptr;
  }
  Memory* memory_ = nullptr;
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
};

std::unique_ptr<Memory> make_host_memory();

// The memory a communicator reduces (OpenedBackend::memory and ::device): device memory of
// CUDA device `device` for a device backend, host memory for a host backend. Throws
// cairn::Error for device memory in a build without CUDA.
std::unique_ptr<Memory> make_memory(MemoryKind kind, int device);

#ifdef CAIRN_HAVE_CUDA
// Device memory of CUDA device `device` (cudaMalloc), copies and a stream of its own.
std::unique_ptr<Memory> make_cuda_memory(int device);
#endif

}  // namespace cairn::coll::bench
