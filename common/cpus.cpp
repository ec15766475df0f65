#include "common/cpus.h"

#include <sched.h>

namespace cairn {

int usable_cpus() {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (::sched_getaffinity(0, sizeof cpus, &cpus) != 0) return 1;
  const int n = CPU_COUNT(&cpus);
  return n > 0 ? n : 1;
}

}  // namespace cairn
