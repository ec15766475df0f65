#include "collectives/backends/nccl/nccl_communicator.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <atomic>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "collectives/backends/nccl/nccl_config.h"
#include "collectives/backends/process_liveness.h"
#include "common/error.h"
#include "probe/cuda_devices.h"

namespace cairn::coll {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

ncclDataType_t nccl_type(DataType dt) {
  switch (dt) {
    case DataType::f32: return ncclFloat32;
    case DataType::f16: return ncclFloat16;
    case DataType::bf16: return ncclBfloat16;
    case DataType::f64: return ncclFloat64;
    case DataType::i32: return ncclInt32;
    case DataType::i64: return ncclInt64;
    case DataType::u8: return ncclUint8;
  }
  throw Error("unknown data type for NCCL");
}

ncclRedOp_t nccl_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return ncclSum;
    case ReduceOp::prod: return ncclProd;
    case ReduceOp::max: return ncclMax;
    case ReduceOp::min: return ncclMin;
    case ReduceOp::avg: return ncclAvg;
  }
  throw Error("unknown reduction for NCCL");
}

#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 28, 0)
// Built against 2.28 headers but possibly run on an older libnccl.so.2 (the soname does
// not change with minor versions): a weak reference, and ask the loaded library.
#pragma weak ncclAlltoAll
const bool kHaveAlltoAll = [] {
  int v = 0;
  return &ncclAlltoAll != nullptr && ncclGetVersion(&v) == ncclSuccess && v >= NCCL_VERSION(2, 28, 0);
}();
#endif

std::string seconds_text(milliseconds ms) { return fmt::format("{:g} s", static_cast<double>(ms.count()) / 1000.0); }

void check_cuda(cudaError_t e, const std::string& what) {
  if (e != cudaSuccess) throw Error(fmt::format("{}: {}", what, cudaGetErrorString(e)));
}

// Polls with a short spin first (a collective of a few KiB finishes in microseconds and a
// benchmark measures that), then backs off so a hung peer does not burn a core.
class Backoff {
 public:
  void pause() {
    if (Clock::now() - start_ < milliseconds(100))
      std::this_thread::yield();
    else
      std::this_thread::sleep_for(std::chrono::microseconds(200));
  }

 private:
  Clock::time_point start_ = Clock::now();
};

// What the communicator and its in-flight requests share. The mutex guards `comm` and is
// held only around NCCL calls that return at once (ncclCommGetAsyncError,
// ncclGetLastError): abort() may come from any thread (a watchdog) while another thread
// is blocked inside an enqueue, a split or a finalize, so those run outside the lock on
// a copy of the handle, and abort() takes the handle out under the lock and calls
// ncclCommAbort outside it, which sets NCCL's abort flag and so ends the blocked call
// (as PyTorch's watchdog does). The blocked call then finds the handle gone and throws
// the abort's reason. What this cannot guard is a call that copied the handle an instant
// before abort() freed it; NCCL's own abort flag is the only protection there, as for
// any caller of ncclCommAbort from another thread.
class NcclState {
 public:
  NcclState(ncclComm_t comm, int rank, int size, int device, bool blocking, std::shared_ptr<detail::LocalPeerWatch> peers,
            NcclOptions options)
      : comm_(comm), rank_(rank), size_(size), device_(device), blocking_(blocking), peers_(std::move(peers)),
        options_(std::move(options)) {}

  // Options children of split() are made with (their netName points into this copy).
  const NcclOptions& options() const { return options_; }

  int rank() const { return rank_; }
  int size() const { return size_; }
  int device() const { return device_; }
  bool blocking() const { return blocking_; }
  int library_version() const { return library_version_; }
  milliseconds timeout() const { return milliseconds(timeout_ms_.load()); }
  void set_timeout(milliseconds t) { timeout_ms_.store(t.count()); }

  // Runs f(comm) (an NCCL call or a group of them) and waits until NCCL has enqueued it:
  // a non-blocking communicator may answer ncclInProgress, and no further call may be
  // made on it until ncclCommGetAsyncError says ncclSuccess.
  // f runs outside the lock: a blocking communicator's call may wait in NCCL's host code
  // for a peer, and abort() must not wait behind it.
  template <typename F>
  void call(const std::string& what, F&& f) {
    std::lock_guard<std::mutex> serial(call_mu_);
    ncclComm_t comm = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ensure_alive(what);
      comm = comm_;
    }
    set_device(what);
    const ncclResult_t r = f(comm);
    if (r != ncclSuccess && r != ncclInProgress) {
      std::lock_guard<std::mutex> lock(mu_);
      ensure_alive(what);  // aborted meanwhile: the abort's reason, not NCCL's code for it
      fail_locked(what, r);
    }
    if (r == ncclInProgress) wait_ready(what, Clock::now());
  }

  // Polls the communicator's asynchronous state until it leaves ncclInProgress; aborts
  // on an error or once the timeout (counted from `since`) passes.
  void wait_ready(const std::string& what, Clock::time_point since) {
    Backoff backoff;
    for (;;) {
      if (poll_async(what) == ncclSuccess) return;
      check_deadline(what, since);
      backoff.pause();
    }
  }

  // Before the communicator is handed out (no request reads it yet).
  void watch(std::shared_ptr<detail::LocalPeerWatch> peers) { peers_ = std::move(peers); }

  // One look at the asynchronous state; throws (after aborting) on an error.
  ncclResult_t poll_async(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    ensure_alive(what);
    ncclResult_t state = ncclSuccess;
    const ncclResult_t r = ncclCommGetAsyncError(comm_, &state);
    if (r != ncclSuccess) fail_locked(what, r);
    if (state != ncclSuccess && state != ncclInProgress) fail_locked(what, state);
    return state;
  }

  // Aborts (and throws) once a watched peer's process has exited.
  void check_peers(const std::string& what) {
    const auto lost = peers_ ? peers_->lost() : std::nullopt;
    if (!lost) return;
    const std::string message = fmt::format("NCCL {} on rank {} of {} (device {}) failed: {}; aborted the communicator",
                                            what, rank_, size_, device_, lost->second);
    abort(message);
    throw Error(message);
  }

  // Called between polls of a waiting operation: check_peers(), then aborts (and throws)
  // once the timeout, counted from `since`, has passed.
  void check_deadline(const std::string& what, Clock::time_point since) {
    check_peers(what);
    const milliseconds limit = timeout();
    if (limit.count() <= 0 || Clock::now() - since < limit) return;
    // A rank of this host that is stopped is the one to blame; else nobody can tell here.
    const auto stopped = peers_ ? peers_->stopped() : std::nullopt;
    const std::string message = fmt::format(
        "NCCL {} on rank {} of {} (device {}) did not complete within {}; aborted the communicator ({})", what,
        rank_, size_, device_, seconds_text(limit),
        stopped ? stopped->second : "a peer rank may have died or stalled: check the other ranks' output");
    abort(message);
    throw Error(message);
  }

  // A completion event, reused: creating one per operation costs microseconds that a
  // small collective's benchmark would count. Timing events (for observers) come from
  // their own pool.
  cudaEvent_t take_event(bool timing = false) {
    auto& pool = timing ? timing_events_ : events_;
    {
      std::lock_guard<std::mutex> lock(events_mu_);
      if (!pool.empty()) {
        cudaEvent_t e = pool.back();
        pool.pop_back();
        return e;
      }
    }
    cudaEvent_t e{};
    check_cuda(cudaEventCreateWithFlags(&e, timing ? cudaEventDefault : cudaEventDisableTiming), "cudaEventCreate");
    return e;
  }
  void give_event(cudaEvent_t e, bool timing = false) {
    std::lock_guard<std::mutex> lock(events_mu_);
    (timing ? timing_events_ : events_).push_back(e);
  }
  ~NcclState() {
    for (cudaEvent_t e : events_) cudaEventDestroy(e);
    for (cudaEvent_t e : timing_events_) cudaEventDestroy(e);
  }

  // An observed operation, between its two timing events on the stream.
  void track(OpTrace trace, cudaEvent_t start, cudaEvent_t end) {
    std::lock_guard<std::mutex> lock(traces_mu_);
    traces_.push_back({std::move(trace), start, end});
    tracked_.store(traces_.size(), std::memory_order_release);
  }

  // Ends the observed operations whose end event has completed, oldest first (stopping
  // at the first that has not): no host synchronisation, only cudaEventQuery. With
  // `all`, the rest end too, as failed (the communicator is going away).
  void finish_traces(bool all = false) {
    if (tracked_.load(std::memory_order_acquire) == 0) return;  // nobody observes: no lock taken
    std::vector<std::pair<Traced, double>> done;  // the event's GPU time, -1 if unknown
    {
      std::lock_guard<std::mutex> lock(traces_mu_);
      while (!traces_.empty()) {
        Traced& t = traces_.front();
        const cudaError_t q = cudaEventQuery(t.end);
        if (q == cudaErrorNotReady && !all) break;
        float ms = -1;
        if (q != cudaSuccess || cudaEventElapsedTime(&ms, t.start, t.end) != cudaSuccess) ms = -1;
        done.emplace_back(std::move(t), ms < 0 ? -1.0 : double(ms) * 1000.0);
        traces_.pop_front();
      }
      tracked_.store(traces_.size(), std::memory_order_release);
    }
    if (done.empty()) return;
    const bool gone = aborted();
    const auto now = Clock::now();
    for (auto& [t, us] : done) {
      t.trace.finish(now, gone || us < 0, us);
      give_event(t.start, true);
      give_event(t.end, true);
    }
  }

  // Throws if the communicator is gone, naming why.
  void ensure_alive(const std::string& what) const {
    if (!comm_) throw Error(fmt::format("NCCL {} on rank {}: the communicator was aborted: {}", what, rank_, reason_));
  }

  bool aborted() {
    std::lock_guard<std::mutex> lock(mu_);
    return comm_ == nullptr;
  }

  // Never waits behind a blocked operation (see the class comment).
  void abort(const std::string& reason) {
    ncclComm_t comm = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      comm = take_locked(reason);
    }
    abort_comm(comm);
  }

  // Finalizes and destroys the communicator (flushing what is in flight); aborts it
  // instead if that fails or takes longer than the timeout (a minute when none is set).
  void destroy() {
    std::lock_guard<std::mutex> serial(call_mu_);
    ncclComm_t comm = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      comm = comm_;
    }
    if (!comm) return;
    cudaSetDevice(device_);
    // Outside the lock: finalizing a blocking communicator flushes what is in flight.
    const ncclResult_t r = ncclCommFinalize(comm);
    std::unique_lock<std::mutex> lock(mu_);
    if (!comm_) return;
    const auto since = Clock::now();
    const milliseconds limit = timeout().count() > 0 ? timeout() : milliseconds(60000);
    Backoff backoff;
    while (r == ncclSuccess || r == ncclInProgress) {
      ncclResult_t state = ncclSuccess;
      if (ncclCommGetAsyncError(comm_, &state) != ncclSuccess) break;
      if (state == ncclSuccess) {
        ncclCommDestroy(comm_);
        comm_ = nullptr;
        reason_ = "it was destroyed";
        return;
      }
      if (state != ncclInProgress || Clock::now() - since > limit) break;
      lock.unlock();  // a watchdog's abort() may come in meanwhile
      backoff.pause();
      lock.lock();
      if (!comm_) return;
    }
    comm = take_locked("finalizing it failed or timed out");
    lock.unlock();
    abort_comm(comm);
  }

  // Throws if the communicator was aborted (under the lock).
  void check_alive(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    ensure_alive(what);
  }

 private:
  struct Traced {
    OpTrace trace;
    cudaEvent_t start, end;
  };

  // Takes the handle out (under the lock), so that every later call finds it gone and
  // names `reason`; null if it already was.
  ncclComm_t take_locked(const std::string& reason) {
    ncclComm_t comm = comm_;
    if (comm) {
      comm_ = nullptr;
      reason_ = reason;
    }
    return comm;
  }

  // Blocking even for a non-blocking communicator (NCCL turns the group blocking when a
  // communicator is being destroyed); it also stops kernels waiting on a lost peer and
  // host code blocked in the communicator.
  void abort_comm(ncclComm_t comm) {
    if (!comm) return;
    cudaSetDevice(device_);
    ncclCommAbort(comm);
  }

  // With mu_ held by the caller's lock_guard: builds the error text, takes the handle
  // out, drops mu_ around ncclCommAbort (which may take a while) and takes it back for
  // the guard to release; throws.
  [[noreturn]] void fail_locked(const std::string& what, ncclResult_t r) {
    const char* detail = comm_ ? ncclGetLastError(comm_) : "";
    const std::string message =
        fmt::format("NCCL {} on rank {} of {} (device {}) failed: {}{}{}; aborted the communicator", what, rank_, size_,
                    device_, ncclGetErrorString(r), detail && *detail ? ": " : "", detail ? detail : "");
    ncclComm_t comm = take_locked(message);
    mu_.unlock();
    abort_comm(comm);
    mu_.lock();  // the caller's guard unlocks it
    throw Error(message);
  }

  // cudaSetDevice only when the calling thread is on another device (it is not free).
  void set_device(const std::string& what) const {
    int current = -1;
    if (cudaGetDevice(&current) == cudaSuccess && current == device_) return;
    check_cuda(cudaSetDevice(device_), fmt::format("NCCL {} on rank {}: cudaSetDevice({})", what, rank_, device_));
  }

  std::mutex mu_;
  // Serialises the calls that may block (enqueues, splits, finalize), as NCCL allows one
  // call at a time on a communicator; abort() never takes it.
  std::mutex call_mu_;
  std::mutex events_mu_;
  std::vector<cudaEvent_t> events_, timing_events_;
  std::mutex traces_mu_;
  std::deque<Traced> traces_;
  std::atomic<std::size_t> tracked_{0};  // traces_.size(), readable without the lock
  ncclComm_t comm_;
  std::string reason_;
  const int rank_, size_, device_;
  const bool blocking_;
  std::shared_ptr<detail::LocalPeerWatch> peers_;  // null: no peers watched (split children)
  const NcclOptions options_;
  const int library_version_ = nccl_library_version();
  std::atomic<long long> timeout_ms_{0};
};

// Completion of one operation: an event recorded on its stream after it, polled together
// with the communicator's asynchronous error state.
class NcclRequest final : public Request::Impl {
 public:
  NcclRequest(std::shared_ptr<NcclState> state, std::string what, cudaStream_t stream)
      : state_(std::move(state)), what_(std::move(what)), start_(Clock::now()), event_(state_->take_event()) {
    const cudaError_t e = cudaEventRecord(event_, stream);
    if (e != cudaSuccess) {
      state_->give_event(event_);
      throw Error(fmt::format("NCCL {}: cudaEventRecord on its stream: {}", what_, cudaGetErrorString(e)));
    }
  }
  ~NcclRequest() override { state_->give_event(event_); }

  bool test() override { return poll(); }

  void wait() override {
    Backoff backoff;
    while (!poll()) {
      state_->check_deadline(what_, start_);
      backoff.pause();
    }
  }

 private:
  bool poll() {
    if (done_) return true;
    const cudaError_t q = cudaEventQuery(event_);
    state_->finish_traces();  // observed operations that have ended meanwhile, this one too
    if (q == cudaSuccess) {
      // An aborted communicator's kernels also end, early and with partial data.
      state_->check_alive(what_);
      done_ = true;
      return true;
    }
    if (q != cudaErrorNotReady) {
      const std::string message =
          fmt::format("NCCL {} on rank {}: CUDA error while waiting: {}; aborted the communicator", what_,
                      state_->rank(), cudaGetErrorString(q));
      state_->abort(message);
      throw Error(message);
    }
    state_->poll_async(what_);
    state_->check_peers(what_);
    return false;
  }

  std::shared_ptr<NcclState> state_;
  std::string what_;
  Clock::time_point start_;
  cudaEvent_t event_{};
  bool done_ = false;
};

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(ncclComm_t comm, int rank, int size, int device, bool blocking, std::shared_ptr<detail::LocalPeerWatch> peers,
                   NcclOptions options)
      : state_(std::make_shared<NcclState>(comm, rank, size, device, blocking, std::move(peers), std::move(options))) {
    check_cuda(cudaSetDevice(device), "cudaSetDevice");
    check_cuda(cudaMalloc(&barrier_buf_, sizeof(float)), "cudaMalloc for the barrier");
    check_cuda(cudaMemset(barrier_buf_, 0, sizeof(float)), "cudaMemset for the barrier");
  }
  ~NcclCommunicator() override {
    state_->destroy();
    state_->finish_traces(true);  // while the observers' log (in Communicator) still lives
    cudaFree(barrier_buf_);
  }

  int rank() const override { return state_->rank(); }
  int size() const override { return state_->size(); }
  std::string_view backend() const override { return "nccl"; }
  MemoryKind memory() const override { return MemoryKind::device; }

  // NCCL takes its algorithm, protocol and channel count from the environment and the
  // tuner plugin when the communicator is made; nothing can change them per call.
  void set_algo_config(const AlgoConfig& c) override {
    const AlgoConfig d;
    if (c.algorithm == d.algorithm && c.chunk_bytes == d.chunk_bytes && c.pipeline_depth == d.pipeline_depth &&
        c.channels == d.channels)
      return;
    throw Error(fmt::format(
        "set_algo_config: the NCCL backend cannot apply algorithm {} (chunk {} B, depth {}, channels {}): NCCL takes its "
        "algorithm, protocol and channels from NCCL_ALGO, NCCL_PROTO, NCCL_MIN_NCHANNELS/NCCL_MAX_NCHANNELS (or "
        "NcclOptions min_ctas/max_ctas) and the tuner plugin when the communicator is created; set those instead",
        to_string(c.algorithm), c.chunk_bytes, c.pipeline_depth, c.channels));
  }

 protected:
  // ncclAvg and bfloat16 came with NCCL 2.10; the loaded library may be older than the
  // headers this was built with.
  bool can_reduce(ReduceOp op, DataType dt) const override {
    return (op != ReduceOp::avg && dt != DataType::bf16) || state_->library_version() >= NCCL_VERSION(2, 10, 0);
  }

  // The arguments were checked by Communicator (argcheck.h).
  Request do_all_reduce(const void* send, void* recv, std::size_t count, DataType dt, ReduceOp op, Stream stream,
                        OpTrace trace) override {
    return enqueue(describe("all_reduce", count, dt), stream, std::move(trace), [&](ncclComm_t c) {
      return ncclAllReduce(send, recv, count, nccl_type(dt), nccl_op(op), c, cuda(stream));
    });
  }

  Request do_reduce_scatter(const void* send, void* recv, std::size_t recv_count, DataType dt, ReduceOp op, Stream stream,
                            OpTrace trace) override {
    return enqueue(describe("reduce_scatter", recv_count, dt), stream, std::move(trace), [&](ncclComm_t c) {
      return ncclReduceScatter(send, recv, recv_count, nccl_type(dt), nccl_op(op), c, cuda(stream));
    });
  }

  Request do_all_gather(const void* send, void* recv, std::size_t send_count, DataType dt, Stream stream,
                        OpTrace trace) override {
    return enqueue(describe("all_gather", send_count, dt), stream, std::move(trace), [&](ncclComm_t c) {
      return ncclAllGather(send, recv, send_count, nccl_type(dt), c, cuda(stream));
    });
  }

  Request do_broadcast(const void* send, void* recv, std::size_t count, DataType dt, int root, Stream stream,
                       OpTrace trace) override {
    return enqueue(describe("broadcast", count, dt), stream, std::move(trace), [&](ncclComm_t c) {
      return ncclBroadcast(send, recv, count, nccl_type(dt), root, c, cuda(stream));
    });
  }

  Request do_reduce(const void* send, void* recv, std::size_t count, DataType dt, ReduceOp op, int root, Stream stream,
                    OpTrace trace) override {
    return enqueue(describe("reduce", count, dt), stream, std::move(trace), [&](ncclComm_t c) {
      return ncclReduce(send, recv, count, nccl_type(dt), nccl_op(op), root, c, cuda(stream));
    });
  }

  // ncclAlltoAll where the loaded NCCL has it (2.28 on): NCCL picks the transfer itself
  // (on one rank a copy-engine copy: 92 us for 128 MiB on an H100, against 108 us for a
  // send/recv pair through NCCL's kernel). Before 2.28, grouped sends and receives, one
  // pair per peer (what nccl-tests' alltoall does there). In place, a receive into block
  // j would race the send of block j, so the send side is first copied to stream-ordered
  // scratch memory.
  Request do_alltoall(const void* send, void* recv, std::size_t count, DataType dt, Stream stream, OpTrace trace) override {
    const std::size_t block = count * dtype_size(dt);
    const auto n = static_cast<std::size_t>(size());
    void* scratch = nullptr;
    if (send == recv && count > 0) {
      check_cuda(cudaSetDevice(state_->device()), "cudaSetDevice");
      check_cuda(cudaMallocAsync(&scratch, block * n, cuda(stream)), "cudaMallocAsync for in-place alltoall");
      check_cuda(cudaMemcpyAsync(scratch, send, block * n, cudaMemcpyDeviceToDevice, cuda(stream)),
                 "cudaMemcpyAsync for in-place alltoall");
      send = scratch;
    }
    Request req = enqueue(describe("alltoall", count, dt), stream, std::move(trace), [&](ncclComm_t c) {
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 28, 0)
      if (kHaveAlltoAll) return ncclAlltoAll(send, recv, count, nccl_type(dt), c, cuda(stream));
#endif
      ncclResult_t r = ncclGroupStart();
      for (std::size_t peer = 0; peer < n && r == ncclSuccess; ++peer) {
        r = ncclSend(static_cast<const char*>(send) + peer * block, count, nccl_type(dt), static_cast<int>(peer), c,
                     cuda(stream));
        if (r == ncclSuccess)
          r = ncclRecv(static_cast<char*>(recv) + peer * block, count, nccl_type(dt), static_cast<int>(peer), c,
                       cuda(stream));
      }
      const ncclResult_t end = ncclGroupEnd();
      return r != ncclSuccess ? r : end;
    });
    if (scratch) check_cuda(cudaFreeAsync(scratch, cuda(stream)), "cudaFreeAsync for in-place alltoall");
    return req;
  }

  // send (from -1), recv (to -1), or both in one group so that they progress together.
  // In place (one buffer for both), the send side is staged like alltoall's.
  Request do_send_recv(const void* send_buf, std::size_t send_count, int to, void* recv_buf, std::size_t recv_count,
                       int from, DataType dt, Stream stream, OpTrace trace) override {
    if (from < 0)
      return enqueue(describe("send", send_count, dt) + fmt::format(" to rank {}", to), stream, std::move(trace),
                     [&](ncclComm_t c) { return ncclSend(send_buf, send_count, nccl_type(dt), to, c, cuda(stream)); });
    if (to < 0)
      return enqueue(describe("recv", recv_count, dt) + fmt::format(" from rank {}", from), stream, std::move(trace),
                     [&](ncclComm_t c) { return ncclRecv(recv_buf, recv_count, nccl_type(dt), from, c, cuda(stream)); });
    void* scratch = nullptr;
    const std::size_t send_bytes = send_count * dtype_size(dt);
    if (send_buf == recv_buf && send_count > 0) {
      check_cuda(cudaSetDevice(state_->device()), "cudaSetDevice");
      check_cuda(cudaMallocAsync(&scratch, send_bytes, cuda(stream)), "cudaMallocAsync for in-place send_recv");
      check_cuda(cudaMemcpyAsync(scratch, send_buf, send_bytes, cudaMemcpyDeviceToDevice, cuda(stream)),
                 "cudaMemcpyAsync for in-place send_recv");
      send_buf = scratch;
    }
    const std::string what = describe("send_recv", send_count, dt) + fmt::format(" to rank {} from rank {}", to, from);
    Request req = enqueue(what, stream, std::move(trace), [&](ncclComm_t c) {
      ncclResult_t r = ncclGroupStart();
      if (r == ncclSuccess) r = ncclSend(send_buf, send_count, nccl_type(dt), to, c, cuda(stream));
      if (r == ncclSuccess) r = ncclRecv(recv_buf, recv_count, nccl_type(dt), from, c, cuda(stream));
      const ncclResult_t end = ncclGroupEnd();
      return r != ncclSuccess ? r : end;
    });
    if (scratch) check_cuda(cudaFreeAsync(scratch, cuda(stream)), "cudaFreeAsync for in-place send_recv");
    return req;
  }

  // A one-element all_reduce: completes on a rank only once every rank has entered it.
  Request do_barrier(Stream stream, OpTrace trace) override {
    return enqueue("barrier", stream, std::move(trace), [&](ncclComm_t c) {
      return ncclAllReduce(barrier_buf_, barrier_buf_, 1, ncclFloat32, ncclSum, c, cuda(stream));
    });
  }

  void do_poll_observers() override { state_->finish_traces(); }

 public:
  // The child watches no peers: its ranks are numbered anew, by NCCL.
  std::unique_ptr<Communicator> split(int color, int key) override {
    return split_as(color, key, state_->blocking(), nullptr);
  }

  // split() with the child's mode chosen: a blocking child's split blocks this thread
  // until every member has joined (NCCL runs a group in the mode of the communicator it
  // creates); a non-blocking one is polled and aborted after the timeout. `peers`: what
  // the child watches (its rank numbers).
  std::unique_ptr<Communicator> split_as(int color, int key, bool blocking, std::shared_ptr<detail::LocalPeerWatch> peers) {
    const std::string what = fmt::format("split (color {}, key {})", color, key);
    const auto since = Clock::now();
    ncclComm_t child = nullptr;
    ncclConfig_t config = detail::make_nccl_config(state_->options(), blocking);
    // The child is written by NCCL's own thread once the split completes; the parent's
    // asynchronous state turns from ncclInProgress to the result at that point.
    state_->call(what, [&](ncclComm_t c) {
      return ncclCommSplit(c, color < 0 ? NCCL_SPLIT_NOCOLOR : color, key, &child, &config);
    });
    state_->wait_ready(what, since);
    if (color < 0) return nullptr;
    if (!child) throw Error(fmt::format("NCCL {} on rank {} returned no communicator", what, rank()));
    return std::make_unique<NcclCommunicator>(child, -1, -1, state_->device(), blocking, std::move(peers),
                                              state_->options(), state_->timeout(), what, since, state_->timeout());
  }

  void abort(const std::string& reason) override { state_->abort(reason); }

  void watch(std::shared_ptr<detail::LocalPeerWatch> peers) { state_->watch(std::move(peers)); }

  void set_timeout(milliseconds timeout) override { state_->set_timeout(timeout); }

  // A communicator around a new (initialising) NCCL communicator: waits until it is
  // ready, aborting it after `ready_timeout`, then applies `op_timeout`; rank and size of
  // -1 are read from NCCL. If the wait throws, the destructor runs (the delegated
  // constructor has completed) and frees what it allocated.
  NcclCommunicator(ncclComm_t comm, int rank, int size, int device, bool blocking, std::shared_ptr<detail::LocalPeerWatch> peers,
                   NcclOptions options, milliseconds ready_timeout, const std::string& what, Clock::time_point since,
                   milliseconds op_timeout)
      : NcclCommunicator(comm, rank < 0 ? user_rank(comm) : rank, size < 0 ? count(comm) : size, device, blocking,
                         std::move(peers), std::move(options)) {
    state_->set_timeout(ready_timeout);
    state_->wait_ready(what, since);
    state_->set_timeout(op_timeout);
  }

 private:
  static cudaStream_t cuda(Stream s) { return static_cast<cudaStream_t>(s); }

  static int user_rank(ncclComm_t c) {
    int r = -1;
    ncclCommUserRank(c, &r);
    return r;
  }
  static int count(ncclComm_t c) {
    int n = -1;
    ncclCommCount(c, &n);
    return n;
  }

  static std::string describe(const char* op, std::size_t count, DataType dt) {
    return fmt::format("{} of {} x {}", op, count, to_string(dt));
  }

  // An observed operation gets timing events on its stream before and after the NCCL
  // call (ending it is finish_traces' job). Every enqueue first ends the observed
  // operations that have completed, so that observers hear of them without a poll.
  template <typename F>
  Request enqueue(const std::string& what, Stream stream, OpTrace trace, F&& f) {
    if (!trace) {
      state_->call(what, std::forward<F>(f));
      return Request(std::make_shared<NcclRequest>(state_, what, cuda(stream)));
    }
    state_->finish_traces();
    cudaEvent_t start = state_->take_event(true), end = state_->take_event(true);
    try {
      check_cuda(cudaEventRecord(start, cuda(stream)), fmt::format("NCCL {}: cudaEventRecord on its stream", what));
      state_->call(what, std::forward<F>(f));
      check_cuda(cudaEventRecord(end, cuda(stream)), fmt::format("NCCL {}: cudaEventRecord on its stream", what));
    } catch (...) {
      state_->give_event(start, true);
      state_->give_event(end, true);
      throw;  // Communicator ends the trace as failed
    }
    // Before the request's own event, so that a completed request has its end ready.
    state_->track(std::move(trace), start, end);
    return Request(std::make_shared<NcclRequest>(state_, what, cuda(stream)));
  }

  std::shared_ptr<NcclState> state_;
  void* barrier_buf_ = nullptr;
};

// The other ranks registered under `host_key` (this host), read once every rank has
// joined the communicator.
detail::LocalPeerWatch::Peers local_peers(Store& store, const std::string& host_key, int rank) {
  detail::LocalPeerWatch::Peers peers;
  const std::int64_t registered = store.add(host_key, 0);
  for (std::int64_t slot = 1; slot <= registered; ++slot) {
    const std::string key = fmt::format("{}/{}", host_key, slot);
    const std::string value = store.get(key);
    const auto space = value.find(' ');
    int peer = -1;
    try {
      peer = std::stoi(value.substr(0, space));
    } catch (const std::exception&) {
      throw Error(fmt::format("store key '{}' holds no rank ('{}'): another job may share this store", key, value));
    }
    if (peer != rank) peers.emplace_back(peer, detail::parse_process_identity(value.substr(space + 1), "store key '" + key + "'"));
  }
  return peers;
}

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator(Store& store, int rank, int size, int device,
                                                     const NcclOptions& options) {
  detail::validate_nccl_options(options);
  if (size < 1 || rank < 0 || rank >= size)
    throw Error(fmt::format("NCCL communicator: rank {} is not within a world of {} ranks", rank, size));
  const int devices = probe::visible_cuda_device_count();
  if (devices == 0)
    throw Error("NCCL communicator: no CUDA device is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES)");
  if (device < 0 || device >= devices)
    throw Error(fmt::format("NCCL communicator: rank {} asked for CUDA device {} but {} are visible; check LOCAL_RANK "
                            "and CUDA_VISIBLE_DEVICES",
                            rank, device, devices));
  check_cuda(cudaSetDevice(device), fmt::format("rank {}: cudaSetDevice({})", rank, device));

  // Every rank takes a ticket; the ids of successive communicators are keyed by the
  // generation (ticket - 1) / size, so a second communicator never reads a stale id.
  const std::int64_t ticket = store.add(options.store_prefix + "/joined", 1);
  const std::string key = fmt::format("{}/uid/{}", options.store_prefix, (ticket - 1) / size);
  ncclUniqueId id;
  if (rank == 0) {
    const ncclResult_t r = ncclGetUniqueId(&id);
    if (r != ncclSuccess)
      throw Error(fmt::format("ncclGetUniqueId on rank 0 failed: {} (check NCCL_SOCKET_IFNAME and the network)",
                              ncclGetErrorString(r)));
    store.set(key, std::string(reinterpret_cast<const char*>(&id), sizeof id));
  } else {
    const std::string bytes = store.get(key);
    if (bytes.size() != sizeof id)
      throw Error(fmt::format("the NCCL unique id under store key '{}' has {} bytes, not {}; another job may share "
                              "this store",
                              key, bytes.size(), sizeof id));
    std::memcpy(&id, bytes.data(), sizeof id);
  }

  // This rank's process, listed under its host, for the peers on the host to watch.
  const detail::ProcessIdentity me = detail::this_process();
  const std::string host_key = fmt::format("{}/host/{}/{}", options.store_prefix, (ticket - 1) / size, me.host);
  const std::int64_t slot = store.add(host_key, 1);
  store.set(fmt::format("{}/{}", host_key, slot), fmt::format("{} {}", rank, detail::to_string(me)));

  // Non-blocking: init returns at once and can be aborted (NCCL fault tolerance).
  ncclConfig_t config = detail::make_nccl_config(options, false);
  ncclComm_t comm = nullptr;
  const auto since = Clock::now();
  const ncclResult_t r = ncclCommInitRankConfig(&comm, size, id, rank, &config);
  if (r != ncclSuccess && r != ncclInProgress) {
    if (comm) ncclCommAbort(comm);
    throw Error(fmt::format("ncclCommInitRankConfig on rank {} of {} (device {}) failed: {}", rank, size, device,
                            ncclGetErrorString(r)));
  }
  const std::string what = fmt::format("init of {} ranks", size);
  auto joined = std::make_unique<NcclCommunicator>(comm, rank, size, device, false, nullptr, options, options.init_timeout,
                                                   what, since, milliseconds(0));
  // Every rank has registered its process before joining, and the join needs them all.
  auto peers = std::make_shared<detail::LocalPeerWatch>(local_peers(store, host_key, rank));
  if (!options.blocking_operations) {
    joined->watch(std::move(peers));
    return joined;
  }
  // A blocking copy in the same rank order carries the operations, and the non-blocking
  // one that proved the job is finalized.
  return joined->split_as(0, rank, true, std::move(peers));
}

int nccl_library_version() {
  int version = 0;
  ncclGetVersion(&version);
  return version;
}

}  // namespace cairn::coll
