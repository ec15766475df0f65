#include "tests/support/rank_harness.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <thread>

#include <gtest/gtest.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "collectives/rendezvous/tcp_store.h"

namespace cairn::coll::testing {
namespace {

using Clock = std::chrono::steady_clock;

void write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= std::size_t(w);
  }
}

bool read_all(int fd, void* out, std::size_t n) {
  auto* p = static_cast<char*>(out);
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= std::size_t(r);
  }
  return true;
}

constexpr const char* kSecret = "rank-harness";
constexpr const char* kExitedKey = "harness/exited";

// The child's whole life; never returns.
[[noreturn]] void rank_main(int rank, int size, int port_read, int port_write, int report_fd,
                            const std::function<void(RankEnv&)>& body, const HarnessOptions& options) {
  int code = 0;
  try {
    std::unique_ptr<StoreServer> server;
    int port = 0;
    if (rank != 0) ::close(port_write);  // so that a lost rank 0 reads as end of file
    if (rank == 0) {
      server = std::make_unique<StoreServer>(0, kSecret);
      port = server->port();
      for (int r = 1; r < size; ++r) write_all(port_write, reinterpret_cast<const char*>(&port), sizeof port);
    } else if (!read_all(port_read, &port, sizeof port)) {
      throw std::runtime_error("rank 0 ended before it published the store's port");
    }
    if (rank == 0) ::close(port_write);
    ::close(port_read);
    auto store = connect_store(StoreOptions{"127.0.0.1", port, kSecret, options.store_timeout});
    RankEnv env(rank, size, *store, report_fd);
    try {
      body(env);
    } catch (const std::exception& e) {
      env.fail(std::string("uncaught exception: ") + e.what());
    }
#if defined(__SANITIZE_ADDRESS__)
    // _exit skips LeakSanitizer's exit-time check; run it here, after the body's
    // communicators are gone.
    if (__lsan_do_recoverable_leak_check()) env.fail("LeakSanitizer found leaks (report above)");
#endif
    code = env.failures() ? 1 : 0;
    store->add(kExitedKey, 1);
    if (rank == 0) {  // keep the store up until every rank that is meant to finish has
      const auto until = Clock::now() + std::chrono::seconds(30);
      const std::int64_t expected = size - std::int64_t(options.may_die.size());
      while (store->add(kExitedKey, 0) < expected && Clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  } catch (const std::exception& e) {
    const std::string line = std::string("F harness: ") + e.what() + "\n";
    write_all(report_fd, line.data(), line.size());
    code = 2;
  }
  ::_exit(code);
}

}  // namespace

void RankEnv::send(char kind, const std::string& text) {
  std::string line(1, kind);
  line += ' ';
  for (char c : text) line += c == '\n' ? ' ' : c;
  line += '\n';
  write_all(fd_, line.data(), line.size());
}

void RankEnv::fail(const std::string& what) {
  if (++failures_ <= 50) send('F', what);
}

void RankEnv::note(const std::string& line) { send('N', line); }

std::vector<RankOutcome> run_ranks(int size, const std::function<void(RankEnv&)>& body, const HarnessOptions& options) {
  int port_pipe[2];
  if (::pipe(port_pipe) != 0) throw std::runtime_error("pipe failed");
  std::vector<int> report_fds(std::size_t(size), -1);
  std::vector<pid_t> pids(std::size_t(size), -1);
  std::vector<RankOutcome> out(static_cast<std::size_t>(size));
  for (int r = 0; r < size; ++r) {
    int report[2];
    if (::pipe(report) != 0) throw std::runtime_error("pipe failed");
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      ::close(report[0]);
      for (int fd : report_fds)
        if (fd >= 0) ::close(fd);
      rank_main(r, size, port_pipe[0], port_pipe[1], report[1], body, options);
    }
    ::close(report[1]);
    report_fds[std::size_t(r)] = report[0];
    pids[std::size_t(r)] = pid;
    out[std::size_t(r)].rank = r;
  }
  ::close(port_pipe[0]);
  ::close(port_pipe[1]);

  // Collect report lines until every pipe is closed or the limit passes.
  std::vector<std::string> partial(static_cast<std::size_t>(size));
  const auto limit = Clock::now() + options.limit;
  int open = size;
  while (open > 0 && Clock::now() < limit) {
    std::vector<pollfd> fds;
    for (int fd : report_fds)
      if (fd >= 0) fds.push_back(pollfd{fd, POLLIN, 0});
    ::poll(fds.data(), fds.size(), 100);
    for (const pollfd& p : fds) {
      if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const int r = int(std::find(report_fds.begin(), report_fds.end(), p.fd) - report_fds.begin());
      char buf[4096];
      const ssize_t n = ::read(p.fd, buf, sizeof buf);
      if (n > 0) {
        partial[std::size_t(r)].append(buf, std::size_t(n));
        continue;
      }
      ::close(p.fd);
      report_fds[std::size_t(r)] = -1;
      --open;
    }
  }
  for (int r = 0; r < size; ++r) {
    RankOutcome& o = out[std::size_t(r)];
    if (report_fds[std::size_t(r)] >= 0) {
      ::kill(pids[std::size_t(r)], SIGKILL);
      ::close(report_fds[std::size_t(r)]);
      o.killed_at_limit = true;
    }
    int status = 0;
    while (::waitpid(pids[std::size_t(r)], &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
    std::size_t start = 0;
    const std::string& text = partial[std::size_t(r)];
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      const std::string line = text.substr(start, end - start);
      if (line.size() >= 2 && line[0] == 'F') o.failures.push_back(line.substr(2));
      if (line.size() >= 2 && line[0] == 'N') o.notes.push_back(line.substr(2));
      start = end + 1;
    }
  }
  return out;
}

void expect_all_ok(const std::vector<RankOutcome>& outcomes, const std::set<int>& may_die) {
  for (const RankOutcome& o : outcomes) {
    for (const std::string& f : o.failures) ADD_FAILURE() << "rank " << o.rank << ": " << f;
    if (may_die.count(o.rank)) continue;
    if (o.killed_at_limit) ADD_FAILURE() << "rank " << o.rank << " hung: killed at the harness's time limit";
    else if (o.signal) ADD_FAILURE() << "rank " << o.rank << " died of signal " << o.signal << " (" << strsignal(o.signal) << ")";
    else if (o.exit_code != 0 && o.failures.empty()) ADD_FAILURE() << "rank " << o.rank << " exited with code " << o.exit_code;
  }
}

std::vector<std::string> notes_with(const RankOutcome& o, const std::string& prefix) {
  std::vector<std::string> out;
  for (const std::string& n : o.notes)
    if (n.rfind(prefix, 0) == 0) out.push_back(n.substr(prefix.size()));
  return out;
}

}  // namespace cairn::coll::testing
