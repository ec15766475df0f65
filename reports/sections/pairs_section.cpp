#include <algorithm>
#include <cmath>
#include <set>

#include "common/error.h"

#include <fmt/format.h>

#include "reports/charts/heatmap.h"
#include "reports/charts/palette.h"
#include "reports/charts/scale.h"
#include "reports/sections/format.h"
#include "reports/sections/sections.h"

namespace cairn::reports {
namespace {

using Matrix = std::vector<std::vector<std::optional<double>>>;

Matrix read_matrix(const Json& doc, const std::string& key, std::size_t n, const std::string& where) {
  const Json& rows = opt_array(doc, key, where);
  Matrix m(n, std::vector<std::optional<double>>(n));
  for (std::size_t i = 0; i < std::min(n, rows.size()); ++i) {
    if (!rows[i].is_array())
      throw Error(fmt::format("{}: {}[{}] is not an array; give the file as cairn wrote it", where, key, i));
    for (std::size_t j = 0; j < std::min(n, rows[i].size()); ++j) {
      const Json& v = rows[i][j];
      if (v.is_number()) m[i][j] = v.get<double>();
      else if (!v.is_null())
        throw Error(fmt::format("{}: {}[{}][{}] is not a number; give the file as cairn wrote it", where, key, i, j));
    }
  }
  return m;
}

// Darker is faster (bandwidth) or slower (latency: `invert`), relative to the matrix's range.
Heatmap matrix_heatmap(const Matrix& m, const std::vector<std::string>& labels,
                       const std::set<std::pair<std::size_t, std::size_t>>& slow, const std::string& title,
                       const std::string& unit, bool higher_is_better) {
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& row : m)
    for (const auto& v : row)
      if (v && std::isfinite(*v)) lo = std::min(lo, *v), hi = std::max(hi, *v);
  Heatmap h;
  h.title = title;
  h.row_axis = "rank";
  h.column_axis = "peer rank";
  h.row_labels = h.column_labels = labels;
  for (std::size_t i = 0; i < m.size(); ++i) {
    std::vector<HeatCell> row;
    for (std::size_t j = 0; j < m.size(); ++j) {
      HeatCell c;
      if (i == j) {
        c.text = "-";
        c.fill = "#f0f0f0";
      } else if (m[i][j] && std::isfinite(*m[i][j])) {
        const double t = hi > lo ? (*m[i][j] - lo) / (hi - lo) : 1.0;
        const double shade = 0.15 + 0.85 * (higher_is_better ? t : 1 - t);
        c.text = format_value(*m[i][j]);
        c.fill = heat_colour(shade);
        c.text_colour = text_colour_on_heat(shade);
      } else {
        c.text = "?";
      }
      c.marked = slow.count({std::min(i, j), std::max(i, j)}) > 0;
      c.tooltip = fmt::format("{} <-> {}: {} {}{}", labels[i], labels[j], c.text, unit, c.marked ? " (flagged slow)" : "");
      row.push_back(std::move(c));
    }
    h.cells.push_back(std::move(row));
  }
  h.legend = {{fmt::format("lightest {} {} ... darkest {} {}", format_value(higher_is_better ? lo : hi), unit,
                           format_value(higher_is_better ? hi : lo), unit),
               heat_colour(0.9), Swatch::box},
              {"flagged slow pair (outlined, !)", kAlertColour, Swatch::box}};
  if (!std::isfinite(lo)) h.legend.erase(h.legend.begin());
  return h;
}

}  // namespace

Section pairs_section(const Input& in) {
  Section s = make_section("All pairs (cairn pairs)", {in.path},
                           "One-direction bandwidth and half round-trip latency of every pair of ranks; a pair "
                           "below the threshold is outlined in red and marked with '!'.");
  const Json& participants = opt_array(in.doc, "participants", in.path);
  std::vector<std::string> labels;
  for (std::size_t k = 0; k < participants.size(); ++k) {
    const Json& p = object_at(participants, k, in.path, "participants");
    const std::string where = fmt::format("{} participants[{}]", in.path, k);
    labels.push_back(fmt::format("rank {} ({})", req_int(p, "rank", where),
                                 opt_string(p, "host", where).value_or("?")));
  }
  const std::size_t n = labels.size();
  std::set<std::pair<std::size_t, std::size_t>> slow;
  Table flagged{{"pair", "bandwidth", "limit", "latency", "reason"}, {}};
  const Json& pairs = opt_array(in.doc, "pairs", in.path);
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    const Json& p = object_at(pairs, k, in.path, "pairs");
    const std::string where = fmt::format("{} pairs[{}]", in.path, k);
    const int i = req_int(p, "i", where), j = req_int(p, "j", where);
    const bool is_flagged = p.contains("flagged") && p["flagged"].is_boolean() && p["flagged"].get<bool>();
    if (!is_flagged) continue;
    if (i < 0 || j < 0 || static_cast<std::size_t>(i) >= n || static_cast<std::size_t>(j) >= n)
      throw Error(fmt::format("{}: pair ({}, {}) names a rank beyond the {} participants", where, i, j, n));
    const auto a = static_cast<std::size_t>(i), b = static_cast<std::size_t>(j);
    slow.insert({std::min(a, b), std::max(a, b)});
    flagged.rows.push_back({{labels[a] + " <-> " + labels[b], Tone::bad},
                            {or_dash(opt_number(p, "bandwidth_gb_s", where), "GB/s"), Tone::plain, true},
                            {or_dash(opt_number(p, "limit_gb_s", where), "GB/s"), Tone::plain, true},
                            {or_dash(opt_number(p, "latency_us", where), "us"), Tone::plain, true},
                            {opt_string(p, "reason", where).value_or("")}});
  }
  const Matrix bw = read_matrix(in.doc, "bandwidth_gb_s", n, in.path), lat = read_matrix(in.doc, "latency_us", n, in.path);
  s.charts.push_back(render_heatmap(
      matrix_heatmap(bw, labels, slow, "Bandwidth of every pair (GB/s, one direction)", "GB/s", true)));
  s.charts.push_back(render_heatmap(
      matrix_heatmap(lat, labels, slow, "Latency of every pair (us, half a round trip)", "us", false)));
  const auto median_bw = opt_number(in.doc, "median_bandwidth_gb_s", in.path);
  const auto median_lat = opt_number(in.doc, "median_latency_us", in.path);
  std::string text = fmt::format("{} ranks, median {} and {}", n, or_dash(median_bw, "GB/s"), or_dash(median_lat, "us"));
  if (slow.empty())
    text += ", no slow pair";
  else
    text += fmt::format(", {} slow pair(s): {}", slow.size(), flagged.rows.front()[0].text + (slow.size() > 1 ? ", ..." : ""));
  s.findings.push_back({"pairs", text, slow.empty() ? Tone::good : Tone::bad});
  if (!flagged.rows.empty()) s.tables.push_back(std::move(flagged));
  return s;
}

}  // namespace cairn::reports
