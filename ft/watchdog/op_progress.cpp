#include "ft/watchdog/op_progress.h"

#include <algorithm>

namespace cairn::ft {

void OpProgress::on_start(const coll::OpRecord& r) noexcept {
  std::lock_guard lock(mu_);
  enqueued_ = std::max(enqueued_, r.seq + 1);
  in_flight_.push_back(r);
}

void OpProgress::on_end(const coll::OpRecord& r) noexcept {
  std::lock_guard lock(mu_);
  // A failed operation (an abort, a lost peer) has ended but not completed: a peer that
  // our own abort released must not look as if it had finished the stuck operation.
  if (!r.failed) completed_ = std::max(completed_, r.seq + 1);
  // Ends arrive in sequence order, so the match is almost always the front.
  const auto it =
      std::find_if(in_flight_.begin(), in_flight_.end(), [&](const coll::OpRecord& f) { return f.seq == r.seq; });
  if (it != in_flight_.end()) in_flight_.erase(it);
}

OpProgressSnapshot OpProgress::snapshot() const {
  std::lock_guard lock(mu_);
  OpProgressSnapshot s{enqueued_, completed_, std::nullopt};
  if (!in_flight_.empty()) s.oldest_in_flight = in_flight_.front();
  return s;
}

}  // namespace cairn::ft
