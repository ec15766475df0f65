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

namespace cairn::coll {

enum class DataType { f32, f16, bf16, f64, i32, i64, u8 };
enum class ReduceOp { sum, prod, max, min, avg };
enum class MemoryKind { host, device };

std::size_t dtype_size(DataType t);
std::string_view to_string(DataType t);
std::string_view to_string(ReduceOp op);
// Parse nccl-tests spellings ("float", "half", "bfloat16", "double", "int32", "int64",
// "uint8") and Cairn's ("f32", "f16", "bf16", "f64", "i32", "i64", "u8"). Throws
// cairn::Error listing the valid names.
DataType parse_dtype(std::string_view s);
ReduceOp parse_op(std::string_view s);

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

// Knobs of the host backend's algorithms, swept by the tuner (issue 4). A device
// backend reads its knobs (NCCL_ALGO, NCCL_PROTO, channels) from NCCL itself.
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

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string_view backend() const = 0;  // "ucx", "nccl"
  virtual MemoryKind memory() const = 0;

  virtual Request all_reduce(const void* send, void* recv, std::size_t count, DataType dt,
                             ReduceOp op, Stream stream = nullptr) = 0;
  // recv gets recv_count elements; send holds size() * recv_count.
  virtual Request reduce_scatter(const void* send, void* recv, std::size_t recv_count,
                                 DataType dt, ReduceOp op, Stream stream = nullptr) = 0;
  // send holds send_count elements; recv gets size() * send_count, in rank order.
  virtual Request all_gather(const void* send, void* recv, std::size_t send_count,
                             DataType dt, Stream stream = nullptr) = 0;
  virtual Request broadcast(const void* send, void* recv, std::size_t count, DataType dt,
                            int root, Stream stream = nullptr) = 0;
  virtual Request reduce(const void* send, void* recv, std::size_t count, DataType dt,
                         ReduceOp op, int root, Stream stream = nullptr) = 0;
  // send and recv hold size() blocks of count elements; block j of send goes to rank j.
  virtual Request alltoall(const void* send, void* recv, std::size_t count, DataType dt,
                           Stream stream = nullptr) = 0;
  virtual Request send(const void* buf, std::size_t count, DataType dt, int peer,
                       Stream stream = nullptr) = 0;
  virtual Request recv(void* buf, std::size_t count, DataType dt, int peer,
                       Stream stream = nullptr) = 0;
  // A send to `to` and a receive from `from` that progress together (no deadlock when
  // every rank sends first).
  virtual Request send_recv(const void* send_buf, std::size_t send_count, int to,
                            void* recv_buf, std::size_t recv_count, int from, DataType dt,
                            Stream stream = nullptr) = 0;
  virtual Request barrier(Stream stream = nullptr) = 0;

  // A new communicator of the ranks that pass the same color, ordered by key (then by
  // old rank); color < 0 takes no part and gets nullptr. Collective over this one.
  virtual std::unique_ptr<Communicator> split(int color, int key) = 0;

  // Fails every pending and future operation with `reason`; safe from any thread (the
  // watchdog's). A device backend aborts the NCCL communicator.
  virtual void abort(const std::string& reason) = 0;

  // How long wait() lets an operation run before aborting the communicator with an error
  // that names the operation (0: forever).
  virtual void set_timeout(std::chrono::milliseconds timeout) = 0;

  // Host algorithm knobs (no effect on device backends).
  virtual void set_algo_config(const AlgoConfig&) {}
};

}  // namespace cairn::coll
