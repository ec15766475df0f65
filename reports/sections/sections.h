// One renderer per kind of result: each turns its inputs into a section of the report
// (charts, tables and the findings of the summary). Errors name the file and the field.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reports/html/document.h"
#include "reports/inputs/input.h"

namespace cairn::reports {

// Expected bus bandwidth per collective (GB/s): --expect-busbw-gb-s for all, or an
// acceptance file's bench.<collective> thresholds. Key "*": every collective.
using ExpectedRates = std::map<std::string, double>;

// busbw against message size per collective, one series per file (a peer's run beside
// ours), the expected rate as a line.
Section bench_section(const std::vector<const Input*>& benches, const ExpectedRates& expected);
// The all-pairs bandwidth and latency heatmaps, slow links marked.
Section pairs_section(const Input& pairs);
// GPU/NIC path classes as `nvidia-smi topo -m` prints them.
Section topo_section(const Input& topo);
// Default against tuned busbw per size, and the verdict of every cell.
Section tune_profile_section(const Input& profile);
// The cost model's busbw per size at a cluster's scale.
Section tune_prediction_section(const Input& prediction);
// The node: CPUs, GPUs, NICs and the health findings.
Section probe_section(const Input& probe);
// Loss and gradient norm against step, alerts marked.
Section training_section(const std::vector<const Input*>& loss_logs, const std::vector<const Input*>& event_files);
// Straggler alerts on a rank-by-step timeline; steps_hint: the last step trained, if known.
Section straggler_section(const std::vector<const Input*>& alert_files, double steps_hint);
// SDC events, watchdog verdicts and launch incidents as tables.
Section events_section(const std::vector<const Input*>& event_files);
// `cairn acceptance`'s verdicts: per node, per link, per check, and the isolation runs.
Section acceptance_section(const Input& acceptance);
// The bench thresholds an acceptance file states, for bench_section's expected lines.
ExpectedRates acceptance_bench_rates(const Input& acceptance);

}  // namespace cairn::reports
