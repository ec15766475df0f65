// One interface for every collective Cairn runs, with two real backends: NCCL on GPU
// memory and UCX on host memory. Everything later (bench, pairs, tuner, ft, train) talks
// to the network only through this.
//
// Semantics follow NCCL: every rank calls the same collectives in the same order; counts
// are in elements; in-place is send == recv (for all_gather, send == recv + rank*count;
// for reduce_scatter, send + rank*recv_count == recv). Operations are asynchronous:
// device backends enqueue on `stream`, host backends on the communicator's own progress
// thread; both return a Request to wait on. A Request that fails (peer lost, timeout,
// abort) throws cairn::Error from wait() naming the operation and, where known, the rank.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "collectives/backends/dtype.h"
#include "collectives/backends/op_log.h"
#include "collectives/backends/op_observer.h"

namespace cairn::coll {

// A cudaStream_t for device backends (kept opaque so host code needs no CUDA headers);
// ignored by host backends.
using Stream = void*;

// Completion handle of one asynchronous operation.
class Request {
 public:
  class Impl {
   public:
    virtual ~Impl() = default;
    virtual bool test() = 0;  // true once complete; throws if it failed
    virtual void wait() = 0;  // blocks until complete; throws cairn::Error if it failed
  };
  Request() = default;
  explicit Request(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  bool test() { return !impl_ || impl_->test(); }
  void wait() {
    if (impl_) impl_->wait();
  }

 private:
  std::shared_ptr<Impl> impl_;
};

// Knobs of the host backend's algorithms, swept by the tuner. A device backend reads its
// knobs (NCCL_ALGO, NCCL_PROTO, channels) from NCCL itself.
enum class Algorithm { automatic, ring, tree, rhd };  // tree: double binary tree; rhd:
                                                      // recursive halving/doubling
struct AlgoConfig {
  Algorithm algorithm = Algorithm::automatic;
  std::size_t chunk_bytes = 0;  // 0: the backend's default
  int pipeline_depth = 0;       // chunks in flight per channel; 0: default
  int channels = 0;             // parallel channels (disjoint slices of the buffer); 0: default
};
std::string_view to_string(Algorithm a);
Algorithm parse_algorithm(std::string_view s);

// The public operations check their arguments the same way for every backend
// (argcheck.h: a null buffer with a count, a byte count that overflows size_t, a root or
// peer outside [0, size()), a reduction the backend cannot do), throwing a one-line
// cairn::Error naming the operation and the argument before anything is queued; then
// they tell the observers and call the backend's do_ implementation.
class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string_view backend() const = 0;  // "ucx", "nccl"
  virtual MemoryKind memory() const = 0;

  Request all_reduce(const void* send, void* recv, std::size_t count, DataType dt, ReduceOp op,
                     Stream stream = nullptr);
  // recv gets recv_count elements; send holds size() * recv_count.
  Request reduce_scatter(const void* send, void* recv, std::size_t recv_count, DataType dt,
                         ReduceOp op, Stream stream = nullptr);
  // send holds send_count elements; recv gets size() * send_count, in rank order.
  Request all_gather(const void* send, void* recv, std::size_t send_count, DataType dt,
                     Stream stream = nullptr);
  // send is read on the root only (may be null elsewhere).
  Request broadcast(const void* send, void* recv, std::size_t count, DataType dt, int root,
                    Stream stream = nullptr);
  // recv is written on the root only (may be null elsewhere).
  Request reduce(const void* send, void* recv, std::size_t count, DataType dt, ReduceOp op,
                 int root, Stream stream = nullptr);
  // send and recv hold size() blocks of count elements; block j of send goes to rank j.
  Request alltoall(const void* send, void* recv, std::size_t count, DataType dt,
                   Stream stream = nullptr);
  Request send(const void* buf, std::size_t count, DataType dt, int peer, Stream stream = nullptr);
  Request recv(void* buf, std::size_t count, DataType dt, int peer, Stream stream = nullptr);
  // A send to `to` and a receive from `from` that progress together (no deadlock when
  // every rank sends first).
  Request send_recv(const void* send_buf, std::size_t send_count, int to, void* recv_buf,
                    std::size_t recv_count, int from, DataType dt, Stream stream = nullptr);
  Request barrier(Stream stream = nullptr);

  // A new communicator of the ranks that pass the same color, ordered by key (then by
  // old rank); color < 0 takes no part and gets nullptr. Collective over this one.
  // Observers are not carried over.
  virtual std::unique_ptr<Communicator> split(int color, int key) = 0;

  // Fails every pending and future operation with `reason`; safe from any thread (the
  // watchdog's), and never waits behind an operation blocked in the backend: a device
  // backend aborts the NCCL communicator, which unblocks it, and the blocked call throws
  // an error naming `reason`.
  virtual void abort(const std::string& reason) = 0;

  // How long wait() lets an operation run before aborting the communicator with an error
  // that names the operation (0: forever).
  virtual void set_timeout(std::chrono::milliseconds timeout) = 0;

  // Host algorithm knobs. A device backend accepts only the default AlgoConfig (its
  // algorithms come from NCCL's environment and tuner) and throws for any other.
  virtual void set_algo_config(const AlgoConfig&) {}

  // Observers (op_observer.h), from any thread. remove_observer takes effect for
  // operations that start after it; one in flight may still report its end.
  void add_observer(std::shared_ptr<OpObserver> observer) { log_.add(std::move(observer)); }
  void remove_observer(const OpObserver* observer) { log_.remove(observer); }
  // Delivers the ends of operations found complete since the last look (device
  // backends; host backends deliver them as they complete).
  void poll_observers() { do_poll_observers(); }

 protected:
  // Rooted and point-to-point operations may rely on the checks above; every do_ call
  // ends its trace (OpTrace::finish) exactly once when it is non-empty, also on failure.
  virtual Request do_all_reduce(const void* send, void* recv, std::size_t count, DataType dt,
                                ReduceOp op, Stream stream, OpTrace trace) = 0;
  virtual Request do_reduce_scatter(const void* send, void* recv, std::size_t recv_count,
                                    DataType dt, ReduceOp op, Stream stream, OpTrace trace) = 0;
  virtual Request do_all_gather(const void* send, void* recv, std::size_t send_count,
                                DataType dt, Stream stream, OpTrace trace) = 0;
  virtual Request do_broadcast(const void* send, void* recv, std::size_t count, DataType dt,
                               int root, Stream stream, OpTrace trace) = 0;
  virtual Request do_reduce(const void* send, void* recv, std::size_t count, DataType dt,
                            ReduceOp op, int root, Stream stream, OpTrace trace) = 0;
  virtual Request do_alltoall(const void* send, void* recv, std::size_t count, DataType dt,
                              Stream stream, OpTrace trace) = 0;
  // One implementation for send (recv_count 0, from -1), recv (send_count 0, to -1) and
  // send_recv.
  virtual Request do_send_recv(const void* send_buf, std::size_t send_count, int to,
                               void* recv_buf, std::size_t recv_count, int from, DataType dt,
                               Stream stream, OpTrace trace) = 0;
  virtual Request do_barrier(Stream stream, OpTrace trace) = 0;
  virtual void do_poll_observers() {}
  // Whether the backend can reduce `dt` with `op` (checked before every reduction).
  virtual bool can_reduce(ReduceOp, DataType) const { return true; }
  // Whether send, recv and send_recv may name this rank as the peer.
  virtual bool sends_to_self() const { return true; }

 private:
  // Runs one checked operation under the observers' eyes.
  template <typename Run>
  Request observed(OpRecord record, Run&& run);
  detail::OpLog log_;
};

}  // namespace cairn::coll
