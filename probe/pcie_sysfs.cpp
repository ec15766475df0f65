#include "probe/pcie_sysfs.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace cairn::probe {
namespace {

int parse_width(const std::optional<std::string>& text) {
  if (!text) return 0;
  int w = 0;
  auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), w);
  // 255 is what some kernels report for an absent link.
  return ec == std::errc() && w > 0 && w <= 32 ? w : 0;
}

double parse_speed(const std::optional<std::string>& text) {
  return text ? parse_pcie_speed_gt_s(*text) : 0;
}

}  // namespace

double parse_pcie_speed_gt_s(std::string_view text) {
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || !(v > 0 && v <= 256)) return 0;
  std::string_view rest(p, static_cast<std::size_t>(text.data() + text.size() - p));
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return rest.rfind("GT/s", 0) == 0 ? v : 0;
}

int pcie_generation(double gt_s) {
  static constexpr double kRates[] = {2.5, 5, 8, 16, 32, 64, 128};
  for (int i = 0; i < 7; ++i)
    if (std::abs(gt_s - kRates[i]) < 0.01) return i + 1;
  return 0;
}

double pcie_gen_to_gt_s(int gen) {
  static constexpr double kRates[] = {2.5, 5, 8, 16, 32, 64, 128};
  return gen >= 1 && gen <= 7 ? kRates[gen - 1] : 0;
}

void read_pcie_links(const SysfsRoot& sysfs, NodeInfo& node) {
  struct Raw {
    double speed = 0, max_speed = 0;
    int width = 0, max_width = 0;
  };
  std::vector<Raw> raw(node.pci.size());
  for (std::size_t i = 0; i < node.pci.size(); ++i) {
    std::string dir = "bus/pci/devices/" + node.pci[i].bus_id + "/";
    raw[i].speed = parse_speed(sysfs.read(dir + "current_link_speed"));
    raw[i].max_speed = parse_speed(sysfs.read(dir + "max_link_speed"));
    raw[i].width = parse_width(sysfs.read(dir + "current_link_width"));
    raw[i].max_width = parse_width(sysfs.read(dir + "max_link_width"));
  }
  for (std::size_t i = 0; i < node.pci.size(); ++i) {
    auto& link = node.pci[i].link;
    const Raw& r = raw[i];
    if (r.speed > 0) link.speed_gt_s = r.speed;
    if (r.width > 0) link.width = r.width;
    link.max_speed_gt_s = r.max_speed;
    link.max_width = r.max_width;
    // The upstream port is the parent bridge (a root port or switch downstream port).
    for (std::size_t j = 0; j < node.pci.size(); ++j) {
      if (node.pci[j].bus_id != node.pci[i].parent_bus_id || node.pci[i].parent_bus_id.empty()) continue;
      if (raw[j].max_speed > 0 && (link.max_speed_gt_s == 0 || raw[j].max_speed < link.max_speed_gt_s))
        link.max_speed_gt_s = raw[j].max_speed;
      if (raw[j].max_width > 0 && (link.max_width == 0 || raw[j].max_width < link.max_width))
        link.max_width = raw[j].max_width;
      break;
    }
  }
  for (auto& g : node.gpus)
    if (const auto* d = node.find_pci(g.bus_id); d && d->link.speed_gt_s > 0) g.pcie = d->link;
}

}  // namespace cairn::probe
