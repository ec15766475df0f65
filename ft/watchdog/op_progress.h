// One rank's progress through its communicator's operations, told by the communicator's
// observer (collectives/backends/op_observer.h): the sequence number one past the newest
// operation enqueued (on_start) and one past the newest completed without error (on_end),
// and the operations in flight, oldest first. Every rank numbers its operations alike
// (OpRecord::seq), so these numbers compare across ranks: a rank whose enqueued count is
// <= s never reached operation s.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

#include "collectives/backends/op_observer.h"

namespace cairn::ft {

struct OpProgressSnapshot {
  std::uint64_t enqueued = 0;   // seq + 1 of the newest operation started
  std::uint64_t completed = 0;  // seq + 1 of the newest operation ended without error
  std::optional<coll::OpRecord> oldest_in_flight;
};

// Thread-safe: on_start runs on the calling thread, on_end on whichever thread completes
// the operation, snapshot() on the watchdog's.
class OpProgress final : public coll::OpObserver {
 public:
  void on_start(const coll::OpRecord& r) noexcept override;
  void on_end(const coll::OpRecord& r) noexcept override;
  OpProgressSnapshot snapshot() const;

 private:
  mutable std::mutex mu_;
  std::uint64_t enqueued_ = 0, completed_ = 0;
  std::deque<coll::OpRecord> in_flight_;  // in sequence order (operations start in it)
};

}  // namespace cairn::ft
