#include "ft/watchdog/progress_board.h"

#include <fmt/format.h>

namespace cairn::ft {

std::string progress_key(int rank, const char* what) { return fmt::format("cairn/ft/watchdog/{}/{}", rank, what); }

void ProgressPublisher::publish(const OpProgressSnapshot& s) {
  const auto enqueued = static_cast<std::int64_t>(s.enqueued), completed = static_cast<std::int64_t>(s.completed);
  if (enqueued != sent_enqueued_)
    sent_enqueued_ = store_.add(progress_key(rank_, "enqueued"), enqueued - sent_enqueued_);
  if (completed != sent_completed_)
    sent_completed_ = store_.add(progress_key(rank_, "completed"), completed - sent_completed_);
  store_.add(progress_key(rank_, "beat"), 1);
}

PeerProgress read_progress(coll::Store& store, int rank) {
  PeerProgress p;
  p.rank = rank;
  p.enqueued = store.add(progress_key(rank, "enqueued"), 0);
  p.completed = store.add(progress_key(rank, "completed"), 0);
  p.beat = store.add(progress_key(rank, "beat"), 0);
  return p;
}

}  // namespace cairn::ft
