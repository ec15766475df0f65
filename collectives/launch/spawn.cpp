// spawn.h: fork and exec of one rank.
#include "collectives/launch/spawn.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "common/error.h"

namespace cairn::coll {

namespace {

// Everything the child needs, built before fork.
struct ChildSpec {
  std::vector<std::string> env_strings;
  std::vector<char*> argv, envp;
  std::optional<cpu_set_t> cpus;
  std::string exec_error;  // "cairn launch: cannot run 'X': "

  ChildSpec(const std::vector<std::string>& command, const EnvMap& env, const std::vector<int>& cpu_list) {
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    exec_error = fmt::format("cairn launch: cannot run '{}': ", command[0]);
    if (!cpu_list.empty()) {
      cpu_set_t set;
      CPU_ZERO(&set);
      for (int c : cpu_list) CPU_SET(c, &set);
      cpus = set;
    }
  }
};

[[noreturn]] void exec_rank(ChildSpec& spec, int out_w, int err_w, bool keep_stdin, const sigset_t& mask,
                            pid_t launcher) {
  ::setpgid(0, 0);
  // A rank lives in a group of its own, so a signal to the launcher's group does not reach
  // it: if the launcher dies without stopping it (SIGKILL, the OOM killer), the kernel
  // sends it SIGTERM, as srun's tasks end with srun. Otherwise an orphaned rank runs on,
  // holding its outputs (a tune journal, a checkpoint directory) against the rerun. The
  // launcher may already be gone by now: then the rank is not started at all.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != launcher) ::_exit(128 + SIGTERM);
  // Signals stay blocked until the launcher's handlers are gone: one caught here would
  // run the launcher's handler and tell the launcher it got a SIGTERM it never did.
  for (int s : kLauncherSignals) ::signal(s, SIG_DFL);
  ::sigprocmask(SIG_SETMASK, &mask, nullptr);
  if (out_w >= 0) ::dup2(out_w, 1);
  if (err_w >= 0) ::dup2(err_w, 2);
  if (!keep_stdin) {
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
  }
  if (spec.cpus) ::sched_setaffinity(0, sizeof *spec.cpus, &*spec.cpus);
  ::execvpe(spec.argv[0], spec.argv.data(), spec.envp.data());
  const char* why = ::strerrordesc_np(errno);
  write_all(2, spec.exec_error);
  write_all(2, why ? why : "unknown error");
  write_all(2, "\n");
  ::_exit(127);
}

}  // namespace

void write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // our stdout is gone: drop the output, keep supervising
    }
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

SpawnedRank spawn_rank(const std::vector<std::string>& command, const EnvMap& env, const std::vector<int>& cpus,
                       bool pipe_output, bool keep_stdin, int rank) {
  ChildSpec spec(command, env, cpus);
  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  auto close_pipes = [&] {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
      if (fd >= 0) ::close(fd);
  };
  if (pipe_output && (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)) {
    const int saved = errno;
    close_pipes();
    throw Error(fmt::format("pipe2 failed: {}", std::strerror(saved)));
  }
  sigset_t all, mask;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, &mask);
  const pid_t launcher = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) exec_rank(spec, out_pipe[1], err_pipe[1], keep_stdin, mask, launcher);
  const int fork_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &mask, nullptr);
  if (pid < 0) {
    close_pipes();
    throw Error(fmt::format("fork failed for rank {}: {}", rank, std::strerror(fork_errno)));
  }
  ::setpgid(pid, pid);  // also here, so no signal can arrive before the child did it
  SpawnedRank spawned;
  spawned.pid = pid;
  if (pipe_output) {
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    spawned.out_fd = out_pipe[0];
    spawned.err_fd = err_pipe[0];
    ::fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
    ::fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
  }
  return spawned;
}

}  // namespace cairn::coll
