#include "probe/pci_class.h"

namespace cairn::probe {

PciKind classify_pci(std::uint32_t class_id, std::uint16_t vendor_id, const std::string& subtype,
                     bool has_openfabrics_device) {
  std::uint32_t base = class_id >> 8;
  if (subtype == "NVSwitch" || (class_id == 0x0680 && vendor_id == kVendorNvidia))
    return PciKind::nvswitch;
  if (base == 0x06 && (class_id & 0xff) == 0x04) return PciKind::bridge;
  if (base == 0x03 && vendor_id == kVendorNvidia) return PciKind::gpu;
  // 0x02xx network controllers, 0x0c06 InfiniBand controllers (ConnectX-3 and older).
  if (base == 0x02 || class_id == 0x0c06 || has_openfabrics_device || vendor_id == kVendorHpeCray)
    return PciKind::nic;
  if (class_id == 0x0108) return PciKind::nvme;
  return PciKind::other;
}

const char* to_string(PciKind kind) {
  switch (kind) {
    case PciKind::bridge: return "bridge";
    case PciKind::gpu: return "gpu";
    case PciKind::nic: return "nic";
    case PciKind::nvme: return "nvme";
    case PciKind::nvswitch: return "nvswitch";
    case PciKind::other: return "other";
  }
  return "other";
}

}  // namespace cairn::probe
