// An alert's hook (--straggler-hook CMD, --divergence-hook CMD): a command run (sh -c CMD) with an alert's JSON on its stdin, on
// a thread of its own so training never waits for it. One runs at a time: an alert that
// comes while the last hook still runs is not passed to it (logged). A hook that outlives
// its timeout is killed (its whole process group); a failure to start, a non-zero exit or
// a kill is logged, and training goes on.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace cairn::ft {

class HookRunner {
 public:
  using Log = std::function<void(const std::string&)>;  // called from the hook's thread: thread-safe
  // `flag` names the hook in what is logged (its timeout flag is flag + "-timeout-s").
  HookRunner(std::string command, std::chrono::milliseconds timeout, Log log, std::string flag = "--straggler-hook");
  ~HookRunner();  // waits for a running hook, at most its timeout
  HookRunner(const HookRunner&) = delete;
  HookRunner& operator=(const HookRunner&) = delete;

  // Starts the hook with `input` on stdin; false (and logged) when one is still running.
  bool run(const std::string& input);
  // Blocks until no hook runs (tests).
  void wait_idle();
  int started() const { return started_.load(); }

 private:
  void supervise(pid_t pid, int stdin_fd, std::string input);
  std::string command_;
  std::string flag_;
  std::chrono::milliseconds timeout_;
  Log log_;
  std::mutex mu_;
  std::thread thread_;
  std::atomic<bool> busy_{false};
  std::atomic<int> started_{0};
};

}  // namespace cairn::ft
