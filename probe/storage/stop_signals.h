// SIGINT and SIGTERM during a storage probe: the handler only sets a flag; the probe's
// loops check it between I/Os, stop, remove every file they made and report what was
// interrupted (a handler may not clean up itself: unlink and rmdir of a whole tree are
// not async-signal-safe work to do while another thread writes into it).
#pragma once

#include <string>

namespace cairn::probe::storage {

// Installs the handlers for its lifetime (no SA_RESTART, so a blocked read or write
// returns EINTR at once) and puts the previous ones back when destroyed.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
};

// The signal that asked to stop (SIGINT, SIGTERM) or 0.
int stop_requested();

// Throws cairn::Error "interrupted by SIGINT during <what>" when a stop was requested.
void throw_if_stopped(const std::string& what);

}  // namespace cairn::probe::storage
