#include <map>

#include <fmt/format.h>

#include "reports/charts/line_chart.h"
#include "reports/charts/palette.h"
#include "reports/charts/scale.h"
#include "reports/sections/format.h"
#include "reports/sections/sections.h"
#include "tuner/profile/profile.h"

namespace cairn::reports {

Section tune_profile_section(const Input& in) {
  // The tuner's own reader checks every field of the profile.
  const tuner::Profile profile = tuner::profile_from_json(in.doc, in.path);
  Section s = make_section("Tuning: default against tuned (cairn tune)", {in.path},
                           fmt::format("Bus bandwidth per size of the backend's default choice and of the tuned "
                                       "winner, where one was proven faster over the noise ({} on {} rank(s), {} "
                                       "node(s)).",
                                       profile.backend, profile.nranks, profile.nnodes));
  std::map<std::string, std::pair<Series, Series>> by_collective;
  Table table{{"collective", "type", "size", "default us", "tuned us", "speedup [interval]", "verdict", "choice"}, {}};
  int tuned = 0;
  double best = 0;
  for (const tuner::ProfileCell& c : profile.cells) {
    auto& [def, win] = by_collective[c.collective];
    def.name = "default";
    def.colour = kReferenceColour;
    win.name = "tuned (proven winners)";
    win.colour = series_colour(0);
    win.points_only = true;
    def.points.push_back({static_cast<double>(c.bytes), c.default_figure.busbw_gb_s});
    const bool won = c.tuned && c.tuned_figure;
    if (won) {
      win.points.push_back({static_cast<double>(c.bytes), c.tuned_figure->busbw_gb_s});
      ++tuned;
      best = std::max(best, c.speedup);
    }
    table.rows.push_back({{c.collective},
                          {c.dtype},
                          {format_bytes(static_cast<double>(c.bytes)), Tone::plain, true},
                          number_cell(c.default_figure.time_us),
                          won ? number_cell(c.tuned_figure->time_us) : Cell{"-", Tone::muted, true},
                          {fmt::format("{:.3f} [{:.3f}, {:.3f}]", c.speedup, c.speedup_low, c.speedup_high), Tone::plain, true},
                          {won ? "tuned" : "default (within noise)", won ? Tone::good : Tone::muted},
                          {won ? c.tuned->key : "-"}});
  }
  for (auto& [name, pair] : by_collective) {
    LineChart chart;
    chart.title = name + ": default against tuned";
    chart.x_label = "message size (bytes, log scale)";
    chart.y_label = "busbw (GB/s)";
    chart.log_x = chart.x_is_bytes = true;
    chart.series = {pair.first, pair.second};
    s.charts.push_back(render_line_chart(chart));
  }
  s.findings.push_back({"tune", tuned == 0 ? fmt::format("{} cell(s) measured, none faster than the default over the noise",
                                                          profile.cells.size())
                                           : fmt::format("{} of {} cell(s) tuned, best speedup {:.2f}x", tuned,
                                                         profile.cells.size(), best),
                        tuned ? Tone::good : Tone::plain});
  s.tables.push_back(std::move(table));
  return s;
}

Section tune_prediction_section(const Input& in) {
  Section s;
  s.title = "Tuning: the cost model at scale (cairn tune --predict)";
  s.sources = {in.path};
  const std::string cluster = opt_string(in.doc, "cluster", in.path).value_or("?");
  const auto ranks = opt_number(in.doc, "ranks", in.path);
  s.intro = fmt::format("NCCL's cost model: predicted bus bandwidth per size on {} ({} ranks), with its choice of "
                        "algorithm and protocol.", cluster, or_dash(ranks));
  std::map<std::string, Series> by_collective;
  Table table{{"collective", "size", "algorithm", "protocol", "time us", "busbw GB/s"}, {}};
  const std::size_t rows_count = for_each_object(in.doc, "rows", in.path, [&](const Json& r, const std::string& where) {
    const std::string name = req_string(r, "collective", where);
    const double bytes = req_number(r, "bytes", where), busbw = req_number(r, "busbw_gb_s", where);
    Series& series = by_collective[name];
    series.name = name;
    series.points.push_back({bytes, busbw});
    table.rows.push_back({{name}, {format_bytes(bytes), Tone::plain, true},
                          {opt_string(r, "algorithm", where).value_or("?")},
                          {opt_string(r, "protocol", where).value_or("?")},
                          number_cell(opt_number(r, "time_us", where)), number_cell(busbw)});
  });
  LineChart chart;
  chart.title = "Predicted bus bandwidth on " + cluster;
  chart.x_label = "message size (bytes, log scale)";
  chart.y_label = "predicted busbw (GB/s)";
  chart.log_x = chart.x_is_bytes = true;
  for (auto& [name, series] : by_collective) chart.series.push_back(std::move(series));
  s.charts.push_back(render_line_chart(chart));
  s.findings.push_back({"prediction", fmt::format("{} row(s) for {} collective(s) on {}", rows_count,
                                                  chart.series.size(), cluster), Tone::plain});
  s.tables.push_back(std::move(table));
  return s;
}

}  // namespace cairn::reports
