#include "collectives/measure/measured_backend.h"

#include <chrono>
#include <cstdint>

namespace cairn::coll::bench {

MeasuredBackend open_measured_backend(Bootstrap& job, BackendChoice choice, double timeout_s,
                                      const std::string& key_prefix) {
  OpenBackendOptions open;
  open.choice = choice;
  open.data = DataPlace::gpu_if_visible;
  open.key_prefix = key_prefix;
  open.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1000));
  OpenedBackend opened = open_backend(job, open);
  MeasuredBackend b;
  b.name = opened.name;
  b.device = opened.memory == MemoryKind::device ? opened.device : -1;
  b.comm = std::move(opened.comm);
  b.memory = make_memory(opened.memory, opened.device);
  return b;
}

}  // namespace cairn::coll::bench
