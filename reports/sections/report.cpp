#include "reports/sections/report.h"

#include <algorithm>

#include "reports/sections/sections.h"

namespace cairn::reports {
namespace {

std::vector<const Input*> of_schema(const std::vector<Input>& inputs, std::initializer_list<const char*> schemas) {
  std::vector<const Input*> out;
  for (const Input& in : inputs)
    for (const char* s : schemas)
      if (in.schema == s) out.push_back(&in);
  return out;
}

}  // namespace

Document build_report(const std::vector<Input>& inputs, const ReportOptions& options) {
  Document d;
  d.title = options.title;
  d.generated = options.generated;
  for (const Input& in : inputs) d.inputs.push_back(in.path);

  const auto acceptance = of_schema(inputs, {"cairn.acceptance"});
  ExpectedRates expected;
  for (const Input* in : acceptance) {
    d.sections.push_back(acceptance_section(*in));
    for (const auto& [collective, rate] : acceptance_bench_rates(*in)) expected.emplace(collective, rate);
  }
  if (options.expect_busbw_gb_s) expected["*"] = *options.expect_busbw_gb_s;
  for (const Input* in : of_schema(inputs, {"cairn.probe"})) d.sections.push_back(probe_section(*in));
  for (const Input* in : of_schema(inputs, {"cairn.topo"})) d.sections.push_back(topo_section(*in));
  if (const auto benches = of_schema(inputs, {"cairn.bench"}); !benches.empty())
    d.sections.push_back(bench_section(benches, expected));
  for (const Input* in : of_schema(inputs, {"cairn.pairs"})) d.sections.push_back(pairs_section(*in));
  for (const Input* in : of_schema(inputs, {"cairn.tune.profile"})) d.sections.push_back(tune_profile_section(*in));
  for (const Input* in : of_schema(inputs, {"cairn.tune.prediction"})) d.sections.push_back(tune_prediction_section(*in));

  const auto logs = of_schema(inputs, {kLossLogKind});
  const auto step_files = of_schema(inputs, {"cairn.straggler_alert", "cairn.sdc.event"});
  if (!logs.empty()) d.sections.push_back(training_section(logs, step_files));
  if (const auto alerts = of_schema(inputs, {"cairn.straggler_alert"}); !alerts.empty()) {
    double last_step = 0;
    for (const Input* log : logs) last_step = std::max(last_step, static_cast<double>(log->loss.back().step));
    d.sections.push_back(straggler_section(alerts, last_step));
  }
  if (const auto events = of_schema(inputs, {"cairn.sdc.event", "cairn.watchdog_verdict", "cairn.launch_incident"});
      !events.empty())
    d.sections.push_back(events_section(events));
  return d;
}

}  // namespace cairn::reports
