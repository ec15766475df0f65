// The bookkeeping behind Communicator's observers: the registered observers, the
// sequence counter, and the operations begun but not yet reported ended, so that ends are
// delivered in sequence order whichever thread finds them. Backends see only OpTrace.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "collectives/backends/op_observer.h"

namespace cairn::coll {
namespace detail {
struct OpEntry;
class OpLog;
}  // namespace detail

// One observed operation, handed to a backend's do_ implementation: empty (and free to
// pass around) when no observer was registered as it started.
class OpTrace {
 public:
  OpTrace() = default;
  explicit operator bool() const { return entry_ != nullptr; }
  // The operation ended (completed, or failed when `failed`) at `end`; the observers hear
  // of it once every earlier operation has ended too. Later calls do nothing.
  void finish(OpRecord::Clock::time_point end, bool failed, double device_us = -1) const;
  void finish_now(bool failed) const { finish(OpRecord::Clock::now(), failed); }

 private:
  friend class detail::OpLog;
  explicit OpTrace(std::shared_ptr<detail::OpEntry> entry) : entry_(std::move(entry)) {}
  std::shared_ptr<detail::OpEntry> entry_;
};

namespace detail {

using Observers = std::vector<std::shared_ptr<OpObserver>>;

struct OpEntry {
  OpRecord record;
  std::shared_ptr<const Observers> observers;  // as registered when it started
  OpLog* log = nullptr;
  bool ended = false;  // under the log's lock
};

class OpLog {
 public:
  OpLog() = default;
  OpLog(const OpLog&) = delete;
  OpLog& operator=(const OpLog&) = delete;

  void add(std::shared_ptr<OpObserver> observer);
  void remove(const OpObserver* observer);

  // Takes the operation's sequence number; with observers, tells them it started (on
  // this thread) and returns its trace, else an empty one.
  OpTrace begin(OpRecord record) {
    record.seq = next_seq_.fetch_add(1, std::memory_order_relaxed);
    if (!any_.load(std::memory_order_acquire)) return {};
    return begin_observed(std::move(record));
  }

 private:
  friend class cairn::coll::OpTrace;
  OpTrace begin_observed(OpRecord record);
  void finish(const std::shared_ptr<OpEntry>& entry, OpRecord::Clock::time_point end, bool failed, double device_us);

  std::atomic<bool> any_{false};
  std::atomic<std::uint64_t> next_seq_{0};
  std::mutex mu_;                               // guards observers_ and pending_
  std::shared_ptr<const Observers> observers_;  // replaced, never changed in place
  std::deque<std::shared_ptr<OpEntry>> pending_;
  std::mutex deliver_mu_;  // held while on_end runs, so that ends arrive in order
};

}  // namespace detail
}  // namespace cairn::coll
