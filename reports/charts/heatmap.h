// A heatmap: a matrix of cells, each with its fill, its text and an optional mark (a slow
// link, outlined), under row and column labels, with a legend saying what the colours mean.
#pragma once

#include <string>
#include <vector>

#include "reports/charts/legend.h"

namespace cairn::reports {

struct HeatCell {
  std::string text;         // shown in the cell ("0.77")
  std::string fill = "#f0f0f0";
  std::string text_colour = "#000000";
  std::string tooltip;      // the cell's <title>
  bool marked = false;      // outlined in the alert colour, with a "!" beside the text
};

struct Heatmap {
  std::string title, row_axis, column_axis;  // "from rank", "to rank"
  std::vector<std::string> row_labels, column_labels;
  std::vector<std::vector<HeatCell>> cells;  // [row][column]; missing cells are drawn empty
  std::vector<LegendEntry> legend;
  double cell_width = 64, cell_height = 30;
  std::string empty_note = "no data";
};

std::string render_heatmap(const Heatmap& h);

}  // namespace cairn::reports
