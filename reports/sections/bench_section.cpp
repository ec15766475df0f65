#include <map>

#include <fmt/format.h>

#include "reports/charts/line_chart.h"
#include "reports/charts/scale.h"
#include "reports/sections/format.h"
#include "reports/sections/sections.h"

namespace cairn::reports {
namespace {

struct Curve {
  const Input* input;
  std::string backend;
  int nranks = 0;
  std::vector<Point> points;  // size (bytes), out-of-place busbw (GB/s)
  double avg_busbw = 0;
  double wrong = 0;  // summed as a double: no count overflows it
};

Curve read_curve(const Input& in, const Json& collective, const std::string& where) {
  Curve c;
  c.input = &in;
  c.backend = opt_string(in.doc, "backend", in.path).value_or("?");
  c.nranks = opt_int(in.doc, "nranks", in.path).value_or(0);
  c.avg_busbw = opt_number(collective, "avg_busbw_gb_s", where).value_or(0);
  const Json& results = opt_array(collective, "results", where);
  for (std::size_t k = 0; k < results.size(); ++k) {
    const std::string row_where = fmt::format("{} results[{}]", where, k);
    const Json& row = object_at(results, k, where, "results");
    const Json& oop = row.contains("out_of_place") ? row["out_of_place"] : Json::object();
    c.points.push_back({req_number(row, "size", row_where), req_number(oop, "busbw_gb_s", row_where + " out_of_place")});
    for (const char* place : {"out_of_place", "in_place"})
      if (row.contains(place)) c.wrong += opt_number(row[place], "wrong", row_where).value_or(0);
  }
  return c;
}

std::optional<double> expected_for(const ExpectedRates& expected, const std::string& collective) {
  if (auto it = expected.find(collective); it != expected.end()) return it->second;
  if (auto it = expected.find("*"); it != expected.end()) return it->second;
  return std::nullopt;
}

}  // namespace

Section bench_section(const std::vector<const Input*>& benches, const ExpectedRates& expected) {
  Section s;
  s.title = "Collective bandwidth (cairn bench)";
  s.intro = "Bus bandwidth (nccl-tests' busbw, out of place, 10^9 B/s) against message size, one chart per "
            "collective and one curve per file; a dashed line is the expected rate where one was given.";
  std::map<std::string, std::vector<Curve>> by_collective;  // sorted by name: a stable order
  for (const Input* in : benches) {
    s.sources.push_back(in->path);
    const Json& collectives = opt_array(in->doc, "collectives", in->path);
    for (std::size_t k = 0; k < collectives.size(); ++k) {
      const Json& c = object_at(collectives, k, in->path, "collectives");
      const std::string where = fmt::format("{} collectives[{}]", in->path, k);
      by_collective[req_string(c, "name", where)].push_back(read_curve(*in, c, where));
    }
  }
  Table table{{"collective", "file", "backend", "ranks", "sizes", "peak busbw", "at size", "avg busbw", "#wrong"}, {}};
  for (const auto& [name, curves] : by_collective) {
    LineChart chart;
    chart.title = name + ": bus bandwidth against message size";
    chart.x_label = "message size (bytes, log scale)";
    chart.y_label = "busbw (GB/s)";
    chart.log_x = chart.x_is_bytes = true;
    const auto expect = expected_for(expected, name);
    if (expect) chart.references.push_back({*expect, fmt::format("expected {}", gb_s(*expect))});
    for (const Curve& c : curves) {
      chart.series.push_back({fmt::format("{} ({}, {} ranks)", c.input->label, c.backend, c.nranks), c.points});
      Point peak{0, 0};
      for (const Point& p : c.points)
        if (p.y > peak.y || peak.x == 0) peak = p;
      const bool below = expect && !c.points.empty() && peak.y < *expect;
      table.rows.push_back({{name}, {c.input->label}, {c.backend}, number_cell(c.nranks),
                            number_cell(static_cast<double>(c.points.size())),
                            {gb_s(peak.y), below ? Tone::warning : Tone::plain, true},
                            {format_bytes(peak.x), Tone::plain, true}, {gb_s(c.avg_busbw), Tone::plain, true},
                            {format_value(c.wrong), c.wrong != 0 ? Tone::bad : Tone::plain, true}});
      Tone tone = c.wrong != 0 ? Tone::bad : below ? Tone::warning : Tone::plain;
      std::string text = c.points.empty() ? fmt::format("no sizes measured ({})", c.input->label)
                                          : fmt::format("peak busbw {} at {} ({}, {} on {} ranks)", gb_s(peak.y),
                                                        format_bytes(peak.x), c.input->label, c.backend, c.nranks);
      if (below) text += fmt::format(", below the expected {}", gb_s(*expect));
      if (c.wrong != 0) text += fmt::format(", {} wrong result(s)", format_value(c.wrong));
      s.findings.push_back({name, text, tone});
    }
    s.charts.push_back(render_line_chart(chart));
  }
  if (by_collective.empty()) s.findings.push_back({"bench", "no collectives in the bench file(s)", Tone::warning});
  s.tables.push_back(std::move(table));
  return s;
}

}  // namespace cairn::reports
