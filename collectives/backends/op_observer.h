// Observers of a Communicator's operations: a straggler detector or a tuner registers one
// (Communicator::add_observer) and is told of every operation the communicator runs,
// with its size, its peer or root, a per-communicator sequence number and its times.
//
// When an operation's times are taken depends on the backend:
//   host (UCX): start is the steady clock when the call posts it, end when its Request
//     completes (success or failure), on the thread that completes it.
//   device (NCCL): start is the steady clock when the call enqueues it; CUDA events are
//     recorded on the stream before and after the enqueue (no host synchronisation), and
//     the end is delivered once the second event is found complete: by later operations
//     on the communicator, by Request::test()/wait(), and by Communicator::poll_observers().
//     end is the steady clock at that moment (so it may lag the GPU's end); device_us is
//     the GPU's own time between the two events.
// Ends are delivered in sequence order (an operation that completes early waits for the
// ones before it). With no observer registered an operation costs one branch and the
// sequence counter.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collectives/backends/dtype.h"

namespace cairn::coll {

enum class OpKind { all_reduce, reduce_scatter, all_gather, broadcast, reduce, alltoall, send, recv, send_recv, barrier };
std::string_view to_string(OpKind k);

struct OpRecord {
  using Clock = std::chrono::steady_clock;
  OpKind kind = OpKind::barrier;
  // Per communicator, from 0, in the order the operations were called (every
  // operation counts, observed or not, so ranks that call the same ones agree).
  std::uint64_t seq = 0;
  // The payload in nccl-tests' sense: count * dtype size, times size() for all_gather
  // (the gathered buffer), reduce_scatter (the scattered one) and alltoall; send_recv
  // counts what it sends; 0 for barrier.
  std::size_t bytes = 0;
  DataType dtype = DataType::u8;
  // broadcast/reduce: the root; send/recv: the peer; send_recv: the destination; else -1.
  int peer = -1;
  int from = -1;  // send_recv: the source; else -1
  Clock::time_point start{}, end{};  // end == start in on_start
  double device_us = -1;             // device backends: GPU time of the operation; -1 unknown
  bool failed = false;               // ended by an error or abort (in on_end)
};

// Called from the communicator's threads (see above); an implementation that keeps
// state shared with other threads locks it itself. The callbacks must not call the
// communicator's operations, and cannot throw (they may run on a progress thread).
class OpObserver {
 public:
  virtual ~OpObserver() = default;
  // On the calling thread, after the arguments were checked and before the backend
  // runs the operation.
  virtual void on_start(const OpRecord&) noexcept {}
  // Once the operation has ended, in sequence order.
  virtual void on_end(const OpRecord& record) noexcept = 0;
};

}  // namespace cairn::coll
