// Liveness of peer processes on the same host, read from /proc. Neither backend's
// transports inside a host report a dead peer -- UCX 1.13's shared-memory transports
// accept peer error handling but their keepalive checks nothing; NCCL's (NVLink, PCIe
// P2P, shared memory) leave a kernel spinning on it -- so both watch their same-host
// peers while they wait; peers on other hosts are the transport's to report.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

// True while the process is stopped (SIGSTOP, SIGTSTP, a debugger): alive, but it will
// never answer until resumed.
bool process_stopped(const ProcessIdentity& p);

// The ranks of one communicator that run on this host. Thread-safe.
class LocalPeerWatch {
 public:
  using Peers = std::vector<std::pair<int, ProcessIdentity>>;  // (rank, process)
  LocalPeerWatch() = default;
  explicit LocalPeerWatch(Peers peers) : peers_(std::move(peers)) {}

  std::size_t size() const { return peers_.size(); }
  // "rank R lost (its process P on this host has exited)" for the first watched rank
  // whose process is gone, with that rank; looks at /proc at most every 50 ms.
  std::optional<std::pair<int, std::string>> lost();
  // "rank R is stopped (its process P on this host ...)" for the first watched rank whose
  // process is stopped, with that rank. For a timeout's message: the rank that stopped is
  // the one to blame, not the peer a rank was waiting on (which may itself be waiting on
  // the stopped one). Reads /proc on every call.
  std::optional<std::pair<int, std::string>> stopped();

 private:
  std::mutex mu_;
  Peers peers_;
  std::chrono::steady_clock::time_point next_look_{};
};

}  // namespace cairn::coll::detail
