#include "probe/node.h"

#include <algorithm>

namespace cairn::probe {
namespace {

// Fraction of the raw line rate that carries data: 8b/10b encoding up to 5 GT/s (Gen1-2),
// 128b/130b for 8-32 GT/s (Gen3-5), and FLIT mode at 64 GT/s (Gen6), counted as 1b/1b.
double encoding_efficiency(double gt_s) {
  if (gt_s <= 5.0) return 0.8;
  if (gt_s < 64.0) return 128.0 / 130.0;
  return 1.0;
}

double lane_bandwidth_gb_s(double gt_s, int width) {
  return gt_s * encoding_efficiency(gt_s) * width / 8.0;
}

}  // namespace

double PcieLink::bandwidth_gb_s() const {
  if (speed_gt_s > 0 && width > 0) return lane_bandwidth_gb_s(speed_gt_s, width);
  return reported_gb_s;
}

double PcieLink::max_bandwidth_gb_s() const {
  if (max_speed_gt_s > 0 && max_width > 0) return lane_bandwidth_gb_s(max_speed_gt_s, max_width);
  return bandwidth_gb_s();
}

bool PcieLink::downtrained() const {
  bool slow = speed_gt_s > 0 && max_speed_gt_s > 0 && speed_gt_s + 1e-9 < max_speed_gt_s;
  bool narrow = width > 0 && max_width > 0 && width < max_width;
  return slow || narrow;
}

const PciDevice* NodeInfo::find_pci(const std::string& bus_id) const {
  auto it = std::find_if(pci.begin(), pci.end(), [&](const PciDevice& d) { return d.bus_id == bus_id; });
  return it == pci.end() ? nullptr : &*it;
}

}  // namespace cairn::probe
