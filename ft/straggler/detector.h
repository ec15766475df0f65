// The straggler detector (docs/ft.md, "Straggler detector"): any loop tells it where each
// step's time went on this rank; every `every` steps the ranks all_gather their window
// least section times (sections.h), score each other (scoring.h), and when a rank is suspect run the sniff test
// (sniff.h) before an alert (alert.h) goes to the log, the event stream, the metrics file
// and the hook.
//
// Collective: every rank of `comm` makes the same calls in the same steps (end_step at
// every step), so every rank reaches each window's all_gather, and every rank decides
// from the same gathered numbers whether to sniff. Rank 0 alone reads the control file
// (its thresholds travel in the all_gather) and writes the outputs.
//
// Two communicators: `comm` carries the detector's own exchanges (window statistics,
// identities, the sniff) and must hold host memory; `observed` is the one whose operations
// are the step's collectives (the gradients' NCCL communicator on GPUs; null: comm). A GPU
// loop hands end_step sections timed with CUDA events (train/ft/attach_straggler.cpp).
// One rank alone is a job of one: no one to compare with, so it never alerts, but it
// measures its own noise floor (noise_floor()) and what the detector costs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collectives/backends/communicator.h"
#include "common/append_lines.h"
#include "ft/straggler/alert.h"
#include "ft/straggler/baseline.h"
#include "ft/straggler/collective_timer.h"
#include "ft/straggler/control_file.h"
#include "ft/alerting/hook_runner.h"
#include "ft/straggler/scoring.h"
#include "ft/straggler/sections.h"
#include "ft/straggler/sniff.h"
#include "ft/straggler/straggler_options.h"

namespace cairn::ft {

struct StragglerIdentity {
  std::string host;
  std::string gpu_bus_id = "none";  // "none" on the CPU
};

struct StragglerProbes {
  // One small GEMM on this rank, its seconds (the sniff's compute probe).
  std::function<double()> compute;
  // NVML's clock-event reasons of this rank's GPU now ("sw_thermal_slowdown", ...);
  // empty: none to name (no GPU, no NVML, or no reason set).
  std::function<std::string()> clock_events;
};

using StragglerLog = std::function<void(const std::string&)>;  // thread-safe (the hook's thread logs too)

class StragglerDetector {
 public:
  // Registers its observer on `observed` (null: comm); cairn::Error naming the flag if an
  // output cannot be opened.
  StragglerDetector(coll::Communicator& comm, StragglerOptions options, StragglerIdentity me, StragglerProbes probes,
                    StragglerLog log, coll::Communicator* observed = nullptr);
  ~StragglerDetector();
  StragglerDetector(const StragglerDetector&) = delete;
  StragglerDetector& operator=(const StragglerDetector&) = delete;

  // A step starts: its collectives are counted from here.
  void begin_step();
  // The step ended: its sections (the collectives entry is filled here from the
  // observer). At the end of each window: collective.
  void end_step(std::int64_t step, SectionTimes t);

  // Rank 0 hands `publish` the metrics text (metrics.h) after every window, as it
  // rewrites --straggler-metrics: what a --metrics-port endpoint serves.
  void publish_metrics_to(std::function<void(std::string)> publish) { publish_ = std::move(publish); }

  const std::vector<Alert>& alerts() const { return alerts_; }  // every rank keeps them
  long windows() const { return windows_; }
  long sniffs() const { return sniffs_; }
  double overhead_s() const { return overhead_s_; }
  const std::optional<WindowScores>& last_scores() const { return last_; }
  // This rank's noise floor: per section, the robust spread of its own window statistics
  // across the windows judged so far (1.4826 MAD / median, a standard deviation's
  // estimate as a share of the median; 0 before 3 windows). A change much larger than it
  // stands out from this rank's own history: the least slowdown worth looking for here.
  SectionTimes noise_floor() const;

 private:
  void judge_window(std::int64_t step);
  void learn_identities();
  std::vector<std::string> gather_text(const std::string& mine);
  void raise(Alert a);
  void write_metrics(std::int64_t step);

  coll::Communicator& comm_;
  coll::Communicator& observed_;
  StragglerOptions o_;
  StragglerIdentity me_;
  StragglerProbes probes_;
  StragglerLog log_;
  std::shared_ptr<CollectiveTimer> timer_;
  std::unique_ptr<ControlFile> control_;
  std::unique_ptr<HookRunner> hook_;
  std::unique_ptr<AppendLines> events_;  // rank 0, --straggler-events
  bool metrics_failed_ = false;
  std::function<void(std::string)> publish_;

  SectionWindow window_;
  std::int64_t judged_steps_ = 0;
  long windows_ = 0, sniffs_ = 0, unconfirmed_ = 0;
  double overhead_s_ = 0;
  std::vector<std::string> hosts_, buses_;
  Hysteresis hysteresis_;
  RankBaselines baselines_;     // each rank's own section ratios: a change from them is scored
  std::vector<std::optional<VerdictType>> alerted_;  // per rank: the type last alerted, until it clears
  std::vector<std::vector<double>> streak_;  // per rank: the slowdowns of its windows in a row as a candidate
  std::vector<int> link_count_;                      // per rank: consecutive sniffs naming its link
  bool link_pending_ = false;
  std::vector<double> baseline_collectives_;  // the job's median collectives time, first windows
  int job_link_count_ = 0;
  StragglerThresholds thresholds_;
  std::optional<WindowScores> last_;
  std::vector<SectionTimes> own_windows_;  // this rank's window statistics, the latest kNoiseWindows
  std::vector<Alert> alerts_;
};

}  // namespace cairn::ft
