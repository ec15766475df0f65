// The local launcher (local_launcher.h). Each rank runs in its own process group, so a
// terminal's Ctrl-C reaches only the launcher, which forwards it once to every rank's
// group (and so to shells' children too). Signals reach the event loop through a
// self-pipe; rank output comes through one pipe per rank and stream.
#include "collectives/launch/local_launcher.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "collectives/launch/rank_binding.h"
#include "common/env_knobs.h"
#include "common/error.h"

namespace cairn::coll {

namespace {

// A line longer than this is written out in pieces (each with the prefix).
constexpr std::size_t kMaxLineBytes = 64 * 1024;

int g_signal_pipe[2] = {-1, -1};  // the self-pipe (write end used by the handler)

extern "C" void on_signal(int signo) {
  const int saved = errno;
  const auto byte = static_cast<unsigned char>(signo);
  [[maybe_unused]] auto n = ::write(g_signal_pipe[1], &byte, 1);
  errno = saved;
}

// Installs the handlers for the lifetime of one launch and restores the previous ones.
class SignalGuard {
 public:
  SignalGuard() {
    if (::pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
      throw Error(fmt::format("pipe2 failed: {}", std::strerror(errno)));
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &sa, &old_[i]);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &old_pipe_);  // a closed stdout must not kill the launcher
  }
  ~SignalGuard() {
    for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &old_[i], nullptr);
    ::sigaction(SIGPIPE, &old_pipe_, nullptr);
    ::close(g_signal_pipe[0]);
    ::close(g_signal_pipe[1]);
    g_signal_pipe[0] = g_signal_pipe[1] = -1;
  }
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

  static constexpr int kSignals[3] = {SIGINT, SIGTERM, SIGCHLD};

 private:
  struct sigaction old_[3] {};
  struct sigaction old_pipe_ {};
};

void write_fd(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::write(fd, s.data(), s.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // our stdout is gone: drop the output, keep supervising
    }
    s.remove_prefix(static_cast<std::size_t>(n));
  }
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
      write_fd(out_fd, prefix + pending.substr(start, nl - start + 1));
      start = nl + 1;
    }
    pending.erase(0, start);
    if (pending.size() >= kMaxLineBytes) flush();
  }
  void flush() {
    if (!pending.empty()) write_fd(out_fd, prefix + pending + "\n");
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

int pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw Error(fmt::format("cannot find a free port for the store: {}: pass --master-port",
                            std::strerror(errno)));
  ::close(fd);
  return ntohs(a.sin_port);
}

// GPUs a CUDA_VISIBLE_DEVICES already in the environment leaves us, in its order.
void restrict_to_visible_gpus(NodeFacts& facts, const EnvMap& env) {
  auto it = env.find("CUDA_VISIBLE_DEVICES");
  if (it == env.end()) return;
  std::vector<NodeFacts::Gpu> kept;
  std::string_view rest = it->second;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string item(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    int index = -1;
    try {
      std::size_t used = 0;
      index = std::stoi(item, &used);
      if (used != item.size()) index = -1;
    } catch (const std::exception&) {
    }
    if (index < 0)
      throw Error(fmt::format("--bind: CUDA_VISIBLE_DEVICES='{}' names GPUs by UUID; use indexes "
                              "or unset it",
                              it->second));
    for (const auto& g : facts.gpus)
      if (g.index == index) kept.push_back(g);
  }
  facts.gpus = kept;
}

// Everything the child needs, built before fork: between fork and exec the child makes
// only async-signal-safe calls.
struct ChildSpec {
  std::vector<std::string> env_strings;
  std::vector<char*> argv, envp;
  std::optional<cpu_set_t> cpus;
  std::string exec_error;  // "cairn launch: cannot run 'X': "

  void prepare(const std::vector<std::string>& command) {
    for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    exec_error = fmt::format("cairn launch: cannot run '{}': ", command[0]);
  }
};

[[noreturn]] void exec_rank(ChildSpec& spec, int out_w, int err_w, bool keep_stdin) {
  ::setpgid(0, 0);
  for (int s : SignalGuard::kSignals) ::signal(s, SIG_DFL);
  ::signal(SIGPIPE, SIG_DFL);
  if (out_w >= 0) ::dup2(out_w, 1);
  if (err_w >= 0) ::dup2(err_w, 2);
  if (!keep_stdin) {
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
  }
  if (spec.cpus) ::sched_setaffinity(0, sizeof *spec.cpus, &*spec.cpus);
  ::execvpe(spec.argv[0], spec.argv.data(), spec.envp.data());
  const char* why = ::strerrordesc_np(errno);
  write_fd(2, spec.exec_error);
  write_fd(2, why ? why : "unknown error");
  write_fd(2, "\n");
  ::_exit(127);
}

}  // namespace

EnvMap rank_environment(const EnvMap& base, const RankSlot& slot) {
  EnvMap env = base;
  const std::string rank = std::to_string(slot.rank()), size = std::to_string(slot.nnodes * slot.local_size),
                    local_rank = std::to_string(slot.local_rank), local_size = std::to_string(slot.local_size),
                    port = std::to_string(slot.master_port);
  for (const auto& [k, v] : std::initializer_list<std::pair<const char*, const std::string&>>{
           {"CAIRN_RANK", rank},
           {"CAIRN_WORLD_SIZE", size},
           {"CAIRN_LOCAL_RANK", local_rank},
           {"CAIRN_LOCAL_SIZE", local_size},
           {"CAIRN_MASTER_ADDR", slot.master_addr},
           {"CAIRN_MASTER_PORT", port},
           {"CAIRN_SECRET", slot.secret},
           {"CAIRN_JOB_ID", slot.job_id},
           {"RANK", rank},
           {"WORLD_SIZE", size},
           {"LOCAL_RANK", local_rank},
           {"LOCAL_WORLD_SIZE", local_size},
           {"MASTER_ADDR", slot.master_addr},
           {"MASTER_PORT", port}})
    env[k] = v;
  return env;
}

int launch_local_ranks(const LaunchOptions& o, const EnvMap& base_env) {
  if (o.ranks < 1) throw Error(fmt::format("-n {} must be at least 1", o.ranks));
  if (o.command.empty()) throw Error("no command: give it after '--' (cairn launch -n 4 -- python train.py)");
  if (o.master_port < 0 || o.master_port > 65535)
    throw Error(fmt::format("--master-port {} is out of range 1-65535", o.master_port));
  if (o.nnodes < 1 || o.node_rank < 0 || o.node_rank >= o.nnodes)
    throw Error(fmt::format("--node-rank {} must be in [0, --nnodes {})", o.node_rank, o.nnodes));
  RankSlot slot;
  slot.local_size = o.ranks;
  slot.node_rank = o.node_rank;
  slot.nnodes = o.nnodes;
  slot.master_addr = o.master_addr.empty() ? "127.0.0.1" : o.master_addr;
  if (o.nnodes == 1) {
    slot.master_port = o.master_port ? o.master_port : pick_free_port();
    slot.secret = random_secret();
    slot.job_id = "local-" + random_secret().substr(0, 8);
  } else {
    // Every node must derive the same job: nothing here may be random.
    if (o.master_addr.empty() || o.master_port == 0)
      throw Error(fmt::format("--nnodes {}: give --master-addr (node 0's host, as the other nodes reach it) "
                              "and --master-port",
                              o.nnodes));
    slot.master_port = o.master_port;
    slot.secret = env::text("CAIRN_SECRET", base_env).value_or("");
    if (slot.secret.empty())
      throw Error(fmt::format("--nnodes {}: export the same CAIRN_SECRET on every node (for instance from a "
                              "Kubernetes Secret); only a one-node launch makes its own",
                              o.nnodes));
    slot.job_id = env::text("CAIRN_JOB_ID", base_env).value_or("");
    if (slot.job_id.empty()) slot.job_id = store_address(o.master_addr, o.master_port);
  }

  std::vector<RankBinding> plan;
  if (o.bind) {
    NodeFacts facts = read_node_facts();
    restrict_to_visible_gpus(facts, base_env);
    plan = plan_binding(facts, o.ranks);
    if (!facts.gpus.empty() && static_cast<int>(facts.gpus.size()) < o.ranks)
      write_fd(2, fmt::format("cairn launch: {} ranks share {} GPUs\n", o.ranks, facts.gpus.size()));
    for (int r = 0; r < o.ranks; ++r) {
      const auto& b = plan[static_cast<std::size_t>(r)];
      write_fd(2, fmt::format("cairn launch: rank {}: CPUs {}{}{}\n", o.node_rank * o.ranks + r, cpu_list_text(b.cpus),
                              b.gpu ? fmt::format(", GPU {}", *b.gpu) : "", b.nic ? ", NIC " + *b.nic : ""));
    }
  }

  SignalGuard guard;
  std::vector<Rank> ranks(static_cast<std::size_t>(o.ranks));
  const bool keep_stdin = !::isatty(0);
  int running = 0;

  auto signal_all = [&](int signo) {
    for (auto& rk : ranks)
      if (rk.running) ::kill(-rk.pid, signo);
  };

  for (int r = 0; r < o.ranks; ++r) {
    ChildSpec spec;
    slot.local_rank = r;
    EnvMap env = rank_environment(base_env, slot);
    if (o.bind) {
      const auto& b = plan[static_cast<std::size_t>(r)];
      for (const auto& [k, v] : binding_environment(b)) env[k] = v;
      if (!b.cpus.empty()) {
        cpu_set_t set;
        CPU_ZERO(&set);
        for (int c : b.cpus) CPU_SET(c, &set);
        spec.cpus = set;
      }
    }
    for (const auto& [k, v] : env) spec.env_strings.push_back(k + "=" + v);
    spec.prepare(o.command);

    int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    if (o.prefix_output && (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)) {
      signal_all(SIGKILL);
      throw Error(fmt::format("pipe2 failed: {}", std::strerror(errno)));
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
      signal_all(SIGKILL);
      throw Error(fmt::format("fork failed for rank {}: {}", r, std::strerror(errno)));
    }
    if (pid == 0) exec_rank(spec, out_pipe[1], err_pipe[1], keep_stdin && r == 0);
    ::setpgid(pid, pid);  // also here, so no signal can arrive before the child did it
    auto& rk = ranks[static_cast<std::size_t>(r)];
    rk.pid = pid;
    rk.running = true;
    ++running;
    if (o.prefix_output) {
      ::close(out_pipe[1]);
      ::close(err_pipe[1]);
      rk.out = Stream{out_pipe[0], 1, fmt::format("[rank {}] ", slot.rank()), {}};
      rk.err = Stream{err_pipe[0], 2, fmt::format("[rank {}] ", slot.rank()), {}};
      ::fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
      ::fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
    }
  }

  std::optional<int> failed_rank;  // first rank that failed on its own
  std::optional<int> stop_signal;  // SIGINT/SIGTERM we received
  std::optional<std::chrono::steady_clock::time_point> kill_at;
  bool killed = false;

  auto begin_stop = [&] {
    signal_all(SIGTERM);
    kill_at = std::chrono::steady_clock::now() + o.grace;
  };

  while (running > 0) {
    std::vector<pollfd> fds{{g_signal_pipe[0], POLLIN, 0}};
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
    while ((nsig = ::read(g_signal_pipe[0], sig, sizeof sig)) > 0) {
      for (ssize_t i = 0; i < nsig; ++i) {
        if (sig[i] != SIGINT && sig[i] != SIGTERM) continue;
        if (!stop_signal) {
          stop_signal = sig[i];
          write_fd(2, fmt::format("cairn launch: {}: stopping all {} ranks\n", signal_name(sig[i]), o.ranks));
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
      if (!ok && !failed_rank && !stop_signal) {
        failed_rank = static_cast<int>(r);
        if (running > 0)
          write_fd(2, fmt::format("cairn launch: rank {} {}; stopping the other {} rank{}\n",
                                  o.node_rank * o.ranks + static_cast<int>(r), exit_text(rk.status), running,
                                  running == 1 ? "" : "s"));
        begin_stop();
      }
    }
    if (kill_at && !killed && std::chrono::steady_clock::now() >= *kill_at && running > 0) {
      write_fd(2, fmt::format("cairn launch: {} rank{} still running after {}: killing\n", running,
                              running == 1 ? "" : "s", fmt::format("{:g} s", o.grace.count() / 1000.0)));
      signal_all(SIGKILL);
      killed = true;
    }
  }
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

  if (failed_rank) {
    const auto& rk = ranks[static_cast<std::size_t>(*failed_rank)];
    write_fd(2, fmt::format("cairn launch: rank {} {} (of {} ranks)\n", o.node_rank * o.ranks + *failed_rank,
                            exit_text(rk.status), o.nnodes * o.ranks));
    return exit_code_of(rk.status);
  }
  if (stop_signal) return 128 + *stop_signal;
  return 0;
}

}  // namespace cairn::coll
