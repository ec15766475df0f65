// Where a check's threshold comes from: the node spec (--expect), the node's own past
// (--baseline), and the fleet (the median of every subject's median, which a minority of
// slow nodes cannot drag down). The strictest that applies is judged (check.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "collectives/measure/pairs/analysis.h"
#include "reports/acceptance/acceptance.h"

namespace cairn::acceptance {

// Adds the spec's and the baseline's thresholds to c (the spec's rate, if any, is `spec`).
void apply_spec_and_baseline(Check& c, std::optional<double> spec, const AcceptanceOptions& o);

// One check per subject (a node, or a GPU: host "n1/gpu3") of `samples[i]`, judged against
// the spec, the baseline, the fleet (two subjects or more) and `extra[i]` when given;
// each with its percentile among the fleet.
std::vector<Check> fleet_checks(const std::string& name, const std::string& unit,
                                const std::vector<std::vector<double>>& samples,
                                const std::vector<coll::pairs::Participant>& subjects, std::optional<double> spec,
                                const AcceptanceOptions& o, const std::vector<std::optional<Threshold>>& extra = {});

}  // namespace cairn::acceptance
