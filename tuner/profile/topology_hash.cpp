#include "tuner/profile/topology_hash.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>

#include <fmt/format.h>
// Inlined, so libnccl-tuner-cairn.so (which links this file) needs no libxxhash at run time.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "common/error.h"
#include "common/text_file.h"

namespace cairn::tuner {
namespace {
namespace fs = std::filesystem;

// A sysfs attribute is at most a page.
constexpr std::size_t kMaxAttributeBytes = 4096;

std::optional<std::string> attribute(const fs::path& dir, const char* name) {
  std::error_code ec;
  if (!fs::is_regular_file(dir / name, ec)) return std::nullopt;  // never block on a FIFO in a built tree
  std::string text;
  try {
    text = read_text_file((dir / name).string(), true, kMaxAttributeBytes);
  } catch (const Error&) {
    return std::nullopt;  // missing or unreadable: the device is described without it
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

}  // namespace

std::vector<std::string> node_topology_lines(const std::string& sysfs_root) {
  const fs::path devices = fs::path(sysfs_root) / "bus/pci/devices";
  std::error_code ec;
  if (!fs::is_directory(devices, ec))
    fail(devices.string(), "not a directory; the topology hash reads PCI devices from a sysfs tree (is the root right?)");
  std::vector<std::string> lines;
  for (fs::directory_iterator it(devices, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path dir = it->path();
    const auto vendor = attribute(dir, "vendor");
    const auto cls = attribute(dir, "class");
    if (!vendor || !cls) continue;
    // class is 0xBBSSPP: base class, subclass, programming interface.
    const std::string base_sub = cls->size() >= 6 ? cls->substr(0, 6) : *cls;
    const bool gpu = *vendor == "0x10de" && (base_sub == "0x0300" || base_sub == "0x0302");
    const bool net = base_sub == "0x0200" || base_sub == "0x0207";
    if (!gpu && !net) continue;
    const std::string device = attribute(dir, "device").value_or("?");
    const std::string numa = attribute(dir, "numa_node").value_or("-1");
    lines.push_back(gpu ? fmt::format("gpu {} numa {}", device, numa)
                        : fmt::format("net {}:{} numa {}", *vendor, device, numa));
  }
  if (ec) fail(devices.string(), "cannot list: " + ec.message());
  std::sort(lines.begin(), lines.end());
  return lines;
}

std::string node_topology_hash(const std::string& sysfs_root) {
  std::string text;
  for (const auto& line : node_topology_lines(sysfs_root)) text += line + "\n";
  return fmt::format("{:016x}", XXH64(text.data(), text.size(), 0));
}

}  // namespace cairn::tuner
