// The operations posted to a host communicator, and which thread runs them.
//
// Operations run one at a time, in the order they were posted (every rank posts its
// collectives in the same order; their tags are numbered in that order). Whoever runs
// them holds the executor role, taken under the queue's lock:
//  - a thread waiting on a request whose operation has not finished and that nobody is
//    running (caller-driven progress, as in MPI): it runs the queue up to its operation;
//  - otherwise the communicator's progress thread, which takes an operation that no
//    caller claimed within kClaimGrace (asynchronous progress: a rank posts an
//    all_reduce and computes while it runs).
// Why callers drive: handing each operation to the progress thread and its completion
// back costs two sleeps and wake-ups (11-20 us a call with as many ranks as CPUs), and a
// rank whose two threads are both busy cannot afford to spin. While callers drive, posts
// do not wake the progress thread at all: it looks at the queue every kIdlePoll.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "collectives/backends/communicator.h"
#include "collectives/backends/ucx/chunk_schedule.h"

namespace cairn::coll::detail {

class OpQueue;

// The completion of one posted operation: what its Request waits on.
class OpState final : public Request::Impl {
 public:
  explicit OpState(std::shared_ptr<OpQueue> queue) : queue_(std::move(queue)) {}
  bool test() override;
  void wait() override;  // runs the queue itself when nobody else does

  OpTrace trace;  // set before the op is posted; finished when it completes

 private:
  friend class OpQueue;
  std::shared_ptr<OpQueue> queue_;
  std::atomic<bool> finished_{false};  // done_, readable while spinning
  bool done_ = false;                  // under the queue's lock
  std::optional<std::string> error_;   // under the queue's lock
};

struct Op {
  std::string name;  // "all_reduce #17": how errors name it
  std::uint64_t seq = 0;
  std::chrono::milliseconds timeout{0};
  bool quiet = false;  // the closing barrier: failures are not reported to peers
  std::function<void(OpRun&)> body;
  std::shared_ptr<OpState> state;
  Clock::time_point posted{};
};

class OpQueue {
 public:
  // How long the progress thread leaves a posted operation for a caller to claim, and
  // how often it looks at the queue while callers drive. An asynchronous operation
  // starts at most this late: small against the compute it overlaps.
  static constexpr std::chrono::microseconds kClaimGrace{200};
  static constexpr std::chrono::milliseconds kIdlePoll{1};

  // What runs operations; called only by the thread holding the executor role.
  class Executor {
   public:
    virtual ~Executor() = default;
    virtual void run(Op& op) = 0;        // completes or fails op.state
    virtual bool abort_pending() = 0;    // a failure is recorded and not yet handled
    virtual void handle_abort() = 0;     // tells peers, then fail_queued()
  };

  // `spin`: how long a waiter whose operation another thread runs polls before it sleeps.
  explicit OpQueue(std::chrono::microseconds spin) : spin_(spin) {}

  void attach(Executor* executor);  // before the first post
  void detach();                    // once the progress thread has returned

  // Queues `op` (its state must come from this queue). Throws cairn::Error once closed.
  void post(Op op);
  void complete(OpState& state, std::optional<std::string> error = std::nullopt);
  // Fails every queued operation with "<name> failed: communicator aborted: <why>".
  void fail_queued(const std::string& why);
  // Wakes the progress thread (an abort was requested).
  void wake();
  // No more posts; progress_loop() returns once the queue is empty.
  void close();

  // The progress thread's body.
  void progress_loop(Executor& executor);

 private:
  friend class OpState;
  void wait(OpState& state);
  // With the lock held and the role free: takes the role and runs queued operations
  // until the queue is empty or `target` (if any) is done, then gives the role back.
  void run_queued(std::unique_lock<std::mutex>& lock, OpState* target);
  // Takes or gives back the executor role (with the lock held); giving it back wakes
  // the waiters, and the progress thread when operations remain.
  void hold_role(bool hold);

  const std::chrono::microseconds spin_;
  std::mutex mu_;
  std::condition_variable work_cv_;  // the progress thread: work, closing, the role freed
  std::condition_variable done_cv_;  // waiters: completions, the role freed
  std::deque<Op> queue_;
  Executor* executor_ = nullptr;
  bool running_ = false;  // someone holds the executor role
  std::atomic<bool> running_flag_{false};  // running_, readable while spinning
  bool callers_drive_ = false;  // the last operation a thread claimed was claimed by a caller
  bool closed_ = false;
};

}  // namespace cairn::coll::detail
