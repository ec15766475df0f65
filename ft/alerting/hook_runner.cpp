#include "ft/alerting/hook_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cairn::ft {
namespace {

using Clock = std::chrono::steady_clock;

// Writes what the hook will read; a hook that closes stdin early (EPIPE) is its business.
void write_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

HookRunner::HookRunner(std::string command, std::chrono::milliseconds timeout, Log log, std::string flag)
    : command_(std::move(command)), flag_(std::move(flag)), timeout_(timeout), log_(std::move(log)) {}

HookRunner::~HookRunner() { wait_idle(); }

void HookRunner::wait_idle() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) thread_.join();
}

bool HookRunner::run(const std::string& input) {
  std::lock_guard lock(mu_);
  if (busy_.load()) {
    if (log_) log_(flag_ + ": the last hook is still running; this alert is not passed to it");
    return false;
  }
  if (thread_.joinable()) thread_.join();  // finished: busy_ is false
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    if (log_) log_(flag_ + std::string(": cannot make its stdin pipe: ") + std::strerror(errno));
    return false;
  }
  ::signal(SIGPIPE, SIG_IGN);  // a hook that does not read stdin must not kill training
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    if (log_) log_(flag_ + std::string(": cannot start it: ") + std::strerror(errno));
    return false;
  }
  if (pid == 0) {  // only async-signal-safe calls until exec: the parent has threads
    ::setpgid(0, 0);
    ::dup2(fds[0], 0);
    ::execl("/bin/sh", "sh", "-c", command_.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[0]);
  ::fcntl(fds[1], F_SETFL, O_NONBLOCK);  // a hook that never reads must not hold its supervisor in write()
  busy_ = true;
  ++started_;
  thread_ = std::thread(&HookRunner::supervise, this, pid, fds[1], input);
  return true;
}

void HookRunner::supervise(pid_t pid, int stdin_fd, std::string input) {
  write_all(stdin_fd, input);
  ::close(stdin_fd);
  const auto deadline = Clock::now() + timeout_;
  int status = 0;
  bool killed = false;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) break;
    if (!killed && Clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      killed = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (log_) {
    if (killed)
      log_(flag_ + ": killed after " + std::to_string(timeout_.count()) + " ms (" + flag_ + "-timeout-s)");
    else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
      log_(flag_ + ": exited " + std::to_string(WEXITSTATUS(status)) + "; training goes on");
    else if (WIFSIGNALED(status))
      log_(flag_ + ": ended by signal " + std::to_string(WTERMSIG(status)) + "; training goes on");
  }
  busy_ = false;
}

}  // namespace cairn::ft
