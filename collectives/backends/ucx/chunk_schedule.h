// The common chunking and pipelining engine of the UCX backend's algorithms.
//
// An operation's buffer is cut into `channels` contiguous slices, and each slice into
// pieces of a few chunks. Every piece runs the whole algorithm on its own (a Job: a short
// state machine of steps, each posting sends and receives, then doing the local work they
// enable). Up to `pipeline_depth` jobs per channel are in flight at once, so while one
// piece waits on the network another reduces: that is the pipeline. Algorithms only say
// how to split the buffer (a Plan) and what one piece does (its Job); this file does the
// tagging, completion tracking, timeouts and idle waiting for all of them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "collectives/backends/ucx/ucx_transport.h"

namespace cairn::coll::detail {

// Part i of `parts` near-equal parts of `total` (the first total % parts are one longer).
struct Span {
  std::size_t offset = 0;
  std::size_t count = 0;
};
inline Span even_part(std::size_t total, std::size_t parts, std::size_t i) {
  const std::size_t base = total / parts, extra = total % parts;
  return {i * base + (i < extra ? i : extra), base + (i < extra ? 1 : 0)};
}
inline std::size_t ceil_div(std::size_t a, std::size_t b) { return (a + b - 1) / b; }

// Posts one job's transfers. `step` is the message's number inside the job: sender and
// receiver must use the same one (it becomes part of the tag). Zero-byte transfers are
// skipped on both sides, so jobs need not special-case empty blocks.
class Links {
 public:
  Links(UcxTransport& t, Completion& c, std::uint64_t seq, int channel, std::uint64_t step_base)
      : t_(t), c_(c), seq_(seq), channel_(channel), step_base_(step_base) {}
  void send(int peer, const void* buf, std::size_t bytes, std::uint32_t step) {
    if (bytes) t_.send(peer, buf, bytes, TagLayout::make(t_.rank(), seq_, channel_, step_base_ + step), c_);
  }
  void recv(int peer, void* buf, std::size_t bytes, std::uint32_t step) {
    if (bytes) t_.recv(peer, buf, bytes, TagLayout::make(peer, seq_, channel_, step_base_ + step), c_);
  }
  // Transfers with a caller-made tag, sent even when empty (point-to-point, barriers).
  void send_tagged(int peer, const void* buf, std::size_t bytes, std::uint64_t tag) { t_.send(peer, buf, bytes, tag, c_); }
  void recv_tagged(int peer, void* buf, std::size_t bytes, std::uint64_t tag) { t_.recv(peer, buf, bytes, tag, c_); }

 private:
  UcxTransport& t_;
  Completion& c_;
  std::uint64_t seq_;
  int channel_;
  std::uint64_t step_base_;
};

class Job {
 public:
  virtual ~Job() = default;
  // Called once to start, then each time every transfer the previous call posted has
  // completed: does the local work those transfers enabled, posts the next transfers,
  // and returns false once the job has nothing left to do.
  virtual bool step(Links& links) = 0;
};

class Plan {
 public:
  virtual ~Plan() = default;
  virtual int channels() const = 0;
  virtual std::size_t pieces(int channel) const = 0;
  // Scratch memory each job in flight gets (64-byte aligned).
  virtual std::size_t scratch_bytes() const { return 0; }
  // Upper bound of the `step` numbers a job uses, so that pieces get disjoint tags.
  virtual std::uint32_t steps_per_job() const = 0;
  virtual std::unique_ptr<Job> job(int channel, std::size_t piece, std::byte* scratch) = 0;
};

// How the thread running an operation waits when nothing moves: spin on the worker for
// `spin`, then poll and sched_yield() for `yield`, then sleep on its event file
// descriptor (ucp_worker_arm). Spinning wins latency on an idle box. Where ranks outnumber
// CPUs a spinning rank holds the CPU its peer needs, and a sleeping one wakes late: UCX's
// shared-memory transports do not always signal the event descriptor, so a step can wait
// out the whole 1 ms sleep cap (4 ranks on 2 cores: 1-8 MiB all_reduce at 0.3-0.75x of
// Open MPI). Yielding hands the CPU to a runnable peer at once and looks again as soon as
// the scheduler comes back, which is what Open MPI does when oversubscribed
// (mpi_yield_when_idle); past `yield` the rank sleeps so an idle job costs no CPU.
struct IdlePolicy {
  std::chrono::microseconds spin{50};
  std::chrono::microseconds yield{0};
};

// What one operation gives the executor. `name` ("all_reduce #17") starts its errors.
struct OpRun {
  UcxTransport& transport;
  std::uint64_t seq = 0;
  int depth = 1;
  std::string name;
  std::chrono::milliseconds timeout{0};  // 0: none
  Clock::time_point deadline = Clock::time_point::max();
  IdlePolicy idle;
  std::vector<std::byte>* scratch = nullptr;  // grown as needed, reused across operations
};

// Runs every job of `plan` to completion. Throws OpFailure when the communicator must
// stop (its message names the operation and, where known, the rank).
void run_plan(OpRun& run, Plan& plan);

// Allocates zero-initialised scratch of at least `bytes` from run.scratch.
std::byte* scratch_area(OpRun& run, std::size_t bytes);

}  // namespace cairn::coll::detail
