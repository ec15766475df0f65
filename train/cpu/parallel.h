// Splitting a loop over rows among threads. Each index is handled by exactly one thread
// and the split never changes what is computed for an index, so results do not depend
// on the thread count. Small loops run inline (thread start-up costs ~10 us).
#pragma once

#include <cstdint>
#include <functional>

namespace cairn::train::cpu {

// Threads the CPU kernels use: CAIRN_CPU_THREADS if set, else hardware_concurrency().
int cpu_threads();
// Overrides it for this process (n >= 1); 0 restores the default.
void set_cpu_threads(int n);

// Calls body(begin, end) over disjoint ranges covering [0, count). work_per_item is a
// rough cost (flops) used to decide whether threads pay off.
void parallel_for(std::int64_t count, double work_per_item,
                  const std::function<void(std::int64_t, std::int64_t)>& body);

}  // namespace cairn::train::cpu
