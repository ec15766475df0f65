// This machine's topology through the hwloc library, with PCI and OS devices, exported
// as hwloc XML so that live discovery goes through the same reader as files and captures.
// hwloc honours HWLOC_FSROOT: pointed at a saved sysfs/proc tree, it reads that instead.
#pragma once

#include <string>

namespace cairn::probe {

std::string export_live_hwloc_xml();

// The same export of a saved /sys + /proc tree (hwloc-gather-topology's layout: `root`
// holds sys/ and proc/), as `lstopo --input root` reads it: HWLOC_FSROOT is set to `root`
// for the discovery and put back as it was afterwards.
std::string export_snapshot_hwloc_xml(const std::string& root);

}  // namespace cairn::probe
