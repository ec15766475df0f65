#include "collectives/backends/process_liveness.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/host_name.h"

namespace cairn::coll::detail {
namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// State and start time (fields 3 and 22 of /proc/PID/stat; the command name in field 2
// may itself hold spaces and parentheses, so parsing starts after its last ')').
bool read_stat(long pid, char& state, std::uint64_t& start_ticks) {
  const std::string stat = first_line("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(stat.substr(close + 1));
  rest >> state;
  std::string field;
  for (int i = 4; i < 22 && rest >> field; ++i) {
  }
  return bool(rest >> start_ticks);
}

}  // namespace

ProcessIdentity this_process() {
  ProcessIdentity p;
  std::string boot = first_line("/proc/sys/kernel/random/boot_id");
  if (boot.empty()) boot = host_name();
  struct stat ns {};
  const auto ns_inode = ::stat("/proc/self/ns/pid", &ns) == 0 ? std::uint64_t(ns.st_ino) : 0;
  p.host = (boot.empty() ? std::string("unknown") : boot) + "/pidns" + std::to_string(ns_inode);
  p.pid = long(::getpid());
  char state = 0;
  if (!read_stat(p.pid, state, p.start_ticks)) p.start_ticks = 0;
  return p;
}

std::string to_string(const ProcessIdentity& p) {
  return p.host + " " + std::to_string(p.pid) + " " + std::to_string(p.start_ticks);
}

ProcessIdentity parse_process_identity(const std::string& s, const std::string& what) {
  std::istringstream in(s);
  ProcessIdentity p;
  if (!(in >> p.host >> p.pid >> p.start_ticks))
    throw Error(what + " holds no process identity ('" + s + "'): another program wrote it; use a different key prefix");
  return p;
}

bool process_alive(const ProcessIdentity& p) {
  char state = 0;
  std::uint64_t start = 0;
  if (!read_stat(p.pid, state, start)) return false;  // no such process
  if (state == 'Z' || state == 'X') return false;
  return p.start_ticks == 0 || start == p.start_ticks;
}

bool process_stopped(const ProcessIdentity& p) {
  char state = 0;
  std::uint64_t start = 0;
  if (!read_stat(p.pid, state, start) || (p.start_ticks != 0 && start != p.start_ticks)) return false;
  return state == 'T' || state == 't';  // stopped by a signal; by a tracer
}

std::optional<std::pair<int, std::string>> LocalPeerWatch::stopped() {
  std::lock_guard lock(mu_);
  for (const auto& [rank, identity] : peers_)
    if (process_stopped(identity))
      return std::pair{rank, "rank " + std::to_string(rank) + " is stopped (its process " +
                                 std::to_string(identity.pid) + " on this host: SIGSTOP or a debugger; " +
                                 "kill -CONT " + std::to_string(identity.pid) + " resumes it)"};
  return std::nullopt;
}

std::optional<std::pair<int, std::string>> LocalPeerWatch::lost() {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (peers_.empty() || now < next_look_) return std::nullopt;
  next_look_ = now + std::chrono::milliseconds(50);
  for (const auto& [rank, identity] : peers_)
    if (!process_alive(identity))
      return std::pair{rank, "rank " + std::to_string(rank) + " lost (its process " + std::to_string(identity.pid) +
                                 " on this host has exited)"};
  return std::nullopt;
}

}  // namespace cairn::coll::detail
