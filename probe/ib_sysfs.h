// InfiniBand / RoCE devices from sysfs, class/infiniband/<dev>/: firmware, GUID, PCI
// function, network interfaces, and per port the state, physical state, link layer, rate,
// LID, GID 0 and the error counters (counters/ and hw_counters/). Read from a root so a
// capture or a test tree works like a live node; zero devices is a normal answer.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probe/node.h"
#include "probe/sysfs_root.h"

namespace cairn::probe {

struct IbRate {
  double gbit_s = 0;  // 10^9 bit/s, all lanes
  std::string speed;  // "NDR", "HDR", ... ; "" when the kernel does not say
  int width = 0;      // lanes; 0 when the kernel does not say
};

// "400 Gb/sec (4X NDR)" -> {400, "NDR", 4}; "2.5 Gb/sec (1X SDR)"; "100 Gb/sec" (no
// parenthesis on some RoCE ports). nullopt for anything else.
std::optional<IbRate> parse_ib_rate(std::string_view text);

// "4: ACTIVE" -> "ACTIVE", "5: LinkUp" -> "LinkUp".
std::string strip_state_number(std::string_view text);

std::vector<NicInfo> read_ib_devices(const SysfsRoot& sysfs);

// Adds sysfs facts to the NICs hwloc found (same verbs name, else same PCI function) and
// appends devices hwloc did not see, with the NUMA node of their PCI function.
void merge_ib_devices(NodeInfo& node, std::vector<NicInfo> devices);

// Ethernet and Slingshot NICs (no verbs): one port from class/net/<netdev>/{operstate,
// speed,mtu}.
void read_netdev_ports(const SysfsRoot& sysfs, NodeInfo& node);

}  // namespace cairn::probe
