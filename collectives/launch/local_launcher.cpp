// The local launcher (local_launcher.h): plan, spawn every rank, supervise; with
// --max-restarts, again after a failure, recording each incident.
#include "collectives/launch/local_launcher.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "collectives/launch/ft_events.h"
#include "collectives/launch/incident.h"
#include "collectives/launch/launch_limits.h"
#include "collectives/launch/launch_plan.h"
#include "collectives/launch/rank_binding.h"
#include "collectives/launch/spawn.h"
#include "collectives/launch/supervise.h"
#include "common/error.h"

namespace cairn::coll {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_on_steady_clock(Clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

void check_restart_options(const LaunchOptions& o) {
  if (o.max_restarts < 0 || o.max_restarts > kMaxRestarts)
    throw Error(fmt::format("--max-restarts {} must be from 0 to {}", o.max_restarts, kMaxRestarts));
  if (o.max_restarts > 0 && o.nnodes > 1)
    throw Error(
        fmt::format("--max-restarts with --nnodes {}: restarts are for one node only (every node's launcher would "
                    "restart on its own); run under a scheduler that restarts the job",
                    o.nnodes));
  if (!o.incidents.empty()) {
    const int fd = ::open(o.incidents.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      throw Error(
          fmt::format("--incidents {}: cannot open it for appending: {}; give a file in a directory that exists",
                      o.incidents, std::strerror(errno)));
    ::close(fd);
  }
}

// Starts every rank of one attempt; on a failed spawn kills those started and throws.
std::vector<SupervisedRank> start_ranks(const LaunchOptions& o, const LaunchPlan& plan) {
  const bool keep_stdin = !::isatty(0);
  std::vector<SupervisedRank> started;
  for (std::size_t r = 0; r < plan.ranks.size(); ++r) {
    const RankLaunch& rank = plan.ranks[r];
    try {
      const SpawnedRank s =
          spawn_rank(o.command, rank.env, rank.cpus, o.prefix_output, keep_stdin && r == 0, static_cast<int>(r));
      started.push_back({rank.rank, s.pid, s.out_fd, s.err_fd});
    } catch (...) {
      signal_ranks(started, SIGKILL);
      throw;
    }
  }
  return started;
}

// A SIGINT or SIGTERM that reached the launcher after the failed start ended (its bytes
// wait in the self-pipe): the job must stop, not restart and be stopped at once.
std::optional<int> stop_signal_waiting(const LauncherSignals& signals) {
  std::optional<int> stop;
  unsigned char sig[64];
  ssize_t n;
  while ((n = ::read(signals.read_fd(), sig, sizeof sig)) > 0)
    for (ssize_t i = 0; i < n; ++i)
      if (sig[i] == SIGINT || sig[i] == SIGTERM) stop = sig[i];
  return stop;
}

// Says and records each incident once.
class IncidentLog {
 public:
  explicit IncidentLog(std::string path) : path_(std::move(path)) {}
  void record(const Incident& i) const {
    write_all(2, incident_line(i) + "\n");
    if (path_.empty()) return;
    const std::string line = incident_json(i).dump() + "\n";
    const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || ::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
      write_all(2, fmt::format("cairn launch: --incidents {}: cannot append incident {}: {}\n", path_, i.number,
                               std::strerror(errno)));
    if (fd >= 0) ::close(fd);
  }

 private:
  std::string path_;
};

// Fills in what the ranks' events say of the attempt that failed: a watchdog's abort moves
// the start of "time to detect" to the abort, when it came first.
void apply_failure_events(const std::vector<FtEvent>& events, int attempt, const SuperviseOutcome& out, Incident& i) {
  double failed_at = seconds_on_steady_clock(out.failed_at);
  for (const FtEvent& e : events) {
    if (e.event != "watchdog_abort" || e.attempt != attempt || i.watchdog_rank) continue;
    i.watchdog_rank = e.rank;
    i.watchdog_line = e.line;
    failed_at = std::min(failed_at, e.t);
  }
  i.detect_s = std::max(0.0, seconds_on_steady_clock(out.ended_at) - failed_at);
}

}  // namespace

int launch_local_ranks(const LaunchOptions& o, const EnvMap& base_env) {
  validate_launch_options(o);
  check_restart_options(o);
  check_launch_fits(o, read_launch_resources());
  // execvp searches the PATH the ranks inherit, which is ours; glibc's default without one.
  const auto path = base_env.find("PATH");
  find_program(o.command[0], path == base_env.end() ? "/bin:/usr/bin" : path->second);
  std::optional<NodeFacts> node;
  if (o.bind) node = read_node_facts();
  const bool recording = o.max_restarts > 0 || !o.incidents.empty();
  std::optional<FtEventsFile> events;
  if (recording) events.emplace();
  const IncidentLog log(o.incidents);

  LauncherSignals signals;           // before the first fork: a Ctrl-C from now on is forwarded
  std::vector<FtEvent> seen;         // every event read so far
  std::optional<Incident> resuming;  // the incident whose restart is running, until it resumes
  int incidents = 0;
  for (int attempt = 0;; ++attempt) {
    EnvMap env = base_env;
    if (recording) {
      env["CAIRN_RESTART"] = std::to_string(attempt);
      env["CAIRN_FT_EVENTS"] = events->path();
    }
    const LaunchPlan plan = plan_launch(o, env, draw_fresh_job(o), node);  // a fresh port and secret each start
    if (attempt == 0)
      for (const auto& line : plan.messages) write_all(2, line);
    const Clock::time_point started_at = Clock::now();
    SuperviseOptions supervise_options{o.nnodes * o.ranks, o.grace, {}};
    if (events)
      supervise_options.tick = [&] {
        for (FtEvent& e : events->read_new()) seen.push_back(std::move(e));
        if (!resuming) return;
        for (const FtEvent& e : seen)
          if (e.event == "step_done" && e.attempt == attempt && e.step) {
            resuming->resume_s = std::max(0.0, e.t - seconds_on_steady_clock(started_at));
            resuming->resumed_step = *e.step;
            log.record(*resuming);
            resuming.reset();
            return;
          }
      };
    const SuperviseOutcome out = supervise_job(start_ranks(o, plan), signals, supervise_options);
    if (supervise_options.tick) supervise_options.tick();  // what came in with the last exit
    if (resuming) {                                        // the restart ended before any step was reported
      resuming->restart_failed = out.exit_code != 0;
      log.record(*resuming);
      resuming.reset();
    }
    if (out.exit_code == 0 || out.stopped_by_signal || !out.failed_rank) return out.exit_code;
    if (!recording) return out.exit_code;

    Incident incident;
    incident.number = ++incidents;
    incident.attempt = attempt;
    incident.rank = *out.failed_rank;
    incident.failure = out.failure;
    incident.exit_code = out.exit_code;
    incident.max_restarts = o.max_restarts;
    apply_failure_events(seen, attempt, out, incident);
    if (attempt >= o.max_restarts) {
      log.record(incident);
      if (o.max_restarts > 0)
        write_all(2, fmt::format("cairn launch: gave up after {} restart{}: the last failure was rank {}, which {}\n",
                                 o.max_restarts, o.max_restarts == 1 ? "" : "s", incident.rank, incident.failure));
      return out.exit_code;
    }
    if (const auto stop = stop_signal_waiting(signals)) {
      log.record(incident);
      write_all(2, fmt::format("cairn launch: {} arrived: not restarting\n", *stop == SIGINT ? "SIGINT" : "SIGTERM"));
      return 128 + *stop;
    }
    incident.restarted = true;
    write_all(2, fmt::format("cairn launch: restarting all {} ranks (restart {} of {})\n", o.nnodes * o.ranks,
                             attempt + 1, o.max_restarts));
    resuming = incident;
  }
}

}  // namespace cairn::coll
