// Starting one rank: fork, its own process group, its environment, CPU affinity and
// output pipes, then exec. Between fork and exec the child makes only async-signal-safe
// calls, so everything it needs is built before the fork.
#pragma once

#include <sys/types.h>

#include <csignal>
#include <string>
#include <string_view>
#include <vector>

#include "collectives/rendezvous/bootstrap.h"

namespace cairn::coll {

// The signals the launcher catches (SIGPIPE: ignores); a rank starts with their defaults.
inline constexpr int kLauncherSignals[] = {SIGINT, SIGTERM, SIGCHLD, SIGPIPE};

struct SpawnedRank {
  pid_t pid = -1;  // also its process group's id
  int out_fd = -1, err_fd = -1;  // read ends of its stdout and stderr (non-blocking); -1: not piped
};

// Starts command (looked up in PATH) with exactly env, bound to cpus (empty: ours), in a
// process group of its own. pipe_output: its stdout and stderr come back through pipes;
// else it writes to ours. keep_stdin: it reads our stdin; else /dev/null. A command that
// cannot run exits 127 after "cairn launch: cannot run 'X': <why>" on its stderr.
// Throws cairn::Error when a pipe or the fork fails (nothing is left running then).
SpawnedRank spawn_rank(const std::vector<std::string>& command, const EnvMap& env, const std::vector<int>& cpus,
                       bool pipe_output, bool keep_stdin, int rank);

// Writes all of s to fd, retrying on EINTR; drops it if fd is gone. Async-signal-safe.
void write_all(int fd, std::string_view s);

}  // namespace cairn::coll
