#include "reports/charts/heatmap.h"

#include <algorithm>

#include <fmt/format.h>

#include "reports/charts/axis.h"
#include "reports/charts/palette.h"
#include "reports/charts/svg_text.h"

namespace cairn::reports {
namespace {

constexpr std::size_t kMaxLabelChars = 24;

std::string short_label(const std::string& s) {
  return s.size() <= kMaxLabelChars ? s : s.substr(0, kMaxLabelChars - 3) + "...";
}

double label_width(const std::vector<std::string>& labels) {
  std::size_t longest = 0;
  for (const std::string& l : labels) longest = std::max(longest, short_label(l).size());
  return 16 + 7.0 * static_cast<double>(longest);
}

}  // namespace

std::string render_heatmap(const Heatmap& h) {
  const std::size_t rows = h.row_labels.size(), columns = h.column_labels.size();
  const double left = std::max(90.0, label_width(h.row_labels) + 30), top = 70;
  // Wide enough for the longest column label, so that neighbouring labels never overlap.
  const double cell_width = std::max(h.cell_width, label_width(h.column_labels) - 4);
  const double grid_w = cell_width * static_cast<double>(std::max<std::size_t>(columns, 1));
  const double grid_h = h.cell_height * static_cast<double>(std::max<std::size_t>(rows, 1));
  const double width = std::max(420.0, left + grid_w + 30);
  const double legend_h = legend_height(h.legend, width - 40);
  const double height = top + grid_h + 30 + legend_h;
  const PlotArea area{left, top, grid_w, grid_h};

  std::string out = svg_open(width, height, h.title) + chart_heading(h.title, 16, 20);
  out += fmt::format(R"svg(<text x="{}" y="{}" font-size="12" text-anchor="middle">{}</text>)svg",
                     svg_number(left + grid_w / 2), svg_number(40), xml_escape(h.column_axis));
  out += fmt::format(R"svg(<text x="16" y="{}" font-size="12">{}</text>)svg", svg_number(top - 8), xml_escape(h.row_axis));
  for (std::size_t c = 0; c < columns; ++c)
    out += fmt::format(R"svg(<text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text>)svg",
                       svg_number(left + cell_width * (static_cast<double>(c) + 0.5)), svg_number(top - 8),
                       xml_escape(short_label(h.column_labels[c])));
  for (std::size_t r = 0; r < rows; ++r) {
    const double y = top + h.cell_height * static_cast<double>(r);
    out += fmt::format(R"svg(<text x="{}" y="{}" font-size="11" text-anchor="end" dominant-baseline="middle">{}</text>)svg",
                       svg_number(left - 8), svg_number(y + h.cell_height / 2), xml_escape(short_label(h.row_labels[r])));
    for (std::size_t c = 0; c < columns; ++c) {
      const HeatCell empty;
      const HeatCell& cell = r < h.cells.size() && c < h.cells[r].size() ? h.cells[r][c] : empty;
      const double x = left + cell_width * static_cast<double>(c);
      out += fmt::format(R"svg(<g class="cell"><title>{}</title><rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}" stroke-width="{}"/>)svg",
                         xml_escape(cell.tooltip.empty() ? cell.text : cell.tooltip), svg_number(x + 1), svg_number(y + 1),
                         svg_number(cell_width - 2), svg_number(h.cell_height - 2), xml_escape(cell.fill),
                         cell.marked ? kAlertColour : "#ffffff", cell.marked ? "3" : "1");
      out += fmt::format(R"svg(<text x="{}" y="{}" font-size="11" text-anchor="middle" dominant-baseline="middle" fill="{}"{}>{}{}</text></g>)svg",
                         svg_number(x + cell_width / 2), svg_number(y + h.cell_height / 2), xml_escape(cell.text_colour),
                         cell.marked ? R"svg( font-weight="bold")svg" : "", xml_escape(cell.text), cell.marked ? " !" : "");
    }
  }
  if (rows == 0 || columns == 0) out += empty_note(area, h.empty_note);
  out += render_legend(h.legend, 16, top + grid_h + 20, width - 40);
  return out + svg_close();
}

}  // namespace cairn::reports
