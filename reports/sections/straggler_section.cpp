#include <map>

#include <fmt/format.h>

#include "reports/charts/palette.h"
#include "reports/charts/scale.h"
#include "reports/charts/timeline.h"
#include "reports/sections/format.h"
#include "reports/sections/sections.h"

namespace cairn::reports {

Section straggler_section(const std::vector<const Input*>& alert_files, double steps_hint) {
  Section s;
  s.title = "Straggler alerts (cairn train --straggler-events)";
  for (const Input* in : alert_files) s.sources.push_back(in->path);
  s.intro = "Every confirmed straggler: the rank it named (one lane each) at the step whose window raised it, "
            "coloured by what was slow; hover a dot for its evidence.";
  struct Alert {
    double step;
    int rank;
    std::string host, type, section, evidence;
    double slowdown;
  };
  std::vector<Alert> alerts;
  std::map<int, std::string> hosts;
  for (const Input* in : alert_files)
    for (std::size_t k = 0; k < in->events.size(); ++k) {
      const Json& e = in->events[k];
      const std::string where = fmt::format("{} event {}", in->path, k + 1);
      Alert a{req_number(e, "step", where) + 1,  // the alert counts steps from 0, the progress table from 1
              req_int(e, "rank", where),
              opt_string(e, "host", where).value_or("?"),
              opt_string(e, "type", where).value_or("?"),
              opt_string(e, "section", where).value_or("?"),
              opt_string(e, "evidence", where).value_or(""),
              opt_number(e, "slowdown_percent", where).value_or(0)};
      hosts[a.rank] = a.host;
      alerts.push_back(std::move(a));
    }
  Timeline t;
  t.title = "Straggler alerts: rank against step";
  t.x_label = "step";
  t.lane_label = "rank (host)";
  t.x_lo = 1;
  t.x_hi = steps_hint > 1 ? steps_hint : 1;
  std::map<int, std::size_t> lane_of;
  for (const auto& [rank, host] : hosts) {
    lane_of[rank] = t.lanes.size();
    t.lanes.push_back(fmt::format("rank {} ({})", rank, host));
  }
  Table table{{"step", "rank", "host", "slow", "section", "slowdown", "evidence"}, {}};
  for (const Alert& a : alerts) {
    const std::string kind = a.type + "-slow";
    t.events.push_back({a.step, lane_of[a.rank], kind, a.type == "link" ? series_colour(0) : kAlertColour,
                        fmt::format("step {}: rank {} {} in {}, {:+.1f} %: {}", format_value(a.step), a.rank, kind,
                                    a.section, a.slowdown, a.evidence)});
    table.rows.push_back({number_cell(a.step), number_cell(a.rank), {a.host}, {kind, Tone::bad}, {a.section},
                          {fmt::format("{:+.1f} %", a.slowdown), Tone::plain, true}, {a.evidence}});
  }
  s.charts.push_back(render_timeline(t));
  if (alerts.empty())
    s.findings.push_back({"stragglers", "no straggler alert", Tone::good});
  else
    s.findings.push_back({"stragglers", fmt::format("{} alert(s); the first: rank {} ({}) {}-slow at step {}, {:+.1f} %",
                                                    alerts.size(), alerts[0].rank, alerts[0].host, alerts[0].type,
                                                    format_value(alerts[0].step), alerts[0].slowdown),
                          Tone::bad});
  s.tables.push_back(std::move(table));
  return s;
}

}  // namespace cairn::reports
