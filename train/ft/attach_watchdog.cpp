// The hang watchdog on a training run (ft/watchdog/watchdog.h): on every rank of a
// data-parallel job with --watchdog-timeout; its verdict goes to stderr as one line, to
// --watchdog-report as a JSON line, and to the launcher's event file (CAIRN_FT_EVENTS).
// With that file set, every rank also reports its first completed step there: a restarting
// launcher's "time to resume" ends at it.
#include <algorithm>
#include <atomic>
#include <cstdio>

#include <fmt/format.h>

#include "ft/watchdog/job_events.h"
#include "ft/watchdog/watchdog.h"
#include "train/fault_tolerance.h"

namespace cairn::train {

namespace {

class WatchdogLayer final : public FtLayer {
 public:
  std::unique_ptr<ft::Watchdog> watchdog;
};

void say(const std::string& line) {
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

// Heartbeats a quarter of the timeout apart, at most a second: the verdict compares two
// readings 2.5 heartbeats apart, which stays well inside the 60 s it must come in.
std::chrono::milliseconds heartbeat_for(std::chrono::milliseconds timeout) {
  return std::clamp(timeout / 4, std::chrono::milliseconds(100), std::chrono::milliseconds(1000));
}

}  // namespace

std::unique_ptr<FtLayer> attach_watchdog(const FaultToleranceOptions& o, const FtJob& job, TrainHooks& hooks) {
  const std::optional<std::string> events = ft::ft_events_path();
  const bool watch = o.watchdog.enabled() && job.comm && job.world > 1;
  if (!watch && !events) return nullptr;
  auto layer = std::make_unique<WatchdogLayer>();
  const int rank = job.rank, attempt = ft::current_attempt();

  if (events) {
    auto reported = std::make_shared<std::atomic<bool>>(false);
    hooks.after_step.emplace_back([path = *events, rank, attempt, reported](const StepResult& r) {
      if (reported->exchange(true)) return;
      try {
        ft::append_json_line(path, {{"event", "step_done"},
                                    {"rank", rank},
                                    {"attempt", attempt},
                                    {"step", r.step},
                                    {"t", ft::steady_seconds()}});
      } catch (const std::exception& e) {
        say(fmt::format("cairn train: CAIRN_FT_EVENTS: {} (the launcher will not see this start resume)\n", e.what()));
      }
    });
  }

  if (watch) {
    ft::WatchdogConfig config;
    config.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(o.watchdog.timeout_s * 1000));
    config.heartbeat = heartbeat_for(config.timeout);
    config.rank = rank;
    config.world = job.world;
    config.on_verdict = [report = o.watchdog.report, events, rank, attempt](const ft::HangVerdict& v) {
      const std::string line = ft::verdict_line(v);
      say(fmt::format("cairn train: {}\n", line));
      try {
        if (!report.empty()) ft::append_json_line(report, ft::verdict_json(v));
        if (events)
          ft::append_json_line(*events, {{"event", "watchdog_abort"},
                                         {"rank", rank},
                                         {"attempt", attempt},
                                         {"t", v.aborted_at_s},
                                         {"line", line},
                                         {"verdict", ft::verdict_json(v)}});
      } catch (const std::exception& e) {
        say(fmt::format("cairn train: the watchdog's report was not written: {}\n", e.what()));
      }
    };
    layer->watchdog = std::make_unique<ft::Watchdog>(*job.comm, job.store, std::move(config));
  }
  return layer;
}

}  // namespace cairn::train
