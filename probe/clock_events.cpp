#include "probe/clock_events.h"

#include <set>

#include "probe/nvml_loader.h"

namespace cairn::probe {

bool slows_the_gpu(const std::string& reason) {
  static const std::set<std::string> kBenign = {"gpu_idle", "applications_clocks_setting", "display_clock_setting",
                                                "sync_boost"};
  return !kBenign.count(reason);
}

std::string slowing_clock_events(const GpuInfo& gpu) {
  std::string out;
  for (const auto& r : gpu.throttle_reasons)
    if (slows_the_gpu(r)) out += (out.empty() ? "" : ", ") + r;
  return out;
}

std::string slowing_clock_events_now(const std::string& bus_id) {
  const std::string want = normalize_bus_id(bus_id);
  for (const GpuInfo& g : query_nvml().gpus)
    if (normalize_bus_id(g.bus_id) == want) return slowing_clock_events(g);
  return "";
}

}  // namespace cairn::probe
