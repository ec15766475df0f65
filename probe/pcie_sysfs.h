// PCIe link state from sysfs: bus/pci/devices/<bdf>/{current,max}_link_{speed,width}.
#pragma once

#include <string_view>

#include "probe/node.h"
#include "probe/sysfs_root.h"

namespace cairn::probe {

// "16.0 GT/s PCIe", "8 GT/s", "2.5 GT/s PCIe" -> GT/s; "Unknown" or garbage -> 0.
double parse_pcie_speed_gt_s(std::string_view text);

// PCIe generation for a per-lane rate (2.5 -> 1 ... 64 -> 6); 0 when unknown.
int pcie_generation(double gt_s);
double pcie_gen_to_gt_s(int gen);

// Fills PciDevice::link for every device in node.pci from sysfs, and copies the result to
// the GPUs. The maximum is what both ends support: the lower of the device's and its
// upstream port's (a x16 card in a x8 slot is not downtrained).
void read_pcie_links(const SysfsRoot& sysfs, NodeInfo& node);

}  // namespace cairn::probe
