// Why a GPU runs below its clocks, in NVML's words ("sw_power_cap", "hw_thermal_slowdown",
// ...), leaving out the reasons that are no fault: an idle GPU, clocks an administrator
// set, the display clock, sync boost. The probe's gpu_throttling finding and the straggler
// detector's compute verdict (its "cause") both read them here.
#pragma once

#include <string>
#include <vector>

#include "probe/node.h"

namespace cairn::probe {

// Whether a throttle reason of NVML's (throttle_reason_names) slows the GPU's work.
bool slows_the_gpu(const std::string& reason);

// The GPU's reasons that slow it, ", "-joined; "" when none.
std::string slowing_clock_events(const GpuInfo& gpu);

// The same for the GPU at `bus_id` ("0000:3b:00.0") as NVML says now; "" when none, when
// NVML is not there or does not know the GPU.
std::string slowing_clock_events_now(const std::string& bus_id);

}  // namespace cairn::probe
