// The hang watchdog: two threads of its own. One publishes this rank's heartbeat and
// operation counters to the job's store about once a second (progress_board.h); the
// other, which never waits on the store before the abort (a store that stopped answering
// holds a request for its client's 10 s reply grace), looks at the oldest operation in
// flight and, when it has been in flight longer than the timeout, aborts the communicator
// from its thread (Communicator::abort: safe while another thread is blocked in the
// collective; ncclCommAbort on NCCL) so the blocked call throws, then reads every peer's
// counters and heartbeats twice, a few heartbeats apart, and gives the verdict
// (hang_verdict.h). The verdict comes at most timeout + one check period + the store's
// reads after the operation started: two rounds 2.5 heartbeats apart, and while a peer's
// heartbeat has not moved, more, up to 10 heartbeats after the first (so a peer a busy
// node did not schedule is not called stopped); a store that stopped answering costs its
// client's 10 s reply grace once.
//
// On a device backend the watch thread also polls the communicator's observers
// (Communicator::poll_observers: a cudaEventQuery of the oldest operation, thread-safe),
// since NCCL operations' ends are otherwise delivered only by later operations or waits.
//
// Rank 0 hosts the store on a thread of its own: when only rank 0's training thread
// hangs, the store and rank 0's watchdog still answer, and rank 0 is named like any
// other rank; when rank 0's whole process is stopped or gone, the reads fail and the
// verdict says the store did not answer, naming the peers it could not read.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "collectives/backends/communicator.h"
#include "collectives/rendezvous/store.h"
#include "ft/watchdog/hang_verdict.h"
#include "ft/watchdog/op_progress.h"

namespace cairn::ft {

struct WatchdogConfig {
  std::chrono::milliseconds timeout{30000};   // > 0
  std::chrono::milliseconds heartbeat{1000};  // how often the store hears from this rank
  int rank = 0, world = 1;
  // On the watch thread, once, after the abort, with the verdict; must not throw.
  std::function<void(const HangVerdict&)> on_verdict;
};

class Watchdog {
 public:
  // Observes `comm` from now on; `store` may be null (no peers to read). Both must
  // outlive the watchdog.
  Watchdog(coll::Communicator& comm, coll::Store* store, WatchdogConfig config);
  // Stops the threads; a verdict being made is finished first, and a heartbeat request
  // under way (both are bounded, see above).
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // The verdict, once the watchdog fired.
  std::optional<HangVerdict> verdict() const;

 private:
  void watch();  // the watch thread: the operation in flight, the abort, the verdict
  void beat();   // the heartbeat thread
  void fire(const coll::OpRecord& op, double in_flight_s);

  coll::Communicator& comm_;
  coll::Store* store_;
  WatchdogConfig config_;
  std::shared_ptr<OpProgress> progress_ = std::make_shared<OpProgress>();
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::optional<HangVerdict> verdict_;
  std::string store_failure_;  // why the heartbeat thread stopped, if it did
  // Last: started once everything above exists.
  std::thread watch_thread_, beat_thread_;
};

}  // namespace cairn::ft
