#include "ft/watchdog/watchdog.h"

#include <algorithm>
#include <exception>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ft/watchdog/progress_board.h"

namespace cairn::ft {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_of(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// How often the thread looks at the operation in flight: a twentieth of the timeout
// (the verdict is late by at most that), between 20 ms and 200 ms.
std::chrono::milliseconds check_period(std::chrono::milliseconds timeout) {
  return std::clamp(timeout / 20, std::chrono::milliseconds(20), std::chrono::milliseconds(200));
}

// Reads the peers `which` selects; the first store failure leaves the rest unread (a
// client whose request failed fails every later one at once).
template <typename Which>
void read_round(coll::Store& store, std::vector<PeerReading>& peers, bool second, std::string& error, Which which) {
  for (PeerReading& p : peers) {
    if (!error.empty() || !which(p)) continue;
    try {
      (second ? p.second : p.first) = read_progress(store, p.rank);
      p.answered = true;
    } catch (const std::exception& e) {
      error = e.what();
      p.answered = false;
    }
  }
}

bool beat_unseen(const PeerReading& p) { return p.answered && p.second.beat <= p.first.beat; }

}  // namespace

Watchdog::Watchdog(coll::Communicator& comm, coll::Store* store, WatchdogConfig config)
    : comm_(comm), store_(store), config_(std::move(config)) {
  comm_.add_observer(progress_);
  watch_thread_ = std::thread([this] { watch(); });
  if (store_) beat_thread_ = std::thread([this] { beat(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  watch_thread_.join();
  if (beat_thread_.joinable()) beat_thread_.join();
  comm_.remove_observer(progress_.get());
}

std::optional<HangVerdict> Watchdog::verdict() const {
  std::lock_guard lock(mu_);
  return verdict_;
}

void Watchdog::watch() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    // A device backend delivers an operation's end only when someone looks (op_observer.h):
    // the last all-reduce before a long checkpoint write would otherwise look stuck.
    try {
      comm_.poll_observers();
    } catch (const std::exception&) {  // a communicator already failing: its ops end as failed
    }
    const OpProgressSnapshot snap = progress_->snapshot();
    const auto now = Clock::now();
    if (snap.oldest_in_flight && now - snap.oldest_in_flight->start > config_.timeout) {
      fire(*snap.oldest_in_flight, seconds_of(now - snap.oldest_in_flight->start));
      return;
    }
    lock.lock();
    wake_.wait_for(lock, check_period(config_.timeout), [this] { return stop_; });
  }
}

void Watchdog::beat() {
  ProgressPublisher publisher(*store_, config_.rank);
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    try {
      publisher.publish(progress_->snapshot());
    } catch (const std::exception& e) {
      // The store is gone or stopped (rank 0): peers read this rank as stopped, and the
      // verdict names this first failure, not the client's "an earlier request failed".
      lock.lock();
      store_failure_ = e.what();
      wake_.notify_all();
      return;
    }
    lock.lock();
    wake_.wait_for(lock, config_.heartbeat, [this] { return stop_; });
  }
}

void Watchdog::fire(const coll::OpRecord& op, double in_flight_s) {
  const StuckOp stuck{op.kind, op.seq, op.bytes, in_flight_s, std::chrono::duration<double>(config_.timeout).count()};
  // First the abort: the training thread must not wait on the store's answers.
  const double aborted_at = std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
  comm_.abort(
      fmt::format("watchdog: {} (sequence number {}, {} bytes) was in flight {:.1f} s, past the timeout of {:g} s",
                  coll::to_string(op.kind), op.seq, op.bytes, in_flight_s, stuck.timeout_s));
  std::vector<PeerReading> peers;
  for (int r = 0; r < config_.world; ++r)
    if (r != config_.rank) peers.push_back(PeerReading{r, false, {}, {}});
  std::string error = store_ ? "" : "no store to read";
  if (store_) {
    read_round(*store_, peers, false, error, [](const PeerReading&) { return true; });
    // Long enough for every live peer to have sent at least one heartbeat in between.
    const auto first_read = Clock::now();
    if (error.empty()) std::this_thread::sleep_for(config_.heartbeat * 5 / 2);
    read_round(*store_, peers, true, error, [](const PeerReading& p) { return p.answered; });
    // A peer whose heartbeat did not move may only not have been scheduled (a busy node):
    // it is called stopped after ten heartbeats without one, not after two.
    while (error.empty() && std::any_of(peers.begin(), peers.end(), beat_unseen) &&
           Clock::now() - first_read < config_.heartbeat * 10) {
      std::this_thread::sleep_for(config_.heartbeat);
      read_round(*store_, peers, true, error, beat_unseen);
    }
  }
  // A client whose request failed answers every later one with "an earlier request
  // failed" (tcp_store_client.cpp): the cause is the heartbeat thread's failure, which it
  // records as it unwinds.
  if (error.find("an earlier request failed") != std::string::npos) {
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, std::chrono::seconds(2), [this] { return !store_failure_.empty(); });
    if (!store_failure_.empty()) error = store_failure_;
  }
  HangVerdict v = judge_hang(stuck, config_.rank, config_.world, peers, error);
  v.aborted_at_s = aborted_at;
  {
    std::lock_guard lock(mu_);
    verdict_ = v;
  }
  if (config_.on_verdict) config_.on_verdict(v);
}

}  // namespace cairn::ft
