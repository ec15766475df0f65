// libFuzzer target: the small text parsers of sysfs and hwloc values: InfiniBand rates
// ("400 Gb/sec (4X NDR)"), PCIe speeds ("32.0 GT/s PCIe"), port states ("4: ACTIVE"),
// hwloc bitmaps and Linux CPU lists. They never throw; what they accept must be sane.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "probe/cpuset.h"
#include "probe/ib_sysfs.h"
#include "probe/pcie_sysfs.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cairn::probe;
  std::string text(reinterpret_cast<const char*>(data), size);
  if (auto r = parse_ib_rate(text)) {
    if (!(r->gbit_s > 0) || !std::isfinite(r->gbit_s) || r->width < 0 || r->width > 32) std::abort();
  }
  double gt = parse_pcie_speed_gt_s(text);
  if (gt < 0 || !std::isfinite(gt)) std::abort();
  (void)pcie_generation(gt);
  (void)strip_state_number(text);
  if (auto s = CpuSet::from_hwloc_bitmap(text)) {
    // A bitmap's list form reads back to the same set.
    auto back = CpuSet::from_list(s->to_list());
    if (!back || !(*back == *s)) std::abort();
  }
  if (auto s = CpuSet::from_list(text)) {
    auto back = CpuSet::from_list(s->to_list());
    if (!back || !(*back == *s)) std::abort();
  }
  return 0;
}
