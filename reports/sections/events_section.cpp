#include <fmt/format.h>

#include "reports/charts/scale.h"
#include "reports/sections/format.h"
#include "reports/sections/sections.h"

namespace cairn::reports {
namespace {

std::string join_strings(const Json& array, const std::string& separator) {
  std::string out;
  for (const Json& v : array) out += (out.empty() ? "" : separator) + (v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

// The incident counts steps from 0; the report, as the progress table, from 1.
Cell resumed_step(const Json& incident, const std::string& where) {
  const auto step = opt_number(incident, "resumed_step", where);
  return number_cell(step ? std::optional<double>(*step + 1) : std::nullopt);
}

}  // namespace

Section events_section(const std::vector<const Input*>& event_files) {
  Section s;
  s.title = "Fault-tolerance events (SDC, watchdog, restarts)";
  s.intro = "What the fault-tolerance layer found and did: silent-data-corruption checks, hang verdicts of the "
            "watchdog, and the failures cairn launch detected and restarted.";
  Table sdc{{"step", "check", "action", "verified", "findings"}, {}};
  Table hangs{{"rank", "operation", "stall", "never reached", "never completed"}, {}};
  Table incidents{{"incident", "rank", "failure", "detected after", "restarted", "resumed after", "resumed at step"}, {}};
  int unrepaired = 0;
  for (const Input* in : event_files) {
    s.sources.push_back(in->path);
    for (std::size_t k = 0; k < in->events.size(); ++k) {
      const Json& e = in->events[k];
      const std::string where = fmt::format("{} event {}", in->path, k + 1);
      if (in->schema == "cairn.sdc.event") {
        const std::string action = opt_string(e, "action", where).value_or("?");
        unrepaired += action != "repaired";
        const bool verified = e.contains("verified") && e["verified"].is_boolean() && e["verified"].get<bool>();
        sdc.rows.push_back({number_cell(opt_number(e, "step", where)), {opt_string(e, "check", where).value_or("?")},
                            {action, action == "repaired" ? Tone::warning : Tone::bad},
                            {verified ? "yes" : "no", verified ? Tone::good : Tone::bad},
                            {join_strings(opt_array(e, "findings", where), "; ")}});
      } else if (in->schema == "cairn.watchdog_verdict") {
        const Json& op = e.contains("op") ? e["op"] : Json::object();
        hangs.rows.push_back({number_cell(opt_number(e, "rank", where)),
                              {fmt::format("{} #{} ({} B)", opt_string(op, "kind", where).value_or("?"),
                                           or_dash(opt_number(op, "seq", where)), or_dash(opt_number(op, "bytes", where)))},
                              {opt_string(e, "stall", where).value_or("?"), Tone::bad},
                              {join_strings(opt_array(e, "never_reached", where), ", ")},
                              {join_strings(opt_array(e, "never_completed", where), ", ")}});
      } else if (in->schema == "cairn.launch_incident") {
        const bool restarted = e.contains("restarted") && e["restarted"].is_boolean() && e["restarted"].get<bool>();
        incidents.rows.push_back({number_cell(opt_number(e, "incident", where)), number_cell(opt_number(e, "rank", where)),
                                  {opt_string(e, "failure", where).value_or("?")},
                                  {or_dash(opt_number(e, "time_to_detect_s", where), "s"), Tone::plain, true},
                                  {restarted ? "yes" : "no", restarted ? Tone::warning : Tone::bad},
                                  {or_dash(opt_number(e, "time_to_resume_s", where), "s"), Tone::plain, true},
                                  resumed_step(e, where)});
      }
    }
  }
  if (!sdc.rows.empty())
    s.findings.push_back({"SDC", fmt::format("{} event(s), {} not repaired", sdc.rows.size(), unrepaired),
                          unrepaired ? Tone::bad : Tone::warning});
  if (!hangs.rows.empty())
    s.findings.push_back({"watchdog", fmt::format("{} hang verdict(s)", hangs.rows.size()), Tone::bad});
  if (!incidents.rows.empty())
    s.findings.push_back({"incidents", fmt::format("{} failure(s) detected by cairn launch", incidents.rows.size()),
                          Tone::warning});
  for (Table* t : {&sdc, &hangs, &incidents})
    if (!t->rows.empty()) s.tables.push_back(std::move(*t));
  return s;
}

}  // namespace cairn::reports
