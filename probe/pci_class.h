// What a PCI function is, from its class, vendor and what hwloc attached to it. Shared by
// the XML reader and anything that meets raw PCI ids (sysfs).
#pragma once

#include <cstdint>
#include <string>

#include "probe/node.h"

namespace cairn::probe {

inline constexpr std::uint16_t kVendorNvidia = 0x10de;
inline constexpr std::uint16_t kVendorMellanox = 0x15b3;
// HPE (Cray) Cassini: the Slingshot-11 NIC. No verbs device; NCCL reaches it through
// libfabric's cxi provider (FIELD.md, "The Alps node and network").
inline constexpr std::uint16_t kVendorHpeCray = 0x17db;

// class_id is base class << 8 | subclass. `subtype` is hwloc's (e.g. "NVSwitch").
PciKind classify_pci(std::uint32_t class_id, std::uint16_t vendor_id, const std::string& subtype,
                     bool has_openfabrics_device);

const char* to_string(PciKind kind);

}  // namespace cairn::probe
