#include "topology/cpu_mask.h"

#include <cstdint>
#include <cstdio>
#include <vector>

#include "probe/cpuset.h"

namespace cairn::topology {

std::optional<std::string> cpu_list_to_mask(const std::string& list) {
  auto set = probe::CpuSet::from_list(list);
  if (!set) return std::nullopt;
  std::vector<std::uint32_t> words(1, 0);
  for (unsigned cpu : set->indexes()) {
    if (words.size() <= cpu / 32) words.resize(cpu / 32 + 1, 0);
    words[cpu / 32] |= std::uint32_t{1} << (cpu % 32);
  }
  std::string out;
  for (auto it = words.rbegin(); it != words.rend(); ++it) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08x", *it);
    if (!out.empty()) out += ',';
    out += buf;
  }
  return out;
}

std::optional<std::string> cpu_mask_to_list(const std::string& mask) {
  // The same word layout as hwloc's bitmaps, without the 0x prefixes.
  if (mask.find("0x") != std::string::npos || mask.find("0X") != std::string::npos) return std::nullopt;
  auto set = probe::CpuSet::from_hwloc_bitmap(mask);
  if (!set) return std::nullopt;
  return set->to_list();
}

}  // namespace cairn::topology
