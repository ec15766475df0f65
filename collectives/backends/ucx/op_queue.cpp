#include "collectives/backends/ucx/op_queue.h"

#include <utility>

#include "common/error.h"

namespace cairn::coll::detail {
namespace {

// Polls `ready` for up to `spin` (checking the clock every 64 polls).
template <typename Ready>
void spin_until(Ready ready, std::chrono::microseconds spin) {
  if (spin.count() <= 0) return;
  const auto until = Clock::now() + spin;
  for (unsigned i = 1; !ready(); ++i)
    if (i % 64 == 0 && Clock::now() >= until) return;
}

}  // namespace

bool OpState::test() {
  std::lock_guard lock(queue_->mu_);
  if (error_) throw Error(*error_);
  return done_;
}

void OpState::wait() { queue_->wait(*this); }

void OpQueue::attach(Executor* executor) {
  std::lock_guard lock(mu_);
  executor_ = executor;
}

void OpQueue::detach() {
  std::lock_guard lock(mu_);
  executor_ = nullptr;
}

void OpQueue::post(Op op) {
  op.posted = Clock::now();
  std::lock_guard lock(mu_);
  if (closed_) throw Error(op.name + ": the communicator is being destroyed");
  queue_.push_back(std::move(op));
  // While callers drive, the progress thread is not woken for each post (on a box with
  // as many ranks as CPUs the wake-up alone preempts a rank); it polls instead.
  if (!callers_drive_) work_cv_.notify_one();
}

void OpQueue::complete(OpState& state, std::optional<std::string> error) {
  // Before the waiters wake: once wait() returns, the observers have heard of the end.
  state.trace.finish_now(error.has_value());
  {
    std::lock_guard lock(mu_);
    state.error_ = std::move(error);
    state.done_ = true;
    state.finished_.store(true, std::memory_order_release);
  }
  done_cv_.notify_all();
}

void OpQueue::fail_queued(const std::string& why) {
  std::deque<Op> doomed;
  {
    std::lock_guard lock(mu_);
    doomed.swap(queue_);
  }
  for (Op& op : doomed) complete(*op.state, op.name + " failed: communicator aborted: " + why);
}

void OpQueue::wake() {
  std::lock_guard lock(mu_);
  work_cv_.notify_one();
}

void OpQueue::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  work_cv_.notify_one();
}

void OpQueue::hold_role(bool hold) {
  running_ = hold;
  running_flag_.store(hold, std::memory_order_release);
  if (hold) return;
  done_cv_.notify_all();
  if (!queue_.empty()) work_cv_.notify_one();
}

void OpQueue::run_queued(std::unique_lock<std::mutex>& lock, OpState* target) {
  hold_role(true);
  while (!queue_.empty() && !(target && target->done_)) {
    Op op = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    executor_->run(op);
    lock.lock();
  }
  hold_role(false);
}

void OpQueue::wait(OpState& state) {
  std::unique_lock lock(mu_);
  bool spun = false;
  while (!state.done_) {
    if (!running_ && executor_) {
      callers_drive_ = true;
      run_queued(lock, &state);
      continue;
    }
    // Another thread runs operations (ours, or ones before it).
    if (!spun && spin_.count() > 0) {
      spun = true;
      lock.unlock();
      spin_until([&] { return state.finished_.load(std::memory_order_acquire) || !running_flag_.load(std::memory_order_acquire); },
                 spin_);
      lock.lock();
      continue;
    }
    done_cv_.wait(lock, [&] { return state.done_ || !running_; });
  }
  if (state.error_) throw Error(*state.error_);
}

void OpQueue::progress_loop(Executor& executor) {
  std::unique_lock lock(mu_);
  for (;;) {
    if (!running_ && executor.abort_pending()) {
      hold_role(true);
      lock.unlock();
      executor.handle_abort();
      lock.lock();
      hold_role(false);
      continue;
    }
    if (!running_ && !queue_.empty()) {
      const auto claim_at = queue_.front().posted + kClaimGrace;
      if (closed_ || Clock::now() >= claim_at) {
        callers_drive_ = false;
        run_queued(lock, nullptr);
      } else {
        work_cv_.wait_until(lock, claim_at);
      }
      continue;
    }
    if (closed_ && queue_.empty() && !running_) return;
    if (callers_drive_ || running_)
      work_cv_.wait_for(lock, kIdlePoll);
    else
      work_cv_.wait(lock);
  }
}

}  // namespace cairn::coll::detail
