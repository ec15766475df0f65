// A chart's legend: one swatch and label per entry, in rows that wrap at the chart's width.
#pragma once

#include <string>
#include <vector>

namespace cairn::reports {

enum class Swatch { line, dashed_line, point, box };

struct LegendEntry {
  std::string label;
  std::string colour;
  Swatch swatch = Swatch::line;
};

// The height the legend takes when laid out from x over `width` pixels (0 for no entries).
double legend_height(const std::vector<LegendEntry>& entries, double width);
// <g class="legend"> at (x, y), its top-left corner; labels escaped.
std::string render_legend(const std::vector<LegendEntry>& entries, double x, double y, double width);

}  // namespace cairn::reports
