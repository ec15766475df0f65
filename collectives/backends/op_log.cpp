#include "collectives/backends/op_log.h"

#include <algorithm>
#include <array>
#include <utility>

#include "common/error.h"

namespace cairn::coll {

std::string_view to_string(OpKind k) {
  static constexpr std::array<std::string_view, 10> kNames{"all_reduce", "reduce_scatter", "all_gather", "broadcast", "reduce",
                                                           "alltoall",   "send",           "recv",       "send_recv", "barrier"};
  const auto i = static_cast<std::size_t>(k);
  if (i >= kNames.size()) throw Error("unknown operation kind " + std::to_string(i));
  return kNames[i];
}

void OpTrace::finish(OpRecord::Clock::time_point end, bool failed, double device_us) const {
  if (entry_) entry_->log->finish(entry_, end, failed, device_us);
}

namespace detail {

void OpLog::add(std::shared_ptr<OpObserver> observer) {
  if (!observer) throw Error("Communicator::add_observer: the observer is null; pass one made with std::make_shared");
  std::lock_guard lock(mu_);
  auto next = std::make_shared<Observers>(observers_ ? *observers_ : Observers{});
  next->push_back(std::move(observer));
  observers_ = std::move(next);
  any_.store(true, std::memory_order_release);
}

void OpLog::remove(const OpObserver* observer) {
  std::lock_guard lock(mu_);
  if (!observers_) return;
  auto next = std::make_shared<Observers>(*observers_);
  next->erase(std::remove_if(next->begin(), next->end(), [&](const auto& o) { return o.get() == observer; }), next->end());
  any_.store(!next->empty(), std::memory_order_release);
  observers_ = next->empty() ? nullptr : std::move(next);
}

OpTrace OpLog::begin_observed(OpRecord record) {
  auto entry = std::make_shared<OpEntry>();
  record.start = record.end = OpRecord::Clock::now();
  entry->record = std::move(record);
  entry->log = this;
  {
    std::lock_guard lock(mu_);
    if (!observers_) return {};  // removed meanwhile
    entry->observers = observers_;
    pending_.push_back(entry);
  }
  for (const auto& o : *entry->observers) o->on_start(entry->record);
  return OpTrace(std::move(entry));
}

void OpLog::finish(const std::shared_ptr<OpEntry>& entry, OpRecord::Clock::time_point end, bool failed, double device_us) {
  std::lock_guard deliver(deliver_mu_);
  std::vector<std::shared_ptr<OpEntry>> ready;
  {
    std::lock_guard lock(mu_);
    if (entry->ended) return;
    entry->ended = true;
    entry->record.end = std::max(end, entry->record.start);
    entry->record.failed = failed;
    entry->record.device_us = device_us;
    while (!pending_.empty() && pending_.front()->ended) {
      ready.push_back(std::move(pending_.front()));
      pending_.pop_front();
    }
  }
  for (const auto& e : ready)
    for (const auto& o : *e->observers) o->on_end(e->record);
}

}  // namespace detail
}  // namespace cairn::coll
