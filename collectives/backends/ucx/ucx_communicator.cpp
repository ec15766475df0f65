#include "collectives/backends/ucx/ucx_communicator.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "collectives/backends/ucx/algo_select.h"
#include "collectives/backends/ucx/algorithms.h"
#include "collectives/backends/ucx/op_queue.h"
#include "collectives/backends/ucx/chunk_schedule.h"
#include "collectives/backends/ucx/ucx_transport.h"
#include "collectives/backends/host_reduce.h"
#include "common/env_knobs.h"
#include "common/error.h"

namespace cairn::coll {
namespace {

using detail::Clock;
using detail::CollArgs;
using detail::Op;
using detail::OpFailure;
using detail::OpRun;
using detail::TagLayout;

// A plan of one job that posts its transfers once (point-to-point operations).
class PostOncePlan final : public detail::Plan {
 public:
  explicit PostOncePlan(std::function<void(detail::Links&)> post) : post_(std::move(post)) {}
  int channels() const override { return 1; }
  std::size_t pieces(int) const override { return 1; }
  std::uint32_t steps_per_job() const override { return 1; }
  std::unique_ptr<detail::Job> job(int, std::size_t, std::byte*) override {
    struct Once final : detail::Job {
      explicit Once(const std::function<void(detail::Links&)>& p) : post(p) {}
      bool step(detail::Links& l) override {
        if (posted) return false;
        post(l);
        posted = true;
        return true;
      }
      const std::function<void(detail::Links&)>& post;
      bool posted = false;
    };
    return std::make_unique<Once>(post_);
  }

 private:
  std::function<void(detail::Links&)> post_;
};

// How long the thread running an operation spins on the worker before it sleeps, and a
// waiter on another thread's progress before it sleeps: CAIRN_UCX_SPIN_US, else not at
// all when the ranks on this host outnumber its CPUs (a spinning rank holds the CPU a
// peer needs to answer: with two busy threads a rank, 2 ranks on 2 CPUs took 115 us for
// a 1 KiB all_reduce, 11-18 us without spinning; bench_ucx_vs_mpi), else the IdlePolicy
// default.
std::chrono::microseconds spin_time(bool oversubscribed) {
  if (auto us = env::integer("CAIRN_UCX_SPIN_US")) return std::chrono::microseconds(*us);
  return oversubscribed ? std::chrono::microseconds(0) : detail::IdlePolicy{}.spin;
}

constexpr std::chrono::milliseconds kCloseTimeout{60000};
// How long an oversubscribed rank yields before it sleeps (IdlePolicy::yield): longer
// than a step of a large all_reduce takes when its peers share the CPUs, short enough
// that a rank idle between operations stops polling within a few milliseconds.
constexpr std::chrono::microseconds kOversubscribedYield{5000};

class UcxCommunicator final : public Communicator, private detail::OpQueue::Executor {
 public:
  UcxCommunicator(Store& store, int rank, int size, std::string key_prefix)
      : store_(store), prefix_(std::move(key_prefix)), rank_(rank), size_(size),
        transport_(std::make_unique<detail::UcxTransport>(store, prefix_, rank, size)),
        send_seq_(std::size_t(size), 0), recv_seq_(std::size_t(size), 0) {
    const bool oversubscribed = transport_->oversubscribed();
    idle_.spin = spin_time(oversubscribed);
    idle_.yield = oversubscribed ? kOversubscribedYield : std::chrono::microseconds(0);
    queue_ = std::make_shared<detail::OpQueue>(idle_.spin);
    queue_->attach(this);
    thread_ = std::thread([this] {
      queue_->progress_loop(*this);
      transport_->close(!transport_->abort_reason(), std::chrono::milliseconds(2000));
    });
  }

  ~UcxCommunicator() override {
    std::shared_ptr<detail::OpState> closing;
    {
      std::lock_guard lock(mu_);
      if (!transport_->abort_reason()) {
        // Closing is collective: once every rank is here, no endpoint carries anything a
        // peer still needs, and their disconnection is not an error.
        Op op = make_op("close");
        op.timeout = timeout_.count() > 0 ? timeout_ : kCloseTimeout;
        op.quiet = true;
        op.seq = coll_seq_++;
        const int rank = rank_, size = size_;
        op.body = [rank, size](OpRun& run) {
          auto plan = detail::dissemination_barrier(rank, size);
          detail::run_plan(run, *plan);
        };
        closing = op.state;
        queue_->post(std::move(op));
      }
    }
    if (closing) {
      try {
        closing->wait();
      } catch (const Error&) {
        // Reported to nobody: the operations before it have reported their failures.
      }
    }
    queue_->close();
    thread_.join();
    queue_->detach();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string_view backend() const override { return "ucx"; }
  MemoryKind memory() const override { return MemoryKind::host; }

  // The arguments were checked by Communicator (argcheck.h).
  Request do_all_reduce(const void* send, void* recv, std::size_t count, DataType dt, ReduceOp op, Stream,
                        OpTrace trace) override {
    return planned("all_reduce", args(send, recv, count, dt, op, 0), count, std::move(trace),
                   [](const CollArgs& a, const detail::Knobs& k, const AlgoConfig& c) {
                     switch (detail::choose_all_reduce(c, a.count * a.elem_bytes, a.size)) {
                       case Algorithm::tree: return detail::tree_all_reduce(a, k);
                       case Algorithm::rhd: return detail::rhd_all_reduce(a, k);
                       default: return detail::ring_all_reduce(a, k);
                     }
                   });
  }

  Request do_reduce_scatter(const void* send, void* recv, std::size_t recv_count, DataType dt, ReduceOp op, Stream,
                            OpTrace trace) override {
    return planned("reduce_scatter", args(send, recv, recv_count, dt, op, 0), recv_count, std::move(trace),
                   [](const CollArgs& a, const detail::Knobs& k, const AlgoConfig&) { return detail::ring_reduce_scatter(a, k); });
  }

  Request do_all_gather(const void* send, void* recv, std::size_t send_count, DataType dt, Stream, OpTrace trace) override {
    return planned("all_gather", args(send, recv, send_count, dt, ReduceOp::sum, 0), send_count, std::move(trace),
                   [](const CollArgs& a, const detail::Knobs& k, const AlgoConfig&) { return detail::ring_all_gather(a, k); });
  }

  Request do_broadcast(const void* send, void* recv, std::size_t count, DataType dt, int root, Stream, OpTrace trace) override {
    return planned("broadcast", args(send, recv, count, dt, ReduceOp::sum, root), count, std::move(trace),
                   [](const CollArgs& a, const detail::Knobs& k, const AlgoConfig& c) {
                     return detail::choose_rooted(c) == Algorithm::ring ? detail::chain_broadcast(a, k) : detail::tree_broadcast(a, k);
                   });
  }

  Request do_reduce(const void* send, void* recv, std::size_t count, DataType dt, ReduceOp op, int root, Stream,
                    OpTrace trace) override {
    return planned("reduce", args(send, recv, count, dt, op, root), count, std::move(trace),
                   [](const CollArgs& a, const detail::Knobs& k, const AlgoConfig& c) {
                     return detail::choose_rooted(c) == Algorithm::ring ? detail::chain_reduce(a, k) : detail::tree_reduce(a, k);
                   });
  }

  Request do_alltoall(const void* send, void* recv, std::size_t count, DataType dt, Stream, OpTrace trace) override {
    return planned("alltoall", args(send, recv, count, dt, ReduceOp::sum, 0), count * std::size_t(size_), std::move(trace),
                   [](const CollArgs& a, const detail::Knobs& k, const AlgoConfig&) { return detail::pairwise_alltoall(a, k); });
  }

  Request do_barrier(Stream, OpTrace trace) override {
    const int rank = rank_, size = size_;
    return collective("barrier", std::move(trace), [rank, size](OpRun& run) {
      detail::run_plan(run, *detail::dissemination_barrier(rank, size));
    });
  }

  std::unique_ptr<Communicator> split(int color, int key) override {
    std::vector<std::int32_t> mine{color, key}, all(2 * std::size_t(size_));
    all_gather(mine.data(), all.data(), 2, DataType::i32, nullptr).wait();
    std::uint64_t id = 0;
    {
      std::lock_guard lock(mu_);
      id = splits_++;
    }
    if (color < 0) return nullptr;
    std::vector<std::pair<std::int32_t, int>> members;  // (key, old rank)
    for (int r = 0; r < size_; ++r)
      if (all[2 * std::size_t(r)] == color) members.emplace_back(all[2 * std::size_t(r) + 1], r);
    std::sort(members.begin(), members.end());
    int new_rank = 0;
    while (members[std::size_t(new_rank)].second != rank_) ++new_rank;
    auto child = std::make_unique<UcxCommunicator>(store_, new_rank, int(members.size()),
                                                   prefix_ + "/split" + std::to_string(id) + "/color" + std::to_string(color));
    child->set_timeout(timeout());
    child->set_algo_config(config());
    return child;
  }

  void abort(const std::string& reason) override {
    transport_->request_abort("aborted: " + reason, reason);
    queue_->wake();
  }

  void set_timeout(std::chrono::milliseconds timeout) override {
    std::lock_guard lock(mu_);
    timeout_ = timeout;
  }

  void set_algo_config(const AlgoConfig& c) override {
    std::lock_guard lock(mu_);
    config_ = c;
  }

 protected:
  bool sends_to_self() const override { return false; }

 private:
  static void local_copy(const std::byte* src, std::byte* dst, std::size_t bytes) {
    if (src != dst) std::memcpy(dst, src, bytes);
  }

  AlgoConfig config() const {
    std::lock_guard lock(mu_);
    return config_;
  }
  std::chrono::milliseconds timeout() const {
    std::lock_guard lock(mu_);
    return timeout_;
  }

  CollArgs args(const void* send, void* recv, std::size_t count, DataType dt, ReduceOp op, int root) const {
    CollArgs a;
    a.send = static_cast<const std::byte*>(send);
    a.recv = static_cast<std::byte*>(recv);
    a.count = count;
    a.dt = dt;
    a.elem_bytes = dtype_size(dt);
    a.op = op;
    a.root = root;
    a.rank = rank_;
    a.size = size_;
    return a;
  }

  Op make_op(const std::string& kind, OpTrace trace = {}) {
    Op op;
    op.name = kind + " #" + std::to_string(++ops_);
    op.timeout = timeout_;
    op.state = std::make_shared<detail::OpState>(queue_);
    op.state->trace = std::move(trace);
    return op;
  }

  using PlanMaker = std::unique_ptr<detail::Plan> (*)(const CollArgs&, const detail::Knobs&, const AlgoConfig&);
  // Queues a collective run by a plan: nothing for a zero count, a copy of
  // `local_count` elements on a single rank.
  Request planned(const char* kind, const CollArgs& a, std::size_t local_count, OpTrace trace, PlanMaker make) {
    const AlgoConfig cfg = config();
    return collective(kind, std::move(trace), [a, cfg, local_count, make](OpRun& run) {
      if (a.count == 0) return;
      if (a.size == 1) return local_copy(a.send, a.recv, local_count * a.elem_bytes);
      const detail::Knobs k = detail::resolve_knobs(cfg);
      run.depth = k.depth;
      detail::run_plan(run, *make(a, k, cfg));
    });
  }

  Request collective(const char* kind, OpTrace trace, std::function<void(OpRun&)> body) {
    std::lock_guard lock(mu_);
    Op op = make_op(kind, std::move(trace));
    op.seq = coll_seq_++;
    op.body = std::move(body);
    return enqueue_locked(std::move(op));
  }

  // Under mu_, so that operations are queued in the order of their sequence numbers.
  Request enqueue_locked(Op op) {
    Request request(op.state);
    if (const auto reason = transport_->abort_reason())
      queue_->complete(*op.state, op.name + " failed: communicator aborted: " + *reason);
    else
      queue_->post(std::move(op));
    return request;
  }

  // send (from -1), recv (to -1) or both; Communicator has checked the arguments.
  Request do_send_recv(const void* send_buf, std::size_t send_count, int to, void* recv_buf, std::size_t recv_count,
                       int from, DataType dt, Stream, OpTrace trace) override {
    const char* kind = from < 0 ? "send" : to < 0 ? "recv" : "send_recv";
    const std::size_t es = dtype_size(dt);
    std::lock_guard lock(mu_);
    Op op = make_op(kind, std::move(trace));
    // Point-to-point messages match in issue order per pair of ranks (as NCCL's), with
    // their own sequence numbers: only the two ranks involved call them.
    const bool sends = to >= 0 && send_count > 0, receives = from >= 0 && recv_count > 0;
    const std::uint64_t send_tag = sends ? TagLayout::make(rank_, send_seq_[std::size_t(to)]++, TagLayout::kP2PChannel, 0) : 0;
    const std::uint64_t recv_tag = receives ? TagLayout::make(from, recv_seq_[std::size_t(from)]++, TagLayout::kP2PChannel, 0) : 0;
    const std::size_t send_bytes = send_count * es, recv_bytes = recv_count * es;
    op.body = [=](OpRun& run) {
      if (!sends && !receives) return;
      PostOncePlan plan([&](detail::Links& l) {
        if (sends) l.send_tagged(to, send_buf, send_bytes, send_tag);
        if (receives) l.recv_tagged(from, recv_buf, recv_bytes, recv_tag);
      });
      detail::run_plan(run, plan);
    };
    return enqueue_locked(std::move(op));
  }

  // Executor: on whichever thread holds the queue's executor role.
  void run(Op& op) override {
    OpRun run{*transport_};
    run.seq = op.seq;
    run.name = op.name;
    run.timeout = op.timeout;
    if (op.timeout.count() > 0) run.deadline = Clock::now() + op.timeout;
    run.idle = idle_;
    run.scratch = &scratch_;
    try {
      if (transport_->abort_reason()) throw OpFailure("", -1);
      op.body(run);
      queue_->complete(*op.state);
    } catch (const OpFailure& f) {
      std::string message;
      if (!transport_->abort_reason()) {  // the executor's own verdict: a timeout
        transport_->request_abort(f.what(), f.what());
        message = f.what();
      } else {
        message = op.name + " failed: " + *transport_->abort_reason();
      }
      abort_now(!op.quiet);
      queue_->complete(*op.state, message);
    } catch (const std::exception& e) {
      transport_->request_abort(op.name + " failed: " + e.what(), op.name + " failed on this rank: " + e.what());
      abort_now(true);
      queue_->complete(*op.state, op.name + " failed: " + e.what());
    }
  }

  bool abort_pending() override { return !handled_abort_ && transport_->abort_reason().has_value(); }
  void handle_abort() override { abort_now(true); }

  // Tells the peers why (once, and not when they told us), seals the transport so that
  // nothing in flight touches the caller's buffers once the failure is reported, and
  // fails the queued ops.
  void abort_now(bool tell_peers) {
    handled_abort_ = true;
    if (tell_peers && !notified_ && !transport_->failed_by_notice()) {
      notified_ = true;
      transport_->notify_peers(transport_->notice_text());
    }
    transport_->seal(std::chrono::milliseconds(200));
    queue_->fail_queued(transport_->abort_reason().value_or("aborted"));
  }

  Store& store_;
  const std::string prefix_;
  const int rank_, size_;
  std::unique_ptr<detail::UcxTransport> transport_;
  detail::IdlePolicy idle_;  // set in the constructor, before any operation runs
  std::shared_ptr<detail::OpQueue> queue_;  // shared with the requests it made

  mutable std::mutex mu_;  // guards everything below up to the executor's members
  std::uint64_t ops_ = 0, coll_seq_ = 0, splits_ = 0;
  std::vector<std::uint64_t> send_seq_, recv_seq_;
  AlgoConfig config_;
  std::chrono::milliseconds timeout_{0};

  // The thread holding the queue's executor role only.
  bool handled_abort_ = false;
  bool notified_ = false;
  std::vector<std::byte> scratch_;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<Communicator> make_ucx_communicator(Store& store, int rank, int size, const std::string& key_prefix) {
  return std::make_unique<UcxCommunicator>(store, rank, size, key_prefix);
}

}  // namespace cairn::coll
