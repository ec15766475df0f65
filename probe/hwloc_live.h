// This machine's topology through the hwloc library, with PCI and OS devices, exported
// as hwloc XML so that live discovery goes through the same reader as files and captures.
// hwloc honours HWLOC_FSROOT: pointed at a saved sysfs/proc tree, it reads that instead.
#pragma once

#include <string>

namespace cairn::probe {

std::string export_live_hwloc_xml();

}  // namespace cairn::probe
