// Liveness of peer processes on the same host, read from /proc. UCX 1.13's shared-memory
// transports accept peer error handling but never report a dead peer (their keepalive
// checks nothing), so the UCX backend watches same-host peers itself while it waits on
// them; peers on other hosts are UCX's to watch (TCP resets, InfiniBand timeouts).
#pragma once

#include <cstdint>
#include <string>

namespace cairn::coll::detail {

struct ProcessIdentity {
  std::string host;              // boot id and pid namespace: equal means pids are comparable
  long pid = 0;
  std::uint64_t start_ticks = 0;  // start time, so that a reused pid is not taken for the peer
};

ProcessIdentity this_process();

// "host pid start": no spaces inside any field.
std::string to_string(const ProcessIdentity& p);
// Throws cairn::Error naming `what` on a malformed string.
ProcessIdentity parse_process_identity(const std::string& s, const std::string& what);

// False once the process has exited (a zombie counts as exited) or its pid was reused.
bool process_alive(const ProcessIdentity& p);

}  // namespace cairn::coll::detail
