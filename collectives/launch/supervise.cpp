// supervise.h. Each rank runs in its own process group, so a terminal's Ctrl-C reaches
// only the launcher, which forwards it once to every rank's group (and so to shells'
// children too). Signals reach the event loop through a self-pipe; rank output comes
// through one pipe per rank and stream.
#include "collectives/launch/supervise.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "collectives/launch/spawn.h"
#include "common/error.h"

namespace cairn::coll {

namespace {

// A line longer than this is written out in pieces (each with the prefix).
constexpr std::size_t kMaxLineBytes = 64 * 1024;
constexpr int kCaught[3] = {SIGINT, SIGTERM, SIGCHLD};

int g_signal_pipe[2] = {-1, -1};  // the self-pipe (write end used by the handler)

extern "C" void on_signal(int signo) {
  const int saved = errno;
  const auto byte = static_cast<unsigned char>(signo);
  [[maybe_unused]] auto n = ::write(g_signal_pipe[1], &byte, 1);
  errno = saved;
}

// One rank's stdout or stderr, relayed line by line with the prefix.
struct Stream {
  int fd = -1;  // read end; -1 once closed
  int out_fd = 1;
  std::string prefix;
  std::string pending;

  void relay(std::string_view data) {
    pending.append(data);
    std::size_t start = 0;
    for (;;) {
      const auto nl = pending.find('\n', start);
      if (nl == std::string::npos) break;
      write_all(out_fd, prefix + pending.substr(start, nl - start + 1));
      start = nl + 1;
    }
    pending.erase(0, start);
    if (pending.size() >= kMaxLineBytes) flush();
  }
  void flush() {
    if (!pending.empty()) write_all(out_fd, prefix + pending + "\n");
    pending.clear();
  }
  // Reads what is there; closes at EOF. false when nothing was read.
  bool pump() {
    if (fd < 0) return false;
    char buf[16384];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      relay(std::string_view(buf, static_cast<std::size_t>(n)));
      return true;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
    flush();
    ::close(fd);
    fd = -1;
    return false;
  }
};

struct Rank {
  int rank = 0;
  pid_t pid = -1;
  bool running = false;
  int status = 0;
  Stream out, err;
};

std::string signal_name(int signo) {
  const char* abbrev = ::sigabbrev_np(signo);
  return abbrev ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", signo);
}

std::string exit_text(int status) {
  if (WIFSIGNALED(status)) return "was killed by " + signal_name(WTERMSIG(status));
  return fmt::format("exited with code {}", WEXITSTATUS(status));
}

int exit_code_of(int status) { return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status); }

}  // namespace

LauncherSignals::LauncherSignals() {
  if (::pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
    throw Error(fmt::format("pipe2 failed: {}", std::strerror(errno)));
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int i = 0; i < 3; ++i) ::sigaction(kCaught[i], &sa, &old_[i]);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &old_pipe_);
}

LauncherSignals::~LauncherSignals() {
  for (int i = 0; i < 3; ++i) ::sigaction(kCaught[i], &old_[i], nullptr);
  ::sigaction(SIGPIPE, &old_pipe_, nullptr);
  ::close(g_signal_pipe[0]);
  ::close(g_signal_pipe[1]);
  g_signal_pipe[0] = g_signal_pipe[1] = -1;
}

int LauncherSignals::read_fd() const { return g_signal_pipe[0]; }

void signal_ranks(const std::vector<SupervisedRank>& ranks, int signo) {
  for (const auto& r : ranks) ::kill(-r.pid, signo);
}

int supervise(std::vector<SupervisedRank> started, const LauncherSignals& signals, const SuperviseOptions& o) {
  return supervise_job(std::move(started), signals, o).exit_code;
}

SuperviseOutcome supervise_job(std::vector<SupervisedRank> started, const LauncherSignals& signals,
                               const SuperviseOptions& o) {
  SuperviseOutcome outcome;
  std::vector<Rank> ranks;
  for (const auto& s : started) {
    Rank rk;
    rk.rank = s.rank;
    rk.pid = s.pid;
    rk.running = true;
    const std::string prefix = fmt::format("[rank {}] ", s.rank);
    if (s.out_fd >= 0) rk.out = Stream{s.out_fd, 1, prefix, {}};
    if (s.err_fd >= 0) rk.err = Stream{s.err_fd, 2, prefix, {}};
    ranks.push_back(std::move(rk));
  }
  int running = static_cast<int>(ranks.size());
  const int local_ranks = running;

  auto signal_all = [&](int signo) {
    for (auto& rk : ranks)
      if (rk.running) ::kill(-rk.pid, signo);
  };

  std::optional<std::size_t> failed;  // first rank that failed on its own
  bool failure_told = false;          // its line is out already
  std::optional<int> stop_signal;     // SIGINT/SIGTERM we received
  std::optional<std::chrono::steady_clock::time_point> kill_at;
  bool killed = false;

  auto begin_stop = [&] {
    signal_all(SIGTERM);
    kill_at = std::chrono::steady_clock::now() + o.grace;
  };

  while (running > 0) {
    std::vector<pollfd> fds{{signals.read_fd(), POLLIN, 0}};
    for (auto& rk : ranks)
      for (Stream* s : {&rk.out, &rk.err})
        if (s->fd >= 0) fds.push_back({s->fd, POLLIN, 0});
    int timeout_ms = -1;
    if (kill_at && !killed)
      timeout_ms = static_cast<int>(std::max<std::int64_t>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(*kill_at - std::chrono::steady_clock::now()).count() + 1));
    // SIGCHLD wakes us; the cap covers a signal that raced the poll.
    if (timeout_ms < 0 || timeout_ms > 200) timeout_ms = 200;
    ::poll(fds.data(), fds.size(), timeout_ms);

    unsigned char sig[64];
    ssize_t nsig;
    while ((nsig = ::read(signals.read_fd(), sig, sizeof sig)) > 0) {
      for (ssize_t i = 0; i < nsig; ++i) {
        if (sig[i] != SIGINT && sig[i] != SIGTERM) continue;
        if (!stop_signal) {
          stop_signal = sig[i];
          write_all(2, fmt::format("cairn launch: {}: stopping all {} ranks\n", signal_name(sig[i]), local_ranks));
          signal_all(sig[i]);
          kill_at = std::chrono::steady_clock::now() + o.grace;
        } else {
          signal_all(SIGKILL);  // a second Ctrl-C: no more waiting
          killed = true;
        }
      }
    }
    for (auto& rk : ranks) {
      rk.out.pump();
      rk.err.pump();
    }
    for (std::size_t r = 0; r < ranks.size(); ++r) {
      auto& rk = ranks[r];
      if (!rk.running || ::waitpid(rk.pid, &rk.status, WNOHANG) != rk.pid) continue;
      rk.running = false;
      --running;
      const bool ok = WIFEXITED(rk.status) && WEXITSTATUS(rk.status) == 0;
      if (!ok && !failed && !stop_signal) {
        failed = r;
        outcome.failed_at = std::chrono::steady_clock::now();
        // Said now, while the others are stopped; then not again at the end.
        if (running > 0) {
          write_all(2, fmt::format("cairn launch: rank {} {} (of {} ranks); stopping the other {} rank{}\n", rk.rank,
                                   exit_text(rk.status), o.world_size, running, running == 1 ? "" : "s"));
          failure_told = true;
        }
        begin_stop();
      }
    }
    if (kill_at && !killed && std::chrono::steady_clock::now() >= *kill_at && running > 0) {
      write_all(2, fmt::format("cairn launch: {} rank{} still running after {}: killing\n", running,
                               running == 1 ? "" : "s", fmt::format("{:g} s", o.grace.count() / 1000.0)));
      signal_all(SIGKILL);
      killed = true;
    }
    if (o.tick) o.tick();
  }
  outcome.ended_at = std::chrono::steady_clock::now();
  // Every rank has exited; what they wrote is in the pipes. Take it without waiting for
  // EOF, which a rank's leftover background child could hold off forever.
  for (auto& rk : ranks) {
    for (Stream* s : {&rk.out, &rk.err}) {
      while (s->pump()) {
      }
      s->flush();
      if (s->fd >= 0) ::close(s->fd);
      s->fd = -1;
    }
  }

  // A SIGINT/SIGTERM while a failure was being stopped still means: no restart.
  outcome.stopped_by_signal = stop_signal.has_value();
  if (failed) {
    const auto& rk = ranks[*failed];
    if (!failure_told)
      write_all(2, fmt::format("cairn launch: rank {} {} (of {} ranks)\n", rk.rank, exit_text(rk.status), o.world_size));
    outcome.exit_code = exit_code_of(rk.status);
    outcome.failed_rank = rk.rank;
    outcome.failure = exit_text(rk.status);
    return outcome;
  }
  if (stop_signal) outcome.exit_code = 128 + *stop_signal;
  return outcome;
}

}  // namespace cairn::coll
