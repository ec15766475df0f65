// Watching the ranks of a launch until all have exited: their output relayed line by line
// with "[rank r] ", the first failure stopping the rest (SIGTERM, SIGKILL after a grace),
// SIGINT/SIGTERM forwarded once to every rank's process group (a second one kills), and
// the job's exit code.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace cairn::coll {

// Catches SIGINT, SIGTERM and SIGCHLD through a self-pipe (and ignores SIGPIPE: a closed
// stdout must not kill the launcher) for its lifetime, then restores what was there.
// Create it before the first rank starts, so no signal is lost in between; one at a time.
class LauncherSignals {
 public:
  LauncherSignals();
  ~LauncherSignals();
  LauncherSignals(const LauncherSignals&) = delete;
  LauncherSignals& operator=(const LauncherSignals&) = delete;

  int read_fd() const;  // readable when a signal arrived; each byte is its number

 private:
  struct sigaction old_[3] {};
  struct sigaction old_pipe_ {};
};

struct SupervisedRank {
  int rank = 0;   // global, for prefixes and messages
  pid_t pid = -1;  // also its process group's id
  int out_fd = -1, err_fd = -1;  // piped output; -1: written straight to ours
};

struct SuperviseOptions {
  int world_size = 1;  // every node's ranks, for the final message
  std::chrono::milliseconds grace{5000};
  // Called on every round of the loop (at least every 200 ms): a restarting launcher
  // looks at its ranks' event file there. Must not throw.
  std::function<void()> tick;
};

// How a supervised job ended.
struct SuperviseOutcome {
  using Clock = std::chrono::steady_clock;
  int exit_code = 0;               // what supervise() returns
  bool stopped_by_signal = false;  // SIGINT/SIGTERM reached the launcher
  std::optional<int> failed_rank;  // the first rank that failed on its own (global)
  std::string failure;             // how: "exited with code 3", "was killed by SIGKILL"
  Clock::time_point failed_at{};   // when the launcher saw that rank end
  Clock::time_point ended_at{};    // when the last rank had exited
};

// Runs until every rank has exited. 0 if all exited 0; else the exit code of the first
// rank that failed (128 + signal if one killed it), with a line on stderr naming it; 128 +
// signal when SIGINT/SIGTERM stopped the job.
int supervise(std::vector<SupervisedRank> ranks, const LauncherSignals& signals, const SuperviseOptions& options);
// The same, telling how it ended.
SuperviseOutcome supervise_job(std::vector<SupervisedRank> ranks, const LauncherSignals& signals,
                               const SuperviseOptions& options);

// Sends signo to the process groups of the given ranks (what is left of a failed start).
void signal_ranks(const std::vector<SupervisedRank>& ranks, int signo);

}  // namespace cairn::coll
