// How many CPUs this process may run on.
#pragma once

namespace cairn {

// The CPUs in this process's affinity mask (sched_getaffinity: what taskset, cgroups'
// cpusets and `cairn launch --bind` leave it), at least 1.
int usable_cpus();

}  // namespace cairn
