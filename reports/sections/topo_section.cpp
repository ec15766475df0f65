#include <set>

#include <fmt/format.h>

#include "common/error.h"
#include "reports/charts/heatmap.h"
#include "reports/charts/palette.h"
#include "reports/sections/format.h"
#include "reports/sections/sections.h"

namespace cairn::reports {
namespace {

// nvidia-smi topo -m's classes, nearest first, and a colour each: greens for NVLink and
// one switch, through yellow and orange, to vermillion for a path across sockets.
struct PathClass {
  const char* prefix;
  const char* colour;
  const char* meaning;
};
constexpr PathClass kClasses[] = {
    {"X", "#e0e0e0", "X: itself"},
    {"NV", "#009e73", "NV#: NVLink (# links)"},
    {"PIX", "#56b4e9", "PIX: one PCIe switch"},
    {"PXB", "#0072b2", "PXB: several PCIe switches"},
    {"PHB", "#e69f00", "PHB: through a PCIe host bridge (the CPU)"},
    {"NODE", "#cc79a7", "NODE: across host bridges in one NUMA node"},
    {"SYS", "#d55e00", "SYS: across NUMA nodes (the SMP interconnect)"},
};

const PathClass* class_of(const std::string& path) {
  if (path.rfind("NV", 0) == 0 && path != "NODE") return &kClasses[1];
  for (const PathClass& c : kClasses)
    if (path == c.prefix) return &c;
  return nullptr;
}

}  // namespace

Section topo_section(const Input& in) {
  Section s = make_section("Topology (cairn topo)", {in.path},
                           "The path class between every two devices, as nvidia-smi topo -m and NCCL name them: "
                           "the nearer the class, the faster the path.");
  const Json& matrix = in.doc.contains("matrix") ? in.doc["matrix"] : Json::object();
  const Json& devices = opt_array(matrix, "devices", in.path + " matrix");
  const Json& paths = opt_array(matrix, "paths", in.path + " matrix");
  Heatmap h;
  h.title = "Device-to-device path classes";
  h.row_axis = "device";
  h.column_axis = "device";
  h.cell_width = 58;
  for (std::size_t k = 0; k < devices.size(); ++k) {
    if (!devices[k].is_string()) throw Error(fmt::format("{}: matrix devices[{}] is not a string", in.path, k));
    h.row_labels.push_back(devices[k].get<std::string>());
  }
  h.column_labels = h.row_labels;
  std::set<const PathClass*> seen;
  std::size_t gpus = 0, nics = 0;
  for (const std::string& d : h.row_labels) {
    if (d.rfind("GPU", 0) == 0) ++gpus;
    if (d.rfind("NIC", 0) == 0) ++nics;
  }
  for (std::size_t i = 0; i < h.row_labels.size(); ++i) {
    std::vector<HeatCell> row;
    const Json& r = i < paths.size() ? paths[i] : Json::array();
    for (std::size_t j = 0; j < h.row_labels.size(); ++j) {
      HeatCell c;
      if (j < r.size()) {
        if (!r[j].is_string()) throw Error(fmt::format("{}: matrix paths[{}][{}] is not a string", in.path, i, j));
        c.text = r[j].get<std::string>();
      }
      if (const PathClass* pc = class_of(c.text)) {
        c.fill = pc->colour;
        c.text_colour = pc == &kClasses[0] || pc == &kClasses[2] || pc == &kClasses[4] ? "#000000" : "#ffffff";
        seen.insert(pc);
      }
      c.tooltip = h.row_labels[i] + " - " + h.row_labels[j] + ": " + (c.text.empty() ? "unknown" : c.text);
      row.push_back(std::move(c));
    }
    h.cells.push_back(std::move(row));
  }
  for (const PathClass& c : kClasses)
    if (seen.count(&c)) h.legend.push_back({c.meaning, c.colour, Swatch::box});
  s.charts.push_back(render_heatmap(h));
  const std::string source = opt_string(in.doc, "source", in.path).value_or("?");
  s.findings.push_back({"topology", fmt::format("{} GPU(s) and {} NIC(s) from {}", gpus, nics, source), Tone::plain});
  Table notes{{"note"}, {}};
  for (const Json& n : opt_array(in.doc, "notes", in.path))
    if (n.is_string()) notes.rows.push_back({{n.get<std::string>()}});
  if (!notes.rows.empty()) s.tables.push_back(std::move(notes));
  return s;
}

}  // namespace cairn::reports
