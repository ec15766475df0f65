// What the hang watchdog (ft/watchdog/) is asked to do: `cairn train --watchdog-*`.
// Owned by ft/watchdog; train/ft/attach_watchdog.cpp turns it on.
#pragma once

#include <string>

namespace cairn::ft {

// Largest --watchdog-timeout: a day (a collective stuck that long is no longer a question).
inline constexpr double kMaxWatchdogTimeoutS = 86400;

struct WatchdogOptions {
  // --watchdog-timeout: an operation in flight longer than this aborts the communicator
  // and gives the verdict; 0 turns the watchdog off. Off by default: a peer writing a
  // large checkpoint (rank 0, between steps) keeps the others waiting in their next
  // all-reduce for as long as the write takes, so the timeout must be above the longest
  // checkpoint write, which only the operator knows.
  double timeout_s = 0;
  std::string report;  // --watchdog-report: the verdict appended there as one JSON line
  bool enabled() const { return timeout_s > 0; }
};

// cairn::Error naming the flag unless the timeout is in [0, kMaxWatchdogTimeoutS] and the
// report file can be appended to (checked before the run starts, on every rank).
void check_watchdog_options(const WatchdogOptions& o);

}  // namespace cairn::ft
