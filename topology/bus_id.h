// PCI bus ids ("dddd:bb:dd.f") as the topology meets them: sysfs and hwloc write a 4-digit
// domain, NVML an 8-digit one ("00000000:17:00.0"), Linux VMD domains have 5 digits
// ("10000:e1:00.0"). Cairn keeps one spelling: lower case, the domain with at least 4
// digits and no further leading zeros.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cairn::topology {

// The normal spelling, or std::nullopt when the text is not a bus id.
std::optional<std::string> normalize_bus_id(std::string_view text);

// "dddd:bb": the root bus a top-level device sits on, which is what Linux calls a host
// bridge (a PCI root complex); two devices on the same root bus share a host bridge.
std::string root_bus_of(const std::string& bus_id);

// "dddd:bb:dd": the physical device, all of its functions together.
std::string device_of(const std::string& bus_id);

// What NCCL writes as an <nvlink target> when the far end is not visible on PCI (the
// NVSwitches of HGX H100 boards, or any NVLink peer inside a VM): NCCL assumes an NVSwitch.
inline constexpr const char* kNcclHiddenNvLinkTarget = "fffffff:ffff:ff";

}  // namespace cairn::topology
